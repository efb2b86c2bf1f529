/* suggest.h — the model as a second reader: each open question the vocabulary left is sent to the
 * configured model (src/llm) with its context; an answer that parses, type-checks and runs on the
 * sample like a person's edit is attached to the question as a suggestion (plan.h), never applied.
 *
 * Invariants:
 *   - nothing the model writes changes a column, a rule or a question: only plan_add_suggestion;
 *   - an answer is tried at most twice per question (the second time with the first refusal);
 *     a refused or failed answer leaves the question as it was;
 *   - every call is recorded (store llm_calls + an "llm_call" audit event: provider, model, tokens,
 *     time, outcome, prompt and answer hashes — never the key, never the texts);
 *   - the per-run and per-day token budgets are checked before each call; past them nothing is sent;
 *   - a model that cannot be reached stops the asking for this run (no call blocks the plan).
 */
#ifndef MF_FLOW_SUGGEST_H
#define MF_FLOW_SUGGEST_H

#include "llm/llm.h"
#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"
#include "store/store.h"

#include <stdio.h>

typedef struct flow_suggest_ctx {
    const llm_config *cfg;
    store *st;                 /* NULL: nothing recorded, the day budget not counted */
    const char *client, *actor;
    const char *data_path;     /* the sample the answers are tried on */
    const mapping *m;          /* may be NULL */
    const profile *pr;         /* may be NULL */
    long long run_tokens;      /* tokens spent in this run so far (updated) */
    FILE *log;                 /* progress, refusals (stderr); NULL = silent */
    int asked, suggested, refused, failed;   /* counts (updated) */
} flow_suggest_ctx;

/* Ask about every open item with a column (a question or a bare ?) that has no suggestion yet.
 * Returns the number of suggestions added, -1 only when the store fails (e filled). */
int flow_suggest(plan *p, flow_suggest_ctx *c, mf_err *e);

/* Accept the suggestion attached to open item n (1-based, as the review numbers them): its text is
 * given as the answer to that question exactly as a person's `answer N` (feedback_answer: parsed,
 * type-checked again), the suggestions about the column are dropped, and — when st is set — an
 * audit event "suggestion_accepted" records the reviewer's approval of the model's text (model,
 * provider, expression hash).  Returns 1 applied (*out is the new plan), 0 not applied (*why says
 * why; *out empty), -1 on failure.  header/nheader: the data file's columns (may be NULL). */
int flow_accept_suggestion(const plan *in, int n, const char *const *header, int nheader, const mapping *m,
                           const profile *pr, store *st, const char *client, const char *actor, const char *plan_sha256,
                           plan *out, char *why, size_t nwhy, mf_err *e);

/* Discard the suggestion(s) of open item n: 1 done (*out the new plan), 0 there is none (*why). */
int flow_discard_suggestion(const plan *in, int n, plan *out, char *why, size_t nwhy, mf_err *e);

/* The suggestion attached to open item n, NULL when none. */
const plan_suggestion *flow_suggestion_for(const plan *p, int n);

#endif
