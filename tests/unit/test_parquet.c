/* test_parquet.c — the Parquet writer's building blocks: Thrift compact encoding (byte vectors
 * from the protocol's rules), the RLE/bit-packed hybrid (fixed vectors and a round trip through an
 * independent decoder written here), decimal bytes at the extremes, value encoding and the
 * statistics order; then a small file written and abandoned through the writer API.  The
 * cross-check with real readers is tests/scripts/parquet_readers.sh. */
#include "check.h"
#include "plan/plan.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/decimal.h"
#include "write/parquet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int same(const mf_buf *b, const uint8_t *want, size_t n)
{
    if (b->len != n || memcmp(b->data, want, n)) {
        fprintf(stderr, "  got:");
        for (size_t i = 0; i < b->len; i++)
            fprintf(stderr, " %02X", (uint8_t)b->data[i]);
        fprintf(stderr, "\n  want:");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02X", want[i]);
        fprintf(stderr, "\n");
        return 0;
    }
    return 1;
}

#define SAME(b, ...)                                                                                \
    do {                                                                                            \
        static const uint8_t w_[] = {__VA_ARGS__};                                                  \
        CHECK(same((b), w_, sizeof w_));                                                            \
    } while (0)

static void test_thrift(void)
{
    mf_buf b = {0};
    pq_thrift t;

    pq_t_init(&t, &b);   /* {1: i32 1, 2: i32 -1, 20: i32 2} STOP: short, short, long header */
    pq_t_i32(&t, 1, 1);
    pq_t_i32(&t, 2, -1);
    pq_t_i32(&t, 20, 2);
    pq_t_stop(&t);
    SAME(&b, 0x15, 0x02, 0x15, 0x01, 0x05, 0x28, 0x04, 0x00);

    mf_buf_clear(&b);    /* i64 300 -> zigzag 600 -> varint D8 04; INT64_MIN -> all ones zigzag */
    pq_t_init(&t, &b);
    pq_t_i64(&t, 1, 300);
    pq_t_i64(&t, 2, INT64_MIN);
    SAME(&b, 0x16, 0xD8, 0x04, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);

    mf_buf_clear(&b);    /* booleans live in the type nibble; binary = length + bytes */
    pq_t_init(&t, &b);
    pq_t_bool(&t, 1, true);
    pq_t_bool(&t, 2, false);
    pq_t_binary(&t, 4, "ab", 2);
    SAME(&b, 0x11, 0x12, 0x28, 0x02, 'a', 'b');   /* field 4 after 2: delta 2 */

    mf_buf_clear(&b);    /* a nested struct keeps its own last id; the outer one resumes at 3 */
    pq_t_init(&t, &b);
    pq_t_struct_begin(&t, 3);
    pq_t_i32(&t, 1, 7);
    pq_t_struct_end(&t);
    pq_t_i32(&t, 4, 0);
    pq_t_stop(&t);
    SAME(&b, 0x3C, 0x15, 0x0E, 0x00, 0x15, 0x00, 0x00);

    mf_buf_clear(&b);    /* short list header (size << 4 | type), long list header (F | type, varint) */
    pq_t_init(&t, &b);
    pq_t_list_begin(&t, 2, PQ_T_I32, 2);
    pq_t_elem_i32(&t, 0);
    pq_t_elem_i32(&t, 3);
    pq_t_list_begin(&t, 3, PQ_T_STRUCT, 20);
    SAME(&b, 0x29, 0x25, 0x00, 0x06, 0x19, 0xFC, 0x14);

    mf_buf_clear(&b);    /* a field id going down uses the long form */
    pq_t_init(&t, &b);
    pq_t_i32(&t, 5, 1);
    pq_t_i32(&t, 3, 1);
    SAME(&b, 0x55, 0x02, 0x05, 0x06, 0x02);

    mf_buf_clear(&b);
    pq_varint(&b, 127);
    pq_varint(&b, 128);
    pq_varint(&b, UINT64_MAX);
    SAME(&b, 0x7F, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    mf_buf_free(&b);
}

/* An independent decoder of the hybrid encoding (Encodings.md), for the round trip. */
static uint64_t get_varint(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end; shift += 7) {
        uint8_t c = *(*p)++;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            break;
    }
    return v;
}

static size_t rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t max)
{
    const uint8_t *end = p + n;
    size_t k = 0;
    while (p < end && k < max) {
        uint64_t h = get_varint(&p, end);
        if (h & 1) {
            size_t count = (size_t)(h >> 1) * 8;
            for (size_t i = 0; i < count; i++) {
                uint32_t v = 0;
                for (int bit = 0; bit < bw; bit++) {
                    size_t at = i * (size_t)bw + (size_t)bit;
                    v |= (uint32_t)((p[at / 8] >> (at % 8)) & 1) << bit;
                }
                if (k < max)
                    out[k++] = v;
            }
            p += (size_t)(h >> 1) * (size_t)bw;
        } else {
            uint32_t v = 0;
            for (int i = 0; i < (bw + 7) / 8; i++)
                v |= (uint32_t)*p++ << (8 * i);
            for (uint64_t i = 0; i < (h >> 1) && k < max; i++)
                out[k++] = v;
        }
    }
    return k;
}

static void test_rle(void)
{
    mf_buf b = {0};
    uint32_t zeros[10] = {0};
    pq_rle_hybrid(zeros, 10, 1, &b);   /* one RLE run: header 10 << 1, value in one byte */
    SAME(&b, 0x14, 0x00);

    mf_buf_clear(&b);
    uint32_t alt[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    pq_rle_hybrid(alt, 8, 1, &b);      /* one bit-packed group, LSB first */
    SAME(&b, 0x03, 0x55);

    mf_buf_clear(&b);
    uint32_t three[3] = {1, 2, 3};
    pq_rle_hybrid(three, 3, 2, &b);    /* padded to a group of 8: 2 bytes at width 2 */
    SAME(&b, 0x03, 0x39, 0x00);

    mf_buf_clear(&b);
    uint32_t wide[9] = {300, 300, 300, 300, 300, 300, 300, 300, 300};
    pq_rle_hybrid(wide, 9, 9, &b);     /* width 9: the run's value takes two bytes */
    SAME(&b, 0x12, 0x2C, 0x01);

    /* Round trips: random data mixed with long runs, at widths 1..20, many lengths. */
    srand(42);
    enum { N = 5000 };
    uint32_t *v = malloc(N * sizeof *v), *back = malloc(N * sizeof *back);
    for (int bw = 1; bw <= 20; bw++) {
        for (size_t n = 1; n <= N; n = n * 3 + 1) {
            for (size_t i = 0; i < n; i++)
                v[i] = (i / 37) % 3 == 0 ? (uint32_t)((i / 37) & ((1u << bw) - 1))
                                         : (uint32_t)rand() & ((1u << bw) - 1);
            mf_buf_clear(&b);
            pq_rle_hybrid(v, n, bw, &b);
            size_t got = rle_decode((const uint8_t *)b.data, b.len, bw, back, n);
            CHECK_INT(got, n);
            CHECK(memcmp(v, back, n * sizeof *v) == 0);
        }
    }
    free(v);
    free(back);
    mf_buf_free(&b);
}

static void test_decimal_bytes(void)
{
    CHECK_INT(pq_decimal_bytes(1), 1);
    CHECK_INT(pq_decimal_bytes(2), 1);
    CHECK_INT(pq_decimal_bytes(3), 2);
    CHECK_INT(pq_decimal_bytes(9), 4);
    CHECK_INT(pq_decimal_bytes(10), 5);
    CHECK_INT(pq_decimal_bytes(18), 8);
    CHECK_INT(pq_decimal_bytes(19), 9);
    CHECK_INT(pq_decimal_bytes(20), 9);
    CHECK_INT(pq_decimal_bytes(38), 16);
    /* minimal: 10^p - 1 fits in n bytes, not in n - 1 */
    __int128 p10 = 1;
    for (int p = 1; p <= 38; p++) {
        p10 *= 10;
        int n = pq_decimal_bytes(p);
        __int128 max = p10 - 1;
        CHECK(n == 16 || max < ((__int128)1 << (8 * n - 1)));
        CHECK(n == 1 || max >= ((__int128)1 << (8 * (n - 1) - 1)));
    }

    uint8_t out[16];
    __int128 max38 = p10 - 1;   /* 10^38 - 1 */
    static const uint8_t want_max[16] = {0x4B, 0x3B, 0x4C, 0xA8, 0x5A, 0x86, 0xC4, 0x7A,
                                         0x09, 0x8A, 0x22, 0x3F, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t want_min[16] = {0xB4, 0xC4, 0xB3, 0x57, 0xA5, 0x79, 0x3B, 0x85,
                                         0xF6, 0x75, 0xDD, 0xC0, 0x00, 0x00, 0x00, 0x01};
    pq_decimal_be(max38, 16, out);
    CHECK(memcmp(out, want_max, 16) == 0);
    pq_decimal_be(-max38, 16, out);
    CHECK(memcmp(out, want_min, 16) == 0);
    pq_decimal_be(-1, 9, out);
    CHECK(memcmp(out, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 9) == 0);

    /* cells: decimal(38,10) max and min, decimal(20,0) in 9 bytes, decimal(9,2)/(18,4) little-endian */
    const uint8_t *p;
    size_t n;
    plan_type d38 = {PT_DECIMAL, 0, 38, 10}, d20 = {PT_DECIMAL, 0, 20, 0}, d9 = {PT_DECIMAL, 0, 9, 2},
              d18 = {PT_DECIMAL, 0, 18, 4};
    CHECK(pq_encode_cell(d38, "9999999999999999999999999999.9999999999", 39, out, &p, &n));
    CHECK(n == 16 && memcmp(p, want_max, 16) == 0);
    CHECK(pq_encode_cell(d38, "-9999999999999999999999999999.9999999999", 40, out, &p, &n));
    CHECK(n == 16 && memcmp(p, want_min, 16) == 0);
    CHECK(pq_encode_cell(d20, "99999999999999999999", 20, out, &p, &n));
    CHECK(n == 9 && memcmp(p, "\x05\x6B\xC7\x5E\x2D\x63\x0F\xFF\xFF", 9) == 0);
    CHECK(pq_encode_cell(d9, "-0.01", 5, out, &p, &n));
    CHECK(n == 4 && memcmp(p, "\xFF\xFF\xFF\xFF", 4) == 0);
    CHECK(pq_encode_cell(d9, "9999999.99", 10, out, &p, &n));
    CHECK(n == 4 && memcmp(p, "\xFF\xC9\x9A\x3B", 4) == 0);   /* 999999999 = 0x3B9AC9FF */
    CHECK(pq_encode_cell(d18, "-1.5", 4, out, &p, &n));           /* -15000, rescaled exactly */
    CHECK(n == 8 && memcmp(p, "\x68\xC5\xFF\xFF\xFF\xFF\xFF\xFF", 8) == 0);
    CHECK(!pq_encode_cell(d9, "1.001", 5, out, &p, &n));          /* digits would be lost */
    CHECK(!pq_encode_cell(d9, "10000000.00", 11, out, &p, &n));   /* 10 digits > precision 9 */
    CHECK(!pq_encode_cell(d9, "1,00", 4, out, &p, &n));
    CHECK(!pq_encode_cell(d38, "", 0, out, &p, &n));
}

static int32_t le32_of(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int64_t le64_of(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static void test_cells(void)
{
    uint8_t out[16];
    const uint8_t *p;
    size_t n;
    plan_type date = {PT_DATE, 0, 0, 0}, ts = {PT_TIMESTAMP, 0, 0, 0}, i32 = {PT_INTEGER, 0, 0, 0},
              i64 = {PT_BIGINT, 0, 0, 0}, boo = {PT_BOOLEAN, 0, 0, 0}, text = {PT_TEXT, 0, 0, 0};
    CHECK(pq_encode_cell(date, "1970-01-01", 10, out, &p, &n) && n == 4 && le32_of(p) == 0);
    CHECK(pq_encode_cell(date, "0001-01-01", 10, out, &p, &n) && le32_of(p) == -719162);
    CHECK(pq_encode_cell(date, "9999-12-31", 10, out, &p, &n) && le32_of(p) == 2932896);
    CHECK(pq_encode_cell(date, "2024-02-29", 10, out, &p, &n) && le32_of(p) == 19782);
    CHECK(!pq_encode_cell(date, "2023-02-29", 10, out, &p, &n));
    CHECK(!pq_encode_cell(date, "2023-1-01", 9, out, &p, &n));
    CHECK(pq_encode_cell(ts, "1970-01-01 00:00:01.5", 21, out, &p, &n) && n == 8 && le64_of(p) == 1500000);
    CHECK(pq_encode_cell(ts, "1969-12-31T23:59:59.999999", 26, out, &p, &n) && le64_of(p) == -1);
    CHECK(pq_encode_cell(ts, "2024-02-29", 10, out, &p, &n) && le64_of(p) == 19782LL * 86400 * 1000000);
    CHECK(!pq_encode_cell(ts, "2024-02-29 24:00:00", 19, out, &p, &n));
    CHECK(pq_encode_cell(i32, "-2147483648", 11, out, &p, &n) && n == 4 && le32_of(p) == INT32_MIN);
    CHECK(!pq_encode_cell(i32, "2147483648", 10, out, &p, &n));
    CHECK(pq_encode_cell(i64, "-9223372036854775808", 20, out, &p, &n) && le64_of(p) == INT64_MIN);
    CHECK(pq_encode_cell(i64, "9223372036854775807", 19, out, &p, &n) && le64_of(p) == INT64_MAX);
    CHECK(!pq_encode_cell(i64, "9223372036854775808", 19, out, &p, &n));
    CHECK(!pq_encode_cell(i64, "12a", 3, out, &p, &n));
    CHECK(!pq_encode_cell(i64, "-", 1, out, &p, &n));
    CHECK(pq_encode_cell(boo, "true", 4, out, &p, &n) && n == 1 && p[0] == 1);
    CHECK(pq_encode_cell(boo, "false", 5, out, &p, &n) && p[0] == 0);
    CHECK(!pq_encode_cell(boo, "True", 4, out, &p, &n));
    CHECK(pq_encode_cell(text, "héllo", 6, out, &p, &n) && n == 6 && !memcmp(p, "héllo", 6));
}

static int cmp_cells(plan_type t, const char *a, const char *b)
{
    uint8_t fa[16], fb[16];
    const uint8_t *pa, *pb;
    size_t na, nb;
    if (!pq_encode_cell(t, a, strlen(a), fa, &pa, &na) || !pq_encode_cell(t, b, strlen(b), fb, &pb, &nb))
        return 99;
    return pq_value_cmp(t, pa, na, pb, nb);
}

static void test_stats_order(void)
{
    plan_type i32 = {PT_INTEGER, 0, 0, 0}, i64 = {PT_BIGINT, 0, 0, 0}, text = {PT_TEXT, 0, 0, 0},
              d38 = {PT_DECIMAL, 0, 38, 10}, d20 = {PT_DECIMAL, 0, 20, 0}, d9 = {PT_DECIMAL, 0, 9, 2},
              date = {PT_DATE, 0, 0, 0}, boo = {PT_BOOLEAN, 0, 0, 0};
    CHECK(cmp_cells(i32, "-1", "1") < 0);   /* bytewise, -1 (FF FF FF FF) would be largest */
    CHECK(cmp_cells(i32, "-2147483648", "2147483647") < 0);
    CHECK(cmp_cells(i32, "256", "255") > 0);  /* little-endian bytes compared as numbers */
    CHECK(cmp_cells(i64, "-9223372036854775808", "9223372036854775807") < 0);
    CHECK(cmp_cells(d9, "-0.01", "0.00") < 0);
    CHECK(cmp_cells(d38, "-0.0000000001", "0.0000000001") < 0);
    CHECK(cmp_cells(d38, "-9999999999999999999999999999.9999999999", "-1") < 0);
    CHECK(cmp_cells(d38, "9999999999999999999999999999.9999999999", "1") > 0);
    CHECK(cmp_cells(d20, "-2", "-1") < 0);
    CHECK(cmp_cells(d20, "255", "256") < 0);
    CHECK(cmp_cells(d20, "5", "5") == 0);
    CHECK(cmp_cells(date, "1969-12-31", "1970-01-01") < 0);
    CHECK(cmp_cells(date, "0001-01-01", "9999-12-31") < 0);
    CHECK(cmp_cells(boo, "false", "true") < 0);
    CHECK(cmp_cells(text, "é", "z") > 0);     /* unsigned bytes: C3 A9 > 7A */
    CHECK(cmp_cells(text, "ab", "abc") < 0);
    CHECK(cmp_cells(text, "", "a") < 0);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_writer(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/mapforge-test-parquet-%d.parquet", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    pq_column cols[3] = {{"NAME", {PT_TEXT, 0, 0, 0}}, {"AMOUNT", {PT_DECIMAL, 0, 38, 2}}, {"DAY", {PT_DATE, 0, 0, 0}}};
    mf_err e;
    mf_err_clear(&e);
    pq_writer *w = pq_writer_open(path, 3, cols, NULL, &e);
    CHECK(w != NULL);
    if (!w)
        return;
    const char *r1[3] = {"Zoë", "-12.50", "2024-02-29"}, *r2[3] = {NULL, NULL, NULL};
    size_t l1[3] = {4, 6, 10}, l2[3] = {0, 0, 0};
    CHECK(pq_write_row(w, r1, l1, &e) == 0);
    CHECK(pq_write_row(w, r2, l2, &e) == 0);
    CHECK(!file_exists(path));   /* atomic: nothing under the real name before close */
    CHECK_INT(pq_writer_rows(w), 2);
    CHECK(pq_writer_close(w, &e) == 0);
    size_t len = 0;
    char *data = mf_read_file(path, &len, &e);
    CHECK(data && len > 12);
    if (data && len > 12) {
        CHECK(!memcmp(data, "PAR1", 4) && !memcmp(data + len - 4, "PAR1", 4));
        uint32_t meta = (uint32_t)le32_of((const uint8_t *)data + len - 8);
        CHECK(meta > 0 && meta < len - 12);
        CHECK(memmem(data + len - 8 - meta, meta, "AMOUNT", 6) != NULL);   /* the schema is in the footer */
    }
    free(data);
    unlink(path);

    /* a bad cell: MF_EDATA naming row and column; abort leaves nothing */
    mf_err_clear(&e);
    w = pq_writer_open(path, 3, cols, NULL, &e);
    const char *bad[3] = {"x", "1.234", "2024-01-01"};
    size_t lb[3] = {1, 5, 10};
    CHECK(w && pq_write_row(w, bad, lb, &e) < 0);
    CHECK_INT(e.code, MF_EDATA);
    CHECK_INT(e.line, 1);
    CHECK_INT(e.col, 2);
    CHECK(strstr(e.msg, "AMOUNT") && strstr(e.msg, "1.234") && strstr(e.msg, "decimal(38,2)"));
    pq_writer_abort(w);
    CHECK(!file_exists(path));

    /* invalid UTF-8 in text is refused by the row API; an unsupported type at open */
    mf_err_clear(&e);
    w = pq_writer_open(path, 3, cols, NULL, &e);
    const char *badu[3] = {"\xC3(", NULL, NULL};
    size_t lu[3] = {2, 0, 0};
    CHECK(w && pq_write_row(w, badu, lu, &e) < 0 && e.code == MF_EDATA);
    pq_writer_abort(w);
    pq_column unk = {"X", {PT_UNKNOWN, 0, 0, 0}};
    mf_err_clear(&e);
    CHECK(pq_writer_open(path, 1, &unk, NULL, &e) == NULL && e.code == MF_ETYPE);
    CHECK(!file_exists(path));
}

/* The plans of the tests below: a source line in the ACME dialect, then the output and columns. */
#define TEST_SOURCE "source \"d.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"

/* Parse a test plan; a failure is counted and its message printed (-1: the test stops). */
static int parse_test_plan(const char *text, size_t n, plan *p)
{
    mf_err e = {0};
    CHECK_INT(plan_parse(text, n, "t.plan", p, &e), 0);
    if (e.code) {
        fprintf(stderr, "plan: %s\n", e.msg);
        return -1;
    }
    return 0;
}

/* pq_write_from_csv (mapforge parquet, and each run): booleans and timestamps convert; a CSV that is
 * not the plan's output — another column count, another name, a short row — is an error naming
 * the file, line and column, and nothing is written; bad options and a writer used after a
 * failure are refused. */
static void test_from_csv(void)
{
    static const char PLAN_TEXT[] =
        "plan T v1\n"
        TEST_SOURCE
        "output OUT\n\n"
        "ID    integer required = [Id] read as number\n"
        "OK    boolean          = [Ok] read as boolean (\"Y\" = true, \"N\" = false)\n"
        "AT    timestamp        = [At] read as YYYY-MM-DD\n";
    plan p;
    mf_err e = {0};
    if (parse_test_plan(PLAN_TEXT, sizeof PLAN_TEXT - 1, &p) < 0)
        return;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char csv[160], pq[160];
    snprintf(csv, sizeof csv, "%s/mapforge-test-pq-%d.csv", tmp, (int)getpid());
    snprintf(pq, sizeof pq, "%s/mapforge-test-pq-%d.parquet", tmp, (int)getpid());
    static const struct { const char *text; int line, col; const char *words; } C[] = {
        {"ID,OK,AT\n1,true,2024-02-29 13:45:00\n2,false,\n3,,2024-03-01T00:00:00.25Z\n4,true,0001-01-01\n", 0, 0, NULL},
        {"ID,OK,AT\n1,true,2024-02-29 24:00\n", 2, 3, "2024-02-29 24:00"},
        {"ID,OK\n1,true\n", 1, 0, "expected a header of the plan's 3 output columns, found 2"},
        {"ID,OK,WHEN\n1,true,2024-02-29 13:45:00\n", 1, 3, "expected column \"AT\""},
        {"ID,OK,AT\n1,true,2024-02-29 13:45:00\n2,false\n", 3, 0, "expected 3 fields, found 2"},
        {"ID,OK,AT\n1,maybe,\n", 2, 2, "maybe"},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        FILE *f = fopen(csv, "w");
        CHECK(f != NULL);
        if (!f)
            break;
        fputs(C[i].text, f);
        fclose(f);
        e = (mf_err){0};
        int rc = pq_write_from_csv(&p, csv, pq, NULL, &e);
        if (!C[i].words) {
            CHECK_INT(rc, 0);
            if (rc)
                fprintf(stderr, "from_csv case %zu: %s:%ld:%ld: %s\n", i, e.file, e.line, e.col, e.msg);
            size_t len = 0;
            char *data = mf_read_file(pq, &len, &e);
            CHECK(data && len > 12 && !memcmp(data, "PAR1", 4));
            free(data);
        } else {
            CHECK_INT(rc, -1);
            CHECK_INT(e.line, C[i].line);
            if (C[i].col)
                CHECK_INT(e.col, C[i].col);
            CHECK(strstr(e.file, "mapforge-test-pq-") != NULL);
            if (!strstr(e.msg, C[i].words))
                fprintf(stderr, "from_csv case %zu: \"%s\" lacks \"%s\"\n", i, e.msg, C[i].words), check_failures++;
            CHECK(!file_exists(pq));
        }
        unlink(pq);
    }
    unlink(csv);
    plan_free(&p);

    /* options out of range; a writer that failed refuses more rows */
    pq_column col = {"N", {PT_INTEGER, 0, 0, 0}};
    pq_options o;
    pq_options_default(&o);
    o.row_group_rows = 0;
    e = (mf_err){0};
    CHECK(pq_writer_open(pq, 1, &col, &o, &e) == NULL && e.code == MF_EUSAGE);
    CHECK(strstr(e.msg, "row_group_rows >= 1") != NULL);
    e = (mf_err){0};
    pq_writer *w = pq_writer_open(pq, 1, &col, NULL, &e);
    const char *bad[1] = {"x"}, *good[1] = {"1"};
    size_t l1[1] = {1};
    CHECK(w && pq_write_row(w, bad, l1, &e) < 0);
    e = (mf_err){0};
    CHECK(w && pq_write_row(w, good, l1, &e) < 0 && strstr(e.msg, "used after a failure"));
    e = (mf_err){0};
    CHECK(w && pq_writer_close(w, &e) < 0);
    CHECK(!file_exists(pq));
}

/* pq_stream (each run's Parquet copy): the records fed as the run writes them, in pieces of
 * whatever size, must give the very bytes pq_write_from_csv gives from the written CSV — quoted
 * fields with commas, doubled quotes and line ends, empty text vs null, Unicode, more than the
 * stream's ring of chunks holds, several row groups; a bad value or bad UTF-8 fails (at a write
 * or at close) and leaves no file; an abort leaves none; a one-column output's `""` is null. */
static void write_text(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(text, 1, n, f) == n);
        fclose(f);
    }
}

static int stream_pieces(pq_stream *s, const char *text, size_t n, unsigned seed, mf_err *e)
{
    size_t at = 0;
    while (at < n) {   /* whole records, 1 to ~400 at a time */
        seed = seed * 1103515245u + 12345u;
        size_t want = 1 + (seed >> 16) % 400, end = at;
        bool quoted = false;
        for (size_t k = 0; end < n && k < want; end++) {
            quoted ^= text[end] == '"';
            if (text[end] == '\n' && !quoted)
                k++;
        }
        if (pq_stream_write(s, text + at, end - at, e) < 0)
            return -1;
        at = end;
    }
    return 0;
}

static void test_stream(void)
{
    static const char PLAN_TEXT[] =
        "plan T v1\n"
        TEST_SOURCE
        "output OUT\n\n"
        "ID    integer required = [Id] read as number\n"
        "NAME  text(40)         = [Name]\n"
        "AMT   decimal(18,2)    = [Amt] read as number\n"
        "DAY   date             = [Day] read as YYYY-MM-DD\n";
    plan p;
    mf_err e = {0};
    if (parse_test_plan(PLAN_TEXT, sizeof PLAN_TEXT - 1, &p) < 0)
        return;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char csv[160], pq_a[160], pq_b[160];
    snprintf(csv, sizeof csv, "%s/mapforge-test-pqs-%d.csv", tmp, (int)getpid());
    snprintf(pq_a, sizeof pq_a, "%s/mapforge-test-pqs-a-%d.parquet", tmp, (int)getpid());
    snprintf(pq_b, sizeof pq_b, "%s/mapforge-test-pqs-b-%d.parquet", tmp, (int)getpid());
    static const char *names[] = {"plain", "\"with, comma\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "",
                                  "\"\"", "Zoë ∑", "\"\"\"\""};
    mf_buf text = {0};
    mf_buf_adds(&text, "ID,NAME,AMT,DAY\n");
    size_t body = text.len;
    for (int i = 0; i < 320000; i++)   /* ~14 MB: more than the ring's 3 x 4 MiB */
        mf_buf_printf(&text, "%d,%s,%s%d.%02d,%s\n", i, names[i % 8], i % 3 ? "-" : "", i * 7 % 100000, i % 100,
                      i % 5 ? "2024-02-29" : "");
    write_text(csv, text.data, text.len);
    pq_options o;
    pq_options_default(&o);
    o.row_group_rows = 100000;
    o.page_bytes = 64 * 1024;
    CHECK_INT(pq_write_from_csv(&p, csv, pq_a, &o, &e), 0);
    pq_column cols[4];
    for (int i = 0; i < 4; i++)
        cols[i] = (pq_column){p.cols[i].name, p.cols[i].type};
    pq_stream *s = pq_stream_open(pq_b, 4, cols, &o, &e);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(stream_pieces(s, text.data + body, text.len - body, 7, &e), 0);
        CHECK(!file_exists(pq_b));
        CHECK_INT(pq_stream_close(s, &e), 0);
    }
    size_t la = 0, lb = 0;
    char *a = mf_read_file(pq_a, &la, &e), *b = mf_read_file(pq_b, &lb, &e);
    CHECK(a && b && la > 1000 && la == lb && !memcmp(a, b, la));
    free(a);
    free(b);
    unlink(pq_a);
    unlink(pq_b);

    /* a value that is not of its column's type, 200,000 rows in: an error (from a write or from
     * close, whichever comes after the thread met it), MF_EDATA naming the value; no file */
    char *bad = strstr(text.data + body + 9000000, "\n") + 1;
    memcpy(strchr(bad, ',') + 1, "x", 1);
    for (char *q = strchr(bad, ',') + 1; *q != ','; q++)   /* NAME of that row: not quoted now */
        if (*q == '"' || *q == '\n')
            *q = 'q';
    char *amt = strchr(strchr(bad, ',') + 1, ',') + 1;
    amt[0] = 'z';
    e = (mf_err){0};
    s = pq_stream_open(pq_b, 4, cols, &o, &e);
    int rc = s ? stream_pieces(s, text.data + body, text.len - body, 11, &e) : -1;
    if (rc == 0)
        rc = pq_stream_close(s, &e);
    else
        pq_stream_abort(s);
    CHECK_INT(rc, -1);
    CHECK_INT(e.code, MF_EDATA);
    CHECK(strstr(e.msg, "column AMT") != NULL);
    CHECK(!file_exists(pq_b));

    /* invalid UTF-8; an abort midway */
    e = (mf_err){0};
    s = pq_stream_open(pq_b, 4, cols, &o, &e);
    CHECK(s && pq_stream_write(s, "1,\xC3(,1.00,\n", 12, &e) == 0);
    CHECK(s && pq_stream_close(s, &e) == -1 && e.code == MF_EDATA && strstr(e.msg, "UTF-8"));
    CHECK(!file_exists(pq_b));
    e = (mf_err){0};
    s = pq_stream_open(pq_b, 4, cols, &o, &e);
    CHECK(s && pq_stream_write(s, "1,a,1.00,\n", 10, &e) == 0);
    pq_stream_abort(s);
    CHECK(!file_exists(pq_b));
    mf_buf_free(&text);
    plan_free(&p);

    /* one text column: `""` is how the engine writes a null row; a record cut short is refused */
    static const char ONE[] = "plan T v1\n" TEST_SOURCE "output OUT\n\nNAME  text(10) = [Name]\n";
    if (parse_test_plan(ONE, sizeof ONE - 1, &p) < 0)
        return;
    static const char ONE_CSV[] = "NAME\nx\n\"\"\n\"a,b\"\n";
    write_text(csv, ONE_CSV, sizeof ONE_CSV - 1);
    CHECK_INT(pq_write_from_csv(&p, csv, pq_a, NULL, &e), 0);
    pq_column one = {p.cols[0].name, p.cols[0].type};
    s = pq_stream_open(pq_b, 1, &one, NULL, &e);
    CHECK(s && pq_stream_write(s, ONE_CSV + 5, sizeof ONE_CSV - 6, &e) == 0 && pq_stream_close(s, &e) == 0);
    a = mf_read_file(pq_a, &la, &e);
    b = mf_read_file(pq_b, &lb, &e);
    CHECK(a && b && la == lb && !memcmp(a, b, la));
    free(a);
    free(b);
    unlink(pq_b);
    e = (mf_err){0};
    s = pq_stream_open(pq_b, 1, &one, NULL, &e);
    CHECK(s && pq_stream_write(s, "\"open\n", 6, &e) == 0);
    CHECK(s && pq_stream_close(s, &e) == -1 && e.code == MF_EFORMAT && strstr(e.msg, "not closed"));
    CHECK(!file_exists(pq_b));
    unlink(pq_a);
    unlink(csv);
    plan_free(&p);
}

/* The level a run takes from MAPFORGE_PARQUET_ZSTD_LEVEL: default 1, a level, 0 = uncompressed,
 * anything else refused; the writer refuses a level out of range. */
static void test_level(void)
{
    pq_options o;
    mf_err e = {0};
    unsetenv("MAPFORGE_PARQUET_ZSTD_LEVEL");
    pq_options_default(&o);
    CHECK(pq_options_from_env(&o, &e) == 0 && o.zstd_level == 1 && o.codec == PQ_ZSTD && o.seal_into == NULL);
    setenv("MAPFORGE_PARQUET_ZSTD_LEVEL", "-3", 1);
    CHECK(pq_options_from_env(&o, &e) == 0 && o.zstd_level == -3 && o.codec == PQ_ZSTD);
    setenv("MAPFORGE_PARQUET_ZSTD_LEVEL", "0", 1);
    CHECK(pq_options_from_env(&o, &e) == 0 && o.codec == PQ_UNCOMPRESSED);
    static const char *bad[] = {"fast", "20", "-8", "3x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        e = (mf_err){0};
        setenv("MAPFORGE_PARQUET_ZSTD_LEVEL", bad[i], 1);
        CHECK(pq_options_from_env(&o, &e) == -1 && e.code == MF_EUSAGE && strstr(e.msg, bad[i]));
    }
    unsetenv("MAPFORGE_PARQUET_ZSTD_LEVEL");
    pq_options_default(&o);
    o.zstd_level = 20;
    pq_column col = {"N", {PT_INTEGER, 0, 0, 0}};
    e = (mf_err){0};
    CHECK(pq_writer_open("/nonexistent/x.parquet", 1, &col, &o, &e) == NULL && e.code == MF_EUSAGE &&
          strstr(e.msg, "zstd level"));
}

/* Decimals of up to 18 digits are read by a fast path; it must accept exactly what the general
 * reader (util/decimal.h) accepts, with the same value, for every shape of text. */
static void test_decimal_fast(void)
{
    static const char *texts[] = {"0", "-0", "1", "1.5", "1.55", "1.555", "-1.50", "00012.30", ".5", "5.", "-",
                                  "", "+1", "1e3", "1,000.00", " 1.00", "1.00 ", "--1", "1.-5", "1..5",
                                  "9999999.99", "-9999999.99", "10000000.00", "99999999999999.9999",
                                  "999999999999999999", "1000000000000000000", "123456789012345678.9",
                                  "0.000000000000000001", "-0.01", "12345678901234567.8"};
    static const int ps[][2] = {{9, 2}, {18, 4}, {18, 0}, {11, 2}, {18, 1}, {3, 3}, {18, 18}};
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        plan_type t = {PT_DECIMAL, 0, ps[k][0], ps[k][1]};
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            const char *x = texts[i];
            uint8_t out[16];
            const uint8_t *p;
            size_t n = 0;
            bool got = pq_encode_cell(t, x, strlen(x), out, &p, &n);
            mf_dec d;
            bool want = mf_dec_parse(x, strlen(x), &d) && mf_dec_rescale_exact(d, t.scale, &d) &&
                        mf_dec_digits(d) <= t.prec;
            if (got != want) {
                fprintf(stderr, "decimal(%d,%d) \"%s\": encoded %d, general reader %d\n", t.prec, t.scale, x, got, want);
                check_failures++;
                continue;
            }
            if (got) {
                int64_t v = n == 4 ? (int64_t)le32_of(p) : (int64_t)((uint64_t)le32_of(p) & 0xFFFFFFFFu) |
                                                             (int64_t)((uint64_t)le32_of(p + 4) << 32);
                CHECK_INT(n, t.prec <= 9 ? 4 : 8);
                if ((__int128)v != d.v)
                    fprintf(stderr, "decimal(%d,%d) \"%s\": %lld\n", t.prec, t.scale, x, (long long)v), check_failures++;
            }
        }
    }
}

int main(void)
{
    test_thrift();
    test_rle();
    test_decimal_bytes();
    test_cells();
    test_stats_order();
    test_writer();
    test_from_csv();
    test_stream();
    test_level();
    test_decimal_fast();
    CHECK_DONE();
}
