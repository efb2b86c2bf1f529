/* cmd_batch.c — `mapforge batch MANIFEST.csv|DIR [--out OUT] [--jobs N] [--progress MODE]`: the
 * command line over the batch stage (flow/batch.h).  It reads the entries, hands them to
 * batch_run and renders what comes back: the progress display (cli/progress.h), one line per
 * finished entry, and the summary.  The workflow — cache, draft, review queue, run, check, load,
 * what counts as done — is flow/'s.
 *
 * Exit codes: 0 every entry done; 4 none failed but some wait for a review (no approved plan fits:
 * the same code as `run --client` on a miss); 5 some entry failed (the others ran); 130
 * interrupted; 1 the batch itself could not run (a bad manifest row, no store).
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "flow/batch.h"
#include "llm/llm.h"
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define EXIT_SOME_WAITING 4
#define EXIT_SOME_FAILED 5
#define EXIT_INTERRUPTED 130

typedef struct view {
    cli_progress pr;
    char **label;                /* per entry: the client, or client:data file when a client has several */
    unsigned long long bytes_all;
} view;

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void make_labels(view *v, const batch *b)
{
    v->label = calloc((size_t)b->n, sizeof *v->label);
    for (int i = 0; v->label && i < b->n; i++) {
        int same = 0;
        for (int k = 0; k < b->n; k++)
            same += !strcmp(b->e[k].client, b->e[i].client);
        size_t n = strlen(b->e[i].client) + strlen(b->e[i].data) + 2;
        v->label[i] = malloc(n);
        if (v->label[i])
            snprintf(v->label[i], n, same > 1 ? "%s:%s" : "%s", b->e[i].client, base_name(b->e[i].data));
        v->bytes_all += b->e[i].bytes;
    }
}

static const char *label(const view *v, const batch *b, int i)
{
    return v->label && v->label[i] ? v->label[i] : b->e[i].client;
}

/* The line an event leaves (plain: every event; live: the finished ones). */
static void event_line(view *v, const batch *b, int i, batch_event ev)
{
    const batch_entry *x = &b->e[i];
    char line[2048], a[32], c[32], d[32], f[32];
    if (ev == BATCH_EV_STARTED) {
        if (v->pr.mode != CLI_PROGRESS_PLAIN)
            return;
        snprintf(line, sizeof line, "started %s (%s)", label(v, b, i), x->where);
    } else if (x->status == BATCH_DONE && x->skipped) {
        snprintf(line, sizeof line, "done %s: %s", label(v, b, i), x->why ? x->why : "already done");
    } else if (x->status == BATCH_DONE) {
        snprintf(line, sizeof line, "done %s: %s rows in, %s out, %s rejected, %s filtered (%.2f s) -> %s",
                 label(v, b, i), cli_progress_count(x->rows_in, a, sizeof a), cli_progress_count(x->rows_out, c, sizeof c),
                 cli_progress_count(x->rows_rejected, d, sizeof d), cli_progress_count(x->rows_filtered, f, sizeof f),
                 x->seconds, x->out);
    } else if (x->status == BATCH_WAITING) {
        snprintf(line, sizeof line, "waiting %s: %s", label(v, b, i), x->why ? x->why : "for review");
    } else if (x->status == BATCH_FAILED) {
        snprintf(line, sizeof line, "failed %s: %s", label(v, b, i), x->why ? x->why : "(no reason given)");
    } else {
        snprintf(line, sizeof line, "interrupted %s: stopped before it finished; nothing of it was published (the "
                                    "next batch runs it)", label(v, b, i));
    }
    cli_progress_print(&v->pr, line);
}

/* The live block: the overall line, then one line per running entry. */
static void draw(view *v, const batch *b, bool force)
{
    if (v->pr.mode != CLI_PROGRESS_LIVE)
        return;
    int fin = 0, done = 0, waiting = 0, failed = 0, running = 0;
    long long rows = 0;
    unsigned long long bytes = 0, left = 0;
    for (int i = 0; i < b->n; i++) {
        const batch_entry *x = &b->e[i];
        done += x->status == BATCH_DONE;
        waiting += x->status == BATCH_WAITING;
        failed += x->status == BATCH_FAILED;
        running += x->status == BATCH_RUNNING;
        if (x->status == BATCH_RUNNING) {
            rows += x->live.rows;
            bytes += x->live.bytes;
            left += x->bytes > x->live.bytes ? x->bytes - x->live.bytes : 0;
        } else if (x->status == BATCH_QUEUED) {
            left += x->bytes;
        } else if (x->status == BATCH_DONE && !x->skipped) {
            rows += x->rows_in;
            bytes += x->bytes;
        }
    }
    fin = done + waiting + failed;
    char **lines = calloc((size_t)running + 1, sizeof *lines);
    if (!lines)
        return;
    char head[512], r[32], eta[16], el[16];
    double secs = b->seconds > 0.001 ? b->seconds : 0.001;
    double rate = (double)bytes / secs;
    snprintf(head, sizeof head, "batch %d/%d  ETA %s  (%s elapsed)  %d done, %d waiting, %d failed, %d running  "
                                "%s rows  %.1f MB/s",
             fin, b->n, cli_progress_clock(rate > 0 ? (double)left / rate : -1, eta, sizeof eta),
             cli_progress_clock(b->seconds, el, sizeof el), done, waiting, failed, running,
             cli_progress_count(rows, r, sizeof r), rate / 1e6);
    lines[0] = head;
    int k = 1;
    double now;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    for (int i = 0; i < b->n && k <= running; i++) {
        const batch_entry *x = &b->e[i];
        if (x->status != BATCH_RUNNING)
            continue;
        lines[k] = malloc(512);
        if (!lines[k])
            break;
        cli_progress_entry_line(lines[k], 512, label(v, b, i), &x->live, now - x->started);
        k++;
    }
    cli_progress_draw(&v->pr, (const char *const *)lines, k, force);
    for (int i = 1; i < k; i++)
        free(lines[i]);
    free(lines);
}

static void on_event(void *user, const batch *b, int i, batch_event ev, flow_level level, const char *text)
{
    (void)level;
    (void)text;   /* the workflow's messages: the entry's result line says what came of them */
    view *v = user;
    if (ev == BATCH_EV_STARTED || ev == BATCH_EV_FINISHED)
        event_line(v, b, i, ev);   /* the live block comes back at the next tick: redraws stay bounded */
}

static void on_tick(void *user, const batch *b)
{
    draw(user, b, false);
}

/* Outside text (a client's name, a reason quoting a data value) with its control characters shown
 * as '?': nothing from a manifest or a file drives the terminal. */
static void put_clean(const char *s)
{
    for (; s && *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void summary(const batch *b, const char *json_path)
{
    long long rin = 0, rout = 0, rrej = 0, rfil = 0;
    unsigned long long bytes = 0;
    for (int i = 0; i < b->n; i++)
        if (b->e[i].status == BATCH_DONE) {
            rin += b->e[i].rows_in;
            rout += b->e[i].rows_out;
            rrej += b->e[i].rows_rejected;
            rfil += b->e[i].rows_filtered;
            if (!b->e[i].skipped)
                bytes += b->e[i].bytes;
        }
    char a[32], c[32], d[32], f[32];
    printf("batch: %d entr%s in %.1f s: %d done (%d already done before), %d waiting for review, %d failed",
           b->n, b->n == 1 ? "y" : "ies", b->seconds, b->ndone, b->nskipped, b->nwaiting, b->nfailed);
    if (b->nqueued)
        printf(", %d not run (interrupted)", b->nqueued);
    printf("\n  rows of the done entries: %s in, %s out, %s rejected, %s filtered; %.2f MB read now\n",
           cli_progress_count(rin, a, sizeof a), cli_progress_count(rout, c, sizeof c),
           cli_progress_count(rrej, d, sizeof d), cli_progress_count(rfil, f, sizeof f), (double)bytes / 1e6);
    if (b->nwaiting)
        printf("  waiting for review: see `mapforge reviews` or the web app; once approved, the same batch runs "
               "them\n");
    for (int i = 0; i < b->n; i++)
        if (b->e[i].status == BATCH_FAILED) {
            printf("  failed: ");
            put_clean(b->e[i].client);
            printf(" (");
            put_clean(b->e[i].where);
            printf("): ");
            put_clean(b->e[i].why);
            putchar('\n');
        }
    printf("  summary: %s\n", json_path);
    fflush(stdout);
}

int cli_batch(const cli_options *o, mf_err *e)
{
    if (o->nargs != 1)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "mapforge batch needs one manifest (.csv) or one folder of client folders (mapforge batch "
                       "--help)"), CLI_FAILED;
    const char *src = o->args[0];
    int jobs = 0;
    if (o->jobs) {
        char *end;
        errno = 0;
        long j = strtol(o->jobs, &end, 10);
        if (errno || *end || j < 1 || j > 1024)
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--jobs %s: expected a number from 1 to 1024", o->jobs),
                   CLI_FAILED;
        jobs = (int)j;
    }
    view v;
    memset(&v, 0, sizeof v);
    cli_progress_mode mode;
    if (cli_progress_mode_of(o->progress, stdout, CLI_PROGRESS_PLAIN, &mode, e) < 0)
        return CLI_FAILED;
    cli_progress_init(&v.pr, stdout, mode);
    struct stat st;
    if (stat(src, &st) < 0)
        return mf_fail(e, MF_EIO, src, 0, 0, "cannot read it: %s", strerror(errno)), CLI_FAILED;
    batch b;
    if ((S_ISDIR(st.st_mode) ? batch_read_dir(src, o->out, &b, e) : batch_read_manifest(src, o->out, &b, e)) < 0)
        return CLI_FAILED;
    make_labels(&v, &b);
    static char actor[128];
    store_actor(o->as, actor, sizeof actor);
    static llm_config cfg;
    mf_err le = {0};
    const llm_config *llm = NULL;
    if (llm_config_load(o->config, o->home, &cfg, &le) < 0) {
        char msg[1200];
        mf_err_format(&le, msg, sizeof msg);
        fprintf(stderr, "mapforge: the language model is not used: %s\n", msg);
    } else if (cfg.provider != LLM_NONE) {
        llm = &cfg;
    }
    batch_options bo = {0};
    bo.jobs = jobs;
    bo.store_opt = o->store;
    bo.home_opt = o->home;
    bo.actor = actor;
    bo.llm = llm;
    bo.run.engine = o->engine;
    bo.run.spark_master = o->spark_master;
    bo.run.validator = o->validator;
    bo.run.db = o->db;
    bo.run.no_load = o->no_load != 0;
    bo.run.no_parquet = o->no_parquet != 0;
    bo.event = on_event;
    bo.tick = on_tick;
    bo.user = &v;
    int rc = batch_run(&b, &bo, e);
    cli_progress_clear(&v.pr);
    if (rc == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/batch.json", b.out_dir);
        summary(&b, path);
        const char *outcome = batch_outcome(&b);
        rc = !strcmp(outcome, "done") ? 0
             : !strcmp(outcome, "interrupted") ? EXIT_INTERRUPTED
             : !strcmp(outcome, "failed") ? EXIT_SOME_FAILED
                                          : EXIT_SOME_WAITING;
    } else {
        rc = CLI_FAILED;
    }
    for (int i = 0; v.label && i < b.n; i++)
        free(v.label[i]);
    free(v.label);
    batch_free(&b);
    return rc;
}
