/* commands.c — onboard, plan, run, check, profile.
 *
 * The plan is the program: onboard renders the drafted plan to text, hashes that text, and then
 * runs what *parsing that text* gives — exactly what a person approved and what `run --plan`
 * would execute later.  Nothing is re-generated between showing and running.
 *
 * The workflow (onboard, run --client) goes through the store: the cache is looked up first
 * (hit: the approved text runs, no analysis, no review; miss: the reason is printed and
 * recorded); on a miss the plan is drafted, reviewed in the terminal (cli/review.c) or approved
 * with --yes, stored with its cache entry; then it runs on the native engine, the checks and the
 * customer's validator decide (fail: exit 3, nothing loaded, findings kept with the plan version
 * for the next review), and the output is loaded.  Every step appends an audit event naming the
 * actor.  `run --plan` stays a plain run of a plan file.
 */
#include "cli/cli.h"
#include "check/check.h"
#include "cli/review.h"
#include "flow/sample.h"
#include "compile/pyspark.h"
#include "write/spark.h"
#include "store/load.h"
#include "store/store.h"
#include "util/buf.h"
#include "mapping/mapping.h"
#include "plan/draft.h"
#include "plan/plan.h"
#include "read/csv.h"
#include "read/profile.h"
#include "util/afile.h"
#include "util/sha256.h"
#include "write/parquet.h"
#include "write/run.h"

#include <errno.h>
#include <jansson.h>
#include <utf8proc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROFILE_ROWS 2000

static int need(const char *value, const char *option, const char *command, mf_err *e)
{
    if (value)
        return 0;
    return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge %s needs %s (see mapforge help)", command, option);
}

static int make_dir(const char *dir, mf_err *e)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return mf_fail(e, MF_EUSAGE, dir, 0, 0, "output directory path is too long");
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return mf_fail(e, MF_EIO, path, 0, 0, "cannot create output directory: %s", strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return mf_fail(e, MF_EIO, dir, 0, 0, "output path exists and is not a directory");
    int swept = mf_afile_sweep(dir);
    if (swept > 0)
        fprintf(stderr, "mapforge: removed %d partial file%s left in %s by an interrupted run\n", swept,
                swept == 1 ? "" : "s", dir);
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Type-check p against the header of the data file read with the plan's own dialect (every
 * [Source] must be one of its columns). */
static int check_against_data(plan *p, const char *data_path, const char *plan_path, mf_err *e)
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
    int rc = plan_check(p, names, n, plan_path, e);
    csv_close(r);
    return rc;
}

/* The open questions, and every column or rule that still holds a ? without one. */
static int print_questions(const plan *p, FILE *f)
{
    int n = 0;
    fprintf(f, "open questions:\n");
    for (int i = 0; i < p->nquestions; i++) {
        const plan_question *q = &p->questions[i];
        fprintf(f, "  %d. ", ++n);
        if (q->column)
            fprintf(f, "%s", q->column);
        if (q->row)
            fprintf(f, "%s(mapping row %d)", q->column ? " " : "", q->row);
        fprintf(f, ": %s\n", q->text ? q->text : "");
    }
    for (int i = 0; i < p->ncols; i++) {
        const plan_column *c = &p->cols[i];
        bool asked = false;
        for (int k = 0; k < p->nquestions && !asked; k++)
            asked = p->questions[k].column && !strcmp(p->questions[k].column, c->name);
        if (!asked && plan_expr_has_hole(c->expr))
            fprintf(f, "  %d. %s: its expression still contains ?; what should %s contain?\n", ++n, c->name, c->name);
    }
    for (int i = 0; i < p->nrules; i++)
        if (plan_expr_has_hole(p->rules[i].cond))
            fprintf(f, "  %d. %s rule %d: its condition still contains ?\n", ++n,
                    p->rules[i].kind == PR_SKIP ? "skip" : p->rules[i].kind == PR_CHECK ? "check" : "reject", i + 1);
    return n;
}

/* A plan that still has holes or questions cannot run unattended. */
static int refuse_open_questions(const plan *p, const char *plan_path, mf_err *e)
{
    int n = print_questions(p, stdout);
    mf_fail(e, MF_EQUESTION, NULL, 0, 0,
            "the plan has %d open question%s; nothing ran. Answer %s in %s (replace each ? with an expression) "
            "and run it with: mapforge run --plan %s --data ... --out ...",
            n, n == 1 ? "" : "s", n == 1 ? "it" : "them", plan_path, plan_path);
    return CLI_FAILED;
}

/* Beside the native run's CSV: OUT/job.py and OUT/mapforge_runtime.py (the same plan as a PySpark
 * job, for a Spark cluster)
 * and OUT/<output>.parquet (unless --no-parquet).  The Spark engine writes both itself. */
static int write_companions(const plan *p, const char *sha, const cli_options *o, mf_err *e)
{
    int rc = pyspark_write(p, sha, o->out, e);
    if (rc < 0 || o->no_parquet)
        return rc;
    size_t n = strlen(p->output) + 16;
    char *csv_name = mf_xmalloc(n), *pq_name = mf_xmalloc(n);
    snprintf(csv_name, n, "%s.csv", p->output);
    snprintf(pq_name, n, "%s.parquet", p->output);
    char *csv_path = join(o->out, csv_name), *pq_path = join(o->out, pq_name);
    rc = pq_write_from_csv(p, csv_path, pq_path, NULL, e);
    free(csv_name);
    free(pq_name);
    free(csv_path);
    free(pq_path);
    return rc;
}

/* Check p against the data header and run it with opt (the native engine).  Returns 0,
 * CLI_FAILED, or the open-questions refusal. */
static int run_checked(plan *p, const char *plan_text, const char *plan_path, const cli_options *o,
                       run_options *opt, run_report *rep, char sha[65], mf_err *e)
{
    if (check_against_data(p, o->data, plan_path, e) < 0)
        return CLI_FAILED;
    if (plan_has_open_questions(p))
        return refuse_open_questions(p, plan_path, e);
    mf_sha256_hex(plan_text, strlen(plan_text), sha);
    opt->plan_sha256 = sha;
    memset(rep, 0, sizeof *rep);
    bool spark = o->engine && !strcmp(o->engine, "spark");
    if (o->engine && !spark && strcmp(o->engine, "native"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown engine \"%s\": expected native or spark", o->engine),
               CLI_FAILED;
    opt->spark_master = o->spark_master;
    opt->no_parquet = o->no_parquet;
    if (make_dir(o->out, e) < 0)
        return CLI_FAILED;
    if (spark ? spark_run_plan(p, plan_text, o->data, o->out, opt, rep, e) < 0
              : run_plan(p, o->data, o->out, opt, rep, e) < 0)
        return CLI_FAILED;
    if (!spark && write_companions(p, sha, o, e) < 0)
        return CLI_FAILED;
    fprintf(stderr,
            "mapforge: ran plan %.12s on %s: %lld rows in, %lld out, %lld rejected, %lld filtered "
            "(%.2f s) -> %s/%s.csv\n",
            sha, o->data, rep->rows_in, rep->rows_out, rep->rows_rejected, rep->rows_filtered, rep->seconds_total,
            o->out, p->output);
    return 0;
}

static int run_parsed(plan *p, const char *plan_text, const char *plan_path, const cli_options *o, mf_err *e)
{
    run_options opt = {0};
    run_report rep;
    char sha[65];
    return run_checked(p, plan_text, plan_path, o, &opt, &rep, sha, e);
}

/* Draft a plan from mapping + data: returns its canonical text (malloc'd). */

/* The draft tried on the first records of the data (flow/sample.c): readings that reject most rows
 * become questions.  A failure to try it is said, not fatal: the run would report the same error. */
static void try_on_sample(plan *p, const char *data)
{
    mf_err e = {0};
    if (flow_check_on_sample(p, data, &e) < 0) {
        char m[1200];
        mf_err_format(&e, m, sizeof m);
        fprintf(stderr, "mapforge: the draft could not be tried on the data's first rows: %s\n", m);
    }
}

static char *draft_text(const cli_options *o, const char *command, mf_err *e)
{
    if (need(o->client, "--client", command, e) < 0 || need(o->mapping, "--mapping", command, e) < 0 ||
        need(o->data, "--data", command, e) < 0 || need(o->out, "--out", command, e) < 0)
        return NULL;
    mapping m;
    if (mapping_read(o->mapping, &m, e) < 0)
        return NULL;
    csv_dialect d;
    profile pr;
    if (csv_detect(o->data, &d, e) < 0) {
        mapping_free(&m);
        return NULL;
    }
    if (profile_file(o->data, &d, PROFILE_ROWS, &pr, e) < 0) {
        mapping_free(&m);
        return NULL;
    }
    draft_options opt = {o->client, base_name(o->data), o->output};
    plan p;
    char *text = NULL;
    if (plan_draft(&m, &pr, &opt, &p, e) == 0) {
        try_on_sample(&p, o->data);
        text = plan_render(&p);
        plan_free(&p);
    }
    profile_free(&pr);
    mapping_free(&m);
    return text;
}

static int write_plan_file(const cli_options *o, const char *text, char **plan_path, mf_err *e)
{
    if (make_dir(o->out, e) < 0)
        return -1;
    *plan_path = join(o->out, "plan.txt");
    if (mf_write_file_atomic(*plan_path, text, strlen(text), e) < 0) {
        free(*plan_path);
        *plan_path = NULL;
        return -1;
    }
    return 0;
}

int cli_plan(const cli_options *o, mf_err *e)
{
    char *text = draft_text(o, "plan", e);
    if (!text)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = write_plan_file(o, text, &plan_path, e);
    if (rc == 0) {
        fputs(text, stdout);
        fflush(stdout);
        /* a draft with open questions is not done: exit 2 and list them (diagnostics on stderr) */
        plan p;
        if (plan_parse(text, strlen(text), plan_path, &p, e) < 0) {
            rc = -1;
        } else {
            if (plan_has_open_questions(&p)) {
                int n = print_questions(&p, stderr);
                fprintf(stderr, "mapforge: the plan has %d open question%s; answer %s in %s\n", n, n == 1 ? "" : "s",
                        n == 1 ? "it" : "them", plan_path);
                rc = CLI_EXIT_QUESTIONS;
            }
            plan_free(&p);
        }
    }
    free(text);
    free(plan_path);
    return rc < 0 ? CLI_FAILED : rc;
}

/* ---- the workflow: store, cache, review, run, checks, load (onboard and run --client) --------- */

typedef struct flow {
    const cli_options *o;
    mf_err *e;
    store *st;
    char actor[128];
    char *home;
    mapping m;
    bool have_m;
    csv_dialect d;
    profile pr;
    bool have_pr;
    char mapping_sha[65];
} flow;

static void flow_free(flow *f)
{
    store_close(f->st);
    f->st = NULL;
    free(f->home);
    f->home = NULL;
    if (f->have_m)
        mapping_free(&f->m);
    if (f->have_pr)
        profile_free(&f->pr);
    f->have_m = f->have_pr = false;
}

/* The actor, the home directory and the store (--store, MAPFORGE_STORE, --home, MAPFORGE_HOME,
 * ~/.mapforge). */
static int flow_open(flow *f, const cli_options *o, mf_err *e)
{
    memset(f, 0, sizeof *f);
    f->o = o;
    f->e = e;
    store_actor(o->as, f->actor, sizeof f->actor);
    f->home = store_home_dir(o->home);
    char *where = store_location(o->store, o->home, e);
    if (!where)
        return -1;
    f->st = store_open(where, e);
    free(where);
    return f->st ? 0 : -1;
}

static int flow_profile(flow *f)
{
    if (csv_detect(f->o->data, &f->d, f->e) < 0 || profile_file(f->o->data, &f->d, PROFILE_ROWS, &f->pr, f->e) < 0)
        return -1;
    f->have_pr = true;
    return 0;
}

/* <home>/mappings/<sha of the client name>.json remembers the client's mapping for `run --client`. */
static char *mapping_ref_path(const flow *f, const char *client)
{
    char h[65];
    mf_sha256_hex(client, strlen(client), h);
    size_t n = strlen(f->home) + 100;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/mappings/%.32s.json", f->home, h);
    return p;
}

static int save_mapping_ref(flow *f, const char *client, const char *path, const char *sha)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/mappings", f->home);
    if (make_dir(dir, f->e) < 0)
        return -1;
    char abs[PATH_MAX];
    const char *keep = realpath(path, abs) ? abs : path;
    json_t *j = json_pack("{s:s, s:s, s:s}", "client", client, "path", keep, "sha256", sha);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    char *ref = mapping_ref_path(f, client);
    int rc = text ? mf_write_file_atomic(ref, text, strlen(text), f->e) : 0;
    free(ref);
    free(text);
    return rc;
}

/* Messages for a person: with --yes stdout carries the plan text, so they go to stderr. */
static FILE *say_to(const flow *f)
{
    return f->o->yes ? stderr : stdout;
}

static int note_cache(flow *f, const char *client, const cache_result *cr)
{
    if (cr->hit) {
        fprintf(say_to(f), "mapforge: cache hit: key %.16s (approved plan %.12s, run %lld time%s before)\n", cr->key,
                cr->entry.plan_sha256, cr->entry.execution_count, cr->entry.execution_count == 1 ? "" : "s");
        return review_audit(f->st, f->actor, "cache_hit", client, cr->key, f->e, "key", cr->key, "plan_sha256",
                            cr->entry.plan_sha256, "data", f->o->data, (const char *)NULL);
    }
    fprintf(say_to(f), "mapforge: cache miss: %s\n", cr->reason);
    return review_audit(f->st, f->actor, "cache_miss", client, f->mapping_sha, f->e, "reason", cr->reason, "data",
                        f->o->data, (const char *)NULL);
}

/* Findings recorded on a plan version by a failed validation, as text lines (malloc'd); NULL
 * when there are none. */
static char *plan_findings(flow *f, const char *client, const char *sha)
{
    store_plan_version v;
    memset(&v, 0, sizeof v);
    mf_err ignore = {0};
    char *out = NULL;
    if (store_plan_get(f->st, client, sha, &v, &ignore) == 1 && v.findings && *v.findings) {
        json_error_t je;
        json_t *j = json_loads(v.findings, 0, &je);
        mf_buf b = {0};
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x) {
            const char *chk = json_string_value(json_object_get(x, "check"));
            const char *msg = json_string_value(json_object_get(x, "message"));
            mf_buf_printf(&b, "  FAIL %s: %s\n", chk ? chk : "?", msg ? msg : "");
        }
        json_decref(j);
        out = mf_xstrdup(b.len ? mf_buf_str(&b) : v.findings);
        mf_buf_free(&b);
    }
    store_plan_version_free(&v);
    return out;
}

/* A cache hit whose plan failed validation last time goes back to review. */
static void demote_failed_hit(flow *f, const char *client, cache_result *cr)
{
    if (!cr->hit || !cr->entry.plan_text)
        return;
    char *old = plan_findings(f, client, cr->entry.plan_sha256);
    if (old) {
        free(old);
        cr->hit = 0;
        snprintf(cr->reason, sizeof cr->reason, "the cached plan %.12s failed validation on its last run",
                 cr->entry.plan_sha256);
    }
}

static int record_run(flow *f, store_run *sr, const char *sha, const run_report *rep, int cache_hit)
{
    char counts[160];
    snprintf(counts, sizeof counts, "%lld in, %lld out, %lld rejected, %lld filtered", rep->rows_in, rep->rows_out,
             rep->rows_rejected, rep->rows_filtered);
    if (store_run_add(f->st, sr, f->e) < 0)
        return -1;
    return review_audit(f->st, f->actor, "run", sr->client, sha, f->e, "data", f->o->data, "input_sha256",
                        rep->input_sha256, "rows", counts, "cache_hit", cache_hit ? "true" : "false", "status",
                        sr->status, (const char *)NULL);
}

/* Load the checked output into --db (default sqlite:<home>/warehouse.db). */
static int load(flow *f, const plan *p, const char *client, const char *sha, const run_report *rep, long long run_id)
{
    const cli_options *o = f->o;
    char *url = o->db ? mf_xstrdup(o->db) : load_default_url(f->home);
    if (!o->db && make_dir(f->home, f->e) < 0) {
        free(url);
        return -1;
    }
    load_info li = {.client = client, .input_sha256 = rep->input_sha256};
    load_result lr;
    memset(&lr, 0, sizeof lr);
    int rc = load_output(p, o->out, url, &li, &lr, f->e);
    free(url);
    if (rc < 0)
        return -1;
    char nrows[32];
    snprintf(nrows, sizeof nrows, "%lld", lr.rows_loaded);
    store_load sl = {.run_id = run_id, .client = client, .target = lr.target, .table_name = lr.table,
                     .input_sha256 = rep->input_sha256, .status = "ok", .actor = f->actor,
                     .rows_loaded = lr.rows_loaded, .rows_replaced = lr.rows_replaced};
    if (store_load_add(f->st, &sl, f->e) < 0 ||
        review_audit(f->st, f->actor, "load", client, sha, f->e, "target", lr.target, "table", lr.table, "rows", nrows,
                     (const char *)NULL) < 0)
        return -1;
    fprintf(stderr, "mapforge: loaded %lld rows into %s (table %s)%s\n", lr.rows_loaded, lr.target, lr.table,
            lr.rows_replaced ? ", replacing the earlier load of this file" : "");
    return 0;
}

/* Run an approved text, check the output, load it.  Returns 0, 3 (validation failed, nothing
 * loaded, findings kept with the plan version), 2 (open questions) or CLI_FAILED. */
static int execute(flow *f, const char *client, const char *text, const char *cache_key, int cache_hit)
{
    const cli_options *o = f->o;
    mf_err *e = f->e;
    int rc = CLI_FAILED;
    if (make_dir(o->out, e) < 0)
        return CLI_FAILED;
    char *plan_path = join(o->out, "plan.txt");
    plan p;
    plan_init(&p);
    check_result res;
    check_result_init(&res);
    char *ftext = NULL, *fjson = NULL;
    if (mf_write_file_atomic(plan_path, text, strlen(text), e) < 0 ||
        plan_parse(text, strlen(text), plan_path, &p, e) < 0)
        goto done;
    char sha[65];
    mf_sha256_hex(text, strlen(text), sha);
    if (review_audit(f->st, f->actor, "compile", client, sha, e, "engine", o->engine ? o->engine : "native",
                     (const char *)NULL) < 0)
        goto done;
    run_options opt = {0};
    opt.cache_key = cache_key;
    opt.cache_hit = cache_hit;
    run_report rep;
    memset(&rep, 0, sizeof rep);
    int r = run_checked(&p, text, plan_path, o, &opt, &rep, sha, e);
    store_run sr = {.client = client, .plan_sha256 = sha, .input_path = o->data, .input_sha256 = rep.input_sha256,
                    .cache_key = cache_key, .input_bytes = rep.bytes_in, .rows_in = rep.rows_in,
                    .rows_out = rep.rows_out, .rows_rejected = rep.rows_rejected, .rows_filtered = rep.rows_filtered,
                    .cache_hit = cache_hit, .seconds = rep.seconds_total, .status = "ok", .actor = f->actor};
    if (r != 0) {
        mf_err ignore = {0};
        sr.status = "failed";
        sr.input_sha256 = "";
        (void)store_run_add(f->st, &sr, &ignore);
        if (cache_key)
            (void)store_cache_record_run(f->st, cache_key, 0, &ignore);
        rc = r;
        goto done;
    }
    /* the built-in checks, then the customer's validator */
    check_options copt = {0};
    copt.validator = o->validator ? o->validator : getenv("MAPFORGE_VALIDATOR");
    copt.input_path = o->data;
    if (check_run(&p, o->out, &rep, &copt, &res, e) < 0)
        goto done;
    ftext = check_findings_text(&res);
    fjson = json_dumps(res.findings, JSON_COMPACT);
    sr.status = res.passed ? "ok" : "validation_failed";
    if (record_run(f, &sr, sha, &rep, cache_hit) < 0 ||
        (cache_key && store_cache_record_run(f->st, cache_key, res.passed, e) < 0) ||
        review_audit(f->st, f->actor, "validation", client, sha, e, "status", res.passed ? "pass" : "fail",
                     "findings", fjson, (const char *)NULL) < 0 ||
        store_plan_set_findings(f->st, client, sha, res.passed ? NULL : fjson, e) < 0)
        goto done;
    if (!res.passed) {
        fprintf(stderr,
                "mapforge: validation failed; nothing loaded. Findings (kept with plan %.12s, shown at the next "
                "review):\n%s",
                sha, ftext ? ftext : "");
        rc = 3;
        goto done;
    }
    fprintf(stderr, "mapforge: checks passed%s\n", res.validator_ran ? ", validator passed" : "");
    rc = o->no_load ? 0 : load(f, &p, client, sha, &rep, sr.id) < 0 ? CLI_FAILED : 0;
done:
    free(ftext);
    free(fjson);
    check_result_free(&res);
    plan_free(&p);
    free(plan_path);
    return rc;
}

/* The text the review starts from: the latest version of this mapping when its last run failed
 * validation (its findings come with it), else a fresh draft numbered after the client's last
 * version, recorded as drafted. */
static char *starting_text(flow *f, const char *client, char **findings)
{
    store_plan_version v;
    memset(&v, 0, sizeof v);
    *findings = NULL;
    int got = store_plan_latest(f->st, client, &v, f->e);
    if (got < 0)
        return NULL;
    if (got == 1 && v.findings && *v.findings && !strcmp(v.mapping_sha256, f->mapping_sha)) {
        char *t = mf_xstrdup(v.text);
        *findings = plan_findings(f, client, v.sha256);
        store_plan_version_free(&v);
        return t;
    }
    int next = got == 1 ? v.version + 1 : 1;
    if (got == 1)
        store_plan_version_free(&v);
    draft_options opt = {client, base_name(f->o->data), f->o->output};
    plan p;
    if (plan_draft(&f->m, &f->pr, &opt, &p, f->e) < 0)
        return NULL;
    try_on_sample(&p, f->o->data);
    p.version = next;
    char *text = plan_render(&p);
    plan_free(&p);
    if (review_record_version(f->st, client, f->actor, text, NULL, f->mapping_sha, "plan_drafted", NULL, f->e) < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* --yes: show the text, refuse open questions, approve as the actor.  Returns the approved text. */
static char *approve_unattended(flow *f, const char *client, const char *text, const char *findings, int *rc)
{
    const cli_options *o = f->o;
    char *plan_path = NULL;
    plan p;
    plan_init(&p);
    char *approved = NULL;
    if (write_plan_file(o, text, &plan_path, f->e) < 0 || plan_parse(text, strlen(text), plan_path, &p, f->e) < 0)
        goto done;
    fputs(text, stdout);
    fflush(stdout);
    if (findings)
        fprintf(stderr, "mapforge: this plan failed validation on its last run:\n%s", findings);
    if (plan_has_open_questions(&p)) {
        *rc = refuse_open_questions(&p, plan_path, f->e);
        goto done;
    }
    char sha[65];
    mf_sha256_hex(text, strlen(text), sha);
    const char *comment = o->comment ? o->comment : "approved with --yes";
    if (store_approval_add(f->st, client, sha, "approved", comment, f->actor, f->e) < 0 ||
        review_audit(f->st, f->actor, "approval", client, sha, f->e, "sha256", sha, "comment", comment,
                     (const char *)NULL) < 0)
        goto done;
    approved = mf_xstrdup(text);
done:
    plan_free(&p);
    free(plan_path);
    return approved;
}

/* The review in the terminal.  Returns the approved text, or NULL with *rc set. */
static char *approve_by_review(flow *f, const char *client, const char *text, const char *findings, int *rc)
{
    const cli_options *o = f->o;
    char *plan_path = NULL;
    if (write_plan_file(o, text, &plan_path, f->e) < 0)
        return NULL;
    review_ctx c = {.in = stdin, .out = stdout, .st = f->st, .client = client, .actor = f->actor,
                    .mapping_sha256 = f->mapping_sha, .data_path = o->data, .m = &f->m, .pr = &f->pr,
                    .findings = findings};
    review_result rr;
    char *approved = NULL;
    if (review_run(&c, text, &rr, f->e) < 0) {
        free(plan_path);
        return NULL;
    }
    if (mf_write_file_atomic(plan_path, rr.text, strlen(rr.text), f->e) == 0) {
        if (rr.decision == REVIEW_APPROVED) {
            approved = rr.text;
            rr.text = NULL;
        } else {
            fprintf(stderr, "mapforge: plan %s; nothing ran. The last version is in %s\n",
                    rr.decision == REVIEW_REJECTED ? "rejected" : "not approved", plan_path);
            *rc = 1;
        }
    }
    review_result_free(&rr);
    free(plan_path);
    return approved;
}

int cli_onboard(const cli_options *o, mf_err *e)
{
    if (need(o->client, "--client", "onboard", e) < 0 || need(o->mapping, "--mapping", "onboard", e) < 0 ||
        need(o->data, "--data", "onboard", e) < 0 || need(o->out, "--out", "onboard", e) < 0)
        return CLI_FAILED;
    /* read the inputs before touching the store: a bad file fails the same with or without one */
    mapping m;
    if (mapping_read(o->mapping, &m, e) < 0)
        return CLI_FAILED;
    flow f;
    if (flow_open(&f, o, e) < 0) {
        mapping_free(&m);
        flow_free(&f);
        return CLI_FAILED;
    }
    f.m = m;
    f.have_m = true;
    memcpy(f.mapping_sha, m.sha256, sizeof f.mapping_sha);
    int rc = CLI_FAILED;
    char *text = NULL, *findings = NULL, *approved = NULL;
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    bool have_cr = false;
    if (flow_profile(&f) < 0 || store_client_ensure(f.st, o->client, e) < 0 ||
        save_mapping_ref(&f, o->client, o->mapping, f.mapping_sha) < 0 ||
        cache_lookup(f.st, o->client, f.mapping_sha, &f.pr, &cr, e) < 0)
        goto done;
    have_cr = true;
    demote_failed_hit(&f, o->client, &cr);
    if (note_cache(&f, o->client, &cr) < 0)
        goto done;
    if (cr.hit && cr.entry.plan_text) {
        rc = execute(&f, o->client, cr.entry.plan_text, cr.key, 1);
        goto done;
    }
    text = starting_text(&f, o->client, &findings);
    if (!text)
        goto done;
    approved = o->yes ? approve_unattended(&f, o->client, text, findings, &rc)
                      : approve_by_review(&f, o->client, text, findings, &rc);
    if (!approved)
        goto done;
    /* the approved text is what the cache keeps and what runs */
    char sha[65], key[65];
    mf_sha256_hex(approved, strlen(approved), sha);
    plan ap;
    if (plan_parse(approved, strlen(approved), "plan", &ap, e) < 0)
        goto done;
    int remembered = cache_remember(f.st, o->client, f.mapping_sha, &ap, &f.pr, sha, key, e);
    plan_free(&ap);
    if (remembered < 0)
        goto done;
    rc = execute(&f, o->client, approved, key, 0);
done:
    if (have_cr)
        cache_result_free(&cr);
    free(text);
    free(findings);
    free(approved);
    flow_free(&f);
    return rc;
}

/* The client's mapping as onboard remembered it; its sha is recomputed when the file is still
 * there, so a changed mapping is a miss that says so. */
static int client_mapping(flow *f, const char *client)
{
    char *ref = mapping_ref_path(f, client);
    json_error_t je;
    json_t *j = json_load_file(ref, 0, &je);
    free(ref);
    if (!j)
        return mf_fail(f->e, MF_EUSAGE, NULL, 0, 0,
                       "no mapping is recorded for client %s under %s: onboard it first (mapforge onboard --client "
                       "%s --mapping ... --data ... --out ...)",
                       client, f->home, client);
    const char *path = json_string_value(json_object_get(j, "path"));
    const char *sha = json_string_value(json_object_get(j, "sha256"));
    snprintf(f->mapping_sha, sizeof f->mapping_sha, "%s", sha ? sha : "");
    mf_err ignore = {0};
    if (path && access(path, R_OK) == 0 && mapping_read(path, &f->m, &ignore) == 0) {
        f->have_m = true;
        if (strcmp(f->mapping_sha, f->m.sha256))
            fprintf(stderr, "mapforge: the mapping %s changed since it was onboarded\n", path);
        memcpy(f->mapping_sha, f->m.sha256, sizeof f->mapping_sha);
    }
    json_decref(j);
    return 0;
}

/* mapforge run --client C --data D --out DIR: the cached approved plan, or a miss that says why. */
static int run_client(const cli_options *o, mf_err *e)
{
    if (need(o->data, "--data", "run", e) < 0 || need(o->out, "--out", "run", e) < 0)
        return CLI_FAILED;
    flow f;
    if (flow_open(&f, o, e) < 0) {
        flow_free(&f);
        return CLI_FAILED;
    }
    int rc = CLI_FAILED;
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    bool have_cr = false;
    if (client_mapping(&f, o->client) < 0 || flow_profile(&f) < 0 ||
        cache_lookup(f.st, o->client, f.mapping_sha, &f.pr, &cr, e) < 0)
        goto done;
    have_cr = true;
    demote_failed_hit(&f, o->client, &cr);
    if (note_cache(&f, o->client, &cr) < 0)
        goto done;
    if (!cr.hit || !cr.entry.plan_text) {
        mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                "cache miss (%s): nothing ran; review a plan for this file with: mapforge onboard --client %s "
                "--mapping ... --data %s --out %s",
                cr.reason, o->client, o->data, o->out);
        goto done;
    }
    rc = execute(&f, o->client, cr.entry.plan_text, cr.key, 1);
done:
    if (have_cr)
        cache_result_free(&cr);
    flow_free(&f);
    return rc;
}

int cli_run(const cli_options *o, mf_err *e)
{
    if (!o->plan && o->client)
        return run_client(o, e);
    if (need(o->plan, "--plan", "run", e) < 0 || need(o->data, "--data", "run", e) < 0 ||
        need(o->out, "--out", "run", e) < 0)
        return CLI_FAILED;
    cli_plan_file pf;
    int rc = CLI_FAILED;
    if (cli_plan_file_read(o->plan, &pf, e) == 0)
        rc = run_parsed(&pf.p, pf.text, o->plan, o, e);
    cli_plan_file_free(&pf);
    return rc;
}

int cli_check(const cli_options *o, mf_err *e)
{
    if (need(o->plan, "--plan", "check", e) < 0)
        return CLI_FAILED;
    cli_plan_file pf;
    int rc = CLI_FAILED;
    plan *p = &pf.p;
    if (cli_plan_file_read(o->plan, &pf, e) < 0)
        goto done;
    if (o->data ? check_against_data(p, o->data, o->plan, e) < 0 : plan_check(p, NULL, 0, o->plan, e) < 0)
        goto done;
    printf("%s: plan %s v%d parses and type-checks; sha256 %s\n", o->plan, p->client, p->version, pf.sha256);
    if (plan_has_open_questions(p)) {
        print_questions(p, stdout);
        rc = CLI_EXIT_QUESTIONS;
    } else
        rc = 0;
done:
    cli_plan_file_free(&pf);
    return rc;
}

/* Columns a text takes on a terminal (UTF-8; wide characters count 2, combining marks 0). */
static int display_width(const char *s)
{
    int w = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0) {   /* not UTF-8: a byte is a column */
            w++;
            p++;
            continue;
        }
        w += utf8proc_charwidth(cp);
        p += n;
    }
    return w;
}

static json_t *profile_json(const char *path, const csv_dialect *d, const profile *pr)
{
    json_t *cols = json_array();
    for (int i = 0; i < pr->ncols; i++) {
        const prof_column *c = &pr->col[i];
        json_t *dates = json_array(), *nulls = json_array();
        for (int k = 0; k < c->ndate_formats; k++)
            json_array_append_new(dates, json_string(c->date_formats[k]));
        for (int k = 0; k < c->nnull_tokens; k++)
            json_array_append_new(nulls, json_string(c->null_tokens[k]));
        char th[2] = {c->thousands, 0}, dec[2] = {c->decimal, 0};
        json_array_append_new(
            cols, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:s?, s:s?, s:b, s:b, s:s?, s:i, s:i}", "name",
                            c->name, "kind", prof_kind_name(c->kind), "values", (json_int_t)c->nvalues, "blank",
                            (json_int_t)c->nblank, "null_tokens_seen", (json_int_t)c->nnull_token, "distinct",
                            (json_int_t)c->ndistinct, "date_formats", dates, "null_tokens", nulls, "thousands",
                            c->thousands ? th : NULL, "decimal", c->decimal ? dec : NULL, "negative_in_parentheses",
                            c->paren_negative, "trailing_minus", c->trailing_minus, "currency", c->currency,
                            "max_scale", c->max_scale, "max_chars", c->max_chars));
    }
    return json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:o}", "path", path, "encoding", csv_encoding_name(d->encoding),
                     "delimiter", csv_delimiter_name(d->delimiter), "header_line", (int)d->header_line, "columns",
                     d->ncols, "rows_sampled", (json_int_t)pr->rows_sampled, "profile", cols);
}

int cli_profile(const cli_options *o, mf_err *e)
{
    if (need(o->data, "--data", "profile", e) < 0)
        return CLI_FAILED;
    csv_dialect d;
    profile pr;
    if (csv_detect(o->data, &d, e) < 0 || profile_file(o->data, &d, PROFILE_ROWS, &pr, e) < 0)
        return CLI_FAILED;
    if (o->json) {
        json_t *j = profile_json(o->data, &d, &pr);
        char *t = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        json_decref(j);
        profile_free(&pr);
        if (!t)
            return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write the profile as JSON"), CLI_FAILED;
        printf("%s\n", t);
        free(t);
        return 0;
    }
    printf("%s: %s, %s delimited, header on line %ld, %d columns, %ld rows sampled\n", o->data,
           csv_encoding_name(d.encoding), csv_delimiter_name(d.delimiter), d.header_line, d.ncols, pr.rows_sampled);
    for (int i = 0; i < pr.ncols; i++) {
        const prof_column *c = &pr.col[i];
        int pad = 24 - display_width(c->name);   /* pad by display width: "Währung" lines up */
        printf("  %s%*s %-9s blank %ld/%ld, distinct %ld", c->name, pad > 0 ? pad : 0, "", prof_kind_name(c->kind),
               c->nblank, c->nvalues, c->ndistinct);
        for (int k = 0; k < c->ndate_formats; k++)
            printf("%s%s", k ? " | " : ", dates ", c->date_formats[k]);
        if (c->kind == PK_DECIMAL || c->kind == PK_INTEGER) {
            if (c->thousands)
                printf(", thousands '%c'", c->thousands);
            if (c->decimal)
                printf(", decimal '%c'", c->decimal);
            if (c->paren_negative)
                printf(", negative in parentheses");
            if (c->trailing_minus)
                printf(", trailing minus");
            if (c->currency)
                printf(", currency %s", c->currency);
        }
        printf("\n");
    }
    profile_free(&pr);
    return 0;
}
