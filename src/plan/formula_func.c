/* formula_func.c — the functions of SQL and Excel, one translation each, and the function table
 * (fx_call): text (LEFT/RIGHT/MID/SUBSTRING, FIND-based cuts, SPLIT_PART, LPAD, REPLACE, TRIM,
 * CONCAT, `||`), numbers (CAST/VALUE/NUMBERVALUE with the separators their REPLACEs name, ROUND,
 * arithmetic), dates (TO_DATE, CONVERT styles, DATE(y,m,d) from positions, DATEDIFF, TEXT/TO_CHAR,
 * date parts), lookups (VLOOKUP, LEFT JOIN), and the null functions (COALESCE, NULLIF, IFERROR).
 * Invariants (those of formula_expr.c): an argument the plan cannot express exactly, or a reading
 * the sample contradicts, is a sentence in fctx.why and fx_none() — never an approximation; where
 * SQL or Excel and the plan differ on a value the sample could show (LPAD cutting, a missing
 * delimiter, PROPER after an apostrophe, VLOOKUP's case), a sampled value that tells them apart is
 * a question.
 */
#include "plan/formula_internal.h"

#include "mapping/mapping.h"
#include "plan/tabs.h"
#include "util/date.h"
#include "util/decimal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static fx_value date_of(fctx *x, const fx_node *n, const char *pattern, const char *fn);

/* ---- text functions -------------------------------------------------------------------------- */

static fx_value text_arg(fctx *x, const fx_node *n, const char *fn)
{
    if (n && (n->kind == FX_NUM || n->kind == FX_STR) && !n->flag) {
        fx_say(x, "%s applies to the constant %s, not to a column.", fn, n->s);
        return fx_none();
    }
    fx_value v = fx_translate(x, n);
    if (!v.e)
        return fx_none();
    return fx_val(fx_to_text(x, v, fn), FV_TEXT);
}

static fx_value text_step(fctx *x, const fx_node *n, plan_step_kind k)
{
    if (n->n != 1) {
        fx_say(x, "%s takes one argument here.", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    if (v.e->kind == PE_NULL)
        return v;
    return fx_val(fx_stepped(x, v.e, k), FV_TEXT);
}

fx_value fx_concat_all(fctx *x, const fx_node *const *args, int n, const char *sep, const char *fn)
{
    plan_expr *e = NULL;
    for (int i = 0; i < n; i++) {
        fx_value v = fx_translate(x, args[i]);
        plan_expr *t = fx_to_text(x, v, fn);
        if (!t)
            return fx_none();
        if (t->kind == PE_NULL)
            continue;
        if (e && sep)
            e = plan_binary(x->p, PB_CONCAT, e, plan_text_lit(x->p, sep));
        e = e ? plan_binary(x->p, PB_CONCAT, e, t) : t;
    }
    return e ? fx_val(e, FV_TEXT) : fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL);
}

/* FIND("@", x) / SEARCH / POSITION('@' IN x) / INSTR(x, '@') / CHARINDEX('@', x) / STRPOS(x, '@'),
 * plus or minus a literal: the delimiter, the text searched and the offset. */
static bool find_call(const fx_node *n, const char **delim, const fx_node **hay, long *plus)
{
    *plus = 0;
    if (n && n->kind == FX_BIN && (n->op == '+' || n->op == '-')) {
        long k;
        if (!fx_lit_int(n->kid[1], &k))
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
    *delim = fx_lit_str(needle);
    return *delim && **delim && !(fx_has_letters(*delim) && !strcmp(n->s, "SEARCH"));
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
    return fx_same_node(len->kid[0], *hay);
}

/* LEN(x) - k (k literal, 0 when absent) for the same x. */
static bool len_minus(const fx_node *n, const fx_node *of, long *k)
{
    *k = 0;
    if (n && n->kind == FX_BIN && n->op == '-' && fx_lit_int(n->kid[1], k))
        n = n->kid[0];
    return n && n->kind == FX_CALL && (!strcmp(n->s, "LEN") || !strcmp(n->s, "LENGTH")) && n->n == 1 &&
           fx_same_node(n->kid[0], of);
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
            fx_say(x, "%s cuts at '%s', but the sampled value \"%s\" has fx_none: what should it give then?", fn, delim,
                   pc->sample[i]);
            return false;
        }
    return true;
}

static fx_value cut(fctx *x, const fx_node *hay, const char *delim, bool before, const char *fn)
{
    fx_value v = text_arg(x, hay, fn);
    if (!v.e || !delimiter_seen(x, v.e, delim, fn))
        return fx_none();
    plan_expr *e = fx_stepped(x, v.e, before ? PS_BEFORE : PS_AFTER);
    e->step.s = plan_strdup(x->p, delim);
    return fx_val(e, FV_TEXT);
}

static fx_value chars(fctx *x, plan_expr *e, plan_step_kind k, long n, long m)
{
    plan_expr *r = fx_stepped(x, e, k);
    r->step.n = n;
    r->step.m = m;
    return fx_val(r, FV_TEXT);
}

static fx_value left_right(fctx *x, const fx_node *n, bool left)
{
    long k = 1;
    const char *delim;
    const fx_node *hay;
    long plus;
    if (n->n == 2 && left && find_call(n->kid[1], &delim, &hay, &plus) && plus == -1 && fx_same_node(hay, n->kid[0]))
        return cut(x, hay, delim, true, n->s);
    if (n->n == 2 && !left && len_minus_find(n->kid[1], &delim, &hay) && fx_same_node(hay, n->kid[0]))
        return cut(x, hay, delim, false, n->s);
    if (n->n == 2 && !left && len_minus(n->kid[1], n->kid[0], &k) && k >= 0) {   /* RIGHT(x, LEN(x)-3) */
        fx_value v = text_arg(x, n->kid[0], n->s);
        return v.e ? chars(x, v.e, PS_SUBSTR, k + 1, FX_TO_END) : fx_none();
    }
    if ((n->n != 1 && n->n != 2) || (n->n == 2 && !fx_lit_int(n->kid[1], &k)) || k < 0) {
        fx_say(x, "%s is read with a literal number of characters (or up to a FIND of a delimiter).", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    if (k == 0)
        return fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL);
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
    long ignored;
    if (n->n < 2 || n->n > 3 || (n->n == 3 && !fx_lit_int(n->kid[2], &len) && !len_minus(n->kid[2], n->kid[0], &ignored) &&
                                 !find_call(n->kid[2], &delim, &hay, &plus))) {
        fx_say(x, "%s is read with a literal start and length.", n->s);
        return fx_none();
    }
    if (find_call(n->kid[1], &delim, &hay, &plus) && plus == 1 && fx_same_node(hay, n->kid[0])) {
        fx_value v = cut(x, hay, delim, false, n->s);
        /* MID(x, FIND(..)+1, n) takes at most n characters: the same as "text after" when no
         * sampled value is longer than n (and the column is no wider) */
        long w = v.e ? longest(x, v.e->kid[0]) : 0;
        long target = x->c->type.base == PT_TEXT ? x->c->type.len : 0;
        if (v.e && len >= 0 && (w < 0 || len < w) && (target <= 0 || len < target)) {
            fx_say(x, "%s takes at most %ld characters after '%s', which may cut longer values.", n->s, len, delim);
            return fx_none();
        }
        return v;
    }
    if (n->n == 3 && find_call(n->kid[2], &delim, &hay, &plus) && plus == -1 && fx_lit_int(n->kid[1], &s) && s == 1 &&
        fx_same_node(hay, n->kid[0]))
        return cut(x, hay, delim, true, n->s);
    if (!fx_lit_int(n->kid[1], &s) || s < 1 || len == 0) {
        fx_say(x, "%s is read with a literal start (from 1) and length.", n->s);
        return fx_none();
    }
    if (n->n == 2 || (n->n == 3 && len < 0 && len_minus(n->kid[2], n->kid[0], &ignored) && ignored <= s - 1)) {
        /* SUBSTRING(x, 3) / MID(x, 3, LEN(x)): from a position to the end */
        fx_value v = text_arg(x, n->kid[0], n->s);
        return v.e ? chars(x, v.e, PS_SUBSTR, s, FX_TO_END) : fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    return chars(x, v.e, PS_SUBSTR, s, s + len - 1);
}

static fx_value split_part(fctx *x, const fx_node *n)
{
    long k;
    const char *d = n->n == 3 ? fx_lit_str(n->kid[1]) : NULL;
    if (!d || !*d || !fx_lit_int(n->kid[2], &k) || k < 1) {
        fx_say(x, "%s is read with a literal delimiter and a field number from 1.", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    plan_expr *e = v.e;
    for (long i = 1; i < k; i++) {
        e = fx_stepped(x, e, PS_AFTER);
        e->step.s = plan_strdup(x->p, d);
    }
    e = fx_stepped(x, e, PS_BEFORE);
    e->step.s = plan_strdup(x->p, d);
    return fx_val(e, FV_TEXT);
}

static fx_value pad(fctx *x, const fx_node *n, bool left)
{
    long w;
    const char *ch = n->n == 3 ? fx_lit_str(n->kid[2]) : " ";
    if ((n->n != 2 && n->n != 3) || !fx_lit_int(n->kid[1], &w) || w < 1 || !ch || strlen(ch) != 1) {
        fx_say(x, "%s is read with a literal length and one pad character.", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    /* SQL's LPAD cuts longer values to the length; the plan's pad leaves them: fx_none may occur */
    long wmax = longest(x, v.e);
    if (wmax > w) {
        fx_say(x, "%s(.., %ld) cuts values longer than %ld characters, and the sample has one.", n->s, w, w);
        return fx_none();
    }
    plan_expr *e = fx_stepped(x, v.e, left ? PS_PAD_LEFT : PS_PAD_RIGHT);
    e->step.s = plan_strdup(x->p, ch);
    e->step.n = w;
    return fx_val(e, FV_TEXT);
}

/* ---- numbers --------------------------------------------------------------------------------- */

/* REPLACE/SUBSTITUTE around a value read as a number say its format: '$' and ',' removed,
 * ',' replaced by '.'.  Returns the innermost value; h collects what the calls say. */
static const fx_node *peel_number_format(const fx_node *n, infer_numhint *h)
{
    while (n && n->kind == FX_CALL && (!strcmp(n->s, "REPLACE") || !strcmp(n->s, "SUBSTITUTE")) && n->n == 3) {
        const char *from = fx_lit_str(n->kid[1]), *to = n->kid[2]->kind == FX_NULL ? "" : fx_lit_str(n->kid[2]);
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
        return fx_none();
    if (h.stated && v.k == FV_TEXT) {
        /* SQL's CAST reads plain numbers only: what the REPLACEs leave is the whole format; Excel's
         * VALUE also reads the locale's separators, which the sample shows */
        if (!h.decimal_set && !x->excel) {
            h.nf.decimal = h.nf.thousands == '.' ? ',' : '.';
            h.decimal_set = true;
        }
        if (!h.thousands_set && !x->excel)
            h.thousands_set = true;       /* nothing removed: no thousands separator */
        return fx_val(fx_read_number(x, v.e, &h, integer), FV_NUM);
    }
    if (inner != n)
        v = fx_translate(x, n);
    return fx_val(fx_to_num(x, v, fn, integer), FV_NUM);
}

static fx_value number_value(fctx *x, const fx_node *n)
{
    const char *dec = n->n >= 2 ? fx_lit_str(n->kid[1]) : ".", *grp = n->n >= 3 ? fx_lit_str(n->kid[2]) : NULL;
    if (n->n < 1 || n->n > 3 || !dec || strlen(dec) != 1 || (grp && strlen(grp) > 1)) {
        fx_say(x, "NUMBERVALUE is read with literal one-character separators.");
        return fx_none();
    }
    fx_value v = fx_translate(x, n->kid[0]);
    if (!v.e || v.k != FV_TEXT)
        return fx_val(fx_to_num(x, v, "NUMBERVALUE", false), FV_NUM);
    infer_numhint h = {.nf = {.decimal = dec[0], .thousands = grp ? grp[0] : 0}, .decimal_set = true,
                       .thousands_set = grp != NULL, .stated = true};
    return fx_val(fx_read_number(x, v.e, &h, false), FV_NUM);
}

static fx_value rounded(fctx *x, const fx_node *n)
{
    long d = 0;
    if (n->n < 1 || n->n > 2 || (n->n == 2 && !fx_lit_int(n->kid[1], &d)) || d < 0 || d > 30) {
        fx_say(x, "%s is read with a literal number of decimals (0 or more).", n->s);
        return fx_none();
    }
    /* ROUNDUP(MONTH(d)/3, 0) is the quarter of d */
    const fx_node *q = n->kid[0];
    long three;
    if (!strcmp(n->s, "ROUNDUP") && d == 0 && q->kind == FX_BIN && q->op == '/' && q->kid[0]->kind == FX_CALL &&
        !strcmp(q->kid[0]->s, "MONTH") && q->kid[0]->n == 1 && fx_lit_int(q->kid[1], &three) && three == 3) {
        fx_value date = date_of(x, q->kid[0]->kid[0], NULL, "MONTH");
        if (!date.e)
            return fx_none();
        plan_expr *e = fx_stepped(x, date.e, PS_DATE_PART);
        e->step.s = "quarter";
        return fx_val(e, FV_NUM);
    }
    fx_value v = fx_translate(x, n->kid[0]);
    plan_expr *e = fx_to_num(x, v, n->s, false);
    if (!e)
        return fx_none();
    plan_expr *r = fx_stepped(x, e, PS_ROUND);
    r->step.n = d;
    r->step.m = !strcmp(n->s, "ROUNDUP") ? 1 : strcmp(n->s, "ROUND") ? 2 : 0;   /* TRUNC: toward zero */
    return fx_val(r, FV_NUM);
}

/* Is every non-blank sampled value plain digits (a number as much as a date)? */
static bool digits_only(const prof_column *pc)
{
    long n = 0;
    for (long i = 0; i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        if (!v || !*v)
            continue;
        if (strspn(v, "0123456789") != strlen(v))
            return false;
        n++;
    }
    return n > 0;
}

fx_value fx_arith(fctx *x, const fx_node *n)
{
    fx_value a = fx_translate(x, n->kid[0]), b = fx_translate(x, n->kid[1]);
    if (!a.e || !b.e)
        return fx_none();
    /* date - date: days between (Excel and SQL both subtract dates so) */
    if (n->op == '-' && (a.k == FV_DATE || b.k == FV_DATE || (a.k == FV_TEXT && b.k == FV_TEXT))) {
        bool dates = a.k == FV_DATE || b.k == FV_DATE;
        if (!dates) {
            /* two text columns: dates when their samples read as dates and not as numbers */
            mf_buf w = {0};
            const prof_column *pa = fx_sample_column(x, a.e), *pb = fx_sample_column(x, b.e);
            dates = pa && pb && (fx_stated_pattern(x, fx_base_source(a.e)) ||
                                 infer_date_pattern(pa, pa->name, &w)) &&
                    (fx_stated_pattern(x, fx_base_source(b.e)) || infer_date_pattern(pb, pb->name, &w));
            mf_buf_free(&w);
            bool numbers = pa && pb && digits_only(pa) && digits_only(pb);
            if (dates && numbers) {
                fx_say(x, "It subtracts %s from %s, which read both as numbers and as dates: a difference in days?",
                       pb->name, pa->name);
                return fx_none();
            }
        }
        if (dates) {
            plan_expr *ea = fx_to_date(x, a, "The subtraction"), *eb = fx_to_date(x, b, "The subtraction");
            if (!ea || !eb)
                return fx_none();
            plan_expr *e = plan_new_expr(x->p, PE_DAYS);
            e->kid[0] = eb;
            e->kid[1] = ea;
            return fx_val(e, FV_NUM);
        }
    }
    if (a.k == FV_DATE || b.k == FV_DATE) {
        long k;
        const fx_node *days = a.k == FV_DATE ? n->kid[1] : n->kid[0];
        if ((n->op != '+' && !(n->op == '-' && a.k == FV_DATE)) || !fx_lit_int(days, &k) || labs(k) > PLAN_MAX_ADD_DAYS) {
            fx_say(x, "Date arithmetic is read as a date plus or minus a literal number of days.");
            return fx_none();
        }
        plan_expr *e = fx_stepped(x, fx_to_date(x, a.k == FV_DATE ? a : b, "The date arithmetic"), PS_ADD_DAYS);
        e->step.n = n->op == '-' ? -k : k;
        return fx_val(e, FV_DATE);
    }
    bool integer = x->c->type.base == PT_INTEGER || x->c->type.base == PT_BIGINT;
    if (n->op == '/' )
        integer = false;
    plan_expr *ea = fx_blank_is_zero(x, a, fx_to_num(x, a, "The arithmetic", integer));
    plan_expr *eb = fx_blank_is_zero(x, b, fx_to_num(x, b, "The arithmetic", integer));
    if (!ea || !eb)
        return fx_none();
    /* -1 * x is x negated */
    if (n->op == '*' && ea->kind == PE_NUMBER && !strcmp(ea->text, "-1"))
        return fx_val(fx_stepped(x, eb, PS_NEGATE), FV_NUM);
    if (n->op == '*' && eb->kind == PE_NUMBER && !strcmp(eb->text, "-1"))
        return fx_val(fx_stepped(x, ea, PS_NEGATE), FV_NUM);
    return fx_val(plan_binary(x->p, n->op, ea, eb), FV_NUM);
}

/* ---- dates ----------------------------------------------------------------------------------- */

/* A date format of SQL or Excel (TO_DATE's 'DD-MON-YY', TEXT's "yyyy-mm-dd") in the plan's notation;
 * NULL when it is not a whole date pattern. */
/* MySQL's %Y-%m-%d in the SQL notation (YYYY-MM-DD); other text unchanged. */
static const char *percent_codes(fctx *x, const char *fmt)
{
    if (!strchr(fmt, '%'))
        return fmt;
    static const char *const C[][2] = {{"%Y", "YYYY"}, {"%y", "YY"}, {"%m", "MM"}, {"%c", "M"}, {"%d", "DD"},
                                       {"%e", "D"}, {"%b", "Mon"}, {"%M", "Month"}};
    mf_buf b = {0};
    for (const char *q = fmt; *q;) {
        size_t k;
        for (k = 0; k < sizeof C / sizeof *C; k++)
            if (!strncmp(q, C[k][0], 2))
                break;
        if (k < sizeof C / sizeof *C) {
            mf_buf_adds(&b, C[k][1]);
            q += 2;
        } else {
            mf_buf_addc(&b, *q++);
        }
    }
    const char *r = mf_arena_strdup(x->a, mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

static const char *date_format(fctx *x, const char *fmt)
{
    fmt = percent_codes(x, fmt);
    char buf[64];
    size_t o = 0;
    for (const char *q = fmt; *q && o + 1 < sizeof buf; q++) {
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
        return fx_none();
    if (v.k == FV_TEXT && v.e->kind != PE_TEXT)
        return fx_val(fx_read_date(x, v.e, pattern, fn), FV_DATE);
    if (v.k == FV_TEXT) {
        const char *p = pattern ? pattern : "YYYY-MM-DD";
        int32_t d;
        if (!mf_date_parse(p, v.e->text, strlen(v.e->text), x->pivot, &d)) {
            fx_say(x, "%s: '%s' is not a %s date.", fn, v.e->text, p);
            return fx_none();
        }
        char iso[16];
        mf_date_format(d, iso);                 /* a constant: written in its canonical form */
        return fx_val(fx_date_constant(x, plan_strdup(x->p, iso)), FV_DATE);
    }
    return fx_val(fx_to_date(x, v, fn), FV_DATE);
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
    if (!strcmp(n->s, "LEFT") && n->n == 2 && fx_lit_int(n->kid[1], &a))
        *d = (datepart){n->kid[0], 1, a};
    else if (!strcmp(n->s, "RIGHT") && n->n == 2 && fx_lit_int(n->kid[1], &a))
        *d = (datepart){n->kid[0], 0, a};
    else if ((!strcmp(n->s, "MID") || !strcmp(n->s, "SUBSTRING") || !strcmp(n->s, "SUBSTR")) && n->n == 3 &&
             fx_lit_int(n->kid[1], &a) && fx_lit_int(n->kid[2], &b))
        *d = (datepart){n->kid[0], a, b};
    else
        return false;
    return d->len > 0;
}

static fx_value date_from_parts(fctx *x, const fx_node *n)
{
    if (n->n != 3) {
        fx_say(x, "DATE takes a year, a month and a day.");
        return fx_none();
    }
    long y, m, d;
    if (fx_lit_int(n->kid[0], &y) && fx_lit_int(n->kid[1], &m) && fx_lit_int(n->kid[2], &d)) {
        if (!mf_date_valid((int)y, (int)m, (int)d)) {
            fx_say(x, "DATE(%ld, %ld, %ld) is not a date.", y, m, d);
            return fx_none();
        }
        return fx_val(fx_date_constant(x, mf_arena_printf(&x->p->arena, "%04ld-%02ld-%02ld", y, m, d)), FV_DATE);
    }
    datepart part[3];
    for (int i = 0; i < 3; i++)
        if (!part_of(n->kid[i], &part[i]) || !fx_same_node(part[i].src, part[0].src)) {
            fx_say(x, "DATE is read when its year, month and day are LEFT/MID/RIGHT of one value.");
            return fx_none();
        }
    fx_value v = text_arg(x, part[0].src, "DATE");
    if (!v.e)
        return fx_none();
    const prof_column *pc = fx_sample_column(x, v.e);
    const char *first = NULL;
    for (long i = 0; pc && i < pc->nsample && !first; i++)
        if (pc->sample[i] && *pc->sample[i])
            first = pc->sample[i];
    if (!first) {
        fx_say(x, "DATE reads fixed positions of %s, but there is no sample to see how it is written.",
               pc ? pc->name : "the value");
        return fx_none();
    }
    size_t len = strlen(first);
    char pat[40];
    if (len >= sizeof pat / 2) {
        fx_say(x, "DATE reads positions of values too long to be dates.");
        return fx_none();
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
            return fx_none();
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
                return fx_none();
            }
            pat[o++] = first[k];
        }
    }
    pat[o] = 0;
    return fx_val(fx_read_date(x, v.e, plan_strdup(x->p, pat), "DATE"), FV_DATE);
}

static fx_value days_between(fctx *x, const fx_node *a, const fx_node *b, const char *fn)
{
    fx_value va = fx_translate(x, a), vb = fx_translate(x, b);
    plan_expr *ea = fx_to_date(x, va, fn), *eb = fx_to_date(x, vb, fn);
    if (!ea || !eb)
        return fx_none();
    plan_expr *e = plan_new_expr(x->p, PE_DAYS);
    e->kid[0] = ea;
    e->kid[1] = eb;
    return fx_val(e, FV_NUM);
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
    return fx_none();
}

/* TEXT(x, "000000") / TEXT(d, "yyyy-mm-dd") */
static fx_value text_fn(fctx *x, const fx_node *n)
{
    const char *fmt = n->n == 2 ? fx_lit_str(n->kid[1]) : NULL;
    if (!fmt || !*fmt) {
        fx_say(x, "TEXT is read with a literal format.");
        return fx_none();
    }
    size_t zeros = strspn(fmt, "0");
    if (zeros == strlen(fmt)) {
        fx_value v = fx_translate(x, n->kid[0]);
        if (!v.e || v.k != FV_TEXT || v.e->kind == PE_TEXT) {
            if (v.e)
                fx_say(x, "TEXT(.., \"%s\") of a computed number needs a step that writes a number as text.", fmt);
            return fx_none();
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
                return fx_none();
            }
        }
        plan_expr *e = fx_stepped(x, v.e, PS_PAD_LEFT);
        e->step.s = "0";
        e->step.n = (long)zeros;
        return fx_val(e, FV_TEXT);
    }
    const char *pat = fx_format_pattern(x, fmt);
    if (pat) {
        fx_value d = date_of(x, n->kid[0], NULL, "TEXT");
        if (!d.e)
            return fx_none();
        if (x->c->type.base == PT_DATE && !strcmp(pat, "YYYY-MM-DD"))
            return d;    /* the date itself: output dates are written YYYY-MM-DD */
        if (x->c->type.base == PT_DATE) {
            fx_say(x, "It writes the date as %s, but output dates are always written YYYY-MM-DD: should the target "
                      "be text?", fmt);
            return fx_none();
        }
        return fx_written_as(x, d.e, fmt, "TEXT");
    }
    fx_say(x, "TEXT's format \"%s\" is not one I can read.", fmt);
    return fx_none();
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
    long nonblank = 0, found = 0;
    const char *missing = NULL;
    for (long i = 0; i < pc->nsample; i++) {
        if (!pc->sample[i] || !*pc->sample[i])
            continue;
        nonblank++;
        bool hit = false;
        for (int r = 1; r < sh->nrows && !hit; r++)
            hit = !strcmp(MF_SHEET_CELL(sh, r, kc), pc->sample[i]);
        found += hit;
        if (!hit && !missing)
            missing = pc->sample[i];
    }
    if (!nonblank)
        return true;
    if (!found) {
        fx_say(x, "%s looks %s up in tab '%s', but no sampled value is a key there.", fn, pc->name, sh->name);
        return false;
    }
    /* without a fallback a key that is not found rejects the row: most of the sample must be found */
    if (!x->in_iferror && found * 2 <= nonblank) {
        fx_say(x, "%s rejects rows whose key is not in tab '%s', and %ld of %ld sampled values of %s (such as \"%s\") "
                  "are not: is a fallback meant?", fn, sh->name, nonblank - found, nonblank, pc->name, missing);
        return false;
    }
    return true;
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
    plan_expr *e = fx_stepped(x, key, PS_LOOKUP);
    e->step.s = name;
    e->step.map.otherwise = PO_REJECT;
    return e;
}

static fx_value vlookup(fctx *x, const fx_node *n)
{
    long col;
    bool exact = n->n == 4 && ((n->kid[3]->kind == FX_BOOL && !n->kid[3]->flag) ||
                               (n->kid[3]->kind == FX_NUM && !strcmp(n->kid[3]->s, "0")));
    if (n->n < 3 || !exact || n->kid[1]->kind != FX_RANGE || !fx_lit_int(n->kid[2], &col) || col < 2) {
        fx_say(x, "VLOOKUP is read as VLOOKUP(value, Tab!A:B, column, FALSE) (an exact match).");
        return fx_none();
    }
    const fx_node *r = n->kid[1];
    const mf_sheet *sh = fx_lookup_tab(x, r->s);
    if (!sh) {
        fx_say(x, "VLOOKUP uses tab '%s', which the mapping workbook does not have.", r->s ? r->s : "");
        return fx_none();
    }
    char first[8] = "";
    sscanf(r->s2, "%7[A-Za-z$]", first);
    int kc = fx_cell_column(first, false), vc = kc + (int)col - 1;
    if (kc < 0 || vc >= sh->ncols) {
        fx_say(x, "VLOOKUP's range %s!%s does not fit tab '%s'.", r->s, r->s2, sh->name);
        return fx_none();
    }
    fx_value k = text_arg(x, n->kid[0], "VLOOKUP");
    if (!k.e || !keys_seen(x, k.e, sh, kc, "VLOOKUP") || !keys_case_clear(x, k.e, sh, kc))
        return fx_none();
    const char *name = tabs_lookup(x->p, sh, kc, vc, x->c->row, x->rule);
    return fx_val(looked_up(x, k.e, name), FV_TEXT);
}

/* m.STD_ACCT of LEFT JOIN ACCT_MAP m ON m.CLIENT_ACCT = ACCOUNT */
fx_value fx_joined_value(fctx *x, const fx_node *n)
{
    const mf_sheet *sh = fx_lookup_tab(x, x->join_tab);
    int vc = -1;
    for (int c = 0; sh && c < sh->ncols; c++)
        if (!strcasecmp(MF_SHEET_CELL(sh, 0, c), n->s))
            vc = c;
    if (vc < 0 || !x->join_key) {
        fx_say(x, "\"%s.%s\" is not a column of the joined tab.", n->s2, n->s);
        return fx_none();
    }
    const char *name = tabs_lookup(x->p, sh, x->join_kc, vc, x->c->row, x->rule);
    plan_expr *e = looked_up(x, x->join_key, name);
    e->step.map.otherwise = PO_NULL;          /* LEFT JOIN: no match gives null */
    return fx_val(e, FV_TEXT);
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
                return fx_none();
            }
    }
    return v;
}

static fx_value replaced(fctx *x, const fx_node *n)
{
    const char *from = fx_lit_str(n->kid[1]), *to = n->kid[2]->kind == FX_NULL ? "" : fx_lit_str(n->kid[2]);
    if (!from || !*from || !to) {
        fx_say(x, "%s is read with a literal text to replace and a literal replacement.", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    plan_expr *e = fx_stepped(x, v.e, PS_REPLACE);
    e->step.s = plan_strdup(x->p, from);
    e->step.s2 = plan_strdup(x->p, to);
    return fx_val(e, FV_TEXT);
}

/* REGEXP_REPLACE(x, '[^0-9]', '') is "digits only"; no other pattern is read. */
static fx_value regexp_replace(fctx *x, const fx_node *n)
{
    const char *re = n->n >= 3 ? fx_lit_str(n->kid[1]) : NULL, *to = n->n >= 3 ? fx_lit_str(n->kid[2]) : NULL;
    if (n->n < 3 || n->n > 4 || !re || !to || *to || (strcmp(re, "[^0-9]") && strcmp(re, "\\D") && strcmp(re, "[^[:digit:]]"))) {
        fx_say(x, "REGEXP_REPLACE is read only as removing every non-digit ('[^0-9]').");
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    return v.e ? fx_val(fx_stepped(x, v.e, PS_DIGITS), FV_TEXT) : fx_none();
}

/* SUBSTRING_INDEX(x, d, 1): text before d; (x, d, -1): text after the last d. */
static fx_value substring_index(fctx *x, const fx_node *n)
{
    long k;
    const char *d = n->n == 3 ? fx_lit_str(n->kid[1]) : NULL;
    if (!d || !*d || !fx_lit_int(n->kid[2], &k) || (k != 1 && k != -1)) {
        fx_say(x, "SUBSTRING_INDEX is read with a literal delimiter and a count of 1 or -1.");
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    plan_expr *e = fx_stepped(x, v.e, k == 1 ? PS_BEFORE : PS_AFTER);
    e->step.s = plan_strdup(x->p, d);
    if (k == -1) {
        /* MySQL gives the whole text when d is absent; "text after last" gives null */
        if (!delimiter_seen(x, v.e, d, n->s))
            return fx_none();
        e->step.m = 1;
    }
    return fx_val(e, FV_TEXT);
}

static fx_value length_of(fctx *x, const fx_node *n)
{
    if (n->n != 1) {
        fx_say(x, "%s takes one value.", n->s);
        return fx_none();
    }
    fx_value v = text_arg(x, n->kid[0], n->s);
    if (!v.e)
        return fx_none();
    plan_expr *e = plan_new_expr(x->p, PE_LENGTH);
    e->kid[0] = v.e;
    return fx_val(e, FV_NUM);
}

static fx_value part_step(fctx *x, plan_expr *date, const char *part)
{
    if (!date)
        return fx_none();
    plan_expr *e = fx_stepped(x, date, PS_DATE_PART);
    e->step.s = part;
    return fx_val(e, FV_NUM);
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
        return fx_none();
    }
    return part_step(x, date_of(x, d, NULL, n->s).e, part);
}

/* A date format of TO_CHAR / TEXT / FORMAT ("YYYYMM", "yyyy-mm", "MON-YY") in util/date.h notation. */
const char *fx_format_pattern(fctx *x, const char *fmt)
{
    fmt = percent_codes(x, fmt);
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

fx_value fx_written_as(fctx *x, plan_expr *date, const char *fmt, const char *fn)
{
    if (!date)
        return fx_none();
    const char *pat = fx_format_pattern(x, fmt);
    if (!pat) {
        fx_say(x, "%s's format '%s' is not a date format I can write.", fn, fmt);
        return fx_none();
    }
    plan_expr *e = fx_stepped(x, date, PS_FORMAT_DATE);
    e->step.s = pat;
    return fx_val(e, FV_TEXT);
}

static fx_value end_of_month(fctx *x, const fx_node *n)
{
    long k = 0;
    if (n->n < 1 || n->n > 2 || (n->n == 2 && (!fx_lit_int(n->kid[1], &k) || k != 0))) {
        fx_say(x, "%s is read for the end of the date's own month (EOMONTH(d, 0)).", n->s);
        return fx_none();
    }
    plan_expr *d = date_of(x, n->kid[0], NULL, n->s).e;
    return d ? fx_val(fx_stepped(x, d, PS_END_OF_MONTH), FV_DATE) : fx_none();
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
    if (!cnt || !fx_lit_int(cnt, &k) || labs(k) > PLAN_MAX_ADD_DAYS) {
        fx_say(x, "%s is read with days and a literal count.", n->s);
        return fx_none();
    }
    plan_expr *e = date_of(x, d, NULL, n->s).e;
    if (!e)
        return fx_none();
    e = fx_stepped(x, e, PS_ADD_DAYS);
    e->step.n = k;
    return fx_val(e, FV_DATE);
}

/* ---- functions ------------------------------------------------------------------------------- */

static fx_value coalesce(fctx *x, const fx_node *n)
{
    if (n->n < 2 || n->n > 8) {
        fx_say(x, "%s takes two or more values.", n->s);
        return fx_none();
    }
    fx_value v[8];
    for (int i = 0; i < n->n; i++)
        v[i] = fx_translate(x, n->kid[i]);
    if (!fx_unify(x, v, n->n, n->s))
        return fx_none();
    fx_value acc = v[n->n - 1];
    for (int i = n->n - 2; i >= 0; i--) {
        if (acc.e->kind == PE_NULL)
            acc = v[i];
        else {
            plan_expr *e = fx_stepped(x, v[i].e, PS_DEFAULT);
            e->step.value = acc.e;
            acc = fx_val(e, v[i].k != FV_NULL ? v[i].k : acc.k);
        }
    }
    return acc;
}

static fx_value nullif(fctx *x, const fx_node *n)
{
    if (n->n != 2) {
        fx_say(x, "NULLIF takes two values.");
        return fx_none();
    }
    const char *s = fx_lit_str(n->kid[1]);
    if (s && !*s)
        return fx_translate(x, n->kid[0]);       /* '' is null already */
    fx_node eq = {.kind = FX_BIN, .op = '=', .n = 2, .kid = (fx_node *[]){n->kid[0], n->kid[1]}};
    plan_expr *c = fx_condition(x, &eq);
    return fx_if_value(x, c, fx_val(plan_new_expr(x->p, PE_NULL), FV_NULL), fx_translate(x, n->kid[0]), "NULLIF");
}

static fx_value iferror(fctx *x, const fx_node *n)
{
    if (n->n != 2) {
        fx_say(x, "%s takes a value and a fallback.", n->s);
        return fx_none();
    }
    /* the errors IFERROR can catch here: a VLOOKUP without a match, a FIND without the delimiter */
    const fx_node *inner = n->kid[0];
    x->in_iferror++;
    fx_value v;
    if (inner->kind == FX_CALL && !strcmp(inner->s, "VLOOKUP")) {
        v = fx_translate(x, inner);
        fx_value fb = fx_translate(x, n->kid[1]);
        x->in_iferror--;
        plan_expr *f = fx_to_text(x, fb, n->s);
        if (!v.e || !f)
            return fx_none();
        v.e->step.map.otherwise = f->kind == PE_NULL ? PO_NULL : PO_VALUE;
        v.e->step.map.other = f->kind == PE_NULL ? NULL : f;
        const prof_column *pc = fx_sample_column(x, v.e->kid[0]);
        bool blanks = !pc || pc->nblank > 0;
        for (long i = 0; pc && i < pc->nsample; i++)
            blanks |= !pc->sample[i] || !*pc->sample[i];
        if (blanks && f->kind != PE_NULL) {     /* a blank key is an error in Excel too */
            plan_expr *d = fx_stepped(x, v.e, PS_DEFAULT);
            d->step.value = f;
            v.e = d;
        }
        return v;
    }
    v = fx_translate(x, inner);
    fx_value fb = fx_translate(x, n->kid[1]);
    x->in_iferror--;
    if (!v.e || !fb.e)
        return fx_none();
    /* a conversion inside would reject the row where Excel gives the fallback */
    char *shown = plan_render_expr(v.e);
    bool reads = shown && strstr(shown, "read as");
    free(shown);
    if (reads) {
        fx_say(x, "%s gives a fallback where a conversion fails, but the plan rejects such rows.", n->s);
        return fx_none();
    }
    if (fb.e->kind == PE_NULL)
        return v;
    fx_value both[2] = {v, fb};
    if (!fx_unify(x, both, 2, n->s))
        return fx_none();
    plan_expr *d = fx_stepped(x, both[0].e, PS_DEFAULT);
    d->step.value = both[1].e;
    return fx_val(d, both[0].k);
}

static fx_value if_fn(fctx *x, const fx_node *n)
{
    if (n->n != 3) {
        fx_say(x, "IF is read with a condition, a value and an else value.");
        return fx_none();
    }
    codemap m = {0};
    if (fx_if_chain_map(n, &m) && !m.keep)
        return fx_build_map(x, &m, "IF");
    /* IF(ISBLANK(x), d, x) / IF(x = "", d, x): x defaulting to d */
    const fx_node *c = n->kid[0];
    const fx_node *tested = NULL;
    if (c->kind == FX_CALL && !strcmp(c->s, "ISBLANK") && c->n == 1)
        tested = c->kid[0];
    else if (c->kind == FX_BIN && c->op == '=' && fx_lit_str(c->kid[1]) && !*fx_lit_str(c->kid[1]))
        tested = c->kid[0];
    if (tested && fx_same_node(tested, n->kid[2]))
        return coalesce(x, &(fx_node){.kind = FX_CALL, .s = "IF", .n = 2, .kid = (fx_node *[]){n->kid[2], n->kid[1]}});
    plan_expr *cond = fx_condition(x, c);
    return fx_if_value(x, cond, fx_translate(x, n->kid[1]), fx_translate(x, n->kid[2]), "IF");
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
            const char *src = fx_base_source(r.e);
            const prof_column *pc = src ? fx_prof(x, src) : NULL;
            if (!pc || infer_sample_scale(pc) > t->b) {
                plan_expr *e = fx_stepped(x, r.e, PS_ROUND);
                e->step.n = t->b;
                r.e = e;
            }
            return r;
        }
    if (!strcmp(w, "DATE"))
        return date_of(x, v, NULL, fn);
    if (!strcmp(w, "BIT") || !strcmp(w, "BOOLEAN") || !strcmp(w, "BOOL")) {
        fx_value b = fx_translate(x, v);
        return fx_val(fx_to_bool(x, b, fn), FV_BOOL);
    }
    fx_say(x, "%s to %s is not a conversion I can write.", fn, t->s);
    return fx_none();
}

static fx_value convert(fctx *x, const fx_node *n)
{
    if (n->n < 2 || n->kid[0]->kind != FX_TYPE) {
        fx_say(x, "CONVERT is read as CONVERT(type, value[, style]).");
        return fx_none();
    }
    long style = -1;
    if (n->n == 3 && !fx_lit_int(n->kid[2], &style)) {
        fx_say(x, "CONVERT's style must be a number.");
        return fx_none();
    }
    if (!strcasecmp(n->kid[0]->s, "DATE") && style >= 0) {
        const char *pat = convert_style(style);
        if (!pat) {
            fx_say(x, "CONVERT style %ld is not one I know.", style);
            return fx_none();
        }
        return date_of(x, n->kid[1], lenient(x, pat), "CONVERT");
    }
    return cast_to(x, n->kid[1], n->kid[0], "CONVERT");
}

static fx_value to_date_fn(fctx *x, const fx_node *n)
{
    const char *fmt = n->n == 2 ? fx_lit_str(n->kid[1]) : NULL;
    const char *pat = fmt ? lenient(x, date_format(x, fmt)) : NULL;
    if (n->n == 1)
        return date_of(x, n->kid[0], NULL, n->s);
    if (!pat) {
        fx_say(x, "%s's format '%s' is not a date pattern I know.", n->s, fmt ? fmt : "");
        return fx_none();
    }
    return date_of(x, n->kid[0], pat, n->s);
}

fx_value fx_call(fctx *x, const fx_node *n)
{
    const char *f = n->s;
#define IS(name) (!strcmp(f, name))
    if (IS("TRIM") || IS("BTRIM"))
        return text_step(x, n, x->excel ? PS_SQUISH : PS_TRIM);   /* Excel's TRIM squeezes inner runs */
    if ((IS("LTRIM") || IS("RTRIM")) && n->n == 1 && n->kid[0]->kind == FX_CALL && n->kid[0]->n == 1 &&
        !strcmp(n->kid[0]->s, IS("LTRIM") ? "RTRIM" : "LTRIM"))
        return text_step(x, n->kid[0], PS_TRIM);          /* LTRIM(RTRIM(x)): both sides */
    if (IS("LTRIM") || IS("RTRIM")) {
        fx_say(x, "%s removes spaces on one side only; the plan language trims both sides.", f);
        return fx_none();
    }
    if (IS("TRIM_SQL")) {   /* TRIM([BOTH|LEADING|TRAILING] [chars] FROM x) */
        const char *chars = n->n == 3 ? fx_lit_str(n->kid[2]) : " ";
        if (!strcasecmp(n->kid[1]->s, "BOTH") && chars && !strcmp(chars, " ")) {
            fx_node one = {.kind = FX_CALL, .s = "TRIM", .n = 1, .kid = n->kid};
            return text_step(x, &one, PS_TRIM);
        }
        fx_say(x, "TRIM(%s '%s' FROM ...) has no step in the plan language.", n->kid[1]->s, chars ? chars : "?");
        return fx_none();
    }
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
        return fx_concat_all(x, (const fx_node *const *)n->kid, n->n, NULL, f);
    if (IS("CONCAT_WS") && n->n >= 2 && fx_lit_str(n->kid[0]))
        return fx_concat_all(x, (const fx_node *const *)n->kid + 1, n->n - 1, fx_lit_str(n->kid[0]), f);
    if (IS("REPLACE") || IS("SUBSTITUTE")) {
        if (n->n != 3)
            fx_say(x, "%s is read with a text, what to replace and its replacement.", f);
        return n->n == 3 ? replaced(x, n) : fx_none();
    }
    if (IS("LEN") || IS("LENGTH") || IS("CHAR_LENGTH"))
        return length_of(x, n);
    if (IS("TEXT"))
        return text_fn(x, n);
    if (IS("VALUE") || IS("TO_NUMBER"))
        return n->n == 1 ? number_of(x, n->kid[0], f, false) : (fx_say(x, "%s takes one value.", f), fx_none());
    if (IS("NUMBERVALUE"))
        return number_value(x, n);
    if (IS("ROUND") || IS("ROUNDUP") || IS("ROUNDDOWN") || IS("TRUNC") || IS("TRUNCATE"))
        return rounded(x, n);
    if (IS("ABS")) {
        if (n->n != 1)
            return fx_say(x, "ABS takes one value."), fx_none();
        plan_expr *e = fx_to_num(x, fx_translate(x, n->kid[0]), f, false);
        return e ? fx_val(fx_stepped(x, e, PS_ABS), FV_NUM) : fx_none();
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
        return fx_decode(x, n);
    if (IS("VLOOKUP"))
        return vlookup(x, n);
    if (IS("CAST") || IS("TRY_CAST"))
        return n->n == 2 && n->kid[1]->kind == FX_TYPE ? cast_to(x, n->kid[0], n->kid[1], f)
                                                        : (fx_say(x, "CAST needs AS a type."), fx_none());
    if (IS("CONVERT") || IS("TRY_CONVERT"))
        return convert(x, n);
    if (IS("TO_DATE") || IS("DATEVALUE") || IS("STR_TO_DATE"))
        return to_date_fn(x, n);
    if (IS("DATE"))
        return date_from_parts(x, n);
    if (IS("DATEDIFF") || IS("DATEDIF"))
        return IS("DATEDIF") && n->n == 3 && fx_lit_str(n->kid[2]) && !strcasecmp(fx_lit_str(n->kid[2]), "d")
                   ? days_between(x, n->kid[0], n->kid[1], f)
                   : datediff(x, n);
    if (IS("DAYS") && n->n == 2)
        return days_between(x, n->kid[1], n->kid[0], f);
    if (IS("YEAR") || IS("MONTH") || IS("DAY") || IS("QUARTER") || IS("EXTRACT") || IS("DATEPART") ||
        IS("DATE_PART"))
        return date_part(x, n);
    if (IS("TO_CHAR") || IS("FORMAT") || IS("DATE_FORMAT"))
        return n->n == 2 && fx_lit_str(n->kid[1]) ? fx_written_as(x, date_of(x, n->kid[0], NULL, f).e, fx_lit_str(n->kid[1]), f)
                                               : (fx_say(x, "%s is read with a date and a literal format.", f), fx_none());
    if (IS("EOMONTH") || IS("LAST_DAY"))
        return end_of_month(x, n);
    if (IS("DATEADD") || IS("DATE_ADD") || IS("EDATE"))
        return add_days(x, n);
    if (IS("ROW") || IS("ROW_NUMBER"))
        return fx_say(x, "%s is read only as a whole column, ROW()-1 (the row's number in the output).", f), fx_none();
    if (IS("TODAY") || IS("NOW") || IS("GETDATE") || IS("SYSDATE") || IS("CURRENT_DATE")) {
        fx_say(x, "%s changes from run to run; which fixed date is meant?", f);
        return fx_none();
    }
    if (fx_is_condition(n))
        return fx_val(fx_condition(x, n), FV_BOOL);
    fx_say(x, "The function %s is not one I can translate.", f);
    return fx_none();
#undef IS
}

/* Has the sample of e a blank? */
static bool sampled_blank(fctx *x, const plan_expr *e)
{
    const prof_column *pc = fx_sample_column(x, e);
    for (long i = 0; pc && i < pc->nsample; i++)
        if (!pc->sample[i] || !*pc->sample[i])
            return true;
    return false;
}

/* a || b || c: in standard SQL a null part makes the whole null (the plan's & counts it as
 * empty): when the sample shows a part blank, the result is guarded (if a part is missing then null). */
fx_value fx_pipes(fctx *x, const fx_node *n)
{
    const fx_node *parts[64];
    int np = 0;
    const fx_node *stack[64];
    int ns = 0;
    stack[ns++] = n;
    while (ns && np < 64) {        /* the chain's operands, left to right */
        const fx_node *k = stack[--ns];
        if (k->kind == FX_BIN && k->op == '&' && k->flag && ns + 2 <= 64) {
            stack[ns++] = k->kid[1];
            stack[ns++] = k->kid[0];
        } else {
            parts[np++] = k;
        }
    }
    if (ns) {
        fx_say(x, "It joins more than %d parts with ||.", np);
        return fx_none();
    }
    fx_value v = fx_concat_all(x, parts, np, NULL, "||");
    if (!v.e)
        return v;
    plan_expr *guard = NULL;
    for (int i = 0; i < np; i++) {
        /* a source that is null makes its part null (functions pass nulls on, COALESCE does not);
         * a part that is merely empty ('' from SUBSTRING) is not null in SQL */
        fx_value part = fx_translate(x, parts[i]);
        const plan_expr *k = part.e;
        while (k && k->kind == PE_STEP && k->step.kind != PS_DEFAULT)
            k = k->kid[0];
        if (!k || k->kind != PE_SOURCE || !sampled_blank(x, k))
            continue;
        plan_expr *m = fx_cond_node(x, PE_MISSING, plan_source_ref(x->p, k->name), NULL);
        guard = guard ? fx_cond_node(x, PE_OR, guard, m) : m;
    }
    if (!guard)
        return v;
    plan_expr *e = plan_new_expr(x->p, PE_IF);
    e->kid[0] = guard;
    e->kid[1] = plan_new_expr(x->p, PE_NULL);
    e->kid[2] = v.e;
    return fx_val(e, FV_TEXT);
}

