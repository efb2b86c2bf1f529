/* formula.c — rules written in SQL or Excel syntax read into plan expressions (see formula.h).
 * Not written yet: every text is left to the plain-English reader.
 */
#include "plan/formula.h"

int formula_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e)
{
    (void)c, (void)text, (void)out, (void)e;
    return 0;
}

plan_expr *formula_cond(const rule_ctx *c, const char *text, mf_buf *why)
{
    (void)c, (void)text, (void)why;
    return NULL;
}
