/* spark.c — spark_run_plan: compile the plan to PySpark, run it with spark-submit, move its
 * outputs into place (see spark.h).
 *
 * OUT/job.py and OUT/mapforge_runtime.py are written first; spark-submit gets the runtime with
 * --py-files and a log4j2 configuration at WARN (MAPFORGE_SPARK_LOG_LEVEL).  The job writes
 * OUT/.spark-XXXXXX/{<output>.csv, <output>.parquet unless --no-parquet, rejects.csv, run.json}
 * (a local target: the job concatenates its part files into these); from its counts this file
 * writes run.json exactly as run_plan does (same keys, same order, same formatting), then renames
 * the files into OUT.  The input may be a URI (hdfs:, abfss:, s3a:, file:): it is passed as it is
 * and not hashed (input.sha256 null, input.bytes as the job saw it).  Spark's stdout and stderr go to OUT/spark.log; on failure
 * the error is the job's own "mapforge job: error:" line, else the last line of the log that
 * looks like an error (a Python or JVM exception).
 */
#include "write/spark.h"
#include "compile/pyspark.h"
#include "write/livy.h"
#include "write/parquet.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 ? 0 : 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int make_dirs(const char *dir, mf_err *e)
{
    char *p = mf_xstrdup(dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                mf_fail(e, MF_EIO, p, 0, 0, "cannot create the output directory: %s", strerror(errno));
                free(p);
                return -1;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    return 0;
}

bool spark_is_uri(const char *path)
{
    if (!path)
        return false;
    if (!strncmp(path, "file:", 5))
        return true;
    size_t n = strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    return n >= 2 && isalpha((unsigned char)path[0]) && path[n] == ':' && path[n + 1] == '/';
}

/* Spark's own log at WARN (its INFO chatter is not what a user reads), on stderr, which is
 * OUT/spark.log.  MAPFORGE_SPARK_LOG_LEVEL overrides the level. */
static int write_log4j(const char *path, mf_err *e)
{
    const char *level = getenv("MAPFORGE_SPARK_LOG_LEVEL");
    if (!level || !*level || strspn(level, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != strlen(level))
        level = "WARN";
    char text[512];
    int n = snprintf(text, sizeof text,
                     "rootLogger.level = %s\n"
                     "rootLogger.appenderRef.stderr.ref = console\n"
                     "appender.console.type = Console\n"
                     "appender.console.name = console\n"
                     "appender.console.target = SYSTEM_ERR\n"
                     "appender.console.layout.type = PatternLayout\n"
                     "appender.console.layout.pattern = %%d{yy/MM/dd HH:mm:ss} %%p %%c{1}: %%m%%n%%ex\n",
                     level);
    return mf_write_file_atomic(path, text, (size_t)n, e);
}

static const char *spark_submit(void)
{
    const char *env = getenv("MAPFORGE_SPARK_SUBMIT");
    if (env && *env)
        return env;
    if (access(".venv/bin/spark-submit", X_OK) == 0)
        return ".venv/bin/spark-submit";
    return "spark-submit";
}

/* The line that explains a failure: the job's own error, else the last exception line. */
static void failure_line(const char *log, char *out, size_t n)
{
    const char *best = NULL, *best_end = NULL, *job = NULL, *job_end = NULL;
    for (const char *l = log; l && *l;) {
        const char *end = strchr(l, '\n');
        if (!end)
            end = l + strlen(l);
        size_t len = (size_t)(end - l);
        if (len > 0 && memmem(l, len, "mapforge job: error:", 20))
            job = l, job_end = end;
        else if (len > 0 && (memmem(l, len, "Error", 5) || memmem(l, len, "Exception", 9)) && l[0] != ' ' &&
                 l[0] != '\t')
            best = l, best_end = end;
        l = *end ? end + 1 : end;
    }
    if (job) {
        best = job + 21, best_end = job_end;
        const char *m = memmem(job, (size_t)(job_end - job), "mapforge job: error:", 20);
        best = m + 20;
        while (*best == ' ')
            best++;
    }
    if (!best) {
        snprintf(out, n, "Spark failed without an error message");
        return;
    }
    snprintf(out, n, "%.*s", (int)(best_end - best), best);
}

/* spark-submit from a virtual environment finds Spark with that environment's python: put its
 * bin directory first on the PATH and make it the workers' python (in the child only). */
static void venv_env(const char *bin)
{
    char dir[PATH_MAX];
    if (!strchr(bin, '/') || !realpath(bin, dir))
        return;
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    char py[PATH_MAX + 16];
    snprintf(py, sizeof py, "%s/python3", dir);
    if (access(py, X_OK) != 0)
        return;
    const char *path = getenv("PATH");
    size_t n = strlen(dir) + (path ? strlen(path) : 0) + 2;
    char *np = malloc(n);
    if (!np)
        return;
    snprintf(np, n, "%s%s%s", dir, path ? ":" : "", path ? path : "");
    setenv("PATH", np, 1);
    free(np);
    setenv("PYSPARK_PYTHON", py, 0);
    setenv("PYSPARK_DRIVER_PYTHON", py, 0);
}

typedef struct spark_ctx {
    char *staging, *job_path, *rt_path, *log_path, *log4j;
    char *remote;                              /* Livy: this run's directory in the stage, NULL otherwise */
    char *csv[2], *pq[2], *rej[2], *json[2];   /* [0] staging, [1] final */
    unsigned long long bytes_in;               /* the input's size, as the job reported it */
    bool parquet;
} spark_ctx;

/* Run spark-submit with its output in log_path; returns its exit status (or -1). */
static int submit(const spark_ctx *c, const char *data, const char *output, const char *master, mf_err *e)
{
    int fd = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return mf_fail(e, MF_EIO, c->log_path, 0, 0, "cannot write the Spark log: %s", strerror(errno));
    size_t n = strlen(c->log4j) + 64;
    char *java_opt = mf_xmalloc(n);
    snprintf(java_opt, n, "-Dlog4j2.configurationFile=file:%s", c->log4j);
    const char *bin = spark_submit();
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        free(java_opt);
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot start spark-submit: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        venv_env(bin);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        const char *argv[] = {bin, "--master", master, "--conf", "spark.ui.enabled=false", "--conf",
                              "spark.sql.shuffle.partitions=4", "--driver-java-options", java_opt, "--py-files",
                              c->rt_path, c->job_path, data, output, c->parquet ? NULL : "--no-parquet", NULL};
        execvp(bin, (char *const *)argv);
        dprintf(STDERR_FILENO, "mapforge job: error: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fd);
    free(java_opt);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return mf_fail(e, MF_EIO, NULL, 0, 0, "lost spark-submit: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int read_counts(const char *path, run_report *rep, unsigned long long *bytes_in, mf_err *e)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o)
        return mf_fail(e, MF_EFORMAT, path, je.line, je.column, "the Spark job wrote no readable run.json: %s", je.text);
    rep->rows_in = json_integer_value(json_object_get(o, "rows_in"));
    rep->rows_out = json_integer_value(json_object_get(o, "rows_out"));
    rep->rows_rejected = json_integer_value(json_object_get(o, "rows_rejected"));
    rep->rows_filtered = json_integer_value(json_object_get(o, "rows_filtered"));
    *bytes_in = (unsigned long long)json_integer_value(json_object_get(json_object_get(o, "input"), "bytes"));
    json_decref(o);
    if (rep->rows_in != rep->rows_out + rep->rows_rejected + rep->rows_filtered)
        return mf_fail(e, MF_EDATA, path, 0, 0, "the Spark job's counts do not balance");
    return 0;
}

/* The job's last line, "mapforge job: N rows in, N out, N rejected, N filtered" (the runtime's
 * main), in its log: the counts of a run whose own run.json stays on remote storage.  The last such
 * line counts (the job prints it once, after its writes succeeded). */
static int counts_from_log(const char *log_path, run_report *rep, mf_err *e)
{
    size_t len;
    char *log = mf_read_file(log_path, &len, e);
    if (!log)
        return -1;
    bool found = false;
    for (const char *l = log; *l;) {
        const char *end = strchr(l, '\n');
        const char *m = strstr(l, "mapforge job: ");
        long long in, out, rej, filt;
        if (m && (!end || m < end) &&
            sscanf(m + 14, "%lld rows in, %lld out, %lld rejected, %lld filtered", &in, &out, &rej, &filt) == 4) {
            rep->rows_in = in, rep->rows_out = out, rep->rows_rejected = rej, rep->rows_filtered = filt;
            found = true;
        }
        l = end ? end + 1 : l + strlen(l);
    }
    free(log);
    if (!found)
        return mf_fail(e, MF_EFORMAT, log_path, 0, 0,
                       "the Spark job's log has no line of counts (\"mapforge job: N rows in, ...\"): is its runtime "
                       "the one mapforge wrote?");
    if (rep->rows_in != rep->rows_out + rep->rows_rejected + rep->rows_filtered)
        return mf_fail(e, MF_EDATA, log_path, 0, 0, "the Spark job's counts do not balance");
    return 0;
}

static void ctx_free(spark_ctx *c)
{
    if (c->staging)
        rm_tree(c->staging);
    if (c->remote)
        rm_tree(c->remote);
    free(c->remote);
    free(c->staging);
    free(c->job_path);
    free(c->rt_path);
    free(c->log_path);
    free(c->log4j);
    for (int i = 0; i < 2; i++) {
        free(c->csv[i]);
        free(c->pq[i]);
        free(c->rej[i]);
        free(c->json[i]);
    }
}

/* Rename the staged files into place: data files first, run.json last; undo on failure.  With the
 * outputs on remote storage, run.json alone. */
static int commit(spark_ctx *c, bool remote, mf_err *e)
{
    char **pairs[4] = {c->csv, c->rej, c->pq, c->json};
    for (int i = remote ? 3 : 0; i < 4; i++)
        if ((c->parquet || pairs[i] != c->pq) && rename(pairs[i][0], pairs[i][1]) < 0) {
            int err = errno;
            for (int k = remote ? 3 : 0; k < i; k++)
                unlink(pairs[k][1]);
            return mf_fail(e, MF_EIO, pairs[i][1], 0, 0, "cannot move the Spark output into place: %s", strerror(err));
        }
    return 0;
}

/* ---- managed Spark: a Livy batch -------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, mf_err *e)
{
    size_t len;
    char *text = mf_read_file(from, &len, e);
    if (!text)
        return -1;
    int rc = mf_write_file_atomic(to, text, len, e);
    free(text);
    return rc;
}

static int part_file(const struct dirent *d)
{
    return !strncmp(d->d_name, "part-", 5);
}

/* The single file the native engine writes from a directory in Spark's layout: _header.csv, then
 * the part files in name order (part-00000, part-00001, ...: the input order). */
static int concat_parts(const char *dir, const char *path, mf_err *e)
{
    struct dirent **names;
    int n = scandir(dir, &names, part_file, alphasort);
    if (n < 0)
        return mf_fail(e, MF_EIO, dir, 0, 0, "the Spark job left no output directory: %s", strerror(errno));
    char *header = join(dir, "_header.csv", "");
    mf_afile out;
    int rc = mf_afile_open(&out, path, e);
    char *buf = mf_xmalloc(1 << 20);
    for (int i = -1; rc == 0 && i < n; i++) {
        char *src = i < 0 ? header : join(dir, names[i]->d_name, "");
        FILE *f = fopen(src, "rb");
        if (!f)
            rc = mf_fail(e, MF_EIO, src, 0, 0, "cannot read the Spark job's output: %s", strerror(errno));
        size_t got;
        while (rc == 0 && (got = fread(buf, 1, 1 << 20, f)) > 0)
            if (mf_afile_write(&out, buf, got, e) < 0)
                rc = -1;
        if (f && ferror(f))
            rc = mf_fail(e, MF_EIO, src, 0, 0, "cannot read the Spark job's output");
        if (f)
            fclose(f);
        if (i >= 0)
            free(src);
    }
    free(buf);
    free(header);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc < 0)
        mf_afile_abort(&out);
    else if (mf_afile_commit(&out, e) < 0)
        rc = -1;
    return rc;
}

static double env_seconds(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double x = v && *v ? strtod(v, &end) : 0;
    return v && *v && !*end && x > 0 ? x : dflt;
}

/* The last lines of the log, indented, for a batch that died. */
static void print_tail(const char *log, int lines)
{
    if (!log)
        return;
    const char *s = log + strlen(log);
    while (s > log && lines >= 0)
        if (*--s == '\n' && s[1])
            lines--;
    if (*s == '\n')
        s++;
    fprintf(stderr, "mapforge: the end of the batch's log:\n");
    for (const char *l = s; *l;) {
        const char *end = strchr(l, '\n');
        int len = end ? (int)(end - l) : (int)strlen(l);
        fprintf(stderr, "  | %.*s\n", len, l);
        l = end ? end + 1 : l + len;
    }
}

/* Place the job and its runtime in the stage, run them as a Livy batch that writes into the stage,
 * and turn its output (Spark's layout) into the staged single files of a local run. */
static int livy_submit(spark_ctx *c, const plan *p, const char *name, const char *data, const run_options *o,
                       const char *plan_sha, mf_err *e)
{
    const char *stage = o->spark_stage;
    if (!stage || !*stage)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--livy needs --spark-stage DIR: a directory mapforge can write and the cluster can read "
                       "(a shared disk or a mount of the lake; --spark-stage-uri gives the cluster's name for it)");
    if (!strncmp(stage, "file://", 7))
        stage += 7;
    else if (!strncmp(stage, "file:", 5))
        stage += 5;
    if (strstr(stage, "://"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--spark-stage %s: mapforge writes the job there itself, so it must be a local path or a mount "
                       "of the lake; give the cluster's URI for it with --spark-stage-uri", o->spark_stage);
    char stage_abs[PATH_MAX];
    if (make_dirs(stage, e) < 0)
        return -1;
    if (!realpath(stage, stage_abs))
        return mf_fail(e, MF_EIO, stage, 0, 0, "cannot resolve the stage directory: %s", strerror(errno));
    c->remote = join(stage_abs, "mapforge-XXXXXX", "");
    if (!mkdtemp(c->remote)) {
        free(c->remote);
        c->remote = NULL;
        return mf_fail(e, MF_EIO, stage_abs, 0, 0, "cannot create a directory in the stage: %s", strerror(errno));
    }
    const char *tag = strrchr(c->remote, '/') + 1;
    char *job = join(c->remote, "job", ".py"), *rt = join(c->remote, "mapforge_runtime", ".py");
    int rc = copy_file(c->job_path, job, e) < 0 || copy_file(c->rt_path, rt, e) < 0 ? -1 : 0;
    free(job);
    free(rt);
    if (rc < 0)
        return -1;
    /* the same directory as the cluster names it */
    mf_buf base = {0};
    if (o->spark_stage_uri && *o->spark_stage_uri) {
        mf_buf_adds(&base, o->spark_stage_uri);
        while (base.len > 0 && base.data[base.len - 1] == '/')
            base.data[--base.len] = 0;
        mf_buf_printf(&base, "/%s", tag);
    } else {
        mf_buf_printf(&base, "file:%s", c->remote);
    }
    char *job_uri = join(mf_buf_str(&base), "job", ".py"), *rt_uri = join(mf_buf_str(&base), "mapforge_runtime", ".py");
    char *out_uri = o->spark_output ? mf_xstrdup(o->spark_output) : join(mf_buf_str(&base), "out", "");
    /* a data file inside the stage goes to the cluster by the stage's name for it */
    size_t al = strlen(stage_abs);
    mf_buf data_uri = {0};
    if (!strncmp(data, stage_abs, al) && data[al] == '/') {
        const char *u = o->spark_stage_uri && *o->spark_stage_uri ? o->spark_stage_uri : NULL;
        if (u) {
            mf_buf_adds(&data_uri, u);
            while (data_uri.len > 0 && data_uri.data[data_uri.len - 1] == '/')
                data_uri.data[--data_uri.len] = 0;
        } else {
            mf_buf_printf(&data_uri, "file:%s", stage_abs);
        }
        mf_buf_adds(&data_uri, data + al);
        data = mf_buf_str(&data_uri);
    }
    /* the Parquet copy is made here from the CSV, or by the job on remote storage */
    const char *args[] = {data, out_uri, "--no-parquet"};
    int nargs = o->spark_output && c->parquet ? 2 : 3;
    char batch_name[300];
    snprintf(batch_name, sizeof batch_name, "mapforge %.100s v%d %.100s %.12s", p->client ? p->client : "plan", p->version,
             name, plan_sha ? plan_sha : "");
    livy_batch b = {o->livy_url, getenv("MAPFORGE_LIVY_TOKEN"), getenv("MAPFORGE_LIVY_TOKEN_CMD"),
                    getenv("MAPFORGE_LIVY_TOKEN_FILE"), job_uri, rt_uri, args, nargs, batch_name,
                    getenv("MAPFORGE_LIVY_CONF"), env_seconds("MAPFORGE_LIVY_TIMEOUT", 0),
                    env_seconds("MAPFORGE_LIVY_POLL_MAX", 5)};
    char id[64], state[64];
    int st = livy_run(&b, c->log_path, id, state, e);
    free(job_uri);
    free(rt_uri);
    free(out_uri);
    mf_buf_free(&base);
    mf_buf_free(&data_uri);
    if (st < 0)
        return -1;
    if (st == LIVY_FAILED) {
        size_t len;
        mf_err ignore = {0};
        char *log = mf_read_file(c->log_path, &len, &ignore);
        char line[700];
        failure_line(log, line, sizeof line);
        print_tail(log, 12);
        free(log);
        return mf_fail(e, MF_EDATA, NULL, 0, 0, "the Spark job failed: Livy batch %s ended %s: %s (see %s)", id, state,
                       line, c->log_path);
    }
    if (o->spark_output)   /* the outputs stay where the job wrote them */
        return 0;
    char *out = join(c->remote, "out", "");
    char *csv = join(out, name, ".csv"), *rej = join(out, "rejects", ".csv"), *json = join(out, "run", ".json");
    rc = copy_file(json, c->json[0], e) < 0 || concat_parts(csv, c->csv[0], e) < 0 || concat_parts(rej, c->rej[0], e) < 0
             ? -1 : 0;
    if (rc == 0 && c->parquet) {
        pq_options po;
        pq_options_default(&po);
        rc = pq_write_from_csv(p, c->csv[0], c->pq[0], &po, e);
    }
    free(csv);
    free(rej);
    free(json);
    free(out);
    return rc;
}

int spark_run_plan(const plan *p, const char *plan_text, const char *data_path, const char *out_dir,
                   const run_options *opt, run_report *rep, mf_err *e)
{
    double t0 = now();
    memset(rep, 0, sizeof *rep);
    spark_ctx c;
    memset(&c, 0, sizeof c);
    char sha[65] = "";
    run_options o = opt ? *opt : (run_options){0};
    if (!o.livy_url || !*o.livy_url)   /* the environment's settings for managed Spark */
        o.livy_url = getenv("MAPFORGE_LIVY_URL");
    if (!o.spark_stage || !*o.spark_stage)
        o.spark_stage = getenv("MAPFORGE_SPARK_STAGE");
    if (!o.spark_stage_uri || !*o.spark_stage_uri)
        o.spark_stage_uri = getenv("MAPFORGE_SPARK_STAGE_URI");
    if (!o.plan_sha256 && plan_text) {
        mf_sha256_hex(plan_text, strlen(plan_text), sha);
        o.plan_sha256 = sha;
    }
    const char *name = p->output && *p->output ? p->output : "output";
    if (strchr(name, '/') || name[0] == '.' || !strcmp(name, "rejects") || !strcmp(name, "run"))
        return mf_fail(e, MF_EDATA, NULL, 0, 0, "output name \"%s\" cannot be a file name", name);
    /* a URI (hdfs:, abfss:, s3a:, file:) goes to Spark as it is; a local path is made absolute */
    bool uri = spark_is_uri(data_path);
    char data_abs[PATH_MAX];
    if (uri)
        snprintf(data_abs, sizeof data_abs, "%s", data_path);
    else if (!realpath(data_path, data_abs))
        return mf_fail(e, MF_EIO, data_path, 0, 0, "cannot open the data file: %s", strerror(errno));
    int rc = -1;
    bool remote_out = o.spark_output && *o.spark_output;
    if (!remote_out)
        o.spark_output = NULL;
    else if (!spark_is_uri(o.spark_output))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--spark-output %s: expected a URI Spark writes through Hadoop (file:/..., hdfs://..., "
                       "abfss://..., s3a://...); for a local directory, --out alone gives the single files",
                       o.spark_output);
    if (spark_is_uri(out_dir))
        return mf_fail(e, MF_EUSAGE, out_dir, 0, 0,
                       "the output directory must be a local path (it receives the job, its log and run.json); for "
                       "output on the lake add --spark-output URI (docs/spark.md)");
    char *remote_csv = remote_out ? join(o.spark_output, name, ".csv") : NULL;   /* run.json names these */
    char *remote_rej = remote_out ? join(o.spark_output, "rejects", ".csv") : NULL;
    if (make_dirs(out_dir, e) < 0 || pyspark_write(p, o.plan_sha256, out_dir, e) < 0)
        goto out;
    c.job_path = join(out_dir, "job", ".py");
    c.rt_path = join(out_dir, "mapforge_runtime", ".py");
    c.log_path = join(out_dir, "spark", ".log");
    char out_abs[PATH_MAX];
    if (!realpath(out_dir, out_abs)) {
        mf_fail(e, MF_EIO, out_dir, 0, 0, "cannot resolve the output directory: %s", strerror(errno));
        goto out;
    }
    c.staging = join(out_abs, ".spark-XXXXXX", "");
    if (!mkdtemp(c.staging)) {
        mf_fail(e, MF_EIO, out_dir, 0, 0, "cannot create a staging directory: %s", strerror(errno));
        free(c.staging);
        c.staging = NULL;
        goto out;
    }
    c.csv[0] = join(c.staging, name, ".csv"), c.csv[1] = join(out_dir, name, ".csv");
    c.pq[0] = join(c.staging, name, ".parquet"), c.pq[1] = join(out_dir, name, ".parquet");
    c.rej[0] = join(c.staging, "rejects", ".csv"), c.rej[1] = join(out_dir, "rejects", ".csv");
    c.json[0] = join(c.staging, "run", ".json"), c.json[1] = join(out_dir, "run", ".json");
    rep->seconds_compile = now() - t0;
    const char *master = o.spark_master && *o.spark_master ? o.spark_master : "local[*]";
    bool livy = o.livy_url && *o.livy_url;
    fprintf(stderr, "mapforge: running the job on Spark (%s%s); its log is %s\n", livy ? "Livy at " : "",
            livy ? o.livy_url : master, c.log_path);
    double t1 = now();
    c.parquet = !o.no_parquet;
    int st = 0;
    if (livy) {
        if (livy_submit(&c, p, name, data_abs, &o, o.plan_sha256, e) < 0)
            goto out;
        goto ran;
    }
    c.log4j = join(c.staging, "log4j2", ".properties");
    if (write_log4j(c.log4j, e) < 0)
        goto out;
    st = submit(&c, data_abs, o.spark_output ? o.spark_output : c.staging, master, e);
    if (st < 0)
        goto out;
    if (st != 0) {
        size_t len;
        mf_err ignore = {0};
        char *log = mf_read_file(c.log_path, &len, &ignore);
        char line[900];
        failure_line(log, line, sizeof line);
        free(log);
        mf_fail(e, MF_EDATA, data_path, 0, 0, "the Spark job failed: %s (see %s)", line, c.log_path);
        goto out;
    }
ran:
    rep->seconds_run = now() - t1;
    if (remote_out ? counts_from_log(c.log_path, rep, e) < 0 : read_counts(c.json[0], rep, &c.bytes_in, e) < 0)
        goto out;
    if (uri) {   /* not read here: its size is what the job saw */
        rep->bytes_in = c.bytes_in;
    } else if (!o.skip_input_sha256) {
        if (mf_sha256_file_hex(data_path, rep->input_sha256, &rep->bytes_in) < 0) {
            mf_fail(e, MF_EIO, data_path, 0, 0, "cannot read the input to hash it");
            goto out;
        }
    } else {
        struct stat sb;
        rep->bytes_in = stat(data_path, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
    }
    rep->seconds_total = now() - t0;
    char *json = run_report_json(&o, data_path, remote_out ? remote_csv : c.csv[1], remote_out ? remote_rej : c.rej[1],
                                 rep);
    if (!json) {
        mf_fail(e, MF_ENOMEM, NULL, 0, 0, "cannot build run.json");
        goto out;
    }
    size_t jl = strlen(json);
    json = mf_xrealloc(json, jl + 2);
    json[jl] = '\n', json[jl + 1] = '\0';
    int wrc = mf_write_file_atomic(c.json[0], json, jl + 1, e);
    free(json);
    if (wrc < 0 || commit(&c, remote_out, e) < 0)
        goto out;
    rc = 0;
out:
    free(remote_csv);
    free(remote_rej);
    ctx_free(&c);
    return rc;
}
