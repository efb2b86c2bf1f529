/* fuzz_rule.h — the context the rule and formula targets read a rule in: one output column of
 * a given type with two named source columns, no lookup tabs, no profile.  The first input byte
 * picks the type, the rest is the rule text (valid UTF-8 only, as a workbook cell always is). */
#ifndef MF_FUZZ_RULE_H
#define MF_FUZZ_RULE_H

#include "fuzz_util.h"
#include "plan/rules.h"
#include "util/utf8.h"

static const rule_src fuzz_src[] = {{"Amount", "Amount", NULL}, {"Dr/Cr", "Dr/Cr", NULL}};

/* Fill c for input data; NULL when the input is not a rule (then nothing is allocated). */
static inline char *fuzz_rule_ctx(const uint8_t *data, size_t size, plan *p, rule_ctx *c)
{
    if (size < 1 || mf_utf8_invalid_at((const char *)data + 1, size - 1) != size - 1 ||
        memchr(data + 1, 0, size - 1))
        return NULL;
    static const plan_type types[] = {{PT_TEXT, 0, 0, 0}, {PT_DECIMAL, 0, 18, 2}, {PT_DATE, 0, 0, 0},
                                      {PT_BOOLEAN, 0, 0, 0}, {PT_INTEGER, 0, 0, 0}, {PT_UNKNOWN, 0, 0, 0}};
    plan_init(p);
    p->client = "FUZZ";
    p->version = 1;
    p->output = "OUT";
    p->source.delimiter = ',';
    memset(c, 0, sizeof *c);
    c->p = p;
    c->row = 7;
    c->column = "TARGET";
    c->type = types[data[0] % (sizeof types / sizeof types[0])];
    c->nsrc = 1 + (data[0] / 8) % 2;
    c->src = fuzz_src;
    return fuzz_string(data + 1, size - 1);
}

/* What the planner does with a result: the column joins the plan, the plan is rendered and
 * checked.  Rendering and parsing back must work for whatever the reader built. */
static inline void fuzz_rule_use(plan *p, const rule_ctx *c, const rule_result *res)
{
    if (res->expr) {
        plan_column *col = plan_add_column(p, c->column, c->type);
        col->expr = res->expr;
        col->required = res->required;
    }
    char *text = plan_render(p);
    plan q;
    mf_err e = {0};
    if (plan_parse(text, strlen(text), "rendered.plan", &q, &e) == 0)
        plan_free(&q);
    mf_err e2 = {0};
    (void)plan_check(p, NULL, 0, "plan", &e2);
    free(text);
}

#endif
