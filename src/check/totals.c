/* totals.c — control totals: the sum of each decimal output column, computed a second way.
 *
 * What the check defends against: the file that will be loaded not holding the values the plan
 * computes — a row lost, duplicated or reordered into the wrong column by the writer, a decimal
 * formatted wrongly, the output file edited or truncated after the run.  The plan is evaluated
 * again on the input file, record by record and single-threaded (a different path from run_plan's
 * pipeline and writer), and the exact decimal sum of each column over the rows the plan outputs
 * is compared with the sum over the output CSV re-read from disk.  The program evaluated here is
 * cut to what decides each row's fate and the summed columns (eng_prune_for_totals): a row is
 * output, skipped or rejected exactly as by the whole plan, and the summed values are the same.
 *
 * What it does not claim: an input-side total "output + rejected" for each column — a rejected
 * row often has no value for the column at all (the conversion is what failed), so that identity
 * is not computable in general; the rejected rows are accounted for by count (row_accounting).
 *
 * "skip the last N rows": the last N records are held back in a small ring and never summed,
 * as the writer does.  Memory: one block of records plus N rows of sums.
 *
 * The input reaches the evaluation one of two ways.  A native run feeds it (check_pre_fed, the
 * flow's way): run_plan's reader shows each block it read, in order, before any worker sees it,
 * and the evaluation runs right there on the reader's thread — the input is read and parsed once.
 * The records shown are counted and compared with the run's rows_in, so a block the pipeline lost
 * or doubled cannot leave both sides of the totals short alike.  Otherwise (a Spark run, a check
 * of an output on its own) it reads the input file itself on its own thread (chk_totals_start)
 * while builtin.c re-reads the output CSV on the calling thread; chk_totals_finish joins it and
 * compares; check_pre_discard stops it at its next block when the run fails.  Either way the
 * evaluation shares nothing with the run but the const plan and the records: it owns its program,
 * worker, sums and mf_err.  When the thread cannot be created the evaluation runs in
 * chk_totals_finish instead.
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
        if (!t->overflow[c] && !chk_sum_add(&t->sum[c], vals[c]))
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

static void values_of(const eng_val *v, const totals *t, mf_dec *out)
{
    for (int k = 0; k < t->ndec; k++) {
        int c = t->dec[k];
        out[c] = v[c].t == EV_DEC ? v[c].u.d : (mf_dec){0};
    }
}

/* The evaluation of the cut-down program over records, shared by the two ways the input reaches
 * it: read here on a thread of its own (eval_input), or shown block by block by the run's reader
 * (the fed handle of check_pre_fed).  records counts what it saw. */
typedef struct evaluator {
    eng_program *g;
    eng_worker *w;
    mf_dec *row;
    long long records;
} evaluator;

static int eval_begin(evaluator *ev, const plan *p, const totals *t, const char *const *names, int nh,
                      const char *input_path, mf_err *e)
{
    memset(ev, 0, sizeof *ev);
    ev->g = eng_compile(p, names, nh, input_path, e);
    if (!ev->g)
        return -1;
    bool *keep = mf_xcalloc((size_t)t->ncols + 1, sizeof *keep);
    for (int k = 0; k < t->ndec; k++)
        keep[t->dec[k]] = true;
    eng_prune_for_totals(ev->g, keep);   /* only what decides fate and the summed columns */
    free(keep);
    ev->w = eng_worker_new(ev->g);
    ev->row = mf_xcalloc((size_t)t->ncols + 1, sizeof *ev->row);
    return 0;
}

static void eval_block(evaluator *ev, totals *t, const csv_block *b)
{
    for (size_t r = 0; r < b->nrows; r++) {
        if (eng_eval_record(ev->w, b, r) != ENG_OUTPUT) {
            push_row(t, NULL);
            continue;
        }
        values_of(eng_worker_values(ev->w), t, ev->row);
        push_row(t, ev->row);
    }
    ev->records += (long long)b->nrows;
}

static void eval_end(evaluator *ev)
{
    free(ev->row);
    if (ev->w)
        eng_worker_free(ev->w);
    if (ev->g)
        eng_program_free(ev->g);
    memset(ev, 0, sizeof *ev);
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
    evaluator ev;
    if (eval_begin(&ev, p, t, names, nh, input_path, e) < 0) {
        csv_close(rd);
        return -1;
    }
    csv_block b;
    csv_block_init(&b);
    long n = 0;
    while (!atomic_load_explicit(stop, memory_order_relaxed) && (n = csv_read_block(rd, &b, e)) > 0)
        eval_block(&ev, t, &b);
    csv_block_free(&b);
    eval_end(&ev);
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
    /* fed by the run's reader (check_pre_fed) instead of the thread: */
    bool fed;
    bool fed_ready;       /* the header came and the program compiled: blocks are evaluated */
    evaluator ev;
    chk_outscan *out;     /* the output scan fed by the writer (builtin.c), until taken */
};

static void *totals_thread(void *arg)
{
    check_pre *h = arg;
    h->rc = eval_input(h->p, h->input_path, &h->t, &h->stop, &h->err);
    return NULL;
}

static check_pre *totals_new(const plan *p, const char *input_path)
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
    return h;
}

check_pre *chk_totals_start(const plan *p, const char *input_path)
{
    check_pre *h = totals_new(p, input_path);
    h->started = pthread_create(&h->th, NULL, totals_thread, h) == 0;
    return h;
}

/* ---- fed by the run's reader (run_observer) --------------------------------------------------- */

static void fed_header(void *user, const char *const *names, int n)
{
    check_pre *h = user;
    h->rc = eval_begin(&h->ev, h->p, &h->t, names, n, h->input_path, &h->err);
    h->fed_ready = h->rc == 0;
}

static void fed_block(void *user, const csv_block *b)
{
    check_pre *h = user;
    if (h->fed_ready)
        eval_block(&h->ev, &h->t, b);
}

static void fed_output(void *user, const void *p, size_t n)
{
    check_pre *h = user;
    if (h->out)
        chk_outscan_feed(h->out, p, n);
}

chk_outscan *chk_totals_take_outscan(check_pre *h)
{
    chk_outscan *o = h->out;
    h->out = NULL;
    return o;
}

int chk_totals_finish(check_pre *h, const mf_dec *csv_sum, const bool *usable, const run_report *rep,
                      check_result *res, mf_err *e)
{
    if (!h)
        return 0;
    chk_outscan_discard(h->out);
    if (h->fed) {
        /* Every record the run counted must have been shown here: a block the pipeline lost or
         * counted twice would otherwise be missing from both sides of the totals alike. */
        if (h->rc == 0 && res && rep && h->ev.records != rep->rows_in)
            chk_finding(res, "row_accounting", "builtin", true,
                        "the run counted rows_in %lld but its reader showed the checks %lld records", rep->rows_in,
                        h->ev.records);
        eval_end(&h->ev);
    } else if (h->started) {
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

static bool sums_something(const plan *p)
{
    for (int c = 0; c < p->ncols; c++)
        if (p->cols[c].type.base == PT_DECIMAL)
            return true;
    return false;
}

check_pre *check_pre_start(const plan *p, const char *input_path)
{
    return sums_something(p) ? chk_totals_start(p, input_path) : NULL;
}

check_pre *check_pre_fed(const plan *p, const char *input_path, run_observer *obs)
{
    if (!sums_something(p))
        return NULL;
    check_pre *h = totals_new(p, input_path);
    h->fed = true;
    /* Until the run shows the header, the input side has seen nothing: an error, not a pass. */
    h->rc = mf_fail(&h->err, MF_EIO, input_path, 0, 0, "the run did not show its input to the control totals");
    h->out = chk_outscan_start(p);
    *obs = (run_observer){.header = fed_header, .block = fed_block, .output = h->out ? fed_output : NULL, .user = h};
    return h;
}

void check_pre_discard(check_pre *pre)
{
    if (!pre)
        return;
    atomic_store(&pre->stop, true);   /* a thread ends at its next block; no inline evaluation starts */
    mf_err ignore = {0};
    (void)chk_totals_finish(pre, NULL, NULL, NULL, NULL, &ignore);
}
