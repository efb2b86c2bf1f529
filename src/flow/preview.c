/* preview.c — what a plan does to the first rows of its data file, per output column: the source
 * values read and the result (or why the row is rejected), as data for any front end.
 *
 * The preview compiles a runnable copy of the plan (flow/sample.c: holes become null, so the other
 * columns can be previewed while questions are open), runs the first block of the data file
 * through the engine one record at a time, and keeps the first rows plus the first rejected one.
 * It never fails: what stops it is said in pv->unavailable.  Values are kept as text exactly as
 * read (cut at 40/60 bytes); escaping them for a page is the front end's job.
 */
#include "flow/flow.h"
#include "flow/sample.h"

#include "compile/program.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/decimal.h"

#include <stdlib.h>
#include <string.h>

#define PREVIEW_ROWS 5

static void put_value(mf_buf *b, const eng_val *v)
{
    char tmp[64];
    switch (v->t) {
    case EV_NULL: mf_buf_adds(b, "null"); break;
    case EV_TEXT:
        mf_buf_addc(b, '"');
        mf_buf_add(b, v->u.s.p, v->u.s.n > 60 ? 60 : v->u.s.n);
        mf_buf_adds(b, v->u.s.n > 60 ? "...\"" : "\"");
        break;
    case EV_INT: mf_buf_printf(b, "%lld", (long long)v->u.i); break;
    case EV_DEC: mf_dec_format(eng_dec_of(v), tmp); mf_buf_adds(b, tmp); break;
    case EV_DATE: mf_date_format(v->u.days, tmp); mf_buf_adds(b, tmp); break;
    case EV_BOOL: mf_buf_adds(b, v->u.b ? "true" : "false"); break;
    default: mf_buf_adds(b, "?"); break;
    }
}

static void put_field(mf_buf *b, const csv_block *blk, size_t row, int k)
{
    if (k < 0 || (uint32_t)k >= blk->nfields[row]) {
        mf_buf_adds(b, "(none)");
        return;
    }
    const char *s = blk->fptr[blk->first[row] + (uint32_t)k];
    uint32_t n = blk->flen[blk->first[row] + (uint32_t)k];
    if (!n) {
        mf_buf_adds(b, "empty");
        return;
    }
    mf_buf_addc(b, '"');
    mf_buf_add(b, s, n > 40 ? 40 : n);
    mf_buf_adds(b, n > 40 ? "...\"" : "\"");
}

static void collect_sources(const plan_expr *x, const char **names, int *n, int max)
{
    if (!x)
        return;
    if (x->kind == PE_SOURCE && x->name) {
        for (int i = 0; i < *n; i++)
            if (!strcmp(names[i], x->name))
                goto kids;
        if (*n < max)
            names[(*n)++] = x->name;
    }
kids:
    for (int i = 0; i < 3; i++)
        collect_sources(x->kid[i], names, n, max);
    if (x->kind == PE_STEP) {
        collect_sources(x->step.cond, names, n, max);
        collect_sources(x->step.value, names, n, max);
    }
}

/* Up to `want` rows of the block: the first ones, with the first rejected row (if any) shown too. */
static int pick_rows(eng_worker *w, const csv_block *b, size_t *rows, int want)
{
    int n = 0;
    size_t first_rej = (size_t)-1;
    for (size_t r = 0; r < b->nrows && (n < want || first_rej == (size_t)-1) && r < 2000; r++) {
        eng_fate f = eng_eval_record(w, b, r);
        if (n < want)
            rows[n++] = r;
        else if (f == ENG_REJECTED) {
            first_rej = r;
            rows[want - 1] = r;
        }
        if (f == ENG_REJECTED && first_rej == (size_t)-1)
            first_rej = r;
    }
    return n;
}

/* The fates of the whole first block, and the first reject reasons. */
static void summarize(flow_preview *pv, eng_worker *w, const csv_block *b)
{
    long long n[3] = {0, 0, 0};
    pv->first_rejects = mf_xcalloc(3, sizeof *pv->first_rejects);
    for (size_t r = 0; r < b->nrows; r++) {
        eng_fate f = eng_eval_record(w, b, r);
        n[f]++;
        if (f == ENG_REJECTED && pv->nfirst_rejects < 3) {
            mf_buf m = {0};
            mf_buf_printf(&m, "line %ld rejected: %s", b->line[r], eng_worker_reason(w));
            pv->first_rejects[pv->nfirst_rejects++] = mf_xstrdup(mf_buf_str(&m));
            mf_buf_free(&m);
        }
    }
    pv->sampled = (long long)b->nrows;
    pv->out = n[ENG_OUTPUT];
    pv->rejected = n[ENG_REJECTED];
    pv->filtered = n[ENG_FILTERED];
}

static void unavailable(flow_preview *pv, const mf_err *e)
{
    char m[1200];
    mf_err_format(e, m, sizeof m);
    pv->unavailable = mf_xstrdup(m);
}

void flow_preview_make(const plan *p, const char *data_path, int want, const bool *only, flow_preview *pv)
{
    memset(pv, 0, sizeof *pv);
    mf_err e = {0};
    plan q;
    if (want <= 0 || want > 20)
        want = PREVIEW_ROWS;
    if (!data_path) {
        pv->unavailable = mf_xstrdup("no data file");
        return;
    }
    if (flow_runnable_copy(p, &q, &e) < 0) {
        unavailable(pv, &e);
        return;
    }
    csv_dialect d = {0};
    d.delimiter = q.source.delimiter;
    d.quote = q.source.quote;
    d.encoding = q.source.encoding;
    d.header_line = q.source.header_line;
    csv_reader *rd = csv_open(data_path, &d, &e);
    eng_program *g = NULL;
    eng_worker *w = NULL;
    csv_block b;
    csv_block_init(&b);
    const char *const *hdr = NULL;
    int nh = 0;
    if (rd)
        nh = csv_header(rd, &hdr);
    if (!rd || plan_check(&q, hdr, nh, "plan", &e) < 0 || !(g = eng_compile(&q, hdr, nh, "plan", &e)) ||
        csv_read_block(rd, &b, &e) < 0) {
        unavailable(pv, &e);
        goto done;
    }
    w = eng_worker_new(g);
    size_t rows[20];
    int n = pick_rows(w, &b, rows, want);
    pv->rows = n;
    pv->cols = p->ncols ? mf_xcalloc((size_t)p->ncols, sizeof *pv->cols) : NULL;
    mf_buf buf = {0};
    for (int c = 0; c < p->ncols; c++) {
        if (only && !only[c])
            continue;
        flow_preview_column *pc = &pv->cols[pv->ncols++];
        pc->name = mf_xstrdup(p->cols[c].name);
        pc->open = plan_expr_has_hole(p->cols[c].expr);
        pc->cells = n ? mf_xcalloc((size_t)n, sizeof *pc->cells) : NULL;
        const char *names[8];
        int ns = 0;
        collect_sources(q.cols[c].expr, names, &ns, 8);
        for (int i = 0; i < n; i++) {
            size_t r = rows[i];
            flow_preview_cell *cell = &pc->cells[pc->ncells++];
            eng_fate f = eng_eval_record(w, &b, r);
            cell->line = b.line[r];
            mf_buf_clear(&buf);
            for (int k = 0; k < ns; k++) {
                int fi = -1;
                for (int h = 0; h < nh; h++)
                    if (!strcmp(hdr[h], names[k]))
                        fi = h;
                mf_buf_printf(&buf, "%s[%s] ", k ? ", " : "", names[k]);
                put_field(&buf, &b, r, fi);
            }
            cell->before = mf_xstrdup(mf_buf_str(&buf));
            mf_buf_clear(&buf);
            if (f == ENG_OUTPUT) {
                put_value(&buf, &eng_worker_values(w)[c]);
                cell->after = mf_xstrdup(mf_buf_str(&buf));
            } else if (f == ENG_FILTERED) {
                cell->reject = mf_xstrdup("(filtered by a skip rule)");
            } else {
                int rc = eng_worker_reject_col(w);
                if (rc == c || rc < 0)
                    mf_buf_printf(&buf, "rejected: %s", eng_worker_reason(w));
                else if (rc < c)
                    mf_buf_printf(&buf, "(row rejected at %s)", p->cols[rc].name);
                else
                    mf_buf_printf(&buf, "(row rejected at %s: %s)", p->cols[rc].name, eng_worker_reason(w));
                cell->reject = mf_xstrdup(mf_buf_str(&buf));
            }
        }
    }
    mf_buf_free(&buf);
    summarize(pv, w, &b);
done:
    csv_block_free(&b);
    eng_worker_free(w);
    eng_program_free(g);
    csv_close(rd);
    plan_free(&q);
}

void flow_preview_free(flow_preview *pv)
{
    free(pv->unavailable);
    for (int c = 0; c < pv->ncols; c++) {
        for (int i = 0; i < pv->cols[c].ncells; i++) {
            free(pv->cols[c].cells[i].before);
            free(pv->cols[c].cells[i].after);
            free(pv->cols[c].cells[i].reject);
        }
        free(pv->cols[c].cells);
        free(pv->cols[c].name);
    }
    free(pv->cols);
    for (int i = 0; i < pv->nfirst_rejects; i++)
        free(pv->first_rejects[i]);
    free(pv->first_rejects);
    memset(pv, 0, sizeof *pv);
}
