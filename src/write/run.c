/* run.c — run_plan: the streaming run that writes OUT/<output>.csv, OUT/rejects.csv, OUT/run.json.
 *
 * A pipeline over a ring of blocks:
 *   reader thread   csv_read_block into the next free slot (shown to opt->observer first, if any)
 *   hash thread     SHA-256 of the input file, on its own (for run.json)
 *   worker threads  evaluate a read slot into its output text (eng_run_block)
 *   this thread     writes done slots strictly in input order, then frees them; it alone
 *                   knows a row's place in the output, so it writes the `row number` columns
 *                   (the workers leave their fields empty and say where they are)
 *   Parquet thread  (with opt->parquet) builds OUT/<output>.parquet from the output records as
 *                   this thread writes them (write/parquet.h, pq_stream): no second pass
 * Memory is bounded by the ring (RUN_SLOTS blocks and their output text) whatever the file size.
 * Every output file is an mf_afile (temporary + rename): on any failure all three are aborted,
 * so a failed run leaves no output file.  Invariant checked before run.json is written:
 * rows_in = rows_out + rows_rejected + rows_filtered.
 */
#include "write/run.h"
#include "util/interrupt.h"
#include "compile/program.h"
#include "engine/engine.h"
#include "util/afile.h"
#include "write/parquet.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_MAX_WORKERS 16

enum { SLOT_FREE, SLOT_READ, SLOT_EVAL, SLOT_DONE };

typedef struct slot {
    csv_block blk;
    eng_result res;
    int state;
} slot;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *slots;
    int nslots;
    long long produced;        /* blocks read so far */
    long long next_eval;       /* next block a worker takes */
    bool eof, stop, read_failed;
    bool give_up;              /* the run failed: the hash thread stops early */
    mf_err rerr;               /* the reader's error */
    csv_reader *rd;
    const eng_program *g;
    const run_observer *obs;   /* sees each block before the workers do (NULL = none) */
    /* input hash, computed by the reader thread from its own descriptor */
    int hash_fd;
    mf_sha256 *sha;
    unsigned long long hashed;
    char *hash_buf;
    int hash_errno;            /* the hash thread's read error, 0 = none */
} pipeline;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- input hash ------------------------------------------------------------------------------- */

#define HASH_CHUNK (1u << 20)

/* The hash thread: SHA-256 of the whole input through its own descriptor, beside the pipeline
 * rather than in it, so the reader (the one stage that cannot be split) does not carry its
 * cost (~0.5 s per GB with SHA-NI).  It stops early when the run stops. */
static void *hash_main(void *arg)
{
    pipeline *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        bool stop = pl->give_up;
        pthread_mutex_unlock(&pl->mu);
        if (stop)
            return NULL;
        ssize_t k = pread(pl->hash_fd, pl->hash_buf, HASH_CHUNK, (off_t)pl->hashed);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            pl->hash_errno = errno;
            return NULL;
        }
        if (k == 0)
            return NULL;
        mf_sha256_update(pl->sha, pl->hash_buf, (size_t)k);
        pl->hashed += (unsigned long long)k;
    }
}

static void *reader_main(void *arg)
{
    pipeline *pl = arg;
    for (long long seq = 0;; seq++) {
        slot *s = &pl->slots[seq % pl->nslots];
        pthread_mutex_lock(&pl->mu);
        while (s->state != SLOT_FREE && !pl->stop)
            pthread_cond_wait(&pl->cv, &pl->mu);
        bool stop = pl->stop;
        pthread_mutex_unlock(&pl->mu);
        if (stop)
            break;
        long n = csv_read_block(pl->rd, &s->blk, &pl->rerr);
        if (n > 0 && pl->obs)
            pl->obs->block(pl->obs->user, &s->blk);
        pthread_mutex_lock(&pl->mu);
        if (n > 0) {
            s->state = SLOT_READ;
            pl->produced = seq + 1;
        } else {
            pl->eof = true;
            pl->read_failed = n < 0;
        }
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        if (n <= 0)
            break;
    }
    return NULL;
}

typedef struct worker_arg {
    pipeline *pl;
    eng_worker *w;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    pipeline *pl = wa->pl;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && pl->next_eval >= pl->produced && !pl->eof)
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (pl->stop || pl->next_eval >= pl->produced)
            break;
        slot *s = &pl->slots[pl->next_eval++ % pl->nslots];
        s->state = SLOT_EVAL;
        pthread_mutex_unlock(&pl->mu);
        eng_run_block(wa->w, &s->blk, &s->res);
        pthread_mutex_lock(&pl->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&pl->cv);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

/* ---- writing in order, holding back the last N rows --------------------------------------------- */

typedef struct held_row {
    uint8_t fate;
    mf_buf csv, rej;
    size_t *rownum_at;         /* nrownum offsets in csv of the `row number` fields */
} held_row;

typedef struct writer {
    mf_afile out, rej;
    long long rows_in, rows_out, rows_rejected, rows_filtered;
    long skip_last;
    held_row *held;            /* ring of skip_last rows */
    long nheld, head;
    const eng_program *g;      /* its `row number` columns are filled in here */
    mf_buf numbered;           /* output text with the row numbers in place */
    mf_err *e;
    const run_options *opt;    /* its progress callback */
    unsigned long long bytes, bytes_total;   /* input bytes of the rows written so far (records + line ends) */
    double t0, last_progress;
    pq_stream *pq;             /* the Parquet copy, fed what goes to out (NULL: none) */
} writer;

/* Output records to OUT/<output>.csv and, as they are written, to the Parquet copy's thread. */
static int out_write(writer *wr, const char *text, size_t n)
{
    if (mf_afile_write(&wr->out, text, n, wr->e) < 0)
        return -1;
    return wr->pq ? pq_stream_write(wr->pq, text, n, wr->e) : 0;
}

/* ---- row numbers: the position of the row in the output, known only here -------------------------- */

/* The text of row number n for a column of type t (decimal(p,s): s zeros after the point). */
static void put_rownum(mf_buf *b, long long n, const plan_type *t)
{
    mf_buf_printf(b, "%lld", n);
    if (t->base == PT_DECIMAL && t->scale > 0) {
        mf_buf_addc(b, '.');
        for (int i = 0; i < t->scale; i++)
            mf_buf_addc(b, '0');
    }
}

/* Append one output row to wr->numbered with the next row number in its empty `row number`
 * fields (at: their offsets in row, ascending). */
static void number_row(writer *wr, const char *row, size_t n, const size_t *at)
{
    long long num = ++wr->rows_out;
    size_t from = 0;
    int k = 0;
    for (int i = 0; i < wr->g->ncols; i++) {
        if (!wr->g->cols[i].rownum)
            continue;
        mf_buf_add(&wr->numbered, row + from, at[k] - from);
        put_rownum(&wr->numbered, num, &wr->g->cols[i].type);
        from = at[k++];
    }
    mf_buf_add(&wr->numbered, row + from, n - from);
}

static int count_and_write(writer *wr, uint8_t fate, const char *csv, size_t ncsv, const char *rej, size_t nrej,
                           const size_t *rownum_at)
{
    wr->rows_rejected += fate == ENG_REJECTED;
    wr->rows_filtered += fate == ENG_FILTERED;
    if (fate == ENG_OUTPUT && wr->g->nrownum) {
        mf_buf_clear(&wr->numbered);
        number_row(wr, csv, ncsv, rownum_at);
        csv = wr->numbered.data;
        ncsv = wr->numbered.len;
    } else {
        wr->rows_out += fate == ENG_OUTPUT;
    }
    if (ncsv && out_write(wr, csv, ncsv) < 0)
        return -1;
    if (nrej && mf_afile_write(&wr->rej, rej, nrej, wr->e) < 0)
        return -1;
    return 0;
}

/* One row into the hold-back ring; the row it displaces (the oldest) is written. */
static int hold_row(writer *wr, const eng_result *r, size_t i)
{
    size_t c0 = i ? r->csv_end[i - 1] : 0, j0 = i ? r->rej_end[i - 1] : 0;
    held_row *h = &wr->held[(wr->head + wr->nheld) % wr->skip_last];
    if (wr->nheld == wr->skip_last) {
        h = &wr->held[wr->head];
        wr->head = (wr->head + 1) % wr->skip_last;
        if (count_and_write(wr, h->fate, h->csv.data, h->csv.len, h->rej.data, h->rej.len, h->rownum_at) < 0)
            return -1;
    } else
        wr->nheld++;
    mf_buf_clear(&h->csv);
    mf_buf_clear(&h->rej);
    h->fate = r->fate[i];
    mf_buf_add(&h->csv, r->csv.data + c0, r->csv_end[i] - c0);
    mf_buf_add(&h->rej, r->rej.data + j0, r->rej_end[i] - j0);
    size_t k = (size_t)wr->g->nrownum;
    if (k && h->fate == ENG_OUTPUT) {
        if (!h->rownum_at)
            h->rownum_at = mf_xmalloc(k * sizeof *h->rownum_at);
        for (size_t j = 0; j < k; j++)
            h->rownum_at[j] = r->rownum_at[i * k + j] - c0;
    }
    return 0;
}

/* A block's output rows with their row numbers, written at once. */
static int write_numbered(writer *wr, const eng_result *r)
{
    size_t k = (size_t)wr->g->nrownum;
    mf_buf_clear(&wr->numbered);
    for (size_t i = 0; i < r->nrows; i++) {
        if (r->fate[i] != ENG_OUTPUT)
            continue;
        size_t c0 = i ? r->csv_end[i - 1] : 0;
        size_t at[64], *rel = k <= 64 ? at : mf_xmalloc(k * sizeof *rel);
        for (size_t j = 0; j < k; j++)
            rel[j] = r->rownum_at[i * k + j] - c0;
        number_row(wr, r->csv.data + c0, r->csv_end[i] - c0, rel);
        if (rel != at)
            free(rel);
    }
    wr->rows_rejected += r->rejected;
    wr->rows_filtered += r->filtered;
    if (wr->numbered.len && out_write(wr, wr->numbered.data, wr->numbered.len) < 0)
        return -1;
    if (r->rej.len && mf_afile_write(&wr->rej, r->rej.data, r->rej.len, wr->e) < 0)
        return -1;
    return 0;
}

static int write_block(writer *wr, const eng_result *r)
{
    wr->rows_in += (long long)r->nrows;
    if (wr->skip_last == 0 && wr->g->nrownum)
        return write_numbered(wr, r);
    if (wr->skip_last == 0) {
        wr->rows_out += r->out;
        wr->rows_rejected += r->rejected;
        wr->rows_filtered += r->filtered;
        if (r->csv.len && out_write(wr, r->csv.data, r->csv.len) < 0)
            return -1;
        if (r->rej.len && mf_afile_write(&wr->rej, r->rej.data, r->rej.len, wr->e) < 0)
            return -1;
        return 0;
    }
    for (size_t i = 0; i < r->nrows; i++)
        if (hold_row(wr, r, i) < 0)
            return -1;
    return 0;
}

/* ---- the pipeline ----------------------------------------------------------------------------- */

static int pipeline_run(pipeline *pl, writer *wr, int nworkers)
{
    pthread_t reader, hasher, workers[RUN_MAX_WORKERS];
    worker_arg wargs[RUN_MAX_WORKERS];
    int started = 0, rc = 0;
    bool hash_started = pl->sha && pthread_create(&hasher, NULL, hash_main, pl) == 0;
    if (pl->sha && !hash_started)
        return mf_fail(wr->e, MF_ENOMEM, NULL, 0, 0, "cannot start the hash thread");
    bool reader_started = pthread_create(&reader, NULL, reader_main, pl) == 0;
    if (!reader_started) {
        pthread_mutex_lock(&pl->mu);
        pl->stop = pl->give_up = true;
        pthread_mutex_unlock(&pl->mu);
        if (hash_started)
            pthread_join(hasher, NULL);
        return mf_fail(wr->e, MF_ENOMEM, NULL, 0, 0, "cannot start the reader thread");
    }
    for (; started < nworkers; started++) {
        wargs[started].pl = pl;
        wargs[started].w = eng_worker_new(pl->g);
        if (pthread_create(&workers[started], NULL, worker_main, &wargs[started]) != 0) {
            eng_worker_free(wargs[started].w);
            break;
        }
    }
    if (started == 0)
        rc = mf_fail(wr->e, MF_ENOMEM, NULL, 0, 0, "cannot start a worker thread");
    for (long long seq = 0; rc == 0; seq++) {
        slot *s = &pl->slots[seq % pl->nslots];
        pthread_mutex_lock(&pl->mu);
        while (s->state != SLOT_DONE && !(pl->eof && seq >= pl->produced))
            pthread_cond_wait(&pl->cv, &pl->mu);
        bool done = s->state != SLOT_DONE;
        pthread_mutex_unlock(&pl->mu);
        if (done)
            break;
        rc = mf_interrupt_check(wr->e) < 0 ? -1 : write_block(wr, &s->res);
        if (rc == 0 && wr->opt && wr->opt->progress) {
            for (size_t i = 0; i < s->blk.nrows; i++)
                wr->bytes += (unsigned long long)s->blk.raw_len[i] + 1;
            double t = now();
            if (t - wr->last_progress >= 0.2) {
                wr->last_progress = t;
                wr->opt->progress(wr->opt->progress_user, wr->rows_in, wr->bytes, wr->bytes_total, t - wr->t0);
            }
        }
        pthread_mutex_lock(&pl->mu);
        s->state = SLOT_FREE;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
    }
    pthread_mutex_lock(&pl->mu);
    pl->stop = true;
    pl->give_up = rc < 0 || pl->read_failed;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    pthread_join(reader, NULL);
    if (hash_started)
        pthread_join(hasher, NULL);
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i], NULL);
        eng_worker_free(wargs[i].w);
    }
    if (rc == 0 && pl->read_failed) {
        *wr->e = pl->rerr;
        rc = -1;
    }
    if (rc == 0 && pl->hash_errno)
        rc = mf_fail(wr->e, MF_EIO, NULL, 0, 0, "cannot read the input to hash it: %s", strerror(pl->hash_errno));
    return rc;
}

/* ---- files ------------------------------------------------------------------------------------ */

/* mkdir -p */
static int make_dirs(const char *dir, mf_err *e)
{
    char *p = mf_xstrdup(dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                mf_fail(e, MF_EIO, p, 0, 0, "cannot create the output directory: %s", strerror(errno));
                free(p);
                return -1;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    int ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    if (!ok)
        return mf_fail(e, MF_EIO, dir, 0, 0, "the output path is not a directory");
    return 0;
}

static char *path_join(const char *dir, const char *name, const char *ext)
{
    size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s%s", dir, name, ext);
    return p;
}

static json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *run_report_json(const run_options *opt, const char *data_path, const char *csv_path, const char *rej_path,
                      const run_report *rep)
{
    json_t *o = json_object(), *in = json_object(), *out = json_object(), *t = json_object();
    json_object_set_new(o, "plan_sha256", json_str_or_null(opt ? opt->plan_sha256 : NULL));
    json_object_set_new(o, "cache_hit", json_boolean(opt && opt->cache_hit));
    /* who approved the text that ran, beside it (the text and its SHA-256 stay as approved) */
    if (opt && opt->approved_by)
        json_object_set_new(o, "approval",
                            json_pack("{s:s, s:s, s:o}", "by", opt->approved_by, "at",
                                      opt->approved_at ? opt->approved_at : "", "comment",
                                      json_str_or_null(opt->approval_comment)));
    else
        json_object_set_new(o, "approval", json_null());
    json_object_set_new(o, "cache_key", json_str_or_null(opt ? opt->cache_key : NULL));
    json_object_set_new(in, "path", json_string(data_path));
    json_object_set_new(in, "bytes", json_integer((json_int_t)rep->bytes_in));
    json_object_set_new(in, "sha256", rep->input_sha256[0] ? json_string(rep->input_sha256) : json_null());
    json_object_set_new(o, "input", in);
    json_object_set_new(out, "csv", json_string(csv_path));
    json_object_set_new(out, "rejects", json_string(rej_path));
    json_object_set_new(o, "output", out);
    json_object_set_new(o, "rows_in", json_integer(rep->rows_in));
    json_object_set_new(o, "rows_out", json_integer(rep->rows_out));
    json_object_set_new(o, "rows_rejected", json_integer(rep->rows_rejected));
    json_object_set_new(o, "rows_filtered", json_integer(rep->rows_filtered));
    json_object_set_new(t, "compile_seconds", json_real(rep->seconds_compile));
    json_object_set_new(t, "run_seconds", json_real(rep->seconds_run));
    json_object_set_new(t, "total_seconds", json_real(rep->seconds_total));
    double mbps = rep->seconds_run > 0 ? (double)rep->bytes_in / 1e6 / rep->seconds_run : 0;
    json_object_set_new(t, "mb_per_s", json_real(mbps));
    json_object_set_new(o, "timings", t);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* ---- run_plan --------------------------------------------------------------------------------- */

typedef struct run_ctx {
    csv_reader *rd;
    eng_program *g;
    pipeline pl;
    writer wr;
    char *csv_path, *rej_path, *json_path;
    const char *out_dir;
    const run_observer *obs;
    bool out_open, rej_open;
    mf_afile pq_file;          /* the Parquet copy, sealed by pq_stream_close */
} run_ctx;

static int open_outputs(run_ctx *c, const plan *p, const char *out_dir, const run_options *opt, mf_err *e)
{
    const char *name = p->output && *p->output ? p->output : "output";
    if (strchr(name, '/') || name[0] == '.')
        return mf_fail(e, MF_EDATA, NULL, 0, 0, "output name \"%s\" cannot be a file name", name);
    c->out_dir = out_dir;
    c->csv_path = path_join(out_dir, name, ".csv");
    c->rej_path = path_join(out_dir, "rejects", ".csv");
    c->json_path = path_join(out_dir, "run", ".json");
    if (!strcmp(name, "rejects") || !strcmp(name, "run"))
        return mf_fail(e, MF_EDATA, NULL, 0, 0, "output name \"%s\" is reserved", name);
    if (mf_afile_open(&c->wr.out, c->csv_path, e) < 0)
        return -1;
    c->out_open = true;
    if (c->obs && c->obs->output) {   /* header included */
        c->wr.out.tee = c->obs->output;
        c->wr.out.tee_user = c->obs->user;
    }
    if (mf_afile_open(&c->wr.rej, c->rej_path, e) < 0)
        return -1;
    c->rej_open = true;
    if (opt && opt->parquet) {   /* built on its own thread from the records as they are written */
        char *pq_path = path_join(out_dir, name, ".parquet");
        pq_column *cols = mf_xcalloc((size_t)(p->ncols > 0 ? p->ncols : 1), sizeof *cols);
        for (int i = 0; i < p->ncols; i++)
            cols[i] = (pq_column){p->cols[i].name, p->cols[i].type};
        pq_options po;
        pq_options_default(&po);
        po.seal_into = &c->pq_file;
        c->wr.pq = pq_options_from_env(&po, e) < 0 ? NULL : pq_stream_open(pq_path, p->ncols, cols, &po, e);
        free(cols);
        free(pq_path);
        if (!c->wr.pq)
            return -1;
    }
    mf_buf h = {0};
    eng_format_header(c->g, &h);
    int rc = mf_afile_write(&c->wr.out, h.data, h.len, e);
    mf_buf_free(&h);
    return rc < 0 ? -1 : mf_afile_puts(&c->wr.rej, "line,column,reason,record\n", e);
}

static void pipeline_init(pipeline *pl, run_ctx *c, int nworkers, bool hash, const char *data_path)
{
    memset(pl, 0, sizeof *pl);
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    /* Enough blocks in flight to ride out the writer's pauses: one 4 MiB O_DIRECT write of the
     * output (2-3 ms) stands for about a dozen blocks' output, and with only 2 + 2 per worker
     * the ring filled behind it and the workers stood idle (measured on 2 cores, 1 GiB: ~20%
     * idle CPU, 2.5 s; with 16 slots 2.2 s).  Each slot holds ~2 MB at most: RSS stays flat. */
    pl->nslots = nworkers * 4 + 8;
    pl->slots = mf_xcalloc((size_t)pl->nslots, sizeof *pl->slots);
    for (int i = 0; i < pl->nslots; i++) {
        csv_block_init(&pl->slots[i].blk);
        eng_result_init(&pl->slots[i].res);
    }
    pl->rd = c->rd;
    pl->g = c->g;
    pl->obs = c->obs;
    pl->hash_fd = -1;
    if (hash && (pl->hash_fd = open(data_path, O_RDONLY | O_CLOEXEC)) >= 0) {
        pl->sha = mf_sha256_new();
        pl->hash_buf = mf_xmalloc(HASH_CHUNK);
    }
}

static void pipeline_free(pipeline *pl, char hex[65])
{
    if (pl->sha) {
        char tmp[65];
        mf_sha256_final_hex(pl->sha, hex ? hex : tmp);
    }
    if (pl->hash_fd >= 0)
        close(pl->hash_fd);
    free(pl->hash_buf);
    for (int i = 0; i < pl->nslots; i++) {
        csv_block_free(&pl->slots[i].blk);
        eng_result_free(&pl->slots[i].res);
    }
    free(pl->slots);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
}

static int workers_for(const run_options *opt)
{
    long cores = opt && opt->threads > 0 ? opt->threads : sysconf(_SC_NPROCESSORS_ONLN);
    /* Evaluation is the heaviest stage: one worker per core.  The reader and the writer (this
     * thread) are lighter and share the cores with them (measured: 2 workers on 2 cores beat 1). */
    long n = cores;
    return n < 1 ? 1 : n > RUN_MAX_WORKERS ? RUN_MAX_WORKERS : (int)n;
}

/* The run's outputs as one set.  Every member is sealed first (complete on disk under its temporary
 * name: the data, rejects, the Parquet copy (its thread finishes its last rows), the companions, run.json);
 * only then, if no interrupt arrived, the older set's run.json and the members this set replaces or
 * no longer has (a Parquet file from a run with Parquet, the companions) are removed, and the new
 * members are renamed into place with run.json last.  A reader that finds run.json sees one
 * complete set; a stop at any moment before leaves no run.json and no older file beside newer ones. */
#define SET_MAX 16
static int publish_set(run_ctx *c, const plan *p, const run_options *opt, const char *json, mf_err *e)
{
    mf_afile set[SET_MAX];
    int n = 0, rc = 0;
    writer *wr = &c->wr;
    c->out_open = c->rej_open = false;
    int out_ok = mf_afile_seal(&wr->out, e) == 0;
    int rej_ok = mf_afile_seal(&wr->rej, e) == 0;
    if (out_ok)
        set[n++] = wr->out;
    if (rej_ok)
        set[n++] = wr->rej;
    rc = out_ok && rej_ok ? 0 : -1;
    char *pq_path = path_join(c->out_dir, p->output && *p->output ? p->output : "output", ".parquet");
    if (rc == 0 && wr->pq) {
        rc = pq_stream_close(wr->pq, e);
        wr->pq = NULL;
        if (rc == 0)
            set[n++] = c->pq_file;
    }
    for (int i = 0; rc == 0 && i < opt->ncompanions && n < SET_MAX - 1; i++) {
        char *path = path_join(c->out_dir, opt->companions[i].name, "");
        mf_afile f;
        rc = mf_afile_open(&f, path, e);
        free(path);
        if (rc == 0 && (mf_afile_write(&f, opt->companions[i].text, opt->companions[i].len, e) < 0 ||
                        mf_afile_seal(&f, e) < 0)) {
            mf_afile_abort(&f);
            rc = -1;
        }
        if (rc == 0)
            set[n++] = f;
    }
    mf_afile jf;
    if (rc == 0 && (rc = mf_afile_open(&jf, c->json_path, e)) == 0) {
        if (mf_afile_puts(&jf, json, e) < 0 || mf_afile_write(&jf, "\n", 1, e) < 0 || mf_afile_seal(&jf, e) < 0) {
            mf_afile_abort(&jf);
            rc = -1;
        } else {
            set[n++] = jf;
        }
    }
    if (rc == 0)
        rc = mf_interrupt_check(e);   /* the last moment a stop leaves everything as it was */
    if (rc == 0) {
        /* the older set: its run.json first (it is what says a set is complete), then its members */
        if ((unlink(c->json_path) < 0 && errno != ENOENT) || (unlink(pq_path) < 0 && errno != ENOENT))
            rc = mf_fail(e, MF_EIO, c->json_path, 0, 0, "cannot remove the earlier run's output: %s", strerror(errno));
    }
    char *final[SET_MAX];
    for (int i = 0; i < n; i++)
        final[i] = mf_xstrdup(set[i].path);
    int published = 0;
    while (rc == 0 && published < n)
        if (mf_afile_publish(&set[published++], e) < 0)
            rc = -1;
    if (rc < 0) {
        for (int i = 0; i < published; i++)   /* a half-published set is taken back (run.json is last) */
            unlink(final[i]);
        for (int i = published; i < n; i++)
            mf_afile_abort(&set[i]);
    }
    for (int i = 0; i < n; i++)
        free(final[i]);
    free(pq_path);
    return rc;
}

long long run_test_lost_rows;

static int finish(run_ctx *c, const plan *p, const run_options *opt, const char *data_path, run_report *rep,
                  mf_err *e)
{
    writer *wr = &c->wr;
    rep->rows_in = wr->rows_in;
    rep->rows_out = wr->rows_out - run_test_lost_rows;
    rep->rows_rejected = wr->rows_rejected;
    rep->rows_filtered = wr->rows_filtered + wr->nheld;   /* the held-back last rows */
    if (rep->rows_in != rep->rows_out + rep->rows_rejected + rep->rows_filtered)
        return mf_fail(e, MF_EDATA, data_path, 0, 0,
                       "internal error: %lld rows in but %lld out + %lld rejected + %lld filtered", rep->rows_in,
                       rep->rows_out, rep->rows_rejected, rep->rows_filtered);
    char *json = run_report_json(opt, data_path, c->csv_path, c->rej_path, rep);
    if (!json)
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "cannot build run.json");
    int rc = publish_set(c, p, opt, json, e);
    free(json);
    return rc;
}

static void ctx_free(run_ctx *c)
{
    pq_stream_abort(c->wr.pq);
    if (c->out_open)
        mf_afile_abort(&c->wr.out);
    if (c->rej_open)
        mf_afile_abort(&c->wr.rej);
    for (long i = 0; c->wr.held && i < c->wr.skip_last; i++) {
        mf_buf_free(&c->wr.held[i].csv);
        mf_buf_free(&c->wr.held[i].rej);
        free(c->wr.held[i].rownum_at);
    }
    mf_buf_free(&c->wr.numbered);
    free(c->wr.held);
    eng_program_free(c->g);
    if (c->rd)
        csv_close(c->rd);
    free(c->csv_path);
    free(c->rej_path);
    free(c->json_path);
}

int run_plan(const plan *p, const char *data_path, const char *out_dir, const run_options *opt, run_report *rep,
             mf_err *e)
{
    double t0 = now();
    run_ctx c;
    memset(&c, 0, sizeof c);
    memset(rep, 0, sizeof *rep);
    csv_dialect d = {.delimiter = p->source.delimiter ? p->source.delimiter : ',',
                     .quote = p->source.quote,
                     .encoding = p->source.encoding,
                     .header_line = p->source.header_line > 0 ? p->source.header_line : 1};
    const char *const *names;
    int rc = -1;
    if (plan_has_open_questions(p)) {
        mf_fail(e, MF_EQUESTION, NULL, 0, 0, "the plan has open questions: it cannot run");
        return -1;
    }
    if (!(c.rd = csv_open(data_path, &d, e)))
        goto out;
    int nh = csv_header(c.rd, &names);
    if (!(c.g = eng_compile(p, names, nh, data_path, e)))
        goto out;
    if (opt && opt->observer) {
        c.obs = opt->observer;
        c.obs->header(c.obs->user, names, nh);
    }
    rep->seconds_compile = now() - t0;
    if (make_dirs(out_dir, e) < 0 || open_outputs(&c, p, out_dir, opt, e) < 0)
        goto out;
    c.wr.e = e;
    c.wr.g = c.g;
    c.wr.skip_last = p->source.skip_last > 0 ? p->source.skip_last : 0;
    if (c.wr.skip_last)
        c.wr.held = mf_xcalloc((size_t)c.wr.skip_last, sizeof *c.wr.held);
    double t1 = now();
    int nworkers = workers_for(opt);
    pipeline_init(&c.pl, &c, nworkers, !(opt && opt->skip_input_sha256), data_path);
    c.wr.opt = opt;
    c.wr.t0 = t0;
    c.wr.bytes_total = csv_file_size(c.rd);
    rc = pipeline_run(&c.pl, &c.wr, nworkers);
    rep->bytes_in = csv_file_size(c.rd);
    if (rc == 0 && opt && opt->progress)
        opt->progress(opt->progress_user, c.wr.rows_in, rep->bytes_in, rep->bytes_in, now() - t0);
    pipeline_free(&c.pl, rc == 0 ? rep->input_sha256 : NULL);
    if (rc < 0)
        goto out;
    rep->seconds_run = now() - t1;
    rep->seconds_total = now() - t0;
    rc = finish(&c, p, opt, data_path, rep, e);
out:
    ctx_free(&c);
    return rc;
}
