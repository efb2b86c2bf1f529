/* parse.c — plan text to plan tree: an on-demand lexer and a recursive-descent parser for the
 * grammar in docs/plan-language.md.
 *
 * Statements: a statement is a line plus the following lines that start with white space; blank
 * lines and lines whose first non-blank character is '#' are ignored everywhere.  The lexer
 * turns the line break that ends a statement into an end-of-statement token, so the parser sees
 * one token stream per statement.  The first "# ..." comment that ends a line of a statement is
 * its provenance; later comments in the same statement are ignored.
 *
 * Invariants: the parser never reads past the input (every scan is bounded by len, the input is
 * validated as NUL-free UTF-8 first); the first error found is the one reported, with the
 * 1-based line and column (in characters) of the token at fault; on error nothing leaks (all
 * allocation is in the plan's arena, which the caller frees, or in the failed plan which
 * plan_parse frees itself).
 */
#include "plan/plan.h"
#include "plan/plan_syntax.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ----------------------------------------------------------------------------------- */

typedef enum tok_kind {
    T_EOF, T_EOS, T_WORD, T_NUMBER, T_STRING, T_SRC, T_QNAME, T_PUNCT, T_RAW
} tok_kind;

/* Two-character punctuation is folded to one code. */
enum { P_LE = 'l', P_GE = 'g', P_ARROW = 'a', P_NE = 'n' };

typedef struct tok {
    tok_kind kind;
    int c;                   /* T_PUNCT */
    const char *text;        /* decoded text (arena) for WORD NUMBER STRING SRC QNAME RAW */
    size_t start;            /* byte offset where the token starts */
    long line, col;
    size_t end;              /* where lexing continues */
    long end_line, end_col;
} tok;

typedef struct parser {
    const char *s;
    size_t n;
    const char *path;
    mf_err *e;
    plan *p;
    bool failed;
    tok t;                   /* the current token */
    bool have_comment;       /* the current statement's provenance was seen */
    plan_prov prov;
    long stmt_line;
    long *qline;             /* line of each question, for errors found after parsing */
    long *sline;             /* line of each suggestion, likewise */
    long key_line;           /* line of the key statement */
    int depth;               /* nesting of p_primary / p_not now open, at most PLAN_MAX_DEPTH */
    long nodes;              /* expression nodes made in this statement, at most PLAN_MAX_NODES */
} parser;

static int fail_at(parser *ps, long line, long col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail_at(parser *ps, long line, long col, const char *fmt, ...)
{
    if (!ps->failed) {
        va_list ap;
        va_start(ap, fmt);
        mf_vfail(ps->e, MF_EPARSE, ps->path, line, col, fmt, ap);
        va_end(ap);
        ps->failed = true;
    }
    return -1;
}

/* A short description of a token for "found ..." in messages. */
static const char *describe(parser *ps, const tok *t)
{
    char buf[64];
    switch (t->kind) {
    case T_EOF: return "the end of the file";
    case T_EOS: return "the end of the line";
    case T_PUNCT:
        switch (t->c) {
        case P_LE: return "\"<=\"";
        case P_GE: return "\">=\"";
        case P_ARROW: return "\"->\"";
        case P_NE: return "\"!=\"";
        default: snprintf(buf, sizeof buf, "\"%c\"", t->c); break;
        }
        break;
    case T_STRING: snprintf(buf, sizeof buf, "the text \"%.40s\"", t->text); break;
    case T_SRC: snprintf(buf, sizeof buf, "[%.40s]", t->text); break;
    case T_QNAME: snprintf(buf, sizeof buf, "`%.40s`", t->text); break;
    default: snprintf(buf, sizeof buf, "\"%.40s\"", t->text); break;
    }
    return mf_arena_strdup(&ps->p->arena, buf);
}

static int expected(parser *ps, const char *what)
{
    return fail_at(ps, ps->t.line, ps->t.col, "expected %s, found %s", what, describe(ps, &ps->t));
}

/* ---- the lexer -------------------------------------------------------------------------------- */

typedef struct pos {
    size_t at;
    long line, col;
} pos;

static void advance(parser *ps, pos *q)
{
    unsigned char c = (unsigned char)ps->s[q->at++];
    if (c == '\n') {
        q->line++;
        q->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        q->col++;
    }
}

static int cur(parser *ps, const pos *q)
{
    return q->at < ps->n ? (unsigned char)ps->s[q->at] : -1;
}

static bool at_eol(parser *ps, const pos *q)
{
    int c = cur(ps, q);
    return c < 0 || c == '\n' || (c == '\r' && q->at + 1 < ps->n && ps->s[q->at + 1] == '\n');
}

/* A line that neither starts nor continues a statement: blank, or a '#' comment line. */
static bool ignorable_line(parser *ps, size_t at)
{
    while (at < ps->n && (ps->s[at] == ' ' || ps->s[at] == '\t'))
        at++;
    return at >= ps->n || ps->s[at] == '\n' || ps->s[at] == '#' ||
           (ps->s[at] == '\r' && at + 1 < ps->n && ps->s[at + 1] == '\n');
}

static void skip_line(parser *ps, pos *q)
{
    while (q->at < ps->n && ps->s[q->at] != '\n')
        advance(ps, q);
    if (q->at < ps->n)
        advance(ps, q);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads an escape after '\' at q (q at the character after the backslash) into out.  Returns
 * false when it is not one of \" \\ \n \t \r \u{X..} (strict) — lenient mode keeps "\x" as is. */
static bool read_escape(parser *ps, pos *q, char quote, mf_buf *out, bool strict)
{
    int c = cur(ps, q);
    char u8[4];
    switch (c) {
    case 'n': mf_buf_addc(out, '\n'); advance(ps, q); return true;
    case 't': mf_buf_addc(out, '\t'); advance(ps, q); return true;
    case 'r': mf_buf_addc(out, '\r'); advance(ps, q); return true;
    case '\\': mf_buf_addc(out, '\\'); advance(ps, q); return true;
    case 'u': {
        pos r = *q;
        advance(ps, &r);
        if (cur(ps, &r) == '{') {
            advance(ps, &r);
            uint32_t v = 0;
            int k = 0;
            while (hexval(cur(ps, &r)) >= 0 && k < 7) {
                v = v * 16 + (uint32_t)hexval(cur(ps, &r));
                advance(ps, &r);
                k++;
            }
            if (k >= 1 && k <= 6 && cur(ps, &r) == '}' && v != 0 && v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF)) {
                advance(ps, &r);
                mf_buf_add(out, u8, (size_t)mf_utf8_encode(v, u8));
                *q = r;
                return true;
            }
        }
        break;
    }
    default:
        if (quote && c == quote) {
            mf_buf_addc(out, quote);
            advance(ps, q);
            return true;
        }
        break;
    }
    if (strict)
        return false;
    mf_buf_addc(out, '\\');
    return true;
}

static const char *take_arena(parser *ps, mf_buf *b)
{
    const char *s = mf_arena_strndup(&ps->p->arena, mf_buf_str(b), b->len);
    mf_buf_free(b);
    return s;
}

/* Where a comment's text that starts at `from` ends: the end of its line, before a CRLF's CR. */
static size_t comment_end(const parser *ps, size_t from)
{
    size_t end = from;
    while (end < ps->n && ps->s[end] != '\n')
        end++;
    if (end > from && ps->s[end - 1] == '\r')
        end--;
    return end;
}

/* A comment's text s[from, end) with its escapes read, appended to text. */
static void comment_text(parser *ps, size_t from, size_t end, long line, mf_buf *text)
{
    pos r = {from, line, 0};
    while (r.at < end) {
        if (ps->s[r.at] == '\\') {
            advance(ps, &r);
            if (r.at < end)
                read_escape(ps, &r, 0, text, false);
            else
                mf_buf_addc(text, '\\');
        } else {
            mf_buf_addc(text, ps->s[r.at]);
            advance(ps, &r);
        }
    }
}

/* Provenance: "# row N: text", "# row N" or "# text" (q at the '#'). */
static void read_comment(parser *ps, pos *q)
{
    advance(ps, q);
    if (cur(ps, q) == ' ')
        advance(ps, q);
    size_t body = q->at;
    size_t end = comment_end(ps, body);
    if (ps->have_comment) {
        q->at = end;   /* column no longer matters on this line */
        return;
    }
    ps->have_comment = true;
    ps->prov.row = 0;
    size_t i = body;
    if (end - i > 4 && !memcmp(ps->s + i, "row ", 4)) {
        size_t d = i + 4;
        long row = 0;
        while (d < end && ps->s[d] >= '0' && ps->s[d] <= '9' && row < 100000000)
            row = row * 10 + (ps->s[d++] - '0');
        if (d > i + 4 && (d == end || ps->s[d] == ':')) {
            ps->prov.row = (int)row;
            i = d;
            if (i < end)
                i++;   /* ':' */
            if (i < end && ps->s[i] == ' ')
                i++;
        }
    }
    mf_buf text = {0};
    comment_text(ps, i, end, q->line, &text);
    ps->prov.text = text.len ? take_arena(ps, &text) : NULL;
    mf_buf_free(&text);
    q->at = end;
}

/* An indented comment-only line after a statement whose provenance was seen continues that
 * provenance (the renderer wraps long rule texts so): its text is appended after one space. */
static void continued_comment(parser *ps, size_t at)
{
    size_t i = at;
    while (i < ps->n && (ps->s[i] == ' ' || ps->s[i] == '\t'))
        i++;
    if (!ps->have_comment || i == at || i >= ps->n || ps->s[i] != '#')
        return;
    i++;
    if (i < ps->n && ps->s[i] == ' ')
        i++;
    size_t end = comment_end(ps, i);
    if (end == i)
        return;
    mf_buf text = {0};
    if (ps->prov.text)
        mf_buf_adds(&text, ps->prov.text);
    if (text.len)
        mf_buf_addc(&text, ' ');
    comment_text(ps, i, end, 0, &text);
    ps->prov.text = take_arena(ps, &text);
}

/* Skip blanks, comments and continuation line breaks.  Returns true at the end of a statement
 * (q then at the start of the next statement's line, or at the end of the input). */
static bool skip_blank(parser *ps, pos *q, pos *eos)
{
    for (;;) {
        int c = cur(ps, q);
        if (c == ' ' || c == '\t') {
            advance(ps, q);
        } else if (c == '#') {
            read_comment(ps, q);
        } else if (c == '\r' && at_eol(ps, q)) {
            advance(ps, q);
        } else if (c == '\n') {
            *eos = *q;
            advance(ps, q);
            while (q->at < ps->n && ignorable_line(ps, q->at)) {
                continued_comment(ps, q->at);
                skip_line(ps, q);
            }
            if (q->at < ps->n && (ps->s[q->at] == ' ' || ps->s[q->at] == '\t'))
                continue;   /* a continuation line */
            return true;
        } else if (c < 0) {
            *eos = *q;
            return true;
        } else {
            return false;
        }
    }
}

static bool lex_quoted(parser *ps, pos *q, tok *t, char close, bool doubled, const char *what)
{
    mf_buf b = {0};
    advance(ps, q);   /* the opening character */
    for (;;) {
        int c = cur(ps, q);
        if (c < 0 || at_eol(ps, q)) {
            mf_buf_free(&b);
            fail_at(ps, t->line, t->col, "%s is not closed on this line (expected %c)", what, close);
            return false;
        }
        if (c == close) {
            advance(ps, q);
            if (doubled && cur(ps, q) == close) {
                mf_buf_addc(&b, close);
                advance(ps, q);
                continue;
            }
            break;
        }
        if (c == '\\') {
            pos at = *q;
            advance(ps, q);
            if (!read_escape(ps, q, doubled ? 0 : close, &b, true)) {
                mf_buf_free(&b);
                fail_at(ps, at.line, at.col,
                        "unknown escape in %s: expected \\\" \\\\ \\n \\t \\r or \\u{hex}", what);
                return false;
            }
            continue;
        }
        if (c < 0x20 && c != '\t') {
            mf_buf_free(&b);
            fail_at(ps, q->line, q->col, "control character in %s: write it as \\u{%X}", what, c);
            return false;
        }
        mf_buf_addc(&b, (char)c);
        advance(ps, q);
    }
    t->text = take_arena(ps, &b);
    return true;
}

/* Lex one token starting at q. */
static void lex_at(parser *ps, pos q, tok *t)
{
    pos eos;
    memset(t, 0, sizeof *t);
    if (skip_blank(ps, &q, &eos)) {
        t->kind = T_EOS;
        t->line = eos.line;
        t->col = eos.col;
        t->start = eos.at;
        t->end = q.at;
        t->end_line = q.line;
        t->end_col = q.col;
        if (eos.at >= ps->n)
            t->kind = T_EOF;
        return;
    }
    t->start = q.at;
    t->line = q.line;
    t->col = q.col;
    int c = cur(ps, &q);
    const char *s = ps->s;
    if (plan_ident_start(c)) {
        size_t a = q.at;
        while (plan_ident_char(cur(ps, &q)))
            advance(ps, &q);
        t->kind = T_WORD;
        t->text = mf_arena_strndup(&ps->p->arena, s + a, q.at - a);
    } else if (c >= '0' && c <= '9') {
        size_t a = q.at;
        while (cur(ps, &q) >= '0' && cur(ps, &q) <= '9')
            advance(ps, &q);
        if (cur(ps, &q) == '.' && q.at + 1 < ps->n && s[q.at + 1] >= '0' && s[q.at + 1] <= '9') {
            advance(ps, &q);
            while (cur(ps, &q) >= '0' && cur(ps, &q) <= '9')
                advance(ps, &q);
        }
        t->kind = T_NUMBER;
        t->text = mf_arena_strndup(&ps->p->arena, s + a, q.at - a);
    } else if (c == '"') {
        t->kind = T_STRING;
        if (!lex_quoted(ps, &q, t, '"', false, "a text in quotes"))
            t->kind = T_EOF;
    } else if (c == '[') {
        t->kind = T_SRC;
        if (!lex_quoted(ps, &q, t, ']', true, "a [source column] name"))
            t->kind = T_EOF;
    } else if (c == '`') {
        t->kind = T_QNAME;
        if (!lex_quoted(ps, &q, t, '`', true, "a `quoted` name"))
            t->kind = T_EOF;
    } else {
        int c2 = q.at + 1 < ps->n ? (unsigned char)s[q.at + 1] : -1;
        t->kind = T_PUNCT;
        t->c = c;
        if (strchr("(),&+*/?:=", c) && c) {
            advance(ps, &q);
        } else if (c == '<' || c == '>' || c == '-' || c == '!') {
            advance(ps, &q);
            if ((c == '<' || c == '>' || c == '!') && c2 == '=') {
                t->c = c == '<' ? P_LE : c == '>' ? P_GE : P_NE;
                advance(ps, &q);
            } else if (c == '-' && c2 == '>') {
                t->c = P_ARROW;
                advance(ps, &q);
            } else if (c == '!') {
                fail_at(ps, t->line, t->col, "unexpected \"!\" (write \"is not\")");
                t->kind = T_EOF;
            }
        } else {
            if (c < 0x20 || c == 0x7f)
                fail_at(ps, t->line, t->col, "unexpected control character (code %d)", c);
            else if (c >= 0x80)
                fail_at(ps, t->line, t->col, "unexpected character: names with other characters go in `back quotes` or [brackets]");
            else
                fail_at(ps, t->line, t->col, "unexpected character \"%c\"", c);
            t->kind = T_EOF;
        }
    }
    t->end = q.at;
    t->end_line = q.line;
    t->end_col = q.col;
}

static pos end_of(const tok *t)
{
    pos q = {t->end, t->end_line, t->end_col};
    return q;
}

static void next(parser *ps)
{
    if (ps->failed) {
        ps->t.kind = T_EOF;
        return;
    }
    if (ps->t.kind == T_EOF)
        return;
    lex_at(ps, end_of(&ps->t), &ps->t);
}

/* The token after the current one (never crosses into the next statement). */
static tok peek(parser *ps)
{
    tok t = ps->t;
    if (t.kind != T_EOS && t.kind != T_EOF && !ps->failed)
        lex_at(ps, end_of(&ps->t), &t);
    return t;
}

/* Raw text after the current token: up to white space or one of stop, for date patterns and
 * encoding names that contain characters the lexer would split. */
static void next_raw(parser *ps, const char *stop, bool spaces_inside)
{
    pos q = end_of(&ps->t), eos;
    if (ps->failed || skip_blank(ps, &q, &eos) || cur(ps, &q) == '"' ) {
        next(ps);
        return;
    }
    tok *t = &ps->t;
    t->kind = T_RAW;
    t->start = q.at;
    t->line = q.line;
    t->col = q.col;
    size_t a = q.at, last = q.at;
    pos start = q;
    while (!at_eol(ps, &q) && !strchr(stop, cur(ps, &q))) {
        int c = cur(ps, &q);
        if (c == ' ' || c == '\t') {
            if (!spaces_inside)
                break;
        } else {
            last = q.at + 1;
        }
        advance(ps, &q);
    }
    if (spaces_inside) {   /* trailing blanks are not part of it */
        while (q.at > last) {
            q.at--;
            q.col--;
        }
    }
    if (q.at == a) {   /* nothing raw here: an ordinary token (or an error) */
        lex_at(ps, start, t);
        return;
    }
    t->text = mf_arena_strndup(&ps->p->arena, ps->s + a, q.at - a);
    t->end = q.at;
    t->end_line = q.line;
    t->end_col = q.col;
}

/* ---- token helpers ---------------------------------------------------------------------------- */

static bool is_word(parser *ps, const char *w)
{
    return ps->t.kind == T_WORD && !strcmp(ps->t.text, w);
}

static bool is_punct(parser *ps, int c)
{
    return ps->t.kind == T_PUNCT && ps->t.c == c;
}

static bool accept_word(parser *ps, const char *w)
{
    if (!is_word(ps, w))
        return false;
    next(ps);
    return true;
}

static bool accept_punct(parser *ps, int c)
{
    if (!is_punct(ps, c))
        return false;
    next(ps);
    return true;
}

static int want_word(parser *ps, const char *w)
{
    char what[64];
    if (accept_word(ps, w))
        return 0;
    snprintf(what, sizeof what, "\"%s\"", w);
    return expected(ps, what);
}

static int want_punct(parser *ps, int c)
{
    char what[16];
    if (accept_punct(ps, c))
        return 0;
    snprintf(what, sizeof what, "\"%c\"", c == P_ARROW ? '-' : c);
    if (c == P_ARROW)
        snprintf(what, sizeof what, "\"->\"");
    return expected(ps, what);
}

static int want_string(parser *ps, const char **out, const char *what)
{
    if (ps->t.kind != T_STRING)
        return expected(ps, what);
    *out = ps->t.text;
    next(ps);
    return 0;
}

/* A whole number that fits comfortably in an int. */
static int want_int(parser *ps, long *out, const char *what)
{
    if (ps->t.kind != T_NUMBER || strchr(ps->t.text, '.') || strlen(ps->t.text) > 9)
        return expected(ps, what);
    *out = strtol(ps->t.text, NULL, 10);
    next(ps);
    return 0;
}

/* A name: bare (not a keyword) or `quoted`. */
static bool at_name(parser *ps)
{
    return ps->t.kind == T_QNAME ||
           (ps->t.kind == T_WORD && !plan_is_keyword(ps->t.text, strlen(ps->t.text)));
}

static int want_name(parser *ps, const char **out, const char *what)
{
    if (!at_name(ps))
        return expected(ps, what);
    *out = ps->t.text;
    next(ps);
    return 0;
}

/* Count one more node of the statement's expression: past PLAN_MAX_NODES the parse fails there
 * and then, so a huge chain costs no more than the limit (binary() stops the loops). */
static bool count_node(parser *ps, const tok *at)
{
    if (++ps->nodes > PLAN_MAX_NODES && !ps->failed)
        fail_at(ps, at->line, at->col, "expression longer than %d terms: split it into several columns", PLAN_MAX_NODES);
    return !ps->failed;
}

static plan_expr *new_expr(parser *ps, plan_expr_kind kind, const tok *at)
{
    count_node(ps, at);   /* the caller goes on; every loop stops at ps->failed */
    plan_expr *e = plan_new_expr(ps->p, kind);
    e->line = at->line;
    e->col = at->col;
    return e;
}

/* ---- expressions ------------------------------------------------------------------------------ */

static plan_expr *p_top(parser *ps);
static plan_expr *p_or(parser *ps);
static plan_expr *p_expr(parser *ps);
static plan_expr *p_step(parser *ps, plan_expr *kid);
static plan_expr *p_term(parser *ps);

/* Is the token after the current one the word w? */
static bool peek_is_word(parser *ps, const char *w)
{
    tok n = peek(ps);
    return n.kind == T_WORD && !strcmp(n.text, w);
}

/* number with an optional minus written right before it */
static const char *p_number_text(parser *ps)
{
    if (is_punct(ps, '-')) {
        tok n = peek(ps);
        if (n.kind == T_NUMBER && n.start == ps->t.start + 1) {
            next(ps);
            const char *s = mf_arena_printf(&ps->p->arena, "-%s", ps->t.text);
            next(ps);
            return s;
        }
        return NULL;
    }
    if (ps->t.kind != T_NUMBER)
        return NULL;
    const char *s = ps->t.text;
    next(ps);
    return s;
}

/* A literal value: "text", number, true, false, null. */
static plan_expr *p_literal(parser *ps)
{
    tok at = ps->t;
    plan_expr *e;
    if (ps->t.kind == T_STRING) {
        e = new_expr(ps, PE_TEXT, &at);
        e->text = ps->t.text;
        next(ps);
        return e;
    }
    if (is_word(ps, "true") || is_word(ps, "false")) {
        e = new_expr(ps, PE_BOOL, &at);
        e->flag = is_word(ps, "true");
        next(ps);
        return e;
    }
    if (accept_word(ps, "null"))
        return new_expr(ps, PE_NULL, &at);
    const char *num = p_number_text(ps);
    if (num) {
        e = new_expr(ps, PE_NUMBER, &at);
        e->text = num;
        return e;
    }
    expected(ps, "a literal value (\"text\", a number, true, false or null)");
    return NULL;
}

static plan_expr *p_primary_in(parser *ps)
{
    tok at = ps->t;
    plan_expr *e;
    if (ps->failed)
        return NULL;
    switch (at.kind) {
    case T_SRC:
        e = new_expr(ps, PE_SOURCE, &at);
        e->name = at.text;
        next(ps);
        return e;
    case T_QNAME:
        e = new_expr(ps, PE_OUTPUT, &at);
        e->name = at.text;
        next(ps);
        return e;
    case T_STRING:
    case T_NUMBER: return p_literal(ps);
    case T_PUNCT:
        if (accept_punct(ps, '?'))
            return new_expr(ps, PE_HOLE, &at);
        if (accept_punct(ps, '(')) {
            e = p_top(ps);
            if (!e || want_punct(ps, ')'))
                return NULL;
            return e;
        }
        if (at.c == '-' && peek(ps).kind == T_NUMBER)
            return p_literal(ps);
        break;
    case T_WORD:
        if (!strcmp(at.text, "true") || !strcmp(at.text, "false") || !strcmp(at.text, "null"))
            return p_literal(ps);
        if (accept_word(ps, "if")) {
            e = new_expr(ps, PE_IF, &at);
            if (!(e->kid[0] = p_or(ps)) || want_word(ps, "then") || !(e->kid[1] = p_top(ps)) ||
                want_word(ps, "else") || !(e->kid[2] = p_top(ps)))
                return NULL;
            return e;
        }
        if (!strcmp(at.text, "length") && peek_is_word(ps, "of")) {   /* length of TERM */
            next(ps);
            next(ps);
            e = new_expr(ps, PE_LENGTH, &at);
            return (e->kid[0] = p_term(ps)) ? e : NULL;
        }
        if (!strcmp(at.text, "row") && peek_is_word(ps, "number")) {   /* row number */
            next(ps);
            next(ps);
            return new_expr(ps, PE_ROWNUM, &at);
        }
        if (accept_word(ps, "days")) {
            e = new_expr(ps, PE_DAYS, &at);
            if (want_word(ps, "from") || !(e->kid[0] = p_expr(ps)) || want_word(ps, "to") ||
                !(e->kid[1] = p_expr(ps)))
                return NULL;
            return e;
        }
        if (at_name(ps)) {
            e = new_expr(ps, PE_OUTPUT, &at);
            e->name = at.text;
            next(ps);
            return e;
        }
        break;
    default: break;
    }
    expected(ps, "a value such as [Source column], an output COLUMN, \"text\", a number, ? or (...)");
    return NULL;
}

/* Every cycle of the grammar's recursion passes through p_primary or p_not: counting them bounds
 * the parser's stack whatever the text (parentheses, if/then/else, "not not ...", steps with an
 * expression argument). */
static bool enter(parser *ps)
{
    if (ps->depth >= PLAN_MAX_DEPTH) {
        fail_at(ps, ps->t.line, ps->t.col, "expression nested deeper than %d levels: split it into several columns",
                PLAN_MAX_DEPTH);
        return false;
    }
    ps->depth++;
    return true;
}

static plan_expr *p_primary(parser *ps)
{
    if (ps->failed || !enter(ps))
        return NULL;
    plan_expr *e = p_primary_in(ps);
    ps->depth--;
    return e;
}

static bool at_step(parser *ps)
{
    static const char *const starts[] = {"trimmed", "upper", "lower", "padded", "prefixed", "suffixed",
                                         "first", "last", "characters", "read", "multiplied", "divided",
                                         "rounded", "negated", "absolute", "defaulting", "mapped", "looked",
                                         "with", "its", "written", "plus", "minus", NULL};
    /* words that start a step only with the word that follows them */
    static const char *const pairs[][2] = {{"title", "cased"}, {"digits", "only"}, {"end", "of"}};
    if (ps->t.kind != T_WORD)
        return false;
    for (int i = 0; starts[i]; i++)
        if (!strcmp(ps->t.text, starts[i]))
            return true;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (!strcmp(ps->t.text, pairs[i][0]))
            return peek_is_word(ps, pairs[i][1]);
    if (!strcmp(ps->t.text, "text")) {
        tok n = peek(ps);
        return n.kind == T_WORD && (!strcmp(n.text, "before") || !strcmp(n.text, "after"));
    }
    return false;
}

static plan_expr *p_term(parser *ps)
{
    plan_expr *e = p_primary(ps);
    while (e && at_step(ps))
        e = p_step(ps, e);
    return e;
}

static plan_expr *binary(parser *ps, int op, plan_expr *a, plan_expr *b, const tok *at)
{
    if (!a || !b || !count_node(ps, at))
        return NULL;
    plan_expr *e = plan_binary(ps->p, op, a, b);
    e->line = a->line ? a->line : at->line;
    e->col = a->line ? a->col : at->col;
    return e;
}

static plan_expr *p_product(parser *ps)
{
    plan_expr *e = p_term(ps);
    while (e && (is_punct(ps, '*') || is_punct(ps, '/'))) {
        tok at = ps->t;
        next(ps);
        e = binary(ps, at.c, e, p_term(ps), &at);
    }
    return e;
}

static plan_expr *p_sum(parser *ps)
{
    plan_expr *e = p_product(ps);
    while (e && (is_punct(ps, '+') || is_punct(ps, '-'))) {
        tok at = ps->t;
        next(ps);
        e = binary(ps, at.c, e, p_product(ps), &at);
    }
    return e;
}

static plan_expr *p_expr(parser *ps)
{
    plan_expr *e = p_sum(ps);
    while (e && is_punct(ps, '&')) {
        tok at = ps->t;
        next(ps);
        e = binary(ps, PB_CONCAT, e, p_sum(ps), &at);
    }
    return e;
}

static plan_expr *wrap1(parser *ps, plan_expr_kind kind, plan_expr *a)
{
    count_node(ps, &ps->t);
    plan_expr *e = plan_new_expr(ps->p, kind);
    e->kid[0] = a;
    e->line = a->line;
    e->col = a->col;
    return e;
}

/* expr followed by at most one comparison */
static plan_expr *p_compare(parser *ps)
{
    plan_expr *a = p_expr(ps);
    if (!a)
        return NULL;
    tok at = ps->t;
    if (accept_word(ps, "is")) {
        if (accept_word(ps, "not"))
            return binary(ps, PB_NE, a, p_expr(ps), &at);
        if (accept_word(ps, "missing"))
            return wrap1(ps, PE_MISSING, a);
        if (accept_word(ps, "present"))
            return wrap1(ps, PE_PRESENT, a);
        if (accept_word(ps, "one")) {
            plan_expr *e = wrap1(ps, PE_IN, a);
            if (want_word(ps, "of") || want_punct(ps, '('))
                return NULL;
            while (!accept_punct(ps, ')')) {
                if (e->nlist && want_punct(ps, ','))
                    return NULL;
                if (ps->t.kind != T_STRING) {
                    expected(ps, e->nlist ? "a \"text\" or \")\"" : "a \"text\" or \")\" (is one of (\"A\", \"B\"))");
                    return NULL;
                }
                plan_list_add(ps->p, e, ps->t.text);
                next(ps);
            }
            return e;
        }
        return binary(ps, PB_EQ, a, p_expr(ps), &at);
    }
    if (at.kind == T_PUNCT && (at.c == '<' || at.c == '>' || at.c == P_LE || at.c == P_GE || at.c == P_NE || at.c == '=')) {
        next(ps);
        int op = at.c == '<' ? PB_LT : at.c == '>' ? PB_GT : at.c == P_LE ? PB_LE : at.c == P_GE ? PB_GE
               : at.c == P_NE ? PB_NE : PB_EQ;
        return binary(ps, op, a, p_expr(ps), &at);
    }
    plan_expr_kind k = is_word(ps, "contains") ? PE_CONTAINS : is_word(ps, "starts") ? PE_STARTS
                     : is_word(ps, "ends") ? PE_ENDS : PE_HOLE;
    if (k != PE_HOLE) {
        next(ps);
        plan_expr *e = wrap1(ps, k, a);
        if (k != PE_CONTAINS && want_word(ps, "with"))
            return NULL;
        if (want_string(ps, &e->text, "a \"text\" to look for"))
            return NULL;
        return e;
    }
    return a;
}

static plan_expr *p_not(parser *ps)
{
    tok at = ps->t;
    if (is_word(ps, "not")) {
        if (!enter(ps))
            return NULL;
        next(ps);
        plan_expr *k = p_not(ps);
        ps->depth--;
        if (!k)
            return NULL;
        plan_expr *e = new_expr(ps, PE_NOT, &at);
        e->kid[0] = k;
        return e;
    }
    return p_compare(ps);
}

static plan_expr *logic(parser *ps, plan_expr_kind kind, plan_expr *a, plan_expr *b)
{
    if (!a || !b || ps->failed)
        return NULL;
    plan_expr *e = wrap1(ps, kind, a);
    e->kid[1] = b;
    return e;
}

static plan_expr *p_and(parser *ps)
{
    plan_expr *e = p_not(ps);
    while (e && accept_word(ps, "and"))
        e = logic(ps, PE_AND, e, p_not(ps));
    return e;
}

static plan_expr *p_or(parser *ps)
{
    plan_expr *e = p_and(ps);
    while (e && accept_word(ps, "or"))
        e = logic(ps, PE_OR, e, p_and(ps));
    return e;
}

static plan_expr *p_top(parser *ps)
{
    plan_expr *e = p_or(ps);
    while (e && accept_punct(ps, ','))
        e = p_step(ps, e);
    return e;
}

/* ---- steps ------------------------------------------------------------------------------------ */

static int want_one_char(parser *ps, const char **out, const char *what)
{
    tok at = ps->t;
    if (want_string(ps, out, what))
        return -1;
    if (mf_utf8_count(*out, strlen(*out)) != 1)
        return fail_at(ps, at.line, at.col, "%s must be exactly one character, found \"%s\"", what, *out);
    return 0;
}

static int want_ascii_char(parser *ps, char *out, const char *what, const char *allowed)
{
    tok at = ps->t;
    const char *s = NULL;
    if (want_string(ps, &s, what))
        return -1;
    if (strlen(s) != 1 || (allowed && !strchr(allowed, s[0])))
        return fail_at(ps, at.line, at.col, "%s must be one of %s, found \"%s\"", what,
                       allowed ? allowed : "one character", s);
    *out = s[0];
    return 0;
}

static int p_otherwise(parser *ps, plan_map *m)
{
    if (accept_word(ps, "unchanged"))
        m->otherwise = PO_KEEP;
    else if (accept_word(ps, "rejected"))
        m->otherwise = PO_REJECT;
    else if (accept_word(ps, "null"))
        m->otherwise = PO_NULL;
    else {
        m->otherwise = PO_VALUE;
        if (!(m->other = p_literal(ps)))
            return -1;
    }
    return 0;
}

static int p_map(parser *ps, plan_step *st)
{
    if (want_punct(ps, '('))
        return -1;
    while (!accept_punct(ps, ')')) {
        if (st->map.n > 0 && want_punct(ps, ','))
            return -1;
        if (accept_word(ps, "otherwise")) {
            if (p_otherwise(ps, &st->map))
                return -1;
            return want_punct(ps, ')');
        }
        const char *from = NULL;
        if (want_string(ps, &from, "a \"key\" -> value pair, \"otherwise\" or \")\"") || want_punct(ps, P_ARROW))
            return -1;
        plan_expr *to = p_literal(ps);
        if (!to)
            return -1;
        plan_map_add(ps->p, &st->map, from, to);
    }
    return 0;
}

static int p_bool_map(parser *ps, plan_step *st)
{
    if (!accept_punct(ps, '('))
        return 0;
    while (!accept_punct(ps, ')')) {
        if (st->map.n > 0 && want_punct(ps, ','))
            return -1;
        const char *from = NULL;
        if (want_string(ps, &from, "a \"spelling\" = true/false pair or \")\"") || want_punct(ps, '='))
            return -1;
        plan_expr *to = p_literal(ps);
        if (!to)
            return -1;
        plan_map_add(ps->p, &st->map, from, to);
    }
    return 0;
}

static int p_numfmt(parser *ps, plan_numfmt *f)
{
    f->decimal = '.';
    if (!accept_punct(ps, '('))
        return 0;
    int seen = 0;
    while (!accept_punct(ps, ')')) {
        if (seen && want_punct(ps, ','))
            return -1;
        seen++;
        if (accept_word(ps, "thousands")) {
            if (want_ascii_char(ps, &f->thousands, "the thousands separator", ",. '"))
                return -1;
        } else if (accept_word(ps, "decimal")) {
            if (want_ascii_char(ps, &f->decimal, "the decimal mark", ".,"))
                return -1;
        } else if (accept_word(ps, "negative")) {
            if (want_word(ps, "in") || want_word(ps, "parentheses"))
                return -1;
            f->paren_negative = true;
        } else if (accept_word(ps, "trailing")) {
            if (want_word(ps, "minus"))
                return -1;
            f->trailing_minus = true;
        } else if (accept_word(ps, "currency")) {
            if (want_string(ps, &f->currency, "a \"currency\" symbol or code"))
                return -1;
        } else {
            return expected(ps, "a number option: thousands \",\", decimal \".\", negative in parentheses, "
                                "trailing minus, currency \"$\"");
        }
    }
    return 0;
}

static int check_pattern(parser *ps, const tok *at, const char *pattern)
{
    size_t bad = 0;
    if (mf_date_pattern_ok(pattern, &bad))
        return 0;
    long col = at->col + (at->kind == T_STRING ? 1 : 0) + (long)mf_utf8_count(pattern, bad);
    return fail_at(ps, at->line, col,
                   "bad date pattern \"%s\": use YYYY or YY, MM or M or Mon or Month, DD or D, and separators",
                   pattern);
}

/* A pattern after "written as": the date parts in any number, at least one. */
static int check_format_pattern(parser *ps, const tok *at, const char *pattern)
{
    size_t bad = 0;
    if (mf_date_format_pattern_ok(pattern, &bad))
        return 0;
    return fail_at(ps, at->line, at->col + 1 + (long)mf_utf8_count(pattern, bad),
                   "bad date pattern \"%s\" after \"written as\": use YYYY, YY, MM, M, Mon, Month, DD, D and "
                   "separators", pattern);
}

static int p_read(parser *ps, plan_step *st)
{
    next_raw(ps, ",()#\"", false);   /* the token after "as" */
    tok at = ps->t;
    if (ps->failed)
        return -1;
    /* "read as integer: \"message\"" ends a reject rule or a check: the ':' is not part of a pattern */
    size_t rawlen = at.kind == T_RAW ? strlen(at.text) : 0;
    if (rawlen > 1 && at.text[rawlen - 1] == ':') {
        /* "read as MM/DD/YYYY: \"message\"": the ':' ends a reject rule or a check (the renderer
         * quotes a pattern that ends in ':') */
        ps->t.text = mf_arena_strndup(&ps->p->arena, at.text, rawlen - 1);
        ps->t.end--;
        ps->t.end_col--;
        at = ps->t;
    }
    if (at.kind == T_RAW && plan_pattern_reserved(at.text, strcspn(at.text, ":"))) {
        /* re-lex as a word */
        pos q = {at.start, at.line, at.col};
        lex_at(ps, q, &ps->t);
    }
    if (accept_word(ps, "ISO")) {
        st->kind = PS_READ_ISO;
        return want_word(ps, "date");
    }
    if (accept_word(ps, "Excel")) {
        st->kind = PS_READ_EXCEL;
        return want_word(ps, "serial") || want_word(ps, "date") ? -1 : 0;
    }
    if (accept_word(ps, "number")) {
        st->kind = PS_READ_NUMBER;
        return p_numfmt(ps, &st->numfmt);
    }
    if (accept_word(ps, "integer")) {
        st->kind = PS_READ_INTEGER;
        return 0;
    }
    if (accept_word(ps, "boolean")) {
        st->kind = PS_READ_BOOL;
        return p_bool_map(ps, st);
    }
    if (at.kind != T_RAW && at.kind != T_STRING)
        return expected(ps, "a date pattern such as MM/DD/YYYY, ISO date, Excel serial date, number, integer or boolean");
    st->kind = PS_READ_DATE;
    st->s = at.text;
    if (check_pattern(ps, &at, at.text))
        return -1;
    next(ps);
    if (is_punct(ps, '(')) {
        next(ps);
        if (want_word(ps, "pivot") || want_int(ps, &st->n, "a pivot year such as 1950") || want_punct(ps, ')'))
            return -1;
    }
    return 0;
}

/* with "x" replaced by "y" / with "x" removed / with spaces collapsed */
static int p_with(parser *ps, plan_step *st)
{
    if (accept_word(ps, "spaces")) {
        st->kind = PS_SQUISH;
        return want_word(ps, "collapsed");
    }
    bool lead = accept_word(ps, "leading");
    if (lead || accept_word(ps, "trailing")) {      /* with leading "0" removed */
        st->kind = PS_STRIP;
        st->m = lead ? 0 : 1;
        tok at = ps->t;
        if (want_string(ps, &st->s, "the \"text\" to remove"))
            return -1;
        if (!st->s[0])
            return fail_at(ps, at.line, at.col, "the text to remove cannot be empty");
        return want_word(ps, "removed");
    }
    st->kind = PS_REPLACE;
    tok at = ps->t;
    if (want_string(ps, &st->s, "a \"text\" to replace, or \"spaces collapsed\""))
        return -1;
    if (!st->s[0])
        return fail_at(ps, at.line, at.col, "the text to replace cannot be empty");
    if (accept_word(ps, "removed")) {
        st->s2 = "";
        return 0;
    }
    return want_word(ps, "replaced") || want_word(ps, "by") || want_string(ps, &st->s2, "the \"replacement\"");
}

/* its year / month / day / quarter / fiscal year (starting month N) */
static int p_date_part(parser *ps, plan_step *st)
{
    for (int k = PD_YEAR; k < PD_FISCAL_YEAR; k++)
        if (accept_word(ps, plan_date_part_names[k])) {
            st->s = plan_date_part_names[k];
            return 0;
        }
    if (!accept_word(ps, "fiscal"))
        return expected(ps, "year, month, day, quarter or fiscal year (starting month N)");
    st->s = plan_date_part_names[PD_FISCAL_YEAR];
    return want_word(ps, "year") || want_punct(ps, '(') || want_word(ps, "starting") || want_word(ps, "month") ||
           want_int(ps, &st->n, "the month the fiscal year starts in (2 to 12)") || want_punct(ps, ')');
}

static plan_expr *p_step(parser *ps, plan_expr *kid)
{
    tok at = ps->t;
    if (!at_step(ps)) {
        expected(ps, "a step such as \"trimmed\" or \"read as ...\"");
        return NULL;
    }
    const char *w = at.text;
    next(ps);
    plan_expr *e = new_expr(ps, PE_STEP, &at);
    e->kid[0] = kid;
    e->line = kid->line;   /* an expression's position is where its text starts */
    e->col = kid->col;
    plan_step *st = &e->step;
    int rc = 0;
    if (!strcmp(w, "trimmed")) {
        st->kind = PS_TRIM;
    } else if (!strcmp(w, "upper") || !strcmp(w, "lower")) {
        st->kind = w[0] == 'u' ? PS_UPPER : PS_LOWER;
        rc = want_word(ps, "cased");
    } else if (!strcmp(w, "padded")) {
        if (accept_word(ps, "left"))
            st->kind = PS_PAD_LEFT;
        else if (accept_word(ps, "right"))
            st->kind = PS_PAD_RIGHT;
        else
            rc = expected(ps, "\"left\" or \"right\"");
        rc = rc || want_word(ps, "with") || want_one_char(ps, &st->s, "the pad") || want_word(ps, "to") ||
             want_int(ps, &st->n, "a length");
    } else if (!strcmp(w, "prefixed") || !strcmp(w, "suffixed")) {
        st->kind = w[0] == 'p' ? PS_PREFIX : PS_SUFFIX;
        rc = want_word(ps, "with") || want_string(ps, &st->s, "a \"text\"");
    } else if (!strcmp(w, "first") || !strcmp(w, "last")) {
        st->kind = w[0] == 'f' ? PS_FIRST : PS_LAST;
        rc = want_int(ps, &st->n, "a number of characters");
        if (!rc && !accept_word(ps, "characters") && !accept_word(ps, "character"))
            rc = expected(ps, "\"characters\"");
    } else if (!strcmp(w, "characters")) {
        st->kind = PS_SUBSTR;
        rc = want_int(ps, &st->n, "a start position") || want_word(ps, "to") ||
             want_int(ps, &st->m, "an end position");
    } else if (!strcmp(w, "text")) {
        st->kind = is_word(ps, "before") ? PS_BEFORE : PS_AFTER;
        next(ps);
        st->m = accept_word(ps, "last") ? 1 : 0;
        rc = want_string(ps, &st->s, "a \"text\" to look for");
    } else if (!strcmp(w, "read")) {
        if (!is_word(ps, "as"))
            rc = want_word(ps, "as");
        else
            rc = p_read(ps, st);
    } else if (!strcmp(w, "multiplied") || !strcmp(w, "divided")) {
        st->kind = w[0] == 'm' ? PS_MUL : PS_DIV;
        rc = want_word(ps, "by");
        if (!rc && !(st->num = p_number_text(ps)))
            rc = expected(ps, "a number");
    } else if (!strcmp(w, "rounded")) {
        st->kind = PS_ROUND;
        st->m = accept_word(ps, "up") ? 1 : accept_word(ps, "down") ? 2 : 0;
        rc = want_word(ps, "to") || want_int(ps, &st->n, "a number of decimals");
        if (!rc && !accept_word(ps, "decimals") && !accept_word(ps, "decimal"))
            rc = expected(ps, "\"decimals\"");
    } else if (!strcmp(w, "negated")) {
        st->kind = PS_NEGATE;
        if (is_word(ps, "when")) {
            tok n = peek(ps);
            if (!(n.kind == T_WORD && !strcmp(n.text, "missing"))) {
                next(ps);
                st->kind = PS_NEGATE_WHEN;
                rc = !(st->cond = p_or(ps));
            }
        }
    } else if (!strcmp(w, "absolute")) {
        st->kind = PS_ABS;
        rc = want_word(ps, "value");
    } else if (!strcmp(w, "defaulting")) {
        st->kind = PS_DEFAULT;
        rc = want_word(ps, "to") || !(st->value = p_expr(ps)) || want_word(ps, "when") ||
             want_word(ps, "missing");
    } else if (!strcmp(w, "mapped")) {
        st->kind = PS_MAP;
        rc = p_map(ps, st);
    } else if (!strcmp(w, "with")) {
        rc = p_with(ps, st);
    } else if (!strcmp(w, "title") || !strcmp(w, "digits")) {
        st->kind = w[0] == 't' ? PS_TITLE : PS_DIGITS;
        rc = want_word(ps, w[0] == 't' ? "cased" : "only");
    } else if (!strcmp(w, "its")) {
        st->kind = PS_DATE_PART;
        rc = p_date_part(ps, st);
    } else if (!strcmp(w, "written")) {
        st->kind = PS_FORMAT_DATE;
        tok pat = ps->t;
        rc = want_word(ps, "as") || (pat = ps->t, want_string(ps, &st->s, "a \"date pattern\" such as \"YYYY-MM\"")) ||
             check_format_pattern(ps, &pat, st->s);
    } else if (!strcmp(w, "plus") || !strcmp(w, "minus")) {
        st->kind = PS_ADD_DAYS;
        rc = want_int(ps, &st->n, "a number of days");
        if (!rc && !accept_word(ps, "days") && !accept_word(ps, "day"))
            rc = expected(ps, "\"days\"");
        if (w[0] == 'm')
            st->n = -st->n;
    } else if (!strcmp(w, "end")) {
        st->kind = PS_END_OF_MONTH;
        rc = want_word(ps, "of") || want_word(ps, "month");
    } else if (!strcmp(w, "looked")) {
        st->kind = PS_LOOKUP;
        rc = want_word(ps, "up") || want_word(ps, "in") || want_name(ps, &st->s, "a lookup name");
        if (!rc && accept_punct(ps, '('))
            rc = want_word(ps, "otherwise") || p_otherwise(ps, &st->map) || want_punct(ps, ')');
    }
    return rc || ps->failed ? NULL : e;
}

/* ---- statements ------------------------------------------------------------------------------- */

static int end_statement(parser *ps, const char *what)
{
    if (ps->t.kind == T_EOS || ps->t.kind == T_EOF)
        return 0;
    return expected(ps, what);
}

static int p_type(parser *ps, plan_type *ty)
{
    memset(ty, 0, sizeof *ty);
    if (accept_word(ps, "text")) {
        ty->base = PT_TEXT;
        if (accept_punct(ps, '(')) {
            long n = 0;
            tok nt = ps->t;
            if (want_int(ps, &n, "a length") || want_punct(ps, ')'))
                return -1;
            if (n < 1)
                return fail_at(ps, nt.line, nt.col, "text(n) needs a length of at least 1 (write text for no limit)");
            ty->len = (int)n;
        }
        return 0;
    }
    if (accept_word(ps, "decimal")) {
        ty->base = PT_DECIMAL;
        if (accept_punct(ps, '(')) {
            long p = 0, s = 0;
            tok pt = ps->t;
            if (want_int(ps, &p, "a precision") || want_punct(ps, ',') || want_int(ps, &s, "a scale") ||
                want_punct(ps, ')'))
                return -1;
            if (p < 1 || p > 38)
                return fail_at(ps, pt.line, pt.col, "decimal precision must be 1 to 38, found %ld", p);
            if (s > p)
                return fail_at(ps, pt.line, pt.col, "decimal(%ld,%ld): the scale cannot exceed the precision", p, s);
            ty->prec = (int)p;
            ty->scale = (int)s;
        }
        return 0;
    }
    static const struct { const char *w; plan_base b; } simple[] = {
        {"integer", PT_INTEGER}, {"bigint", PT_BIGINT}, {"date", PT_DATE},
        {"timestamp", PT_TIMESTAMP}, {"boolean", PT_BOOLEAN}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (accept_word(ps, simple[i].w)) {
            ty->base = simple[i].b;
            return 0;
        }
    return expected(ps, "a type: text, text(n), integer, bigint, decimal(p,s), date, timestamp or boolean");
}

static int p_column(parser *ps)
{
    tok at = ps->t;
    const char *name = NULL;
    plan_type ty;
    if (want_name(ps, &name, "a column name"))
        return -1;
    tok type_at = ps->t;
    if (p_type(ps, &ty))
        return -1;
    /* An output column's decimal must say its scale: the output writes exactly s decimals, and an
     * unconstrained column would leave that to each back end. */
    if (ty.base == PT_DECIMAL && ty.prec == 0)
        return fail_at(ps, type_at.line, type_at.col,
                       "column %s: a decimal column needs its precision and scale, such as decimal(18,2)", name);
    for (int i = 0; i < ps->p->ncols; i++)
        if (!strcmp(ps->p->cols[i].name, name))
            return fail_at(ps, at.line, at.col, "duplicate column %s: it is already defined above", name);
    bool req = accept_word(ps, "required");
    if (want_punct(ps, '='))
        return -1;
    plan_expr *e = p_top(ps);
    if (!e || end_statement(ps, "a step such as \"trimmed\" or \"read as ...\" after a comma, an operator, "
                                 "or the end of the line"))
        return -1;
    plan_column *c = plan_add_column(ps->p, name, ty);
    c->required = req;
    c->expr = e;
    c->prov = ps->prov;
    return 0;
}

static int p_skip(parser *ps)
{
    if (accept_word(ps, "the")) {
        tok at = ps->t;
        long n = 0;
        if (want_word(ps, "last") || want_int(ps, &n, "a number of rows") || want_word(ps, "rows"))
            return -1;
        if (ps->p->source.skip_last)
            return fail_at(ps, at.line, at.col, "\"skip the last N rows\" may appear only once");
        ps->p->source.skip_last = n;
        return end_statement(ps, "the end of the line");
    }
    if (want_word(ps, "rows") || want_word(ps, "where"))
        return -1;
    plan_expr *c = p_or(ps);
    if (!c || end_statement(ps, "\"and\", \"or\" or the end of the line"))
        return -1;
    plan_add_rule(ps->p, PR_SKIP, c, NULL)->prov = ps->prov;
    return 0;
}

static int p_reject(parser *ps)
{
    const char *msg = NULL;
    if (want_word(ps, "rows") || want_word(ps, "where"))
        return -1;
    plan_expr *c = p_or(ps);
    if (!c)
        return -1;
    if (accept_punct(ps, ':') && want_string(ps, &msg, "a \"message\""))
        return -1;
    if (end_statement(ps, "\":\" and a \"message\", \"and\", \"or\" or the end of the line"))
        return -1;
    plan_rule *r = plan_add_rule(ps->p, PR_REJECT, c, NULL);
    r->message = msg;
    r->prov = ps->prov;
    return 0;
}

/* check COND [: "message"] — a reviewer's check over the output rows */
static int p_check(parser *ps)
{
    const char *msg = NULL;
    plan_expr *c = p_or(ps);
    if (!c)
        return -1;
    if (accept_punct(ps, ':') && want_string(ps, &msg, "a \"message\""))
        return -1;
    if (end_statement(ps, "\":\" and a \"message\", \"and\", \"or\" or the end of the line"))
        return -1;
    plan_rule *r = plan_add_rule(ps->p, PR_CHECK, c, NULL);
    r->message = msg;
    r->prov = ps->prov;
    return 0;
}

/* key COL, COL — the declared unique key over output columns (once) */
static int p_key(parser *ps, long line, long col)
{
    if (ps->p->nkeys)
        return fail_at(ps, line, col, "\"key\" may appear only once: list every key column in it");
    do {
        tok at = ps->t;
        const char *name = NULL;
        if (want_name(ps, &name, "an output column name"))
            return -1;
        for (int i = 0; i < ps->p->nkeys; i++)
            if (!strcmp(ps->p->keys[i], name))
                return fail_at(ps, at.line, at.col, "%s is already part of the key", name);
        plan_add_key(ps->p, name);
    } while (accept_punct(ps, ','));
    if (end_statement(ps, "\",\" and another column, or the end of the line"))
        return -1;
    ps->key_line = line;
    ps->p->key_prov = ps->prov;
    return 0;
}

static int p_lookup(parser *ps)
{
    tok at = ps->t;
    const char *name = NULL;
    if (want_name(ps, &name, "a lookup name"))
        return -1;
    for (int i = 0; i < ps->p->nlookups; i++)
        if (!strcmp(ps->p->lookups[i].name, name))
            return fail_at(ps, at.line, at.col, "duplicate lookup %s", name);
    const char *tab = NULL, *key = NULL, *value = NULL;
    if (accept_word(ps, "from") && (want_word(ps, "tab") || want_string(ps, &tab, "a \"tab\" name")))
        return -1;
    if (accept_punct(ps, '(')) {
        bool have_key = false;
        if (accept_word(ps, "key")) {
            if (want_string(ps, &key, "a \"key column\""))
                return -1;
            have_key = true;
        }
        if ((!have_key || accept_punct(ps, ',')) &&
            (want_word(ps, "value") || want_string(ps, &value, "a \"value column\"")))
            return -1;
        if (want_punct(ps, ')'))
            return -1;
    }
    if (want_punct(ps, ':'))
        return -1;
    plan_lookup *l = plan_add_lookup(ps->p, name);
    l->tab = tab;
    l->key_col = key;
    l->value_col = value;
    l->prov = ps->prov;
    while (ps->t.kind == T_STRING) {
        const char *k = ps->t.text, *v = NULL;
        next(ps);
        if (want_punct(ps, P_ARROW) || want_string(ps, &v, "a \"value\""))
            return -1;
        plan_lookup_add_entry(ps->p, l, k, v);
    }
    l->prov = ps->prov;   /* the comment may have been read while reading the entries */
    return end_statement(ps, "a \"key\" -> \"value\" line or the end of the lookup");
}

static int p_question(parser *ps)
{
    const char *col = NULL, *text = NULL;
    long row = 0;
    if (accept_word(ps, "about") && want_name(ps, &col, "a column name"))
        return -1;
    if (accept_punct(ps, '(') &&
        (want_word(ps, "row") || want_int(ps, &row, "a mapping row number") || want_punct(ps, ')')))
        return -1;
    if (want_punct(ps, ':') || want_string(ps, &text, "the \"question\"") || end_statement(ps, "the end of the line"))
        return -1;
    plan_add_question(ps->p, col, (int)row, text);
    long *lines = mf_arena_alloc(&ps->p->arena, (size_t)ps->p->nquestions * sizeof *lines);
    if (ps->p->nquestions > 1)
        memcpy(lines, ps->qline, (size_t)(ps->p->nquestions - 1) * sizeof *lines);
    lines[ps->p->nquestions - 1] = ps->stmt_line;
    ps->qline = lines;
    return 0;
}

/* suggestion about NAME [(row N)] from "BY", confidence N percent: "EXPRESSION" — a model's proposal,
 * kept as text (plan.h); its comment is the model's explanation. */
static int p_suggestion(parser *ps)
{
    const char *col = NULL, *by = NULL, *expr = NULL;
    long row = 0, conf = 0;
    if (want_word(ps, "about") || want_name(ps, &col, "a column name"))
        return -1;
    if (accept_punct(ps, '(') &&
        (want_word(ps, "row") || want_int(ps, &row, "a mapping row number") || want_punct(ps, ')')))
        return -1;
    if (want_word(ps, "from") || want_string(ps, &by, "who suggested it (\"provider model\")") ||
        want_punct(ps, ',') || want_word(ps, "confidence"))
        return -1;
    long cl = ps->t.line, cc = ps->t.col;
    if (want_int(ps, &conf, "a confidence from 0 to 100") || want_word(ps, "percent"))
        return -1;
    if (conf > 100)
        return fail_at(ps, cl, cc, "a confidence is at most 100 percent");
    if (want_punct(ps, ':') || want_string(ps, &expr, "the suggested expression as \"text\"") ||
        end_statement(ps, "the end of the line"))
        return -1;
    plan_suggestion *g = plan_add_suggestion(ps->p, col, (int)row, by, (int)conf, expr, NULL);
    g->prov = ps->prov;
    long *lines = mf_arena_alloc(&ps->p->arena, (size_t)ps->p->nsuggestions * sizeof *lines);
    if (ps->p->nsuggestions > 1)
        memcpy(lines, ps->sline, (size_t)(ps->p->nsuggestions - 1) * sizeof *lines);
    lines[ps->p->nsuggestions - 1] = ps->stmt_line;
    ps->sline = lines;
    return 0;
}

/* note: "text" — a mapping row that maps nothing, kept with its provenance */
static int p_note(parser *ps)
{
    const char *text = NULL;
    if (want_punct(ps, ':') || want_string(ps, &text, "the \"note\"") || end_statement(ps, "the end of the line"))
        return -1;
    plan_add_note(ps->p, text)->prov = ps->prov;
    return 0;
}

static int p_header(parser *ps)
{
    plan *p = ps->p;
    const char *client = NULL, *s = NULL;
    if (want_word(ps, "plan") || want_name(ps, &client, "the client name"))
        return -1;
    p->client = client;
    if (ps->t.kind != T_WORD || ps->t.text[0] != 'v' || !ps->t.text[1] ||
        strspn(ps->t.text + 1, "0123456789") != strlen(ps->t.text + 1) || strlen(ps->t.text) > 9)
        return expected(ps, "a version such as v1");
    p->version = atoi(ps->t.text + 1);
    next(ps);
    if (end_statement(ps, "the end of the line"))
        return -1;
    next(ps);
    if (want_word(ps, "source") || want_string(ps, &p->source.file, "the \"file name\"") || want_punct(ps, ':') ||
        want_word(ps, "csv") || want_punct(ps, ',') || want_word(ps, "delimiter"))
        return -1;
    if (want_string(ps, &s, "the \"delimiter\""))
        return -1;
    if (strlen(s) > 1 || (s[0] && (unsigned char)s[0] >= 0x80))
        return fail_at(ps, ps->t.line, ps->t.col, "the delimiter must be one character such as \",\" \";\" \"|\" \"\\t\"");
    p->source.delimiter = s[0];
    if (want_punct(ps, ',') || want_word(ps, "quote"))
        return -1;
    if (!accept_word(ps, "none")) {
        if (want_string(ps, &s, "the \"quote\" character or none"))
            return -1;
        if (strlen(s) != 1 || (unsigned char)s[0] >= 0x80)
            return fail_at(ps, ps->t.line, ps->t.col, "the quote must be one character such as \"\\\"\", or none");
        p->source.quote = s[0];
    }
    if (want_punct(ps, ',') || !is_word(ps, "encoding"))
        return ps->failed ? -1 : want_word(ps, "encoding");
    next_raw(ps, ",#", true);
    tok at = ps->t;
    if (at.kind != T_RAW)
        return expected(ps, "an encoding name such as UTF-8");
    size_t i;
    for (i = 0; i < PLAN_NENCODINGS; i++)
        if (!strcmp(plan_encodings[i].name, at.text))
            break;
    if (i == PLAN_NENCODINGS)
        return fail_at(ps, at.line, at.col,
                       "unknown encoding \"%s\": expected UTF-8, UTF-8 with BOM, Windows-1252, ISO-8859-1, UTF-16LE "
                       "or UTF-16BE", at.text);
    p->source.encoding = plan_encodings[i].enc;
    next(ps);
    if (want_punct(ps, ',') || want_word(ps, "header") || want_word(ps, "on") || want_word(ps, "line") ||
        want_int(ps, &p->source.header_line, "a line number") || end_statement(ps, "the end of the line"))
        return -1;
    next(ps);
    if (accept_word(ps, "mapping")) {   /* optional: the workbook the plan was drafted from */
        if (want_string(ps, &p->mapping.file, "the mapping's \"file name\"") || want_punct(ps, ',') ||
            want_word(ps, "sheet") || want_string(ps, &p->mapping.sheet, "the \"sheet\" name") ||
            want_punct(ps, ',') || want_word(ps, "sha256") ||
            want_string(ps, &p->mapping.sha256, "the mapping's \"sha256\"") || end_statement(ps, "the end of the line"))
            return -1;
        next(ps);
    }
    const char *out = NULL;
    if (want_word(ps, "output") || want_name(ps, &out, "the output name") || end_statement(ps, "the end of the line"))
        return -1;
    p->output = out;
    return 0;
}

static void begin_statement(parser *ps)
{
    ps->have_comment = false;
    ps->nodes = 0;
    memset(&ps->prov, 0, sizeof ps->prov);
    next(ps);
    ps->stmt_line = ps->t.line;
}

static int p_statement(parser *ps)
{
    if (accept_word(ps, "skip"))
        return p_skip(ps);
    if (accept_word(ps, "reject"))
        return p_reject(ps);
    if (accept_word(ps, "lookup"))
        return p_lookup(ps);
    if (accept_word(ps, "question"))
        return p_question(ps);
    if (is_word(ps, "suggestion") && peek_is_word(ps, "about")) {
        next(ps);
        return p_suggestion(ps);
    }
    if (accept_word(ps, "check"))
        return p_check(ps);
    if (is_word(ps, "note") && peek(ps).kind == T_PUNCT && peek(ps).c == ':') {
        next(ps);
        return p_note(ps);
    }
    if (is_word(ps, "key")) {
        long line = ps->t.line, col = ps->t.col;
        next(ps);
        return p_key(ps, line, col);
    }
    if (is_word(ps, "plan") || is_word(ps, "source") || is_word(ps, "output"))
        return fail_at(ps, ps->t.line, ps->t.col, "\"%s\" may appear only once, in the header at the top",
                       ps->t.text);
    if (at_name(ps))
        return p_column(ps);
    return expected(ps, "a column (NAME type = ...) or a statement (skip, reject, check, key, lookup, note, "
                        "question, suggestion)");
}

/* ---- checks after parsing: names refer to something ------------------------------------------- */

typedef struct resolve_ctx {
    parser *ps;
    int limit;        /* output columns [0, limit) may be referenced */
} resolve_ctx;

static int find_column(const plan *p, const char *name)
{
    for (int i = 0; i < p->ncols; i++)
        if (!strcmp(p->cols[i].name, name))
            return i;
    return -1;
}

static int resolve(resolve_ctx *rc, const plan_expr *e)
{
    parser *ps = rc->ps;
    if (!e)
        return 0;
    if (e->kind == PE_OUTPUT) {
        int i = find_column(ps->p, e->name);
        if (i < 0)
            return fail_at(ps, e->line, e->col, "unknown column %s: write [%s] for a source column", e->name, e->name);
        if (i >= rc->limit)
            return fail_at(ps, e->line, e->col, "column %s is defined below: a column may use only columns above it",
                           e->name);
    }
    if (e->kind == PE_STEP && e->step.kind == PS_LOOKUP) {
        int found = 0;
        for (int i = 0; i < ps->p->nlookups && !found; i++)
            found = !strcmp(ps->p->lookups[i].name, e->step.s);
        if (!found)
            return fail_at(ps, e->line, e->col, "unknown lookup %s: define it with \"lookup %s ...:\"", e->step.s,
                           e->step.s);
    }
    for (int i = 0; i < 3; i++)
        if (resolve(rc, e->kid[i]))
            return -1;
    if (e->kind == PE_STEP && (resolve(rc, e->step.cond) || resolve(rc, e->step.value)))
        return -1;
    return 0;
}

/* The parser's recursion is bounded, but a long chain ("a + b + c ...") builds a tree one level
 * per operator without recursing: refuse a tree past the limits before anything walks it. */
static int within_limits(parser *ps, const plan_expr *e)
{
    const char *why;
    const plan_expr *bad = plan_expr_over_limits(e, &why);
    if (bad)
        return fail_at(ps, bad->line, bad->col, "%s: split it into several columns", why);
    return 0;
}

static int resolve_all(parser *ps)
{
    plan *p = ps->p;
    for (int i = 0; i < p->ncols; i++)
        if (within_limits(ps, p->cols[i].expr))
            return -1;
    for (int i = 0; i < p->nrules; i++)
        if (within_limits(ps, p->rules[i].cond))
            return -1;
    for (int i = 0; i < p->ncols; i++) {
        resolve_ctx rc = {ps, i};
        if (resolve(&rc, p->cols[i].expr))
            return -1;
    }
    for (int i = 0; i < p->nrules; i++) {
        resolve_ctx rc = {ps, p->ncols};
        if (resolve(&rc, p->rules[i].cond))
            return -1;
    }
    for (int i = 0; i < p->nkeys; i++)
        if (find_column(p, p->keys[i]) < 0)
            return fail_at(ps, ps->key_line, 1, "the key names %s, which is not a column of the plan", p->keys[i]);
    for (int i = 0; i < p->nquestions; i++)
        if (p->questions[i].column && find_column(p, p->questions[i].column) < 0)
            return fail_at(ps, ps->qline[i], 1, "a question is about %s, which is not a column of the plan", p->questions[i].column);
    for (int i = 0; i < p->nsuggestions; i++)
        if (find_column(p, p->suggestions[i].column) < 0)
            return fail_at(ps, ps->sline[i], 1, "a suggestion is about %s, which is not a column of the plan",
                           p->suggestions[i].column);
    return 0;
}

/* ---- entry ------------------------------------------------------------------------------------ */

static int validate_bytes(parser *ps)
{
    long line = 1, col = 1;
    size_t bad = mf_utf8_invalid_at(ps->s, ps->n);
    for (size_t i = 0; i < ps->n; i++) {
        unsigned char c = (unsigned char)ps->s[i];
        if (i == bad)
            return fail_at(ps, line, col, "invalid UTF-8 (byte 0x%02X): save the plan as UTF-8", c);
        if (c == 0)
            return fail_at(ps, line, col, "NUL byte in the plan text");
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    return 0;
}

int plan_parse(const char *text, size_t len, const char *path, plan *out, mf_err *e)
{
    parser ps = {0};
    plan_init(out);
    ps.s = text;
    ps.n = len;
    ps.path = path;
    ps.e = e;
    ps.p = out;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {   /* a BOM some editors add */
        ps.s += 3;
        ps.n -= 3;
    }
    if (validate_bytes(&ps))
        goto fail;
    /* a virtual line break before the first line: skip leading blank and comment lines */
    pos q = {0, 1, 1};
    while (q.at < ps.n && ignorable_line(&ps, q.at))
        skip_line(&ps, &q);
    if (q.at < ps.n && (ps.s[q.at] == ' ' || ps.s[q.at] == '\t')) {
        fail_at(&ps, q.line, 1, "a statement must start at the beginning of a line");
        goto fail;
    }
    ps.t.kind = T_EOS;
    ps.t.end = q.at;
    ps.t.end_line = q.line;
    ps.t.end_col = 1;
    lex_at(&ps, q, &ps.t);
    ps.have_comment = false;
    if (p_header(&ps))
        goto fail;
    for (;;) {
        begin_statement(&ps);
        if (ps.failed)
            goto fail;
        if (ps.t.kind == T_EOF)
            break;
        if (p_statement(&ps))
            goto fail;
    }
    if (resolve_all(&ps))
        goto fail;
    return 0;
fail:
    plan_free(out);
    plan_init(out);
    return -1;
}

/* One expression on its own (an answer to a question, a reviewer's edit).  The text is lexed as
 * the first line of a statement; anything after the expression is an error. */
plan_expr *plan_parse_expr(plan *p, const char *text, size_t len, const char *path, mf_err *e)
{
    parser ps = {0};
    ps.s = text;
    ps.n = len;
    ps.path = path;
    ps.e = e;
    ps.p = p;
    if (validate_bytes(&ps))
        return NULL;
    pos q = {0, 1, 1};
    while (q.at < ps.n && (ps.s[q.at] == ' ' || ps.s[q.at] == '\t'))
        advance(&ps, &q);
    ps.t.kind = T_EOS;
    ps.t.end = q.at;
    ps.t.end_line = q.line;
    ps.t.end_col = q.col;
    lex_at(&ps, q, &ps.t);
    if (ps.failed)
        return NULL;
    if (ps.t.kind == T_EOS || ps.t.kind == T_EOF) {
        expected(&ps, "an expression");
        return NULL;
    }
    plan_expr *x = p_top(&ps);
    if (!x || end_statement(&ps, "an operator, a step after a comma, or the end of the expression") ||
        within_limits(&ps, x))
        return NULL;
    return x;
}
