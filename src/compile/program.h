/* program.h — the native back end's compiled form of a checked plan, executed by engine/.
 *
 * A program is one flat array of instructions over typed registers, run once per record from
 * pc 0 to OP_END:
 *     skip rules (OP_SKIP) → columns, each ending in OP_ASSIGN → reject rules (OP_REJECT) → OP_END
 * Every expression node owns one register (its result); control flow (if, and, or, defaulting)
 * uses jumps, so only what the semantics asks for is evaluated.  After compiling, a peephole pass
 * shortens the loop: constants become preloaded registers (eng_program.pre, no OP_CONST left), and
 * an OP_SRC whose register only feeds the next instruction is fused into it (eng_ins.afield), and
 * an OP_ASSIGN into the instruction computing its value (eng_ins.assign).
 * Source columns ([Name]) are resolved to field indices, lookups, maps and lists to hash tables,
 * literals to constants: all at compile time.  Executing a program allocates nothing per cell: text results live in the
 * worker's scratch, reset per record.
 *
 * Reject reasons (exact text, the contract with the PySpark back end; COL is the output column
 * being computed, V the offending value in its canonical text form):
 *   record has N fields, expected M
 *   COL is required but missing
 *   COL: "V" is not a PATTERN date         (read as PATTERN; ISO → "an ISO date",
 *                                           EXCEL → "an Excel serial date")
 *   COL: "V" is not a number | is not an integer | is not a boolean
 *   COL: "V" is not one of the mapped values        (mapped (..., otherwise rejected))
 *   COL: "V" is not in LOOKUP                       (looked up in LOOKUP (otherwise rejected))
 *   COL: "V" is longer than N characters
 *   COL: "V" has more than S decimals | has more than P digits
 *   COL: "V" is not a whole number | is out of range for integer | is out of range for bigint
 *   COL: "V" is not a date | is not a boolean | is not a number   (assignment of a wrong type)
 *   COL: arithmetic overflow | division by zero
 *   COL: "V" plus N days is out of range for date | "V" minus N days ...   (outside 0001..9999)
 *   reject rules: their message.
 * A failure inside a rule's condition has no column: the reason is the text after "COL: ".
 */
#ifndef MF_PROGRAM_H
#define MF_PROGRAM_H

#include "plan/plan.h"
#include "util/decimal.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum eng_vt { EV_NULL = 0, EV_TEXT, EV_INT, EV_DEC, EV_DATE, EV_BOOL } eng_vt;

/* A typed cell.  Text is never empty (empty is null) and points into the record, the program's
 * constants or the worker's scratch. */
typedef struct eng_val {
    union {
        mf_dec d;                               /* EV_DEC */
        struct { const char *p; size_t n; } s;  /* EV_TEXT */
        int64_t i;                              /* EV_INT */
        int32_t days;                           /* EV_DATE */
        bool b;                                 /* EV_BOOL */
    } u;
    uint8_t t;                                  /* eng_vt */
} eng_val;

static inline mf_dec eng_dec_of(const eng_val *v)
{
    return v->u.d;
}

static inline void eng_set_dec(eng_val *v, mf_dec d)
{
    v->t = EV_DEC;
    v->u.d = d;
}

/* The instructions, as a list the engine also expands into its table of handlers. */
#define ENG_OPS(X)                                                                                        \
    X(OP_END) X(OP_SRC) X(OP_COL) X(OP_CONST) X(OP_MOVE) X(OP_JMP) X(OP_JF) X(OP_JT) X(OP_JNN)             \
    /* steps: dst = step(a) */                                                                            \
    X(OP_TRIM) X(OP_UPPER) X(OP_LOWER) X(OP_PADL) X(OP_PADR) X(OP_PREFIX) X(OP_SUFFIX) X(OP_FIRST)          \
    X(OP_LAST) X(OP_SUBSTR) X(OP_BEFORE) X(OP_AFTER) X(OP_RDATE) X(OP_RNUM) X(OP_RINT) X(OP_RBOOL)          \
    X(OP_MULK) X(OP_DIVK) X(OP_ROUND) X(OP_NEG) X(OP_NEGWHEN) X(OP_ABS) X(OP_MAP) X(OP_REPLACE)             \
    X(OP_SQUISH) X(OP_TITLE) X(OP_DIGITS) X(OP_STRIP) X(OP_DATEPART) X(OP_FMTDATE) X(OP_ADDDAYS) X(OP_EOM)  \
    X(OP_LENGTH)                                                                                          \
    /* binary: dst = a OP b */                                                                            \
    X(OP_ADD) X(OP_SUB) X(OP_MUL) X(OP_DIV) X(OP_CONCAT) X(OP_DAYS)                                       \
    /* conditions: dst = boolean, never null */                                                           \
    X(OP_CMP) X(OP_MISSING) X(OP_PRESENT) X(OP_IN) X(OP_CONTAINS) X(OP_STARTS) X(OP_ENDS) X(OP_NOT)         \
    /* record control */                                                                                  \
    X(OP_SKIP) X(OP_ASSIGN) X(OP_REJECT)
#define ENG_OP_ENUM(op) op,
typedef enum eng_op { ENG_OPS(ENG_OP_ENUM) } eng_op;
#define ENG_NOPS (OP_REJECT + 1)

/* A hash table of text keys (maps, lookups, "is one of" lists). */
typedef struct eng_table {
    uint32_t mask;            /* slots - 1 (power of two) */
    int32_t *slot;            /* index into key/val, -1 = empty */
    const char **key;
    size_t *klen;
    eng_val *val;
    int n;
    plan_otherwise otherwise;
    eng_val other;            /* PO_VALUE */
    const char *name;         /* lookup name for reasons; NULL for a map */
} eng_table;

/* FNV-1a: the one hash of the tables, used when building (compile) and probing (engine). */
static inline uint32_t eng_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* OP_RDATE: patterns with a fixed-width fast path, decided at compile time (eng_ins.sub). */
enum { ENG_DATE_GENERAL = 0, ENG_DATE_MDY, ENG_DATE_DMY, ENG_DATE_YMD, ENG_DATE_ISO };

/* How an assignment checks its value, from the column's type (chosen at compile time so the
 * usual value takes an inline path). */
enum { ENG_ASG_NONE = 0, ENG_ASG_ANY, ENG_ASG_TEXT, ENG_ASG_DEC, ENG_ASG_DATE };

typedef struct eng_ins {
    uint8_t op;               /* eng_op */
    uint8_t sub;              /* OP_RDATE: ENG_DATE_*; OP_ASSIGN: ENG_ASG_*; OP_DATEPART: plan_date_part
                                 (a fiscal year starts in month n) */
    uint8_t afield;           /* 1: operand a is field a of the record (a fused OP_SRC), not a register */
    uint8_t assign;           /* ENG_ASG_*: then column col = dst (a fused OP_ASSIGN; never on a jump) */
    int16_t col;              /* output column being computed, -1 in rules: names reject reasons */
    uint32_t dst, a, b;       /* registers; a = field index (SRC), column (COL, ASSIGN), const (CONST) */
    uint32_t jump;            /* jump target */
    int64_t n, m;             /* numeric arguments; CMP: plan_binop in n */
    const char *s;            /* text argument (pad, prefix, delimiter, pattern, message) */
    size_t slen;
    const char *what;         /* conversion failure: "a MM/DD/YYYY date", "a number", ... */
    union {                   /* what one instruction needs beyond s: never two of these */
        const plan_numfmt *fmt;   /* OP_RNUM */
        const eng_table *tab;     /* OP_MAP, OP_RBOOL, OP_IN */
        const char *s2;           /* OP_REPLACE: the replacement ("" = removed), s2len bytes */
    };
    size_t s2len;
    mf_dec k;                 /* OP_MULK, OP_DIVK */
} eng_ins;

/* A constant register: worker creation sets regs[reg] = consts[k]; no instruction writes it. */
typedef struct eng_preload {
    uint32_t reg, k;
} eng_preload;

typedef struct eng_colspec {
    const char *name;
    plan_type type;
    bool required;
    bool rownum;              /* `row number`: null in the engine, written by the writer (run.c) */
} eng_colspec;

typedef struct eng_program {
    mf_arena arena;           /* owns everything below */
    eng_ins *code;
    int ncode;
    eng_val *consts;
    int nconsts;
    int nregs;
    eng_preload *pre;         /* registers holding constants, set once per worker (no OP_CONST) */
    int npre;
    int ncols;
    eng_colspec *cols;
    int nfields;              /* fields a record must have (the header's count) */
    int nrownum;              /* columns that are `row number` (eng_colspec.rownum) */
} eng_program;

/* Compile a checked plan against the data file's header (its field names, in order).
 * Fails (MF_EDATA) when a [Name] is not in the header, (MF_EQUESTION) on a hole, (MF_ETYPE)
 * when an expression cannot run.  path names the plan in errors. */
eng_program *eng_compile(const plan *p, const char *const *header, int nheader, const char *path,
                         mf_err *e);
void eng_program_free(eng_program *prog);

/* Cut a compiled program down to what the control totals need (check/totals.c): everything that can
 * decide a row's fate — skip and reject rules, control flow, every step that can fail, every
 * assignment that can reject (required, length, type), and what they read — plus the assignments of
 * the columns keep_col marks (the summed ones, ncols entries).  A record's fate (output, filtered,
 * rejected) is the one the whole program gives, and the kept columns hold the same values; other
 * columns' values, and reject reasons, are no longer meaningful.  A padding or case change that
 * only feeds its column's length check becomes a move (its result is too long exactly when its
 * operand is). */
void eng_prune_for_totals(eng_program *g, const bool *keep_col);

#endif
