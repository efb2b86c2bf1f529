/* store_pg.c — the PostgreSQL backend of the state store, through libpq.
 *
 * Invariants:
 *   - the store's tables live in schema "mapforge" (search_path is set on connect), apart from
 *     whatever else the database holds (loaded output tables, for instance);
 *   - a transaction that names an exclusive table takes LOCK TABLE ... IN EXCLUSIVE MODE first:
 *     readers go on, other writers of that table wait, so audit appends are serialised;
 *   - server notices ("relation already exists, skipping") are not printed;
 *   - error messages never show the URL's password.
 */
#include "store/store_db.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* The URL without its password, for messages: "postgresql://user:secret@h/db" → "...user@h/db". */
static char *redact_url(const char *url)
{
    char *r = mf_xstrdup(url);
    char *scheme = strstr(r, "://");
    char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    if (!at)
        return r;
    char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
    if (colon)
        memmove(colon, at, strlen(at) + 1);
    return r;
}

static int fail_pg(store *s, const char *what, const char *sql, mf_err *e)
{
    char msg[600];
    snprintf(msg, sizeof msg, "%s", what);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = 0;
    return mf_fail(e, MF_EIO, s->where, 0, 0, "state store: %s (while running: %.80s)", msg, sql);
}

static int pg_exec(store *s, const char *sql, int nparams, const char *const *params, db_rows *rows, mf_err *e)
{
    PGconn *c = s->conn;
    if (rows)
        memset(rows, 0, sizeof *rows);
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail_pg(s, res ? PQresultErrorMessage(res) : PQerrorMessage(c), sql, e);
        PQclear(res);
        return -1;
    }
    if (rows && st == PGRES_TUPLES_OK) {
        int nr = PQntuples(res), nc = PQnfields(res);
        const char *vals[64];
        if (nc > 64)
            nc = 64;
        for (int r = 0; r < nr; r++) {
            for (int k = 0; k < nc; k++)
                vals[k] = PQgetisnull(res, r, k) ? NULL : PQgetvalue(res, r, k);
            db_rows_add(rows, nc, vals);
        }
        rows->ncols = nc;
    }
    PQclear(res);
    return 0;
}

static int pg_begin(store *s, const char *exclusive_table, mf_err *e)
{
    if (pg_exec(s, "BEGIN", 0, NULL, NULL, e) < 0)
        return -1;
    if (!exclusive_table)
        return 0;
    char sql[200];
    snprintf(sql, sizeof sql, "LOCK TABLE %s IN EXCLUSIVE MODE", exclusive_table);
    if (pg_exec(s, sql, 0, NULL, NULL, e) < 0) {
        pg_exec(s, "ROLLBACK", 0, NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int pg_commit(store *s, mf_err *e)
{
    return pg_exec(s, "COMMIT", 0, NULL, NULL, e);
}

static void pg_rollback(store *s)
{
    if (PQtransactionStatus((PGconn *)s->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec((PGconn *)s->conn, "ROLLBACK");
        PQclear(r);
    }
}

static void pg_close(store *s)
{
    PQfinish((PGconn *)s->conn);
}

static const store_ops pg_ops = {pg_exec, pg_begin, pg_commit, pg_rollback, pg_close};

store *store_pg_open(const char *url, mf_err *e)
{
    PGconn *c = PQconnectdb(url);
    store *s = mf_xcalloc(1, sizeof *s);
    s->kind = STORE_PG;
    s->ops = &pg_ops;
    s->conn = c;
    s->where = redact_url(url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        fail_pg(s, c ? PQerrorMessage(c) : "out of memory", "connect", e);
        store_close(s);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    if (pg_exec(s, "SET client_min_messages = warning", 0, NULL, NULL, e) < 0 ||
        pg_exec(s, "SET search_path TO mapforge", 0, NULL, NULL, e) < 0) {
        store_close(s);
        return NULL;
    }
    return s;
}
