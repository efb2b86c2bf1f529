/* test_util.c — dates, UTF-8, SHA-256, atomic files. */
#include "check.h"
#include "util/afile.h"
#include "util/date.h"
#include "util/sha256.h"
#include "util/utf8.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
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
    /* every window of a text mixing 1- to 4-byte characters: the 8-byte steps and the tail agree
     * with counting the bytes that start a character */
    const char *mix = "a\xc3\xa9" "bc\xe2\x82\xac" "d\xf0\x9f\x98\x80" "efgh\xc3\xbc\xc3\xbc" "ijklmnop\xe2\x80\x83q";
    size_t mn = strlen(mix);
    for (size_t i = 0; i < mn; i++)
        for (size_t k = 0; i + k <= mn; k++) {
            size_t starts = 0;
            for (size_t j = i; j < i + k; j++)
                starts += ((unsigned char)mix[j] & 0xC0) != 0x80;
            CHECK_INT(mf_utf8_count(mix + i, k), starts);
        }
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

/* A partial file named for process PID in dir, last changed `age` seconds ago; returns 0. */
static int make_partial(const char *dir, long pid, long age, char *path, size_t n)
{
    snprintf(path, n, "%s/.out.csv.partial-%ld", dir, pid);
    FILE *f = fopen(path, "w");
    if (!f || fputs("half", f) < 0 || fclose(f) != 0)
        return -1;
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age;
    tv[1] = tv[0];
    return utimes(path, tv);
}

/* The sweep removes what dead writers left: a process that no longer exists, a zombie (a worker
 * SIGKILLed with its batch whose orphan nobody reaped), and a pid reused by a process younger
 * than the file; it keeps a live writer's file and its own. */
static void test_afile_sweep(void)
{
    char dir[] = "/tmp/mf_sweep_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char live[256], zombie[256], reused[256], own[256];
    pid_t z = fork();
    CHECK(z >= 0);
    if (z == 0)
        _exit(0);
    usleep(100000);   /* z is a zombie now: exited, not reaped */
    CHECK(make_partial(dir, (long)getppid(), 0, live, sizeof live) == 0);     /* the test's parent: older than the file */
    CHECK(make_partial(dir, (long)z, 0, zombie, sizeof zombie) == 0);
    pid_t young = fork();   /* a live process that started after its "file" was last changed */
    CHECK(young >= 0);
    if (young == 0) {
        pause();
        _exit(0);
    }
    CHECK(make_partial(dir, (long)young, 3600, reused, sizeof reused) == 0);
    CHECK(make_partial(dir, (long)getpid(), 3600, own, sizeof own) == 0);
    CHECK(mf_afile_sweep(dir) == 2);
    CHECK(access(live, F_OK) == 0);
    CHECK(access(own, F_OK) == 0);
    CHECK(access(zombie, F_OK) != 0);
    CHECK(access(reused, F_OK) != 0);
    kill(young, SIGKILL);
    CHECK(waitpid(young, NULL, 0) == young);
    CHECK(waitpid(z, NULL, 0) == z);
    unlink(live);
    unlink(own);
    rmdir(dir);
}

int main(void)
{
    test_dates();
    test_utf8();
    test_sha();
    test_afile();
    test_afile_sweep();
    CHECK_DONE();
}
