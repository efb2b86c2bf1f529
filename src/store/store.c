/* store.c — the state store's records, written once over the SQL layer of store_db.h: opening
 * (location, schema), identity and time, clients, plan versions, questions, feedback, approvals,
 * runs, loads and cache entries.  The audit chain is in audit.c, the cache key and lookup in cache.c.
 *
 * Invariants:
 *   - the schema is the same in both backends except the id column type; it is created on open
 *     inside one transaction (serialised across processes), so concurrent first opens are safe;
 *   - each writing function is one transaction; on failure it is rolled back and e is filled.
 */
#include "store/store_db.h"
#include "util/sha256.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------------------------------ */

void db_rows_add(db_rows *r, int ncols, const char *const *vals)
{
    r->ncols = ncols;
    r->cell = mf_xrealloc(r->cell, (size_t)(r->nrows + 1) * (size_t)(ncols ? ncols : 1) * sizeof *r->cell);
    for (int c = 0; c < ncols; c++)
        r->cell[r->nrows * ncols + c] = vals[c] ? mf_xstrdup(vals[c]) : NULL;
    r->nrows++;
}

const char *db_cell(const db_rows *r, int row, int col)
{
    if (row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return r->cell[row * r->ncols + col];
}

long long db_cell_ll(const db_rows *r, int row, int col)
{
    const char *v = db_cell(r, row, col);
    return v ? strtoll(v, NULL, 10) : 0;
}

void db_rows_free(db_rows *r)
{
    if (!r || !r->cell)
        return;
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cell[i]);
    free(r->cell);
    memset(r, 0, sizeof *r);
}

int db_exec(store *s, const char *sql, int nparams, const char *const *params, db_rows *rows, mf_err *e)
{
    return s->ops->exec(s, sql, nparams, params, rows, e);
}

int db_begin(store *s, const char *exclusive_table, mf_err *e)
{
    return s->ops->begin(s, exclusive_table, e);
}

int db_commit(store *s, mf_err *e)
{
    return s->ops->commit(s, e);
}

void db_rollback(store *s)
{
    s->ops->rollback(s);
}

static char *dup_or_null(const char *v)
{
    return v ? mf_xstrdup(v) : NULL;
}

static void copy_fixed(char *dst, size_t n, const char *v)
{
    snprintf(dst, n, "%s", v ? v : "");
}

static void ll_str(long long v, char buf[32])
{
    snprintf(buf, 32, "%lld", v);
}

/* ---- identity and time ------------------------------------------------------------------------ */

void store_time_plus_days(double days, char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (long long)(days * 86400.0 * 1000.0);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}

void store_now(char out[32])
{
    store_time_plus_days(0, out);
}

void store_actor(const char *as_opt, char *buf, size_t n)
{
    const char *who = as_opt && *as_opt ? as_opt : getenv("MAPFORGE_USER");
    if (!who || !*who) {
        struct passwd *pw = getpwuid(geteuid());
        who = pw && pw->pw_name ? pw->pw_name : NULL;
    }
    if (who)
        snprintf(buf, n, "%s", who);
    else
        snprintf(buf, n, "uid%ld", (long)geteuid());
}

/* ---- opening ------------------------------------------------------------------------------------ */

static int is_pg_url(const char *w)
{
    return !strncmp(w, "postgresql://", 13) || !strncmp(w, "postgres://", 11);
}

char *store_home_dir(const char *home_opt)
{
    const char *h = home_opt && *home_opt ? home_opt : getenv("MAPFORGE_HOME");
    if (h && *h)
        return mf_xstrdup(h);
    const char *home = getenv("HOME");
    size_t n = (home ? strlen(home) : 1) + 16;
    char *d = mf_xmalloc(n);
    snprintf(d, n, "%s/.mapforge", home && *home ? home : ".");
    return d;
}

char *store_location(const char *store_opt, const char *home_opt, mf_err *e)
{
    const char *st = store_opt && *store_opt ? store_opt : getenv("MAPFORGE_STORE");
    if (st && *st) {
        if (!is_pg_url(st)) {
            mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--store / MAPFORGE_STORE must be a postgresql:// URL, got \"%s\"", st);
            return NULL;
        }
        return mf_xstrdup(st);
    }
    return store_home_dir(home_opt);
}

/* The schema: "@ID@" is the backend's auto-numbered key column. */
static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS clients (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS plan_versions (client TEXT NOT NULL, version INTEGER NOT NULL,"
    " text TEXT NOT NULL, sha256 TEXT NOT NULL, parent_sha256 TEXT NOT NULL DEFAULT '',"
    " mapping_sha256 TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, actor TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'draft', findings TEXT,"
    " PRIMARY KEY (client, version), UNIQUE (client, sha256))",
    "CREATE TABLE IF NOT EXISTS questions (plan_sha256 TEXT NOT NULL, n INTEGER NOT NULL, text TEXT NOT NULL,"
    " answer TEXT, actor TEXT, answered_at TEXT, PRIMARY KEY (plan_sha256, n))",
    "CREATE TABLE IF NOT EXISTS feedback (id @ID@, plan_sha256 TEXT NOT NULL, text TEXT NOT NULL,"
    " understood TEXT, not_understood TEXT, actor TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS approvals (id @ID@, client TEXT NOT NULL, plan_sha256 TEXT NOT NULL,"
    " decision TEXT NOT NULL, comment TEXT, actor TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cache_entries (key TEXT PRIMARY KEY, client TEXT NOT NULL,"
    " mapping_sha256 TEXT NOT NULL, plan_sha256 TEXT NOT NULL, used_columns TEXT NOT NULL, dialect TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'valid', invalidated_reason TEXT, created_at TEXT NOT NULL,"
    " execution_count BIGINT NOT NULL DEFAULT 0, last_run_success INTEGER NOT NULL DEFAULT -1,"
    " expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS runs (id @ID@, client TEXT NOT NULL, plan_sha256 TEXT NOT NULL,"
    " input_path TEXT, input_sha256 TEXT, input_bytes BIGINT, rows_in BIGINT, rows_out BIGINT,"
    " rows_rejected BIGINT, rows_filtered BIGINT, cache_hit INTEGER NOT NULL DEFAULT 0, cache_key TEXT,"
    " started_at TEXT NOT NULL, seconds DOUBLE PRECISION, status TEXT NOT NULL, actor TEXT,"
    " state TEXT, review_id BIGINT NOT NULL DEFAULT 0, updated_at TEXT, out_dir TEXT)",
    "CREATE TABLE IF NOT EXISTS loads (id @ID@, run_id BIGINT, client TEXT NOT NULL, target TEXT,"
    " table_name TEXT, input_sha256 TEXT, rows_loaded BIGINT, rows_replaced BIGINT, status TEXT,"
    " actor TEXT, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_events (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
    " event TEXT NOT NULL, client TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '',"
    " details TEXT NOT NULL DEFAULT '{}', prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    /* The last appended event, updated with each append: a deleted last event shows as a gap. */
    "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL,"
    " hash TEXT NOT NULL)",
    /* HMAC signatures of event hashes, when a key is configured (audit.c). */
    "CREATE TABLE IF NOT EXISTS audit_sigs (seq BIGINT PRIMARY KEY, sig TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS cache_entries_client ON cache_entries (client, mapping_sha256)",
    "CREATE INDEX IF NOT EXISTS runs_client ON runs (client)",
    /* Every call to a language model (llm_calls.c): never the key, never the prompt's text. */
    "CREATE TABLE IF NOT EXISTS llm_calls (id @ID@, at TEXT NOT NULL, client TEXT NOT NULL DEFAULT '',"
    " purpose TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', provider TEXT NOT NULL, model TEXT NOT NULL,"
    " tokens_in BIGINT NOT NULL DEFAULT 0, tokens_out BIGINT NOT NULL DEFAULT 0, seconds DOUBLE PRECISION,"
    " attempts INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL, prompt_sha256 TEXT NOT NULL DEFAULT '',"
    " answer_sha256 TEXT NOT NULL DEFAULT '', actor TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS llm_calls_at ON llm_calls (at)",
    /* Review sessions (review.c): at most one open (drafted / in_review) per client and mapping. */
    "CREATE TABLE IF NOT EXISTS reviews (id @ID@, client TEXT NOT NULL, mapping_sha256 TEXT NOT NULL,"
    " mapping_path TEXT, data_path TEXT, output TEXT, state TEXT NOT NULL, plan_sha256 TEXT NOT NULL,"
    " version INTEGER NOT NULL, author TEXT NOT NULL DEFAULT '', opened_by TEXT NOT NULL, decided_by TEXT,"
    " comment TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_run_id BIGINT NOT NULL DEFAULT 0)",
    "CREATE UNIQUE INDEX IF NOT EXISTS reviews_open ON reviews (client, mapping_sha256)"
    " WHERE state IN ('drafted', 'in_review')",
    "CREATE INDEX IF NOT EXISTS reviews_client ON reviews (client)",
    /* The conversation of a review: every turn, and the version it led to (plan_sha256 "" = none). */
    "CREATE TABLE IF NOT EXISTS review_turns (id @ID@, review_id BIGINT NOT NULL, at TEXT NOT NULL,"
    " actor TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '',"
    " plan_sha256 TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX IF NOT EXISTS review_turns_review ON review_turns (review_id)",
    /* The rulebook (rulebook.c): readings people approved, by the normalised shape of their rule. */
    "CREATE TABLE IF NOT EXISTS rulebook (id @ID@, shape TEXT NOT NULL, template TEXT NOT NULL,"
    " client TEXT NOT NULL, plan_sha256 TEXT NOT NULL, version INTEGER NOT NULL, mapping_row INTEGER NOT NULL,"
    " rule_text TEXT NOT NULL, approved_by TEXT NOT NULL, approved_at TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'valid', retired_by TEXT, retired_comment TEXT)",
    "CREATE INDEX IF NOT EXISTS rulebook_shape ON rulebook (shape)",
    /* Every cache lookup a workflow made (hit 1 / 0), for the metrics; reason: why a miss missed. */
    "CREATE TABLE IF NOT EXISTS cache_lookups (id @ID@, at TEXT NOT NULL, client TEXT NOT NULL, hit INTEGER NOT NULL,"
    " key TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '')",
    /* Web app accounts (users.c): pwhash is libsodium's Argon2id string. */
    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, pwhash TEXT NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
};

/* Columns added after the first release, for stores created before them: (table, column, type).
 * The run states of older runs are derived from their status and their loads. */
static const char *const added_columns[][3] = {
    {"runs", "state", "TEXT"},
    {"runs", "review_id", "BIGINT NOT NULL DEFAULT 0"},
    {"runs", "updated_at", "TEXT"},
    {"runs", "out_dir", "TEXT"},
};

static int has_column(store *s, const char *table, const char *column, mf_err *e)
{
    const char *p[] = {table, column};
    db_rows r;
    const char *sql = s->kind == STORE_PG
                          ? "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'mapforge'"
                            " AND table_name = $1 AND column_name = $2"
                          : "SELECT count(*) FROM pragma_table_info($1) WHERE name = $2";
    if (db_exec(s, sql, 2, p, &r, e) < 0)
        return -1;
    int n = (int)db_cell_ll(&r, 0, 0);
    db_rows_free(&r);
    return n > 0;
}

static int migrate(store *s, mf_err *e)
{
    for (size_t i = 0; i < sizeof added_columns / sizeof added_columns[0]; i++) {
        int has = has_column(s, added_columns[i][0], added_columns[i][1], e);
        if (has < 0)
            return -1;
        if (has)
            continue;
        char sql[256];
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i][0], added_columns[i][1],
                 added_columns[i][2]);
        if (db_exec(s, sql, 0, NULL, NULL, e) < 0)
            return -1;
    }
    return db_exec(s,
                   "UPDATE runs SET updated_at = started_at, state = CASE WHEN status = 'ok' THEN"
                   " (CASE WHEN EXISTS (SELECT 1 FROM loads WHERE loads.run_id = runs.id) THEN 'loaded'"
                   " ELSE 'checked' END) ELSE 'failed' END WHERE state IS NULL",
                   0, NULL, NULL, e);
}

/* PostgreSQL only: the database refuses UPDATE, DELETE and TRUNCATE on the audit trail. */
static const char *const pg_guard[] = {
    "CREATE OR REPLACE FUNCTION mapforge_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    " RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP; END $f$",
    "CREATE OR REPLACE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events"
    " FOR EACH ROW EXECUTE FUNCTION mapforge_audit_refuse()",
    "CREATE OR REPLACE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION mapforge_audit_refuse()",
    "ALTER TABLE audit_events ENABLE TRIGGER USER",
};

static int has_table(store *s, const char *table, mf_err *e)
{
    const char *p[] = {table};
    db_rows r;
    const char *sql = s->kind == STORE_PG ? "SELECT count(*) FROM information_schema.tables WHERE table_schema ="
                                            " 'mapforge' AND table_name = $1"
                                          : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1";
    if (db_exec(s, sql, 1, p, &r, e) < 0)
        return -1;
    int n = (int)db_cell_ll(&r, 0, 0);
    db_rows_free(&r);
    return n > 0;
}

/* A store older than cache_lookups kept its lookups only as audit events: they become its first
 * rows, so the metrics of an upgraded store count them. */
static int backfill_cache_lookups(store *s, mf_err *e)
{
    return db_exec(s,
                   "INSERT INTO cache_lookups (at, client, hit, key, reason) SELECT at, client,"
                   " CASE WHEN event = 'cache_hit' THEN 1 ELSE 0 END, CASE WHEN event = 'cache_hit' THEN subject"
                   " ELSE '' END, '' FROM audit_events WHERE event IN ('cache_hit', 'cache_miss') ORDER BY seq",
                   0, NULL, NULL, e);
}

static int create_schema(store *s, mf_err *e)
{
    int pg = s->kind == STORE_PG;
    if (db_begin(s, NULL, e) < 0)
        return -1;
    /* Serialise concurrent first opens (SQLite: BEGIN IMMEDIATE already does). */
    if (pg && (db_exec(s, "SELECT pg_advisory_xact_lock(7361426)", 0, NULL, NULL, e) < 0 ||
               db_exec(s, "CREATE SCHEMA IF NOT EXISTS mapforge", 0, NULL, NULL, e) < 0))
        goto fail;
    int had_audit = has_table(s, "audit_events", e), had_lookups = has_table(s, "cache_lookups", e);
    if (had_audit < 0 || had_lookups < 0)
        goto fail;
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++) {
        char sql[1024];
        const char *id = pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY";
        const char *at = strstr(schema[i], "@ID@");
        if (at)
            snprintf(sql, sizeof sql, "%.*s%s%s", (int)(at - schema[i]), schema[i], id, at + 4);
        else
            snprintf(sql, sizeof sql, "%s", schema[i]);
        if (db_exec(s, sql, 0, NULL, NULL, e) < 0)
            goto fail;
    }
    if (migrate(s, e) < 0 || (had_audit && !had_lookups && backfill_cache_lookups(s, e) < 0))
        goto fail;
    if (pg) {
        /* Install (or re-enable) the guard only when needed: replacing a trigger locks the table. */
        db_rows r;
        if (db_exec(s,
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'mapforge.audit_events'::regclass"
                    " AND tgname IN ('audit_events_no_change', 'audit_events_no_truncate') AND tgenabled <> 'D'",
                    0, NULL, &r, e) < 0)
            goto fail;
        int armed = db_cell_ll(&r, 0, 0) == 2;
        db_rows_free(&r);
        for (size_t i = 0; !armed && i < sizeof pg_guard / sizeof pg_guard[0]; i++)
            if (db_exec(s, pg_guard[i], 0, NULL, NULL, e) < 0)
                goto fail;
    }
    return db_commit(s, e);
fail:
    db_rollback(s);
    return -1;
}

store *store_open(const char *where, mf_err *e)
{
    if (!where || !*where) {
        mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no state store given (expected a directory or a postgresql:// URL)");
        return NULL;
    }
    store *s = is_pg_url(where) ? store_pg_open(where, e) : store_sqlite_open(where, e);
    if (!s)
        return NULL;
    if (create_schema(s, e) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    if (s->ops && s->conn)
        s->ops->close(s);
    free(s->where);
    free(s);
}

store_backend store_kind(const store *s)
{
    return s->kind;
}

const char *store_where(const store *s)
{
    return s->where;
}

/* ---- clients and plan versions ------------------------------------------------------------------ */

static int ensure_client(store *s, const char *client, mf_err *e)
{
    char now[32];
    store_now(now);
    const char *p[] = {client, now};
    return db_exec(s, "INSERT INTO clients (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", 2, p,
                   NULL, e);
}

int store_client_ensure(store *s, const char *client, mf_err *e)
{
    return ensure_client(s, client, e);
}

#define PLAN_COLS                                                                                                      \
    "client, version, text, sha256, parent_sha256, mapping_sha256, created_at, actor, status, findings"

static void plan_from_row(const db_rows *r, int i, store_plan_version *v)
{
    memset(v, 0, sizeof *v);
    v->client = dup_or_null(db_cell(r, i, 0));
    v->version = (int)db_cell_ll(r, i, 1);
    v->text = dup_or_null(db_cell(r, i, 2));
    copy_fixed(v->sha256, sizeof v->sha256, db_cell(r, i, 3));
    copy_fixed(v->parent_sha256, sizeof v->parent_sha256, db_cell(r, i, 4));
    copy_fixed(v->mapping_sha256, sizeof v->mapping_sha256, db_cell(r, i, 5));
    copy_fixed(v->created_at, sizeof v->created_at, db_cell(r, i, 6));
    v->actor = dup_or_null(db_cell(r, i, 7));
    copy_fixed(v->status, sizeof v->status, db_cell(r, i, 8));
    v->findings = dup_or_null(db_cell(r, i, 9));
}

/* One plan row by a query with params; 1 found, 0 not, -1 error. */
static int plan_query_one(store *s, const char *sql, int np, const char *const *p, store_plan_version *out, mf_err *e)
{
    db_rows r;
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found && out)
        plan_from_row(&r, 0, out);
    db_rows_free(&r);
    return found;
}

int store_plan_get(store *s, const char *client, const char *sha256, store_plan_version *out, mf_err *e)
{
    const char *p[] = {client, sha256};
    return plan_query_one(s, "SELECT " PLAN_COLS " FROM plan_versions WHERE client = $1 AND sha256 = $2", 2, p, out,
                          e);
}

int store_plan_latest(store *s, const char *client, store_plan_version *out, mf_err *e)
{
    const char *p[] = {client};
    return plan_query_one(s, "SELECT " PLAN_COLS " FROM plan_versions WHERE client = $1 ORDER BY version DESC LIMIT 1",
                          1, p, out, e);
}

int store_plan_add(store *s, const char *client, const char *text, const char *parent_sha256,
                   const char *mapping_sha256, const char *actor, store_plan_version *out, mf_err *e)
{
    char sha[65], now[32], ver[32];
    mf_sha256_hex(text, strlen(text), sha);
    store_now(now);
    if (db_begin(s, "plan_versions", e) < 0)
        return -1;
    if (ensure_client(s, client, e) < 0)
        goto fail;
    int have = store_plan_get(s, client, sha, out, e);
    if (have < 0)
        goto fail;
    if (have == 0) {
        db_rows r;
        const char *pc[] = {client};
        if (db_exec(s, "SELECT COALESCE(MAX(version), 0) + 1 FROM plan_versions WHERE client = $1", 1, pc, &r, e) < 0)
            goto fail;
        ll_str(db_cell_ll(&r, 0, 0), ver);
        db_rows_free(&r);
        const char *p[] = {client, ver, text, sha, parent_sha256 ? parent_sha256 : "",
                           mapping_sha256 ? mapping_sha256 : "", now, actor ? actor : ""};
        if (db_exec(s,
                    "INSERT INTO plan_versions (client, version, text, sha256, parent_sha256, mapping_sha256,"
                    " created_at, actor, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft')",
                    8, p, NULL, e) < 0)
            goto fail;
        if (out && store_plan_get(s, client, sha, out, e) < 0)
            goto fail;
    }
    return db_commit(s, e);
fail:
    db_rollback(s);
    return -1;
}

int store_plan_list(store *s, const char *client, store_plan_version **out, int *n, mf_err *e)
{
    db_rows r;
    const char *p[] = {client};
    *out = NULL;
    *n = 0;
    if (db_exec(s, "SELECT " PLAN_COLS " FROM plan_versions WHERE client = $1 ORDER BY version", 1, p, &r, e) < 0)
        return -1;
    if (r.nrows) {
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
        for (int i = 0; i < r.nrows; i++)
            plan_from_row(&r, i, &(*out)[i]);
    }
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

int store_plan_set_status(store *s, const char *client, const char *sha256, const char *status, mf_err *e)
{
    const char *p[] = {status, client, sha256};
    return db_exec(s, "UPDATE plan_versions SET status = $1 WHERE client = $2 AND sha256 = $3", 3, p, NULL, e);
}

int store_plan_set_findings(store *s, const char *client, const char *sha256, const char *findings_json, mf_err *e)
{
    const char *p[] = {findings_json, client, sha256};
    return db_exec(s, "UPDATE plan_versions SET findings = $1 WHERE client = $2 AND sha256 = $3", 3, p, NULL, e);
}

void store_plan_version_free(store_plan_version *v)
{
    if (!v)
        return;
    free(v->client);
    free(v->text);
    free(v->actor);
    free(v->findings);
    v->client = v->text = v->actor = v->findings = NULL;
}

void store_plan_versions_free(store_plan_version *v, int n)
{
    for (int i = 0; v && i < n; i++)
        store_plan_version_free(&v[i]);
    free(v);
}

/* ---- questions, feedback, approvals ------------------------------------------------------------- */

int store_question_add(store *s, const char *plan_sha256, int n, const char *text, mf_err *e)
{
    char num[32];
    ll_str(n, num);
    const char *p[] = {plan_sha256, num, text};
    return db_exec(s,
                   "INSERT INTO questions (plan_sha256, n, text) VALUES ($1, $2, $3)"
                   " ON CONFLICT (plan_sha256, n) DO UPDATE SET text = excluded.text",
                   3, p, NULL, e);
}

int store_question_answer(store *s, const char *plan_sha256, int n, const char *answer, const char *actor, mf_err *e)
{
    char num[32], now[32];
    ll_str(n, num);
    store_now(now);
    const char *p[] = {answer, actor ? actor : "", now, plan_sha256, num};
    return db_exec(s, "UPDATE questions SET answer = $1, actor = $2, answered_at = $3 WHERE plan_sha256 = $4 AND n = $5",
                   5, p, NULL, e);
}

int store_question_list(store *s, const char *plan_sha256, store_question **out, int *count, mf_err *e)
{
    db_rows r;
    const char *p[] = {plan_sha256};
    *out = NULL;
    *count = 0;
    if (db_exec(s, "SELECT n, text, answer, actor FROM questions WHERE plan_sha256 = $1 ORDER BY n", 1, p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++) {
        (*out)[i].n = (int)db_cell_ll(&r, i, 0);
        (*out)[i].text = dup_or_null(db_cell(&r, i, 1));
        (*out)[i].answer = dup_or_null(db_cell(&r, i, 2));
        (*out)[i].actor = dup_or_null(db_cell(&r, i, 3));
    }
    *count = r.nrows;
    db_rows_free(&r);
    return 0;
}

void store_questions_free(store_question *q, int count)
{
    for (int i = 0; q && i < count; i++) {
        free(q[i].text);
        free(q[i].answer);
        free(q[i].actor);
    }
    free(q);
}

int store_feedback_add(store *s, const char *plan_sha256, const char *text, const char *understood,
                       const char *not_understood, const char *actor, mf_err *e)
{
    char now[32];
    store_now(now);
    const char *p[] = {plan_sha256, text, understood, not_understood, actor ? actor : "", now};
    return db_exec(s,
                   "INSERT INTO feedback (plan_sha256, text, understood, not_understood, actor, at)"
                   " VALUES ($1, $2, $3, $4, $5, $6)",
                   6, p, NULL, e);
}

int store_approval_add(store *s, const char *client, const char *plan_sha256, const char *decision,
                       const char *comment, const char *actor, mf_err *e)
{
    if (strcmp(decision, "approved") && strcmp(decision, "rejected"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "approval decision must be \"approved\" or \"rejected\", got \"%s\"",
                       decision);
    char now[32];
    store_now(now);
    const char *p[] = {client, plan_sha256, decision, comment, actor ? actor : "", now};
    if (db_begin(s, NULL, e) < 0)
        return -1;
    if (db_exec(s,
                "INSERT INTO approvals (client, plan_sha256, decision, comment, actor, at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                6, p, NULL, e) < 0 ||
        store_plan_set_status(s, client, plan_sha256, decision, e) < 0) {
        db_rollback(s);
        return -1;
    }
    return db_commit(s, e);
}

int store_approval_last(store *s, const char *client, const char *plan_sha256, store_approval *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    db_rows r;
    const char *p[] = {client, plan_sha256};
    if (db_exec(s,
                "SELECT actor, at, comment FROM approvals WHERE client = $1 AND plan_sha256 = $2"
                " AND decision = 'approved' ORDER BY id DESC LIMIT 1",
                2, p, &r, e) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found) {
        out->actor = dup_or_null(db_cell(&r, 0, 0));
        out->at = dup_or_null(db_cell(&r, 0, 1));
        out->comment = dup_or_null(db_cell(&r, 0, 2));
    }
    db_rows_free(&r);
    return found;
}

void store_approval_free(store_approval *a)
{
    free(a->actor);
    free(a->at);
    free(a->comment);
    memset(a, 0, sizeof *a);
}

/* ---- runs and loads ----------------------------------------------------------------------------- */

static const char *run_state_of(const store_run *r)
{
    if (r->state)
        return r->state;
    return !r->status || !strcmp(r->status, "ok") ? "checked" : !strcmp(r->status, "running") ? "running" : "failed";
}

int store_run_add(store *s, store_run *r, mf_err *e)
{
    char bytes[32], in[32], out[32], rej[32], fil[32], hit[32], secs[64], now[32], rid[32];
    snprintf(bytes, sizeof bytes, "%llu", r->input_bytes);
    ll_str(r->rows_in, in);
    ll_str(r->rows_out, out);
    ll_str(r->rows_rejected, rej);
    ll_str(r->rows_filtered, fil);
    ll_str(r->cache_hit ? 1 : 0, hit);
    ll_str(r->review_id, rid);
    snprintf(secs, sizeof secs, "%.6f", r->seconds);
    if (!r->started_at[0])
        store_now(r->started_at);
    snprintf(now, sizeof now, "%s", r->started_at);
    snprintf(r->updated_at, sizeof r->updated_at, "%s", now);
    const char *p[] = {r->client,     r->plan_sha256 ? r->plan_sha256 : "", r->input_path, r->input_sha256,
                       bytes,         in,
                       out,           rej,
                       fil,           hit,
                       r->cache_key,  now,
                       secs,          r->status ? r->status : "ok",
                       r->actor,      run_state_of(r),
                       rid,           r->out_dir};
    db_rows rows;
    if (db_exec(s,
                "INSERT INTO runs (client, plan_sha256, input_path, input_sha256, input_bytes, rows_in, rows_out,"
                " rows_rejected, rows_filtered, cache_hit, cache_key, started_at, seconds, status, actor, state,"
                " review_id, updated_at, out_dir)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $12, $18)"
                " RETURNING id",
                18, p, &rows, e) < 0)
        return -1;
    r->id = db_cell_ll(&rows, 0, 0);
    db_rows_free(&rows);
    return 0;
}

int store_run_update(store *s, store_run *r, mf_err *e)
{
    char bytes[32], in[32], out[32], rej[32], fil[32], secs[64], id[32];
    snprintf(bytes, sizeof bytes, "%llu", r->input_bytes);
    ll_str(r->rows_in, in);
    ll_str(r->rows_out, out);
    ll_str(r->rows_rejected, rej);
    ll_str(r->rows_filtered, fil);
    ll_str(r->id, id);
    snprintf(secs, sizeof secs, "%.6f", r->seconds);
    store_now(r->updated_at);
    const char *p[] = {id, r->input_sha256, bytes, in, out, rej, fil, secs, r->status ? r->status : "ok",
                       run_state_of(r), r->updated_at};
    return db_exec(s,
                   "UPDATE runs SET input_sha256 = $2, input_bytes = $3, rows_in = $4, rows_out = $5,"
                   " rows_rejected = $6, rows_filtered = $7, seconds = $8, status = $9, state = $10,"
                   " updated_at = $11 WHERE id = $1",
                   11, p, NULL, e);
}

#define RUN_COLUMNS                                                                                               \
    "SELECT id, client, plan_sha256, input_path, input_sha256, cache_key, input_bytes, rows_in, rows_out,"       \
    " rows_rejected, rows_filtered, cache_hit, started_at, seconds, status, actor, state, review_id, updated_at," \
    " out_dir FROM runs "

static void run_from_row(const db_rows *r, int i, store_run *x)
{
    memset(x, 0, sizeof *x);
    x->id = db_cell_ll(r, i, 0);
    x->client = dup_or_null(db_cell(r, i, 1));
    x->plan_sha256 = dup_or_null(db_cell(r, i, 2));
    x->input_path = dup_or_null(db_cell(r, i, 3));
    x->input_sha256 = dup_or_null(db_cell(r, i, 4));
    x->cache_key = dup_or_null(db_cell(r, i, 5));
    x->input_bytes = (unsigned long long)db_cell_ll(r, i, 6);
    x->rows_in = db_cell_ll(r, i, 7);
    x->rows_out = db_cell_ll(r, i, 8);
    x->rows_rejected = db_cell_ll(r, i, 9);
    x->rows_filtered = db_cell_ll(r, i, 10);
    x->cache_hit = (int)db_cell_ll(r, i, 11);
    copy_fixed(x->started_at, sizeof x->started_at, db_cell(r, i, 12));
    x->seconds = db_cell(r, i, 13) ? strtod(db_cell(r, i, 13), NULL) : 0;
    x->status = dup_or_null(db_cell(r, i, 14));
    x->actor = dup_or_null(db_cell(r, i, 15));
    x->state = dup_or_null(db_cell(r, i, 16));
    x->review_id = db_cell_ll(r, i, 17);
    copy_fixed(x->updated_at, sizeof x->updated_at, db_cell(r, i, 18));
    x->out_dir = dup_or_null(db_cell(r, i, 19));
}

int store_run_list(store *s, const char *client, store_run **out, int *n, mf_err *e)
{
    db_rows r;
    const char *p[] = {client};
    *out = NULL;
    *n = 0;
    if (db_exec(s, client ? RUN_COLUMNS "WHERE client = $1 ORDER BY id" : RUN_COLUMNS "ORDER BY id", client ? 1 : 0,
                p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++)
        run_from_row(&r, i, &(*out)[i]);
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

int store_run_get(store *s, long long id, store_run *out, mf_err *e)
{
    char ids[32];
    ll_str(id, ids);
    const char *p[] = {ids};
    db_rows r;
    memset(out, 0, sizeof *out);
    if (db_exec(s, RUN_COLUMNS "WHERE id = $1", 1, p, &r, e) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found)
        run_from_row(&r, 0, out);
    db_rows_free(&r);
    return found;
}

void store_run_free(store_run *r)
{
    if (!r)
        return;
    free((char *)r->client);
    free((char *)r->plan_sha256);
    free((char *)r->input_path);
    free((char *)r->input_sha256);
    free((char *)r->cache_key);
    free((char *)r->status);
    free((char *)r->actor);
    free((char *)r->state);
    free((char *)r->out_dir);
    r->client = r->plan_sha256 = r->input_path = r->input_sha256 = r->cache_key = r->status = r->actor = r->state =
        r->out_dir = NULL;
}

void store_runs_free(store_run *r, int n)
{
    for (int i = 0; r && i < n; i++)
        store_run_free(&r[i]);
    free(r);
}

int store_load_add(store *s, const store_load *l, mf_err *e)
{
    char run[32], loaded[32], replaced[32], now[32];
    ll_str(l->run_id, run);
    ll_str(l->rows_loaded, loaded);
    ll_str(l->rows_replaced, replaced);
    store_now(now);
    const char *p[] = {l->run_id ? run : NULL, l->client, l->target,    l->table_name, l->input_sha256,
                       loaded,                 replaced,  l->status,    l->actor,      now};
    return db_exec(s,
                   "INSERT INTO loads (run_id, client, target, table_name, input_sha256, rows_loaded, rows_replaced,"
                   " status, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                   10, p, NULL, e);
}

/* ---- cache lookups ----------------------------------------------------------------------------- */

int store_cache_lookup_add(store *s, const char *client, int hit, const char *key, const char *reason, mf_err *e)
{
    char now[32];
    store_now(now);
    const char *p[] = {now, client ? client : "", hit ? "1" : "0", key ? key : "", reason ? reason : ""};
    return db_exec(s, "INSERT INTO cache_lookups (at, client, hit, key, reason) VALUES ($1, $2, $3, $4, $5)", 5, p,
                   NULL, e);
}

/* ---- cache entries ---------------------------------------------------------------------------- */

#define CACHE_COLS                                                                                                     \
    "c.key, c.client, c.mapping_sha256, c.plan_sha256, pv.text, c.used_columns, c.dialect, c.status,"                  \
    " c.invalidated_reason, c.created_at, c.execution_count, c.last_run_success, c.expires_at"                         \
    " FROM cache_entries c LEFT JOIN plan_versions pv ON pv.client = c.client AND pv.sha256 = c.plan_sha256"

static void cache_from_row(const db_rows *r, int i, store_cache_entry *c)
{
    memset(c, 0, sizeof *c);
    copy_fixed(c->key, sizeof c->key, db_cell(r, i, 0));
    c->client = dup_or_null(db_cell(r, i, 1));
    copy_fixed(c->mapping_sha256, sizeof c->mapping_sha256, db_cell(r, i, 2));
    copy_fixed(c->plan_sha256, sizeof c->plan_sha256, db_cell(r, i, 3));
    c->plan_text = dup_or_null(db_cell(r, i, 4));
    c->used_columns = dup_or_null(db_cell(r, i, 5));
    c->dialect = dup_or_null(db_cell(r, i, 6));
    copy_fixed(c->status, sizeof c->status, db_cell(r, i, 7));
    c->invalidated_reason = dup_or_null(db_cell(r, i, 8));
    copy_fixed(c->created_at, sizeof c->created_at, db_cell(r, i, 9));
    c->execution_count = db_cell_ll(r, i, 10);
    c->last_run_success = (int)db_cell_ll(r, i, 11);
    copy_fixed(c->expires_at, sizeof c->expires_at, db_cell(r, i, 12));
}

static double cache_days(void)
{
    const char *v = getenv("MAPFORGE_CACHE_DAYS");
    char *end;
    double d = v && *v ? strtod(v, &end) : 90;
    if (!v || !*v || *end || d < 0)
        d = 90;
    return d;
}

int store_cache_put(store *s, const store_cache_entry *c, mf_err *e)
{
    char created[32], expires[32];
    if (c->created_at[0])
        snprintf(created, sizeof created, "%s", c->created_at);
    else
        store_now(created);
    if (c->expires_at[0])
        snprintf(expires, sizeof expires, "%s", c->expires_at);
    else
        store_time_plus_days(cache_days(), expires);
    const char *p[] = {c->key,      c->client,  c->mapping_sha256, c->plan_sha256, c->used_columns ? c->used_columns : "[]",
                       c->dialect ? c->dialect : "{}", created, expires};
    return db_exec(s,
                   "INSERT INTO cache_entries (key, client, mapping_sha256, plan_sha256, used_columns, dialect, status,"
                   " invalidated_reason, created_at, execution_count, last_run_success, expires_at)"
                   " VALUES ($1, $2, $3, $4, $5, $6, 'valid', NULL, $7, 0, -1, $8)"
                   " ON CONFLICT (key) DO UPDATE SET client = excluded.client, mapping_sha256 = excluded.mapping_sha256,"
                   " plan_sha256 = excluded.plan_sha256, used_columns = excluded.used_columns,"
                   " dialect = excluded.dialect, status = 'valid', invalidated_reason = NULL,"
                   " created_at = excluded.created_at, execution_count = 0, last_run_success = -1,"
                   " expires_at = excluded.expires_at",
                   8, p, NULL, e);
}

static int cache_query(store *s, const char *where, int np, const char *const *p, store_cache_entry **out, int *n,
                       mf_err *e)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT " CACHE_COLS " %s", where);
    db_rows r;
    *out = NULL;
    *n = 0;
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++)
        cache_from_row(&r, i, &(*out)[i]);
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

int store_cache_get(store *s, const char *key, store_cache_entry *out, mf_err *e)
{
    store_cache_entry *all;
    int n;
    const char *p[] = {key};
    if (cache_query(s, "WHERE c.key = $1", 1, p, &all, &n, e) < 0)
        return -1;
    if (n && out)
        *out = all[0];
    else if (n)
        store_cache_entry_free(&all[0]);
    free(all);
    return n > 0;
}

int store_cache_list(store *s, const char *client, store_cache_entry **out, int *n, mf_err *e)
{
    const char *p[] = {client};
    if (client)
        return cache_query(s, "WHERE c.client = $1 ORDER BY c.created_at DESC, c.key", 1, p, out, n, e);
    return cache_query(s, "ORDER BY c.created_at DESC, c.key", 0, NULL, out, n, e);
}

int store_cache_candidates(store *s, const char *client, const char *mapping_sha256, store_cache_entry **out, int *n,
                           mf_err *e)
{
    const char *p[] = {client, mapping_sha256};
    if (mapping_sha256)
        return cache_query(s,
                           "WHERE c.client = $1 AND c.mapping_sha256 = $2 AND c.status = 'valid'"
                           " ORDER BY c.created_at DESC, c.key",
                           2, p, out, n, e);
    return cache_query(s, "WHERE c.client = $1 AND c.status = 'valid' ORDER BY c.created_at DESC, c.key", 1, p, out, n,
                       e);
}

int store_cache_invalidate(store *s, const char *key, const char *reason, mf_err *e)
{
    db_rows r;
    const char *p[] = {reason ? reason : "invalidated", key};
    if (db_exec(s, "UPDATE cache_entries SET status = 'invalidated', invalidated_reason = $1 WHERE key = $2 RETURNING key",
                2, p, &r, e) < 0)
        return -1;
    int n = r.nrows;
    db_rows_free(&r);
    return n > 0;
}

int store_cache_record_run(store *s, const char *key, int success, mf_err *e)
{
    const char *p[] = {success ? "1" : "0", key};
    return db_exec(s,
                   "UPDATE cache_entries SET execution_count = execution_count + 1, last_run_success = $1 WHERE key = $2",
                   2, p, NULL, e);
}

void store_cache_entry_free(store_cache_entry *c)
{
    if (!c)
        return;
    free(c->client);
    free(c->plan_text);
    free(c->used_columns);
    free(c->dialect);
    free(c->invalidated_reason);
    c->client = c->plan_text = c->used_columns = c->dialect = c->invalidated_reason = NULL;
}

void store_cache_entries_free(store_cache_entry *c, int n)
{
    for (int i = 0; c && i < n; i++)
        store_cache_entry_free(&c[i]);
    free(c);
}
