/* load_sqlite.c — loading an output CSV into an SQLite file.
 *
 * One transaction (BEGIN IMMEDIATE, so two loaders queue instead of failing half-way): create
 * the table if absent, delete the rows of the same client + input SHA-256, insert every row with
 * one prepared statement, commit.  SQLite's rollback journal makes the commit atomic: a process
 * killed at any point leaves the database as it was before BEGIN, and the next opener rolls the
 * hot journal back.  Any error rolls back explicitly.
 *
 * Values are bound by type: integer/bigint as 64-bit integers, boolean as 0/1, everything else as
 * text (decimal columns are declared DECIMAL_TEXT(p,s): text affinity, so "12.30" stays exactly
 * "12.30" instead of becoming a binary double), an empty field as NULL.  Values are
 * checked against the declared type first (load.c), since SQLite itself would accept anything.
 */
#include "util/interrupt.h"
#include "store/load_internal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

typedef struct sqlite_load {
    sqlite3 *db;
    sqlite3_stmt *ins;
    const char *path;
} sqlite_load;

static int db_fail(sqlite_load *s, mf_err *e, const char *what)
{
    return mf_fail(e, MF_EIO, s->path, 0, 0, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

static int exec(sqlite_load *s, const char *sql, mf_err *e)
{
    char *err = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &err) == SQLITE_OK)
        return 0;
    mf_fail(e, MF_EIO, s->path, 0, 0, "%s (while running: %.200s)", err ? err : "error", sql);
    sqlite3_free(err);
    return -1;
}

static int delete_previous(sqlite_load *s, const plan *p, const load_info *info, load_result *r, mf_err *e)
{
    mf_buf sql = {0};
    mf_buf_adds(&sql, "DELETE FROM ");
    load_quote_ident(&sql, p->output);
    mf_buf_adds(&sql, " WHERE \"_mapforge_client\" = ?1 AND \"_mapforge_input_sha256\" = ?2");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL);
    mf_buf_free(&sql);
    if (rc != SQLITE_OK)
        return db_fail(s, e, "cannot prepare the delete of the previous load");
    sqlite3_bind_text(st, 1, info->client, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, info->input_sha256 ? info->input_sha256 : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, e, "cannot delete the previous load");
    r->rows_replaced = sqlite3_changes(s->db);
    return 0;
}

static int prepare_insert(sqlite_load *s, const plan *p, mf_err *e)
{
    mf_buf sql = {0};
    mf_buf_adds(&sql, "INSERT INTO ");
    load_quote_ident(&sql, p->output);
    mf_buf_addc(&sql, ' ');
    load_column_list(&sql, p);
    mf_buf_adds(&sql, " VALUES (");
    for (int c = 0; c < p->ncols + 3; c++)
        mf_buf_adds(&sql, c ? ", ?" : "?");
    mf_buf_addc(&sql, ')');
    int rc = sqlite3_prepare_v2(s->db, sql.data, -1, &s->ins, NULL);
    mf_buf_free(&sql);
    return rc == SQLITE_OK ? 0 : db_fail(s, e, "cannot prepare the insert (does the table have other columns?)");
}

static void bind_value(sqlite3_stmt *st, int i, const plan_column *c, const char *v, size_t n)
{
    if (!n) {
        sqlite3_bind_null(st, i);
        return;
    }
    switch (c->type.base) {
    case PT_INTEGER:
    case PT_BIGINT: sqlite3_bind_int64(st, i, strtoll(v, NULL, 10)); return;   /* checked: digits, in range */
    case PT_BOOLEAN: sqlite3_bind_int(st, i, v[0] == 't'); return;
    default: sqlite3_bind_text(st, i, v, (int)n, SQLITE_STATIC); return;
    }
}

static int insert_block(sqlite_load *s, const plan *p, load_csv *lc, long nrows, load_result *r, mf_err *e)
{
    char num[32];
    for (long row = 0; row < nrows; row++) {
        uint32_t f0 = lc->b.first[row];
        for (int c = 0; c < p->ncols; c++) {
            uint32_t i = f0 + (uint32_t)lc->field[c];
            const char *v = lc->b.fptr[i];
            size_t n = lc->b.flen[i];
            if (n && load_check_value(&p->cols[c], v, n, lc->path, lc->b.line[row], e) < 0)
                return -1;
            if (n && n < sizeof num && (p->cols[c].type.base == PT_INTEGER || p->cols[c].type.base == PT_BIGINT)) {
                memcpy(num, v, n);   /* fields are not NUL-terminated: strtoll needs a copy */
                num[n] = 0;
                v = num;
            }
            bind_value(s->ins, c + 1, &p->cols[c], v, n);
        }
        if (sqlite3_step(s->ins) != SQLITE_DONE) {
            mf_fail(e, MF_EIO, lc->path, lc->b.line[row], 0, "cannot insert this row into %s: %s", s->path,
                    sqlite3_errmsg(s->db));
            return -1;
        }
        sqlite3_reset(s->ins);
        r->rows_loaded++;
    }
    return 0;
}

static int load_rows(sqlite_load *s, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                     load_result *r, mf_err *e)
{
    load_csv lc;
    int rc = load_csv_open(&lc, p, csv_path, e);
    if (rc == 0)
        rc = prepare_insert(s, p, e);
    if (rc == 0) {
        /* The three provenance values are the same for every row: bound once. */
        sqlite3_bind_text(s->ins, p->ncols + 1, info->client, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins, p->ncols + 2, info->input_sha256 ? info->input_sha256 : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(s->ins, p->ncols + 3, run_at, -1, SQLITE_STATIC);
        long n;
        while (rc == 0 && (n = load_csv_next(&lc, e)) != 0)
            rc = n < 0 ? -1 : insert_block(s, p, &lc, n, r, e);
    }
    load_csv_close(&lc);
    return rc;
}

int load_sqlite(const plan *p, const char *csv_path, const char *db_path, const load_info *info, load_result *r,
                mf_err *e)
{
    sqlite_load s = {.path = db_path};
    snprintf(r->target, sizeof r->target, "sqlite:%s", db_path);
    char run_at[40];
    if (info->run_at)
        snprintf(run_at, sizeof run_at, "%s", info->run_at);
    else
        load_now_iso(run_at, sizeof run_at);
    if (sqlite3_open_v2(db_path, &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        db_fail(&s, e, "cannot open the database");
        sqlite3_close(s.db);
        return -1;
    }
    sqlite3_busy_timeout(s.db, 60000);
    mf_buf ddl = {0};
    load_create_sql(&ddl, p, true);
    int rc = exec(&s, "BEGIN IMMEDIATE", e);
    if (rc == 0) {
        rc = exec(&s, ddl.data, e);
        if (rc == 0)
            rc = delete_previous(&s, p, info, r, e);
        if (rc == 0)
            rc = load_rows(&s, p, csv_path, info, run_at, r, e);
        sqlite3_finalize(s.ins);
        s.ins = NULL;
        if (rc == 0)
            rc = mf_interrupt_check(e);   /* a stop before COMMIT leaves the warehouse as it was */
        if (rc == 0)
            rc = exec(&s, "COMMIT", e);
        if (rc < 0) {
            sqlite3_exec(s.db, "ROLLBACK", NULL, NULL, NULL);
            r->rows_loaded = r->rows_replaced = 0;
        }
    }
    mf_buf_free(&ddl);
    sqlite3_close(s.db);
    return rc;
}
