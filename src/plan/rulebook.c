/* rulebook.c — shape, template and instantiation of rulebook entries (see rulebook.h).
 *
 * Invariants: shaping is deterministic and never fails; a template holds no value of the rule it
 * was learned from except those the rule states verbatim (which are then part of the shape too,
 * as words); instantiation writes every slot value through the renderer's quoting, so the text
 * handed to the parser holds the values only as a "literal", a [name] or a plain number.
 */
#include "plan/rulebook.h"

#include "util/buf.h"
#include "util/date.h"

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

/* A number at s: digits, with thousands in groups of three after commas (10,000) or not, and a
 * fraction after a point.  Its length; a comma-grouped number is a slot without its commas. */
static bool number_at(const char *s, size_t *len)
{
    const char *q = s;
    if (!isdigit((unsigned char)*q))
        return false;
    while (isdigit((unsigned char)*q))
        q++;
    if (q - s <= 3)
        while (q[0] == ',' && isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
               isdigit((unsigned char)q[3]) && !isdigit((unsigned char)q[4]))
            q += 4;
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

/* ---- dates -------------------------------------------------------------------------------------- */

static const char *const month_names[] = {"january", "february", "march",     "april",   "may",      "june",
                                          "july",    "august",   "september", "october", "november", "december"};

/* A month's name at s (full, the first three letters, or "sept"), any case, ending at a word
 * boundary: its number (1..12) and length, or 0. */
static int month_at(const char *s, size_t *len)
{
    for (int m = 0; m < 12; m++) {
        const char *name = month_names[m];
        size_t full = strlen(name);
        size_t tries[3] = {full, 3, m == 8 ? 4 : 0};
        for (int k = 0; k < 3; k++) {
            size_t n = tries[k];
            if (n && !strncasecmp(s, name, n) && !is_word((unsigned char)s[n])) {
                *len = n;
                return m + 1;
            }
        }
    }
    return 0;
}

/* Up to `max` digits at s (at least `min`): their value, and s advanced; -1 when too few. */
static int digits(const char **s, int min, int max)
{
    int v = 0, n = 0;
    while (n < max && isdigit((unsigned char)(*s)[n]))
        v = v * 10 + ((*s)[n++] - '0');
    if (n < min || isdigit((unsigned char)(*s)[n]))
        return -1;
    *s += n;
    return v;
}

static bool date_ok(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && mf_date_valid(y, m, d);
}

static bool date_sep(char c)
{
    return c == '/' || c == '-' || c == '.';
}

/* A date written at s (ending at a word boundary): its length, or 0.  r receives its readings:
 * r->n = 1 for a year-first (2023-01-31) or a month-name date (1 Jan 2023, Jan 1, 2023,
 * 01-Jan-2023), whose reading is r->day[0]; for a numeric day/month date (31/12/2023, 12.31.2023),
 * the reading day first (r->dmy, when it exists) and month first (r->mdy).  A text that no
 * reading makes a real date is no date. */
typedef struct rb_date {
    int n;            /* readings that exist: 0, 1 or 2 */
    bool numeric;     /* day and month both numbers, in either order */
    bool dmy, mdy;    /* numeric: which orders give a real date */
    int32_t day[2];   /* numeric: [0] day first, [1] month first; else [0] */
} rb_date;

static size_t date_at(const char *s, rb_date *r)
{
    memset(r, 0, sizeof *r);
    const char *q = s;
    size_t ml;
    int a, b, y, m;
    if (isdigit((unsigned char)*q)) {
        a = digits(&q, 1, 4);
        if (a < 0)
            return 0;
        if (q - s == 4 && date_sep(*q)) {   /* YYYY-MM-DD */
            char sep = *q++;
            m = digits(&q, 1, 2);
            if (m < 0 || *q != sep)
                return 0;
            q++;
            int d = digits(&q, 1, 2);
            if (d < 0 || is_word((unsigned char)*q) || !date_ok(a, m, d))
                return 0;
            r->n = 1;
            r->day[0] = mf_days_from_civil(a, m, d);
            return (size_t)(q - s);
        }
        if (q - s > 2)
            return 0;
        if (date_sep(*q) && isdigit((unsigned char)q[1])) {   /* A/B/YYYY */
            char sep = *q++;
            b = digits(&q, 1, 2);
            if (b < 0 || *q != sep)
                return 0;
            q++;
            y = digits(&q, 4, 4);
            if (y < 0 || is_word((unsigned char)*q))
                return 0;
            r->numeric = true;
            r->dmy = date_ok(y, b, a);
            r->mdy = date_ok(y, a, b);
            r->day[0] = r->dmy ? mf_days_from_civil(y, b, a) : 0;
            r->day[1] = r->mdy ? mf_days_from_civil(y, a, b) : 0;
            r->n = r->dmy + r->mdy;
            return r->n ? (size_t)(q - s) : 0;
        }
        /* D Mon YYYY, D-Mon-YYYY, 1st of January 2023 */
        if (!strncasecmp(q, "st", 2) || !strncasecmp(q, "nd", 2) || !strncasecmp(q, "rd", 2) ||
            !strncasecmp(q, "th", 2))
            q += 2;
        char sep = *q;
        if (sep != ' ' && sep != '-')
            return 0;
        q++;
        if (sep == ' ' && !strncasecmp(q, "of ", 3))
            q += 3;
        if (!(m = month_at(q, &ml)))
            return 0;
        q += ml;
        if (*q == '.' && ml < 5)
            q++;
        if (*q != sep && !(sep == ' ' && *q == ','))
            return 0;
        q += *q == ',' ? (q[1] == ' ' ? 2 : 1) : 1;
        y = digits(&q, 4, 4);
        if (y < 0 || is_word((unsigned char)*q) || !date_ok(y, m, a))
            return 0;
        r->n = 1;
        r->day[0] = mf_days_from_civil(y, m, a);
        return (size_t)(q - s);
    }
    /* Mon D, YYYY */
    if (!(m = month_at(q, &ml)))
        return 0;
    q += ml;
    if (*q == '.' && ml < 5)
        q++;
    if (*q++ != ' ')
        return 0;
    a = digits(&q, 1, 2);
    if (a < 0)
        return 0;
    if (!strncasecmp(q, "st", 2) || !strncasecmp(q, "nd", 2) || !strncasecmp(q, "rd", 2) || !strncasecmp(q, "th", 2))
        q += 2;
    if (*q == ',')
        q++;
    if (*q++ != ' ')
        return 0;
    y = digits(&q, 4, 4);
    if (y < 0 || is_word((unsigned char)*q) || !date_ok(y, m, a))
        return 0;
    r->n = 1;
    r->day[0] = mf_days_from_civil(y, m, a);
    return (size_t)(q - s);
}

/* Is v, as a whole, one date (its readings in r)? */
static bool whole_date(const char *v, rb_date *r)
{
    size_t n = date_at(v, r);
    return n && v[n] == 0;
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
            rb_date dt;
            char kind = date_at(vb, &dt) == (size_t)(ve - vb) ? 'd' : 's';   /* '31/12/2023' is a date */
            add_slot(out, kind, vb, (size_t)(ve - vb));
            put_placeholder(&b, &space, out, kind);
            s = end;
        } else if (boundary && date_at(s, &(rb_date){0})) {
            rb_date dt;
            n = date_at(s, &dt);
            add_slot(out, 'd', s, n);
            put_placeholder(&b, &space, out, 'd');
            s += n;
        } else if (boundary && column_at(s, columns, ncolumns, &n)) {
            const char *c = column_at(s, columns, ncolumns, &n);
            add_slot(out, 'c', c, n);
            put_placeholder(&b, &space, out, 'c');
            s += n;
        } else if (boundary && number_at(s, &n)) {
            char num[128];
            size_t k = 0;
            for (size_t i = 0; i < n && k + 1 < sizeof num; i++)
                if (s[i] != ',')
                    num[k++] = s[i];
            add_slot(out, 'n', num, k);
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

/* The date pattern of a `read as` step right after a literal at q (" read as DD/MM/YYYY",
 * " read as \"D Mon YYYY\"", " read as ISO date"): the pattern to write the date with, into pat;
 * false when no such step follows (or it reads Excel serials). */
static bool read_as_pattern(const char *q, char *pat, size_t cap)
{
    static const char lead[] = " read as ";
    if (strncmp(q, lead, sizeof lead - 1))
        return false;
    q += sizeof lead - 1;
    mf_buf v = {0};
    if (!strncmp(q, "ISO date", 8) && !is_word((unsigned char)q[8])) {
        mf_buf_adds(&v, "YYYY-MM-DD");
    } else if (*q == '"') {
        read_quoted(q, '"', &v);
    } else {
        while (*q && *q != ' ' && *q != ',' && *q != ')')
            mf_buf_addc(&v, *q++);
    }
    size_t bad;
    bool ok = v.len && v.len < cap && mf_date_format_pattern_ok(mf_buf_str(&v), &bad);
    if (ok)
        memcpy(pat, mf_buf_str(&v), v.len + 1);
    mf_buf_free(&v);
    return ok;
}

/* The date slot whose date the literal val (read with the pattern after it) is: its number K and
 * the order its written day and month were read in ("dmy", "mdy"; "any" when the rule's date
 * has no day/month order to get wrong), or -1. */
static int date_slot_of(const rb_shape *s, const char *val, const char *after, const char **order)
{
    char pat[128];
    int32_t days;
    if (!read_as_pattern(after, pat, sizeof pat))
        return -1;
    bool iso = !strncmp(after, " read as ISO date", 17);
    if (!mf_date_parse(iso ? "ISO" : pat, val, strlen(val), 0, &days))
        return -1;
    int k = 0;
    for (int i = 0; i < s->nslots; i++) {
        if (s->slot[i].kind != 'd')
            continue;
        rb_date r;
        if (whole_date(s->slot[i].value, &r)) {
            bool d1 = r.numeric ? r.dmy && r.day[0] == days : r.day[0] == days;
            bool d2 = r.numeric && r.mdy && r.day[1] == days;
            if (d1 || d2) {
                *order = d1 && d2 ? "any" : !r.numeric ? "any" : d1 ? "dmy" : "mdy";
                return k;
            }
        }
        k++;
    }
    return -1;
}

/* Does template tmpl use every value the rule states?  A slot counts as used when the template
 * names it, or names another slot with the same value (a column mentioned twice); the row's source
 * field ("from {c0}:") is no part of the rule's text and need not be used.  A reading that leaves a
 * stated value out reads only part of the rule (the rest became, say, a skip rule): another rule
 * of that shape would lose its other part, so such a reading is not learned. */
static bool every_slot_used(const char *tmpl, const rb_shape *s)
{
    bool *used = s->nslots ? mf_xcalloc((size_t)s->nslots, sizeof *used) : NULL;
    for (const char *q = tmpl; *q; q++) {
        if (q[0] == '{' && q[1] == '{') {
            q++;
            continue;
        }
        if (*q != '{')
            continue;
        char kind = q[2] == ':' ? q[3] : q[1];
        const char *d = q[2] == ':' ? q + 4 : q + 2;
        int k = atoi(d);
        for (int i = 0; i < s->nslots; i++)
            if (s->slot[i].kind == kind && k-- == 0) {
                used[i] = true;
                break;
            }
    }
    bool all = true;
    bool prefix = !strncmp(s->shape, "from {c0}:", 10);
    for (int i = prefix ? 1 : 0; i < s->nslots && all; i++) {
        bool same = used[i];
        for (int j = 0; j < s->nslots && !same; j++)
            same = used[j] && !strcmp(s->slot[j].value, s->slot[i].value);
        all = same;
    }
    free(used);
    return all;
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
                const char *order;
                if ((k = slot_equal(s, 's', val)) >= 0)
                    mf_buf_printf(&t, "{s%d}", k);
                else if ((k = date_slot_of(s, val, end, &order)) >= 0)
                    mf_buf_printf(&t, "{s:d%d:%s}", k, order);
                else if ((k = slot_equal(s, 'd', val)) >= 0)
                    mf_buf_printf(&t, "{s:d%d}", k);
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
    if (!*why && !every_slot_used(mf_buf_str(&t), s))
        *why = "the reading leaves out a value the rule states (that part of the rule is read elsewhere in the plan, "
               "or not at all)";
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
    return v && number_at(v, &n) && v[n] == 0 && !strchr(v, ',');
}

/* The rule's date v, read in the entry's day/month order (order: "dmy", "mdy" or "any", olen
 * bytes), written with the pattern of the `read as` step at after, as a "literal".  A date that
 * cannot be read in that order, or (order "any") that reads as two different dates, fails with
 * MF_EQUESTION: a learned reading never swaps day and month. */
static int put_date(mf_buf *b, const char *v, const char *order, size_t olen, const char *after, mf_err *e)
{
    rb_date r;
    char pat[128];
    if (!whole_date(v, &r) || !read_as_pattern(after, pat, sizeof pat))
        return mf_fail(e, MF_EPARSE, "rulebook", 0, 0, "the rule's value \"%.60s\" is no date", v);
    int32_t day = r.day[0];
    if (r.numeric) {
        bool dmy = olen == 3 && !strncmp(order, "dmy", 3), mdy = olen == 3 && !strncmp(order, "mdy", 3);
        if (dmy && !r.dmy)
            return mf_fail(e, MF_EQUESTION, "rulebook", 0, 0,
                           "the rule's date %.60s is no date read day first, as the learned rule's date was", v);
        if (mdy && !r.mdy)
            return mf_fail(e, MF_EQUESTION, "rulebook", 0, 0,
                           "the rule's date %.60s is no date read month first, as the learned rule's date was", v);
        if (!dmy && !mdy && r.dmy && r.mdy && r.day[0] != r.day[1])
            return mf_fail(e, MF_EQUESTION, "rulebook", 0, 0,
                           "the rule's date %.60s can be read day first or month first, and the learned rule's date "
                           "does not say which",
                           v);
        day = dmy || (!mdy && r.dmy) ? r.day[0] : r.day[1];
    }
    char text[160];
    size_t n = mf_date_format_pattern(day, pat, text, sizeof text);
    if (n >= sizeof text)
        return mf_fail(e, MF_EPARSE, "rulebook", 0, 0, "the date pattern %.60s is too long", pat);
    plan_put_text_literal(b, text);
    return 0;
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
        /* {P:KN}, {KN}, or {s:dN:ORDER} (a date written anew with the pattern read after it) */
        char pos = q[1], kind = q[1];
        const char *d = q + 2;
        if (q[2] == ':') {
            kind = q[3];
            d = q + 4;
        }
        char *end;
        long k = strtol(d, &end, 10);
        const char *v = NULL, *order = NULL;
        if (kind == 'd' && *end == ':') {
            order = end + 1;
            end = strchr(order, '}');
        }
        if (end == d || !end || *end != '}' || !strchr("csnd", pos) || !strchr("csnd", kind) || k < 0 ||
            (kind == 'd') != (pos == 's' && kind == 'd') || !(v = slot_value(s, kind, (int)k))) {
            mf_buf_free(&b);
            mf_fail(e, MF_EPARSE, "rulebook", 0, 0, "the template %s names a slot the rule has not", tmpl);
            return NULL;
        }
        if (order) {
            if (put_date(&b, v, order, (size_t)(end - order), end + 1, e) < 0) {
                mf_buf_free(&b);
                return NULL;
            }
        } else if (pos == 'c') {
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
