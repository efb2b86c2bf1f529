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

/* Reviewer checks over the output CSV, through a synthetic plan run by run_plan (reviewer.c). */
int chk_reviewer(const plan *p, const char *csv_path, const char *const *conds,
                 const char *const *messages, int n, check_result *res, mf_err *e);

#endif
