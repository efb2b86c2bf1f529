/* run.h — running a checked plan on a data file with the native engine, writing the outputs.
 *
 * Writes, each atomically (temporary + rename, so a killed run leaves no half file):
 *   OUT/<plan output>.csv   UTF-8, comma, header of target columns, RFC 4180 quoting, "\n",
 *                           dates YYYY-MM-DD, decimal(p,s) with exactly s decimals, null = empty
 *   OUT/rejects.csv         line,column,reason,record
 *   OUT/run.json            rows_in, rows_out, rows_rejected, rows_filtered, cache_hit,
 *                           cache_key, plan_sha256, input, timings
 * Invariant checked before run.json is written: rows_in = rows_out + rows_rejected + rows_filtered.
 */
#ifndef MF_RUN_H
#define MF_RUN_H

#include "plan/plan.h"
#include "util/err.h"

typedef struct run_options {
    const char *plan_sha256;     /* SHA-256 of the plan text that runs (hex) */
    const char *cache_key;       /* NULL until the cache exists */
    int cache_hit;
    int threads;                 /* 0 = number of cores */
    int skip_input_sha256;       /* 1 = do not hash the input (run.json input.sha256 = null) */
    const char *spark_master;    /* engine/spark: master URL (spark://host:7077); NULL = local[*] */
    int no_parquet;              /* engine/spark: 1 = the job writes no Parquet copy (the native run's
                                    Parquet copy is written by its caller) */
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
