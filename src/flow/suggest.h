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

#include "flow/flow.h"
#include "llm/llm.h"
#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"
#include "store/store.h"

typedef struct flow_suggest_ctx {
    const llm_config *cfg;
    store *st;                 /* NULL: nothing recorded, the day budget not counted */
    const char *client, *actor;
    const char *data_path;     /* the sample the answers are tried on */
    const mapping *m;          /* may be NULL */
    const profile *pr;         /* may be NULL */
    long long run_tokens;      /* tokens spent in this run so far (updated) */
    const flow_env *env;       /* progress and refusals go to its sink; NULL = silent */
    int asked, suggested, refused, failed;   /* counts (updated) */
} flow_suggest_ctx;

/* One call's row in llm_calls (purpose "suggestion" | "edit") and its "llm_call" audit event, its
 * tokens added to c->run_tokens.  0 or -1. */
int flow_llm_record(flow_suggest_ctx *c, const char *purpose, const char *subject, const llm_response *r,
                    const char *outcome, const char *prompt_sha, const char *answer_sha, mf_err *e);
/* Over the run's or the day's token budget?  Says which through c->env. */
bool flow_llm_over_budget(flow_suggest_ctx *c);

/* Ask about every open item with a column (a question or a bare ?) that has no suggestion yet.
 * Returns the number of suggestions added, -1 only when the store fails (e filled). */
int flow_suggest(plan *p, flow_suggest_ctx *c, mf_err *e);

/* The draft's step (flow_draft): with open questions and env->llm set, flow_suggest with the
 * env's store and actor, its outcome said through the sink; with no model configured, the sink
 * says so.  Never fails: a model that fails leaves the questions as they are. */
void flow_suggest_for_draft(const flow_env *env, plan *p, const char *client, const char *data_path,
                            const mapping *m, const profile *pr);

/* The suggestion attached to open item n (1-based, as the review numbers them), NULL when none. */
const plan_suggestion *flow_suggestion_for(const plan *p, int n);

/* The prompt and answer hashes of the call that made client's suggestion about column (the latest
 * "suggested" call recorded); "" when unknown. */
void flow_suggestion_hashes(store *st, const char *client, const char *column, char prompt[65], char answer[65]);

#endif
