/* plan.h — the plan: the program a reviewer approves.
 *
 * A plan is a tree allocated in one arena.  It has one canonical text form (plan_render) and one
 * parser (plan_parse); parse(render(p)) equals p (plan_equal), a tested property.  The type
 * checker (plan_check) fills every expression's type and rejects ill-typed plans with a line and
 * column.  Both back ends (compile/native, compile/pyspark) compile a checked plan.
 *
 * Text of the language (see docs/plan-language.md for the full grammar):
 *
 *   plan ACME v1
 *   source "gl_extract.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
 *   output GL_ENTRIES
 *
 *   ACCOUNT_ID    text(10) required  = [Acct No] trimmed, padded left with "0" to 10   # row 4: Left-pad ...
 *   POSTING_DATE  date               = [Posting Dt] read as MM/DD/YYYY                 # row 5: Convert ...
 *   AMOUNT        decimal(18,2)      = [Amt] read as number (thousands ",", negative in parentheses),
 *                                      negated when [Dr/Cr] is "C"                      # row 6: ...
 *   FEE           decimal(18,2)      = ?                                                # row 7: apply fee logic
 *   skip rows where [Status] is "VOID"                                                  # row 12: exclude voids
 *   reject rows where AMOUNT < 0: "negative amount"                                     # feedback
 *   lookup BROKERS from tab "Brokers" (key "Code", value "Name"):
 *     "GS" -> "Goldman Sachs"
 *   note: "REC is not mapped"                                                         # row 16: Not mapped
 *   question about FEE (row 7): "What is the standard fee logic?"
 *
 * [Name] is a column of the source file, a bare or `backquoted` name is an output column defined
 * above, "..." is a text literal.  A statement continues on lines that start with white space.
 */
#ifndef MF_PLAN_H
#define MF_PLAN_H

#include "read/csv.h"
#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- types ---------------------------------------------------------------------------------- */

typedef enum plan_base {
    PT_UNKNOWN = 0,  /* not yet checked, or the type of a hole (?) */
    PT_NULL,         /* the literal null: fits any type */
    PT_TEXT,         /* len = max characters, 0 = unbounded */
    PT_INTEGER,      /* 32-bit */
    PT_BIGINT,       /* 64-bit */
    PT_DECIMAL,      /* prec, scale; exact, scaled 128-bit integer; prec <= 38 */
    PT_DATE,
    PT_TIMESTAMP,
    PT_BOOLEAN
} plan_base;

typedef struct plan_type {
    plan_base base;
    int len;          /* PT_TEXT */
    int prec, scale;  /* PT_DECIMAL; for an unconstrained number literal prec = 0 */
} plan_type;

/* ---- expressions ---------------------------------------------------------------------------- */

typedef enum plan_expr_kind {
    PE_SOURCE,     /* [Name]              name                         type text */
    PE_OUTPUT,     /* NAME                name (an earlier output column) */
    PE_TEXT,       /* "literal"           text */
    PE_NUMBER,     /* 12.50, -3           text holds the literal exactly as written */
    PE_BOOL,       /* true / false        flag */
    PE_NULL,       /* null */
    PE_HOLE,       /* ?                   an open question: not runnable */
    PE_BINARY,     /* a OP b              op, kid[0], kid[1] */
    PE_STEP,       /* a <step>            kid[0], step */
    PE_IF,         /* if c then a else b  kid[0]=c, kid[1]=a, kid[2]=b */
    PE_DAYS,       /* days from a to b    kid[0]=a, kid[1]=b   (b - a, integer) */
    PE_LENGTH,     /* length of a         kid[0]=a (a term): its number of characters, bigint */
    PE_ROWNUM,     /* row number          the 1-based position of the row in the output file (bigint);
                      only a column's whole expression, assigned by the writer, never read by others */
    /* conditions (type boolean) */
    PE_CMP,        /* a OP b   with OP one of = != < <= > >=   (written "is", "is not", "<", ...) */
    PE_MISSING,    /* a is missing      (null) */
    PE_PRESENT,    /* a is present      (not null) */
    PE_IN,         /* a is one of ("x", "y")   list / nlist hold the literals (text) */
    PE_CONTAINS,   /* a contains "x"           text */
    PE_STARTS,     /* a starts with "x"        text */
    PE_ENDS,       /* a ends with "x"          text */
    PE_AND,        /* kid[0] and kid[1] */
    PE_OR,         /* kid[0] or kid[1] */
    PE_NOT         /* not kid[0] */
} plan_expr_kind;

typedef enum plan_binop {
    PB_ADD = '+', PB_SUB = '-', PB_MUL = '*', PB_DIV = '/', PB_CONCAT = '&',
    PB_EQ = '=', PB_NE = '!', PB_LT = '<', PB_LE = 'l', PB_GT = '>', PB_GE = 'g'
} plan_binop;

typedef enum plan_step_kind {
    PS_TRIM,          /* trimmed */
    PS_UPPER,         /* upper cased */
    PS_LOWER,         /* lower cased */
    PS_PAD_LEFT,      /* padded left with "0" to 10          s, n */
    PS_PAD_RIGHT,     /* padded right with " " to 10         s, n */
    PS_PREFIX,        /* prefixed with "X"                   s */
    PS_SUFFIX,        /* suffixed with "X"                   s */
    PS_FIRST,         /* first 3 characters                  n */
    PS_LAST,          /* last 3 characters                   n */
    PS_SUBSTR,        /* characters 2 to 5  (1-based, inclusive)  n, m */
    PS_BEFORE,        /* text before "-"   (whole text when absent) s; m = 1: text before last "-" */
    PS_AFTER,         /* text after "-"    (null when absent)       s; m = 1: text after last "-" */
    PS_READ_DATE,     /* read as MM/DD/YYYY ; read as M/D/YY (pivot 1950)   s = pattern, n = pivot year or 0 */
    PS_READ_ISO,      /* read as ISO date   (YYYY-MM-DD, optionally followed by a time: date part kept) */
    PS_READ_EXCEL,    /* read as Excel serial date */
    PS_READ_NUMBER,   /* read as number (thousands ",", decimal ".", negative in parentheses,
                                          trailing minus, currency "$")   numfmt */
    PS_READ_INTEGER,  /* read as integer */
    PS_READ_BOOL,     /* read as boolean ("Y" = true, "N" = false) — via map fields */
    PS_MUL,           /* multiplied by 1000       num (literal text) */
    PS_DIV,           /* divided by 100           num */
    PS_ROUND,         /* rounded to 2 decimals (half up)   n; m = 1: rounded up to N decimals (away from
                         zero), m = 2: rounded down to N decimals (toward zero) */
    PS_NEGATE,        /* negated */
    PS_NEGATE_WHEN,   /* negated when <cond>      cond */
    PS_ABS,           /* absolute value */
    PS_DEFAULT,       /* defaulting to <expr> when missing    value (applies to null, and to "" after trim) */
    PS_MAP,           /* mapped ("D" -> "DEBIT", "C" -> "CREDIT", otherwise ...)   map */
    PS_LOOKUP,        /* looked up in BROKERS (otherwise ...)     s = lookup name, map.otherwise */
    PS_REPLACE,       /* with "x" replaced by "y" / with "x" removed (s2 = "")   s = x (non-empty), s2 = y:
                         every occurrence, left to right, non-overlapping, literal */
    PS_SQUISH,        /* with spaces collapsed: trimmed, inner white space runs become one space */
    PS_TITLE,         /* title cased: first letter of each space-separated word upper, the rest lower */
    PS_DIGITS,        /* digits only: keeps 0-9 */
    PS_STRIP,         /* with leading "0" removed / with trailing "0" removed   s = x (non-empty), m = 0 leading,
                         1 trailing: x removed again and again at that end; a value made only of x keeps one */
    PS_DATE_PART,     /* its year / month / day / quarter / fiscal year (starting month 7):
                         s = "year" "month" "day" "quarter" "fiscal year", n = start month (fiscal year) */
    PS_FORMAT_DATE,   /* written as "YYYY-MM"      s = pattern (util/date.h notation); date -> text */
    PS_ADD_DAYS,      /* plus 30 days / minus 30 days      n = signed day count */
    PS_END_OF_MONTH   /* end of month: the last day of the date's month */
} plan_step_kind;

/* The parts `its ...` names: plan_step.s of PS_DATE_PART is one of plan_date_part_names. */
typedef enum plan_date_part { PD_YEAR, PD_MONTH, PD_DAY, PD_QUARTER, PD_FISCAL_YEAR, PD_COUNT } plan_date_part;
extern const char *const plan_date_part_names[PD_COUNT];   /* "year" ... "fiscal year" */
int plan_date_part_of(const char *s);                       /* its plan_date_part, -1 for none */

/* plus/minus N days: |N| at most this (ten thousand years and more). */
#define PLAN_MAX_ADD_DAYS 9999999

typedef enum plan_otherwise {
    PO_KEEP = 0,     /* otherwise unchanged  (value passes through as is) */
    PO_REJECT,       /* otherwise rejected   (the row is rejected with a reason) */
    PO_NULL,         /* otherwise null */
    PO_VALUE         /* otherwise <expr> */
} plan_otherwise;

typedef struct plan_numfmt {
    char thousands;       /* 0 = none; ',', '.', ' ', '\'' */
    char decimal;         /* '.' or ',' */
    bool paren_negative;  /* (123.45) is -123.45 */
    bool trailing_minus;  /* 123.45- is -123.45 */
    const char *currency; /* symbols/codes stripped, e.g. "$" or "EUR"; NULL = none */
} plan_numfmt;

typedef struct plan_expr plan_expr;

typedef struct plan_map {
    int n;
    const char **from;          /* keys: text literals */
    plan_expr **to;             /* values: literal expressions */
    plan_otherwise otherwise;
    plan_expr *other;           /* PO_VALUE */
} plan_map;

typedef struct plan_step {
    plan_step_kind kind;
    const char *s;      /* text argument (pad char, prefix, delimiter, date pattern, lookup name) */
    const char *s2;     /* second text argument (REPLACE: the replacement, "" = removed) */
    long n, m;          /* numeric arguments */
    const char *num;    /* decimal literal text for MUL/DIV */
    plan_expr *cond;    /* NEGATE_WHEN */
    plan_expr *value;   /* DEFAULT */
    plan_numfmt numfmt; /* READ_NUMBER */
    plan_map map;       /* MAP, READ_BOOL; LOOKUP uses map.otherwise / map.other only */
} plan_step;

struct plan_expr {
    plan_expr_kind kind;
    plan_type type;        /* filled by plan_check */
    long line, col;        /* where it starts in the text, 0 when built by the planner */
    const char *name;      /* SOURCE, OUTPUT */
    const char *text;      /* TEXT, NUMBER, CONTAINS/STARTS/ENDS argument */
    bool flag;             /* BOOL */
    int op;                /* plan_binop for BINARY and CMP */
    plan_expr *kid[3];
    plan_step step;        /* STEP */
    int nlist;             /* IN */
    const char **list;
};

/* ---- statements ----------------------------------------------------------------------------- */

typedef struct plan_prov {  /* provenance: where a statement came from */
    int row;                /* mapping spreadsheet row, 0 = none */
    const char *text;       /* the rule text (or "feedback: ..."), NULL = none */
} plan_prov;

typedef struct plan_column {
    const char *name;
    plan_type type;
    bool required;          /* null rejects the row */
    plan_expr *expr;
    plan_prov prov;
} plan_column;

/* PR_CHECK: a reviewer's check over the output rows ("check AMOUNT != 0: \"message\""), run by
 * src/check after the run; it may use output columns only.  The engine ignores it. */
typedef enum plan_rule_kind { PR_SKIP, PR_REJECT, PR_CHECK } plan_rule_kind;

typedef struct plan_rule {   /* skip rows where C  /  reject rows where C: "message"  /  check C: "message" */
    plan_rule_kind kind;
    plan_expr *cond;
    const char *message;     /* REJECT and CHECK (NULL for SKIP, or when not written) */
    plan_prov prov;
} plan_rule;

typedef struct plan_lookup {
    const char *name;        /* identifier used by "looked up in NAME" */
    const char *tab;         /* spreadsheet tab it came from, NULL = written by hand */
    const char *key_col, *value_col;
    int n;
    const char **key, **value;
    plan_prov prov;
} plan_lookup;

typedef struct plan_question {
    const char *column;      /* output column it is about, NULL = general */
    int row;                 /* mapping row, 0 = none */
    const char *text;
} plan_question;

/* note: "text" — a mapping row that maps nothing ("Not mapped", target "-"), kept visible with
 * its provenance.  The engines ignore notes. */
typedef struct plan_note {
    const char *text;
    plan_prov prov;
} plan_note;

typedef struct plan_source {
    const char *file;        /* file name the plan was drafted on (informational) */
    char delimiter;          /* ',', ';', '|', '\t' */
    char quote;              /* '"' or 0 for none */
    csv_encoding encoding;
    long header_line;        /* 1-based line of the header row in the drafted file */
    long skip_last;          /* trailer rows at the end of the file to skip (counted as filtered) */
} plan_source;

/* The mapping a plan was drafted from (informational, part of the approved text):
 * `mapping "FILE", sheet "SHEET", sha256 "HEX"` — the sha256 is the mapping's content hash, the
 * one the cache keys on (mapping.h).  All NULL when the line is absent (a hand-written plan). */
typedef struct plan_mapping {
    const char *file;
    const char *sheet;
    const char *sha256;
} plan_mapping;

typedef struct plan {
    mf_arena arena;          /* owns everything below */
    const char *client;
    int version;
    plan_source source;
    plan_mapping mapping;
    const char *output;      /* output name: DIR/<output>.csv */
    int ncols, nrules, nlookups, nquestions, nnotes;
    plan_column *cols;
    plan_note *notes;
    plan_rule *rules;
    plan_lookup *lookups;
    plan_question *questions;
    int nkeys;               /* "key COL, COL": a declared unique key over output columns (0 = none) */
    const char **keys;
    plan_prov key_prov;      /* provenance of the key statement */
} plan;

/* ---- API ------------------------------------------------------------------------------------ */

void plan_init(plan *p);                 /* empty plan with its own arena */
void plan_free(plan *p);

/* Builders used by the planner and the parser (allocate in p->arena). */
plan_expr *plan_new_expr(plan *p, plan_expr_kind kind);
plan_expr *plan_source_ref(plan *p, const char *name);
plan_expr *plan_text_lit(plan *p, const char *text);
plan_expr *plan_number_lit(plan *p, const char *text);
plan_expr *plan_with_step(plan *p, plan_expr *kid, plan_step_kind kind);   /* returns the STEP node */
plan_expr *plan_binary(plan *p, int op, plan_expr *a, plan_expr *b);
plan_column *plan_add_column(plan *p, const char *name, plan_type type);
plan_rule *plan_add_rule(plan *p, plan_rule_kind kind, plan_expr *cond, const char *message);
plan_lookup *plan_add_lookup(plan *p, const char *name);
plan_question *plan_add_question(plan *p, const char *column, int row, const char *text);
plan_note *plan_add_note(plan *p, const char *text);
const char *plan_strdup(plan *p, const char *s);
void plan_add_key(plan *p, const char *column);   /* append a column to the declared key */
/* Append one entry (copies strings into the arena). */
void plan_map_add(plan *p, plan_map *m, const char *from, plan_expr *to);          /* MAP, READ_BOOL */
void plan_lookup_add_entry(plan *p, plan_lookup *l, const char *key, const char *value);
void plan_list_add(plan *p, plan_expr *in, const char *text);                      /* IN list */

/* Canonical text.  Returns a malloc'd NUL-terminated string. */
char *plan_render(const plan *p);
/* Text of one expression / one type (malloc'd). */
char *plan_render_expr(const plan_expr *e);
void plan_type_name(plan_type t, char *buf, size_t n);     /* "decimal(18,2)" */

/* Parse plan text.  path is used in error messages.  On error: -1 and e names line:col. */
int plan_parse(const char *text, size_t len, const char *path, plan *out, mf_err *e);

/* Parse one expression (the "top" of a column: conditions and steps allowed) written in the plan
 * language, allocated in p's arena; names are not resolved (plan_check does that).  path names the
 * text in errors.  NULL with e filled on error. */
plan_expr *plan_parse_expr(plan *p, const char *text, size_t len, const char *path, mf_err *e);

/* Limits every expression tree obeys (docs/limits.md): at most PLAN_MAX_DEPTH levels from the
 * root to the deepest node (a chain "a + b + c ..." is one level per operator) and at most
 * PLAN_MAX_NODES nodes.  The parser refuses text past them, plan_check refuses a tree past them
 * (one the planner built), and every recursive walker of expressions (checker, renderer,
 * plan_equal, the compilers) may therefore recurse PLAN_MAX_DEPTH deep and no deeper. */
#define PLAN_MAX_DEPTH 256
#define PLAN_MAX_NODES 20000
/* NULL when e is within the limits; otherwise the first node found past one, and *why says which
 * ("expression nested deeper than 256 levels").  Recurses at most PLAN_MAX_DEPTH + 1 deep. */
const plan_expr *plan_expr_over_limits(const plan_expr *e, const char **why);
/* Every expression of p within the limits: 0, or -1 with e naming the column (or rule) and the
 * node's line:col in path.  plan_check and both compilers call it first. */
int plan_check_limits(const plan *p, const char *path, mf_err *e);

/* Structural equality (ignores line/col and checked types). */
bool plan_equal(const plan *a, const plan *b);

/* Type-check; fill expression types.  source_cols (may be NULL) lists the data file's header:
 * when given, every [Name] must be one of them.  path for error messages. */
int plan_check(plan *p, const char *const *source_cols, int nsource, const char *path, mf_err *e);

/* Open questions: a plan with questions or holes cannot run. */
bool plan_has_open_questions(const plan *p);
bool plan_expr_has_hole(const plan_expr *e);   /* does e contain a ? */
/* The words a `read as boolean` step reads: its own list, or "true" / "false" when it has none.
 * Both back ends take the list from here. */
const plan_map *plan_bool_words(const plan_step *s);

/* Is column i's whole expression `row number` (its value is assigned by the writer)? */
bool plan_column_is_rownum(const plan *p, int i);

/* Names of the source columns the plan uses, in first-use order (arena strings). */
int plan_used_sources(const plan *p, const char ***names);

#endif
