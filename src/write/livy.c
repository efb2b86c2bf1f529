/* livy.c — livy_run: submit one batch to a Livy endpoint, poll it to its end, keep its log (see
 * livy.h for the protocol and the invariants).
 *
 * Polling backs off from 0.5 s by half again each time up to poll_max_s; a poll answered with 429
 * or 5xx, or not answered at all, is retried (at most 5 in a row).  The batch id is taken as the
 * server gives it (Livy: an integer; Fabric: a GUID) and must be made of letters, digits, '-' and
 * '_' before it goes into a URL.
 */
#include "write/livy.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/http.h"
#include "util/interrupt.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct livy_client {
    char base[1024];    /* no trailing '/' and no "/batches" */
    const char *token;
} livy_client;

/* Every occurrence of the token in s becomes "***". */
static void redact(const char *token, char *s)
{
    if (!token || strlen(token) < 3)
        return;
    size_t tl = strlen(token);
    char *hit, *from = s;
    while ((hit = strstr(from, token)) != NULL) {
        memmove(hit + 3, hit + tl, strlen(hit + tl) + 1);
        memcpy(hit, "***", 3);
        from = hit + 3;
    }
}

/* The server's message in an error body (Livy: {"msg": ...}; Fabric: {"message"} or
 * {"error": {"message"}}), one line, at most 300 bytes, the token blotted out; "" when none. */
static void server_message(const char *token, const char *body, char *out, size_t n)
{
    out[0] = 0;
    json_t *j = json_loads(body, 0, NULL);
    const char *m = NULL;
    if (json_is_object(j)) {
        m = json_string_value(json_object_get(j, "msg"));
        if (!m)
            m = json_string_value(json_object_get(j, "message"));
        if (!m)
            m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    } else if (!j && body[0] && body[0] != '<') {   /* plain text, not an HTML page */
        m = body;
    }
    snprintf(out, n < 300 ? n : 300, "%s", m ? m : "");
    for (char *s = out; *s; s++)
        if ((unsigned char)*s < 0x20)
            *s = ' ';
    redact(token, out);
    json_decref(j);
}

/* One request; status in *status and the JSON answer in *answer (NULL when the body is not JSON). */
static int call(const livy_client *c, const char *method, const char *path, const char *body, long timeout_ms,
                long *status, json_t **answer, char *msg, size_t msgn, mf_err *e)
{
    char url[1400];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    mf_http_request r = {method, url, c->token, body, timeout_ms};
    mf_buf b = {0};
    *answer = NULL;
    int rc = mf_http_send(&r, status, &b, e);
    if (rc == 0) {
        *answer = json_loads(mf_buf_str(&b), 0, NULL);
        if (msg)
            server_message(c->token, mf_buf_str(&b), msg, msgn);
    }
    mf_buf_free(&b);
    if (rc < 0)
        redact(c->token, e->msg);
    return rc;
}

/* An HTTP status that is not the one expected, as one clear line. */
static int http_error(const livy_client *c, const char *what, long status, const char *msg, mf_err *e)
{
    const char *hint = "";
    if (status == 401 || status == 403)
        hint = c->token && *c->token ? " (the endpoint refused the token in MAPFORGE_LIVY_TOKEN: is it valid, unexpired "
                                       "and for this service?)"
                                     : " (the endpoint wants a token: set MAPFORGE_LIVY_TOKEN)";
    else if (status == 404)
        hint = " (is the URL the Livy endpoint, the part before /batches?)";
    return mf_fail(e, MF_EIO, NULL, 0, 0, "Livy %s at %s: HTTP %ld%s%s%s", what, c->base, status, msg[0] ? ": " : "",
                   msg, hint);
}

static bool transient(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504 || status == 500;
}

static bool safe_id(const char *s)
{
    if (!*s || strlen(s) > 63)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static char *request_body(const livy_batch *b, mf_err *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(b->file));
    json_object_set_new(o, "pyFiles", json_pack("[s]", b->py_file));
    json_t *args = json_array();
    for (int i = 0; i < b->nargs; i++)
        json_array_append_new(args, json_string(b->args[i]));
    json_object_set_new(o, "args", args);
    if (b->name)
        json_object_set_new(o, "name", json_string(b->name));
    if (b->conf_json && *b->conf_json) {
        json_error_t je;
        json_t *conf = json_loads(b->conf_json, 0, &je);
        const char *k;
        json_t *v;
        bool ok = json_is_object(conf);
        json_object_foreach(conf, k, v)
        {
            if (!json_is_string(v))
                ok = false;
        }
        if (!ok) {
            json_decref(conf);
            json_decref(o);
            mf_fail(e, MF_EUSAGE, "MAPFORGE_LIVY_CONF", 0, 0,
                    "expected a JSON object of Spark settings, each value a string ({\"spark.executor.memory\": \"4g\"})");
            return NULL;
        }
        json_object_set_new(o, "conf", conf);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Fetch the whole log in pages of 500 lines into log_path (what was fetched is written even when a
 * page fails). */
static int fetch_log(const livy_client *c, const char *id, const char *log_path, mf_err *e)
{
    mf_buf text = {0};
    long from = 0;
    int rc = 0;
    for (int page = 0; page < 20000; page++) {
        char path[200];
        snprintf(path, sizeof path, "/batches/%s/log?from=%ld&size=500", id, from);
        long status;
        json_t *j;
        char msg[300];
        if (call(c, "GET", path, NULL, 30000, &status, &j, msg, sizeof msg, e) < 0) {
            rc = -1;
            break;
        }
        if (status != 200) {
            json_decref(j);
            rc = http_error(c, "log", status, msg, e);
            break;
        }
        json_t *lines = json_object_get(j, "log");
        long total = (long)json_integer_value(json_object_get(j, "total"));
        size_t i, n = json_array_size(lines);
        json_t *line;
        json_array_foreach(lines, i, line)
        {
            const char *s = json_string_value(line);
            if (!s)
                continue;
            size_t keep = text.len;
            mf_buf_adds(&text, s);
            redact(c->token, text.data + keep);
            text.len = keep + strlen(text.data + keep);
            mf_buf_addc(&text, '\n');
        }
        json_decref(j);
        from += (long)n;
        if (n == 0 || from >= total)
            break;
    }
    mf_err ignore = {0};
    if (mf_write_file_atomic(log_path, mf_buf_str(&text), text.len, rc < 0 ? &ignore : e) < 0 && rc == 0)
        rc = -1;
    mf_buf_free(&text);
    return rc;
}

/* Stop the batch on the cluster (a 404 means it is gone already). */
static void delete_batch(const livy_client *c, const char *id)
{
    char path[100];
    snprintf(path, sizeof path, "/batches/%s", id);
    long status = 0;
    json_t *j;
    mf_err ignore = {0};
    if (call(c, "DELETE", path, NULL, 30000, &status, &j, NULL, 0, &ignore) == 0)
        json_decref(j);
    if (status != 200 && status != 404)
        fprintf(stderr, "mapforge: could not delete Livy batch %s at %s (HTTP %ld): stop it on the service\n", id,
                c->base, status);
}

static bool final_state(const char *s, bool *ok)
{
    *ok = !strcmp(s, "success");
    return *ok || !strcmp(s, "dead") || !strcmp(s, "killed") || !strcmp(s, "error");
}

int livy_run(const livy_batch *b, const char *log_path, char *id, char *state, mf_err *e)
{
    livy_client c;
    snprintf(c.base, sizeof c.base, "%s", b->url);
    size_t n = strlen(c.base);
    while (n > 0 && c.base[n - 1] == '/')
        c.base[--n] = 0;
    if (n >= 8 && !strcmp(c.base + n - 8, "/batches"))
        c.base[n -= 8] = 0;
    if (strncmp(c.base, "http://", 7) && strncmp(c.base, "https://", 8))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--livy %s: expected an http:// or https:// URL", c.base);
    c.token = b->token;
    for (const char *t = c.token; t && *t; t++)
        if ((unsigned char)*t < 0x21 || *t == 0x7f)   /* a header must stay one header */
            return mf_fail(e, MF_EUSAGE, "MAPFORGE_LIVY_TOKEN", 0, 0,
                           "the token holds a space or a control character (a trailing newline?)");
    id[0] = state[0] = 0;
    char *body = request_body(b, e);
    if (!body)
        return -1;
    long status;
    json_t *j;
    char msg[300];
    int rc = call(&c, "POST", "/batches", body, 60000, &status, &j, msg, sizeof msg, e);
    free(body);
    if (rc < 0)
        return -1;
    if (status != 201 && status != 200) {
        json_decref(j);
        return http_error(&c, "refused the batch", status, msg, e);
    }
    json_t *jid = json_object_get(j, "id");
    if (json_is_integer(jid))
        snprintf(id, 64, "%lld", (long long)json_integer_value(jid));
    else if (json_is_string(jid))
        snprintf(id, 64, "%s", json_string_value(jid));
    json_decref(j);
    if (!safe_id(id))
        return mf_fail(e, MF_EFORMAT, NULL, 0, 0, "Livy at %s answered the batch without a usable id", c.base);
    fprintf(stderr, "mapforge: Livy batch %s submitted to %s\n", id, c.base);
    double t0 = now(), limit = b->timeout_s > 0 ? b->timeout_s : 86400, poll_max = b->poll_max_s > 0 ? b->poll_max_s : 10;
    double wait = 0.5;
    int misses = 0;
    char path[100];
    snprintf(path, sizeof path, "/batches/%s/state", id);
    bool ok = false;
    for (;;) {
        mf_sleep_ms((long)(wait * 1000));
        if (mf_interrupted() || now() - t0 > limit) {
            bool intr = mf_interrupted() != 0;
            mf_err ignore = {0};
            fetch_log(&c, id, log_path, &ignore);
            delete_batch(&c, id);
            if (intr)
                return mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted: Livy batch %s deleted", id);
            return mf_fail(e, MF_EIO, NULL, 0, 0, "Livy batch %s did not finish within %.0f s: deleted", id, limit);
        }
        wait = wait * 1.5 > poll_max ? poll_max : wait * 1.5;
        mf_err pe = {0};
        if (call(&c, "GET", path, NULL, 30000, &status, &j, msg, sizeof msg, &pe) < 0 || transient(status)) {
            if (pe.code == 0)
                json_decref(j);
            if (++misses > 5) {
                if (pe.code)
                    *e = pe;
                else
                    http_error(&c, "state", status, msg, e);
                return -1;
            }
            continue;
        }
        misses = 0;
        const char *s = json_string_value(json_object_get(j, "state"));
        if (status != 200 || !s) {
            json_decref(j);
            if (status == 200)
                return mf_fail(e, MF_EFORMAT, NULL, 0, 0, "Livy at %s answered batch %s's state without a state", c.base,
                               id);
            return http_error(&c, "state", status, msg, e);
        }
        snprintf(state, 64, "%s", s);
        json_decref(j);
        if (final_state(state, &ok))
            break;
    }
    if (fetch_log(&c, id, log_path, e) < 0)
        return -1;
    return ok ? LIVY_SUCCESS : LIVY_FAILED;
}
