/* batch.h — batch runs of many clients through the workflow (`mapforge batch`).
 *
 * A batch is a list of entries (client, mapping, data file, output directory), read from a
 * manifest CSV (batch_read_manifest) or from a folder holding one folder per client
 * (batch_read_dir).  batch_run runs every entry through the workflow with a bounded pool of
 * worker processes, one fork()ed process per entry:
 *
 *   cache hit  → the approved plan runs, is checked and loaded (flow_run_text), unless the entry
 *                is already done: its output directory holds the run.json of this plan on this
 *                input (same plan SHA-256, same input SHA-256) and the store holds that run as
 *                loaded (checked under no_load) — then nothing runs (entry "done", skipped);
 *   cache miss → the plan is drafted and left in the review queue as a stored review (or the open
 *                review of that client and mapping is found again, untouched): the entry is
 *                "waiting for review".  Nothing is ever approved here; once a person approves the
 *                review, the same batch again finds a cache hit and runs it.
 *
 * Invariants:
 *   - workflow logic lives in flow/ (this file's implementation calls flow.h like any front end);
 *     the front end only renders the events and the summary;
 *   - a worker is a process: a crash or a kill of one entry fails that entry only; each worker
 *     opens its own store connection (SQLite: WAL + busy timeout, BEGIN IMMEDIATE; PostgreSQL:
 *     table locks), so concurrent writers wait instead of failing;
 *   - workers die with the batch (PR_SET_PDEATHSIG): a kill -9 of the batch leaves no worker
 *     writing behind the next batch's back; their temporaries are swept by the next run;
 *   - an entry's outputs are published as one set by write/run.c (run.json last): an output
 *     directory holds a complete set or none;
 *   - OUT/batch.json is written atomically at the end (also after an interrupt).
 */
#ifndef MF_FLOW_BATCH_H
#define MF_FLOW_BATCH_H

#include "flow/flow.h"

#include <stdbool.h>
#include <sys/types.h>

typedef enum batch_status {
    BATCH_QUEUED = 0,    /* not started (still queued, or not run because the batch was interrupted) */
    BATCH_RUNNING,
    BATCH_DONE,          /* ran, checked and loaded (checked only under no_load), or already done */
    BATCH_WAITING,       /* no approved plan fits: a review waits in the queue */
    BATCH_FAILED         /* the run, the checks, the validator or the load failed; or the entry is unusable */
} batch_status;
const char *batch_status_name(batch_status s);   /* "queued", "running", "done", "waiting_for_review", "failed" */

typedef struct batch_entry {
    /* what to do */
    char *client, *mapping, *data, *out;
    char *validator;             /* NULL: the batch's validator (options) */
    char *where;                 /* "manifest.csv:7" or the client's folder: where the entry was read */
    char *unusable;              /* NULL, or why the entry cannot run (no mapping in its folder...) */
    unsigned long long bytes;    /* the data file's size (0 unknown) */
    /* what came of it */
    batch_status status;
    bool skipped;                /* done by an earlier batch: nothing ran now */
    bool cache_hit;
    bool interrupted;            /* stopped by Ctrl-C / SIGTERM: not done */
    char *why;                   /* failed: why; waiting: which review and what it needs */
    long long review_id, run_id;
    char input_sha256[65], plan_sha256[65];
    long long rows_in, rows_out, rows_rejected, rows_filtered;
    double seconds;              /* the entry's wall time in this batch */
    /* live, while running */
    pid_t pid;
    int fd;                      /* the worker's report pipe, -1 none */
    char *inbuf;                 /* a partial line from the worker */
    size_t inlen;
    double started;              /* monotonic seconds */
    flow_progress live;          /* the last progress report (phase "" before the first) */
    char phase[16];
} batch_entry;

typedef struct batch {
    batch_entry *e;
    int n;
    char *source;                /* the manifest or the folder, as given */
    char *out_dir;               /* where batch.json goes */
    /* after batch_run */
    int ndone, nskipped, nwaiting, nfailed, nqueued;
    bool interrupted;
    bool running;                /* batch_run has not ended: batch.json says "running" */
    double seconds;
    char started_at[32];
} batch;
void batch_free(batch *b);

/* A manifest: CSV with a header row naming the columns client, mapping, data, out (any order,
 * case-insensitive) and optionally validator; one entry per row.  Relative paths are relative
 * to the manifest's folder.  out_dir: where batch.json goes (NULL: the manifest's folder).  A bad
 * row (a missing value, too few fields, a duplicate output directory) fails with file:line. */
int batch_read_manifest(const char *path, const char *out_dir, batch *b, mf_err *e);

/* A folder with one folder per client (hidden folders skipped).  In a client's folder:
 *   the client's name: the first line of client.txt, else the folder's name;
 *   the mapping: mapping.xlsx / mapping.xlsm / mapping.csv, else the one .xlsx/.xlsm file, else the
 *     one file whose name contains "mapping";
 *   the data: every other file ending .csv .txt .tsv .psv .dat (other files and folders ignored).
 * Outputs go to OUT/<folder>/ for a client with one data file, OUT/<folder>/<data file name
 * without extension>/ for each of several.  A folder without a mapping or data is an unusable
 * entry (failed, saying why), not an error of the batch. */
int batch_read_dir(const char *dir, const char *out_dir, batch *b, mf_err *e);

typedef enum batch_event {
    BATCH_EV_STARTED = 1,
    BATCH_EV_PROGRESS,           /* a worker's progress report (entry->live) */
    BATCH_EV_NOTE,               /* a workflow message (text) */
    BATCH_EV_FINISHED            /* entry->status: done, waiting, failed (or queued when interrupted) */
} batch_event;

typedef struct batch_options {
    int jobs;                    /* workers at once; <= 0: the number of online cores */
    const char *store_opt, *home_opt;   /* as for flow_env_open */
    const char *actor;
    const struct llm_config *llm;
    flow_run_options run;        /* engine, validator, db, no_load, no_parquet (data, out: per entry) */
    /* Events, called on the batch's thread (text: the message for BATCH_EV_NOTE, else NULL). */
    void (*event)(void *user, const batch *b, int i, batch_event ev, flow_level level, const char *text);
    /* Called about ten times a second while entries run, and once when the last one ended (a live
     * display redraws here). */
    void (*tick)(void *user, const batch *b);
    void *user;
} batch_options;

/* Run every entry (SIGINT / SIGTERM: the running entries are stopped — nothing of theirs is
 * published — and no other starts), then write OUT/batch.json.  batch.json is also written (atomically)
 * when the batch starts and each time an entry ends, with the outcome "running": a batch killed with
 * kill -9 leaves one that says what had ended and that the batch never finished.  0, or -1 when the batch itself
 * could not run (the entries' failures are in b, not errors).  MF_EINTR is not an error here:
 * b->interrupted says it. */
int batch_run(batch *b, const batch_options *o, mf_err *e);

/* The batch's outcome: "done" (every entry done), "failed" (some entry failed), "waiting_for_review"
 * (none failed, some wait for a review), "interrupted" (stopped before every entry ran), and
 * "running" while batch_run has not ended. */
const char *batch_outcome(const batch *b);

/* OUT/batch.json's text (malloc'd): the batch, its totals and one object per entry. */
char *batch_json(const batch *b);

#endif
