/* sample.c — a drafted plan tried on the first records of its data file (see sample.h).
 *
 * The engine evaluates a record's columns in order and the first failure rejects the row naming
 * that column, so a bad column hides the columns after it.  The check therefore runs in rounds:
 * the worst column (most rejects among the rows that reach it, more than half of them) is turned
 * into a question in the plan and into null in the runnable copy, and the sample is run again,
 * until no column is left that rejects most of its rows.  Invariant: a column is only ever taken
 * away from the draft (made a hole), never changed into another reading.
 */
#include "flow/sample.h"

#include "compile/program.h"
#include "engine/engine.h"
#include "read/csv.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/decimal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void null_holes(plan *p, plan_expr **x)
{
    if (!*x)
        return;
    if ((*x)->kind == PE_HOLE) {
        *x = plan_new_expr(p, PE_NULL);
        return;
    }
    for (int i = 0; i < 3; i++)
        null_holes(p, &(*x)->kid[i]);
    if ((*x)->kind == PE_STEP) {
        null_holes(p, &(*x)->step.cond);
        null_holes(p, &(*x)->step.value);
    }
}

int flow_runnable_copy(const plan *p, plan *q, mf_err *e)
{   /* on failure plan_parse has freed q */
    char *text = plan_render(p);
    int rc = plan_parse(text, strlen(text), "plan", q, e);
    free(text);
    if (rc < 0)
        return -1;
    for (int i = 0; i < q->ncols; i++)
        null_holes(q, &q->cols[i].expr);
    int kept = 0;
    for (int i = 0; i < q->nrules; i++)
        if (!plan_expr_has_hole(q->rules[i].cond))
            q->rules[kept++] = q->rules[i];
    q->nrules = kept;
    q->nquestions = 0;
    return 0;
}

typedef struct tally {
    long rows, filtered;
    long *reach, *rejects;      /* per column */
    long *first_line;           /* per column: the first rejected line */
    char **first_reason;        /* per column: its reason (malloc'd) */
} tally;

static void tally_free(tally *t, int ncols)
{
    for (int c = 0; c < ncols && t->first_reason; c++)
        free(t->first_reason[c]);
    free(t->reach);
    free(t->rejects);
    free(t->first_line);
    free(t->first_reason);
    memset(t, 0, sizeof *t);
}

/* One pass of the runnable copy q over the block. */
static int run_pass(const plan *q, const char *const *hdr, int nh, const csv_block *b, tally *t, mf_err *e)
{
    eng_program *g = eng_compile(q, hdr, nh, "plan", e);
    if (!g)
        return -1;
    eng_worker *w = eng_worker_new(g);
    int n = q->ncols;
    t->reach = mf_xcalloc((size_t)n + 1, sizeof *t->reach);
    t->rejects = mf_xcalloc((size_t)n + 1, sizeof *t->rejects);
    t->first_line = mf_xcalloc((size_t)n + 1, sizeof *t->first_line);
    t->first_reason = mf_xcalloc((size_t)n + 1, sizeof *t->first_reason);
    for (size_t r = 0; r < b->nrows; r++) {
        eng_fate f = eng_eval_record(w, b, r);
        t->rows++;
        if (f == ENG_FILTERED) {
            t->filtered++;
            continue;
        }
        int rc = f == ENG_REJECTED ? eng_worker_reject_col(w) : -1;
        int upto = rc >= 0 ? rc + 1 : n;
        for (int c = 0; c < upto; c++)
            t->reach[c]++;
        if (rc >= 0 && rc < n) {
            if (!t->rejects[rc]++) {
                t->first_line[rc] = b->line[r];
                t->first_reason[rc] = mf_xstrdup(eng_worker_reason(w));
            }
        }
    }
    eng_worker_free(w);
    eng_program_free(g);
    return 0;
}

/* The column that rejects most of the rows reaching it (more than half, at least 2), -1 = none. */
static int worst_column(const tally *t, int ncols)
{
    int worst = -1;
    double worst_share = 0.5;
    for (int c = 0; c < ncols; c++) {
        if (t->reach[c] < 2 || t->rejects[c] < 2)
            continue;
        double share = (double)t->rejects[c] / (double)t->reach[c];
        if (share > worst_share) {
            worst_share = share;
            worst = c;
        }
    }
    return worst;
}

static void ask_about_column(plan *p, int c, const tally *t)
{
    plan_column *col = &p->cols[c];
    char *reading = plan_render_expr(col->expr);
    mf_buf q = {0};
    if (col->prov.row)
        mf_buf_printf(&q, "Row %d ('%s'): ", col->prov.row, col->prov.text ? col->prov.text : "");
    mf_buf_printf(&q, "I read it as `%s`, but on the first rows of the data file that rejects %ld of the %ld "
                      "rows it applies to (line %ld: %s). That looks like a misreading, not bad data: what should %s "
                      "contain?",
                  reading ? reading : "?", t->rejects[c], t->reach[c], t->first_line[c],
                  t->first_reason[c] ? t->first_reason[c] : "rejected", col->name);
    free(reading);
    col->expr = plan_new_expr(p, PE_HOLE);
    plan_add_question(p, col->name, col->prov.row, plan_strdup(p, mf_buf_str(&q)));
    mf_buf_free(&q);
}

static void ask_about_filters(plan *p, long rows)
{
    mf_buf q = {0};
    mf_buf_printf(&q, "The filters (");
    int n = 0, row = 0;
    for (int i = 0; i < p->nrules; i++) {
        if (p->rules[i].kind != PR_SKIP)
            continue;
        char *c = plan_render_expr(p->rules[i].cond);
        mf_buf_printf(&q, "%s`skip rows where %s`", n++ ? ", " : "", c ? c : "?");
        free(c);
        if (!row)
            row = p->rules[i].prov.row;
    }
    mf_buf_printf(&q, ") skip all %ld of the first rows of the data file, so nothing would be output. "
                      "Are they read right?", rows);
    plan_add_question(p, NULL, row, plan_strdup(p, mf_buf_str(&q)));
    mf_buf_free(&q);
}

int flow_check_on_sample(plan *p, const char *data_path, mf_err *e)
{
    plan q;
    if (flow_runnable_copy(p, &q, e) < 0)
        return -1;                          /* plan_parse freed q */
    csv_dialect d = {0};
    d.delimiter = q.source.delimiter;
    d.quote = q.source.quote;
    d.encoding = q.source.encoding;
    d.header_line = q.source.header_line;
    int added = -1;
    csv_block b;
    csv_block_init(&b);
    csv_reader *rd = csv_open(data_path, &d, e);
    const char *const *hdr = NULL;
    int nh = rd ? csv_header(rd, &hdr) : 0;
    if (!rd || plan_check(&q, hdr, nh, "plan", e) < 0 || csv_read_block(rd, &b, e) < 0)
        goto done;
    added = 0;
    /* a column that is already a question is null here and must not reject rows (it would hide the
     * columns after it) nor be asked about twice */
    for (int c = 0; c < q.ncols; c++)
        if (plan_expr_has_hole(p->cols[c].expr))
            q.cols[c].required = false;
    for (int round = 0; round <= q.ncols; round++) {
        tally t = {0};
        if (run_pass(&q, hdr, nh, &b, &t, e) < 0) {
            tally_free(&t, q.ncols);
            added = -1;
            goto done;
        }
        if (round == 0 && t.rows >= 3 && t.filtered == t.rows) {
            ask_about_filters(p, t.rows);
            added++;
        }
        int c = worst_column(&t, q.ncols);
        if (c >= 0) {
            ask_about_column(p, c, &t);
            added++;
            q.cols[c].expr = plan_new_expr(&q, PE_NULL);
            q.cols[c].required = false;
        }
        tally_free(&t, q.ncols);
        if (c < 0)
            break;
        if (plan_check(&q, hdr, nh, "plan", e) < 0) {
            added = -1;
            goto done;
        }
    }
done:
    csv_block_free(&b);
    if (rd)
        csv_close(rd);
    plan_free(&q);
    return added;
}

/* ---- one proposed expression, tried ------------------------------------------------------------- */

void flow_trial_free(flow_trial *t)
{
    free(t->canonical);
    t->canonical = NULL;
}

static void put_val(mf_buf *b, const eng_val *v)
{
    char tmp[64];
    switch (v->t) {
    case EV_NULL: mf_buf_adds(b, "null"); break;
    case EV_TEXT:
        mf_buf_addc(b, '"');
        for (size_t i = 0; i < v->u.s.n && i < 60; i++)   /* data may hold control characters */
            mf_buf_addc(b, (unsigned char)v->u.s.p[i] < 0x20 ? '?' : v->u.s.p[i]);
        mf_buf_adds(b, v->u.s.n > 60 ? "...\"" : "\"");
        break;
    case EV_INT: mf_buf_printf(b, "%lld", (long long)v->u.i); break;
    case EV_DEC: mf_dec_format(eng_dec_of(v), tmp); mf_buf_adds(b, tmp); break;
    case EV_DATE: mf_date_format(v->u.days, tmp); mf_buf_adds(b, tmp); break;
    case EV_BOOL: mf_buf_adds(b, v->u.b ? "true" : "false"); break;
    default: mf_buf_adds(b, "?"); break;
    }
}

static void first_source(const plan_expr *x, const char **name)
{
    if (!x || *name)
        return;
    if (x->kind == PE_SOURCE) {
        *name = x->name;
        return;
    }
    for (int i = 0; i < 3; i++)
        first_source(x->kid[i], name);
    if (x->kind == PE_STEP) {
        first_source(x->step.cond, name);
        first_source(x->step.value, name);
    }
}

static int refuse(flow_trial *t, const char *fmt, const char *detail)
{
    mf_buf b = {0};
    mf_buf_printf(&b, fmt, detail);
    size_t n = b.len < sizeof t->why - 1 ? b.len : sizeof t->why - 1;
    memcpy(t->why, mf_buf_str(&b), n);
    t->why[n] = 0;
    mf_buf_free(&b);
    return 1;
}

int flow_try_expression(const plan *p, const char *column, const char *text, const char *data_path, flow_trial *t,
                        mf_err *e)
{
    memset(t, 0, sizeof *t);
    plan q;
    if (flow_runnable_copy(p, &q, e) < 0)
        return -1;
    int c = -1;
    for (int i = 0; i < q.ncols; i++)
        if (!strcmp(q.cols[i].name, column))
            c = i;
    int rc = 1;
    csv_reader *rd = NULL;
    csv_block b;
    csv_block_init(&b);
    eng_program *g = NULL;
    eng_worker *w = NULL;
    char m[900];
    mf_err pe = {0};
    plan_expr *x = c >= 0 ? plan_parse_expr(&q, text, strlen(text), "the suggestion", &pe) : NULL;
    if (c < 0) {
        rc = refuse(t, "%s is not a column of the plan", column);
        goto done;
    }
    if (!x) {
        mf_err_format(&pe, m, sizeof m);
        rc = refuse(t, "it does not parse: %s", m);
        goto done;
    }
    if (plan_expr_has_hole(x)) {
        rc = refuse(t, "%s", "it still holds a ?: an answer must be complete");
        goto done;
    }
    q.cols[c].expr = x;
    csv_dialect d = {0};
    d.delimiter = q.source.delimiter;
    d.quote = q.source.quote;
    d.encoding = q.source.encoding;
    d.header_line = q.source.header_line;
    if (!(rd = csv_open(data_path, &d, e))) {
        rc = -1;
        goto done;
    }
    const char *const *hdr = NULL;
    int nh = csv_header(rd, &hdr);
    /* the other open columns are null here and must not reject the rows */
    for (int i = 0; i < q.ncols; i++)
        if (i != c && plan_expr_has_hole(p->cols[i].expr))
            q.cols[i].required = false;
    mf_err ce = {0};
    if (plan_check(&q, hdr, nh, "plan", &ce) < 0) {
        mf_err_format(&ce, m, sizeof m);
        rc = refuse(t, "it does not type-check: %s", m);
        goto done;
    }
    if (csv_read_block(rd, &b, e) < 0 || !(g = eng_compile(&q, hdr, nh, "plan", e))) {
        rc = -1;
        goto done;
    }
    w = eng_worker_new(g);
    const char *src = NULL;
    first_source(x, &src);
    int fi = -1;
    for (int h = 0; src && h < nh; h++)
        if (!strcmp(hdr[h], src))
            fi = h;
    char first_reason[300] = "";
    long first_line = 0;
    mf_buf line = {0};
    for (size_t r = 0; r < b.nrows; r++) {
        eng_fate f = eng_eval_record(w, &b, r);
        if (f == ENG_FILTERED)
            continue;
        int rj = f == ENG_REJECTED ? eng_worker_reject_col(w) : -1;
        if (rj >= 0 && rj < c)
            continue;   /* rejected before it: the column was not reached */
        t->reach++;
        if (rj == c) {
            if (!t->rejects++) {
                snprintf(first_reason, sizeof first_reason, "%s", eng_worker_reason(w));
                first_line = b.line[r];
            }
            continue;
        }
        if (t->npreview < 3) {
            mf_buf_clear(&line);
            mf_buf_printf(&line, "line %ld: ", b.line[r]);
            if (fi >= 0 && (uint32_t)fi < b.nfields[r]) {
                const char *s = b.fptr[b.first[r] + (uint32_t)fi];
                uint32_t n = b.flen[b.first[r] + (uint32_t)fi];
                mf_buf_printf(&line, "[%s] \"", src);
                for (uint32_t k = 0; k < n && k < 40; k++)
                    mf_buf_addc(&line, (unsigned char)s[k] < 0x20 ? '?' : s[k]);
                mf_buf_adds(&line, n > 40 ? "...\" -> " : "\" -> ");
            } else {
                mf_buf_adds(&line, "-> ");
            }
            put_val(&line, &eng_worker_values(w)[c]);
            snprintf(t->preview[t->npreview++], sizeof t->preview[0], "%s", mf_buf_str(&line));
        }
    }
    mf_buf_free(&line);
    if (t->reach > 0 && t->rejects * 2 > t->reach) {
        mf_buf detail = {0};
        mf_buf_printf(&detail, "%ld of the %ld sampled rows that reach %s (line %ld: %s)", t->rejects, t->reach,
                      column, first_line, first_reason);
        rc = refuse(t, "on the data's first rows it rejects %s", mf_buf_str(&detail));
        mf_buf_free(&detail);
        goto done;
    }
    t->canonical = plan_render_expr(x);
    rc = 0;
done:
    eng_worker_free(w);
    eng_program_free(g);
    csv_block_free(&b);
    if (rd)
        csv_close(rd);
    plan_free(&q);
    return rc;
}
