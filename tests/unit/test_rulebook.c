/* test_rulebook.c — the rulebook's shape, template and instantiation (plan/rulebook.h): two rules
 * written alike for two clients have one shape; a reading is learned only when every value it
 * holds is a slot or stated in the rule; hostile slot values come back as quoted values. */
#include "check.h"
#include "plan/plan.h"
#include "plan/rulebook.h"

#include <stdlib.h>
#include <string.h>

static void test_shape(void)
{
    const char *cols[] = {"Acct No", "Amt", "Acct"};
    rb_shape s;
    rb_shape_of("Left-pad  ACCT NO with '0' to 10 chars; if [Dr/Cr] is \"C\", negate Amt.", cols, 3, &s);
    CHECK_STR(s.shape, "left pad {c0} with {s0} to {n0} chars if {c1} is {s1} negate {c2}");
    CHECK_INT(s.nslots, 6);
    CHECK_STR(s.slot[0].value, "Acct No");   /* the longest column, spelt as the data spells it */
    CHECK_STR(s.slot[1].value, "0");
    CHECK_STR(s.slot[2].value, "10");
    CHECK_STR(s.slot[3].value, "Dr/Cr");
    CHECK_STR(s.slot[4].value, "C");
    CHECK_STR(s.slot[5].value, "Amt");
    rb_shape_free(&s);

    /* another client: other names and values, same sentence */
    const char *cols2[] = {"Account Number", "Value"};
    rb_shape_of("Left-pad account number with \xE2\x80\x98X\xE2\x80\x99 to 12 chars; if [Side] is 'D', negate value",
                cols2, 2, &s);
    CHECK_STR(s.shape, "left pad {c0} with {s0} to {n0} chars if {c1} is {s1} negate {c2}");
    CHECK_STR(s.slot[0].value, "Account Number");
    CHECK_STR(s.slot[1].value, "X");
    rb_shape_free(&s);

    /* the row's source field apart from the rule: slot c0, and the shape says so */
    const char *cols4[] = {"Amt", "Value"};
    rb_shape_of_row("Divide by 100", "Amt", cols4, 2, &s);
    CHECK_STR(s.shape, "from {c0}: divide by {n0}");
    CHECK_STR(s.slot[0].value, "Amt");
    const char *why;
    char *t = rb_template("[Amt] divided by 100", "Divide by 100", &s, &why);
    CHECK_STR(t, "{c0} divided by {n0}");
    rb_shape_free(&s);
    rb_shape_of_row("Divide by 1000", "Value", cols4, 2, &s);
    CHECK_STR(s.shape, "from {c0}: divide by {n0}");
    mf_err e = {0};
    char *x = t ? rb_instantiate(t, &s, &e) : NULL;
    CHECK_STR(x, "[Value] divided by 1000");
    free(x);
    free(t);
    rb_shape_free(&s);
    rb_shape_of_row("Divide by 100", NULL, cols4, 2, &s);   /* no source: no prefix */
    CHECK_STR(s.shape, "divide by {n0}");
    rb_shape_free(&s);

    /* apostrophes inside words are no quotes; a column name inside a word is no column */
    const char *cols3[] = {"Fee"};
    rb_shape_of("Apply the client's standard feeling fee", cols3, 1, &s);
    CHECK_STR(s.shape, "apply the client s standard feeling {c0}");
    CHECK_INT(s.nslots, 1);
    rb_shape_free(&s);
}

static char *learn(const char *rule, const char *const *cols, int n, const char *expr, const char **why)
{
    rb_shape s;
    rb_shape_of(rule, cols, n, &s);
    char *t = rb_template(expr, rule, &s, why);
    rb_shape_free(&s);
    return t;
}

static void test_template(void)
{
    const char *why;
    const char *cols[] = {"Acct No", "Dr/Cr", "Amt"};
    char *t = learn("Pad Acct No with '0' to 10", cols, 3, "[Acct No] trimmed, padded left with \"0\" to 10", &why);
    CHECK_STR(t, "{c0} trimmed, padded left with {s0} to {n0}");
    free(t);
    /* a number slot used as text */
    t = learn("Pad Acct No with 0 to 10", cols, 3, "[Acct No] padded left with \"0\" to 10", &why);
    CHECK_STR(t, "{c0} padded left with {s:n0} to {n1}");
    free(t);
    /* a literal the rule states verbatim stays (it is part of the shape too) */
    t = learn("Negate Amt when Dr/Cr is C", cols, 3, "[Amt] negated when [Dr/Cr] is \"C\"", &why);
    CHECK_STR(t, "{c0} negated when {c1} is \"C\"");
    free(t);
    /* not learnable: a constant the rule does not state */
    t = learn("Apply the standard fee to Amt", cols, 3, "[Amt] multiplied by 0.015", &why);
    CHECK(t == NULL);
    CHECK(why && strstr(why, "number"));
    t = learn("Apply the standard fee to Amt", cols, 3, "[Amt] & \"EUR\"", &why);
    CHECK(t == NULL);
    /* not learnable: a column the rule does not name */
    t = learn("Use the amount", cols, 3, "[Amt]", &why);
    CHECK(t == NULL);
    CHECK(why && strstr(why, "column"));
    /* a literal that is only part of a word of the rule is not stated */
    t = learn("Fixed Amt", cols, 3, "[Amt] & \"x\"", &why);
    CHECK(t == NULL);
    /* not learnable: a reading that leaves out a value the rule states (here a filter the plan
     * reads as a skip rule: another rule of this shape would lose its filter) */
    const char *cols2[] = {"Invoice No", "Fiscal Year"};
    t = learn("Carry Invoice No over; exclude rows whose Fiscal Year is not 2023", cols2, 2, "[Invoice No]", &why);
    CHECK(t == NULL);
    CHECK(why && strstr(why, "leaves out a value"));
    /* a column named twice counts once; the row's source field need not be used */
    rb_shape s;
    rb_shape_of_row("Gloop Amt by 100", "Amt", cols, 3, &s);
    t = rb_template("[Amt] divided by 100", "Gloop Amt by 100", &s, &why);
    CHECK_STR(t, "{c0} divided by {n0}");
    free(t);
    rb_shape_free(&s);
    rb_shape_of_row("Use Dr/Cr instead", "Amt", cols, 3, &s);
    t = rb_template("[Dr/Cr]", "Use Dr/Cr instead", &s, &why);
    CHECK_STR(t, "{c1}");
    free(t);
    rb_shape_free(&s);
}

static void test_instantiate(void)
{
    const char *cols[] = {"Acct No", "Amt"};
    const char *why;
    char *t = learn("Pad Acct No with '0' to 10", cols, 2, "[Acct No] trimmed, padded left with \"0\" to 10", &why);
    CHECK(t != NULL);
    const char *cols2[] = {"Acct]\"`x", "Value"};
    rb_shape s;
    /* hostile values: a column name with brackets and quotes, a literal that is a quote */
    rb_shape_of("Pad Acct]\"`x with '\"' to 12", cols2, 2, &s);
    mf_err e = {0};
    char *x = rb_instantiate(t, &s, &e);
    CHECK(x != NULL);
    plan p;
    plan_init(&p);
    plan_expr *ex = rb_instantiate_expr(&p, t, &s, &e);
    CHECK(ex != NULL);
    if (ex) {
        CHECK_INT(ex->kind, PE_STEP);
        CHECK_INT(ex->step.kind, PS_PAD_LEFT);
        CHECK_STR(ex->step.s, "\"");
        CHECK_INT(ex->step.n, 12);
        CHECK_INT(ex->kid[0]->kind, PE_STEP);   /* trimmed */
        CHECK_INT(ex->kid[0]->kid[0]->kind, PE_SOURCE);
        CHECK_STR(ex->kid[0]->kid[0]->name, "Acct]\"`x");
    }
    plan_free(&p);
    free(x);
    rb_shape_free(&s);

    /* a value that tries to close the literal and add a step stays one literal */
    char *tp = learn("Put 'X' before Acct No", cols, 2, "[Acct No] prefixed with \"X\"", &why);
    CHECK_STR(tp, "{c0} prefixed with {s0}");
    rb_shape_of("Put 'X\", upper cased, prefixed with \"Y' before Acct No", cols, 2, &s);
    plan_init(&p);
    ex = tp ? rb_instantiate_expr(&p, tp, &s, &e) : NULL;
    CHECK(ex != NULL);
    if (ex) {
        CHECK_INT(ex->kind, PE_STEP);
        CHECK_INT(ex->step.kind, PS_PREFIX);
        CHECK_STR(ex->step.s, "X\", upper cased, prefixed with \"Y");
        CHECK_INT(ex->kid[0]->kind, PE_SOURCE);
    }
    plan_free(&p);
    rb_shape_free(&s);
    free(tp);

    /* a number position takes only a number */
    char *tn = learn("Multiply Amt by 100", cols, 2, "[Amt] multiplied by 100", &why);
    CHECK_STR(tn, "{c0} multiplied by {n0}");
    rb_slot hostile[] = {{'c', "Amt"}, {'n', "1 or true"}};
    rb_shape hs = {NULL, hostile, 2};
    mf_err e2 = {0};
    CHECK(rb_instantiate(tn, &hs, &e2) == NULL);
    free(tn);
    free(t);
}

/* The expression text tmpl gives for rule (NULL with e filled when it does not instantiate). */
static char *for_rule(const char *tmpl, const char *rule, const char *const *cols, int n, mf_err *e)
{
    rb_shape s;
    rb_shape_of(rule, cols, n, &s);
    mf_err_clear(e);
    char *x = tmpl ? rb_instantiate(tmpl, &s, e) : NULL;
    rb_shape_free(&s);
    return x;
}

/* Dates are slots of their own, whatever their layout; a learned reading writes the new rule's
 * date in the reading's own pattern, in the day/month order the learned rule's date was read in,
 * and never guesses that order. */
static void test_dates(void)
{
    const char *cols[] = {"Pay Dt"};
    const char *same[] = {"Days from Pay Dt to 31/12/2023",      "days from pay dt to 2023-12-31",
                          "Days from Pay Dt to 31 Dec 2023",     "Days from Pay Dt to December 31, 2023",
                          "Days from Pay Dt to '31.12.2023'",    "Days from Pay Dt to 1st of January 2024",
                          "Days from Pay Dt to 31-Dec-2023.",    "Days from [Pay Dt] to 12/31/2023"};
    rb_shape s;
    mf_err e = {0};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        rb_shape_of(same[i], cols, 1, &s);
        CHECK_STR(s.shape, "days from {c0} to {d0}");
        CHECK_INT(s.nslots, 2);
        CHECK_INT(s.slot[1].kind, 'd');
        rb_shape_free(&s);
    }
    rb_shape_of("Days from Pay Dt to '31.12.2023'", cols, 1, &s);
    CHECK_STR(s.slot[1].value, "31.12.2023");
    rb_shape_free(&s);
    /* a number with thousands separators is one slot, without its commas */
    rb_shape_of("Flag 10,000 or more, 2,500.50 or 1,2 and 1,0000", cols, 1, &s);
    CHECK_STR(s.shape, "flag {n0} or more {n1} or {n2} {n3} and {n4} {n5}");
    CHECK_STR(s.slot[0].value, "10000");
    CHECK_STR(s.slot[1].value, "2500.50");
    CHECK_STR(s.slot[2].value, "1");
    rb_shape_free(&s);
    rb_slot commas[] = {{'c', "Amt"}, {'n', "1,000"}};
    rb_shape cs = {NULL, commas, 2};
    CHECK(rb_instantiate("{c0} multiplied by {n0}", &cs, &e) == NULL);
    /* not dates: no year, an impossible day, a plain number */
    rb_shape_of("Take 10/12 of 32/13/2023 and 2023", cols, 1, &s);
    CHECK_STR(s.shape, "take {n0} {n1} of {n2} {n3} {n4} and {n5}");
    rb_shape_free(&s);

    const char *why;
    /* learned from a day-first date, kept as written and read with its pattern */
    char *t = learn("Days from Pay Dt to 31/12/2023", cols, 1,
                    "days from [Pay Dt] read as DD/MM/YYYY to \"31/12/2023\" read as DD/MM/YYYY", &why);
    CHECK_STR(t, "days from {c0} read as DD/MM/YYYY to {s:d0:dmy} read as DD/MM/YYYY");
    char *x = for_rule(t, "Days from Pay Dt to 30/06/2024", cols, 1, &e);
    CHECK_STR(x, "days from [Pay Dt] read as DD/MM/YYYY to \"30/06/2024\" read as DD/MM/YYYY");
    free(x);
    x = for_rule(t, "Days from Pay Dt to 3/4/2024", cols, 1, &e);   /* day first, as learned: 3 April */
    CHECK_STR(x, "days from [Pay Dt] read as DD/MM/YYYY to \"03/04/2024\" read as DD/MM/YYYY");
    free(x);
    x = for_rule(t, "Days from Pay Dt to 1 Jul 2024", cols, 1, &e);
    CHECK_STR(x, "days from [Pay Dt] read as DD/MM/YYYY to \"01/07/2024\" read as DD/MM/YYYY");
    free(x);
    x = for_rule(t, "Days from Pay Dt to 06/30/2024", cols, 1, &e);   /* month first: not swapped, asked */
    CHECK(x == NULL);
    CHECK_INT(e.code, MF_EQUESTION);
    CHECK(strstr(e.msg, "06/30/2024") && strstr(e.msg, "day first"));
    plan p;
    plan_init(&p);
    rb_shape_of("Days from Pay Dt to 2024-06-30", cols, 1, &s);
    plan_expr *ex = rb_instantiate_expr(&p, t, &s, &e);
    CHECK(ex != NULL);
    rb_shape_free(&s);
    plan_free(&p);
    free(t);

    /* learned from 01/01/2023 answered in ISO: the rule's date says no order, so an order-ambiguous
     * date asks, and one only a single order reads is read so */
    t = learn("Days from Pay Dt to 01/01/2023", cols, 1,
              "days from [Pay Dt] read as ISO date to \"2023-01-01\" read as ISO date", &why);
    CHECK_STR(t, "days from {c0} read as ISO date to {s:d0:any} read as ISO date");
    x = for_rule(t, "Days from Pay Dt to 31/12/2024", cols, 1, &e);
    CHECK_STR(x, "days from [Pay Dt] read as ISO date to \"2024-12-31\" read as ISO date");
    free(x);
    x = for_rule(t, "Days from Pay Dt to 03/04/2024", cols, 1, &e);
    CHECK(x == NULL);
    CHECK_INT(e.code, MF_EQUESTION);
    x = for_rule(t, "Days from Pay Dt to 04/04/2024", cols, 1, &e);   /* either order: one date */
    CHECK_STR(x, "days from [Pay Dt] read as ISO date to \"2024-04-04\" read as ISO date");
    free(x);
    free(t);

    /* learned from a month-first date: the order is kept */
    t = learn("Days from Pay Dt to 12/31/2023", cols, 1,
              "days from [Pay Dt] read as ISO date to \"2023-12-31\" read as ISO date", &why);
    CHECK_STR(t, "days from {c0} read as ISO date to {s:d0:mdy} read as ISO date");
    x = for_rule(t, "Days from Pay Dt to 03/04/2024", cols, 1, &e);
    CHECK_STR(x, "days from [Pay Dt] read as ISO date to \"2024-03-04\" read as ISO date");
    free(x);
    x = for_rule(t, "Days from Pay Dt to 31/12/2024", cols, 1, &e);
    CHECK(x == NULL);
    free(t);

    /* a date the reading holds as a text, written as the rule wrote it */
    t = learn("Set to 31/12/2023", cols, 1, "\"31/12/2023\"", &why);
    CHECK_STR(t, "{s:d0}");
    x = for_rule(t, "Set to 2024-01-05", cols, 1, &e);
    CHECK_STR(x, "\"2024-01-05\"");
    free(x);
    free(t);
    /* a date the rule does not state is still not learned */
    t = learn("Days from Pay Dt to 31/12/2023", cols, 1,
              "days from [Pay Dt] read as ISO date to \"2024-12-31\" read as ISO date", &why);
    CHECK(t == NULL);
    /* a hand-made template naming a date slot with an order but no pattern after it fails */
    rb_shape_of("Set to 31/12/2023", cols, 1, &s);
    CHECK(rb_instantiate("{s:d0:dmy}", &s, &e) == NULL);
    rb_shape_free(&s);
}

int main(void)
{
    test_shape();
    test_template();
    test_instantiate();
    test_dates();
    CHECK_DONE();
}
