/* cmd_compile.c — `mapforge compile --plan P --to pyspark`: print the PySpark job of a plan.
 *
 * With --out O alone, O receives job.py and mapforge_runtime.py (the module the job imports;
 * spark-submit --py-files O/mapforge_runtime.py O/job.py INPUT OUTDIR).
 * With --data D --out O, the job is also run on Spark (spark_run_plan, local mode or
 * --spark-master URL) and O receives the same files `run` writes, plus job.py and spark.log:
 * the entry point the Spark tests use, and what `run --engine spark` calls.
 */
#include "cli/cli.h"
#include "compile/pyspark.h"
#include "write/spark.h"
#include "plan/plan.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int compile_to_stdout(const plan *p, const char *sha, mf_err *e)
{
    mf_buf job = {0};
    if (pyspark_compile(p, sha, &job, e) < 0) {
        mf_buf_free(&job);
        return CLI_FAILED;
    }
    int ok = fwrite(job.data, 1, job.len, stdout) == job.len && fflush(stdout) == 0;
    mf_buf_free(&job);
    return ok ? 0 : mf_fail(e, MF_EIO, "(stdout)", 0, 0, "cannot write the job");
}

static int write_job_files(const plan *p, const char *sha, const char *dir, mf_err *e)
{
    char *path = mf_xstrdup(dir);   /* the directory and its parents */
    for (char *s = path + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            mf_fail(e, MF_EIO, path, 0, 0, "cannot create the directory: %s", strerror(errno));
            free(path);
            return CLI_FAILED;
        }
        *s = c;
        if (!c)
            break;
    }
    free(path);
    if (pyspark_write(p, sha, dir, e) < 0)
        return CLI_FAILED;
    fprintf(stderr, "mapforge: wrote %s/job.py and %s/mapforge_runtime.py\n", dir, dir);
    return 0;
}

static int run_on_spark(const plan *p, const char *text, const char *sha, const cli_options *o, mf_err *e)
{
    run_options opt = {0};
    opt.plan_sha256 = sha;
    opt.spark_master = o->spark_master;
    opt.livy_url = o->livy;
    opt.spark_stage = o->spark_stage;
    opt.spark_stage_uri = o->spark_stage_uri;
    opt.spark_output = o->spark_output;
    opt.no_parquet = o->no_parquet;
    run_report rep;
    if (spark_run_plan(p, text, o->data, o->out, &opt, &rep, e) < 0)
        return CLI_FAILED;
    fprintf(stderr,
            "mapforge: ran plan %.12s on Spark: %lld rows in, %lld out, %lld rejected, %lld filtered (%.2f s) "
            "-> %s/%s.csv\n",
            sha, rep.rows_in, rep.rows_out, rep.rows_rejected, rep.rows_filtered, rep.seconds_total,
            o->spark_output ? o->spark_output : o->out, p->output && *p->output ? p->output : "output");
    return 0;
}

int cli_compile(const cli_options *o, mf_err *e)
{
    if (!o->plan)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge compile needs --plan (see mapforge help)");
    if (o->to && strcmp(o->to, "pyspark"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge compile --to: expected pyspark, got \"%s\"", o->to);
    if (o->data && !o->out)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge compile: --data needs --out (run on Spark)");
    cli_plan_file pf;
    int rc = CLI_FAILED;
    if (cli_plan_file_read(o->plan, &pf, e) < 0 || plan_check(&pf.p, NULL, 0, o->plan, e) < 0)
        goto done;
    if (plan_has_open_questions(&pf.p)) {
        mf_fail(e, MF_EQUESTION, o->plan, 0, 0, "the plan has open questions: answer them before compiling it");
        goto done;
    }
    if (o->data)
        rc = run_on_spark(&pf.p, pf.text, pf.sha256, o, e);
    else if (o->out)
        rc = write_job_files(&pf.p, pf.sha256, o->out, e);
    else
        rc = compile_to_stdout(&pf.p, pf.sha256, e);
done:
    cli_plan_file_free(&pf);
    return rc;
}
