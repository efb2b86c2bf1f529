/* pyspark.h — the PySpark back end: a checked plan → a standalone PySpark script.
 *
 * The script (spark-submit job.py INPUT OUTPUT_DIR) computes exactly what the native engine
 * computes — output rows, rejects with their reasons and line numbers, row counts — using only
 * pyspark.sql.functions (no Python UDFs).  It exposes run_job(spark, input, output_dir, PLAN) so
 * a driver can run many jobs in one SparkSession.  Invariants: the same plan and SHA-256 give a
 * byte-identical script; every string taken from the plan is emitted as an escaped Python
 * literal (printable ASCII only) or in an escaped one-line comment, so plan text never becomes
 * code.
 */
#ifndef MF_PYSPARK_H
#define MF_PYSPARK_H

#include "plan/plan.h"
#include "util/buf.h"
#include "util/err.h"

/* Append the job for p (checked, without holes) to out.  plan_sha256: hex SHA-256 of the plan
 * text (may be NULL).  Returns 0, or -1 with e filled (MF_EQUESTION on a hole). */
int pyspark_compile(const plan *p, const char *plan_sha256, mf_buf *out, mf_err *e);

#endif
