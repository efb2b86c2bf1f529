/* draft.c — the planner: a mapping plus a profile of the data become a draft plan.
 *
 * For each mapping row: resolve its sources to data columns (mapping_match_column), read its
 * type text into a plan type, and let the rule vocabulary (rules.c) read its rule into an
 * expression, skip/reject rules, lookups and questions.  Decisions (docs/rule-vocabulary.md):
 *   - a source matching a data column with confidence >= 0.85 is used silently; 0.6..0.85 is
 *     used and an open question asks whether it is the right column; below 0.6 it is unresolved
 *     (the column becomes a hole with a question when the rule needs it);
 *   - a type text that is not recognised becomes a question (the column is typed text and = ?);
 *     an empty type text means text (the value as is);
 *   - rows with neither target, source nor rule (spacers, notes) are left out;
 *   - output name: opt->output_name, else the mapping's title, else the mapping sheet's name
 *     unless it is generic ("Mapping", "Sheet1"), else the mapping file's base name — as an
 *     upper-case identifier.
 * Invariant: the draft never guesses: whatever it could not decide is a hole or a question.
 */
#include "plan/draft.h"

#include "plan/rules.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- types ----------------------------------------------------------------------------------- */

/* Words before "(": lower-cased, with spaces, hyphens, slashes removed ("Y/N" -> "yn"). */
static void type_word(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && *s != '(' && o + 1 < cap; s++)
        if (isalnum((unsigned char)*s))
            out[o++] = (char)tolower((unsigned char)*s);
    out[o] = 0;
}

static bool in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list))
            return true;
    return false;
}

/* Read the mapping's type text.  scale_hint: the sampled number of decimals (-1 = unknown).
 * Returns false when the text is not a type I know. */
static bool read_type(const char *text, int scale_hint, plan_type *t)
{
    static const char *const TEXT[] = {"varchar", "varchar2", "nvarchar", "nvarchar2", "char", "nchar",
                                       "string", "text", "str", "alphanumeric", "alpha", "alphanum",
                                       "character", "charactervarying", "x", "an", "clob", NULL};
    static const char *const DEC[] = {"decimal", "numeric", "number", "num", "dec", "float", "double",
                                      "real", NULL};
    static const char *const MONEY[] = {"amount", "money", "currency", "curr", "amt", NULL};
    static const char *const INT[] = {"int", "integer", "smallint", "tinyint", "int32", "int4", "int2", NULL};
    static const char *const BIG[] = {"bigint", "long", "int64", "int8", NULL};
    static const char *const BOOL[] = {"boolean", "bool", "flag", "yn", "yesno", "bit", "indicator", NULL};
    static const char *const DATE[] = {"date", NULL};
    static const char *const TS[] = {"timestamp", "datetime", "datetime2", "timestamptz", NULL};
    char w[64];
    memset(t, 0, sizeof *t);
    type_word(text, w, sizeof w);
    const char *par = strchr(text, '(');
    long a = -1, b = -1;
    if (par) {
        char *end;
        a = strtol(par + 1, &end, 10);
        while (*end == ' ')
            end++;
        if (*end == ',') {
            b = strtol(end + 1, &end, 10);
            while (*end == ' ')
                end++;
        }
        if (*end != ')' || a < 0)
            return false;
    }
    if (!*w) {
        if (*text)
            return false;
        t->base = PT_TEXT;   /* no type given: the value as is */
        return true;
    }
    if (in_list(w, TEXT)) {
        t->base = PT_TEXT;
        t->len = par ? (int)a : 0;
        return b < 0 && (!par || a > 0);
    }
    if (in_list(w, DEC) || in_list(w, MONEY)) {
        t->base = PT_DECIMAL;
        if (par) {
            if (a < 1 || a > 38 || b > a)
                return false;
            t->prec = (int)a;
            t->scale = b < 0 ? 0 : (int)b;
        } else {
            t->prec = 18;
            t->scale = in_list(w, MONEY) || scale_hint < 0 ? 2 : scale_hint > 12 ? 12 : scale_hint;
        }
        return true;
    }
    if (par)
        return false;
    if (in_list(w, INT)) t->base = PT_INTEGER;
    else if (in_list(w, BIG)) t->base = PT_BIGINT;
    else if (in_list(w, BOOL)) t->base = PT_BOOLEAN;
    else if (in_list(w, DATE)) t->base = PT_DATE;
    else if (in_list(w, TS)) t->base = PT_TIMESTAMP;
    else return false;
    return true;
}

/* ---- names ----------------------------------------------------------------------------------- */

static const char *identifier(plan *p, const char *s)
{
    char out[128];
    size_t o = 0;
    for (; *s && o + 1 < sizeof out; s++) {
        if (isalnum((unsigned char)*s))
            out[o++] = (char)toupper((unsigned char)*s);
        else if (o && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o && out[o - 1] == '_')
        o--;
    out[o] = 0;
    if (!o)
        return NULL;
    if (isdigit((unsigned char)out[0])) {
        char tmp[140];
        snprintf(tmp, sizeof tmp, "T_%s", out);
        return plan_strdup(p, tmp);
    }
    return plan_strdup(p, out);
}

static const char *output_name(const mapping *m, const draft_options *opt, plan *p)
{
    if (opt && opt->output_name && *opt->output_name)
        return plan_strdup(p, opt->output_name);
    if (m->output_name && *m->output_name) {
        const char *id = identifier(p, m->output_name);
        if (id)
            return id;
    }
    static const char *const GENERIC[] = {"mapping", "map", "sheet1", "sheet", "mappings", "fieldmapping",
                                          "sourcetotarget", "s2t", "stt", NULL};
    if (m->sheet && *m->sheet) {
        char w[64];
        type_word(m->sheet, w, sizeof w);
        if (*w && !in_list(w, GENERIC)) {
            const char *id = identifier(p, m->sheet);
            if (id)
                return id;
        }
    }
    if (m->path) {
        const char *base = strrchr(m->path, '/');
        base = base ? base + 1 : m->path;
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%s", base);
        char *dot = strrchr(tmp, '.');
        if (dot)
            *dot = 0;
        const char *id = identifier(p, tmp);
        if (id)
            return id;
    }
    return plan_strdup(p, "OUTPUT");
}

static const char *base_name(const char *path)
{
    if (!path)
        return NULL;
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- sources --------------------------------------------------------------------------------- */

static void question(plan *p, const char *col, int row, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void question(plan *p, const char *col, int row, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    plan_add_question(p, col, row, buf);
}

/* Resolve one written source name.  A doubtful match (0.6..0.85) is used and asked about; a
 * source that matches nothing is left unresolved (name NULL): the rule reader asks about it when
 * the rule needs it, draft_row otherwise — one question per source, never two. */
static void resolve_source(plan *p, const profile *pr, const char *const *hdr, const map_row *row, const char *col,
                           const char *written, rule_src *out)
{
    out->written = written;
    out->name = NULL;
    out->prof = NULL;
    if (!pr || pr->ncols <= 0)
        return;
    map_match mm = mapping_match_column(written, hdr, pr->ncols);
    if (mm.col < 0 || mm.confidence < 0.6)
        return;
    out->name = hdr[mm.col];
    out->prof = &pr->col[mm.col];
    if (mm.confidence < 0.85)
        question(p, col, row->row,
                 "Source '%s' on row %d matches data column '%s' only by %s (%.2f): is that the right column?",
                 written, row->row, hdr[mm.col], mm.how ? mm.how : "similarity", mm.confidence);
}

/* The row's sources as written: the split list, else the single source text. */
static int row_nsources(const map_row *row)
{
    return row->nsources > 0 ? row->nsources : (row->source && *row->source ? 1 : 0);
}

static const char *row_source(const map_row *row, int i)
{
    return row->nsources > 0 ? row->sources[i] : row->source;
}

/* A mapping none of whose source fields matches a column of the data file is the wrong file (or
 * the wrong mapping), not a plan full of questions: an error that lists both sides. */
static int check_any_source_matches(const mapping *m, const profile *pr, const char *const *hdr, const char *file,
                                    mf_err *e)
{
    if (!pr || pr->ncols <= 0)
        return 0;
    int with_source = 0;
    for (int i = 0; i < m->nrows; i++) {
        const map_row *row = &m->rows[i];
        int n = row_nsources(row);
        with_source += n > 0;
        for (int k = 0; k < n; k++) {
            map_match mm = mapping_match_column(row_source(row, k), hdr, pr->ncols);
            if (mm.col >= 0 && mm.confidence >= 0.6)
                return 0;
        }
    }
    if (!with_source)
        return 0;
    mf_buf cols = {0}, srcs = {0};
    for (int i = 0; i < pr->ncols && cols.len < 400; i++)
        mf_buf_printf(&cols, "%s'%s'", i ? ", " : "", hdr[i]);
    for (int i = 0; i < m->nrows && srcs.len < 400; i++)
        for (int k = 0; k < row_nsources(&m->rows[i]); k++)
            mf_buf_printf(&srcs, "%s'%s'", srcs.len ? ", " : "", row_source(&m->rows[i], k));
    mf_fail(e, MF_EDATA, file, 0, 0,
            "no source field of the mapping %s matches a column of this data file; the data has columns %s, the "
            "mapping names %s: is it the right data file (or header line)?",
            m->path ? m->path : "", mf_buf_str(&cols), mf_buf_str(&srcs));
    mf_buf_free(&cols);
    mf_buf_free(&srcs);
    return -1;
}

static bool row_empty(const map_row *r)
{
    return (!r->target || !*r->target) && (!r->source || !*r->source) && (!r->rule || !*r->rule);
}

static const char *prov_text(plan *p, const map_row *r)
{
    if (r->rule && *r->rule)
        return plan_strdup(p, r->rule);
    if (r->comments && *r->comments)
        return plan_strdup(p, r->comments);
    return plan_strdup(p, "no rule");
}

static int draft_row(const mapping *m, const profile *pr, const char *const *hdr, const map_row *row, plan *p,
                     mf_err *e)
{
    const char *target = row->target && *row->target ? row->target : NULL;
    int nsrc = row_nsources(row);
    rule_src *src = mf_arena_alloc(&p->arena, sizeof(rule_src) * (size_t)(nsrc ? nsrc : 1));
    for (int i = 0; i < nsrc; i++)
        resolve_source(p, pr, hdr, row, target, row_source(row, i), &src[i]);

    int scale_hint = src[0].prof && nsrc ? src[0].prof->max_scale : -1;
    plan_type type = {0};
    bool type_ok = true;
    if (target && !read_type(row->type ? row->type : "", scale_hint, &type)) {
        type_ok = false;
        type.base = PT_TEXT;
        question(p, target, row->row, "Type '%s' of %s on row %d is not a type I know: which type is it (text(n), "
                 "integer, bigint, decimal(p,s), date, timestamp, boolean)?", row->type, target, row->row);
    }
    /* a duplicate target would silently overwrite: ask */
    for (int i = 0; target && i < p->ncols; i++)
        if (!strcasecmp(p->cols[i].name, target)) {
            question(p, target, row->row, "Target %s appears again on row %d: which row is right?", target, row->row);
            return 0;
        }

    rule_ctx c = {.p = p, .m = m, .pr = pr, .row = row->row, .column = target, .type = type,
                  .nsrc = nsrc, .src = src};
    rule_result res;
    if (rules_read(&c, row->rule ? row->rule : "", &res, e) < 0)
        return -1;
    /* an unmatched source the rule did not need (its question already names it otherwise) */
    for (int i = 0; res.understood && pr && pr->ncols > 0 && i < nsrc; i++)
        if (!src[i].name)
            question(p, target, row->row, "Source '%s' on row %d matches no column of the data file: which "
                     "column is it?", src[i].written, row->row);
    if (!target)
        return 0;
    plan_column *col = plan_add_column(p, target, type);
    col->required = row->mandatory || res.required;
    col->expr = type_ok && res.expr ? res.expr : plan_new_expr(p, PE_HOLE);
    col->prov.row = row->row;
    col->prov.text = prov_text(p, row);
    return 0;
}

int plan_draft(const mapping *m, const profile *pr, const draft_options *opt, plan *out, mf_err *e)
{
    if (!m)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "plan_draft needs a mapping");
    plan_init(out);
    out->client = plan_strdup(out, opt && opt->client ? opt->client : "CLIENT");
    out->version = 1;
    const char *file = opt && opt->data_name ? opt->data_name : pr ? base_name(pr->path) : NULL;
    out->source.file = plan_strdup(out, file ? file : "data.csv");
    if (pr) {
        out->source.delimiter = pr->dialect.delimiter ? pr->dialect.delimiter : ',';
        out->source.quote = pr->dialect.quote;
        out->source.encoding = pr->dialect.encoding;
        out->source.header_line = pr->dialect.header_line > 0 ? pr->dialect.header_line : 1;
    } else {
        out->source.delimiter = ',';
        out->source.quote = '"';
        out->source.header_line = 1;
    }
    out->output = output_name(m, opt, out);

    int nh = pr ? pr->ncols : 0;
    const char **hdr = mf_arena_alloc(&out->arena, sizeof(char *) * (size_t)(nh ? nh : 1));
    for (int i = 0; i < nh; i++)
        hdr[i] = pr->col[i].name ? pr->col[i].name : "";
    if (check_any_source_matches(m, pr, hdr, pr && pr->path ? pr->path : file, e) < 0) {
        plan_free(out);
        return -1;
    }
    for (int i = 0; i < m->nrows; i++) {
        if (row_empty(&m->rows[i]))
            continue;
        if (draft_row(m, pr, hdr, &m->rows[i], out, e) < 0) {
            plan_free(out);
            return -1;
        }
    }
    return 0;
}
