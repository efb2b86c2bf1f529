/* store_sqlite.c — the SQLite backend of the state store: DIR/state.db.
 *
 * Invariants:
 *   - WAL journal and a 60 s busy timeout, so that several mapforge processes share one file;
 *   - every transaction starts with BEGIN IMMEDIATE: the write lock is taken up front, waiting (busy
 *     handler) instead of failing on a read→write upgrade, which serialises audit appends;
 *   - "$1".."$N" placeholders are bound by name, whatever order they appear in.
 */
#include "store/store_db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SQLITE_BUSY_MS 60000

static const char *path_of(store *s)
{
    return s->where;
}

static int fail_db(store *s, const char *sql, mf_err *e)
{
    return mf_fail(e, MF_EIO, path_of(s), 0, 0, "state store: %s (while running: %.80s)",
                   sqlite3_errmsg((sqlite3 *)s->conn), sql);
}

static int bind_params(store *s, sqlite3_stmt *st, int nparams, const char *const *params, const char *sql,
                       mf_err *e)
{
    for (int i = 0; i < nparams; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue;   /* a parameter the statement does not use */
        int rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, idx);
        if (rc != SQLITE_OK)
            return fail_db(s, sql, e);
    }
    return 0;
}

static int collect_row(sqlite3_stmt *st, db_rows *rows)
{
    int nc = sqlite3_column_count(st);
    const char *vals[64];
    if (nc > 64)
        nc = 64;
    for (int c = 0; c < nc; c++)
        vals[c] = (const char *)sqlite3_column_text(st, c);
    db_rows_add(rows, nc, vals);
    return 0;
}

static int sq_exec(store *s, const char *sql, int nparams, const char *const *params, db_rows *rows, mf_err *e)
{
    sqlite3 *db = s->conn;
    sqlite3_stmt *st = NULL;
    if (rows)
        memset(rows, 0, sizeof *rows);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_db(s, sql, e);
    if (bind_params(s, st, nparams, params, sql, e) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (rows)
            collect_row(st, rows);
    if (rc != SQLITE_DONE) {
        fail_db(s, sql, e);
        sqlite3_finalize(st);
        if (rows)
            db_rows_free(rows);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

static int sq_begin(store *s, const char *exclusive_table, mf_err *e)
{
    (void)exclusive_table;   /* SQLite has one writer at a time: IMMEDIATE is exclusive enough */
    return sq_exec(s, "BEGIN IMMEDIATE", 0, NULL, NULL, e);
}

static int sq_commit(store *s, mf_err *e)
{
    return sq_exec(s, "COMMIT", 0, NULL, NULL, e);
}

static void sq_rollback(store *s)
{
    if (!sqlite3_get_autocommit((sqlite3 *)s->conn))
        sqlite3_exec((sqlite3 *)s->conn, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_close(store *s)
{
    sqlite3_close((sqlite3 *)s->conn);
}

static const store_ops sqlite_ops = {sq_exec, sq_begin, sq_commit, sq_rollback, sq_close};

/* mkdir -p for the state directory. */
static int make_dirs(const char *dir, mf_err *e)
{
    char *p = mf_xstrdup(dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = 0;
        if (mkdir(p, 0700) < 0 && errno != EEXIST) {
            mf_fail(e, MF_EIO, p, 0, 0, "cannot create the state directory: %s", strerror(errno));
            free(p);
            return -1;
        }
        *q = '/';
    }
    int rc = 0;
    if (mkdir(p, 0700) < 0 && errno != EEXIST)
        rc = mf_fail(e, MF_EIO, p, 0, 0, "cannot create the state directory: %s", strerror(errno));
    free(p);
    return rc;
}

/* WAL is persistent once set; the switch itself can be busy when another process opens the
 * new file at the same moment, so retry a little and otherwise stay in rollback mode (correct,
 * only slower). */
static void use_wal(sqlite3 *db)
{
    for (int i = 0; i < 50; i++) {
        if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) == SQLITE_OK)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

store *store_sqlite_open(const char *dir, mf_err *e)
{
    if (make_dirs(dir, e) < 0)
        return NULL;
    size_t n = strlen(dir) + 16;
    char *path = mf_xmalloc(n);
    snprintf(path, n, "%s/state.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        mf_fail(e, MF_EIO, path, 0, 0, "cannot open the state store: %s",
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        free(path);
        return NULL;
    }
    sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
    use_wal(db);
    store *s = mf_xcalloc(1, sizeof *s);
    s->kind = STORE_SQLITE;
    s->ops = &sqlite_ops;
    s->conn = db;
    s->where = path;   /* the file, so that errors name it */
    return s;
}
