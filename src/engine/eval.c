/* eval.c — the interpreter: runs a program's instructions over one record.
 *
 * Semantics are docs/plan-language.md "Semantics": an empty field is null; no text is empty (an
 * empty text result is null); nulls pass through every step except defaulting; a condition with
 * a null operand is false (except is missing / is present); the first failure rejects the row
 * naming the column being computed.  Invariants: a register holds a value computed in this
 * record; text points into the record, the program's constants or the scratch, which is reset
 * per record and only grows (no allocation per cell once it is large enough).
 */
#include "engine/engine.h"
#include "engine/eval_internal.h"
#include "util/date.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- scratch ---------------------------------------------------------------------------------- */

/* Text produced within a record.  Pointers handed out stay valid until the reset: when the main
 * chunk is full an overflow chunk is taken, and at the next reset the main chunk grows to cover
 * both, so a steady state allocates nothing. */
static void scratch_reset(eng_scratch *s)
{
    if (s->over) {
        size_t need = s->cap + s->over_bytes;
        for (eng_chunk *c = s->over; c;) {
            eng_chunk *next = c->next;
            free(c);
            c = next;
        }
        s->over = NULL;
        s->over_bytes = 0;
        free(s->buf);
        s->cap = need * 2;
        s->buf = mf_xmalloc(s->cap);
    }
    s->len = 0;
}

static char *scratch_alloc(eng_scratch *s, size_t n)
{
    if (s->len + n <= s->cap) {
        char *p = s->buf + s->len;
        s->len += n;
        return p;
    }
    eng_chunk *c = mf_xmalloc(sizeof *c + n);
    c->next = s->over;
    s->over = c;
    s->over_bytes += n;
    return c->data;
}

/* d = a, field by field with the widths they were written with.  A plain struct copy moves 48
 * bytes as 16-byte loads that straddle the 1- and 8-byte stores that just made the value, and
 * each such load waits for the stores to drain (a store-forwarding stall, ~15 cycles) — several
 * per record.  The words pass through general registers (the empty asm) so the compiler does
 * not merge them back into one 16-byte load. */
static inline void copy_val(eng_val *d, const eng_val *a)
{
    uint8_t t = a->t;
    d->t = t;
    if (t == EV_TEXT || t == EV_INT || t == EV_DEC) {
        uint64_t w0, w1;
        memcpy(&w0, (const char *)&a->u, 8);
        memcpy(&w1, (const char *)&a->u + 8, 8);
        __asm__("" : "+r"(w0), "+r"(w1));
        memcpy((char *)&d->u, &w0, 8);
        memcpy((char *)&d->u + 8, &w1, 8);
        if (t == EV_DEC)
            d->u.d.scale = a->u.d.scale;
    } else if (t == EV_DATE)
        d->u.days = a->u.days;
    else if (t == EV_BOOL)
        d->u.b = a->u.b;
}

/* ---- values ----------------------------------------------------------------------------------- */

static inline void set_null(eng_val *v)
{
    v->t = EV_NULL;
}

static inline void set_text(eng_val *v, const char *p, size_t n)
{
    if (n == 0) {
        v->t = EV_NULL;
        return;
    }
    v->t = EV_TEXT;
    v->u.s.p = p;
    v->u.s.n = n;
}

static inline void set_int(eng_val *v, int64_t i)
{
    v->t = EV_INT;
    v->u.i = i;
}

static inline void set_dec(eng_val *v, mf_dec d)
{
    eng_set_dec(v, d);
}

static inline void set_bool(eng_val *v, bool b)
{
    v->t = EV_BOOL;
    v->u.b = b;
}

static mf_dec int_dec(int64_t i)
{
    mf_dec d = {i, 0};
    return d;
}

static bool is_number(const eng_val *v)
{
    return v->t == EV_INT || v->t == EV_DEC;
}

static mf_dec as_dec(const eng_val *v)
{
    return v->t == EV_DEC ? eng_dec_of(v) : int_dec(v->u.i);
}

/* Canonical text of any value, written into buf (64 bytes) when not text.  Null gives n = 0. */
size_t eng_canonical(const eng_val *v, char *buf, const char **p)
{
    switch (v->t) {
    case EV_TEXT: *p = v->u.s.p; return v->u.s.n;
    case EV_INT: *p = buf; return (size_t)eng_format_int(v->u.i, buf);
    case EV_DEC: *p = buf; return (size_t)mf_dec_format(eng_dec_of(v), buf);
    case EV_DATE: *p = buf; return (size_t)mf_date_format(v->u.days, buf);
    case EV_BOOL: *p = v->u.b ? "true" : "false"; return strlen(*p);
    default: *p = ""; return 0;
    }
}

/* Text view of a value; numbers and dates are formatted into the scratch. */
static size_t text_of(eng_worker *w, const eng_val *v, const char **p)
{
    if (v->t == EV_TEXT) {
        *p = v->u.s.p;
        return v->u.s.n;
    }
    char tmp[64];
    size_t n = eng_canonical(v, tmp, p);
    if (n && *p == tmp) {
        char *q = scratch_alloc(&w->scratch, n);
        memcpy(q, tmp, n);
        *p = q;
    }
    return n;
}

/* A text step's operand as text: numbers and dates as their canonical text (in tmp); NULL for
 * null (nulls pass through text steps).  The common case, text, costs one compare. */
static inline const eng_val *text_arg(eng_worker *w, const eng_val *a, eng_val *tmp)
{
    if (a->t == EV_TEXT)
        return a;
    if (a->t == EV_NULL)
        return NULL;
    const char *p;
    size_t n = text_of(w, a, &p);
    set_text(tmp, p, n);
    return tmp;
}

/* ---- failures --------------------------------------------------------------------------------- */

/* Record the reject reason: "COL: " (when computing a column) then the message. */
static void reason_start(eng_worker *w, int col)
{
    mf_buf_clear(&w->reason);
    w->reject_col = col;
    if (col >= 0) {
        mf_buf_adds(&w->reason, w->g->cols[col].name);
        mf_buf_adds(&w->reason, ": ");
    }
}

/* COL: "V" <tail> */
static void fail_value(eng_worker *w, const eng_ins *in, const eng_val *v, const char *tail)
{
    char tmp[64];
    const char *p;
    size_t n = eng_canonical(v, tmp, &p);
    reason_start(w, in->col);
    mf_buf_addc(&w->reason, '"');
    mf_buf_add(&w->reason, p, n);
    mf_buf_addc(&w->reason, '"');
    mf_buf_adds(&w->reason, tail);
}

static void fail_not(eng_worker *w, const eng_ins *in, const eng_val *v, const char *what)
{
    fail_value(w, in, v, " is not ");
    mf_buf_adds(&w->reason, what);
}

static void fail_msg(eng_worker *w, const eng_ins *in, const char *msg)
{
    reason_start(w, in->col);
    mf_buf_adds(&w->reason, msg);
}

/* ---- text steps ------------------------------------------------------------------------------- */

/* Unicode White_Space: category Zs plus \t \n \v \f \r, U+0085, U+2028, U+2029. */
static bool is_white(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Start of the last code point before s+n. */
static size_t prev_cp(const char *s, size_t n)
{
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static void op_trim(eng_val *d, const eng_val *a)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (!is_white(c))
                break;
            i++;
            continue;
        }
        uint32_t cp;
        int k = mf_utf8_decode(s + i, n - i, &cp);
        if (!is_white(cp))
            break;
        i += (size_t)k;
    }
    while (n > i) {
        unsigned char c = (unsigned char)s[n - 1];
        if (c < 0x80) {
            if (!is_white(c))
                break;
            n--;
            continue;
        }
        size_t at = prev_cp(s, n);
        uint32_t cp;
        mf_utf8_decode(s + at, n - at, &cp);
        if (!is_white(cp))
            break;
        n = at;
    }
    set_text(d, s + i, n - i);
}

/* Simple case mappings of one code point.  ß keeps itself in upper case: utf8proc answers
 * U+1E9E, which is not a simple mapping in UnicodeData. */
static uint32_t cp_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    return cp == 0xDF ? cp : (uint32_t)utf8proc_toupper((utf8proc_int32_t)cp);
}

static uint32_t cp_lower(uint32_t cp)
{
    return cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

/* Text built in the scratch one code point at a time.  A simple mapping rarely grows a
 * character: room for twice the source is taken first, a bigger buffer only when needed. */
typedef struct cp_text {
    char *p;
    size_t len, cap;
} cp_text;

static void cp_text_init(eng_worker *w, cp_text *t, size_t n)
{
    t->cap = n * 2 + 4;
    t->p = scratch_alloc(&w->scratch, t->cap);
    t->len = 0;
}

static void cp_text_put(eng_worker *w, cp_text *t, uint32_t cp)
{
    if (t->len + 4 > t->cap) {   /* a mapping longer than the source: rare, copy to a bigger buffer */
        char *big = scratch_alloc(&w->scratch, t->cap * 2 + 8);
        memcpy(big, t->p, t->len);
        t->p = big;
        t->cap = t->cap * 2 + 8;
    }
    if (cp < 0x80)
        t->p[t->len++] = (char)cp;
    else
        t->len += (size_t)mf_utf8_encode(cp, t->p + t->len);
}

/* Eight ASCII bytes upper (or lower) cased at once: the bytes in a..z (A..Z) get bit 5 flipped.
 * ASCII_CASE_NONE (all ones, never the answer for ASCII bytes) when a byte is >= 0x80. */
#define ASCII_CASE_NONE UINT64_MAX
static inline uint64_t ascii_case(uint64_t x, bool upper)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    const uint64_t lo = (upper ? 'a' : 'A') * ones, hi = (upper ? 'z' : 'Z') * ones;
    if (x & high)
        return ASCII_CASE_NONE;
    /* per byte (all < 0x80, so no carry or borrow crosses a byte): bit 7 of x + 0x80 - lo is
     * x >= lo, of hi + 0x80 - x is x <= hi */
    uint64_t in_range = (x + high - lo) & (hi + high - x) & high;
    return x ^ (in_range >> 2);   /* 0x80 >> 2 = 0x20 */
}

static void op_case(eng_worker *w, eng_val *d, const eng_val *a, bool upper)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n;
    cp_text t;
    cp_text_init(w, &t, n);
    char *out = t.p;   /* the ASCII path works on locals: the common case stays in registers */
    size_t len = 0;
    size_t i = 0;
    if (n >= 4 && n < 8) {   /* a short code ("cc-100"): two overlapping words of four bytes */
        uint32_t x0, x1;
        memcpy(&x0, s, 4);
        memcpy(&x1, s + n - 4, 4);
        uint64_t x = ascii_case((uint64_t)x1 << 32 | x0, upper);
        if (x != ASCII_CASE_NONE) {
            x0 = (uint32_t)x;
            x1 = (uint32_t)(x >> 32);
            memcpy(out, &x0, 4);
            memcpy(out + n - 4, &x1, 4);
            set_text(d, out, n);
            return;
        }
    }
    for (; i + 8 <= n; i += 8) {   /* eight bytes at a time while they are ASCII */
        uint64_t x;
        memcpy(&x, s + i, 8);
        if ((x = ascii_case(x, upper)) == ASCII_CASE_NONE)
            break;
        memcpy(out + len, &x, 8);
        len += 8;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {   /* one byte in, one out (room for 2n was taken) */
            out[len++] = (char)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c) : (c >= 'A' && c <= 'Z' ? c + 32 : c));
            i++;
            continue;
        }
        uint32_t cp;
        i += (size_t)mf_utf8_decode(s + i, n - i, &cp);
        t.p = out;
        t.len = len;
        cp_text_put(w, &t, upper ? cp_upper(cp) : cp_lower(cp));
        out = t.p;
        len = t.len;
    }
    set_text(d, out, len);
}

static void op_pad(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in, bool left)
{
    size_t have = mf_utf8_count(a->u.s.p, a->u.s.n);
    if (in->n <= 0 || have >= (size_t)in->n) {
        copy_val(d, a);
        return;
    }
    size_t k = (size_t)in->n - have, n = a->u.s.n;
    size_t room = k * in->slen;
    char *out = scratch_alloc(&w->scratch, n + (room < 8 ? 8 : room));
    char *p = out;
    if (!left) {
        memcpy(p, a->u.s.p, n);
        p += n;
    }
    if (in->slen == 1 && k <= 8) {   /* a few bytes of "0" or " ", the usual pad: one 8-byte store
                                        (room for 8 was taken), the value's bytes go after it */
        uint64_t fill = (unsigned char)in->s[0] * 0x0101010101010101ull;
        memcpy(p, &fill, 8);
        p += k;
    } else if (in->slen == 1) {
        memset(p, in->s[0], k);
        p += k;
    } else
        for (size_t i = 0; i < k; i++, p += in->slen)
            memcpy(p, in->s, in->slen);
    if (left) {
        memcpy(p, a->u.s.p, n);
        p += n;
    }
    set_text(d, out, (size_t)(p - out));
}

static void op_affix(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in, bool prefix)
{
    size_t n = a->u.s.n;
    char *out = scratch_alloc(&w->scratch, n + in->slen);
    if (prefix) {
        memcpy(out, in->s, in->slen);
        memcpy(out + in->slen, a->u.s.p, n);
    } else {
        memcpy(out, a->u.s.p, n);
        memcpy(out + n, in->s, in->slen);
    }
    set_text(d, out, n + in->slen);
}

static void op_chars(eng_val *d, const eng_val *a, const eng_ins *in)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n, from = 0, to = n;
    switch (in->op) {
    case OP_FIRST:
        to = in->n > 0 ? mf_utf8_offset(s, n, (size_t)in->n) : 0;
        break;
    case OP_LAST: {
        size_t count = mf_utf8_count(s, n);
        from = in->n <= 0 ? n : (size_t)in->n >= count ? 0 : mf_utf8_offset(s, n, count - (size_t)in->n);
        break;
    }
    default: {   /* characters n to m, 1-based inclusive */
        int64_t lo = in->n < 1 ? 1 : in->n, hi = in->m;
        if (hi < lo) {
            set_null(d);
            return;
        }
        from = mf_utf8_offset(s, n, (size_t)(lo - 1));
        to = mf_utf8_offset(s, n, (size_t)hi);
        break;
    }
    }
    set_text(d, s + from, to > from ? to - from : 0);
}

/* The last occurrence of needle in s[0..n) (its start), NULL when none. */
static const char *last_occurrence(const char *s, size_t n, const char *needle, size_t k)
{
    const char *found = NULL;
    for (const char *p = s; k && (size_t)(s + n - p) >= k;) {
        const char *q = memmem(p, (size_t)(s + n - p), needle, k);
        if (!q)
            break;
        found = q;
        p = q + 1;
    }
    return found;
}

static void op_split(eng_val *d, const eng_val *a, const eng_ins *in, bool before)
{
    const char *s = a->u.s.p;
    const char *at = !in->slen ? NULL
                     : in->m == 1 ? last_occurrence(s, a->u.s.n, in->s, in->slen)
                                  : memmem(s, a->u.s.n, in->s, in->slen);
    if (!at) {
        if (before)
            copy_val(d, a);
        else
            set_null(d);
        return;
    }
    if (before)
        set_text(d, s, (size_t)(at - s));
    else
        set_text(d, at + in->slen, a->u.s.n - (size_t)(at - s) - in->slen);
}

/* with "x" replaced by "y": every occurrence, left to right, not overlapping. */
static __attribute__((noinline)) void op_replace(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n, k = in->slen;
    size_t room = n;
    if (in->s2len > k)
        room += (n / k) * (in->s2len - k);
    char *out = scratch_alloc(&w->scratch, room ? room : 1), *q = out;
    for (size_t i = 0; i < n;) {
        const char *hit = memmem(s + i, n - i, in->s, k);
        size_t upto = hit ? (size_t)(hit - s) : n;
        memcpy(q, s + i, upto - i);
        q += upto - i;
        if (!hit)
            break;
        memcpy(q, in->s2, in->s2len);
        q += in->s2len;
        i = upto + k;
    }
    set_text(d, out, (size_t)(q - out));
}

/* with spaces collapsed: Excel's TRIM over the white space `trimmed` removes. */
static __attribute__((noinline)) void op_squish(eng_worker *w, eng_val *d, const eng_val *a)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n, len = 0;
    char *out = scratch_alloc(&w->scratch, n);
    bool gap = false;   /* white space seen since the last kept character */
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        int k = cp < 0x80 ? 1 : mf_utf8_decode(s + i, n - i, &cp);
        if (is_white(cp)) {
            gap = true;
        } else {
            if (gap && len)
                out[len++] = ' ';
            gap = false;
            memcpy(out + len, s + i, (size_t)k);
            len += (size_t)k;
        }
        i += (size_t)k;
    }
    set_text(d, out, len);
}

/* Title case of one code point, as Spark's initcap does it: Java's Character.toTitleCase on a
 * UTF-16 unit, so letters outside the BMP keep themselves, as does ß (no simple title case). */
static uint32_t cp_title(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (cp == 0xDF || cp > 0xFFFF)
        return cp;
    return (uint32_t)utf8proc_totitle((utf8proc_int32_t)cp);
}

/* title cased: lower case, then the first character of the text and every character after a
 * U+0020 title cased (Spark's initcap). */
static __attribute__((noinline)) void op_title(eng_worker *w, eng_val *d, const eng_val *a)
{
    const char *s = a->u.s.p;
    size_t n = a->u.s.n;
    cp_text t;
    cp_text_init(w, &t, n);
    bool first = true;
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        i += cp < 0x80 ? 1 : (size_t)mf_utf8_decode(s + i, n - i, &cp);
        uint32_t m = cp_lower(cp);
        cp_text_put(w, &t, first ? cp_title(m) : m);
        first = cp == ' ';
    }
    set_text(d, t.p, t.len);
}

/* with leading (m = 0) / trailing (m = 1) "x" removed: x removed again and again at that end, one x kept
 * when the value is made only of x. */
static void op_strip(eng_val *d, const eng_val *a, const eng_ins *in)
{
    const char *s = a->u.s.p;
    size_t b = 0, e = a->u.s.n, k = in->slen;
    if (!in->m)
        while (e - b > k && !memcmp(s + b, in->s, k))
            b += k;
    else
        while (e - b > k && !memcmp(s + e - k, in->s, k))
            e -= k;
    set_text(d, s + b, e - b);
}

static __attribute__((noinline)) void op_digits(eng_worker *w, eng_val *d, const eng_val *a)
{
    size_t len = 0;
    char *out = scratch_alloc(&w->scratch, a->u.s.n);
    for (size_t i = 0; i < a->u.s.n; i++)   /* bytes of other characters are never ASCII digits */
        if (a->u.s.p[i] >= '0' && a->u.s.p[i] <= '9')
            out[len++] = a->u.s.p[i];
    set_text(d, out, len);
}

static void op_length(eng_val *d, const eng_val *a)
{
    set_int(d, (int64_t)mf_utf8_count(a->u.s.p, a->u.s.n));
}

/* ---- dates ------------------------------------------------------------------------------------ */

static bool need_date(eng_worker *w, const eng_ins *in, const eng_val *a)
{
    if (a->t == EV_DATE)
        return true;
    fail_not(w, in, a, "a date");
    return false;
}

static __attribute__((noinline)) void op_datepart(eng_val *d, const eng_val *a, const eng_ins *in)
{
    int y, m, day;
    mf_civil_from_days(a->u.days, &y, &m, &day);
    switch (in->sub) {
    case PD_YEAR: set_int(d, y); break;
    case PD_MONTH: set_int(d, m); break;
    case PD_DAY: set_int(d, day); break;
    case PD_QUARTER: set_int(d, (m + 2) / 3); break;
    default: set_int(d, m >= in->n ? y + 1 : y); break;   /* named by the year it ends in */
    }
}

static __attribute__((noinline)) void op_fmtdate(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    size_t cap = in->slen * 9 + 1;   /* "September" is the longest part a pattern letter makes */
    char *out = scratch_alloc(&w->scratch, cap);
    size_t n = mf_date_format_pattern(a->u.days, in->s, out, cap);
    set_text(d, out, n < cap ? n : cap - 1);
}

/* plus / minus N days: the result must stay within years 1 to 9999 */
static __attribute__((noinline)) bool op_adddays(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    static const int32_t lo = -719162, hi = 2932896;   /* 0001-01-01 and 9999-12-31 */
    int64_t r = (int64_t)a->u.days + in->n;
    if (r < lo || r > hi) {
        fail_value(w, in, a, in->n < 0 ? " minus " : " plus ");
        mf_buf_printf(&w->reason, "%lld days is out of range for date", (long long)(in->n < 0 ? -in->n : in->n));
        return false;
    }
    d->t = EV_DATE;
    d->u.days = (int32_t)r;
    return true;
}

/* A date step on a non-null value: its part, its text, plus/minus days, its month's end. */
static __attribute__((noinline)) bool op_date(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (!need_date(w, in, a))
        return false;
    switch (in->op) {
    case OP_DATEPART: op_datepart(d, a, in); return true;
    case OP_FMTDATE: op_fmtdate(w, d, a, in); return true;
    case OP_EOM:
        d->t = EV_DATE;
        d->u.days = mf_date_end_of_month(a->u.days);
        return true;
    default: return op_adddays(w, d, a, in);
    }
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* read as … ignores leading and trailing spaces and tabs */
static void trim_blank(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static bool op_rdate(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (a->t == EV_DATE) {
        copy_val(d, a);
        return true;
    }
    const char *s;
    size_t n = text_of(w, a, &s);
    trim_blank(&s, &n);
    int32_t days;
    if (!eng_parse_date(w, in, s, n, &days)) {
        fail_not(w, in, a, in->what);
        return false;
    }
    d->t = EV_DATE;
    d->u.days = days;
    return true;
}

static bool op_rnum(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (is_number(a)) {
        copy_val(d, a);
        return true;
    }
    const char *s;
    size_t n = text_of(w, a, &s);
    const plan_numfmt *f = in->fmt;
    /* parsed straight into d (d is never a: each node owns its register): no copy of a 128-bit
     * value through the stack */
    if (!mf_dec_parse_fmt(s, n, f->thousands, f->decimal ? f->decimal : '.', f->paren_negative, f->trailing_minus,
                          f->currency, &d->u.d)) {
        fail_not(w, in, a, in->what);
        return false;
    }
    d->t = EV_DEC;
    return true;
}

/* Digits with an optional sign, within int64. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (dgt > 9 || v > (lim - dgt) / 10)
            return false;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;   /* 0 - v in unsigned: INT64_MIN without overflow */
    return true;
}

static bool op_rint(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (a->t == EV_INT) {
        copy_val(d, a);
        return true;
    }
    const char *s;
    size_t n = text_of(w, a, &s);
    trim_blank(&s, &n);
    int64_t v;
    if (!parse_int64(s, n, &v)) {
        fail_not(w, in, a, in->what);
        return false;
    }
    set_int(d, v);
    return true;
}

/* Equal bytes: short keys ("D", "VOID") compared inline, without a call to memcmp. */
static inline bool same_bytes(const char *p, const char *q, size_t n)
{
    if (n > 16)
        return memcmp(p, q, n) == 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(p[i] ^ q[i]);
    return diff == 0;
}

static const eng_val *table_find(const eng_table *t, const char *s, size_t n)
{
    if (t->n <= 8) {   /* a few keys ("D" -> "DEBIT", "C" -> "CREDIT"): lengths compared first, no hash */
        for (int k = 0; k < t->n; k++)
            if (t->klen[k] == n && same_bytes(t->key[k], s, n))
                return &t->val[k];
        return NULL;
    }
    uint32_t h = eng_hash(s, n) & t->mask;
    for (int k; (k = t->slot[h]) >= 0; h = (h + 1) & t->mask)
        if (t->klen[k] == n && same_bytes(t->key[k], s, n))
            return &t->val[k];
    return NULL;
}

static bool op_rbool(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (a->t == EV_BOOL) {
        copy_val(d, a);
        return true;
    }
    const char *s;
    size_t n = text_of(w, a, &s);
    trim_blank(&s, &n);
    const eng_val *v = table_find(in->tab, s, n);
    if (!v || v->t != EV_BOOL) {
        fail_not(w, in, a, in->what);
        return false;
    }
    copy_val(d, v);
    return true;
}

static bool op_map(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    const char *s;
    size_t n = text_of(w, a, &s);
    const eng_table *t = in->tab;
    const eng_val *v = table_find(t, s, n);
    if (v) {
        copy_val(d, v);
        return true;
    }
    switch (t->otherwise) {
    case PO_KEEP: copy_val(d, a); return true;
    case PO_NULL: set_null(d); return true;
    case PO_VALUE: *d = t->other; return true;
    case PO_REJECT: break;
    }
    if (t->name) {
        fail_value(w, in, a, " is not in ");
        mf_buf_adds(&w->reason, t->name);
    } else
        fail_value(w, in, a, " is not one of the mapped values");
    return false;
}

/* ---- numbers ---------------------------------------------------------------------------------- */

static bool need_number(eng_worker *w, const eng_ins *in, const eng_val *a)
{
    if (is_number(a))
        return true;
    fail_not(w, in, a, "a number");
    return false;
}

static bool dec_result(eng_worker *w, const eng_ins *in, eng_val *d, bool ok, mf_dec r)
{
    if (!ok) {
        fail_msg(w, in, "arithmetic overflow");
        return false;
    }
    set_dec(d, r);
    return true;
}

static int div_scale(mf_dec a)
{
    return a.scale > 12 ? a.scale : 12;
}

static bool op_arith(eng_worker *w, eng_val *d, const eng_val *a, const eng_val *b, const eng_ins *in)
{
    if (a->t == EV_NULL || b->t == EV_NULL) {
        set_null(d);
        return true;
    }
    if (!need_number(w, in, a) || !need_number(w, in, b))
        return false;
    if (a->t == EV_INT && b->t == EV_INT && in->op != OP_DIV) {
        int64_t r;
        bool ovf = in->op == OP_ADD   ? __builtin_add_overflow(a->u.i, b->u.i, &r)
                   : in->op == OP_SUB ? __builtin_sub_overflow(a->u.i, b->u.i, &r)
                                      : __builtin_mul_overflow(a->u.i, b->u.i, &r);
        if (ovf) {
            fail_msg(w, in, "arithmetic overflow");
            return false;
        }
        set_int(d, r);
        return true;
    }
    mf_dec x = as_dec(a), y = as_dec(b), r = {0, 0};
    bool ok;
    switch (in->op) {
    case OP_ADD: ok = mf_dec_add(x, y, &r); break;
    case OP_SUB: ok = mf_dec_sub(x, y, &r); break;
    case OP_MUL: ok = mf_dec_mul(x, y, &r); break;
    default:
        if (y.v == 0) {
            fail_msg(w, in, "division by zero");
            return false;
        }
        ok = mf_dec_div(x, y, div_scale(x), &r);
        break;
    }
    return dec_result(w, in, d, ok, r);
}

static bool op_neg(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in, bool abs_only)
{
    if (!need_number(w, in, a))
        return false;
    copy_val(d, a);
    if (a->t == EV_INT) {
        if (abs_only && a->u.i >= 0)
            return true;
        if (a->u.i == INT64_MIN) {
            fail_msg(w, in, "arithmetic overflow");
            return false;
        }
        d->u.i = -a->u.i;
    } else if (!abs_only || a->u.d.v < 0)
        d->u.d.v = -a->u.d.v;   /* |v| < 10^38: never the minimum (as mf_dec_neg) */
    return true;
}

static bool op_scale(eng_worker *w, eng_val *d, const eng_val *a, const eng_ins *in)
{
    if (!need_number(w, in, a))
        return false;
    mf_dec x = as_dec(a), r = {0, 0};
    bool ok;
    if (in->op == OP_MULK)
        ok = mf_dec_mul(x, in->k, &r);
    else if (in->op == OP_ROUND)
        ok = mf_dec_round_dir(x, (int)in->n, (mf_round)in->m, &r);
    else {
        if (in->k.v == 0) {
            fail_msg(w, in, "division by zero");
            return false;
        }
        ok = mf_dec_div(x, in->k, div_scale(x), &r);
    }
    return dec_result(w, in, d, ok, r);
}

/* ---- text operators and conditions ------------------------------------------------------------ */

static void op_concat(eng_worker *w, eng_val *d, const eng_val *a, const eng_val *b)
{
    const char *p, *q;
    size_t n = text_of(w, a, &p), m = text_of(w, b, &q);
    if (!n || !m) {   /* a null operand counts as empty: no copy needed */
        if (n)
            set_text(d, p, n);
        else
            set_text(d, q, m);
        return;
    }
    char *out = scratch_alloc(&w->scratch, n + m);
    memcpy(out, p, n);
    memcpy(out + n, q, m);
    set_text(d, out, n + m);
}

static int cmp_bytes(const char *p, size_t n, const char *q, size_t m)
{
    int c = memcmp(p, q, n < m ? n : m);   /* UTF-8 byte order is code point order */
    return c ? c : (n > m) - (n < m);
}

/* Compare two non-null values: numbers by value, dates by day, text by code points, booleans;
 * mixed kinds fall back to canonical text. */
static int compare(eng_worker *w, const eng_val *a, const eng_val *b)
{
    if (is_number(a) && is_number(b)) {
        if (a->t == EV_INT && b->t == EV_INT)
            return (a->u.i > b->u.i) - (a->u.i < b->u.i);
        return mf_dec_cmp(as_dec(a), as_dec(b));
    }
    if (a->t == EV_DATE && b->t == EV_DATE)
        return (a->u.days > b->u.days) - (a->u.days < b->u.days);
    if (a->t == EV_BOOL && b->t == EV_BOOL)
        return (int)a->u.b - (int)b->u.b;
    const char *p, *q;
    size_t n = text_of(w, a, &p), m = text_of(w, b, &q);
    return cmp_bytes(p, n, q, m);
}

static bool op_cmp(eng_worker *w, const eng_val *a, const eng_val *b, int op)
{
    if (a->t == EV_NULL || b->t == EV_NULL)
        return false;
    if (a->t == EV_TEXT && b->t == EV_TEXT && op == PB_EQ)   /* [Status] is "VOID": the common test */
        return a->u.s.n == b->u.s.n && same_bytes(a->u.s.p, b->u.s.p, a->u.s.n);
    int c = compare(w, a, b);
    switch (op) {
    case PB_EQ: return c == 0;
    case PB_NE: return c != 0;
    case PB_LT: return c < 0;
    case PB_LE: return c <= 0;
    case PB_GT: return c > 0;
    case PB_GE: return c >= 0;
    default: return false;
    }
}

static bool op_textcond(eng_worker *w, const eng_val *a, const eng_ins *in)
{
    if (a->t == EV_NULL)
        return false;
    const char *p;
    size_t n = text_of(w, a, &p);
    switch (in->op) {
    case OP_IN: return table_find(in->tab, p, n) != NULL;
    case OP_CONTAINS: return in->slen == 0 || memmem(p, n, in->s, in->slen) != NULL;
    case OP_STARTS: return n >= in->slen && memcmp(p, in->s, in->slen) == 0;
    default: return n >= in->slen && memcmp(p + n - in->slen, in->s, in->slen) == 0;
    }
}

static inline bool truthy(const eng_val *v)
{
    return v->t == EV_BOOL && v->u.b;
}

/* ---- assignment to the column's type ------------------------------------------------------------ */

static bool assign_text(eng_worker *w, const eng_ins *in, const eng_colspec *c, const eng_val *v, eng_val *out)
{
    const char *p;
    size_t n = text_of(w, v, &p);
    set_text(out, p, n);
    if (c->type.len > 0 && n > (size_t)c->type.len && mf_utf8_count(p, n) > (size_t)c->type.len) {
        fail_value(w, in, v, " is longer than ");
        mf_buf_printf(&w->reason, "%d characters", c->type.len);
        return false;
    }
    return true;
}

static bool assign_int(eng_worker *w, const eng_ins *in, const eng_colspec *c, const eng_val *v, eng_val *out)
{
    bool small = c->type.base == PT_INTEGER;
    int64_t i;
    if (v->t == EV_INT)
        i = v->u.i;
    else if (v->t == EV_DEC) {
        mf_dec r;
        if (!mf_dec_rescale_exact(eng_dec_of(v), 0, &r)) {
            fail_value(w, in, v, " is not a whole number");
            return false;
        }
        if (r.v < INT64_MIN || r.v > INT64_MAX) {
            fail_value(w, in, v, small ? " is out of range for integer" : " is out of range for bigint");
            return false;
        }
        i = (int64_t)r.v;
    } else {
        fail_not(w, in, v, "a number");
        return false;
    }
    if (small && (i < INT32_MIN || i > INT32_MAX)) {
        fail_value(w, in, v, " is out of range for integer");
        return false;
    }
    set_int(out, i);
    return true;
}

static bool assign_dec(eng_worker *w, const eng_ins *in, const eng_colspec *c, const eng_val *v, eng_val *out)
{
    if (!is_number(v)) {
        fail_not(w, in, v, "a number");
        return false;
    }
    int s = c->type.scale, p = c->type.prec > 0 ? c->type.prec : MF_DEC_MAX_PREC;
    if (v->t == EV_DEC && v->u.d.scale == s) {   /* the usual case: right scale, few digits */
        static const int64_t pow10[19] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                          1000000000, 10000000000, 100000000000, 1000000000000,
                                          10000000000000, 100000000000000, 1000000000000000,
                                          10000000000000000, 100000000000000000, 1000000000000000000};
        __int128 lim = pow10[p < 18 ? p : 18], x = v->u.d.v;   /* digits <= p iff |x| < 10^p */
        if (x < lim && x > -lim) {
            copy_val(out, v);
            return true;
        }
    }
    mf_dec r, x = as_dec(v);
    if (!mf_dec_rescale_exact(x, s, &r)) {
        /* either digits beyond s are not zero, or the value is too large to rescale */
        mf_dec t;
        bool lost = x.scale > s && (!mf_dec_round(x, s, &t) || mf_dec_cmp(t, x) != 0);
        fail_value(w, in, v, " has more than ");
        mf_buf_printf(&w->reason, lost ? "%d decimals" : "%d digits", lost ? s : p);
        return false;
    }
    if (mf_dec_digits(r) > p) {
        fail_value(w, in, v, " has more than ");
        mf_buf_printf(&w->reason, "%d digits", p);
        return false;
    }
    set_dec(out, r);
    return true;
}

/* Column col = v.  in is the instruction doing it (an OP_ASSIGN, or a step with in->assign). */
static __attribute__((noinline)) bool assign(eng_worker *w, const eng_ins *in, uint32_t col, const eng_val *v)
{
    const eng_colspec *c = &w->g->cols[col];
    eng_val *out = &w->cols[col];
    if (v->t == EV_NULL) {
        set_null(out);
        if (c->required) {
            reason_start(w, -1);
            w->reject_col = (int)col;
            mf_buf_adds(&w->reason, c->name);
            mf_buf_adds(&w->reason, " is required but missing");
            return false;
        }
        return true;
    }
    switch (c->type.base) {
    case PT_TEXT: return assign_text(w, in, c, v, out);
    case PT_INTEGER:
    case PT_BIGINT: return assign_int(w, in, c, v, out);
    case PT_DECIMAL: return assign_dec(w, in, c, v, out);
    case PT_DATE:
    case PT_TIMESTAMP:
        if (v->t != EV_DATE) {
            fail_not(w, in, v, "a date");
            return false;
        }
        break;
    case PT_BOOLEAN:
        if (v->t != EV_BOOL) {
            fail_not(w, in, v, "a boolean");
            return false;
        }
        break;
    default: break;
    }
    copy_val(out, v);
    return true;
}

/* The usual values inline (kind = ENG_ASG_*, the column's type decided at compile time): text
 * within the column's length in bytes, a decimal already at the column's scale with few digits,
 * a date.  Everything else, and every failure, through assign(). */
static inline bool assign_fast(eng_worker *w, const eng_ins *in, uint32_t col, uint8_t kind, const eng_val *v)
{
    const eng_colspec *c = &w->g->cols[col];
    eng_val *out = &w->cols[col];
    if (kind == ENG_ASG_TEXT && v->t == EV_TEXT) {
        if (c->type.len <= 0 || v->u.s.n <= (size_t)c->type.len) {
            copy_val(out, v);
            return true;
        }
    } else if (kind == ENG_ASG_DEC && v->t == EV_DEC) {
        if (v->u.d.scale == c->type.scale && c->type.prec >= 18 && v->u.d.v < 1000000000000000000 &&
            v->u.d.v > -1000000000000000000) {   /* at most 18 digits: fits */
            copy_val(out, v);
            return true;
        }
    } else if (kind == ENG_ASG_DATE && v->t == EV_DATE) {
        out->t = EV_DATE;
        out->u.days = v->u.days;
        return true;
    }
    return assign(w, in, col, v);
}

/* ---- the loop --------------------------------------------------------------------------------- */

/* A text step: its operand as text, or a null result (nulls pass through). */
#define TEXT_ARG()                                  \
    if (!(a = text_arg(w, a, &tmp))) {              \
        set_null(d);                                \
        NEXT();                                     \
    }

/* Dispatch.  Direct threading by default (GCC / Clang's labels as values): each instruction's
 * handler ends in its own indirect jump to the next one's, so the branch predictor learns the
 * program's sequence per handler instead of sharing one jump for all of them.  ENG_SWITCH_DISPATCH
 * (CMake -DMAPFORGE_SWITCH_DISPATCH=ON, or a compiler without labels as values) selects the
 * portable switch; both run the same handlers, and the torture differential compares them.
 * DISPATCH() starts instruction `in` (its registers d and a, operand a read from the record for a
 * fused OP_SRC); NEXT() ends the current one (its fused OP_ASSIGN) and starts the next. */
#if !defined(ENG_SWITCH_DISPATCH) && !defined(__GNUC__)
#define ENG_SWITCH_DISPATCH 1
#endif
#define OPERANDS()                                  \
    do {                                            \
        d = &r[in->dst];                            \
        a = &r[in->a];                              \
        if (in->afield) {                           \
            set_text(&fa, fp[in->a], fl[in->a]);    \
            a = &fa;                                \
        }                                           \
    } while (0)
#define NEXT()                                                                                  \
    do {                                                                                        \
        if (in->assign && !assign_fast(w, in, (uint32_t)in->col, in->assign, d)) /* fused */  \
            return ENG_REJECTED;                                                                \
        in++;                                                                                   \
        DISPATCH();                                                                             \
    } while (0)
#ifdef ENG_SWITCH_DISPATCH
#define DISPATCH_TABLE
#define DISPATCH() goto dispatch
#define SWITCH_START \
    dispatch:        \
    OPERANDS();      \
    switch ((eng_op)in->op) {
#define SWITCH_END } abort(); /* not reached: every handler jumps or returns */
#define CASE(op) case op
#else
#define DISPATCH_TABLE                                                     \
    static const void *const handler[] = {ENG_OPS(ENG_LABEL_ADDR)};      \
    _Static_assert(sizeof handler / sizeof *handler == ENG_NOPS, "one handler per instruction")
#define ENG_LABEL_ADDR(op) [op] = &&L_##op,
#define DISPATCH()                \
    do {                          \
        OPERANDS();               \
        goto *handler[in->op];    \
    } while (0)
#define SWITCH_START
#define SWITCH_END
#define CASE(op) L_##op
#endif

eng_fate eng_eval_record(eng_worker *w, const csv_block *b, size_t row)
{
    const eng_program *g = w->g;
    uint32_t nf = b->nfields[row];
    if ((int)nf != g->nfields) {
        reason_start(w, -1);
        mf_buf_printf(&w->reason, "record has %u fields, expected %d", nf, g->nfields);
        return ENG_REJECTED;
    }
    const char *const *fp = b->fptr + b->first[row];
    const uint32_t *fl = b->flen + b->first[row];
    eng_val *r = w->regs;
    eng_val tmp = {.t = EV_NULL};   /* a text step's operand converted to text */
    scratch_reset(&w->scratch);
    eng_val fa;                     /* operand a read straight from the record (a fused OP_SRC) */
    const eng_ins *in = g->code;
    eng_val *d;
    const eng_val *a;
    DISPATCH_TABLE;
    DISPATCH();
    {
        SWITCH_START
        CASE(OP_END): return ENG_OUTPUT;
        CASE(OP_SRC): set_text(d, fp[in->a], fl[in->a]); NEXT();
        CASE(OP_COL): copy_val(d, &w->cols[in->a]); NEXT();
        CASE(OP_CONST): *d = g->consts[in->a]; NEXT();
        CASE(OP_MOVE): copy_val(d, a); NEXT();
        CASE(OP_JMP): in = g->code + in->jump; DISPATCH();
        CASE(OP_JF):
            in = !truthy(a) ? g->code + in->jump : in + 1;
            DISPATCH();
        CASE(OP_JT):
            in = truthy(a) ? g->code + in->jump : in + 1;
            DISPATCH();
        CASE(OP_JNN):
            in = a->t != EV_NULL ? g->code + in->jump : in + 1;
            DISPATCH();
        CASE(OP_TRIM): TEXT_ARG() op_trim(d, a); NEXT();
        CASE(OP_UPPER): TEXT_ARG() op_case(w, d, a, true); NEXT();
        CASE(OP_LOWER): TEXT_ARG() op_case(w, d, a, false); NEXT();
        CASE(OP_PADL): TEXT_ARG() op_pad(w, d, a, in, true); NEXT();
        CASE(OP_PADR): TEXT_ARG() op_pad(w, d, a, in, false); NEXT();
        CASE(OP_PREFIX): TEXT_ARG() op_affix(w, d, a, in, true); NEXT();
        CASE(OP_SUFFIX): TEXT_ARG() op_affix(w, d, a, in, false); NEXT();
        CASE(OP_FIRST):
        CASE(OP_LAST):
        CASE(OP_SUBSTR): TEXT_ARG() op_chars(d, a, in); NEXT();
        CASE(OP_BEFORE): TEXT_ARG() op_split(d, a, in, true); NEXT();
        CASE(OP_AFTER): TEXT_ARG() op_split(d, a, in, false); NEXT();
        CASE(OP_REPLACE): TEXT_ARG() op_replace(w, d, a, in); NEXT();
        CASE(OP_SQUISH): TEXT_ARG() op_squish(w, d, a); NEXT();
        CASE(OP_TITLE): TEXT_ARG() op_title(w, d, a); NEXT();
        CASE(OP_DIGITS): TEXT_ARG() op_digits(w, d, a); NEXT();
        CASE(OP_STRIP): TEXT_ARG() op_strip(d, a, in); NEXT();
        CASE(OP_LENGTH): TEXT_ARG() op_length(d, a); NEXT();
        CASE(OP_DATEPART):
        CASE(OP_FMTDATE):
        CASE(OP_ADDDAYS):
        CASE(OP_EOM):
            if (a->t == EV_NULL) {
                set_null(d);
                NEXT();
            }
            if (!op_date(w, d, a, in))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_RDATE):
        CASE(OP_RNUM):
        CASE(OP_RINT):
        CASE(OP_RBOOL):
        CASE(OP_MAP): {
            if (a->t == EV_NULL) {
                set_null(d);
                NEXT();
            }
            bool ok = in->op == OP_RDATE  ? op_rdate(w, d, a, in)
                      : in->op == OP_RNUM ? op_rnum(w, d, a, in)
                      : in->op == OP_RINT ? op_rint(w, d, a, in)
                      : in->op == OP_RBOOL ? op_rbool(w, d, a, in)
                                           : op_map(w, d, a, in);
            if (!ok)
                return ENG_REJECTED;
            NEXT();
        }
        CASE(OP_MULK):
        CASE(OP_DIVK):
        CASE(OP_ROUND):
            if (a->t == EV_NULL)
                set_null(d);
            else if (!op_scale(w, d, a, in))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_NEG):
        CASE(OP_ABS):
            if (a->t == EV_NULL)
                set_null(d);
            else if (!op_neg(w, d, a, in, in->op == OP_ABS))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_NEGWHEN):
            if (a->t == EV_NULL || !truthy(&r[in->b]))
                copy_val(d, a);
            else if (!op_neg(w, d, a, in, false))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_ADD):
        CASE(OP_SUB):
        CASE(OP_MUL):
        CASE(OP_DIV):
            if (!op_arith(w, d, a, &r[in->b], in))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_CONCAT): op_concat(w, d, a, &r[in->b]); NEXT();
        CASE(OP_DAYS):
            if (a->t == EV_DATE && r[in->b].t == EV_DATE)
                set_int(d, (int64_t)r[in->b].u.days - a->u.days);
            else if (a->t == EV_NULL || r[in->b].t == EV_NULL)
                set_null(d);
            else {
                fail_not(w, in, a->t != EV_DATE ? a : &r[in->b], "a date");
                return ENG_REJECTED;
            }
            NEXT();
        CASE(OP_CMP): set_bool(d, op_cmp(w, a, &r[in->b], (int)in->n)); NEXT();
        CASE(OP_MISSING): set_bool(d, a->t == EV_NULL); NEXT();
        CASE(OP_PRESENT): set_bool(d, a->t != EV_NULL); NEXT();
        CASE(OP_IN):
        CASE(OP_CONTAINS):
        CASE(OP_STARTS):
        CASE(OP_ENDS): set_bool(d, op_textcond(w, a, in)); NEXT();
        CASE(OP_NOT): set_bool(d, !truthy(a)); NEXT();
        CASE(OP_SKIP):
            if (truthy(a))
                return ENG_FILTERED;
            NEXT();
        CASE(OP_ASSIGN):
            if (!assign_fast(w, in, in->a, in->sub, &r[in->b]))
                return ENG_REJECTED;
            NEXT();
        CASE(OP_REJECT):
            if (truthy(a)) {
                reason_start(w, -1);
                mf_buf_add(&w->reason, in->s, in->slen);
                return ENG_REJECTED;
            }
            NEXT();
        SWITCH_END
    }
}

/* ---- workers ---------------------------------------------------------------------------------- */

eng_worker *eng_worker_new(const eng_program *g)
{
    eng_worker *w = mf_xcalloc(1, sizeof *w);
    w->g = g;
    w->regs = mf_xcalloc((size_t)g->nregs + 1, sizeof *w->regs);
    for (int i = 0; i < g->npre; i++)   /* constants: set once, never written by the program */
        w->regs[g->pre[i].reg] = g->consts[g->pre[i].k];
    w->cols = mf_xcalloc((size_t)g->ncols + 1, sizeof *w->cols);
    w->scratch.cap = 64 * 1024;
    w->scratch.buf = mf_xmalloc(w->scratch.cap);
    w->reject_col = -1;
    w->dates = mf_xmalloc(ENG_DATE_CACHE * sizeof *w->dates);
    w->parsed = mf_xmalloc(ENG_DATE_CACHE * sizeof *w->parsed);
    eng_date_cache_init(w);
    return w;
}

void eng_worker_free(eng_worker *w)
{
    if (!w)
        return;
    scratch_reset(&w->scratch);
    free(w->scratch.buf);
    free(w->regs);
    free(w->cols);
    free(w->dates);
    free(w->parsed);
    mf_buf_free(&w->reason);
    free(w);
}

const eng_val *eng_worker_values(const eng_worker *w)
{
    return w->cols;
}

const char *eng_worker_reason(const eng_worker *w)
{
    return mf_buf_str(&w->reason);
}

int eng_worker_reject_col(const eng_worker *w)
{
    return w->reject_col;
}
