/* execute.c — running an approved plan: compile, run, check, load, record.
 *
 * The plan is the program: the approved *text* is written to OUT/plan.txt, parsed, checked against
 * the data's header, and that tree runs — exactly what a person approved.  A run is a row of the
 * store's `runs` from its start (state running) and moves to checked, failed (a run error, or the
 * checks / the customer's validator failed: nothing loaded, the findings kept with the plan
 * version for the next review) or loaded.  A review whose plan runs follows the same states.
 * Every step appends its audit event (compile, run, validation, load) as the CLI always did.
 */
#include "flow/flow_internal.h"

#include "check/check.h"
#include "compile/pyspark.h"
#include "read/csv.h"
#include "store/load.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"
#include "write/parquet.h"
#include "write/spark.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void flow_run_result_free(flow_run_result *r)
{
    free(r->mapping_path);
    r->mapping_path = NULL;
    free(r->findings_text);
    free(r->findings_json);
    free(r->load_target);
    free(r->load_table);
    r->findings_text = r->findings_json = r->load_target = r->load_table = NULL;
}

int flow_check_plan_data(plan *p, const char *data_path, const char *plan_path, mf_err *e)
{
    csv_dialect d = {0};
    d.delimiter = p->source.delimiter;
    d.quote = p->source.quote;
    d.encoding = p->source.encoding;
    d.header_line = p->source.header_line;
    csv_reader *r = csv_open(data_path, &d, e);
    if (!r)
        return -1;
    const char *const *names;
    int n = csv_header(r, &names);
    mf_err pe = {0};
    int rc = plan_check(p, names, n, plan_path, &pe);
    csv_close(r);
    if (rc < 0 && (pe.code == MF_EDATA || pe.code == MF_ETYPE)) {
        /* The header does not fit: when the file is laid out in another dialect than the plan's
         * source line says, that is the news, not the first column the plan cannot find. */
        csv_dialect found;
        mf_err ignore = {0};
        if (csv_detect(data_path, &found, &ignore) == 0 &&
            (found.delimiter != d.delimiter || (found.encoding != d.encoding && d.encoding)))
            return mf_fail(e, MF_EDATA, data_path, 0, 0,
                           "the file is %s-delimited, %s, but the plan %s reads %s-delimited, %s: it was approved for "
                           "another layout (onboard this file, or correct the plan's source line)",
                           csv_delimiter_name(found.delimiter), csv_encoding_name(found.encoding), plan_path,
                           csv_delimiter_name(d.delimiter ? d.delimiter : ','), csv_encoding_name(d.encoding));
    }
    if (rc < 0)
        *e = pe;
    return rc;
}

const char *flow_readable_data(const flow_run_options *o)
{
    return spark_is_uri(o->data_path) ? o->sample_path : o->data_path;
}

int flow_remote_refusals(const flow_run_options *o, bool loads, mf_err *e)
{
    bool spark = o->engine && !strcmp(o->engine, "spark");
    bool remote_out = o->spark_output && *o->spark_output;
    if (spark_is_uri(o->data_path) && !spark)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--data %s is a URI: only --engine spark reads one (the native engine reads a local file)",
                       o->data_path);
    if (remote_out && !spark)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--spark-output needs --engine spark");
    if (!remote_out)
        return 0;
    const char *validator = o->validator ? o->validator : getenv("MAPFORGE_VALIDATOR");
    if (validator && *validator)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--spark-output %s: the validator reads the output as a local file, and this output stays on "
                       "remote storage: run the validator on the lake yourself, or drop --spark-output",
                       o->spark_output);
    if (loads && !o->no_load)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--spark-output %s: mapforge loads only an output it can read (a local file), and this one "
                       "stays on remote storage: add --no-load (and load it from the lake with the warehouse's own "
                       "reader), or drop --spark-output",
                       o->spark_output);
    return 0;
}

static void not_done(check_result *res, const char *check, const char *why)
{
    json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "check", check, "source", "builtin", "status", "info", "message", why);
    if (f)
        json_array_append_new(res->findings, f);
}

int flow_check_output(const plan *p, const flow_run_options *o, const run_report *rep, check_pre *pre,
                      check_result *res, mf_err *e)
{
    char why[1400];
    if (o->spark_output && *o->spark_output) {
        check_pre_discard(pre);
        snprintf(why, sizeof why, "not done: the output stays at %.1200s (remote storage; mapforge reads only local "
                 "files)", o->spark_output);
        static const char *const checks[] = {"required", "control_total", "key", "check"};
        for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
            not_done(res, checks[i], why);
        not_done(res, "row_accounting",
                 "partly: the job's counts balance (rows in = out + rejected + filtered); the output's rows were not "
                 "counted again (remote storage)");
        return 0;
    }
    check_options copt = {0};
    copt.validator = o->validator ? o->validator : getenv("MAPFORGE_VALIDATOR");
    bool remote_in = spark_is_uri(o->data_path);
    copt.input_path = remote_in ? NULL : o->data_path;
    copt.pre = pre;
    if (check_run(p, o->out_dir, rep, &copt, res, e) < 0)
        return -1;
    bool has_dec = false;
    for (int c = 0; c < p->ncols; c++)
        has_dec |= p->cols[c].type.base == PT_DECIMAL;
    if (remote_in && has_dec) {
        snprintf(why, sizeof why, "not done: the input is %.1200s (remote storage; mapforge reads only local files), "
                 "so the output's sums were not compared with the input's", o->data_path);
        not_done(res, "control_total", why);
    }
    return 0;
}

typedef struct progress_relay {
    const flow_run_options *o;
} progress_relay;

static void relay_progress(void *user, long long rows, unsigned long long bytes, unsigned long long total,
                           double elapsed)
{
    const progress_relay *r = user;
    flow_progress p = {rows, bytes, total, elapsed, "run"};
    r->o->progress(r->o->progress_user, &p);
}

static void phase(const flow_run_options *o, const char *name, const run_report *rep, double t0)
{
    if (!o->progress)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    flow_progress p = {rep->rows_in, rep->bytes_in, rep->bytes_in, (double)ts.tv_sec + ts.tv_nsec / 1e9 - t0, name};
    o->progress(o->progress_user, &p);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Check p against the data and run it with opt (cache key, approval filled by the caller). */
static int run_with(const flow_env *env, plan *p, const char *text, const char *plan_path, const flow_run_options *o,
                    run_options *opt, run_report *rep, char sha[65], mf_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (!o->data_path || !o->out_dir)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a run needs a data file and an output directory");
    if (flow_remote_refusals(o, false, e) < 0)
        return -1;
    const char *readable = flow_readable_data(o);   /* a URI without --sample: the job checks its header */
    if (readable ? flow_check_plan_data(p, readable, plan_path, e) < 0 : plan_check(p, NULL, 0, plan_path, e) < 0)
        return -1;
    if (!readable)
        flow_say(env, FLOW_NOTE, "%s is a URI and no --sample was given: its header is checked by the job, not here",
                 o->data_path);
    else if (o->sample_path && readable != o->sample_path)
        flow_say(env, FLOW_WARN, "--sample %s ignored: the data is a local file, read itself", o->sample_path);
    if (plan_has_open_questions(p))
        return mf_fail(e, MF_EQUESTION, NULL, 0, 0,
                       "the plan has open questions; nothing ran. Answer them in %s (replace each ? with an "
                       "expression) and run it with: mapforge run --plan %s --data ... --out ...",
                       plan_path, plan_path);
    mf_sha256_hex(text, strlen(text), sha);
    bool spark = o->engine && !strcmp(o->engine, "spark");
    if (o->engine && !spark && strcmp(o->engine, "native"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown engine \"%s\": expected native or spark", o->engine);
    opt->plan_sha256 = sha;
    opt->spark_master = o->spark_master;
    opt->livy_url = o->livy_url;
    opt->spark_stage = o->spark_stage;
    opt->spark_stage_uri = o->spark_stage_uri;
    opt->spark_output = o->spark_output;
    opt->threads = o->threads;
    progress_relay relay = {o};
    if (o->progress) {
        opt->progress = relay_progress;
        opt->progress_user = &relay;
    }
    if (flow_make_dir(env, o->out_dir, e) < 0)
        return -1;
    /* Beside the native run's CSV, published with it as one set: OUT/job.py and
     * OUT/mapforge_runtime.py (the same plan as a PySpark job and the module it imports, for a
     * cluster) and OUT/<output>.parquet (unless no_parquet).  The Spark engine writes them itself. */
    mf_buf job = {0}, runtime = {0};
    run_companion comp[2];
    if (!spark) {
        if (pyspark_compile(p, sha, &job, e) < 0 || pyspark_runtime(&runtime) < 0) {
            mf_buf_free(&job);
            mf_buf_free(&runtime);
            return -1;
        }
        comp[0] = (run_companion){"job.py", mf_buf_str(&job), job.len};
        comp[1] = (run_companion){"mapforge_runtime.py", mf_buf_str(&runtime), runtime.len};
        opt->companions = comp;
        opt->ncompanions = 2;
        opt->parquet = !o->no_parquet;
    } else {
        opt->no_parquet = o->no_parquet;
    }
    int r = spark ? spark_run_plan(p, text, o->data_path, o->out_dir, opt, rep, e)
                  : run_plan(p, o->data_path, o->out_dir, opt, rep, e);
    mf_buf_free(&job);
    mf_buf_free(&runtime);
    opt->companions = NULL;
    opt->ncompanions = 0;
    opt->progress = NULL;
    opt->progress_user = NULL;
    if (r < 0)
        return -1;
    if (spark && o->progress)   /* spark-submit reports nothing on the way: the end only */
        relay_progress(&relay, rep->rows_in, rep->bytes_in, rep->bytes_in, rep->seconds_total);
    flow_say(env, FLOW_NOTE,
             "ran plan %.12s on %s: %lld rows in, %lld out, %lld rejected, %lld filtered (%.2f s) -> %s/%s.csv%s", sha,
             o->data_path, rep->rows_in, rep->rows_out, rep->rows_rejected, rep->rows_filtered, rep->seconds_total,
             o->spark_output ? o->spark_output : o->out_dir, p->output,
             o->spark_output ? " (Spark's layout: part files)" : "");
    return 0;
}

int flow_run_plain(const flow_env *env, plan *p, const char *text, const char *plan_path, const flow_run_options *o,
                   const char *cache_key, int cache_hit, const run_observer *observer, run_report *rep, char sha[65],
                   mf_err *e)
{
    run_options opt = {0};
    opt.cache_key = cache_key;
    opt.cache_hit = cache_hit;
    opt.observer = observer;
    return run_with(env, p, text, plan_path, o, &opt, rep, sha, e);
}

/* Load the checked output into o->db (default sqlite:<home>/warehouse.db). */
static int load(const flow_env *env, const plan *p, const char *client, const char *sha, const flow_run_options *o,
                const run_report *rep, long long run_id, flow_run_result *r, mf_err *e)
{
    const char *home = env->home ? env->home : ".mapforge";
    char *url = o->db ? mf_xstrdup(o->db) : load_default_url(home);
    if (!o->db && flow_make_dir(env, home, e) < 0) {
        free(url);
        return -1;
    }
    load_info li = {.client = client, .input_sha256 = rep->input_sha256, .streams = o->load_streams};
    load_result lr;
    memset(&lr, 0, sizeof lr);
    int rc = load_output(p, o->out_dir, url, &li, &lr, e);
    free(url);
    if (rc < 0 && e->code == MF_EINTR) {   /* rolled back: history says so, not "ok" */
        mf_err ignore = {0};
        store_load sl = {.run_id = run_id, .client = client, .target = lr.target, .table_name = p->output,
                         .input_sha256 = rep->input_sha256, .status = "interrupted", .actor = env->actor};
        (void)store_load_add(env->st, &sl, &ignore);
        (void)flow_audit(env, "load_interrupted", client, sha, &ignore, "table", p->output, (const char *)NULL);
    }
    if (rc < 0)
        return -1;
    char nrows[32];
    snprintf(nrows, sizeof nrows, "%lld", lr.rows_loaded);
    store_load sl = {.run_id = run_id, .client = client, .target = lr.target, .table_name = lr.table,
                     .input_sha256 = rep->input_sha256, .status = "ok", .actor = env->actor,
                     .rows_loaded = lr.rows_loaded, .rows_replaced = lr.rows_replaced};
    if (store_load_add(env->st, &sl, e) < 0 ||
        flow_audit(env, "load", client, sha, e, "target", lr.target, "table", lr.table, "rows", nrows,
                   (const char *)NULL) < 0)
        return -1;
    r->load_target = mf_xstrdup(lr.target);
    r->load_table = mf_xstrdup(lr.table);
    r->rows_loaded = lr.rows_loaded;
    r->rows_replaced = lr.rows_replaced;
    flow_say(env, FLOW_NOTE, "loaded %lld rows into %s (table %s)%s", lr.rows_loaded, lr.target, lr.table,
             lr.rows_replaced ? ", replacing the earlier load of this file" : "");
    return 0;
}

/* The review (when there is one) follows its run's state. */
static int review_state(const flow_env *env, store_review *rv, const char *state, long long run_id, mf_err *e)
{
    if (!rv)
        return 0;
    snprintf(rv->state, sizeof rv->state, "%s", state);
    rv->last_run_id = run_id;
    return store_review_update(env->st, rv, e);
}

/* Run an approved text: 0 checked (and loaded unless no_load), 1 validation failed, -1 error. */
static int execute(const flow_env *env, const char *client, const char *text, const char *cache_key, int cache_hit,
                   store_review *rv, const flow_run_options *o, flow_run_result *r, mf_err *e)
{
    memset(r, 0, sizeof *r);
    r->state = FLOW_FAILED;
    if (!o->out_dir || !o->data_path)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a run needs a data file and an output directory");
    if (flow_remote_refusals(o, true, e) < 0 || flow_make_dir(env, o->out_dir, e) < 0)
        return -1;
    double t0 = mono();
    int rc = -1;
    char *plan_path = flow_join(o->out_dir, "plan.txt");
    plan p;
    plan_init(&p);
    check_result res;
    check_result_init(&res);
    check_pre *pre = NULL;   /* the check's input side, started beside the run */
    store_approval ap = {0};
    char sha[65];
    mf_sha256_hex(text, strlen(text), sha);
    memcpy(r->plan_sha256, sha, sizeof sha);
    if (mf_write_file_atomic(plan_path, text, strlen(text), e) < 0 ||
        plan_parse(text, strlen(text), plan_path, &p, e) < 0)
        goto done;
    if (flow_audit(env, "compile", client, sha, e, "engine", o->engine ? o->engine : "native", (const char *)NULL) <
        0)
        goto done;
    char out_abs[PATH_MAX];   /* the outputs' directory as the store records it (batch: done where?) */
    store_run sr = {.client = client, .plan_sha256 = sha, .input_path = o->data_path, .input_sha256 = "",
                    .cache_key = cache_key, .cache_hit = cache_hit, .status = "running", .state = "running",
                    .actor = env->actor, .review_id = rv ? rv->id : 0,
                    .out_dir = realpath(o->out_dir, out_abs) ? out_abs : o->out_dir};
    if (store_run_add(env->st, &sr, e) < 0 || review_state(env, rv, "running", sr.id, e) < 0)
        goto done;
    r->run_id = sr.id;
    r->state = FLOW_RUNNING;
    run_report *rep = &r->rep;
    char sha2[65];
    run_options opt = {0};
    opt.cache_key = cache_key;
    opt.cache_hit = cache_hit;
    if (store_approval_last(env->st, client, sha, &ap, e) < 0)
        goto done;
    opt.approved_by = ap.actor;
    opt.approved_at = ap.at;
    opt.approval_comment = ap.comment;
    /* The check's input side (control totals) is fed by the native run's reader as it reads the
     * input (no second read); a Spark run's check reads the input itself, after the run. */
    run_observer obs;
    if ((!o->engine || !strcmp(o->engine, "native")) && (pre = check_pre_fed(&p, o->data_path, &obs)))
        opt.observer = &obs;
    if (run_with(env, &p, text, plan_path, o, &opt, rep, sha2, e) < 0) {
        mf_err ignore = {0};
        sr.status = e->code == MF_EINTR ? "interrupted" : "failed";
        sr.state = "failed";
        sr.seconds = mono() - t0;
        (void)store_run_update(env->st, &sr, &ignore);
        if (cache_key)
            (void)store_cache_record_run(env->st, cache_key, 0, &ignore);
        (void)review_state(env, rv, "failed", sr.id, &ignore);
        r->state = FLOW_FAILED;
        goto done;
    }
    phase(o, "check", rep, t0);
    /* the built-in checks, then the customer's validator */
    check_pre *taken = pre;
    pre = NULL;   /* flow_check_output takes it */
    if (flow_check_output(&p, o, rep, taken, &res, e) < 0)
        goto done;
    bool unchecked = o->spark_output && *o->spark_output;
    r->passed = res.passed;
    r->findings_json = json_dumps(res.findings, JSON_COMPACT);
    if (!res.passed)
        r->findings_text = check_findings_text(&res);
    sr.input_sha256 = rep->input_sha256;
    sr.input_bytes = rep->bytes_in;
    sr.rows_in = rep->rows_in;
    sr.rows_out = rep->rows_out;
    sr.rows_rejected = rep->rows_rejected;
    sr.rows_filtered = rep->rows_filtered;
    sr.seconds = rep->seconds_total;
    sr.status = res.passed ? "ok" : "validation_failed";
    sr.state = res.passed ? "checked" : "failed";
    char counts[160];
    snprintf(counts, sizeof counts, "%lld in, %lld out, %lld rejected, %lld filtered", rep->rows_in, rep->rows_out,
             rep->rows_rejected, rep->rows_filtered);
    if (store_run_update(env->st, &sr, e) < 0 ||
        flow_audit(env, "run", client, sha, e, "data", o->data_path, "input_sha256", rep->input_sha256, "rows",
                   counts, "cache_hit", cache_hit ? "true" : "false", "status", sr.status, (const char *)NULL) < 0 ||
        (cache_key && store_cache_record_run(env->st, cache_key, res.passed, e) < 0) ||
        flow_audit(env, "validation", client, sha, e, "status", unchecked ? "not_checked" : res.passed ? "pass" : "fail",
                   "findings",
                   r->findings_json, (const char *)NULL) < 0 ||
        store_plan_set_findings(env->st, client, sha, res.passed ? NULL : r->findings_json, e) < 0 ||
        review_state(env, rv, sr.state, sr.id, e) < 0)
        goto done;
    if (!res.passed) {
        r->state = FLOW_FAILED;
        flow_say(env, FLOW_WARN,
                 "validation failed; nothing loaded. Findings (kept with plan %.12s, shown at the next review):\n%s",
                 sha, r->findings_text ? r->findings_text : "");
        rc = 1;
        goto done;
    }
    r->state = FLOW_CHECKED;
    if (unchecked) {
        char *notes = check_findings_text(&res);
        flow_say(env, FLOW_WARN, "the output was not checked (it stays at %s), and is not loaded:\n%s", o->spark_output,
                 notes);
        free(notes);
    } else {
        flow_say(env, FLOW_NOTE, "checks passed%s", res.validator_ran ? ", validator passed" : "");
    }
    if (o->no_load) {
        rc = 0;
        goto done;
    }
    phase(o, "load", rep, t0);
    if (load(env, &p, client, sha, o, rep, sr.id, r, e) < 0) {
        mf_err ignore = {0};
        sr.status = "load_failed";
        sr.state = "failed";
        (void)store_run_update(env->st, &sr, &ignore);
        (void)review_state(env, rv, "failed", sr.id, &ignore);
        r->state = FLOW_FAILED;
        goto done;
    }
    sr.state = "loaded";
    if (store_run_update(env->st, &sr, e) < 0 || review_state(env, rv, "loaded", sr.id, e) < 0)
        goto done;
    r->state = FLOW_LOADED;
    rc = 0;
done:
    check_pre_discard(pre);
    store_approval_free(&ap);
    check_result_free(&res);
    plan_free(&p);
    free(plan_path);
    return rc;
}

/* The newest decided review of client whose approved version is text: a cached run of that plan
 * moves it too (running, checked, failed, loaded).  1 found (rv filled), 0 none, -1 error. */
static int review_of_plan(const flow_env *env, const char *client, const char *text, store_review *rv, mf_err *e)
{
    char sha[65];
    mf_sha256_hex(text, strlen(text), sha);
    store_review *all;
    int n = 0, found = 0;
    memset(rv, 0, sizeof *rv);
    if (store_review_list(env->st, client, NULL, &all, &n, e) < 0)
        return -1;
    for (int i = 0; i < n && !found; i++) {
        flow_state s = flow_state_parse(all[i].state);
        if (!strcmp(all[i].plan_sha256, sha) && s != FLOW_REJECTED && !flow_state_is_open(s)) {
            *rv = all[i];
            memset(&all[i], 0, sizeof all[i]);
            found = 1;
        }
    }
    store_reviews_free(all, n);
    return found;
}

/* A run of an approved text, linked to the review that approved it when there is one. */
static int execute_linked(const flow_env *env, const char *client, const char *text, const char *cache_key,
                          int cache_hit, const flow_run_options *o, flow_run_result *r, mf_err *e)
{
    store_review rv;
    int got = review_of_plan(env, client, text, &rv, e);
    if (got < 0) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    int rc = execute(env, client, text, cache_key, cache_hit, got ? &rv : NULL, o, r, e);
    if (got)
        store_review_free(&rv);
    return rc;
}

int flow_run_text(const flow_env *env, const char *client, const char *text, const char *cache_key, int cache_hit,
                  const flow_run_options *o, flow_run_result *r, mf_err *e)
{
    return execute_linked(env, client, text, cache_key, cache_hit, o, r, e);
}

int flow_run_review(const flow_env *env, long long review_id, const flow_run_options *o, flow_run_result *r,
                    mf_err *e)
{
    memset(r, 0, sizeof *r);
    store_review rv;
    int got = store_review_get(env->st, review_id, &rv, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    int rc = -1;
    flow_state s = flow_state_parse(rv.state);
    /* running: a run that was killed leaves that state behind; the approved plan may run again */
    if (s != FLOW_APPROVED && s != FLOW_RUNNING && s != FLOW_CHECKED && s != FLOW_FAILED && s != FLOW_LOADED) {
        mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "cannot run: review %lld of %s is %s, not approved", rv.id, rv.client,
                rv.state);
        goto done;
    }
    store_plan_version v;
    memset(&v, 0, sizeof v);
    got = store_plan_get(env->st, rv.client, rv.plan_sha256, &v, e);
    if (got <= 0) {
        if (got == 0)
            mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "review %lld: its plan is not in the store", rv.id);
        goto done;
    }
    /* the cache key of the approved plan for this data, when it is cached */
    char key[65] = "";
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    flow_run_options ro = *o;
    if (!ro.data_path)
        ro.data_path = rv.data_path;
    csv_dialect d;
    profile pr;
    mf_err ignore = {0};
    const char *readable = flow_readable_data(&ro);
    if (readable && csv_detect(readable, &d, &ignore) == 0 &&
        profile_file(readable, &d, FLOW_PROFILE_ROWS, &pr, &ignore) == 0) {
        if (cache_lookup(env->st, rv.client, rv.mapping_sha256, &pr, &cr, &ignore) == 0 && cr.hit &&
            !strcmp(cr.entry.plan_sha256, rv.plan_sha256))
            memcpy(key, cr.key, sizeof key);
        cache_result_free(&cr);
        profile_free(&pr);
    }
    rc = execute(env, rv.client, v.text, *key ? key : NULL, 0, &rv, &ro, r, e);
    store_plan_version_free(&v);
done:
    store_review_free(&rv);
    return rc;
}

/* The client's mapping as onboard remembered it (path, sha); its sha is recomputed when the file is
 * still there, so a changed mapping is a miss that says so. */
static int client_mapping(const flow_env *env, const char *client, char sha[65], flow_run_result *res, mf_err *e)
{
    char *ref = flow_mapping_ref_path(env, client);
    json_error_t je;
    json_t *j = json_load_file(ref, 0, &je);
    free(ref);
    if (!j)
        return mf_fail(e, MF_ENOTFOUND, NULL, 0, 0,
                       "no mapping is recorded for client %s under %s: onboard it first (mapforge onboard --client "
                       "%s --mapping ... --data ... --out ...)",
                       client, env->home ? env->home : ".mapforge", client);
    const char *path = json_string_value(json_object_get(j, "path"));
    const char *s = json_string_value(json_object_get(j, "sha256"));
    snprintf(sha, 65, "%s", s ? s : "");
    if (path)
        res->mapping_path = mf_xstrdup(path);
    mf_err ignore = {0};
    mapping m;
    if (path && access(path, R_OK) == 0 && mapping_read(path, &m, &ignore) == 0) {
        if (strcmp(sha, m.sha256))
            flow_say(env, FLOW_WARN, "the mapping %s changed since it was onboarded", path);
        memcpy(sha, m.sha256, 65);
        mapping_free(&m);
    }
    json_decref(j);
    return 0;
}

int flow_run_client(const flow_env *env, const char *client, const flow_run_options *o, flow_run_result *r,
                    mf_err *e)
{
    memset(r, 0, sizeof *r);
    if (!client || !o->data_path || !o->out_dir)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a batch run needs a client, a data file and an output directory");
    char msha[65];
    if (client_mapping(env, client, msha, r, e) < 0)
        return -1;
    csv_dialect d;
    profile pr;
    const char *readable = flow_readable_data(o);   /* the cache key needs the header and the types */
    if (!readable)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--data %s is a URI: the cache key needs its header and column types, and mapforge reads only "
                       "local files: give --sample FILE, a local copy of its first rows (e.g. hdfs dfs -cat URI | "
                       "head -2000 > sample.csv)", o->data_path);
    if (csv_detect(readable, &d, e) < 0 || profile_file(readable, &d, FLOW_PROFILE_ROWS, &pr, e) < 0)
        return -1;
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    int rc = -1;
    if (cache_lookup(env->st, client, msha, &pr, &cr, e) < 0)
        goto done;
    /* A failed validation on an earlier file does not stop the approved plan: this file may be good,
     * and it is validated again before anything is loaded (docs/cache.md). */
    char *failed_before = cr.hit && cr.entry.plan_text ? flow_findings_text(env->st, client, cr.entry.plan_sha256)
                                                       : NULL;
    if (failed_before)
        flow_say(env, FLOW_NOTE,
                 "note: plan %.12s failed validation on its last run; this file is validated again before "
                 "anything is loaded",
                 cr.entry.plan_sha256);
    free(failed_before);
    if (!cr.hit || !cr.entry.plan_text) {
        flow_say(env, FLOW_NOTE, "cache miss: %s", cr.reason);
        snprintf(r->miss_reason, sizeof r->miss_reason, "%s", cr.reason);
        if (flow_audit(env, "cache_miss", client, msha, e, "reason", cr.reason, "data", o->data_path,
                       (const char *)NULL) < 0 ||
            store_cache_lookup_add(env->st, client, 0, NULL, cr.reason, e) < 0)
            goto done;
        mf_fail(e, MF_EREVIEW, NULL, 0, 0,
                "cache miss (%s): nothing ran; review a plan for this file with: mapforge onboard --client %s "
                "--mapping %s --data %s --out %s",
                cr.reason, client, r->mapping_path ? r->mapping_path : "...", o->data_path, o->out_dir);
        goto done;
    }
    flow_say(env, FLOW_NOTE, "cache hit: key %.16s (approved plan %.12s, run %lld time%s before)", cr.key,
             cr.entry.plan_sha256, cr.entry.execution_count, cr.entry.execution_count == 1 ? "" : "s");
    if (flow_audit(env, "cache_hit", client, cr.key, e, "key", cr.key, "plan_sha256", cr.entry.plan_sha256, "data",
                   o->data_path, (const char *)NULL) < 0 ||
        store_cache_lookup_add(env->st, client, 1, cr.key, NULL, e) < 0)
        goto done;
    char *mapping_path = r->mapping_path;   /* execute starts the result afresh */
    r->mapping_path = NULL;
    rc = execute_linked(env, client, cr.entry.plan_text, cr.key, 1, o, r, e);
    r->mapping_path = mapping_path;
done:
    cache_result_free(&cr);
    profile_free(&pr);
    return rc;
}

/* ---- listing runs ----------------------------------------------------------------------------- */

static void run_copy(flow_run_info *x, const store_run *r)
{
    memset(x, 0, sizeof *x);
    x->id = r->id;
    x->review_id = r->review_id;
    x->client = mf_xstrdup(r->client ? r->client : "");
    snprintf(x->plan_sha256, sizeof x->plan_sha256, "%s", r->plan_sha256 ? r->plan_sha256 : "");
    x->input_path = mf_xstrdup(r->input_path ? r->input_path : "");
    x->state = flow_state_parse(r->state);
    x->status = mf_xstrdup(r->status ? r->status : "");
    x->rows_in = r->rows_in;
    x->rows_out = r->rows_out;
    x->rows_rejected = r->rows_rejected;
    x->rows_filtered = r->rows_filtered;
    x->input_bytes = r->input_bytes;
    x->cache_hit = r->cache_hit;
    memcpy(x->started_at, r->started_at, sizeof x->started_at);
    memcpy(x->updated_at, r->updated_at, sizeof x->updated_at);
    x->seconds = r->seconds;
    x->actor = mf_xstrdup(r->actor ? r->actor : "");
}

void flow_run_info_free(flow_run_info *r)
{
    if (!r)
        return;
    free(r->client);
    free(r->input_path);
    free(r->status);
    free(r->actor);
    memset(r, 0, sizeof *r);
}

void flow_run_infos_free(flow_run_info *r, int n)
{
    for (int i = 0; r && i < n; i++)
        flow_run_info_free(&r[i]);
    free(r);
}

int flow_run_list(const flow_env *env, const char *client, flow_run_info **out, int *n, mf_err *e)
{
    store_run *r;
    int k;
    *out = NULL;
    *n = 0;
    if (store_run_list(env->st, client, &r, &k, e) < 0)
        return -1;
    if (k)
        *out = mf_xcalloc((size_t)k, sizeof **out);
    for (int i = 0; i < k; i++)   /* newest first */
        run_copy(&(*out)[i], &r[k - 1 - i]);
    *n = k;
    store_runs_free(r, k);
    return 0;
}

int flow_run_get(const flow_env *env, long long run_id, flow_run_info *r, mf_err *e)
{
    store_run sr;
    memset(r, 0, sizeof *r);
    int got = store_run_get(env->st, run_id, &sr, e);
    if (got == 1) {
        run_copy(r, &sr);
        store_run_free(&sr);
    }
    return got;
}
