/* rulebook.h — the pure part of the rulebook (issue 8): a mapping rule's normalised shape, the
 * template an approved reading makes of it, and that template instantiated for another rule of
 * the same shape.  No store, no I/O: the store keeps the entries (store/rulebook.c), the workflow
 * learns and uses them (flow/rulebook_learn.c).  docs/rulebook.md explains the shape with examples.
 *
 * Shape: the rule text with its quoted literals ('x', "x", ‘x’, “x”) as {sN}, its column
 * references ([Name], or a data column's name found in the text, case-insensitive, longest first)
 * as {cN} and its numbers as {nN}; everything else lower-cased, punctuation folded to single
 * spaces, white space collapsed.  Slots are numbered per kind in order of appearance.  When the
 * mapping row names its source field apart from the rule (the Source Field cell), that column is
 * slot {c0} and the shape starts "from {c0}: " (a colon never appears in the normalised text), so
 * "Divide by 100" read from [Amt] and from [Value] have one shape.
 *
 * Template: the approved expression's text with each [source], "literal" and number replaced by
 * the slot whose value it equals, written {P:KN} (position P, slot kind K, number N; {KN} when
 * P = K); a literal `{` is written `{{`.  Not learnable: a source that is no column slot, or a
 * literal / number that is no slot and does not appear verbatim in the rule (a constant the rule
 * does not state is never learned).
 *
 * Instantiation quotes every value with the renderer's quoting (a value never becomes syntax);
 * a number position takes only a plain number.
 */
#ifndef MF_PLAN_RULEBOOK_H
#define MF_PLAN_RULEBOOK_H

#include "plan/plan.h"
#include "util/err.h"

typedef struct rb_slot {
    char kind;        /* 'c' column, 's' string, 'n' number */
    char *value;      /* the column's name (as the data spells it), the literal, the number */
} rb_slot;

typedef struct rb_shape {
    char *shape;      /* the normalised text */
    rb_slot *slot;    /* in order of appearance */
    int nslots;
} rb_shape;

/* Shape rule given the data's column names (may be NULL / 0) and the row's source column (the
 * data's name for it; NULL when the row names none, or several).  Never fails. */
void rb_shape_of(const char *rule, const char *const *columns, int ncolumns, rb_shape *out);
void rb_shape_of_row(const char *rule, const char *source, const char *const *columns, int ncolumns, rb_shape *out);
void rb_shape_free(rb_shape *s);

/* The template of expression text expr_text (plan_render_expr) for a rule of shape s whose text
 * is rule.  malloc'd, or NULL when not learnable (why says why, a static string). */
char *rb_template(const char *expr_text, const char *rule, const rb_shape *s, const char **why);

/* The expression text of template tmpl with the slot values of s (malloc'd), or NULL with e filled
 * (a slot the shape does not have, a number position whose value is no number). */
char *rb_instantiate(const char *tmpl, const rb_shape *s, mf_err *e);

/* rb_instantiate, then parsed with plan_parse_expr into p's arena. */
plan_expr *rb_instantiate_expr(plan *p, const char *tmpl, const rb_shape *s, mf_err *e);

#endif
