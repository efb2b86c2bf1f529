/* check_internal.h — shared by the files of src/check/: building findings.
 *
 * A finding is a JSON object {"check", "source", "status": "fail"|"info", "message", "rows"?}
 * appended to res->findings; a "fail" finding clears res->passed and counts in res->nfailed.
 */
#ifndef MF_CHECK_INTERNAL_H
#define MF_CHECK_INTERNAL_H

#include "check/check.h"
#include "util/decimal.h"

/* Append a finding; returns it (borrowed) so rows can be attached. */
json_t *chk_finding(check_result *res, const char *check, const char *source, bool fail,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Attach "rows": the first min(n, CHECK_MAX_ROWS) of rows. */
void chk_finding_rows(json_t *f, const long *rows, long n);

/* A decimal as the writer formats a decimal(p,s) column — an optional '-', digits, and for s > 0
 * a point and exactly s digits — of at most 18 digits: *out = what mf_dec_parse gives for it,
 * without its general loop.  false for anything else (the caller then asks mf_dec_parse). */
bool chk_parse_canonical(const char *s, uint32_t n, int scale, mf_dec *out);

/* sum += x with mf_dec_add's result and its one overflow rule (false: 38 digits exceeded, sum
 * unchanged).  The sums' common case — x at the sum's own scale, as every value of a decimal(p,s)
 * column is — is added inline, without mf_dec_add's scale alignment; a zero at a smaller scale
 * changes nothing; anything else goes through mf_dec_add. */
static inline bool chk_sum_add(mf_dec *sum, mf_dec x)
{
    if (x.scale == sum->scale) {
        static const __int128 e38 = (__int128)10000000000000000000ULL * 10000000000000000000ULL;
        __int128 r;
        if (__builtin_add_overflow(sum->v, x.v, &r) || r >= e38 || r <= -e38)
            return false;
        sum->v = r;
        return true;
    }
    if (x.v == 0 && x.scale < sum->scale)
        return true;
    return mf_dec_add(*sum, x, sum);
}

/* Control totals: re-evaluate p on the input file (on a thread of its own, started here, while the
 * caller re-reads the output; or fed by the run's reader, check_pre_fed), then in
 * chk_totals_finish compare, for each column c with usable[c], the sum of its values over the rows
 * the plan outputs with csv_sum[c] (summed from the CSV).  A fed handle also compares the records
 * it was shown with rep->rows_in (a "row_accounting" finding; rep NULL = not compared).
 * chk_totals_finish always joins and frees h; with csv_sum NULL it compares no sums and returns 0
 * (the output had no decimal column to compare, so the input side's result does not matter). */
check_pre *chk_totals_start(const plan *p, const char *input_path);
int chk_totals_finish(check_pre *h, const mf_dec *csv_sum, const bool *usable, const run_report *rep,
                      check_result *res, mf_err *e);

/* The output scan fed by the run's writer (builtin.c): started by check_pre_fed with the input
 * side, fed the output's bytes on the writer's thread; chk_totals_take_outscan hands it to
 * builtin.c (NULL when there is none), chk_outscan_discard stops and frees one unused. */
typedef struct chk_outscan chk_outscan;
chk_outscan *chk_outscan_start(const plan *p);   /* NULL: no pipe or thread (the output is re-read) */
void chk_outscan_feed(chk_outscan *o, const void *p, size_t n);
void chk_outscan_discard(chk_outscan *o);
chk_outscan *chk_totals_take_outscan(check_pre *h);

/* Reviewer checks over the output CSV, through a synthetic plan run by run_plan (reviewer.c). */
int chk_reviewer(const plan *p, const char *csv_path, const char *const *conds,
                 const char *const *messages, int n, check_result *res, mf_err *e);

#endif
