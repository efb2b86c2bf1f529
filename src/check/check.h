/* check.h — validation of a run's output before it is loaded.
 *
 * After run_plan has written OUT/<output>.csv, OUT/rejects.csv and OUT/run.json, check_run
 * decides whether the output may be loaded.  It runs, in this order:
 *   1. built-in checks, over the output CSV's bytes (never the engine's memory): as the run wrote
 *      them when the caller passed a check_pre_fed handle (the scan ran beside the run), else
 *      re-read from disk:
 *        "required"       every column declared `required` has no empty (null) field;
 *        "row_accounting" rows_in = rows_out + rows_rejected + rows_filtered (run report), and the
 *                         output CSV really holds rows_out data rows;
 *        "control_total"  for each decimal output column: the sum over the output CSV equals the
 *                         sum over the input rows that were neither filtered nor rejected, computed
 *                         independently by re-running the column's expression on the input file
 *                         (needs the input path in check_options; skipped with a note otherwise);
 *        "key"            the plan's declared key (`key COL, COL`) is unique over the output rows;
 *        "check"          every reviewer check (`check COND: "message"`) holds on every output row.
 *   2. the customer's validator, when one is configured: `CMD OUTPUT_CSV RUN_JSON` run through
 *      /bin/sh -c (paths passed as positional arguments, never spliced into the command string),
 *      which must exit 0 and print {"status": "pass"|"fail", "findings": [...]} on stdout.  A
 *      validator that crashes, times out, exits non-zero or prints anything but that JSON fails
 *      the validation with a finding that says so.
 *
 * Findings are one JSON array (jansson), each element an object
 *     {"check": "required", "source": "builtin"|"validator", "message": "...", "rows": [line, ...]}
 * where rows (optional, at most CHECK_MAX_ROWS) are 1-based lines of the output CSV (the header is
 * line 1).  A failing check is not an error: check_run returns 0 with res->passed = 0.  It returns
 * -1 (e filled) only when it cannot check at all (output file unreadable, out of memory...).
 */
#ifndef MF_CHECK_CHECK_H
#define MF_CHECK_CHECK_H

#include "plan/plan.h"
#include "util/err.h"
#include "write/run.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CHECK_MAX_ROWS 20                       /* row numbers kept per finding */
#define CHECK_VALIDATOR_TIMEOUT_S 600           /* default validator time limit (10 minutes) */
#define CHECK_VALIDATOR_MAX_OUTPUT (4L << 20)   /* stdout kept from a validator (4 MiB) */

/* The input side of the control totals (the plan evaluated again on the input file, on a thread of
 * its own), started by the caller before the run so that it overlaps the engine instead of
 * following it.  check_run takes it through check_options.pre and always frees it; when no
 * check_run follows (the run failed), check_pre_discard stops and frees it.  NULL (nothing to
 * start: no decimal column) is a valid value for both. */
typedef struct chk_totals check_pre;
check_pre *check_pre_start(const plan *p, const char *input_path);
void check_pre_discard(check_pre *pre);
/* The same input side fed by the native run instead of reading input_path a second time: *obs is
 * filled for run_options.observer, and the run's reader shows it the header and every block (the
 * evaluation then runs on the reader's thread).  check_run also checks that it was shown as many
 * records as the run counted (rows_in); a handle never shown the header fails check_run with an
 * error.  NULL (obs untouched) when there is nothing to sum. */
check_pre *check_pre_fed(const plan *p, const char *input_path, run_observer *obs);

typedef struct check_options {
    const char *validator;     /* shell command, NULL/"" = none (--validator / MAPFORGE_VALIDATOR) */
    int validator_timeout_s;   /* 0 = env MAPFORGE_VALIDATOR_TIMEOUT, else CHECK_VALIDATOR_TIMEOUT_S */
    const char *input_path;    /* the data file the run read; NULL = no control totals vs input */
    const char *run_json;      /* path of run.json; NULL = OUT_DIR/run.json */
    /* Key and reviewer checks given by the caller in addition to the plan's own (tests, CLI);
     * key_cols: output column names; check_conds: plan condition texts ("AMOUNT >= 0"). */
    const char *const *key_cols;
    int nkey_cols;
    const char *const *check_conds;
    const char *const *check_messages;  /* may be NULL; entries may be NULL */
    int nchecks;
    bool skip_builtin;         /* only run the validator */
    check_pre *pre;            /* started by check_pre_start on input_path (same plan); taken by
                                  check_run, NULL = check_run starts its own when needed */
} check_options;

typedef struct check_result {
    bool passed;               /* no failing finding from any check nor the validator */
    int nfailed;               /* number of failing findings */
    json_t *findings;          /* JSON array (owned: check_result_free); never NULL after check_run */
    bool validator_ran;        /* a validator was configured and started */
    bool validator_passed;
} check_result;

void check_result_init(check_result *res);
void check_result_free(check_result *res);

int check_run(const plan *p, const char *out_dir, const run_report *rep, const check_options *o,
              check_result *res, mf_err *e);

/* Only the customer's validator on (output_csv, run_json); appends findings to res (which must
 * be initialised).  Sets res->validator_ran / validator_passed and clears res->passed on failure. */
int check_validator(const char *cmd, int timeout_s, const char *output_csv, const char *run_json,
                    check_result *res, mf_err *e);

/* Findings as text, one line each ("FAIL required: AMOUNT is empty on 3 rows (lines 4, 9, 12)"),
 * malloc'd; for the terminal and the review. */
char *check_findings_text(const check_result *res);

#endif
