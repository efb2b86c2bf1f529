/* call.c — one request to a model, over the provider's real wire format (see llm.h).
 *
 * The request body is built with jansson for the provider (OpenAI-compatible chat completions or
 * Anthropic Messages); the response is read whole (at most LLM_MAX_ANSWER bytes, the transfer is
 * cut past it) and then parsed by llm_read_response: one JSON document, or server-sent events when
 * streamed.  Every JSON text is measured for nesting before jansson parses it (LLM_MAX_JSON_DEPTH)
 * and a streamed line may not pass LLM_MAX_SSE_LINE bytes.  A stream
 * counts as complete only when the provider's end marker arrived ("data: [DONE]", or
 * "message_stop"); anything short of it is a dropped connection.
 *
 * Retries: 429, 5xx and a connection dropped mid-answer are retried up to max_retries times, the
 * wait doubling from backoff_ms, or what Retry-After says when it says more (a wait longer than
 * max_wait_ms gives up at once and says so).  A refused connection or an unknown host is not
 * retried: the endpoint is unreachable, and the error says which URL and why.
 */
#include "llm/llm.h"

#include "util/buf.h"
#include "util/interrupt.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void llm_response_free(llm_response *r)
{
    free(r->answer);
    r->answer = NULL;
}

/* ---- the request body ------------------------------------------------------------------------ */

static char *request_body(const llm_config *c, const llm_request *r, mf_err *e)
{
    json_error_t je;
    json_t *schema = json_loads(r->schema_json, 0, &je);
    if (!schema) {
        mf_fail(e, MF_EFORMAT, NULL, 0, 0, "the answer's schema is not JSON: %s", je.text);
        return NULL;
    }
    int max_tokens = r->max_tokens > 0 ? r->max_tokens : 1024;
    json_t *b = json_object();
    if (c->provider == LLM_ANTHROPIC) {
        json_object_set_new(b, "model", json_string(c->model));
        json_object_set_new(b, "max_tokens", json_integer(max_tokens));
        json_object_set_new(b, "system", json_string(r->system));
        json_object_set_new(b, "messages",
                            json_pack("[{s:s, s:s}]", "role", "user", "content", r->user));
        json_object_set_new(b, "tools", json_pack("[{s:s, s:s, s:o}]", "name", r->answer_name, "description",
                                                  "Give the answer in this form.", "input_schema", schema));
        json_object_set_new(b, "tool_choice", json_pack("{s:s, s:s}", "type", "tool", "name", r->answer_name));
    } else {
        if (c->provider == LLM_OPENAI)   /* Azure names the deployment in the URL */
            json_object_set_new(b, "model", json_string(c->model));
        json_object_set_new(b, "max_tokens", json_integer(max_tokens));
        json_object_set_new(b, "messages", json_pack("[{s:s, s:s}, {s:s, s:s}]", "role", "system", "content",
                                                     r->system, "role", "user", "content", r->user));
        if (c->structured == LLM_TOOLS) {
            json_object_set_new(b, "tools",
                                json_pack("[{s:s, s:{s:s, s:s, s:o}}]", "type", "function", "function", "name",
                                          r->answer_name, "description", "Give the answer in this form.",
                                          "parameters", schema));
            json_object_set_new(b, "tool_choice",
                                json_pack("{s:s, s:{s:s}}", "type", "function", "function", "name", r->answer_name));
        } else {
            json_object_set_new(b, "response_format",
                                json_pack("{s:s, s:{s:s, s:b, s:o}}", "type", "json_schema", "json_schema", "name",
                                          r->answer_name, "strict", 1, "schema", schema));
        }
        if (c->stream)
            json_object_set_new(b, "stream_options", json_pack("{s:b}", "include_usage", 1));
    }
    if (c->stream)
        json_object_set_new(b, "stream", json_true());
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

/* ---- the transfer ---------------------------------------------------------------------------- */

typedef struct transfer {
    mf_buf body;
    bool too_big;
    long retry_after_ms;    /* -1 when the response did not say */
} transfer;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    transfer *t = ud;
    size_t len = size * n;
    if (t->body.len + len > LLM_MAX_ANSWER) {
        t->too_big = true;
        return 0;   /* cuts the transfer */
    }
    mf_buf_add(&t->body, p, len);
    return mf_interrupted() ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    transfer *t = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
        char v[128];
        size_t vl = len - (sizeof name - 1);
        if (vl >= sizeof v)
            vl = sizeof v - 1;
        memcpy(v, p + sizeof name - 1, vl);
        v[vl] = 0;
        char *s = v;
        while (*s == ' ' || *s == '\t')
            s++;
        char *end;
        double secs = strtod(s, &end);
        if (end != s && secs >= 0) {
            t->retry_after_ms = (long)(secs * 1000);
        } else {   /* an HTTP date */
            s[strcspn(s, "\r\n")] = 0;
            time_t when = curl_getdate(s, NULL);
            if (when > 0)
                t->retry_after_ms = when > time(NULL) ? (long)(when - time(NULL)) * 1000 : 0;
        }
    }
    return len;
}

/* The provider's error message in a body (redacted, at most 300 bytes), or "". */
static void error_message(const llm_config *c, const char *body, char *out, size_t n)
{
    out[0] = 0;
    json_t *j = json_loads(body, 0, NULL);
    const char *m = NULL;
    if (j) {
        json_t *err = json_object_get(j, "error");
        if (json_is_object(err))
            m = json_string_value(json_object_get(err, "message"));
        else if (json_is_string(err))
            m = json_string_value(err);
        if (!m)
            m = json_string_value(json_object_get(j, "message"));
    }
    snprintf(out, n < 300 ? n : 300, "%s", m ? m : "");
    for (char *s = out; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
    llm_redact(c, out);
    json_decref(j);
}

/* ---- reading answers ------------------------------------------------------------------------- */

typedef struct reading {
    mf_buf answer;          /* the answer text gathered */
    bool have_answer;
    bool complete;          /* the end marker (or a whole document) was seen */
    long long tokens_in, tokens_out;
    char model[128];
    char problem[400];      /* a protocol error, "" when none */
    bool over_limit;        /* the problem is a limit (MF_ELIMIT) */
} reading;

int llm_json_depth(const char *s, size_t len, int limit)
{
    int depth = 0, deepest = 0;
    bool in_str = false;
    for (size_t i = 0; i < len && deepest <= limit; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > deepest)
                deepest = depth;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return deepest;
}

json_t *llm_answer_json(const char *json, char *why, size_t n)
{
    size_t jl = strlen(json);
    if (jl > LLM_MAX_ANSWER) {
        snprintf(why, n, "the answer is %zu bytes long; at most %d", jl, LLM_MAX_ANSWER);
        return NULL;
    }
    if (llm_json_depth(json, jl, LLM_MAX_JSON_DEPTH) > LLM_MAX_JSON_DEPTH) {
        snprintf(why, n, "the answer nests JSON deeper than %d levels; answer with the flat JSON object asked for",
                 LLM_MAX_JSON_DEPTH);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(json, jl, 0, &je);
    if (!j)
        snprintf(why, n, "the answer is not JSON (%s); answer with the JSON object asked for", je.text);
    return j;
}

/* Parse one JSON document of an answer, refusing one nested deeper than LLM_MAX_JSON_DEPTH
 * (what: "the response", "a streamed event").  NULL with rd->problem set. */
static json_t *load_json(reading *rd, const char *s, const char *what)
{
    size_t len = strlen(s);
    if (llm_json_depth(s, len, LLM_MAX_JSON_DEPTH) > LLM_MAX_JSON_DEPTH) {
        snprintf(rd->problem, sizeof rd->problem, "%s nests JSON deeper than %d levels: refused", what,
                 LLM_MAX_JSON_DEPTH);
        rd->over_limit = true;
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(s, len, 0, &je);
    if (!j)
        snprintf(rd->problem, sizeof rd->problem, "%s is not JSON (%s at line %d)", what, je.text, je.line);
    return j;
}

static void take_model(reading *rd, json_t *j)
{
    const char *m = json_string_value(json_object_get(j, "model"));
    if (m && !rd->model[0])
        snprintf(rd->model, sizeof rd->model, "%s", m);
}

/* OpenAI: one choice's message (plain) or delta (streamed). */
static void openai_message(reading *rd, json_t *msg)
{
    if (!json_is_object(msg))
        return;
    const char *content = json_string_value(json_object_get(msg, "content"));
    json_t *calls = json_object_get(msg, "tool_calls");
    if (json_is_array(calls) && json_array_size(calls) > 0) {
        json_t *f = json_object_get(json_array_get(calls, 0), "function");
        const char *args = json_string_value(json_object_get(f, "arguments"));
        if (args) {
            mf_buf_adds(&rd->answer, args);
            rd->have_answer = true;
        }
    } else if (content) {
        mf_buf_adds(&rd->answer, content);
        rd->have_answer = true;
    }
}

static void openai_usage(reading *rd, json_t *j)
{
    json_t *u = json_object_get(j, "usage");
    if (json_is_object(u)) {
        rd->tokens_in = json_integer_value(json_object_get(u, "prompt_tokens"));
        rd->tokens_out = json_integer_value(json_object_get(u, "completion_tokens"));
    }
}

static void openai_document(reading *rd, json_t *j, bool delta)
{
    take_model(rd, j);
    openai_usage(rd, j);
    json_t *ch = json_object_get(j, "choices");
    if (json_is_array(ch) && json_array_size(ch) > 0)
        openai_message(rd, json_object_get(json_array_get(ch, 0), delta ? "delta" : "message"));
    else if (!delta)
        snprintf(rd->problem, sizeof rd->problem, "the response has no choices");
}

static void anthropic_usage(reading *rd, json_t *u)
{
    if (!json_is_object(u))
        return;
    if (json_object_get(u, "input_tokens"))
        rd->tokens_in = json_integer_value(json_object_get(u, "input_tokens"));
    if (json_object_get(u, "output_tokens"))
        rd->tokens_out = json_integer_value(json_object_get(u, "output_tokens"));
}

static void anthropic_document(reading *rd, json_t *j)
{
    take_model(rd, j);
    anthropic_usage(rd, json_object_get(j, "usage"));
    json_t *content = json_object_get(j, "content");
    size_t i;
    json_t *blk;
    json_array_foreach(content, i, blk)
    {
        const char *type = json_string_value(json_object_get(blk, "type"));
        if (type && !strcmp(type, "tool_use") && !rd->have_answer) {
            char *s = json_dumps(json_object_get(blk, "input"), JSON_COMPACT | JSON_ENCODE_ANY);
            if (s) {
                mf_buf_adds(&rd->answer, s);
                rd->have_answer = true;
                free(s);
            }
        }
    }
    if (!rd->have_answer) {   /* a text answer is taken when no tool was used */
        json_array_foreach(content, i, blk)
        {
            const char *text = json_string_value(json_object_get(blk, "text"));
            if (text) {
                mf_buf_adds(&rd->answer, text);
                rd->have_answer = true;
            }
        }
    }
}

static void anthropic_event(const llm_config *c, reading *rd, json_t *j)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type)
        return;
    if (!strcmp(type, "message_start")) {
        json_t *m = json_object_get(j, "message");
        take_model(rd, m);
        anthropic_usage(rd, json_object_get(m, "usage"));
    } else if (!strcmp(type, "content_block_delta")) {
        json_t *d = json_object_get(j, "delta");
        const char *dt = json_string_value(json_object_get(d, "type"));
        const char *s = NULL;
        if (dt && !strcmp(dt, "input_json_delta"))
            s = json_string_value(json_object_get(d, "partial_json"));
        else if (dt && !strcmp(dt, "text_delta"))
            s = json_string_value(json_object_get(d, "text"));
        if (s) {
            mf_buf_adds(&rd->answer, s);
            rd->have_answer = true;
        }
    } else if (!strcmp(type, "message_delta")) {
        anthropic_usage(rd, json_object_get(j, "usage"));
    } else if (!strcmp(type, "message_stop")) {
        rd->complete = true;
    } else if (!strcmp(type, "error")) {
        char m[300];
        char *s = json_dumps(j, JSON_COMPACT);
        error_message(c, s ? s : "", m, sizeof m);
        free(s);
        snprintf(rd->problem, sizeof rd->problem, "the stream reported an error: %s", m);
    }
}

/* Server-sent events: "data:" lines, events separated by a blank line. */
static void read_stream(const llm_config *c, const char *body, reading *rd)
{
    const char *s = body;
    mf_buf data = {0};
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (len > 0 && s[len - 1] == '\r')
            len--;
        if (len > LLM_MAX_SSE_LINE && !rd->problem[0]) {
            snprintf(rd->problem, sizeof rd->problem, "a streamed line is %zu bytes long; at most %d are read", len,
                     LLM_MAX_SSE_LINE);
            rd->over_limit = true;
        }
        if (rd->problem[0])
            break;
        if (!nl && len > 0 && !strncmp(s, "data:", 5)) {
            /* a last line without its newline: the connection ended mid-event; the event is not
             * taken (a stream without its end marker is incomplete anyway) */
            mf_buf_clear(&data);
        }
        if (len == 0 || !nl) {   /* end of an event */
            if (data.len > 0 && !rd->problem[0]) {
                const char *d = mf_buf_str(&data);
                if (!strcmp(d, "[DONE]")) {
                    rd->complete = true;
                } else {
                    json_t *j = load_json(rd, d, "a streamed event");   /* NULL: rd->problem says why */
                    if (j && c->provider == LLM_ANTHROPIC)
                        anthropic_event(c, rd, j);
                    else if (j && json_is_object(json_object_get(j, "error"))) {
                        char m[300];
                        error_message(c, d, m, sizeof m);
                        snprintf(rd->problem, sizeof rd->problem, "the stream reported an error: %s", m);
                    } else if (j)
                        openai_document(rd, j, true);
                    json_decref(j);
                }
            }
            mf_buf_clear(&data);
            if (!nl)
                break;
        } else if (!strncmp(s, "data:", 5)) {
            const char *v = s + 5;
            if (*v == ' ')
                v++;
            if (data.len)
                mf_buf_addc(&data, '\n');
            mf_buf_add(&data, v, len - (size_t)(v - s));
        }
        s = nl + 1;
    }
    mf_buf_free(&data);
}

static void read_document(const llm_config *c, const char *body, reading *rd)
{
    json_t *j = load_json(rd, body, "the response");
    if (!j)
        return;
    if (c->provider == LLM_ANTHROPIC)
        anthropic_document(rd, j);
    else
        openai_document(rd, j, false);
    rd->complete = true;
    json_decref(j);
}

/* ---- one attempt, and the retries ------------------------------------------------------------ */

typedef enum outcome { OK, RETRY, FAIL } outcome;

static outcome attempt(const llm_config *c, const char *url, const char *body, llm_response *out, transfer *t,
                       mf_err *e)
{
    CURL *h = curl_easy_init();
    if (!h)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot start an HTTP client (libcurl)"), FAIL;
    struct curl_slist *hd = NULL;
    char auth[1200];
    hd = curl_slist_append(hd, "Content-Type: application/json");
    if (c->provider == LLM_ANTHROPIC) {
        snprintf(auth, sizeof auth, "x-api-key: %s", c->key);
        hd = curl_slist_append(hd, "anthropic-version: 2023-06-01");
    } else if (c->provider == LLM_AZURE) {
        snprintf(auth, sizeof auth, "api-key: %s", c->key);
    } else {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->key);
    }
    if (c->have_key)
        hd = curl_slist_append(hd, auth);
    memset(auth, 0, sizeof auth);
    if (c->stream)
        hd = curl_slist_append(hd, "Accept: text/event-stream");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mapforge");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    out->attempts++;
    out->http_status = (int)status;
    if (t->too_big)
        return mf_fail(e, MF_ELIMIT, NULL, 0, 0, "the answer from %s is larger than %d bytes: refused", url,
                       LLM_MAX_ANSWER), FAIL;
    if (mf_interrupted())
        return mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted"), FAIL;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot reach %s: %s (is the %s endpoint right and up?)", url,
                       curl_easy_strerror(rc), llm_provider_name(c->provider)), FAIL;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        mf_fail(e, MF_EIO, NULL, 0, 0, "no answer from %s within %ld s", url, c->timeout_ms / 1000);
        return FAIL;
    }
    if (rc != CURLE_OK) {   /* the connection dropped mid-answer, or similar */
        mf_err_clear(e);
        mf_fail(e, MF_EIO, NULL, 0, 0, "the connection to %s dropped before the answer was complete (%s)", url,
                curl_easy_strerror(rc));
        return RETRY;
    }
    const char *b = mf_buf_str(&t->body);
    if (status == 429 || status >= 500) {
        char m[300];
        error_message(c, b, m, sizeof m);
        mf_err_clear(e);
        mf_fail(e, MF_EIO, NULL, 0, 0, "%s answered HTTP %ld%s%s", url, status, m[0] ? ": " : "", m);
        return RETRY;
    }
    if (status < 200 || status >= 300) {
        char m[300];
        error_message(c, b, m, sizeof m);
        mf_fail(e, MF_EIO, NULL, 0, 0, "%s answered HTTP %ld%s%s%s", url, status, m[0] ? ": " : "", m,
                status == 401 || status == 403 ? " (check the API key)" : status == 404 ? " (check the model or deployment name and the URL)" : "");
        return FAIL;
    }
    int got = llm_read_response(c, b, t->body.len, url, out, e);
    return got == 0 ? OK : got == 1 ? RETRY : FAIL;
}

int llm_read_response(const llm_config *c, const char *b, size_t len, const char *url, llm_response *out, mf_err *e)
{
    if (len > LLM_MAX_ANSWER)
        return mf_fail(e, MF_ELIMIT, NULL, 0, 0, "the answer from %s is larger than %d bytes: refused", url,
                       LLM_MAX_ANSWER);
    reading rd;
    memset(&rd, 0, sizeof rd);
    const char *first = b + strspn(b, " \t\r\n");
    if (c->stream && *first != '{')
        read_stream(c, b, &rd);
    else   /* a server that does not stream answers with one document even when asked to */
        read_document(c, b, &rd);
    out->tokens_in = rd.tokens_in;
    out->tokens_out = rd.tokens_out;
    if (rd.model[0])
        snprintf(out->model, sizeof out->model, "%s", rd.model);
    int res = 0;
    if (rd.problem[0]) {
        mf_fail(e, rd.over_limit ? MF_ELIMIT : MF_EFORMAT, NULL, 0, 0, "%s: %s", url, rd.problem);
        res = -1;
    } else if (!rd.complete) {
        mf_err_clear(e);
        mf_fail(e, MF_EIO, NULL, 0, 0, "the connection to %s dropped mid-stream: the answer was not complete", url);
        res = 1;
    } else if (!rd.have_answer) {
        mf_fail(e, MF_EFORMAT, NULL, 0, 0, "%s answered without an answer (no content, no tool call)", url);
        res = -1;
    } else if (rd.answer.len > LLM_MAX_ANSWER) {
        mf_fail(e, MF_ELIMIT, NULL, 0, 0, "the answer from %s is larger than %d bytes: refused", url, LLM_MAX_ANSWER);
        res = -1;
    } else {
        out->answer = mf_xstrdup(mf_buf_str(&rd.answer));
    }
    mf_buf_free(&rd.answer);
    return res;
}

int llm_call(const llm_config *c, const llm_request *r, llm_response *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    if (c->provider == LLM_NONE)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "no model is configured (set MAPFORGE_LLM and the provider's variables, or ~/.mapforge/config)");
    pthread_once(&curl_once, curl_init_once);
    char url[1200];
    llm_endpoint(c, url, sizeof url);
    char *body = request_body(c, r, e);
    if (!body)
        return -1;
    double t0 = now_s();
    long backoff = c->backoff_ms;
    int rc = -1;
    for (int i = 0;; i++) {
        transfer t = {.retry_after_ms = -1};
        mf_err_clear(e);
        outcome o = attempt(c, url, body, out, &t, e);
        mf_buf_free(&t.body);
        if (o == OK) {
            rc = 0;
            break;
        }
        if (o == FAIL || i >= c->max_retries)
            break;
        long wait = backoff;
        if (t.retry_after_ms > wait)
            wait = t.retry_after_ms;
        if (wait > c->max_wait_ms) {
            size_t used = strlen(e->msg);
            snprintf(e->msg + used, sizeof e->msg - used, "; it asked to wait %ld s, longer than the %ld s allowed",
                     wait / 1000, c->max_wait_ms / 1000);
            break;
        }
        mf_sleep_ms(wait);
        if (mf_interrupted()) {
            mf_err_clear(e);
            mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted");
            break;
        }
        backoff *= 2;
    }
    if (rc < 0 && out->attempts > 1) {
        size_t used = strlen(e->msg);
        snprintf(e->msg + used, sizeof e->msg - used, " (after %d attempts)", out->attempts);
    }
    out->seconds = now_s() - t0;
    free(body);
    llm_redact(c, e->msg);
    return rc;
}
