/* load_pg.c — loading an output CSV into PostgreSQL with COPY FROM STDIN (libpq).
 *
 * One stream: one transaction: an advisory lock on the table name (two loaders of one table queue
 * instead of racing on CREATE TABLE), create the table if absent, delete the rows of the same
 * client + input SHA-256, COPY every row in text format, commit.  PostgreSQL's transaction makes
 * the whole load atomic: a client killed mid-COPY leaves an aborted transaction the server throws
 * away.
 *
 * N streams (load_info.streams > 1): parallel connections cannot share a transaction.  The one
 * thread that reads and checks the CSV deals ~1 MiB chunks round-robin to N connections: stream 0
 * is the main connection, whose transaction (the lock, create and delete above) COPYs straight
 * into the table; streams 1..N-1 each COPY into an UNLOGGED staging table of its own
 * ("_mapforge_stage_<its backend pid>", committed).  When all are done, the main transaction moves
 * every staged row into the table with one INSERT ... SELECT (checking the count against the rows
 * dealt to the stages), drops the staging tables and commits: the table sees all rows or none.
 * The streams' connections stay open until that commit: a staging table whose backend is gone
 * belongs to a killed load, and every parallel load first drops those.
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

#include <pthread.h>
#include <stdbool.h>
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

/* Bytes COPY's text format escapes: backslash, tab, newline, carriage return. */
static const unsigned char copy_special[256] = {['\\'] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

/* Append a value in COPY text format: runs of plain bytes copied at once. */
static void copy_value(mf_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!copy_special[(unsigned char)s[i]])
            continue;
        mf_buf_add(b, s + start, i - start);
        mf_buf_adds(b, s[i] == '\\' ? "\\\\" : s[i] == '\t' ? "\\t" : s[i] == '\n' ? "\\n" : "\\r");
        start = i + 1;
    }
    mf_buf_add(b, s + start, n - start);
}

/* Where encoded rows go: one connection's COPY, or the streams (load_streams below).  The sink may
 * take b's memory; it leaves b empty either way. */
typedef int (*copy_sink)(void *user, mf_buf *b, long long rows, mf_err *e);

/* Read, check and encode every row of lc in ~1 MiB chunks handed to sink. */
static int encode_rows(const plan *p, load_csv *lc, const mf_buf *tail, load_result *r, copy_sink sink, void *user,
                       mf_err *e)
{
    mf_buf b = {0};
    long n;
    long long in_chunk = 0;
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
            in_chunk++;
            if (rc == 0 && b.len >= COPY_CHUNK) {
                rc = sink(user, &b, in_chunk, e);
                in_chunk = 0;
            }
        }
    }
    if (rc == 0 && b.len)
        rc = sink(user, &b, in_chunk, e);
    mf_buf_free(&b);
    return rc;
}

typedef struct conn_sink {
    PGconn *c;
    const char *target;
} conn_sink;

static int put_conn(void *user, mf_buf *b, long long rows, mf_err *e)
{
    (void)rows;
    conn_sink *s = user;
    int rc = PQputCopyData(s->c, b->data, (int)b->len) == 1 ? 0 : pg_fail(s->c, NULL, s->target, e, "COPY failed");
    mf_buf_clear(b);
    return rc;
}

/* COPY "table" (columns) FROM STDIN started on c: 0, or -1 with e filled. */
static int copy_start(PGconn *c, const plan *p, const char *table, const char *target, mf_err *e)
{
    mf_buf sql = {0};
    mf_buf_adds(&sql, "COPY ");
    load_quote_ident(&sql, table);
    mf_buf_addc(&sql, ' ');
    load_column_list(&sql, p);
    mf_buf_adds(&sql, " FROM STDIN");
    PGresult *res = PQexec(c, sql.data);
    mf_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return pg_fail(c, res, target, e, "COPY could not start (does the table have other columns?)");
    PQclear(res);
    return 0;
}

/* End the COPY on c (aborting it when failed) and collect its result. */
static int copy_end(PGconn *c, int failed, const char *target, mf_err *e)
{
    int rc = 0;
    /* Ending with an error message makes the server abort the COPY (and its transaction). */
    if (PQputCopyEnd(c, failed ? "mapforge: load aborted" : NULL) != 1 && !failed)
        rc = pg_fail(c, NULL, target, e, "COPY could not end");
    PGresult *res;
    while ((res = PQgetResult(c))) {
        if (rc == 0 && !failed && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(c, res, target, e, "COPY failed");
        else
            PQclear(res);
    }
    return rc;
}

/* The tail every row ends with: client, input SHA-256, run time, newline. */
static void row_tail(mf_buf *tail, const load_info *info, const char *run_at)
{
    copy_value(tail, info->client, strlen(info->client));
    mf_buf_addc(tail, '\t');
    const char *sha = info->input_sha256 ? info->input_sha256 : "";
    copy_value(tail, sha, strlen(sha));
    mf_buf_addc(tail, '\t');
    copy_value(tail, run_at, strlen(run_at));
    mf_buf_addc(tail, '\n');
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
    mf_buf tail = {0};
    row_tail(&tail, info, run_at);
    int rc = copy_start(c, p, p->output, target, e);
    if (rc == 0) {
        conn_sink cs = {c, target};
        rc = encode_rows(p, &lc, &tail, r, put_conn, &cs, e);
        int end = copy_end(c, rc != 0, target, e);
        if (rc == 0)
            rc = end;
    }
    mf_buf_free(&tail);
    load_csv_close(&lc);
    return rc;
}

/* Lock the table's name, create the table if absent, delete the earlier copy of this client + input. */
static int prepare_target(PGconn *c, const plan *p, const load_info *info, const char *target, load_result *r,
                          mf_err *e)
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
    return rc;
}

static int load_tx(PGconn *c, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                   const char *target, load_result *r, mf_err *e)
{
    int rc = prepare_target(c, p, info, target, r, e);
    if (rc == 0)
        rc = copy_all(c, p, csv_path, info, run_at, target, r, e);
    return rc;
}

static PGconn *connect_quiet(const char *conninfo, const char *target, mf_err *e)
{
    PGconn *c = PQconnectdb(conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        pg_fail(c, NULL, target, e, "cannot connect");
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));   /* no NOTICE for an existing table */
    return c;
}

/* ---- N parallel streams ------------------------------------------------------------------------ */

#define STAGE_PREFIX "_mapforge_stage_"   /* + the backend pid of the stream that fills it */

typedef struct load_stream {
    PGconn *c;
    char table[64];               /* its staging table; "" = stream 0, the target itself */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mf_buf slot;                  /* the next chunk for this stream (full when slot.len) */
    bool end, failed;             /* end: no more chunks; failed: abort the COPY */
    int rc;                       /* the stream's own result (e filled) */
    long long rows;               /* rows dealt to this stream */
    mf_err e;
    const char *target;
} load_stream;

typedef struct load_streams {
    load_stream *s;
    int n, next;
} load_streams;

static void *stream_main(void *arg)
{
    load_stream *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->slot.len && !s->end)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->slot.len) {   /* end */
            pthread_mutex_unlock(&s->mu);
            break;
        }
        mf_buf chunk = s->slot;
        memset(&s->slot, 0, sizeof s->slot);
        int rc = s->rc;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        if (rc == 0 && PQputCopyData(s->c, chunk.data, (int)chunk.len) != 1)
            rc = pg_fail(s->c, NULL, s->target, &s->e, "COPY failed");
        mf_buf_free(&chunk);
        if (rc < 0) {
            pthread_mutex_lock(&s->mu);
            s->rc = -1;   /* later chunks are taken and dropped: the producer sees rc and stops */
            pthread_mutex_unlock(&s->mu);
        }
    }
    int rc = copy_end(s->c, s->rc != 0 || s->failed, s->target, &s->e);
    if (s->rc == 0 && rc < 0)
        s->rc = -1;
    return NULL;
}

/* Deal chunks round-robin: wait until the stream's slot is free, move the chunk into it. */
static int put_streams(void *user, mf_buf *b, long long rows, mf_err *e)
{
    load_streams *ls = user;
    load_stream *s = &ls->s[ls->next];
    ls->next = (ls->next + 1) % ls->n;
    pthread_mutex_lock(&s->mu);
    while (s->slot.len && s->rc == 0)
        pthread_cond_wait(&s->cv, &s->mu);
    int rc = s->rc;
    if (rc == 0) {
        s->rows += rows;
        s->slot = *b;
        memset(b, 0, sizeof *b);
        pthread_cond_broadcast(&s->cv);
    } else {
        *e = s->e;
        mf_buf_clear(b);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Drop staging tables whose stream's backend is gone (a load killed before its last transaction). */
static void drop_stale_stages(PGconn *c)
{
    PGresult *res = PQexec(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
                              " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
                              " AND c.relname ~ '^" STAGE_PREFIX "[0-9]+$' AND NOT EXISTS (SELECT 1 FROM"
                              " pg_stat_activity a WHERE a.pid = substring(c.relname from 17)::int)");
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        for (int i = 0; i < PQntuples(res); i++) {
            mf_buf sql = {0};
            mf_buf_printf(&sql, "DROP TABLE IF EXISTS %s", PQgetvalue(res, i, 0));
            PQclear(PQexec(c, sql.data));   /* best effort: another loader may drop it first */
            mf_buf_free(&sql);
        }
    PQclear(res);
}

/* Open stream i: connect, create its UNLOGGED staging table (committed: the last transaction on
 * another connection reads it), start its COPY. */
static int stream_open(load_stream *s, const plan *p, const char *conninfo, const char *target, mf_err *e)
{
    s->target = target;
    if (!(s->c = connect_quiet(conninfo, target, e)))
        return -1;
    snprintf(s->table, sizeof s->table, STAGE_PREFIX "%d", PQbackendPID(s->c));
    mf_buf sql = {0};
    load_create_sql_as(&sql, p, false, "CREATE UNLOGGED TABLE ", s->table);
    int rc = exec_ok(s->c, sql.data, target, e);
    mf_buf_free(&sql);
    if (rc == 0)
        rc = copy_start(s->c, p, s->table, target, e);
    return rc;
}

/* The end of the main transaction: every staged row moved into the table (their count checked
 * against the rows dealt to the stages), the staging tables dropped, commit. */
static int move_staged(PGconn *c, const plan *p, const load_streams *ls, long long staged, const char *target,
                       mf_err *e)
{
    long long moved = 0;
    mf_buf sql = {0}, cols = {0};
    load_column_list(&cols, p);
    mf_buf_adds(&sql, "INSERT INTO ");
    load_quote_ident(&sql, p->output);
    mf_buf_printf(&sql, " %s ", cols.data);
    /* (a, b) → SELECT a, b */
    const char *list = cols.data + 1;
    int len = (int)cols.len - 2;
    for (int i = 1; i < ls->n; i++) {
        mf_buf_printf(&sql, "%sSELECT %.*s FROM ", i > 1 ? " UNION ALL " : "", len, list);
        load_quote_ident(&sql, ls->s[i].table);
    }
    int rc = exec_params(c, sql.data, 0, NULL, target, &moved, e);
    mf_buf_free(&sql);
    mf_buf_free(&cols);
    if (rc == 0 && moved != staged)
        rc = mf_fail(e, MF_EIO, target, 0, 0, "the staging tables hold %lld rows, %lld were sent: nothing loaded",
                     moved, staged);
    for (int i = 1; rc == 0 && i < ls->n; i++) {
        mf_buf_adds(&sql, "DROP TABLE ");
        load_quote_ident(&sql, ls->s[i].table);
        rc = exec_ok(c, sql.data, target, e);
        mf_buf_free(&sql);
    }
    if (rc == 0)
        rc = mf_interrupt_check(e);   /* a stop before COMMIT leaves the warehouse as it was */
    if (rc == 0)
        rc = exec_ok(c, "COMMIT", target, e);
    return rc;
}

/* N streams: stream 0 is the main connection, COPYing straight into the table inside the load's
 * transaction (lock, create, delete done first); streams 1..N-1 fill staging tables, moved in by
 * that transaction at its end.  So only (N-1)/N of the rows are written twice. */
static int load_parallel(PGconn *c, const plan *p, const char *csv_path, const char *conninfo, const load_info *info,
                         const char *run_at, const char *target, load_result *r, mf_err *e)
{
    drop_stale_stages(c);
    load_streams ls = {mf_xcalloc((size_t)info->streams, sizeof *ls.s), info->streams, 0};
    load_csv lc;
    mf_buf tail = {0};
    row_tail(&tail, info, run_at);
    for (int i = 0; i < ls.n; i++) {
        pthread_mutex_init(&ls.s[i].mu, NULL);
        pthread_cond_init(&ls.s[i].cv, NULL);
    }
    int rc = load_csv_open(&lc, p, csv_path, e);
    bool in_tx = false;
    if (rc == 0 && (rc = exec_ok(c, "BEGIN", target, e)) == 0) {
        in_tx = true;
        rc = prepare_target(c, p, info, target, r, e);
    }
    for (int i = 0; rc == 0 && i < ls.n; i++) {
        if (i == 0) {
            ls.s[0].c = c;
            ls.s[0].target = target;
            rc = copy_start(c, p, p->output, target, e);
        } else
            rc = stream_open(&ls.s[i], p, conninfo, target, e);
        if (rc == 0 && pthread_create(&ls.s[i].thread, NULL, stream_main, &ls.s[i]) != 0)
            rc = mf_fail(e, MF_EIO, target, 0, 0, "cannot start a load stream thread");
        else if (rc == 0)
            ls.s[i].started = true;
    }
    if (rc == 0)
        rc = encode_rows(p, &lc, &tail, r, put_streams, &ls, e);
    for (int i = 0; i < ls.n; i++) {
        load_stream *s = &ls.s[i];
        pthread_mutex_lock(&s->mu);
        s->end = true;
        s->failed = rc != 0;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    for (int i = 0; i < ls.n; i++)
        if (ls.s[i].started) {
            pthread_join(ls.s[i].thread, NULL);
            if (rc == 0 && ls.s[i].rc < 0) {
                *e = ls.s[i].e;
                rc = -1;
            }
        }
    if (rc == 0)
        rc = move_staged(c, p, &ls, r->rows_loaded - ls.s[0].rows, target, e);
    if (rc < 0 && in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    if (rc < 0)   /* committed staging tables of a failed load: dropped now (the next load would) */
        for (int i = 1; i < ls.n; i++)
            if (ls.s[i].table[0]) {
                mf_buf sql = {0};
                mf_buf_adds(&sql, "DROP TABLE IF EXISTS ");
                load_quote_ident(&sql, ls.s[i].table);
                PQclear(PQexec(c, sql.data));
                mf_buf_free(&sql);
            }
    for (int i = 0; i < ls.n; i++) {
        mf_buf_free(&ls.s[i].slot);
        if (i > 0)
            PQfinish(ls.s[i].c);   /* only now: a live backend keeps other loaders off its staging table */
        pthread_mutex_destroy(&ls.s[i].mu);
        pthread_cond_destroy(&ls.s[i].cv);
    }
    free(ls.s);
    mf_buf_free(&tail);
    load_csv_close(&lc);
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
    if (info->streams > 64)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--load-streams %d: at most 64", info->streams);
    PGconn *c = connect_quiet(conninfo, target, e);
    if (!c)
        return -1;
    int rc;
    if (info->streams > 1)
        rc = load_parallel(c, p, csv_path, conninfo, info, run_at, target, r, e);
    else {
        rc = exec_ok(c, "BEGIN", target, e);
        if (rc == 0) {
            rc = load_tx(c, p, csv_path, info, run_at, target, r, e);
            if (rc == 0)
                rc = mf_interrupt_check(e);   /* a stop before COMMIT leaves the warehouse as it was */
            if (rc == 0)
                rc = exec_ok(c, "COMMIT", target, e);
            if (rc < 0)
                PQclear(PQexec(c, "ROLLBACK"));
        }
    }
    if (rc < 0)
        r->rows_loaded = r->rows_replaced = 0;
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
