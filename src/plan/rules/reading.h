/* reading.h — the inside of the plain-English rule reader (src/plan/rules/): one `reading` per rule.
 *
 * Phases, one file each (like Lua's lexer, parser and code generator):
 *   tokens.c      the rule's text as tokens (synonyms, abbreviations, numbers, quoted text, date patterns)
 *   clauses.c     clauses, and the reading model: what must be read (operative tokens, instruction
 *                 clauses) and what may stay unread (descriptive words, statements, labels)
 *   remarks.c     phrases that describe the data or affirm what the plan does anyway (read first)
 *   families      filters.c (row filters, trailers, checks, examples of the result), lookups.c,
 *                 conditionals.c (values chosen by a condition), conditions.c (one condition, or several joined
 *                 by and/or; dates), maps.c (code maps, booleans, yes/no codes), constants.c (constants,
 *                 defaults, as is, row numbers), dates.c (patterns, days), dateparts.c (year, quarter, fiscal
 *                 year, written as, end of month, plus N days), numbers.c (formats, signs, rounding, scale,
 *                 basis points, percentages), between.c (concatenation, arithmetic, also on output columns
 *                 above), text.c (text steps, leading/trailing characters)
 *   build.c       the reading as one plan expression
 *   read.c        rules_read: the formula reader first, then the families in order, then the verdict
 * Invariant: a token is marked used only by the recognizer that turned it into part of the reading (or a
 * remark that found it says nothing new); a recognizer that finds a contradiction with the rule or the data
 * sample says so with rd_problem and the rule becomes a question.  Names are prefixed rd_; recognizers are
 * rd_rec_<family>.
 */
#ifndef MF_PLAN_RULES_READING_H
#define MF_PLAN_RULES_READING_H

#include "plan/rules.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>


/* ---- tokens ---------------------------------------------------------------------------------- */

typedef enum tk_kind { TK_WORD, TK_STR, TK_NUM, TK_OP, TK_DATE } tk_kind;

typedef struct tok {
    tk_kind k;
    const char *w;     /* WORD: canonical word; STR: content; NUM: digits; OP: operator; DATE: pattern */
    const char *orig;  /* as written */
    size_t b, e;       /* byte span in the rule text */
    int clause;        /* which clause of the rule it belongs to (clauses.c) */
    bool used;
} tok;

#define MAX_TOKS 256
#define MAX_STEPS 24
#define MAX_PARTS 16

typedef struct tstep {
    size_t pos;        /* where in the text it was said: steps apply in text order */
    plan_step st;
    int drop;          /* 0; AFFIX_PREFIX / AFFIX_SUFFIX: not st itself but "drop the affix st.s once when the
                          value has it" (build.c writes it as if ... starts/ends with ... then ... else ...) */
} tstep;

enum { AFFIX_PREFIX = 1, AFFIX_SUFFIX = 2 };

enum base_kind { B_SOURCE, B_CONST, B_CONCAT, B_ARITH, B_DAYS, B_LOOKUP_ONLY, B_COND, B_ROWNUM };
enum date_kind { D_NONE, D_PATTERN, D_ISO, D_EXCEL };

typedef struct reading {
    const rule_ctx *c;
    plan *p;
    const char *text;
    tok t[MAX_TOKS];
    int n;
    int nclause;
    /* what was read */
    int base;
    const char *const_text;
    bool const_num;
    bool const_null;                   /* B_CONST: the constant is null (\"leave blank\") */
    int nparts;
    const char *part_src[MAX_PARTS];   /* data column, or NULL for a literal */
    const char *part_lit[MAX_PARTS];
    long part_pad[MAX_PARTS];          /* a part padded left with "0" to this length (0 = none) */
    int narith;                        /* arithmetic between fields: operands and operators */
    const char *arith_src[MAX_PARTS];  /* data column, or NULL for a number literal or an output column */
    const plan_column *arith_out[MAX_PARTS];   /* an output column above ("VALUE_LC / QTY"), or NULL */
    const char *arith_num[MAX_PARTS];
    plan_expr *last_cond_field;        /* the field of the condition read last ("'C' when it is negative": it) */
    bool arith_blank_zero;             /* B_ARITH: "treating a blank column as zero": each field operand defaults to 0 */
    int null_if_zero;                  /* B_ARITH: "leave blank when AMOUNT = 0": this divisor operand is 0 -> null
                                          (1-based; 0 = none) */
    int arith_op[MAX_PARTS];           /* arith_op[i] joins operand i-1 and i */
    const char *days_a, *days_b;
    const char *days_b_lit;            /* B_DAYS to a fixed date (YYYY-MM-DD) instead of days_b */
    const char *avoid[4];              /* data columns the rule says not to use ("do not use the NBV column") */
    int navoid;
    const char *days_b_default;        /* B_DAYS: days_b defaulting to this fixed date (YYYY-MM-DD) when missing */
    plan_expr *cond_value;             /* B_COND: if C then A else B, complete */
    plan_expr *except_cond;            /* "copy the amount unless Status = 'VOID', in which case 0": the value read
                                          otherwise is wrapped as if except_cond then except_val else value */
    plan_expr *except_val;
    int ntext, nnum;
    tstep text_steps[MAX_STEPS];
    tstep num_steps[MAX_STEPS];
    int ndsteps;                       /* steps on a read date: its year, written as, end of month, plus N days */
    tstep date_steps[MAX_STEPS];
    bool quarter_q;                    /* the quarter is written Q1..Q4 */
    int date_kind;
    const char *date_pat;
    int pivot;
    bool nf_any;
    plan_numfmt nf;
    bool nf_thousands_set, nf_decimal_set;
    bool nf_thousands_named, nf_decimal_named;   /* the rule names the character itself */
    bool has_map;
    plan_map map;
    bool map_bool;                     /* the map reads booleans (read as boolean) */
    plan_expr *deflt;
    const char *deflt_src;             /* defaulting to another column (read like the target needs) */
    bool required;
    bool statement;                    /* produced a skip/reject/trailer statement */
    mf_buf problems;                   /* sentences for the open question */
} reading;



/* ---- tokens (tokens.c) */

bool rd_is_filler(const char *w);
const char *rd_canon(const char *w);
bool rd_word_byte(unsigned char ch);
size_t rd_date_pattern_at(const char *s, char *out);
void rd_tokenize(reading *r);
bool rd_is_w(const reading *r, int i, const char *w);
bool rd_is_op(const reading *r, int i, const char *op);
bool rd_is_k(const reading *r, int i, tk_kind k);
int rd_find_w(const reading *r, int from, const char *w);
int rd_skip_fill(const reading *r, int i);
void rd_use(reading *r, int from, int to);   /* mark tokens [from, to) used */
void rd_problem(reading *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rd_value_at(const reading *r, int i, bool *is_num);
const char *rd_delim_at(const reading *r, int i);
long rd_num_at(const reading *r, int i);
tstep *rd_add_step(reading *r, bool numeric, size_t pos, plan_step_kind kind);
int rd_clause_end(const reading *r, int i);

/* ---- clauses and the reading model (clauses.c) */

/* Cut the tokens into clauses (sentences, ';', line breaks, bullets, ", then"). */
void rd_clauses(reading *r);
/* Is w (canonical) a word that always carries an instruction (an operation, a negation)? */
bool rd_is_operative_word(const char *w);
/* What of the rule was left unread: blocking tokens and the words of unread clauses (empty = all read). */
void rd_unread(const reading *r, mf_buf *out);
/* After the families: a vague verb (standardise, clean) explained by read steps ("by trimming") is read. */
void rd_explained_verbs(reading *r);
/* Is clause c a statement about the data ("some are in lower case") rather than an instruction? */
bool rd_clause_is_statement(const reading *r, int c);
/* With a day count or arithmetic read: a statement saying what the result's sign means is read. */
void rd_sign_statements(reading *r);

/* ---- remarks: phrases that describe the data or affirm what the plan does anyway (remarks.c) */

void rd_rec_remarks(reading *r);

/* ---- values chosen by a condition (conditionals.c) */

void rd_rec_conditional(reading *r);

/* ---- field names (fields.c) */

const char *rd_primary(const reading *r);
const prof_column *rd_prof_of(const reading *r, const char *name);
const char *rd_resolve_name(const reading *r, const char *phrase);
const char *rd_resolve_name_min(const reading *r, const char *phrase, double min_conf);
const char *rd_resolve_span(const reading *r, int b, int e);
const char *rd_resolve_prefix(const reading *r, int b, int e, int *end);
const plan_column *rd_resolve_output(const reading *r, int b, int e);

/* ---- conditions (conditions.c) */

plan_expr *rd_cmp_expr(reading *r, int op, plan_expr *a, const char *v, bool num);
plan_expr *rd_parse_cond(reading *r, int b, int e);

/* ---- filters, trailers, checks (filters.c) */

void rd_rec_examples(reading *r);
void rd_rec_example_values(reading *r);
void rd_rec_trailer(reading *r);
void rd_add_rule(reading *r, plan_rule_kind kind, plan_expr *cond, const char *msg);
void rd_rec_exclude(reading *r);
void rd_rec_checks(reading *r);
void rd_rec_length_check(reading *r);

/* ---- lookups (lookups.c) */

void rd_rec_lookup(reading *r);

/* ---- code maps and booleans (maps.c) */

bool rd_truthy(const char *w, bool *val);
void rd_rec_bool(reading *r);
void rd_rec_map(reading *r);
void rd_map_check_sample(reading *r, const plan_map *m, const char *col);

/* ---- constants, defaults, as is (constants.c) */

void rd_rec_constant(reading *r);
void rd_rec_default(reading *r);
void rd_rec_as_is(reading *r);
void rd_rec_rownum(reading *r);

/* ---- dates (dates.c) */

void rd_rec_date(reading *r);
void rd_rec_date_part(reading *r);
void rd_rec_same_format(reading *r);
void rd_rec_days(reading *r);
const char *rd_fixed_date_at(reading *r, int i, int *end, const char *hint);

/* ---- numbers (numbers.c) */

void rd_rec_negate(reading *r);
void rd_rec_separators(reading *r);
void rd_rec_numfmt(reading *r);
void rd_rec_round(reading *r);
void rd_rec_muldiv(reading *r);
void rd_scale_words(reading *r);
void rd_rec_abs(reading *r);
void rd_rec_percentage(reading *r);

/* ---- expressions between fields (between.c) */

void rd_span_text(const reading *r, int b, int e, char *buf, size_t cap);
void rd_rec_between(reading *r);

/* ---- text steps (text.c) */

void rd_rec_pad(reading *r);
void rd_rec_trim_case(reading *r);
void rd_rec_strip_ends(reading *r);
void rd_rec_prefix_suffix(reading *r);
void rd_rec_substr(reading *r);
void rd_rec_between_delims(reading *r);
void rd_rec_split(reading *r);
void rd_rec_before_after(reading *r);
void rd_rec_remove_chars(reading *r);
void rd_rec_affix_remark(reading *r);
void rd_rec_drop_affix(reading *r);

/* ---- building the expression (build.c) */

bool rd_numeric_base(plan_base b);
plan_expr *rd_build(reading *r);


#endif
