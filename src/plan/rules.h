/* rules.h — the rule vocabulary: an analyst's free-text rule read into plan-language steps.
 *
 * Deterministic.  The text is cut into tokens (words folded to a canonical synonym, quoted
 * strings, numbers, operators, date patterns such as MM/DD/YYYY); recognizers, one per rule
 * family, look for their phrasing anywhere in the tokens and mark the tokens they use.  A rule
 * is understood only when every significant token was used by some recognizer and nothing it
 * says contradicts the data sample; otherwise the column's expression is a hole (?) and an open
 * question says what the planner would need to know.  docs/rule-vocabulary.md lists the
 * phrasings; src/plan/rules/reading.h describes the reader inside (one file per family).
 */
#ifndef MF_RULES_H
#define MF_RULES_H

#include "mapping/mapping.h"
#include "plan/plan.h"
#include "read/profile.h"

#include <stdbool.h>

typedef struct rule_src {       /* one of the mapping row's sources, resolved to a data column */
    const char *written;        /* as the mapping writes it */
    const char *name;           /* data header name for [..]; NULL when it matched nothing */
    const prof_column *prof;    /* its profile; NULL when none */
} rule_src;

typedef struct rule_ctx {
    plan *p;                    /* the plan being drafted: rules, lookups, questions go here */
    const mapping *m;           /* lookup tabs; may be NULL */
    const profile *pr;          /* every data column, for conditions on other fields; may be NULL */
    int row;                    /* mapping row number, for provenance and questions */
    const char *column;         /* output column name; NULL for a row without a target */
    plan_type type;             /* target type (PT_UNKNOWN when none) */
    int nsrc;
    const rule_src *src;        /* the row's sources in order (nsrc may be 0) */
} rule_ctx;

typedef struct rule_result {
    plan_expr *expr;            /* the column's expression (a hole when not understood);
                                   NULL for a row without a target */
    bool required;              /* the rule says mandatory / reject if blank */
    bool understood;            /* false: a question was added to the plan */
} rule_result;

/* Read `text` (the row's rule; "" or NULL = as is) in context c.  Skip/reject rules, lookups,
 * trailer skips and questions are added to c->p; the column's expression is returned in out.
 * Returns 0; -1 only on an internal failure (e filled). */
int rules_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e);

/* Plan date pattern for a pattern written in a rule ("dd/mm/yyyy" -> "DD/MM/YYYY"), or NULL
 * when s is not a whole date pattern.  Result in the plan's arena. */
const char *rules_date_pattern(plan *p, const char *s);

#endif
