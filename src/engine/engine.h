/* engine.h — executing a compiled program (compile/program.h) over blocks of parsed records.
 *
 * A worker holds everything one thread needs to run a program: the registers, the current
 * record's column values, a text scratch reset per record, and the reason of the last reject.
 * Nothing is allocated per record or per cell once the worker's buffers have grown to the
 * largest record seen.  A worker is used by one thread at a time; a program is shared read-only.
 *
 * eng_run_block turns one csv_block into the output CSV text of its rows and its rejects.csv
 * rows, with each row's fate and where its text ends (so a writer can hold rows back, e.g. for
 * "skip the last N rows").  Output follows design.md "Output conventions".
 */
#ifndef MF_ENGINE_H
#define MF_ENGINE_H

#include "compile/program.h"
#include "read/csv.h"
#include "util/buf.h"

typedef enum eng_fate { ENG_OUTPUT = 0, ENG_REJECTED, ENG_FILTERED } eng_fate;

typedef struct eng_worker eng_worker;

eng_worker *eng_worker_new(const eng_program *g);
void eng_worker_free(eng_worker *w);

/* Run the program on record `row` of b. */
eng_fate eng_eval_record(eng_worker *w, const csv_block *b, size_t row);
/* After ENG_OUTPUT: the column values (valid until the next eng_eval_record). */
const eng_val *eng_worker_values(const eng_worker *w);
/* After ENG_REJECTED: the reason and the output column it names (-1 = none). */
const char *eng_worker_reason(const eng_worker *w);
int eng_worker_reject_col(const eng_worker *w);

/* Append the CSV text of the current record's columns (one line with "\n").  rownum_at (may be
 * NULL) receives, for each `row number` column in order, the offset in out of its empty field. */
void eng_format_row(const eng_worker *w, mf_buf *out, size_t *rownum_at);
/* Append the header line of the output CSV. */
void eng_format_header(const eng_program *g, mf_buf *out);
/* Append one RFC 4180 field (quoted when it holds , " CR or LF). */
void eng_csv_field(mf_buf *out, const char *s, size_t n);

typedef struct eng_result {
    mf_buf csv;             /* output lines of the block's rows, in order */
    mf_buf rej;             /* rejects.csv lines */
    size_t nrows, cap;
    uint8_t *fate;          /* per row: eng_fate */
    size_t *csv_end;        /* per row: end offset of its text in csv (start = previous end) */
    size_t *rej_end;        /* per row: end offset in rej */
    size_t *rownum_at;      /* per output row i: [i * nrownum + j] = offset in csv of the empty field
                               of the j-th `row number` column, which the writer fills (run.c) */
    size_t rownum_cap;
    long long out, rejected, filtered;
} eng_result;

void eng_result_init(eng_result *r);
void eng_result_free(eng_result *r);
/* Evaluate every record of b into r (r is reset first). */
void eng_run_block(eng_worker *w, const csv_block *b, eng_result *r);
/* Append the rejects.csv line of a record: line,column,reason,record. */
void eng_format_reject(mf_buf *out, long line, const char *column, const char *reason, const char *raw,
                       size_t rawlen);

#endif
