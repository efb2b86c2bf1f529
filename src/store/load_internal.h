/* load_internal.h — what the load backends (load_sqlite.c, load_pg.c) share (load.c).
 *
 * Both backends stream the output CSV block by block, check every value against its column's
 * declared type before the database sees it (so both report the same error, naming the CSV line
 * and column, and SQLite — which does not enforce NUMERIC(p,s) or lengths — refuses what
 * PostgreSQL would), and write the same DDL.
 */
#ifndef MF_LOAD_INTERNAL_H
#define MF_LOAD_INTERNAL_H

#include "read/csv.h"
#include <stdbool.h>
#include <stdint.h>
#include "store/load.h"
#include "util/buf.h"

/* The output CSV opened for loading: fields[c] is the CSV field of plan column c. */
typedef struct load_csv {
    csv_reader *rd;
    csv_block b;
    int *field;
    int nh;
    const char *path;
} load_csv;

int load_csv_open(load_csv *lc, const plan *p, const char *csv_path, mf_err *e);
/* Next block: number of records (0 at end) or -1.  A record with another field count than the
 * header is an error. */
long load_csv_next(load_csv *lc, mf_err *e);
void load_csv_close(load_csv *lc);

/* Check value (s, n), n > 0, of column c read from CSV line `line`: it must fit the column's type.
 * Fills e naming path:line and the column. */
int load_check_value(const plan_column *c, const char *s, size_t n, const char *path, long line, mf_err *e);
/* An integer of s[0..n): optional sign, 1-19 digits, within [lo, hi]: 0 and *out, or -1. */
int load_parse_int(const char *s, size_t n, long long lo, long long hi, long long *out);
/* A YYYY-MM-DD date whose day exists (year 0001-9999): true and *days since 1970-01-01. */
bool load_iso_date(const char *s, size_t n, int32_t *days);

/* SQL type of a column ("NUMERIC(18,2)", "TEXT", ...). */
void load_sql_type(plan_type t, bool sqlite, char *buf, size_t n);
/* Append "name" with quotes doubled. */
void load_quote_ident(mf_buf *b, const char *name);
/* CREATE TABLE IF NOT EXISTS "T" (...) with the three _mapforge_ columns. */
void load_create_sql(mf_buf *b, const plan *p, bool sqlite);
/* The same columns as table `name` (prefix: e.g. "CREATE UNLOGGED TABLE "). */
void load_create_sql_as(mf_buf *b, const plan *p, bool sqlite, const char *prefix, const char *name);
/* The column list ("A", "B", ..., "_mapforge_client", "_mapforge_input_sha256", "_mapforge_run_at"). */
void load_column_list(mf_buf *b, const plan *p);
/* Current UTC time as ISO-8601 with milliseconds into buf (>= 32 bytes). */
void load_now_iso(char *buf, size_t n);

#endif
