/* test_check.c — validation after a run: built-in checks and the customer's validator. */
#include "check.h"
#include "check/check.h"
#include "check/check_internal.h"
#include "plan/plan.h"
#include "util/afile.h"
#include "util/buf.h"
#include "write/run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char plan_text[] =
    "plan T v1\n"
    "source \"in.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
    "output OUT\n"
    "\n"
    "ID      text(5) required = [id]\n"
    "AMOUNT  decimal(10,2)    = [amt] read as number\n"
    "D       date             = [d] read as ISO date\n";

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mf_err e;
    mf_err_clear(&e);
    if (mf_write_file_atomic(path, text, strlen(text), &e) < 0)
        mf_err_print(&e, stderr), exit(1);
}

static void load_plan(plan *p, const char *text)
{
    mf_err e;
    mf_err_clear(&e);
    plan_init(p);
    static const char *const cols[] = {"id", "amt", "d"};
    if (plan_parse(text, strlen(text), "test", p, &e) < 0 || plan_check(p, cols, 3, "test", &e) < 0)
        mf_err_print(&e, stderr), exit(1);
}

/* The findings of one check name, as "status:message" lines, and its rows. */
static json_t *find(const check_result *r, const char *check)
{
    size_t i;
    json_t *f;
    json_array_foreach(r->findings, i, f) if (!strcmp(json_string_value(json_object_get(f, "check")), check)) return f;
    return NULL;
}

static long row_at(json_t *f, size_t i)
{
    return (long)json_integer_value(json_array_get(json_object_get(f, "rows"), i));
}

static int run_checks(const plan *p, const run_report *rep, const check_options *o, check_result *r)
{
    mf_err e;
    mf_err_clear(&e);
    check_result_init(r);
    int rc = check_run(p, dir, rep, o, r, &e);
    if (rc < 0)
        mf_err_print(&e, stderr);
    return rc;
}

static const char good_csv[] = "ID,AMOUNT,D\nA1,10.50,2025-01-31\nA2,-3.25,2025-02-01\nA3,,\n";

static void test_clean_output_passes(const plan *p)
{
    put("OUT.csv", good_csv);
    run_report rep = {.rows_in = 4, .rows_out = 3, .rows_rejected = 1};
    check_result r;
    CHECK_INT(run_checks(p, &rep, NULL, &r), 0);
    CHECK(r.passed);
    CHECK_INT(r.nfailed, 0);
    check_result_free(&r);
}

static void test_required_null(const plan *p)
{
    put("OUT.csv", "ID,AMOUNT,D\nA1,1.00,2025-01-31\n,2.00,2025-01-31\nA3,3.00,\n,4.00,\n");
    run_report rep = {.rows_in = 4, .rows_out = 4};
    check_result r;
    CHECK_INT(run_checks(p, &rep, NULL, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "required");
    CHECK(f != NULL);
    CHECK_INT(json_array_size(json_object_get(f, "rows")), 2);
    CHECK_INT(row_at(f, 0), 3);   /* CSV lines: header is line 1 */
    CHECK_INT(row_at(f, 1), 5);
    CHECK(strstr(json_string_value(json_object_get(f, "message")), "ID") != NULL);
    CHECK(find(&r, "row_accounting") == NULL);
    check_result_free(&r);
}

static void test_row_accounting(const plan *p)
{
    put("OUT.csv", good_csv);
    run_report rep = {.rows_in = 5, .rows_out = 3, .rows_rejected = 1};   /* one row unaccounted */
    check_result r;
    CHECK_INT(run_checks(p, &rep, NULL, &r), 0);
    CHECK(!r.passed);
    CHECK(find(&r, "row_accounting") != NULL);
    check_result_free(&r);
    run_report rep2 = {.rows_in = 4, .rows_out = 4};   /* balanced, but the file holds 3 rows */
    CHECK_INT(run_checks(p, &rep2, NULL, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "row_accounting");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "holds 3 rows"));
    check_result_free(&r);
}

/* A one-column output whose value is null is written `""` (a blank line is no record): the re-read
 * counts it as a row and sees the null. */
static void test_one_column_null(void)
{
    plan p;
    load_plan(&p, "plan T v1\n"
                  "source \"in.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
                  "output OUT\n\nID text(5) required = [id]\n");
    put("OUT.csv", "ID\nA1\n\"\"\nA3\n");
    run_report rep = {.rows_in = 3, .rows_out = 3};
    check_result r;
    CHECK_INT(run_checks(&p, &rep, NULL, &r), 0);
    CHECK(find(&r, "row_accounting") == NULL);   /* 3 rows read back, as written */
    json_t *f = find(&r, "required");
    CHECK(f != NULL);
    CHECK_INT(json_array_size(json_object_get(f, "rows")), 1);
    CHECK_INT(row_at(f, 0), 3);
    check_result_free(&r);
    plan_free(&p);
}

static void test_duplicate_key(const plan *p)
{
    put("OUT.csv", "ID,AMOUNT,D\nA1,1.00,2025-01-31\nA2,1.00,2025-01-31\nA1,2.00,2025-02-01\nA1,1.00,2025-02-01\n");
    run_report rep = {.rows_in = 4, .rows_out = 4};
    static const char *const one[] = {"ID"}, *const two[] = {"ID", "D"};
    check_options o = {.key_cols = one, .nkey_cols = 1};
    check_result r;
    CHECK_INT(run_checks(p, &rep, &o, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "key");
    CHECK(f != NULL);
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "2 duplicate rows"));
    CHECK_INT(row_at(f, 0), 2);
    CHECK_INT(row_at(f, 1), 4);
    CHECK_INT(row_at(f, 2), 5);
    check_result_free(&r);
    /* (ID, D) is unique except lines 4 and 5 share ("A1", 2025-02-01). */
    o.key_cols = two;
    o.nkey_cols = 2;
    CHECK_INT(run_checks(p, &rep, &o, &r), 0);
    f = find(&r, "key");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "1 duplicate rows"));
    CHECK_INT(row_at(f, 0), 4);
    check_result_free(&r);
    /* Length-prefixed digests: ("A","B1") and ("AB","1") are different keys. */
    put("OUT.csv", "ID,AMOUNT,D\nA,1.00,2025-01-31\nAB,1.00,2025-01-31\n");
    static const char *const idam[] = {"ID", "AMOUNT"};
    o.key_cols = idam;
    run_report rep2 = {.rows_in = 2, .rows_out = 2};
    CHECK_INT(run_checks(p, &rep2, &o, &r), 0);
    CHECK(r.passed);
    check_result_free(&r);
}

static void test_plan_key_and_checks(void)
{
    char text[2048];
    snprintf(text, sizeof text, "%skey ID\ncheck AMOUNT >= 0: \"AMOUNT is negative\"\n", plan_text);
    plan p;
    load_plan(&p, text);
    CHECK_INT(p.nkeys, 1);
    put("OUT.csv", "ID,AMOUNT,D\nA1,10.50,2025-01-31\nA2,-3.25,2025-02-01\nA1,1.00,\n");
    run_report rep = {.rows_in = 3, .rows_out = 3};
    check_result r;
    CHECK_INT(run_checks(&p, &rep, NULL, &r), 0);
    CHECK(!r.passed);
    CHECK(find(&r, "key") != NULL);
    json_t *f = find(&r, "check");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "AMOUNT is negative (1 rows)"));
    CHECK_INT(row_at(f, 0), 3);
    CHECK_INT(r.nfailed, 2);
    check_result_free(&r);
    plan_free(&p);
}

static void test_reviewer_checks(const plan *p)
{
    put("OUT.csv", good_csv);
    run_report rep = {.rows_in = 3, .rows_out = 3};
    /* A null AMOUNT fails "AMOUNT >= 0" (a condition on null is false) but not the date check. */
    static const char *const conds[] = {"AMOUNT >= 0", "D is missing or D >= \"2025-01-01\" read as ISO date"};
    static const char *const msgs[] = {"negative amount", NULL};
    check_options o = {.check_conds = conds, .check_messages = msgs, .nchecks = 2};
    check_result r;
    CHECK_INT(run_checks(p, &rep, &o, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "check");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "negative amount (2 rows)"));
    CHECK_INT(row_at(f, 0), 3);
    CHECK_INT(row_at(f, 1), 4);
    CHECK_INT(r.nfailed, 1);
    check_result_free(&r);
    /* A check that does not type-check is a failure with the reason, not a crash. */
    static const char *const bad[] = {"AMOUNT contains \"x\""};
    check_options ob = {.check_conds = bad, .nchecks = 1};
    CHECK_INT(run_checks(p, &rep, &ob, &r), 0);
    CHECK(!r.passed);
    f = find(&r, "check");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "cannot be evaluated"));
    check_result_free(&r);
    /* An output value that does not read back as its type is a format finding. */
    put("OUT.csv", "ID,AMOUNT,D\nA1,ten,2025-01-31\n");
    run_report rep1 = {.rows_in = 1, .rows_out = 1};
    static const char *const ok[] = {"ID is present"};
    check_options oo = {.check_conds = ok, .nchecks = 1};
    CHECK_INT(run_checks(p, &rep1, &oo, &r), 0);
    CHECK(!r.passed);
    CHECK(find(&r, "format") != NULL);
    check_result_free(&r);
}

static void test_control_totals(const plan *p)
{
    put("in.csv", "id,amt,d\nA1,10.50,2025-01-31\nA2,-3.25,2025-02-01\nTOOLONG,5.00,2025-02-01\nA4,0.10,\n");
    mf_err e;
    mf_err_clear(&e);
    char in[512];
    snprintf(in, sizeof in, "%s/in.csv", dir);
    run_options ro = {.threads = 1};
    run_report rep;
    CHECK_INT(run_plan(p, in, dir, &ro, &rep, &e), 0);
    CHECK_INT(rep.rows_rejected, 1);
    check_options o = {.input_path = in};
    check_result r;
    CHECK_INT(run_checks(p, NULL, &o, &r), 0);   /* counts come from run.json */
    CHECK(r.passed);
    check_result_free(&r);
    /* Edit one amount in the output: same row count, different total. */
    put("OUT.csv", "ID,AMOUNT,D\nA1,10.50,2025-01-31\nA2,-3.52,2025-02-01\nA4,0.10,\n");
    CHECK_INT(run_checks(p, NULL, &o, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "control_total");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "is 7.08, but the plan computes 7.35"));
    check_result_free(&r);
    /* The input side started before the run (check_pre_start, as the flow does): same verdict. */
    o.pre = check_pre_start(p, in);
    CHECK(o.pre != NULL);
    CHECK_INT(run_checks(p, NULL, &o, &r), 0);
    CHECK(!r.passed);
    f = find(&r, "control_total");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "is 7.08, but the plan computes 7.35"));
    check_result_free(&r);
    put("OUT.csv", "ID,AMOUNT,D\nA1,10.50,2025-01-31\nA2,-3.25,2025-02-01\nA4,0.10,\n");
    o.pre = check_pre_start(p, in);
    CHECK_INT(run_checks(p, NULL, &o, &r), 0);
    CHECK(r.passed);
    check_result_free(&r);
    /* Started and not used (the run failed): discarded, nothing leaks (the ASan build checks). */
    check_pre_discard(check_pre_start(p, in));
    check_pre_discard(NULL);
    o.pre = NULL;
}

/* The control totals evaluate a cut-down program (eng_prune_for_totals): only what decides a row's
 * fate and the summed columns.  Rows rejected by columns that are not summed — a text column too
 * long after trimming and upper casing (a move there), a padding (a move too) over its length, a
 * date that does not read, a reject rule reading back an unbounded text column — must still be
 * left out of the input-side sum, or a clean run would fail its own check. */
static void test_totals_fate_from_every_column(void)
{
    plan q;
    plan_init(&q);
    static const char text[] = "plan T v1\n"
                               "source \"in.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
                               "output OUT\n\n"
                               "C       text(3)          = [c] trimmed, upper cased\n"
                               "P       text(4)          = [p] padded left with \"0\" to 4\n"
                               "N       text             = [c] upper cased\n"
                               "AMOUNT  decimal(10,2)    = [amt] read as number\n"
                               "D       date             = [d] read as ISO date\n"
                               "reject rows where N is \"BAD\": \"bad code\"\n";
    static const char *const cols[] = {"c", "p", "amt", "d"};
    mf_err e;
    mf_err_clear(&e);
    if (plan_parse(text, strlen(text), "test", &q, &e) < 0 || plan_check(&q, cols, 4, "test", &e) < 0)
        mf_err_print(&e, stderr), exit(1);
    put("in.csv", "c,p,amt,d\n"
                  "ok,12,1.00,2025-01-01\n"
                  "toolong,1,2.00,2025-01-01\n"
                  "x,12345,4.00,2025-01-01\n"
                  "bad,1,8.00,2025-01-01\n"
                  "y,1,16.00,notadate\n"
                  "z,1,32.00,2025-01-02\n"
                  "\xc3\xa9\xc3\x9f\xc3\xa8,1,64.00,2025-01-03\n");   /* three characters in six bytes: fits text(3) */
    char in[512];
    snprintf(in, sizeof in, "%s/in.csv", dir);
    run_options ro = {.threads = 1};
    run_report rep;
    CHECK_INT(run_plan(&q, in, dir, &ro, &rep, &e), 0);
    CHECK_INT(rep.rows_out, 3);
    CHECK_INT(rep.rows_rejected, 4);
    check_options o = {.input_path = in};
    check_result r;
    CHECK_INT(run_checks(&q, NULL, &o, &r), 0);
    CHECK(r.passed);
    check_result_free(&r);
    /* An output holding a row the plan rejects (for its text column) instead of a good one. */
    put("OUT.csv", "C,P,N,AMOUNT,D\nOK,0012,OK,1.00,2025-01-01\nTOO,0001,TOOLONG,2.00,2025-01-01\n");
    o.pre = check_pre_start(&q, in);
    CHECK(o.pre != NULL);
    CHECK_INT(run_checks(&q, NULL, &o, &r), 0);
    CHECK(!r.passed);
    json_t *f = find(&r, "control_total");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "is 3.00, but the plan computes 97.00"));
    check_result_free(&r);
    plan_free(&q);
}

/* Row numbers are written by the writer, not computed from the input: the built-in checks
 * (control totals, reviewer checks' re-reading, key) pass on a clean run that has them. */
static void test_row_numbers(void)
{
    plan q;
    load_plan(&q, "plan T v1\n"
                  "source \"in.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
                  "output OUT\n\n"
                  "N       decimal(12,2)    = row number\n"
                  "AMOUNT  decimal(10,2)    = [amt] read as number\n"
                  "R       bigint           = row number\n"
                  "key R\n"
                  "check AMOUNT > -5: \"too small\"\n");
    put("in.csv", "id,amt,d\nA1,10.50,2025-01-31\nA2,x,2025-02-01\nA3,-3.25,\n");
    mf_err e;
    mf_err_clear(&e);
    char in[512];
    snprintf(in, sizeof in, "%s/in.csv", dir);
    run_options ro = {.threads = 1};
    run_report rep;
    CHECK_INT(run_plan(&q, in, dir, &ro, &rep, &e), 0);
    CHECK_INT(rep.rows_out, 2);
    char path[600];
    snprintf(path, sizeof path, "%s/OUT.csv", dir);
    FILE *f = fopen(path, "r");
    char buf[256] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    CHECK_STR(buf, "N,AMOUNT,R\n1.00,10.50,1\n2.00,-3.25,2\n");
    check_options o = {.input_path = in};
    check_result r;
    CHECK_INT(run_checks(&q, NULL, &o, &r), 0);
    CHECK(r.passed);
    if (!r.passed) {
        char *t = check_findings_text(&r);
        fprintf(stderr, "%s\n", t);
        free(t);
    }
    check_result_free(&r);
    plan_free(&q);
}

/* ---- the control totals' input side fed by the run (check_pre_fed) against reading the input ---- */

static const char fed_plan[] =
    "plan T v1\n"
    "source \"in.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
    "output OUT\n\n"
    "ID      text(6) required       = [id]\n"
    "AMOUNT  decimal(18,2) required = [amt] read as number (thousands \",\", negative in parentheses),\n"
    "                                 negated when [drcr] is \"C\"\n"
    "TYPE    text(6) required       = [drcr] mapped (\"D\" -> \"DEBIT\", \"C\" -> \"CREDIT\", otherwise rejected)\n"
    "FEE     decimal(10,3)          = [fee] read as number\n"
    "DESC    text(30)               = [desc] trimmed\n"
    "N       decimal(12,2)          = row number\n"
    "skip rows where [status] is \"VOID\"\n";

/* 10,007 records (three blocks and more, so two workers and the block ring are used): amounts with
 * thousands separators, in parentheses, negative, unreadable or empty (rejected); Dr/Cr that
 * negates or rejects; VOID rows skipped; empty fees; descriptions quoted, with commas, doubled
 * quotes and line breaks, some too long (rejected by a column that is not summed). */
static void put_fed_input(void)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "id,amt,drcr,fee,desc,status\n");
    static const char *const amts[] = {"\"1,234.56\"", "(12.30)", "-7.05", "0.5", "abc", "", "\"(1,000.01)\"", "3"};
    static const char *const descs[] = {"plain", "\"a, b\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"",
                                        "\"far too long a description for thirty\"", "  padded  "};
    for (int i = 0; i < 10007; i++)
        mf_buf_printf(&b, "K%05d,%s,%s,%s,%s,%s\n", i, amts[i % 8], i % 13 == 0 ? "X" : i % 3 ? "D" : "C",
                      i % 5 ? "1.125" : "", descs[i % 6], i % 11 == 0 ? "VOID" : "POSTED");
    put("in.csv", mf_buf_str(&b));
    mf_buf_free(&b);
}

/* Put a digit 1 before the first digit of the AMOUNT field of the output's first data row (same row count, one
 * byte longer: the output scanned as it was written no longer matches the file, which is re-read). */
static void edit_first_amount(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/OUT.csv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    mf_buf b = {0};
    int c, line = 1, field = 0, done = 0;
    while ((c = fgetc(f)) != EOF) {
        if (!done && line == 2 && field == 1 && c >= '0' && c <= '9')
            mf_buf_addc(&b, '1'), done = 1;
        if (c == '\n')
            line++, field = 0;
        else if (c == ',')
            field++;
        mf_buf_addc(&b, (char)c);
    }
    fclose(f);
    CHECK(done);
    put("OUT.csv", mf_buf_str(&b));
    mf_buf_free(&b);
}

/* An observer in front of the check's that hides one block from it (a pipeline that lost it). */
typedef struct lossy {
    run_observer inner;
    int blocks, hide;
} lossy;

static void lossy_header(void *user, const char *const *names, int n)
{
    lossy *l = user;
    l->inner.header(l->inner.user, names, n);
}

static void lossy_block(void *user, const csv_block *b)
{
    lossy *l = user;
    if (l->blocks++ != l->hide)
        l->inner.block(l->inner.user, b);
}

static void lossy_output(void *user, const void *p, size_t n)
{
    lossy *l = user;
    l->inner.output(l->inner.user, p, n);
}

/* Run q on in, then check it: the input side fed by the run (fed) or reading the input again.
 * edit: change the output between the run and the check.  hide >= 0: that block is not shown.
 * Returns the findings as compact JSON (malloc'd), passed in *passed. */
static char *fed_or_read(const plan *q, const char *in, bool fed, bool edit, int hide, bool *passed)
{
    mf_err e;
    mf_err_clear(&e);
    run_observer obs;
    lossy l = {.hide = hide};
    check_pre *pre = fed ? check_pre_fed(q, in, &obs) : NULL;
    CHECK(!fed || pre != NULL);
    l.inner = obs;
    run_observer shown = {.header = lossy_header, .block = lossy_block,
                          .output = pre && obs.output ? lossy_output : NULL, .user = &l};
    CHECK(!fed || obs.output != NULL);   /* the output is scanned as it is written */
    run_options ro = {.threads = 2, .observer = pre ? &shown : NULL};
    run_report rep;
    CHECK_INT(run_plan(q, in, dir, &ro, &rep, &e), 0);
    if (edit)
        edit_first_amount();
    check_options o = {.input_path = in, .pre = pre};
    check_result r;
    CHECK_INT(run_checks(q, &rep, &o, &r), 0);
    *passed = r.passed;
    char *s = json_dumps(r.findings, JSON_COMPACT | JSON_SORT_KEYS);
    check_result_free(&r);
    return s;
}

static void test_totals_fed_equal_read(void)
{
    put_fed_input();
    char in[512];
    snprintf(in, sizeof in, "%s/in.csv", dir);
    static const char *const cols[] = {"id", "amt", "drcr", "fee", "desc", "status"};
    static const char *const tails[] = {"", "skip the last 3 rows\n"};
    for (int t = 0; t < 2; t++) {
        plan q;
        plan_init(&q);
        char text[2048];
        snprintf(text, sizeof text, "%s%s", fed_plan, tails[t]);
        mf_err e;
        mf_err_clear(&e);
        if (plan_parse(text, strlen(text), "test", &q, &e) < 0 || plan_check(&q, cols, 6, "test", &e) < 0)
            mf_err_print(&e, stderr), exit(1);
        for (int edit = 0; edit < 2; edit++) {
            bool pf, pr;
            char *fed = fed_or_read(&q, in, true, edit, -1, &pf);
            char *read = fed_or_read(&q, in, false, edit, -1, &pr);
            CHECK_STR(fed, read);
            CHECK(pf == pr && pf == !edit);
            if (edit)
                CHECK(strstr(fed, "\"check\":\"control_total\"") && strstr(fed, "sum of AMOUNT over the output"));
            free(fed);
            free(read);
        }
        /* The output is scanned as the run writes it, not read back (its length on disk is compared):
         * an edit after the run that keeps the length is seen by the re-read only. */
        {
            mf_err e2;
            mf_err_clear(&e2);
            run_observer o2;
            check_pre *pre = check_pre_fed(&q, in, &o2);
            run_options ro = {.threads = 2, .observer = &o2};
            run_report rep;
            CHECK_INT(run_plan(&q, in, dir, &ro, &rep, &e2), 0);
            char path[600];
            snprintf(path, sizeof path, "%s/OUT.csv", dir);
            FILE *f = fopen(path, "r+");
            int c, line = 1, field = 0;
            long at = -1;
            while (f && at < 0 && (c = fgetc(f)) != EOF) {   /* the first digit of the first AMOUNT */
                if (c == '\n')
                    line++, field = 0;
                else if (c == ',')
                    field++;
                else if (line == 2 && field == 1 && c >= '0' && c <= '8')
                    at = ftell(f) - 1, fseek(f, at, SEEK_SET), fputc(c + 1, f);
            }
            if (f)
                fclose(f);
            CHECK(at > 0);
            check_options o = {.input_path = in, .pre = pre};
            check_result r;
            CHECK_INT(run_checks(&q, &rep, &o, &r), 0);
            CHECK(r.passed);   /* the bytes written were right */
            check_result_free(&r);
            o.pre = NULL;
            CHECK_INT(run_checks(&q, &rep, &o, &r), 0);
            CHECK(!r.passed);   /* the file read back is not */
            check_result_free(&r);
        }
        /* A block the check was not shown fails the check, whatever the sums. */
        bool passed = true;
        char *lost = fed_or_read(&q, in, true, false, 1, &passed);
        CHECK(!passed);
        CHECK(strstr(lost, "showed the checks 5911 records") != NULL);
        free(lost);
        plan_free(&q);
    }
    /* A fed input side that never saw the run cannot pass: check_run fails. */
    plan q;
    load_plan(&q, plan_text);
    run_observer obs;
    check_pre *pre = check_pre_fed(&q, in, &obs);
    put("OUT.csv", good_csv);
    run_report rep = {.rows_in = 3, .rows_out = 3};
    check_options o = {.input_path = in, .pre = pre};
    check_result r;
    mf_err e;
    mf_err_clear(&e);
    check_result_init(&r);
    CHECK_INT(check_run(&q, dir, &rep, &o, &r, &e), -1);
    CHECK(strstr(e.msg, "did not show its input") != NULL);
    check_result_free(&r);
    check_pre_discard(check_pre_fed(&q, in, &obs));   /* unused: freed */
    plan_free(&q);
}

/* The output scan's fast paths (chk_parse_canonical, chk_sum_add) give exactly what mf_dec_parse
 * and mf_dec_add give, overflow included, on random texts and values near the limits. */
static void test_fast_decimal_paths(void)
{
    static const char alphabet[] = "-+0123456789.. 9";
    unsigned seed = 12345;
    int canonical = 0;
    for (int t = 0; t < 200000; t++) {
        char buf[32];
        seed = seed * 1103515245u + 12345u;
        int n = (int)((seed >> 16) % 24);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        if (t % 3 == 0)   /* mostly plausible numbers: digits with a point s digits from the end */
            for (int i = 0; i < n; i++)
                if (buf[i] == '+' || buf[i] == ' ' || (buf[i] == '-' && i) || (buf[i] == '.' && i != n - 3))
                    buf[i] = '7';
        int scale = t % 5;
        mf_dec fast, slow;
        if (chk_parse_canonical(buf, (uint32_t)n, scale, &fast)) {
            canonical++;
            bool ok = mf_dec_parse(buf, (size_t)n, &slow);
            CHECK(ok && fast.v == slow.v && fast.scale == slow.scale);
            if (!(ok && fast.v == slow.v && fast.scale == slow.scale)) {
                fprintf(stderr, "  text \"%.*s\" scale %d\n", n, buf, scale);
                break;
            }
        }
    }
    CHECK(canonical > 10000);   /* the fast path was taken, not only refused */
    const __int128 e37 = (__int128)10000000000000000000ULL * 1000000000000000000ULL;
    const __int128 vals[] = {0, 1, -1, 5, 999, e37, -e37, 9 * e37, -9 * e37, 9 * e37 + (e37 - 1), -(9 * e37 + (e37 - 1))};
    const int nv = (int)(sizeof vals / sizeof vals[0]);
    for (int i = 0; i < nv; i++)
        for (int j = 0; j < nv; j++)
            for (int sa = 0; sa < 3; sa++)
                for (int sb = 0; sb < 3; sb++) {
                    mf_dec a = {vals[i], sa}, b = {vals[j], sb}, fast = a, slow;
                    bool okf = chk_sum_add(&fast, b), oks = mf_dec_add(a, b, &slow);
                    CHECK(okf == oks);
                    if (okf && oks)
                        CHECK(mf_dec_cmp(fast, slow) == 0 && fast.scale == slow.scale);
                }
}

static json_t *validate(const char *cmd, int timeout, check_result *r)
{
    char csv[512], js[512];
    snprintf(csv, sizeof csv, "%s/OUT.csv", dir);
    snprintf(js, sizeof js, "%s/run.json", dir);
    mf_err e;
    mf_err_clear(&e);
    check_result_init(r);
    CHECK_INT(check_validator(cmd, timeout, csv, js, r, &e), 0);
    CHECK(r->validator_ran);
    return find(r, "validator") ? find(r, "validator") : json_array_get(r->findings, 0);
}

static void test_validators(void)
{
    put("OUT.csv", good_csv);
    put("run.json", "{\"rows_in\": 3}\n");
    check_result r;
    validate("sh tests/data/check/pass.sh", 0, &r);
    CHECK(r.passed && r.validator_passed);
    CHECK_INT(json_array_size(r.findings), 0);
    check_result_free(&r);

    validate("sh tests/data/check/fail.sh", 0, &r);
    CHECK(!r.passed && !r.validator_passed);
    CHECK_INT(r.nfailed, 2);
    json_t *f = find(&r, "amount_range");
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "in 3 rows"));   /* it read $1 */
    CHECK_STR(json_string_value(json_object_get(f, "source")), "validator");
    check_result_free(&r);

    f = validate("sh tests/data/check/garbage.sh", 0, &r);
    CHECK(!r.passed);
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "not the expected JSON"));
    check_result_free(&r);

    f = validate("sh tests/data/check/crash.sh", 0, &r);
    CHECK(!r.passed);
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "crashed"));
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "segfault imminent"));
    check_result_free(&r);

    f = validate("sh tests/data/check/exit2.sh", 0, &r);
    CHECK(!r.passed);
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "status 2; stderr: database unreachable"));
    check_result_free(&r);

    f = validate("sh tests/data/check/slow.sh", 1, &r);
    CHECK(!r.passed);
    CHECK(f && strstr(json_string_value(json_object_get(f, "message")), "within 1 seconds"));
    check_result_free(&r);

    f = validate("/nonexistent/validator", 0, &r);
    CHECK(!r.passed);
    check_result_free(&r);
}

/* Paths with spaces and shell characters reach the validator intact (never parsed by the shell). */
static void test_validator_paths(void)
{
    char odir[sizeof dir];
    memcpy(odir, dir, sizeof dir);
    if (strlen(odir) + 40 > sizeof dir)
        return;
    strcat(dir, "/a dir; $(touch pwned) 'q\"");
    CHECK_INT(mkdir(dir, 0755), 0);
    put("OUT.csv", good_csv);
    put("run.json", "{}\n");
    check_result r;
    validate("sh tests/data/check/pass.sh", 0, &r);
    CHECK(r.passed);
    check_result_free(&r);
    CHECK(access("pwned", F_OK) != 0);
    /* Combined with built-in checks through check_run. */
    plan p;
    load_plan(&p, plan_text);
    run_report rep = {.rows_in = 3, .rows_out = 3};
    check_options o = {.validator = "sh tests/data/check/fail.sh"};
    CHECK_INT(run_checks(&p, &rep, &o, &r), 0);
    CHECK(!r.passed);
    CHECK_INT(r.nfailed, 2);
    char *text = check_findings_text(&r);
    CHECK(strstr(text, "FAIL amount_range: amounts over limit in 3 rows (lines 2)") != NULL);
    free(text);
    check_result_free(&r);
    plan_free(&p);
    memcpy(dir, odir, sizeof dir);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/mf_test_check_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    plan p;
    load_plan(&p, plan_text);
    test_clean_output_passes(&p);
    test_required_null(&p);
    test_row_accounting(&p);
    test_duplicate_key(&p);
    test_one_column_null();
    test_plan_key_and_checks();
    test_reviewer_checks(&p);
    test_control_totals(&p);
    test_totals_fate_from_every_column();
    test_row_numbers();
    test_totals_fed_equal_read();
    test_fast_decimal_paths();
    test_validators();
    test_validator_paths();
    plan_free(&p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    CHECK_DONE();
}
