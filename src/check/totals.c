/* totals.c — control totals: the sum of each decimal output column, computed a second way.
 *
 * What the check defends against: the file that will be loaded not holding the values the plan
 * computes — a row lost, duplicated or reordered into the wrong column by the writer, a decimal
 * formatted wrongly, the output file edited or truncated after the run.  The plan is evaluated
 * again on the input file, record by record and single-threaded (a different path from run_plan's
 * pipeline and writer), and the exact decimal sum of each column over the rows the plan outputs
 * is compared with the sum over the output CSV re-read from disk.
 *
 * What it does not claim: an input-side total "output + rejected" for each column — a rejected
 * row often has no value for the column at all (the conversion is what failed), so that identity
 * is not computable in general; the rejected rows are accounted for by count (row_accounting).
 *
 * "skip the last N rows": the last N records are held back in a small ring and never summed,
 * as the writer does.  Memory: one block of records plus N rows of sums.
 *
 * The input-side evaluation runs on its own thread (chk_totals_start) while builtin.c re-reads the
 * output CSV on the calling thread; chk_totals_finish joins it and compares.  The flow starts it
 * before the native run (check_pre_start), so it also overlaps the engine; check_pre_discard
 * stops it at its next block when the run fails.  The two passes share
 * nothing but the const plan: the thread owns its reader, program, worker, sums and mf_err.  When
 * the thread cannot be created the evaluation runs in chk_totals_finish instead.
 */
#include "check/check_internal.h"
#include "compile/program.h"
#include "engine/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct totals {
    int ncols;
    int ndec;             /* decimal columns, the only ones summed */
    int *dec;             /* their indices */
    mf_dec *sum;          /* per column */
    bool *overflow;
    long held_cap;        /* skip_last */
    long held_n, held_head;
    mf_dec *held;         /* held_cap rows x ncols values */
    bool *held_out;       /* row was output */
} totals;

static void add_row(totals *t, const mf_dec *vals)
{
    for (int k = 0; k < t->ndec; k++) {
        int c = t->dec[k];
        if (!t->overflow[c] && !mf_dec_add(t->sum[c], vals[c], &t->sum[c]))
            t->overflow[c] = true;
    }
}

/* Record one evaluated record: vals (NULL when not output).  With a ring, the oldest held row is
 * committed once the ring is full. */
static void push_row(totals *t, const mf_dec *vals)
{
    if (!t->held_cap) {
        if (vals)
            add_row(t, vals);
        return;
    }
    long slot = (t->held_head + t->held_n) % t->held_cap;
    if (t->held_n == t->held_cap) {
        slot = t->held_head;
        if (t->held_out[slot])
            add_row(t, t->held + slot * t->ncols);
        t->held_head = (t->held_head + 1) % t->held_cap;
    } else
        t->held_n++;
    t->held_out[slot] = vals != NULL;
    if (vals)
        memcpy(t->held + slot * t->ncols, vals, (size_t)t->ncols * sizeof *vals);
}

static void values_of(const eng_val *v, int ncols, mf_dec *out)
{
    for (int c = 0; c < ncols; c++)
        out[c] = v[c].t == EV_DEC ? v[c].u.d : (mf_dec){0};
}

/* stop: set by check_pre_discard; the evaluation ends at the next block (its result unused). */
static int eval_input(const plan *p, const char *input_path, totals *t, const atomic_bool *stop, mf_err *e)
{
    csv_dialect d = {.delimiter = p->source.delimiter ? p->source.delimiter : ',',
                     .quote = p->source.quote,
                     .encoding = p->source.encoding,
                     .header_line = p->source.header_line > 0 ? p->source.header_line : 1};
    csv_reader *rd = csv_open(input_path, &d, e);
    if (!rd)
        return -1;
    const char *const *names;
    int nh = csv_header(rd, &names);
    eng_program *g = eng_compile(p, names, nh, input_path, e);
    if (!g) {
        csv_close(rd);
        return -1;
    }
    eng_worker *w = eng_worker_new(g);
    mf_dec *row = mf_xcalloc((size_t)t->ncols + 1, sizeof *row);
    csv_block b;
    csv_block_init(&b);
    long n = 0;
    while (!atomic_load_explicit(stop, memory_order_relaxed) && (n = csv_read_block(rd, &b, e)) > 0)
        for (long r = 0; r < n; r++) {
            if (eng_eval_record(w, &b, (size_t)r) != ENG_OUTPUT) {
                push_row(t, NULL);
                continue;
            }
            values_of(eng_worker_values(w), t->ncols, row);
            push_row(t, row);
        }
    csv_block_free(&b);
    free(row);
    eng_worker_free(w);
    eng_program_free(g);
    csv_close(rd);
    return n < 0 ? -1 : 0;
}

static void compare(const plan *p, const totals *t, const mf_dec *csv_sum, const bool *usable, check_result *res)
{
    for (int c = 0; c < p->ncols; c++) {
        if (!usable[c] || plan_column_is_rownum(p, c))   /* numbered by the writer: not computed here */
            continue;
        char a[48], b[48];
        mf_dec_format(csv_sum[c], a);
        if (t->overflow[c]) {
            chk_finding(res, "control_total", "builtin", false, "the input-side sum of %s overflows: not compared",
                        p->cols[c].name);
            continue;
        }
        mf_dec_format(t->sum[c], b);
        if (mf_dec_cmp(csv_sum[c], t->sum[c]) != 0)
            chk_finding(res, "control_total", "builtin", true,
                        "sum of %s over the output file is %s, but the plan computes %s from the input",
                        p->cols[c].name, a, b);
    }
}

struct chk_totals {
    const plan *p;
    const char *input_path;
    totals t;
    pthread_t th;
    bool started;         /* the thread runs (else chk_totals_finish evaluates inline) */
    atomic_bool stop;     /* check_pre_discard: end early */
    int rc;               /* eval_input's result, with err */
    mf_err err;
};

static void *totals_thread(void *arg)
{
    check_pre *h = arg;
    h->rc = eval_input(h->p, h->input_path, &h->t, &h->stop, &h->err);
    return NULL;
}

check_pre *chk_totals_start(const plan *p, const char *input_path)
{
    check_pre *h = mf_xcalloc(1, sizeof *h);
    atomic_init(&h->stop, false);
    h->p = p;
    h->input_path = input_path;
    totals *t = &h->t;
    t->ncols = p->ncols;
    t->sum = mf_xcalloc((size_t)p->ncols + 1, sizeof *t->sum);
    t->overflow = mf_xcalloc((size_t)p->ncols + 1, sizeof *t->overflow);
    t->dec = mf_xcalloc((size_t)p->ncols + 1, sizeof *t->dec);
    for (int c = 0; c < p->ncols; c++)
        if (p->cols[c].type.base == PT_DECIMAL) {
            t->sum[c].scale = p->cols[c].type.scale;
            t->dec[t->ndec++] = c;
        }
    if (p->source.skip_last > 0) {
        t->held_cap = p->source.skip_last;
        t->held = mf_xcalloc((size_t)t->held_cap * (size_t)(p->ncols + 1), sizeof *t->held);
        t->held_out = mf_xcalloc((size_t)t->held_cap, sizeof *t->held_out);
    }
    h->started = pthread_create(&h->th, NULL, totals_thread, h) == 0;
    return h;
}

int chk_totals_finish(check_pre *h, const mf_dec *csv_sum, const bool *usable, check_result *res, mf_err *e)
{
    if (!h)
        return 0;
    if (h->started) {
        int jr = pthread_join(h->th, NULL);
        if (jr != 0) {
            h->rc = mf_fail(&h->err, MF_EIO, NULL, 0, 0, "cannot join the control-totals thread (error %d)", jr);
        }
    } else if (csv_sum)   /* no thread: evaluate here, only when there is something to compare */
        h->rc = eval_input(h->p, h->input_path, &h->t, &h->stop, &h->err);
    int rc = h->rc;
    if (csv_sum) {
        if (rc == 0)
            compare(h->p, &h->t, csv_sum, usable, res);
        else
            *e = h->err;
    }
    free(h->t.sum);
    free(h->t.overflow);
    free(h->t.dec);
    free(h->t.held);
    free(h->t.held_out);
    free(h);
    return csv_sum ? rc : 0;
}

check_pre *check_pre_start(const plan *p, const char *input_path)
{
    for (int c = 0; c < p->ncols; c++)
        if (p->cols[c].type.base == PT_DECIMAL)
            return chk_totals_start(p, input_path);
    return NULL;
}

void check_pre_discard(check_pre *pre)
{
    if (!pre)
        return;
    atomic_store(&pre->stop, true);   /* a thread ends at its next block; no inline evaluation starts */
    mf_err ignore = {0};
    (void)chk_totals_finish(pre, NULL, NULL, NULL, &ignore);
}
