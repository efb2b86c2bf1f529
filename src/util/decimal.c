/* decimal.c — exact scaled decimals on a signed 128-bit integer.
 *
 * Invariant: every mf_dec this file produces has |v| < 10^38 and 0 <= scale <= 38, so at most 38
 * digits.  Every operation that could leave that range reports failure instead; intermediate
 * products use the compiler's overflow builtins, so nothing ever wraps (UBSan stays quiet) and
 * the minimum __int128 is never negated.  Rounding is half up: a tie goes away from zero.
 */
#include "util/decimal.h"

#include <string.h>

typedef unsigned __int128 u128;

static __int128 pow10_tab[MF_DEC_MAX_PREC + 1];

/* The table is filled before main runs: no lazy initialisation races between threads. */
__attribute__((constructor)) static void pow10_init(void)
{
    __int128 p = 1;
    for (int i = 0; i <= MF_DEC_MAX_PREC; i++) {
        pow10_tab[i] = p;
        if (i < MF_DEC_MAX_PREC)   /* 10^39 would not fit */
            p *= 10;
    }
}

static __int128 p10(int k)
{
    return pow10_tab[k];
}

/* The one range check: fewer than 39 digits. */
static bool in_range(__int128 v)
{
    return v < pow10_tab[MF_DEC_MAX_PREC] && v > -pow10_tab[MF_DEC_MAX_PREC];
}

static bool mk(__int128 v, int scale, mf_dec *out)
{
    if (!in_range(v) || scale < 0 || scale > MF_DEC_MAX_PREC)
        return false;
    out->v = v;
    out->scale = scale;
    return true;
}

/* v * 10^k with overflow detection (k may exceed 38 only for v == 0). */
static bool mul_p10(__int128 v, int k, __int128 *out)
{
    if (v == 0) {
        *out = 0;
        return true;
    }
    if (k > MF_DEC_MAX_PREC)
        return false;
    return !__builtin_mul_overflow(v, p10(k), out) && in_range(*out);
}

/* num / den rounded half up (ties away from zero).  den != 0; neither is the __int128 minimum. */
static __int128 div_half_up(__int128 num, __int128 den)
{
    __int128 q = num / den, r = num % den;
    if (r == 0)
        return q;
    u128 ar = r < 0 ? (u128)(-r) : (u128)r;
    u128 ad = den < 0 ? (u128)(-den) : (u128)den;
    if (ar >= ad - ar)   /* 2|r| >= |den| without overflow */
        q += ((num < 0) != (den < 0)) ? -1 : 1;
    return q;
}

/* ---- parsing ---------------------------------------------------------------------------------- */

/* Digits accumulate in a 64-bit word (cheap) and are folded into the 128-bit value every 18
 * digits.  Leading zeros cost nothing; at most 38 significant digits. */
typedef struct digits {
    __int128 v;       /* folded digits */
    uint64_t lo;      /* digits since the last fold */
    int nlo;          /* how many */
    int sig;          /* significant digits so far */
} digits;

static inline bool push_digit(digits *a, int d)
{
    if (a->sig == 0 && d == 0)
        return true;
    if (++a->sig > MF_DEC_MAX_PREC)
        return false;
    a->lo = a->lo * 10 + (unsigned)d;
    if (++a->nlo == 18) {   /* v < 10^20 here (sig <= 38), so v * 10^18 < 10^38 fits */
        a->v = a->v * 1000000000000000000LL + (__int128)a->lo;
        a->lo = 0;
        a->nlo = 0;
    }
    return true;
}

static inline __int128 digits_value(const digits *a)
{
    return a->v * p10(a->nlo) + (__int128)a->lo;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool mf_dec_parse(const char *s, size_t n, mf_dec *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    digits a = {0, 0, 0, 0};
    int scale = 0, ndig = 0;
    for (; i < n && is_digit(s[i]); i++, ndig++)
        if (!push_digit(&a, s[i] - '0'))
            return false;
    if (i < n && s[i] == '.') {
        for (i++; i < n && is_digit(s[i]); i++, ndig++, scale++)
            if (scale >= MF_DEC_MAX_PREC || !push_digit(&a, s[i] - '0'))
                return false;
    }
    if (i != n || ndig == 0)
        return false;
    __int128 v = digits_value(&a);
    return mk(neg ? -v : v, scale, out);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s))
        (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

static bool starts_with(const char *s, size_t n, const char *w, size_t wn)
{
    return wn && n >= wn && memcmp(s, w, wn) == 0;
}

static bool ends_with(const char *s, size_t n, const char *w, size_t wn)
{
    return wn && n >= wn && memcmp(s + n - wn, w, wn) == 0;
}

/* Digits with optional thousands groups (first group 1-3 digits, then exactly 3 after each
 * separator, only before the decimal mark) and an optional fraction. */
static bool parse_body_wide(const char *s, size_t n, char thousands, char decimal, __int128 *v, int *scale)
{
    size_t i = 0;
    int group = 0, ndig = 0;
    bool grouped = false;
    digits a = {0, 0, 0, 0};
    *v = 0;
    *scale = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (is_digit(c)) {
            if (!push_digit(&a, c - '0'))
                return false;
            group++;
            ndig++;
            if (grouped && group > 3)
                return false;
        } else if (thousands && c == thousands) {
            if (group == 0 || group > 3 || (grouped && group != 3))
                return false;
            grouped = true;
            group = 0;
        } else
            break;
    }
    if (grouped && group != 3)
        return false;
    if (i < n && s[i] == decimal) {
        for (i++; i < n && is_digit(s[i]); i++, ndig++, (*scale)++)
            if (*scale >= MF_DEC_MAX_PREC || !push_digit(&a, s[i] - '0'))
                return false;
    }
    *v = digits_value(&a);
    return i == n && ndig > 0;
}

/* parse_body_wide's answer, computed in 64 bits when there are at most 18 digits (nearly every
 * amount); longer numbers are parsed again by parse_body_wide.  Same checks, same order. */
static bool parse_body(const char *s, size_t n, char thousands, char decimal, __int128 *v, int *scale)
{
    size_t i = 0;
    int group = 0, ndig = 0, sc = 0;
    bool grouped = false;
    uint64_t acc = 0;   /* wraps harmlessly past 19 digits: then the wide parser decides */
    for (; i < n; i++) {
        unsigned dg = (unsigned)((unsigned char)s[i] - '0');
        if (dg <= 9) {
            acc = acc * 10 + dg;
            group++;
            ndig++;
            if (grouped && group > 3)
                return false;
        } else if (thousands && s[i] == thousands) {
            if (group == 0 || group > 3 || (grouped && group != 3))
                return false;
            grouped = true;
            group = 0;
        } else
            break;
    }
    if (grouped && group != 3)
        return false;
    if (i < n && s[i] == decimal) {
        for (i++; i < n && is_digit(s[i]); i++, ndig++, sc++)
            acc = acc * 10 + (unsigned)(s[i] - '0');
    }
    if (ndig > 18)
        return parse_body_wide(s, n, thousands, decimal, v, scale);
    *v = (__int128)acc;
    *scale = sc;
    return i == n && ndig > 0;
}

bool mf_dec_parse_fmt(const char *s, size_t n, char thousands, char decimal, bool paren_negative,
                      bool trailing_minus, const char *currency, mf_dec *out)
{
    size_t cn = currency ? strlen(currency) : 0;
    int negs = 0;                 /* how many negative markers: more than one is not a number */
    bool have_sign = false, have_cur = false, have_paren = false;
    if (decimal != ',')
        decimal = '.';
    if (thousands == decimal)
        thousands = 0;
    /* The usual amount, "1,234.56", "-12.50" or "(772.47)", with no currency: a digit at each end
     * of the body leaves the marker loop below nothing more to strip, so its answer is the body's. */
    if (cn == 0 && n >= 1) {
        size_t i = 0, m = n;
        if (paren_negative && n >= 3 && s[0] == '(' && s[n - 1] == ')')
            i = 1, m = n - 1;
        else if (n >= 2 && s[0] == '-')
            i = 1;
        if (is_digit(s[i]) && is_digit(s[m - 1])) {
            __int128 v;
            int scale;
            if (!parse_body(s + i, m - i, thousands, decimal, &v, &scale))
                return false;
            return mk(i ? -v : v, scale, out);
        }
    }
    trim(&s, &n);
    /* Strip markers from the outside in: sign, currency and parentheses in any order, once each. */
    for (bool changed = true; changed && n;) {
        changed = false;
        if (!have_sign && (s[0] == '-' || s[0] == '+')) {
            negs += s[0] == '-';
            s++, n--;
            have_sign = changed = true;
        } else if (!have_cur && starts_with(s, n, currency, cn)) {
            s += cn, n -= cn;
            have_cur = changed = true;
        } else if (!have_paren && paren_negative && s[0] == '(' && n >= 2 && s[n - 1] == ')') {
            s++, n -= 2;
            negs++;
            have_paren = changed = true;
        } else if (trailing_minus && s[n - 1] == '-') {
            n--;
            negs++;
            trailing_minus = false;
            changed = true;
        } else if (!have_cur && ends_with(s, n, currency, cn)) {
            n -= cn;
            have_cur = changed = true;
        }
        trim(&s, &n);
    }
    __int128 v;
    int scale;
    if (negs > 1 || !parse_body(s, n, thousands, decimal, &v, &scale))
        return false;
    return mk(negs ? -v : v, scale, out);
}

/* ---- arithmetic ------------------------------------------------------------------------------- */

/* Bring a and b to the same scale (the larger one). */
static bool align(mf_dec *a, mf_dec *b)
{
    if (a->scale < b->scale) {
        if (!mul_p10(a->v, b->scale - a->scale, &a->v))
            return false;
        a->scale = b->scale;
    } else if (b->scale < a->scale) {
        if (!mul_p10(b->v, a->scale - b->scale, &b->v))
            return false;
        b->scale = a->scale;
    }
    return true;
}

bool mf_dec_add(mf_dec a, mf_dec b, mf_dec *out)
{
    __int128 r;
    if (!align(&a, &b) || __builtin_add_overflow(a.v, b.v, &r))
        return false;
    return mk(r, a.scale, out);
}

bool mf_dec_sub(mf_dec a, mf_dec b, mf_dec *out)
{
    __int128 r;
    if (!align(&a, &b) || __builtin_sub_overflow(a.v, b.v, &r))
        return false;
    return mk(r, a.scale, out);
}

bool mf_dec_mul(mf_dec a, mf_dec b, mf_dec *out)
{
    __int128 r;
    if (__builtin_mul_overflow(a.v, b.v, &r))
        return false;
    int scale = a.scale + b.scale;
    while (scale > MF_DEC_MAX_PREC && r % 10 == 0) {   /* trailing zeros carry no information */
        r /= 10;
        scale--;
    }
    return mk(r, scale, out);
}

bool mf_dec_div(mf_dec a, mf_dec b, int scale, mf_dec *out)
{
    if (b.v == 0 || scale < 0 || scale > MF_DEC_MAX_PREC)
        return false;
    /* result = a.v * 10^(scale + b.scale - a.scale) / b.v */
    int k = scale + b.scale - a.scale;
    __int128 num = a.v, den = b.v;
    if (k >= 0) {
        if (!mul_p10(num, k, &num))
            return false;
    } else if (!mul_p10(den, -k, &den)) {
        /* |den| >= 10^38 > |num|: the quotient is below 1/2 unit, so it rounds to zero. */
        return mk(0, scale, out);
    }
    return mk(div_half_up(num, den), scale, out);
}

bool mf_dec_round(mf_dec a, int scale, mf_dec *out)
{
    if (scale < 0 || scale > MF_DEC_MAX_PREC)
        return false;
    if (scale >= a.scale) {
        __int128 v;
        return mul_p10(a.v, scale - a.scale, &v) && mk(v, scale, out);
    }
    return mk(div_half_up(a.v, p10(a.scale - scale)), scale, out);
}

bool mf_dec_round_dir(mf_dec a, int scale, mf_round dir, mf_dec *out)
{
    if (dir == MF_ROUND_HALF_UP || scale >= a.scale)
        return mf_dec_round(a, scale, out);
    if (scale < 0)
        return false;
    __int128 d = p10(a.scale - scale), q = a.v / d;   /* C division truncates: toward zero */
    if (dir == MF_ROUND_UP && a.v % d != 0)
        q += a.v < 0 ? -1 : 1;
    return mk(q, scale, out);
}

bool mf_dec_rescale_exact(mf_dec a, int scale, mf_dec *out)
{
    if (scale == a.scale)   /* the usual case: the value already has the column's scale */
        return mk(a.v, scale, out);
    if (scale < 0 || scale > MF_DEC_MAX_PREC)
        return false;
    if (scale >= a.scale) {
        __int128 v;
        return mul_p10(a.v, scale - a.scale, &v) && mk(v, scale, out);
    }
    __int128 d = p10(a.scale - scale);
    if (a.v % d != 0)
        return false;
    return mk(a.v / d, scale, out);
}

mf_dec mf_dec_neg(mf_dec a)
{
    a.v = -a.v;   /* |v| < 10^38: never the minimum */
    return a;
}

int mf_dec_sign(mf_dec a)
{
    return a.v < 0 ? -1 : a.v > 0;
}

int mf_dec_cmp(mf_dec a, mf_dec b)
{
    /* Integer parts first, then the fractions brought to 38 digits: no overflow possible. */
    __int128 ia = a.v / p10(a.scale), ib = b.v / p10(b.scale);
    if (ia != ib)
        return ia < ib ? -1 : 1;
    __int128 fa = (a.v % p10(a.scale)) * p10(MF_DEC_MAX_PREC - a.scale);
    __int128 fb = (b.v % p10(b.scale)) * p10(MF_DEC_MAX_PREC - b.scale);
    return fa < fb ? -1 : fa > fb;
}

int mf_dec_digits(mf_dec a)
{
    u128 m = a.v < 0 ? (u128)(-a.v) : (u128)a.v;
    int d = 1;
    if (m <= UINT64_MAX) {   /* 64-bit compares for the usual sizes */
        uint64_t s = (uint64_t)m, p = 10;
        while (d < 20 && s >= p) {
            d++;
            if (d < 20)
                p *= 10;
        }
        return d;
    }
    while (d < MF_DEC_MAX_PREC + 1 && m >= (u128)p10(d))
        d++;
    return d;
}

bool mf_dec_fits(mf_dec a, int prec, int scale)
{
    mf_dec r;
    return mf_dec_rescale_exact(a, scale, &r) && mf_dec_digits(r) <= prec;
}

/* "00".."99": two digits per division. */
static const char two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                    "8081828384858687888990919293949596979899";

int mf_dec_format(mf_dec a, char *out)
{
    return mf_dec_format_parts(a.v, a.scale, out);
}

/* The usual value (|v| < 2^64, scale <= 19): written right-aligned into tmp two digits at a time,
 * the point put in on the way, then copied out once. */
static int format_u64(uint64_t m, bool neg, int scale, char *out)
{
    char tmp[48];
    char *q = tmp + sizeof tmp;
    int k = 0;
    for (; k + 2 <= scale; k += 2) {
        unsigned r = (unsigned)(m % 100);
        m /= 100;
        *--q = two_digits[2 * r + 1];
        *--q = two_digits[2 * r];
    }
    if (k < scale) {
        *--q = (char)('0' + (int)(m % 10));
        m /= 10;
    }
    if (scale)
        *--q = '.';
    while (m >= 100) {
        unsigned r = (unsigned)(m % 100);
        m /= 100;
        *--q = two_digits[2 * r + 1];
        *--q = two_digits[2 * r];
    }
    if (m >= 10) {
        *--q = two_digits[2 * m + 1];
        *--q = two_digits[2 * m];
    } else
        *--q = (char)('0' + (int)m);
    if (neg)
        *--q = '-';
    int len = (int)(tmp + sizeof tmp - q);
    memcpy(out, q, (size_t)len);
    out[len] = '\0';
    return len;
}

int mf_dec_format_parts(__int128 v, int scale, char *out)
{
    u128 um = v < 0 ? (u128)(-v) : (u128)v;
    if (um <= UINT64_MAX && scale <= 19)
        return format_u64((uint64_t)um, v < 0, scale, out);
    mf_dec a = {v, scale};
    char tmp[48];
    int n = 0, len = 0;
    u128 m = a.v < 0 ? (u128)(-a.v) : (u128)a.v;
    /* digits, least significant first; at least scale + 1 of them */
    if (m <= UINT64_MAX) {   /* the usual case: 64-bit division is many times cheaper */
        uint64_t s = (uint64_t)m;
        while (s >= 100) {
            unsigned r = (unsigned)(s % 100);
            s /= 100;
            tmp[n++] = two_digits[2 * r + 1];
            tmp[n++] = two_digits[2 * r];
        }
        do {
            tmp[n++] = (char)('0' + (int)(s % 10));
            s /= 10;
        } while (s);
        while (n <= a.scale)
            tmp[n++] = '0';
    } else {
        do {
            tmp[n++] = (char)('0' + (int)(m % 10));
            m /= 10;
        } while (m || n <= a.scale);
    }
    if (a.v < 0)
        out[len++] = '-';
    if (a.scale == 0) {
        while (n > 0)
            out[len++] = tmp[--n];
    } else {
        while (n > a.scale)
            out[len++] = tmp[--n];
        out[len++] = '.';
        while (n > 0)
            out[len++] = tmp[--n];
    }
    out[len] = '\0';
    return len;
}
