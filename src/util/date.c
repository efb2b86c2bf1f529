/* date.c — civil date arithmetic (Howard Hinnant's days-from-civil algorithm, written out here)
 * and strict pattern parsing.  No locale, no strptime: the same answer on every machine. */
#include "util/date.h"

#include <stdio.h>
#include <string.h>

int32_t mf_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void mf_civil_from_days(int32_t z0, int *y, int *m, int *d)
{
    long z = (long)z0 + 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

bool mf_date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static const char *const month_names[] = {"january", "february", "march",     "april",   "may",      "june",
                                          "july",    "august",   "september", "october", "november", "december"};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Token at pattern p: returns its length and kind, 0 for a literal character. */
enum { TK_LIT, TK_YYYY, TK_YY, TK_MM, TK_M, TK_DD, TK_D, TK_MON, TK_MONTH };

static int token_at(const char *p, int *kind)
{
    if (!strncmp(p, "YYYY", 4)) { *kind = TK_YYYY; return 4; }
    if (!strncmp(p, "YY", 2)) { *kind = TK_YY; return 2; }
    if (!strncmp(p, "Month", 5)) { *kind = TK_MONTH; return 5; }
    if (!strncmp(p, "Mon", 3)) { *kind = TK_MON; return 3; }
    if (!strncmp(p, "MM", 2)) { *kind = TK_MM; return 2; }
    if (!strncmp(p, "M", 1)) { *kind = TK_M; return 1; }
    if (!strncmp(p, "DD", 2)) { *kind = TK_DD; return 2; }
    if (!strncmp(p, "D", 1)) { *kind = TK_D; return 1; }
    *kind = TK_LIT;
    return 1;
}

bool mf_date_pattern_ok(const char *pattern, size_t *bad_at)
{
    if (!strcmp(pattern, "ISO") || !strcmp(pattern, "EXCEL"))
        return true;
    int have_y = 0, have_m = 0, have_d = 0;
    for (const char *p = pattern; *p;) {
        int kind;
        int len = token_at(p, &kind);
        if (kind == TK_LIT) {
            unsigned char c = (unsigned char)*p;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c < 0x20) {
                if (bad_at)
                    *bad_at = (size_t)(p - pattern);
                return false;
            }
        }
        have_y += kind == TK_YYYY || kind == TK_YY;
        have_m += kind == TK_MM || kind == TK_M || kind == TK_MON || kind == TK_MONTH;
        have_d += kind == TK_DD || kind == TK_D;
        p += len;
    }
    if (have_y != 1 || have_m != 1 || have_d != 1) {
        if (bad_at)
            *bad_at = 0;
        return false;
    }
    return true;
}

static bool digits(const char *s, size_t n, size_t *i, int min, int max, int *out)
{
    int v = 0, k = 0;
    while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k >= min;
}

static bool parse_iso(const char *s, size_t n, int32_t *days)
{
    size_t i = 0;
    int y, m, d;
    if (!digits(s, n, &i, 4, 4, &y) || i >= n || s[i++] != '-' || !digits(s, n, &i, 2, 2, &m) || i >= n ||
        s[i++] != '-' || !digits(s, n, &i, 2, 2, &d))
        return false;
    if (i < n) {   /* a time part: T or space, then hh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm] */
        if (s[i] != 'T' && s[i] != ' ')
            return false;
        i++;
        int hh, mi, ss;
        if (!digits(s, n, &i, 2, 2, &hh) || hh > 23 || i >= n || s[i++] != ':' || !digits(s, n, &i, 2, 2, &mi) ||
            mi > 59)
            return false;
        if (i < n && s[i] == ':') {
            i++;
            if (!digits(s, n, &i, 2, 2, &ss) || ss > 60)
                return false;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int frac;
                if (!digits(s, n, &i, 1, 9, &frac))
                    return false;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                    i++;
            }
        }
        if (i < n && s[i] == 'Z')
            i++;
        else if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
            int oh, om;
            if (!digits(s, n, &i, 2, 2, &oh) || oh > 23)
                return false;
            if (i < n && s[i] == ':')
                i++;
            if (!digits(s, n, &i, 2, 2, &om) || om > 59)
                return false;
        }
        if (i != n)
            return false;
    }
    if (!mf_date_valid(y, m, d))
        return false;
    *days = mf_days_from_civil(y, m, d);
    return true;
}

static bool parse_excel(const char *s, size_t n, int32_t *days)
{
    size_t i = 0;
    long v = 0;
    if (n == 0)
        return false;
    while (i < n && s[i] >= '0' && s[i] <= '9' && v < 10000000) {
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i < n && s[i] == '.') {   /* a fraction is the time of day: dropped, digits must follow */
        i++;
        if (i == n)
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i != n || v < 1 || v > 2958465)   /* 9999-12-31 */
        return false;
    if (v == 60)   /* Excel's fictitious 1900-02-29 */
        return false;
    /* serial 1 = 1900-01-01; serials after 60 are one day ahead because of the fictitious leap day */
    int32_t base = mf_days_from_civil(1899, 12, 31);
    *days = base + (int32_t)v - (v > 60 ? 1 : 0);
    return true;
}

bool mf_date_parse(const char *pattern, const char *s, size_t n, int pivot, int32_t *days)
{
    if (!strcmp(pattern, "ISO"))
        return parse_iso(s, n, days);
    if (!strcmp(pattern, "EXCEL"))
        return parse_excel(s, n, days);
    int y = -1, m = -1, d = -1;
    size_t i = 0;
    if (pivot <= 0)
        pivot = 1950;
    for (const char *p = pattern; *p;) {
        int kind, v;
        int len = token_at(p, &kind);
        switch (kind) {
        case TK_LIT:
            if (i >= n || s[i] != *p)
                return false;
            i++;
            break;
        case TK_YYYY:
            if (!digits(s, n, &i, 4, 4, &y))
                return false;
            break;
        case TK_YY:
            if (!digits(s, n, &i, 2, 2, &v))
                return false;
            y = pivot - pivot % 100 + v;
            if (y < pivot)
                y += 100;
            break;
        case TK_MM:
            if (!digits(s, n, &i, 2, 2, &m))
                return false;
            break;
        case TK_M:
            if (!digits(s, n, &i, 1, 2, &m))
                return false;
            break;
        case TK_DD:
            if (!digits(s, n, &i, 2, 2, &d))
                return false;
            break;
        case TK_D:
            if (!digits(s, n, &i, 1, 2, &d))
                return false;
            break;
        case TK_MON:
        case TK_MONTH: {
            m = -1;
            for (int k = 0; k < 12 && m < 0; k++) {
                size_t full = strlen(month_names[k]);
                size_t want = kind == TK_MON ? 3 : full;
                if (kind == TK_MONTH) {
                    /* a full name; "Sept" is not accepted */
                    if (i + full <= n) {
                        size_t j = 0;
                        while (j < full && lower((unsigned char)s[i + j]) == month_names[k][j])
                            j++;
                        if (j == full) {
                            m = k + 1;
                            i += full;
                        }
                    }
                } else if (i + want <= n) {
                    size_t j = 0;
                    while (j < want && lower((unsigned char)s[i + j]) == month_names[k][j])
                        j++;
                    if (j == want) {
                        m = k + 1;
                        i += want;
                    }
                }
            }
            if (m < 0)
                return false;
            break;
        }
        }
        p += len;
    }
    if (i != n || !mf_date_valid(y, m, d))
        return false;
    *days = mf_days_from_civil(y, m, d);
    return true;
}

int mf_date_format(int32_t days, char *out)
{
    int y, m, d;
    mf_civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        out[0] = (char)('0' + y / 1000);
        out[1] = (char)('0' + y / 100 % 10);
        out[2] = (char)('0' + y / 10 % 10);
        out[3] = (char)('0' + y % 10);
        out[4] = '-';
        out[5] = (char)('0' + m / 10);
        out[6] = (char)('0' + m % 10);
        out[7] = '-';
        out[8] = (char)('0' + d / 10);
        out[9] = (char)('0' + d % 10);
        out[10] = '\0';
        return 10;
    }
    return snprintf(out, 16, "%d-%02d-%02d", y, m, d);
}

/* ---- writing with a pattern ------------------------------------------------------------------ */

bool mf_date_format_pattern_ok(const char *pattern, size_t *bad_at)
{
    int parts = 0;
    for (const char *p = pattern; *p;) {
        int kind;
        int len = token_at(p, &kind);
        unsigned char c = (unsigned char)*p;
        if (kind == TK_LIT && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c < 0x20)) {
            if (bad_at)
                *bad_at = (size_t)(p - pattern);
            return false;
        }
        parts += kind != TK_LIT;
        p += len;
    }
    if (bad_at)
        *bad_at = 0;
    return parts > 0;
}

static size_t put_bounded(char *out, size_t cap, size_t at, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, at++)
        if (at + 1 < cap)
            out[at] = s[i];
    return at;
}

size_t mf_date_format_pattern(int32_t days, const char *pattern, char *out, size_t cap)
{
    static const char *const names[] = {"January", "February", "March",     "April",   "May",      "June",
                                        "July",    "August",   "September", "October", "November", "December"};
    int y, m, d;
    mf_civil_from_days(days, &y, &m, &d);
    size_t at = 0;
    for (const char *p = pattern; *p;) {
        int kind;
        int len = token_at(p, &kind);
        char tmp[16];
        int n = 0;
        switch (kind) {
        case TK_YYYY: n = snprintf(tmp, sizeof tmp, "%04d", y); break;
        case TK_YY: n = snprintf(tmp, sizeof tmp, "%02d", (y % 100 + 100) % 100); break;
        case TK_MM: n = snprintf(tmp, sizeof tmp, "%02d", m); break;
        case TK_M: n = snprintf(tmp, sizeof tmp, "%d", m); break;
        case TK_DD: n = snprintf(tmp, sizeof tmp, "%02d", d); break;
        case TK_D: n = snprintf(tmp, sizeof tmp, "%d", d); break;
        case TK_MON: n = snprintf(tmp, sizeof tmp, "%.3s", names[m - 1]); break;
        case TK_MONTH: n = snprintf(tmp, sizeof tmp, "%s", names[m - 1]); break;
        default: tmp[0] = *p; n = 1; break;
        }
        at = put_bounded(out, cap, at, tmp, (size_t)n);
        p += len;
    }
    if (cap)
        out[at < cap ? at : cap - 1] = '\0';
    return at;
}

int32_t mf_date_end_of_month(int32_t days)
{
    int y, m, d;
    mf_civil_from_days(days, &y, &m, &d);
    return mf_days_from_civil(y, m, days_in_month(y, m));
}
