/* cmd_llm.c — `mapforge llm check`: one tiny request to the configured model, to say what answered
 * (provider, model, latency) or exactly why not.  The call is recorded in the store like every
 * other (purpose "check"); the key is never printed.
 */
#include "cli/cli.h"

#include "llm/llm.h"
#include "store/store.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char check_schema[] =
    "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"],"
    "\"additionalProperties\":false}";

static void record(const cli_options *o, const llm_config *c, const llm_response *r, const char *outcome)
{
    mf_err e = {0};
    char *where = store_location(o->store, o->home, &e);
    store *s = where ? store_open(where, &e) : NULL;
    free(where);
    if (!s)
        return;   /* the check says what answered even without a store */
    char actor[128], ash[65] = "";
    store_actor(o->as, actor, sizeof actor);
    if (r->answer)
        mf_sha256_hex(r->answer, strlen(r->answer), ash);
    store_llm_call call = {.purpose = "check", .provider = llm_provider_name(c->provider), .model = c->model,
                           .tokens_in = r->tokens_in, .tokens_out = r->tokens_out, .seconds = r->seconds,
                           .attempts = r->attempts, .outcome = outcome, .answer_sha256 = ash, .actor = actor};
    if (store_llm_call_add(s, &call, &e) < 0)
        mf_err_print(&e, stderr);
    store_close(s);
}

int cli_llm(const cli_options *o, mf_err *e)
{
    const char *sub = o->nargs ? o->args[0] : "check";
    if (strcmp(sub, "check"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge llm: expected check, got \"%s\"", sub);
    llm_config c;
    if (llm_config_load(o->config, o->home, &c, e) < 0)
        return CLI_FAILED;
    if (c.provider == LLM_NONE)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "no model is configured: set MAPFORGE_LLM (openai, azure or anthropic) and the provider's "
                       "variables (OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_API_KEY, ANTHROPIC_API_KEY), "
                       "or write them in ~/.mapforge/config"),
               CLI_FAILED;
    char what[800], url[1200];
    llm_describe(&c, what, sizeof what);
    llm_endpoint(&c, url, sizeof url);
    llm_request rq = {.system = "You check that a connection works. Answer with ok = true.",
                      .user = "Is this connection working? Answer ok = true.", .answer_name = "connection_check",
                      .schema_json = check_schema, .max_tokens = 16};
    llm_response r;
    int rc = llm_call(&c, &rq, &r, e);
    if (rc < 0) {
        char outcome[300];
        snprintf(outcome, sizeof outcome, "failed: %.280s", e->msg);
        record(o, &c, &r, outcome);
        size_t used = strlen(e->msg);
        snprintf(e->msg + used, sizeof e->msg - used, " [llm check: %s; settings from %s]", what,
                 c.source[0] ? c.source : "defaults");
        llm_response_free(&r);
        return CLI_FAILED;
    }
    json_t *j = json_loads(r.answer, 0, NULL);
    bool ok = json_is_true(json_object_get(j, "ok"));
    json_decref(j);
    record(o, &c, &r, ok ? "ok" : "answered, not as asked");
    if (o->json) {
        json_t *doc = json_pack("{s:b, s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:i}", "ok", ok, "provider",
                                llm_provider_name(c.provider), "model", c.model, "answered_by", r.model, "url", url,
                                "seconds", r.seconds, "tokens_in", (json_int_t)r.tokens_in, "tokens_out",
                                (json_int_t)r.tokens_out, "attempts", r.attempts);
        char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(doc);
    } else {
        printf("%s: %s %s at %s answered in %.2f s (%s%s%s%lld tokens in, %lld out, %d attempt%s; settings from "
               "%s)\n",
               ok ? "ok" : "answered, but not as asked", llm_provider_name(c.provider), c.model, url, r.seconds,
               r.model[0] ? "model " : "", r.model, r.model[0] ? ", " : "", r.tokens_in, r.tokens_out, r.attempts,
               r.attempts == 1 ? "" : "s", c.source[0] ? c.source : "defaults");
    }
    llm_response_free(&r);
    return ok ? 0 : 1;
}
