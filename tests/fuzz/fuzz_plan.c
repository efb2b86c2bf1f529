/* fuzz_plan.c — libFuzzer target: the plan language (src/plan: parse, check, render).  For any
 * text that parses: plan_check runs (pass or fail), and the canonical text parses back to an equal
 * plan whose text is the same (parse(render(p)) == p, render a fixed point).  A violation aborts
 * with both texts on stderr. */
#include "fuzz_util.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan p, q;
    mf_err e = {0};
    if (plan_parse((const char *)data, size, "fuzz.plan", &p, &e) < 0)
        return 0;
    char *r = plan_render(&p);
    mf_err e2 = {0};
    if (plan_parse(r, strlen(r), "rendered.plan", &q, &e2) < 0) {
        char msg[1600];
        mf_err_format(&e2, msg, sizeof msg);
        fprintf(stderr, "rendered plan does not parse: %s\n---\n%s---\n", msg, r);
        abort();
    }
    if (!plan_equal(&p, &q)) {
        fprintf(stderr, "parse(render(p)) != p\n---\n%s---\n", r);
        abort();
    }
    char *r2 = plan_render(&q);
    if (strcmp(r, r2) != 0) {
        fprintf(stderr, "render is not a fixed point\n---\n%s---\n%s---\n", r, r2);
        abort();
    }
    mf_err e3 = {0};
    (void)plan_check(&p, NULL, 0, "fuzz.plan", &e3);   /* pass or fail, never crash */
    (void)plan_has_open_questions(&p);
    free(r);
    free(r2);
    plan_free(&p);
    plan_free(&q);
    return 0;
}
