/* load_pg.c — loading an output CSV into PostgreSQL with COPY FROM STDIN (libpq).
 *
 * One stream: one transaction: an advisory lock on the table name (two loaders of one table queue
 * instead of racing on CREATE TABLE), create the table if absent, delete the rows of the same
 * client + input SHA-256, COPY every row, commit.  PostgreSQL's transaction makes the whole load
 * atomic: a client killed mid-COPY leaves an aborted transaction the server throws away.  A table
 * this transaction created gets COPY ... FREEZE (its rows written frozen, so the first reader
 * does not rewrite every page to set hint bits; were the transaction to abort, the table would
 * go with them) and no delete.
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
 * COPY binary format (PGCOPY: a header, per row the field count, then each field's length, -1 for
 * NULL, and bytes; a trailer): every value is checked against its declared type and converted here
 * once — integers and bigints as big-endian binary, decimals as PostgreSQL's base-10000 numeric
 * (the scale written, the column's NUMERIC(p,s) applied by the server as for text), dates as days
 * since 2000-01-01, booleans as one byte, text as its bytes (client_encoding UTF8: the server
 * checks them) — so the server parses nothing.  A plan with a timestamp column, or an existing
 * table whose columns an older plan declared with other types (text for a date, bigint for an
 * integer: binary bytes would be read wrongly), is sent in COPY text format instead (tab-separated, NULL as \N, backslash, tab, newline and carriage return
 * escaped): the server reads the timestamp's text forms.  Rows are buffered into ~1 MiB chunks
 * for PQputCopyData.  An error names the CSV line and column (load.c's check); the server checks
 * again.
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

/* ---- COPY text format (a plan with a timestamp column) -------------------------------------- */

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

static int encode_row_text(const plan *p, const load_csv *lc, long row, const mf_buf *tail, mf_buf *b, mf_err *e)
{
    uint32_t f0 = lc->b.first[row];
    for (int col = 0; col < p->ncols; col++) {
        uint32_t i = f0 + (uint32_t)lc->field[col];
        const char *v = lc->b.fptr[i];
        size_t len = lc->b.flen[i];
        if (len && load_check_value(&p->cols[col], v, len, lc->path, lc->b.line[row], e) < 0)
            return -1;
        if (len)
            copy_value(b, v, len);
        else
            mf_buf_adds(b, "\\N");
        mf_buf_addc(b, '\t');
    }
    mf_buf_add(b, tail->data, tail->len);
    return 0;
}

/* ---- COPY binary format --------------------------------------------------------------------- */

/* The signature, flags 0 (no OIDs) and a header extension of length 0. */
static const char pgcopy_header[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
static const char pgcopy_trailer[2] = {'\377', '\377'};   /* field count -1 */

#define PG_EPOCH_DAYS 10957   /* 2000-01-01, PostgreSQL's day 0, in days since 1970-01-01 */
#define NUMERIC_MAX_GROUPS 24   /* base-10000 digits of a checked decimal: <= 10 + 10 */

static char *be16(char *o, uint16_t v)
{
    o[0] = (char)(v >> 8), o[1] = (char)v;
    return o + 2;
}

static char *be32(char *o, uint32_t v)
{
    o[0] = (char)(v >> 24), o[1] = (char)(v >> 16), o[2] = (char)(v >> 8), o[3] = (char)v;
    return o + 4;
}

static char *be64(char *o, uint64_t v)
{
    return be32(be32(o, (uint32_t)(v >> 32)), (uint32_t)v);
}

/* A checked decimal literal ([+-]digits[.digits], as load_check_value accepts) as PostgreSQL's
 * binary numeric: ndigits, weight of the first base-10000 digit, sign, dscale, the digits.  dscale
 * is the number of digits written after the point, as numeric_in keeps it; the server then applies
 * the column's NUMERIC(p,s) as it does to text.  NULL when it has more digits than a checked value
 * can (o needs 8 + 2 * NUMERIC_MAX_GROUPS bytes). */
static char *bin_numeric(char *o, const char *s, size_t n)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    while (i < n && s[i] == '0')
        i++;
    const char *ip = s + i;
    while (i < n && s[i] != '.')
        i++;
    size_t ni = (size_t)(s + i - ip);
    const char *fp = i < n ? s + i + 1 : s + n;
    size_t nf = (size_t)(s + n - fp);
    int nig = (int)((ni + 3) / 4), g = 0;
    if (nig + (int)((nf + 3) / 4) > NUMERIC_MAX_GROUPS || nf > 0x3FFF)
        return NULL;
    uint16_t d[NUMERIC_MAX_GROUPS];
    for (int k = 0; k < nig; k++) {   /* the integer part, grouped from the point leftward */
        size_t take = k ? 4 : ni - (size_t)(nig - 1) * 4;
        unsigned v = 0;
        while (take--)
            v = v * 10 + (unsigned)(*ip++ - '0');
        d[g++] = (uint16_t)v;
    }
    for (size_t f = 0; f < nf; f += 4) {   /* the fraction, grouped from the point rightward */
        unsigned v = 0;
        for (size_t k = f; k < f + 4; k++)
            v = v * 10 + (k < nf ? (unsigned)(fp[k] - '0') : 0);
        d[g++] = (uint16_t)v;
    }
    int weight = nig - 1, first = 0;
    while (first < g && d[first] == 0)
        first++, weight--;
    while (g > first && d[g - 1] == 0)
        g--;
    if (first == g)   /* zero */
        weight = 0, neg = false;
    o = be16(o, (uint16_t)(g - first));
    o = be16(o, (uint16_t)(int16_t)weight);
    o = be16(o, neg ? 0x4000 : 0x0000);
    o = be16(o, (uint16_t)nf);
    for (int k = first; k < g; k++)
        o = be16(o, d[k]);
    return o;
}

/* A value the binary encoder refused: load_check_value names the line, column and type. */
static int value_fail(const plan_column *c, const char *v, size_t len, const load_csv *lc, long row, mf_err *e)
{
    if (load_check_value(c, v, len, lc->path, lc->b.line[row], e) < 0)
        return -1;
    return mf_fail(e, MF_EDATA, lc->path, lc->b.line[row], 0, "column %s: \"%.*s\" cannot be sent to PostgreSQL",
                   c->name, (int)(len > 60 ? 60 : len), v);
}

/* One row in COPY binary format: the field count, then each field's length (-1: NULL) and bytes,
 * every value converted here once (numbers, dates) and checked as load_check_value checks. */
static int encode_row_binary(const plan *p, const load_csv *lc, long row, const mf_buf *tail, mf_buf *b, mf_err *e)
{
    uint32_t f0 = lc->b.first[row];
    size_t need = 2 + tail->len;
    for (int col = 0; col < p->ncols; col++)
        need += 4 + 2 * (size_t)lc->b.flen[f0 + (uint32_t)lc->field[col]] + 8 + 2 * NUMERIC_MAX_GROUPS;
    mf_buf_reserve(b, need);
    char *o = be16(b->data + b->len, (uint16_t)(p->ncols + 3));
    for (int col = 0; col < p->ncols; col++) {
        const plan_column *c = &p->cols[col];
        uint32_t i = f0 + (uint32_t)lc->field[col];
        const char *v = lc->b.fptr[i];
        size_t len = lc->b.flen[i];
        long long x;
        int32_t days;
        if (!len) {
            o = be32(o, 0xFFFFFFFFu);
            continue;
        }
        switch (c->type.base) {
        case PT_INTEGER:
            if (load_parse_int(v, len, INT32_MIN, INT32_MAX, &x) < 0)
                return value_fail(c, v, len, lc, row, e);
            o = be32(be32(o, 4), (uint32_t)(int32_t)x);
            break;
        case PT_BIGINT:
            if (load_parse_int(v, len, INT64_MIN, INT64_MAX, &x) < 0)
                return value_fail(c, v, len, lc, row, e);
            o = be64(be32(o, 8), (uint64_t)x);
            break;
        case PT_DECIMAL: {
            if (load_check_value(c, v, len, lc->path, lc->b.line[row], e) < 0)
                return -1;
            char *end = bin_numeric(o + 4, v, len);
            if (!end)
                return value_fail(c, v, len, lc, row, e);
            be32(o, (uint32_t)(end - o - 4));
            o = end;
            break;
        }
        case PT_DATE:
            if (!load_iso_date(v, len, &days))
                return value_fail(c, v, len, lc, row, e);
            o = be32(be32(o, 4), (uint32_t)(days - PG_EPOCH_DAYS));
            break;
        case PT_BOOLEAN:
            if (!((len == 4 && !memcmp(v, "true", 4)) || (len == 5 && !memcmp(v, "false", 5))))
                return value_fail(c, v, len, lc, row, e);
            o = be32(o, 1);
            *o++ = v[0] == 't';
            break;
        default:   /* text: its bytes (the server checks the encoding) */
            if (load_check_value(c, v, len, lc->path, lc->b.line[row], e) < 0)
                return -1;
            o = be32(o, (uint32_t)len);
            memcpy(o, v, len);
            o += len;
            break;
        }
    }
    memcpy(o, tail->data, tail->len);
    b->len = (size_t)(o + tail->len - b->data);
    b->data[b->len] = '\0';
    return 0;
}

/* Binary COPY needs every value converted on this side: every type but timestamp (whose text forms
 * the server reads) is; a plan with a timestamp column is sent in text format. */
static bool copy_binary_for(const plan *p)
{
    for (int c = 0; c < p->ncols; c++)
        if (p->cols[c].type.base == PT_TIMESTAMP || p->cols[c].type.base == PT_UNKNOWN ||
            p->cols[c].type.base == PT_NULL)
            return false;
    return true;
}

/* Where encoded rows go: one connection's COPY, or the streams (load_streams below).  The sink may
 * take b's memory; it leaves b empty either way. */
typedef int (*copy_sink)(void *user, mf_buf *b, long long rows, mf_err *e);

/* Read, check and encode every row of lc in ~1 MiB chunks handed to sink. */
static int encode_rows(const plan *p, load_csv *lc, bool binary, const mf_buf *tail, load_result *r, copy_sink sink,
                       void *user, mf_err *e)
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
            rc = binary ? encode_row_binary(p, lc, row, tail, &b, e) : encode_row_text(p, lc, row, tail, &b, e);
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

/* COPY "table" (columns) FROM STDIN started on c (binary: the format, its header sent; freeze: the
 * table was created in this transaction, its rows written frozen): 0, or -1 with e filled. */
static int copy_start(PGconn *c, const plan *p, const char *table, bool binary, bool freeze, const char *target,
                      mf_err *e)
{
    mf_buf sql = {0};
    mf_buf_adds(&sql, "COPY ");
    load_quote_ident(&sql, table);
    mf_buf_addc(&sql, ' ');
    load_column_list(&sql, p);
    mf_buf_adds(&sql, " FROM STDIN");
    if (binary || freeze)
        mf_buf_printf(&sql, " WITH (%s%s%s)", binary ? "FORMAT binary" : "", binary && freeze ? ", " : "",
                      freeze ? "FREEZE" : "");
    PGresult *res = PQexec(c, sql.data);
    mf_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return pg_fail(c, res, target, e, "COPY could not start (does the table have other columns?)");
    PQclear(res);
    if (binary && PQputCopyData(c, pgcopy_header, sizeof pgcopy_header) != 1)
        return pg_fail(c, NULL, target, e, "COPY failed");
    return 0;
}

/* End the COPY on c (aborting it when failed; binary: the trailer first) and collect its result. */
static int copy_end(PGconn *c, int failed, bool binary, const char *target, mf_err *e)
{
    int rc = 0;
    if (!failed && binary && PQputCopyData(c, pgcopy_trailer, sizeof pgcopy_trailer) != 1)
        rc = pg_fail(c, NULL, target, e, "COPY failed");
    /* Ending with an error message makes the server abort the COPY (and its transaction). */
    if (PQputCopyEnd(c, failed || rc ? "mapforge: load aborted" : NULL) != 1 && !failed && rc == 0)
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

/* The tail every row ends with: client, input SHA-256, run time (and in text format the newline). */
static void row_tail(mf_buf *tail, const load_info *info, const char *run_at, bool binary)
{
    const char *sha = info->input_sha256 ? info->input_sha256 : "";
    const char *v[3] = {info->client, sha, run_at};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(v[i]);
        if (binary) {
            char len[4];
            be32(len, (uint32_t)n);
            mf_buf_add(tail, len, 4);
            mf_buf_add(tail, v[i], n);
        } else {
            copy_value(tail, v[i], n);
            mf_buf_addc(tail, i < 2 ? '\t' : '\n');
        }
    }
}

/* COPY ... FROM STDIN, the rows, then the end of the copy and its result. */
static int copy_all(PGconn *c, const plan *p, const char *csv_path, const load_info *info, const char *run_at,
                    bool binary, bool freeze, const char *target, load_result *r, mf_err *e)
{
    load_csv lc;
    if (load_csv_open(&lc, p, csv_path, e) < 0) {
        load_csv_close(&lc);
        return -1;
    }
    mf_buf tail = {0};
    row_tail(&tail, info, run_at, binary);
    int rc = copy_start(c, p, p->output, binary, freeze, target, e);
    if (rc == 0) {
        conn_sink cs = {c, target};
        rc = encode_rows(p, &lc, binary, &tail, r, put_conn, &cs, e);
        int end = copy_end(c, rc != 0, binary, target, e);
        if (rc == 0)
            rc = end;
    }
    mf_buf_free(&tail);
    load_csv_close(&lc);
    return rc;
}

/* Whether the existing table's columns have the types binary COPY sends for the plan (a column an
 * older plan declared otherwise — text where the plan now says date, bigint for integer — would
 * get bytes it reads wrongly): the binary format's PostgreSQL type names, by plan type. */
static bool binary_type_fits(plan_type t, const char *typname)
{
    switch (t.base) {
    case PT_INTEGER: return !strcmp(typname, "int4");
    case PT_BIGINT: return !strcmp(typname, "int8");
    case PT_DECIMAL: return !strcmp(typname, "numeric");
    case PT_DATE: return !strcmp(typname, "date");
    case PT_BOOLEAN: return !strcmp(typname, "bool");
    case PT_TEXT: return !strcmp(typname, "text") || !strcmp(typname, "varchar") || !strcmp(typname, "bpchar");
    default: return false;
    }
}

static int table_fits_binary(PGconn *c, const plan *p, const char *quoted, const char *target, bool *fits, mf_err *e)
{
    const char *name[1] = {quoted};
    PGresult *res = PQexecParams(c,
                                 "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                                 " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
                                 1, NULL, name, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return pg_fail(c, res, target, e, "cannot read the table's columns");
    static const char *const prov[3] = {"_mapforge_client", "_mapforge_input_sha256", "_mapforge_run_at"};
    const plan_type text = {.base = PT_TEXT};
    *fits = true;
    for (int col = 0; *fits && col < p->ncols + 3; col++) {
        const char *want = col < p->ncols ? p->cols[col].name : prov[col - p->ncols];
        plan_type t = col < p->ncols ? p->cols[col].type : text;
        bool found = false;
        for (int i = 0; !found && i < PQntuples(res); i++)
            if (!strcmp(PQgetvalue(res, i, 0), want))
                found = true, *fits = binary_type_fits(t, PQgetvalue(res, i, 1));
        *fits = *fits && found;
    }
    PQclear(res);
    return 0;
}

/* Lock the table's name, create the table if absent (*created: by this transaction, so COPY may
 * write its rows frozen: were the transaction to abort, the table would go with them), delete the
 * earlier copy of this client + input.  *binary: COPY's format — binary when the plan's types allow
 * it (copy_binary_for) and the table has them; an older table declared otherwise gets text, which
 * the server converts as it always did. */
static int prepare_target(PGconn *c, const plan *p, const load_info *info, const char *target, load_result *r,
                          bool *created, bool *binary, mf_err *e)
{
    mf_buf sql = {0};
    const char *lock[1] = {p->output};
    *created = false;
    *binary = copy_binary_for(p);
    int rc = exec_params(c, "SELECT pg_advisory_xact_lock(hashtext('mapforge.load.' || $1))", 1, lock, target, NULL, e);
    if (rc == 0) {
        load_quote_ident(&sql, p->output);
        const char *name[1] = {sql.data};
        PGresult *res = PQexecParams(c, "SELECT to_regclass($1) IS NULL", 1, NULL, name, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
            rc = pg_fail(c, res, target, e, "cannot look the table up");
        else {
            *created = PQgetvalue(res, 0, 0)[0] == 't';
            PQclear(res);
        }
        if (rc == 0 && !*created && *binary)
            rc = table_fits_binary(c, p, sql.data, target, binary, e);
    }
    if (rc == 0) {
        mf_buf_clear(&sql);
        load_create_sql(&sql, p, false);
        rc = exec_ok(c, sql.data, target, e);
    }
    if (rc == 0 && !*created) {   /* a table created just now holds no earlier copy */
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
    bool created, binary;
    int rc = prepare_target(c, p, info, target, r, &created, &binary, e);
    if (rc == 0)
        rc = copy_all(c, p, csv_path, info, run_at, binary, created, target, r, e);
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
    /* No NOTICE for an existing table; the CSV is UTF-8, whatever the server's default. */
    PQclear(PQexec(c, "SET client_min_messages = warning; SET client_encoding = 'UTF8'"));
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
    bool binary;                  /* COPY format (copy_binary_for) */
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
    int rc = copy_end(s->c, s->rc != 0 || s->failed, s->binary, s->target, &s->e);
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
static int stream_open(load_stream *s, const plan *p, const char *conninfo, bool binary, const char *target,
                       mf_err *e)
{
    s->target = target;
    s->binary = binary;   /* every stream gets the same chunks: the target's format */
    if (!(s->c = connect_quiet(conninfo, target, e)))
        return -1;
    snprintf(s->table, sizeof s->table, STAGE_PREFIX "%d", PQbackendPID(s->c));
    mf_buf sql = {0};
    load_create_sql_as(&sql, p, false, "CREATE UNLOGGED TABLE ", s->table);
    int rc = exec_ok(s->c, sql.data, target, e);
    mf_buf_free(&sql);
    if (rc == 0)
        rc = copy_start(s->c, p, s->table, s->binary, false, target, e);
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
    bool binary = false, created = false;
    mf_buf tail = {0};
    for (int i = 0; i < ls.n; i++) {
        pthread_mutex_init(&ls.s[i].mu, NULL);
        pthread_cond_init(&ls.s[i].cv, NULL);
    }
    int rc = load_csv_open(&lc, p, csv_path, e);
    bool in_tx = false;
    if (rc == 0 && (rc = exec_ok(c, "BEGIN", target, e)) == 0) {
        in_tx = true;
        rc = prepare_target(c, p, info, target, r, &created, &binary, e);
    }
    row_tail(&tail, info, run_at, binary);
    for (int i = 0; rc == 0 && i < ls.n; i++) {
        if (i == 0) {
            ls.s[0].c = c;
            ls.s[0].target = target;
            ls.s[0].binary = binary;
            rc = copy_start(c, p, p->output, binary, created, target, e);
        } else
            rc = stream_open(&ls.s[i], p, conninfo, binary, target, e);
        if (rc == 0 && pthread_create(&ls.s[i].thread, NULL, stream_main, &ls.s[i]) != 0)
            rc = mf_fail(e, MF_EIO, target, 0, 0, "cannot start a load stream thread");
        else if (rc == 0)
            ls.s[i].started = true;
    }
    if (rc == 0)
        rc = encode_rows(p, &lc, binary, &tail, r, put_streams, &ls, e);
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
