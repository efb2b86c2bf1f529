/* test_feedback.c — plain-English feedback applied to a plan (table-driven): each phrasing makes
 * the expected statement, the result is a new version that parses back, and feedback that cannot
 * be applied makes no version and says what was and was not understood. */
#include "check.h"
#include "compile/program.h"
#include "plan/feedback.h"
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

/* The rendered plan with wrapped provenance joined back onto one line ("\n   # " -> " "), so that
 * the expectations below can name a whole comment. */
static char *unwrap_comments(char *t)
{
    char *w = t;
    for (const char *r = t; *r;) {
        const char *q = r + 1;
        while (*r == '\n' && *q == ' ')
            q++;
        if (*r == '\n' && q > r + 1 && q[0] == '#' && q[1] == ' ') {
            *w++ = ' ';
            r = q + 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
    return t;
}

static const char *const header[] = {"Acct No", "Posting Dt", "Trade Date", "Value Date", "Amt",
                                     "Dr/Cr", "Currency", "Status", "Fee Code"};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

typedef struct fb_case {
    const char *feedback;
    int rc;                    /* 1 applied, 0 not */
    const char *has[3];        /* lines the new plan text must contain */
    const char *lacks;         /* text the new plan must not contain */
    const char *said;          /* text in understood (rc 1) or not_understood (rc 0) */
} fb_case;

static const fb_case cases[] = {
    {"add validation for negative values on AMOUNT", 1,
     {"reject rows where AMOUNT < 0: \"AMOUNT is negative\"", "# feedback: add validation for negative values on AMOUNT"},
     NULL, "reject rows where AMOUNT < 0"},
    {"Add a validation for negative amounts on amount.", 1, {"reject rows where AMOUNT < 0"}, NULL, NULL},
    {"AMOUNT should be divided by 100, not multiplied", 1,
     {"divided by 100, rounded to 2 decimals,", "negated when [Dr/Cr] is \"C\""}, "multiplied by", "divided by 100"},
    {"multiply amount by 1000 instead", 1, {"multiplied by 1000,"}, "multiplied by 100,", NULL},
    {"take T_DATE from Value Date instead", 1, {"T_DATE        date               = [Value Date] read as MM/DD/YYYY"},
     "[Trade Date]", "instead of [Trade Date]"},
    {"use [Value Date] for t_date", 1, {"= [Value Date] read as"}, NULL, NULL},
    {"reject rows where Acct No is empty", 1, {"reject rows where [Acct No] is missing: \"Acct No is empty\""}, NULL,
     NULL},
    {"default currency to USD", 1, {"[Currency] upper cased, defaulting to \"USD\" when missing"}, NULL, NULL},
    {"make AMOUNT required", 1, {"AMOUNT        decimal(18,2) required"}, NULL, "AMOUNT is now required"},
    {"ACCOUNT_ID is optional", 1, {"ACCOUNT_ID    text(10)"}, "text(10) required", NULL},
    {"make ACCOUNT_ID required", 0, {NULL}, NULL, "already required"},
    {"remove the filter on Status", 1, {NULL}, "skip rows where", "removed"},
    {"don't exclude VOID rows", 1, {NULL}, "skip rows where", NULL},
    {"remove the filter on Currency", 0, {NULL}, NULL, "no skip rule mentions \"Currency\""},
    {"ACCOUNT_ID must be unique", 1, {"key ACCOUNT_ID"}, NULL, NULL},
    {"the key is ACCOUNT_ID and POSTING_DATE", 1, {"key ACCOUNT_ID, POSTING_DATE"}, NULL, NULL},
    {"check that AMOUNT is not zero", 1, {"check AMOUNT is not 0: \"AMOUNT is zero\""}, NULL, NULL},
    {"check AMOUNT <= 1000000", 1, {"check AMOUNT <= 1000000: \"AMOUNT <= 1000000 does not hold\""}, NULL, NULL},
    {"reject rows where AMOUNT > 5000", 1, {"reject rows where AMOUNT > 5000: \"AMOUNT > 5000\""}, NULL, NULL},
    {"add validation for negative values on AMOUNT and default currency to USD", 1,
     {"reject rows where AMOUNT < 0", "defaulting to \"USD\""}, NULL, NULL},
    /* not understood: no new version, and the report says which part */
    {"make it nicer", 0, {NULL}, NULL, "\"make it nicer\""},
    {"add validation for negative values on AMOUNT and make it nicer", 0, {NULL}, NULL, "\"make it nicer\""},
    {"add validation for negative values on BALANCE", 0, {NULL}, NULL, "which column \"BALANCE\""},
    {"take T_DATE from Settlement Zone instead", 0, {NULL}, NULL, "which data column \"Settlement Zone\""},
    {"add validation for negative values on CURRENCY", 0, {NULL}, NULL, "not a number"},
    {"check AMOUNT <=", 0, {NULL}, NULL, "as a plan condition"},
    {"", 0, {NULL}, NULL, "empty feedback"},
};

static void run_case(const plan *base, const fb_case *c)
{
    fb_context ctx = {header, (int)(sizeof header / sizeof header[0]), NULL, NULL};
    plan out;
    fb_result r;
    mf_err e = {0};
    int rc = feedback_apply(base, c->feedback, &ctx, &out, &r, &e);
    if (rc != c->rc) {
        fprintf(stderr, "feedback \"%s\": rc %d, want %d (understood: %s; not understood: %s)\n", c->feedback, rc,
                c->rc, r.understood, r.not_understood);
        check_failures++;
    }
    if (rc == 1) {
        CHECK_INT(out.version, base->version + 1);
        CHECK_STR(r.not_understood, "");
        char *text = unwrap_comments(plan_render(&out));
        for (int i = 0; i < 3 && c->has[i]; i++)
            if (!strstr(text, c->has[i])) {
                fprintf(stderr, "feedback \"%s\": plan lacks \"%s\":\n%s", c->feedback, c->has[i], text);
                check_failures++;
            }
        if (c->lacks && strstr(text, c->lacks)) {
            fprintf(stderr, "feedback \"%s\": plan still has \"%s\":\n%s", c->feedback, c->lacks, text);
            check_failures++;
        }
        /* the new version is text that parses to the same plan */
        plan back;
        mf_err pe = {0};
        CHECK_INT(plan_parse(text, strlen(text), "new.plan", &back, &pe), 0);
        CHECK(plan_equal(&out, &back));
        plan_free(&back);
        free(text);
    } else {
        CHECK_INT(out.ncols, 0);   /* no new version */
        CHECK(r.not_understood && r.not_understood[0]);
    }
    const char *said = rc == 1 ? r.understood : r.not_understood;
    if (c->said && (!said || !strstr(said, c->said))) {
        fprintf(stderr, "feedback \"%s\": report \"%s\" lacks \"%s\"\n", c->feedback, said ? said : "", c->said);
        check_failures++;
    }
    fb_result_free(&r);
    plan_free(&out);
}

static void test_answers(const plan *base)
{
    fb_context ctx = {header, (int)(sizeof header / sizeof header[0]), NULL, NULL};
    plan out;
    fb_result r;
    mf_err e = {0};
    char *q = feedback_questions_text(base);
    CHECK(strstr(q, "1. FEE (mapping row 9): What is the standard fee logic?") != NULL);
    free(q);
    /* an expression answer fills the hole and removes the question */
    CHECK_INT(feedback_answer(base, 1, "[Fee Code] read as number, rounded to 2 decimals", &ctx, &out, &r, &e), 1);
    CHECK_INT(out.nquestions, 0);
    CHECK(!plan_has_open_questions(&out));
    char *text = plan_render(&out);
    CHECK(strstr(text, "FEE           decimal(18,2)      = [Fee Code] read as number, rounded to 2 decimals") != NULL);
    free(text);
    fb_result_free(&r);
    plan_free(&out);
    /* a wrong question number, an ill-typed answer */
    CHECK_INT(feedback_answer(base, 2, "0", &ctx, &out, &r, &e), 0);
    CHECK(strstr(r.not_understood, "questions 1 to 1") != NULL);
    fb_result_free(&r);
    plan_free(&out);
    CHECK_INT(feedback_answer(base, 1, "banana split", &ctx, &out, &r, &e), 0);
    CHECK(r.not_understood[0] != '\0');
    CHECK_INT(out.ncols, 0);
    fb_result_free(&r);
    plan_free(&out);
}

/* An answer the plan parser cannot read goes to the rule vocabulary for the question's column. */
static void test_rule_answer(void)
{
    static const char text[] =
        "plan ACME v4\n"
        "source \"f.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
        "output OUT\n\n"
        "REF   text(10)  = [Ref] trimmed  # row 2: trim\n"
        "CODE  text(10)  = ?              # row 3: do the usual thing\n"
        "question about CODE (row 3): \"What is the usual thing?\"\n";
    static const char *const hdr[] = {"Ref", "Code"};
    plan in, out;
    mf_err e = {0};
    CHECK_INT(plan_parse(text, strlen(text), "rule.plan", &in, &e), 0);
    fb_context ctx = {hdr, 2, NULL, NULL};
    fb_result r;
    int rc = feedback_answer(&in, 1, "take Code and left pad with zeros to 10 characters", &ctx, &out, &r, &e);
    if (rc != 1)
        fprintf(stderr, "rule answer: rc %d understood: %s; not understood: %s\n", rc, r.understood, r.not_understood);
    CHECK_INT(rc, 1);
    if (rc == 1) {
        char *t = plan_render(&out);
        CHECK(strstr(t, "padded left with \"0\" to 10") != NULL);
        CHECK(strstr(t, "question") == NULL);
        CHECK_INT(out.version, 5);
        free(t);
    }
    fb_result_free(&r);
    plan_free(&out);
    plan_free(&in);
}

/* The engine ignores reviewer checks: a plan compiles to the same program with or without one. */
static void test_engine_ignores_checks(void)
{
    static const char a[] = "plan A v1\nsource \"f\": csv, delimiter \",\", quote none, encoding UTF-8, header on line 1\n"
                            "output O\n\nX text = [x]\nkey X\n";
    static const char b[] = "plan A v1\nsource \"f\": csv, delimiter \",\", quote none, encoding UTF-8, header on line 1\n"
                            "output O\n\nX text = [x]\ncheck X is \"never\": \"X is never\"\nkey X\n";
    static const char *const hdr[] = {"x"};
    plan pa, pb;
    mf_err e = {0};
    CHECK_INT(plan_parse(a, strlen(a), "a", &pa, &e), 0);
    CHECK_INT(plan_parse(b, strlen(b), "b", &pb, &e), 0);
    CHECK_INT(plan_check(&pa, hdr, 1, "a", &e), 0);
    CHECK_INT(plan_check(&pb, hdr, 1, "b", &e), 0);
    eng_program *ga = eng_compile(&pa, hdr, 1, "a", &e), *gb = eng_compile(&pb, hdr, 1, "b", &e);
    CHECK(ga && gb);
    if (ga && gb)
        CHECK_INT(gb->ncode, ga->ncode);
    eng_program_free(ga);
    eng_program_free(gb);
    plan_free(&pa);
    plan_free(&pb);
}

int main(void)
{
    test_rule_answer();
    test_engine_ignores_checks();
    char *text = read_file("tests/data/feedback/base.plan");
    CHECK(text != NULL);
    if (!text)
        CHECK_DONE();
    plan base;
    mf_err e = {0};
    CHECK_INT(plan_parse(text, strlen(text), "base.plan", &base, &e), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&base, &cases[i]);
    test_answers(&base);
    plan_free(&base);
    free(text);
    CHECK_DONE();
}
