/* profile.h — what a sample of the data looks like, per column.
 *
 * The sample is taken across the whole file (the start, and records at evenly spaced offsets
 * to the end), not only the first rows.  For each column: an inferred kind, the date patterns
 * that every non-blank sampled value satisfies, the number format, null tokens, blanks, distinct
 * count, and the sampled values themselves (the planner checks rules against them).
 */
#ifndef MF_PROFILE_H
#define MF_PROFILE_H

#include "read/csv.h"
#include "util/arena.h"

#include <stdbool.h>

typedef enum prof_kind {
    PK_EMPTY = 0,   /* every sampled value blank or a null token */
    PK_TEXT,        /* also digits with leading zeros and nothing else (codes such as "00123") */
    PK_INTEGER,
    PK_DECIMAL,     /* numbers with a fraction, separators, currency or parentheses */
    PK_DATE,
    PK_TIMESTAMP,
    PK_BOOLEAN      /* true/false, yes/no, y/n, t/f in any case */
} prof_kind;

#define PROF_MAX_FORMATS 8

typedef struct prof_column {
    const char *name;
    prof_kind kind;      /* the kind of every non-blank sampled value; with 10 or more values, the
                            kind of at least 90% of them (a few bad records don't make a date or
                            number column text: the kind enters the cache key) */
    /* dates: patterns in the plan's notation ("MM/DD/YYYY", "DD.MM.YYYY", "YYYYMMDD", "M/D/YY",
     * "D-Mon-YYYY", "YYYY-MM-DD", "ISO") that all non-blank values parse with */
    int ndate_formats;
    const char *date_formats[PROF_MAX_FORMATS];
    /* numbers */
    char thousands, decimal;     /* 0 when not seen */
    bool paren_negative, trailing_minus;
    const char *currency;        /* symbol seen, NULL if none */
    int max_scale;               /* most digits after the decimal separator */
    /* counts over the sample: nvalues = values sampled (blanks and null tokens included);
     * ndistinct counts distinct non-blank values (null tokens included) */
    long nvalues, nblank, nnull_token, ndistinct;   /* ndistinct capped at the sample size */
    int nnull_tokens;
    const char *null_tokens[4];  /* "NULL", "N/A", "-", ... */
    int max_chars;               /* longest value, in characters */
    /* the sampled values, in sample order, as read (untrimmed; NULL for a blank; a null token
     * is kept as its text) */
    long nsample;
    const char **sample;
} prof_column;

typedef struct profile {
    mf_arena arena;
    const char *path;
    csv_dialect dialect;
    int ncols;
    prof_column *col;
    long rows_sampled;
    unsigned long long file_size;
} profile;

/* Profile up to max_rows records spread across the file (the first ones and evenly spaced
 * ones after).  d is the detected dialect. */
int profile_file(const char *path, const csv_dialect *d, long max_rows, profile *out, mf_err *e);
void profile_free(profile *p);
const char *prof_kind_name(prof_kind k);


#endif
