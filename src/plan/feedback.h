/* feedback.h — a reviewer's plain-English feedback applied to a plan, giving the next version.
 *
 * Deterministic, like the rule vocabulary: a line of feedback is matched against a small table
 * of phrasings ("add validation for negative values on AMOUNT", "AMOUNT should be divided by
 * 100, not multiplied", "take T_DATE from Value Date instead", "reject rows where Acct No is
 * empty", "default currency to USD", "make AMOUNT required", "remove the filter on Status",
 * "ACCOUNT_ID must be unique", "check that AMOUNT is not zero", ...; docs/plan-language.md
 * "Review feedback" lists them).  Column names match case-insensitively, by output name or by
 * the source column they are read from.  A line that matches as a whole is one edit; otherwise it
 * is cut at ";", "." and "and" and every piece must be understood.
 *
 * Invariants: the input plan is never modified; a new plan (version + 1) is produced only when
 * every part of the feedback was understood and the edited plan type-checks; otherwise the
 * result says what was understood and what was not, and no plan is produced (never a silent
 * no-op: feedback that would change nothing is reported as such).
 */
#ifndef MF_FEEDBACK_H
#define MF_FEEDBACK_H

#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"
#include "util/err.h"

#include <stdbool.h>

typedef struct fb_context {
    const char *const *header;  /* the data file's header (source column names); may be NULL */
    int nheader;
    const profile *pr;          /* profile of the data, for answers read by the rule vocabulary; may be NULL */
    const mapping *m;           /* the mapping (lookup tabs, rows of questions); may be NULL */
} fb_context;

typedef struct fb_result {
    char *understood;           /* malloc'd: what was understood / done, "; "-separated ("" when nothing) */
    char *not_understood;       /* malloc'd: what was not, "" when everything was */
} fb_result;

/* Apply one line of feedback to `in`.  Returns 1 with *out = the new plan (version + 1, caller
 * frees), 0 when nothing was applied (out left empty: plan_init'ed; r says why), -1 on an
 * internal failure (e filled). r is always filled (free it with fb_result_free). */
int feedback_apply(const plan *in, const char *text, const fb_context *ctx, plan *out, fb_result *r, mf_err *e);

/* Answer open question n (1-based, in feedback_question_at order): text is a plan-language
 * expression, or a rule phrase read by the rule vocabulary for the question's column (a question
 * without a column takes feedback).  The question is removed and the column's hole filled.
 * Same results as feedback_apply. */
int feedback_answer(const plan *in, int n, const char *text, const fb_context *ctx, plan *out, fb_result *r,
                    mf_err *e);

/* The open questions as the review numbers them: the plan's questions in order, then every
 * column whose expression holds a ? without a question about it.  Returns how many; the i-th
 * (0-based) is a question index (>= 0) or, for a bare hole, -1 - column index. */
int feedback_open_items(const plan *p, int *items, int max);

/* "1. ACCOUNT_ID (mapping row 4): text" lines for every open item, into a malloc'd string. */
char *feedback_questions_text(const plan *p);

void fb_result_free(fb_result *r);

#endif
