/* store_db.h — private to src/store: the small SQL layer both backends implement, so that the
 * record logic (store.c, audit.c, cache.c) is written once.
 *
 * SQL uses $1, $2... placeholders in both backends; parameters and results are text (NULL = SQL
 * NULL).  A result is a table of strings owned by the db_rows value.
 */
#ifndef MF_STORE_DB_H
#define MF_STORE_DB_H

#include "store/store.h"

typedef struct db_rows {
    int nrows, ncols;
    char **cell;                 /* nrows * ncols, row-major; NULL for SQL NULL */
} db_rows;

const char *db_cell(const db_rows *r, int row, int col);   /* NULL when out of range or NULL */
long long db_cell_ll(const db_rows *r, int row, int col);  /* 0 when NULL */
void db_rows_free(db_rows *r);
void db_rows_add(db_rows *r, int ncols, const char *const *vals);   /* used by the backends */

typedef struct store_ops {
    /* Run one statement; rows may be NULL when no result is wanted. */
    int (*exec)(store *s, const char *sql, int nparams, const char *const *params, db_rows *rows, mf_err *e);
    /* Begin a transaction; exclusive_table non-NULL: serialise with every other writer of it. */
    int (*begin)(store *s, const char *exclusive_table, mf_err *e);
    int (*commit)(store *s, mf_err *e);
    void (*rollback)(store *s);
    void (*close)(store *s);
} store_ops;

struct store {
    store_backend kind;
    const store_ops *ops;
    char *where;
    void *conn;                  /* sqlite3 * or PGconn * */
};

store *store_sqlite_open(const char *dir, mf_err *e);
store *store_pg_open(const char *url, mf_err *e);

/* Shorthands over s->ops. */
int db_exec(store *s, const char *sql, int nparams, const char *const *params, db_rows *rows, mf_err *e);
int db_begin(store *s, const char *exclusive_table, mf_err *e);
int db_commit(store *s, mf_err *e);
void db_rollback(store *s);

/* ISO-8601 UTC (ms) of now + days. */
void store_time_plus_days(double days, char out[32]);

#endif
