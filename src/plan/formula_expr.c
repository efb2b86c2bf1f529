/* formula_expr.c — a formula's syntax tree translated into typed plan expressions: names,
 * literals, conversions between kinds, conditions, branches (IF/CASE/maps) and the target column.
 * The functions of SQL and Excel are translated in formula_func.c with the helpers declared in
 * formula_internal.h.
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
    va_list ap;
    va_start(ap, fmt);
    infer_vsay(&x->why, fmt, ap);
    va_end(ap);
}

fx_value fx_none(void)
{
    return (fx_value){0};
}

fx_value fx_val(plan_expr *e, fv_kind k)
{
    return (fx_value){.e = e, .k = e ? k : FV_NULL};
}

static bool failed(const fctx *x)
{
    return x->why.len > 0;
}

plan_expr *fx_stepped(fctx *x, plan_expr *e, plan_step_kind k)
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
    return dc ? dc : infer_match_column(x->c->pr, phrase, 0.95);
}

static const plan_column *output_column(const fctx *x, const char *name, bool exact_case)
{
    for (int i = 0; i < x->p->ncols; i++)
        if (exact_case ? !strcmp(x->p->cols[i].name, name) : !strcasecmp(x->p->cols[i].name, name))
            return &x->p->cols[i];
    return NULL;
}

/* Column letters (A, AB, $C) of a cell reference A2 / $C$2 / A: -1 when name is not one. */
int fx_cell_column(const char *name, bool need_row)
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
    return fx_val(plan_source_ref(x->p, name), FV_TEXT);
}

static fx_value output_value(fctx *x, const plan_column *oc)
{
    if (oc->type.base == PT_TIMESTAMP || oc->type.base == PT_UNKNOWN) {
        fx_say(x, "It uses the output column %s, whose type the formula cannot use.", oc->name);
        return fx_none();
    }
    plan_expr *e = plan_new_expr(x->p, PE_OUTPUT);
    e->name = oc->name;
    return fx_val(e, kind_of_type(oc->type));
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
            (fx_cell_column(name, false) >= 0 && fx_cell_column(x->bind_letter[i], false) == fx_cell_column(name, false)))
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
        int cc = fx_cell_column(name, !cell_ok);
        if (cc >= 0 && cc < pr->ncols && (x->excel || cell_ok))
            return source_value(x, hdr[cc]);
    }
    x->unresolved = true;
    fx_say(x, "\"%s\" names no column of the data file and no output column above.", name);
    return fx_none();
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

bool fx_lit_int(const fx_node *n, long *out)
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

const char *fx_lit_str(const fx_node *n)
{
    return n && n->kind == FX_STR ? n->s : NULL;
}

static bool is_lit(const fx_node *n)
{
    return n && (n->kind == FX_STR || n->kind == FX_NUM || n->kind == FX_NULL || n->kind == FX_BOOL ||
                 (n->kind == FX_NEG && n->kid[0] && n->kid[0]->kind == FX_NUM));
}

/* ---- conversions ----------------------------------------------------------------------------- */

const char *fx_base_source(const plan_expr *e)
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

/* A date part used as text ("Q" & quarter, YEAR(d) & "-" & MONTH(d)): the date written with the
 * part's pattern — its digits exactly as the number would be written (M and D without a leading
 * zero); a quarter is the month mapped onto 1-4. */
static plan_expr *date_part_text(fctx *x, plan_expr *part)
{
    const char *s = part->step.s;
    const char *pat = !strcmp(s, "year") ? "YYYY" : !strcmp(s, "month") || !strcmp(s, "quarter") ? "M"
                    : !strcmp(s, "day") ? "D" : NULL;
    if (!pat) {
        fx_say(x, "Its %s is used as text, and the plan language has no step that writes a number as text.", s);
        return NULL;
    }
    plan_expr *e = fx_stepped(x, part->kid[0], PS_FORMAT_DATE);
    e->step.s = pat;
    if (strcmp(s, "quarter"))
        return e;
    e = fx_stepped(x, e, PS_MAP);
    for (int m = 1; m <= 12; m++) {
        char from[4], to[2] = {(char)('0' + (m + 2) / 3), 0};
        snprintf(from, sizeof from, "%d", m);
        plan_map_add(x->p, &e->step.map, from, plan_text_lit(x->p, to));
    }
    e->step.map.otherwise = PO_REJECT;
    return e;
}

plan_expr *fx_to_text(fctx *x, fx_value v, const char *fn)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_TEXT || v.k == FV_NULL)
        return v.e;
    if (v.k == FV_NUM && v.e->kind == PE_NUMBER)
        return plan_text_lit(x->p, v.e->text);
    if (v.k == FV_NUM && v.e->kind == PE_STEP && v.e->step.kind == PS_DATE_PART)
        return date_part_text(x, v.e);
    if (v.k == FV_DATE && !x->excel) {   /* SQL writes a date as text in ISO form (Excel: its serial) */
        plan_expr *e = fx_stepped(x, v.e, PS_FORMAT_DATE);
        e->step.s = "YYYY-MM-DD";
        return e;
    }
    fx_say(x, "%s uses a %s as text, and the plan language has no step that writes one as text.", fn,
           v.k == FV_NUM ? "number" : v.k == FV_DATE ? "date" : "true/false value");
    return NULL;
}

/* Text read as a number: the sample's format overlaid by h, checked against the sample. */
plan_expr *fx_read_number(fctx *x, plan_expr *e, const infer_numhint *h, bool integer)
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

plan_expr *fx_to_num(fctx *x, fx_value v, const char *fn, bool integer)
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
        return fx_read_number(x, v.e, NULL, integer);
    }
    fx_say(x, "%s uses a %s as a number.", fn, v.k == FV_DATE ? "date" : "true/false value");
    return NULL;
}

/* Excel counts a blank cell as 0 in arithmetic and numeric comparisons (the plan's null would
 * make the result null, or the comparison false): a source whose sample has blanks defaults to 0. */
plan_expr *fx_blank_is_zero(fctx *x, fx_value v, plan_expr *num)
{
    if (!x->excel || !num || v.k != FV_TEXT || v.e->kind == PE_TEXT)
        return num;
    const prof_column *pc = fx_sample_column(x, v.e);
    bool blanks = pc && pc->nblank > 0;
    for (long i = 0; pc && i < pc->nsample; i++)
        blanks |= !pc->sample[i] || !*pc->sample[i];
    if (!blanks)
        return num;
    plan_expr *d = fx_stepped(x, num, PS_DEFAULT);
    d->step.value = plan_number_lit(x->p, "0");
    return d;
}

const char *fx_stated_pattern(const fctx *x, const char *col)
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

/* Do two patterns read the same layout (DD/MM/YYYY and D/M/YYYY do)? */
static bool same_reading(const char *a, const char *b)
{
    char la[40], lb[40];
    size_t o = 0;
    for (const char *q = a; *q && o + 1 < sizeof la; q++)
        if (!((*q == 'D' || *q == 'M') && q[1] == *q))
            la[o++] = *q;
    la[o] = 0;
    o = 0;
    for (const char *q = b; *q && o + 1 < sizeof lb; q++)
        if (!((*q == 'D' || *q == 'M') && q[1] == *q))
            lb[o++] = *q;
    lb[o] = 0;
    return !strcmp(la, lb);
}

/* Text read as a date: the pattern given (by the function or a remark) checked against the
 * sample, else the one the sample shows. */
plan_expr *fx_read_date(fctx *x, plan_expr *e, const char *pattern, const char *fn)
{
    const char *col = fx_base_source(e);
    const prof_column *pc = fx_sample_column(x, e);
    if (!pattern)
        pattern = fx_stated_pattern(x, col);
    const char *said = col ? fx_stated_pattern(x, col) : NULL;
    if (pattern && said && !same_reading(pattern, said)) {
        fx_say(x, "%s reads %s as %s, but the note says it is %s. Which is right?", fn, col, pattern, said);
        return NULL;
    }
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
        return fx_stepped(x, e, PS_READ_ISO);
    if (!strcmp(pattern, "EXCEL"))
        return fx_stepped(x, e, PS_READ_EXCEL);
    if (strstr(pattern, "YY") && !strstr(pattern, "YYYY") && !x->pivot && !century_clear(x, pc, pattern, fn))
        return NULL;
    plan_expr *r = fx_stepped(x, e, PS_READ_DATE);
    r->step.s = plan_strdup(x->p, pattern);
    if (strstr(pattern, "YY") && !strstr(pattern, "YYYY"))
        r->step.n = x->pivot ? x->pivot : 1950;
    return r;
}

plan_expr *fx_to_date(fctx *x, fx_value v, const char *fn)
{
    if (!v.e)
        return NULL;
    if (v.k == FV_DATE || v.k == FV_NULL)
        return v.e;
    int32_t d;
    if (v.k == FV_TEXT && v.e->kind == PE_TEXT) {      /* '2023-12-31' where a date is needed */
        if (mf_date_parse("YYYY-MM-DD", v.e->text, strlen(v.e->text), 0, &d))
            return fx_date_constant(x, v.e->text);
        fx_say(x, "%s uses '%s' as a date; only YYYY-MM-DD is read as a date constant.", fn, v.e->text);
        return NULL;
    }
    if (v.k == FV_TEXT)
        return fx_read_date(x, v.e, NULL, fn);
    /* a source read as a number used as a date: an Excel serial day number */
    if (v.k == FV_NUM && v.e->kind == PE_STEP &&
        (v.e->step.kind == PS_READ_NUMBER || v.e->step.kind == PS_READ_INTEGER) && v.e->kid[0]->kind == PE_SOURCE)
        return fx_read_date(x, v.e->kid[0], "EXCEL", fn);
    fx_say(x, "%s uses a %s as a date.", fn, v.k == FV_NUM ? "number" : "true/false value");
    return NULL;
}

plan_expr *fx_to_bool(fctx *x, fx_value v, const char *fn)
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

plan_expr *fx_cond_node(fctx *x, plan_expr_kind k, plan_expr *a, plan_expr *b)
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
        return fx_cond_node(x, PE_NOT, c, NULL);
    switch (c->kind) {
    case PE_AND:
    case PE_OR:
        return fx_cond_node(x, c->kind == PE_AND ? PE_OR : PE_AND, negate(x, c->kid[0]), negate(x, c->kid[1]));
    case PE_NOT: return c->kid[0];
    case PE_MISSING: return fx_cond_node(x, PE_PRESENT, c->kid[0], NULL);
    case PE_PRESENT: return fx_cond_node(x, PE_MISSING, c->kid[0], NULL);
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
        return fx_cond_node(x, PE_AND, fx_cond_node(x, PE_PRESENT, c->kid[0], NULL), fx_cond_node(x, PE_NOT, c, NULL));
    default:
        return fx_cond_node(x, PE_AND, fx_cond_node(x, PE_PRESENT, c, NULL), fx_cond_node(x, PE_NOT, c, NULL));
    }
}

bool fx_has_letters(const char *s)
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
        return fx_has_letters(e->text) ? plan_text_lit(x->p, upper_text(x, e->text)) : e;
    return fx_stepped(x, e, PS_UPPER);
}

static bool is_date_literal(const fx_node *n, int32_t *d)
{
    const char *s = fx_lit_str(n);
    return s && mf_date_parse("YYYY-MM-DD", s, strlen(s), 0, d);
}

plan_expr *fx_date_constant(fctx *x, const char *s)
{
    plan_expr *e = fx_stepped(x, plan_text_lit(x->p, s), PS_READ_ISO);
    return e;
}

/* SQL databases disagree on whether 'a' = 'A' (collations): when the sample holds a value equal to
 * the literal only without case, the comparison's meaning depends on it — a question. */
static bool case_doubt(fctx *x, const prof_column *pc, const char *lit, const char *fn)
{
    if (x->excel || !pc || !fx_has_letters(lit))
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
    if ((op == PB_EQ || op == PB_NE) && (fx_lit_str(rn) || fx_lit_str(ln)) && !*(fx_lit_str(rn) ? fx_lit_str(rn) : fx_lit_str(ln))) {
        fx_value v = fx_translate(x, fx_lit_str(rn) ? ln : rn);
        return v.e ? fx_cond_node(x, op == PB_EQ ? PE_MISSING : PE_PRESENT, v.e, NULL) : NULL;
    }
    fx_value a = fx_translate(x, ln), b = fx_translate(x, rn);
    if (!a.e || !b.e)
        return NULL;
    int32_t d;
    /* a date column against a date literal ('2023-12-31') compares dates */
    if (a.k == FV_TEXT && b.k == FV_TEXT && op != PB_EQ && op != PB_NE && (is_date_literal(rn, &d) || is_date_literal(ln, &d))) {
        plan_expr *ea = is_date_literal(ln, &d) ? fx_date_constant(x, fx_lit_str(ln)) : fx_read_date(x, a.e, NULL, "The comparison");
        plan_expr *eb = is_date_literal(rn, &d) ? fx_date_constant(x, fx_lit_str(rn)) : fx_read_date(x, b.e, NULL, "The comparison");
        return cmp(x, op, ea, eb);
    }
    if (a.k == FV_DATE || b.k == FV_DATE) {
        plan_expr *ea = a.k == FV_TEXT && is_date_literal(ln, &d) ? fx_date_constant(x, fx_lit_str(ln)) : fx_to_date(x, a, "The comparison");
        plan_expr *eb = b.k == FV_TEXT && is_date_literal(rn, &d) ? fx_date_constant(x, fx_lit_str(rn)) : fx_to_date(x, b, "The comparison");
        return cmp(x, op, ea, eb);
    }
    if (a.k == FV_NUM || b.k == FV_NUM)
        return cmp(x, op, fx_blank_is_zero(x, a, fx_to_num(x, a, "The comparison", false)),
                   fx_blank_is_zero(x, b, fx_to_num(x, b, "The comparison", false)));
    if (a.k == FV_BOOL || b.k == FV_BOOL) {
        plan_expr *ea = fx_to_bool(x, a, "The comparison"), *eb = fx_to_bool(x, b, "The comparison");
        return cmp(x, op, ea, eb);
    }
    plan_expr *ea = fx_to_text(x, a, "The comparison"), *eb = fx_to_text(x, b, "The comparison");
    if (!ea || !eb)
        return NULL;
    if (!x->excel && (ea->kind == PE_TEXT) != (eb->kind == PE_TEXT)) {
        plan_expr *var = ea->kind == PE_TEXT ? eb : ea, *lit = ea->kind == PE_TEXT ? ea : eb;
        if (case_doubt(x, fx_sample_column(x, var), lit->text, "The comparison"))
            return NULL;
    }
    bool caseless = x->excel && !(ea->kind == PE_TEXT && !fx_has_letters(ea->text)) &&
                    !(eb->kind == PE_TEXT && !fx_has_letters(eb->text));
    plan_expr *e = caseless ? cmp(x, op, fold_case(x, ea), fold_case(x, eb)) : cmp(x, op, ea, eb);
    if (!x->excel)
        return e;
    /* Excel: a blank cell <> "x" is true (in the plan a null comparison is false) */
    if (op == PB_NE && (eb->kind == PE_TEXT) != (ea->kind == PE_TEXT)) {
        plan_expr *var = eb->kind == PE_TEXT ? ea : eb;
        e = fx_cond_node(x, PE_OR, fx_cond_node(x, PE_MISSING, var, NULL), e);
    }
    return e;
}

static plan_expr *in_list(fctx *x, const fx_node *n)
{
    fx_value v = fx_translate(x, n->kid[0]);
    plan_expr *e = fx_to_text(x, v, "IN");
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
    const char *pat = fx_lit_str(n->kid[1]);
    plan_expr *e = fx_to_text(x, fx_translate(x, n->kid[0]), "LIKE");
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
        e = fx_cond_node(x, k, e, fx_condition(x, n->kid[i]));
    return e;
}

/* ISNUMBER(SEARCH("x", v)) / ISNUMBER(FIND("x", v)): v contains x (SEARCH ignores case). */
static plan_expr *found_in(fctx *x, const fx_node *n)
{
    const char *needle = n->kind == FX_CALL && n->n == 2 ? fx_lit_str(n->kid[0]) : NULL;
    if (!needle || !*needle || (strcmp(n->s, "SEARCH") && strcmp(n->s, "FIND"))) {
        fx_say(x, "ISNUMBER is read only around SEARCH or FIND of a literal text.");
        return NULL;
    }
    plan_expr *hay = fx_to_text(x, fx_translate(x, n->kid[1]), n->s);
    if (!hay)
        return NULL;
    bool fold = !strcmp(n->s, "SEARCH") && fx_has_letters(needle);
    if (fold && (strchr(needle, '*') || strchr(needle, '?') || strchr(needle, '~'))) {
        fx_say(x, "SEARCH's wildcards are not read.");
        return NULL;
    }
    plan_expr *e = plan_new_expr(x->p, PE_CONTAINS);
    e->kid[0] = fold ? fx_stepped(x, hay, PS_UPPER) : hay;
    e->text = fold ? upper_text(x, needle) : plan_strdup(x->p, needle);
    return e;
}

plan_expr *fx_condition(fctx *x, const fx_node *n)
{
    if (!n || failed(x))
        return NULL;
    switch (n->kind) {
    case FX_BIN:
        if (n->op == 'A' || n->op == 'O')
            return fx_cond_node(x, n->op == 'A' ? PE_AND : PE_OR, fx_condition(x, n->kid[0]), fx_condition(x, n->kid[1]));
        if (strchr("=!<l>g", n->op))
            return comparison(x, n);
        break;
    case FX_NOT: return negate(x, fx_condition(x, n->kid[0]));
    case FX_IN: return in_list(x, n);
    case FX_LIKE: return like(x, n);
    case FX_ISNULL: {
        fx_value v = fx_translate(x, n->kid[0]);
        return v.e ? fx_cond_node(x, n->neg ? PE_PRESENT : PE_MISSING, v.e, NULL) : NULL;
    }
    case FX_BETWEEN: {
        fx_node lo = {.kind = FX_BIN, .op = 'g', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[1]}};
        fx_node hi = {.kind = FX_BIN, .op = 'l', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[2]}};
        plan_expr *e = fx_cond_node(x, PE_AND, comparison(x, &lo), comparison(x, &hi));
        return n->neg ? negate(x, e) : e;
    }
    case FX_CALL:
        if (!strcmp(n->s, "AND"))
            return logic_call(x, n, PE_AND);
        if (!strcmp(n->s, "OR"))
            return logic_call(x, n, PE_OR);
        if (!strcmp(n->s, "NOT") && n->n == 1)
            return negate(x, fx_condition(x, n->kid[0]));
        if (!strcmp(n->s, "ISNUMBER") && n->n == 1)
            return found_in(x, n->kid[0]);
        if ((!strcmp(n->s, "ISBLANK") || !strcmp(n->s, "ISNULL")) && n->n == 1) {
            fx_value v = fx_translate(x, n->kid[0]);
            return v.e ? fx_cond_node(x, PE_MISSING, v.e, NULL) : NULL;
        }
        break;
    default: break;
    }
    return fx_to_bool(x, fx_translate(x, n), "The condition");
}

bool fx_is_condition(const fx_node *n)
{
    if (!n)
        return false;
    if (n->kind == FX_BIN)
        return strchr("=!<l>gAO", n->op) != NULL;
    if (n->kind == FX_CALL)
        return !strcmp(n->s, "AND") || !strcmp(n->s, "OR") ||
               ((!strcmp(n->s, "NOT") || !strcmp(n->s, "ISBLANK") || !strcmp(n->s, "ISNUMBER") ||
                 !strcmp(n->s, "ISNULL")) && n->n == 1);
    return n->kind == FX_NOT || n->kind == FX_IN || n->kind == FX_LIKE || n->kind == FX_ISNULL || n->kind == FX_BETWEEN;
}

/* ---- unifying branches (IF, CASE, COALESCE) ------------------------------------------------- */

/* Bring the values to one kind: null fits any; text meets number/date by reading the text. */
bool fx_unify(fctx *x, fx_value *v, int n, const char *fn)
{
    bool has[FV_NULL + 1] = {false};
    for (int i = 0; i < n; i++) {
        if (!v[i].e)
            return false;
        has[v[i].k] = true;
    }
    /* the target's kind when a branch has it (a text column keeps text branches as text and
     * writes number literals as text), else the first kind that is neither text nor null */
    fv_kind want = kind_of_type(x->c->type);
    fv_kind k = FV_NULL;
    if (want != FV_NULL && has[want])
        k = want;
    for (int i = 0; i < n && k == FV_NULL; i++)
        if (v[i].k != FV_NULL && v[i].k != FV_TEXT)
            k = v[i].k;
    if (k == FV_NULL && has[FV_TEXT])
        k = FV_TEXT;
    /* 1 and 0 for a boolean column are true and false (SQL's BIT) */
    if (want == FV_BOOL && has[FV_NUM]) {
        bool bits = true;
        for (int i = 0; i < n; i++)
            bits &= v[i].k != FV_NUM || (v[i].e->kind == PE_NUMBER && (!strcmp(v[i].e->text, "0") || !strcmp(v[i].e->text, "1")));
        for (int i = 0; bits && i < n; i++)
            if (v[i].k == FV_NUM) {
                plan_expr *b = plan_new_expr(x->p, PE_BOOL);
                b->flag = v[i].e->text[0] == '1';
                v[i] = fx_val(b, FV_BOOL);
            }
        if (bits)
            k = FV_BOOL;
    }
    /* text branches of a numeric column are read as numbers (a text literal stays a question) */
    if (k == FV_TEXT && want == FV_NUM) {
        bool text_lit = false;
        for (int i = 0; i < n; i++)
            text_lit |= v[i].k == FV_TEXT && v[i].e->kind == PE_TEXT;
        if (!text_lit)
            k = FV_NUM;
    }
    for (int i = 0; i < n; i++) {
        if (v[i].k == k || v[i].k == FV_NULL)
            continue;
        plan_expr *e = k == FV_NUM ? fx_to_num(x, v[i], fn, false)
                     : k == FV_DATE ? fx_to_date(x, v[i], fn)
                     : k == FV_TEXT ? fx_to_text(x, v[i], fn)
                     : fx_to_bool(x, v[i], fn);
        if (!e)
            return false;
        v[i] = fx_val(e, k);
    }
    return true;
}

fx_value fx_if_value(fctx *x, plan_expr *c, fx_value a, fx_value b, const char *fn)
{
    fx_value v[2] = {a, b};
    if (!c || !fx_unify(x, v, 2, fn))
        return fx_none();
    plan_expr *e = plan_new_expr(x->p, PE_IF);
    e->kid[0] = c;
    e->kid[1] = v[0].e;
    e->kid[2] = v[1].e;
    return fx_val(e, v[0].k != FV_NULL ? v[0].k : v[1].k);
}

/* ---- code maps ------------------------------------------------------------------------------- */


bool fx_same_node(const fx_node *a, const fx_node *b)
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
        if ((a->kid[i] || b->kid[i]) && !fx_same_node(a->kid[i], b->kid[i]))
            return false;
    return true;
}

static bool map_add(codemap *m, const fx_node *subject, const fx_node *key, const fx_node *v)
{
    /* a number key compares as a number (SQL casts '01' = 1): an if-chain of comparisons, not a map */
    if (m->n >= 64 || key->kind != FX_STR || !is_lit(v) || (m->subject && !fx_same_node(m->subject, subject)))
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

fx_value fx_build_map(fctx *x, codemap *m, const char *fn)
{
    fx_value s = fx_translate(x, m->subject);
    plan_expr *e = fx_to_text(x, s, fn);
    if (!e)
        return fx_none();
    bool fold = x->excel;
    if (fold)
        e = fx_stepped(x, e, PS_UPPER);
    /* the keys must be seen in the data: a map fx_none of whose keys occur is a guess */
    const prof_column *pc = fx_sample_column(x, e);
    int seen = 0;
    for (int i = 0; i < m->n; i++)
        seen += !pc || infer_sample_value(pc, m->keys[i]->s) != NULL;
    if (pc && pc->nsample > 0 && !seen) {
        fx_say(x, "%s maps codes fx_none of which occurs in the sample of %s.", fn, pc->name);
        return fx_none();
    }
    for (int i = 0; i < m->n; i++)
        if (case_doubt(x, pc, m->keys[i]->s, fn))
            return fx_none();
    fx_value vals[66];
    int nv = 0;
    for (int i = 0; i < m->n; i++)
        vals[nv++] = fx_translate(x, m->vals[i]);
    bool has_else = m->els && m->els->kind != FX_NULL && !m->keep;
    if (has_else)
        vals[nv++] = fx_translate(x, m->els);
    if (!fx_unify(x, vals, nv, fn))
        return fx_none();
    fv_kind k = FV_NULL;
    for (int i = 0; i < nv; i++)
        if (vals[i].k != FV_NULL)
            k = vals[i].k;
    if (m->keep && k != FV_TEXT && k != FV_NULL) {
        fx_say(x, "%s keeps unknown codes as they are but maps the others to non-text values.", fn);
        return fx_none();
    }
    plan_expr *r = fx_stepped(x, e, PS_MAP);
    for (int i = 0; i < m->n; i++) {
        const char *key = fold && fx_has_letters(m->keys[i]->s) ? upper_text(x, m->keys[i]->s) : m->keys[i]->s;
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
            return fx_none();
        }
    if (has_else) {
        /* a null value matches no WHEN: it gets the ELSE too (a map passes nulls through) */
        plan_expr *d = fx_stepped(x, r, PS_DEFAULT);
        d->step.value = vals[nv - 1].e;
        r = d;
    }
    return fx_val(r, k == FV_NULL ? FV_TEXT : k);
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
    if (mappable && (!els || is_lit(els) || (fx_same_node(els, m.subject) && !x->excel))) {
        m.els = els;
        m.keep = els && fx_same_node(els, m.subject);
        return fx_build_map(x, &m, "CASE");
    }
    /* an if-chain, from the last arm backwards */
    fx_value acc = els ? fx_translate(x, els) : fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    for (int i = arms - 1; i >= 0 && acc.e; i--) {
        const fx_node *w = n->kid[1 + 2 * i];
        plan_expr *c;
        if (n->kid[0]) {
            fx_node eq = {.kind = FX_BIN, .op = '=', .n = 2, .kid = (fx_node *[]){n->kid[0], (fx_node *)w}};
            c = fx_condition(x, &eq);
        } else {
            c = fx_condition(x, w);
        }
        acc = fx_if_value(x, c, fx_translate(x, n->kid[2 + 2 * i]), acc, "CASE");
    }
    return acc;
}

fx_value fx_decode(fctx *x, const fx_node *n)
{
    codemap m = {0};
    int i = 1;
    for (; i + 1 < n->n; i += 2)
        if (!map_add(&m, n->kid[0], n->kid[i], n->kid[i + 1])) {
            fx_say(x, "DECODE is read only with literal codes and values.");
            return fx_none();
        }
    if (i < n->n) {
        if (!is_lit(n->kid[i]) && !fx_same_node(n->kid[i], n->kid[0])) {
            fx_say(x, "DECODE's default is read only as a literal or the value itself.");
            return fx_none();
        }
        m.els = n->kid[i];
        m.keep = fx_same_node(n->kid[i], n->kid[0]);
    }
    if (!m.n) {
        fx_say(x, "DECODE has no codes.");
        return fx_none();
    }
    return fx_build_map(x, &m, "DECODE");
}

/* IF(x="a", v1, IF(x="b", v2, els)) as one code map when every test is on the same value. */
bool fx_if_chain_map(const fx_node *n, codemap *m)
{
    while (n && n->kind == FX_CALL && (!strcmp(n->s, "IF") || !strcmp(n->s, "IIF")) && n->n == 3) {
        const fx_node *c = n->kid[0];
        if (!(c->kind == FX_BIN && c->op == '=' && (c->kid[1]->kind == FX_STR) && *c->kid[1]->s))
            return false;
        if (!map_add(m, c->kid[0], c->kid[1], n->kid[1]))
            return false;
        n = n->kid[2];
    }
    if (!n || m->n < 2 || !(is_lit(n) || fx_same_node(n, m->subject)))
        return false;
    m->els = n;
    m->keep = fx_same_node(n, m->subject);
    return true;
}

/* ---- the tree -------------------------------------------------------------------------------- */

fx_value fx_translate(fctx *x, const fx_node *n)
{
    if (!n || failed(x))
        return fx_none();
    switch (n->kind) {
    case FX_NUM:
        return fx_val(plan_number_lit(x->p, n->pct ? percent_text(x, n->s) : n->s), FV_NUM);
    case FX_STR:
        /* SQL's "Vendor Name" is a column (Excel's "x" is text) */
        if (n->flag && !x->excel && *n->s && data_column(x, n->s, true))
            return source_value(x, data_column(x, n->s, true));
        return *n->s ? fx_val(plan_text_lit(x->p, n->s), FV_TEXT) : fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    case FX_NULL: return fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL);
    case FX_BOOL: {
        plan_expr *e = plan_new_expr(x->p, PE_BOOL);
        e->flag = n->flag;
        return fx_val(e, FV_BOOL);
    }
    case FX_NAME:
        if (n->s2 && x->join_alias && (!strcasecmp(n->s2, x->join_alias) || !strcasecmp(n->s2, x->join_tab)))
            return fx_joined_value(x, n);
        if (n->s2 && x->join_tab && !strcasecmp(n->s2, x->join_tab))
            return fx_joined_value(x, n);
        return resolve(x, n->s, false);
    case FX_REF: return resolve(x, n->s, false);
    case FX_RANGE:
        if (!n->s && n->s2) {     /* A:A, a whole column of the data */
            char first[8] = "";
            sscanf(n->s2, "%7[A-Za-z$]", first);
            return resolve(x, first, true);
        }
        fx_say(x, "The range %s!%s is used as a value.", n->s ? n->s : "", n->s2 ? n->s2 : "");
        return fx_none();
    case FX_NEG: {
        fx_value v = fx_translate(x, n->kid[0]);
        if (v.e && v.e->kind == PE_NUMBER && v.e->text[0] != '-')
            return fx_val(plan_number_lit(x->p, mf_arena_printf(&x->p->arena, "-%s", v.e->text)), FV_NUM);
        plan_expr *e = fx_to_num(x, v, "The minus sign", false);
        return e ? fx_val(fx_stepped(x, e, PS_NEGATE), FV_NUM) : fx_none();
    }
    case FX_BIN:
        if (n->op == '&' && n->flag && !x->excel)
            return fx_pipes(x, n);
        if (n->op == '&') {
            const fx_node *k[2] = {n->kid[0], n->kid[1]};
            return fx_concat_all(x, k, 2, NULL, "&");
        }
        if (strchr("+-*/", n->op))
            return fx_arith(x, n);
        return fx_val(fx_condition(x, n), FV_BOOL);
    case FX_CASE: return case_expr(x, n);
    case FX_CALL: return fx_call(x, n);
    case FX_NOT:
    case FX_IN:
    case FX_LIKE:
    case FX_ISNULL:
    case FX_BETWEEN: return fx_val(fx_condition(x, n), FV_BOOL);
    default:
        fx_say(x, "A part of the formula is not a value.");
        return fx_none();
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
            const char *src = fx_base_source(e);
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

/* Does a condition compare a source whose sample has blanks (SQL then gives null, not false)? */
static bool null_operands(fctx *x, const plan_expr *e)
{
    if (!e || e->kind == PE_MISSING || e->kind == PE_PRESENT || e->kind == PE_STEP)
        return false;
    if (e->kind == PE_SOURCE) {
        const prof_column *pc = fx_prof(x, e->name);
        for (long i = 0; pc && i < pc->nsample; i++)
            if (!pc->sample[i] || !*pc->sample[i])
                return true;
        return pc && pc->nblank > 0;
    }
    if (e->kind == PE_CMP || e->kind == PE_IN || e->kind == PE_CONTAINS || e->kind == PE_STARTS ||
        e->kind == PE_ENDS) {
        const plan_expr *k = e->kid[0];
        while (k && k->kind == PE_STEP && k->step.kind != PS_DEFAULT)
            k = k->kid[0];
        const plan_expr *k2 = e->kid[1];
        while (k2 && k2->kind == PE_STEP && k2->step.kind != PS_DEFAULT)
            k2 = k2->kid[0];
        return null_operands(x, k) || null_operands(x, k2);
    }
    if (e->kind == PE_AND || e->kind == PE_OR || e->kind == PE_NOT)
        return null_operands(x, e->kid[0]) || null_operands(x, e->kid[1]);
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
        plan_expr *e = fx_to_num(x, v, "The column", t.base != PT_DECIMAL);
        if (e && t.base == PT_DECIMAL && (divides(e) || (multiplies(e) && max_scale(x, e) > t.scale)) &&
            !(e->kind == PE_STEP && e->step.kind == PS_ROUND)) {
            e = fx_stepped(x, e, PS_ROUND);     /* a division's or a product's decimals, made visible */
            e->step.n = t.scale;
        }
        return e;
    }
    case PT_DATE: return fx_to_date(x, v, "The column");
    case PT_BOOLEAN:
        if (!x->excel && v.k == FV_BOOL && null_operands(x, v.e)) {
            fx_say(x, "In SQL a comparison with a null value gives null, and the sample has blanks: should %s be "
                      "null or false then?", x->c->column);
            return NULL;
        }
        return fx_to_bool(x, v, "The column");
    case PT_TIMESTAMP:
        fx_say(x, "The target is a timestamp, which the planner cannot read yet.");
        return NULL;
    default: return v.e;
    }
}
