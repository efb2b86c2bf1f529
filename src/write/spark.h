/* spark.h — running a plan on Spark: the PySpark job (compile/pyspark.h) through spark-submit.
 *
 * Same contract and same output files as run_plan (write/run.h): OUT/<output>.csv,
 * OUT/rejects.csv and OUT/run.json, identical in content to the native engine's except timings;
 * plus OUT/job.py and OUT/mapforge_runtime.py (the job that ran) and OUT/spark.log (Spark's own
 * output at WARN, kept off the terminal).  The job writes into a staging directory inside OUT; the files are renamed into
 * place only when it succeeded, so a failed run leaves no output file.  spark-submit is taken
 * from $MAPFORGE_SPARK_SUBMIT, else ./.venv/bin/spark-submit, else the PATH.
 *
 * Storage by URI (file:, hdfs:, abfss:, s3a:, ...): mapforge itself never reads or writes a URI —
 * Spark does, through Hadoop's FileSystem.  An input URI is passed to the job as it is (not hashed:
 * run.json's input.sha256 is null).  With opt->spark_output the job writes <output>.csv/,
 * rejects.csv/ (part files, _header.csv, _SUCCESS) and <output>.parquet/ there, and nothing is
 * copied back: OUT receives only job.py, mapforge_runtime.py, spark.log and run.json (its counts
 * taken from the job's last line in the log, its output paths the URIs).
 */
#ifndef MF_SPARK_H
#define MF_SPARK_H

#include "plan/plan.h"

#include <stdbool.h>
#include "util/err.h"
#include "write/run.h"

/* plan_text: the plan's text (hashed when opt->plan_sha256 is NULL).  opt->spark_master: NULL =
 * local mode.  Returns 0, or -1 with e holding one line: Spark's own error, not its log. */
/* A path Spark reads through Hadoop, not a local file: a scheme (file:, hdfs://, abfss://, s3a://...). */
bool spark_is_uri(const char *path);

int spark_run_plan(const plan *p, const char *plan_text, const char *data_path, const char *out_dir,
                   const run_options *opt, run_report *rep, mf_err *e);

#endif
