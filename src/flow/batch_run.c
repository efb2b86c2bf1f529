/* batch_run.c — the batch's worker pool: at most `jobs` entries at once, each in a fork()ed worker
 * process that runs batch_entry_work and reports over a pipe, one JSON object per line:
 *
 *   {"k":"p", "rows":R, "bytes":B, "total":T, "elapsed":S, "phase":"run"}   progress
 *   {"k":"n", "level":1|2, "text":"..."}                                    a workflow message
 *   {"k":"r", "status":"done", ...}                                         the result, last
 *
 * Why processes and not threads: an entry that crashes, is killed or runs out of memory takes
 * down its worker only (the batch records it as failed, with the signal); every worker has its own
 * store connection by construction (SQLite connections never cross a fork: the parent closes its
 * own before the first fork); and SIGTERM stops one worker's run through the same interrupt path
 * as `mapforge run`.  The cost — a fork and a store connection per entry — is milliseconds.
 *
 * Invariants: workers are in their own process group (a Ctrl-C on the terminal reaches the batch,
 * which stops them once with SIGTERM) and die with the batch (PR_SET_PDEATHSIG); a worker that
 * ends without a result line failed ("the worker died: ..."); no new entry starts after an
 * interrupt; OUT/batch.json is written atomically at the start and each time an entry ends (outcome
 * "running"), and once more when every worker has ended (the final outcome).
 */
#include "flow/batch_internal.h"
#include "flow/flow_internal.h"

#include "util/afile.h"
#include "util/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the worker ---------------------------------------------------------------------------------- */

static int g_report_fd = -1;

/* One JSON line to the batch; a batch that is gone is not the worker's problem (it dies with it). */
static void report(json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!t)
        return;
    size_t n = strlen(t);
    t[n] = '\n';   /* json_dumps leaves the NUL: replace it, write n+1 bytes */
    const char *p = t;
    size_t left = n + 1;
    while (left) {
        ssize_t w = write(g_report_fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    free(t);
}

static void worker_say(void *user, flow_level level, const char *message)
{
    (void)user;
    report(json_pack("{s:s, s:i, s:s}", "k", "n", "level", (int)level, "text", message));
}

static void worker_progress(void *user, const flow_progress *p)
{
    (void)user;
    report(json_pack("{s:s, s:I, s:I, s:I, s:f, s:s}", "k", "p", "rows", (json_int_t)p->rows, "bytes",
                     (json_int_t)p->bytes, "total", (json_int_t)p->bytes_total, "elapsed", p->elapsed, "phase",
                     p->phase ? p->phase : ""));
}

static void report_result(const batch_entry *x)
{
    report(json_pack("{s:s, s:s, s:b, s:b, s:b, s:s?, s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "k", "r", "status",
                     batch_status_name(x->status), "skipped", x->skipped, "cache_hit", x->cache_hit, "interrupted",
                     x->interrupted, "why", x->why, "review_id", (json_int_t)x->review_id, "run_id",
                     (json_int_t)x->run_id, "input_sha256", x->input_sha256, "plan_sha256", x->plan_sha256, "rows_in",
                     (json_int_t)x->rows_in, "rows_out", (json_int_t)x->rows_out, "rows_rejected",
                     (json_int_t)x->rows_rejected, "rows_filtered", (json_int_t)x->rows_filtered));
}

static void worker_main(batch_entry *x, const batch_options *o, int fd, pid_t parent, int threads)
{
    /* die with the batch; a batch already gone before this took effect means: stop now */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    signal(SIGPIPE, SIG_IGN);
    g_report_fd = fd;
    mf_err e = {0};
    flow_env env;
    if (flow_env_open(&env, o->store_opt, o->home_opt, &e) < 0) {
        char msg[1200];
        mf_err_format(&e, msg, sizeof msg);
        x->status = BATCH_FAILED;
        x->why = mf_xstrdup(msg);
        report_result(x);
        _exit(0);
    }
    env.actor = o->actor;
    env.sink = worker_say;
    env.llm = o->llm;
    flow_run_options ro = o->run;
    ro.progress = worker_progress;
    ro.threads = threads;
    batch_entry_work(&env, x, &ro, &e);
    report_result(x);
    flow_env_close(&env);
    /* exit, not _exit: stdio was flushed before the fork and no atexit handler of the batch's
     * exists, so this only lets the leak checker of a sanitizer build look at the worker too */
    exit(0);
}

/* ---- the batch's side ---------------------------------------------------------------------------- */

static int start(batch *b, int i, const batch_options *o, int threads, mf_err *e)
{
    batch_entry *x = &b->e[i];
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot make a pipe for a worker: %s", strerror(errno));
    fflush(NULL);   /* nothing buffered may be written twice */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot start a worker: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        worker_main(x, o, p[1], parent, threads);
    }
    close(p[1]);
    (void)fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    x->pid = pid;
    x->fd = p[0];
    x->status = BATCH_RUNNING;
    x->started = mono();
    x->phase[0] = '\0';
    memset(&x->live, 0, sizeof x->live);
    if (o->event)
        o->event(o->user, b, i, BATCH_EV_STARTED, FLOW_NOTE, NULL);
    return 0;
}

static const char *jstr(json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    return s ? s : "";
}

static void take_result(batch_entry *x, json_t *j)
{
    const char *st = jstr(j, "status");
    x->status = !strcmp(st, "done") ? BATCH_DONE : !strcmp(st, "waiting_for_review") ? BATCH_WAITING : BATCH_FAILED;
    x->skipped = json_is_true(json_object_get(j, "skipped"));
    x->cache_hit = json_is_true(json_object_get(j, "cache_hit"));
    x->interrupted = json_is_true(json_object_get(j, "interrupted"));
    free(x->why);
    x->why = *jstr(j, "why") ? mf_xstrdup(jstr(j, "why")) : NULL;
    x->review_id = json_integer_value(json_object_get(j, "review_id"));
    x->run_id = json_integer_value(json_object_get(j, "run_id"));
    snprintf(x->input_sha256, sizeof x->input_sha256, "%s", jstr(j, "input_sha256"));
    snprintf(x->plan_sha256, sizeof x->plan_sha256, "%s", jstr(j, "plan_sha256"));
    x->rows_in = json_integer_value(json_object_get(j, "rows_in"));
    x->rows_out = json_integer_value(json_object_get(j, "rows_out"));
    x->rows_rejected = json_integer_value(json_object_get(j, "rows_rejected"));
    x->rows_filtered = json_integer_value(json_object_get(j, "rows_filtered"));
    if (x->interrupted)   /* stopped: not done, not failed — the next batch does it */
        x->status = BATCH_QUEUED;
}

static void take_line(batch *b, int i, const batch_options *o, char *line, bool *got_result)
{
    batch_entry *x = &b->e[i];
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    if (!j)
        return;
    const char *k = jstr(j, "k");
    if (!strcmp(k, "p")) {
        x->live.rows = json_integer_value(json_object_get(j, "rows"));
        x->live.bytes = (unsigned long long)json_integer_value(json_object_get(j, "bytes"));
        x->live.bytes_total = (unsigned long long)json_integer_value(json_object_get(j, "total"));
        x->live.elapsed = json_real_value(json_object_get(j, "elapsed"));
        snprintf(x->phase, sizeof x->phase, "%s", jstr(j, "phase"));
        x->live.phase = x->phase;
        if (o->event)
            o->event(o->user, b, i, BATCH_EV_PROGRESS, FLOW_NOTE, NULL);
    } else if (!strcmp(k, "n")) {
        if (o->event)
            o->event(o->user, b, i, BATCH_EV_NOTE, (flow_level)json_integer_value(json_object_get(j, "level")),
                     jstr(j, "text"));
    } else if (!strcmp(k, "r")) {
        take_result(x, j);
        *got_result = true;
    }
    json_decref(j);
}

/* Read what worker i wrote; at the end of its pipe, reap it and finish the entry.  1 finished. */
static int drain(batch *b, int i, const batch_options *o)
{
    batch_entry *x = &b->e[i];
    bool eof = false, got = x->status != BATCH_RUNNING;
    char buf[65536];
    for (;;) {
        ssize_t r = read(x->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;   /* EAGAIN: nothing more now */
        if (r == 0) {
            eof = true;
            break;
        }
        x->inbuf = mf_xrealloc(x->inbuf, x->inlen + (size_t)r + 1);
        memcpy(x->inbuf + x->inlen, buf, (size_t)r);
        x->inlen += (size_t)r;
        size_t start = 0;
        for (size_t k = 0; k < x->inlen; k++)
            if (x->inbuf[k] == '\n') {
                x->inbuf[k] = '\0';
                take_line(b, i, o, x->inbuf + start, &got);
                start = k + 1;
            }
        memmove(x->inbuf, x->inbuf + start, x->inlen - start);
        x->inlen -= start;
    }
    if (!eof)
        return 0;
    close(x->fd);
    x->fd = -1;
    int status = 0;
    while (waitpid(x->pid, &status, 0) < 0 && errno == EINTR)
        ;
    x->pid = 0;
    x->seconds = mono() - x->started;
    if (!got) {
        x->status = BATCH_FAILED;
        char why[160];
        if (WIFSIGNALED(status))
            snprintf(why, sizeof why, "the worker died: signal %d (%s); nothing of this entry was published",
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
            snprintf(why, sizeof why, "the worker ended (exit %d) without a result; nothing of this entry was "
                                      "published", WEXITSTATUS(status));
        free(x->why);
        x->why = mf_xstrdup(why);
    }
    if (o->event)
        o->event(o->user, b, i, BATCH_EV_FINISHED, x->status == BATCH_FAILED ? FLOW_WARN : FLOW_NOTE, NULL);
    return 1;
}

static void now_iso(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void count(batch *b)
{
    b->ndone = b->nskipped = b->nwaiting = b->nfailed = b->nqueued = 0;
    for (int i = 0; i < b->n; i++) {
        const batch_entry *x = &b->e[i];
        b->ndone += x->status == BATCH_DONE;
        b->nskipped += x->status == BATCH_DONE && x->skipped;
        b->nwaiting += x->status == BATCH_WAITING;
        b->nfailed += x->status == BATCH_FAILED;
        b->nqueued += x->status == BATCH_QUEUED || x->status == BATCH_RUNNING;
    }
}

/* OUT/batch.json as the batch stands now, written atomically (a reader sees the old or the new text). */
static int write_summary(batch *b, double t0, mf_err *e)
{
    b->seconds = mono() - t0;
    count(b);
    char *t = batch_json(b);
    char *path = flow_join(b->out_dir, "batch.json");
    int rc;
    if (!t)
        rc = mf_fail(e, MF_EIO, path, 0, 0, "cannot write the batch summary");
    else
        rc = mf_write_file_atomic(path, t, strlen(t), e);
    free(path);
    free(t);
    return rc;
}

int batch_run(batch *b, const batch_options *o, mf_err *e)
{
    double t0 = mono();
    now_iso(b->started_at, sizeof b->started_at);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    int jobs = o->jobs > 0 ? o->jobs : (int)cores;
    if (jobs > b->n)
        jobs = b->n > 0 ? b->n : 1;
    /* the engine's threads shared out between the workers running at once */
    int threads = (int)(cores / jobs);
    if (threads < 1)
        threads = 1;
    /* the store is reachable (and created, migrated) before any worker needs it: a store that
     * cannot be opened is the batch's error, not fifty entries' */
    flow_env env;
    if (flow_env_open(&env, o->store_opt, o->home_opt, e) < 0) {
        flow_env_close(&env);
        return -1;
    }
    flow_env_close(&env);
    if (flow_make_dir(NULL, b->out_dir, e) < 0)
        return -1;
    /* the summary while running: the first write must work (it is the same folder and file as the
     * last); a later one that fails is left to the last write, which reports it */
    b->running = true;
    if (write_summary(b, t0, e) < 0) {
        b->running = false;
        return -1;
    }
    int next = 0, running = 0, rc = 0;
    bool stopping = false;
    struct pollfd *pfd = mf_xcalloc((size_t)jobs, sizeof *pfd);
    int *who = mf_xcalloc((size_t)jobs, sizeof *who);
    double last_tick = 0;
    while (next < b->n || running > 0) {
        if (mf_interrupted() && !stopping) {
            stopping = true;
            b->interrupted = true;
            for (int i = 0; i < b->n; i++)
                if (b->e[i].status == BATCH_RUNNING && b->e[i].pid > 0)
                    kill(b->e[i].pid, SIGTERM);
        }
        while (!stopping && rc == 0 && running < jobs && next < b->n) {
            batch_entry *x = &b->e[next];
            if (x->unusable) {   /* nothing to run: failed, saying why */
                x->status = BATCH_FAILED;
                x->why = mf_xstrdup(x->unusable);
                if (o->event)
                    o->event(o->user, b, next, BATCH_EV_FINISHED, FLOW_WARN, NULL);
                next++;
                continue;
            }
            if (start(b, next, o, threads, e) < 0) {
                rc = -1;
                break;
            }
            next++;
            running++;
        }
        if (rc < 0 || stopping)
            next = b->n;   /* no more starts */
        if (running == 0)
            break;
        int np = 0;
        for (int i = 0; i < b->n && np < jobs; i++)
            if (b->e[i].fd >= 0) {
                pfd[np].fd = b->e[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                who[np++] = i;
            }
        int r = poll(pfd, (nfds_t)np, 100);
        if (r < 0 && errno != EINTR) {
            rc = mf_fail(e, MF_EIO, NULL, 0, 0, "waiting for the workers: %s", strerror(errno));
            stopping = true;
            continue;
        }
        int ended = 0;
        for (int k = 0; r > 0 && k < np; k++)
            if (pfd[k].revents)
                ended += drain(b, who[k], o);
        running -= ended;
        mf_err se = {0};
        if (ended > 0)   /* a failure here is said by the last write, which fails too */
            (void)write_summary(b, t0, &se);
        double now = mono();
        if (o->tick && now - last_tick >= 0.1) {
            last_tick = now;
            b->seconds = now - t0;
            o->tick(o->user, b);
        }
    }
    free(pfd);
    free(who);
    if (o->tick) {   /* the last state, for a display that shows it before the summary */
        b->seconds = mono() - t0;
        o->tick(o->user, b);
    }
    for (int i = 0; i < b->n; i++)   /* never started: queued (and said so when the batch stopped) */
        if (b->e[i].status == BATCH_QUEUED && b->interrupted)
            b->e[i].interrupted = true;
    if (mf_interrupted())
        b->interrupted = true;
    b->running = false;
    mf_err we = {0};
    if (write_summary(b, t0, &we) < 0 && rc == 0) {
        *e = we;
        rc = -1;
    }
    return rc;
}
