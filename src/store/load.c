/* load.c — load_output: choose the backend from the target URL; the parts both backends share
 * (reading the output CSV, checking values against their declared types, the DDL).
 *
 * The type check here is what makes "a load that does not fit leaves nothing" true on SQLite,
 * whose NUMERIC(p,s), TEXT and INTEGER columns accept anything: a value that PostgreSQL would
 * refuse is refused here first, with the CSV line and column, before the transaction commits.
 */
#include "util/interrupt.h"
#include "store/load_internal.h"
#include "util/date.h"
#include "util/decimal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the output CSV ------------------------------------------------------------------------- */

int load_csv_open(load_csv *lc, const plan *p, const char *csv_path, mf_err *e)
{
    memset(lc, 0, sizeof *lc);
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1};
    lc->path = csv_path;
    if (!(lc->rd = csv_open(csv_path, &d, e)))
        return -1;
    csv_block_init(&lc->b);
    const char *const *names;
    lc->nh = csv_header(lc->rd, &names);
    lc->field = mf_xcalloc((size_t)p->ncols + 1, sizeof *lc->field);
    for (int c = 0; c < p->ncols; c++) {
        lc->field[c] = -1;
        for (int i = 0; i < lc->nh; i++)
            if (!strcmp(names[i], p->cols[c].name))
                lc->field[c] = i;
        if (lc->field[c] < 0)
            return mf_fail(e, MF_EDATA, csv_path, 1, 0, "the output has no column %s, which the plan declares",
                           p->cols[c].name);
    }
    return 0;
}

long load_csv_next(load_csv *lc, mf_err *e)
{
    if (mf_interrupt_check(e) < 0)   /* Ctrl-C: the caller rolls the transaction back */
        return -1;
    long n = csv_read_block(lc->rd, &lc->b, e);
    for (long r = 0; r < n; r++)
        if ((int)lc->b.nfields[r] != lc->nh)
            return mf_fail(e, MF_EDATA, lc->path, lc->b.line[r], 0, "record has %u fields, expected %d",
                           lc->b.nfields[r], lc->nh);
    return n;
}

void load_csv_close(load_csv *lc)
{
    if (lc->rd)
        csv_close(lc->rd);
    csv_block_free(&lc->b);
    free(lc->field);
    memset(lc, 0, sizeof *lc);
}

/* ---- values --------------------------------------------------------------------------------- */

int load_parse_int(const char *s, size_t n, long long lo, long long hi, long long *out)
{
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n || n - i > 19)
        return -1;
    __int128 v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (s[0] == '-')
        v = -v;
    if (v < lo || v > hi)
        return -1;
    *out = (long long)v;
    return 0;
}

bool load_iso_date(const char *s, size_t n, int32_t *days)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (!mf_date_valid(y, m, d))   /* the day exists in that month (2025-02-30 does not), year >= 1 */
        return false;
    *days = mf_days_from_civil(y, m, d);
    return true;
}

/* The failure of load_check_value: the column's declared type named (formatted only here: the
 * check runs for every value). */
static int check_fail(const plan_column *c, const char *s, size_t n, size_t chars, const char *path, long line,
                      mf_err *e)
{
    char ty[64];
    plan_type_name(c->type, ty, sizeof ty);
    int show = (int)(n > 60 ? 60 : n);
    switch (c->type.base) {
    case PT_TEXT:
        return mf_fail(e, MF_EDATA, path, line, 0, "column %s: a value of %zu characters does not fit %s", c->name,
                       chars, ty);
    case PT_INTEGER:
    case PT_BIGINT: return mf_fail(e, MF_EDATA, path, line, 0, "column %s: \"%.*s\" is not a %s", c->name, show, s, ty);
    case PT_DECIMAL:
        return mf_fail(e, MF_EDATA, path, line, 0, "column %s: \"%.*s\" does not fit %s", c->name, show, s, ty);
    case PT_DATE:
        return mf_fail(e, MF_EDATA, path, line, 0, "column %s: \"%.*s\" is not a YYYY-MM-DD date", c->name, show, s);
    default:
        return mf_fail(e, MF_EDATA, path, line, 0, "column %s: \"%.*s\" is not true or false", c->name, show, s);
    }
}

int load_check_value(const plan_column *c, const char *s, size_t n, const char *path, long line, mf_err *e)
{
    switch (c->type.base) {
    case PT_TEXT: {
        if (c->type.len <= 0 || n <= (size_t)c->type.len)   /* bytes >= characters: fits */
            return 0;
        size_t chars = 0;
        for (size_t i = 0; i < n; i++)
            chars += ((unsigned char)s[i] & 0xC0) != 0x80;
        return chars > (size_t)c->type.len ? check_fail(c, s, n, chars, path, line, e) : 0;
    }
    case PT_INTEGER:
    case PT_BIGINT: {
        long long lo = c->type.base == PT_INTEGER ? -2147483648LL : INT64_MIN;
        long long hi = c->type.base == PT_INTEGER ? 2147483647LL : INT64_MAX;
        long long v;
        return load_parse_int(s, n, lo, hi, &v) < 0 ? check_fail(c, s, n, 0, path, line, e) : 0;
    }
    case PT_DECIMAL: {
        mf_dec d;
        if (!mf_dec_parse(s, n, &d) || (c->type.prec > 0 && !mf_dec_fits(d, c->type.prec, c->type.scale)))
            return check_fail(c, s, n, 0, path, line, e);
        return 0;
    }
    case PT_DATE: {
        int32_t days;
        return load_iso_date(s, n, &days) ? 0 : check_fail(c, s, n, 0, path, line, e);
    }
    case PT_BOOLEAN:
        if (!((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5))))
            return check_fail(c, s, n, 0, path, line, e);
        return 0;
    default:
        return 0;
    }
}

/* ---- SQL ------------------------------------------------------------------------------------ */

void load_sql_type(plan_type t, bool sqlite, char *buf, size_t n)
{
    switch (t.base) {
    case PT_DECIMAL:
        /* SQLite gives NUMERIC(p,s) numeric affinity and stores 12.30 as the binary double 12.3:
         * exact money must keep its text there, so the declared type carries the precision and
         * scale but has text affinity (the name contains TEXT). */
        if (sqlite)
            snprintf(buf, n, "DECIMAL_TEXT(%d,%d)", t.prec, t.scale);
        else
            snprintf(buf, n, "NUMERIC(%d,%d)", t.prec, t.scale);
        return;
    case PT_DATE: snprintf(buf, n, "DATE"); return;
    case PT_TIMESTAMP: snprintf(buf, n, "TIMESTAMP"); return;
    case PT_INTEGER: snprintf(buf, n, "INTEGER"); return;
    case PT_BIGINT: snprintf(buf, n, "BIGINT"); return;
    case PT_BOOLEAN: snprintf(buf, n, "BOOLEAN"); return;
    default: snprintf(buf, n, "TEXT"); return;
    }
}

void load_quote_ident(mf_buf *b, const char *name)
{
    mf_buf_addc(b, '"');
    for (const char *c = name; *c; c++) {
        if (*c == '"')
            mf_buf_addc(b, '"');
        mf_buf_addc(b, *c);
    }
    mf_buf_addc(b, '"');
}

void load_create_sql(mf_buf *b, const plan *p, bool sqlite)
{
    load_create_sql_as(b, p, sqlite, "CREATE TABLE IF NOT EXISTS ", p->output);
}

void load_create_sql_as(mf_buf *b, const plan *p, bool sqlite, const char *prefix, const char *name)
{
    mf_buf_adds(b, prefix);
    load_quote_ident(b, name);
    mf_buf_adds(b, " (");
    for (int c = 0; c < p->ncols; c++) {
        char ty[64];
        load_sql_type(p->cols[c].type, sqlite, ty, sizeof ty);
        load_quote_ident(b, p->cols[c].name);
        mf_buf_printf(b, " %s, ", ty);
    }
    mf_buf_adds(b, "\"_mapforge_client\" TEXT NOT NULL, \"_mapforge_input_sha256\" TEXT NOT NULL, "
                   "\"_mapforge_run_at\" TEXT NOT NULL)");
}

void load_column_list(mf_buf *b, const plan *p)
{
    mf_buf_addc(b, '(');
    for (int c = 0; c < p->ncols; c++) {
        load_quote_ident(b, p->cols[c].name);
        mf_buf_adds(b, ", ");
    }
    mf_buf_adds(b, "\"_mapforge_client\", \"_mapforge_input_sha256\", \"_mapforge_run_at\")");
}

void load_now_iso(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* ---- load_output ---------------------------------------------------------------------------- */

char *load_default_url(const char *home)
{
    const char *h = home && home[0] ? home : getenv("MAPFORGE_HOME");
    char buf[4096];
    if (h && h[0])
        snprintf(buf, sizeof buf, "sqlite:%s/warehouse.db", h);
    else
        snprintf(buf, sizeof buf, "sqlite:%s/.mapforge/warehouse.db", getenv("HOME") ? getenv("HOME") : ".");
    return mf_xstrdup(buf);
}

int load_output(const plan *p, const char *out_dir, const char *db_url, const load_info *info, load_result *r,
                mf_err *e)
{
    memset(r, 0, sizeof *r);
    if (!info || !info->client || !info->client[0])
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a load needs the client (--client)");
    if (!p->output || !p->output[0])
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "the plan has no output name: no table to load into");
    snprintf(r->table, sizeof r->table, "%s", p->output);
    size_t n = strlen(out_dir) + strlen(p->output) + 8;
    char *csv = mf_xmalloc(n);
    snprintf(csv, n, "%s/%s.csv", out_dir, p->output);
    int rc;
    if (!strncmp(db_url, "sqlite:", 7))
        rc = load_sqlite(p, csv, db_url + 7, info, r, e);
    else if (!strncmp(db_url, "postgresql://", 13) || !strncmp(db_url, "postgres://", 11))
        rc = load_pg(p, csv, db_url, info, r, e);
    else
        rc = mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--db \"%s\": expected sqlite:PATH or postgresql://...", db_url);
    free(csv);
    return rc;
}
