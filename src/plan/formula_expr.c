/* formula_expr.c — a formula's syntax tree translated into typed plan expressions.
 *
 * SQL and Excel are loosely typed; the plan language is not.  Every translated value carries its
 * kind (text, number, date, boolean, null) and conversions are inserted where the formula's
 * context needs another kind: a source column (always text) in a numeric context is read as a
 * number in the format its sample shows, in a date context with the pattern a remark or the
 * function states (checked against the sample) or the one the sample shows.  Derived texts are
 * checked the same way through formula_sample.c.  Semantics follow the dialect: Excel's `=` on
 * text ignores case (both sides upper-cased), Excel's blank `<>` "x" is true, Excel's TRIM also
 * squeezes inner spaces; SQL's `=` is exact and a null comparison is false.
 * Invariants: a construct the plan language cannot express exactly, or a reading the sample
 * contradicts, is a sentence in fctx.why and a NULL expression — never an approximation; names
 * resolve to the row's sources, data columns, earlier output columns, or (Excel) a column letter.
 */
#include "plan/formula_internal.h"

#include "mapping/mapping.h"
#include "plan/tabs.h"
#include "util/date.h"
#include "util/decimal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fx_say(fctx *x, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    infer_say(&x->why, "%s", buf);
}

static fx_value none(void)
{
    return (fx_value){0};
}

static fx_value val(plan_expr *e, fv_kind k)
{
    return (fx_value){.e = e, .k = e ? k : FV_NULL};
}

static fx_value written_as(fctx *x, plan_expr *date, const char *fmt, const char *fn);

static bool failed(const fctx *x)
{
    return x->why.len > 0;
}

static plan_expr *stepped(fctx *x, plan_expr *e, plan_step_kind k)
{
    return plan_with_step(x->p, e, k);
}

/* ---- names ----------------------------------------------------------------------------------- */

const prof_column *fx_prof(const fctx *x, const char *name)
{
    const rule_ctx *c = x->c;
    if (!name)
        return NULL;
    for (int i = 0; i < c->nsrc; i++)
        if (c->src[i].name && !strcmp(c->src[i].name, name) && c->src[i].prof)
            return c->src[i].prof;
    for (int i = 0; c->pr && i < c->pr->ncols; i++)
        if (c->pr->col[i].name && !strcmp(c->pr->col[i].name, name))
            return &c->pr->col[i];
    return NULL;
}

static fv_kind kind_of_type(plan_type t)
{
    switch (t.base) {
    case PT_TEXT: return FV_TEXT;
    case PT_INTEGER:
    case PT_BIGINT:
    case PT_DECIMAL: return FV_NUM;
    case PT_DATE: return FV_DATE;
    case PT_BOOLEAN: return FV_BOOL;
    default: return FV_NULL;
    }
}

/* A data column named exactly (case-sensitive or not): the row's own sources first. */
static const char *data_column(const fctx *x, const char *name, bool exact_case)
{
    int (*cmp)(const char *, const char *) = exact_case ? strcmp : strcasecmp;
    const rule_ctx *c = x->c;
    for (int i = 0; i < c->nsrc; i++)
        if (c->src[i].name && ((c->src[i].written && !cmp(c->src[i].written, name)) || !cmp(c->src[i].name, name)))
            return c->src[i].name;
    for (int i = 0; c->pr && i < c->pr->ncols; i++)
        if (c->pr->col[i].name && !cmp(c->pr->col[i].name, name))
            return c->pr->col[i].name;
    return NULL;
}

const char *fx_data_column(const fctx *x, const char *phrase)
{
    const char *dc = data_column(x, phrase, false);
    const profile *pr = x->c->pr;
    if (dc || !pr || pr->ncols <= 0)
        return dc;
    const char *hdr[512];
    int nh = pr->ncols < 512 ? pr->ncols : 512;
    for (int i = 0; i < nh; i++)
        hdr[i] = pr->col[i].name ? pr->col[i].name : "";
    map_match mm = mapping_match_column(phrase, hdr, nh);
    return mm.col >= 0 && mm.confidence >= 0.95 ? hdr[mm.col] : NULL;
}

static const plan_column *output_column(const fctx *x, const char *name, bool exact_case)
{
    for (int i = 0; i < x->p->ncols; i++)
        if (exact_case ? !strcmp(x->p->cols[i].name, name) : !strcasecmp(x->p->cols[i].name, name))
            return &x->p->cols[i];
    return NULL;
}

/* Column letters (A, AB, $C) of a cell reference A2 / $C$2 / A: -1 when name is not one. */
static int cell_column(const char *name, bool need_row)
{
    const char *q = name;
    if (*q == '$')
        q++;
    int col = 0, nl = 0;
    while (*q >= 'A' && *q <= 'Z' && nl < 3) {
        col = col * 26 + (*q - 'A' + 1);
        q++, nl++;
    }
    if (!nl)
        return -1;
    if (*q == '$')
        q++;
    int nd = 0;
    while (isdigit((unsigned char)*q))
        q++, nd++;
    if (*q || (need_row && !nd))
        return -1;
    return col - 1;
}

static fx_value source_value(fctx *x, const char *name)
{
    return val(plan_source_ref(x->p, name), FV_TEXT);
}

static fx_value output_value(fctx *x, const plan_column *oc)
{
    if (oc->type.base == PT_TIMESTAMP || oc->type.base == PT_UNKNOWN) {
        fx_say(x, "It uses the output column %s, whose type the formula cannot use.", oc->name);
        return none();
    }
    plan_expr *e = plan_new_expr(x->p, PE_OUTPUT);
    e->name = oc->name;
    return val(e, kind_of_type(oc->type));
}

/* A name of the formula: the row's sources, a data column, an earlier output column (exact case
 * first, then any case; outputs first when a remark says the names are target columns), a data
 * column by similarity, or an Excel column letter (a remark may bind a letter to a column). */
static fx_value resolve(fctx *x, const char *name, bool cell_ok)
{
    for (int pass = 0; pass < 2; pass++) {
        bool exact = pass == 0;
        const plan_column *oc = x->in_where ? NULL : output_column(x, name, exact);
        const char *dc = data_column(x, name, exact);
        if (oc && (x->prefer_outputs || !dc))
            return output_value(x, oc);
        if (dc)
            return source_value(x, dc);
    }
    for (int i = 0; i < x->nbind; i++)
        if (!strcasecmp(x->bind_letter[i], name) ||
            (cell_column(name, false) >= 0 && cell_column(x->bind_letter[i], false) == cell_column(name, false)))
            return source_value(x, x->bind_col[i]);
    const profile *pr = x->c->pr;
    if (pr && pr->ncols > 0) {
        const char *hdr[512];
        int nh = pr->ncols < 512 ? pr->ncols : 512;
        for (int i = 0; i < nh; i++)
            hdr[i] = pr->col[i].name ? pr->col[i].name : "";
        /* only a near-exact spelling (TRANS_DATE for "Trans Date"): a prose word must not become a column */
        map_match mm = mapping_match_column(name, hdr, nh);
        if (mm.col >= 0 && mm.confidence >= 0.95)
            return source_value(x, hdr[mm.col]);
        int cc = cell_column(name, !cell_ok);
        if (cc >= 0 && cc < pr->ncols && (x->excel || cell_ok))
            return source_value(x, hdr[cc]);
    }
    x->unresolved = true;
    fx_say(x, "\"%s\" names no column of the data file and no output column above.", name);
    return none();
}

/* ---- literals -------------------------------------------------------------------------------- */

/* 19% -> 0.19 (the digits as written, the point moved two places). */
static const char *percent_text(fctx *x, const char *num)
{
    const char *dot = strchr(num, '.');
    size_t ip = dot ? (size_t)(dot - num) : strlen(num);
    char digits[80];
    int nd = snprintf(digits, sizeof digits, "%.*s%s", (int)ip, num, dot ? dot + 1 : "");
    if (nd < 0 || (size_t)nd >= sizeof digits)
        return num;
    long point = (long)ip - 2;    /* digits before the point */
    mf_buf b = {0};
    if (point <= 0) {
        mf_buf_adds(&b, "0.");
        for (long k = point; k < 0; k++)
            mf_buf_addc(&b, '0');
        mf_buf_adds(&b, digits);
    } else {
        mf_buf_add(&b, digits, (size_t)point);
        if (digits[point])
            mf_buf_printf(&b, ".%s", digits + point);
    }
    const char *r = mf_arena_strdup(&x->p->arena, mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

static bool lit_int(const fx_node *n, long *out)
{
    if (n && n->kind == FX_NEG && n->kid[0] && n->kid[0]->kind == FX_NUM && !strchr(n->kid[0]->s, '.')) {
        *out = -strtol(n->kid[0]->s, NULL, 10);
        return true;
    }
    if (!n || n->kind != FX_NUM || n->pct || strchr(n->s, '.') || strlen(n->s) > 9)
        return false;
    *out = strtol(n->s, NULL, 10);
    return true;
}

static const char *lit_str(const fx_node *n)
{
    return n && n->kind == FX_STR ? n->s : NULL;
}

static bool is_lit(const fx_node *n)
{
    return n && (n->kind == FX_STR || n->kind == FX_NUM || n->kind == FX_NULL || n->kind == FX_BOOL ||
                 (n->kind == FX_NEG && n->kid[0] && n->kid[0]->kind == FX_NUM));
}

/* ---- conversions ----------------------------------------------------------------------------- */

static const char *base_source(const plan_expr *e)
{
    while (e) {
        if (e->kind == PE_SOURCE)
            return e->name;
        if (e->kind == PE_STEP || e->kind == PE_BINARY)
            e = e->kid[0];
        else if (e->kind == PE_IF)
            e = e->kid[1] && e->kid[1]->kind != PE_NULL ? e->kid[1] : e->kid[2];
        else
            return NULL;
    }
    return NULL;
}

static plan_expr *to_text(fctx *x, fx_value v, const char *fn)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_TEXT || v.k == FV_NULL)
        return v.e;
    if (v.k == FV_NUM && v.e->kind == PE_NUMBER)
        return plan_text_lit(x->p, v.e->text);
    if (v.k == FV_DATE && !x->excel) {   /* SQL writes a date as text in ISO form (Excel: its serial) */
        plan_expr *e = stepped(x, v.e, PS_FORMAT_DATE);
        e->step.s = "YYYY-MM-DD";
        return e;
    }
    fx_say(x, "%s uses a %s as text, and the plan language has no step that writes one as text.", fn,
           v.k == FV_NUM ? "number" : v.k == FV_DATE ? "date" : "true/false value");
    return NULL;
}

/* Text read as a number: the sample's format overlaid by h, checked against the sample. */
static plan_expr *read_number(fctx *x, plan_expr *e, const infer_numhint *h, bool integer)
{
    const prof_column *pc = fx_sample_column(x, e);
    mf_buf w = {0};
    plan_expr *r = infer_read_number(x->p, e, pc, h, integer, &w);
    if (w.len) {
        infer_say(&x->why, "%s", mf_buf_str(&w));
        r = NULL;
    }
    mf_buf_free(&w);
    return r;
}

static plan_expr *to_num(fctx *x, fx_value v, const char *fn, bool integer)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_NUM || v.k == FV_NULL)
        return v.e;
    if (v.k == FV_TEXT) {
        if (v.e->kind == PE_TEXT) {
            mf_dec d;
            if (!mf_dec_parse_fmt(v.e->text, strlen(v.e->text), 0, '.', false, false, NULL, &d)) {
                fx_say(x, "%s uses the text '%s' as a number.", fn, v.e->text);
                return NULL;
            }
            return plan_number_lit(x->p, v.e->text);
        }
        return read_number(x, v.e, NULL, integer);
    }
    fx_say(x, "%s uses a %s as a number.", fn, v.k == FV_DATE ? "date" : "true/false value");
    return NULL;
}

/* Excel counts a blank cell as 0 in arithmetic and numeric comparisons (the plan's null would
 * make the result null, or the comparison false): a source whose sample has blanks defaults to 0. */
static plan_expr *blank_is_zero(fctx *x, fx_value v, plan_expr *num)
{
    if (!x->excel || !num || v.k != FV_TEXT || v.e->kind == PE_TEXT)
        return num;
    const prof_column *pc = fx_sample_column(x, v.e);
    bool blanks = pc && pc->nblank > 0;
    for (long i = 0; pc && i < pc->nsample; i++)
        blanks |= !pc->sample[i] || !*pc->sample[i];
    if (!blanks)
        return num;
    plan_expr *d = stepped(x, num, PS_DEFAULT);
    d->step.value = plan_number_lit(x->p, "0");
    return d;
}

static const char *stated_pattern(const fctx *x, const char *col)
{
    for (int i = 0; col && i < x->ncolpat; i++)
        if (!strcmp(x->colpat_col[i], col))
            return x->colpat_pat[i];
    return x->date_all;
}

/* Two-digit years read the same with the pivot 1950 and 2000 only below 50: databases differ on
 * 98 (Oracle's YY is this century, RR and the plan's default 1950-2049), so a sampled year of 50 or
 * more needs the century said ("all years are 20xx"). */
static bool century_clear(fctx *x, const prof_column *pc, const char *pattern, const char *fn)
{
    for (long i = 0; pc && i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        int32_t a, b;
        if (v && mf_date_parse(pattern, v, strlen(v), 1950, &a) && mf_date_parse(pattern, v, strlen(v), 2000, &b) &&
            a != b) {
            fx_say(x, "%s reads two-digit years, and the sampled value \"%s\" could be 19xx or 20xx: which century?",
                   fn, v);
            return false;
        }
    }
    return true;
}

/* Text read as a date: the pattern given (by the function or a remark) checked against the
 * sample, else the one the sample shows. */
static plan_expr *read_date(fctx *x, plan_expr *e, const char *pattern, const char *fn)
{
    const char *col = base_source(e);
    const prof_column *pc = fx_sample_column(x, e);
    if (!pattern)
        pattern = stated_pattern(x, col);
    if (pattern) {
        const char *bad = NULL, *better = NULL;
        if (!infer_date_fits(pc, pattern, &bad, &better)) {
            fx_say(x, "%s reads %s as %s, but the sampled value \"%s\" does not read with it%s%s. Which format "
                      "is right?", fn, pc && pc->name ? pc->name : "the value", pattern, bad ? bad : "",
                   better ? "; more of the sample reads as " : "", better ? better : "");
            return NULL;
        }
    } else {
        mf_buf w = {0};
        pattern = infer_date_pattern(pc, pc && pc->name ? pc->name : col ? col : "the value", &w);
        if (!pattern) {
            infer_say(&x->why, "%s", mf_buf_str(&w));
            mf_buf_free(&w);
            return NULL;
        }
        mf_buf_free(&w);
    }
    if (!strcmp(pattern, "ISO"))
        return stepped(x, e, PS_READ_ISO);
    if (!strcmp(pattern, "EXCEL"))
        return stepped(x, e, PS_READ_EXCEL);
    if (strstr(pattern, "YY") && !strstr(pattern, "YYYY") && !x->pivot && !century_clear(x, pc, pattern, fn))
        return NULL;
    plan_expr *r = stepped(x, e, PS_READ_DATE);
    r->step.s = plan_strdup(x->p, pattern);
    if (strstr(pattern, "YY") && !strstr(pattern, "YYYY"))
        r->step.n = x->pivot ? x->pivot : 1950;
    return r;
}

static plan_expr *to_date(fctx *x, fx_value v, const char *fn)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_DATE || v.k == FV_NULL)
        return v.e;
    if (v.k == FV_TEXT)
        return read_date(x, v.e, NULL, fn);
    /* a source read as a number used as a date: an Excel serial day number */
    if (v.k == FV_NUM && v.e->kind == PE_STEP &&
        (v.e->step.kind == PS_READ_NUMBER || v.e->step.kind == PS_READ_INTEGER) && v.e->kid[0]->kind == PE_SOURCE)
        return read_date(x, v.e->kid[0], "EXCEL", fn);
    fx_say(x, "%s uses a %s as a date.", fn, v.k == FV_NUM ? "number" : "true/false value");
    return NULL;
}

static plan_expr *to_bool(fctx *x, fx_value v, const char *fn)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_BOOL || v.k == FV_NULL)
        return v.e;
    if (v.k == FV_TEXT && v.e->kind == PE_SOURCE) {
        mf_buf w = {0};
        plan_expr *r = infer_read_bool(x->p, v.e, fx_prof(x, v.e->name), v.e->name, &w);
        if (!r)
            infer_say(&x->why, "%s", mf_buf_str(&w));
        mf_buf_free(&w);
        return r;
    }
    fx_say(x, "%s uses a value that is not true or false as a condition.", fn);
    return NULL;
}

/* ---- conditions ------------------------------------------------------------------------------ */

static plan_expr *cond_node(fctx *x, plan_expr_kind k, plan_expr *a, plan_expr *b)
{
    if (!a || (k != PE_NOT && k != PE_MISSING && k != PE_PRESENT && !b))
        return NULL;
    plan_expr *e = plan_new_expr(x->p, k);
    e->kid[0] = a;
    e->kid[1] = b;
    return e;
}

static plan_expr *cmp(fctx *x, int op, plan_expr *a, plan_expr *b)
{
    if (!a || !b)
        return NULL;
    plan_expr *e = plan_new_expr(x->p, PE_CMP);
    e->op = op;
    e->kid[0] = a;
    e->kid[1] = b;
    return e;
}

/* NOT c.  SQL's logic has a third value: NOT (x = 'A') is not true when x is null, where the
 * plan's `not` of a false comparison is true.  So in SQL the negation is pushed down to the
 * comparisons (De Morgan holds in three-valued logic) and a test of a value that may be null is
 * guarded with "is present": the result is true exactly when SQL's is.  Excel has two values
 * (a blank compares as empty), which the plan's `not` already gives. */
static plan_expr *negate(fctx *x, plan_expr *c)
{
    if (!c)
        return NULL;
    if (x->excel)
        return cond_node(x, PE_NOT, c, NULL);
    switch (c->kind) {
    case PE_AND:
    case PE_OR:
        return cond_node(x, c->kind == PE_AND ? PE_OR : PE_AND, negate(x, c->kid[0]), negate(x, c->kid[1]));
    case PE_NOT: return c->kid[0];
    case PE_MISSING: return cond_node(x, PE_PRESENT, c->kid[0], NULL);
    case PE_PRESENT: return cond_node(x, PE_MISSING, c->kid[0], NULL);
    case PE_CMP: {
        static const int FLIP[][2] = {{PB_EQ, PB_NE}, {PB_NE, PB_EQ}, {PB_LT, PB_GE}, {PB_GE, PB_LT},
                                      {PB_GT, PB_LE}, {PB_LE, PB_GT}};
        for (size_t k = 0; k < sizeof FLIP / sizeof *FLIP; k++)
            if (c->op == FLIP[k][0])
                return cmp(x, FLIP[k][1], c->kid[0], c->kid[1]);
        return NULL;
    }
    case PE_BOOL: {
        plan_expr *b = plan_new_expr(x->p, PE_BOOL);
        b->flag = !c->flag;
        return b;
    }
    case PE_IN:
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS:
        return cond_node(x, PE_AND, cond_node(x, PE_PRESENT, c->kid[0], NULL), cond_node(x, PE_NOT, c, NULL));
    default:
        return cond_node(x, PE_AND, cond_node(x, PE_PRESENT, c, NULL), cond_node(x, PE_NOT, c, NULL));
    }
}

static bool has_letters(const char *s)
{
    for (; *s; s++)
        if (isalpha((unsigned char)*s) || (unsigned char)*s >= 0x80)
            return true;
    return false;
}

static const char *upper_text(fctx *x, const char *s)
{
    char *u = mf_arena_strdup(&x->p->arena, s);
    for (char *q = u; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    return u;
}

/* Excel compares text without case: both sides upper-cased (a literal is upper-cased here). */
static plan_expr *fold_case(fctx *x, plan_expr *e)
{
    if (e->kind == PE_TEXT)
        return has_letters(e->text) ? plan_text_lit(x->p, upper_text(x, e->text)) : e;
    return stepped(x, e, PS_UPPER);
}

static bool is_date_literal(const fx_node *n, int32_t *d)
{
    const char *s = lit_str(n);
    return s && mf_date_parse("YYYY-MM-DD", s, strlen(s), 0, d);
}

static plan_expr *date_constant(fctx *x, const char *s)
{
    plan_expr *e = stepped(x, plan_text_lit(x->p, s), PS_READ_ISO);
    return e;
}

/* SQL databases disagree on whether 'a' = 'A' (collations): when the sample holds a value equal to
 * the literal only without case, the comparison's meaning depends on it — a question. */
static bool case_doubt(fctx *x, const prof_column *pc, const char *lit, const char *fn)
{
    if (x->excel || !pc || !has_letters(lit))
        return false;
    const char *other = NULL;
    for (long i = 0; i < pc->nsample && !other; i++) {
        const char *v = pc->sample[i];
        if (v && strcmp(v, lit) && !strcasecmp(v, lit))
            other = v;
    }
    if (!other)
        return false;
    fx_say(x, "%s compares with '%s', and the sample of %s has \"%s\": should case be ignored?", fn, lit, pc->name,
           other);
    return true;
}

/* a OP b for one of = <> < <= > >=, by the kinds of the operands. */
static plan_expr *comparison(fctx *x, const fx_node *n)
{
    static const int OPS[][2] = {{'=', PB_EQ}, {'!', PB_NE}, {'<', PB_LT}, {'l', PB_LE}, {'>', PB_GT}, {'g', PB_GE}};
    int op = 0;
    for (size_t k = 0; k < sizeof OPS / sizeof *OPS; k++)
        if (OPS[k][0] == n->op)
            op = OPS[k][1];
    const fx_node *ln = n->kid[0], *rn = n->kid[1];
    /* x = "" / x <> "": blank tests (an empty text is null) */
    if ((op == PB_EQ || op == PB_NE) && (lit_str(rn) || lit_str(ln)) && !*(lit_str(rn) ? lit_str(rn) : lit_str(ln))) {
        fx_value v = fx_translate(x, lit_str(rn) ? ln : rn);
        return v.e ? cond_node(x, op == PB_EQ ? PE_MISSING : PE_PRESENT, v.e, NULL) : NULL;
    }
    fx_value a = fx_translate(x, ln), b = fx_translate(x, rn);
    if (!a.e || !b.e)
        return NULL;
    int32_t d;
    /* a date column against a date literal ('2023-12-31') compares dates */
    if (a.k == FV_TEXT && b.k == FV_TEXT && op != PB_EQ && op != PB_NE && (is_date_literal(rn, &d) || is_date_literal(ln, &d))) {
        plan_expr *ea = is_date_literal(ln, &d) ? date_constant(x, lit_str(ln)) : read_date(x, a.e, NULL, "The comparison");
        plan_expr *eb = is_date_literal(rn, &d) ? date_constant(x, lit_str(rn)) : read_date(x, b.e, NULL, "The comparison");
        return cmp(x, op, ea, eb);
    }
    if (a.k == FV_DATE || b.k == FV_DATE) {
        plan_expr *ea = a.k == FV_TEXT && is_date_literal(ln, &d) ? date_constant(x, lit_str(ln)) : to_date(x, a, "The comparison");
        plan_expr *eb = b.k == FV_TEXT && is_date_literal(rn, &d) ? date_constant(x, lit_str(rn)) : to_date(x, b, "The comparison");
        return cmp(x, op, ea, eb);
    }
    if (a.k == FV_NUM || b.k == FV_NUM)
        return cmp(x, op, blank_is_zero(x, a, to_num(x, a, "The comparison", false)),
                   blank_is_zero(x, b, to_num(x, b, "The comparison", false)));
    if (a.k == FV_BOOL || b.k == FV_BOOL) {
        plan_expr *ea = to_bool(x, a, "The comparison"), *eb = to_bool(x, b, "The comparison");
        return cmp(x, op, ea, eb);
    }
    plan_expr *ea = to_text(x, a, "The comparison"), *eb = to_text(x, b, "The comparison");
    if (!ea || !eb)
        return NULL;
    if (!x->excel && (ea->kind == PE_TEXT) != (eb->kind == PE_TEXT)) {
        plan_expr *var = ea->kind == PE_TEXT ? eb : ea, *lit = ea->kind == PE_TEXT ? ea : eb;
        if (case_doubt(x, fx_sample_column(x, var), lit->text, "The comparison"))
            return NULL;
    }
    bool caseless = x->excel && !(ea->kind == PE_TEXT && !has_letters(ea->text)) &&
                    !(eb->kind == PE_TEXT && !has_letters(eb->text));
    plan_expr *e = caseless ? cmp(x, op, fold_case(x, ea), fold_case(x, eb)) : cmp(x, op, ea, eb);
    if (!x->excel)
        return e;
    /* Excel: a blank cell <> "x" is true (in the plan a null comparison is false) */
    if (op == PB_NE && (eb->kind == PE_TEXT) != (ea->kind == PE_TEXT)) {
        plan_expr *var = eb->kind == PE_TEXT ? ea : eb;
        e = cond_node(x, PE_OR, cond_node(x, PE_MISSING, var, NULL), e);
    }
    return e;
}

static plan_expr *in_list(fctx *x, const fx_node *n)
{
    fx_value v = fx_translate(x, n->kid[0]);
    plan_expr *e = to_text(x, v, "IN");
    if (!e)
        return NULL;
    plan_expr *in = plan_new_expr(x->p, PE_IN);
    in->kid[0] = e;
    for (int i = 1; i < n->n; i++) {
        const fx_node *k = n->kid[i];
        if (k->kind != FX_STR && k->kind != FX_NUM) {
            fx_say(x, "IN lists only literal values here.");
            return NULL;
        }
        plan_list_add(x->p, in, k->s);
    }
    return n->neg ? negate(x, in) : in;
}

static plan_expr *like(fctx *x, const fx_node *n)
{
    const char *pat = lit_str(n->kid[1]);
    plan_expr *e = to_text(x, fx_translate(x, n->kid[0]), "LIKE");
    if (!e)
        return NULL;
    if (!pat || strchr(pat, '_') || !*pat) {
        fx_say(x, "LIKE is read only with a quoted pattern using %% at its start and/or end.");
        return NULL;
    }
    size_t len = strlen(pat);
    bool lead = pat[0] == '%', trail = len > 1 && pat[len - 1] == '%';
    const char *core = mf_arena_strndup(&x->p->arena, pat + lead, len - lead - trail);
    if (strchr(core, '%') || (!*core && (lead || trail))) {
        fx_say(x, "The LIKE pattern '%s' is not one I can read.", pat);
        return NULL;
    }
    plan_expr *r;
    if (lead || trail) {
        r = plan_new_expr(x->p, lead && trail ? PE_CONTAINS : lead ? PE_ENDS : PE_STARTS);
        r->kid[0] = e;
        r->text = core;
    } else {
        r = cmp(x, PB_EQ, e, plan_text_lit(x->p, core));
    }
    return n->neg ? negate(x, r) : r;
}

static plan_expr *logic_call(fctx *x, const fx_node *n, plan_expr_kind k)
{
    if (n->n < 1) {
        fx_say(x, "%s has no arguments.", n->s);
        return NULL;
    }
    plan_expr *e = fx_condition(x, n->kid[0]);
    for (int i = 1; e && i < n->n; i++)
        e = cond_node(x, k, e, fx_condition(x, n->kid[i]));
    return e;
}

plan_expr *fx_condition(fctx *x, const fx_node *n)
{
    if (!n || failed(x))
        return NULL;
    switch (n->kind) {
    case FX_BIN:
        if (n->op == 'A' || n->op == 'O')
            return cond_node(x, n->op == 'A' ? PE_AND : PE_OR, fx_condition(x, n->kid[0]), fx_condition(x, n->kid[1]));
        if (strchr("=!<l>g", n->op))
            return comparison(x, n);
        break;
    case FX_NOT: return negate(x, fx_condition(x, n->kid[0]));
    case FX_IN: return in_list(x, n);
    case FX_LIKE: return like(x, n);
    case FX_ISNULL: {
        fx_value v = fx_translate(x, n->kid[0]);
        return v.e ? cond_node(x, n->neg ? PE_PRESENT : PE_MISSING, v.e, NULL) : NULL;
    }
    case FX_BETWEEN: {
        fx_node lo = {.kind = FX_BIN, .op = 'g', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[1]}};
        fx_node hi = {.kind = FX_BIN, .op = 'l', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[2]}};
        plan_expr *e = cond_node(x, PE_AND, comparison(x, &lo), comparison(x, &hi));
        return n->neg ? negate(x, e) : e;
    }
    case FX_CALL:
        if (!strcmp(n->s, "AND"))
            return logic_call(x, n, PE_AND);
        if (!strcmp(n->s, "OR"))
            return logic_call(x, n, PE_OR);
        if (!strcmp(n->s, "NOT") && n->n == 1)
            return negate(x, fx_condition(x, n->kid[0]));
        if ((!strcmp(n->s, "ISBLANK") || !strcmp(n->s, "ISNULL")) && n->n == 1) {
            fx_value v = fx_translate(x, n->kid[0]);
            return v.e ? cond_node(x, PE_MISSING, v.e, NULL) : NULL;
        }
        break;
    default: break;
    }
    return to_bool(x, fx_translate(x, n), "The condition");
}

static bool is_condition(const fx_node *n)
{
    if (!n)
        return false;
    if (n->kind == FX_BIN)
        return strchr("=!<l>gAO", n->op) != NULL;
    if (n->kind == FX_CALL)
        return !strcmp(n->s, "AND") || !strcmp(n->s, "OR") || ((!strcmp(n->s, "NOT") || !strcmp(n->s, "ISBLANK")) && n->n == 1) ||
               (!strcmp(n->s, "ISNULL") && n->n == 1);
    return n->kind == FX_NOT || n->kind == FX_IN || n->kind == FX_LIKE || n->kind == FX_ISNULL || n->kind == FX_BETWEEN;
}

/* ---- unifying branches (IF, CASE, COALESCE) ------------------------------------------------- */

/* Bring the values to one kind: null fits any; text meets number/date by reading the text. */
static bool unify(fctx *x, fx_value *v, int n, const char *fn)
{
    fv_kind k = FV_NULL;
    for (int i = 0; i < n; i++) {
        if (!v[i].e)
            return false;
        if (v[i].k != FV_NULL && v[i].k != FV_TEXT && k == FV_NULL)
            k = v[i].k;
    }
    for (int i = 0; i < n && k == FV_NULL; i++)
        if (v[i].k == FV_TEXT)
            k = FV_TEXT;
    /* text branches of a numeric column are read as numbers (a text literal stays a question) */
    if (k == FV_TEXT) {
        plan_base tb = x->c->type.base;
        bool text_lit = false;
        for (int i = 0; i < n; i++)
            text_lit |= v[i].k == FV_TEXT && v[i].e->kind == PE_TEXT;
        if ((tb == PT_DECIMAL || tb == PT_INTEGER || tb == PT_BIGINT) && !text_lit)
            k = FV_NUM;
    }
    for (int i = 0; i < n; i++) {
        if (v[i].k == k || v[i].k == FV_NULL)
            continue;
        plan_expr *e = k == FV_NUM ? to_num(x, v[i], fn, false)
                     : k == FV_DATE ? to_date(x, v[i], fn)
                     : k == FV_TEXT ? to_text(x, v[i], fn)
                     : to_bool(x, v[i], fn);
        if (!e)
            return false;
        v[i] = val(e, k);
    }
    return true;
}

static fx_value if_value(fctx *x, plan_expr *c, fx_value a, fx_value b, const char *fn)
{
    fx_value v[2] = {a, b};
    if (!c || !unify(x, v, 2, fn))
        return none();
    plan_expr *e = plan_new_expr(x->p, PE_IF);
    e->kid[0] = c;
    e->kid[1] = v[0].e;
    e->kid[2] = v[1].e;
    return val(e, v[0].k != FV_NULL ? v[0].k : v[1].k);
}

/* ---- code maps ------------------------------------------------------------------------------- */

/* CASE x WHEN 'a' THEN .. / DECODE / nested IF(x="a", ..): keys[i] -> vals[i], otherwise els
 * (NULL = null; els == subject = unchanged). */
typedef struct codemap {
    const fx_node *subject;
    int n;
    const fx_node *keys[64];
    const fx_node *vals[64];
    const fx_node *els;
    bool keep;           /* otherwise unchanged */
} codemap;

static bool same_node(const fx_node *a, const fx_node *b)
{
    if (!a || !b || a->kind != b->kind || a->n != b->n)
        return false;
    if ((a->s || b->s) && (!a->s || !b->s || strcasecmp(a->s, b->s)))
        return false;
    if ((a->s2 || b->s2) && (!a->s2 || !b->s2 || strcasecmp(a->s2, b->s2)))
        return false;
    if (a->op != b->op || a->neg != b->neg)
        return false;
    for (int i = 0; i < a->n; i++)
        if ((a->kid[i] || b->kid[i]) && !same_node(a->kid[i], b->kid[i]))
            return false;
    return true;
}

static bool map_add(codemap *m, const fx_node *subject, const fx_node *key, const fx_node *v)
{
    if (m->n >= 64 || (key->kind != FX_STR && key->kind != FX_NUM) || !is_lit(v) || (m->subject && !same_node(m->subject, subject)))
        return false;
    m->subject = subject;
    m->keys[m->n] = key;
    m->vals[m->n++] = v;
    return true;
}

/* A WHEN condition `x = 'a'` or `x IN ('a', 'b')` adds its keys. */
static bool map_when(codemap *m, const fx_node *c, const fx_node *v)
{
    if (c->kind == FX_BIN && c->op == '=')
        return map_add(m, c->kid[0], c->kid[1], v);
    if (c->kind == FX_IN && !c->neg) {
        for (int i = 1; i < c->n; i++)
            if (!map_add(m, c->kid[0], c->kid[i], v))
                return false;
        return true;
    }
    return false;
}

static fx_value build_map(fctx *x, codemap *m, const char *fn)
{
    fx_value s = fx_translate(x, m->subject);
    plan_expr *e = to_text(x, s, fn);
    if (!e)
        return none();
    bool fold = x->excel;
    if (fold)
        e = stepped(x, e, PS_UPPER);
    /* the keys must be seen in the data: a map none of whose keys occur is a guess */
    const prof_column *pc = fx_sample_column(x, e);
    int seen = 0;
    for (int i = 0; i < m->n; i++)
        seen += !pc || infer_sample_value(pc, m->keys[i]->s) != NULL;
    if (pc && pc->nsample > 0 && !seen) {
        fx_say(x, "%s maps codes none of which occurs in the sample of %s.", fn, pc->name);
        return none();
    }
    for (int i = 0; i < m->n; i++)
        if (case_doubt(x, pc, m->keys[i]->s, fn))
            return none();
    fx_value vals[66];
    int nv = 0;
    for (int i = 0; i < m->n; i++)
        vals[nv++] = fx_translate(x, m->vals[i]);
    bool has_else = m->els && m->els->kind != FX_NULL && !m->keep;
    if (has_else)
        vals[nv++] = fx_translate(x, m->els);
    if (!unify(x, vals, nv, fn))
        return none();
    fv_kind k = FV_NULL;
    for (int i = 0; i < nv; i++)
        if (vals[i].k != FV_NULL)
            k = vals[i].k;
    if (m->keep && k != FV_TEXT && k != FV_NULL) {
        fx_say(x, "%s keeps unknown codes as they are but maps the others to non-text values.", fn);
        return none();
    }
    plan_expr *r = stepped(x, e, PS_MAP);
    for (int i = 0; i < m->n; i++) {
        const char *key = fold && has_letters(m->keys[i]->s) ? upper_text(x, m->keys[i]->s) : m->keys[i]->s;
        bool dup = false;
        for (int q = 0; q < r->step.map.n; q++)
            dup |= !strcmp(r->step.map.from[q], key);
        if (!dup)   /* the first WHEN that matches wins */
            plan_map_add(x->p, &r->step.map, key, vals[i].e);
    }
    r->step.map.otherwise = m->keep ? PO_KEEP : has_else ? PO_VALUE : PO_NULL;
    if (has_else)
        r->step.map.other = vals[nv - 1].e;
    for (int i = 0; i < nv; i++)
        if (vals[i].e->kind == PE_NULL && i < m->n) {
            fx_say(x, "%s maps a code to null, which a code map cannot write.", fn);
            return none();
        }
    if (has_else) {
        /* a null value matches no WHEN: it gets the ELSE too (a map passes nulls through) */
        plan_expr *d = stepped(x, r, PS_DEFAULT);
        d->step.value = vals[nv - 1].e;
        r = d;
    }
    return val(r, k == FV_NULL ? FV_TEXT : k);
}

static fx_value case_expr(fctx *x, const fx_node *n)
{
    int arms = (n->n - 1 - (n->has_else ? 1 : 0)) / 2;
    const fx_node *els = n->has_else ? n->kid[n->n - 1] : NULL;
    codemap m = {0};
    bool mappable = true;
    for (int i = 0; i < arms && mappable; i++) {
        const fx_node *w = n->kid[1 + 2 * i], *t = n->kid[2 + 2 * i];
        mappable = n->kid[0] ? map_add(&m, n->kid[0], w, t) : map_when(&m, w, t);
    }
    /* Excel maps without case (the subject upper-cased): "unchanged" would pass it on upper-cased */
    if (mappable && (!els || is_lit(els) || (same_node(els, m.subject) && !x->excel))) {
        m.els = els;
        m.keep = els && same_node(els, m.subject);
        return build_map(x, &m, "CASE");
    }
    /* an if-chain, from the last arm backwards */
    fx_value acc = els ? fx_translate(x, els) : val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    for (int i = arms - 1; i >= 0 && acc.e; i--) {
        const fx_node *w = n->kid[1 + 2 * i];
        plan_expr *c;
        if (n->kid[0]) {
            fx_node eq = {.kind = FX_BIN, .op = '=', .n = 2, .kid = (fx_node *[]){n->kid[0], (fx_node *)w}};
            c = fx_condition(x, &eq);
        } else {
            c = fx_condition(x, w);
        }
        acc = if_value(x, c, fx_translate(x, n->kid[2 + 2 * i]), acc, "CASE");
    }
    return acc;
}

static fx_value decode(fctx *x, const fx_node *n)
{
    codemap m = {0};
    int i = 1;
    for (; i + 1 < n->n; i += 2)
        if (!map_add(&m, n->kid[0], n->kid[i], n->kid[i + 1])) {
            fx_say(x, "DECODE is read only with literal codes and values.");
            return none();
        }
    if (i < n->n) {
        if (!is_lit(n->kid[i]) && !same_node(n->kid[i], n->kid[0])) {
            fx_say(x, "DECODE's default is read only as a literal or the value itself.");
            return none();
        }
        m.els = n->kid[i];
        m.keep = same_node(n->kid[i], n->kid[0]);
    }
    if (!m.n) {
        fx_say(x, "DECODE has no codes.");
        return none();
    }
    return build_map(x, &m, "DECODE");
}

/* IF(x="a", v1, IF(x="b", v2, els)) as one code map when every test is on the same value. */
static bool if_chain_map(const fx_node *n, codemap *m)
{
    while (n && n->kind == FX_CALL && (!strcmp(n->s, "IF") || !strcmp(n->s, "IIF")) && n->n == 3) {
        const fx_node *c = n->kid[0];
        if (!(c->kind == FX_BIN && c->op == '=' && (c->kid[1]->kind == FX_STR) && *c->kid[1]->s))
            return false;
        if (!map_add(m, c->kid[0], c->kid[1], n->kid[1]))
            return false;
        n = n->kid[2];
    }
    if (!n || m->n < 2 || !(is_lit(n) || same_node(n, m->subject)))
        return false;
    m->els = n;
    m->keep = same_node(n, m->subject);
    return true;
}

/* ---- text functions -------------------------------------------------------------------------- */

static fx_value text_arg(fctx *x, const fx_node *n, const char *fn)
{
    fx_value v = fx_translate(x, n);
    if (!v.e)
        return none();
    return val(to_text(x, v, fn), FV_TEXT);
}

static fx_value text_step(fctx *x, const fx_node *n, plan_step_kind k)
{
    if (n->n != 1) {
        fx_say(x, "%s takes one argument here.", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    if (v.e->kind == PE_NULL)
        return v;
    return val(stepped(x, v.e, k), FV_TEXT);
}

static fx_value concat_all(fctx *x, const fx_node *const *args, int n, const char *sep, const char *fn)
{
    plan_expr *e = NULL;
    for (int i = 0; i < n; i++) {
        fx_value v = fx_translate(x, args[i]);
        plan_expr *t = to_text(x, v, fn);
        if (!t)
            return none();
        if (t->kind == PE_NULL)
            continue;
        if (e && sep)
            e = plan_binary(x->p, PB_CONCAT, e, plan_text_lit(x->p, sep));
        e = e ? plan_binary(x->p, PB_CONCAT, e, t) : t;
    }
    return e ? val(e, FV_TEXT) : val(plan_new_expr(x->p, PE_NULL), FV_NULL);
}

/* FIND("@", x) / SEARCH / POSITION('@' IN x) / INSTR(x, '@') / CHARINDEX('@', x) / STRPOS(x, '@'),
 * plus or minus a literal: the delimiter, the text searched and the offset. */
static bool find_call(const fx_node *n, const char **delim, const fx_node **hay, long *plus)
{
    *plus = 0;
    if (n && n->kind == FX_BIN && (n->op == '+' || n->op == '-')) {
        long k;
        if (!lit_int(n->kid[1], &k))
            return false;
        *plus = n->op == '+' ? k : -k;
        n = n->kid[0];
    }
    if (!n || n->kind != FX_CALL || n->n < 2)
        return false;
    bool needle_first = !strcmp(n->s, "FIND") || !strcmp(n->s, "SEARCH") || !strcmp(n->s, "POSITION") ||
                        !strcmp(n->s, "CHARINDEX") || !strcmp(n->s, "LOCATE");
    bool hay_first = !strcmp(n->s, "INSTR") || !strcmp(n->s, "STRPOS");
    if ((!needle_first && !hay_first) || n->n > 2)
        return false;
    const fx_node *needle = needle_first ? n->kid[0] : n->kid[1];
    *hay = needle_first ? n->kid[1] : n->kid[0];
    *delim = lit_str(needle);
    return *delim && **delim && !(has_letters(*delim) && !strcmp(n->s, "SEARCH"));
}

/* LEN(x) - FIND(d, x) [+ k] */
static bool len_minus_find(const fx_node *n, const char **delim, const fx_node **hay)
{
    long plus;
    if (!n || n->kind != FX_BIN || n->op != '-' || n->kid[0]->kind != FX_CALL)
        return false;
    const fx_node *len = n->kid[0];
    if ((strcmp(len->s, "LEN") && strcmp(len->s, "LENGTH")) || len->n != 1)
        return false;
    if (!find_call(n->kid[1], delim, hay, &plus) || plus != 0)
        return false;
    return same_node(len->kid[0], *hay);
}

/* x's delimiter must occur in every sampled value: SQL and Excel do not agree with "text before"
 * / "text after" when it is absent (an error, or a shifted cut), so that case must not occur. */
static bool delimiter_seen(fctx *x, plan_expr *e, const char *delim, const char *fn)
{
    if (x->in_iferror)
        return true;
    const prof_column *pc = fx_sample_column(x, e);
    for (long i = 0; pc && i < pc->nsample; i++)
        if (pc->sample[i] && *pc->sample[i] && !strstr(pc->sample[i], delim)) {
            fx_say(x, "%s cuts at '%s', but the sampled value \"%s\" has none: what should it give then?", fn, delim,
                   pc->sample[i]);
            return false;
        }
    return true;
}

static fx_value cut(fctx *x, const fx_node *hay, const char *delim, bool before, const char *fn)
{
    fx_value v = text_arg(x, hay, fn);
    if (!v.e || !delimiter_seen(x, v.e, delim, fn))
        return none();
    plan_expr *e = stepped(x, v.e, before ? PS_BEFORE : PS_AFTER);
    e->step.s = plan_strdup(x->p, delim);
    return val(e, FV_TEXT);
}

static fx_value chars(fctx *x, plan_expr *e, plan_step_kind k, long n, long m)
{
    plan_expr *r = stepped(x, e, k);
    r->step.n = n;
    r->step.m = m;
    return val(r, FV_TEXT);
}

static fx_value left_right(fctx *x, const fx_node *n, bool left)
{
    long k = 1;
    const char *delim;
    const fx_node *hay;
    long plus;
    if (n->n == 2 && left && find_call(n->kid[1], &delim, &hay, &plus) && plus == -1 && same_node(hay, n->kid[0]))
        return cut(x, hay, delim, true, n->s);
    if (n->n == 2 && !left && len_minus_find(n->kid[1], &delim, &hay) && same_node(hay, n->kid[0]))
        return cut(x, hay, delim, false, n->s);
    if ((n->n != 1 && n->n != 2) || (n->n == 2 && !lit_int(n->kid[1], &k)) || k < 0) {
        fx_say(x, "%s is read with a literal number of characters (or up to a FIND of a delimiter).", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    if (k == 0)
        return val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    return chars(x, v.e, left ? PS_FIRST : PS_LAST, k, 0);
}

/* The longest sampled value of e, in characters (-1 when unknown). */
static long longest(fctx *x, plan_expr *e)
{
    const prof_column *pc = fx_sample_column(x, e);
    if (!pc)
        return -1;
    long best = 0;
    for (long i = 0; i < pc->nsample; i++)
        if (pc->sample[i]) {
            long cc = (long)strlen(pc->sample[i]);
            best = cc > best ? cc : best;
        }
    return best;
}

/* MID(x, s, n) / SUBSTRING(x, s, n) / SUBSTRING(x FROM s FOR n) / SUBSTR */
static fx_value substring(fctx *x, const fx_node *n)
{
    const char *delim;
    const fx_node *hay;
    long plus, s, len = -1;
    if (n->n < 2 || n->n > 3 || (n->n == 3 && !lit_int(n->kid[2], &len))) {
        fx_say(x, "%s is read with a literal start and length.", n->s);
        return none();
    }
    if (find_call(n->kid[1], &delim, &hay, &plus) && plus == 1 && same_node(hay, n->kid[0])) {
        fx_value v = cut(x, hay, delim, false, n->s);
        /* MID(x, FIND(..)+1, n) takes at most n characters: the same as "text after" when no
         * sampled value is longer than n (and the column is no wider) */
        long w = v.e ? longest(x, v.e->kid[0]) : 0;
        long target = x->c->type.base == PT_TEXT ? x->c->type.len : 0;
        if (v.e && len >= 0 && (w < 0 || len < w) && (target <= 0 || len < target)) {
            fx_say(x, "%s takes at most %ld characters after '%s', which may cut longer values.", n->s, len, delim);
            return none();
        }
        return v;
    }
    if (n->n == 3 && find_call(n->kid[2], &delim, &hay, &plus) && plus == -1 && lit_int(n->kid[1], &s) && s == 1 &&
        same_node(hay, n->kid[0]))
        return cut(x, hay, delim, true, n->s);
    if (!lit_int(n->kid[1], &s) || s < 1 || len == 0 || n->n == 2) {
        fx_say(x, "%s is read with a literal start (from 1) and length%s.", n->s,
               n->n == 2 ? " (the plan language has no step for \"from position N to the end\")" : "");
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    return chars(x, v.e, PS_SUBSTR, s, s + len - 1);
}

static fx_value split_part(fctx *x, const fx_node *n)
{
    long k;
    const char *d = n->n == 3 ? lit_str(n->kid[1]) : NULL;
    if (!d || !*d || !lit_int(n->kid[2], &k) || k < 1) {
        fx_say(x, "%s is read with a literal delimiter and a field number from 1.", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    plan_expr *e = v.e;
    for (long i = 1; i < k; i++) {
        e = stepped(x, e, PS_AFTER);
        e->step.s = plan_strdup(x->p, d);
    }
    e = stepped(x, e, PS_BEFORE);
    e->step.s = plan_strdup(x->p, d);
    return val(e, FV_TEXT);
}

static fx_value pad(fctx *x, const fx_node *n, bool left)
{
    long w;
    const char *ch = n->n == 3 ? lit_str(n->kid[2]) : " ";
    if ((n->n != 2 && n->n != 3) || !lit_int(n->kid[1], &w) || w < 1 || !ch || strlen(ch) != 1) {
        fx_say(x, "%s is read with a literal length and one pad character.", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    /* SQL's LPAD cuts longer values to the length; the plan's pad leaves them: none may occur */
    long wmax = longest(x, v.e);
    if (wmax > w) {
        fx_say(x, "%s(.., %ld) cuts values longer than %ld characters, and the sample has one.", n->s, w, w);
        return none();
    }
    plan_expr *e = stepped(x, v.e, left ? PS_PAD_LEFT : PS_PAD_RIGHT);
    e->step.s = plan_strdup(x->p, ch);
    e->step.n = w;
    return val(e, FV_TEXT);
}

/* ---- numbers --------------------------------------------------------------------------------- */

/* REPLACE/SUBSTITUTE around a value read as a number say its format: '$' and ',' removed,
 * ',' replaced by '.'.  Returns the innermost value; h collects what the calls say. */
static const fx_node *peel_number_format(const fx_node *n, infer_numhint *h)
{
    while (n && n->kind == FX_CALL && (!strcmp(n->s, "REPLACE") || !strcmp(n->s, "SUBSTITUTE")) && n->n == 3) {
        const char *from = lit_str(n->kid[1]), *to = n->kid[2]->kind == FX_NULL ? "" : lit_str(n->kid[2]);
        if (!from || !to || strlen(from) != 1)
            break;
        char c = from[0];
        if (!*to && c == '$' && !h->nf.currency)
            h->nf.currency = "$";
        else if (!*to && (c == ',' || c == '.' || c == ' ' || c == '\'') && !h->thousands_set)
            h->nf.thousands = c, h->thousands_set = true;
        else if (c == ',' && !strcmp(to, ".") && !h->decimal_set)
            h->nf.decimal = ',', h->decimal_set = true;
        else
            break;
        h->stated = true;
        n = n->kid[0];
    }
    return n;
}

static fx_value number_of(fctx *x, const fx_node *n, const char *fn, bool integer)
{
    infer_numhint h = {0};
    const fx_node *inner = peel_number_format(n, &h);
    fx_value v = fx_translate(x, inner);
    if (!v.e)
        return none();
    if (h.stated && v.k == FV_TEXT) {
        /* SQL's CAST reads plain numbers only: what the REPLACEs leave is the whole format; Excel's
         * VALUE also reads the locale's separators, which the sample shows */
        if (!h.decimal_set && !x->excel) {
            h.nf.decimal = h.nf.thousands == '.' ? ',' : '.';
            h.decimal_set = true;
        }
        if (!h.thousands_set && !x->excel)
            h.thousands_set = true;       /* nothing removed: no thousands separator */
        return val(read_number(x, v.e, &h, integer), FV_NUM);
    }
    if (inner != n)
        v = fx_translate(x, n);
    return val(to_num(x, v, fn, integer), FV_NUM);
}

static fx_value number_value(fctx *x, const fx_node *n)
{
    const char *dec = n->n >= 2 ? lit_str(n->kid[1]) : ".", *grp = n->n >= 3 ? lit_str(n->kid[2]) : NULL;
    if (n->n < 1 || n->n > 3 || !dec || strlen(dec) != 1 || (grp && strlen(grp) > 1)) {
        fx_say(x, "NUMBERVALUE is read with literal one-character separators.");
        return none();
    }
    fx_value v = fx_translate(x, n->kid[0]);
    if (!v.e || v.k != FV_TEXT)
        return val(to_num(x, v, "NUMBERVALUE", false), FV_NUM);
    infer_numhint h = {.nf = {.decimal = dec[0], .thousands = grp ? grp[0] : 0}, .decimal_set = true,
                       .thousands_set = grp != NULL, .stated = true};
    return val(read_number(x, v.e, &h, false), FV_NUM);
}

static fx_value rounded(fctx *x, const fx_node *n)
{
    long d = 0;
    if (n->n < 1 || n->n > 2 || (n->n == 2 && !lit_int(n->kid[1], &d)) || d < 0 || d > 30) {
        fx_say(x, "%s is read with a literal number of decimals (0 or more).", n->s);
        return none();
    }
    fx_value v = fx_translate(x, n->kid[0]);
    plan_expr *e = to_num(x, v, n->s, false);
    if (!e)
        return none();
    plan_expr *r = stepped(x, e, PS_ROUND);
    r->step.n = d;
    r->step.m = !strcmp(n->s, "ROUNDUP") ? 1 : strcmp(n->s, "ROUND") ? 2 : 0;   /* TRUNC: toward zero */
    return val(r, FV_NUM);
}

static fx_value arith(fctx *x, const fx_node *n)
{
    fx_value a = fx_translate(x, n->kid[0]), b = fx_translate(x, n->kid[1]);
    if (!a.e || !b.e)
        return none();
    /* date - date: days between (Excel and SQL both subtract dates so) */
    if (n->op == '-' && (a.k == FV_DATE || b.k == FV_DATE || (a.k == FV_TEXT && b.k == FV_TEXT))) {
        bool dates = a.k == FV_DATE || b.k == FV_DATE;
        if (!dates) {
            /* two text columns: dates when their samples read as dates and not as numbers */
            mf_buf w = {0};
            const prof_column *pa = fx_sample_column(x, a.e), *pb = fx_sample_column(x, b.e);
            dates = pa && pb && (stated_pattern(x, base_source(a.e)) ||
                                 infer_date_pattern(pa, pa->name, &w)) &&
                    (stated_pattern(x, base_source(b.e)) || infer_date_pattern(pb, pb->name, &w));
            mf_buf_free(&w);
            bool numbers = pa && pb && (pa->kind == PK_INTEGER || pa->kind == PK_DECIMAL) &&
                           (pb->kind == PK_INTEGER || pb->kind == PK_DECIMAL);
            if (dates && numbers) {
                fx_say(x, "It subtracts %s from %s, which read both as numbers and as dates: a difference in days?",
                       pb->name, pa->name);
                return none();
            }
        }
        if (dates) {
            plan_expr *ea = to_date(x, a, "The subtraction"), *eb = to_date(x, b, "The subtraction");
            if (!ea || !eb)
                return none();
            plan_expr *e = plan_new_expr(x->p, PE_DAYS);
            e->kid[0] = eb;
            e->kid[1] = ea;
            return val(e, FV_NUM);
        }
    }
    if (a.k == FV_DATE || b.k == FV_DATE) {
        long k;
        const fx_node *days = a.k == FV_DATE ? n->kid[1] : n->kid[0];
        if ((n->op != '+' && !(n->op == '-' && a.k == FV_DATE)) || !lit_int(days, &k) || labs(k) > PLAN_MAX_ADD_DAYS) {
            fx_say(x, "Date arithmetic is read as a date plus or minus a literal number of days.");
            return none();
        }
        plan_expr *e = stepped(x, to_date(x, a.k == FV_DATE ? a : b, "The date arithmetic"), PS_ADD_DAYS);
        e->step.n = n->op == '-' ? -k : k;
        return val(e, FV_DATE);
    }
    bool integer = x->c->type.base == PT_INTEGER || x->c->type.base == PT_BIGINT;
    if (n->op == '/' )
        integer = false;
    plan_expr *ea = blank_is_zero(x, a, to_num(x, a, "The arithmetic", integer));
    plan_expr *eb = blank_is_zero(x, b, to_num(x, b, "The arithmetic", integer));
    if (!ea || !eb)
        return none();
    /* -1 * x is x negated */
    if (n->op == '*' && ea->kind == PE_NUMBER && !strcmp(ea->text, "-1"))
        return val(stepped(x, eb, PS_NEGATE), FV_NUM);
    return val(plan_binary(x->p, n->op, ea, eb), FV_NUM);
}

/* ---- dates ----------------------------------------------------------------------------------- */

/* A date format of SQL or Excel (TO_DATE's 'DD-MON-YY', TEXT's "yyyy-mm-dd") in the plan's notation;
 * NULL when it is not a whole date pattern. */
static const char *date_format(fctx *x, const char *fmt)
{
    char buf[64];
    size_t o = 0;
    for (const char *q = fmt; *q && o + 2 < sizeof buf; q++) {
        if (!strncasecmp(q, "RR", 2) && strncasecmp(q, "RRRR", 4)) {   /* Oracle's two-digit year */
            buf[o++] = 'Y';
            buf[o++] = 'Y';
            q++;
            continue;
        }
        buf[o++] = *q;
    }
    buf[o] = 0;
    const char *pat = rules_date_pattern(x->p, buf);
    if (pat)
        return pat;
    if (!strcasecmp(buf, "YYYY-MM-DD HH24:MI:SS") || !strcasecmp(buf, "YYYY-MM-DD\"T\"HH24:MI:SS") ||
        !strcasecmp(buf, "YYYY-MM-DD HH:MI:SS") || !strcasecmp(buf, "yyyy-mm-ddThh:mm:ss"))
        return "ISO";
    return NULL;
}

/* SQL reads a day or a month written with one digit where its format says two (TO_DATE('5-Mar-23',
 * 'DD-Mon-YY')): between separators DD and MM become the plan's D and M (one or two digits).  Next
 * to another component (YYYYMMDD) the width is what separates them and stays. */
static const char *lenient(fctx *x, const char *pat)
{
    if (!pat || !strcmp(pat, "ISO") || !strcmp(pat, "EXCEL"))
        return pat;
    char out[64];
    size_t o = 0, n = strlen(pat);
    for (size_t i = 0; i < n && o + 1 < sizeof out;) {
        bool two = (pat[i] == 'D' && pat[i + 1] == 'D') || (pat[i] == 'M' && pat[i + 1] == 'M');
        if (two) {
            bool left = i == 0 || !isalpha((unsigned char)pat[i - 1]);
            bool right = i + 2 >= n || !isalpha((unsigned char)pat[i + 2]);
            out[o++] = pat[i];
            if (!(left && right))
                out[o++] = pat[i];
            i += 2;
        } else {
            out[o++] = pat[i++];
        }
    }
    out[o] = 0;
    return plan_strdup(x->p, out);
}

/* SQL Server CONVERT styles. */
static const char *convert_style(long style)
{
    static const struct { long s; const char *p; } S[] = {
        {101, "MM/DD/YYYY"}, {103, "DD/MM/YYYY"}, {104, "DD.MM.YYYY"}, {105, "DD-MM-YYYY"}, {110, "MM-DD-YYYY"},
        {111, "YYYY/MM/DD"}, {112, "YYYYMMDD"}, {23, "YYYY-MM-DD"}, {120, "ISO"}, {121, "ISO"}, {126, "ISO"},
        {1, "MM/DD/YY"}, {3, "DD/MM/YY"}, {4, "DD.MM.YY"}, {106, "DD Mon YYYY"}, {6, "DD Mon YY"}};
    for (size_t i = 0; i < sizeof S / sizeof *S; i++)
        if (S[i].s == style)
            return S[i].p;
    return NULL;
}

static fx_value date_of(fctx *x, const fx_node *n, const char *pattern, const char *fn)
{
    fx_value v = fx_translate(x, n);
    if (!v.e)
        return none();
    if (v.k == FV_TEXT && v.e->kind != PE_TEXT)
        return val(read_date(x, v.e, pattern, fn), FV_DATE);
    if (v.k == FV_TEXT) {
        const char *p = pattern ? pattern : "YYYY-MM-DD";
        int32_t d;
        if (!mf_date_parse(p, v.e->text, strlen(v.e->text), x->pivot, &d)) {
            fx_say(x, "%s: '%s' is not a %s date.", fn, v.e->text, p);
            return none();
        }
        return val(read_date(x, v.e, p, fn), FV_DATE);
    }
    return val(to_date(x, v, fn), FV_DATE);
}

/* DATE(LEFT(x,4), MID(x,5,2), RIGHT(x,2)): the parts are fixed positions of one text, which is then
 * a date written in the pattern those positions make (the other characters come from the sample). */
typedef struct datepart {
    const fx_node *src;
    long from, len;       /* 1-based; from <= 0: counted from the end (RIGHT) */
} datepart;

static bool part_of(const fx_node *n, datepart *d)
{
    while (n && n->kind == FX_CALL && (!strcmp(n->s, "VALUE") || !strcmp(n->s, "INT")) && n->n == 1)
        n = n->kid[0];
    long a, b;
    if (!n || n->kind != FX_CALL)
        return false;
    if (!strcmp(n->s, "LEFT") && n->n == 2 && lit_int(n->kid[1], &a))
        *d = (datepart){n->kid[0], 1, a};
    else if (!strcmp(n->s, "RIGHT") && n->n == 2 && lit_int(n->kid[1], &a))
        *d = (datepart){n->kid[0], 0, a};
    else if ((!strcmp(n->s, "MID") || !strcmp(n->s, "SUBSTRING") || !strcmp(n->s, "SUBSTR")) && n->n == 3 &&
             lit_int(n->kid[1], &a) && lit_int(n->kid[2], &b))
        *d = (datepart){n->kid[0], a, b};
    else
        return false;
    return d->len > 0;
}

static fx_value date_from_parts(fctx *x, const fx_node *n)
{
    if (n->n != 3) {
        fx_say(x, "DATE takes a year, a month and a day.");
        return none();
    }
    long y, m, d;
    if (lit_int(n->kid[0], &y) && lit_int(n->kid[1], &m) && lit_int(n->kid[2], &d)) {
        if (!mf_date_valid((int)y, (int)m, (int)d)) {
            fx_say(x, "DATE(%ld, %ld, %ld) is not a date.", y, m, d);
            return none();
        }
        return val(date_constant(x, mf_arena_printf(&x->p->arena, "%04ld-%02ld-%02ld", y, m, d)), FV_DATE);
    }
    datepart part[3];
    for (int i = 0; i < 3; i++)
        if (!part_of(n->kid[i], &part[i]) || !same_node(part[i].src, part[0].src)) {
            fx_say(x, "DATE is read when its year, month and day are LEFT/MID/RIGHT of one value.");
            return none();
        }
    fx_value v = text_arg(x, part[0].src, "DATE");
    if (!v.e)
        return none();
    const prof_column *pc = fx_sample_column(x, v.e);
    const char *first = NULL;
    for (long i = 0; pc && i < pc->nsample && !first; i++)
        if (pc->sample[i] && *pc->sample[i])
            first = pc->sample[i];
    if (!first) {
        fx_say(x, "DATE reads fixed positions of %s, but there is no sample to see how it is written.",
               pc ? pc->name : "the value");
        return none();
    }
    size_t len = strlen(first);
    char pat[40];
    if (len >= sizeof pat / 2) {
        fx_say(x, "DATE reads positions of values too long to be dates.");
        return none();
    }
    char slot[20] = {0};
    static const char WHAT[3] = {'Y', 'M', 'D'};
    for (int i = 0; i < 3; i++) {
        long from = part[i].from > 0 ? part[i].from : (long)len - part[i].len + 1;
        bool ok = from >= 1 && from + part[i].len - 1 <= (long)len &&
                  (i == 0 ? part[i].len == 4 || part[i].len == 2 : part[i].len == 2);
        for (long k = from; ok && k < from + part[i].len; k++) {
            ok = !slot[k - 1];
            slot[k - 1] = WHAT[i];
        }
        if (!ok) {
            fx_say(x, "DATE's parts of %s (\"%s\") overlap or are not a year, a month and a day.", pc->name, first);
            return none();
        }
    }
    size_t o = 0;
    for (size_t k = 0; k < len; k++) {
        if (slot[k] && (k == 0 || slot[k - 1] != slot[k])) {
            int run = 0;
            while (k + (size_t)run < len && slot[k + (size_t)run] == slot[k])
                run++;
            for (int r = 0; r < run; r++)
                pat[o++] = slot[k];
        } else if (!slot[k]) {
            if (isdigit((unsigned char)first[k]) || (unsigned char)first[k] >= 0x80) {
                fx_say(x, "DATE leaves out the digit at position %zu of \"%s\".", k + 1, first);
                return none();
            }
            pat[o++] = first[k];
        }
    }
    pat[o] = 0;
    return val(read_date(x, v.e, plan_strdup(x->p, pat), "DATE"), FV_DATE);
}

static fx_value days_between(fctx *x, const fx_node *a, const fx_node *b, const char *fn)
{
    fx_value va = fx_translate(x, a), vb = fx_translate(x, b);
    plan_expr *ea = to_date(x, va, fn), *eb = to_date(x, vb, fn);
    if (!ea || !eb)
        return none();
    plan_expr *e = plan_new_expr(x->p, PE_DAYS);
    e->kid[0] = ea;
    e->kid[1] = eb;
    return val(e, FV_NUM);
}

static bool day_unit(const fx_node *n)
{
    return n && (n->kind == FX_PART || n->kind == FX_STR || n->kind == FX_NAME) &&
           (!strcasecmp(n->s, "day") || !strcasecmp(n->s, "dd") || !strcasecmp(n->s, "d") ||
            !strcasecmp(n->s, "days"));
}

static fx_value datediff(fctx *x, const fx_node *n)
{
    if (n->n == 3 && day_unit(n->kid[0]))
        return days_between(x, n->kid[1], n->kid[2], n->s);
    if (n->n == 2 && !strcmp(n->s, "DATEDIFF"))          /* MySQL: DATEDIFF(end, start) */
        return days_between(x, n->kid[1], n->kid[0], n->s);
    fx_say(x, "%s is read in days only.", n->s);
    return none();
}

/* TEXT(x, "000000") / TEXT(d, "yyyy-mm-dd") */
static fx_value text_fn(fctx *x, const fx_node *n)
{
    const char *fmt = n->n == 2 ? lit_str(n->kid[1]) : NULL;
    if (!fmt || !*fmt) {
        fx_say(x, "TEXT is read with a literal format.");
        return none();
    }
    size_t zeros = strspn(fmt, "0");
    if (zeros == strlen(fmt)) {
        fx_value v = fx_translate(x, n->kid[0]);
        if (!v.e || v.k != FV_TEXT || v.e->kind == PE_TEXT) {
            if (v.e)
                fx_say(x, "TEXT(.., \"%s\") of a computed number needs a step that writes a number as text.", fmt);
            return none();
        }
        /* Excel pads a number and leaves other text alone: the two agree on digits, and on text
         * already as long as the format */
        const prof_column *pc = fx_sample_column(x, v.e);
        for (long i = 0; pc && i < pc->nsample; i++) {
            const char *s = pc->sample[i];
            if (!s || !*s)
                continue;
            bool digits = strspn(s, "0123456789") == strlen(s);
            if (!digits && strlen(s) < zeros) {
                fx_say(x, "TEXT(.., \"%s\") pads numbers, but the sampled value \"%s\" of %s is not one.", fmt, s,
                       pc->name);
                return none();
            }
        }
        plan_expr *e = stepped(x, v.e, PS_PAD_LEFT);
        e->step.s = "0";
        e->step.n = (long)zeros;
        return val(e, FV_TEXT);
    }
    const char *pat = date_format(x, fmt);
    if (pat) {
        fx_value d = date_of(x, n->kid[0], NULL, "TEXT");
        if (!d.e)
            return none();
        if (x->c->type.base == PT_DATE && (!strcmp(pat, "YYYY-MM-DD") || !strcmp(pat, "ISO")))
            return d;    /* the date itself: output dates are written YYYY-MM-DD */
        if (x->c->type.base == PT_DATE) {
            fx_say(x, "It writes the date as %s, but output dates are always written YYYY-MM-DD: should the target "
                      "be text?", fmt);
            return none();
        }
        return written_as(x, d.e, fmt, "TEXT");
    }
    fx_say(x, "TEXT's format \"%s\" is not one I can read.", fmt);
    return none();
}

/* ---- lookups --------------------------------------------------------------------------------- */

const mf_sheet *fx_lookup_tab(const fctx *x, const char *name)
{
    const mapping *m = x->c->m;
    if (!m || !name)
        return NULL;
    const mf_sheet *sh = mapping_find_sheet(m, name);
    if (sh && m->sheet && !strcmp(sh->name, m->sheet))
        return NULL;                   /* the mapping table itself is not a lookup tab */
    return sh && sh->nrows > 1 ? sh : NULL;
}

/* At least one sampled key must be a key of the lookup (else the lookup is a guess). */
static bool keys_seen(fctx *x, plan_expr *key, const mf_sheet *sh, int kc, const char *fn)
{
    const prof_column *pc = fx_sample_column(x, key);
    if (!pc || pc->nsample <= 0)
        return true;
    long nonblank = 0;
    for (long i = 0; i < pc->nsample; i++) {
        if (!pc->sample[i] || !*pc->sample[i])
            continue;
        nonblank++;
        for (int r = 1; r < sh->nrows; r++)
            if (!strcmp(MF_SHEET_CELL(sh, r, kc), pc->sample[i]))
                return true;
    }
    if (!nonblank)
        return true;
    fx_say(x, "%s looks %s up in tab '%s', but no sampled value is a key there.", fn, pc->name, sh->name);
    return false;
}

/* Excel's VLOOKUP ignores case, the plan's lookup does not: no sampled key may match only so. */
static bool keys_case_clear(fctx *x, plan_expr *key, const mf_sheet *sh, int kc)
{
    const prof_column *pc = fx_sample_column(x, key);
    for (long i = 0; pc && i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        bool exact = false, caseless = false;
        for (int r = 1; v && r < sh->nrows; r++) {
            exact |= !strcmp(MF_SHEET_CELL(sh, r, kc), v);
            caseless |= !strcasecmp(MF_SHEET_CELL(sh, r, kc), v);
        }
        if (caseless && !exact) {
            fx_say(x, "VLOOKUP ignores case, and the sampled key \"%s\" is in tab '%s' only in another case.", v,
                   sh->name);
            return false;
        }
    }
    return true;
}

static plan_expr *looked_up(fctx *x, plan_expr *key, const char *name)
{
    plan_expr *e = stepped(x, key, PS_LOOKUP);
    e->step.s = name;
    e->step.map.otherwise = PO_REJECT;
    return e;
}

static fx_value vlookup(fctx *x, const fx_node *n)
{
    long col;
    bool exact = n->n == 4 && ((n->kid[3]->kind == FX_BOOL && !n->kid[3]->flag) ||
                               (n->kid[3]->kind == FX_NUM && !strcmp(n->kid[3]->s, "0")));
    if (n->n < 3 || !exact || n->kid[1]->kind != FX_RANGE || !lit_int(n->kid[2], &col) || col < 2) {
        fx_say(x, "VLOOKUP is read as VLOOKUP(value, Tab!A:B, column, FALSE) (an exact match).");
        return none();
    }
    const fx_node *r = n->kid[1];
    const mf_sheet *sh = fx_lookup_tab(x, r->s);
    if (!sh) {
        fx_say(x, "VLOOKUP uses tab '%s', which the mapping workbook does not have.", r->s ? r->s : "");
        return none();
    }
    char first[8] = "";
    sscanf(r->s2, "%7[A-Za-z$]", first);
    int kc = cell_column(first, false), vc = kc + (int)col - 1;
    if (kc < 0 || vc >= sh->ncols) {
        fx_say(x, "VLOOKUP's range %s!%s does not fit tab '%s'.", r->s, r->s2, sh->name);
        return none();
    }
    fx_value k = text_arg(x, n->kid[0], "VLOOKUP");
    if (!k.e || !keys_seen(x, k.e, sh, kc, "VLOOKUP") || !keys_case_clear(x, k.e, sh, kc))
        return none();
    const char *name = tabs_lookup(x->p, sh, kc, vc, x->c->row, x->rule);
    return val(looked_up(x, k.e, name), FV_TEXT);
}

/* m.STD_ACCT of LEFT JOIN ACCT_MAP m ON m.CLIENT_ACCT = ACCOUNT */
static fx_value joined_value(fctx *x, const fx_node *n)
{
    const mf_sheet *sh = fx_lookup_tab(x, x->join_tab);
    int vc = -1;
    for (int c = 0; sh && c < sh->ncols; c++)
        if (!strcasecmp(MF_SHEET_CELL(sh, 0, c), n->s))
            vc = c;
    if (vc < 0 || !x->join_key) {
        fx_say(x, "\"%s.%s\" is not a column of the joined tab.", n->s2, n->s);
        return none();
    }
    const char *name = tabs_lookup(x->p, sh, x->join_kc, vc, x->c->row, x->rule);
    plan_expr *e = looked_up(x, x->join_key, name);
    e->step.map.otherwise = PO_NULL;          /* LEFT JOIN: no match gives null */
    return val(e, FV_TEXT);
}

/* ---- constructs of the language's second edition ------------------------------------------ */

/* Excel's PROPER / SQL's INITCAP capitalise after any non-letter ("o'neil" -> "O'Neil"); the plan's
 * title case only after spaces: the sample must not tell them apart. */
static fx_value title_case(fctx *x, const fx_node *n)
{
    fx_value v = text_step(x, n, PS_TITLE);
    if (!v.e)
        return v;
    const prof_column *pc = fx_sample_column(x, v.e->kid[0]);
    for (long i = 0; pc && i < pc->nsample; i++) {
        const char *s = pc->sample[i];
        for (size_t k = 1; s && s[k]; k++)
            if (isalpha((unsigned char)s[k]) && !isalpha((unsigned char)s[k - 1]) && s[k - 1] != ' ') {
                fx_say(x, "%s capitalises after '%c' in \"%s\", which the plan's \"title cased\" does not.", n->s,
                       s[k - 1], s);
                return none();
            }
    }
    return v;
}

static fx_value replaced(fctx *x, const fx_node *n)
{
    const char *from = lit_str(n->kid[1]), *to = n->kid[2]->kind == FX_NULL ? "" : lit_str(n->kid[2]);
    if (!from || !*from || !to) {
        fx_say(x, "%s is read with a literal text to replace and a literal replacement.", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    plan_expr *e = stepped(x, v.e, PS_REPLACE);
    e->step.s = plan_strdup(x->p, from);
    e->step.s2 = plan_strdup(x->p, to);
    return val(e, FV_TEXT);
}

/* REGEXP_REPLACE(x, '[^0-9]', '') is "digits only"; no other pattern is read. */
static fx_value regexp_replace(fctx *x, const fx_node *n)
{
    const char *re = n->n >= 3 ? lit_str(n->kid[1]) : NULL, *to = n->n >= 3 ? lit_str(n->kid[2]) : NULL;
    if (n->n < 3 || n->n > 4 || !re || !to || *to || (strcmp(re, "[^0-9]") && strcmp(re, "\\D") && strcmp(re, "[^[:digit:]]"))) {
        fx_say(x, "REGEXP_REPLACE is read only as removing every non-digit ('[^0-9]').");
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    return v.e ? val(stepped(x, v.e, PS_DIGITS), FV_TEXT) : none();
}

/* SUBSTRING_INDEX(x, d, 1): text before d; (x, d, -1): text after the last d. */
static fx_value substring_index(fctx *x, const fx_node *n)
{
    long k;
    const char *d = n->n == 3 ? lit_str(n->kid[1]) : NULL;
    if (!d || !*d || !lit_int(n->kid[2], &k) || (k != 1 && k != -1)) {
        fx_say(x, "SUBSTRING_INDEX is read with a literal delimiter and a count of 1 or -1.");
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    plan_expr *e = stepped(x, v.e, k == 1 ? PS_BEFORE : PS_AFTER);
    e->step.s = plan_strdup(x->p, d);
    if (k == -1) {
        /* MySQL gives the whole text when d is absent; "text after last" gives null */
        if (!delimiter_seen(x, v.e, d, n->s))
            return none();
        e->step.m = 1;
    }
    return val(e, FV_TEXT);
}

static fx_value length_of(fctx *x, const fx_node *n)
{
    if (n->n != 1) {
        fx_say(x, "%s takes one value.", n->s);
        return none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return none();
    plan_expr *e = plan_new_expr(x->p, PE_LENGTH);
    e->kid[0] = v.e;
    return val(e, FV_NUM);
}

static fx_value part_step(fctx *x, plan_expr *date, const char *part)
{
    if (!date)
        return none();
    plan_expr *e = stepped(x, date, PS_DATE_PART);
    e->step.s = part;
    return val(e, FV_NUM);
}

/* YEAR(d) / MONTH / DAY / QUARTER, EXTRACT(YEAR FROM d), DATEPART(quarter, d), DATE_PART('year', d) */
static fx_value date_part(fctx *x, const fx_node *n)
{
    const char *unit = n->s;
    const fx_node *d = n->n == 1 ? n->kid[0] : NULL;
    if (n->n == 2 && (n->kid[0]->kind == FX_PART || n->kid[0]->kind == FX_STR)) {
        unit = n->kid[0]->s;
        d = n->kid[1];
    }
    static const char *const U[][2] = {{"YEAR", "year"}, {"YYYY", "year"}, {"YY", "year"}, {"MONTH", "month"},
                                       {"MM", "month"}, {"M", "month"}, {"DAY", "day"}, {"DD", "day"}, {"D", "day"},
                                       {"QUARTER", "quarter"}, {"QQ", "quarter"}, {"Q", "quarter"}};
    const char *part = NULL;
    for (size_t k = 0; k < sizeof U / sizeof *U && !part; k++)
        if (!strcasecmp(unit, U[k][0]))
            part = U[k][1];
    if (!d || !part) {
        fx_say(x, "%s is read for a year, a month, a day or a quarter of one date.", n->s);
        return none();
    }
    return part_step(x, date_of(x, d, NULL, n->s).e, part);
}

/* A date format of TO_CHAR / TEXT / FORMAT ("YYYYMM", "yyyy-mm", "MON-YY") in util/date.h notation. */
static const char *format_pattern(fctx *x, const char *fmt)
{
    static const struct { const char *in, *out; } E[] = {
        {"yyyy", "YYYY"}, {"month", "Month"}, {"mmmm", "Month"}, {"mmm", "Mon"}, {"mon", "Mon"}, {"yy", "YY"},
        {"rr", "YY"}, {"mm", "MM"}, {"dd", "DD"}, {"m", "M"}, {"d", "D"}};
    mf_buf b = {0};
    for (const char *q = fmt; *q;) {
        size_t k;
        for (k = 0; k < sizeof E / sizeof *E; k++)
            if (!strncasecmp(q, E[k].in, strlen(E[k].in)))
                break;
        if (k < sizeof E / sizeof *E) {
            mf_buf_adds(&b, E[k].out);
            q += strlen(E[k].in);
        } else if (strchr("/-. ,:_", *q)) {
            mf_buf_addc(&b, *q++);
        } else {
            mf_buf_free(&b);
            return NULL;
        }
    }
    size_t bad;
    const char *r = b.len && mf_date_format_pattern_ok(mf_buf_str(&b), &bad) ? plan_strdup(x->p, mf_buf_str(&b)) : NULL;
    mf_buf_free(&b);
    return r;
}

static fx_value written_as(fctx *x, plan_expr *date, const char *fmt, const char *fn)
{
    if (!date)
        return none();
    const char *pat = format_pattern(x, fmt);
    if (!pat) {
        fx_say(x, "%s's format '%s' is not a date format I can write.", fn, fmt);
        return none();
    }
    plan_expr *e = stepped(x, date, PS_FORMAT_DATE);
    e->step.s = pat;
    return val(e, FV_TEXT);
}

static fx_value end_of_month(fctx *x, const fx_node *n)
{
    long k = 0;
    if (n->n < 1 || n->n > 2 || (n->n == 2 && (!lit_int(n->kid[1], &k) || k != 0))) {
        fx_say(x, "%s is read for the end of the date's own month (EOMONTH(d, 0)).", n->s);
        return none();
    }
    plan_expr *d = date_of(x, n->kid[0], NULL, n->s).e;
    return d ? val(stepped(x, d, PS_END_OF_MONTH), FV_DATE) : none();
}

/* DATEADD(day, n, d) / DATE_ADD(d, n) */
static fx_value add_days(fctx *x, const fx_node *n)
{
    long k;
    const fx_node *cnt = NULL, *d = NULL;
    if (n->n == 3 && day_unit(n->kid[0]))
        cnt = n->kid[1], d = n->kid[2];
    else if (n->n == 2 && !strcmp(n->s, "DATE_ADD"))
        cnt = n->kid[1], d = n->kid[0];
    if (!cnt || !lit_int(cnt, &k) || labs(k) > PLAN_MAX_ADD_DAYS) {
        fx_say(x, "%s is read with days and a literal count.", n->s);
        return none();
    }
    plan_expr *e = date_of(x, d, NULL, n->s).e;
    if (!e)
        return none();
    e = stepped(x, e, PS_ADD_DAYS);
    e->step.n = k;
    return val(e, FV_DATE);
}

/* ---- functions ------------------------------------------------------------------------------- */

static fx_value coalesce(fctx *x, const fx_node *n)
{
    if (n->n < 2 || n->n > 8) {
        fx_say(x, "%s takes two or more values.", n->s);
        return none();
    }
    fx_value v[8];
    for (int i = 0; i < n->n; i++)
        v[i] = fx_translate(x, n->kid[i]);
    if (!unify(x, v, n->n, n->s))
        return none();
    fx_value acc = v[n->n - 1];
    for (int i = n->n - 2; i >= 0; i--) {
        if (acc.e->kind == PE_NULL)
            acc = v[i];
        else {
            plan_expr *e = stepped(x, v[i].e, PS_DEFAULT);
            e->step.value = acc.e;
            acc = val(e, v[i].k != FV_NULL ? v[i].k : acc.k);
        }
    }
    return acc;
}

static fx_value nullif(fctx *x, const fx_node *n)
{
    if (n->n != 2) {
        fx_say(x, "NULLIF takes two values.");
        return none();
    }
    const char *s = lit_str(n->kid[1]);
    if (s && !*s)
        return fx_translate(x, n->kid[0]);       /* '' is null already */
    fx_node eq = {.kind = FX_BIN, .op = '=', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[1]}};
    plan_expr *c = fx_condition(x, &eq);
    return if_value(x, c, val(plan_new_expr(x->p, PE_NULL), FV_NULL), fx_translate(x, n->kid[0]), "NULLIF");
}

static fx_value iferror(fctx *x, const fx_node *n)
{
    if (n->n != 2) {
        fx_say(x, "%s takes a value and a fallback.", n->s);
        return none();
    }
    /* the errors IFERROR can catch here: a VLOOKUP without a match, a FIND without the delimiter */
    const fx_node *inner = n->kid[0];
    x->in_iferror++;
    fx_value v;
    if (inner->kind == FX_CALL && !strcmp(inner->s, "VLOOKUP")) {
        v = fx_translate(x, inner);
        fx_value fb = fx_translate(x, n->kid[1]);
        x->in_iferror--;
        plan_expr *f = to_text(x, fb, n->s);
        if (!v.e || !f)
            return none();
        v.e->step.map.otherwise = f->kind == PE_NULL ? PO_NULL : PO_VALUE;
        v.e->step.map.other = f->kind == PE_NULL ? NULL : f;
        const prof_column *pc = fx_sample_column(x, v.e->kid[0]);
        bool blanks = !pc || pc->nblank > 0;
        for (long i = 0; pc && i < pc->nsample; i++)
            blanks |= !pc->sample[i] || !*pc->sample[i];
        if (blanks && f->kind != PE_NULL) {     /* a blank key is an error in Excel too */
            plan_expr *d = stepped(x, v.e, PS_DEFAULT);
            d->step.value = f;
            v.e = d;
        }
        return v;
    }
    v = fx_translate(x, inner);
    fx_value fb = fx_translate(x, n->kid[1]);
    x->in_iferror--;
    if (!v.e || !fb.e)
        return none();
    /* a conversion inside would reject the row where Excel gives the fallback */
    char *shown = plan_render_expr(v.e);
    bool reads = shown && strstr(shown, "read as");
    free(shown);
    if (reads) {
        fx_say(x, "%s gives a fallback where a conversion fails, but the plan rejects such rows.", n->s);
        return none();
    }
    if (fb.e->kind == PE_NULL)
        return v;
    fx_value both[2] = {v, fb};
    if (!unify(x, both, 2, n->s))
        return none();
    plan_expr *d = stepped(x, both[0].e, PS_DEFAULT);
    d->step.value = both[1].e;
    return val(d, both[0].k);
}

static fx_value if_fn(fctx *x, const fx_node *n)
{
    if (n->n != 3) {
        fx_say(x, "IF is read with a condition, a value and an else value.");
        return none();
    }
    codemap m = {0};
    if (if_chain_map(n, &m) && !m.keep)
        return build_map(x, &m, "IF");
    /* IF(ISBLANK(x), d, x) / IF(x = "", d, x): x defaulting to d */
    const fx_node *c = n->kid[0];
    const fx_node *tested = NULL;
    if (c->kind == FX_CALL && !strcmp(c->s, "ISBLANK") && c->n == 1)
        tested = c->kid[0];
    else if (c->kind == FX_BIN && c->op == '=' && lit_str(c->kid[1]) && !*lit_str(c->kid[1]))
        tested = c->kid[0];
    if (tested && same_node(tested, n->kid[2]))
        return coalesce(x, &(fx_node){.kind = FX_CALL, .s = "IF", .n = 2, .kid = (fx_node *[]){n->kid[2], n->kid[1]}});
    plan_expr *cond = fx_condition(x, c);
    return if_value(x, cond, fx_translate(x, n->kid[1]), fx_translate(x, n->kid[2]), "IF");
}

static fx_value cast_to(fctx *x, const fx_node *v, const fx_node *t, const char *fn)
{
    char w[32];
    size_t o = 0;
    for (const char *q = t->s; *q && o + 1 < sizeof w; q++)
        w[o++] = (char)toupper((unsigned char)*q);
    w[o] = 0;
    static const char *const TEXT[] = {"VARCHAR", "VARCHAR2", "NVARCHAR", "CHAR", "NCHAR", "TEXT", "STRING", "CHARACTER", NULL};
    static const char *const INT[] = {"INT", "INTEGER", "BIGINT", "SMALLINT", "INT64", "INT4", "INT8", "SIGNED", NULL};
    static const char *const DEC[] = {"DECIMAL", "NUMERIC", "NUMBER", "DEC", "MONEY", NULL};
    for (int i = 0; TEXT[i]; i++)
        if (!strcmp(w, TEXT[i]))
            return text_arg(x, v, fn);
    for (int i = 0; INT[i]; i++)
        if (!strcmp(w, INT[i]))
            return number_of(x, v, fn, true);
    for (int i = 0; DEC[i]; i++)
        if (!strcmp(w, DEC[i])) {
            fx_value r = number_of(x, v, fn, false);
            if (!r.e || t->b < 0)
                return r;
            /* CAST to DECIMAL(p,s) rounds: make it visible when the sample has more decimals */
            const char *src = base_source(r.e);
            const prof_column *pc = src ? fx_prof(x, src) : NULL;
            if (!pc || infer_sample_scale(pc) > t->b) {
                plan_expr *e = stepped(x, r.e, PS_ROUND);
                e->step.n = t->b;
                r.e = e;
            }
            return r;
        }
    if (!strcmp(w, "DATE"))
        return date_of(x, v, NULL, fn);
    if (!strcmp(w, "BIT") || !strcmp(w, "BOOLEAN") || !strcmp(w, "BOOL")) {
        fx_value b = fx_translate(x, v);
        return val(to_bool(x, b, fn), FV_BOOL);
    }
    fx_say(x, "%s to %s is not a conversion I can write.", fn, t->s);
    return none();
}

static fx_value convert(fctx *x, const fx_node *n)
{
    if (n->n < 2 || n->kid[0]->kind != FX_TYPE) {
        fx_say(x, "CONVERT is read as CONVERT(type, value[, style]).");
        return none();
    }
    long style = -1;
    if (n->n == 3 && !lit_int(n->kid[2], &style)) {
        fx_say(x, "CONVERT's style must be a number.");
        return none();
    }
    if (!strcasecmp(n->kid[0]->s, "DATE") && style >= 0) {
        const char *pat = convert_style(style);
        if (!pat) {
            fx_say(x, "CONVERT style %ld is not one I know.", style);
            return none();
        }
        return date_of(x, n->kid[1], lenient(x, pat), "CONVERT");
    }
    return cast_to(x, n->kid[1], n->kid[0], "CONVERT");
}

static fx_value to_date_fn(fctx *x, const fx_node *n)
{
    const char *fmt = n->n == 2 ? lit_str(n->kid[1]) : NULL;
    const char *pat = fmt ? lenient(x, date_format(x, fmt)) : NULL;
    if (n->n == 1)
        return date_of(x, n->kid[0], NULL, n->s);
    if (!pat) {
        fx_say(x, "%s's format '%s' is not a date pattern I know.", n->s, fmt ? fmt : "");
        return none();
    }
    return date_of(x, n->kid[0], pat, n->s);
}

static fx_value call(fctx *x, const fx_node *n)
{
    const char *f = n->s;
#define IS(name) (!strcmp(f, name))
    if (IS("TRIM") || IS("BTRIM"))
        return text_step(x, n, x->excel ? PS_SQUISH : PS_TRIM);   /* Excel's TRIM squeezes inner runs */
    if (IS("UPPER") || IS("UCASE"))
        return text_step(x, n, PS_UPPER);
    if (IS("LOWER") || IS("LCASE"))
        return text_step(x, n, PS_LOWER);
    if (IS("PROPER") || IS("INITCAP"))
        return title_case(x, n);
    if (IS("LEFT") || IS("RIGHT"))
        return left_right(x, n, IS("LEFT"));
    if (IS("MID") || IS("SUBSTRING") || IS("SUBSTR"))
        return substring(x, n);
    if (IS("SPLIT_PART"))
        return split_part(x, n);
    if (IS("SUBSTRING_INDEX"))
        return substring_index(x, n);
    if (IS("REGEXP_REPLACE"))
        return regexp_replace(x, n);
    if (IS("LPAD") || IS("RPAD"))
        return pad(x, n, IS("LPAD"));
    if (IS("CONCAT") || IS("CONCATENATE"))
        return concat_all(x, (const fx_node *const *)n->kid, n->n, NULL, f);
    if (IS("CONCAT_WS") && n->n >= 2 && lit_str(n->kid[0]))
        return concat_all(x, (const fx_node *const *)n->kid + 1, n->n - 1, lit_str(n->kid[0]), f);
    if (IS("REPLACE") || IS("SUBSTITUTE")) {
        if (n->n != 3)
            fx_say(x, "%s is read with a text, what to replace and its replacement.", f);
        return n->n == 3 ? replaced(x, n) : none();
    }
    if (IS("LEN") || IS("LENGTH") || IS("CHAR_LENGTH"))
        return length_of(x, n);
    if (IS("TEXT"))
        return text_fn(x, n);
    if (IS("VALUE") || IS("TO_NUMBER"))
        return n->n == 1 ? number_of(x, n->kid[0], f, false) : (fx_say(x, "%s takes one value.", f), none());
    if (IS("NUMBERVALUE"))
        return number_value(x, n);
    if (IS("ROUND") || IS("ROUNDUP") || IS("ROUNDDOWN") || IS("TRUNC") || IS("TRUNCATE"))
        return rounded(x, n);
    if (IS("ABS")) {
        if (n->n != 1)
            return fx_say(x, "ABS takes one value."), none();
        plan_expr *e = to_num(x, fx_translate(x, n->kid[0]), f, false);
        return e ? val(stepped(x, e, PS_ABS), FV_NUM) : none();
    }
    if (IS("COALESCE") || IS("IFNULL") || IS("NVL") || (IS("ISNULL") && n->n == 2))
        return coalesce(x, n);
    if (IS("NULLIF"))
        return nullif(x, n);
    if (IS("IF") || IS("IIF"))
        return if_fn(x, n);
    if (IS("IFERROR") || IS("IFNA"))
        return iferror(x, n);
    if (IS("DECODE"))
        return decode(x, n);
    if (IS("VLOOKUP"))
        return vlookup(x, n);
    if (IS("CAST") || IS("TRY_CAST"))
        return n->n == 2 && n->kid[1]->kind == FX_TYPE ? cast_to(x, n->kid[0], n->kid[1], f)
                                                        : (fx_say(x, "CAST needs AS a type."), none());
    if (IS("CONVERT") || IS("TRY_CONVERT"))
        return convert(x, n);
    if (IS("TO_DATE") || IS("DATEVALUE"))
        return to_date_fn(x, n);
    if (IS("DATE"))
        return date_from_parts(x, n);
    if (IS("DATEDIFF") || IS("DATEDIF"))
        return IS("DATEDIF") && n->n == 3 && lit_str(n->kid[2]) && !strcasecmp(lit_str(n->kid[2]), "d")
                   ? days_between(x, n->kid[0], n->kid[1], f)
                   : datediff(x, n);
    if (IS("DAYS") && n->n == 2)
        return days_between(x, n->kid[1], n->kid[0], f);
    if (IS("YEAR") || IS("MONTH") || IS("DAY") || IS("QUARTER") || IS("EXTRACT") || IS("DATEPART") ||
        IS("DATE_PART"))
        return date_part(x, n);
    if (IS("TO_CHAR") || IS("FORMAT") || IS("DATE_FORMAT"))
        return n->n == 2 && lit_str(n->kid[1]) ? written_as(x, date_of(x, n->kid[0], NULL, f).e, lit_str(n->kid[1]), f)
                                               : (fx_say(x, "%s is read with a date and a literal format.", f), none());
    if (IS("EOMONTH") || IS("LAST_DAY"))
        return end_of_month(x, n);
    if (IS("DATEADD") || IS("DATE_ADD") || IS("EDATE"))
        return add_days(x, n);
    if (IS("ROW") || IS("ROW_NUMBER"))
        return fx_say(x, "%s is read only as a whole column, ROW()-1 (the row's number in the output).", f), none();
    if (IS("TODAY") || IS("NOW") || IS("GETDATE") || IS("SYSDATE") || IS("CURRENT_DATE")) {
        fx_say(x, "%s changes from run to run; which fixed date is meant?", f);
        return none();
    }
    if (is_condition(n))
        return val(fx_condition(x, n), FV_BOOL);
    fx_say(x, "The function %s is not one I can translate.", f);
    return none();
#undef IS
}

/* ---- the tree -------------------------------------------------------------------------------- */

fx_value fx_translate(fctx *x, const fx_node *n)
{
    if (!n || failed(x))
        return none();
    switch (n->kind) {
    case FX_NUM:
        return val(plan_number_lit(x->p, n->pct ? percent_text(x, n->s) : n->s), FV_NUM);
    case FX_STR:
        /* SQL's "Vendor Name" is a column (Excel's "x" is text) */
        if (n->flag && !x->excel && *n->s && data_column(x, n->s, true))
            return source_value(x, data_column(x, n->s, true));
        return *n->s ? val(plan_text_lit(x->p, n->s), FV_TEXT) : val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    case FX_NULL: return val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    case FX_BOOL: {
        plan_expr *e = plan_new_expr(x->p, PE_BOOL);
        e->flag = n->flag;
        return val(e, FV_BOOL);
    }
    case FX_NAME:
        if (n->s2 && x->join_alias && (!strcasecmp(n->s2, x->join_alias) || !strcasecmp(n->s2, x->join_tab)))
            return joined_value(x, n);
        if (n->s2 && x->join_tab && !strcasecmp(n->s2, x->join_tab))
            return joined_value(x, n);
        return resolve(x, n->s, false);
    case FX_REF: return resolve(x, n->s, false);
    case FX_RANGE:
        if (!n->s && n->s2) {     /* A:A, a whole column of the data */
            char first[8] = "";
            sscanf(n->s2, "%7[A-Za-z$]", first);
            return resolve(x, first, true);
        }
        fx_say(x, "The range %s!%s is used as a value.", n->s ? n->s : "", n->s2 ? n->s2 : "");
        return none();
    case FX_NEG: {
        fx_value v = fx_translate(x, n->kid[0]);
        if (v.e && v.e->kind == PE_NUMBER && v.e->text[0] != '-')
            return val(plan_number_lit(x->p, mf_arena_printf(&x->p->arena, "-%s", v.e->text)), FV_NUM);
        plan_expr *e = to_num(x, v, "The minus sign", false);
        return e ? val(stepped(x, e, PS_NEGATE), FV_NUM) : none();
    }
    case FX_BIN:
        if (n->op == '&') {
            const fx_node *k[2] = {n->kid[0], n->kid[1]};
            return concat_all(x, k, 2, NULL, "&");
        }
        if (strchr("+-*/", n->op))
            return arith(x, n);
        return val(fx_condition(x, n), FV_BOOL);
    case FX_CASE: return case_expr(x, n);
    case FX_CALL: return call(x, n);
    case FX_NOT:
    case FX_IN:
    case FX_LIKE:
    case FX_ISNULL:
    case FX_BETWEEN: return val(fx_condition(x, n), FV_BOOL);
    default:
        fx_say(x, "A part of the formula is not a value.");
        return none();
    }
}

/* ---- the target ------------------------------------------------------------------------------ */

/* The most decimals e can have (a product adds its operands'); 38 when unknown. */
static int max_scale(fctx *x, const plan_expr *e)
{
    if (!e)
        return 0;
    switch (e->kind) {
    case PE_NUMBER: {
        const char *dot = strchr(e->text, '.');
        return dot ? (int)strlen(dot + 1) : 0;
    }
    case PE_NULL: return 0;
    case PE_OUTPUT: {
        const plan_column *oc = output_column(x, e->name, true);
        return oc && oc->type.base == PT_DECIMAL ? oc->type.scale : oc && oc->type.base != PT_TEXT ? 0 : 38;
    }
    case PE_DAYS: return 0;
    case PE_IF: {
        int a = max_scale(x, e->kid[1]), b = max_scale(x, e->kid[2]);
        return a > b ? a : b;
    }
    case PE_BINARY: {
        int a = max_scale(x, e->kid[0]), b = max_scale(x, e->kid[1]);
        if (e->op == PB_MUL)
            return a + b > 38 ? 38 : a + b;
        if (e->op == PB_DIV)
            return 38;
        return a > b ? a : b;
    }
    case PE_STEP:
        switch (e->step.kind) {
        case PS_ROUND: return (int)e->step.n;
        case PS_READ_INTEGER: return 0;
        case PS_READ_NUMBER: {
            const char *src = base_source(e);
            const prof_column *pc = src && e->kid[0]->kind == PE_SOURCE ? fx_prof(x, src) : NULL;
            return pc ? infer_sample_scale(pc) : 38;
        }
        case PS_NEGATE:
        case PS_ABS:
        case PS_DEFAULT:
        case PS_MAP: return max_scale(x, e->kid[0]);
        default: return 38;
        }
    default: return 38;
    }
}

static bool multiplies(const plan_expr *e)
{
    if (!e || (e->kind == PE_STEP && e->step.kind == PS_ROUND))
        return false;
    if ((e->kind == PE_BINARY && e->op == PB_MUL) || (e->kind == PE_STEP && e->step.kind == PS_MUL))
        return true;
    for (int i = 0; i < 3; i++)
        if (e->kid[i] && multiplies(e->kid[i]))
            return true;
    return false;
}

static bool divides(const plan_expr *e)
{
    if (!e)
        return false;
    if (e->kind == PE_BINARY && e->op == PB_DIV)
        return true;
    if (e->kind == PE_STEP && e->step.kind == PS_ROUND)
        return false;
    if (e->kind == PE_STEP && e->step.kind == PS_DIV)
        return true;
    for (int i = 0; i < 3; i++)
        if (e->kid[i] && divides(e->kid[i]))
            return true;
    return false;
}

plan_expr *fx_to_target(fctx *x, fx_value v)
{
    plan_type t = x->c->type;
    if (!v.e)
        return NULL;
    switch (t.base) {
    case PT_TEXT:
        if (v.k == FV_BOOL) {
            fx_say(x, "It gives true/false but %s is text.", x->c->column);
            return NULL;
        }
        return v.e;
    case PT_INTEGER:
    case PT_BIGINT:
    case PT_DECIMAL: {
        plan_expr *e = to_num(x, v, "The column", t.base != PT_DECIMAL);
        if (e && t.base == PT_DECIMAL && (divides(e) || (multiplies(e) && max_scale(x, e) > t.scale)) &&
            !(e->kind == PE_STEP && e->step.kind == PS_ROUND)) {
            e = stepped(x, e, PS_ROUND);     /* a division's or a product's decimals, made visible */
            e->step.n = t.scale;
        }
        return e;
    }
    case PT_DATE: return to_date(x, v, "The column");
    case PT_BOOLEAN: return to_bool(x, v, "The column");
    case PT_TIMESTAMP:
        fx_say(x, "The target is a timestamp, which the planner cannot read yet.");
        return NULL;
    default: return v.e;
    }
}
