/* test_flow.c — the workflow stage's own checks: a draft tried on the first rows of its data file
 * (flow/sample.c), and the workflow API (flow/flow.h) on a SQLite store and, when MAPFORGE_TEST_PG
 * is set, on a fresh PostgreSQL database: a review reopened instead of drafted again, no duplicate
 * versions, decisions and their states, the four-eyes refusal, a run with progress and run states,
 * the conversation and provenance; and an older store (runs without states) migrated on open.
 * The sample checks' plans are written in the plan language, so they do not depend on how the
 * planner phrases a reading. */
#include "check.h"

#include "flow/flow.h"
#include "flow/sample.h"
#include "plan/plan.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/mapforge-test-flow-XXXXXX";

static const char *write_data(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static const char *HEAD = "plan T v1\nsource \"d.csv\": csv, delimiter \",\", quote \"\\\"\", encoding UTF-8, "
                          "header on line 1\noutput OUT\n\n";

/* Parse HEAD + body, run the sample check on data; returns questions added (-2 = parse failure). */
static int try_plan(const char *body, const char *data, plan *p)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", HEAD, body);
    mf_err e = {0};
    if (plan_parse(text, strlen(text), "t.plan", p, &e) < 0) {
        fprintf(stderr, "parse: %s\n", e.msg);
        return -2;
    }
    int n = flow_check_on_sample(p, data, &e);
    if (n < 0)
        fprintf(stderr, "check: %s\n", e.msg);
    return n;
}

static void misreading_becomes_question(void)
{
    const char *data = write_data("dates.csv", "Name,Birth Date\nann,1980-01-02\nbob,1975-12-31\ncy,2001-07-04\n");
    plan p;
    int n = try_plan("NAME  text  = [Name]\nBIRTH_YEAR  integer  = [Birth Date] read as integer  # row 3: Take year "
                     "from birthdate\n",
                     data, &p);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(p.cols[1].expr->kind == PE_HOLE);
        CHECK(p.cols[0].expr->kind == PE_SOURCE);
        CHECK_INT(p.nquestions, 1);
        CHECK_STR(p.questions[0].column, "BIRTH_YEAR");
        CHECK_INT(p.questions[0].row, 3);
        CHECK(strstr(p.questions[0].text, "rejects 3 of the 3") != NULL);
        CHECK(strstr(p.questions[0].text, "[Birth Date] read as integer") != NULL);
        CHECK(plan_has_open_questions(&p));
    }
    plan_free(&p);
}

/* A bad column hides the columns after it: both are found, in rounds. */
static void masked_column_found_in_a_later_round(void)
{
    const char *data = write_data("two.csv", "A,B\nx,y\nx2,y2\nx3,y3\n");
    plan p;
    int n = try_plan("N1  integer  = [A] read as integer\nN2  date  = [B] read as ISO date\n", data, &p);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(p.cols[0].expr->kind == PE_HOLE);
        CHECK(p.cols[1].expr->kind == PE_HOLE);
    }
    plan_free(&p);
}

/* A column that is already a question (a required hole) neither rejects the rows nor hides the
 * columns after it, and is not asked about again. */
static void hole_does_not_hide_later_columns(void)
{
    const char *data = write_data("hole.csv", "A,B\nx,1\ny,2\nz,3\n");
    plan p;
    int n = try_plan("FIRST  text required  = ?  # row 2: apply the usual logic\nN  date  = [B] read as ISO date\n"
                     "question about FIRST (row 2): \"What should FIRST contain?\"\n", data, &p);
    CHECK_INT(n, 1);
    CHECK_INT(p.nquestions, 2);
    if (p.nquestions == 2) {
        CHECK_STR(p.questions[1].column, "N");
        CHECK(p.cols[1].expr->kind == PE_HOLE);
    }
    plan_free(&p);
}

/* A few bad records are data, not a misreading: no question. */
static void few_rejects_are_data(void)
{
    const char *data = write_data("amounts.csv", "Amt\n1.50\n2.00\nabc\n4.25\n");
    plan p;
    int n = try_plan("AMOUNT  decimal(10,2)  = [Amt] read as number\n", data, &p);
    CHECK_INT(n, 0);
    if (n == 0)
        CHECK(p.cols[0].expr->kind == PE_STEP);
    CHECK_INT(p.nquestions, 0);
    plan_free(&p);
}

static void filters_that_skip_everything(void)
{
    const char *data = write_data("status.csv", "Status,Ref\nPAID,1\nHELD,2\nPAID,3\n");
    plan p;
    int n = try_plan("REF  text  = [Ref]\nskip rows where [Status] is not \"VOID\"  # row 4: exclude void\n", data, &p);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK(p.questions[0].column == NULL);
        CHECK_INT(p.questions[0].row, 4);
        CHECK(strstr(p.questions[0].text, "skip all 3") != NULL);
    }
    plan_free(&p);
    n = try_plan("REF  text  = [Ref]\nskip rows where [Status] is \"HELD\"\n", data, &p);
    CHECK_INT(n, 0);
    plan_free(&p);
}

static void missing_file_is_an_error(void)
{
    plan p;
    char path[600];
    snprintf(path, sizeof path, "%s/absent.csv", dir);
    int n = try_plan("REF  text  = [Ref]\n", path, &p);
    CHECK_INT(n, -1);
    plan_free(&p);
}


/* ---- the workflow API ---------------------------------------------------------------------------- */

static char msgs[8192];

static void sink(void *user, flow_level level, const char *m)
{
    (void)user;
    (void)level;
    size_t n = strlen(msgs);
    snprintf(msgs + n, sizeof msgs - n, "%s\n", m);
}

typedef struct progress_seen {
    int calls;
    long long last_rows;
    bool saw_check;
} progress_seen;

static void on_progress(void *user, const flow_progress *p)
{
    progress_seen *s = user;
    s->calls++;
    if (!strcmp(p->phase, "run"))
        s->last_rows = p->rows;
    if (!strcmp(p->phase, "check"))
        s->saw_check = true;
}

static int count_versions(store *st, const char *client)
{
    store_plan_version *v;
    int n = 0;
    mf_err e = {0};
    if (store_plan_list(st, client, &v, &n, &e) < 0)
        return -1;
    store_plan_versions_free(v, n);
    return n;
}

static int count_events(store *st, const char *event)
{
    store_audit_event *ev;
    int n = 0, k = 0;
    mf_err e = {0};
    if (store_audit_list(st, NULL, &ev, &n, &e) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        k += !strcmp(ev[i].event, event);
    store_audit_events_free(ev, n);
    return k;
}

static void api_suite(const char *where, const char *label)
{
    fprintf(stderr, "test_flow: the workflow API on %s\n", label);
    const char *mapping = write_data("pay_mapping.csv",
                                     "Target table: PAYMENTS\nSource Field,Target Field,Type,Rule,Mandatory\n"
                                     "Ref,REF,Varchar(10),As is,Y\nAmount,AMOUNT,\"Decimal(18,2)\",As is,Y\n"
                                     "Fee,FEE,\"Decimal(18,2)\",Apply the standard fee logic,N\n");
    char mpath[600];
    snprintf(mpath, sizeof mpath, "%s", mapping);
    const char *data = write_data("pay.csv", "Ref,Amount,Fee\nA1,10.00,1.00\nA2,20.50,2.00\nA3,5.25,0.50\n");
    char dpath[600];
    snprintf(dpath, sizeof dpath, "%s", data);
    char home[600], out[600], db[700];
    snprintf(home, sizeof home, "%s/home-%s", dir, label);
    snprintf(out, sizeof out, "%s/out-%s", dir, label);
    snprintf(db, sizeof db, "sqlite:%s/wh-%s.db", dir, label);
    mf_err e = {0};
    flow_env env;
    msgs[0] = '\0';
    if (flow_env_open(&env, !strcmp(label, "sqlite") ? NULL : where, home, &e) < 0) {
        fprintf(stderr, "open: %s\n", e.msg);
        check_failures++;
        flow_env_close(&env);
        return;
    }
    env.actor = "alice";
    env.sink = sink;
    flow_input in = {"PAY", mpath, dpath, NULL, false, NULL};

    /* a miss opens a new review; opening again resumes it and drafts nothing */
    flow_begin_result br;
    CHECK_INT(flow_begin(&env, &in, &br, &e), 0);
    CHECK_INT(br.kind, FLOW_BEGIN_NEW);
    CHECK(strstr(br.miss_reason, "no cached plan") != NULL);
    long long id = br.review_id;
    flow_begin_result_free(&br);
    CHECK_INT(count_versions(env.st, "PAY"), 1);
    CHECK_INT(flow_begin(&env, &in, &br, &e), 0);
    CHECK_INT(br.kind, FLOW_BEGIN_RESUMED);
    CHECK_INT(br.review_id, id);
    flow_begin_result_free(&br);
    long long id2 = 0;
    bool resumed = false;
    CHECK_INT(flow_review_open(&env, &in, &id2, &resumed, &e), 0);
    CHECK(resumed);
    CHECK_INT(id2, id);
    CHECK_INT(count_versions(env.st, "PAY"), 1);
    CHECK(strstr(msgs, "resuming review") != NULL);

    flow_review r;
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_DRAFTED);
    CHECK_STR(r.opened_by, "alice");
    CHECK_STR(r.author, "");
    flow_review_free(&r);
    CHECK_INT(flow_review_seen(&env, id, &e), 0);
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_IN_REVIEW);
    flow_review_free(&r);

    /* the draft asks about FEE: approval is refused while it is open */
    flow_version v;
    CHECK_INT(flow_review_current(&env, id, &v, &e), 0);
    CHECK_INT(v.nquestions, 1);
    CHECK(v.nquestions == 1 && v.questions[0].column && !strcmp(v.questions[0].column, "FEE"));
    flow_version_free(&v);
    mf_err_clear(&e);
    CHECK_INT(flow_approve(&env, id, "looks fine", &e), -1);
    CHECK_INT(e.code, MF_EREFUSED);
    mf_err_clear(&e);

    /* feedback: a new version, authored by bob */
    env.actor = "bob";
    flow_round rd;
    CHECK_INT(flow_feedback(&env, id, "reject rows where Ref is empty", &rd, &e), 0);
    CHECK_INT(rd.applied, 1);
    CHECK_INT(rd.duplicate, 0);
    CHECK_INT(rd.version, 2);
    CHECK(rd.diff && strstr(rd.diff, "+reject rows where") != NULL);
    flow_round_free(&rd);
    CHECK_INT(count_versions(env.st, "PAY"), 2);
    /* feedback nobody can read makes no version */
    CHECK_INT(flow_feedback(&env, id, "make it sparkle", &rd, &e), 0);
    CHECK_INT(rd.applied, 0);
    CHECK(rd.not_understood && *rd.not_understood);
    flow_round_free(&rd);
    CHECK_INT(count_versions(env.st, "PAY"), 2);

    /* alice answers the question: the version is hers */
    env.actor = "alice";
    CHECK_INT(flow_answer(&env, id, 1, "[Fee]", &rd, &e), 0);
    if (!rd.applied)
        fprintf(stderr, "answer not applied: %s / %s (%s)\n", rd.understood, rd.not_understood, e.msg);
    CHECK_INT(rd.applied, 1);
    CHECK_INT(rd.version, 3);
    flow_round_free(&rd);
    CHECK_INT(flow_review_current(&env, id, &v, &e), 0);
    CHECK_INT(v.nquestions, 0);
    CHECK_STR(v.how, "answer");
    CHECK_STR(v.author, "alice");
    bool fee_by_alice = false, amount_drafted = false;
    for (int i = 0; i < v.nprov; i++) {
        if (!strcmp(v.prov[i].column, "FEE"))
            fee_by_alice = !strcmp(v.prov[i].author, "alice") && !strcmp(v.prov[i].how, "answer");
        if (!strcmp(v.prov[i].column, "AMOUNT"))
            amount_drafted = !strcmp(v.prov[i].how, "drafted") && v.prov[i].row > 0;
    }
    CHECK(fee_by_alice);
    CHECK(amount_drafted);
    flow_version_free(&v);

    /* four-eyes: alice wrote the current version, so she cannot approve it; bob can */
    env.four_eyes = true;
    int refused_before = count_events(env.st, "approval_refused");
    CHECK_INT(flow_approve(&env, id, "mine", &e), -1);
    CHECK_INT(e.code, MF_EREFUSED);
    CHECK(strstr(e.msg, "four-eyes") != NULL);
    mf_err_clear(&e);
    CHECK_INT(count_events(env.st, "approval_refused"), refused_before + 1);
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_IN_REVIEW);
    flow_review_free(&r);
    env.actor = "bob";
    CHECK_INT(flow_approve(&env, id, "checked with finance", &e), 0);
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_APPROVED);
    CHECK_STR(r.decided_by, "bob");
    CHECK_STR(r.comment, "checked with finance");
    flow_review_free(&r);
    /* a decided review takes no more decisions or feedback */
    CHECK_INT(flow_approve(&env, id, NULL, &e), -1);
    CHECK_INT(e.code, MF_ECONFLICT);
    mf_err_clear(&e);
    CHECK_INT(flow_reject(&env, id, "too late", &e), -1);
    CHECK_INT(e.code, MF_ECONFLICT);
    mf_err_clear(&e);
    CHECK_INT(flow_feedback(&env, id, "make AMOUNT required", &rd, &e), -1);
    CHECK_INT(e.code, MF_ECONFLICT);
    flow_round_free(&rd);
    mf_err_clear(&e);

    /* the conversation, in order */
    flow_turn *t;
    int nt = 0;
    CHECK_INT(flow_review_conversation(&env, id, &t, &nt, &e), 0);
    const char *kinds[] = {"drafted", "resumed", "resumed", "feedback", "feedback", "answer", "approval"};
    CHECK_INT(nt, 7);
    for (int i = 0; i < nt && i < 7; i++)
        CHECK_STR(t[i].kind, kinds[i]);
    flow_turns_free(t, nt);

    /* run it: progress, run states, the review follows */
    progress_seen ps = {0};
    flow_run_options ro = {0};
    ro.out_dir = out;
    ro.db = db;
    ro.no_parquet = true;
    ro.progress = on_progress;
    ro.progress_user = &ps;
    flow_run_result rr;
    CHECK_INT(flow_run_review(&env, id, &ro, &rr, &e), 0);
    if (e.code)
        fprintf(stderr, "run: %s\n", e.msg);
    CHECK_INT(rr.state, FLOW_LOADED);
    CHECK_INT(rr.rep.rows_in, 3);
    CHECK_INT(rr.rows_loaded, 3);
    CHECK(ps.calls >= 2);
    CHECK_INT(ps.last_rows, 3);
    CHECK(ps.saw_check);
    long long run_id = rr.run_id;
    flow_run_result_free(&rr);
    flow_run_info ri;
    CHECK_INT(flow_run_get(&env, run_id, &ri, &e), 1);
    CHECK_INT(ri.state, FLOW_LOADED);
    CHECK_INT(ri.review_id, id);
    CHECK_STR(ri.status, "ok");
    flow_run_info_free(&ri);
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_LOADED);
    CHECK_INT(r.last_run_id, run_id);
    flow_review_free(&r);
    flow_run_info *runs;
    int nr = 0;
    CHECK_INT(flow_run_list(&env, "PAY", &runs, &nr, &e), 0);
    CHECK_INT(nr, 1);
    flow_run_infos_free(runs, nr);
    flow_review *all;
    int na = 0;
    CHECK_INT(flow_review_list(&env, "PAY", FLOW_NONE, &all, &na, &e), 0);
    CHECK_INT(na, 1);
    flow_reviews_free(all, na);

    /* the approved plan is cached: onboarding the same data again is a hit */
    CHECK_INT(flow_begin(&env, &in, &br, &e), 0);
    CHECK_INT(br.kind, FLOW_BEGIN_CACHE_HIT);
    /* a run of the cached plan is linked to the review that approved it, which follows it */
    ro.progress = NULL;
    ro.no_load = true;
    ro.data_path = dpath;
    CHECK_INT(flow_run_text(&env, "PAY", br.plan_text ? br.plan_text : "", br.cache_key, 1, &ro, &rr, &e), 0);
    CHECK_INT(rr.state, FLOW_CHECKED);
    long long hit_run = rr.run_id;
    flow_run_result_free(&rr);
    flow_begin_result_free(&br);
    CHECK_INT(flow_run_get(&env, hit_run, &ri, &e), 1);
    CHECK_INT(ri.review_id, id);
    CHECK_INT(ri.cache_hit, 1);
    CHECK_INT(ri.state, FLOW_CHECKED);
    flow_run_info_free(&ri);
    CHECK_INT(flow_review_get(&env, id, &r, &e), 1);
    CHECK_INT(r.state, FLOW_CHECKED);
    CHECK_INT(r.last_run_id, hit_run);
    flow_review_free(&r);

    /* quit keeps a review open; reject closes it; the next review reuses the identical draft */
    flow_input in2 = {"QUIT", mpath, dpath, NULL, false, NULL};
    CHECK_INT(flow_review_open(&env, &in2, &id2, &resumed, &e), 0);
    CHECK(!resumed);
    CHECK_INT(flow_quit(&env, id2, &e), 0);
    CHECK_INT(flow_review_find_open(&env, "QUIT", NULL, &r, &e), 0);   /* NULL sha: no match */
    flow_review_free(&r);
    CHECK_INT(flow_review_get(&env, id2, &r, &e), 1);
    CHECK(flow_state_is_open(r.state));
    char msha[65];
    memcpy(msha, r.mapping_sha256, sizeof msha);
    flow_review_free(&r);
    CHECK_INT(flow_review_find_open(&env, "QUIT", msha, &r, &e), 1);
    CHECK_INT(r.id, id2);
    flow_review_free(&r);
    CHECK_INT(flow_reject(&env, id2, "", &e), -1);
    CHECK_INT(e.code, MF_EUSAGE);
    mf_err_clear(&e);
    CHECK_INT(flow_reject(&env, id2, "wrong table", &e), 0);
    CHECK_INT(flow_review_get(&env, id2, &r, &e), 1);
    CHECK_INT(r.state, FLOW_REJECTED);
    flow_review_free(&r);
    CHECK_INT(count_versions(env.st, "QUIT"), 1);
    long long id3 = 0;
    CHECK_INT(flow_review_open(&env, &in2, &id3, &resumed, &e), 0);
    CHECK(!resumed);
    CHECK(id3 != id2);
    CHECK_INT(count_versions(env.st, "QUIT"), 1);   /* the same draft again is the same version */
    CHECK_INT(flow_review_get(&env, id3, &r, &e), 1);
    CHECK_INT(r.version, 1);
    flow_review_free(&r);
    /* an unknown review */
    CHECK_INT(flow_approve(&env, 999999, NULL, &e), -1);
    CHECK_INT(e.code, MF_ENOTFOUND);
    mf_err_clear(&e);
    store_audit_report ar;
    CHECK_INT(store_audit_verify(env.st, &ar, &e), 0);
    flow_env_close(&env);
}

/* A store made before review sessions and run states: opening it adds them, and older runs get a
 * state from their status and their loads. */
static const char *const old_runs =
    "CREATE TABLE runs (id @ID@, client TEXT NOT NULL, plan_sha256 TEXT NOT NULL,"
    " input_path TEXT, input_sha256 TEXT, input_bytes BIGINT, rows_in BIGINT, rows_out BIGINT,"
    " rows_rejected BIGINT, rows_filtered BIGINT, cache_hit INTEGER NOT NULL DEFAULT 0, cache_key TEXT,"
    " started_at TEXT NOT NULL, seconds DOUBLE PRECISION, status TEXT NOT NULL, actor TEXT);"
    "CREATE TABLE loads (id @ID@, run_id BIGINT, client TEXT NOT NULL, target TEXT,"
    " table_name TEXT, input_sha256 TEXT, rows_loaded BIGINT, rows_replaced BIGINT, status TEXT,"
    " actor TEXT, at TEXT NOT NULL);"
    "INSERT INTO runs (id, client, plan_sha256, started_at, status) VALUES (1, 'OLD', 'a', '2025-01-01T00:00:00.000Z', 'ok');"
    "INSERT INTO runs (id, client, plan_sha256, started_at, status) VALUES (2, 'OLD', 'a', '2025-01-02T00:00:00.000Z', 'ok');"
    "INSERT INTO runs (id, client, plan_sha256, started_at, status) VALUES (3, 'OLD', 'a', '2025-01-03T00:00:00.000Z',"
    " 'validation_failed');"
    "INSERT INTO loads (run_id, client, at) VALUES (1, 'OLD', '2025-01-01T00:00:00.000Z');";

/* old_runs with the backend's auto-numbered key for @ID@. */
static void old_schema(const char *id, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = old_runs; *p && k + 32 < n; p++) {
        if (!strncmp(p, "@ID@", 4)) {
            k += (size_t)snprintf(out + k, n - k, "%s", id);
            p += 3;
        } else {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

static void check_migrated(const char *where)
{
    mf_err e = {0};
    store *st = store_open(where, &e);
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "migrate: %s\n", e.msg);
        return;
    }
    store_run *r;
    int n = 0;
    CHECK_INT(store_run_list(st, "OLD", &r, &n, &e), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(r[0].state, "loaded");
        CHECK_STR(r[1].state, "checked");
        CHECK_STR(r[2].state, "failed");
        CHECK_INT(r[0].review_id, 0);
    }
    store_runs_free(r, n);
    store_review *rv;
    CHECK_INT(store_review_list(st, NULL, NULL, &rv, &n, &e), 0);   /* the reviews table exists */
    CHECK_INT(n, 0);
    store_reviews_free(rv, n);
    store_close(st);
    /* opening again changes nothing */
    st = store_open(where, &e);
    CHECK(st != NULL);
    store_close(st);
}

static void migrate_sqlite(void)
{
    char sdir[600], path[700];
    snprintf(sdir, sizeof sdir, "%s/oldstore", dir);
    CHECK_INT(mkdir(sdir, 0755), 0);
    snprintf(path, sizeof path, "%s/state.db", sdir);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL, sql[4096];
    old_schema("INTEGER PRIMARY KEY", sql, sizeof sql);
    CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, &err), SQLITE_OK);
    if (err)
        fprintf(stderr, "old store: %s\n", err);
    sqlite3_free(err);
    sqlite3_close(db);
    check_migrated(sdir);
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static int admin_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "test_flow: %s: %s%s", sql, PQerrorMessage(c), PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* url with its database replaced by db */
static void with_db(const char *url, const char *db, char *out, size_t n)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *slash = strchr(host, '/');
    const char *query = strchr(host, '?');
    if (slash && query && slash > query)
        slash = NULL;
    size_t head = slash ? (size_t)(slash - url) : query ? (size_t)(query - url) : strlen(url);
    snprintf(out, n, "%.*s/%s%s", (int)head, url, db, query ? query : "");
}

static void pg_suites(const char *admin)
{
    char db[64], url[1024], sql[256];
    snprintf(db, sizeof db, "mf_test_flow_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
    admin_exec(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    if (admin_exec(admin, sql) < 0) {
        check_failures++;
        return;
    }
    with_db(admin, db, url, sizeof url);
    api_suite(url, "postgresql");
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
    admin_exec(admin, sql);
    /* an older store */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    if (admin_exec(admin, sql) < 0) {
        check_failures++;
        return;
    }
    char old[4096], script[4200];
    old_schema("BIGSERIAL PRIMARY KEY", old, sizeof old);
    snprintf(script, sizeof script, "CREATE SCHEMA mapforge; SET search_path TO mapforge; %s", old);
    if (admin_exec(url, script) == 0)
        check_migrated(url);
    else
        check_failures++;
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
    admin_exec(admin, sql);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    misreading_becomes_question();
    masked_column_found_in_a_later_round();
    hole_does_not_hide_later_columns();
    few_rejects_are_data();
    filters_that_skip_everything();
    missing_file_is_an_error();
    unsetenv("MAPFORGE_STORE");
    api_suite(NULL, "sqlite");
    migrate_sqlite();
    const char *pg = getenv("MAPFORGE_TEST_PG");
    if (pg && *pg) {
        pg_suites(pg);
    } else if (getenv("CI") && *getenv("CI")) {
        fprintf(stderr, "test_flow: MAPFORGE_TEST_PG is not set, and CI must not skip the PostgreSQL store\n");
        check_failures++;
    } else {
        printf("test_flow: PostgreSQL part skipped: MAPFORGE_TEST_PG not set\n");
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    CHECK_DONE();
}
