/* load_pg.c — loading an output CSV into PostgreSQL with COPY FROM STDIN (libpq).
 *
 * One transaction: an advisory lock on the table name (two loaders of one table queue instead of
 * racing on CREATE TABLE), create the table if absent, delete the rows of the same client + input
 * SHA-256, COPY every row in text format, commit.  PostgreSQL's transaction makes the whole load
 * atomic: a client killed mid-COPY leaves an aborted transaction the server throws away.
 *
 * COPY text format: fields separated by tab, rows by newline, NULL as \N; inside a value a
 * backslash, tab, newline and carriage return are written \\ \t \n \r.  Rows are buffered into
 * ~1 MiB chunks for PQputCopyData.  Values are checked against their declared type first (load.c)
 * so an error names the CSV line and column; the server checks them again.
 *
 * Built without libpq (no <libpq-fe.h> on the include path), load_pg fails with a clear message.
 */
#include "util/interrupt.h"
#include "store/load_internal.h"

#include <stdlib.h>
#include <string.h>

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>

#define COPY_CHUNK (1 << 20)

int load_pg_available(void)
{
    return 1;
}

/* URL without its password, for messages and the result. */
static void redact(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? memchr(scheme + 3, ':', at ? (size_t)(at - scheme - 3) : 0) : NULL;
    if (!at || !colon)
        snprintf(out, n, "%s", url);
    else
        snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
}

static int pg_fail(PGconn *c, PGresult *res, const char *target, mf_err *e, const char *what)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c);
    char clean[900];
    snprintf(clean, sizeof clean, "%s", msg && msg[0] ? msg : "unknown error");
    for (char *p = clean; *p; p++)
        if (*p == '\n')
            *p = ' ';
    mf_fail(e, MF_EIO, target, 0, 0, "%s: %s", what, clean);
    if (res)
        PQclear(res);
    return -1;
}

static int exec_ok(PGconn *c, const char *sql, const char *target, mf_err *e)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pg_fail(c, res, target, e, sql);
    PQclear(res);
    return 0;
}

static int exec_params(PGconn *c, const char *sql, int n, const char *const *vals, const char *target,
                       long long *affected, mf_err *e)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pg_fail(c, res, target, e, "statement failed");
    if (affected)
        *affected = atoll(PQcmdTuples(res));
    PQclear(res);
    return 0;
}

/* Append a value in COPY text format. */
static void copy_value(mf_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : s[i] == '\r' ? "\\r" : NULL;
        if (!esc)
            continue;
        mf_buf_add(b, s + start, i - start);
        mf_buf_adds(b, esc);
        start = i + 1;
    }
    mf_buf_add(b, s + start, n - start);
}

static int copy_rows(PGconn *c, const plan *p, load_csv *lc, const mf_buf *tail, const char *target, load_result *r,
                     mf_err *e)
{
    mf_buf b = {0};
    long n;
    int rc = 0;
    while (rc == 0 && (n = load_csv_next(lc, e)) != 0) {
        if (n < 0) {
            rc = -1;
            break;
        }
        for (long row = 0; row < n && rc == 0; row++) {
            uint32_t f0 = lc->b.first[row];
            for (int col = 0; col < p->ncols && rc == 0; col++) {
                uint32_t i = f0 + (uint32_t)lc->field[col];
                const char *v = lc->b.fptr[i];
                size_t len = lc->b.flen[i];
                if (len && load_check_value(&p->cols[col], v, len, lc->path, lc->b.line[row], e) < 0)
                    rc = -1;
                else if (len)
                    copy_value(&b, v, len);
                else
                    mf_buf_adds(&b, "\\N");
                mf_buf_addc(&b, '\t');
            }
            mf_buf_add(&b, tail->data, tail->len);
            r->rows_loaded++;
            if (rc == 0 && b.len >= COPY_CHUNK) {
                if (PQputCopyData(c, b.data, (int)b.len) != 1)
                    rc = pg_fail(c, NULL, target, e, "COPY failed");
                mf_buf_clear(&b);
            }
        }
    }
    if (rc == 0 && b.len && PQputCopyData(c, b.data, (int)b.len) != 1)
        rc = pg_fail(c, NULL, target, e, "COPY failed");
    mf_buf_free(&b);
    return rc;
}

/* COPY ... FROM STDIN, the rows, then the end of the copy and its result. */
static int copy_all(PGconn *c, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                    const char *target, load_result *r, mf_err *e)
{
    load_csv lc;
    if (load_csv_open(&lc, p, csv_path, e) < 0) {
        load_csv_close(&lc);
        return -1;
    }
    mf_buf sql = {0}, tail = {0};
    mf_buf_adds(&sql, "COPY ");
    load_quote_ident(&sql, p->output);
    mf_buf_addc(&sql, ' ');
    load_column_list(&sql, p);
    mf_buf_adds(&sql, " FROM STDIN");
    copy_value(&tail, info->client, strlen(info->client));
    mf_buf_addc(&tail, '\t');
    const char *sha = info->input_sha256 ? info->input_sha256 : "";
    copy_value(&tail, sha, strlen(sha));
    mf_buf_addc(&tail, '\t');
    copy_value(&tail, run_at, strlen(run_at));
    mf_buf_addc(&tail, '\n');
    PGresult *res = PQexec(c, sql.data);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_IN)
        rc = pg_fail(c, res, target, e, "COPY could not start (does the table have other columns?)");
    else {
        PQclear(res);
        rc = copy_rows(c, p, &lc, &tail, target, r, e);
        /* Ending with an error message makes the server abort the COPY and the transaction. */
        if (PQputCopyEnd(c, rc == 0 ? NULL : "mapforge: load aborted") != 1 && rc == 0)
            rc = pg_fail(c, NULL, target, e, "COPY could not end");
        while ((res = PQgetResult(c))) {
            if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
                rc = pg_fail(c, res, target, e, "COPY failed");
            else
                PQclear(res);
        }
    }
    mf_buf_free(&sql);
    mf_buf_free(&tail);
    load_csv_close(&lc);
    return rc;
}

static int load_tx(PGconn *c, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                   const char *target, load_result *r, mf_err *e)
{
    mf_buf sql = {0};
    const char *lock[1] = {p->output};
    int rc = exec_params(c, "SELECT pg_advisory_xact_lock(hashtext('mapforge.load.' || $1))", 1, lock, target, NULL, e);
    if (rc == 0) {
        load_create_sql(&sql, p, false);
        rc = exec_ok(c, sql.data, target, e);
    }
    if (rc == 0) {
        mf_buf_clear(&sql);
        mf_buf_adds(&sql, "DELETE FROM ");
        load_quote_ident(&sql, p->output);
        mf_buf_adds(&sql, " WHERE \"_mapforge_client\" = $1 AND \"_mapforge_input_sha256\" = $2");
        const char *vals[2] = {info->client, info->input_sha256 ? info->input_sha256 : ""};
        rc = exec_params(c, sql.data, 2, vals, target, &r->rows_replaced, e);
    }
    mf_buf_free(&sql);
    if (rc == 0)
        rc = copy_all(c, p, csv_path, info, run_at, target, r, e);
    return rc;
}

int load_pg(const plan *p, const char *csv_path, const char *conninfo, const load_info *info, load_result *r,
            mf_err *e)
{
    char target[1024];
    redact(conninfo, target, sizeof target);
    snprintf(r->target, sizeof r->target, "%s", target);
    char run_at[40];
    if (info->run_at)
        snprintf(run_at, sizeof run_at, "%s", info->run_at);
    else
        load_now_iso(run_at, sizeof run_at);
    PGconn *c = PQconnectdb(conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        pg_fail(c, NULL, target, e, "cannot connect");
        PQfinish(c);
        return -1;
    }
    PGresult *q = PQexec(c, "SET client_min_messages = warning");   /* no NOTICE for an existing table */
    PQclear(q);
    int rc = exec_ok(c, "BEGIN", target, e);
    if (rc == 0) {
        rc = load_tx(c, p, csv_path, info, run_at, target, r, e);
        if (rc == 0)
            rc = mf_interrupt_check(e);   /* a stop before COMMIT leaves the warehouse as it was */
        if (rc == 0)
            rc = exec_ok(c, "COMMIT", target, e);
        if (rc < 0) {
            PQclear(PQexec(c, "ROLLBACK"));
            r->rows_loaded = r->rows_replaced = 0;
        }
    }
    PQfinish(c);
    return rc;
}

#else /* no libpq */

int load_pg_available(void)
{
    return 0;
}

int load_pg(const plan *p, const char *csv_path, const char *conninfo, const load_info *info, load_result *r,
            mf_err *e)
{
    (void)p, (void)csv_path, (void)info, (void)r;
    return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "cannot load into %.40s...: this mapforge was built without PostgreSQL "
                                             "support (libpq)", conninfo);
}

#endif
