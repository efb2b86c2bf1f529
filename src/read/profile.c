/* profile.c — what a sample of the data looks like, per column (see profile.h).
 *
 * Sampling.  Half of max_rows comes from the start of the file; the other half from spots at
 * evenly spaced byte offsets up to the end, SPOT_ROWS records each.  At a spot the reader
 * resynchronises at the next line start and skips records whose field count is not the
 * header's (a spot may land inside a quoted field that spans lines).  A file small enough is
 * simply read from the start.  Errors at a spot end that spot only: profiling is a guess, and
 * the run itself reports a bad file with its line number.
 *
 * Analysis.  Per column, on the trimmed non-blank values that are not null tokens: the date
 * patterns every value parses with (mf_date_parse), a number format found by scanning (currency,
 * sign, parentheses, then digits grouped by a thousands separator with one decimal separator),
 * booleans, and text otherwise.  All strings live in the profile's arena.
 */
#include "read/profile.h"
#include "read/source.h"
#include "util/date.h"
#include "util/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPOT_ROWS 8
#define SEQUENTIAL_BYTES (4ull << 20)   /* files with less than this left are read straight on */

static const char *const null_tokens[] = {"NULL", "null", "Null", "N/A", "n/a", "#N/A", "-", "NONE", "None", "none"};
static const char *const date_candidates[] = {
    "ISO",        "YYYY-MM-DD", "MM/DD/YYYY", "DD/MM/YYYY", "M/D/YYYY",    "D/M/YYYY",   "M/D/YY",     "D/M/YY",
    "DD.MM.YYYY", "D.M.YYYY",   "YYYYMMDD",   "D-Mon-YYYY", "DD-Mon-YYYY", "DD-Mon-YY",  "YYYY/MM/DD", "DD-MM-YYYY",
    "MM-DD-YYYY", "D Mon YYYY", "Mon D, YYYY", "DD Mon YYYY",
};

const char *prof_kind_name(prof_kind k)
{
    switch (k) {
    case PK_EMPTY: return "empty";
    case PK_TEXT: return "text";
    case PK_INTEGER: return "integer";
    case PK_DECIMAL: return "decimal";
    case PK_DATE: return "date";
    case PK_TIMESTAMP: return "timestamp";
    case PK_BOOLEAN: return "boolean";
    }
    return "unknown";
}

void profile_free(profile *p)
{
    mf_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}

/* ---- sampling --------------------------------------------------------------------------- */

typedef struct sampler {
    profile *p;
    const char ***rows;   /* rows[i][c]: arena copies, NULL for a field absent */
    long n, cap, max;
} sampler;

/* Keep the records of b that have the header's field count, up to the sampler's maximum. */
static void keep_block(sampler *s, const csv_block *b, long until)
{
    int nc = s->p->ncols;
    for (size_t i = 0; i < b->nrows && s->n < until; i++) {
        if ((int)b->nfields[i] != nc)
            continue;
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->rows = mf_xrealloc(s->rows, (size_t)s->cap * sizeof *s->rows);
        }
        const char **row = mf_arena_alloc(&s->p->arena, (size_t)nc * sizeof *row);
        for (int c = 0; c < nc; c++) {
            uint32_t f = b->first[i] + (uint32_t)c;
            row[c] = mf_arena_strndup(&s->p->arena, b->fptr[f], b->flen[f]);
        }
        s->rows[s->n++] = row;
    }
}

/* Read records from r into the sample until it holds `until` rows or r ends.  Returns -1 on a
 * reader error (e filled), else 0. */
static int take(sampler *s, csv_reader *r, csv_block *b, long until, mf_err *e)
{
    while (s->n < until) {
        long k = csv_read_records(r, b, (size_t)(until - s->n), e);
        if (k <= 0)
            return (int)(k < 0 ? -1 : 0);
        keep_block(s, b, until);
    }
    return 0;
}

static int sample_file(sampler *s, const char *path, const csv_dialect *d, mf_err *e)
{
    csv_reader *r = csv_open(path, d, e);
    if (!r)
        return -1;
    profile *p = s->p;
    const char *const *names;
    p->ncols = csv_header(r, &names);
    p->col = mf_arena_alloc(&p->arena, (size_t)(p->ncols ? p->ncols : 1) * sizeof *p->col);
    for (int c = 0; c < p->ncols; c++)
        p->col[c].name = mf_arena_strdup(&p->arena, names[c]);
    p->file_size = csv_file_size(r);
    csv_block b;
    csv_block_init(&b);
    int rc = take(s, r, &b, s->max / 2 > 0 ? s->max / 2 : s->max, e);
    unsigned long long start = csv_bytes_read(r), size = p->file_size;
    if (rc == 0 && size <= start + SEQUENTIAL_BYTES)
        rc = take(s, r, &b, s->max, e);
    csv_close(r);
    if (rc == 0 && s->n < s->max && size > start + SEQUENTIAL_BYTES) {
        csv_dialect sd = *d;
        sd.ncols = p->ncols;
        long spots = (s->max - s->n + SPOT_ROWS - 1) / SPOT_ROWS;
        for (long k = 0; k < spots && s->n < s->max; k++) {
            unsigned long long at = start + (unsigned long long)((double)(size - start) * ((double)k + 0.5) / (double)spots);
            mf_err spot_err = {0};
            csv_reader *sr = csv_open_at(path, &sd, at, &spot_err);
            if (!sr)
                continue;
            /* one read of a few more records than needed: rows with the wrong field count are
             * skipped, but a spot never wanders far from its offset */
            long until = s->n + SPOT_ROWS < s->max ? s->n + SPOT_ROWS : s->max;
            if (csv_read_records(sr, &b, 2 * SPOT_ROWS, &spot_err) > 0)
                keep_block(s, &b, until);
            csv_close(sr);
        }
    }
    csv_block_free(&b);
    return rc;
}

/* ---- values ----------------------------------------------------------------------------- */

static void trim(const char **p, size_t *n)
{
    while (*n && ((*p)[0] == ' ' || (*p)[0] == '\t'))
        (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
        (*n)--;
}

static const char *null_token(const char *v, size_t n)
{
    for (size_t i = 0; i < sizeof null_tokens / sizeof null_tokens[0]; i++)
        if (strlen(null_tokens[i]) == n && memcmp(null_tokens[i], v, n) == 0)
            return null_tokens[i];
    return NULL;
}

static bool boolean_word(const char *v, size_t n)
{
    static const char *const words[] = {"true", "false", "yes", "no", "y", "n", "t", "f"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(words[i], v, n) == 0)
            return true;
    return false;
}

/* ---- numbers ---------------------------------------------------------------------------- */

typedef struct num_shape {
    bool paren, trailing_minus, sign;
    const char *currency;     /* static string */
    const char *body;         /* digits and separators */
    size_t body_len;
} num_shape;

static const char *const currency_symbols[] = {"$", "\xE2\x82\xAC", "\xC2\xA3", "\xC2\xA5", "\xE2\x82\xB9", "CHF", "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "INR"};

static bool peel_prefix(const char **p, size_t *n, const char *w)
{
    size_t k = strlen(w);
    if (*n >= k && memcmp(*p, w, k) == 0) {
        *p += k, *n -= k;
        return true;
    }
    return false;
}

static bool peel_suffix(const char **p, size_t *n, const char *w)
{
    size_t k = strlen(w);
    if (*n >= k && memcmp(*p + *n - k, w, k) == 0) {
        *n -= k;
        return true;
    }
    return false;
}

static const char *peel_currency(const char **p, size_t *n, bool prefix)
{
    for (size_t i = 0; i < sizeof currency_symbols / sizeof currency_symbols[0]; i++) {
        const char *c = currency_symbols[i];
        if (prefix ? peel_prefix(p, n, c) : peel_suffix(p, n, c)) {
            trim(p, n);
            return c;
        }
    }
    return NULL;
}

/* Take a number apart: ( ) around it, a sign before or a minus after, a currency before or after,
 * and the body.  False when what is left is not digits and separators with at least one digit. */
static bool number_shape(const char *p, size_t n, num_shape *s)
{
    memset(s, 0, sizeof *s);
    if (n >= 2 && p[0] == '(' && p[n - 1] == ')') {
        s->paren = true;
        p++, n -= 2;
        trim(&p, &n);
    }
    for (int round = 0; round < 2; round++) {
        if (!s->sign && n && (p[0] == '-' || p[0] == '+')) {
            s->sign = true;
            p++, n--;
            trim(&p, &n);
        }
        if (!s->currency)
            s->currency = peel_currency(&p, &n, true);
    }
    for (int round = 0; round < 2; round++) {
        if (!s->trailing_minus && !s->sign && n && p[n - 1] == '-') {
            s->trailing_minus = true;
            n--;
            trim(&p, &n);
        }
        if (!s->currency)
            s->currency = peel_currency(&p, &n, false);
    }
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != ',' && c != '.' && c != ' ' && c != '\'')
            return false;
    }
    s->body = p;
    s->body_len = n;
    return digit && !(s->paren && (s->sign || s->trailing_minus));
}

/* Does body read as a number with thousands separator t (0: none) and decimal separator d?
 * *scale gets the digits after d; *saw_t / *saw_d say whether they appeared. */
static bool body_fits(const char *b, size_t n, char t, char d, int *scale, bool *saw_t, bool *saw_d)
{
    size_t i = 0;
    int group = 0, groups = 0;
    bool first_group_ok = true;
    *scale = 0;
    *saw_t = *saw_d = false;
    while (i < n && b[i] != d) {
        char c = b[i];
        if (c >= '0' && c <= '9') {
            group++;
        } else if (t && c == t) {
            if (groups == 0 ? (group < 1 || group > 3) : group != 3)
                first_group_ok = false;
            groups++;
            group = 0;
            *saw_t = true;
        } else {
            return false;
        }
        i++;
    }
    if (!first_group_ok || (groups > 0 && group != 3))
        return false;
    if (i == n)
        return group > 0 || groups > 0;
    *saw_d = true;
    i++;
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (b[i] < '0' || b[i] > '9')
            return false;
        (*scale)++;
    }
    return true;
}

typedef struct num_format {
    char t, d;
} num_format;

static const num_format num_formats[] = {
    {0, '.'}, {',', '.'}, {0, ','}, {'.', ','}, {' ', ','}, {' ', '.'}, {'\'', '.'}, {'\'', ','},
};

/* Choose the first separator pair that reads every value; fill the column's number fields.
 * Returns the kind (PK_INTEGER / PK_DECIMAL) or PK_TEXT when the values are not all numbers. */
static prof_kind number_kind(prof_column *col, const char **vals, const size_t *lens, long n)
{
    bool paren = false, trailing = false, leading_zero = false;
    const char *currency = NULL;
    num_shape *shapes = mf_xmalloc((size_t)(n ? n : 1) * sizeof *shapes);
    for (long i = 0; i < n; i++) {
        if (!number_shape(vals[i], lens[i], &shapes[i])) {
            free(shapes);
            return PK_TEXT;
        }
        paren |= shapes[i].paren;
        trailing |= shapes[i].trailing_minus;
        if (shapes[i].currency && !currency)
            currency = shapes[i].currency;
        if (shapes[i].body_len > 1 && shapes[i].body[0] == '0' && shapes[i].body[1] >= '0' && shapes[i].body[1] <= '9')
            leading_zero = true;
    }
    for (size_t f = 0; f < sizeof num_formats / sizeof num_formats[0]; f++) {
        bool all = true, any_t = false, any_d = false;
        int max_scale = 0;
        for (long i = 0; i < n && all; i++) {
            int scale;
            bool st, sd;
            all = body_fits(shapes[i].body, shapes[i].body_len, num_formats[f].t, num_formats[f].d, &scale, &st, &sd);
            any_t |= st, any_d |= sd;
            if (scale > max_scale)
                max_scale = scale;
        }
        if (!all)
            continue;
        free(shapes);
        /* digits with leading zeros and nothing else are codes (account numbers), not numbers */
        if (leading_zero && !any_t && !any_d && !currency && !paren && !trailing)
            return PK_TEXT;
        col->thousands = any_t ? num_formats[f].t : 0;
        col->decimal = any_d ? num_formats[f].d : 0;
        col->paren_negative = paren;
        col->trailing_minus = trailing;
        col->currency = currency;
        col->max_scale = max_scale;
        return (any_t || any_d || paren || trailing || currency) ? PK_DECIMAL : PK_INTEGER;
    }
    free(shapes);
    return PK_TEXT;
}

/* ---- dates ------------------------------------------------------------------------------ */

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return n > 0;
}

/* Patterns every value parses with.  A value of bare digits (YYYYMMDD) only counts as a date
 * when its year is plausible, so that eight-digit codes are not taken for dates. */
static void date_formats(prof_column *col, const char **vals, const size_t *lens, long n, bool *has_time)
{
    *has_time = false;
    col->ndate_formats = 0;
    if (n == 0)
        return;
    for (size_t k = 0; k < sizeof date_candidates / sizeof date_candidates[0]; k++) {
        const char *pat = date_candidates[k];
        bool all = true, time = false;
        for (long i = 0; i < n && all; i++) {
            int32_t days;
            all = mf_date_parse(pat, vals[i], lens[i], 0, &days);
            if (all && all_digits(vals[i], lens[i])) {
                int y, m, d;
                mf_civil_from_days(days, &y, &m, &d);
                all = y >= 1900 && y <= 2100;
            }
            if (all && !strcmp(pat, "ISO") && lens[i] > 10)
                time = true;
        }
        if (!all)
            continue;
        if (time)
            *has_time = true;
        if (col->ndate_formats < PROF_MAX_FORMATS)
            col->date_formats[col->ndate_formats++] = pat;
    }
}

/* Does one date candidate read at least 90% of the values?  (A few bad records must not turn a
 * date column into text: the kind enters the cache key.) */
static bool mostly_dates(const char **vals, const size_t *lens, long n)
{
    for (size_t k = 0; k < sizeof date_candidates / sizeof date_candidates[0]; k++) {
        long ok = 0;
        for (long i = 0; i < n; i++) {
            int32_t days;
            ok += mf_date_parse(date_candidates[k], vals[i], lens[i], 0, &days);
        }
        if (ok * 10 >= n * 9)
            return true;
    }
    return false;
}

/* ---- distinct values -------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static long count_distinct(const char **vals, const size_t *lens, long n)
{
    size_t cap = 16;
    while (cap < (size_t)n * 2)
        cap *= 2;
    long *slot = mf_xmalloc(cap * sizeof *slot);
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    long distinct = 0;
    for (long i = 0; i < n; i++) {
        size_t h = (size_t)hash_bytes(vals[i], lens[i]) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            long j = slot[h];
            if (j < 0) {
                slot[h] = i;
                distinct++;
                break;
            }
            if (lens[j] == lens[i] && memcmp(vals[j], vals[i], lens[i]) == 0)
                break;
        }
    }
    free(slot);
    return distinct;
}

/* ---- one column ------------------------------------------------------------------------- */

/* With at least this many values, a kind that 90% of them have is the column's kind. */
#define TOLERANT_MIN 10

static prof_kind tolerant_kind(prof_column *col, const char **vals, const size_t *lens, long n)
{
    if (mostly_dates(vals, lens, n))
        return PK_DATE;
    const char **keep = mf_xmalloc((size_t)n * sizeof *keep);
    size_t *keep_lens = mf_xmalloc((size_t)n * sizeof *keep_lens);
    long k = 0;
    for (long i = 0; i < n; i++) {
        num_shape sh;
        if (number_shape(vals[i], lens[i], &sh))
            keep[k] = vals[i], keep_lens[k++] = lens[i];
    }
    prof_kind kind = PK_TEXT;
    if (k * 10 >= n * 9)
        kind = number_kind(col, keep, keep_lens, k);
    free(keep);
    free(keep_lens);
    return kind;
}

static void profile_column(profile *p, const sampler *s, int c)
{
    prof_column *col = &p->col[c];
    long n = s->n;
    col->nsample = n;
    col->nvalues = n;
    col->sample = mf_arena_alloc(&p->arena, (size_t)(n ? n : 1) * sizeof *col->sample);
    const char **vals = mf_xmalloc((size_t)(n ? n : 1) * sizeof *vals);
    size_t *lens = mf_xmalloc((size_t)(n ? n : 1) * sizeof *lens);
    const char **all = mf_xmalloc((size_t)(n ? n : 1) * sizeof *all);
    size_t *all_lens = mf_xmalloc((size_t)(n ? n : 1) * sizeof *all_lens);
    long nv = 0, nall = 0;
    bool boolean = true;
    for (long i = 0; i < n; i++) {
        const char *v = s->rows[i][c];
        size_t len = strlen(v);
        int chars = (int)mf_utf8_count(v, len);
        if (chars > col->max_chars)
            col->max_chars = chars;
        const char *t = v;
        size_t tl = len;
        trim(&t, &tl);
        if (tl == 0) {
            col->nblank++;
            col->sample[i] = NULL;
            continue;
        }
        col->sample[i] = v;
        all[nall] = t, all_lens[nall++] = tl;
        const char *tok = null_token(t, tl);
        if (tok) {
            col->nnull_token++;
            bool known = false;
            for (int k = 0; k < col->nnull_tokens; k++)
                known |= !strcmp(col->null_tokens[k], tok);
            if (!known && col->nnull_tokens < 4)
                col->null_tokens[col->nnull_tokens++] = tok;
            continue;
        }
        boolean &= boolean_word(t, tl);
        vals[nv] = t, lens[nv++] = tl;
    }
    col->ndistinct = count_distinct(all, all_lens, nall);
    bool has_time;
    date_formats(col, vals, lens, nv, &has_time);
    if (nv == 0)
        col->kind = PK_EMPTY;
    else if (boolean)
        col->kind = PK_BOOLEAN;
    else if (col->ndate_formats > 0)
        col->kind = has_time ? PK_TIMESTAMP : PK_DATE;
    else
        col->kind = number_kind(col, vals, lens, nv);
    if (col->kind == PK_TEXT && nv >= TOLERANT_MIN)
        col->kind = tolerant_kind(col, vals, lens, nv);
    free(vals);
    free(lens);
    free(all);
    free(all_lens);
}

int profile_file(const char *path, const csv_dialect *d, long max_rows, profile *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    mf_arena_init(&out->arena);
    out->path = mf_arena_strdup(&out->arena, path);
    out->dialect = *d;
    sampler s = {.p = out, .max = max_rows > 0 ? max_rows : 1};
    if (sample_file(&s, path, d, e) < 0) {
        free(s.rows);
        profile_free(out);
        return -1;
    }
    out->rows_sampled = s.n;
    for (int c = 0; c < out->ncols; c++)
        profile_column(out, &s, c);
    free(s.rows);
    return 0;
}
