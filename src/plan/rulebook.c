/* rulebook.c — shape, template and instantiation of rulebook entries (see rulebook.h).
 *
 * Invariants: shaping is deterministic and never fails; a template holds no value of the rule it
 * was learned from except those the rule states verbatim (which are then part of the shape too,
 * as words); instantiation writes every slot value through the renderer's quoting, so the text
 * handed to the parser holds the values only as a "literal", a [name] or a plain number.
 */
#include "plan/rulebook.h"

#include "util/buf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shape ------------------------------------------------------------------------------------ */

static bool is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* A curly quote at s (UTF-8 E2 80 98/99/9C/9D): its length (3) and its kind (1 single, 2 double). */
static int curly(const char *s, int *kind)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] >= 0x98 && u[2] <= 0x9D) && u[2] != 0x9A && u[2] != 0x9B) {
        *kind = u[2] <= 0x99 ? 1 : 2;
        return 3;
    }
    return 0;
}

/* A quoted literal opening at s (after a non-word byte): its value's bounds and the end. */
static bool quoted_at(const char *s, const char **vb, const char **ve, const char **end)
{
    int kind = 0, n = curly(s, &kind);
    if (!n) {
        if (*s == '\'')
            kind = 1, n = 1;
        else if (*s == '"')
            kind = 2, n = 1;
        else
            return false;
    }
    for (const char *q = s + n; *q; q++) {
        int k2 = 0, m = curly(q, &k2);
        bool closes = m ? k2 == kind : (kind == 1 ? *q == '\'' : *q == '"');
        if (!m)
            m = 1;
        if (closes && !is_word((unsigned char)q[m])) {
            *vb = s + n;
            *ve = q;
            *end = q + m;
            return true;
        }
    }
    return false;
}

static void add_slot(rb_shape *o, char kind, const char *v, size_t n)
{
    o->slot = mf_xrealloc(o->slot, (size_t)(o->nslots + 1) * sizeof *o->slot);
    char *x = mf_xmalloc(n + 1);
    memcpy(x, v, n);
    x[n] = 0;
    o->slot[o->nslots].kind = kind;
    o->slot[o->nslots].value = x;
    o->nslots++;
}

static int count_kind(const rb_shape *o, char kind)
{
    int k = 0;
    for (int i = 0; i < o->nslots; i++)
        k += o->slot[i].kind == kind;
    return k;
}

static void put_placeholder(mf_buf *b, bool *space, rb_shape *o, char kind)
{
    if (b->len)
        mf_buf_addc(b, ' ');
    mf_buf_printf(b, "{%c%d}", kind, count_kind(o, kind) - 1);
    *space = true;
}

/* The longest data column whose name starts at s, case-insensitively, ending at a word boundary. */
static const char *column_at(const char *s, const char *const *cols, int ncols, size_t *len)
{
    const char *best = NULL;
    size_t bl = 0;
    for (int i = 0; i < ncols; i++) {
        const char *c = cols[i];
        size_t n = c ? strlen(c) : 0;
        if (n < 2 || n <= bl || strncasecmp(s, c, n) != 0)
            continue;
        if (is_word((unsigned char)c[n - 1]) && is_word((unsigned char)s[n]))
            continue;
        best = c;
        bl = n;
    }
    *len = bl;
    return best;
}

static bool number_at(const char *s, size_t *len)
{
    const char *q = s;
    if (!isdigit((unsigned char)*q))
        return false;
    while (isdigit((unsigned char)*q))
        q++;
    if (*q == '.' && isdigit((unsigned char)q[1])) {
        q++;
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (is_word((unsigned char)*q))
        return false;
    *len = (size_t)(q - s);
    return true;
}

void rb_shape_of(const char *rule, const char *const *columns, int ncolumns, rb_shape *out)
{
    rb_shape_of_row(rule, NULL, columns, ncolumns, out);
}

void rb_shape_of_row(const char *rule, const char *source, const char *const *columns, int ncolumns, rb_shape *out)
{
    memset(out, 0, sizeof *out);
    mf_buf b = {0};
    bool space = false;   /* a separator is pending before the next word character */
    if (source && *source) {
        add_slot(out, 'c', source, strlen(source));
        mf_buf_adds(&b, "from {c0}:");
        space = true;
    }
    const char *s = rule ? rule : "";
    while (*s) {
        bool boundary = s == rule || !is_word((unsigned char)s[-1]);
        const char *vb, *ve, *end;
        size_t n;
        if (*s == '[' && strchr(s + 1, ']')) {
            const char *c = strchr(s + 1, ']');
            add_slot(out, 'c', s + 1, (size_t)(c - s - 1));
            put_placeholder(&b, &space, out, 'c');
            s = c + 1;
        } else if (boundary && quoted_at(s, &vb, &ve, &end)) {
            add_slot(out, 's', vb, (size_t)(ve - vb));
            put_placeholder(&b, &space, out, 's');
            s = end;
        } else if (boundary && column_at(s, columns, ncolumns, &n)) {
            const char *c = column_at(s, columns, ncolumns, &n);
            add_slot(out, 'c', c, n);
            put_placeholder(&b, &space, out, 'c');
            s += n;
        } else if (boundary && number_at(s, &n)) {
            add_slot(out, 'n', s, n);
            put_placeholder(&b, &space, out, 'n');
            s += n;
        } else if (is_word((unsigned char)*s)) {
            if (space && b.len)
                mf_buf_addc(&b, ' ');
            space = false;
            mf_buf_addc(&b, (char)tolower((unsigned char)*s));
            s++;
        } else {
            space = true;
            s++;
        }
    }
    out->shape = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
}

void rb_shape_free(rb_shape *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nslots; i++)
        free(s->slot[i].value);
    free(s->slot);
    free(s->shape);
    memset(s, 0, sizeof *s);
}

/* ---- template --------------------------------------------------------------------------------- */

/* The k-th (0-based, within its kind) slot of kind whose value equals v: k, or -1. */
static int slot_equal(const rb_shape *s, char kind, const char *v)
{
    int k = 0;
    for (int i = 0; i < s->nslots; i++) {
        if (s->slot[i].kind != kind)
            continue;
        if (!strcmp(s->slot[i].value, v))
            return k;
        k++;
    }
    return -1;
}

/* Does v appear in rule as whole words, case-insensitively? */
static bool verbatim(const char *rule, const char *v)
{
    size_t n = strlen(v);
    if (n == 0)
        return true;
    for (const char *q = rule; *q; q++) {
        if (strncasecmp(q, v, n) != 0)
            continue;
        bool left = q == rule || !is_word((unsigned char)q[-1]) || !is_word((unsigned char)v[0]);
        bool right = !is_word((unsigned char)q[n]) || !is_word((unsigned char)v[n - 1]);
        if (left && right)
            return true;
    }
    return false;
}

static void utf8_put(mf_buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        mf_buf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        mf_buf_addc(b, (char)(0xC0 | (cp >> 6)));
        mf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        mf_buf_addc(b, (char)(0xE0 | (cp >> 12)));
        mf_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        mf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        mf_buf_addc(b, (char)(0xF0 | (cp >> 18)));
        mf_buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        mf_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        mf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A quoted token of the rendered language at s (s[0] is the opening character): its value in v,
 * the position after it returned.  Escapes as the renderer writes them: the closing character
 * doubled (names) or after a backslash (text), \\ \n \t \r \u{HEX}. */
static const char *read_quoted(const char *s, char close, mf_buf *v)
{
    const char *q = s + 1;
    while (*q) {
        if (*q == '\\' && q[1]) {
            q++;
            switch (*q) {
            case 'n': mf_buf_addc(v, '\n'); q++; break;
            case 't': mf_buf_addc(v, '\t'); q++; break;
            case 'r': mf_buf_addc(v, '\r'); q++; break;
            case 'u':
                if (q[1] == '{') {
                    char *end;
                    unsigned long cp = strtoul(q + 2, &end, 16);
                    if (*end == '}') {
                        utf8_put(v, cp);
                        q = end + 1;
                        break;
                    }
                }
                mf_buf_addc(v, *q++);
                break;
            default: mf_buf_addc(v, *q++); break;
            }
        } else if (*q == close) {
            if (close != '"' && q[1] == close) {
                mf_buf_addc(v, close);
                q += 2;
            } else {
                return q + 1;
            }
        } else {
            mf_buf_addc(v, *q++);
        }
    }
    return q;
}

char *rb_template(const char *expr_text, const char *rule, const rb_shape *s, const char **why)
{
    mf_buf t = {0}, v = {0};
    const char *q = expr_text;
    *why = NULL;
    while (*q && !*why) {
        if (*q == '[' || *q == '"') {
            mf_buf_clear(&v);
            const char *end = read_quoted(q, *q == '[' ? ']' : '"', &v);
            const char *val = mf_buf_str(&v);
            int k;
            if (*q == '[') {
                if ((k = slot_equal(s, 'c', val)) >= 0)
                    mf_buf_printf(&t, "{c%d}", k);
                else if ((k = slot_equal(s, 's', val)) >= 0)
                    mf_buf_printf(&t, "{c:s%d}", k);
                else
                    *why = "the reading uses a column the rule does not name";
            } else {
                if ((k = slot_equal(s, 's', val)) >= 0)
                    mf_buf_printf(&t, "{s%d}", k);
                else if ((k = slot_equal(s, 'n', val)) >= 0)
                    mf_buf_printf(&t, "{s:n%d}", k);
                else if ((k = slot_equal(s, 'c', val)) >= 0)
                    mf_buf_printf(&t, "{s:c%d}", k);
                else if (verbatim(rule, val))
                    for (const char *c = q; c < end; c++)
                        mf_buf_adds(&t, *c == '{' ? "{{" : (char[]){*c, 0});
                else
                    *why = "the reading holds a text the rule does not state";
            }
            q = end;
        } else if (*q == '`') {
            mf_buf_clear(&v);
            const char *end = read_quoted(q, '`', &v);
            for (const char *c = q; c < end; c++)
                mf_buf_adds(&t, *c == '{' ? "{{" : (char[]){*c, 0});
            q = end;
        } else if (isdigit((unsigned char)*q) && (q == expr_text || !is_word((unsigned char)q[-1]))) {
            const char *e = q;
            while (isdigit((unsigned char)*e) || (*e == '.' && isdigit((unsigned char)e[1])))
                e++;
            char num[64];
            snprintf(num, sizeof num, "%.*s", (int)(e - q), q);
            int k;
            if ((k = slot_equal(s, 'n', num)) >= 0)
                mf_buf_printf(&t, "{n%d}", k);
            else if ((k = slot_equal(s, 's', num)) >= 0)
                mf_buf_printf(&t, "{n:s%d}", k);
            else if (verbatim(rule, num))
                mf_buf_adds(&t, num);
            else
                *why = "the reading holds a number the rule does not state";
            q = e;
        } else if (*q == '{') {
            mf_buf_adds(&t, "{{");
            q++;
        } else if (is_word((unsigned char)*q)) {
            while (is_word((unsigned char)*q))   /* a name or keyword: digits inside it are no number */
                mf_buf_addc(&t, *q++);
        } else {
            mf_buf_addc(&t, *q++);
        }
    }
    mf_buf_free(&v);
    if (*why) {
        mf_buf_free(&t);
        return NULL;
    }
    char *out = mf_xstrdup(mf_buf_str(&t));
    mf_buf_free(&t);
    return out;
}

/* ---- instantiate ------------------------------------------------------------------------------ */

static const char *slot_value(const rb_shape *s, char kind, int k)
{
    for (int i = 0; i < s->nslots; i++)
        if (s->slot[i].kind == kind && k-- == 0)
            return s->slot[i].value;
    return NULL;
}

static bool plain_number(const char *v)
{
    size_t n;
    return v && number_at(v, &n) && v[n] == 0;
}

char *rb_instantiate(const char *tmpl, const rb_shape *s, mf_err *e)
{
    mf_buf b = {0};
    const char *q = tmpl;
    while (*q) {
        if (q[0] == '{' && q[1] == '{') {
            mf_buf_addc(&b, '{');
            q += 2;
            continue;
        }
        if (*q != '{') {
            mf_buf_addc(&b, *q++);
            continue;
        }
        /* {P:KN} or {KN} */
        char pos = q[1], kind = q[1];
        const char *d = q + 2;
        if (q[2] == ':') {
            kind = q[3];
            d = q + 4;
        }
        char *end;
        long k = strtol(d, &end, 10);
        const char *v = NULL;
        if (end == d || *end != '}' || !strchr("csn", pos) || !strchr("csn", kind) || k < 0 ||
            !(v = slot_value(s, kind, (int)k))) {
            mf_buf_free(&b);
            mf_fail(e, MF_EPARSE, "rulebook", 0, 0, "the template %s names a slot the rule has not", tmpl);
            return NULL;
        }
        if (pos == 'c') {
            plan_put_source_name(&b, v);
        } else if (pos == 's') {
            plan_put_text_literal(&b, v);
        } else if (plain_number(v)) {
            mf_buf_adds(&b, v);
        } else {
            mf_buf_free(&b);
            mf_fail(e, MF_EPARSE, "rulebook", 0, 0, "the rule's value \"%.60s\" is no number", v);
            return NULL;
        }
        q = end + 1;
    }
    char *out = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return out;
}

plan_expr *rb_instantiate_expr(plan *p, const char *tmpl, const rb_shape *s, mf_err *e)
{
    char *text = rb_instantiate(tmpl, s, e);
    if (!text)
        return NULL;
    plan_expr *x = plan_parse_expr(p, text, strlen(text), "rulebook", e);
    free(text);
    return x;
}
