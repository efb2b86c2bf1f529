/* formula_internal.h — what the formula reader's files share (src/plan/formula*.c, not exported).
 *
 *   formula_syntax.c   text → tokens → syntax tree (fx_node)
 *   formula_expr.c     syntax tree → typed plan expressions (fx_value): names, conversions,
 *                      conditions, branches and maps, the target column
 *   formula_func.c     the SQL and Excel functions, one translation each, and the function table
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
/* v converted for the target column (c->type), as the prose reader's build (rules/build.c) does. */
plan_expr *fx_to_target(fctx *x, fx_value v);

/* The sampled values of the text expression e as a profile column (for the infer_* checks);
 * NULL when e cannot be evaluated on the sample (it uses an output column, a lookup, ...). */
const prof_column *fx_sample_column(fctx *x, const plan_expr *e);

/* ---- the translator's toolkit (formula_expr.c), shared with formula_func.c ---- */

/* "From a position to the end" as the plan's characters N to M: M beyond any field (64 MiB records). */
#define FX_TO_END 100000000L

/* CASE x WHEN 'a' THEN .. / DECODE / nested IF(x="a", ..): keys[i] -> vals[i], otherwise els
 * (NULL = null; els == subject = unchanged). */
typedef struct codemap {
    const fx_node *subject;
    int n;
    const fx_node *keys[64];
    const fx_node *vals[64];
    const fx_node *els;
    bool keep;           /* otherwise unchanged */
} codemap;

/* values */
fx_value fx_none(void);                                   /* not translated (a sentence is in why) */
fx_value fx_val(plan_expr *e, fv_kind k);
plan_expr *fx_stepped(fctx *x, plan_expr *e, plan_step_kind k);
plan_expr *fx_cond_node(fctx *x, plan_expr_kind k, plan_expr *a, plan_expr *b);
plan_expr *fx_date_constant(fctx *x, const char *s);     /* "2023-12-31" read as ISO date */
const char *fx_base_source(const plan_expr *e);          /* the source column a value starts from */
/* literals of the tree */
bool fx_lit_int(const fx_node *n, long *out);
const char *fx_lit_str(const fx_node *n);
bool fx_has_letters(const char *s);
bool fx_same_node(const fx_node *a, const fx_node *b);
bool fx_is_condition(const fx_node *n);
int fx_cell_column(const char *name, bool need_row);      /* Excel's column letters, -1 when none */
/* conversions between kinds, checked against the sample (NULL: a sentence is in why) */
plan_expr *fx_to_text(fctx *x, fx_value v, const char *fn);
plan_expr *fx_to_num(fctx *x, fx_value v, const char *fn, bool integer);
plan_expr *fx_to_date(fctx *x, fx_value v, const char *fn);
plan_expr *fx_to_bool(fctx *x, fx_value v, const char *fn);
plan_expr *fx_read_number(fctx *x, plan_expr *e, const infer_numhint *h, bool integer);
plan_expr *fx_read_date(fctx *x, plan_expr *e, const char *pattern, const char *fn);
const char *fx_stated_pattern(const fctx *x, const char *col);   /* a remark's date pattern */
plan_expr *fx_blank_is_zero(fctx *x, fx_value v, plan_expr *num); /* Excel's blank in arithmetic */
/* branches and maps */
bool fx_unify(fctx *x, fx_value *v, int n, const char *fn);
fx_value fx_if_value(fctx *x, plan_expr *c, fx_value a, fx_value b, const char *fn);
bool fx_if_chain_map(const fx_node *n, codemap *m);
fx_value fx_build_map(fctx *x, codemap *m, const char *fn);
fx_value fx_decode(fctx *x, const fx_node *n);

/* ---- formula_func.c ---- */

fx_value fx_call(fctx *x, const fx_node *n);             /* a function by its name */
fx_value fx_arith(fctx *x, const fx_node *n);            /* + - * / (date - date is days) */
fx_value fx_pipes(fctx *x, const fx_node *n);            /* SQL's a || b (null when a part is) */
fx_value fx_concat_all(fctx *x, const fx_node *const *args, int n, const char *sep, const char *fn);
fx_value fx_joined_value(fctx *x, const fx_node *n);     /* alias.COL of a LEFT JOIN */
fx_value fx_written_as(fctx *x, plan_expr *date, const char *fmt, const char *fn);
const char *fx_format_pattern(fctx *x, const char *fmt); /* TO_CHAR/TEXT format, util/date.h notation */

#endif
