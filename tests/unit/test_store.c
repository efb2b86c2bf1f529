/* test_store.c — the state store (src/store): records, cache key and lookup with miss reasons,
 * the audit hash chain under concurrent appends, and tamper detection (edited, reordered,
 * deleted events).  The suite runs on SQLite always, and again on PostgreSQL when
 * MAPFORGE_TEST_PG is a postgresql:// URL (a fresh database is created and dropped); there it
 * also checks that the database itself refuses UPDATE and DELETE on audit_events. */
#include "check.h"

#include "plan/plan.h"
#include "read/profile.h"
#include "store/store.h"
#include "util/sha256.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct target {
    const char *where;   /* directory or URL given to store_open */
    int pg;
    char sqlite_file[512];
} target;

/* Run raw SQL on the store's database behind the API's back (as a tamperer would). */
static int raw_exec(const target *t, const char *sql, char *err, size_t n)
{
    err[0] = 0;
    if (!t->pg) {
        sqlite3 *db;
        char *msg = NULL;
        if (sqlite3_open(t->sqlite_file, &db) != SQLITE_OK)
            return -1;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        if (msg)
            snprintf(err, n, "%s", msg);
        sqlite3_free(msg);
        sqlite3_close(db);
        return rc == SQLITE_OK ? 0 : -1;
    }
    PGconn *c = PQconnectdb(t->where);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, n, "%s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* ---- records ------------------------------------------------------------------------------------ */

static void test_records(store *s)
{
    mf_err e;
    mf_err_clear(&e);
    store_plan_version v1, v2, again, latest;
    CHECK_INT(store_plan_add(s, "ACME", "plan one\n", NULL, "m1", "alice", &v1, &e), 0);
    CHECK_INT(v1.version, 1);
    CHECK_STR(v1.status, "draft");
    CHECK_STR(v1.actor, "alice");
    char sha[65];
    mf_sha256_hex("plan one\n", 9, sha);
    CHECK_STR(v1.sha256, sha);
    CHECK_INT(store_plan_add(s, "ACME", "plan two\n", v1.sha256, "m1", "bob", &v2, &e), 0);
    CHECK_INT(v2.version, 2);
    CHECK_STR(v2.parent_sha256, v1.sha256);
    /* the same text again is the same version, not a new one */
    CHECK_INT(store_plan_add(s, "ACME", "plan one\n", NULL, "m1", "carol", &again, &e), 0);
    CHECK_INT(again.version, 1);
    CHECK_INT(store_plan_latest(s, "ACME", &latest, &e), 1);
    CHECK_INT(latest.version, 2);
    CHECK_STR(latest.text, "plan two\n");
    CHECK_INT(store_plan_latest(s, "NOBODY", NULL, &e), 0);

    CHECK_INT(store_plan_set_findings(s, "ACME", v2.sha256, "[{\"check\":\"x\"}]", &e), 0);
    CHECK_INT(store_approval_add(s, "ACME", v2.sha256, "approved", "looks right", "dana", &e), 0);
    CHECK_INT(store_approval_add(s, "ACME", v2.sha256, "maybe", NULL, "dana", &e), -1);
    mf_err_clear(&e);
    store_plan_version *all;
    int n;
    CHECK_INT(store_plan_list(s, "ACME", &all, &n, &e), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(all[0].status, "draft");
        CHECK_STR(all[1].status, "approved");
        CHECK_STR(all[1].findings, "[{\"check\":\"x\"}]");
    }
    store_plan_versions_free(all, n);

    CHECK_INT(store_question_add(s, v1.sha256, 1, "Which date format?", &e), 0);
    CHECK_INT(store_question_add(s, v1.sha256, 2, "Currency?", &e), 0);
    CHECK_INT(store_question_answer(s, v1.sha256, 2, "\"USD\"", "erin", &e), 0);
    store_question *q;
    CHECK_INT(store_question_list(s, v1.sha256, &q, &n, &e), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK(q[0].answer == NULL);
        CHECK_STR(q[1].answer, "\"USD\"");
        CHECK_STR(q[1].actor, "erin");
    }
    store_questions_free(q, n);
    CHECK_INT(store_feedback_add(s, v1.sha256, "default currency to USD", "default CURRENCY", NULL, "erin", &e), 0);

    store_run r;
    memset(&r, 0, sizeof r);
    r.client = "ACME";
    r.plan_sha256 = v2.sha256;
    r.input_path = "in.csv";
    r.input_sha256 = sha;
    r.input_bytes = 1234567890123ULL;
    r.rows_in = 10;
    r.rows_out = 8;
    r.rows_rejected = 1;
    r.rows_filtered = 1;
    r.cache_hit = 1;
    r.seconds = 0.25;
    r.status = "ok";
    r.actor = "alice";
    CHECK_INT(store_run_add(s, &r, &e), 0);
    CHECK(r.id > 0);
    store_run *runs;
    CHECK_INT(store_run_list(s, "ACME", &runs, &n, &e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_INT(runs[0].rows_out, 8);
        CHECK(runs[0].input_bytes == 1234567890123ULL);
        CHECK_INT(runs[0].cache_hit, 1);
        CHECK_STR(runs[0].input_sha256, sha);
        CHECK(runs[0].seconds > 0.24 && runs[0].seconds < 0.26);
    }
    store_runs_free(runs, n);
    store_load l = {r.id, "ACME", "sqlite:/tmp/w.db", "acme_out", sha, "ok", "alice", 8, 0};
    CHECK_INT(store_load_add(s, &l, &e), 0);
    if (e.code)
        mf_err_print(&e, stderr);

    store_plan_version_free(&v1);
    store_plan_version_free(&v2);
    store_plan_version_free(&again);
    store_plan_version_free(&latest);
}

/* ---- cache -------------------------------------------------------------------------------------- */

static void build_plan(plan *p)
{
    plan_init(p);
    plan_type dec = {PT_DECIMAL, 0, 18, 2}, date = {PT_DATE, 0, 0, 0};
    plan_add_column(p, "AMOUNT", dec)->expr = plan_source_ref(p, "Amount");
    plan_add_column(p, "T_DATE", date)->expr = plan_source_ref(p, "Value Date");
    plan_add_column(p, "AMOUNT2", dec)->expr = plan_source_ref(p, "Amount");
}

/* A profile by hand: columns "name:kind" where kind is a prof_kind. */
typedef struct fake_profile {
    profile pr;
    prof_column col[8];
} fake_profile;

static void fake(fake_profile *f, char delim, int n, const char *const *names, const prof_kind *kinds)
{
    memset(f, 0, sizeof *f);
    f->pr.dialect.delimiter = delim;
    f->pr.dialect.quote = '"';
    f->pr.dialect.encoding = CSV_UTF8;
    f->pr.ncols = n;
    f->pr.col = f->col;
    for (int i = 0; i < n; i++) {
        f->col[i].name = names[i];
        f->col[i].kind = kinds[i];
    }
}

static void expect_lookup(store *s, const char *client, const char *mapping, const profile *pr, int hit,
                          const char *reason_part, int line)
{
    mf_err e;
    mf_err_clear(&e);
    cache_result r;
    CHECK_INT(cache_lookup(s, client, mapping, pr, &r, &e), 0);
    if (r.hit != hit || (reason_part && !strstr(r.reason, reason_part))) {
        fprintf(stderr, "test_store.c:%d: lookup hit=%d reason \"%s\", want hit=%d reason with \"%s\"\n", line, r.hit,
                r.reason, hit, reason_part ? reason_part : "");
        check_failures++;
    }
    cache_result_free(&r);
}

static void test_cache(store *s)
{
    mf_err e;
    mf_err_clear(&e);
    plan p;
    build_plan(&p);
    store_plan_version v;
    CHECK_INT(store_plan_add(s, "BANK", "approved text\n", NULL, "map1", "alice", &v, &e), 0);

    const char *names[] = {"Id", "Amount", "Value Date"};
    prof_kind kinds[] = {PK_INTEGER, PK_DECIMAL, PK_DATE};
    fake_profile base;
    fake(&base, ',', 3, names, kinds);
    char key[65];
    CHECK_INT(cache_remember(s, "BANK", "map1", &p, &base.pr, v.sha256, key, &e), 0);
    CHECK_INT((int)strlen(key), 64);

    /* the key covers used columns only, in first-use order */
    cache_column cols[] = {{"Amount", "decimal"}, {"Value Date", "date"}};
    char k2[65];
    cache_key("BANK", "map1", &base.pr.dialect, cols, 2, k2);
    if (strcmp(prof_kind_name(PK_DECIMAL), "decimal") == 0 && strcmp(prof_kind_name(PK_DATE), "date") == 0)
        CHECK_STR(k2, key);
    cache_column swapped[] = {{"Value Date", "date"}, {"Amount", "decimal"}};
    cache_key("BANK", "map1", &base.pr.dialect, swapped, 2, k2);
    CHECK(strcmp(k2, key) != 0);

    expect_lookup(s, "BANK", "map1", &base.pr, 1, NULL, __LINE__);
    /* unused columns added and reordered: still a hit */
    const char *n2[] = {"Value Date", "Extra", "Amount", "Id", "More"};
    prof_kind k2k[] = {PK_DATE, PK_TEXT, PK_DECIMAL, PK_TEXT, PK_BOOLEAN};
    fake_profile wider;
    fake(&wider, ',', 5, n2, k2k);
    expect_lookup(s, "BANK", "map1", &wider.pr, 1, NULL, __LINE__);
    /* used column retyped / missing / renamed; dialect; mapping; client */
    prof_kind retyped[] = {PK_INTEGER, PK_TEXT, PK_DATE};
    fake_profile f;
    fake(&f, ',', 3, names, retyped);
    expect_lookup(s, "BANK", "map1", &f.pr, 0, "column Amount is now text, was decimal", __LINE__);
    const char *renamed[] = {"Id", "Amount", "ValueDate"};
    fake(&f, ',', 3, renamed, kinds);
    expect_lookup(s, "BANK", "map1", &f.pr, 0, "column Value Date missing from the data", __LINE__);
    fake(&f, ';', 3, names, kinds);
    expect_lookup(s, "BANK", "map1", &f.pr, 0, "dialect changed: delimiter ; was ,", __LINE__);
    expect_lookup(s, "BANK", "map2", &base.pr, 0, "mapping changed", __LINE__);
    expect_lookup(s, "OTHER", "map1", &base.pr, 0, "no cached plan for client OTHER", __LINE__);

    /* hit details, run accounting, plan text */
    cache_result r;
    CHECK_INT(cache_lookup(s, "BANK", "map1", &base.pr, &r, &e), 0);
    CHECK_STR(r.entry.plan_text, "approved text\n");
    CHECK_STR(r.entry.status, "valid");
    CHECK_INT(r.entry.execution_count, 0);
    CHECK_INT(r.entry.last_run_success, -1);
    CHECK(strcmp(r.entry.expires_at, r.entry.created_at) > 0);
    cache_result_free(&r);
    CHECK_INT(store_cache_record_run(s, key, 1, &e), 0);
    CHECK_INT(store_cache_record_run(s, key, 0, &e), 0);
    store_cache_entry c;
    CHECK_INT(store_cache_get(s, key, &c, &e), 1);
    CHECK_INT(c.execution_count, 2);
    CHECK_INT(c.last_run_success, 0);
    store_cache_entry_free(&c);

    /* invalidation by hand */
    CHECK_INT(store_cache_invalidate(s, key, "wrong rounding", &e), 1);
    CHECK_INT(store_cache_invalidate(s, "nope", "x", &e), 0);
    expect_lookup(s, "BANK", "map1", &base.pr, 0, "invalidated by hand: wrong rounding", __LINE__);
    store_cache_entry *all;
    int n;
    CHECK_INT(store_cache_list(s, "BANK", &all, &n, &e), 0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(all[0].status, "invalidated");
    store_cache_entries_free(all, n);

    /* expiry: MAPFORGE_CACHE_DAYS=0 makes entries expire at once */
    setenv("MAPFORGE_CACHE_DAYS", "0", 1);
    store_plan_version w;
    CHECK_INT(store_plan_add(s, "OLD", "old text\n", NULL, "map1", "alice", &w, &e), 0);
    CHECK_INT(cache_remember(s, "OLD", "map1", &p, &base.pr, w.sha256, NULL, &e), 0);
    unsetenv("MAPFORGE_CACHE_DAYS");
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
    expect_lookup(s, "OLD", "map1", &base.pr, 0, "entry expired", __LINE__);
    if (e.code)
        mf_err_print(&e, stderr);
    store_plan_version_free(&w);
    store_plan_version_free(&v);
    plan_free(&p);
}

/* ---- audit -------------------------------------------------------------------------------------- */

static long long count_events(store *s)
{
    mf_err e;
    mf_err_clear(&e);
    store_audit_event *ev;
    int n;
    if (store_audit_list(s, NULL, &ev, &n, &e) < 0)
        return -1;
    store_audit_events_free(ev, n);
    return n;
}

static void expect_verify(store *s, int bad, long long bad_seq, const char *part, int line)
{
    mf_err e;
    mf_err_clear(&e);
    store_audit_report r;
    int got = store_audit_verify(s, &r, &e);
    if (got != bad || r.bad_seq != bad_seq || (part && !strstr(r.problem, part))) {
        fprintf(stderr, "test_store.c:%d: verify = %d at %lld \"%s\", want %d at %lld with \"%s\"\n", line, got,
                r.bad_seq, r.problem, bad, bad_seq, part ? part : "");
        check_failures++;
    }
}

/* N processes append M events each, at once, to the same store. */
static void test_concurrent(const target *t)
{
    enum { N = 8, M = 25 };
    mf_err e;
    mf_err_clear(&e);
    store *s = store_open(t->where, &e);
    CHECK(s != NULL);
    if (!s)
        return;
    long long before = count_events(s);
    pid_t kids[N];
    for (int k = 0; k < N; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            mf_err ce;
            mf_err_clear(&ce);
            store *cs = store_open(t->where, &ce);
            int bad = !cs;
            for (int i = 0; cs && i < M; i++) {
                char subject[32];
                snprintf(subject, sizeof subject, "p%d-%d", k, i);
                if (store_audit_append(cs, "worker", "run", "PAR", subject, "{\"n\":1}", NULL, &ce) < 0) {
                    mf_err_print(&ce, stderr);
                    bad = 1;
                    break;
                }
            }
            store_close(cs);
            _exit(bad);
        }
    }
    int failed = 0;
    for (int k = 0; k < N; k++) {
        int st = 0;
        waitpid(kids[k], &st, 0);
        failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_INT(failed, 0);
    CHECK_INT(count_events(s), before + N * M);
    expect_verify(s, 0, 0, "chain intact", __LINE__);
    store_close(s);
}

static void test_audit(const target *t)
{
    mf_err e;
    mf_err_clear(&e);
    store *s = store_open(t->where, &e);
    CHECK(s != NULL);
    if (!s)
        return;
    long long seq = 0;
    for (int i = 1; i <= 6; i++) {
        char subject[16];
        snprintf(subject, sizeof subject, "v%d", i);
        CHECK_INT(store_audit_append(s, "alice", i % 2 ? "plan_version" : "feedback", i == 6 ? "ZED" : "ACME",
                                     subject, NULL, &seq, &e),
                  0);
        CHECK_INT(seq, i);
    }
    store_audit_event *ev;
    int n;
    CHECK_INT(store_audit_list(s, "ZED", &ev, &n, &e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(ev[0].subject, "v6");
        CHECK_STR(ev[0].details, "{}");
        CHECK_INT((int)strlen(ev[0].at), 24);   /* 2024-05-01T12:34:56.789Z */
        CHECK(ev[0].at[23] == 'Z' && ev[0].at[19] == '.');
    }
    store_audit_events_free(ev, n);
    CHECK_INT(store_audit_list(s, NULL, &ev, &n, &e), 0);
    CHECK_INT(n, 6);
    if (n == 6) {
        CHECK_STR(ev[0].prev_hash, "0000000000000000000000000000000000000000000000000000000000000000");
        CHECK_STR(ev[3].prev_hash, ev[2].hash);
        char h[65];
        audit_event_hash(&ev[4], h);
        CHECK_STR(h, ev[4].hash);
    }
    store_audit_events_free(ev, n);
    expect_verify(s, 0, 0, "6 events", __LINE__);

    char err[512];
    if (t->pg) {
        /* the database itself refuses changes to the trail */
        CHECK_INT(raw_exec(t, "UPDATE mapforge.audit_events SET actor = 'mallory' WHERE seq = 3", err, sizeof err), -1);
        CHECK(strstr(err, "append-only") != NULL);
        CHECK_INT(raw_exec(t, "DELETE FROM mapforge.audit_events WHERE seq = 3", err, sizeof err), -1);
        CHECK(strstr(err, "append-only") != NULL);
        CHECK_INT(raw_exec(t, "TRUNCATE mapforge.audit_events", err, sizeof err), -1);
        expect_verify(s, 0, 0, "6 events", __LINE__);
        /* a superuser can still switch the trigger off: verify must catch what follows */
        CHECK_INT(raw_exec(t, "ALTER TABLE mapforge.audit_events DISABLE TRIGGER USER", err, sizeof err), 0);
    }
    const char *tbl = t->pg ? "mapforge.audit_events" : "audit_events";
    char sql[512];
    /* edited */
    snprintf(sql, sizeof sql, "UPDATE %s SET actor = 'mallory' WHERE seq = 3", tbl);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);
    expect_verify(s, 1, 3, "event 3 was edited", __LINE__);
    snprintf(sql, sizeof sql, "UPDATE %s SET actor = 'alice' WHERE seq = 3", tbl);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);
    expect_verify(s, 0, 0, NULL, __LINE__);
    /* reordered: events 4 and 5 swap places */
    snprintf(sql, sizeof sql,
             "UPDATE %s SET seq = -1 WHERE seq = 4; UPDATE %s SET seq = 4 WHERE seq = 5;"
             " UPDATE %s SET seq = 5 WHERE seq = -1",
             tbl, tbl, tbl);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);
    expect_verify(s, 1, 4, "event 4 does not follow event 3", __LINE__);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);   /* swap back */
    expect_verify(s, 0, 0, NULL, __LINE__);
    /* deleted in the middle */
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE seq = 2", tbl);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);
    expect_verify(s, 1, 2, "event 2 is missing", __LINE__);
    /* deleted at the end (the head still knows) */
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE seq >= 2", tbl);
    CHECK_INT(raw_exec(t, sql, err, sizeof err), 0);
    expect_verify(s, 1, 2, "event 2 is missing", __LINE__);
    if (t->pg) {   /* the next open re-arms the guard a superuser switched off */
        store *again = store_open(t->where, &e);
        CHECK(again != NULL);
        store_close(again);
        CHECK_INT(raw_exec(t, "DELETE FROM mapforge.audit_events", err, sizeof err), -1);
        CHECK(strstr(err, "append-only") != NULL);
    }
    store_close(s);
}

/* ---- suites ------------------------------------------------------------------------------------- */

/* The rulebook's entries: one entry per (shape, template, client, plan, row); find sees valid ones only. */
static void test_rulebook(store *s)
{
    mf_err e;
    mf_err_clear(&e);
    store_rule r = {0};
    r.shape = "pad {c0} with {s0} to {n0}";
    r.tmpl = "{c0} padded left with {s0} to {n0}";
    r.client = "ACME";
    snprintf(r.plan_sha256, sizeof r.plan_sha256, "%064d", 7);
    r.version = 3;
    r.row = 8;
    r.rule_text = "Pad Acct with '0' to 10";
    r.approved_by = "alice";
    long long id1 = 0, id2 = 0, id3 = 0;
    CHECK_INT(store_rulebook_add(s, &r, &id1, &e), 1);
    CHECK_INT(store_rulebook_add(s, &r, &id2, &e), 0);   /* the same reading again: no new entry */
    CHECK_INT(id1, id2);
    r.tmpl = "{c0} padded right with {s0} to {n0}";
    r.client = "OTHER";
    CHECK_INT(store_rulebook_add(s, &r, &id3, &e), 1);
    CHECK(id3 != id1);
    store_rule *all;
    int n;
    CHECK_INT(store_rulebook_find(s, "pad {c0} with {s0} to {n0}", &all, &n, &e), 0);
    CHECK_INT(n, 2);
    store_rules_free(all, n);
    CHECK_INT(store_rulebook_list(s, "ACME", &all, &n, &e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(all[0].approved_by, "alice");
        CHECK_INT(all[0].version, 3);
        CHECK_INT(all[0].row, 8);
        CHECK_STR(all[0].status, "valid");
        CHECK(all[0].approved_at[0] != 0);
    }
    store_rules_free(all, n);
    CHECK_INT(store_rulebook_retire(s, id3, "bob", "wrong side", &e), 1);
    CHECK_INT(store_rulebook_retire(s, id3, "bob", "again", &e), 0);
    CHECK_INT(store_rulebook_find(s, "pad {c0} with {s0} to {n0}", &all, &n, &e), 0);
    CHECK_INT(n, 1);
    store_rules_free(all, n);
    store_rule g;
    CHECK_INT(store_rulebook_get(s, id3, &g, &e), 1);
    CHECK_STR(g.status, "retired");
    CHECK_STR(g.retired_by, "bob");
    CHECK_STR(g.retired_comment, "wrong side");
    store_rule_free(&g);
    CHECK_INT(store_rulebook_get(s, id3 + 100, &g, &e), 0);
}

static void suite(target *t)
{
    mf_err e;
    mf_err_clear(&e);
    store *s = store_open(t->where, &e);
    if (!s) {
        mf_err_print(&e, stderr);
        check_failures++;
        return;
    }
    if (!t->pg)
        snprintf(t->sqlite_file, sizeof t->sqlite_file, "%s", store_where(s));
    CHECK_INT(store_kind(s), t->pg ? STORE_PG : STORE_SQLITE);
    test_records(s);
    test_cache(s);
    test_rulebook(s);
    store_close(s);
    /* a second open finds the schema and the data in place */
    s = store_open(t->where, &e);
    CHECK(s != NULL);
    store_plan_version v;
    CHECK_INT(store_plan_latest(s, "ACME", &v, &e), 1);
    store_plan_version_free(&v);
    store_close(s);
    test_audit(t);
    /* a fresh trail for the concurrency test: the tampered one is broken on purpose */
    if (!t->pg) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/par", t->where);
        target par = {dir, 0, ""};
        test_concurrent(&par);
    }
}

static void sqlite_suite(void)
{
    char dir[] = "/tmp/mf_store_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    target t = {dir, 0, ""};
    suite(&t);
    /* identity and location */
    char who[64];
    store_actor("zoe", who, sizeof who);
    CHECK_STR(who, "zoe");
    setenv("MAPFORGE_USER", "yves", 1);
    store_actor(NULL, who, sizeof who);
    CHECK_STR(who, "yves");
    unsetenv("MAPFORGE_USER");
    mf_err e;
    mf_err_clear(&e);
    char *loc = store_location(NULL, dir, &e);
    CHECK_STR(loc, dir);
    free(loc);
    loc = store_location("postgresql://x@h/db", dir, &e);
    CHECK_STR(loc, "postgresql://x@h/db");
    free(loc);
    CHECK(store_location("/not/a/url", dir, &e) == NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* URL with its database name replaced (the path after the host). */
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
        fprintf(stderr, "test_store: %s: %s%s", sql, PQerrorMessage(c), PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static void pg_suite(const char *admin)
{
    char db[64], url[1024], sql[200];
    snprintf(db, sizeof db, "mf_test_store_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
    admin_exec(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    if (admin_exec(admin, sql) < 0) {
        check_failures++;
        return;
    }
    with_db(admin, db, url, sizeof url);
    target t = {url, 1, ""};
    suite(&t);
    /* a fresh database for the concurrency test (the trail above was tampered with on purpose) */
    char db2[80], url2[1024];
    snprintf(db2, sizeof db2, "%s_par", db);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db2);
    if (admin_exec(admin, sql) == 0) {
        with_db(admin, db2, url2, sizeof url2);
        target par = {url2, 1, ""};
        test_concurrent(&par);
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db2);
        admin_exec(admin, sql);
    } else {
        check_failures++;
    }
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
    admin_exec(admin, sql);
}

int main(void)
{
    sqlite_suite();
    const char *pg = getenv("MAPFORGE_TEST_PG");
    if (pg && *pg) {
        pg_suite(pg);
    } else if (getenv("CI") && *getenv("CI")) {
        fprintf(stderr, "test_store: MAPFORGE_TEST_PG is not set, and CI must not skip the PostgreSQL store\n");
        check_failures++;
    } else {
        printf("skipped: MAPFORGE_TEST_PG not set\n");
    }
    CHECK_DONE();
}
