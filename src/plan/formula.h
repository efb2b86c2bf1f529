/* formula.h — rules written in SQL or Excel syntax ("CASE WHEN DC_IND = 'C' THEN -1 * AMT ELSE AMT END",
 * "=IFERROR(VLOOKUP([@Country],Countries!A:B,2,FALSE),\"Unknown\")", "LPAD(EMP_NO, 8, '0')") read into
 * plan expressions.  The formula reader is a small parser of its own (tokens → syntax tree → plan
 * expression), separate from the plain-English reader (plan/rules/), which calls it first.
 */
#ifndef MF_FORMULA_H
#define MF_FORMULA_H

#include "plan/rules.h"
#include "util/buf.h"

/* Read `text` when it is written in formula syntax (a whole rule, possibly with a trailing SQL `--`
 * comment or a parenthesised remark).  Returns 1 when it took the rule: out is filled (the column's
 * expression, or a hole with an open question in c->p) and statements (skip rules from WHERE, lookups)
 * were added to c->p; 0 when the text is not formula syntax it reads completely (the caller reads it
 * as prose; nothing was added); -1 on an internal failure (e filled). */
int formula_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e);

/* A condition written in SQL or Excel syntax ("ACCOUNT_TYPE = 'PL' AND AMOUNT <> 0",
 * "=AND([@Amount]<>0,[@Type]<>\"TEST\")") as a plan condition over source columns; NULL when text is
 * not one (sentences explaining a doubt are appended to why). */
plan_expr *formula_cond(const rule_ctx *c, const char *text, mf_buf *why);

#endif
