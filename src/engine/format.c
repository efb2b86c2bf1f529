/* format.c — turning evaluated records into output CSV and rejects.csv text, a block at a time.
 *
 * Output conventions (design.md): UTF-8, comma, RFC 4180 quoting (a field holding , " CR or LF
 * is quoted, quotes doubled), "\n" line ends, dates YYYY-MM-DD, decimal(p,s) with exactly s
 * decimals and a leading '-', null = empty field.  Hand-written integer/decimal/date formatting:
 * no printf on the hot path.  Buffers only grow; a block's result is reset, not freed.
 */
#include "engine/eval_internal.h"
#include "util/date.h"

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

static bool fixed_date(int y, int m, int d, int32_t *days)
{
    if (y < 0 || m < 0 || d < 0 || !mf_date_valid(y, m, d))
        return false;
    *days = mf_days_from_civil(y, m, d);
    return true;
}

bool eng_parse_date(const eng_ins *in, const char *s, size_t n, int32_t *days)
{
    const char *p = in->s;
    if (n == 10 && in->slen == 10) {
        if (!memcmp(p, "MM/DD/YYYY", 10) && s[2] == '/' && s[5] == '/')
            return fixed_date(dig4(s + 6), dig2(s), dig2(s + 3), days);
        if (!memcmp(p, "DD/MM/YYYY", 10) && s[2] == '/' && s[5] == '/')
            return fixed_date(dig4(s + 6), dig2(s + 3), dig2(s), days);
        if (!memcmp(p, "YYYY-MM-DD", 10) && s[4] == '-' && s[7] == '-')
            return fixed_date(dig4(s), dig2(s + 5), dig2(s + 8), days);
    }
    if (n == 10 && in->slen == 3 && !memcmp(p, "ISO", 3) && s[4] == '-' && s[7] == '-')
        return fixed_date(dig4(s), dig2(s + 5), dig2(s + 8), days);
    return mf_date_parse(p, s, n, (int)in->n, days);
}

/* ---- CSV fields ------------------------------------------------------------------------------- */

static inline char *reserve(mf_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        mf_buf_reserve(b, n);
    return b->data + b->len;
}

static const bool needs_quote[256] = {[','] = true, ['"'] = true, ['\n'] = true, ['\r'] = true};

void eng_csv_field(mf_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !needs_quote[(unsigned char)s[i]])
        i++;
    if (i == n) {
        char *p = reserve(out, n);
        memcpy(p, s, n);
        out->len += n;
        out->data[out->len] = '\0';
        return;
    }
    char *p = reserve(out, 2 * n + 2), *q = p;
    *q++ = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            *q++ = '"';
        *q++ = s[i];
    }
    *q++ = '"';
    out->len += (size_t)(q - p);
    out->data[out->len] = '\0';
}

static void add_raw(mf_buf *out, const char *s, size_t n)
{
    char *p = reserve(out, n);
    memcpy(p, s, n);
    out->len += n;
    out->data[out->len] = '\0';
}

/* Dates repeat a lot within a file: remember the last one formatted (per thread). */
static _Thread_local int32_t last_days = INT32_MIN;
static _Thread_local char last_text[16];
static _Thread_local int last_len;

static int format_date(int32_t days, char *p)
{
    if (days != last_days) {
        last_len = mf_date_format(days, last_text);
        last_days = days;
    }
    memcpy(p, last_text, 16);
    return last_len;
}

static void format_value(mf_buf *out, const eng_val *v)
{
    char *p;
    switch (v->t) {
    case EV_NULL: return;
    case EV_TEXT: eng_csv_field(out, v->u.s.p, v->u.s.n); return;
    case EV_INT:
        p = reserve(out, 24);
        out->len += (size_t)eng_format_int(v->u.i, p);
        return;
    case EV_DEC:
        p = reserve(out, 48);
        out->len += (size_t)mf_dec_format(v->u.d, p);
        return;
    case EV_DATE:
        p = reserve(out, 16);
        out->len += (size_t)format_date(v->u.days, p);
        return;
    case EV_BOOL: add_raw(out, v->u.b ? "true" : "false", v->u.b ? 4 : 5); return;
    }
}

void eng_format_row(const eng_worker *w, mf_buf *out)
{
    int n = w->g->ncols;
    for (int i = 0; i < n; i++) {
        if (i)
            add_raw(out, ",", 1);
        format_value(out, &w->cols[i]);
    }
    add_raw(out, "\n", 1);
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
    result_reset(r, b->nrows);
    for (size_t i = 0; i < b->nrows; i++) {
        eng_fate f = eng_eval_record(w, b, i);
        r->fate[i] = (uint8_t)f;
        if (f == ENG_OUTPUT) {
            eng_format_row(w, &r->csv);
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
