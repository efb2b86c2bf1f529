/* test_flow.c — the workflow stage's own checks: a draft tried on the first rows of its data file
 * (flow/sample.c).  Plans are written in the plan language, so these tests do not depend on how
 * the planner phrases a reading. */
#include "check.h"

#include "flow/sample.h"
#include "plan/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/mapforge-test-flow-XXXXXX";

static const char *write_data(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static const char *HEAD = "plan T v1\nsource \"d.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, "
                          "header on line 1\noutput OUT\n\n";

/* Parse HEAD + body, run the sample check on data; returns questions added (-2 = parse failure). */
static int try_plan(const char *body, const char *data, plan *p)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    mf_err e = {0};
    if (plan_parse(text, strlen(text), "t.plan", p, &e) < 0) {
        fprintf(stderr, "parse: %s\n", e.msg);
        return -2;
    }
    int n = flow_check_on_sample(p, data, &e);
    if (n < 0)
        fprintf(stderr, "check: %s\n", e.msg);
    return n;
}

static void misreading_becomes_question(void)
{
    const char *data = write_data("dates.csv", "Name,Birth Date\nann,1980-01-02\nbob,1975-12-31\ncy,2001-07-04\n");
    plan p;
    int n = try_plan("NAME  text  = [Name]\nBIRTH_YEAR  integer  = [Birth Date] read as integer  # row 3: Take year "
                     "from birthdate\n",
                     data, &p);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(p.cols[1].expr->kind == PE_HOLE);
        CHECK(p.cols[0].expr->kind == PE_SOURCE);
        CHECK_INT(p.nquestions, 1);
        CHECK_STR(p.questions[0].column, "BIRTH_YEAR");
        CHECK_INT(p.questions[0].row, 3);
        CHECK(strstr(p.questions[0].text, "rejects 3 of the 3") != NULL);
        CHECK(strstr(p.questions[0].text, "[Birth Date] read as integer") != NULL);
        CHECK(plan_has_open_questions(&p));
    }
    plan_free(&p);
}

/* A bad column hides the columns after it: both are found, in rounds. */
static void masked_column_found_in_a_later_round(void)
{
    const char *data = write_data("two.csv", "A,B\nx,y\nx2,y2\nx3,y3\n");
    plan p;
    int n = try_plan("N1  integer  = [A] read as integer\nN2  date  = [B] read as ISO date\n", data, &p);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(p.cols[0].expr->kind == PE_HOLE);
        CHECK(p.cols[1].expr->kind == PE_HOLE);
    }
    plan_free(&p);
}

/* A column that is already a question (a required hole) neither rejects the rows nor hides the
 * columns after it, and is not asked about again. */
static void hole_does_not_hide_later_columns(void)
{
    const char *data = write_data("hole.csv", "A,B\nx,1\ny,2\nz,3\n");
    plan p;
    int n = try_plan("FIRST  text required  = ?  # row 2: apply the usual logic\nN  date  = [B] read as ISO date\n"
                     "question about FIRST (row 2): \"What should FIRST contain?\"\n", data, &p);
    CHECK_INT(n, 1);
    CHECK_INT(p.nquestions, 2);
    if (p.nquestions == 2) {
        CHECK_STR(p.questions[1].column, "N");
        CHECK(p.cols[1].expr->kind == PE_HOLE);
    }
    plan_free(&p);
}

/* A few bad records are data, not a misreading: no question. */
static void few_rejects_are_data(void)
{
    const char *data = write_data("amounts.csv", "Amt\n1.50\n2.00\nabc\n4.25\n");
    plan p;
    int n = try_plan("AMOUNT  decimal(10,2)  = [Amt] read as number\n", data, &p);
    CHECK_INT(n, 0);
    if (n == 0)
        CHECK(p.cols[0].expr->kind == PE_STEP);
    CHECK_INT(p.nquestions, 0);
    plan_free(&p);
}

static void filters_that_skip_everything(void)
{
    const char *data = write_data("status.csv", "Status,Ref\nPAID,1\nHELD,2\nPAID,3\n");
    plan p;
    int n = try_plan("REF  text  = [Ref]\nskip rows where [Status] is not \"VOID\"  # row 4: exclude void\n", data, &p);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(p.questions[0].column == NULL);
        CHECK_INT(p.questions[0].row, 4);
        CHECK(strstr(p.questions[0].text, "skip all 3") != NULL);
    }
    plan_free(&p);
    n = try_plan("REF  text  = [Ref]\nskip rows where [Status] is \"HELD\"\n", data, &p);
    CHECK_INT(n, 0);
    plan_free(&p);
}

static void missing_file_is_an_error(void)
{
    plan p;
    char path[600];
    snprintf(path, sizeof path, "%s/absent.csv", dir);
    int n = try_plan("REF  text  = [Ref]\n", path, &p);
    CHECK_INT(n, -1);
    plan_free(&p);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    misreading_becomes_question();
    masked_column_found_in_a_later_round();
    hole_does_not_hide_later_columns();
    few_rejects_are_data();
    filters_that_skip_everything();
    missing_file_is_an_error();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    CHECK_DONE();
}
