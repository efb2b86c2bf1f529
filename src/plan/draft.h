/* draft.h — the planner: a mapping plus a profile of the data become a draft plan.
 *
 * Deterministic.  Each mapping row's free-text rule is read by the rule readers (formula.c for SQL and Excel, rules/ for plain English):
 * phrasings are matched on meaning (case, punctuation, synonyms, word order), and what the
 * vocabulary reads is checked against the data sample (a rule that says MM/DD/YYYY on data that
 * is DD/MM/YYYY is flagged as a question, not obeyed).  What it cannot read becomes a hole (?)
 * and an open question, never a guess.
 */
#ifndef MF_DRAFT_H
#define MF_DRAFT_H

#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"

typedef struct draft_options {
    const char *client;
    const char *data_name;      /* file name for the plan's source line */
    const char *output_name;    /* overrides the mapping's output name; NULL = from the mapping */
} draft_options;

int plan_draft(const mapping *m, const profile *pr, const draft_options *opt, plan *out, mf_err *e);

#endif
