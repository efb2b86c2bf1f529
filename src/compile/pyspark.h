/* pyspark.h — the PySpark back end: a checked plan → job.py, run with the mapforge_runtime.py
 * module beside it.
 *
 * The job (spark-submit --py-files mapforge_runtime.py job.py INPUT OUTPUT_DIR) computes exactly
 * what the native engine computes — output rows, rejects with their reasons and line numbers, row
 * counts — using only pyspark.sql.functions on the row path (no Python UDFs).  job.py holds the
 * plan; the runtime (the same for every plan) holds the semantics and exposes run_job(spark,
 * input, output_dir, PLAN) so a driver can run many jobs in one SparkSession.  Invariants: the
 * same plan and SHA-256 give a byte-identical job, and every plan the same runtime; every string
 * taken from the plan is emitted as an escaped Python literal (printable ASCII only) or in an
 * escaped one-line comment, so plan text never becomes code.
 */
#ifndef MF_PYSPARK_H
#define MF_PYSPARK_H

#include "plan/plan.h"
#include "util/buf.h"
#include "util/err.h"

/* Append the job for p (checked, without holes) to out.  plan_sha256: hex SHA-256 of the plan
 * text (may be NULL).  Returns 0, or -1 with e filled (MF_EQUESTION on a hole). */
int pyspark_compile(const plan *p, const char *plan_sha256, mf_buf *out, mf_err *e);

/* Append mapforge_runtime.py (the module every job imports) to out.  Returns 0. */
int pyspark_runtime(mf_buf *out);

/* Write DIR/job.py and DIR/mapforge_runtime.py (each atomically; DIR exists).  Returns 0, or -1
 * with e filled. */
int pyspark_write(const plan *p, const char *plan_sha256, const char *dir, mf_err *e);

#endif
