/* reviewer.c — reviewer checks (`check COND: "message"`) evaluated over the output rows.
 *
 * No second evaluator: a synthetic plan is written whose source is the output CSV (comma, UTF-8,
 * header on line 1), whose columns re-read each output column with its type (date: `read as ISO
 * date`, decimal: `read as number`, integer/bigint: `read as integer`, boolean: `read as
 * boolean`; text and timestamp as text), and whose reject rules are `not (COND)`.  It is parsed,
 * type-checked, compiled and evaluated record by record over the output CSV (the engine's
 * eng_eval_record, nothing written): its rejects are the failing rows, their line numbers are
 * lines of the output CSV.  A reject naming a column means the output value did not even read
 * back as its type — a format finding.
 *
 * Semantics follow the plan language: a condition with a null operand is false, so a check on a
 * null value fails unless it says `is missing` / `or X is missing`.
 */
#include "check/check_internal.h"
#include "compile/program.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/interrupt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/plan_syntax.h"

/* Write s inside a quoted token closed by `close`, doubling it ("]]", "``") or escaping it. */
static void add_quoted(mf_buf *b, const char *s, char open, char close)
{
    mf_buf_addc(b, open);
    for (const char *c = s; *c; c++) {
        if (*c == '\\')
            mf_buf_adds(b, "\\\\");
        else if (*c == close && close == '"')
            mf_buf_adds(b, "\\\"");
        else if (*c == close) {
            mf_buf_addc(b, close);
            mf_buf_addc(b, close);
        } else if (*c == '\n')
            mf_buf_adds(b, "\\n");
        else if (*c == '\r')
            mf_buf_adds(b, "\\r");
        else if (*c == '\t')
            mf_buf_adds(b, "\\t");
        else
            mf_buf_addc(b, *c);
    }
    mf_buf_addc(b, close);
}

static void add_name(mf_buf *b, const char *name)
{
    if (plan_is_bare_name(name))
        mf_buf_adds(b, name);
    else
        add_quoted(b, name, '`', '`');
}

static void add_column(mf_buf *b, const plan_column *c)
{
    add_name(b, c->name);
    mf_buf_addc(b, ' ');
    char ty[64];
    const char *read = "";
    switch (c->type.base) {
    case PT_DATE: read = " read as ISO date"; break;
    case PT_DECIMAL: read = " read as number"; break;
    case PT_INTEGER:
    case PT_BIGINT: read = " read as integer"; break;
    case PT_BOOLEAN: read = " read as boolean"; break;
    default: break;
    }
    if (c->type.base == PT_TEXT || c->type.base == PT_TIMESTAMP || c->type.base == PT_UNKNOWN)
        snprintf(ty, sizeof ty, "text");
    else
        plan_type_name(c->type, ty, sizeof ty);
    mf_buf_printf(b, "%s = ", ty);
    add_quoted(b, c->name, '[', ']');
    mf_buf_printf(b, "%s\n", read);
}

static char *synthetic_text(const plan *p, const char *const *conds, const char *const *messages, int n)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "plan CHECK v1\nsource \"output.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, "
                    "header on line 1\noutput CHECKED\n\n");
    for (int c = 0; c < p->ncols; c++)
        add_column(&b, &p->cols[c]);
    for (int i = 0; i < n; i++) {
        mf_buf_printf(&b, "reject rows where not (%s): ", conds[i]);
        char dflt[600];
        snprintf(dflt, sizeof dflt, "check failed: %s", conds[i]);
        add_quoted(&b, messages && messages[i] ? messages[i] : dflt, '"', '"');
        mf_buf_addc(&b, '\n');
    }
    return b.data;
}

/* ---- reading the synthetic run's rejects ---------------------------------------------------- */

typedef struct group {   /* failing rows of one reason */
    char *reason;
    bool format;         /* the reject named a column: the value did not read back */
    long n;
    long lines[CHECK_MAX_ROWS];
} group;

static group *group_for(group **gs, int *ng, const char *reason, size_t len, bool format)
{
    for (int i = 0; i < *ng; i++)
        if ((*gs)[i].format == format && strlen((*gs)[i].reason) == len && !memcmp((*gs)[i].reason, reason, len))
            return &(*gs)[i];
    *gs = mf_xrealloc(*gs, (size_t)(*ng + 1) * sizeof **gs);
    group *g = &(*gs)[(*ng)++];
    memset(g, 0, sizeof *g);
    g->reason = mf_xstrndup(reason, len);
    g->format = format;
    return g;
}

/* The failing rows as findings, a group per reason in the order they first came. */
static void report_groups(group *gs, int ng, check_result *res)
{
    for (int i = 0; i < ng; i++) {
        json_t *fd = gs[i].format
                         ? chk_finding(res, "format", "builtin", true, "an output value does not read back as its type: %s (%ld rows)",
                                       gs[i].reason, gs[i].n)
                         : chk_finding(res, "check", "builtin", true, "%s (%ld rows)", gs[i].reason, gs[i].n);
        chk_finding_rows(fd, gs[i].lines, gs[i].n);
        free(gs[i].reason);
    }
    free(gs);
}

/* ---- running the synthetic plan ------------------------------------------------------------- */

/* Header of the output CSV, for plan_check's source column list. */
static int output_header(const char *csv_path, csv_reader **rd, const char *const **names, mf_err *e)
{
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1};
    if (!(*rd = csv_open(csv_path, &d, e)))
        return -1;
    return csv_header(*rd, names);
}

/* The synthetic plan's compiled program evaluated record by record over the output CSV, as
 * run_plan's engine would (the same reader, the same eng_eval_record), but writing nothing: a
 * rejected record is a failing row, its reason and whether it names a column straight from the
 * worker, its line the record's line in the output. */
static int run_synthetic(const plan *sp, csv_reader *rd, const char *const *names, int nh, const char *csv_path,
                         check_result *res, mf_err *e)
{
    eng_program *g = eng_compile(sp, names, nh, csv_path, e);
    if (!g)
        return -1;
    eng_worker *w = eng_worker_new(g);
    group *gs = NULL;
    int ng = 0;
    csv_block b;
    csv_block_init(&b);
    long n;
    while ((n = csv_read_block(rd, &b, e)) > 0 && mf_interrupt_check(e) == 0)
        for (long r = 0; r < n; r++) {
            if (eng_eval_record(w, &b, (size_t)r) != ENG_REJECTED)
                continue;
            const char *reason = eng_worker_reason(w);
            group *gr = group_for(&gs, &ng, reason, strlen(reason), eng_worker_reject_col(w) >= 0);
            if (gr->n < CHECK_MAX_ROWS)
                gr->lines[gr->n] = b.line[r];
            gr->n++;
        }
    csv_block_free(&b);
    eng_worker_free(w);
    eng_program_free(g);
    if (n != 0) {   /* a read error, or interrupted */
        for (int i = 0; i < ng; i++)
            free(gs[i].reason);
        free(gs);
        return -1;
    }
    report_groups(gs, ng, res);
    return 0;
}

int chk_reviewer(const plan *p, const char *csv_path, const char *const *conds, const char *const *messages, int n,
                 check_result *res, mf_err *e)
{
    char *text = synthetic_text(p, conds, messages, n);
    plan sp;
    plan_init(&sp);
    mf_err pe;
    mf_err_clear(&pe);
    csv_reader *rd = NULL;
    const char *const *names = NULL;
    int rc = 0;
    int nh = output_header(csv_path, &rd, &names, e);
    if (nh < 0)
        rc = -1;
    else if (plan_parse(text, strlen(text), "(reviewer checks)", &sp, &pe) < 0 ||
             plan_check(&sp, names, nh, "(reviewer checks)", &pe) < 0) {
        /* A check that cannot be evaluated fails the validation; it is not a crash of the tool. */
        char msg[1400];
        mf_err_format(&pe, msg, sizeof msg);
        chk_finding(res, "check", "builtin", true, "the reviewer checks cannot be evaluated: %s", msg);
    } else
        rc = run_synthetic(&sp, rd, names, nh, csv_path, res, e);
    if (rd)
        csv_close(rd);
    plan_free(&sp);
    free(text);
    return rc;
}
