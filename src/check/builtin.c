/* builtin.c — check_run and the built-in checks over a run's output CSV.
 *
 * The output CSV is read in one streaming pass (read/csv.h blocks) that serves the required-column
 * check, the row count, the decimal sums for control totals and the key digests: from a pipe fed
 * by the run's writer with the bytes it writes (check_pre_fed; the file's length on disk is then
 * compared with them), or re-read from disk.  Nothing here trusts the engine's memory: the bytes
 * of the file that will be loaded are the bytes checked.  Decimal sums read the writer's
 * canonical form directly (chk_parse_canonical) and fall back to mf_dec_parse for anything else.
 *
 * Keys use bounded memory per row: a 16-byte digest (the first half of SHA-256 over the
 * length-prefixed key fields) and the line number, in a growable array that is sorted once at
 * the end; equal neighbours are duplicates.  A 128-bit digest collision is not a practical risk.
 */
#include "check/check_internal.h"
#include "util/decimal.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- findings ------------------------------------------------------------------------------- */

void check_result_init(check_result *res)
{
    memset(res, 0, sizeof *res);
    res->passed = true;
    res->findings = json_array();
}

void check_result_free(check_result *res)
{
    if (res->findings)
        json_decref(res->findings);
    res->findings = NULL;
}

json_t *chk_finding(check_result *res, const char *check, const char *source, bool fail, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *f = json_object();
    json_object_set_new(f, "check", json_string(check));
    json_object_set_new(f, "source", json_string(source));
    json_object_set_new(f, "status", json_string(fail ? "fail" : "info"));
    /* json_string refuses invalid UTF-8: fall back to a lossy but valid message. */
    json_t *m = json_string(msg);
    json_object_set_new(f, "message", m ? m : json_string("(message not valid UTF-8)"));
    json_array_append_new(res->findings, f);
    if (fail) {
        res->passed = false;
        res->nfailed++;
    }
    return f;
}

void chk_finding_rows(json_t *f, const long *rows, long n)
{
    json_t *a = json_array();
    for (long i = 0; i < n && i < CHECK_MAX_ROWS; i++)
        json_array_append_new(a, json_integer(rows[i]));
    json_object_set_new(f, "rows", a);
}

char *check_findings_text(const check_result *res)
{
    mf_buf b = {0};
    size_t i;
    json_t *f;
    json_array_foreach(res->findings, i, f) {
        const char *st = json_string_value(json_object_get(f, "status"));
        const char *ck = json_string_value(json_object_get(f, "check"));
        const char *msg = json_string_value(json_object_get(f, "message"));
        mf_buf_printf(&b, "%s %s: %s", st && !strcmp(st, "fail") ? "FAIL" : "note", ck ? ck : "?",
                      msg ? msg : "");
        json_t *rows = json_object_get(f, "rows");
        if (json_array_size(rows)) {
            mf_buf_adds(&b, " (lines");
            for (size_t k = 0; k < json_array_size(rows); k++)
                mf_buf_printf(&b, "%s %lld", k ? "," : "", (long long)json_integer_value(json_array_get(rows, k)));
            mf_buf_adds(&b, ")");
        }
        mf_buf_addc(&b, '\n');
    }
    if (!b.data)
        return mf_xstrdup("");
    return b.data;
}

/* ---- one pass over the output CSV ----------------------------------------------------------- */

typedef struct key_digest {
    unsigned char h[16];
    long line;
} key_digest;

typedef struct col_stat {   /* per plan column */
    int field;              /* index in the CSV header, -1 = absent */
    long nnull;             /* required columns: null count and the first lines */
    long lines[CHECK_MAX_ROWS];
    bool is_dec;
    mf_dec sum;             /* decimal columns: sum over the output rows */
    bool overflow, bad;     /* sum overflowed / a field did not parse as a decimal */
    long bad_line;
} col_stat;

typedef struct scan {
    col_stat *cols;
    int *key_field;         /* CSV field index of each key column */
    int nkeys;
    key_digest *keys;
    size_t nk, capk;
    long long rows;
    int nh;                 /* header field count */
    int *visit;             /* the columns a row's scan looks at: present, and required or decimal */
    int nvisit;
} scan;

static void key_add(scan *s, const csv_block *b, size_t r, EVP_MD_CTX *md)
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int k = 0; k < s->nkeys; k++) {
        uint32_t i = b->first[r] + (uint32_t)s->key_field[k];
        uint32_t n = b->flen[i];
        /* Length prefix: ("ab","c") and ("a","bc") must differ. */
        EVP_DigestUpdate(md, &n, sizeof n);
        EVP_DigestUpdate(md, b->fptr[i], n);
    }
    EVP_DigestFinal_ex(md, full, &len);
    if (s->nk == s->capk) {
        s->capk = s->capk ? s->capk * 2 : 4096;
        s->keys = mf_xrealloc(s->keys, s->capk * sizeof *s->keys);
    }
    memcpy(s->keys[s->nk].h, full, 16);
    s->keys[s->nk++].line = b->line[r];
}

bool chk_parse_canonical(const char *s, uint32_t n, int scale, mf_dec *out)
{
    uint32_t i = n && s[0] == '-';
    uint64_t v = 0;
    int nd = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (++nd > 18)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (nd == 0)
        return false;
    if (scale > 0) {
        if (i >= n || s[i] != '.' || n - i - 1 != (uint32_t)scale || nd + scale > 18)
            return false;
        for (i++; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    } else if (i != n)
        return false;
    out->v = s[0] == '-' ? -(__int128)v : (__int128)v;
    out->scale = scale;
    return true;
}

static void scan_row(scan *s, const plan *p, const csv_block *b, size_t r, EVP_MD_CTX *md)
{
    for (int k = 0; k < s->nvisit; k++) {
        int c = s->visit[k];
        col_stat *cs = &s->cols[c];
        if ((uint32_t)cs->field >= b->nfields[r])
            continue;
        uint32_t i = b->first[r] + (uint32_t)cs->field;
        if (b->flen[i] == 0) {
            if (p->cols[c].required && cs->nnull++ < CHECK_MAX_ROWS)
                cs->lines[cs->nnull - 1] = b->line[r];
            continue;
        }
        if (cs->is_dec && !cs->overflow && !cs->bad) {
            mf_dec v;
            if (!chk_parse_canonical(b->fptr[i], b->flen[i], cs->sum.scale, &v) && !mf_dec_parse(b->fptr[i], b->flen[i], &v)) {
                cs->bad = true;
                cs->bad_line = b->line[r];
            } else if (!chk_sum_add(&cs->sum, v))
                cs->overflow = true;
        }
    }
    if (s->nkeys)
        key_add(s, b, r, md);
}

static int find_field(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

static csv_reader *scan_open_from(scan *s, const plan *p, const char *read_path, const csv_dialect *d,
                                  const char *csv_path, const char *const *key_cols, int nkey, check_result *res,
                                  mf_err *e);

/* Open the output CSV (comma, double quote, UTF-8, header on line 1) and map plan columns and
 * key columns to fields.  Missing columns are findings, not errors. */
static csv_reader *scan_open(scan *s, const plan *p, const char *csv_path, const char *const *key_cols,
                             int nkey, check_result *res, mf_err *e)
{
    /* uncached: run.c wrote a large output with O_DIRECT, so it is not in the page cache */
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1, .uncached = true};
    return scan_open_from(s, p, csv_path, &d, csv_path, key_cols, nkey, res, e);
}

/* scan_open on read_path (a file, or a pipe's /proc/self/fd name), named csv_path in findings. */
static csv_reader *scan_open_from(scan *s, const plan *p, const char *read_path, const csv_dialect *d,
                                  const char *csv_path, const char *const *key_cols, int nkey, check_result *res,
                                  mf_err *e)
{
    csv_reader *rd = csv_open(read_path, d, e);
    if (!rd)
        return NULL;
    const char *const *names;
    int nh = csv_header(rd, &names);
    s->nh = nh;
    s->cols = mf_xcalloc((size_t)(p->ncols ? p->ncols : 1), sizeof *s->cols);
    for (int c = 0; c < p->ncols; c++) {
        s->cols[c].field = find_field(names, nh, p->cols[c].name);
        s->cols[c].is_dec = p->cols[c].type.base == PT_DECIMAL;
        s->cols[c].sum.scale = p->cols[c].type.scale;
        if (s->cols[c].field < 0)
            chk_finding(res, "columns", "builtin", true, "the output has no column %s (header of %s)",
                        p->cols[c].name, csv_path);
    }
    s->visit = mf_xcalloc((size_t)(p->ncols ? p->ncols : 1), sizeof *s->visit);
    for (int c = 0; c < p->ncols; c++)
        if (s->cols[c].field >= 0 && (p->cols[c].required || s->cols[c].is_dec))
            s->visit[s->nvisit++] = c;
    s->key_field = mf_xcalloc((size_t)(nkey ? nkey : 1), sizeof *s->key_field);
    for (int k = 0; k < nkey; k++) {
        int f = find_field(names, nh, key_cols[k]);
        if (f < 0) {
            chk_finding(res, "key", "builtin", true, "key column %s is not a column of the output", key_cols[k]);
            s->nkeys = 0;
            return rd;
        }
        s->key_field[s->nkeys++] = f;
    }
    return rd;
}

static int scan_file(scan *s, const plan *p, csv_reader *rd, check_result *res, mf_err *e)
{
    csv_block b;
    csv_block_init(&b);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "cannot allocate a digest context");
    long n;
    long ragged = 0, ragged_line = 0;
    while ((n = csv_read_block(rd, &b, e)) > 0) {
        for (long r = 0; r < n; r++) {
            s->rows++;
            /* A record with another field count would make field indices meaningless. */
            if ((int)b.nfields[r] != s->nh) {
                if (!ragged++)
                    ragged_line = b.line[r];
                continue;
            }
            scan_row(s, p, &b, (size_t)r, md);
        }
    }
    EVP_MD_CTX_free(md);
    csv_block_free(&b);
    if (n < 0)
        return -1;
    if (ragged)
        chk_finding(res, "format", "builtin", true, "%ld output rows have another field count than the header (first on line %ld)",
                    ragged, ragged_line);
    return 0;
}

static int cmp_digest(const void *a, const void *b)
{
    const key_digest *x = a, *y = b;
    int c = memcmp(x->h, y->h, 16);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void report_keys(scan *s, const char *const *key_cols, int nkey, check_result *res)
{
    if (!s->nkeys)
        return;
    qsort(s->keys, s->nk, sizeof *s->keys, cmp_digest);
    long dups = 0, lines[CHECK_MAX_ROWS];
    int nl = 0;
    for (size_t i = 1; i < s->nk; i++) {
        if (memcmp(s->keys[i].h, s->keys[i - 1].h, 16))
            continue;
        dups++;
        /* Name the first occurrence too, so a reader sees the pair. */
        if (nl < CHECK_MAX_ROWS && (i == 1 || memcmp(s->keys[i - 1].h, s->keys[i - 2].h, 16)))
            lines[nl++] = s->keys[i - 1].line;
        if (nl < CHECK_MAX_ROWS)
            lines[nl++] = s->keys[i].line;
    }
    if (!dups)
        return;
    mf_buf names = {0};
    for (int k = 0; k < nkey; k++)
        mf_buf_printf(&names, "%s%s", k ? ", " : "", key_cols[k]);
    json_t *f = chk_finding(res, "key", "builtin", true, "the key (%s) is not unique: %ld duplicate rows",
                            mf_buf_str(&names), dups);
    chk_finding_rows(f, lines, nl);
    mf_buf_free(&names);
}

static void report_required(const scan *s, const plan *p, check_result *res)
{
    for (int c = 0; c < p->ncols; c++) {
        const col_stat *cs = &s->cols[c];
        if (!p->cols[c].required || !cs->nnull)
            continue;
        json_t *f = chk_finding(res, "required", "builtin", true, "%s is required but empty on %ld rows",
                                p->cols[c].name, cs->nnull);
        chk_finding_rows(f, cs->lines, cs->nnull);
    }
}

/* ---- row accounting ------------------------------------------------------------------------- */

static int read_run_json(const char *path, run_report *rep, mf_err *e)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        return mf_fail(e, MF_EFORMAT, path, je.line, je.column, "run.json does not parse: %s", je.text);
    memset(rep, 0, sizeof *rep);
    rep->rows_in = json_integer_value(json_object_get(j, "rows_in"));
    rep->rows_out = json_integer_value(json_object_get(j, "rows_out"));
    rep->rows_rejected = json_integer_value(json_object_get(j, "rows_rejected"));
    rep->rows_filtered = json_integer_value(json_object_get(j, "rows_filtered"));
    const char *sha = json_string_value(json_object_get(json_object_get(j, "input"), "sha256"));
    if (sha)
        snprintf(rep->input_sha256, sizeof rep->input_sha256, "%s", sha);
    json_decref(j);
    return 0;
}

static void check_accounting(const run_report *rep, long long csv_rows, check_result *res)
{
    long long sum = rep->rows_out + rep->rows_rejected + rep->rows_filtered;
    if (rep->rows_in != sum)
        chk_finding(res, "row_accounting", "builtin", true,
                    "rows_in %lld != rows_out %lld + rows_rejected %lld + rows_filtered %lld (= %lld)",
                    rep->rows_in, rep->rows_out, rep->rows_rejected, rep->rows_filtered, sum);
    if (csv_rows != rep->rows_out)
        chk_finding(res, "row_accounting", "builtin", true,
                    "the output CSV holds %lld rows but the run reported rows_out = %lld", csv_rows, rep->rows_out);
}

/* ---- control totals ------------------------------------------------------------------------ */

static int control_totals(const plan *p, check_pre *h, const scan *s, const run_report *rep, check_result *res,
                          mf_err *e)
{
    int nd = 0;
    for (int c = 0; c < p->ncols; c++)
        nd += s->cols[c].is_dec && s->cols[c].field >= 0;
    if (!nd)
        return chk_totals_finish(h, NULL, NULL, rep, res, e);
    mf_dec *sums = mf_xcalloc((size_t)p->ncols, sizeof *sums);
    bool *usable = mf_xcalloc((size_t)p->ncols, sizeof *usable);
    for (int c = 0; c < p->ncols; c++) {
        const col_stat *cs = &s->cols[c];
        usable[c] = cs->is_dec && cs->field >= 0 && !cs->overflow;
        sums[c] = cs->sum;
        if (cs->is_dec && cs->bad) {
            long l = cs->bad_line;
            json_t *f = chk_finding(res, "control_total", "builtin", true, "%s holds a value that is not a decimal",
                                    p->cols[c].name);
            chk_finding_rows(f, &l, 1);
            usable[c] = false;
        } else if (cs->is_dec && cs->overflow)
            chk_finding(res, "control_total", "builtin", false, "the sum of %s overflows 38 digits: not compared",
                        p->cols[c].name);
    }
    int rc = chk_totals_finish(h, sums, usable, rep, res, e);
    free(sums);
    free(usable);
    return rc;
}

/* ---- the output scan fed as the run writes the output ----------------------------------------- */

/* The run's writer shows the output's bytes (run_observer.output, through its mf_afile's tee) to
 * chk_outscan_feed, which passes them through a pipe to a thread running the same scan as above
 * (scan_open_from / scan_file on /proc/self/fd/N: the same reader, so the same rows, lines and
 * findings), so the output is scanned while it is written instead of read back from disk after.
 * The thread reads the pipe to its end whatever happens (an error stops the scan, not the reading),
 * so the writer never blocks on it for good nor meets a closed pipe.  check_run takes the result
 * when the scan completed without a finding, the key it computed is the one wanted and the file on
 * disk is as long as the bytes shown; otherwise it re-reads the file as before.  What it checks is
 * the bytes the writer wrote, not a later edit of the file of the same length: check_run on an
 * output alone (no run: no feed) still reads the file. */
#define OUTSCAN_BUF (256u << 10)

static void scan_free(scan *s);

struct chk_outscan {
    const plan *p;
    int rfd, wfd;
    pthread_t th;
    char *buf;            /* bytes not yet written to the pipe */
    size_t len;
    unsigned long long fed;   /* bytes shown, compared with the file's size on disk */
    int werr;             /* a write to the pipe failed: the scan is not used */
    scan s;
    check_result res;
    int rc;
    mf_err err;
};

static void *outscan_main(void *arg)
{
    chk_outscan *o = arg;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", o->rfd);
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1};
    csv_reader *rd = scan_open_from(&o->s, o->p, path, &d, path, (const char *const *)o->p->keys, o->p->nkeys,
                                    &o->res, &o->err);
    o->rc = rd ? scan_file(&o->s, o->p, rd, &o->res, &o->err) : -1;
    if (rd)
        csv_close(rd);
    char sink[65536];
    for (ssize_t k; (k = read(o->rfd, sink, sizeof sink)) != 0;)
        if (k < 0 && errno != EINTR)
            break;
    return NULL;
}

chk_outscan *chk_outscan_start(const plan *p)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return NULL;
    (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);   /* fewer wake-ups; the default 64 KiB works too */
    chk_outscan *o = mf_xcalloc(1, sizeof *o);
    o->p = p;
    o->rfd = fds[0];
    o->wfd = fds[1];
    o->buf = mf_xmalloc(OUTSCAN_BUF);
    check_result_init(&o->res);
    if (pthread_create(&o->th, NULL, outscan_main, o) != 0) {
        close(o->rfd);
        close(o->wfd);
        check_result_free(&o->res);
        free(o->buf);
        free(o);
        return NULL;
    }
    return o;
}

static void outscan_flush(chk_outscan *o)
{
    const char *p = o->buf;
    size_t n = o->len;
    while (n && !o->werr) {
        ssize_t k = write(o->wfd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            o->werr = errno;
        else
            p += k, n -= (size_t)k;
    }
    o->len = 0;
}

void chk_outscan_feed(chk_outscan *o, const void *p, size_t n)
{
    const char *s = p;
    o->fed += n;
    while (n) {
        size_t k = OUTSCAN_BUF - o->len < n ? OUTSCAN_BUF - o->len : n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
        if (o->len == OUTSCAN_BUF)
            outscan_flush(o);
    }
}

/* The end of the output: the pipe closed, the thread joined.  0 = the scan completed. */
static int outscan_end(chk_outscan *o)
{
    outscan_flush(o);
    close(o->wfd);
    pthread_join(o->th, NULL);
    close(o->rfd);
    return o->rc == 0 && !o->werr ? 0 : -1;
}

static void outscan_free(chk_outscan *o)
{
    check_result_free(&o->res);
    scan_free(&o->s);
    free(o->buf);
    free(o);
}

void chk_outscan_discard(chk_outscan *o)
{
    if (!o)
        return;
    (void)outscan_end(o);
    outscan_free(o);
}

/* The fed scan into *s: 1 done, 0 not usable (s untouched: the caller re-reads the file) — the
 * scan failed or found something (a missing column, ragged rows: the re-read then reports it with
 * the file's name, as ever), another key is wanted, or the file on disk is not as long as what was
 * shown (the re-read says what is wrong).  o is freed either way. */
static int outscan_take(chk_outscan *o, const plan *p, const char *csv_path, const char *const *kc, int nk,
                        scan *s)
{
    bool same_key = nk == p->nkeys && (const char *const *)p->keys == kc;
    struct stat st;
    bool same_size = stat(csv_path, &st) == 0 && (unsigned long long)st.st_size == o->fed;
    if (outscan_end(o) < 0 || !same_key || !same_size || json_array_size(o->res.findings)) {
        outscan_free(o);
        return 0;
    }
    *s = o->s;
    memset(&o->s, 0, sizeof o->s);
    outscan_free(o);
    return 1;
}

/* ---- check_run ------------------------------------------------------------------------------ */

static char *join_path(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *s = mf_xmalloc(n);
    snprintf(s, n, "%s/%s%s", dir, name, ext);
    return s;
}

static void scan_free(scan *s)
{
    free(s->cols);
    free(s->visit);
    free(s->key_field);
    free(s->keys);
}

/* The declared key: the caller's (check_options) when given, else the plan's `key` statement. */
static const char *const *key_columns(const plan *p, const check_options *o, int *n)
{
    if (o && o->nkey_cols) {
        *n = o->nkey_cols;
        return o->key_cols;
    }
    *n = p->nkeys;
    return p->keys;
}

/* Reviewer checks: the plan's `check` rules (rendered back to text) then the caller's. */
static int reviewer_checks(const plan *p, const char *csv_path, const check_options *o, check_result *res, mf_err *e)
{
    int n = 0, cap = p->nrules + (o ? o->nchecks : 0);
    if (!cap)
        return 0;
    char **owned = mf_xcalloc((size_t)cap, sizeof *owned);
    const char **conds = mf_xcalloc((size_t)cap, sizeof *conds);
    const char **msgs = mf_xcalloc((size_t)cap, sizeof *msgs);
    for (int i = 0; i < p->nrules; i++)
        if (p->rules[i].kind == PR_CHECK) {
            owned[n] = plan_render_expr(p->rules[i].cond);
            conds[n] = owned[n];
            msgs[n++] = p->rules[i].message;
        }
    for (int i = 0; o && i < o->nchecks; i++) {
        conds[n] = o->check_conds[i];
        msgs[n++] = o->check_messages ? o->check_messages[i] : NULL;
    }
    int rc = n ? chk_reviewer(p, csv_path, conds, msgs, n, res, e) : 0;
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(conds);
    free(msgs);
    return rc;
}

/* pre: the input side of the control totals when the caller started it (taken: always freed here). */
static int builtin_checks(const plan *p, const char *csv_path, const run_report *rep, const check_options *o,
                          check_pre *pre, check_result *res, mf_err *e)
{
    scan s = {0};
    int nk;
    const char *const *kc = key_columns(p, o, &nk);
    bool has_dec = false;
    for (int c = 0; c < p->ncols; c++)
        has_dec |= p->cols[c].type.base == PT_DECIMAL;
    /* The input side of the control totals runs beside the output scan (the second core is free). */
    check_pre *h = pre;
    if (!h && o && o->input_path && has_dec)
        h = chk_totals_start(p, o->input_path);
    else if (h && !(o && o->input_path && has_dec)) {   /* not wanted after all */
        check_pre_discard(h);
        h = NULL;
    }
    /* The output as the run wrote it, scanned meanwhile (check_pre_fed); else read back now. */
    chk_outscan *os = h ? chk_totals_take_outscan(h) : NULL;
    int rc = 0;
    if (!os || !outscan_take(os, p, csv_path, kc, nk, &s)) {
        csv_reader *rd = scan_open(&s, p, csv_path, kc, nk, res, e);
        if (!rd) {
            (void)chk_totals_finish(h, NULL, NULL, NULL, res, e);
            scan_free(&s);
            return -1;
        }
        rc = scan_file(&s, p, rd, res, e);
        csv_close(rd);
    }
    if (rc == 0) {
        report_required(&s, p, res);
        check_accounting(rep, s.rows, res);
        report_keys(&s, kc, nk, res);
        rc = h ? control_totals(p, h, &s, rep, res, e) : 0;
    } else
        (void)chk_totals_finish(h, NULL, NULL, NULL, res, e);
    if (rc == 0)
        rc = reviewer_checks(p, csv_path, o, res, e);
    scan_free(&s);
    return rc;
}

int check_run(const plan *p, const char *out_dir, const run_report *rep, const check_options *o,
              check_result *res, mf_err *e)
{
    if (!res->findings)
        check_result_init(res);
    char *csv_path = join_path(out_dir, p->output, ".csv");
    char *json_path = o && o->run_json ? mf_xstrdup(o->run_json) : join_path(out_dir, "run", ".json");
    run_report own;
    int rc = 0;
    if (!rep) {
        rc = read_run_json(json_path, &own, e);
        rep = &own;
    }
    check_pre *pre = o ? o->pre : NULL;
    if (rc == 0 && !(o && o->skip_builtin)) {
        rc = builtin_checks(p, csv_path, rep, o, pre, res, e);
        pre = NULL;   /* taken */
    }
    check_pre_discard(pre);
    if (rc == 0 && o && o->validator && o->validator[0])
        rc = check_validator(o->validator, o->validator_timeout_s, csv_path, json_path, res, e);
    free(csv_path);
    free(json_path);
    return rc;
}
