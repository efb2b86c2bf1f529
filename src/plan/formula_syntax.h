/* formula_syntax.h — the syntax of SQL and Excel formulas as the formula reader sees them: tokens
 * and a syntax tree (internal to src/plan/formula*.c).
 *
 * One grammar covers both dialects (docs/rule-vocabulary.md, "Formulas"): SQL operators and
 * keywords (CASE, IN, IS NULL, LIKE, BETWEEN, CAST(x AS T), EXTRACT(p FROM x), SUBSTRING(x FROM a
 * FOR b), POSITION(a IN b), `||`, `--` comments) and Excel's (`=` prefix, `&`, `<>`, `19%`,
 * `[@Col]`, `[@[Col Name]]`, `Tab!A:B`, cell references).  The tree says nothing about types or
 * names: formula.c resolves and types it.  Invariants: the parser never recurses deeper than
 * FX_MAX_DEPTH (a deeper formula is an error with a message, not a stack overflow); every node
 * lives in the arena given to fx_parse; a parse either consumes the whole text or fails.
 */
#ifndef MF_FORMULA_SYNTAX_H
#define MF_FORMULA_SYNTAX_H

#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>

#define FX_MAX_DEPTH 48

typedef enum fx_kind {
    FX_NUM,      /* s = digits as written ("19" for 19%), pct = written with % */
    FX_STR,      /* s = the text; flag = written in double quotes (a quoted name in SQL) */
    FX_NAME,     /* s = identifier; s2 = qualifier ("m" of m.STD_ACCT) or NULL */
    FX_REF,      /* [@Col] / [Col]: s = column name; flag = written with @ (Excel) */
    FX_RANGE,    /* Tab!A:B: s = tab, s2 = the cells ("A:B") */
    FX_CALL,     /* s = function name upper-cased; kid[0..n) arguments; s2 = "OVER" for a window
                    function, neg = the window orders or partitions the rows */
    FX_BIN,      /* op: + - * / & (also ||: flag) = ! (<>) < l (<=) > g (>=) A (and) O (or); kid[0], kid[1] */
    FX_NEG,      /* -kid[0] */
    FX_NOT,      /* NOT kid[0] */
    FX_CASE,     /* kid[0] = operand or NULL; then WHEN/THEN pairs; then ELSE (has_else) */
    FX_IN,       /* kid[0] IN (kid[1..n)); neg = NOT IN */
    FX_ISNULL,   /* kid[0] IS NULL; neg = IS NOT NULL */
    FX_LIKE,     /* kid[0] LIKE kid[1]; neg */
    FX_BETWEEN,  /* kid[0] BETWEEN kid[1] AND kid[2]; neg */
    FX_BOOL,     /* flag */
    FX_NULL,
    FX_TYPE,     /* a type written in CAST / CONVERT: s = "DECIMAL", a/b = (p,s), -1 when absent */
    FX_PART      /* a date part keyword (EXTRACT(QUARTER FROM ..), DATEDIFF(day, ..)): s upper-cased */
} fx_kind;

typedef struct fx_node fx_node;
struct fx_node {
    fx_kind kind;
    const char *s, *s2;
    int op;
    bool neg, pct, flag, has_else;
    long a, b;
    int n;
    fx_node **kid;
    size_t pos;          /* byte offset in the text, for messages */
};

/* One whole formula: `[=] value [AS NAME] [WHERE cond]`, `WHERE cond`, or
 * `[LEFT] JOIN tab [alias] ON cond -> value`. */
typedef struct fx_stmt {
    fx_node *value;          /* NULL for a bare WHERE */
    const char *alias;       /* AS NAME, NULL when absent */
    fx_node *where;          /* NULL when absent */
    const char *join_tab;    /* LEFT JOIN: the tab, its alias (NULL when none) and the ON condition */
    const char *join_alias;
    fx_node *join_on;
    bool excel;              /* written with a leading '=' */
} fx_stmt;

/* Parse text[0..len) as one formula.  0 on success; -1 with a sentence in why (what was expected
 * where) on failure.  *stop receives the byte offset where parsing stopped (len on success). */
int fx_parse(mf_arena *a, const char *text, size_t len, fx_stmt *out, size_t *stop, char *why, size_t whycap);

/* Is the identifier (any case) the SQL/Excel keyword kw? */
bool fx_is_kw(const fx_node *n, const char *kw);

#endif
