/* gen_client_file.c — writes a realistic client file of a given size for the benchmark.
 *
 *   gen_client_file OUT.csv [SIZE_MB]        (default 1024 MB)
 *
 * The layout is the acme_gl example's (examples/acme_gl/gl_extract.csv), so that example's mapping
 * and plan run on it unchanged: comma-separated UTF-8, quoted descriptions with occasional
 * embedded commas and doubled quotes, MM/DD/YYYY dates, amounts with thousands separators and
 * parentheses for negatives, a D/C indicator, status codes (a few VOID, filtered), and about one
 * record in ten thousand deliberately bad (an impossible date) so the reject path is exercised.
 *
 * Invariants: output depends only on SIZE_MB (a fixed-seed xorshift PRNG, no clock, no locale);
 * the file ends after the first whole record that reaches SIZE_MB; writing is buffered in 1 MiB
 * blocks with no allocation per row.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BUF (1u << 20)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: small, fast, and the same sequence on every machine. */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned pick(unsigned n) { return (unsigned)(rng() % n); }

static const char *const descriptions[] = {
    "Office supplies", "Rent", "\"Travel, meals and lodging\"", "Consulting fees",
    "Software license", "\"  Quarterly bonus accrual  \"", "\"Invoice \"\"A-17\"\" correction\"",
    "Freight in", "Utilities", "Bank charges", "", "\"Payroll, January\"",
};
static const char *const currencies[] = { "USD", "USD", "USD", "EUR", "GBP", "" };
static const char *const cost_centers[] = { "cc-100", "CC-200", "\" ops-310 \"", "fin-01", "", "mkt-77" };
static const unsigned days_in_month[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Append an unsigned number with "," every three digits. */
static char *put_grouped(char *p, unsigned long long v)
{
    char tmp[32];
    int n = 0;
    do {
        if (n % 4 == 3)
            tmp[n++] = ',';
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* One record of the acme_gl layout at p; returns the end.  Needs well under 512 bytes. */
static char *put_record(char *p, unsigned long long seq)
{
    unsigned month = 1 + pick(12), day = 1 + pick(days_in_month[month - 1]);
    if (pick(10000) == 0)
        month = 2, day = 30;                       /* an impossible date: a reject */
    unsigned long long cents = pick(4) ? 100 + pick(99900) : 100000 + pick(999900000);
    int amount_quoted = cents >= 100000;           /* "1,234.56" holds a comma */
    int negative = pick(4) == 0;

    p += sprintf(p, "%u,", 1000 + pick(99999000));
    p += sprintf(p, "%02u/%02u/2025,", month, day);
    p = put_str(p, descriptions[pick(COUNT(descriptions))]);
    *p++ = ',';
    if (amount_quoted)
        *p++ = '"';
    if (negative)
        *p++ = '(';
    p = put_grouped(p, cents / 100);
    p += sprintf(p, ".%02llu", cents % 100);
    if (negative)
        *p++ = ')';
    if (amount_quoted)
        *p++ = '"';
    p += sprintf(p, ",%c,%s,%s,JE25-%07llu/%c,%s\n", pick(3) ? 'D' : 'C',
                 currencies[pick(COUNT(currencies))], cost_centers[pick(COUNT(cost_centers))],
                 seq % 10000000, (char)('A' + pick(3)), pick(25) ? "POSTED" : "VOID");
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_client_file OUT.csv [SIZE_MB]   (default 1024)\n");
        return 2;
    }
    unsigned long long size_mb = 1024;
    if (argc == 3) {
        char *end;
        size_mb = strtoull(argv[2], &end, 10);
        if (*end || size_mb == 0) {
            fprintf(stderr, "gen_client_file: SIZE_MB must be a positive whole number, not \"%s\"\n", argv[2]);
            return 2;
        }
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        fprintf(stderr, "gen_client_file: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char *buf = malloc(OUT_BUF);
    if (!buf) {
        fprintf(stderr, "gen_client_file: out of memory\n");
        fclose(f);
        return 1;
    }
    const unsigned long long target = size_mb * 1024ull * 1024ull;
    unsigned long long written = 0, rows = 0;
    char *p = buf;
    p = put_str(p, "Acct No,Posting Dt,Description,Amt,Dr/Cr,Currency,Cost Center,Journal Ref,Status\n");
    while (written + (unsigned long long)(p - buf) < target) {
        p = put_record(p, ++rows);
        if ((size_t)(p - buf) > OUT_BUF - 1024) {
            size_t n = (size_t)(p - buf);
            if (fwrite(buf, 1, n, f) != n)
                break;
            written += n;
            p = buf;
        }
    }
    size_t n = (size_t)(p - buf);
    int ok = fwrite(buf, 1, n, f) == n;
    written += n;
    free(buf);
    if (fclose(f) != 0 || !ok) {
        fprintf(stderr, "gen_client_file: %s: write failed: %s\n", argv[1], strerror(errno));
        return 1;
    }
    fprintf(stderr, "gen_client_file: wrote %s: %llu bytes, %llu records\n", argv[1], written, rows);
    return 0;
}
