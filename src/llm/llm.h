/* llm.h — the language-model client: a second reader for what the vocabulary cannot read.
 *
 * Two wire protocols, spoken over libcurl:
 *   - OpenAI-compatible chat completions (OpenAI, GitHub Models, Ollama, vLLM, llama.cpp's server:
 *     BASE/chat/completions with "Authorization: Bearer KEY"; Azure OpenAI:
 *     ENDPOINT/openai/deployments/MODEL/chat/completions?api-version=V with an "api-key" header),
 *     the answer asked for as a JSON schema (response_format) or a forced tool call;
 *   - Anthropic Messages (BASE/v1/messages, "x-api-key", "anthropic-version"), the answer as a
 *     forced tool use.
 * Both plain and streamed (server-sent events).  Retries on 429 and 5xx with exponential backoff,
 * honouring Retry-After; timeouts; a clear error when the endpoint is unreachable.
 *
 * Invariants:
 *   - the key is held only in llm_config.key and sent only in a request header; no message this
 *     module writes (errors, llm_describe) contains it, and text a provider sends back (an error
 *     body) has every occurrence of it, and of its first 8 characters onward, blotted out first;
 *   - an answer larger than LLM_MAX_ANSWER bytes is refused, never kept whole; JSON nested deeper
 *     than LLM_MAX_JSON_DEPTH and a streamed line longer than LLM_MAX_SSE_LINE are refused too;
 *   - nothing here interprets an answer: the caller (suggest.c) parses and checks it like a
 *     person's edit.
 */
#ifndef MF_LLM_H
#define MF_LLM_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum llm_provider { LLM_NONE = 0, LLM_OPENAI, LLM_AZURE, LLM_ANTHROPIC } llm_provider;

/* The structured answer: a JSON schema (OpenAI response_format) or a forced tool call. */
typedef enum llm_structured { LLM_JSON_SCHEMA = 0, LLM_TOOLS } llm_structured;

#define LLM_MAX_ANSWER (256 * 1024)   /* bytes of a response body (or of a stream) kept at most */
#define LLM_MAX_JSON_DEPTH 64         /* nesting of arrays and objects in one JSON document of an answer */
#define LLM_MAX_SSE_LINE (64 * 1024)  /* bytes of one line of a streamed (SSE) answer */

typedef struct llm_config {
    llm_provider provider;
    char model[128];          /* the model (Azure: the deployment name) */
    char base_url[512];       /* OpenAI base (…/v1), Azure endpoint, Anthropic base; no trailing / */
    char api_version[64];     /* Azure: api-version */
    char key[1024];           /* never printed */
    bool have_key;
    llm_structured structured;
    bool stream;              /* streamed (SSE) responses; default on */
    long timeout_ms;          /* whole request; default 60 s */
    long connect_timeout_ms;  /* default 10 s */
    int max_retries;          /* on 429 / 5xx / a dropped connection; default 3 */
    long backoff_ms;          /* first backoff; doubled on each retry; default 500 ms */
    long max_wait_ms;         /* a Retry-After longer than this gives up; default 60 s */
    long long budget_run;     /* tokens (in + out) per run; 0 = unlimited */
    long long budget_day;     /* tokens per UTC day, counted in the store; 0 = unlimited */
    char source[600];         /* where the settings came from: "environment", a file, or both */
} llm_config;

/* Settings from config_path (NULL: HOME/config when it exists, HOME being home_opt (--home),
 * $MAPFORGE_HOME or ~/.mapforge),
 * then the environment, which wins.  File lines are `name = value` (# comments):
 *   provider, model, base_url, api_version, api_key, api_key_file, structured (json|tools),
 *   stream (on|off), timeout (seconds), retries, budget_run, budget_day.
 * A file that holds api_key, and any api_key_file, must be readable by its owner only.
 * Environment: MAPFORGE_LLM (openai|azure|anthropic|none), MAPFORGE_LLM_MODEL, OPENAI_API_KEY,
 * OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY, OPENAI_API_VERSION,
 * ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, MAPFORGE_LLM_STRUCTURED, MAPFORGE_LLM_STREAM,
 * MAPFORGE_LLM_TIMEOUT, MAPFORGE_LLM_RETRIES, MAPFORGE_LLM_BUDGET_RUN, MAPFORGE_LLM_BUDGET_DAY.
 * Without MAPFORGE_LLM the provider is the one whose key is set (Azure, then Anthropic, then
 * OpenAI), else none.  provider = LLM_NONE is not an error.  -1 with e filled on a bad setting. */
int llm_config_load(const char *config_path, const char *home_opt, llm_config *c, mf_err *e);

const char *llm_provider_name(llm_provider p);   /* "openai" "azure" "anthropic" "none" */
/* "openai gpt-4o-mini at https://api.openai.com/v1" — never the key. */
void llm_describe(const llm_config *c, char *buf, size_t n);
/* The URL a request goes to (no key in it). */
void llm_endpoint(const llm_config *c, char *buf, size_t n);

typedef struct llm_request {
    const char *system;        /* instructions */
    const char *user;          /* the question and its context */
    const char *answer_name;   /* the tool / schema name, e.g. "plan_expression" */
    const char *schema_json;   /* the JSON schema of the answer (an object) */
    int max_tokens;            /* 0 = 1024 */
} llm_request;

typedef struct llm_response {
    char *answer;              /* the answer's JSON text (tool arguments / message content), malloc'd */
    char model[128];           /* the model that answered, as the provider says ("" when it does not) */
    long long tokens_in, tokens_out;
    double seconds;            /* from the first attempt to the answer, waits included */
    int attempts;              /* requests sent */
    int http_status;           /* of the last attempt, 0 when none answered */
} llm_response;

/* Send one request (retrying as configured) and read the structured answer.  On failure -1 with e
 * filled (MF_EIO: unreachable, timed out, HTTP error, dropped stream; MF_EFORMAT: a response that
 * is not the protocol's JSON or holds no answer; MF_ELIMIT: too large) — out still carries the
 * attempts, status, time and any tokens counted.  llm_response_free in every case. */
int llm_call(const llm_config *c, const llm_request *r, llm_response *out, mf_err *e);
void llm_response_free(llm_response *r);

/* Read a response body (len bytes, NUL-terminated) that came from url with a 2xx status: one JSON
 * document, or server-sent events when c->stream and the body does not start with '{'.  Fills
 * out->answer (malloc'd), out->model and the tokens.  0 read; 1 an incomplete stream (the end
 * marker never came: worth a retry; e says so); -1 with e filled (MF_EFORMAT: not the protocol's
 * JSON, no answer, an error event; MF_ELIMIT: over LLM_MAX_ANSWER bytes, JSON nested deeper than
 * LLM_MAX_JSON_DEPTH, a streamed line over LLM_MAX_SSE_LINE bytes).  No network: llm_call's
 * reading of every answer, and the fuzz target's entry point. */
int llm_read_response(const llm_config *c, const char *body, size_t len, const char *url, llm_response *out,
                      mf_err *e);

/* The deepest nesting of arrays and objects in JSON text s (strings skipped), counted up to
 * limit + 1 and no further.  Used before a document is parsed. */
int llm_json_depth(const char *s, size_t len, int limit);
/* A model's answer text as a JSON value, within LLM_MAX_ANSWER bytes and LLM_MAX_JSON_DEPTH levels
 * (jansson's json_t, caller json_decref()s), or NULL with why (n bytes) saying what to fix — the
 * text the retry sends back to the model. */
struct json_t;
struct json_t *llm_answer_json(const char *json, char *why, size_t n);

/* Replace every occurrence of the key (and of its first 8 characters onward) in s with "***". */
void llm_redact(const llm_config *c, char *s);

#endif
