/* livy.c — livy_run: submit one batch to a Livy endpoint, poll it to its end, keep its log (see
 * livy.h for the protocol, the token sources and the invariants).
 *
 * Polling backs off from 0.5 s by half again each time up to poll_max_s; a poll answered with 429
 * or 5xx, or not answered at all, is retried (at most 5 in a row).  The batch id is taken as the
 * server gives it (Livy: an integer; Fabric: a GUID) and must be made of letters, digits, '-' and
 * '_' before it goes into a URL.  A 401 is answered once per request by fetching a new token from
 * its command or file (call); a refresh that fails marks the client so that polling stops at once
 * instead of retrying.
 */
#include "write/livy.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/http.h"
#include "util/interrupt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TOKEN_MAX 65536        /* the longest token a command or file may give (JWTs are a few KB) */
#define TOKEN_CMD_SECONDS 120  /* a token command that has not finished by then is stopped */

typedef struct livy_client {
    char base[1024];        /* no trailing '/' and no "/batches" */
    const livy_batch *b;
    char *token;            /* the token in use; NULL = none */
    const char *source;     /* where it comes from, by its variable's name (for messages) */
    char **seen;            /* every token used in this run, blotted out of what is shown */
    int nseen;
    int refreshes;          /* new tokens fetched after a 401 */
    bool refresh_failed;    /* a 401 could not be answered with a new token: give up at once */
} livy_client;

/* Every occurrence of every token used in s becomes "***". */
static void redact(const livy_client *c, char *s)
{
    for (int i = 0; i < c->nseen; i++) {
        const char *token = c->seen[i];
        size_t tl = strlen(token);
        if (tl < 3)
            continue;
        char *hit, *from = s;
        while ((hit = strstr(from, token)) != NULL) {
            memmove(hit + 3, hit + tl, strlen(hit + tl) + 1);
            memcpy(hit, "***", 3);
            from = hit + 3;
        }
    }
}

/* ---- the token: fixed, from a command, from a file ---------------------------------------------- */

/* The standard output of `sh -c cmd` (stdin /dev/null, stderr the user's), at most TOKEN_MAX bytes;
 * NULL with e filled when it cannot run or exits non-zero (its output is never shown). */
static char *token_from_cmd(const char *cmd, mf_err *e)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD: cannot make a pipe: %s", strerror(errno));
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]), close(fds[1]);
        mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD: cannot start it: %s", strerror(errno));
        return NULL;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    mf_buf out = {0};
    char chunk[4096];
    bool too_long = false, stopped = false;
    double t0 = now();
    for (;;) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        int ready = poll(&pf, 1, 200);
        if (ready == 0 || (ready < 0 && errno == EINTR)) {
            if (mf_interrupted() || now() - t0 > TOKEN_CMD_SECONDS) {   /* a command that hangs (a login prompt?) */
                kill(pid, SIGKILL);
                stopped = true;
                break;
            }
            continue;
        }
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out.len + (size_t)n > TOKEN_MAX)
            too_long = true;
        else
            mf_buf_add(&out, chunk, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            status = -1;
            break;
        }
    if (stopped) {
        mf_buf_free(&out);
        if (mf_interrupted())
            mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted while MAPFORGE_LIVY_TOKEN_CMD ran");
        else
            mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD gave no token within %d s: stopped",
                    TOKEN_CMD_SECONDS);
        return NULL;
    }
    if (status != 0 || too_long) {
        if (too_long)
            mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD printed more than %d bytes: not a token", TOKEN_MAX);
        else if (status != -1 && WIFEXITED(status))
            mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD exited %d: no token", WEXITSTATUS(status));
        else
            mf_fail(e, MF_EIO, NULL, 0, 0, "MAPFORGE_LIVY_TOKEN_CMD was killed (signal %d): no token",
                    status == -1 ? 0 : WTERMSIG(status));
        mf_buf_free(&out);
        return NULL;
    }
    char *s = mf_xstrdup(mf_buf_str(&out));
    mf_buf_free(&out);
    return s;
}

/* The token file's content: a regular file of this user, readable by its owner only. */
static char *token_from_file(const char *path, mf_err *e)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        mf_fail(e, MF_EIO, path, 0, 0, "MAPFORGE_LIVY_TOKEN_FILE: cannot read it: %s", strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
        mf_fail(e, MF_EUSAGE, path, 0, 0,
                "MAPFORGE_LIVY_TOKEN_FILE must be a file of this user readable by its owner only (chmod 600), "
                "its mode is %03o", (unsigned)(st.st_mode & 0777));
        return NULL;
    }
    if (st.st_size > TOKEN_MAX) {
        mf_fail(e, MF_EIO, path, 0, 0, "MAPFORGE_LIVY_TOKEN_FILE holds more than %d bytes: not a token", TOKEN_MAX);
        return NULL;
    }
    size_t len;
    return mf_read_file(path, &len, e);
}

/* Fetch the token from its source into c->token (the previous one stays in c->seen). */
static int token_fetch(livy_client *c, mf_err *e)
{
    char *raw = c->b->token_cmd ? token_from_cmd(c->b->token_cmd, e)
                : c->b->token_file ? token_from_file(c->b->token_file, e)
                                   : mf_xstrdup(c->b->token ? c->b->token : "");
    if (!raw)
        return -1;
    char *s = raw, *end = raw + strlen(raw);   /* a command's or file's trailing newline is no part of it */
    while (*s && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = 0;
    for (const char *t = s; *t; t++)
        if ((unsigned char)*t < 0x21 || *t == 0x7f) {   /* a header must stay one header */
            free(raw);
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "the token from %s holds a space or a control character",
                           c->source);
        }
    if (!*s && (c->b->token_cmd || c->b->token_file)) {
        free(raw);
        return mf_fail(e, MF_EIO, NULL, 0, 0, "%s gave an empty token", c->source);
    }
    c->token = *s ? mf_xstrdup(s) : NULL;
    free(raw);
    if (c->token) {
        c->seen = mf_xrealloc(c->seen, sizeof *c->seen * (size_t)(c->nseen + 1));
        c->seen[c->nseen++] = c->token;   /* owned by seen[] */
    }
    return 0;
}

static void client_free(livy_client *c)
{
    for (int i = 0; i < c->nseen; i++) {
        memset(c->seen[i], 0, strlen(c->seen[i]));
        free(c->seen[i]);
    }
    free(c->seen);
    c->seen = NULL;
    c->token = NULL;
    c->nseen = 0;
}

/* The server's message in an error body (Livy: {"msg": ...}; Fabric: {"message"} or
 * {"error": {"message"}}), one line, at most 300 bytes, the token blotted out; "" when none. */
static void server_message(const livy_client *c, const char *body, char *out, size_t n)
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
    redact(c, out);
    json_decref(j);
}

/* One exchange; status in *status and the JSON answer in *answer (NULL when the body is not JSON). */
static int send_once(const livy_client *c, const char *method, const char *url, const char *body, long timeout_ms,
                     long *status, json_t **answer, char *msg, size_t msgn, mf_err *e)
{
    mf_http_request r = {method, url, c->token, body, timeout_ms};
    mf_buf b = {0};
    *answer = NULL;
    int rc = mf_http_send(&r, status, &b, e);
    if (rc == 0) {
        *answer = json_loads(mf_buf_str(&b), 0, NULL);
        if (msg)
            server_message(c, mf_buf_str(&b), msg, msgn);
    }
    mf_buf_free(&b);
    if (rc < 0)
        redact(c, e->msg);
    return rc;
}

/* One request, sent once more with a new token when it is answered 401 and the token comes from a
 * command or a file.  -1 with c->refresh_failed when no new token could be had. */
static int call(livy_client *c, const char *method, const char *path, const char *body, long timeout_ms,
                long *status, json_t **answer, char *msg, size_t msgn, mf_err *e)
{
    char url[1400];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    int rc = send_once(c, method, url, body, timeout_ms, status, answer, msg, msgn, e);
    if (rc < 0 || *status != 401 || (!c->b->token_cmd && !c->b->token_file))
        return rc;
    json_decref(*answer);
    *answer = NULL;
    char *old = c->token;
    mf_err te = {0};
    if (token_fetch(c, &te) < 0) {
        c->token = old;
        c->refresh_failed = true;
        return mf_fail(e, MF_EIO, NULL, 0, 0, "Livy at %s answered HTTP 401 (the token expired or was refused) and "
                       "no new token came: %s", c->base, te.msg);
    }
    if (old && c->token && !strcmp(old, c->token)) {
        c->refresh_failed = true;
        return mf_fail(e, MF_EIO, NULL, 0, 0, "Livy at %s answered HTTP 401 (the token expired or was refused) and "
                       "%s gives the same token again (is whatever keeps it fresh still running?)", c->base, c->source);
    }
    c->refreshes++;
    fprintf(stderr, "mapforge: Livy answered 401: a new token from %s\n", c->source);
    return send_once(c, method, url, body, timeout_ms, status, answer, msg, msgn, e);
}

/* An HTTP status that is not the one expected, as one clear line. */
static int http_error(const livy_client *c, const char *what, long status, const char *msg, mf_err *e)
{
    const char *hint = "";
    char buf[400];
    if ((status == 401 || status == 403) && c->refreshes > 0) {
        snprintf(buf, sizeof buf, " (the endpoint refused a new token from %s too: is it for this service and "
                 "allowed to run batches there?)", c->source);
        hint = buf;
    } else if ((status == 401 || status == 403) && c->token) {
        snprintf(buf, sizeof buf, " (the endpoint refused the token from %s: is it valid, unexpired and for this "
                 "service?%s)", c->source, c->b->token && !c->b->token_cmd && !c->b->token_file
                 ? " A fixed token is never refreshed: for batches that outlive it give MAPFORGE_LIVY_TOKEN_CMD "
                   "or MAPFORGE_LIVY_TOKEN_FILE" : "");
        hint = buf;
    } else if (status == 401 || status == 403) {
        hint = " (the endpoint wants a token: set MAPFORGE_LIVY_TOKEN, MAPFORGE_LIVY_TOKEN_CMD or "
               "MAPFORGE_LIVY_TOKEN_FILE)";
    } else if (status == 404)
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
static int fetch_log(livy_client *c, const char *id, const char *log_path, mf_err *e)
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
            redact(c, text.data + keep);
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
static void delete_batch(livy_client *c, const char *id)
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

/* The batch is left on the service when the token gave out after it was submitted: say so. */
static int left_running(const livy_client *c, const char *id, long status, mf_err *e)
{
    if (c->refresh_failed || status == 401 || status == 403) {
        size_t n = strlen(e->msg);
        snprintf(e->msg + n, sizeof e->msg - n, "; Livy batch %s was not deleted (no usable token): it may still be "
                 "running, stop it on the service", id);
    }
    return -1;
}

/* Submit, poll to a final state, fetch the log (see livy_run). */
static int run_batch(livy_client *c, const char *log_path, char *id, char *state, mf_err *e)
{
    const livy_batch *b = c->b;
    char *body = request_body(b, e);
    if (!body)
        return -1;
    long status;
    json_t *j;
    char msg[300];
    int rc = call(c, "POST", "/batches", body, 60000, &status, &j, msg, sizeof msg, e);
    free(body);
    if (rc < 0)
        return -1;
    if (status != 201 && status != 200) {
        json_decref(j);
        return http_error(c, "refused the batch", status, msg, e);
    }
    json_t *jid = json_object_get(j, "id");
    if (json_is_integer(jid))
        snprintf(id, 64, "%lld", (long long)json_integer_value(jid));
    else if (json_is_string(jid))
        snprintf(id, 64, "%s", json_string_value(jid));
    json_decref(j);
    if (!safe_id(id))
        return mf_fail(e, MF_EFORMAT, NULL, 0, 0, "Livy at %s answered the batch without a usable id", c->base);
    fprintf(stderr, "mapforge: Livy batch %s submitted to %s\n", id, c->base);
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
            fetch_log(c, id, log_path, &ignore);
            delete_batch(c, id);
            if (intr)
                return mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted: Livy batch %s deleted", id);
            return mf_fail(e, MF_EIO, NULL, 0, 0, "Livy batch %s did not finish within %.0f s: deleted", id, limit);
        }
        wait = wait * 1.5 > poll_max ? poll_max : wait * 1.5;
        mf_err pe = {0};
        status = 0;
        if (call(c, "GET", path, NULL, 30000, &status, &j, msg, sizeof msg, &pe) < 0 || transient(status)) {
            if (pe.code == 0)
                json_decref(j);
            if (c->refresh_failed || ++misses > 5) {
                if (pe.code)
                    *e = pe;
                else
                    http_error(c, "state", status, msg, e);
                return left_running(c, id, status, e);
            }
            continue;
        }
        misses = 0;
        const char *s = json_string_value(json_object_get(j, "state"));
        if (status != 200 || !s) {
            json_decref(j);
            if (status == 200)
                return mf_fail(e, MF_EFORMAT, NULL, 0, 0, "Livy at %s answered batch %s's state without a state",
                               c->base, id);
            http_error(c, "state", status, msg, e);
            return left_running(c, id, status, e);
        }
        snprintf(state, 64, "%s", s);
        json_decref(j);
        if (final_state(state, &ok))
            break;
    }
    if (fetch_log(c, id, log_path, e) < 0)
        return -1;
    return ok ? LIVY_SUCCESS : LIVY_FAILED;
}

int livy_run(const livy_batch *b, const char *log_path, char *id, char *state, mf_err *e)
{
    livy_client c;
    memset(&c, 0, sizeof c);
    c.b = b;
    id[0] = state[0] = 0;
    snprintf(c.base, sizeof c.base, "%s", b->url);
    size_t n = strlen(c.base);
    while (n > 0 && c.base[n - 1] == '/')
        c.base[--n] = 0;
    if (n >= 8 && !strcmp(c.base + n - 8, "/batches"))
        c.base[n -= 8] = 0;
    if (strncmp(c.base, "http://", 7) && strncmp(c.base, "https://", 8))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--livy %s: expected an http:// or https:// URL", c.base);
    bool fixed = b->token && *b->token, cmd = b->token_cmd && *b->token_cmd, file = b->token_file && *b->token_file;
    if (fixed + cmd + file > 1)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "more than one of MAPFORGE_LIVY_TOKEN, MAPFORGE_LIVY_TOKEN_CMD and MAPFORGE_LIVY_TOKEN_FILE is "
                       "set: keep the one the token should come from");
    livy_batch own = *b;   /* empty settings are no settings */
    own.token = fixed ? b->token : NULL;
    own.token_cmd = cmd ? b->token_cmd : NULL;
    own.token_file = file ? b->token_file : NULL;
    c.b = &own;
    c.source = cmd ? "MAPFORGE_LIVY_TOKEN_CMD" : file ? "MAPFORGE_LIVY_TOKEN_FILE" : "MAPFORGE_LIVY_TOKEN";
    int rc = token_fetch(&c, e) < 0 ? -1 : run_batch(&c, log_path, id, state, e);
    client_free(&c);
    return rc;
}
