/* parquet_stream.c — the Parquet copy of a run built on its own thread, from the output text as
 * the run's writer produces it (no second pass over the written CSV).
 *
 * The run's writer (write/run.c) hands over the bytes it appends to OUT/<output>.csv — whole
 * records of the engine's output format (src/engine/format.c: comma, RFC 4180 quoting, "\n" line
 * ends, no header) — with pq_stream_write.  They are copied into a ring of PQS_CHUNKS chunks; a
 * full chunk is handed to the Parquet thread, which splits it into cells
 * and feeds them to a pq_writer (parquet.c).
 *
 * Invariants:
 *   - Memory is bounded: at most PQS_CHUNKS chunks of PQS_CHUNK_BYTES (a chunk is handed over
 *     before a write would overfill it; only a single larger write makes one bigger) and the
 *     writer's current row group (its pages compressed as they fill, parquet.c).  When the thread falls behind,
 *     pq_stream_write waits for a free chunk: the run slows to the Parquet writer's pace, it never
 *     buffers the output.
 *   - Chunks are consumed in the order they were filled, and a chunk holds whole records (every
 *     write is whole records), so the rows reach the writer in output order.
 *   - The thread alone touches the pq_writer until pq_stream_close/abort has joined it.
 *   - The first failure of the thread is kept and returned by the next pq_stream_write or by
 *     pq_stream_close; the file is then aborted (nothing appears, util/afile.h).
 *   - Cells are read as pq_write_from_csv reads the written CSV: an unquoted empty field is null,
 *     a quoted empty field ("") the empty text, except in a one-column output, where it is how
 *     the engine writes a null row.  UTF-8 is checked once per chunk, not per cell.
 */
#include "write/parquet.h"
#include "util/utf8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PQS_CHUNKS 3
#define PQS_CHUNK_BYTES (4u << 20)
#define PQS_SLACK 8            /* bytes of room kept after a chunk's text: a word read there is safe */

struct pq_stream {
    pq_writer *w;
    char *path;                /* the Parquet file's name, for errors */
    int ncols;
    bool *is_text;             /* per column: text (a quoted empty field is "" there) */
    bool any_text;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mf_buf chunk[PQS_CHUNKS];  /* chunk[queued % PQS_CHUNKS] is being filled by the caller */
    long long queued;          /* chunks handed to the thread */
    long long done;            /* chunks the thread has finished */
    bool closing;              /* no more chunks will come */
    bool cancel;               /* stop now (pq_stream_abort) */
    bool failed;               /* the thread failed: err says why */
    mf_err err;
    const char **cells;        /* the thread's row */
    size_t *lens;
};

/* Length of the longest prefix of s that is valid UTF-8: ASCII eight bytes at a time, and each
 * run of non-ASCII bytes (a sequence never contains an ASCII byte) checked on its own. */
static size_t utf8_valid_prefix(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (x & 0x8080808080808080u)
                break;
            i += 8;
        }
        while (i < n && (unsigned char)s[i] < 0x80)
            i++;
        size_t j = i;
        while (j < n && (unsigned char)s[j] >= 0x80)
            j++;
        if (j > i) {
            size_t bad = mf_utf8_invalid_at(s + i, j - i);
            if (bad != j - i)
                return i + bad;
        }
        i = j;
    }
    return n;
}

/* Offset of the first ',' or '\n' in the eight bytes at p (8 when none): the zero-byte test on
 * p ^ ',' and p ^ '\n' (a borrow can only mark bytes above the first real match).  The bytes may
 * run past the text into the chunk's slack: a match there is cut by the caller. */
static inline size_t field_end_in_word(const char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t x, a, b;
    memcpy(&x, p, 8);
    a = x ^ (ones * ',');
    b = x ^ (ones * '\n');
    uint64_t z = ((a - ones) & ~a & highs) | ((b - ones) & ~b & highs);
    return z ? (size_t)__builtin_ctzll(z) / 8 : 8;
}

/* Split a chunk of whole records into rows of cells and write them.  Quoted fields are unquoted
 * in place (a doubled quote becomes one: the text only shrinks), so cells point into the chunk. */
static int put_chunk(pq_stream *s, char *p, size_t n, mf_err *e)
{
    const char *path = s->path;
    if (s->any_text) {
        size_t ok = utf8_valid_prefix(p, n);
        if (ok != n)
            return mf_fail(e, MF_EDATA, path, (long)pq_writer_rows(s->w) + 1, 0,
                           "the output is not valid UTF-8 (byte 0x%02X)", (unsigned char)p[ok]);
    }
    char *end = p + n;
    while (p < end) {
        for (int i = 0; i < s->ncols; i++) {
            char *q = p;
            if (p < end && *p == '"') {
                char *out = p + 1;
                q = out;
                for (p++;; p++) {
                    if (p == end)
                        return mf_fail(e, MF_EFORMAT, path, (long)pq_writer_rows(s->w) + 1, i + 1,
                                       "a quoted field is not closed");
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"')
                            p++;
                        else
                            break;
                    }
                    *out++ = *p;
                }
                p++;   /* the closing quote */
                size_t len = (size_t)(out - q);
                s->cells[i] = len || (s->is_text[i] && s->ncols > 1) ? q : NULL;
                s->lens[i] = len;
            } else {
                size_t k;
                while ((k = field_end_in_word(p)) == 8 && p + 8 < end)
                    p += 8;
                p = p + k < end ? p + k : end;
                s->cells[i] = p > q ? q : NULL;
                s->lens[i] = (size_t)(p - q);
            }
            char want = i + 1 < s->ncols ? ',' : '\n';
            if (p == end || *p != want)
                return mf_fail(e, MF_EFORMAT, path, (long)pq_writer_rows(s->w) + 1, i + 1,
                               "expected %s after field %d of %d", want == ',' ? "a comma" : "the end of the record",
                               i + 1, s->ncols);
            p++;
        }
        if (s->ncols == 0 && *p++ != '\n')
            return mf_fail(e, MF_EFORMAT, path, (long)pq_writer_rows(s->w) + 1, 0, "expected an empty record");
        if (pq_write_row(s->w, s->cells, s->lens, e) < 0)
            return -1;
    }
    return 0;
}

static void *stream_main(void *arg)
{
    pq_stream *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->cancel && s->done == s->queued && !s->closing)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->cancel || s->done == s->queued)
            break;
        mf_buf *c = &s->chunk[s->done % PQS_CHUNKS];
        pthread_mutex_unlock(&s->mu);
        mf_err e;
        mf_err_clear(&e);
        int rc = put_chunk(s, c->data, c->len, &e);
        pthread_mutex_lock(&s->mu);
        if (rc < 0) {
            s->failed = true;
            s->err = e;
        }
        s->done++;
        pthread_cond_broadcast(&s->cv);
        if (rc < 0)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

pq_stream *pq_stream_open(const char *path, int ncols, const pq_column *cols, const pq_options *o, mf_err *e)
{
    pq_stream *s = mf_xcalloc(1, sizeof *s);
    s->path = mf_xstrdup(path);
    s->ncols = ncols;
    s->is_text = mf_xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *s->is_text);
    s->cells = mf_xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *s->cells);
    s->lens = mf_xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *s->lens);
    for (int i = 0; i < ncols; i++)
        s->any_text |= s->is_text[i] = cols[i].type.base == PT_TEXT;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (!(s->w = pq_writer_open(path, ncols, cols, o, e))) {
        pq_stream_abort(s);
        return NULL;
    }
    pq_writer_text_checked(s->w);
    if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
        pq_stream_abort(s);
        mf_fail(e, MF_ENOMEM, path, 0, 0, "cannot start the Parquet writer's thread");
        return NULL;
    }
    s->started = true;
    return s;
}

/* Hand the chunk being filled to the thread, then wait until the next one is free.  Called with
 * the lock held; returns -1 (the thread's error in e) when the thread has failed. */
static int hand_off(pq_stream *s, mf_err *e)
{
    s->queued++;
    pthread_cond_broadcast(&s->cv);
    while (!s->failed && s->queued - s->done >= PQS_CHUNKS)
        pthread_cond_wait(&s->cv, &s->mu);
    if (s->failed) {
        *e = s->err;
        return -1;
    }
    mf_buf_clear(&s->chunk[s->queued % PQS_CHUNKS]);
    return 0;
}

/* A chunk is handed over before a write would take it past PQS_CHUNK_BYTES (with the slack and
 * mf_buf's NUL):
 * its buffer then stays at that size instead of doubling (a larger write alone takes more). */
int pq_stream_write(pq_stream *s, const void *text, size_t n, mf_err *e)
{
    mf_buf *c = &s->chunk[s->queued % PQS_CHUNKS];
    if (c->len && c->len + n + PQS_SLACK + 1 > PQS_CHUNK_BYTES) {
        pthread_mutex_lock(&s->mu);
        int rc = hand_off(s, e);
        pthread_mutex_unlock(&s->mu);
        if (rc < 0)
            return -1;
        c = &s->chunk[s->queued % PQS_CHUNKS];
    }
    mf_buf_reserve(c, n + PQS_SLACK);
    mf_buf_add(c, text, n);
    return 0;
}

static void stream_free(pq_stream *s)
{
    for (int i = 0; i < PQS_CHUNKS; i++)
        mf_buf_free(&s->chunk[i]);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->path);
    free(s->is_text);
    free(s->cells);
    free(s->lens);
    free(s);
}

int pq_stream_close(pq_stream *s, mf_err *e)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (s->chunk[s->queued % PQS_CHUNKS].len)
        rc = hand_off(s, e);
    s->closing = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->started = false;
    if (rc == 0 && s->failed) {
        *e = s->err;
        rc = -1;
    }
    if (rc == 0)
        rc = pq_writer_close(s->w, e);   /* the last row group and the footer; frees the writer */
    else
        pq_writer_abort(s->w);
    s->w = NULL;
    stream_free(s);
    return rc;
}

void pq_stream_abort(pq_stream *s)
{
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->cancel = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    pq_writer_abort(s->w);
    stream_free(s);
}
