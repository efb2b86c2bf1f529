/* test_util.c — dates, UTF-8, SHA-256, atomic files. */
#include "check.h"
#include "util/afile.h"
#include "util/date.h"
#include "util/sha256.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <unistd.h>

static void test_dates(void)
{
    int32_t d;
    char out[16];
    CHECK(mf_date_parse("MM/DD/YYYY", "02/29/2024", 10, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2024-02-29");
    CHECK(!mf_date_parse("MM/DD/YYYY", "02/29/2023", 10, 0, &d));
    CHECK(!mf_date_parse("MM/DD/YYYY", "2/29/2024", 9, 0, &d));
    CHECK(mf_date_parse("M/D/YY", "2/9/49", 6, 1950, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2049-02-09");
    CHECK(mf_date_parse("M/D/YY", "12/31/50", 8, 1950, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "1950-12-31");
    CHECK(mf_date_parse("D-Mon-YYYY", "5-mar-2025", 10, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2025-03-05");
    CHECK(mf_date_parse("DD.MM.YYYY", "31.12.1999", 10, 0, &d));
    CHECK(mf_date_parse("YYYYMMDD", "20240101", 8, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2024-01-01");
    CHECK(mf_date_parse("ISO", "2024-03-01T10:22:33.123+01:00", 29, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2024-03-01");
    CHECK(!mf_date_parse("ISO", "2024-03-01X", 11, 0, &d));
    CHECK(mf_date_parse("EXCEL", "45292", 5, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "2024-01-01");
    CHECK(mf_date_parse("EXCEL", "59", 2, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "1900-02-28");
    CHECK(mf_date_parse("EXCEL", "61", 2, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "1900-03-01");
    for (int32_t z = -800000; z < 800000; z += 997) {
        int y, m, dd;
        mf_civil_from_days(z, &y, &m, &dd);
        CHECK_INT(mf_days_from_civil(y, m, dd), z);
    }
    size_t bad;
    CHECK(mf_date_pattern_ok("DD.MM.YYYY", &bad));
    CHECK(!mf_date_pattern_ok("DD.MM", &bad));
    CHECK(!mf_date_pattern_ok("DDxMMxYYYY", &bad));
}

static void test_utf8(void)
{
    CHECK_INT(mf_utf8_invalid_at("abc", 3), 3);
    CHECK_INT(mf_utf8_invalid_at("a\xc3\xa9", 3), 3);
    CHECK_INT(mf_utf8_invalid_at("a\xc3", 2), 1);
    CHECK_INT(mf_utf8_invalid_at("\xed\xa0\x80", 3), 0);   /* surrogate */
    CHECK_INT(mf_utf8_invalid_at("\xc0\xaf", 2), 0);        /* overlong */
    CHECK_INT(mf_utf8_count("h\xc3\xa9llo", 6), 5);
    CHECK_INT(mf_utf8_offset("h\xc3\xa9llo", 6, 2), 3);
}

static void test_sha(void)
{
    char hex[65];
    mf_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_afile(void)
{
    char dir[] = "/tmp/mf_afile_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    mf_err e = {0};
    mf_afile f;
    CHECK(mf_afile_open(&f, path, &e) == 0);
    CHECK(mf_afile_puts(&f, "hello\n", &e) == 0);
    CHECK(access(path, F_OK) != 0);   /* not visible before commit */
    CHECK(mf_afile_commit(&f, &e) == 0);
    CHECK(access(path, F_OK) == 0);
    size_t n;
    char *s = mf_read_file(path, &n, &e);
    CHECK_STR(s, "hello\n");
    free(s);
    CHECK(mf_afile_open(&f, path, &e) == 0);
    CHECK(mf_afile_puts(&f, "partial", &e) == 0);
    mf_afile_abort(&f);
    s = mf_read_file(path, &n, &e);
    CHECK_STR(s, "hello\n");   /* the old file stays whole */
    free(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_dates();
    test_utf8();
    test_sha();
    test_afile();
    CHECK_DONE();
}
