/* spark.h — running a plan on Spark: the PySpark job (compile/pyspark.h) through spark-submit.
 *
 * Same contract and same output files as run_plan (write/run.h): OUT/<output>.csv,
 * OUT/rejects.csv and OUT/run.json, identical in content to the native engine's except timings;
 * plus OUT/job.py and OUT/mapforge_runtime.py (the job that ran) and OUT/spark.log (Spark's own
 * output at WARN, kept off the terminal).  The job writes into a staging directory inside OUT; the files are renamed into
 * place only when it succeeded, so a failed run leaves no output file.  spark-submit is taken
 * from $MAPFORGE_SPARK_SUBMIT, else ./.venv/bin/spark-submit, else the PATH.
 */
#ifndef MF_SPARK_H
#define MF_SPARK_H

#include "plan/plan.h"
#include "util/err.h"
#include "write/run.h"

/* plan_text: the plan's text (hashed when opt->plan_sha256 is NULL).  opt->spark_master: NULL =
 * local mode.  Returns 0, or -1 with e holding one line: Spark's own error, not its log. */
int spark_run_plan(const plan *p, const char *plan_text, const char *data_path, const char *out_dir,
                   const run_options *opt, run_report *rep, mf_err *e);

#endif
