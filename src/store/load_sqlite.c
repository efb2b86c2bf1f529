/* load_sqlite.c — loading an output CSV into an SQLite file.
 *
 * One transaction (BEGIN IMMEDIATE, so two loaders queue instead of failing half-way): create
 * the table if absent, delete the rows of the same client + input SHA-256, insert every row with
 * prepared statements, commit.  SQLite's rollback journal (the default: journal_mode DELETE,
 * synchronous FULL, left as they are) makes the commit atomic: a process killed at any point
 * leaves the database as it was before BEGIN, and the next opener rolls the hot journal back.
 * Any error rolls back explicitly.
 *
 * Rows go SQLITE_BATCH (64) to a multi-row INSERT (fewer when the plan's columns would pass
 * SQLite's parameter limit), the rest of a CSV block one by one: one statement step per 64 rows
 * instead of per row.  The provenance values are bound once per statement.
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

#define SQLITE_BATCH 64   /* rows per INSERT statement */

typedef struct sqlite_load {
    sqlite3 *db;
    sqlite3_stmt *ins;     /* INSERT of one row (a block's last rows) */
    sqlite3_stmt *batch;   /* INSERT of batch_rows rows */
    int batch_rows;
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

/* INSERT of `rows` rows: row r's values are parameters r * ncols + 1 .. (r + 1) * ncols, the three
 * provenance values (the same for every row) the last three, bound once. */
static int prepare_insert(sqlite_load *s, const plan *p, int rows, const load_info *info, const char *run_at,
                          sqlite3_stmt **st, mf_err *e)
{
    mf_buf sql = {0};
    mf_buf_adds(&sql, "INSERT INTO ");
    load_quote_ident(&sql, p->output);
    mf_buf_addc(&sql, ' ');
    load_column_list(&sql, p);
    mf_buf_adds(&sql, " VALUES ");
    int prov = rows * p->ncols + 1;
    for (int r = 0; r < rows; r++) {
        mf_buf_adds(&sql, r ? ", (" : "(");
        for (int c = 0; c < p->ncols; c++)
            mf_buf_printf(&sql, "?%d, ", r * p->ncols + c + 1);
        mf_buf_printf(&sql, "?%d, ?%d, ?%d)", prov, prov + 1, prov + 2);
    }
    int rc = sqlite3_prepare_v2(s->db, sql.data, (int)sql.len + 1, st, NULL);
    mf_buf_free(&sql);
    if (rc != SQLITE_OK)
        return db_fail(s, e, "cannot prepare the insert (does the table have other columns?)");
    sqlite3_bind_text(*st, prov, info->client, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, prov + 1, info->input_sha256 ? info->input_sha256 : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, prov + 2, run_at, -1, SQLITE_STATIC);
    return 0;
}

/* Bind row `row` of the block (checked first) at parameters base + 1 .. base + ncols.  Values are
 * bound SQLITE_STATIC: the statement is stepped before the block is read again. */
static int bind_row(sqlite3_stmt *st, int base, const plan *p, const load_csv *lc, long row, mf_err *e)
{
    uint32_t f0 = lc->b.first[row];
    for (int c = 0; c < p->ncols; c++) {
        uint32_t i = f0 + (uint32_t)lc->field[c];
        const char *v = lc->b.fptr[i];
        size_t n = lc->b.flen[i];
        int at = base + c + 1;
        if (!n) {
            sqlite3_bind_null(st, at);
            continue;
        }
        const plan_column *col = &p->cols[c];
        if (load_check_value(col, v, n, lc->path, lc->b.line[row], e) < 0)
            return -1;
        long long x;
        switch (col->type.base) {
        case PT_INTEGER:
        case PT_BIGINT:
            if (load_parse_int(v, n, INT64_MIN, INT64_MAX, &x) < 0)   /* checked: digits, in range */
                return mf_fail(e, MF_EDATA, lc->path, lc->b.line[row], 0, "column %s: not an integer", col->name);
            sqlite3_bind_int64(st, at, x);
            break;
        case PT_BOOLEAN: sqlite3_bind_int(st, at, v[0] == 't'); break;
        default: sqlite3_bind_text(st, at, v, (int)n, SQLITE_STATIC); break;
        }
    }
    return 0;
}

static int step(sqlite_load *s, sqlite3_stmt *st, const load_csv *lc, long first, long last, mf_err *e)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (first == last)
        return mf_fail(e, MF_EIO, lc->path, lc->b.line[first], 0, "cannot insert this row into %s: %s", s->path,
                       sqlite3_errmsg(s->db));
    return mf_fail(e, MF_EIO, lc->path, lc->b.line[first], 0, "cannot insert the rows of lines %ld-%ld into %s: %s",
                   lc->b.line[first], lc->b.line[last], s->path, sqlite3_errmsg(s->db));
}

/* A block: batch_rows rows per statement, the rest one by one. */
static int insert_block(sqlite_load *s, const plan *p, load_csv *lc, long nrows, load_result *r, mf_err *e)
{
    long row = 0;
    for (; row + s->batch_rows <= nrows; row += s->batch_rows) {
        for (int k = 0; k < s->batch_rows; k++)
            if (bind_row(s->batch, k * p->ncols, p, lc, row + k, e) < 0)
                return -1;
        if (step(s, s->batch, lc, row, row + s->batch_rows - 1, e) < 0)
            return -1;
        r->rows_loaded += s->batch_rows;
    }
    for (; row < nrows; row++) {
        if (bind_row(s->ins, 0, p, lc, row, e) < 0 || step(s, s->ins, lc, row, row, e) < 0)
            return -1;
        r->rows_loaded++;
    }
    return 0;
}

static int load_rows(sqlite_load *s, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                     load_result *r, mf_err *e)
{
    load_csv lc;
    int rc = load_csv_open(&lc, p, csv_path, e);
    /* SQLITE_BATCH rows a statement, fewer when the plan's columns would pass the parameter limit. */
    int limit = sqlite3_limit(s->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
    s->batch_rows = p->ncols > 0 ? (limit - 3) / p->ncols : 1;
    if (s->batch_rows > SQLITE_BATCH)
        s->batch_rows = SQLITE_BATCH;
    if (s->batch_rows < 1)
        s->batch_rows = 1;
    if (rc == 0)
        rc = prepare_insert(s, p, 1, info, run_at, &s->ins, e);
    if (rc == 0)
        rc = prepare_insert(s, p, s->batch_rows, info, run_at, &s->batch, e);
    if (rc == 0) {
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
    /* NOMUTEX: the connection is this function's alone (no locking around every call). */
    if (sqlite3_open_v2(db_path, &s.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
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
        sqlite3_finalize(s.batch);
        s.ins = s.batch = NULL;
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
