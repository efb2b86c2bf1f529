/* test_infer.c — the planner's data checks pinned at their edges (plan/infer.c), and the two
 * definitions every reading rests on: the calendar (util/date.c) and the trim set (engine).
 *
 * The acceptance rule for a stated format: it must read a STRICT majority of the non-blank sampled
 * values, and no other common format may read more of them.  Each test sits on one side of an edge. */
#include "check.h"

#include "plan/infer.h"
#include "util/date.h"

#include <stdlib.h>
#include <string.h>

static prof_column column(const char **values, long n)
{
    prof_column pc;
    memset(&pc, 0, sizeof pc);
    pc.name = "C";
    pc.sample = values;
    pc.nsample = n;
    return pc;
}

static void stated_date_pattern_needs_a_strict_majority(void)
{
    const char *half[] = {"20230415", "20231231", "x1", "x2"};               /* 2 of 4 read */
    const char *most[] = {"20230415", "20231231", "20240229", "20230230"};   /* 3 of 4 read */
    const char *few[] = {"20230415", "bad", "worse", "worst"};               /* 1 of 4 reads */
    const char *with_blanks[] = {"20230415", NULL, "", "20230102", "nope"};  /* 2 of 3 non-blank */
    prof_column a = column(half, 4), b = column(most, 4), c = column(few, 4), d = column(with_blanks, 5);
    const char *bad = NULL, *better = NULL;
    CHECK(!infer_date_fits(&a, "YYYYMMDD", &bad, &better));
    CHECK(infer_date_fits(&b, "YYYYMMDD", &bad, &better));
    CHECK_STR(bad, "20230230");
    CHECK(!infer_date_fits(&c, "YYYYMMDD", &bad, &better));
    CHECK(infer_date_fits(&d, "YYYYMMDD", &bad, &better));
    long total = 0;
    CHECK_INT(infer_date_reads(&d, "YYYYMMDD", &total, &bad), 2);
    CHECK_INT(total, 3);
}

static void another_layout_reading_more_contradicts(void)
{
    const char *uk[] = {"25/12/2023", "13/01/2023", "01/02/2023", "30/06/2023"};
    prof_column pc = column(uk, 4);
    const char *bad = NULL, *better = NULL;
    CHECK(!infer_date_fits(&pc, "MM/DD/YYYY", &bad, &better));       /* reads 1 of 4; DD/MM reads 4 */
    CHECK(better != NULL && !strcmp(better, "DD/MM/YYYY"));
    CHECK(infer_date_fits(&pc, "DD/MM/YYYY", &bad, &better));
}

static void sample_pattern_ties_between_layouts_ask(void)
{
    const char *amb[] = {"01/02/2023", "03/04/2023", "11/12/2023"};
    prof_column pc = column(amb, 3);
    mf_buf why = {0};
    CHECK(infer_date_pattern(&pc, "C", &why) == NULL);
    CHECK(why.len > 0 && strstr(mf_buf_str(&why), "which is it") != NULL);
    mf_buf_free(&why);
    const char *us[] = {"01/02/2023", "12/31/2023"};
    pc = column(us, 2);
    mf_buf why2 = {0};
    const char *pat = infer_date_pattern(&pc, "C", &why2);
    CHECK(pat != NULL && !strcmp(pat, "MM/DD/YYYY"));
    mf_buf_free(&why2);
}

static void number_format_majority_and_contradiction(void)
{
    plan p;
    plan_init(&p);
    const char *eu[] = {"1.234,56", "12,50", "1.000.000,00", "0,01"};
    prof_column pc = column(eu, 4);
    infer_numhint stated_us = {.nf = {',', '.', false, false, NULL}, .thousands_set = true, .decimal_set = true,
                               .stated = true};
    mf_buf why = {0};
    infer_read_number(&p, plan_source_ref(&p, "C"), &pc, &stated_us, false, &why);
    CHECK(why.len > 0);                                                  /* the data is European */
    mf_buf_free(&why);
    infer_numhint stated_eu = {.nf = {'.', ',', false, false, NULL}, .thousands_set = true, .decimal_set = true,
                               .stated = true};
    mf_buf ok = {0};
    plan_expr *x = infer_read_number(&p, plan_source_ref(&p, "C"), &pc, &stated_eu, false, &ok);
    CHECK_INT(ok.len, 0);
    CHECK(x->kind == PE_STEP && x->step.kind == PS_READ_NUMBER && x->step.numfmt.decimal == ',');
    mf_buf_free(&ok);
    const char *half[] = {"12.50", "7.25", "n/a!", "TBD"};                /* 2 of 4: not a majority */
    pc = column(half, 4);
    mf_buf why2 = {0};
    infer_read_number(&p, plan_source_ref(&p, "C"), &pc, NULL, false, &why2);
    CHECK(why2.len > 0);
    mf_buf_free(&why2);
    const char *most[] = {"12.50", "7.25", "3.00", "TBD"};                /* 3 of 4 */
    pc = column(most, 4);
    mf_buf why3 = {0};
    infer_read_number(&p, plan_source_ref(&p, "C"), &pc, NULL, false, &why3);
    CHECK_INT(why3.len, 0);
    mf_buf_free(&why3);
    plan_free(&p);
}

static void calendar_edges(void)
{
    CHECK(!mf_date_valid(1900, 2, 29));       /* not a leap year (divisible by 100) */
    CHECK(mf_date_valid(2000, 2, 29));        /* a leap year (divisible by 400) */
    CHECK(!mf_date_valid(2100, 2, 29));
    CHECK(mf_date_valid(2024, 2, 29));
    CHECK(!mf_date_valid(2023, 2, 29));
    CHECK(mf_date_valid(1, 1, 1));
    CHECK(mf_date_valid(9999, 12, 31));
    CHECK(!mf_date_valid(2023, 4, 31));
    CHECK(!mf_date_valid(2023, 13, 1));
    CHECK(!mf_date_valid(2023, 0, 10));
    CHECK_INT(mf_days_from_civil(1970, 1, 1), 0);
    CHECK_INT(mf_days_from_civil(2000, 3, 1) - mf_days_from_civil(2000, 2, 28), 2);
    CHECK_INT(mf_days_from_civil(1900, 3, 1) - mf_days_from_civil(1900, 2, 28), 1);
    int32_t d;
    CHECK(!mf_date_parse("YYYY-MM-DD", "1900-02-29", 10, 0, &d));
    CHECK(mf_date_parse("YYYY-MM-DD", "2000-02-29", 10, 0, &d));
    CHECK(mf_date_parse("YYYY-MM-DD", "0001-01-01", 10, 0, &d));
    CHECK(mf_date_parse("YYYY-MM-DD", "9999-12-31", 10, 0, &d));
    char out[16];
    mf_date_format(d, out);
    CHECK_STR(out, "9999-12-31");
    int y, m, dd;
    mf_civil_from_days(mf_days_from_civil(1, 1, 1), &y, &m, &dd);
    CHECK(y == 1 && m == 1 && dd == 1);
    /* Excel's serial 60 is its fictitious 1900-02-29; 61 is 1900-03-01 */
    CHECK(mf_date_parse("EXCEL", "61", 2, 0, &d));
    mf_date_format(d, out);
    CHECK_STR(out, "1900-03-01");
}

int main(void)
{
    stated_date_pattern_needs_a_strict_majority();
    another_layout_reading_more_contradicts();
    sample_pattern_ties_between_layouts_ask();
    number_format_majority_and_contradiction();
    calendar_edges();
    CHECK_DONE();
}
