/* suggest.c — open questions sent to the configured model; good answers attached as suggestions
 * (see suggest.h for the invariants).
 *
 * One question, at most two calls: the answer is read (llm_parse_answer), then tried like a
 * person's edit (flow_try_expression: parse, no ?, type-check, the sample); a refusal is sent back
 * once with its reason.  What is attached is the expression as the renderer writes it, so the text
 * a reviewer accepts is exactly the tree that was checked — never the model's own spelling.
 */
#include "flow/suggest.h"

#include "flow/flow_internal.h"
#include "flow/sample.h"
#include "llm/suggest.h"
#include "plan/feedback.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(flow_suggest_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(flow_suggest_ctx *c, const char *fmt, ...)
{
    if (!c->env)
        return;
    mf_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    mf_buf_adds(&b, tmp);
    flow_say(c->env, FLOW_NOTE, "%s", mf_buf_str(&b));
    mf_buf_free(&b);
}

static int audit(store *st, const char *actor, const char *event, const char *client, const char *subject,
                 json_t *details, mf_err *e)
{
    char *d = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(details);
    int rc = store_audit_append(st, actor, event, client, subject, d, NULL, e);
    free(d);
    return rc;
}

int flow_llm_record(flow_suggest_ctx *c, const char *purpose, const char *column, const llm_response *r,
                    const char *outcome, const char *prompt_sha, const char *answer_sha, mf_err *e)
{
    c->run_tokens += r->tokens_in + r->tokens_out;
    if (!c->st)
        return 0;
    store_llm_call call = {.client = c->client, .purpose = purpose, .subject = column,
                           .provider = llm_provider_name(c->cfg->provider), .model = c->cfg->model,
                           .tokens_in = r->tokens_in, .tokens_out = r->tokens_out, .seconds = r->seconds,
                           .attempts = r->attempts, .outcome = outcome, .prompt_sha256 = prompt_sha,
                           .answer_sha256 = answer_sha, .actor = c->actor};
    if (store_llm_call_add(c->st, &call, e) < 0)
        return -1;
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:i, s:s, s:s, s:s}", "column", column, "provider",
                          llm_provider_name(c->cfg->provider), "model", c->cfg->model, "tokens_in",
                          (json_int_t)r->tokens_in, "tokens_out", (json_int_t)r->tokens_out, "seconds", r->seconds,
                          "attempts", r->attempts, "outcome", outcome, "prompt_sha256", prompt_sha, "answer_sha256",
                          answer_sha);
    return audit(c->st, c->actor, "llm_call", c->client, column, d, e);
}

bool flow_llm_over_budget(flow_suggest_ctx *c)
{
    if (c->cfg->budget_run > 0 && c->run_tokens >= c->cfg->budget_run) {
        say(c, "the model's token budget for a run (%lld) is spent (%lld): the remaining questions stay questions",
            c->cfg->budget_run, c->run_tokens);
        return true;
    }
    if (c->cfg->budget_day > 0 && c->st) {
        char now[32], since[32];
        store_now(now);
        snprintf(since, sizeof since, "%.10sT00:00:00.000Z", now);
        long long spent = 0;
        mf_err e = {0};
        if (store_llm_tokens_since(c->st, since, &spent, &e) < 0) {
            say(c, "the model's day budget cannot be counted (%s): nothing is sent", e.msg);
            return true;
        }
        if (spent >= c->cfg->budget_day) {
            say(c, "the model's token budget for today (%lld) is spent (%lld): the remaining questions stay questions",
                c->cfg->budget_day, spent);
            return true;
        }
    }
    return false;
}

static bool has_suggestion(const plan *p, const char *column)
{
    for (int i = 0; i < p->nsuggestions; i++)
        if (!strcmp(p->suggestions[i].column, column))
            return true;
    return false;
}

/* One question: 1 suggested, 0 not, 2 stop asking (unreachable, budget, interrupted), -1 store failure. */
static int ask(plan *p, const char *column, int row, const char *question, flow_suggest_ctx *c, mf_err *e)
{
    char previous[LLM_MAX_EXPRESSION + 1] = "", refusal[700] = "";
    char by[300];
    snprintf(by, sizeof by, "%s %s", llm_provider_name(c->cfg->provider), c->cfg->model);
    for (int round = 0; round < 2; round++) {
        if (flow_llm_over_budget(c))
            return 2;
        char *user = llm_question_prompt(p, column, row, question, c->m, c->pr, round ? previous : NULL,
                                         round ? refusal : NULL);
        mf_buf sys = {0};
        mf_buf_adds(&sys, llm_suggest_system);
        mf_buf_adds(&sys, llm_plan_reference);
        char prompt_sha[65], answer_sha[65] = "";
        mf_buf all = {0};
        mf_buf_adds(&all, mf_buf_str(&sys));
        mf_buf_adds(&all, user);
        mf_sha256_hex(mf_buf_str(&all), all.len, prompt_sha);
        mf_buf_free(&all);
        llm_request rq = {.system = mf_buf_str(&sys), .user = user, .answer_name = "plan_expression",
                          .schema_json = llm_answer_schema, .max_tokens = 600};
        llm_response r;
        mf_err ce = {0};
        c->asked++;
        flow_model_wait(c->env, true);
        int got = llm_call(c->cfg, &rq, &r, &ce);
        flow_model_wait(c->env, false);
        free(user);
        mf_buf_free(&sys);
        if (got < 0) {
            char outcome[400];
            snprintf(outcome, sizeof outcome, "failed: %.380s", ce.msg);
            int rc = flow_llm_record(c, "suggestion", column, &r, outcome, prompt_sha, "", e);
            llm_response_free(&r);
            c->failed++;
            say(c, "no suggestion for %s: %s", column, ce.msg);
            if (rc < 0)
                return -1;
            if (ce.code == MF_EIO || ce.code == MF_EINTR) {
                say(c, "the model is not asked about the remaining questions in this run");
                return 2;
            }
            if (ce.code == MF_ELIMIT)
                return 0;
            snprintf(refusal, sizeof refusal, "%.650s", ce.msg);
            snprintf(previous, sizeof previous, "(no usable answer)");
            continue;
        }
        mf_sha256_hex(r.answer, strlen(r.answer), answer_sha);
        llm_answer a;
        char why[700] = "";
        int verdict = llm_parse_answer(r.answer, &a, why, sizeof why);
        flow_trial t = {0};
        if (verdict == 0) {
            mf_err te = {0};
            int tr = flow_try_expression(p, column, a.expression, c->data_path, &t, &te);
            if (tr < 0) {
                snprintf(why, sizeof why, "it could not be tried on the sample: %.600s", te.msg);
                verdict = 1;
            } else if (tr == 1) {
                snprintf(why, sizeof why, "%s", t.why);
                verdict = 1;
            }
        }
        char outcome[800];
        if (verdict == 0)
            snprintf(outcome, sizeof outcome, "suggested");
        else
            snprintf(outcome, sizeof outcome, "refused: %.700s", why);
        int rc = flow_llm_record(c, "suggestion", column, &r, outcome, prompt_sha, answer_sha, e);
        llm_response_free(&r);
        if (rc < 0) {
            flow_trial_free(&t);
            return -1;
        }
        if (verdict == 0) {
            plan_add_suggestion(p, column, row, by, a.confidence, t.canonical, a.explanation);
            c->suggested++;
            say(c, "suggested by %s for %s (confidence %d%%): %s%s%s", by, column, a.confidence, t.canonical,
                a.explanation[0] ? " — " : "", a.explanation);
            for (int i = 0; i < t.npreview; i++)
                say(c, "  preview %s", t.preview[i]);
            flow_trial_free(&t);
            return 1;
        }
        flow_trial_free(&t);
        c->refused++;
        say(c, "the model's answer for %s was refused%s: %s", column, round ? " again" : " (asking once more)", why);
        snprintf(previous, sizeof previous, "%s", verdict == 1 && a.expression[0] ? a.expression : "(not usable)");
        snprintf(refusal, sizeof refusal, "%s", why);
    }
    return 0;
}

int flow_suggest(plan *p, flow_suggest_ctx *c, mf_err *e)
{
    if (!c->cfg || c->cfg->provider == LLM_NONE)
        return 0;
    int items[256];
    int n = feedback_open_items(p, items, 256);
    int added = 0;
    for (int i = 0; i < n; i++) {
        int qi = items[i];
        const char *column = qi >= 0 ? p->questions[qi].column : p->cols[-1 - qi].name;
        if (!column || has_suggestion(p, column))
            continue;   /* a general question (the filters) is the reviewer's */
        int row = qi >= 0 ? p->questions[qi].row : p->cols[-1 - qi].prov.row;
        char bare[300];
        snprintf(bare, sizeof bare, "its expression still contains ?; what should %s contain?", column);
        /* the strings live in p's arena, which plan_add_suggestion may grow but never moves */
        int rc = ask(p, column, row, qi >= 0 ? p->questions[qi].text : bare, c, e);
        if (rc < 0)
            return -1;
        if (rc == 1)
            added++;
        if (rc == 2)
            break;
    }
    return added;
}

/* ---- the draft's step, and the reviewer's side ---------------------------------------------------- */

void flow_suggest_for_draft(const flow_env *env, plan *p, const char *client, const char *data_path,
                            const mapping *m, const profile *pr)
{
    if (!plan_has_open_questions(p))
        return;
    if (!env->llm || env->llm->provider == LLM_NONE) {
        flow_say(env, FLOW_NOTE,
                 "no language model is configured: the open questions are yours to answer (to have a model suggest "
                 "answers, configure one: README.md, Language model; mapforge llm check)");
        return;
    }
    char what[800];
    llm_describe(env->llm, what, sizeof what);
    flow_say(env, FLOW_NOTE, "asking %s about the open questions", what);
    flow_suggest_ctx c = {.cfg = env->llm, .st = env->st, .client = client, .actor = env->actor,
                          .data_path = data_path, .m = m, .pr = pr, .env = env};
    mf_err e = {0};
    if (flow_suggest(p, &c, &e) < 0) {
        char msg[1200];
        mf_err_format(&e, msg, sizeof msg);
        flow_say(env, FLOW_WARN, "asking the model stopped: %s", msg);
    }
    flow_say(env, FLOW_NOTE,
             "the model made %d suggestion%s (%d call%s, %lld tokens); none is applied until a person accepts it",
             c.suggested, c.suggested == 1 ? "" : "s", c.asked, c.asked == 1 ? "" : "s", c.run_tokens);
}

static const char *item_column(const plan *p, int n)
{
    int items[256];
    int k = feedback_open_items(p, items, 256);
    if (n < 1 || n > k || n > 256)
        return NULL;
    int qi = items[n - 1];
    return qi >= 0 ? p->questions[qi].column : p->cols[-1 - qi].name;
}

const plan_suggestion *flow_suggestion_for(const plan *p, int n)
{
    const char *column = item_column(p, n);
    for (int i = 0; column && i < p->nsuggestions; i++)
        if (!strcmp(p->suggestions[i].column, column))
            return &p->suggestions[i];
    return NULL;
}

void flow_suggestion_hashes(store *st, const char *client, const char *column, char prompt[65], char answer[65])
{
    prompt[0] = answer[0] = 0;
    store_llm_call *calls;
    int n;
    mf_err e = {0};
    if (!st || store_llm_call_list(st, client, &calls, &n, &e) < 0)
        return;
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(calls[i].purpose, "suggestion") && !strcmp(calls[i].subject, column) &&
            !strcmp(calls[i].outcome, "suggested")) {
            snprintf(prompt, 65, "%s", calls[i].prompt_sha256);
            snprintf(answer, 65, "%s", calls[i].answer_sha256);
            break;
        }
    store_llm_calls_free(calls, n);
}
