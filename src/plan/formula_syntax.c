/* formula_syntax.c — tokens and syntax tree of a SQL or Excel formula (see formula_syntax.h).
 *
 * The lexer turns the text into tokens (numbers, 'sql' and "excel" strings with doubled-quote
 * escapes, identifiers, [bracketed] references, operators); the parser is a recursive descent
 * over them, one function per precedence level, lowest first:
 *   OR < AND < NOT < comparison (= <> < <= > >= IN IS LIKE BETWEEN) < & and || < + - < * / < unary -
 * Keywords are identifiers compared without case.  Depth is bounded (FX_MAX_DEPTH): hostile
 * nesting ends in an error, never a stack overflow.  `--` starts a comment only outside quotes;
 * the caller (formula.c) cuts comments and remarks off before parsing.
 */
#include "plan/formula_syntax.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum ft_kind { FT_END, FT_NUM, FT_STR, FT_IDENT, FT_REF, FT_OP } ft_kind;

typedef struct ftok {
    ft_kind k;
    const char *s;    /* text (unescaped for strings, name for references, operator spelling) */
    size_t pos;
    bool pct;         /* number written with %; a reference written [@...] (Excel's table row); a string
                         written in double quotes */
} ftok;

typedef struct fparser {
    mf_arena *a;
    const char *text;
    size_t len;
    ftok *t;
    int n, i, cap;
    int depth;
    bool failed;
    char *why;
    size_t whycap;
} fparser;

static void fail(fparser *P, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(fparser *P, size_t pos, const char *fmt, ...)
{
    if (P->failed)
        return;
    P->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(P->why, P->whycap, "%s (at character %zu)", msg, pos + 1);
}

/* ---- lexer ----------------------------------------------------------------------------------- */

static void push(fparser *P, ft_kind k, const char *s, size_t pos)
{
    if (P->n + 1 >= P->cap) {
        int cap = P->cap ? P->cap * 2 : 64;
        ftok *t = mf_arena_alloc(P->a, sizeof(ftok) * (size_t)cap);
        if (P->n)
            memcpy(t, P->t, sizeof(ftok) * (size_t)P->n);
        P->t = t;
        P->cap = cap;
    }
    P->t[P->n++] = (ftok){.k = k, .s = s, .pos = pos};
}

static bool ident_byte(unsigned char c, bool first)
{
    return isalpha(c) || c == '_' || c == '$' || c >= 0x80 || (!first && isdigit(c));
}

/* A quoted string starting at i (quote q, doubled to escape).  Returns the index after it. */
static size_t lex_string(fparser *P, size_t i, char q)
{
    size_t start = i++;
    char *out = mf_arena_alloc(P->a, P->len - i + 1);
    size_t o = 0;
    while (i < P->len) {
        if (P->text[i] == q) {
            if (i + 1 < P->len && P->text[i + 1] == q) {
                out[o++] = q;
                i += 2;
                continue;
            }
            out[o] = 0;
            push(P, FT_STR, out, start);
            P->t[P->n - 1].pct = q == '"';   /* double-quoted: a name in SQL */
            return i + 1;
        }
        out[o++] = P->text[i++];
    }
    fail(P, start, "a quote %c is not closed", q);
    return P->len;
}

/* “text” or ‘text’ (a formula pasted through a word processor): closed by its curly mate. */
static size_t lex_curly(fparser *P, size_t i)
{
    size_t start = i;
    bool dq = (unsigned char)P->text[i + 2] == 0x9C;
    unsigned char close = dq ? 0x9D : 0x99;
    i += 3;
    size_t b = i;
    while (i + 2 < P->len && !((unsigned char)P->text[i] == 0xE2 && (unsigned char)P->text[i + 1] == 0x80 &&
                               (unsigned char)P->text[i + 2] == close))
        i++;
    if (i + 2 >= P->len) {
        fail(P, start, "a curly quote is not closed");
        return P->len;
    }
    push(P, FT_STR, mf_arena_strndup(P->a, P->text + b, i - b), start);
    P->t[P->n - 1].pct = dq;
    return i + 3;
}

/* [Col], [@Col], [@[Col Name]], [Tab[Col]] — a reference to a column by name. */
static size_t lex_ref(fparser *P, size_t i)
{
    size_t start = i++;
    bool at = i < P->len && P->text[i] == '@';
    if (at)
        i++;
    bool inner = i < P->len && P->text[i] == '[';
    if (inner)
        i++;
    size_t b = i;
    while (i < P->len && P->text[i] != ']')
        i++;
    if (i >= P->len) {
        fail(P, start, "a bracket [ is not closed");
        return P->len;
    }
    push(P, FT_REF, mf_arena_strndup(P->a, P->text + b, i - b), start);
    P->t[P->n - 1].pct = at;
    i++;
    if (inner) {
        if (i >= P->len || P->text[i] != ']') {
            fail(P, start, "a reference [@[...]] is not closed");
            return P->len;
        }
        i++;
    }
    return i;
}

static void lex(fparser *P)
{
    static const char *const OPS2[] = {"||", "<>", "!=", "<=", ">=", "->", "=>", NULL};
    size_t i = 0;
    while (i < P->len && !P->failed) {
        unsigned char c = (unsigned char)P->text[i];
        if (isspace(c)) {
            i++;
        } else if (isdigit(c) || (c == '.' && i + 1 < P->len && isdigit((unsigned char)P->text[i + 1]))) {
            size_t b = i;
            while (i < P->len && isdigit((unsigned char)P->text[i]))
                i++;
            if (i + 1 < P->len && P->text[i] == '.' && isdigit((unsigned char)P->text[i + 1]))
                for (i++; i < P->len && isdigit((unsigned char)P->text[i]);)
                    i++;
            if (i < P->len && ident_byte((unsigned char)P->text[i], false) && P->text[i] != '$') {
                /* 2nd, 3rd, or a cell such as 1A: not a number of a formula */
                fail(P, b, "\"%.*s\" is not a number", (int)(i - b + 1), P->text + b);
                return;
            }
            push(P, FT_NUM, mf_arena_strndup(P->a, P->text + b, i - b), b);
            if (i < P->len && P->text[i] == '%') {
                P->t[P->n - 1].pct = true;
                i++;
            }
        } else if (c == '\'' || c == '"') {
            i = lex_string(P, i, (char)c);
        } else if (c == 0xE2 && i + 2 < P->len && (unsigned char)P->text[i + 1] == 0x80 &&
                   ((unsigned char)P->text[i + 2] == 0x9C || (unsigned char)P->text[i + 2] == 0x98)) {
            i = lex_curly(P, i);
        } else if (c == '[') {
            i = lex_ref(P, i);
        } else if (ident_byte(c, true)) {
            size_t b = i;
            while (i < P->len && ident_byte((unsigned char)P->text[i], false))
                i++;
            push(P, FT_IDENT, mf_arena_strndup(P->a, P->text + b, i - b), b);
        } else {
            const char *op = NULL;
            for (int k = 0; OPS2[k] && !op; k++)
                if (i + 1 < P->len && P->text[i] == OPS2[k][0] && P->text[i + 1] == OPS2[k][1])
                    op = OPS2[k];
            if (op) {
                push(P, FT_OP, op, i);
                i += 2;
            } else if (strchr("()+-*/&=<>,;.!:%", (int)c)) {
                push(P, FT_OP, mf_arena_strndup(P->a, P->text + i, 1), i);
                i++;
            } else {
                fail(P, i, "the character '%c' is not part of a formula", c);
                return;
            }
        }
    }
    push(P, FT_END, "", P->len);
}

/* ---- parser helpers -------------------------------------------------------------------------- */

static const ftok *peek(const fparser *P, int k)
{
    int j = P->i + k;
    return &P->t[j < P->n ? j : P->n - 1];
}

static bool is_op(const fparser *P, int k, const char *op)
{
    const ftok *t = peek(P, k);
    return t->k == FT_OP && !strcmp(t->s, op);
}

static bool is_kw(const fparser *P, int k, const char *kw)
{
    const ftok *t = peek(P, k);
    return t->k == FT_IDENT && !strcasecmp(t->s, kw);
}

static bool accept_op(fparser *P, const char *op)
{
    if (!is_op(P, 0, op))
        return false;
    P->i++;
    return true;
}

static bool accept_kw(fparser *P, const char *kw)
{
    if (!is_kw(P, 0, kw))
        return false;
    P->i++;
    return true;
}

static void expect_op(fparser *P, const char *op)
{
    if (!accept_op(P, op))
        fail(P, peek(P, 0)->pos, "expected '%s'", op);
}

static void expect_kw(fparser *P, const char *kw)
{
    if (!accept_kw(P, kw))
        fail(P, peek(P, 0)->pos, "expected %s", kw);
}

bool fx_is_kw(const fx_node *n, const char *kw)
{
    return n && n->kind == FX_NAME && !n->s2 && !strcasecmp(n->s, kw);
}

static fx_node *node(fparser *P, fx_kind k, size_t pos, int nkids)
{
    fx_node *x = mf_arena_alloc(P->a, sizeof *x);
    x->kind = k;
    x->pos = pos;
    x->a = x->b = -1;
    x->n = nkids;
    if (nkids)
        x->kid = mf_arena_alloc(P->a, sizeof(fx_node *) * (size_t)nkids);
    return x;
}

static fx_node *bin(fparser *P, int op, fx_node *l, fx_node *r)
{
    fx_node *x = node(P, FX_BIN, l->pos, 2);
    x->op = op;
    x->kid[0] = l;
    x->kid[1] = r;
    return x;
}

/* A growable list of nodes (arguments, CASE arms). */
typedef struct nlist {
    fx_node **v;
    int n, cap;
} nlist;

static void nl_add(fparser *P, nlist *l, fx_node *x)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        fx_node **v = mf_arena_alloc(P->a, sizeof(fx_node *) * (size_t)cap);
        if (l->n)
            memcpy(v, l->v, sizeof(fx_node *) * (size_t)l->n);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
}

static fx_node *from_list(fparser *P, fx_kind k, size_t pos, const nlist *l)
{
    fx_node *x = node(P, k, pos, 0);
    x->n = l->n;
    x->kid = l->v;
    return x;
}

static fx_node *expr(fparser *P);

/* ---- primaries ------------------------------------------------------------------------------- */

/* CAST(x AS T) / CONVERT(T, x) type: NAME [NAME] ['(' n [',' m] ')'] */
static fx_node *type_name(fparser *P)
{
    const ftok *t = peek(P, 0);
    if (t->k != FT_IDENT) {
        fail(P, t->pos, "expected a type name");
        return NULL;
    }
    fx_node *x = node(P, FX_TYPE, t->pos, 0);
    x->s = t->s;
    P->i++;
    if (peek(P, 0)->k == FT_IDENT && (is_kw(P, 0, "PRECISION") || is_kw(P, 0, "VARYING")))
        P->i++;
    if (accept_op(P, "(")) {
        const ftok *a = peek(P, 0);
        if (a->k == FT_NUM)
            x->a = strtol(a->s, NULL, 10), P->i++;
        else if (a->k == FT_IDENT && !strcasecmp(a->s, "MAX"))
            P->i++;
        else
            fail(P, a->pos, "expected a length");
        if (accept_op(P, ",")) {
            const ftok *b = peek(P, 0);
            if (b->k != FT_NUM)
                fail(P, b->pos, "expected a scale");
            else
                x->b = strtol(b->s, NULL, 10), P->i++;
        }
        expect_op(P, ")");
    }
    return x;
}

/* The arguments of a function after '(' up to ')', with the SQL special forms. */
static fx_node *call(fparser *P, const ftok *name)
{
    char up[64];
    size_t k = 0;
    for (; name->s[k] && k + 1 < sizeof up; k++)
        up[k] = (char)toupper((unsigned char)name->s[k]);
    up[k] = 0;
    nlist args = {0};
    if (!strcmp(up, "CAST") || !strcmp(up, "TRY_CAST")) {
        nl_add(P, &args, expr(P));
        expect_kw(P, "AS");
        nl_add(P, &args, type_name(P));
    } else if (!strcmp(up, "EXTRACT") || !strcmp(up, "DATE_PART") || !strcmp(up, "DATEPART")) {
        const ftok *t = peek(P, 0);
        fx_node *part = node(P, FX_PART, t->pos, 0);
        part->s = t->k == FT_IDENT || t->k == FT_STR ? t->s : "";
        P->i++;
        if (!accept_kw(P, "FROM"))
            expect_op(P, ",");
        nl_add(P, &args, part);
        nl_add(P, &args, expr(P));
    } else if (!strcmp(up, "POSITION")) {
        /* POSITION(a IN b): the comparison level would read IN as a list; read operands below it */
        fx_node *needle = expr(P);
        if (needle && needle->kind == FX_IN && needle->n == 2 && !needle->neg) {
            nl_add(P, &args, needle->kid[0]);
            nl_add(P, &args, needle->kid[1]);
        } else {
            nl_add(P, &args, needle);
            expect_kw(P, "IN");
            nl_add(P, &args, expr(P));
        }
    } else if (!strcmp(up, "TRIM") && (is_kw(P, 0, "BOTH") || is_kw(P, 0, "LEADING") || is_kw(P, 0, "TRAILING") ||
                                       (peek(P, 0)->k == FT_STR && is_kw(P, 1, "FROM")))) {
        fx_node *side = node(P, FX_PART, peek(P, 0)->pos, 0);
        side->s = "BOTH";
        if (peek(P, 0)->k == FT_IDENT)
            side->s = peek(P, 0)->s, P->i++;
        fx_node *chars = NULL;
        if (!is_kw(P, 0, "FROM"))
            chars = expr(P);
        expect_kw(P, "FROM");
        nl_add(P, &args, expr(P));
        nl_add(P, &args, side);
        if (chars)
            nl_add(P, &args, chars);
        strcpy(up, "TRIM_SQL");
    } else if (!strcmp(up, "CONVERT") || !strcmp(up, "TRY_CONVERT")) {
        nl_add(P, &args, type_name(P));
        while (!P->failed && accept_op(P, ","))
            nl_add(P, &args, expr(P));
    } else if (!strcmp(up, "DATEDIFF") || !strcmp(up, "DATEADD") || !strcmp(up, "DATE_TRUNC")) {
        /* DATEDIFF(day, a, b): the unit is a keyword (or a quoted one) */
        const ftok *t = peek(P, 0);
        if (t->k == FT_IDENT || (t->k == FT_STR && is_op(P, 1, ","))) {
            fx_node *part = node(P, FX_PART, t->pos, 0);
            part->s = t->s;
            P->i++;
            nl_add(P, &args, part);
            while (!P->failed && accept_op(P, ","))
                nl_add(P, &args, expr(P));
        } else {
            nl_add(P, &args, expr(P));
            while (!P->failed && accept_op(P, ","))
                nl_add(P, &args, expr(P));
        }
    } else if (!is_op(P, 0, ")")) {
        nl_add(P, &args, expr(P));
        /* SUBSTRING(x FROM a [FOR b]) */
        if ((!strcmp(up, "SUBSTRING") || !strcmp(up, "SUBSTR")) && accept_kw(P, "FROM")) {
            nl_add(P, &args, expr(P));
            if (accept_kw(P, "FOR"))
                nl_add(P, &args, expr(P));
        }
        while (!P->failed && (accept_op(P, ",") || accept_op(P, ";")))
            nl_add(P, &args, expr(P));
    }
    expect_op(P, ")");
    fx_node *x = from_list(P, FX_CALL, name->pos, &args);
    x->s = mf_arena_strdup(P->a, up);
    return x;
}

static fx_node *case_expr(fparser *P, size_t pos)
{
    nlist arms = {0};
    fx_node *operand = NULL;
    if (!is_kw(P, 0, "WHEN"))
        operand = expr(P);
    nl_add(P, &arms, operand);
    while (!P->failed && accept_kw(P, "WHEN")) {
        nl_add(P, &arms, expr(P));
        expect_kw(P, "THEN");
        nl_add(P, &arms, expr(P));
    }
    if (arms.n < 3)
        fail(P, peek(P, 0)->pos, "expected WHEN in CASE");
    bool has_else = false;
    if (accept_kw(P, "ELSE")) {
        nl_add(P, &arms, expr(P));
        has_else = true;
    }
    expect_kw(P, "END");
    fx_node *x = from_list(P, FX_CASE, pos, &arms);
    x->has_else = has_else;
    return x;
}

/* Tab!A:B or Tab!A1:B20 after the tab name. */
static fx_node *range_after(fparser *P, const char *tab, size_t pos)
{
    char cells[64] = "";
    for (int parts = 0; parts < 2; parts++) {
        const ftok *t = peek(P, 0);
        if (t->k != FT_IDENT && t->k != FT_NUM) {
            fail(P, t->pos, "expected cells after '!'");
            return NULL;
        }
        strncat(cells, t->s, sizeof cells - strlen(cells) - 2);
        P->i++;
        if (parts == 0 && !accept_op(P, ":"))
            break;
        if (parts == 0)
            strcat(cells, ":");
    }
    fx_node *x = node(P, FX_RANGE, pos, 0);
    x->s = tab;
    x->s2 = mf_arena_strdup(P->a, cells);
    return x;
}

/* Words of the grammar, which never continue a name of several words. */
static bool keyword(const fparser *P, int k)
{
    static const char *const W[] = {"AS", "WHERE", "FROM", "FOR", "IN", "THEN", "WHEN", "ELSE", "END", "AND", "OR",
                                    "IS", "LIKE", "BETWEEN", "NOT", "ON", "JOIN", "LEFT", "ASC", "DESC", "SELECT",
                                    "ESCAPE", "COLLATE", "NULL", "CASE", "TRUE", "FALSE", "DIV", "MOD", NULL};
    for (int i = 0; W[i]; i++)
        if (is_kw(P, k, W[i]))
            return true;
    return false;
}

static fx_node *primary(fparser *P)
{
    const ftok *t = peek(P, 0);
    switch (t->k) {
    case FT_NUM: {
        P->i++;
        fx_node *x = node(P, FX_NUM, t->pos, 0);
        x->s = t->s;
        x->pct = t->pct;
        return x;
    }
    case FT_STR: {
        P->i++;
        if (accept_op(P, "!"))   /* 'Tab Name'!A:B */
            return range_after(P, t->s, t->pos);
        fx_node *x = node(P, FX_STR, t->pos, 0);
        x->s = t->s;
        x->flag = t->pct;
        return x;
    }
    case FT_REF: {
        P->i++;
        fx_node *x = node(P, FX_REF, t->pos, 0);
        x->s = t->s;
        x->flag = t->pct;
        return x;
    }
    case FT_IDENT:
        break;
    case FT_OP:
        if (accept_op(P, "(")) {
            fx_node *x = expr(P);
            expect_op(P, ")");
            return x;
        }
        fail(P, t->pos, "unexpected '%s'", t->s);
        return NULL;
    default:
        fail(P, t->pos, "the formula ends too early");
        return NULL;
    }
    P->i++;
    if (!strcasecmp(t->s, "CASE"))
        return case_expr(P, t->pos);
    if (!strcasecmp(t->s, "NULL"))
        return node(P, FX_NULL, t->pos, 0);
    if (!strcasecmp(t->s, "TRUE") || !strcasecmp(t->s, "FALSE")) {
        if (accept_op(P, "(")) /* Excel TRUE() */
            expect_op(P, ")");
        fx_node *x = node(P, FX_BOOL, t->pos, 0);
        x->flag = !strcasecmp(t->s, "TRUE");
        return x;
    }
    /* NAME  (a remark): a call never has a gap of blanks before its parenthesis */
    bool gap = is_op(P, 0, "(") && peek(P, 0)->pos > t->pos + strlen(t->s) + 1;
    if (!gap && accept_op(P, "(")) {
        fx_node *c = call(P, t);
        /* ROW_NUMBER() OVER (...): the window is kept as whether it orders the rows */
        if (!P->failed && is_kw(P, 0, "OVER") && is_op(P, 1, "(")) {
            P->i += 2;
            c->s2 = "OVER";
            for (int depth = 1; depth > 0 && !P->failed;) {
                const ftok *w = peek(P, 0);
                if (w->k == FT_END)
                    fail(P, w->pos, "OVER ( is not closed");
                else if (w->k == FT_OP && !strcmp(w->s, "("))
                    depth++;
                else if (w->k == FT_OP && !strcmp(w->s, ")"))
                    depth--;
                else if (w->k == FT_IDENT && (!strcasecmp(w->s, "ORDER") || !strcasecmp(w->s, "PARTITION")))
                    c->neg = true;
                P->i++;
            }
        }
        return c;
    }
    /* DATE '2023-12-31': a date literal */
    if (!strcasecmp(t->s, "DATE") && peek(P, 0)->k == FT_STR) {
        fx_node *c = node(P, FX_CALL, t->pos, 2);
        c->s = "TO_DATE";
        c->kid[0] = node(P, FX_STR, peek(P, 0)->pos, 0);
        c->kid[0]->s = peek(P, 0)->s;
        c->kid[1] = node(P, FX_STR, peek(P, 0)->pos, 0);
        c->kid[1]->s = "YYYY-MM-DD";
        P->i++;
        return c;
    }
    if (accept_op(P, "!"))
        return range_after(P, t->s, t->pos);
    fx_node *x = node(P, FX_NAME, t->pos, 0);
    x->s = t->s;
    if (is_op(P, 0, ".") && peek(P, 1)->k == FT_IDENT) {   /* m.STD_ACCT */
        x->s2 = t->s;
        x->s = peek(P, 1)->s;
        P->i += 2;
    }
    /* a name of several words (Posting Date): identifiers in a row that are not keywords */
    size_t end = t->pos + strlen(t->s);
    while (!x->s2 && peek(P, 0)->k == FT_IDENT && !keyword(P, 0) && !is_op(P, 1, "(")) {
        const ftok *w = peek(P, 0);
        bool blank = true;
        for (size_t k = end; k < w->pos; k++)
            blank &= P->text[k] == ' ';
        if (!blank || w->pos - end > 2)
            break;
        end = w->pos + strlen(w->s);
        x->s = mf_arena_strndup(P->a, P->text + t->pos, end - t->pos);
        P->i++;
    }
    /* A:A — a whole column of the data */
    if (is_op(P, 0, ":") && peek(P, 1)->k == FT_IDENT && !is_op(P, 1, ":")) {
        x->kind = FX_RANGE;
        x->s2 = mf_arena_printf(P->a, "%s:%s", t->s, peek(P, 1)->s);
        x->s = NULL;
        P->i += 2;
    }
    return x;
}

/* ---- operators ------------------------------------------------------------------------------- */

static bool enter(fparser *P)
{
    if (++P->depth > FX_MAX_DEPTH) {
        fail(P, peek(P, 0)->pos, "the formula is nested more than %d levels deep", FX_MAX_DEPTH);
        return false;
    }
    return true;
}

static fx_node *unary(fparser *P)
{
    if (!enter(P))
        return NULL;
    fx_node *x;
    size_t pos = peek(P, 0)->pos;
    if (accept_op(P, "-")) {
        fx_node *k = unary(P);
        x = node(P, FX_NEG, pos, 1);
        x->kid[0] = k;
    } else if (accept_op(P, "+")) {
        x = unary(P);
    } else {
        x = primary(P);
        /* PostgreSQL's x::type is CAST(x AS type) */
        while (!P->failed && x && is_op(P, 0, ":") && is_op(P, 1, ":") && peek(P, 1)->pos == peek(P, 0)->pos + 1) {
            P->i += 2;
            fx_node *c = node(P, FX_CALL, x->pos, 2);
            c->s = "CAST";
            c->kid[0] = x;
            c->kid[1] = type_name(P);
            x = c;
        }
    }
    P->depth--;
    return P->failed ? NULL : x;
}

static fx_node *product(fparser *P)
{
    fx_node *x = unary(P);
    while (!P->failed && (is_op(P, 0, "*") || is_op(P, 0, "/"))) {
        int op = peek(P, 0)->s[0];
        P->i++;
        x = bin(P, op, x, unary(P));
    }
    return x;
}

static fx_node *sum(fparser *P)
{
    fx_node *x = product(P);
    while (!P->failed && (is_op(P, 0, "+") || is_op(P, 0, "-"))) {
        int op = peek(P, 0)->s[0];
        P->i++;
        x = bin(P, op, x, product(P));
    }
    return x;
}

static fx_node *concat(fparser *P)
{
    fx_node *x = sum(P);
    while (!P->failed && (is_op(P, 0, "&") || is_op(P, 0, "||"))) {
        bool pipes = is_op(P, 0, "||");
        P->i++;
        x = bin(P, '&', x, sum(P));
        x->flag = pipes;
    }
    return x;
}

static fx_node *comparison(fparser *P)
{
    fx_node *x = concat(P);
    if (P->failed)
        return NULL;
    static const struct { const char *s; int op; } CMP[] = {{"=", '='}, {"<>", '!'}, {"!=", '!'}, {"<", '<'},
                                                            {"<=", 'l'}, {">", '>'}, {">=", 'g'}};
    for (size_t k = 0; k < sizeof CMP / sizeof *CMP; k++)
        if (is_op(P, 0, CMP[k].s)) {
            P->i++;
            return bin(P, CMP[k].op, x, concat(P));
        }
    bool neg = false;
    if (is_kw(P, 0, "NOT") && ((is_kw(P, 1, "IN") && is_op(P, 2, "(")) || is_kw(P, 1, "LIKE") || is_kw(P, 1, "BETWEEN"))) {
        neg = true;
        P->i++;
    }
    if (is_kw(P, 0, "IN") && is_op(P, 1, "(")) {
        P->i++;
        nlist l = {0};
        nl_add(P, &l, x);
        expect_op(P, "(");
        do
            nl_add(P, &l, concat(P));
        while (!P->failed && accept_op(P, ","));
        expect_op(P, ")");
        fx_node *in = from_list(P, FX_IN, x->pos, &l);
        in->neg = neg;
        return in;
    }
    if (accept_kw(P, "LIKE")) {
        fx_node *l = node(P, FX_LIKE, x->pos, 2);
        l->kid[0] = x;
        l->kid[1] = concat(P);
        l->neg = neg;
        return l;
    }
    if (accept_kw(P, "BETWEEN")) {
        fx_node *b = node(P, FX_BETWEEN, x->pos, 3);
        b->kid[0] = x;
        b->kid[1] = concat(P);
        expect_kw(P, "AND");
        b->kid[2] = concat(P);
        b->neg = neg;
        return b;
    }
    if (accept_kw(P, "IS")) {
        fx_node *n = node(P, FX_ISNULL, x->pos, 1);
        n->kid[0] = x;
        n->neg = accept_kw(P, "NOT");
        expect_kw(P, "NULL");
        return n;
    }
    return x;
}

static fx_node *negation(fparser *P)
{
    if (!enter(P))
        return NULL;
    fx_node *x;
    size_t pos = peek(P, 0)->pos;
    if (is_kw(P, 0, "NOT") && !is_op(P, 1, "(")) {
        P->i++;
        fx_node *k = negation(P);
        x = node(P, FX_NOT, pos, 1);
        x->kid[0] = k;
    } else {
        x = comparison(P);
    }
    P->depth--;
    return P->failed ? NULL : x;
}

static fx_node *conjunction(fparser *P)
{
    fx_node *x = negation(P);
    while (!P->failed && accept_kw(P, "AND"))
        x = bin(P, 'A', x, negation(P));
    return x;
}

static fx_node *expr(fparser *P)
{
    if (!enter(P))
        return NULL;
    fx_node *x = conjunction(P);
    while (!P->failed && accept_kw(P, "OR"))
        x = bin(P, 'O', x, conjunction(P));
    P->depth--;
    return P->failed ? NULL : x;
}

/* ---- statements ------------------------------------------------------------------------------ */

static const char *ident(fparser *P)
{
    const ftok *t = peek(P, 0);
    if (t->k != FT_IDENT && t->k != FT_REF && t->k != FT_STR) {
        fail(P, t->pos, "expected a name");
        return NULL;
    }
    P->i++;
    return t->s;
}

static void statement(fparser *P, fx_stmt *out)
{
    out->excel = accept_op(P, "=");
    if (accept_kw(P, "WHERE")) {
        out->where = expr(P);
        return;
    }
    if (is_kw(P, 0, "LEFT") && is_kw(P, 1, "JOIN"))
        P->i++;
    if (accept_kw(P, "JOIN")) {
        out->join_tab = ident(P);
        if (peek(P, 0)->k == FT_IDENT && !is_kw(P, 0, "ON"))
            out->join_alias = ident(P);
        expect_kw(P, "ON");
        out->join_on = expr(P);
        if (!accept_op(P, "->") && !accept_op(P, "=>") && !accept_op(P, ":") && !accept_op(P, ","))
            expect_kw(P, "THEN");
        out->value = expr(P);
        return;
    }
    accept_kw(P, "SELECT");
    out->value = expr(P);
    if (!P->failed && accept_kw(P, "AS"))
        out->alias = ident(P);
    if (!P->failed && accept_kw(P, "WHERE"))
        out->where = expr(P);
}

/* Does the tree stand taller than limit?  (A chain 1+1+...+1 is shallow for the parser but as tall
 * as it is long for every walk after it: the translator, the renderer, the checker.)  Recursion
 * stops at limit + 1. */
static bool too_tall(const fx_node *n, int limit)
{
    if (!n)
        return false;
    if (limit <= 0)
        return true;
    for (int i = 0; i < n->n; i++)
        if (too_tall(n->kid[i], limit - 1))
            return true;
    return false;
}

int fx_parse(mf_arena *a, const char *text, size_t len, fx_stmt *out, size_t *stop, char *why, size_t whycap)
{
    fparser P = {.a = a, .text = text, .len = len, .why = why, .whycap = whycap};
    memset(out, 0, sizeof *out);
    if (whycap)
        why[0] = 0;
    lex(&P);
    if (!P.failed) {
        if (P.n <= 1)
            fail(&P, 0, "the formula is empty");
        else
            statement(&P, out);
    }
    if (!P.failed && (too_tall(out->value, FX_MAX_DEPTH * 2) || too_tall(out->where, FX_MAX_DEPTH * 2) ||
                      too_tall(out->join_on, FX_MAX_DEPTH * 2)))
        fail(&P, 0, "the formula is nested more than %d levels deep", FX_MAX_DEPTH * 2);
    if (!P.failed && peek(&P, 0)->k != FT_END) {
        const ftok *t = peek(&P, 0);
        fail(&P, t->pos, "unexpected \"%s\" after a complete formula", t->s);
    }
    *stop = P.failed ? (P.n ? peek(&P, 0)->pos : 0) : len;
    return P.failed ? -1 : 0;
}
