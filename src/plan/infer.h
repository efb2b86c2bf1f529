/* infer.h — what a column's data sample says: date patterns, number formats, boolean words, and
 * whether a format a rule states reads the sample.  Shared by the rule readers (plan/rules/, formula.c).
 * Doubts are sentences appended to `why` (may be NULL); functions returning a pointer return NULL
 * exactly when they added one.
 */
#ifndef MF_INFER_H
#define MF_INFER_H

#include "plan/plan.h"
#include "read/profile.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdbool.h>

/* What a rule said about a number's format, overlaid on what the profile found. */
typedef struct infer_numhint {
    plan_numfmt nf;          /* paren_negative / trailing_minus / currency are added to the profile's */
    bool thousands_set;      /* nf.thousands replaces the profile's */
    bool decimal_set;        /* nf.decimal replaces the profile's */
    bool stated;             /* the rule stated a format (for the wording of questions) */
} infer_numhint;

/* Append one sentence to why (separated by a space; why may be NULL). */
void infer_say(mf_buf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void infer_vsay(mf_buf *why, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* v with every occurrence of from (non-empty) replaced by to, left to right, in arena a; NULL when
 * the result is empty (the language has no empty text).  The `with "x" replaced by "y"` step. */
const char *infer_replace_all(mf_arena *a, const char *v, const char *from, const char *to);

/* v with x (non-empty) removed again and again at its start (trailing: its end), keeping one x when v is
 * made only of x ("0000" -> "0"); in arena a.  The `with leading "x" removed` step. */
const char *infer_strip(mf_arena *a, const char *v, const char *x, bool trailing);

/* The data column a phrase names (mapping_match_column over the profile's header) with at least
 * min_conf confidence; NULL when none. */
const char *infer_match_column(const profile *pr, const char *phrase, double min_conf);

/* Is v one of the profile's null tokens ("n/a", "NULL", ...)? */
bool infer_is_null_token(const prof_column *pc, const char *v);
/* v as spelled in the sample (case-insensitive match), NULL when absent. */
const char *infer_sample_value(const prof_column *pc, const char *v);
/* Most digits after the decimal separator among the sampled values. */
int infer_sample_scale(const prof_column *pc);

/* How many non-blank sampled values read with the date pattern (of *total); *bad = first that does not. */
long infer_date_reads(const prof_column *pc, const char *pattern, long *total, const char **bad);
/* Does the stated pattern (plan notation, or "ISO") fit the sample: a strict majority reads, and no
 * other common pattern reads more?  *bad: a value that does not read; *better: such a pattern.
 * True when there is no sample. */
bool infer_date_fits(const prof_column *pc, const char *pattern, const char **bad, const char **better);
/* The pattern the sample of column col is written in, when no rule states one ("ISO", "EXCEL" or a
 * plan pattern); NULL (and a sentence in why) when the sample shows none or two layouts tie. */
const char *infer_date_pattern(const prof_column *pc, const char *col, mf_buf *why);

/* e read as a number: the profile's format overlaid by h (may be NULL), checked against the sample;
 * `read as integer` when want_integer and the format is plain.  Never NULL; a contradiction with
 * the sample adds a sentence to why (the caller then asks instead of reading). */
plan_expr *infer_read_number(plan *p, plan_expr *e, const prof_column *pc, const infer_numhint *h, bool want_integer,
                             mf_buf *why);

/* m reads t as true and f as false, otherwise rejected. */
void infer_bool_map(plan *p, plan_map *m, const char *t, const char *f);
/* e read as boolean with the word pair the sample of col shows (Y/N, Yes/No, T/F, True/False, 1/0). */
plan_expr *infer_read_bool(plan *p, plan_expr *e, const prof_column *pc, const char *col, mf_buf *why);

#endif
