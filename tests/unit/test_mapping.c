/* test_mapping.c — the mapping stage: reading .xlsx/.csv, finding the mapping table, matching
 * source names to data columns.  Fixtures: tests/data/mapping/ (make_fixtures.py rebuilds them). */
#include "check.h"
#include "mapping/mapping.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#define D "tests/data/mapping/"

static const char *cell(const mf_sheet *s, int r, int c)
{
    if (!s || r >= s->nrows || c >= s->ncols)
        return "(outside)";
    return MF_SHEET_CELL(s, r, c);
}

static const mf_sheet *sheet_named(const mf_workbook *b, const char *name)
{
    for (int i = 0; i < b->nsheets; i++)
        if (!strcmp(b->sheet[i].name, name))
            return &b->sheet[i];
    return NULL;
}

static void test_xlsx_gl(void)
{
    mf_arena a;
    mf_arena_init(&a);
    mf_workbook b;
    mf_err e = {0};
    CHECK_INT(xlsx_read(D "gl_mapping.xlsx", &a, &b, &e), 0);
    CHECK_INT(b.nsheets, 3);
    const mf_sheet *m = sheet_named(&b, "Mapping");
    CHECK(m != NULL);
    CHECK_STR(cell(m, 0, 0), "ACME GL mapping v2");   /* merged title: top-left only */
    CHECK_STR(cell(m, 0, 1), "");
    CHECK_STR(cell(m, 3, 3), "Transformation Rule");
    CHECK_STR(cell(m, 11, 4), "TRUE");                 /* boolean cell */
    CHECK_INT(m ? m->nrows : 0, 13);
    CHECK_INT(m ? m->ncols : 0, 6);
    const mf_sheet *c = sheet_named(&b, "Currency Codes");
    CHECK_STR(cell(c, 1, 1), "1");
    CHECK_STR(cell(c, 1, 2), "0.00001");               /* written as 1e-05 */
    CHECK_STR(cell(c, 1, 3), "100000000000000000000"); /* written as 1e+20 */
    CHECK_STR(cell(c, 1, 4), "10");
    CHECK_STR(cell(c, 2, 1), "1.1");
    CHECK_STR(cell(c, 2, 2), "-0.25");
    CHECK_STR(cell(c, 2, 4), "0");
    CHECK_STR(cell(c, 3, 1), "0.0065");
    CHECK_STR(cell(c, 3, 2), "");                      /* absent cell */
    mf_arena_free(&a);
}

static void test_xlsx_rich(void)
{
    mf_arena a;
    mf_arena_init(&a);
    mf_workbook b;
    mf_err e = {0};
    CHECK_INT(xlsx_read(D "rich.xlsx", &a, &b, &e), 0);
    if (e.code)
        fprintf(stderr, "%s: %s\n", e.file, e.msg);
    CHECK_INT(b.nsheets, 1);
    const mf_sheet *s = b.nsheets ? &b.sheet[0] : NULL;
    CHECK_STR(s ? s->name : NULL, "Map & Rules");
    CHECK_STR(cell(s, 1, 0), "Source Field");          /* runs joined, phonetic run dropped */
    CHECK_STR(cell(s, 1, 1), "  Target  ");            /* xml:space="preserve" */
    CHECK_STR(cell(s, 1, 4), "Rule");                  /* inline string with runs */
    CHECK_STR(cell(s, 3, 0), "a<b&c");
    CHECK_STR(cell(s, 3, 1), "A<B&C");                 /* formula: cached t="str" value */
    CHECK_STR(cell(s, 3, 4), "10");                    /* formula: cached number 10.0 */
    CHECK_STR(cell(s, 4, 0), "TRUE");
    CHECK_STR(cell(s, 4, 1), "#N/A");
    CHECK_STR(cell(s, 4, 4), "-150");                  /* -1.50E+2 */
    CHECK_INT(s ? s->nrows : 0, 5);                    /* the empty styled Z9 does not count */
    CHECK_INT(s ? s->ncols : 0, 5);
    mf_arena_free(&a);
}

static void expect_fail(const char *path, mf_code code, const char *part1, const char *part2)
{
    mapping m;
    mf_err e = {0};
    int rc = mapping_read(path, &m, &e);
    CHECK_INT(rc, -1);
    CHECK_INT(e.code, code);
    CHECK_STR(e.file, path);
    char buf[2048];
    mf_err_format(&e, buf, sizeof buf);
    if (part1 && !strstr(buf, part1)) {
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", buf, part1);
        CHECK(0);
    }
    if (part2 && !strstr(buf, part2)) {
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", buf, part2);
        CHECK(0);
    }
}

static void test_bad_input(void)
{
    expect_fail(D "text.xlsx", MF_EFORMAT, "is not an .xlsx workbook (not a zip archive)", NULL);
    expect_fail(D "encrypted.xlsx", MF_EFORMAT, "is encrypted or a legacy .xls workbook",
                "unencrypted .xlsx");
    expect_fail(D "malformed.xlsx", MF_EFORMAT, "xl/worksheets/sheet1.xml:3:", "malformed XML");
    expect_fail(D "missing_sheet.xlsx", MF_EFORMAT, "xl/worksheets/sheet1.xml", "missing");
    expect_fail(D "no_workbook.xlsx", MF_EFORMAT, "xl/workbook.xml", "missing");
    expect_fail(D "bad_sst.xlsx", MF_EFORMAT, "Mapping!B2", "out of range");
    expect_fail(D "no_header.xlsx", MF_EPARSE, "\"Sheet1\", \"Notes\"", "Target Field");
    expect_fail(D "does_not_exist.xlsx", MF_EIO, "cannot open", NULL);

    /* xlsx_read directly on a text file and on the OLE2 file */
    mf_arena a;
    mf_arena_init(&a);
    mf_workbook b;
    mf_err e = {0};
    CHECK_INT(xlsx_read(D "text.xlsx", &a, &b, &e), -1);
    CHECK(strstr(e.msg, "is not an .xlsx workbook (not a zip archive)") != NULL);
    mf_err_clear(&e);
    CHECK_INT(xlsx_read(D "encrypted.xlsx", &a, &b, &e), -1);
    CHECK(strstr(e.msg, "encrypted") != NULL);
    mf_arena_free(&a);
}

static void test_mapping_gl(void)
{
    mapping m;
    mf_err e = {0};
    CHECK_INT(mapping_read(D "gl_mapping.xlsx", &m, &e), 0);
    if (e.code)
        fprintf(stderr, "%s: %s\n", e.file, e.msg);
    CHECK_STR(m.sheet, "Mapping");
    CHECK_INT(m.header_row, 4);
    CHECK_STR(m.output_name, "GL_ENTRIES");
    CHECK_INT(m.nrows, 7);   /* blank spacer rows skipped, rule-only row kept */
    if (m.nrows == 7) {
        map_row *r = m.rows;
        CHECK_INT(r[0].row, 5);
        CHECK_STR(r[0].cellref, "Mapping!A5");
        CHECK_STR(r[0].source, "Acct No");
        CHECK_STR(r[0].target, "ACCOUNT_ID");
        CHECK_STR(r[0].type, "VARCHAR(10)");
        CHECK_STR(r[0].rule, "Left-pad with zeros to 10 characters");
        CHECK(r[0].mandatory);
        CHECK_INT(r[0].nsources, 1);
        CHECK_STR(r[1].comments, "US dates");
        CHECK(r[1].mandatory);
        CHECK_INT(r[2].row, 9);  /* after two blank spacer rows */
        CHECK(!r[2].mandatory);
        CHECK_INT(r[3].nsources, 2);
        CHECK_STR(r[3].sources[0], "First Name");
        CHECK_STR(r[3].sources[1], "Last Name");
        CHECK_INT(r[4].nsources, 1);   /* "Dr/Cr" is one field */
        CHECK_STR(r[4].sources[0], "Dr/Cr");
        CHECK(r[4].mandatory);         /* "x" */
        CHECK_INT(r[5].nsources, 2);
        CHECK_STR(r[5].sources[0], "Ccy");
        CHECK_STR(r[5].sources[1], "Amt");
        CHECK(r[5].mandatory);         /* TRUE */
        CHECK_STR(r[6].source, "");
        CHECK_INT(r[6].nsources, 0);
        CHECK_STR(r[6].target, "");
        CHECK_STR(r[6].rule, "Exclude rows where Status is VOID");
    }
    const mf_sheet *s = mapping_find_sheet(&m, "currency_codes");
    CHECK(s != NULL);
    CHECK_STR(cell(s, 2, 0), "EUR");
    CHECK(mapping_find_sheet(&m, "CURRENCY-CODES ") == s);
    CHECK(mapping_find_sheet(&m, "Currencies") == NULL);
    CHECK_INT(strlen(m.sha256), 64);

    /* same content with inline strings: same hash; one lookup cell edited: another hash */
    mapping m2, m3;
    CHECK_INT(mapping_read(D "gl_mapping_inline.xlsx", &m2, &e), 0);
    CHECK_INT(mapping_read(D "gl_mapping_edited.xlsx", &m3, &e), 0);
    CHECK_STR(m2.sha256, m.sha256);
    CHECK(strcmp(m3.sha256, m.sha256) != 0);
    mapping_free(&m);
    mapping_free(&m2);
    mapping_free(&m3);
}

static void test_mapping_inline_headers(void)
{
    mapping m;
    mf_err e = {0};
    CHECK_INT(mapping_read(D "inline.xlsx", &m, &e), 0);
    CHECK_INT(m.header_row, 1);
    CHECK_STR(m.output_name, "CUSTOMERS");   /* from the Target Table column */
    CHECK_INT(m.nrows, 3);
    if (m.nrows == 3) {
        CHECK_STR(m.rows[0].source, "cust_id");
        CHECK_STR(m.rows[0].target, "CUSTOMER_ID");
        CHECK_STR(m.rows[0].type, "Integer");
        CHECK_STR(m.rows[0].rule, "Copy");
        CHECK_STR(m.rows[0].comments, "key");
        CHECK(m.rows[0].mandatory);    /* Nullable = N */
        CHECK(!m.rows[1].mandatory);   /* Nullable = Y */
        CHECK(m.rows[2].mandatory);    /* Nullable = n */
        CHECK_INT(m.rows[2].nsources, 2);
        CHECK_STR(m.rows[2].sources[1], "city");
    }
    mapping_free(&m);

    CHECK_INT(mapping_read(D "two_tables.xlsx", &m, &e), 0);
    CHECK_STR(m.sheet, "Field Map");     /* richer header beats the From/To lookup */
    CHECK_INT(m.header_row, 2);
    CHECK_STR(m.output_name, "TRADES");
    CHECK_INT(m.nrows, 2);
    if (m.nrows == 2) {
        CHECK_STR(m.rows[0].cellref, "Field Map!A3");
        CHECK(m.rows[0].mandatory);      /* M/O = M */
        CHECK(!m.rows[1].mandatory);     /* M/O = O */
        CHECK_STR(m.rows[1].type, "Integer");
    }
    CHECK(mapping_find_sheet(&m, "codes") != NULL);
    mapping_free(&m);
}

static void test_mapping_csv(void)
{
    mapping m;
    mf_err e = {0};
    CHECK_INT(mapping_read(D "mapping.csv", &m, &e), 0);
    if (e.code)
        fprintf(stderr, "%s:%ld: %s\n", e.file, e.line, e.msg);
    CHECK_STR(m.sheet, "mapping");
    CHECK_INT(m.header_row, 3);
    CHECK_STR(m.output_name, "CUSTOMERS");
    CHECK_INT(m.nrows, 3);
    if (m.nrows == 3) {
        CHECK_STR(m.rows[0].source, "cust_no");
        CHECK(m.rows[0].mandatory);
        CHECK_STR(m.rows[1].source, "Name; full");   /* quoted: one field */
        CHECK_STR(m.rows[1].rule, "Trim \"both\" sides");
        CHECK_STR(m.rows[1].comments, "multi\nline");
        CHECK(!m.rows[1].mandatory);
        CHECK_STR(m.rows[2].rule, "Join with \", \"");
        CHECK_INT(m.rows[2].nsources, 2);
        CHECK_INT(m.rows[2].row, 8);                 /* physical line, after a 2-line record */
        CHECK_STR(m.rows[2].cellref, "mapping!A8");
    }
    mapping_free(&m);
}

/* Write text to a temporary .csv file; returns its path (caller unlinks). */
static void write_tmp(char path[64], const char *text)
{
    snprintf(path, 64, "/tmp/test_mapping_XXXXXX.csv");
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static void test_header_names(void)
{
    static const char *const src[] = {"Source Field", "Src Column", "Client Column", "Source",
                                      "SOURCE_COLUMN", "Client Field", "Input Field", "From"};
    static const char *const tgt[] = {"Target", "Target Field", "Dest Column", "Destination",
                                      "Standard Column", "target_column", "Output Field", "To"};
    static const char *const typ[] = {"Type", "Datatype", "Data Type", "Target Data Type",
                                      "Format"};
    static const char *const rul[] = {"Rule", "Transformation", "Transformation Rule", "Logic",
                                      "Business Rule", "Mapping Rule", "Derivation"};
    static const char *const man[] = {"Mandatory", "Required", "M/O", "Mandatory (Y/N)"};
    static const char *const com[] = {"Comments", "Notes", "Remarks"};
    for (int i = 0; i < 8; i++) {
        char text[512], path[64];
        snprintf(text, sizeof text,
                 "Title row\n\n%s,%s,%s,%s,%s,%s\nc%d,S%d,Copy,T%d,Date,Y\n", com[i % 3],
                 src[i], rul[i % 7], tgt[i], typ[i % 5], man[i % 4], i, i, i);
        write_tmp(path, text);
        mapping m;
        mf_err e = {0};
        int rc = mapping_read(path, &m, &e);
        CHECK_INT(rc, 0);
        if (rc == 0) {
            CHECK_INT(m.header_row, 3);
            CHECK_INT(m.nrows, 1);
            char want[16];
            snprintf(want, sizeof want, "S%d", i);
            CHECK_STR(m.rows[0].source, want);
            snprintf(want, sizeof want, "T%d", i);
            CHECK_STR(m.rows[0].target, want);
            CHECK_STR(m.rows[0].type, "Date");
            CHECK_STR(m.rows[0].rule, "Copy");
            CHECK(m.rows[0].mandatory);
            snprintf(want, sizeof want, "c%d", i);
            CHECK_STR(m.rows[0].comments, want);
            CHECK(m.output_name == NULL);
            mapping_free(&m);
        } else {
            fprintf(stderr, "  header %s / %s: %s\n", src[i], tgt[i], e.msg);
        }
        unlink(path);
    }
    /* "Target Table GL_X" title without a colon; source text that is a sentence is not split */
    char path[64];
    write_tmp(path, "Target Table GL_X\nFrom;To\n\"take Amount and add Fee when the day is a holiday\";X\n");
    mapping m;
    mf_err e = {0};
    CHECK_INT(mapping_read(path, &m, &e), 0);
    CHECK_STR(m.output_name, "GL_X");
    CHECK_INT(m.nrows, 1);
    if (m.nrows == 1)
        CHECK_INT(m.rows[0].nsources, 1);
    mapping_free(&m);
    unlink(path);
    /* bare "Source" (the system) next to "Source Field"; the header repeated mid-table */
    write_tmp(path, "Source,Source Field,Target Field\nSAP,BUKRS,COMPANY\n"
                    "Source,Source Field,Target Field\nSAP,BELNR,DOC_NO\n");
    mf_err_clear(&e);
    CHECK_INT(mapping_read(path, &m, &e), 0);
    CHECK_INT(m.nrows, 2);
    if (m.nrows == 2) {
        CHECK_STR(m.rows[0].source, "BUKRS");
        CHECK_STR(m.rows[1].source, "BELNR");
        CHECK_STR(m.rows[1].cellref, m.sheet[0] ? mf_arena_printf(&m.arena, "%s!B4", m.sheet) : "");
    }
    mapping_free(&m);
    unlink(path);
    /* a truncated workbook */
    FILE *in = fopen(D "gl_mapping.xlsx", "rb");
    char buf[1000];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (in)
        fclose(in);
    snprintf(path, sizeof path, "/tmp/test_mapping_XXXXXX.xlsx");
    int fd = mkstemps(path, 5);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, buf, n) == (ssize_t)n);
        close(fd);
        mf_err_clear(&e);
        CHECK_INT(mapping_read(path, &m, &e), -1);
        CHECK_INT(e.code, MF_EFORMAT);
        unlink(path);
    }
}

static void test_match(void)
{
    const char *h[] = {"Account Number", "POSTING_DATE", "amt", "Dr/Cr", "Customer Name",
                       "Txn Ref", "Qty", "Description"};
    int n = 8;
    map_match r = mapping_match_column("POSTING_DATE", h, n);
    CHECK_INT(r.col, 1);
    CHECK(r.confidence == 1.0);
    CHECK_STR(r.how, "exact");

    r = mapping_match_column("Posting Date", h, n);
    CHECK_INT(r.col, 1);
    CHECK(r.confidence == 0.95);
    CHECK_STR(r.how, "case and punctuation");

    r = mapping_match_column("dr / cr", h, n);
    CHECK_INT(r.col, 3);
    CHECK(r.confidence == 0.95);

    r = mapping_match_column("Acct No", h, n);
    CHECK_INT(r.col, 0);
    CHECK(r.confidence == 0.85);
    CHECK_STR(r.how, "abbreviation");

    r = mapping_match_column("Acct #", h, n);
    CHECK_INT(r.col, 0);
    CHECK_STR(r.how, "abbreviation");

    r = mapping_match_column("TransactionReference", h, n);
    CHECK_INT(r.col, 5);
    CHECK_STR(r.how, "abbreviation");

    r = mapping_match_column("Amount", h, n);
    CHECK_INT(r.col, 2);
    CHECK_STR(r.how, "abbreviation");

    r = mapping_match_column("Custmer Name", h, n);   /* typo */
    CHECK_INT(r.col, 4);
    CHECK_STR(r.how, "similar spelling");
    CHECK(r.confidence >= 0.6 && r.confidence < 0.8);

    r = mapping_match_column("Name of Customer", h, n);   /* word order */
    CHECK_INT(r.col, 4);
    CHECK(r.confidence < 0.8);

    r = mapping_match_column("Settlement Currency", h, n);
    CHECK_INT(r.col, -1);
    CHECK(r.confidence < 0.6);

    r = mapping_match_column("Quantity", h, n);
    CHECK_INT(r.col, 6);
    CHECK(r.confidence == 0.85);

    /* ambiguity: two columns equal ignoring case -> lower confidence; exact is preferred */
    const char *dup[] = {"amount", "AMOUNT", "Amount"};
    r = mapping_match_column("Amount", dup, 3);
    CHECK_INT(r.col, 2);
    CHECK(r.confidence == 1.0);
    r = mapping_match_column("amount ", dup, 2);
    CHECK_INT(r.col, 0);
    CHECK(r.confidence < 0.95);

    r = mapping_match_column("x", h, 0);
    CHECK_INT(r.col, -1);
}

int main(void)
{
    test_xlsx_gl();
    test_xlsx_rich();
    test_bad_input();
    test_mapping_gl();
    test_mapping_inline_headers();
    test_mapping_csv();
    test_header_names();
    test_match();
    CHECK_DONE();
}
