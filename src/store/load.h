/* load.h — loading a validated output into a SQL database (the warehouse).
 *
 * Target (db_url):
 *   "sqlite:PATH"          an SQLite file (created when absent); default <home>/warehouse.db
 *   "postgresql://..." or "postgres://..."   PostgreSQL through libpq, bulk COPY FROM STDIN (binary
 *                          format, values converted on this side; text format for a plan with a
 *                          timestamp column)
 *
 * The table is the plan's output name (a quoted identifier), with one typed column per output
 * column (text → TEXT, decimal(p,s) → NUMERIC(p,s), date → DATE, integer → INTEGER,
 * bigint → BIGINT, boolean → BOOLEAN, timestamp → TIMESTAMP) plus
 *   _mapforge_client TEXT, _mapforge_input_sha256 TEXT, _mapforge_run_at TEXT (ISO-8601 UTC).
 *
 * Invariants:
 *   - one transaction: create the table if absent, delete the rows of the same client and input
 *     SHA-256, insert every row of OUT/<output>.csv.  Loading the same output twice leaves one
 *     copy; a load that fails or is killed midway leaves the table as it was.
 *   - the CSV is streamed in blocks (read/csv.h); memory does not grow with the file.
 *   - an empty CSV field is NULL.
 *   - every value is checked against its column's type before the database sees it (load.c), so
 *     SQLite, which would store anything, refuses what PostgreSQL would (2025-02-30 included).
 *   - PostgreSQL with streams N > 1 (load_pg.c): the load's transaction COPYs one share of the rows
 *     straight into the table, N-1 other connections COPY the rest into UNLOGGED staging tables of
 *     their own, and the transaction moves every staged row in, drops the staging tables and
 *     commits; the table sees all the rows or none.  A killed load leaves only
 *     staging tables, which the next load of any table on that database drops.
 *   - row order: a SQL table has none.  One stream inserts the rows in the CSV's order; N streams
 *     insert them grouped by stream (1 MiB blocks dealt round-robin), so a reader that needs the
 *     file's order must sort by a column of its own (e.g. the plan's row number column).
 */
#ifndef MF_LOAD_H
#define MF_LOAD_H

#include "plan/plan.h"
#include "util/err.h"

typedef struct load_info {
    const char *client;        /* required */
    const char *input_sha256;  /* hex; NULL/"" = "" (then every load of this client replaces the last) */
    const char *run_at;        /* ISO-8601 UTC; NULL = now */
    int streams;               /* PostgreSQL: parallel COPY streams (0 or 1 = one); SQLite: ignored */
} load_info;

typedef struct load_result {
    long long rows_loaded;     /* rows inserted by this load */
    long long rows_replaced;   /* rows of an earlier load of the same client + input deleted */
    char table[256];           /* table name */
    char target[1024];         /* "sqlite:/abs/path" or the PostgreSQL URL without its password */
} load_result;

/* Load OUT_DIR/<p->output>.csv into db_url.  0, or -1 with e filled and the table unchanged. */
int load_output(const plan *p, const char *out_dir, const char *db_url, const load_info *info,
                load_result *r, mf_err *e);

/* Default target for a state directory: "sqlite:<home>/warehouse.db" (malloc'd). */
char *load_default_url(const char *home);

/* Backends (called by load_output; exposed for tests). csv_path is the output CSV. */
int load_sqlite(const plan *p, const char *csv_path, const char *db_path, const load_info *info,
                load_result *r, mf_err *e);
int load_pg(const plan *p, const char *csv_path, const char *conninfo, const load_info *info,
            load_result *r, mf_err *e);
/* Whether this build has PostgreSQL support (libpq). */
int load_pg_available(void);

#endif
