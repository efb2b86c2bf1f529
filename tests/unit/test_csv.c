/* test_csv.c — dialect detection and the streaming reader: quoting, line numbers, encodings,
 * preamble, ragged rows, block boundaries, and every error the reader reports. */
#include "read/csv.h"
#include "read/source.h"
#include "util/buf.h"

#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(2);
    }
    fclose(f);
    return p;
}

static const char *write_str(const char *name, const char *s)
{
    return write_file(name, s, strlen(s));
}

/* Everything a file parses to, flattened: "line|f1|f2..." per record, fields joined by '|'
 * (quoted fields marked with a leading '^'). */
typedef struct parsed {
    char *text;
    size_t len, cap;
    long nrecords;
    char names[512];
    int ncols;
} parsed;

static void put(parsed *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->text = realloc(o->text, o->cap);
    }
    memcpy(o->text + o->len, s, n);
    o->len += n;
    o->text[o->len] = '\0';
}

static int parse_all(const char *path, const csv_dialect *d, parsed *o, mf_err *e)
{
    memset(o, 0, sizeof *o);
    put(o, "", 0);
    csv_reader *r = csv_open(path, d, e);
    if (!r)
        return -1;
    const char *const *names;
    o->ncols = csv_header(r, &names);
    for (int i = 0; i < o->ncols; i++) {
        strncat(o->names, names[i], sizeof o->names - strlen(o->names) - 2);
        strcat(o->names, i + 1 < o->ncols ? "|" : "");
    }
    csv_block b;
    csv_block_init(&b);
    long n;
    int rc = 0;
    while ((n = csv_read_block(r, &b, e)) > 0) {
        for (size_t i = 0; i < b.nrows; i++) {
            char num[32];
            snprintf(num, sizeof num, "%ld", b.line[i]);
            put(o, num, strlen(num));
            for (uint32_t k = 0; k < b.nfields[i]; k++) {
                uint32_t f = b.first[i] + k;
                put(o, b.fquoted[f] ? "|^" : "|", b.fquoted[f] ? 2 : 1);
                put(o, b.fptr[f], b.flen[f]);
            }
            put(o, "\n", 1);
            o->nrecords++;
        }
    }
    if (n < 0)
        rc = -1;
    csv_block_free(&b);
    csv_close(r);
    return rc;
}

static csv_dialect comma(void)
{
    return (csv_dialect){.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1};
}

/* ---- uncached (O_DIRECT) reading: the same records as plain read() ---- */

static void test_uncached(void)
{
    /* ~6 MiB: records with quotes, a line end inside a quoted field and multi-byte UTF-8, so
     * records and sequences straddle the 1 MiB staging buffer and the reader's fills. */
    mf_buf b = {0};
    mf_buf_adds(&b, "id,name,amount\n");
    for (long i = 0; b.len < (6u << 20) + 123; i++)
        mf_buf_printf(&b, i % 7 == 0 ? "%ld,\"caf\xC3\xA9, \"\"x\"\"\nnext\",%ld.5\n" : "%ld,n\xE2\x82\xAC%ld,%ld\n", i, i,
                      i * 3);
    const char *path = write_file("uncached.csv", b.data, b.len);
    csv_dialect d = comma();
    parsed plain, direct;
    mf_err e = {0};
    CHECK_INT(parse_all(path, &d, &plain, &e), 0);
    d.uncached = true;
    CHECK_INT(parse_all(path, &d, &direct, &e), 0);
    CHECK(plain.nrecords > 50000);
    CHECK_INT(direct.nrecords, plain.nrecords);
    CHECK(plain.len == direct.len && memcmp(plain.text, direct.text, plain.len) == 0);
    /* the source really went O_DIRECT where the file system allows it, and not for a small file */
    int fd = open(path, O_RDONLY | O_DIRECT);
    bool fs_direct = fd >= 0;
    if (fd >= 0)
        close(fd);
    csv_source s;
    CHECK_INT(src_open(&s, path, CSV_UTF8, &e), 0);
    src_uncached(&s);
    CHECK(s.direct == fs_direct);
    src_close(&s);
    CHECK_INT(src_open(&s, write_str("small.csv", "a,b\n1,2\n"), CSV_UTF8, &e), 0);
    src_uncached(&s);
    CHECK(!s.direct);
    src_close(&s);
    free(plain.text);
    free(direct.text);
    mf_buf_free(&b);
}

/* ---- names ---- */

static void test_names(void)
{
    CHECK_STR(csv_encoding_name(CSV_UTF8), "UTF-8");
    CHECK_STR(csv_encoding_name(CSV_UTF8_BOM), "UTF-8 with BOM");
    CHECK_STR(csv_encoding_name(CSV_CP1252), "Windows-1252");
    CHECK_STR(csv_encoding_name(CSV_LATIN1), "Latin-1");
    CHECK_STR(csv_encoding_name(CSV_UTF16LE), "UTF-16LE");
    CHECK_STR(csv_encoding_name(CSV_UTF16BE), "UTF-16BE");
    for (int k = CSV_UTF8; k <= CSV_UTF16BE; k++) {
        csv_encoding got = CSV_UTF8;
        CHECK(csv_encoding_parse(csv_encoding_name((csv_encoding)k), &got) == 0);
        CHECK_INT(got, k);
    }
    csv_encoding got = CSV_UTF8;
    CHECK(csv_encoding_parse("windows-1252", &got) == 0 && got == CSV_CP1252);
    CHECK(csv_encoding_parse("utf8", &got) == 0 && got == CSV_UTF8);
    CHECK(csv_encoding_parse("ebcdic", &got) == -1);
    CHECK_STR(csv_delimiter_name(','), "comma");
    CHECK_STR(csv_delimiter_name(';'), "semicolon");
    CHECK_STR(csv_delimiter_name('|'), "pipe");
    CHECK_STR(csv_delimiter_name('\t'), "tab");
}

/* ---- quoting and line numbers ---- */

static void test_quotes_and_lines(void)
{
    const char *p = write_str("q.csv", "id,name,note\n"
                                       "1,\"Smith, John\",plain\n"
                                       "2,\"two\nlines\",x\n"
                                       "\n"
                                       "3,\"say \"\"hi\"\"\",\"a\r\nb\"\n"
                                       "4,,\"\"\n"
                                       "5,last,end");
    csv_dialect d = comma();
    mf_err e = {0};
    parsed o;
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.names, "id|name|note");
    CHECK_STR(o.text, "2|1|^Smith, John|plain\n"
                      "3|2|^two\nlines|x\n"
                      "6|3|^say \"hi\"|^a\r\nb\n"
                      "8|4||^\n"
                      "9|5|last|end\n");
    free(o.text);
}

static void test_raw_and_crlf(void)
{
    const char *p = write_str("crlf.csv", "a,b\r\n1,\"x,\"\"y\"\"\"\r\n\r\n2,3\r\n");
    csv_dialect d = comma();
    mf_err e = {0};
    csv_reader *r = csv_open(p, &d, &e);
    CHECK(r != NULL);
    if (!r)
        return;
    csv_block b;
    csv_block_init(&b);
    CHECK_INT(csv_read_block(r, &b, &e), 2);
    CHECK_INT(b.raw_len[0], strlen("1,\"x,\"\"y\"\"\""));
    CHECK(memcmp(b.raw[0], "1,\"x,\"\"y\"\"\"", b.raw_len[0]) == 0);
    CHECK_INT(b.line[1], 4);
    CHECK_INT(b.flen[b.first[1] + 1], 1);   /* "3", the CR not included */
    CHECK(b.raw_len[1] == 3 && memcmp(b.raw[1], "2,3", 3) == 0);
    CHECK_INT(csv_read_block(r, &b, &e), 0);
    CHECK(csv_file_size(r) == strlen("a,b\r\n1,\"x,\"\"y\"\"\"\r\n\r\n2,3\r\n"));
    CHECK(csv_bytes_read(r) == csv_file_size(r));
    csv_block_free(&b);
    csv_close(r);
}

static void test_header_and_raw_multiline(void)
{
    const char *p = write_str("hdr.csv", " id , \"full name\" ,amount\n7,\"a\nb\",1\r\n\r");
    csv_dialect d = comma();
    mf_err e = {0};
    csv_reader *r = csv_open(p, &d, &e);
    CHECK(r != NULL);
    if (!r)
        return;
    const char *const *names;
    CHECK_INT(csv_header(r, &names), 3);
    CHECK_STR(names[0], "id");
    CHECK_STR(names[1], "\"full name\"");   /* a quote after a space is text, kept as written */
    CHECK_STR(names[2], "amount");
    csv_block b;
    csv_block_init(&b);
    CHECK_INT(csv_read_block(r, &b, &e), 1);
    CHECK(b.raw_len[0] == 9 && memcmp(b.raw[0], "7,\"a\nb\",1", 9) == 0);
    CHECK_INT(b.nfields[0], 3);
    CHECK_INT(csv_read_block(r, &b, &e), 0);   /* the lone CR at the end is a blank line */
    csv_block_free(&b);
    csv_close(r);
}

static void test_ragged(void)
{
    const char *p = write_str("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n");
    csv_dialect d = comma();
    mf_err e = {0};
    parsed o;
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|1|2|3\n3|4|5\n4|6|7|8|9\n5|10|11|12\n");
    free(o.text);
}

/* ---- detection ---- */

static void test_detect_delimiters(void)
{
    static const struct { const char *text; char delim; int ncols; } cases[] = {
        {"a,b,c\n1,2,3\n4,5,6\n", ',', 3},
        {"a;b;c\n1,5;2,5;x\n3,0;4;y\n", ';', 3},
        {"name|amount\n\"x|y\"|1\nz|2\n", '|', 2},
        {"a\tb\tc d\n1\t2\t3\n", '\t', 3},
        {"city,note\nParis,\"a;b;c\"\nRome,\"d;e;f\"\n", ',', 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_str("delim.csv", cases[i].text);
        csv_dialect d;
        mf_err e = {0};
        CHECK(csv_detect(p, &d, &e) == 0);
        CHECK_INT(d.delimiter, cases[i].delim);
        CHECK_INT(d.ncols, cases[i].ncols);
        CHECK_INT(d.header_line, 1);
        CHECK_INT(d.encoding, CSV_UTF8);
    }
    csv_dialect d;
    mf_err e = {0};
    CHECK(csv_detect(write_str("noq.csv", "a,b\n1,2\n"), &d, &e) == 0);
    CHECK_INT(d.quote, 0);
    CHECK(csv_detect(write_str("q2.csv", "a,b\n\"1\",2\n"), &d, &e) == 0);
    CHECK_INT(d.quote, '"');

    /* One column whose values hold "|" now and then (and a comma): one name in the header, no
     * delimiter in it, records that do not keep two fields -> one column, a delimiter that no
     * value holds, header on line 1 */
    CHECK(csv_detect(write_str("one.csv", "Vendor\nAcme\nSmith | Sons Ltd\nNordic, AB\nCafe\nDelta\nAtlas\n"),
                     &d, &e) == 0);
    CHECK_INT(d.ncols, 1);
    CHECK_INT(d.header_line, 1);
    CHECK_INT(d.delimiter, ';');
    /* ... but a preamble line above a header whose records keep its field count stays a preamble */
    CHECK(csv_detect(write_str("pre.csv", "General Ledger Report\nid|name\n1|a\n2|b\n3|c\n"), &d, &e) == 0);
    CHECK_INT(d.ncols, 2);
    CHECK_INT(d.delimiter, '|');
    CHECK_INT(d.header_line, 2);
}

static void test_preamble(void)
{
    const char *p = write_str("pre.csv", "Report generated 2025-01-31\n"
                                         "Client: ACME\n"
                                         "\n"
                                         "Period,2025-01\n"
                                         "\n"
                                         "Acct No,Posting Dt,Amt\n"
                                         "001,01/31/2025,\"1,234.50\"\n"
                                         "002,01/30/2025,(5.00)\n");
    csv_dialect d;
    mf_err e = {0};
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.header_line, 6);
    CHECK_INT(d.ncols, 3);
    CHECK_INT(d.delimiter, ',');
    parsed o;
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.names, "Acct No|Posting Dt|Amt");
    CHECK_STR(o.text, "7|001|01/31/2025|^1,234.50\n8|002|01/30/2025|(5.00)\n");
    free(o.text);

    /* a header whose row 2 is numeric: the numeric row is not taken for the header */
    p = write_str("pre2.csv", "Totals\n10,20\nx,y\n1,2\n3,4\n");
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.header_line, 3);
}

/* ---- encodings ---- */

static void test_encodings(void)
{
    csv_dialect d;
    mf_err e = {0};
    parsed o;
    /* UTF-8 with BOM */
    const char *p = write_str("bom.csv", "\xEF\xBB\xBFname,city\nJos\xC3\xA9,K\xC3\xB6ln\n");
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.encoding, CSV_UTF8_BOM);
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.names, "name|city");
    CHECK_STR(o.text, "2|Jos\xC3\xA9|K\xC3\xB6ln\n");
    free(o.text);

    /* Windows-1252: é = E9, € = 80, ’ = 92 */
    p = write_str("cp.csv", "name;amount\nJos\xE9;\x80 5\nO\x92" "Brien;7\n");
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.encoding, CSV_CP1252);
    CHECK_INT(d.delimiter, ';');
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|Jos\xC3\xA9|\xE2\x82\xAC 5\n3|O\xE2\x80\x99" "Brien|7\n");
    free(o.text);
    d.encoding = CSV_LATIN1;   /* Latin-1 maps 0x80 to U+0080 */
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|Jos\xC3\xA9|\xC2\x80 5\n3|O\xC2\x92" "Brien|7\n");
    free(o.text);

    /* UTF-16 LE and BE with BOM, including a character outside the BMP (U+1F600) */
    uint32_t cps[] = {'a', ',', 'b', '\n', '"', 'x', ',', '1', '"', ',', 0xE9, 0x1F600, '\n'};
    unsigned char le[64], be[64];
    size_t n = 0;
    le[n] = 0xFF, be[n] = 0xFE, n++;
    le[n] = 0xFE, be[n] = 0xFF, n++;
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        uint16_t u[2];
        int k = 1;
        if (cps[i] >= 0x10000) {
            u[0] = (uint16_t)(0xD800 + ((cps[i] - 0x10000) >> 10));
            u[1] = (uint16_t)(0xDC00 + ((cps[i] - 0x10000) & 0x3FF));
            k = 2;
        } else {
            u[0] = (uint16_t)cps[i];
        }
        for (int j = 0; j < k; j++) {
            le[n] = (unsigned char)(u[j] & 0xFF), be[n] = (unsigned char)(u[j] >> 8), n++;
            le[n] = (unsigned char)(u[j] >> 8), be[n] = (unsigned char)(u[j] & 0xFF), n++;
        }
    }
    p = write_file("le.csv", le, n);
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.encoding, CSV_UTF16LE);
    CHECK_INT(d.quote, '"');
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|^x,1|\xC3\xA9\xF0\x9F\x98\x80\n");
    free(o.text);
    p = write_file("be.csv", be, n);
    CHECK(csv_detect(p, &d, &e) == 0);
    CHECK_INT(d.encoding, CSV_UTF16BE);
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|^x,1|\xC3\xA9\xF0\x9F\x98\x80\n");
    free(o.text);
    /* the same UTF-16 through tiny reads */
    setenv("MAPFORGE_CSV_CHUNK", "16", 1);
    CHECK(parse_all(p, &d, &o, &e) == 0);
    CHECK_STR(o.text, "2|^x,1|\xC3\xA9\xF0\x9F\x98\x80\n");
    free(o.text);
    unsetenv("MAPFORGE_CSV_CHUNK");
    CHECK_INT(e.code, MF_OK);
}

/* ---- errors ---- */

static void expect_error(const char *path, const csv_dialect *d, mf_code code, long line, long col,
                         const char *words)
{
    mf_err e = {0};
    parsed o;
    int rc = parse_all(path, d, &o, &e);
    free(o.text);
    CHECK(rc == -1);
    CHECK_INT(e.code, code);
    CHECK_INT(e.line, line);
    if (col >= 0)
        CHECK_INT(e.col, col);
    CHECK(strstr(e.file, path) != NULL);
    if (!strstr(e.msg, words))
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", e.msg, words), check_failures++;
}

static void test_errors(void)
{
    csv_dialect d = comma(), dd;
    mf_err e = {0};
    CHECK(csv_detect(tmp_path("missing.csv"), &dd, &e) == -1);
    CHECK_INT(e.code, MF_EIO);
    expect_error(tmp_path("missing.csv"), &d, MF_EIO, 0, -1, "cannot open");

    const char *p = write_str("bad8.csv", "a,b\n1,2\n3,caf\xE9!\n");
    expect_error(p, &d, MF_EFORMAT, 3, 6, "read as UTF-8");
    p = write_file("nul.csv", "a,b\n1,2\n\n3,x\0y\n", 15);
    expect_error(p, &d, MF_EFORMAT, 4, 4, "NUL");
    p = write_str("unterm.csv", "a,b\n1,2\n3,\"open\nstill\n4,5\n");
    expect_error(p, &d, MF_EFORMAT, 3, -1, "unterminated");
    p = write_str("unterm2.csv", "a,b\n1,\"x\"\"\n");
    expect_error(p, &d, MF_EFORMAT, 2, -1, "unterminated");

    /* the same errors when every read is tiny: positions must not depend on read boundaries */
    setenv("MAPFORGE_CSV_CHUNK", "16", 1);
    expect_error(write_str("bad8b.csv", "a,b\n1,2\n3,\"x\ny\"\n4,abcdefghijklmnopqrstuvwxyz\xC3\x28\n"), &d,
                 MF_EFORMAT, 5, 29, "read as UTF-8");
    expect_error(write_str("unterm3.csv", "a,b\n1,2\n\n3,\"open and a long enough value\nstill\n4,5\n"), &d,
                 MF_EFORMAT, 4, -1, "unterminated");
    unsetenv("MAPFORGE_CSV_CHUNK");

    /* NUL in a one-byte encoding; a UTF-16 file cut in the middle of a code unit (columns count
     * characters when the file is not UTF-8) */
    csv_dialect cp = d;
    cp.encoding = CSV_CP1252;
    expect_error(write_file("nul1252.csv", "a,b\n\xE9,\0\n", 8), &cp, MF_EFORMAT, 2, 3, "NUL");
    csv_dialect le = d;
    le.encoding = CSV_UTF16LE;
    expect_error(write_file("odd16.csv", "\xFF\xFE" "a\0,\0b\0\n\0" "1\0,\0" "2", 15), &le, MF_EFORMAT, 2, 3,
                 "UTF-16");

    /* a line with no end in the first MiB is not taken for a header */
    char *noline = malloc(3u << 20);
    memset(noline, 'z', 3u << 20);
    p = write_file("noline.csv", noline, 3u << 20);
    free(noline);
    e = (mf_err){0};
    CHECK(csv_detect(p, &dd, &e) == -1);
    CHECK(strstr(e.msg, "line end") != NULL);

    e = (mf_err){0};
    CHECK(csv_detect(write_str("empty.csv", ""), &dd, &e) == -1);
    CHECK(strstr(e.msg, "empty") != NULL);
    e = (mf_err){0};
    CHECK(csv_detect(write_str("blank.csv", "\n\r\n\n"), &dd, &e) == -1);
    CHECK(strstr(e.msg, "header") != NULL);
    expect_error(write_str("empty2.csv", ""), &d, MF_EDATA, 1, -1, "no header");

    /* a long record, with the limit lowered by the test hook */
    setenv("MAPFORGE_MAX_RECORD", "1000", 1);
    char *big = malloc(5000);
    memcpy(big, "a,b\n1,2\n", 8);
    memset(big + 8, 'x', 4990);
    big[4998] = '\n';
    p = write_file("long.csv", big, 4999);
    expect_error(p, &d, MF_ELIMIT, 3, -1, "longer than");
    free(big);
    unsetenv("MAPFORGE_MAX_RECORD");
}

/* UTF-16 code units that do not make text, each an error naming its line; a surrogate pair is
 * one character; a directory is not a data file. */
static void test_utf16_faults(void)
{
    csv_dialect le = comma();
    le.encoding = CSV_UTF16LE;
    csv_dialect be = comma();
    be.encoding = CSV_UTF16BE;
    /* "a,b\n1," then the fault */
    static const char HEAD_LE[] = "\xFF\xFE" "a\0,\0b\0\n\0" "1\0,\0";
    char buf[64];
    size_t h = sizeof HEAD_LE - 1;
    memcpy(buf, HEAD_LE, h);
    memcpy(buf + h, "\x00\xDC" "\n\0", 4);              /* a low surrogate alone */
    expect_error(write_file("lone_lo.csv", buf, h + 4), &le, MF_EFORMAT, 2, -1, "unpaired surrogate");
    memcpy(buf + h, "\x00\xD8" "x\0" "\n\0", 6);        /* a high surrogate, then no low one */
    expect_error(write_file("hi_x.csv", buf, h + 6), &le, MF_EFORMAT, 2, -1, "code unit 0xD800");
    memcpy(buf + h, "\x3D\xD8", 2);                     /* a high surrogate at the end of the file */
    expect_error(write_file("hi_eof.csv", buf, h + 2), &le, MF_EFORMAT, 2, -1, "UTF-16");
    memcpy(buf + h, "\0\0" "\n\0", 4);                  /* a NUL code unit */
    expect_error(write_file("nul16.csv", buf, h + 4), &le, MF_EFORMAT, 2, -1, "NUL");

    /* U+1F600 as a pair, little- and big-endian */
    memcpy(buf + h, "\x3D\xD8\x00\xDE" "\n\0", 6);
    mf_err e = {0};
    parsed o;
    CHECK_INT(parse_all(write_file("pair_le.csv", buf, h + 6), &le, &o, &e), 0);
    CHECK(o.text && strstr(o.text, "2|1|\xF0\x9F\x98\x80\n") != NULL);
    free(o.text);
    static const char BE[] = "\xFE\xFF" "\0a\0,\0b\0\n" "\0" "1\0," "\xD8\x3D\xDE\x00" "\0\n";
    e = (mf_err){0};
    CHECK_INT(parse_all(write_file("pair_be.csv", BE, sizeof BE - 1), &be, &o, &e), 0);
    CHECK(o.text && strstr(o.text, "2|1|\xF0\x9F\x98\x80\n") != NULL);
    free(o.text);

    csv_dialect d = comma();
    expect_error(tmpdir, &d, MF_EIO, 0, -1, "is a directory");
}

/* The first field of each record a reader opened at offset (no header) yields, joined by '|'. */
static void firsts_at(const char *path, const csv_dialect *d, unsigned long long offset, char *out, size_t cap)
{
    mf_err e = {0};
    out[0] = 0;
    csv_reader *r = csv_open_at(path, d, offset, &e);
    if (!r) {
        snprintf(out, cap, "ERROR %.100s", e.msg);
        return;
    }
    csv_block b;
    csv_block_init(&b);
    while (csv_read_block(r, &b, &e) > 0)
        for (size_t i = 0; i < b.nrows; i++)
            snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", *out ? "|" : "", (int)b.flen[b.first[i]],
                     b.fptr[b.first[i]]);
    csv_block_free(&b);
    csv_close(r);
}

/* Spot sampling opens a reader in the middle of a file: it starts at the next line start, an odd
 * offset in UTF-16 is taken back to its code unit, and past the last line there is nothing. */
static void test_open_at(void)
{
    csv_dialect d = comma();
    d.ncols = 2;
    const char *p = write_str("at8.csv", "a,b\n11,2\n33,4\n55,6\n");
    char got[128];
    firsts_at(p, &d, 0, got, sizeof got);
    CHECK_STR(got, "a|11|33|55");
    firsts_at(p, &d, 5, got, sizeof got);        /* inside "11,2" */
    CHECK_STR(got, "33|55");
    firsts_at(p, &d, 18, got, sizeof got);       /* inside the last line */
    CHECK_STR(got, "");
    /* the same in UTF-16LE (BOM, then 2 bytes per character) */
    mf_buf u = {0};
    mf_buf_add(&u, "\xFF\xFE", 2);
    for (const char *c = "a,b\n11,2\n33,4\n55,6\n"; *c; c++) {
        mf_buf_addc(&u, *c);
        mf_buf_addc(&u, '\0');
    }
    p = write_file("at16.csv", u.data, u.len);
    mf_buf_free(&u);
    csv_dialect le = d;
    le.encoding = CSV_UTF16LE;
    firsts_at(p, &le, 13, got, sizeof got);      /* odd: inside "11,2" */
    CHECK_STR(got, "33|55");
    firsts_at(p, &le, 12, got, sizeof got);
    CHECK_STR(got, "33|55");
    firsts_at(p, &le, 38, got, sizeof got);      /* inside the last line */
    CHECK_STR(got, "");
}

/* A header of CSV_MAX_COLUMNS fields is read; one more is an error naming the header's line (after
 * a preamble line) and the limit. */
static void test_column_limit(void)
{
    csv_dialect d = comma();
    mf_err e = {0};
    for (int extra = 0; extra <= 1; extra++) {
        int n = CSV_MAX_COLUMNS + extra;
        mf_buf b = {0};
        mf_buf_add(&b, "Extract of 2026-11-30\n", 22);
        for (int i = 0; i < n; i++)
            mf_buf_printf(&b, "%sc%d", i ? "," : "", i);
        mf_buf_addc(&b, '\n');
        for (int i = 0; i < n; i++)
            mf_buf_printf(&b, "%s%d", i ? "," : "", i % 10);
        mf_buf_addc(&b, '\n');
        const char *p = write_file(extra ? "wide_over.csv" : "wide_at.csv", b.data, b.len);
        mf_buf_free(&b);
        csv_dialect dh = d;
        dh.header_line = 2;
        e = (mf_err){0};
        csv_reader *r = csv_open(p, &dh, &e);
        if (!extra) {
            CHECK(r != NULL);
            const char *const *names;
            CHECK_INT(r ? csv_header(r, &names) : -1, CSV_MAX_COLUMNS);
            if (r)
                CHECK_STR(names[CSV_MAX_COLUMNS - 1], "c16383");
            csv_close(r);
        } else {
            CHECK(r == NULL);
            CHECK_INT(e.code, MF_ELIMIT);
            CHECK_INT(e.line, 2);
            CHECK(strstr(e.msg, "16385 columns") != NULL);
            CHECK(strstr(e.msg, "at most 16384") != NULL);
        }
    }
}

/* Fields per record: a data row of CSV_MAX_FIELDS fields is read (a ragged record, the engine's
 * to reject), one more is refused with the line, on the fast path (whole text) and the exact path
 * (quoted fields). */
static void test_field_limit(void)
{
    csv_dialect d = comma();
    for (int quoted = 0; quoted <= 1; quoted++)
        for (int extra = 0; extra <= 1; extra++) {
            int n = CSV_MAX_FIELDS + extra;
            mf_buf b = {0};
            mf_buf_adds(&b, "a,b\n1,2\n");
            for (int i = 0; i < n; i++)
                mf_buf_adds(&b, i ? (quoted ? ",\"x\"" : ",x") : "x");
            mf_buf_adds(&b, "\n3,4\n");
            const char *p = write_file("fields.csv", b.data, b.len);
            mf_buf_free(&b);
            mf_err e = {0};
            csv_reader *r = csv_open(p, &d, &e);
            CHECK(r != NULL);
            if (!r)
                continue;
            csv_block blk;
            csv_block_init(&blk);
            long rows = 0, got;
            uint32_t widest = 0;
            while ((got = csv_read_block(r, &blk, &e)) > 0) {
                rows += got;
                for (long i = 0; i < got; i++)
                    if (blk.nfields[i] > widest)
                        widest = blk.nfields[i];
            }
            if (!extra) {
                CHECK_INT(got, 0);
                CHECK_INT(rows, 3);
                CHECK_INT((long)widest, CSV_MAX_FIELDS);
            } else {
                CHECK_INT(got, -1);
                CHECK_INT(e.code, MF_ELIMIT);
                CHECK_INT(e.line, 3);
                CHECK(strstr(e.msg, "more than 65536 fields") != NULL);
            }
            csv_block_free(&blk);
            csv_close(r);
        }
}

/* A 100 MB line with no newline, with the real CSV_MAX_RECORD: fails without reading it all. */
static void test_huge_line(void)
{
    const char *p = tmp_path("huge.csv");
    FILE *f = fopen(p, "wb");
    if (!f)
        return;
    fputs("a,b\n", f);
    static char chunk[1 << 20];
    memset(chunk, 'y', sizeof chunk);
    for (int i = 0; i < 100; i++)
        fwrite(chunk, 1, sizeof chunk, f);
    fclose(f);
    csv_dialect d = comma();
    mf_err e = {0};
    csv_reader *r = csv_open(p, &d, &e);
    CHECK(r != NULL);
    if (!r)
        return;
    csv_block b;
    csv_block_init(&b);
    CHECK_INT(csv_read_block(r, &b, &e), -1);
    CHECK_INT(e.code, MF_ELIMIT);
    CHECK_INT(e.line, 2);
    CHECK(csv_bytes_read(r) < 100ull << 20);   /* stopped near the limit, not at the end */
    csv_block_free(&b);
    csv_close(r);
    unlink(p);
}

/* ---- blocks: many records, small reads, blocks alive together ---- */

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A random file of nrec records (3 fields each) and the expected flattened parse. */
static void random_file(const char *name, int nrec, const char **path, parsed *want)
{
    static const char *pieces[] = {"abc", ",", "\"", "\n", "\r\n", "x y", "\xC3\xA9", "\xE2\x82\xAC", "12.5", ""};
    parsed file = {0};
    memset(want, 0, sizeof *want);
    put(&file, "c1,c2,c3\n", 9);
    put(want, "", 0);
    long line = 2;
    for (int i = 0; i < nrec; i++) {
        if (rnd(20) == 0) {
            bool crlf = rnd(2);
            put(&file, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
            line++;
        }
        char num[32];
        snprintf(num, sizeof num, "%ld", line);
        put(want, num, strlen(num));
        long nl = 0;
        for (int k = 0; k < 3; k++) {
            char val[256];
            size_t vl = 0;
            int np = (int)rnd(5);
            bool special = false;
            for (int j = 0; j < np; j++) {
                const char *s = pieces[rnd(10)];
                size_t sl = strlen(s);
                memcpy(val + vl, s, sl);
                vl += sl;
            }
            for (size_t j = 0; j < vl; j++)
                if (val[j] == ',' || val[j] == '"' || val[j] == '\n' || val[j] == '\r')
                    special = true;
            bool quote = special || rnd(4) == 0;
            put(want, quote ? "|^" : "|", quote ? 2 : 1);
            put(want, val, vl);
            if (quote) {
                put(&file, "\"", 1);
                for (size_t j = 0; j < vl; j++) {
                    put(&file, &val[j], 1);
                    if (val[j] == '"')
                        put(&file, "\"", 1);
                    if (val[j] == '\n')
                        nl++;
                }
                put(&file, "\"", 1);
            } else {
                put(&file, val, vl);
            }
            if (k < 2)
                put(&file, ",", 1);
        }
        put(want, "\n", 1);
        bool last = i == nrec - 1;
        if (!last || rnd(2))
        {
            bool crlf = rnd(3) == 0;
            put(&file, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
        }
        line += 1 + nl;
    }
    *path = write_file(name, file.text, file.len);
    free(file.text);
}

static void test_random_chunks(void)
{
    const char *p;
    parsed want;
    random_file("rand.csv", 9000, &p, &want);
    csv_dialect d = comma();
    static const char *chunks[] = {NULL, "16", "17", "33", "100", "4099"};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        if (chunks[i])
            setenv("MAPFORGE_CSV_CHUNK", chunks[i], 1);
        else
            unsetenv("MAPFORGE_CSV_CHUNK");
        mf_err e = {0};
        parsed o;
        CHECK(parse_all(p, &d, &o, &e) == 0);
        if (e.code)
            fprintf(stderr, "chunk %s: %s (line %ld)\n", chunks[i] ? chunks[i] : "default", e.msg, e.line);
        CHECK_INT(o.nrecords, 9000);
        bool same = o.text && strcmp(o.text, want.text) == 0;
        CHECK(same);
        if (!same && o.text) {
            size_t k = 0;
            while (o.text[k] && o.text[k] == want.text[k])
                k++;
            fprintf(stderr, "chunk %s: differs at %zu: got \"%.60s\" want \"%.60s\"\n",
                    chunks[i] ? chunks[i] : "default", k, o.text + k, want.text + k);
        }
        free(o.text);
    }
    unsetenv("MAPFORGE_CSV_CHUNK");
    free(want.text);
}

static void test_blocks_alive_together(void)
{
    parsed f = {0};
    put(&f, "n,sq\n", 5);
    for (int i = 0; i < 10000; i++) {
        char row[64];
        int k = snprintf(row, sizeof row, "%d,\"%d\"\"\"\n", i, i * i);
        put(&f, row, (size_t)k);
    }
    const char *p = write_file("many.csv", f.text, f.len);
    free(f.text);
    csv_dialect d = comma();
    mf_err e = {0};
    csv_reader *r = csv_open(p, &d, &e);
    CHECK(r != NULL);
    if (!r)
        return;
    csv_block b[3];
    long total = 0;
    for (int i = 0; i < 3; i++) {
        csv_block_init(&b[i]);
        long n = csv_read_block(r, &b[i], &e);
        CHECK(n > 0);
        total += n;
    }
    CHECK_INT(b[0].nrows, CSV_BLOCK_ROWS);
    CHECK_INT(total, 10000);
    csv_block extra;
    csv_block_init(&extra);
    CHECK_INT(csv_read_block(r, &extra, &e), 0);
    csv_block_free(&extra);
    /* every block still holds its own rows */
    long want_n = 0;
    for (int i = 0; i < 3; i++)
        for (size_t j = 0; j < b[i].nrows; j++, want_n++) {
            char v[64];
            int k = snprintf(v, sizeof v, "%ld\"", want_n * want_n);
            uint32_t fi = b[i].first[j] + 1;
            CHECK(b[i].flen[fi] == (uint32_t)k && memcmp(b[i].fptr[fi], v, (size_t)k) == 0);
            CHECK_INT(b[i].line[j], want_n + 2);
        }
    for (int i = 0; i < 3; i++)
        csv_block_free(&b[i]);
    csv_close(r);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mf_test_csv_%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    test_names();
    test_uncached();
    test_quotes_and_lines();
    test_raw_and_crlf();
    test_header_and_raw_multiline();
    test_ragged();
    test_detect_delimiters();
    test_preamble();
    test_encodings();
    test_errors();
    test_column_limit();
    test_field_limit();
    test_utf16_faults();
    test_open_at();
    test_huge_line();
    test_random_chunks();
    test_blocks_alive_together();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 2;
    CHECK_DONE();
}
