/* test_draft.c — the planner end to end on a hand-built mapping and profile: the rendered draft
 * is compared with tests/data/draft/expected_plan.txt; type texts, source matching and the
 * output name are checked on their own. */
#include "check.h"
#include "plan/draft.h"

#include <stdlib.h>
#include <string.h>

static mf_arena A;

static void col(profile *pr, int i, const char *name, const char *fmt, const char *const *sample)
{
    prof_column *c = &pr->col[i];
    c->name = name;
    if (fmt)
        c->date_formats[c->ndate_formats++] = fmt;
    long n = 0;
    while (sample[n])
        n++;
    c->nsample = n;
    c->sample = mf_arena_alloc(&A, sizeof(char *) * (size_t)(n + 1));
    for (long j = 0; j < n; j++)
        c->sample[j] = sample[j];
    c->decimal = '.';
}

static void make_profile(profile *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->path = "data/gl_extract.csv";
    pr->dialect = (csv_dialect){.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1, .ncols = 7};
    pr->ncols = 7;
    pr->col = mf_arena_alloc(&A, sizeof(prof_column) * 7);
    col(pr, 0, "Acct No", NULL, (const char *[]){"123", "98765", NULL});
    col(pr, 1, "Posting Dt", "MM/DD/YYYY", (const char *[]){"01/15/2025", "12/31/2024", NULL});
    col(pr, 2, "Amt", NULL, (const char *[]){"1,234.50", "(12.00)", NULL});
    pr->col[2].thousands = ',';
    pr->col[2].paren_negative = true;
    pr->col[2].max_scale = 2;
    col(pr, 3, "Dr/Cr", NULL, (const char *[]){"D", "C", NULL});
    col(pr, 4, "Status", NULL, (const char *[]){"OPEN", "VOID", NULL});
    col(pr, 5, "Ccy", NULL, (const char *[]){"USD", "EUR", NULL});
    col(pr, 6, "Value Dt", "YYYY-MM-DD", (const char *[]){"2025-01-15", NULL});
}

static map_row row(int n, const char *src, const char *target, const char *type, const char *rule, bool mand)
{
    map_row r = {0};
    r.row = n;
    r.source = src;
    r.target = target;
    r.type = type;
    r.rule = rule;
    r.mandatory = mand;
    r.comments = "";
    if (*src) {
        /* split "A, B" like the mapping reader does */
        char *copy = mf_arena_strdup(&A, src);
        r.sources = mf_arena_alloc(&A, sizeof(char *) * 4);
        for (char *s; (s = strsep(&copy, ",")) != NULL && r.nsources < 4;) {
            while (*s == ' ')
                s++;
            r.sources[r.nsources++] = s;
        }
    }
    return r;
}

static void make_mapping(mapping *m)
{
    memset(m, 0, sizeof *m);
    m->path = "mappings/acme_gl.xlsx";
    m->sheet = "Mapping";
    m->header_row = 3;
    m->nrows = 9;
    m->rows = mf_arena_alloc(&A, sizeof(map_row) * 9);
    m->rows[0] = row(4, "Acct No", "ACCOUNT_ID", "VARCHAR(10)", "Left-pad with zeros to 10 characters", true);
    m->rows[1] = row(5, "Posting Dt", "POSTING_DATE", "Date", "Convert from MM/DD/YYYY to YYYY-MM-DD", false);
    m->rows[2] = row(6, "Amt, Dr/Cr", "AMOUNT", "Decimal(18,2)",
                     "Values in parentheses are negative; negate when Dr/Cr = 'C'", false);
    m->rows[3] = row(7, "Amt", "FEE", "Numeric(12,2)", "apply standard fee logic", false);
    m->rows[4] = row(8, "", "", "", "", false);   /* spacer: left out */
    m->rows[5] = row(9, "CCY", "CURRENCY", "Char(3)", "", true);
    m->rows[6] = row(10, "Value Dt", "VALUE_DATE", "DATE", "", false);
    m->rows[7] = row(11, "Status", "STATUS", "Blob", "as is", false);
    m->rows[8] = row(12, "", "", "", "Exclude rows where Status = 'VOID'", false);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int count_questions_about(const plan *p, int row)
{
    int n = 0;
    for (int i = 0; i < p->nquestions; i++)
        n += p->questions[i].row == row;
    return n;
}

/* A comment beside a rule: "drop"/"ignore" may be about a part of the value (commentary), while
 * "do not load ..." always speaks of rows and is read as a statement, or asked about. */
static void test_comment_filters(const profile *pr)
{
    map_row rows[1];
    rows[0] = row(4, "Acct No", "ACCOUNT_ID", "VARCHAR(10)", "As is", true);
    mapping m = {0};
    m.path = "m.csv";
    m.sheet = "Mapping";
    m.rows = rows;
    m.nrows = 1;
    draft_options opt = {.client = "ACME"};
    plan p;
    mf_err e = {0};
    rows[0].comments = "drop the desk prefix";
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK_INT(p.nrules + p.nquestions, 0);
    plan_free(&p);
    rows[0].comments = "do not load test accounts";
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK(p.nrules + p.nquestions >= 1);
    plan_free(&p);
}

/* Rows that are not column mappings: "not mapped" rows make no column and no question; a notes
 * line is read item by item as table-level rules; a "filter only - see below" row is no question
 * when the filter is read; the header line a note states must agree with detection; a filter
 * written in Comments is read. */
static void test_row_kinds(const profile *pr)
{
    map_row rows[6];
    rows[0] = row(4, "Acct No", "ACCOUNT_ID", "VARCHAR(10)", "As is", true);
    rows[0].comments = "Exclude rows where Ccy = 'XXX' (test postings)";
    rows[1] = row(5, "Dr/Cr", "", "", "Not mapped", false);
    rows[1].kind = MAP_UNMAPPED;
    rows[2] = row(6, "Status", "", "", "Filter only - see below", false);
    rows[2].kind = MAP_FILTER_REF;
    rows[3] = row(7, "Posting Dt", "", "", "", false);
    rows[3].kind = MAP_UNMAPPED;
    rows[4] = row(9, "", "", "", "Please note: (1) Exclude rows where Status = 'VOID'. (2) The first line of the file "
                                 "holds the column headings; the column headings are on line 1.\n3. Ignore the trailer row.", false);
    rows[4].kind = MAP_NOTE;
    mapping m = {0};
    m.path = "m.csv";
    m.sheet = "Mapping";
    m.rows = rows;
    m.nrows = 5;
    plan p;
    mf_err e = {0};
    draft_options opt = {.client = "ACME"};
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK_INT(p.ncols, 1);
    CHECK_INT(p.nrules, 2);             /* the Comments filter and the note's filter */
    CHECK_INT(p.nquestions, 0);
    CHECK_INT(p.source.skip_last, 1);   /* item "3." */
    CHECK_INT(p.nnotes, 4);             /* two not mapped, the filter-only row, the header line */
    int noted[10] = {0};
    for (int i = 0; i < p.nnotes; i++)
        if (p.notes[i].prov.row >= 0 && p.notes[i].prov.row < 10)
            noted[p.notes[i].prov.row]++;
    CHECK(noted[5] == 1 && noted[6] == 1 && noted[7] == 1 && noted[9] == 1);
    char *text = plan_render(&p);   /* notes render and parse back */
    plan back;
    mf_err pe = {0};
    CHECK(text && plan_parse(text, strlen(text), "draft", &back, &pe) == 0);
    if (!pe.code) {
        CHECK(plan_equal(&p, &back));
        plan_free(&back);
    }
    free(text);
    for (int i = 0; i < p.nquestions; i++)
        fprintf(stderr, "  unexpected question: %s\n", p.questions[i].text);
    plan_free(&p);

    /* the note puts the headings on line 3; detection found line 1: a question */
    rows[4].rule = "Notes:\n- Exclude rows where Status = 'VOID'\n- The first two lines are report headings; the "
                   "column headings are on line 3.";
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK_INT(count_questions_about(&p, 9), 1);
    CHECK(p.nquestions == 1 && strstr(p.questions[0].text, "line 3") && strstr(p.questions[0].text, "line 1"));
    plan_free(&p);

    /* no filter read for the "filter only" row: it asks */
    m.nrows = 4;
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK_INT(count_questions_about(&p, 6), 1);
    CHECK_INT(p.nquestions, 1);
    plan_free(&p);

    /* a notes item the rule reader cannot read is a question, never dropped */
    rows[4].rule = "Remarks: 1) The totals must agree with the ledger.";
    m.nrows = 5;
    CHECK_INT(plan_draft(&m, pr, &opt, &p, &e), 0);
    CHECK(count_questions_about(&p, 9) >= 1);
    plan_free(&p);
}

int main(void)
{
    mf_arena_init(&A);
    profile pr;
    mapping m;
    make_profile(&pr);
    make_mapping(&m);
    plan p;
    mf_err e = {0};
    draft_options opt = {.client = "ACME"};
    CHECK_INT(plan_draft(&m, &pr, &opt, &p, &e), 0);
    CHECK_STR(p.output, "ACME_GL");   /* generic sheet name "Mapping": from the file name */
    CHECK_INT(p.ncols, 7);
    CHECK_INT(p.nrules, 1);
    CHECK(plan_has_open_questions(&p));
    /* FEE and STATUS are holes with questions; nothing else is */
    int holes = 0;
    for (int i = 0; i < p.ncols; i++)
        if (p.cols[i].expr && p.cols[i].expr->kind == PE_HOLE)
            holes++;
    CHECK_INT(holes, 2);
    CHECK_INT(p.nquestions, 2);
    CHECK(p.ncols > 0 && p.cols[0].required);
    CHECK(p.ncols > 4 && p.cols[4].required);
    CHECK_INT(p.ncols > 3 ? p.cols[3].prov.row : 0, 7);

    char *text = plan_render(&p);
    char *want = slurp("tests/data/draft/expected_plan.txt");
    CHECK(want != NULL);
    if (text && want && strcmp(text, want)) {
        fprintf(stderr, "draft differs from tests/data/draft/expected_plan.txt; got:\n%s", text);
        check_failures++;
    }
    /* the rendered draft parses back to the same plan */
    plan back;
    mf_err pe = {0};
    if (text && plan_parse(text, strlen(text), "draft", &back, &pe) == 0) {
        CHECK(plan_equal(&p, &back));
        plan_free(&back);
    } else {
        fprintf(stderr, "draft does not parse: %s\n", pe.msg);
        check_failures++;
    }
    free(text);
    free(want);
    plan_free(&p);

    /* options: explicit output name wins; a mapping title next */
    opt.output_name = "GL_ENTRIES";
    CHECK_INT(plan_draft(&m, &pr, &opt, &p, &e), 0);
    CHECK_STR(p.output, "GL_ENTRIES");
    plan_free(&p);
    opt.output_name = NULL;
    m.output_name = "gl entries";
    CHECK_INT(plan_draft(&m, &pr, &opt, &p, &e), 0);
    CHECK_STR(p.output, "GL_ENTRIES");
    plan_free(&p);

    /* a source that matches nothing: a question naming the row */
    m.rows[0].source = "Customer Ref";
    m.rows[0].sources[0] = "Customer Ref";
    CHECK_INT(plan_draft(&m, &pr, &opt, &p, &e), 0);
    bool asked = false;
    for (int i = 0; i < p.nquestions; i++)
        if (strstr(p.questions[i].text, "Customer Ref") && p.questions[i].row == 4)
            asked = true;
    CHECK(asked);
    CHECK(p.cols[0].expr->kind == PE_HOLE);
    /* ... and only one question about it, not one per stage */
    int about = 0;
    for (int i = 0; i < p.nquestions; i++)
        about += p.questions[i].row == 4;
    CHECK_INT(about, 1);
    plan_free(&p);

    /* a mapping none of whose sources matches the data: an error naming the data file and both
     * sides, not a plan full of questions */
    mapping none = m;
    map_row nrows[2];
    nrows[0] = row(4, "Customer Ref", "REF", "VARCHAR(10)", "As is", true);
    nrows[1] = row(5, "Booking Day", "DAY", "Date", "", false);
    none.rows = nrows;
    none.nrows = 2;
    mf_err ne = {0};
    CHECK_INT(plan_draft(&none, &pr, &opt, &p, &ne), -1);
    CHECK_INT(ne.code, MF_EDATA);
    CHECK_STR(ne.file, "data/gl_extract.csv");
    CHECK(strstr(ne.msg, "Acct No") != NULL);
    CHECK(strstr(ne.msg, "Customer Ref") != NULL && strstr(ne.msg, "Booking Day") != NULL);

    test_row_kinds(&pr);
    test_comment_filters(&pr);

    mf_arena_free(&A);
    CHECK_DONE();
}
