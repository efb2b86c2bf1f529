/* fuzz_feedback.c — libFuzzer target: the review-feedback reader (feedback_apply and
 * feedback_answer, src/plan/feedback.c) on a fixed plan with an open question.
 *
 * The first input byte picks the action: even applies the rest as a feedback line, odd answers
 * open item (byte / 2 % 3 + 1 — one past the last is a refusal path too) with it.  The rest must
 * be valid UTF-8 without NUL (as a terminal line or a web form field is after decoding).  When a
 * new plan comes out it is rendered, parsed back and checked, as the workflow stores it.
 * No crash, no leak, no stack overflow; the input plan is never modified. */
#include "fuzz_util.h"
#include "plan/feedback.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_plan[] =
    "plan FUZZ v3\n"
    "source \"data.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, header on line 1\n"
    "output OUT\n"
    "\n"
    "ACCOUNT_ID  text(10) required  = [Acct No] padded left with \"0\" to 10\n"
    "AMOUNT      decimal(18,2)      = [Amt] read as number (thousands \",\", negative in parentheses)\n"
    "POSTED      date               = [Posting Dt] read as MM/DD/YYYY\n"
    "KIND        text(6)            = ?\n"
    "skip rows where [Status] is \"VOID\"\n"
    "question about KIND (row 9): \"Which value for KIND?\"\n";

static const char *const header[] = {"Acct No", "Amt", "Posting Dt", "Status", "Dr/Cr"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || mf_utf8_invalid_at((const char *)data + 1, size - 1) != size - 1 ||
        memchr(data + 1, 0, size - 1))
        return 0;
    static plan in;
    static int parsed = -1;
    if (parsed < 0) {
        mf_err e = {0};
        parsed = plan_parse(base_plan, strlen(base_plan), "fuzz.plan", &in, &e) == 0;
        if (!parsed) {
            fprintf(stderr, "fuzz_feedback: the base plan does not parse: %s\n", e.msg);
            abort();
        }
    }
    char *text = fuzz_string(data + 1, size - 1);
    fb_context ctx = {header, (int)(sizeof header / sizeof header[0]), NULL, NULL};
    plan out;
    fb_result r = {0};
    mf_err e = {0};
    int rc = data[0] % 2 == 0 ? feedback_apply(&in, text, &ctx, &out, &r, &e)
                              : feedback_answer(&in, data[0] / 2 % 3 + 1, text, &ctx, &out, &r, &e);
    if (rc == 1) {
        char *rendered = plan_render(&out);
        plan q;
        mf_err e2 = {0};
        if (plan_parse(rendered, strlen(rendered), "rendered.plan", &q, &e2) == 0)
            plan_free(&q);
        mf_err e3 = {0};
        (void)plan_check(&out, NULL, 0, "plan", &e3);
        free(rendered);
        plan_free(&out);
    }
    fb_result_free(&r);
    free(text);
    return 0;
}
