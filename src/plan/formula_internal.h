/* formula_internal.h — what the formula reader's files share (src/plan/formula*.c, not exported).
 *
 *   formula_syntax.c   text → tokens → syntax tree (fx_node)
 *   formula_expr.c     syntax tree → typed plan expressions (fx_value), function by function
 *   formula_sample.c   a text expression evaluated on the data sample, as a profile column, so a
 *                      reading (read as number / a date pattern) is checked against what it reads
 *   formula.c          the entry: remarks, the statement (value, AS, WHERE, JOIN), questions
 *
 * Invariant: every doubt is a sentence in fctx.why; a translation that added one returns a value
 * with e == NULL and the caller turns the whole rule into a question — never a partial reading.
 */
#ifndef MF_FORMULA_INTERNAL_H
#define MF_FORMULA_INTERNAL_H

#include "plan/formula.h"
#include "plan/formula_syntax.h"
#include "plan/infer.h"

/* What a translated expression produces. */
typedef enum fv_kind { FV_TEXT, FV_NUM, FV_DATE, FV_BOOL, FV_NULL } fv_kind;

typedef struct fx_value {
    plan_expr *e;     /* NULL: not translated (a sentence was added to why) */
    fv_kind k;
} fx_value;

#define FX_MAX_FACTS 8

typedef struct fctx {
    const rule_ctx *c;
    plan *p;
    mf_arena *a;               /* syntax tree and scratch; freed when the rule is read */
    const char *rule;          /* the rule as written (provenance of lookups) */
    bool excel;                /* Excel semantics: case-insensitive =, blank <> "x" is true, TRIM squeezes */
    bool prefer_outputs;       /* a remark says the names are target columns */
    bool unresolved;           /* a name resolved to nothing (the text may be prose after all) */
    bool in_where;             /* translating a row filter: names are data columns */
    int in_iferror;            /* inside IFERROR(x, fallback): a missing delimiter is not an error */
    mf_buf why;                /* the doubts, sentences */
    /* what remarks state */
    const char *date_all;      /* a date pattern for every date reading ("both yyyy-mm-dd") */
    int ncolpat;
    const char *colpat_col[FX_MAX_FACTS], *colpat_pat[FX_MAX_FACTS];
    int pivot;                 /* two-digit years: 0 = the language's default (1950) */
    int nbind;
    const char *bind_letter[FX_MAX_FACTS], *bind_col[FX_MAX_FACTS];
    /* LEFT JOIN tab alias ON ...: the lookup built for it */
    const char *join_tab, *join_alias;
    int join_kc;               /* the tab's key column */
    plan_expr *join_key;       /* the value looked up */
} fctx;

void fx_say(fctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The profile column of a data column name; NULL when none. */
const prof_column *fx_prof(const fctx *x, const char *name);
/* The data column a phrase names (the row's sources, then the header, any case, then a near-exact
 * spelling); NULL when none. */
const char *fx_data_column(const fctx *x, const char *phrase);
/* A tab of the mapping workbook usable as a lookup (not the mapping table itself); NULL when none. */
const mf_sheet *fx_lookup_tab(const fctx *x, const char *name);

/* Translate a value / a condition.  A condition returns k == FV_BOOL. */
fx_value fx_translate(fctx *x, const fx_node *n);
plan_expr *fx_condition(fctx *x, const fx_node *n);
/* v converted for the target column (c->type), as rules.c's build() does. */
plan_expr *fx_to_target(fctx *x, fx_value v);

/* The sampled values of the text expression e as a profile column (for the infer_* checks);
 * NULL when e cannot be evaluated on the sample (it uses an output column, a lookup, ...). */
const prof_column *fx_sample_column(fctx *x, const plan_expr *e);

#endif
