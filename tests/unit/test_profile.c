/* test_profile.c — column kinds, date patterns, number formats, null tokens, counts, and a
 * sample spread across the whole file (not only its first rows). */
#include "read/profile.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static const prof_column *column(const profile *p, const char *name)
{
    for (int c = 0; c < p->ncols; c++)
        if (!strcmp(p->col[c].name, name))
            return &p->col[c];
    fprintf(stderr, "no column %s\n", name);
    check_failures++;
    static prof_column none;
    return &none;
}

static bool has_format(const prof_column *c, const char *f)
{
    for (int i = 0; i < c->ndate_formats; i++)
        if (!strcmp(c->date_formats[i], f))
            return true;
    return false;
}

static void test_kinds(void)
{
    const char *path = tmp_path("kinds.csv");
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs("id,code,us_date,amb_date,amount,eu_amount,trail,flag,empty,ts,ymd,mon,name,iso\n", f);
    fputs("1,00123,01/31/2024,01/02/2024,\"$1,234.50\",\"1.234,5\",5.00-,Y,,2024-01-31 10:00:00,20240131,5-Jan-2024,Zo\xC3\xAB,2024-01-31\n", f);
    fputs("2,00456,12/25/2023,03/04/2024,(5.00),\"12,75\",7.25,N,,2024-02-01T08:30:00,20231225,12-Mar-2023,Bob,2024-02-29\n", f);
    fputs("3,NULL,2/3/2024,,$17,\"1.000.000,125\",3.5-,y,NULL,2024-03-01 00:00:00,19991231,1-Dec-1999,N/A,2023-12-01\n", f);
    fputs("-4,00789,11/30/2024,05/06/2024,\"$2,000\",3,-,n,,2024-04-01 12:00:00,20000101,30-Apr-2024,Ann,2024-12-31\n", f);
    fclose(f);
    csv_dialect d;
    mf_err e = {0};
    CHECK(csv_detect(path, &d, &e) == 0);
    profile p;
    CHECK(profile_file(path, &d, 1000, &p, &e) == 0);
    if (e.code)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_INT(p.ncols, 14);
    CHECK_INT(p.rows_sampled, 4);

    const prof_column *c = column(&p, "id");
    CHECK_INT(c->kind, PK_INTEGER);
    CHECK_INT(c->ndate_formats, 0);
    CHECK_INT(c->ndistinct, 4);
    CHECK_INT(c->nvalues, 4);

    c = column(&p, "code");
    CHECK_INT(c->kind, PK_TEXT);   /* leading zeros: a code, not a number */
    CHECK_INT(c->nnull_token, 1);
    CHECK_INT(c->nnull_tokens, 1);
    CHECK_STR(c->null_tokens[0], "NULL");

    c = column(&p, "us_date");
    CHECK_INT(c->kind, PK_DATE);
    CHECK(has_format(c, "M/D/YYYY"));
    CHECK(!has_format(c, "MM/DD/YYYY"));   /* "2/3/2024" has one-digit parts */
    CHECK(!has_format(c, "D/M/YYYY"));     /* day 31 is not a month */

    c = column(&p, "amb_date");
    CHECK_INT(c->kind, PK_DATE);
    CHECK(has_format(c, "MM/DD/YYYY"));
    CHECK(has_format(c, "DD/MM/YYYY"));
    CHECK_INT(c->nblank, 1);
    CHECK(c->sample[2] == NULL);
    CHECK_STR(c->sample[1], "03/04/2024");

    c = column(&p, "amount");
    CHECK_INT(c->kind, PK_DECIMAL);
    CHECK_INT(c->thousands, ',');
    CHECK_INT(c->decimal, '.');
    CHECK(c->paren_negative);
    CHECK(!c->trailing_minus);
    CHECK_STR(c->currency, "$");
    CHECK_INT(c->max_scale, 2);

    c = column(&p, "eu_amount");
    CHECK_INT(c->kind, PK_DECIMAL);
    CHECK_INT(c->thousands, '.');
    CHECK_INT(c->decimal, ',');
    CHECK_INT(c->max_scale, 3);
    CHECK(c->currency == NULL);

    c = column(&p, "trail");
    CHECK_INT(c->kind, PK_DECIMAL);
    CHECK(c->trailing_minus);
    CHECK_INT(c->nnull_token, 1);
    CHECK_STR(c->null_tokens[0], "-");

    CHECK_INT(column(&p, "flag")->kind, PK_BOOLEAN);
    c = column(&p, "empty");
    CHECK_INT(c->kind, PK_EMPTY);
    CHECK_INT(c->nblank, 3);
    CHECK_INT(c->nnull_token, 1);

    c = column(&p, "ts");
    CHECK_INT(c->kind, PK_TIMESTAMP);
    CHECK(has_format(c, "ISO"));

    c = column(&p, "ymd");
    CHECK_INT(c->kind, PK_DATE);
    CHECK(has_format(c, "YYYYMMDD"));

    c = column(&p, "mon");
    CHECK_INT(c->kind, PK_DATE);
    CHECK(has_format(c, "D-Mon-YYYY"));
    CHECK(!has_format(c, "DD-Mon-YYYY"));

    c = column(&p, "name");
    CHECK_INT(c->kind, PK_TEXT);
    CHECK_INT(c->max_chars, 3);   /* "Zoë" is three characters, four bytes */
    CHECK_STR(c->null_tokens[0], "N/A");

    c = column(&p, "iso");
    CHECK_INT(c->kind, PK_DATE);
    CHECK(has_format(c, "YYYY-MM-DD"));
    CHECK(has_format(c, "ISO"));
    CHECK_STR(prof_kind_name(PK_DECIMAL), "decimal");
    profile_free(&p);
}

/* The first 1000 rows look like integers; later ones have decimals.  A sample of 1000 rows spread
 * over the file sees them. */
static void test_spread(void)
{
    const char *path = tmp_path("spread.csv");
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs("n,amount,note\n", f);
    const long rows = 300000;
    for (long i = 0; i < rows; i++) {
        if (i < 1000)
            fprintf(f, "%ld,%ld,plain text here\n", i, i * 7);
        else if (i % 997 == 0)
            fprintf(f, "%ld,1,\"spans\ntwo lines\",extra\n", i);   /* ragged, with an embedded newline */
        else
            fprintf(f, "%ld,%ld.%02ld,\"quoted, with comma\"\n", i, i, i % 100);
    }
    fclose(f);
    csv_dialect d;
    mf_err e = {0};
    CHECK(csv_detect(path, &d, &e) == 0);
    CHECK_INT(d.ncols, 3);
    CHECK_INT(d.quote, '"');   /* the first quote is past the first 1000 lines */
    profile p;
    CHECK(profile_file(path, &d, 1000, &p, &e) == 0);
    CHECK_INT(p.rows_sampled, 1000);
    const prof_column *amount = column(&p, "amount");
    CHECK_INT(amount->kind, PK_DECIMAL);
    CHECK_INT(amount->decimal, '.');
    CHECK_INT(amount->max_scale, 2);
    const prof_column *n = column(&p, "n");
    CHECK_INT(n->kind, PK_INTEGER);
    long max_n = 0, in_last_tenth = 0;
    for (long i = 0; i < n->nsample; i++) {
        long v = n->sample[i] ? atol(n->sample[i]) : 0;
        if (v > max_n)
            max_n = v;
        in_last_tenth += v >= rows * 9 / 10;
    }
    CHECK(max_n > rows * 95 / 100);
    CHECK(in_last_tenth >= 20);
    CHECK_INT(column(&p, "note")->kind, PK_TEXT);
    CHECK(p.file_size > 4000000);
    profile_free(&p);

    /* the same file with a sample that only covers the start says integer: the spread matters */
    f = fopen(path, "w");
    if (!f)
        return;
    fputs("n,amount\n", f);
    for (long i = 0; i < 2000; i++)
        fprintf(f, "%ld,%ld\n", i, i);
    fclose(f);
    CHECK(profile_file(path, &d, 1000, &p, &e) == 0);
    CHECK_INT(column(&p, "amount")->kind, PK_INTEGER);
    CHECK_INT(p.rows_sampled, 1000);
    profile_free(&p);
}

static void test_small_files(void)
{
    /* a header and nothing else: every column empty */
    const char *path = tmp_path("hdr_only.csv");
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs("Report generated 2025-01-31\n\nx;y\n", f);
    fclose(f);
    csv_dialect d;
    mf_err e = {0};
    CHECK(csv_detect(path, &d, &e) == 0);
    CHECK_INT(d.header_line, 3);
    profile p;
    CHECK(profile_file(path, &d, 100, &p, &e) == 0);
    CHECK_INT(p.ncols, 2);
    CHECK_INT(p.rows_sampled, 0);
    CHECK_INT(p.col[1].kind, PK_EMPTY);
    CHECK_STR(p.col[1].name, "y");
    profile_free(&p);

    /* a Windows-1252 file with a preamble; ragged rows are left out of the sample */
    path = tmp_path("cp.csv");
    f = fopen(path, "w");
    if (!f)
        return;
    fputs("Client: ACME\nname;amount\nJos\xE9;\x80 1.234,50\nshort\nZo\xEB;\x80 7,00\n", f);
    fclose(f);
    CHECK(csv_detect(path, &d, &e) == 0);
    CHECK_INT(d.encoding, CSV_CP1252);
    CHECK(profile_file(path, &d, 100, &p, &e) == 0);
    CHECK_INT(p.rows_sampled, 2);
    CHECK_STR(p.col[0].sample[0], "Jos\xC3\xA9");
    CHECK_INT(p.col[0].max_chars, 4);
    CHECK_INT(p.col[1].kind, PK_DECIMAL);
    CHECK_STR(p.col[1].currency, "\xE2\x82\xAC");
    CHECK_INT(p.col[1].thousands, '.');
    CHECK_INT(p.col[1].decimal, ',');
    profile_free(&p);
}

static void test_errors(void)
{
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1};
    profile p;
    mf_err e = {0};
    CHECK(profile_file(tmp_path("missing.csv"), &d, 100, &p, &e) == -1);
    CHECK_INT(e.code, MF_EIO);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mf_test_profile_%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    test_kinds();
    test_spread();
    test_small_files();
    test_errors();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    CHECK_DONE();
}
