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

/* Header rows as analysts and public specification templates write them (the corpus's and
 * others'), in shuffled column orders: recognised by their words, not by a list of strings. */
static void test_header_layouts(void)
{
    static const struct {
        const char *cells[6];          /* source, target, type, rule, mandatory, comments ("" = absent) */
        char delim;
    } h[] = {
        {{"Src", "Target", "Type", "Rule", "Mand", ""}, ','},
        {{"Src", "Dest Column", "Type", "Logic", "Mand.", ""}, ';'},
        {{"Client Field", "Standard Field", "Data Type", "Business Rule", "Mandatory (Y/N)", "Comments"}, ','},
        {{"Source Column", "Target", "Format", "Mapping Rule", "Mandatory", "Comments"}, ','},
        {{"Source Column", "Target Column", "Data Type", "Transformation (SQL)", "", "Notes"}, ','},
        {{"Source", "Dest Column", "Type", "Formula / Rule", "Mandatory (Y/N)", ""}, '\t'},
        {{"Source field", "Target field", "Type of data", "Rule for transform", "Obligatory", "Remark"}, ','},
        {{"Legacy Column", "Output Name", "Datatype", "Derivation", "M/O", "Remarks"}, ','},
        {{"Source Variable", "Destination Field", "Data Type", "Mapping Algorithm", "Required", "Comment field"}, ','},
        {{"Variable", "Label", "Type", "Annotation", "", ""}, ','},
        {{"From Field", "To Field", "Target Data Type", "Transformation Logic", "Req", "Notes"}, ';'},
        {{"Input Attribute", "Target Attribute", "Format", "Calculation", "Not Null", ""}, ','},
    };
    static const int order[][6] = {{0, 1, 2, 3, 4, 5}, {3, 0, 5, 1, 2, 4}, {5, 4, 3, 2, 1, 0}};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        const int *o = order[i % 3];
        static const char *const val[6] = {"ACCT_NO", "ACCOUNT_ID", "Date", "copy it", "Y", "a note"};
        char text[1024];
        size_t n = (size_t)snprintf(text, sizeof text, "Mapping for client X\n\n");
        for (int pass = 0; pass < 2; pass++) {
            int first = 1;
            for (int k = 0; k < 6; k++) {
                const char *c = h[i].cells[o[k]];
                if (!*c)
                    continue;
                n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", first ? "" : (char[]){h[i].delim, 0},
                                      pass ? val[o[k]] : c);
                first = 0;
            }
            n += (size_t)snprintf(text + n, sizeof text - n, "\n");
        }
        char path[64];
        write_tmp(path, text);
        mapping m;
        mf_err e = {0};
        int rc = mapping_read(path, &m, &e);
        CHECK_INT(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "  header %zu (%s / %s): %s\n", i, h[i].cells[0], h[i].cells[1], e.msg);
            unlink(path);
            continue;
        }
        CHECK_INT(m.header_row, 3);
        CHECK_INT(m.nrows, 1);
        if (m.nrows == 1) {
            const map_row *r = &m.rows[0];
            if (strcmp(r->source, "ACCT_NO") || strcmp(r->target, "ACCOUNT_ID"))
                fprintf(stderr, "  header %zu: source '%s' target '%s'\n", i, r->source, r->target);
            CHECK_STR(r->source, "ACCT_NO");
            CHECK_STR(r->target, "ACCOUNT_ID");
            CHECK_STR(r->type, "Date");
            CHECK_STR(r->rule, "copy it");
            CHECK_INT(r->kind, MAP_COLUMN);
            CHECK(r->mandatory == (*h[i].cells[4] != 0));
            CHECK_STR(r->comments, *h[i].cells[5] ? "a note" : "");
        }
        mapping_free(&m);
        unlink(path);
    }
}

/* What each row under the header is: columns, notes lines, not-mapped rows, filter-only rows,
 * rules in Comments, NOT NULL in the type, placeholder sources, a target over several rows. */
static void test_row_kinds(void)
{
    char path[64];
    write_tmp(path,
              "AP payment run - field map v2\n"                                   /* 1 title */
              "\n"
              "Src,Target,Type,Rule,Mand,Comments\n"                              /* 3 header */
              "PAY_DOC,PAYMENT_DOC,VARCHAR(10) NOT NULL,As is,,\n"                /* 4 */
              "-,SOURCE_SYSTEM,VARCHAR(10),Const 'SAP',N,\n"                      /* 5 */
              "(calc),NET,\"DECIMAL(18,2) null\",GROSS - TAX,N,\n"                /* 6 */
              "REC,-,,Not mapped,,\n"                                             /* 7 */
              "Batch,N/A,,,,not needed\n"                                         /* 8 */
              "Fax,FAX_NO,Text,NOT SUBMITTED,,\n"                                 /* 9 */
              "Phone,PHONE,Text,N/A \xE2\x80\x93 not required,,\n"                /* 10 */
              "NBV,Not mapped,,See NET above; the client's figure is not used.,,\n" /* 11 */
              "STATUS,,,Filter only - see below,,\n"                             /* 12 */
              "Werk,,,filter: drop Werk 9999 (test plant),,\n"                    /* 13 */
              "Cost Center,COST_CENTER,Text,,N,\"Copy; where blank, use 'CORP'\"\n" /* 14 */
              "Plan,COMP_PLAN,Text,see comments,N,same as source but 'STD' when empty\n" /* 15 */
              "Code,KIND,Text,A = Alpha,N,\n"                                     /* 16 */
              ",,,B = Beta,,\n"                                                   /* 17 continues 16 */
              "Extra,KIND,,else Other,,\n"                                        /* 18 same target */
              "BIC\n"                                                             /* 19 lone source */
              "\n"
              "\"Load STATUS = PAID only. Skip trailer rec (REC = T, last line).\"\n"); /* 21 */
    mapping m;
    mf_err e = {0};
    int rc = mapping_read(path, &m, &e);
    CHECK_INT(rc, 0);
    unlink(path);
    if (rc != 0)
        return;
    static const struct { int row; map_row_kind kind; const char *source, *target, *type, *rule; } want[] = {
        {4, MAP_COLUMN, "PAY_DOC", "PAYMENT_DOC", "VARCHAR(10)", "As is"},
        {5, MAP_COLUMN, "", "SOURCE_SYSTEM", "VARCHAR(10)", "Const 'SAP'"},
        {6, MAP_COLUMN, "", "NET", "DECIMAL(18,2)", "GROSS - TAX"},
        {7, MAP_UNMAPPED, "REC", "", "", "Not mapped"},
        {8, MAP_UNMAPPED, "Batch", "", "", "not needed"},
        {9, MAP_UNMAPPED, "Fax", "FAX_NO", "Text", "NOT SUBMITTED"},
        {10, MAP_UNMAPPED, "Phone", "PHONE", "Text", "N/A \xE2\x80\x93 not required"},
        {11, MAP_UNMAPPED, "NBV", "", "", "See NET above; the client's figure is not used."},
        {12, MAP_FILTER_REF, "STATUS", "", "", "Filter only - see below"},
        {13, MAP_STATEMENT, "Werk", "", "", "filter: drop Werk 9999 (test plant)"},
        {14, MAP_COLUMN, "Cost Center", "COST_CENTER", "Text", "Copy; where blank, use 'CORP'"},
        {15, MAP_COLUMN, "Plan", "COMP_PLAN", "Text", "same as source but 'STD' when empty"},
        {16, MAP_COLUMN, "Code, Extra", "KIND", "Text", "A = Alpha\nB = Beta\nelse Other"},
        {19, MAP_UNMAPPED, "BIC", "", "", ""},
        {21, MAP_NOTE, "", "", "", "Load STATUS = PAID only. Skip trailer rec (REC = T, last line)."},
    };
    int nw = (int)(sizeof want / sizeof want[0]);
    CHECK_INT(m.nrows, nw);
    for (int i = 0; i < nw && i < m.nrows; i++) {
        const map_row *r = &m.rows[i];
        if (r->row != want[i].row || r->kind != want[i].kind)
            fprintf(stderr, "  row %d: kind %d (want row %d kind %d)\n", r->row, r->kind, want[i].row, want[i].kind);
        CHECK_INT(r->row, want[i].row);
        CHECK_INT(r->kind, want[i].kind);
        CHECK_STR(r->source, want[i].source);
        CHECK_STR(r->target, want[i].target);
        CHECK_STR(r->type, want[i].type);
        CHECK_STR(r->rule, want[i].rule);
    }
    if (m.nrows == nw) {
        CHECK(m.rows[0].mandatory);          /* NOT NULL in the type */
        CHECK(!m.rows[2].mandatory);         /* NULL */
        CHECK_INT(m.rows[1].nsources, 0);    /* "-" */
        CHECK_INT(m.rows[2].nsources, 0);    /* "(calc)" */
        CHECK(m.rows[10].rule_from_comments);
        CHECK(!m.rows[11].rule_from_comments);
        CHECK_INT(m.rows[12].nsources, 2);   /* both rows' sources */
        CHECK_STR(m.rows[12].sources[1], "Extra");
        CHECK_STR(m.rows[14].cellref, mf_arena_printf(&m.arena, "%s!A21", m.sheet));
    }
    mapping_free(&m);

    /* Length and Default Value columns complete the type and the rule; a "Transformation Type"
     * (Direct/Derived) column is not the rule; a bare "Field Name" is the source */
    write_tmp(path, "Field Name,Target Field,Data Type,Length,Default Value,Transformation Type,Transformation Rule\n"
                    "CCY,CURRENCY,Varchar,3,USD,Direct,Upper case\n"
                    "AMT,AMOUNT,Decimal,\"18,2\",-,Derived,As is\n"
                    "NOTE,NOTE,,40,,Direct,\n");
    CHECK_INT(mapping_read(path, &m, &e), 0);
    unlink(path);
    CHECK_INT(m.nrows, 3);
    if (m.nrows == 3) {
        CHECK_STR(m.rows[0].source, "CCY");
        CHECK_STR(m.rows[0].type, "Varchar(3)");
        CHECK_STR(m.rows[0].rule, "Upper case; if blank then 'USD'");
        CHECK_STR(m.rows[1].type, "Decimal(18,2)");
        CHECK_STR(m.rows[1].rule, "As is");
        CHECK_STR(m.rows[2].type, "Text(40)");
    }
    mapping_free(&m);

    /* notes written across cells, in the target's column, or in the rule's column after a gap */
    write_tmp(path, "Source,Target,Rule\nAmt,AMOUNT,copy\n\nFilter:,Status = 'A' only,\n"
                    ",Totals must agree with the ledger and be signed off.,\n,,2. Ignore the trailer row.\n");
    CHECK_INT(mapping_read(path, &m, &e), 0);
    unlink(path);
    CHECK_INT(m.nrows, 4);
    if (m.nrows == 4) {
        CHECK_INT(m.rows[1].kind, MAP_NOTE);
        CHECK_STR(m.rows[1].rule, "Filter: Status = 'A' only");
        CHECK_INT(m.rows[2].kind, MAP_NOTE);
        CHECK_INT(m.rows[3].kind, MAP_NOTE);
        CHECK_STR(m.rows[3].rule, "2. Ignore the trailer row.");
    }
    mapping_free(&m);

    /* a target spread over rows without merged cells: the next row has a source and a rule that
     * goes on, no target; a row about rows right under it stays a statement */
    write_tmp(path, "Source,Target,Rule\nFirst,FULL_NAME,Concatenate First\nLast,,and Last with a space\n"
                    "Status,,Exclude rows where Status is VOID\n");
    CHECK_INT(mapping_read(path, &m, &e), 0);
    unlink(path);
    CHECK_INT(m.nrows, 2);
    if (m.nrows == 2) {
        CHECK_STR(m.rows[0].rule, "Concatenate First\nand Last with a space");
        CHECK_INT(m.rows[0].nsources, 2);
        CHECK_INT(m.rows[1].kind, MAP_STATEMENT);
    }
    mapping_free(&m);

    /* a two-row header: group labels over sub-labels */
    write_tmp(path, "Target: not a title,,,,\nSource,,Target,,Rule\nTable,Field,Table,Field,\nGL,ACCT,DWH,ACCOUNT_ID,copy\n");
    CHECK_INT(mapping_read(path, &m, &e), 0);
    unlink(path);
    CHECK_INT(m.header_row, 3);
    CHECK_INT(m.nrows, 1);
    if (m.nrows == 1) {
        CHECK_STR(m.rows[0].source, "ACCT");
        CHECK_STR(m.rows[0].target, "ACCOUNT_ID");
        CHECK_STR(m.rows[0].rule, "copy");
    }
    mapping_free(&m);

    /* a rule-only row under a column row that is a rule of its own stays a statement */
    write_tmp(path, "Source,Target,Rule\nAmt,AMOUNT,copy\n,,Exclude rows where Status is VOID\n");
    CHECK_INT(mapping_read(path, &m, &e), 0);
    unlink(path);
    CHECK_INT(m.nrows, 2);
    if (m.nrows == 2) {
        CHECK_INT(m.rows[1].kind, MAP_STATEMENT);
        CHECK_STR(m.rows[0].rule, "copy");
    }
    mapping_free(&m);
}

/* A target spread over two rows by merged cells; a merged notes line stays one cell. */
static void test_merged_rows(void)
{
    mapping m;
    mf_err e = {0};
    CHECK_INT(mapping_read(D "spread.xlsx", &m, &e), 0);
    CHECK_INT(m.header_row, 1);
    CHECK_INT(m.nrows, 4);
    if (m.nrows == 4) {
        CHECK_STR(m.rows[0].target, "CUSTOMER_ID");
        CHECK_STR(m.rows[1].target, "FULL_NAME");
        CHECK_INT(m.rows[1].row, 3);
        CHECK_INT(m.rows[1].nsources, 2);
        CHECK_STR(m.rows[1].sources[1], "LAST");
        CHECK_STR(m.rows[1].type, "Text(60)");
        CHECK_STR(m.rows[1].rule, "Concatenate FIRST\nand LAST with a space");
        CHECK_INT(m.rows[2].kind, MAP_UNMAPPED);
        CHECK_STR(m.rows[2].source, "FAX");
        CHECK_INT(m.rows[3].kind, MAP_NOTE);
        CHECK_STR(m.rows[3].rule, "Exclude rows where STATUS = 'X'");
    }
    mapping_free(&m);
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

/* A mapping written as CSV: its bytes decoded (UTF-8 with a BOM, Windows-1252), and each way the
 * file can be refused — an open quote, NUL bytes, a file past MAP_CSV_MAX (a sparse file), and a
 * grid spanning far more cells than the file holds values (docs/limits.md). */
static void write_bytes(char path[64], const char *data, size_t n)
{
    snprintf(path, 64, "/tmp/test_mapping_XXXXXX.csv");
    int fd = mkstemps(path, 4);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
}

static void test_csv_bytes_and_limits(void)
{
    static const char HEAD[] = "Source Field,Target Field,Type\nRef,REF,Varchar(10)\n";
    char path[64];
    mapping m;
    mf_err e = {0};

    /* a BOM is dropped; Windows-1252 bytes become UTF-8 ("\xE9" is e-acute, "\x80" the euro sign) */
    char bom[200];
    snprintf(bom, sizeof bom, "\xEF\xBB\xBF%sCaf\xC3\xA9,CAFE,Varchar(4)\n", HEAD);
    write_bytes(path, bom, strlen(bom));
    CHECK_INT(mapping_read(path, &m, &e), 0);
    if (!e.code) {
        CHECK_INT(m.nrows, 2);
        CHECK_STR(m.rows[0].source, "Ref");
        CHECK_STR(m.rows[1].source, "Caf\xC3\xA9");
        mapping_free(&m);
    }
    unlink(path);
    char cp[200];
    snprintf(cp, sizeof cp, "%sCaf\xE9 \x80,CAFE,Varchar(4)\n", HEAD);
    write_bytes(path, cp, strlen(cp));
    e = (mf_err){0};
    CHECK_INT(mapping_read(path, &m, &e), 0);
    if (!e.code) {
        CHECK_INT(m.nrows, 2);
        CHECK_STR(m.rows[1].source, "Caf\xC3\xA9 \xE2\x82\xAC");
        mapping_free(&m);
    }
    unlink(path);

    /* an open quote: the line where it opens */
    write_tmp(path, "Source Field,Target Field\nRef,REF\n\"Amount,AMOUNT\nDate,DATE\n");
    expect_fail(path, MF_EPARSE, ":3:", "unterminated quoted field");
    unlink(path);
    /* NUL bytes */
    write_bytes(path, "Source Field,Target Field\nRef,R\0F\n", 34);
    expect_fail(path, MF_EFORMAT, "contains NUL bytes", NULL);
    unlink(path);
    /* a file past the 64 MiB limit: refused while reading, not after */
    write_tmp(path, HEAD);
    CHECK_INT(truncate(path, 65L * 1024 * 1024), 0);
    expect_fail(path, MF_ELIMIT, "larger than 67108864 bytes", NULL);
    unlink(path);
    /* a grid of 3,000 lines x 2,000 fields (6 M cells) for 7 values; at 2,000 lines (4 M cells,
     * the floor) it is still read */
    for (int lines = 2000; lines <= 3000; lines += 1000) {
        size_t n = strlen(HEAD) + (size_t)lines + 2000;
        char *far = malloc(n + 16);
        size_t o = (size_t)snprintf(far, n, "%s", HEAD);
        for (int i = 3; i < lines; i++)
            far[o++] = '\n';
        for (int i = 0; i < 1999; i++)
            far[o++] = ',';
        o += (size_t)snprintf(far + o, 16, "x\n");
        write_bytes(path, far, o);
        free(far);
        e = (mf_err){0};
        int rc = mapping_read(path, &m, &e);
        if (lines == 2000) {
            CHECK_INT(rc, 0);
            if (rc == 0)
                mapping_free(&m);
        } else {
            expect_fail(path, MF_ELIMIT, ":3000: the mapping has cells as far as BXX3000", "(2000 columns x 3000 lines");
        }
        unlink(path);
    }
}

int main(void)
{
    test_xlsx_gl();
    test_xlsx_rich();
    test_bad_input();
    test_mapping_gl();
    test_mapping_inline_headers();
    test_mapping_csv();
    test_csv_bytes_and_limits();
    test_header_names();
    test_header_layouts();
    test_row_kinds();
    test_merged_rows();
    test_match();
    CHECK_DONE();
}
