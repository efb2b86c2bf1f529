/* test_check.c — validation after a run: built-in checks and the customer's validator. */
#include "check.h"
#include "check/check.h"
#include "plan/plan.h"
#include "util/afile.h"
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
    test_row_numbers();
    test_validators();
    test_validator_paths();
    plan_free(&p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    CHECK_DONE();
}
