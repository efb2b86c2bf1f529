/* test_decimal.c — exact decimals: parsing (plain and client formats), arithmetic, half-up
 * rounding, overflow at the 38-digit edge, formatting. */
#include "check.h"
#include "util/decimal.h"

#include <stdbool.h>
#include <string.h>

static char fmtbuf[64];

/* Format a decimal (or "FAIL") for string comparisons. */
static const char *show(bool ok, mf_dec d)
{
    if (!ok)
        return "FAIL";
    mf_dec_format(d, fmtbuf);
    return fmtbuf;
}

static const char *plain(const char *s)
{
    mf_dec d = {0, 0};
    return show(mf_dec_parse(s, strlen(s), &d), d);
}

static const char *fmt(const char *s, char th, char dec, bool paren, bool trail, const char *cur)
{
    mf_dec d = {0, 0};
    return show(mf_dec_parse_fmt(s, strlen(s), th, dec, paren, trail, cur, &d), d);
}

static mf_dec D(const char *s)
{
    mf_dec d = {0, 0};
    if (!mf_dec_parse(s, strlen(s), &d))
        fprintf(stderr, "bad test literal %s\n", s);
    return d;
}

static const char *rnd(const char *s, int scale)
{
    mf_dec r = {0, 0};
    return show(mf_dec_round(D(s), scale, &r), r);
}

#define NINES38 "99999999999999999999999999999999999999"

static void test_parse_plain(void)
{
    CHECK_STR(plain("12.50"), "12.50");
    CHECK_STR(plain("-0.05"), "-0.05");
    CHECK_STR(plain("+7"), "7");
    CHECK_STR(plain("007.10"), "7.10");
    CHECK_STR(plain(".5"), "0.5");
    CHECK_STR(plain(NINES38), NINES38);
    CHECK_STR(plain("-" NINES38), "-" NINES38);
    CHECK_STR(plain("0." NINES38), "0." NINES38);
    CHECK_STR(plain("1" NINES38), "FAIL");      /* 39 digits */
    CHECK_STR(plain("000000000000000000000000000000000000000001"), "1");  /* leading zeros are free */
    CHECK_STR(plain(""), "FAIL");
    CHECK_STR(plain("-"), "FAIL");
    CHECK_STR(plain("."), "FAIL");
    CHECK_STR(plain("1,000"), "FAIL");
    CHECK_STR(plain("1.2.3"), "FAIL");
    CHECK_STR(plain(" 1"), "FAIL");
    CHECK_STR(plain("1e5"), "FAIL");
}

static void test_parse_formats(void)
{
    CHECK_STR(fmt("1,234,567.89", ',', '.', false, false, NULL), "1234567.89");
    CHECK_STR(fmt("1234567.89", ',', '.', false, false, NULL), "1234567.89");
    CHECK_STR(fmt("1,23,456", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("1234,567", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt(",123", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("1,234,", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("1,234.5,6", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("1.234.567,5", '.', ',', false, false, NULL), "1234567.5");
    CHECK_STR(fmt("1 234,50", ' ', ',', false, false, NULL), "1234.50");
    CHECK_STR(fmt("1'234.50", '\'', '.', false, false, NULL), "1234.50");
    CHECK_STR(fmt("(12.50)", ',', '.', true, false, NULL), "-12.50");
    CHECK_STR(fmt("(1,234.50)", ',', '.', true, false, NULL), "-1234.50");
    CHECK_STR(fmt("(12.5", ',', '.', true, false, NULL), "FAIL");
    CHECK_STR(fmt("12.5)", ',', '.', true, false, NULL), "FAIL");
    CHECK_STR(fmt("(12.50)", ',', '.', false, false, NULL), "FAIL");   /* parentheses not allowed */
    CHECK_STR(fmt("12.50-", 0, '.', false, true, NULL), "-12.50");
    CHECK_STR(fmt("12.50-", 0, '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("-(12.50)", 0, '.', true, false, NULL), "FAIL");     /* two negative markers */
    CHECK_STR(fmt("  -3.5\t", 0, '.', false, false, NULL), "-3.5");
    CHECK_STR(fmt("+3", 0, '.', false, false, NULL), "3");
    CHECK_STR(fmt("$1,234.00", ',', '.', true, false, "$"), "1234.00");
    CHECK_STR(fmt("-$5", 0, '.', false, false, "$"), "-5");
    CHECK_STR(fmt("$-5", 0, '.', false, false, "$"), "-5");
    CHECK_STR(fmt("($1,234.50)", ',', '.', true, false, "$"), "-1234.50");
    CHECK_STR(fmt("$(1,234.50)", ',', '.', true, false, "$"), "-1234.50");
    CHECK_STR(fmt("1.234,50 €", '.', ',', false, false, "€"), "1234.50");
    CHECK_STR(fmt("USD 10", 0, '.', false, false, "USD"), "10");
    CHECK_STR(fmt("10 USD", 0, '.', false, false, "USD"), "10");
    CHECK_STR(fmt("10 EUR", 0, '.', false, false, "USD"), "FAIL");
    CHECK_STR(fmt("$10", 0, '.', false, false, NULL), "FAIL");          /* no currency configured */
    CHECK_STR(fmt("", ',', '.', true, true, "$"), "FAIL");
    CHECK_STR(fmt("()", ',', '.', true, true, "$"), "FAIL");
    CHECK_STR(fmt("$", ',', '.', true, true, "$"), "FAIL");
    CHECK_STR(fmt("12.", 0, '.', false, false, NULL), "12");
    CHECK_STR(fmt("1,5", 0, ',', false, false, NULL), "1.5");
    CHECK_STR(fmt("1.5", 0, ',', false, false, NULL), "FAIL");
}

static void test_rounding(void)
{
    CHECK_STR(rnd("2.345", 2), "2.35");
    CHECK_STR(rnd("-2.345", 2), "-2.35");
    CHECK_STR(rnd("2.344", 2), "2.34");
    CHECK_STR(rnd("-2.3449", 2), "-2.34");
    CHECK_STR(rnd("0.5", 0), "1");
    CHECK_STR(rnd("-0.5", 0), "-1");
    CHECK_STR(rnd("0.4999", 0), "0");
    CHECK_STR(rnd("1.5", 3), "1.500");
    CHECK_STR(rnd("9.995", 2), "10.00");
    CHECK_STR(rnd(NINES38, 1), "FAIL");            /* 39 digits after extending */
    CHECK_STR(rnd("9999999999999999999999999999999999999.5", 0), "10000000000000000000000000000000000000");
}

static const char *rnd_dir(const char *s, int scale, mf_round dir)
{
    mf_dec r = {0, 0};
    return show(mf_dec_round_dir(D(s), scale, dir, &r), r);
}

/* rounded up (away from zero) / down (toward zero) */
static void test_rounding_directions(void)
{
    CHECK_STR(rnd_dir("1.001", 0, MF_ROUND_UP), "2");
    CHECK_STR(rnd_dir("-1.001", 0, MF_ROUND_UP), "-2");
    CHECK_STR(rnd_dir("1.000", 0, MF_ROUND_UP), "1");
    CHECK_STR(rnd_dir("-0.001", 2, MF_ROUND_UP), "-0.01");
    CHECK_STR(rnd_dir("1.999", 0, MF_ROUND_DOWN), "1");
    CHECK_STR(rnd_dir("-1.999", 0, MF_ROUND_DOWN), "-1");
    CHECK_STR(rnd_dir("-0.009", 2, MF_ROUND_DOWN), "0.00");
    CHECK_STR(rnd_dir("2.5", 3, MF_ROUND_DOWN), "2.500");   /* more decimals: extended */
    CHECK_STR(rnd_dir("2.5", 0, MF_ROUND_HALF_UP), "3");
    CHECK_STR(rnd_dir("0." NINES38, 0, MF_ROUND_UP), "1");
    CHECK_STR(rnd_dir("-" NINES38, 0, MF_ROUND_UP), "-" NINES38);
    CHECK_STR(rnd_dir("9999999999999999999999999999999999999.1", 0, MF_ROUND_UP), "10000000000000000000000000000000000000");
}

static void test_arith(void)
{
    mf_dec r = {0, 0};
    CHECK_STR(show(mf_dec_add(D("1.05"), D("2.1"), &r), r), "3.15");
    CHECK_STR(show(mf_dec_sub(D("1.05"), D("2.1"), &r), r), "-1.05");
    CHECK_STR(show(mf_dec_mul(D("1.05"), D("-2.1"), &r), r), "-2.205");
    CHECK_STR(show(mf_dec_div(D("10"), D("3"), 12, &r), r), "3.333333333333");
    CHECK_STR(show(mf_dec_div(D("20"), D("3"), 2, &r), r), "6.67");
    CHECK_STR(show(mf_dec_div(D("-20"), D("3"), 2, &r), r), "-6.67");
    CHECK_STR(show(mf_dec_div(D("1"), D("8"), 2, &r), r), "0.13");     /* 0.125 tie */
    CHECK_STR(show(mf_dec_div(D("-1"), D("8"), 2, &r), r), "-0.13");
    CHECK_STR(show(mf_dec_div(D("1"), D("-8"), 2, &r), r), "-0.13");
    CHECK_STR(show(mf_dec_div(D("1"), D("0"), 2, &r), r), "FAIL");
    CHECK_STR(show(mf_dec_div(D("0.01"), D("0.0003"), 0, &r), r), "33");
    CHECK_STR(show(mf_dec_add(D(NINES38), D("1"), &r), r), "FAIL");
    CHECK_STR(show(mf_dec_add(D(NINES38), D(NINES38), &r), r), "FAIL");   /* would exceed __int128 */
    CHECK_STR(show(mf_dec_sub(D("-" NINES38), D(NINES38), &r), r), "FAIL");
    CHECK_STR(show(mf_dec_add(D(NINES38), D("-1"), &r), r), "99999999999999999999999999999999999998");
    CHECK_STR(show(mf_dec_mul(D(NINES38), D(NINES38), &r), r), "FAIL");
    CHECK_STR(show(mf_dec_mul(D("10000000000000000000"), D("10000000000000000000"), &r), r), "FAIL");
    CHECK_STR(show(mf_dec_mul(D("1000000000000000000"), D("10000000000000000000"), &r), r),
              "10000000000000000000000000000000000000");
    CHECK_STR(show(mf_dec_add(D("0.5"), D(NINES38), &r), r), "FAIL");   /* aligning overflows */
    CHECK_STR(show(mf_dec_rescale_exact(D("12.340"), 2, &r), r), "12.34");
    CHECK_STR(show(mf_dec_rescale_exact(D("12.345"), 2, &r), r), "FAIL");
    CHECK_STR(show(mf_dec_rescale_exact(D("12"), 3, &r), r), "12.000");
    CHECK_STR(show(mf_dec_rescale_exact(D(NINES38), 1, &r), r), "FAIL");
    mf_dec n = mf_dec_neg(D("-" NINES38));
    CHECK_STR(show(true, n), NINES38);
}

static void test_compare_digits(void)
{
    CHECK_INT(mf_dec_cmp(D("1.50"), D("1.5")), 0);
    CHECK_INT(mf_dec_cmp(D("1.49"), D("1.5")), -1);
    CHECK_INT(mf_dec_cmp(D("-1.49"), D("-1.5")), 1);
    CHECK_INT(mf_dec_cmp(D(NINES38), D("0." NINES38)), 1);
    CHECK_INT(mf_dec_cmp(D("-0.1"), D("0")), -1);
    CHECK_INT(mf_dec_cmp(D("0.00000000000000000000000000000000000001"), D("0")), 1);
    CHECK_INT(mf_dec_sign(D("-0.00")), 0);
    CHECK_INT(mf_dec_sign(D("-0.01")), -1);
    CHECK_INT(mf_dec_digits(D("0")), 1);
    CHECK_INT(mf_dec_digits(D("-123.45")), 5);
    CHECK_INT(mf_dec_digits(D(NINES38)), 38);
    CHECK(mf_dec_fits(D("1234567890123456.78"), 18, 2));
    CHECK(!mf_dec_fits(D("12345678901234567.8"), 18, 2));
    CHECK(!mf_dec_fits(D("1.234"), 18, 2));
    CHECK(mf_dec_fits(D("1.230"), 18, 2));
    CHECK(mf_dec_fits(D("0.5"), 2, 2));
}

/* The short path for markers-and-digits amounts (no currency) gives the marker loop's answers. */
static void test_parse_short_path(void)
{
    CHECK_STR(fmt("(12)", ',', '.', false, false, NULL), "FAIL");     /* parentheses not allowed */
    CHECK_STR(fmt("(12)", ',', '.', true, false, NULL), "-12");
    CHECK_STR(fmt("(5)", ',', '.', true, false, NULL), "-5");
    CHECK_STR(fmt("()", ',', '.', true, false, NULL), "FAIL");
    CHECK_STR(fmt("(1,234.56)", ',', '.', true, false, NULL), "-1234.56");
    CHECK_STR(fmt("( 12)", ',', '.', true, false, NULL), "-12");     /* spaces inside: the loop */
    CHECK_STR(fmt("-(12)", ',', '.', true, false, NULL), "FAIL");    /* two negative markers */
    CHECK_STR(fmt("(-12)", ',', '.', true, false, NULL), "FAIL");
    CHECK_STR(fmt("-12.50", ',', '.', false, false, NULL), "-12.50");
    CHECK_STR(fmt("-", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("--1", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("-1,23", ',', '.', false, false, NULL), "FAIL");   /* bad grouping after a sign */
    CHECK_STR(fmt("12-", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("12-", ',', '.', false, true, NULL), "-12");
    CHECK_STR(fmt("7", ',', '.', false, false, NULL), "7");
    CHECK_STR(fmt("0.5", ',', '.', false, false, NULL), "0.5");
    CHECK_STR(fmt("1.2.3", ',', '.', false, false, NULL), "FAIL");
    CHECK_STR(fmt("1,234,567,890,123,456,789.5", ',', '.', true, false, NULL), "1234567890123456789.5");
    CHECK_STR(fmt("(1,234,567,890,123,456,789.5)", ',', '.', true, false, NULL), "-1234567890123456789.5");
}

static void test_format(void)
{
    char b[64];
    mf_dec d = {5, 2};
    CHECK_INT(mf_dec_format(d, b), 4);
    CHECK_STR(b, "0.05");
    d.v = -5;
    mf_dec_format(d, b);
    CHECK_STR(b, "-0.05");
    d.v = 0;
    d.scale = 0;
    mf_dec_format(d, b);
    CHECK_STR(b, "0");
    d.scale = 38;
    CHECK_INT(mf_dec_format(d, b), 40);
    CHECK_STR(b, "0.00000000000000000000000000000000000000");
    d = D("-" NINES38);
    CHECK_INT(mf_dec_format(d, b), 39);
    /* around the 64-bit path's edges: 2^64 - 1, 2^64, scales 19 and 20, odd and even scales */
    const struct { const char *in; int scale; const char *out; } cases[] = {
        {"18446744073709551615", 0, "18446744073709551615"},
        {"18446744073709551616", 0, "18446744073709551616"},
        {"-18446744073709551615", 19, "-1.8446744073709551615"},
        {"18446744073709551615", 20, "0.18446744073709551615"},
        {"5", 19, "0.0000000000000000005"},
        {"-5", 20, "-0.00000000000000000005"},
        {"123456", 1, "12345.6"},
        {"123456", 3, "123.456"},
        {"-123456", 6, "-0.123456"},
        {"9", 0, "9"},
        {"10", 0, "10"},
        {"99", 1, "9.9"},
        {"-100", 2, "-1.00"},
        {"1000", 2, "10.00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mf_dec x = D(cases[i].in);
        CHECK_INT(mf_dec_format_parts(x.v, cases[i].scale, b), (int)strlen(cases[i].out));
        CHECK_STR(b, cases[i].out);
    }
}

int main(void)
{
    test_parse_plain();
    test_parse_formats();
    test_rounding();
    test_rounding_directions();
    test_arith();
    test_compare_digits();
    test_parse_short_path();
    test_format();
    CHECK_DONE();
}
