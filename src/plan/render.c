/* render.c — the one canonical text of a plan (docs/plan-language.md is its grammar).
 *
 * Invariant: parse(render(p)) == p for every tree the builders can make with valid arguments.
 * Two things make that hold.  (1) Quoting: names, strings and comments escape everything the
 * lexer would read differently (quotes, brackets, back quotes, backslashes, control characters),
 * so no text can end a token or a statement early.  (2) Parentheses: every expression is written
 * at a precedence level, and constructs that are "open" on the right (if/else, days from..to,
 * negated when <cond>) are wrapped whenever something follows that they would swallow.
 */
#include "plan/plan.h"
#include "plan/plan_syntax.h"
#include "util/buf.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Precedence levels, loosest first (the grammar's top .. primary). */
enum { LV_TOP, LV_OR, LV_AND, LV_NOT, LV_CMP, LV_CONCAT, LV_SUM, LV_PROD, LV_TERM, LV_PRIM };

/* What may follow an expression in the text; an open construct is parenthesised when it would
 * swallow what follows.  0 = only hard ends: end of statement, ')', then, else, ':', when. */
enum { F_COMMA = 1, F_LOGIC = 2, F_CMP = 4, F_OP = 8, F_STEP = 16, F_ALL = 31 };

#define WRAP_WIDTH 100
#define COMMENT_AT_MAX 72   /* comments align after the widest statement up to this; wider ones follow their own */
#define LINE_WIDTH 120   /* no rendered line is wider, comments included (a word longer than a line aside) */

typedef struct rctx {
    mf_buf *b;
    int wrap_indent;   /* > 0: top-level comma steps may start a continuation line here */
    int depth;         /* rend calls now open: at most two per tree level */
} rctx;

/* rend recurses at most twice per level of the tree (once more for a parenthesis).  A tree past
 * PLAN_MAX_DEPTH (which no parsed or checked plan holds; only the planner could build one) is
 * written with ? from there on: an open question, so the text can never run as it stands. */
#define REND_MAX_DEPTH (2 * PLAN_MAX_DEPTH + 4)

/* ---- quoting ---------------------------------------------------------------------------------- */

static void put_escape(mf_buf *b, unsigned char c)
{
    switch (c) {
    case '\n': mf_buf_adds(b, "\\n"); break;
    case '\t': mf_buf_adds(b, "\\t"); break;
    case '\r': mf_buf_adds(b, "\\r"); break;
    default: mf_buf_printf(b, "\\u{%X}", c); break;
    }
}

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Body of a quoted token: `close` is doubled when dq, else backslash-escaped. */
static void put_quoted(mf_buf *b, const char *s, char open, char close, bool dq)
{
    mf_buf_addc(b, open);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == (unsigned char)close) {
            mf_buf_addc(b, dq ? close : '\\');
            mf_buf_addc(b, close);
        } else if (*p == '\\') {
            mf_buf_adds(b, "\\\\");
        } else if (is_control(*p)) {
            put_escape(b, *p);
        } else {
            mf_buf_addc(b, (char)*p);
        }
    }
    mf_buf_addc(b, close);
}

static void put_string(mf_buf *b, const char *s)
{
    put_quoted(b, s, '"', '"', false);
}

static void put_name(mf_buf *b, const char *s)
{
    if (plan_is_bare_name(s))
        mf_buf_adds(b, s);
    else
        put_quoted(b, s, '`', '`', true);
}

static void put_source(mf_buf *b, const char *s)
{
    put_quoted(b, s, '[', ']', true);
}

/* Provenance comment "# row N: text".  The text is escaped like a string (without quotes), its
 * trailing blanks are escaped so editors cannot strip them, and a text that would read as a row
 * prefix has its first letter escaped. */
static void put_comment(mf_buf *b, plan_prov pv)
{
    const char *t = pv.text ? pv.text : "";
    mf_buf_adds(b, "# ");
    if (pv.row > 0) {
        mf_buf_printf(b, "row %d", pv.row);
        if (!*t)
            return;
        mf_buf_adds(b, ": ");
    }
    size_t n = strlen(t);
    size_t keep = n;
    while (keep > 0 && (t[keep - 1] == ' ' || t[keep - 1] == '\t'))
        keep--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (i == 0 && pv.row <= 0 && !strncmp(t, "row ", 4))
            mf_buf_adds(b, "\\u{72}");
        else if (c == '\\')
            mf_buf_adds(b, "\\\\");
        else if (is_control(c) || i >= keep)
            put_escape(b, c);
        else
            mf_buf_addc(b, (char)c);
    }
}

void plan_type_name(plan_type t, char *buf, size_t n)
{
    switch (t.base) {
    case PT_UNKNOWN: snprintf(buf, n, "unknown"); break;
    case PT_NULL: snprintf(buf, n, "null"); break;
    case PT_TEXT:
        if (t.len > 0)
            snprintf(buf, n, "text(%d)", t.len);
        else
            snprintf(buf, n, "text");
        break;
    case PT_INTEGER: snprintf(buf, n, "integer"); break;
    case PT_BIGINT: snprintf(buf, n, "bigint"); break;
    case PT_DECIMAL:
        if (t.prec > 0)
            snprintf(buf, n, "decimal(%d,%d)", t.prec, t.scale);
        else
            snprintf(buf, n, "decimal");
        break;
    case PT_DATE: snprintf(buf, n, "date"); break;
    case PT_TIMESTAMP: snprintf(buf, n, "timestamp"); break;
    case PT_BOOLEAN: snprintf(buf, n, "boolean"); break;
    }
}

/* The buffer's text as a malloc'd string (the buffer is left empty). */
static char *take(mf_buf *b)
{
    char *s = b->data ? b->data : mf_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- expressions ------------------------------------------------------------------------------ */

static int level_of(const plan_expr *e)
{
    switch (e->kind) {
    case PE_OR: return LV_OR;
    case PE_AND: return LV_AND;
    case PE_NOT: return LV_NOT;
    case PE_CMP:
    case PE_MISSING:
    case PE_PRESENT:
    case PE_IN:
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS: return LV_CMP;
    case PE_BINARY:
        if (e->op == PB_CONCAT)
            return LV_CONCAT;
        return (e->op == PB_ADD || e->op == PB_SUB) ? LV_SUM : LV_PROD;
    case PE_STEP: return LV_TERM;
    default: return LV_PRIM;
    }
}

/* What the unparenthesised text of e would swallow if it followed e. */
static int absorbs(const plan_expr *e)
{
    if (e->kind == PE_IF)
        return F_ALL;
    if (e->kind == PE_DAYS)
        return F_OP;
    if (e->kind == PE_LENGTH)   /* length of TERM: a step without a comma would join the term */
        return F_STEP;
    if (e->kind == PE_STEP && e->step.kind == PS_NEGATE_WHEN)
        return F_LOGIC | F_CMP | F_OP;
    return 0;
}

static void rend(rctx *r, const plan_expr *e, int minlevel, int follow);

static void rend_nowrap(rctx *r, const plan_expr *e, int minlevel, int follow)
{
    int saved = r->wrap_indent;
    r->wrap_indent = 0;
    rend(r, e, minlevel, follow);
    r->wrap_indent = saved;
}

static void rend_otherwise(rctx *r, const plan_map *m)
{
    switch (m->otherwise) {
    case PO_KEEP: mf_buf_adds(r->b, "otherwise unchanged"); break;
    case PO_REJECT: mf_buf_adds(r->b, "otherwise rejected"); break;
    case PO_NULL: mf_buf_adds(r->b, "otherwise null"); break;
    case PO_VALUE:
        mf_buf_adds(r->b, "otherwise ");
        if (m->other)
            rend_nowrap(r, m->other, LV_PRIM, 0);
        else
            mf_buf_adds(r->b, "null");
        break;
    }
}

static void rend_value(rctx *r, const plan_expr *v)
{
    if (v)
        rend_nowrap(r, v, LV_PRIM, 0);
    else
        mf_buf_adds(r->b, "null");
}

static void rend_numfmt(mf_buf *b, const plan_numfmt *f)
{
    char dec = f->decimal ? f->decimal : '.';
    int n = 0;
    char one[2] = {0, 0};
    if (!f->thousands && dec == '.' && !f->paren_negative && !f->trailing_minus && !f->currency)
        return;
    mf_buf_adds(b, " (");
    if (f->thousands) {
        one[0] = f->thousands;
        mf_buf_adds(b, "thousands ");
        put_string(b, one);
        n++;
    }
    if (dec != '.') {
        one[0] = dec;
        mf_buf_adds(b, n++ ? ", decimal " : "decimal ");
        put_string(b, one);
    }
    if (f->paren_negative)
        mf_buf_adds(b, n++ ? ", negative in parentheses" : "negative in parentheses");
    if (f->trailing_minus)
        mf_buf_adds(b, n++ ? ", trailing minus" : "trailing minus");
    if (f->currency) {
        mf_buf_adds(b, n++ ? ", currency " : "currency ");
        put_string(b, f->currency);
    }
    mf_buf_addc(b, ')');
}

static bool bare_pattern(const char *s)
{
    if (!s || !*s || plan_pattern_reserved(s, strlen(s)) || s[strlen(s) - 1] == ':')
        return false;   /* a trailing ':' would read as the ':' of a rule's message */
    for (const char *p = s; *p; p++)
        if (!plan_bare_pattern_char((unsigned char)*p))
            return false;
    return true;
}

/* One step's words; follow is what comes after the step (matters for "negated when"). */
static void rend_step(rctx *r, const plan_step *s, int follow)
{
    mf_buf *b = r->b;
    switch (s->kind) {
    case PS_TRIM: mf_buf_adds(b, "trimmed"); break;
    case PS_UPPER: mf_buf_adds(b, "upper cased"); break;
    case PS_LOWER: mf_buf_adds(b, "lower cased"); break;
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT:
        mf_buf_adds(b, s->kind == PS_PAD_LEFT ? "padded left with " : "padded right with ");
        put_string(b, s->s);
        mf_buf_printf(b, " to %ld", s->n);
        break;
    case PS_PREFIX: mf_buf_adds(b, "prefixed with "); put_string(b, s->s); break;
    case PS_SUFFIX: mf_buf_adds(b, "suffixed with "); put_string(b, s->s); break;
    case PS_FIRST: mf_buf_printf(b, "first %ld characters", s->n); break;
    case PS_LAST: mf_buf_printf(b, "last %ld characters", s->n); break;
    case PS_SUBSTR: mf_buf_printf(b, "characters %ld to %ld", s->n, s->m); break;
    case PS_BEFORE:
    case PS_AFTER:
        mf_buf_adds(b, s->kind == PS_BEFORE ? "text before " : "text after ");
        if (s->m == 1)
            mf_buf_adds(b, "last ");
        put_string(b, s->s);
        break;
    case PS_REPLACE:
        mf_buf_adds(b, "with ");
        put_string(b, s->s);
        if (!s->s2 || !s->s2[0]) {
            mf_buf_adds(b, " removed");
        } else {
            mf_buf_adds(b, " replaced by ");
            put_string(b, s->s2);
        }
        break;
    case PS_STRIP:
        mf_buf_adds(b, s->m == 1 ? "with trailing " : "with leading ");
        put_string(b, s->s);
        mf_buf_adds(b, " removed");
        break;
    case PS_SQUISH: mf_buf_adds(b, "with spaces collapsed"); break;
    case PS_TITLE: mf_buf_adds(b, "title cased"); break;
    case PS_DIGITS: mf_buf_adds(b, "digits only"); break;
    case PS_DATE_PART:
        mf_buf_adds(b, "its ");
        mf_buf_adds(b, s->s ? s->s : "year");
        if (plan_date_part_of(s->s) == PD_FISCAL_YEAR)
            mf_buf_printf(b, " (starting month %ld)", s->n);
        break;
    case PS_FORMAT_DATE: mf_buf_adds(b, "written as "); put_string(b, s->s); break;
    case PS_ADD_DAYS:
        if (s->n < 0)
            mf_buf_printf(b, "minus %lld days", -(long long)s->n);
        else
            mf_buf_printf(b, "plus %ld days", s->n);
        break;
    case PS_END_OF_MONTH: mf_buf_adds(b, "end of month"); break;
    case PS_READ_DATE:
        mf_buf_adds(b, "read as ");
        if (bare_pattern(s->s))
            mf_buf_adds(b, s->s);
        else
            put_string(b, s->s);
        if (s->n)
            mf_buf_printf(b, " (pivot %ld)", s->n);
        break;
    case PS_READ_ISO: mf_buf_adds(b, "read as ISO date"); break;
    case PS_READ_EXCEL: mf_buf_adds(b, "read as Excel serial date"); break;
    case PS_READ_NUMBER:
        mf_buf_adds(b, "read as number");
        rend_numfmt(b, &s->numfmt);
        break;
    case PS_READ_INTEGER: mf_buf_adds(b, "read as integer"); break;
    case PS_READ_BOOL:
        mf_buf_adds(b, "read as boolean");
        if (s->map.n > 0) {
            mf_buf_adds(b, " (");
            for (int i = 0; i < s->map.n; i++) {
                if (i)
                    mf_buf_adds(b, ", ");
                put_string(b, s->map.from[i]);
                mf_buf_adds(b, " = ");
                rend_value(r, s->map.to[i]);
            }
            mf_buf_addc(b, ')');
        }
        break;
    case PS_MUL: mf_buf_printf(b, "multiplied by %s", s->num ? s->num : "1"); break;
    case PS_DIV: mf_buf_printf(b, "divided by %s", s->num ? s->num : "1"); break;
    case PS_ROUND:
        mf_buf_printf(b, "rounded %sto %ld decimals", s->m == 1 ? "up " : s->m == 2 ? "down " : "", s->n);
        break;
    case PS_NEGATE: mf_buf_adds(b, "negated"); break;
    case PS_NEGATE_WHEN:
        mf_buf_adds(b, "negated when ");
        if (s->cond)
            rend_nowrap(r, s->cond, LV_OR, follow);
        else
            mf_buf_adds(b, "?");
        break;
    case PS_ABS: mf_buf_adds(b, "absolute value"); break;
    case PS_DEFAULT:
        mf_buf_adds(b, "defaulting to ");
        rend_value(r, s->value);
        mf_buf_adds(b, " when missing");
        break;
    case PS_MAP:
        mf_buf_adds(b, "mapped (");
        for (int i = 0; i < s->map.n; i++) {
            if (i)
                mf_buf_adds(b, ", ");
            put_string(b, s->map.from[i]);
            mf_buf_adds(b, " -> ");
            rend_value(r, s->map.to[i]);
        }
        if (s->map.otherwise != PO_KEEP) {
            if (s->map.n)
                mf_buf_adds(b, ", ");
            rend_otherwise(r, &s->map);
        }
        mf_buf_addc(b, ')');
        break;
    case PS_LOOKUP:
        mf_buf_adds(b, "looked up in ");
        put_name(b, s->s ? s->s : "");
        if (s->map.otherwise != PO_KEEP) {
            mf_buf_adds(b, " (");
            rend_otherwise(r, &s->map);
            mf_buf_addc(b, ')');
        }
        break;
    }
}

static size_t line_len(const mf_buf *b)
{
    const char *s = mf_buf_str(b);
    const char *nl = strrchr(s, '\n');
    return nl ? (size_t)(s + b->len - nl - 1) : b->len;
}

/* At the top level a chain of steps is written "base s1, s2, s3" (or "base, s1, s2" when the
 * base is not a term); the comma steps may each begin a continuation line. */
static void rend_top_chain(rctx *r, const plan_expr *e, int follow)
{
    const plan_expr *chain[64];
    int k = 0;
    const plan_expr *base = e;
    while (base->kind == PE_STEP && base->kid[0] && k < 64) {
        chain[k++] = base;
        base = base->kid[0];
    }
    if (base->kind == PE_STEP) {   /* a very long chain: the rest is rendered as a term */
        rend_nowrap(r, base, LV_TERM, F_COMMA);
    } else if (level_of(base) >= LV_PRIM && !(absorbs(base) & (F_OP | F_STEP))) {
        rend_nowrap(r, base, LV_PRIM, F_OP | F_STEP);
        mf_buf_addc(r->b, ' ');
        k--;
        rend_step(r, &chain[k]->step, k ? F_COMMA : follow);
    } else {
        rend_nowrap(r, base, LV_OR, F_COMMA);
    }
    while (k > 0) {
        k--;
        const plan_step *s = &chain[k]->step;
        mf_buf *tmp_b = r->b;
        mf_buf piece = {0};
        r->b = &piece;
        rend_step(r, s, k ? F_COMMA : follow);
        r->b = tmp_b;
        if (r->wrap_indent > 0 && line_len(r->b) + 2 + piece.len > WRAP_WIDTH) {
            mf_buf_adds(r->b, ",\n");
            for (int i = 0; i < r->wrap_indent; i++)
                mf_buf_addc(r->b, ' ');
        } else {
            mf_buf_adds(r->b, ", ");
        }
        mf_buf_add(r->b, mf_buf_str(&piece), piece.len);
        mf_buf_free(&piece);
    }
}

static const char *cmp_word(int op)
{
    switch (op) {
    case PB_EQ: return " is ";
    case PB_NE: return " is not ";
    case PB_LT: return " < ";
    case PB_LE: return " <= ";
    case PB_GT: return " > ";
    default: return " >= ";
    }
}

static void rend_kid(rctx *r, const plan_expr *e, int minlevel, int follow)
{
    if (e)
        rend_nowrap(r, e, minlevel, follow);
    else
        mf_buf_addc(r->b, '?');   /* a missing operand is an open question */
}

static void rend_in(rctx *r, const plan_expr *e, int minlevel, int follow);

static void rend(rctx *r, const plan_expr *e, int minlevel, int follow)
{
    if (r->depth >= REND_MAX_DEPTH) {
        mf_buf_addc(r->b, '?');
        return;
    }
    r->depth++;
    rend_in(r, e, minlevel, follow);
    r->depth--;
}

static void rend_in(rctx *r, const plan_expr *e, int minlevel, int follow)
{
    mf_buf *b = r->b;
    if (!e) {
        mf_buf_addc(b, '?');
        return;
    }
    int lv = level_of(e);
    if (lv < minlevel || (absorbs(e) & follow)) {
        mf_buf_addc(b, '(');
        rend_nowrap(r, e, LV_TOP, 0);
        mf_buf_addc(b, ')');
        return;
    }
    switch (e->kind) {
    case PE_SOURCE: put_source(b, e->name); break;
    case PE_OUTPUT: put_name(b, e->name ? e->name : ""); break;
    case PE_TEXT: put_string(b, e->text); break;
    case PE_NUMBER: mf_buf_adds(b, e->text ? e->text : "0"); break;
    case PE_BOOL: mf_buf_adds(b, e->flag ? "true" : "false"); break;
    case PE_NULL: mf_buf_adds(b, "null"); break;
    case PE_HOLE: mf_buf_addc(b, '?'); break;
    case PE_BINARY: {
        char op[4] = {' ', (char)e->op, ' ', 0};
        rend_kid(r, e->kid[0], lv, F_OP);
        mf_buf_adds(b, op);
        rend_kid(r, e->kid[1], lv + 1, follow);
        break;
    }
    case PE_STEP:
        if (minlevel == LV_TOP) {
            rend_top_chain(r, e, follow);
        } else {
            rend_kid(r, e->kid[0], LV_TERM, F_OP | F_STEP);
            mf_buf_addc(b, ' ');
            rend_step(r, &e->step, follow);
        }
        break;
    case PE_IF:
        mf_buf_adds(b, "if ");
        rend_kid(r, e->kid[0], LV_OR, 0);
        mf_buf_adds(b, " then ");
        rend_kid(r, e->kid[1], LV_TOP, 0);
        mf_buf_adds(b, " else ");
        rend_kid(r, e->kid[2], LV_TOP, follow);
        break;
    case PE_DAYS:
        mf_buf_adds(b, "days from ");
        rend_kid(r, e->kid[0], LV_CONCAT, 0);
        mf_buf_adds(b, " to ");
        rend_kid(r, e->kid[1], LV_CONCAT, follow);
        break;
    case PE_LENGTH:
        mf_buf_adds(b, "length of ");
        rend_kid(r, e->kid[0], LV_TERM, follow);
        break;
    case PE_ROWNUM: mf_buf_adds(b, "row number"); break;
    case PE_CMP:
        rend_kid(r, e->kid[0], LV_CONCAT, F_CMP);
        mf_buf_adds(b, cmp_word(e->op));
        rend_kid(r, e->kid[1], LV_CONCAT, follow);
        break;
    case PE_MISSING:
    case PE_PRESENT:
        rend_kid(r, e->kid[0], LV_CONCAT, F_CMP);
        mf_buf_adds(b, e->kind == PE_MISSING ? " is missing" : " is present");
        break;
    case PE_IN:
        rend_kid(r, e->kid[0], LV_CONCAT, F_CMP);
        mf_buf_adds(b, " is one of (");
        for (int i = 0; i < e->nlist; i++) {
            if (i)
                mf_buf_adds(b, ", ");
            put_string(b, e->list[i]);
        }
        mf_buf_addc(b, ')');
        break;
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS:
        rend_kid(r, e->kid[0], LV_CONCAT, F_CMP);
        mf_buf_adds(b, e->kind == PE_CONTAINS ? " contains " : e->kind == PE_STARTS ? " starts with " : " ends with ");
        put_string(b, e->text);
        break;
    case PE_AND:
    case PE_OR:
        rend_kid(r, e->kid[0], lv, F_LOGIC);
        mf_buf_adds(b, e->kind == PE_AND ? " and " : " or ");
        rend_kid(r, e->kid[1], lv + 1, follow);
        break;
    case PE_NOT:
        mf_buf_adds(b, "not ");
        rend_kid(r, e->kid[0], LV_NOT, follow);
        break;
    }
}

char *plan_render_expr(const plan_expr *e)
{
    mf_buf b = {0};
    rctx r = {&b, 0, 0};
    rend(&r, e, LV_TOP, 0);
    return take(&b);
}

/* ---- statements ------------------------------------------------------------------------------- */

typedef struct stmt_text {
    char *text;        /* the statement without its comment (may hold continuation lines) */
    plan_prov prov;
    bool has_prov;
} stmt_text;

static size_t width_of(const char *s, size_t n)
{
    return mf_utf8_count(s, n);
}

static void pad_to(mf_buf *b, size_t have, size_t want)
{
    while (have++ < want)
        mf_buf_addc(b, ' ');
}

/* A provenance comment (c: "# row N: text", already escaped) written from display column col, its
 * text wrapped at single spaces onto indented comment-only lines so that no line passes
 * LINE_WIDTH (parse.c joins them back with one space).  The first line keeps "# row N:" (or "# "
 * and one word); a word longer than the room left stays whole. */
static void put_wrapped_comment(mf_buf *b, const char *c, size_t n, size_t col, size_t indent)
{
    size_t min = 2;   /* after "# " */
    if (n > 6 && !memcmp(c, "# row ", 6)) {
        const char *colon = memchr(c, ':', n);
        min = colon ? (size_t)(colon - c) + 1 : n;   /* the text may start on the next line */
    }
    size_t start = 0;
    bool first = true;
    for (;;) {
        size_t room = LINE_WIDTH > col ? LINE_WIDTH - col : 1;
        size_t lead = first ? 0 : 2;   /* "# " before a continuation's text */
        if (width_of(c + start, n - start) + lead <= room) {
            if (!first)
                mf_buf_adds(b, "# ");
            mf_buf_add(b, c + start, n - start);
            return;
        }
        size_t cut = 0, w = lead, at = start;   /* a single space between two non-spaces, rightmost that fits */
        for (size_t i = start + (first ? min : 1); i + 1 < n; i++) {
            if (c[i] != ' ' || c[i - 1] == ' ' || c[i + 1] == ' ')
                continue;
            w += width_of(c + at, i - at);
            at = i;
            if (cut && w > room)
                break;
            cut = i;
            if (w > room)
                break;
        }
        if (!cut) {
            if (!first)
                mf_buf_adds(b, "# ");
            mf_buf_add(b, c + start, n - start);
            return;
        }
        if (!first)
            mf_buf_adds(b, "# ");
        mf_buf_add(b, c + start, cut - start);
        mf_buf_addc(b, '\n');
        pad_to(b, 0, indent);
        col = indent;
        start = cut + 1;
        first = false;
    }
}

static char *render_column(const plan_column *c, size_t name_w, size_t type_w)
{
    mf_buf b = {0}, nm = {0};
    char ty[64];
    put_name(&nm, c->name ? c->name : "");
    plan_type_name(c->type, ty, sizeof ty);
    mf_buf_add(&b, mf_buf_str(&nm), nm.len);
    pad_to(&b, width_of(mf_buf_str(&nm), nm.len), name_w + 2);
    size_t tw = strlen(ty);
    mf_buf_adds(&b, ty);
    if (c->required) {
        mf_buf_adds(&b, " required");
        tw += 9;
    }
    pad_to(&b, tw, type_w + 2);
    mf_buf_adds(&b, "= ");
    rctx r = {&b, (int)(name_w + 2 + type_w + 4), 0};
    rend(&r, c->expr, LV_TOP, 0);
    mf_buf_free(&nm);
    return take(&b);
}

static char *render_rule(const plan_rule *u)
{
    mf_buf b = {0};
    rctx r = {&b, 0, 0};
    mf_buf_adds(&b, u->kind == PR_SKIP ? "skip rows where " : u->kind == PR_CHECK ? "check " : "reject rows where ");
    rend(&r, u->cond, LV_OR, 0);
    if (u->kind != PR_SKIP && u->message) {
        mf_buf_adds(&b, ": ");
        put_string(&b, u->message);
    }
    return take(&b);
}

static char *render_key(const plan *p)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "key ");
    for (int i = 0; i < p->nkeys; i++) {
        if (i)
            mf_buf_adds(&b, ", ");
        put_name(&b, p->keys[i]);
    }
    return take(&b);
}

static char *render_lookup(const plan_lookup *l)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "lookup ");
    put_name(&b, l->name ? l->name : "");
    if (l->tab) {
        mf_buf_adds(&b, " from tab ");
        put_string(&b, l->tab);
    }
    if (l->key_col || l->value_col) {
        mf_buf_adds(&b, " (");
        if (l->key_col) {
            mf_buf_adds(&b, "key ");
            put_string(&b, l->key_col);
        }
        if (l->value_col) {
            mf_buf_adds(&b, l->key_col ? ", value " : "value ");
            put_string(&b, l->value_col);
        }
        mf_buf_addc(&b, ')');
    }
    mf_buf_addc(&b, ':');
    for (int i = 0; i < l->n; i++) {
        mf_buf_adds(&b, "\n  ");
        put_string(&b, l->key[i]);
        mf_buf_adds(&b, " -> ");
        put_string(&b, l->value[i]);
    }
    return take(&b);
}

static char *render_question(const plan_question *q)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "question");
    if (q->column) {
        mf_buf_adds(&b, " about ");
        put_name(&b, q->column);
    }
    if (q->row > 0)
        mf_buf_printf(&b, " (row %d)", q->row);
    mf_buf_adds(&b, ": ");
    put_string(&b, q->text);
    return take(&b);
}

static char *render_note(const plan_note *n)
{
    mf_buf b = {0};
    mf_buf_adds(&b, "note: ");
    put_string(&b, n->text);
    return take(&b);
}

static size_t first_line_width(const char *s)
{
    const char *nl = strchr(s, '\n');
    return width_of(s, nl ? (size_t)(nl - s) : strlen(s));
}

static void render_header(mf_buf *b, const plan *p)
{
    char one[2] = {0, 0};
    mf_buf_adds(b, "plan ");
    put_name(b, p->client ? p->client : "");
    mf_buf_printf(b, " v%d\nsource ", p->version);
    put_string(b, p->source.file);
    mf_buf_adds(b, ": csv, delimiter ");
    one[0] = p->source.delimiter;
    put_string(b, one);
    mf_buf_adds(b, ", quote ");
    if (p->source.quote) {
        one[0] = p->source.quote;
        put_string(b, one);
    } else {
        mf_buf_adds(b, "none");
    }
    mf_buf_printf(b, ", encoding %s, header on line %ld\n", plan_encoding_name(p->source.encoding),
                  p->source.header_line);
    if (p->mapping.file) {
        mf_buf_adds(b, "mapping ");
        put_string(b, p->mapping.file);
        mf_buf_adds(b, ", sheet ");
        put_string(b, p->mapping.sheet ? p->mapping.sheet : "");
        mf_buf_adds(b, ", sha256 ");
        put_string(b, p->mapping.sha256 ? p->mapping.sha256 : "");
        mf_buf_addc(b, '\n');
    }
    mf_buf_adds(b, "output ");
    put_name(b, p->output ? p->output : "");
    mf_buf_adds(b, "\n\n");
}

char *plan_render(const plan *p)
{
    int n = p->ncols + p->nrules + p->nlookups + p->nnotes + p->nquestions + 2;
    stmt_text *st = mf_xcalloc((size_t)n, sizeof *st);
    int k = 0;
    size_t name_w = 0, type_w = 0;
    for (int i = 0; i < p->ncols; i++) {
        mf_buf nm = {0};
        char ty[64];
        put_name(&nm, p->cols[i].name ? p->cols[i].name : "");
        size_t w = width_of(mf_buf_str(&nm), nm.len);
        name_w = w > name_w ? w : name_w;
        plan_type_name(p->cols[i].type, ty, sizeof ty);
        w = strlen(ty) + (p->cols[i].required ? 9 : 0);
        type_w = w > type_w ? w : type_w;
        mf_buf_free(&nm);
    }
    for (int i = 0; i < p->ncols; i++, k++) {
        st[k].text = render_column(&p->cols[i], name_w, type_w);
        st[k].prov = p->cols[i].prov;
        st[k].has_prov = true;
    }
    if (p->source.skip_last > 0) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "skip the last %ld rows", p->source.skip_last);
        st[k++].text = mf_xstrdup(tmp);
    }
    for (int i = 0; i < p->nrules; i++, k++) {
        st[k].text = render_rule(&p->rules[i]);
        st[k].prov = p->rules[i].prov;
        st[k].has_prov = true;
    }
    if (p->nkeys > 0) {
        st[k].text = render_key(p);
        st[k].prov = p->key_prov;
        st[k++].has_prov = true;
    }
    for (int i = 0; i < p->nlookups; i++, k++) {
        st[k].text = render_lookup(&p->lookups[i]);
        st[k].prov = p->lookups[i].prov;
        st[k].has_prov = true;
    }
    for (int i = 0; i < p->nnotes; i++, k++) {
        st[k].text = render_note(&p->notes[i]);
        st[k].prov = p->notes[i].prov;
        st[k].has_prov = true;
    }
    for (int i = 0; i < p->nquestions; i++, k++)
        st[k].text = render_question(&p->questions[i]);

    /* comments line up after the widest first line (within reason) */
    size_t comment_at = 0;
    for (int i = 0; i < k; i++) {
        size_t w = first_line_width(st[i].text);
        if (w <= COMMENT_AT_MAX && w > comment_at)
            comment_at = w;
    }
    mf_buf out = {0};
    render_header(&out, p);
    for (int i = 0; i < k; i++) {
        const char *t = st[i].text;
        bool comment = st[i].has_prov && (st[i].prov.row > 0 || (st[i].prov.text && st[i].prov.text[0]));
        const char *nl = strchr(t, '\n');
        size_t first = nl ? (size_t)(nl - t) : strlen(t);
        mf_buf_add(&out, t, first);
        if (comment) {
            size_t w0 = first_line_width(t);
            pad_to(&out, w0, comment_at);
            mf_buf_adds(&out, "  ");
            mf_buf cm = {0};
            put_comment(&cm, st[i].prov);
            put_wrapped_comment(&out, mf_buf_str(&cm), cm.len, (w0 > comment_at ? w0 : comment_at) + 2,
                                comment_at + 2);
            mf_buf_free(&cm);
        }
        mf_buf_adds(&out, t + first);
        mf_buf_addc(&out, '\n');
        free(st[i].text);
    }
    free(st);
    return take(&out);
}
