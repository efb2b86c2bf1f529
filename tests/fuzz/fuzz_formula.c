/* fuzz_formula.c — libFuzzer target: the SQL / Excel formula reader (formula_read and
 * formula_cond, src/plan/formula*.c).  Any UTF-8 text in a fixed context (fuzz_rule.h); a taken
 * formula's expression is added to a plan that is rendered, parsed back and checked. */
#include "fuzz_rule.h"
#include "plan/formula.h"

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
    int took = formula_read(&c, text, &res, &e);
    if (took == 1)
        fuzz_rule_use(&p, &c, &res);
    mf_buf why = {0};
    plan_expr *cond = formula_cond(&c, text, &why);
    if (cond)
        plan_add_rule(&p, PR_SKIP, cond, NULL);
    mf_buf_free(&why);
    free(text);
    plan_free(&p);
    return 0;
}
