/* jobs.c — runs started from the web app (see jobs.h): a thread per run over the workflow stage,
 * live progress for server-sent events, notifications and the webhook.
 *
 * Invariants: the job table is guarded by g_jobs_lock (never held while the store or a run is
 * busy); each run thread opens its own flow environment (store connection) and closes it; the
 * SSE stream of a job ends with one "done" event; the webhook gets a small JSON document
 * ({"event","client","review","run","state","rows_in","rows_out","rows_rejected"}) by HTTP POST
 * from the run thread, with a 5 second timeout, and its failure is only logged.
 */
#include "serve/jobs.h"

#include "flow/flow.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 256
#define MAX_NOTES 20

typedef struct job {
    jobs_view v;
    int gen;                       /* bumped on every change: SSE readers wait for it */
    char user[128], client[256];
    char store_where[1024], home[1024], webhook[1024];
    bool four_eyes;
    bool thread_gone;              /* the run thread no longer touches it: it may be dropped */
} job;

static pthread_mutex_t g_jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_jobs_cond = PTHREAD_COND_INITIALIZER;
static job *g_jobs[MAX_JOBS];   /* slots; NULL = free.  A finished job is dropped when a slot is needed */
static long long g_last_id;
static int g_running;

/* The job with this id (under g_jobs_lock), NULL when unknown or dropped. */
static job *find(long long id)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (g_jobs[i] && g_jobs[i]->v.id == id)
            return g_jobs[i];
    return NULL;
}

/* A free slot, else the slot of the oldest finished job (freed); -1 when all are running. */
static int free_slot(void)
{
    int oldest = -1;
    for (int i = 0; i < MAX_JOBS; i++) {
        if (!g_jobs[i])
            return i;
        if (g_jobs[i]->thread_gone && (oldest < 0 || g_jobs[i]->v.id < g_jobs[oldest]->v.id))
            oldest = i;
    }
    if (oldest >= 0) {
        free(g_jobs[oldest]);
        g_jobs[oldest] = NULL;
    }
    return oldest;
}
static bool g_stopping;
static char g_notes[MAX_NOTES][800];
static int g_nnotes;

static void note(const char *text)
{
    pthread_mutex_lock(&g_jobs_lock);
    if (g_nnotes == MAX_NOTES) {
        memmove(g_notes[0], g_notes[1], sizeof g_notes[0] * (MAX_NOTES - 1));
        g_nnotes--;
    }
    snprintf(g_notes[g_nnotes++], sizeof g_notes[0], "%s", text);
    pthread_mutex_unlock(&g_jobs_lock);
}

int jobs_notifications_html(mf_buf *b)
{
    pthread_mutex_lock(&g_jobs_lock);
    int n = g_nnotes;
    for (int i = n - 1; i >= 0; i--) {
        mf_buf_adds(b, "<p class=\"notice\">");
        html_esc(b, g_notes[i]);
        mf_buf_adds(b, "</p>");
    }
    pthread_mutex_unlock(&g_jobs_lock);
    return n;
}

/* ---- the webhook ---------------------------------------------------------------------------------- */

/* POST body to an http:// URL.  0 sent and answered 2xx, -1 otherwise (message in why). */
static int webhook_post(const char *url, const char *body, char *why, size_t nwhy)
{
    if (strncmp(url, "http://", 7)) {
        snprintf(why, nwhy, "only http:// webhooks are supported");
        return -1;
    }
    char host[256], port[8] = "80";
    const char *h = url + 7, *slash = strchr(h, '/');
    const char *path = slash ? slash : "/";
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (hl == 0 || hl >= sizeof host) {
        snprintf(why, nwhy, "bad webhook URL");
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    char *colon = strrchr(host, ':');
    if (colon) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        snprintf(why, nwhy, "cannot resolve %.200s", host);
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    struct timeval tv = {5, 0};
    int rc = -1;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        char head[1600];
        int n = snprintf(head, sizeof head,
                         "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                         "User-Agent: mapforge\r\nConnection: close\r\n\r\n",
                         path, host, strlen(body));
        char reply[64] = {0};
        if (n > 0 && (size_t)n < sizeof head && write(fd, head, (size_t)n) == n &&
            write(fd, body, strlen(body)) == (ssize_t)strlen(body) && read(fd, reply, sizeof reply - 1) > 0) {
            rc = !strncmp(reply, "HTTP/1.", 7) && reply[9] == '2' ? 0 : -1;
            if (rc)
                snprintf(why, nwhy, "answered %.12s", reply + 9);
        } else
            snprintf(why, nwhy, "%s", strerror(errno));
    } else
        snprintf(why, nwhy, "cannot connect to %.200s:%s", host, port);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return rc;
}

static void webhook(const job *j, const char *event)
{
    if (!j->webhook[0])
        return;
    json_t *d = json_object();
    json_object_set_new(d, "event", json_string(event));
    json_object_set_new(d, "client", json_string(j->client));
    json_object_set_new(d, "review", json_integer(j->v.review_id));
    json_object_set_new(d, "run", json_integer(j->v.run_id));
    json_object_set_new(d, "state", json_string(j->v.state));
    char *txt = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    char why[256] = "";
    if (txt && webhook_post(j->webhook, txt, why, sizeof why) < 0)
        fprintf(stderr, "mapforge serve: webhook %s: %s\n", j->webhook, why);
    free(txt);
}

/* ---- the run thread ---------------------------------------------------------------------------------- */

static void on_progress(void *user, const flow_progress *p)
{
    job *j = user;
    pthread_mutex_lock(&g_jobs_lock);
    j->v.rows = p->rows;
    j->v.bytes = p->bytes;
    j->v.bytes_total = p->bytes_total;
    j->v.elapsed = p->elapsed;
    j->gen++;
    pthread_cond_broadcast(&g_jobs_cond);
    pthread_mutex_unlock(&g_jobs_lock);
}

static void *run_thread(void *arg)
{
    job *j = arg;
    flow_env env;
    mf_err e;
    mf_err_clear(&e);
    flow_run_result res;
    memset(&res, 0, sizeof res);
    int rc = -1;
    /* store_where is a postgresql:// URL or the SQLite store's directory (the --home form). */
    bool pg = !strncmp(j->store_where, "postgresql://", 13) || !strncmp(j->store_where, "postgres://", 11);
    if (flow_env_open(&env, pg ? j->store_where : NULL, pg ? (j->home[0] ? j->home : NULL) : j->store_where, &e) == 0) {
        env.home = j->home[0] ? j->home : NULL;
        env.actor = j->user;
        env.four_eyes = j->four_eyes;
        flow_run_options o;
        memset(&o, 0, sizeof o);
        o.out_dir = j->v.out_dir;
        o.progress = on_progress;
        o.progress_user = j;
        rc = flow_run_review(&env, j->v.review_id, &o, &res, &e);
        flow_env_close(&env);
    }
    char msg[800];
    pthread_mutex_lock(&g_jobs_lock);
    j->v.run_id = res.run_id;
    snprintf(j->v.state, sizeof j->v.state, "%s", rc < 0 ? "failed" : flow_state_name(res.state));
    if (rc < 0)
        mf_err_format(&e, j->v.error, sizeof j->v.error);
    if (res.findings_text)
        snprintf(j->v.findings, sizeof j->v.findings, "%s", res.findings_text);
    if (res.load_target)
        snprintf(j->v.load, sizeof j->v.load, "loaded %lld rows into %s (table %s), %lld replaced", res.rows_loaded,
                 res.load_target, res.load_table ? res.load_table : "?", res.rows_replaced);
    if (rc == 0)
        j->v.rows = res.rep.rows_in;
    j->v.done = true;
    j->gen++;
    if (rc < 0)
        snprintf(msg, sizeof msg, "Run of review #%lld (%.200s) failed: %.500s", j->v.review_id, j->client, j->v.error);
    else if (rc == 1)
        snprintf(msg, sizeof msg, "Run #%lld of %.200s failed validation: nothing loaded.", res.run_id, j->client);
    else
        snprintf(msg, sizeof msg, "Run #%lld of %.200s finished (%s): %lld rows in, %lld written, %lld rejected.",
                 res.run_id, j->client, j->v.state, res.rep.rows_in, res.rep.rows_out, res.rep.rows_rejected);
    pthread_cond_broadcast(&g_jobs_cond);
    pthread_mutex_unlock(&g_jobs_lock);
    note(msg);
    webhook(j, rc == 0 ? "run_finished" : "run_failed");
    flow_run_result_free(&res);
    pthread_mutex_lock(&g_jobs_lock);
    j->thread_gone = true;
    g_running--;
    pthread_cond_broadcast(&g_jobs_cond);
    pthread_mutex_unlock(&g_jobs_lock);
    return NULL;
}

int jobs_start(serve_state *s, long long review_id, const char *user, long long *job_id, mf_err *e)
{
    flow_env env;
    memset(&env, 0, sizeof env);
    env.st = s->st;
    env.actor = user;
    flow_review rv;
    int found = flow_review_get(&env, review_id, &rv, e);
    if (found < 0)
        return -1;
    if (!found)
        return mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld", review_id);
    flow_state st = rv.state;
    char client[256];
    snprintf(client, sizeof client, "%s", rv.client);
    flow_review_free(&rv);
    if (st != FLOW_APPROVED && st != FLOW_CHECKED && st != FLOW_FAILED && st != FLOW_LOADED)
        return mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "review %lld is %s: only an approved plan runs", review_id,
                       flow_state_name(st));
    pthread_mutex_lock(&g_jobs_lock);
    int busy = g_stopping;
    for (int i = 0; i < MAX_JOBS && !busy; i++)
        busy = g_jobs[i] && g_jobs[i]->v.review_id == review_id && !g_jobs[i]->v.done;
    int slot = busy ? -1 : free_slot();
    if (busy || slot < 0) {
        pthread_mutex_unlock(&g_jobs_lock);
        return mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "review %lld is running already (or the server is busy)",
                       review_id);
    }
    job *j = mf_xcalloc(1, sizeof *j);
    j->v.id = ++g_last_id;
    j->v.review_id = review_id;
    snprintf(j->user, sizeof j->user, "%s", user);
    snprintf(j->client, sizeof j->client, "%s", client);
    snprintf(j->store_where, sizeof j->store_where, "%s", s->cfg.store_where);
    snprintf(j->home, sizeof j->home, "%s", s->cfg.home ? s->cfg.home : "");
    snprintf(j->webhook, sizeof j->webhook, "%s", s->cfg.webhook ? s->cfg.webhook : "");
    j->four_eyes = s->cfg.four_eyes;
    snprintf(j->v.out_dir, sizeof j->v.out_dir, "%s/web-runs/review-%lld-job-%lld-%lld", s->cfg.home, review_id,
             j->v.id, (long long)time(NULL));
    char parent[1100];
    snprintf(parent, sizeof parent, "%s/web-runs", s->cfg.home);
    if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
        pthread_mutex_unlock(&g_jobs_lock);
        free(j);
        return mf_fail(e, MF_EIO, parent, 0, 0, "cannot create: %s", strerror(errno));
    }
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, run_thread, j) != 0) {
        pthread_attr_destroy(&at);
        pthread_mutex_unlock(&g_jobs_lock);
        free(j);
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "cannot start a thread for the run");
    }
    pthread_attr_destroy(&at);
    g_jobs[slot] = j;
    g_running++;
    *job_id = j->v.id;
    pthread_mutex_unlock(&g_jobs_lock);
    return 0;
}

int jobs_get(long long id, jobs_view *v)
{
    pthread_mutex_lock(&g_jobs_lock);
    job *j = find(id);
    if (j)
        *v = j->v;
    pthread_mutex_unlock(&g_jobs_lock);
    return j != NULL;
}

int jobs_find_run(long long run_id, jobs_view *v)
{
    int found = 0;
    pthread_mutex_lock(&g_jobs_lock);
    for (int i = 0; i < MAX_JOBS && !found; i++)
        if (g_jobs[i] && g_jobs[i]->v.run_id == run_id && run_id) {
            *v = g_jobs[i]->v;
            found = 1;
        }
    pthread_mutex_unlock(&g_jobs_lock);
    return found;
}

static FILE *open_rejects(const jobs_view *v)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/rejects.csv", v->out_dir);
    return fopen(path, "rb");
}

void jobs_first_rejects_html(mf_buf *b, const jobs_view *v, int n)
{
    FILE *f = open_rejects(v);
    if (!f)
        return;
    char line[2048];
    for (int i = 0; i <= n && fgets(line, sizeof line, f); i++)   /* the header, then n rejects */
        html_esc(b, line);
    fclose(f);
}

int jobs_rejects_file(const jobs_view *v, mf_buf *out)
{
    FILE *f = open_rejects(v);
    if (!f)
        return 0;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        mf_buf_add(out, tmp, n);
    fclose(f);
    return 1;
}

/* ---- server-sent events --------------------------------------------------------------------------- */

typedef struct sse {
    long long job;
    int seen_gen;
    bool ended;
} sse;

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse *s = cls;
    if (s->ended)
        return MHD_CONTENT_READER_END_OF_STREAM;
    pthread_mutex_lock(&g_jobs_lock);
    job *j = find(s->job);
    if (!j) {   /* dropped to make room: nothing more to say */
        pthread_mutex_unlock(&g_jobs_lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (j->gen == s->seen_gen && !j->v.done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&g_jobs_cond, &g_jobs_lock, &until);
        if (!(j = find(s->job))) {
            pthread_mutex_unlock(&g_jobs_lock);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
    }
    jobs_view v = j->v;
    int gen = j->gen;
    pthread_mutex_unlock(&g_jobs_lock);
    int n;
    if (v.done) {
        char url[64];
        if (v.run_id)
            snprintf(url, sizeof url, "/run?id=%lld", v.run_id);
        else
            snprintf(url, sizeof url, "/run?job=%lld", v.id);
        n = snprintf(buf, max, "event: done\ndata: {\"status\":\"%s\",\"run\":%lld,\"url\":\"%s\"}\n\n", v.state,
                     v.run_id, url);
        s->ended = true;
    } else if (gen != s->seen_gen) {
        double mbps = v.elapsed > 0 ? (double)v.bytes / v.elapsed / 1e6 : 0;
        double frac = v.bytes_total ? (double)v.bytes / (double)v.bytes_total : -1;
        double eta = v.bytes && v.bytes_total && v.elapsed > 0
                         ? (double)(v.bytes_total - v.bytes) / ((double)v.bytes / v.elapsed) : -1;
        n = snprintf(buf, max, "event: progress\ndata: {\"rows\":%lld,\"mbps\":%.3f,\"fraction\":%.4f,\"eta\":%.1f}\n\n",
                     v.rows, mbps, frac, eta);
    } else
        n = snprintf(buf, max, ": waiting\n\n");
    s->seen_gen = gen;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)((size_t)n < max ? (size_t)n : max - 1);
}

void *jobs_sse_response(long long id)
{
    pthread_mutex_lock(&g_jobs_lock);
    bool found = find(id) != NULL;
    pthread_mutex_unlock(&g_jobs_lock);
    if (!found)
        return NULL;
    sse *s = mf_xcalloc(1, sizeof *s);
    s->job = id;
    s->seen_gen = -1;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, free);
    if (!r)
        free(s);
    return r;
}

void jobs_shutdown(void)
{
    pthread_mutex_lock(&g_jobs_lock);
    g_stopping = true;
    while (g_running > 0)
        pthread_cond_wait(&g_jobs_cond, &g_jobs_lock);
    pthread_mutex_unlock(&g_jobs_lock);
}
