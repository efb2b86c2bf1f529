/* llm_calls.c — the record of every call to a language model: who asked what about which column,
 * which provider and model answered, tokens in and out, time, attempts and the outcome.
 *
 * Invariants: the record holds hashes of the prompt and of the answer, never their text and never
 * a key; the per-day token budget (src/llm/suggest.c) is counted from these rows, so a call is
 * recorded whether it succeeded or not (its tokens were spent either way).
 */
#include "store/store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

int store_llm_call_add(store *s, const store_llm_call *c, mf_err *e)
{
    char at[32], tin[32], tout[32], secs[64], att[32];
    if (c->at[0])
        snprintf(at, sizeof at, "%s", c->at);
    else
        store_now(at);
    snprintf(tin, sizeof tin, "%lld", c->tokens_in);
    snprintf(tout, sizeof tout, "%lld", c->tokens_out);
    snprintf(secs, sizeof secs, "%.6f", c->seconds);
    snprintf(att, sizeof att, "%d", c->attempts);
    const char *p[] = {at,   or_empty(c->client), or_empty(c->purpose), or_empty(c->subject), or_empty(c->provider),
                       or_empty(c->model), tin, tout, secs, att, or_empty(c->outcome), or_empty(c->prompt_sha256),
                       or_empty(c->answer_sha256), or_empty(c->actor)};
    return db_exec(s,
                   "INSERT INTO llm_calls (at, client, purpose, subject, provider, model, tokens_in, tokens_out,"
                   " seconds, attempts, outcome, prompt_sha256, answer_sha256, actor)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                   14, p, NULL, e);
}

static char *dup(const char *v)
{
    return mf_xstrdup(v ? v : "");
}

int store_llm_call_list(store *s, const char *client, store_llm_call **out, int *n, mf_err *e)
{
    db_rows r;
    const char *p[] = {client};
    *out = NULL;
    *n = 0;
    const char *cols = "SELECT at, client, purpose, subject, provider, model, tokens_in, tokens_out, seconds, attempts,"
                       " outcome, prompt_sha256, answer_sha256, actor FROM llm_calls";
    char sql[512];
    snprintf(sql, sizeof sql, "%s%s ORDER BY id", cols, client ? " WHERE client = $1" : "");
    if (db_exec(s, sql, client ? 1 : 0, p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++) {
        store_llm_call *x = &(*out)[i];
        snprintf(x->at, sizeof x->at, "%s", db_cell(&r, i, 0) ? db_cell(&r, i, 0) : "");
        x->client = dup(db_cell(&r, i, 1));
        x->purpose = dup(db_cell(&r, i, 2));
        x->subject = dup(db_cell(&r, i, 3));
        x->provider = dup(db_cell(&r, i, 4));
        x->model = dup(db_cell(&r, i, 5));
        x->tokens_in = db_cell_ll(&r, i, 6);
        x->tokens_out = db_cell_ll(&r, i, 7);
        x->seconds = db_cell(&r, i, 8) ? strtod(db_cell(&r, i, 8), NULL) : 0;
        x->attempts = (int)db_cell_ll(&r, i, 9);
        x->outcome = dup(db_cell(&r, i, 10));
        x->prompt_sha256 = dup(db_cell(&r, i, 11));
        x->answer_sha256 = dup(db_cell(&r, i, 12));
        x->actor = dup(db_cell(&r, i, 13));
    }
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

void store_llm_calls_free(store_llm_call *c, int n)
{
    for (int i = 0; c && i < n; i++) {
        free((char *)c[i].client);
        free((char *)c[i].purpose);
        free((char *)c[i].subject);
        free((char *)c[i].provider);
        free((char *)c[i].model);
        free((char *)c[i].outcome);
        free((char *)c[i].prompt_sha256);
        free((char *)c[i].answer_sha256);
        free((char *)c[i].actor);
    }
    free(c);
}

int store_llm_tokens_since(store *s, const char *since, long long *tokens, mf_err *e)
{
    db_rows r;
    const char *p[] = {since};
    if (db_exec(s, "SELECT COALESCE(SUM(tokens_in + tokens_out), 0) FROM llm_calls WHERE at >= $1", 1, p, &r, e) < 0)
        return -1;
    *tokens = db_cell_ll(&r, 0, 0);
    db_rows_free(&r);
    return 0;
}
