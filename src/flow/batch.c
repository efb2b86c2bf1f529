/* batch.c — what a batch is made of: its entries, read from a manifest CSV or a folder of client
 * folders, and OUT/batch.json, the summary written at its end.  Running the entries is
 * batch_run.c; what one entry does is batch_entry.c.
 *
 * Invariants: every entry names where it came from (manifest line or folder) so that a message
 * about it can point there; paths are made absolute against the manifest's folder, so a batch
 * means the same thing from any working directory; no two entries share an output directory
 * (their output sets would overwrite each other).
 */
#include "flow/batch.h"
#include "flow/flow_internal.h"

#include "read/csv.h"
#include "util/buf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const status_names[] = {"queued", "running", "done", "waiting_for_review", "failed"};

const char *batch_status_name(batch_status s)
{
    return (unsigned)s < sizeof status_names / sizeof *status_names ? status_names[s] : "queued";
}

static void entry_free(batch_entry *x)
{
    free(x->client);
    free(x->mapping);
    free(x->data);
    free(x->out);
    free(x->validator);
    free(x->where);
    free(x->unusable);
    free(x->why);
    free(x->inbuf);
}

void batch_free(batch *b)
{
    for (int i = 0; b->e && i < b->n; i++)
        entry_free(&b->e[i]);
    free(b->e);
    free(b->source);
    free(b->out_dir);
    memset(b, 0, sizeof *b);
}

static batch_entry *add_entry(batch *b, int *cap)
{
    if (b->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        b->e = mf_xrealloc(b->e, (size_t)*cap * sizeof *b->e);
    }
    batch_entry *x = &b->e[b->n++];
    memset(x, 0, sizeof *x);
    x->fd = -1;
    return x;
}

/* base/rel, or rel when it is absolute (malloc'd). */
static char *resolve(const char *base, const char *rel)
{
    if (rel[0] == '/')
        return mf_xstrdup(rel);
    return flow_join(base, rel);
}

/* The folder of path, absolute (malloc'd). */
static char *folder_of(const char *path)
{
    char abs[PATH_MAX];
    const char *p = realpath(path, abs) ? abs : path;
    const char *slash = strrchr(p, '/');
    if (!slash)
        return mf_xstrdup(".");
    if (slash == p)
        return mf_xstrdup("/");
    char *d = mf_xmalloc((size_t)(slash - p) + 1);
    memcpy(d, p, (size_t)(slash - p));
    d[slash - p] = '\0';
    return d;
}

static unsigned long long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

/* A manifest's validator: a command as --validator takes it; when its first word is a relative
 * path to a file in the manifest's folder, that file (quoted) — so a manifest and its validators
 * move together.  NULL for an empty cell. */
static char *validator_of(const char *base, const char *cell)
{
    if (!*cell)
        return NULL;
    size_t w = strcspn(cell, " \t");
    if (cell[0] == '/' || w >= PATH_MAX / 2)
        return mf_xstrdup(cell);
    char word[PATH_MAX / 2];
    memcpy(word, cell, w);
    word[w] = '\0';
    char *path = flow_join(base, word);
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return mf_xstrdup(cell);
    }
    char q[PATH_MAX * 2 + 8];
    mf_shq(path, q, sizeof q);
    free(path);
    size_t n = strlen(q) + strlen(cell + w) + 1;
    char *out = mf_xmalloc(n);
    snprintf(out, n, "%s%s", q, cell + w);
    return out;
}

/* Two entries may not write into one output directory. */
static int check_outputs(const batch *b, mf_err *e)
{
    for (int i = 0; i < b->n; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(b->e[i].out, b->e[k].out))
                return mf_fail(e, MF_EUSAGE, b->e[i].where, 0, 0,
                               "output directory %s is already the output of %s: every entry needs its own",
                               b->e[i].out, b->e[k].where);
    return 0;
}

/* ---- the manifest -------------------------------------------------------------------------------- */

enum { COL_CLIENT, COL_MAPPING, COL_DATA, COL_OUT, COL_VALIDATOR, NCOLS };
static const char *const col_names[NCOLS] = {"client", "mapping", "data", "out", "validator"};

static char *field(const csv_block *blk, size_t row, int col)
{
    uint32_t f = blk->first[row] + (uint32_t)col;
    const char *p = blk->fptr[f];
    size_t n = blk->flen[f];
    while (n && isspace((unsigned char)*p))
        p++, n--;
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    char *s = mf_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

int batch_read_manifest(const char *path, const char *out_dir, batch *b, mf_err *e)
{
    memset(b, 0, sizeof *b);
    csv_dialect d = {0};
    if (csv_detect(path, &d, e) < 0)
        return -1;
    csv_reader *r = csv_open(path, &d, e);
    if (!r)
        return -1;
    const char *const *names;
    int nnames = csv_header(r, &names);
    int at[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        at[c] = -1;
    for (int i = 0; i < nnames; i++) {
        int c = 0;
        while (c < NCOLS && strcasecmp(names[i], col_names[c]))
            c++;
        if (c == NCOLS) {
            csv_close(r);
            return mf_fail(e, MF_EFORMAT, path, d.header_line, i + 1,
                           "unknown manifest column \"%s\": the columns are client, mapping, data, out (and "
                           "optionally validator)", names[i]);
        }
        if (at[c] >= 0) {
            csv_close(r);
            return mf_fail(e, MF_EFORMAT, path, d.header_line, i + 1, "column \"%s\" appears twice", names[i]);
        }
        at[c] = i;
    }
    for (int c = 0; c < COL_VALIDATOR; c++)
        if (at[c] < 0) {
            csv_close(r);
            return mf_fail(e, MF_EFORMAT, path, d.header_line, 0,
                           "the manifest's header has no column \"%s\" (it needs client, mapping, data, out)",
                           col_names[c]);
        }
    char *base = folder_of(path);
    b->source = mf_xstrdup(path);
    char *bo = out_dir ? mf_xstrdup(out_dir) : mf_xstrdup(base);
    b->out_dir = bo;
    csv_block blk;
    csv_block_init(&blk);
    int cap = 0, rc = 0;
    long got;
    while (rc == 0 && (got = csv_read_block(r, &blk, e)) > 0) {
        for (size_t i = 0; i < (size_t)got && rc == 0; i++) {
            char where[PATH_MAX + 32];
            snprintf(where, sizeof where, "%s:%ld", path, blk.line[i]);
            if ((int)blk.nfields[i] != nnames) {
                rc = mf_fail(e, MF_EFORMAT, path, blk.line[i], 0, "this row has %u fields, the header %d",
                             blk.nfields[i], nnames);
                break;
            }
            char *v[NCOLS] = {0};
            for (int c = 0; c < NCOLS; c++)
                v[c] = at[c] >= 0 ? field(&blk, i, at[c]) : NULL;
            for (int c = 0; c < COL_VALIDATOR && rc == 0; c++)
                if (!*v[c])
                    rc = mf_fail(e, MF_EFORMAT, path, blk.line[i], at[c] + 1, "the %s is empty", col_names[c]);
            if (rc == 0) {
                batch_entry *x = add_entry(b, &cap);
                x->where = mf_xstrdup(where);
                x->client = mf_xstrdup(v[COL_CLIENT]);
                x->mapping = resolve(base, v[COL_MAPPING]);
                x->data = resolve(base, v[COL_DATA]);
                x->out = resolve(base, v[COL_OUT]);
                x->validator = v[COL_VALIDATOR] ? validator_of(base, v[COL_VALIDATOR]) : NULL;
                x->bytes = size_of(x->data);
            }
            for (int c = 0; c < NCOLS; c++)
                free(v[c]);
        }
    }
    if (rc == 0 && got < 0)
        rc = -1;
    csv_block_free(&blk);
    csv_close(r);
    free(base);
    if (rc == 0 && b->n == 0)
        rc = mf_fail(e, MF_EFORMAT, path, 0, 0, "the manifest lists no entries");
    if (rc == 0)
        rc = check_outputs(b, e);
    if (rc < 0)
        batch_free(b);
    return rc;
}

/* ---- a folder of client folders ------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

static bool is_data_name(const char *name)
{
    static const char *const exts[] = {".csv", ".txt", ".tsv", ".psv", ".dat"};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
        if (ends_with(name, exts[i]))
            return true;
    return false;
}

static bool is_workbook(const char *name)
{
    return ends_with(name, ".xlsx") || ends_with(name, ".xlsm");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular, visible files of dir, sorted (malloc'd names). */
static char **list_files(const char *dir, bool dirs, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = flow_join(dir, de->d_name);
        struct stat st;
        bool ok = stat(p, &st) == 0 && (dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        free(p);
        if (!ok)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            names = mf_xrealloc(names, (size_t)cap * sizeof *names);
        }
        names[(*n)++] = mf_xstrdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, (size_t)*n, sizeof *names, by_name);
    return names;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The mapping among a client folder's files: its index, -1 none, -2 ambiguous (why filled). */
static int find_mapping(char **files, int n, char *why, size_t len)
{
    static const char *const exact[] = {"mapping.xlsx", "mapping.xlsm", "mapping.csv"};
    for (size_t k = 0; k < sizeof exact / sizeof *exact; k++)
        for (int i = 0; i < n; i++)
            if (!strcasecmp(files[i], exact[k]))
                return i;
    int found = -1, count = 0;
    for (int i = 0; i < n; i++)
        if (is_workbook(files[i]))
            found = i, count++;
    if (count == 1)
        return found;
    if (count > 1) {
        snprintf(why, len, "%d workbooks and none named mapping.xlsx: which one is the mapping?", count);
        return -2;
    }
    for (int i = 0; i < n; i++) {
        char low[NAME_MAX + 1];
        size_t k = 0;
        for (; files[i][k] && k < NAME_MAX; k++)
            low[k] = (char)tolower((unsigned char)files[i][k]);
        low[k] = '\0';
        if (strstr(low, "mapping"))
            found = i, count++;
    }
    if (count == 1)
        return found;
    snprintf(why, len, count ? "%d files are named like a mapping: name the one to use mapping.xlsx (or .csv)"
                             : "no mapping: put the mapping workbook in the folder as mapping.xlsx (or mapping.csv)",
             count);
    return count ? -2 : -1;
}

/* The client's name: client.txt's first line, else the folder's name (malloc'd). */
static char *client_name(const char *folder, const char *name)
{
    char *p = flow_join(folder, "client.txt");
    FILE *f = fopen(p, "r");
    free(p);
    char line[512];
    if (f && fgets(line, sizeof line, f)) {
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t k = strlen(s);
        while (k && isspace((unsigned char)s[k - 1]))
            s[--k] = '\0';
        if (*s)
            return mf_xstrdup(s);
    } else if (f) {
        fclose(f);
    }
    return mf_xstrdup(name);
}

static char *stem(const char *name)
{
    char *s = mf_xstrdup(name);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

int batch_read_dir(const char *dir, const char *out_dir, batch *b, mf_err *e)
{
    memset(b, 0, sizeof *b);
    if (!out_dir)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge batch DIR needs --out OUT (outputs go to OUT/<client>/)");
    char abs[PATH_MAX];
    if (!realpath(dir, abs))
        return mf_fail(e, MF_EIO, dir, 0, 0, "cannot read the folder: %s", strerror(errno));
    int nc = 0;
    char **clients = list_files(abs, true, &nc);
    if (!nc) {
        free_names(clients, nc);
        return mf_fail(e, MF_EFORMAT, dir, 0, 0, "no client folders in it (one folder per client, holding its "
                                                 "mapping and data files)");
    }
    b->source = mf_xstrdup(dir);
    b->out_dir = mf_xstrdup(out_dir);
    int cap = 0;
    for (int c = 0; c < nc; c++) {
        char *folder = flow_join(abs, clients[c]);
        int nf = 0;
        char **files = list_files(folder, false, &nf);
        char why[256] = "";
        int m = find_mapping(files, nf, why, sizeof why);
        int ndata = 0;
        for (int i = 0; i < nf; i++)
            if (i != m && is_data_name(files[i]) && strcasecmp(files[i], "client.txt"))
                ndata++;
        char *client = client_name(folder, clients[c]);
        char *base_out = flow_join(out_dir, clients[c]);
        if (m < 0 || ndata == 0) {
            batch_entry *x = add_entry(b, &cap);
            x->where = mf_xstrdup(folder);
            x->client = mf_xstrdup(client);
            x->mapping = mf_xstrdup(m >= 0 ? files[m] : "");
            x->data = mf_xstrdup("");
            x->out = mf_xstrdup(base_out);
            x->unusable = mf_xstrdup(m < 0 ? why : "no data file (.csv, .txt, .tsv, .psv or .dat) beside the mapping");
        }
        for (int i = 0; m >= 0 && i < nf; i++) {
            if (i == m || !is_data_name(files[i]) || !strcasecmp(files[i], "client.txt"))
                continue;
            batch_entry *x = add_entry(b, &cap);
            x->data = flow_join(folder, files[i]);
            x->where = mf_xstrdup(x->data);
            x->client = mf_xstrdup(client);
            x->mapping = flow_join(folder, files[m]);
            if (ndata == 1) {
                x->out = mf_xstrdup(base_out);
            } else {
                char *s = stem(files[i]);
                x->out = flow_join(base_out, s);
                free(s);
            }
            x->bytes = size_of(x->data);
        }
        free(base_out);
        free(client);
        free_names(files, nf);
        free(folder);
    }
    free_names(clients, nc);
    if (check_outputs(b, e) < 0) {
        batch_free(b);
        return -1;
    }
    return 0;
}

/* ---- batch.json --------------------------------------------------------------------------------- */

const char *batch_outcome(const batch *b)
{
    if (b->running)
        return "running";
    if (b->interrupted)
        return "interrupted";
    if (b->nfailed)
        return "failed";
    if (b->nwaiting)
        return "waiting_for_review";
    if (b->nqueued)
        return "interrupted";
    return "done";
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

char *batch_json(const batch *b)
{
    json_t *entries = json_array();
    long long rin = 0, rout = 0, rrej = 0, rfil = 0;
    unsigned long long bytes = 0;
    double secs = 0;
    for (int i = 0; i < b->n; i++) {
        const batch_entry *x = &b->e[i];
        json_t *o = json_object();
        json_object_set_new(o, "client", json_string(x->client));
        json_object_set_new(o, "where", json_string(x->where));
        json_object_set_new(o, "mapping", json_string(x->mapping));
        json_object_set_new(o, "data", json_string(x->data));
        json_object_set_new(o, "out", json_string(x->out));
        json_object_set_new(o, "status", json_string(x->interrupted && x->status == BATCH_QUEUED ? "interrupted"
                                                                                                : batch_status_name(x->status)));
        json_object_set_new(o, "skipped", json_boolean(x->skipped));
        json_object_set_new(o, "cache_hit", json_boolean(x->cache_hit));
        json_object_set_new(o, "why", str_or_null(x->why));
        json_object_set_new(o, "review_id", x->review_id ? json_integer(x->review_id) : json_null());
        json_object_set_new(o, "run_id", x->run_id ? json_integer(x->run_id) : json_null());
        json_object_set_new(o, "input_sha256", str_or_null(x->input_sha256));
        json_object_set_new(o, "plan_sha256", str_or_null(x->plan_sha256));
        json_object_set_new(o, "rows_in", json_integer(x->rows_in));
        json_object_set_new(o, "rows_out", json_integer(x->rows_out));
        json_object_set_new(o, "rows_rejected", json_integer(x->rows_rejected));
        json_object_set_new(o, "rows_filtered", json_integer(x->rows_filtered));
        json_object_set_new(o, "bytes", json_integer((json_int_t)x->bytes));
        json_object_set_new(o, "seconds", json_real(x->seconds));
        json_array_append_new(entries, o);
        if (x->status == BATCH_DONE) {
            rin += x->rows_in;
            rout += x->rows_out;
            rrej += x->rows_rejected;
            rfil += x->rows_filtered;
            if (!x->skipped)
                bytes += x->bytes;
        }
        secs += x->seconds;
    }
    json_t *totals = json_object();
    json_object_set_new(totals, "entries", json_integer(b->n));
    json_object_set_new(totals, "done", json_integer(b->ndone));
    json_object_set_new(totals, "skipped", json_integer(b->nskipped));
    json_object_set_new(totals, "waiting_for_review", json_integer(b->nwaiting));
    json_object_set_new(totals, "failed", json_integer(b->nfailed));
    json_object_set_new(totals, "not_run", json_integer(b->nqueued));
    json_object_set_new(totals, "rows_in", json_integer(rin));
    json_object_set_new(totals, "rows_out", json_integer(rout));
    json_object_set_new(totals, "rows_rejected", json_integer(rrej));
    json_object_set_new(totals, "rows_filtered", json_integer(rfil));
    json_object_set_new(totals, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(totals, "entry_seconds", json_real(secs));
    json_object_set_new(totals, "seconds", json_real(b->seconds));
    json_t *top = json_object();
    json_object_set_new(top, "source", json_string(b->source ? b->source : ""));
    json_object_set_new(top, "started_at", json_string(b->started_at));
    json_object_set_new(top, "outcome", json_string(batch_outcome(b)));
    json_object_set_new(top, "totals", totals);
    json_object_set_new(top, "entries", entries);
    char *t = json_dumps(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(top);
    return t;
}
