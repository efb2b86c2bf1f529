/* commands.c — onboard, plan, run, check, profile: the command line over the workflow stage.
 *
 * The workflow itself — cache lookup, draft, review session, approval, run, check, load, record —
 * is flow/ (flow/flow.h); these commands pass the options to it and render what it returns: stdout
 * carries what was asked for (the plan text, the terminal review), the workflow's messages (its
 * sink: cache hit or miss, what ran, what was loaded) and the diagnostics go to stderr.
 * `run --plan` stays a plain run of a plan file.
 */
#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/review.h"
#include "flow/flow.h"
#include "flow/suggest.h"
#include "llm/llm.h"
#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/csv.h"
#include "read/profile.h"
#include "util/afile.h"
#include "util/buf.h"
#include "write/spark.h"

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

/* The progress display of onboard and run on stderr (cli/progress.h, the one batch uses): live on a
 * terminal, one line per phase with --progress plain, else none. */
static cli_progress g_progress;
static const char *g_progress_name = "run";
static char g_progress_phase[16];

static int progress_setup(const cli_options *o, const char *name, mf_err *e)
{
    cli_progress_mode mode;
    if (cli_progress_mode_of(o->progress, stderr, CLI_PROGRESS_NONE, &mode, e) < 0)
        return -1;
    cli_progress_init(&g_progress, stderr, mode);
    g_progress_name = name ? name : "run";
    g_progress_phase[0] = '\0';
    return 0;
}

static void show_progress(void *user, const flow_progress *p)
{
    (void)user;
    char line[512];
    cli_progress_entry_line(line, sizeof line, g_progress_name, p, p->elapsed);
    if (g_progress.mode == CLI_PROGRESS_LIVE) {
        const char *lines[1] = {line};
        cli_progress_draw(&g_progress, lines, 1, false);
    } else if (g_progress.mode == CLI_PROGRESS_PLAIN && p->phase && strcmp(p->phase, g_progress_phase)) {
        snprintf(g_progress_phase, sizeof g_progress_phase, "%s", p->phase);
        char plain[600];
        snprintf(plain, sizeof plain, "mapforge: progress:%s", line + 1);
        cli_progress_print(&g_progress, plain);
    }
}

/* The workflow's messages: "mapforge: MESSAGE" on the stream given (the live display, when it is
 * on that stream, is taken off first and comes back with the next progress report). */
static void say(void *user, flow_level level, const char *msg)
{
    (void)level;
    FILE *f = user;
    if (f == g_progress.f)
        cli_progress_clear(&g_progress);
    fprintf(f, "mapforge: %s\n", msg);
    fflush(f);
}

/* The language model for drafts (--config, HOME/config, the environment): NULL when none is
 * configured, or when its settings are wrong — said, not fatal: the questions stay questions. */
static const llm_config *llm_of(const cli_options *o)
{
    static llm_config cfg;
    mf_err e = {0};
    if (llm_config_load(o->config, o->home, &cfg, &e) < 0) {
        char msg[1200];
        mf_err_format(&e, msg, sizeof msg);
        fprintf(stderr, "mapforge: the language model is not used: %s\n", msg);
        return NULL;
    }
    return cfg.provider == LLM_NONE ? NULL : &cfg;
}

/* The store, the actor and the message sink for a command. */
static int env_open(flow_env *env, const cli_options *o, FILE *messages, mf_err *e)
{
    static char actor[128];
    if (flow_env_open(env, o->store, o->home, e) < 0)
        return -1;
    store_actor(o->as, actor, sizeof actor);
    env->actor = actor;
    env->sink = say;
    env->sink_user = messages;
    env->four_eyes = o->four_eyes != 0;
    env->llm = llm_of(o);
    return 0;
}

store *cli_open_store(const cli_options *o, mf_err *e)
{
    char *where = store_location(o->store, o->home, e);
    if (!where)
        return NULL;
    store *s = store_open(where, e);
    free(where);
    return s;
}

int cli_load_streams(const cli_options *o, mf_err *e)
{
    if (!o->load_streams)
        return 1;
    char *end;
    long n = strtol(o->load_streams, &end, 10);
    if (*end || n < 1 || n > 64)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--load-streams %s: expected a number from 1 to 64", o->load_streams);
    return (int)n;
}

static flow_run_options run_options_of(const cli_options *o)
{
    flow_run_options r = {0};
    r.data_path = o->data;
    r.out_dir = o->out;
    r.engine = o->engine;
    r.spark_master = o->spark_master;
    r.livy_url = o->livy;
    r.spark_stage = o->spark_stage;
    r.spark_stage_uri = o->spark_stage_uri;
    r.spark_output = o->spark_output;
    r.sample_path = o->sample;
    r.validator = o->validator;
    r.db = o->db;
    mf_err ignore = {0};
    r.load_streams = cli_load_streams(o, &ignore);   /* checked by the command first */
    r.no_load = o->no_load != 0;
    r.no_parquet = o->no_parquet != 0;
    if (g_progress.mode != CLI_PROGRESS_NONE)
        r.progress = show_progress;
    return r;
}

/* A model's suggestion under its question: never applied here (--yes does not accept it). */
static void print_suggestion(FILE *f, const plan *p, int n)
{
    const plan_suggestion *g = flow_suggestion_for(p, n);
    if (!g)
        return;
    fprintf(f, "     suggested by %s (confidence %d%%, not applied): %s = %s%s%s\n", g->by, g->confidence, g->column,
            g->expr, g->prov.text ? " — " : "", g->prov.text ? g->prov.text : "");
    fprintf(f, "     to take it: `/accept %d` in the review (onboard without --yes), or write it in place of the ? "
               "and delete the suggestion line\n", n);
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
        print_suggestion(f, p, n);
    }
    for (int i = 0; i < p->ncols; i++) {
        const plan_column *c = &p->cols[i];
        bool asked = false;
        for (int k = 0; k < p->nquestions && !asked; k++)
            asked = p->questions[k].column && !strcmp(p->questions[k].column, c->name);
        if (!asked && plan_expr_has_hole(c->expr)) {
            fprintf(f, "  %d. %s: its expression still contains ?; what should %s contain?\n", ++n, c->name, c->name);
            print_suggestion(f, p, n);
        }
    }
    /* a suggestion left beside a column that was answered by hand */
    for (int k = 0; k < p->nsuggestions; k++) {
        const plan_suggestion *g = &p->suggestions[k];
        bool open = false;
        for (int i = 0; i < p->ncols && !open; i++)
            open = !strcmp(p->cols[i].name, g->column) && plan_expr_has_hole(p->cols[i].expr);
        for (int i = 0; i < p->nquestions && !open; i++)
            open = p->questions[i].column && !strcmp(p->questions[i].column, g->column);
        if (!open)
            fprintf(f, "  %d. %s: a model's suggestion is still in the plan (%s); delete its line, or put it in "
                       "place of the column's expression and delete the line\n", ++n, g->column, g->expr);
    }
    for (int i = 0; i < p->nrules; i++)
        if (plan_expr_has_hole(p->rules[i].cond))
            fprintf(f, "  %d. %s rule %d: its condition still contains ?\n", ++n,
                    p->rules[i].kind == PR_SKIP ? "skip" : p->rules[i].kind == PR_CHECK ? "check" : "reject", i + 1);
    return n;
}

/* A plan that still has holes or questions cannot run unattended: the questions go to stderr with
 * the other diagnostics, and the command to run it once answered names the real paths. */
static int refuse_open_questions(const plan *p, const char *plan_path, const cli_options *o, mf_err *e)
{
    int n = print_questions(p, stderr);
    char qp[1100], qd[1100], qo[1100];
    mf_err_clear(e);
    mf_fail(e, MF_EQUESTION, NULL, 0, 0,
            "the plan has %d open question%s; nothing ran. Answer %s in %s (replace each ? with an expression) "
            "and run it with: mapforge run --plan %s --data %s --out %s",
            n, n == 1 ? "" : "s", n == 1 ? "it" : "them", plan_path, mf_shq(plan_path, qp, sizeof qp),
            o->data ? mf_shq(o->data, qd, sizeof qd) : "...", o->out ? mf_shq(o->out, qo, sizeof qo) : "...");
    return CLI_FAILED;
}

static char *out_file(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* DIR/plan.txt (DIR created when absent). */
static int write_plan_file(const char *dir, const char *text, char **plan_path, mf_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
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
    *plan_path = out_file(dir, "plan.txt");
    if (mf_write_file_atomic(*plan_path, text, strlen(text), e) < 0) {
        free(*plan_path);
        *plan_path = NULL;
        return -1;
    }
    return 0;
}

int cli_plan(const cli_options *o, mf_err *e)
{
    if (need(o->client, "--client", "plan", e) < 0 || need(o->mapping, "--mapping", "plan", e) < 0 ||
        need(o->data, "--data", "plan", e) < 0 || need(o->out, "--out", "plan", e) < 0)
        return CLI_FAILED;
    flow_env env = {0};
    /* with a model configured, its calls are recorded in the store (and the day budget counted there) */
    const llm_config *llm = llm_of(o);
    if (llm && env_open(&env, o, stderr, e) < 0) {
        flow_env_close(&env);
        return CLI_FAILED;
    }
    env.sink = say;
    env.sink_user = stderr;
    env.llm = llm;
    if (!env.actor) {
        static char actor[128];
        store_actor(o->as, actor, sizeof actor);
        env.actor = actor;
    }
    flow_input in = {o->client, o->mapping, o->data, o->output, false, NULL};
    char *text = flow_draft_text(&env, &in, e);
    flow_env_close(&env);
    if (!text)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = write_plan_file(o->out, text, &plan_path, e);
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

/* ---- the workflow: onboard and run --client ------------------------------------------------------ */

static int run_command(const cli_options *o, mf_err *e);

/* A run's exit code: 0 done, 3 validation failed (nothing loaded), CLI_FAILED (2 via MF_EQUESTION). */
static int run_exit(int rc)
{
    return rc < 0 ? CLI_FAILED : rc == 1 ? 3 : 0;
}

/* --yes: show the current version, refuse open questions, approve as the actor. */
static int approve_unattended(const flow_env *env, long long id, const cli_options *o, mf_err *e)
{
    flow_version v;
    if (flow_review_current(env, id, &v, e) < 0)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = CLI_FAILED;
    if (write_plan_file(o->out, v.text, &plan_path, e) < 0)
        goto done;
    fputs(v.text, stdout);
    fflush(stdout);
    if (v.findings)
        fprintf(stderr, "mapforge: this plan failed validation on its last run:\n%s", v.findings);
    char *questions = NULL;
    if (flow_approve_unattended(env, id, o->comment ? o->comment : "approved with --yes", &questions, e) < 0) {
        free(questions);
        if (e->code == MF_EQUESTION) {
            plan p;
            mf_err pe = {0};
            if (plan_parse(v.text, strlen(v.text), plan_path, &p, &pe) == 0) {
                refuse_open_questions(&p, plan_path, o, e);
                plan_free(&p);
            }
        }
        goto done;
    }
    rc = 0;
done:
    free(plan_path);
    flow_version_free(&v);
    return rc;
}

/* The review in the terminal: 0 approved, 1 rejected or left open, CLI_FAILED. */
static int approve_by_review(const flow_env *env, long long id, const cli_options *o, mf_err *e)
{
    review_ctx c = {.in = stdin, .out = stdout, .env = env, .review_id = id};
    review_decision d;
    if (review_run(&c, &d, e) < 0)
        return CLI_FAILED;
    /* OUT/plan.txt: the last version, approved or not */
    flow_version v;
    if (flow_review_current(env, id, &v, e) < 0)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = write_plan_file(o->out, v.text, &plan_path, e) < 0 ? CLI_FAILED : 0;
    if (rc == 0 && d != REVIEW_APPROVED) {
        fprintf(stderr, "mapforge: plan %s; nothing ran. The last version is in %s%s\n",
                d == REVIEW_REJECTED ? "rejected" : "not approved", plan_path,
                d == REVIEW_QUIT ? " (the review stays open: run the same onboard again to resume it)" : "");
        rc = 1;
    }
    free(plan_path);
    flow_version_free(&v);
    return rc;
}

int cli_onboard(const cli_options *o, mf_err *e)
{
    if (need(o->client, "--client", "onboard", e) < 0 || need(o->mapping, "--mapping", "onboard", e) < 0 ||
        need(o->data, "--data", "onboard", e) < 0 || need(o->out, "--out", "onboard", e) < 0 ||
        cli_load_streams(o, e) < 0)
        return CLI_FAILED;
    if (progress_setup(o, o->client, e) < 0)
        return CLI_FAILED;
    /* read the mapping before touching the store: a bad file fails the same with or without one */
    mapping m;
    if (mapping_read(o->mapping, &m, e) < 0)
        return CLI_FAILED;
    mapping_free(&m);
    flow_env env;
    if (env_open(&env, o, stderr, e) < 0) {
        flow_env_close(&env);
        return CLI_FAILED;
    }
    /* a URI is read by Spark only: the draft and the cache key come from its local --sample */
    const char *draft_data = spark_is_uri(o->data) ? o->sample : o->data;
    if (!draft_data) {
        flow_env_close(&env);
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "--data %s is a URI: onboard drafts the plan from the file's header and rows, and mapforge "
                       "reads only local files: give --sample FILE, a local copy of its first rows (e.g. hdfs dfs "
                       "-cat URI | head -2000 > sample.csv)", o->data);
    }
    flow_run_options early = run_options_of(o);
    if (flow_remote_refusals(&early, true, e) < 0) {   /* before a plan is drafted for nothing */
        flow_env_close(&env);
        return CLI_FAILED;
    }
    flow_input in = {o->client, o->mapping, draft_data, o->output, false,
                     draft_data == o->data ? NULL : strrchr(o->data, '/') ? strrchr(o->data, '/') + 1 : o->data};
    flow_begin_result br;
    int rc = CLI_FAILED;
    flow_run_options ro = run_options_of(o);
    flow_run_result rr;
    memset(&rr, 0, sizeof rr);
    if (flow_begin(&env, &in, &br, e) < 0)
        goto done;
    if (br.kind == FLOW_BEGIN_CACHE_HIT) {
        rc = run_exit(flow_run_text(&env, o->client, br.plan_text, br.cache_key, 1, &ro, &rr, e));
        goto done;
    }
    rc = o->yes ? approve_unattended(&env, br.review_id, o, e) : approve_by_review(&env, br.review_id, o, e);
    if (rc != 0)
        goto done;
    rc = run_exit(flow_run_review(&env, br.review_id, &ro, &rr, e));
done:
    cli_progress_clear(&g_progress);
    flow_run_result_free(&rr);
    flow_begin_result_free(&br);
    flow_env_close(&env);
    return rc;
}

int cli_run(const cli_options *o, mf_err *e)
{
    if (cli_load_streams(o, e) < 0)
        return CLI_FAILED;
    if (progress_setup(o, o->client, e) < 0)
        return CLI_FAILED;
    int rc = run_command(o, e);
    cli_progress_clear(&g_progress);
    return rc;
}

static int run_command(const cli_options *o, mf_err *e)
{
    if (!o->plan && o->client) {
        if (need(o->data, "--data", "run", e) < 0 || need(o->out, "--out", "run", e) < 0)
            return CLI_FAILED;
        flow_env env;
        if (env_open(&env, o, stderr, e) < 0) {
            flow_env_close(&env);
            return CLI_FAILED;
        }
        flow_run_options ro = run_options_of(o);
        flow_run_result rr;
        int rc = run_exit(flow_run_client(&env, o->client, &ro, &rr, e));
        if (rc == CLI_FAILED && e->code == MF_EREVIEW) {   /* the command that would review one, quoted */
            char qc[300], qm[1100], qd[1100], qo[1100];
            mf_err_clear(e);
            mf_fail(e, MF_EREVIEW, NULL, 0, 0,
                    "cache miss (%s): nothing ran; review a plan for this file with: mapforge onboard --client %s "
                    "--mapping %s --data %s --out %s",
                    rr.miss_reason, mf_shq(o->client, qc, sizeof qc),
                    rr.mapping_path ? mf_shq(rr.mapping_path, qm, sizeof qm) : "...",
                    mf_shq(o->data, qd, sizeof qd), mf_shq(o->out, qo, sizeof qo));
        }
        flow_run_result_free(&rr);
        flow_env_close(&env);
        return rc;
    }
    if (need(o->plan, "--plan", "run", e) < 0 || need(o->data, "--data", "run", e) < 0 ||
        need(o->out, "--out", "run", e) < 0)
        return CLI_FAILED;
    cli_plan_file pf;
    int rc = CLI_FAILED;
    flow_env env = {0};
    if (cli_plan_file_read(o->plan, &pf, e) == 0) {
        /* with --client the run goes into the client's history; without, no store is opened */
        if (o->client ? env_open(&env, o, stderr, e) == 0 : (env.sink = say, env.sink_user = stderr, true)) {
            flow_run_options ro = run_options_of(o);
            flow_run_result rr;
            int r = flow_run_file(&env, o->client, &pf.p, pf.text, o->plan, &ro, &rr, e);
            flow_run_result_free(&rr);
            if (r >= 0)
                rc = run_exit(r);
            else if (e->code == MF_EQUESTION)
                rc = refuse_open_questions(&pf.p, o->plan, o, e);
        }
        if (o->client)
            flow_env_close(&env);
    }
    cli_plan_file_free(&pf);
    return rc;
}

/* mapforge approve --plan FILE --client C --data D [--comment TEXT]: a person approves a plan file. */
int cli_approve(const cli_options *o, mf_err *e)
{
    if (need(o->plan, "--plan", "approve", e) < 0 || need(o->client, "--client", "approve", e) < 0 ||
        need(o->data, "--data", "approve", e) < 0)
        return CLI_FAILED;
    flow_env env;
    if (env_open(&env, o, stderr, e) < 0) {
        flow_env_close(&env);
        return CLI_FAILED;
    }
    int v = 0;
    char sha[65];
    int rc = flow_approve_file(&env, o->client, o->plan, o->data, o->comment, &v, sha, e) < 0 ? CLI_FAILED : 0;
    if (rc == 0)
        printf("approved %s v%d %s\n", o->client, v, sha);
    flow_env_close(&env);
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
    if (o->data ? flow_check_plan_data(p, o->data, o->plan, e) < 0 : plan_check(p, NULL, 0, o->plan, e) < 0)
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
