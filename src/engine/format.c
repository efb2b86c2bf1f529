/* format.c — turning evaluated records into output CSV and rejects.csv text, a block at a time.
 *
 * Output conventions (design.md): UTF-8, comma, RFC 4180 quoting (a field holding , " CR or LF
 * is quoted, quotes doubled), "\n" line ends, dates YYYY-MM-DD, decimal(p,s) with exactly s
 * decimals and a leading '-', null = empty field.  Hand-written integer/decimal/date formatting:
 * no printf on the hot path.  Buffers only grow; a block's result is reset, not freed.
 */
#include "engine/eval_internal.h"
#include "util/date.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

int eng_format_int(int64_t i, char *out)
{
    char tmp[24];
    int n = 0, len = 0;
    uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;   /* INT64_MIN without overflow */
    do {
        tmp[n++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (i < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    out[len] = '\0';
    return len;
}

/* Two-digit and four-digit numbers at fixed places: the common date patterns without the
 * general pattern interpreter. */
static int dig2(const char *s)
{
    unsigned a = (unsigned)(s[0] - '0'), b = (unsigned)(s[1] - '0');
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

static int dig4(const char *s)
{
    int a = dig2(s), b = dig2(s + 2);
    return a < 0 || b < 0 ? -1 : a * 100 + b;
}

static bool fixed_date(eng_worker *w, int y, int m, int d, int32_t *days)
{
    if (y < 0 || m < 0 || d < 0)
        return false;
    /* unique while m < 16 and d < 32 (y < 10000 from four digits); other values are never
     * valid dates and skip the cache */
    int32_t key = m < 16 && d < 32 ? y * 512 + m * 32 + d : -1;
    eng_date_key *c = &w->parsed[(uint32_t)(key * 2654435761u) >> 22 & (ENG_DATE_CACHE - 1)];
    if (key >= 0 && c->key == key) {
        *days = c->days;
        return true;
    }
    if (!mf_date_valid(y, m, d))
        return false;
    *days = mf_days_from_civil(y, m, d);
    if (key >= 0) {
        c->key = key;
        c->days = *days;
    }
    return true;
}

bool eng_parse_date(eng_worker *w, const eng_ins *in, const char *s, size_t n, int32_t *days)
{
    /* the pattern's fast path was chosen at compile time (in->sub); values of another shape go
     * to the general parser, which gives the same answer more slowly */
    if (n == 10) {
        switch (in->sub) {
        case ENG_DATE_MDY:
            if (s[2] == '/' && s[5] == '/')
                return fixed_date(w, dig4(s + 6), dig2(s), dig2(s + 3), days);
            break;
        case ENG_DATE_DMY:
            if (s[2] == '/' && s[5] == '/')
                return fixed_date(w, dig4(s + 6), dig2(s + 3), dig2(s), days);
            break;
        case ENG_DATE_YMD:
        case ENG_DATE_ISO:
            if (s[4] == '-' && s[7] == '-')
                return fixed_date(w, dig4(s), dig2(s + 5), dig2(s + 8), days);
            break;
        default: break;
        }
    }
    return mf_date_parse(in->s, s, n, (int)in->n, days);
}

/* ---- CSV fields ------------------------------------------------------------------------------- */

static inline char *reserve(mf_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        mf_buf_reserve(b, n);
    return b->data + b->len;
}


/* The quoted form of s: quotes around, inner quotes doubled. */
static void quoted_field(mf_buf *out, const char *s, size_t n)
{
    char *p = reserve(out, 2 * n + 2), *q = p;
    *q++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *q++ = '"';
        *q++ = s[i];
    }
    *q++ = '"';
    out->len += (size_t)(q - p);
    out->data[out->len] = '\0';
}

#if defined(__SSE2__)
/* Bytes of x that need quoting, as a bit mask (zero bytes never do). */
static inline unsigned special_bits(__m128i x)
{
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n'),
                  cr = _mm_set1_epi8('\r');
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_cmpeq_epi8(x, quote)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)));
    return (unsigned)_mm_movemask_epi8(m);
}

static inline __m128i load8(const char *p)
{
    return _mm_loadl_epi64((const __m128i *)(const void *)p);
}

static inline __m128i load4(const char *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}

/* Does s[0..n) hold a byte that needs quoting?  Loads never leave s[0..n): the last load of each
 * size overlaps the one before it instead of reading past the end. */
static inline bool has_special(const char *s, size_t n)
{
    if (n >= 16) {
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            if (special_bits(_mm_loadu_si128((const __m128i *)(const void *)(s + i))))
                return true;
        return i < n && special_bits(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)));
    }
    if (n >= 8)
        return special_bits(_mm_or_si128(load8(s), _mm_slli_si128(load8(s + n - 8), 8))) != 0;
    if (n >= 4)
        return special_bits(_mm_or_si128(load4(s), _mm_slli_si128(load4(s + n - 4), 4))) != 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}
#else
static const bool needs_quote[256] = {[','] = true, ['"'] = true, ['\n'] = true, ['\r'] = true};

static inline bool has_special(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (needs_quote[(unsigned char)s[i]])
            return true;
    return false;
}
#endif

void eng_csv_field(mf_buf *out, const char *s, size_t n)
{
    if (!has_special(s, n)) {
        char *p = reserve(out, n);
        memcpy(p, s, n);
        out->len += n;
        out->data[out->len] = '\0';
        return;
    }
    quoted_field(out, s, n);
}

static inline void add_raw(mf_buf *out, const char *s, size_t n)
{
    char *p = reserve(out, n);
    memcpy(p, s, n);
    out->len += n;
    out->data[out->len] = '\0';
}

void eng_date_cache_init(eng_worker *w)
{
    for (int i = 0; i < ENG_DATE_CACHE; i++) {
        w->dates[i].days = INT32_MIN;
        w->parsed[i].key = -1;
    }
}

/* YYYY-MM-DD of days into p (16 bytes of room); its length. */
static int format_date(const eng_worker *w, int32_t days, char *p)
{
    eng_date_text *c = &w->dates[(uint32_t)days & (ENG_DATE_CACHE - 1)];
    if (c->days != days) {
        char tmp[16];
        int n = mf_date_format(days, tmp);
        if (n > (int)sizeof c->text) {   /* a far year: not cached */
            memcpy(p, tmp, (size_t)n);
            return n;
        }
        memcpy(c->text, tmp, (size_t)n);
        c->len = (uint8_t)n;
        c->days = days;
    }
    memcpy(p, c->text, sizeof c->text);
    return c->len;
}

/* Room a value's text can take (quoted text doubles at worst). */
static inline size_t value_room(const eng_val *v)
{
    return v->t == EV_TEXT ? 2 * v->u.s.n + 2 : 48;
}

#if defined(__SSE2__)
/* A field of 4 to 16 bytes with nothing to quote, copied to q with two overlapping loads that never
 * leave s[0..n); false (nothing written) when it needs quoting. */
static inline bool put_short_plain(char *q, const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t x0, x1;
        memcpy(&x0, s, 8);
        memcpy(&x1, s + n - 8, 8);
        if (special_bits(_mm_set_epi64x((long long)x1, (long long)x0)))
            return false;
        memcpy(q, &x0, 8);
        memcpy(q + n - 8, &x1, 8);
        return true;
    }
    uint32_t x0, x1;
    memcpy(&x0, s, 4);
    memcpy(&x1, s + n - 4, 4);
    if (special_bits(_mm_set_epi32(0, 0, (int)x1, (int)x0)))
        return false;
    memcpy(q, &x0, 4);
    memcpy(q + n - 4, &x1, 4);
    return true;
}
#endif

/* A text field written at q, which has room for its quoted form; returns the end. */
static inline char *put_text(char *q, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 4 && n <= 16) {
        if (put_short_plain(q, s, n))
            return q + n;
    } else
#endif
    if (!has_special(s, n)) {
        memcpy(q, s, n);
        return q + n;
    }
    *q++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *q++ = '"';
        *q++ = s[i];
    }
    *q++ = '"';
    return q;
}

static inline char *put_value(const eng_worker *w, char *q, const eng_val *v)
{
    switch (v->t) {
    case EV_TEXT: return put_text(q, v->u.s.p, v->u.s.n);
    case EV_INT: return q + eng_format_int(v->u.i, q);
    case EV_DEC: return q + mf_dec_format_parts(v->u.d.v, v->u.d.scale, q);
    case EV_DATE: return q + format_date(w, v->u.days, q);
    case EV_BOOL:
        memcpy(q, v->u.b ? "true" : "false", 5);
        return q + (v->u.b ? 4 : 5);
    default: return q;
    }
}

/* The values from q on, noting the offsets (from base) of the `row number` fields: empty
 * fields the writer fills in.  Apart from the usual row's loop, which pays nothing for them. */
static __attribute__((noinline)) char *put_values_marked(const eng_worker *w, char *q, size_t base,
                                                          size_t *rownum_at)
{
    const char *p = q;
    int k = 0;
    for (int i = 0; i < w->g->ncols; i++) {
        if (i)
            *q++ = ',';
        if (w->g->cols[i].rownum)
            rownum_at[k++] = base + (size_t)(q - p);
        q = put_value(w, q, &w->cols[i]);
    }
    return q;
}

/* One reservation per row (the sum of each value's room), then the values written in place. */
void eng_format_row(const eng_worker *w, mf_buf *out, size_t *rownum_at)
{
    int n = w->g->ncols;
    const eng_val *cols = w->cols;
    size_t room = (size_t)n + 4;
    for (int i = 0; i < n; i++)
        room += value_room(&cols[i]);
    char *q = reserve(out, room), *p = q;
    if (rownum_at) {
        q = put_values_marked(w, q, out->len, rownum_at);
    } else {
        for (int i = 0; i < n; i++) {
            if (i)
                *q++ = ',';
            q = put_value(w, q, &cols[i]);
        }
    }
    if (n == 1 && q == p && !w->g->cols[0].rownum) {   /* one column, null: `""`, since a blank line is no
                                                         * record when read back (a row number is filled in) */
        *q++ = '"';
        *q++ = '"';
    }
    *q++ = '\n';
    *q = '\0';
    out->len += (size_t)(q - p);
}

void eng_format_header(const eng_program *g, mf_buf *out)
{
    for (int i = 0; i < g->ncols; i++) {
        if (i)
            add_raw(out, ",", 1);
        eng_csv_field(out, g->cols[i].name, strlen(g->cols[i].name));
    }
    add_raw(out, "\n", 1);
}

void eng_format_reject(mf_buf *out, long line, const char *column, const char *reason, const char *raw,
                       size_t rawlen)
{
    char num[24];
    add_raw(out, num, (size_t)eng_format_int(line, num));
    add_raw(out, ",", 1);
    if (column)
        eng_csv_field(out, column, strlen(column));
    add_raw(out, ",", 1);
    eng_csv_field(out, reason, strlen(reason));
    add_raw(out, ",", 1);
    eng_csv_field(out, raw, rawlen);
    add_raw(out, "\n", 1);
}

/* ---- blocks ----------------------------------------------------------------------------------- */

void eng_result_init(eng_result *r)
{
    memset(r, 0, sizeof *r);
}

void eng_result_free(eng_result *r)
{
    mf_buf_free(&r->csv);
    mf_buf_free(&r->rej);
    free(r->fate);
    free(r->csv_end);
    free(r->rej_end);
    free(r->rownum_at);
    memset(r, 0, sizeof *r);
}

static void result_reset(eng_result *r, size_t nrows)
{
    mf_buf_clear(&r->csv);
    mf_buf_clear(&r->rej);
    if (nrows > r->cap) {
        r->cap = nrows;
        r->fate = mf_xrealloc(r->fate, nrows);
        r->csv_end = mf_xrealloc(r->csv_end, nrows * sizeof *r->csv_end);
        r->rej_end = mf_xrealloc(r->rej_end, nrows * sizeof *r->rej_end);
    }
    r->nrows = nrows;
    r->out = r->rejected = r->filtered = 0;
}

void eng_run_block(eng_worker *w, const csv_block *b, eng_result *r)
{
    size_t k = (size_t)w->g->nrownum;
    result_reset(r, b->nrows);
    if (k && b->nrows * k > r->rownum_cap) {
        r->rownum_cap = b->nrows * k;
        r->rownum_at = mf_xrealloc(r->rownum_at, r->rownum_cap * sizeof *r->rownum_at);
    }
    for (size_t i = 0; i < b->nrows; i++) {
        eng_fate f = eng_eval_record(w, b, i);
        r->fate[i] = (uint8_t)f;
        if (f == ENG_OUTPUT) {
            eng_format_row(w, &r->csv, k ? r->rownum_at + i * k : NULL);
            r->out++;
        } else if (f == ENG_REJECTED) {
            int col = w->reject_col;
            eng_format_reject(&r->rej, b->line[i], col >= 0 ? w->g->cols[col].name : NULL, eng_worker_reason(w),
                              b->raw[i], b->raw_len[i]);
            r->rejected++;
        } else
            r->filtered++;
        r->csv_end[i] = r->csv.len;
        r->rej_end[i] = r->rej.len;
    }
}
