/* fuzz_rules.c — libFuzzer target: the plain-English rule reader (rules_read, src/plan/rules/).
 * Any UTF-8 rule text in a fixed context (fuzz_rule.h); the result is added to a plan that is
 * rendered, parsed back and checked.  No crash, no leak, no stack overflow. */
#include "fuzz_rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan p;
    rule_ctx c;
    char *text = fuzz_rule_ctx(data, size, &p, &c);
    if (!text)
        return 0;
    rule_result res = {0};
    mf_err e = {0};
    if (rules_read(&c, text, &res, &e) == 0)
        fuzz_rule_use(&p, &c, &res);
    free(text);
    plan_free(&p);
    return 0;
}
