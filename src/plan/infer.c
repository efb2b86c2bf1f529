/* infer.c — what a column's data sample says, and the checks every reading is held to.
 *
 * The rule readers (plan/rules/ for plain English, formula.c for SQL and Excel syntax) decide what a
 * rule says; this file decides what the data says: which date pattern or number format the sampled
 * values are written in, which words mean true and false, and whether a pattern or format a rule
 * states actually reads the sample.  Invariants:
 *   - a stated format must read a strict majority of the non-blank sampled values and no other
 *     common format may read more of them — otherwise the reading is a question, never an output;
 *   - a choice between two layouts that read the sample equally well (01/02/2025) is a question;
 *   - every doubt is a sentence appended to `why` (infer_say); a NULL result means one was added.
 */
#include "plan/infer.h"

#include "mapping/mapping.h"

#include "util/date.h"
#include "util/decimal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void infer_vsay(mf_buf *why, const char *fmt, va_list ap)
{
    char buf[600];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (!why)
        return;
    if (why->len)
        mf_buf_adds(why, " ");
    mf_buf_adds(why, buf);
}

void infer_say(mf_buf *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    infer_vsay(why, fmt, ap);
    va_end(ap);
}

const char *infer_replace_all(mf_arena *a, const char *v, const char *from, const char *to)
{
    if (!v || !from || !from[0])
        return v;
    mf_buf b = {0};
    size_t n = strlen(from);
    for (const char *q = v; *q;) {
        if (!strncmp(q, from, n)) {
            mf_buf_adds(&b, to ? to : "");
            q += n;
        } else {
            mf_buf_addc(&b, *q++);
        }
    }
    const char *r = b.len ? mf_arena_strdup(a, mf_buf_str(&b)) : NULL;
    mf_buf_free(&b);
    return r;
}

const char *infer_strip(mf_arena *a, const char *v, const char *x, bool trailing)
{
    if (!v || !x || !x[0])
        return v;
    size_t n = strlen(v), k = strlen(x), b = 0, e = n;
    if (!trailing)
        while (e - b > k && !strncmp(v + b, x, k))
            b += k;
    else
        while (e - b > k && !strncmp(v + e - k, x, k))
            e -= k;
    char *r = mf_arena_alloc(a, e - b + 1);
    memcpy(r, v + b, e - b);
    r[e - b] = 0;
    return r;
}

const char *infer_match_column(const profile *pr, const char *phrase, double min_conf)
{
    if (!pr || pr->ncols <= 0 || !phrase || !*phrase)
        return NULL;
    const char *hdr[512];
    int nh = pr->ncols < 512 ? pr->ncols : 512;
    for (int i = 0; i < nh; i++)
        hdr[i] = pr->col[i].name ? pr->col[i].name : "";
    map_match mm = mapping_match_column(phrase, hdr, nh);
    return mm.col >= 0 && mm.confidence >= min_conf ? hdr[mm.col] : NULL;
}

static plan_expr *bool_lit(plan *p, bool v)
{
    plan_expr *x = plan_new_expr(p, PE_BOOL);
    x->flag = v;
    return x;
}

void infer_bool_map(plan *p, plan_map *m, const char *t, const char *f)
{
    memset(m, 0, sizeof *m);
    m->n = 2;
    m->from = mf_arena_alloc(&p->arena, 2 * sizeof(char *));
    m->to = mf_arena_alloc(&p->arena, 2 * sizeof(plan_expr *));
    m->from[0] = plan_strdup(p, t);
    m->from[1] = plan_strdup(p, f);
    m->to[0] = bool_lit(p, true);
    m->to[1] = bool_lit(p, false);
    m->otherwise = PO_REJECT;
}

/* A value found in the data sample, case-insensitively: returns the data's spelling. */
const char *infer_sample_value(const prof_column *pc, const char *v)
{
    if (!pc)
        return NULL;
    for (long i = 0; i < pc->nsample; i++)
        if (pc->sample[i] && !strcasecmp(pc->sample[i], v))
            return pc->sample[i];
    return NULL;
}


bool infer_is_null_token(const prof_column *pc, const char *v)
{
    for (int k = 0; k < pc->nnull_tokens; k++)
        if (pc->null_tokens[k] && !strcmp(v, pc->null_tokens[k]))
            return true;
    return false;
}

/* How many non-blank sampled values read with pattern (of *total); *bad = the first that does not. */
long infer_date_reads(const prof_column *pc, const char *pattern, long *total, const char **bad)
{
    long ok = 0;
    *total = 0;
    if (bad)
        *bad = NULL;
    for (long i = 0; i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        if (!v || !*v || infer_is_null_token(pc, v))
            continue;
        size_t b = 0, e = strlen(v);
        while (b < e && (v[b] == ' ' || v[b] == '\t'))
            b++;
        while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        int32_t d;
        (*total)++;
        if (mf_date_parse(pattern, v + b, e - b, 0, &d))
            ok++;
        else if (bad && !*bad)
            *bad = v;
    }
    return ok;
}

/* Common date patterns, in order of preference among variants of one layout (MM/DD/YYYY before
 * M/D/YYYY, YYYY-MM-DD before ISO): the profile's candidates plus a few. */
static const char *const alt_date_patterns[] = {
    "MM/DD/YYYY", "DD/MM/YYYY",  "M/D/YYYY",    "D/M/YYYY",   "M/D/YY",      "D/M/YY",     "DD.MM.YYYY",
    "D.M.YYYY",   "YYYYMMDD",    "YYYY-MM-DD",  "DD-MM-YYYY", "MM-DD-YYYY",  "D-Mon-YYYY", "DD-Mon-YYYY",
    "DD-Mon-YY",  "YYYY/MM/DD",  "DD Mon YYYY", "D Mon YYYY", "Mon D, YYYY", "ISO"};
#define N_ALT_DATE_PATTERNS ((int)(sizeof alt_date_patterns / sizeof alt_date_patterns[0]))

/* The layout of a pattern: its components in order with digit widths dropped (MM -> M, DD -> D;
 * ISO -> YYYY-M-D).  Two patterns of one layout read a value to the same date whenever both read
 * it, so choosing between them is not a guess about the meaning of the data. */
static void date_layout(const char *pat, char *out, size_t cap)
{
    if (!strcmp(pat, "ISO"))
        pat = "YYYY-M-D";
    size_t o = 0;
    for (size_t i = 0; pat[i] && o + 1 < cap;) {
        if ((pat[i] == 'M' && pat[i + 1] == 'M') || (pat[i] == 'D' && pat[i + 1] == 'D')) {
            out[o++] = pat[i];
            i += 2;
        } else {
            out[o++] = pat[i++];
        }
    }
    out[o] = 0;
}

static bool same_layout(const char *a, const char *b)
{
    char la[40], lb[40];
    date_layout(a, la, sizeof la);
    date_layout(b, lb, sizeof lb);
    return !strcmp(la, lb);
}

/* Which of cands reads the sample of pc best: the first one that reads the most values.  *tie is
 * the index of another pattern that reads as many but has a different layout (-1 when none).
 * *nread / *total: values it reads / non-blank values. */
static int best_date_pattern(const prof_column *pc, const char *const *cands, int ncand, long *nread, long *total,
                             int *tie)
{
    long best = -1;
    int at = -1;
    *tie = -1;
    *total = 0;
    for (int i = 0; i < ncand; i++) {
        long ok = infer_date_reads(pc, cands[i], total, NULL);
        if (ok > best) {
            best = ok;
            at = i;
            *tie = -1;
        } else if (ok == best && *tie < 0 && !same_layout(cands[at], cands[i])) {
            *tie = i;
        }
    }
    *nread = best < 0 ? 0 : best;
    return at;
}

/* A stated pattern fits the sample when it reads a majority of the non-blank values (the rest are
 * bad records the run rejects with a reason) and no other common pattern reads more of them
 * (MM/DD/YYYY stated on data that is DD/MM/YYYY is a contradiction, not a typo to obey). */
bool infer_date_fits(const prof_column *pc, const char *pattern, const char **bad, const char **better)
{
    if (bad)
        *bad = NULL;
    if (better)
        *better = NULL;
    if (!pc)
        return true;
    long total, ok = infer_date_reads(pc, pattern, &total, bad);
    if (total == 0)
        return true;
    for (int i = 0; i < N_ALT_DATE_PATTERNS; i++) {
        long t2;
        if (strcmp(alt_date_patterns[i], pattern) && infer_date_reads(pc, alt_date_patterns[i], &t2, NULL) > ok) {
            if (better)
                *better = alt_date_patterns[i];
            return false;
        }
    }
    return ok * 2 > total;
}


/* How many non-blank sampled values of pc read as a number in format nf (of *total). */
static long number_reads(const prof_column *pc, const plan_numfmt *nf, long *total, const char **first_bad)
{
    long ok = 0;
    *total = 0;
    for (long i = 0; pc && i < pc->nsample; i++) {
        const char *v = pc->sample[i];
        if (!v || !*v || infer_is_null_token(pc, v))
            continue;
        mf_dec d;
        (*total)++;
        if (mf_dec_parse_fmt(v, strlen(v), nf->thousands, nf->decimal, nf->paren_negative, nf->trailing_minus,
                             nf->currency, &d))
            ok++;
        else if (first_bad && !*first_bad)
            *first_bad = v;
    }
    return ok;
}

/* Most digits after the decimal separator among the sampled values (the profile's max_scale
 * is not kept for columns it did not find numeric). */
int infer_sample_scale(const prof_column *pc)
{
    if (!pc)
        return 0;
    int best = pc->max_scale;
    char dec = pc->decimal ? pc->decimal : '.';
    for (long i = 0; i < pc->nsample; i++) {
        const char *v = pc->sample[i], *d = v ? strrchr(v, dec) : NULL;
        if (!d)
            continue;
        int n = 0;
        while (isdigit((unsigned char)d[1 + n]))
            n++;
        if (n > best)
            best = n;
    }
    return best;
}

/* read as number with the profile's format overlaid by what the rule said. */
plan_expr *infer_read_number(plan *p, plan_expr *e, const prof_column *pc, const infer_numhint *h, bool want_integer,
                             mf_buf *why)
{
    plan_numfmt nf = {0};
    if (pc) {
        nf.thousands = pc->thousands;
        nf.decimal = pc->decimal;
        nf.paren_negative = pc->paren_negative;
        nf.trailing_minus = pc->trailing_minus;
        nf.currency = pc->currency;
    }
    if (h && h->thousands_set)
        nf.thousands = h->nf.thousands;
    if (h && h->decimal_set)
        nf.decimal = h->nf.decimal;
    if (h) {
        nf.paren_negative |= h->nf.paren_negative;
        nf.trailing_minus |= h->nf.trailing_minus;
        if (h->nf.currency)
            nf.currency = h->nf.currency;
    }
    if (!nf.decimal)
        nf.decimal = nf.thousands == '.' ? ',' : '.';
    if (nf.thousands == nf.decimal)
        nf.thousands = 0;
    bool plain = !nf.thousands && nf.decimal == '.' && !nf.paren_negative && !nf.trailing_minus && !nf.currency;
    if (want_integer && plain && (!pc || pc->max_scale == 0))
        return plan_with_step(p, e, PS_READ_INTEGER);
    /* check the sample: the format must read a majority of the values (the rest are bad records
     * the run rejects with their reason) and no other common separator convention may read more
     * of them — then the rule (or the profile) contradicts the data, which is a question */
    const char *first_bad = NULL;
    long total = 0, good = number_reads(pc, &nf, &total, &first_bad);
    plan_numfmt better = nf;
    long best = good;
    static const char SEPS[][2] = {{',', '.'}, {'.', ','}, {0, '.'}, {0, ','}, {' ', ','}, {' ', '.'}, {'\'', '.'}};
    for (size_t q = 0; q < sizeof SEPS / sizeof *SEPS; q++) {
        plan_numfmt alt = nf;
        alt.thousands = SEPS[q][0];
        alt.decimal = SEPS[q][1];
        long t2, ok2 = number_reads(pc, &alt, &t2, NULL);
        if (ok2 > best)
            best = ok2, better = alt;
    }
    if (total && best > good) {
        infer_say(why, "Only %ld of %ld sampled values of [%s] read as a number in the format %s (\"%s\" does not); "
                   "%ld read with %s%c%s and decimal separator '%c'. Which is right?",
                good, total, pc->name ? pc->name : "?", (h && h->stated) ? "the rule gives" : "the sample suggests",
                first_bad ? first_bad : "", best, better.thousands ? "thousands separator '" : "no thousands separator",
                better.thousands ? better.thousands : ' ', better.thousands ? "'" : "", better.decimal);
    } else if (total && good * 2 <= total) {
        infer_say(why, "%ld of %ld sampled values of [%s] (such as \"%s\") do not read as a number in the format %s.",
                total - good, total, pc->name ? pc->name : "?", first_bad ? first_bad : "",
                (h && h->stated) ? "the rule gives" : "the sample suggests");
    }
    plan_expr *x = plan_with_step(p, e, PS_READ_NUMBER);
    x->step.numfmt = nf;
    return x;
}

/* The date pattern the sample of column col is written in, when the rule states none: among the
 * profile's candidates (patterns every value reads with), else among the common patterns the one
 * that reads a majority of the values (the rest are bad records, rejected at run time).  Patterns
 * of one layout (MM/DD/YYYY and M/D/YYYY) agree on every value they both read, so a tie between
 * them is settled by preference; a tie between layouts (01/02/2025) is a question.  NULL: a problem
 * was recorded. */
const char *infer_date_pattern(const prof_column *pc, const char *col, mf_buf *why)
{
    const char *cands[PROF_MAX_FORMATS + N_ALT_DATE_PATTERNS];
    int n = 0;
    bool from_profile = pc && pc->ndate_formats > 0;
    if (from_profile) {
        for (int i = 0; i < N_ALT_DATE_PATTERNS; i++)      /* the profile's, in order of preference */
            for (int q = 0; q < pc->ndate_formats; q++)
                if (!strcmp(pc->date_formats[q], alt_date_patterns[i]))
                    cands[n++] = alt_date_patterns[i];
        for (int q = 0; q < pc->ndate_formats; q++) {
            bool known = false;
            for (int i = 0; i < N_ALT_DATE_PATTERNS && !known; i++)
                known = !strcmp(pc->date_formats[q], alt_date_patterns[i]);
            if (!known)
                cands[n++] = pc->date_formats[q];
        }
    } else {
        for (int i = 0; i < N_ALT_DATE_PATTERNS; i++)
            cands[n++] = alt_date_patterns[i];
    }
    long nread = 0, total = 0;
    int tie = -1;
    int at = pc ? best_date_pattern(pc, cands, n, &nread, &total, &tie) : -1;
    if (at >= 0 && tie >= 0 && (from_profile || nread * 2 > total)) {
        infer_say(why, "The sampled dates of [%s] read as %s or as %s (%ld of %ld values each): which is it?", col,
                cands[at], cands[tie], nread, total);
        return NULL;
    }
    if (at < 0 || (!from_profile && (total == 0 || nread * 2 <= total))) {
        infer_say(why, "[%s] must be read as a date but its sample shows no date format I know; "
                   "which format is it written in?", col);
        return NULL;
    }
    return cands[at];
}


plan_expr *infer_read_bool(plan *p, plan_expr *e, const prof_column *pc, const char *col, mf_buf *why)
{
    plan_map m = {0};
    static const char *const PAIRS[][2] = {{"Y", "N"}, {"Yes", "No"}, {"T", "F"}, {"True", "False"},
                                           {"1", "0"}, {"X", ""}};
    int hit = -1;
    for (size_t q = 0; pc && q < sizeof PAIRS / sizeof *PAIRS && hit < 0; q++) {
        bool all = true, any = false;
        for (long i = 0; i < pc->nsample; i++) {
            const char *v = pc->sample[i];
            if (!v || !*v)
                continue;
            any = true;
            if (strcasecmp(v, PAIRS[q][0]) && (!*PAIRS[q][1] || strcasecmp(v, PAIRS[q][1])))
                all = false;
        }
        if (all && any && *PAIRS[q][1])
            hit = (int)q;
    }
    if (hit < 0) {
        infer_say(why, "The target is boolean but I cannot tell from the sample of [%s] which values mean "
                       "true and false.", col ? col : "?");
        return NULL;
    }
    /* the data's own spelling (Y vs y) */
    const char *t = infer_sample_value(pc, PAIRS[hit][0]), *f = infer_sample_value(pc, PAIRS[hit][1]);
    infer_bool_map(p, &m, t ? t : PAIRS[hit][0], f ? f : PAIRS[hit][1]);
    plan_expr *x = plan_with_step(p, e, PS_READ_BOOL);
    x->step.map = m;
    return x;
}

