/* run.h — running a checked plan on a data file with the native engine, writing the outputs.
 *
 * Writes, each atomically (temporary + rename, so a killed run leaves no half file):
 *   OUT/<plan output>.csv   UTF-8, comma, header of target columns, RFC 4180 quoting, "\n",
 *                           dates YYYY-MM-DD, decimal(p,s) with exactly s decimals, null = empty
 *   OUT/rejects.csv         line,column,reason,record
 *   OUT/run.json            rows_in, rows_out, rows_rejected, rows_filtered, cache_hit,
 *                           cache_key, plan_sha256, input, timings
 *   OUT/<plan output>.parquet  when opt->parquet;  the companions (OUT/job.py, OUT/mapforge_runtime.py)
 * Invariant checked before run.json is written: rows_in = rows_out + rows_rejected + rows_filtered.
 * The files are published as one set (run.c publish_set): all complete under temporary names first,
 * then the older set's run.json and members removed, then the new ones renamed with run.json last —
 * run.json present means one complete, consistent set.  SIGINT/SIGTERM (util/interrupt.h) stop the
 * run between blocks with MF_EINTR and nothing published.
 */
#ifndef MF_RUN_H
#define MF_RUN_H

#include "plan/plan.h"
#include "read/csv.h"
#include "util/err.h"

/* A file published with the run's outputs (OUT/job.py, OUT/mapforge_runtime.py beside a native run). */
typedef struct run_companion {
    const char *name;            /* a plain file name inside the output directory */
    const char *text;
    size_t len;
} run_companion;

/* Sees the input as the run reads it, and the output as it writes it, so that the checks need not
 * read either file a second time (check/: the control totals' input side, the output scan): the
 * input's header once, then every
 * block in input order, on the reader's thread, before any worker sees the block (the block is
 * read-only to it and valid only during the call).  An observer keeps its own errors. */
typedef struct run_observer {
    void (*header)(void *user, const char *const *names, int n);
    void (*block)(void *user, const csv_block *b);
    /* NULL or: every byte of OUT/<output>.csv as it is written, in order, on the writer's thread */
    void (*output)(void *user, const void *p, size_t n);
    void *user;
} run_observer;

typedef struct run_options {
    const char *plan_sha256;     /* SHA-256 of the plan text that runs (hex) */
    const char *cache_key;       /* NULL until the cache exists */
    int cache_hit;
    int threads;                 /* 0 = number of cores */
    int skip_input_sha256;       /* 1 = do not hash the input (run.json input.sha256 = null) */
    const char *spark_master;    /* engine/spark: master URL (spark://host:7077); NULL = local[*] */
    int parquet;                 /* 1 = OUT/<output>.parquet too (write/parquet.h), in the same set */
    const char *approved_by;     /* the approval of the plan that runs (run.json "approval"); NULL = */
    const char *approved_at;     /*   not approved: a plan file run as it is (run --plan) */
    const char *approval_comment;
    const run_companion *companions;   /* more files published with the set */
    int ncompanions;
    /* Progress, called on the caller's thread (native engine: at most every 0.2 s while blocks are
     * written, and once at the end): records and bytes of input written so far, seconds since the
     * start, the file's size.  NULL = none. */
    void (*progress)(void *user, long long rows, unsigned long long bytes, unsigned long long bytes_total,
                     double elapsed);
    void *progress_user;
    const run_observer *observer;   /* native engine: sees the input's header and blocks; NULL = none */
    int no_parquet;              /* engine/spark: 1 = the job writes no Parquet copy (the native
                                    engine's copy is asked for with parquet) */
    const char *livy_url;        /* engine/spark: submit through this Livy endpoint (write/livy.h)
                                    instead of spark-submit; NULL = spark-submit */
    const char *spark_stage;     /* with livy_url: a directory mapforge writes and the cluster reads
                                    (a local path or file: URI: a shared disk or a mount of the lake) */
    const char *spark_stage_uri; /* the cluster's name for spark_stage (abfss://..., dbfs:/...);
                                    NULL = file:<spark_stage> */
    const char *spark_output;    /* engine/spark: the job writes its outputs to this URI (Spark's
                                    layout, nothing copied back); NULL = into the output directory */
} run_options;

typedef struct run_report {
    long long rows_in, rows_out, rows_rejected, rows_filtered;
    unsigned long long bytes_in;
    double seconds_total, seconds_compile, seconds_run;
    char input_sha256[65];       /* "" when not computed */
} run_report;

/* Run p (already checked against the data header) on data_path into out_dir (created if absent).
 * The dialect comes from p->source.  Returns 0, or -1 with e filled and no output files left. */
/* Test hook, 0 in production: rows the writer pretends to lose, so that the accounting check above
 * (rows_in = out + rejected + filtered, else an internal error and nothing published) is itself tested. */
extern long long run_test_lost_rows;

int run_plan(const plan *p, const char *data_path, const char *out_dir, const run_options *opt,
             run_report *rep, mf_err *e);

/* run.json's text (jansson, indented, keys in the documented order); malloc'd.  Both engines
 * write their report through this. */
char *run_report_json(const run_options *opt, const char *data_path, const char *csv_path, const char *rej_path,
                      const run_report *rep);

#endif
