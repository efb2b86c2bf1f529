/* pyspark.c — the PySpark back end (see pyspark.h).
 *
 * Two files.  mapforge_runtime.py (pyspark_runtime) is the fixed module that states the plan
 * language's semantics as Spark column expressions and reads/writes files exactly as the native
 * engine does, plus the case-mapping tables generated from utf8proc; it is the same for every
 * plan.  job.py (pyspark_compile) holds the plan alone: a header comment (plan, SHA-256, how to
 * run it), the import of the runtime and its version check, and one `evaluate(job)` function with
 * one line per expression node, in the native engine's evaluation order (skip rules, columns,
 * reject rules; operands before operators), so the first failure a row meets is the one both back
 * ends report.  Each column carries its provenance as an escaped comment.
 *
 * Safety: all plan text goes through py_str (a Python literal of printable ASCII; everything
 * else \xHH / \uXXXX / \UXXXXXXXX) or py_comment (the same escaping, in a comment that cannot
 * end its line).  Regular expressions built here escape every literal character as \x{H}.
 */
#include "compile/pyspark.h"
#include "util/afile.h"
#include "util/decimal.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* The runtime module's fixed text: src/compile/mapforge_runtime.py, embedded by the build
 * (cmake/embed_text.cmake). */
extern const char mf_pyspark_runtime_text[];
extern const size_t mf_pyspark_runtime_text_len;

/* The runtime version the jobs generated here need (RUNTIME_VERSION in mapforge_runtime.py). */
#define RUNTIME_VERSION "3"

/* ---- escaping --------------------------------------------------------------------------------- */

/* Characters of s as Python escapes (no quotes around): printable ASCII raw except \ and ". */
static void py_escape(mf_buf *b, const char *s, bool for_comment)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F) {
            if (c == '\\' || (c == '"' && !for_comment))
                mf_buf_addc(b, '\\');
            mf_buf_addc(b, (char)c);
            i++;
            continue;
        }
        uint32_t cp = c;
        int k = 1;
        if (c >= 0x80 && mf_utf8_invalid_at(s + i, n - i) > 0)   /* a valid sequence starts here */
            k = mf_utf8_decode(s + i, n - i, &cp);
        if (cp < 0x100)
            mf_buf_printf(b, "\\x%02x", cp);
        else if (cp < 0x10000)
            mf_buf_printf(b, "\\u%04x", cp);
        else
            mf_buf_printf(b, "\\U%08x", cp);
        i += (size_t)(k > 0 ? k : 1);
    }
}

static void py_str(mf_buf *b, const char *s)
{
    mf_buf_addc(b, '"');
    py_escape(b, s ? s : "", false);
    mf_buf_addc(b, '"');
}

static void py_comment(mf_buf *b, const char *indent, const char *s)
{
    mf_buf_printf(b, "%s# ", indent);
    py_escape(b, s ? s : "", true);
    mf_buf_addc(b, '\n');
}

/* A literal character for a Java regular expression: always an escape. */
static void rx_cp(mf_buf *b, uint32_t cp)
{
    mf_buf_printf(b, "\\x{%x}", cp);
}

static void rx_text(mf_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        int k = 1;
        if (cp >= 0x80)
            k = mf_utf8_decode(s + i, n - i, &cp);
        rx_cp(b, cp);
        i += (size_t)(k > 0 ? k : 1);
    }
}

/* ---- the compiler state ----------------------------------------------------------------------- */

typedef struct gen {
    const plan *p;
    mf_buf *out;
    int nvar;
    int col;          /* column being compiled, -1 in rules */
    mf_err *e;
} gen;

static const char *kind_of(plan_type t)
{
    switch (t.base) {
    case PT_TEXT: return "text";
    case PT_INTEGER:
    case PT_BIGINT: return "int";
    case PT_DECIMAL: return "dec";
    case PT_DATE:
    case PT_TIMESTAMP: return "date";
    case PT_BOOLEAN: return "bool";
    case PT_NULL: return "null";
    default: return NULL;
    }
}

static int fail(gen *g, const plan_expr *x, mf_code code, const char *msg)
{
    return mf_fail(g->e, code, NULL, x ? x->line : 0, x ? x->col : 0, "%s", msg);
}

/* Start the line "    vN = " and return N. */
static int begin(gen *g)
{
    int v = ++g->nvar;
    mf_buf_printf(g->out, "    v%d = ", v);
    return v;
}

/* A decimal literal as (unscaled text, scale). */
static int dec_parts(const char *text, char *u, int *scale)
{
    mf_dec d;
    if (!text || !mf_dec_parse(text, strlen(text), &d))
        return -1;
    *scale = d.scale;
    d.scale = 0;
    mf_dec_format(d, u);
    return 0;
}

/* The Python expression of a literal (map values, otherwise values). */
static int literal(gen *g, const plan_expr *x, mf_buf *b)
{
    char u[64];
    int s;
    if (!x) {
        mf_buf_adds(b, "lit_null()");
        return 0;
    }
    switch (x->kind) {
    case PE_TEXT:
        mf_buf_adds(b, "lit_text(");
        py_str(b, x->text);
        mf_buf_addc(b, ')');
        return 0;
    case PE_NUMBER:
        if (dec_parts(x->text, u, &s) < 0)
            return fail(g, x, MF_ETYPE, "not a number");
        if (!strchr(x->text, '.') && strlen(u) <= 18)
            mf_buf_printf(b, "lit_int(%s)", u);
        else
            mf_buf_printf(b, "lit_dec(\"%s\", %d)", u, s);
        return 0;
    case PE_BOOL: mf_buf_adds(b, x->flag ? "lit_bool(True)" : "lit_bool(False)"); return 0;
    case PE_NULL: mf_buf_adds(b, "lit_null()"); return 0;
    case PE_HOLE: return fail(g, x, MF_EQUESTION, "the plan has an open question (?): it cannot be compiled");
    default: return fail(g, x, MF_ETYPE, "expected a literal value here");
    }
}

static int expr(gen *g, const plan_expr *x);

/* ---- regular expressions for reading -------------------------------------------------------- */

/* A date pattern (util/date.h notation) as an anchored Java regex; the groups of year, month
 * and day with their kinds.  Digits are read greedily without backtracking, as the native
 * parser does (possessive quantifiers). */
static void date_regex(const char *pat, mf_buf *rx, mf_buf *groups)
{
    int grp = 0, gy = 0, gm = 0, gd = 0;
    const char *ky = "YYYY", *km = "MM";
    mf_buf_adds(rx, "\\A");
    for (const char *p = pat; *p;) {
        if (!strncmp(p, "YYYY", 4)) {
            mf_buf_adds(rx, "([0-9]{4})"), gy = ++grp, ky = "YYYY", p += 4;
        } else if (!strncmp(p, "YY", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gy = ++grp, ky = "YY", p += 2;
        } else if (!strncmp(p, "Month", 5)) {
            mf_buf_adds(rx, "((?i:january|february|march|april|may|june|july|august|september|october|"
                            "november|december))");
            gm = ++grp, km = "MONTH", p += 5;
        } else if (!strncmp(p, "Mon", 3)) {
            mf_buf_adds(rx, "((?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"), gm = ++grp, km = "MON", p += 3;
        } else if (!strncmp(p, "MM", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gm = ++grp, km = "MM", p += 2;
        } else if (*p == 'M') {
            mf_buf_adds(rx, "([0-9]{1,2}+)"), gm = ++grp, km = "MM", p += 1;
        } else if (!strncmp(p, "DD", 2)) {
            mf_buf_adds(rx, "([0-9]{2})"), gd = ++grp, p += 2;
        } else if (*p == 'D') {
            mf_buf_adds(rx, "([0-9]{1,2}+)"), gd = ++grp, p += 1;
        } else {
            uint32_t cp = (unsigned char)*p;
            int k = 1;
            if (cp >= 0x80)
                k = mf_utf8_decode(p, strlen(p), &cp);
            rx_cp(rx, cp);
            p += k > 0 ? k : 1;
        }
    }
    mf_buf_adds(rx, "\\z");
    mf_buf_printf(groups, "(%d, \"%s\"), (%d, \"%s\"), (%d, \"DD\")", gy, ky, gm, km, gd);
}

/* One level of number markers: prefixes (sign, currency) and suffixes (trailing minus,
 * currency), each at most once, in either order. */
static void marker_level(mf_buf *rx, bool sign, bool cur_pre, bool cur_suf, bool trail, const char *cur,
                         const char *core)
{
    const char *S = "[ \\t]*";
    mf_buf cb = {0};
    rx_text(&cb, cur ? cur : "");
    const char *C = mf_buf_str(&cb);
    if (sign && cur_pre)
        mf_buf_printf(rx, "(?:[-+]%s%s|%s%s[-+])%s", S, C, C, S, S);
    else if (sign)
        mf_buf_printf(rx, "[-+]%s", S);
    else if (cur_pre)
        mf_buf_printf(rx, "%s%s", C, S);
    mf_buf_adds(rx, core);
    if (trail && cur_suf)
        mf_buf_printf(rx, "%s(?:-%s%s|%s%s-)", S, S, C, C, S);
    else if (trail)
        mf_buf_printf(rx, "%s-", S);
    else if (cur_suf)
        mf_buf_printf(rx, "%s%s", S, C);
    mf_buf_free(&cb);
}

/* A number format's decimal mark ('.' unless ',') and thousands separator (0: none; a separator equal
 * to the decimal mark is none), as the regex and the runtime's read_number both take them. */
static char num_decimal(const plan_numfmt *f)
{
    return f->decimal == ',' ? ',' : '.';
}

static char num_thousands(const plan_numfmt *f)
{
    return f->thousands == num_decimal(f) ? 0 : f->thousands;
}

/* The language mf_dec_parse_fmt accepts, as one anchored regex: every placement of the markers
 * (outside or inside the parentheses), spaces and tabs between them. */
static void number_regex(const plan_numfmt *f, mf_buf *rx)
{
    char dec = num_decimal(f);
    char th = num_thousands(f);
    bool has_cur = f->currency && *f->currency;
    mf_buf body = {0};
    mf_buf_adds(&body, "(?:");
    if (th) {
        mf_buf_adds(&body, "(?:[0-9]{1,3}(?:");
        rx_cp(&body, (unsigned char)th);
        mf_buf_adds(&body, "[0-9]{3})+|[0-9]+)");
    } else
        mf_buf_adds(&body, "[0-9]+");
    mf_buf_adds(&body, "(?:");
    rx_cp(&body, (unsigned char)dec);
    mf_buf_adds(&body, "[0-9]*)?|");
    rx_cp(&body, (unsigned char)dec);
    mf_buf_adds(&body, "[0-9]+)");
    mf_buf_adds(rx, "\\A[ \\t]*(?:");
    bool first = true;
    /* sign: 0 none, 1 outside, 2 inside; cur: 0 none, 1 out-pre, 2 out-suf, 3 in-pre, 4 in-suf;
     * trail: 0 none, 1 outside, 2 inside; paren 0/1 */
    for (int paren = 0; paren <= (f->paren_negative ? 1 : 0); paren++)
        for (int sg = 0; sg <= (paren ? 2 : 1); sg++)
            for (int cu = 0; cu <= (has_cur ? (paren ? 4 : 2) : 0); cu++)
                for (int tr = 0; tr <= (f->trailing_minus ? (paren ? 2 : 1) : 0); tr++) {
                    mf_buf core = {0};
                    if (paren) {
                        mf_buf inner = {0};
                        marker_level(&inner, sg == 2, cu == 3, cu == 4, tr == 2, f->currency, mf_buf_str(&body));
                        mf_buf_printf(&core, "\\([ \\t]*%s[ \\t]*\\)", mf_buf_str(&inner));
                        mf_buf_free(&inner);
                    } else
                        mf_buf_adds(&core, mf_buf_str(&body));
                    if (!first)
                        mf_buf_addc(rx, '|');
                    first = false;
                    marker_level(rx, sg == 1, cu == 1, cu == 2, tr == 1, f->currency, mf_buf_str(&core));
                    mf_buf_free(&core);
                }
    mf_buf_adds(rx, ")[ \\t]*\\z");
    mf_buf_free(&body);
}

/* ---- expressions ------------------------------------------------------------------------------ */

static const plan_lookup *find_lookup(const plan *p, const char *name)
{
    for (int i = 0; i < p->nlookups; i++)
        if (name && !strcmp(p->lookups[i].name, name))
            return &p->lookups[i];
    return NULL;
}

static const char *otherwise_name(plan_otherwise o)
{
    return o == PO_REJECT ? "reject" : o == PO_NULL ? "null" : o == PO_VALUE ? "value" : "keep";
}

/* Chars whose full case mapping (Java's, so Spark's) differs from the simple one the plan uses:
 * SpecialCasing.txt's unconditional entries, plus İ and Σ (final sigma) for lower case. */
static const uint32_t upper_special[] = {
    0xDF, 0x149, 0x1F0, 0x390, 0x3B0, 0x587, 0x1E96, 0x1E97, 0x1E98, 0x1E99, 0x1E9A, 0x1F50, 0x1F52, 0x1F54,
    0x1F56, 0x1F80, 0x1F81, 0x1F82, 0x1F83, 0x1F84, 0x1F85, 0x1F86, 0x1F87, 0x1F88, 0x1F89, 0x1F8A, 0x1F8B,
    0x1F8C, 0x1F8D, 0x1F8E, 0x1F8F, 0x1F90, 0x1F91, 0x1F92, 0x1F93, 0x1F94, 0x1F95, 0x1F96, 0x1F97, 0x1F98,
    0x1F99, 0x1F9A, 0x1F9B, 0x1F9C, 0x1F9D, 0x1F9E, 0x1F9F, 0x1FA0, 0x1FA1, 0x1FA2, 0x1FA3, 0x1FA4, 0x1FA5,
    0x1FA6, 0x1FA7, 0x1FA8, 0x1FA9, 0x1FAA, 0x1FAB, 0x1FAC, 0x1FAD, 0x1FAE, 0x1FAF, 0x1FB2, 0x1FB3, 0x1FB4,
    0x1FB6, 0x1FB7, 0x1FBC, 0x1FC2, 0x1FC3, 0x1FC4, 0x1FC6, 0x1FC7, 0x1FCC, 0x1FD2, 0x1FD3, 0x1FD6, 0x1FD7,
    0x1FE2, 0x1FE3, 0x1FE4, 0x1FE6, 0x1FE7, 0x1FF2, 0x1FF3, 0x1FF4, 0x1FF6, 0x1FF7, 0x1FFC, 0xFB00, 0xFB01,
    0xFB02, 0xFB03, 0xFB04, 0xFB05, 0xFB06, 0xFB13, 0xFB14, 0xFB15, 0xFB16, 0xFB17};
static const uint32_t lower_special[] = {0x130, 0x3A3};

/* (special, placeholder, simple mapping) as three Python strings; placeholders are private-use
 * characters U+E000... */
static void case_table(mf_buf *b, bool upper)
{
    const uint32_t *t = upper ? upper_special : lower_special;
    size_t n = upper ? sizeof upper_special / sizeof *t : sizeof lower_special / sizeof *t;
    for (int part = 0; part < 3; part++) {
        mf_buf s = {0};
        for (size_t i = 0; i < n; i++) {
            uint32_t cp = part == 0 ? t[i] : part == 1 ? 0xE000 + (uint32_t)i
                        : (uint32_t)(upper ? utf8proc_toupper((utf8proc_int32_t)t[i])
                                           : utf8proc_tolower((utf8proc_int32_t)t[i]));
            if (part == 2 && t[i] == 0xDF)
                cp = 0xDF;
            char u[5];
            u[mf_utf8_encode(cp, u)] = '\0';
            mf_buf_adds(&s, u);
        }
        if (part)
            mf_buf_adds(b, ", ");
        py_str(b, mf_buf_str(&s));
        mf_buf_free(&s);
    }
}

static int map_pairs(gen *g, const plan_map *m, bool bools, mf_buf *b)
{
    mf_buf_addc(b, '[');
    for (int i = 0; i < m->n; i++) {
        if (i)
            mf_buf_adds(b, ", ");
        mf_buf_addc(b, '(');
        py_str(b, m->from[i] ? m->from[i] : "");
        mf_buf_adds(b, ", ");
        if (bools) {
            const plan_expr *v = m->to[i];
            mf_buf_adds(b, v && v->kind == PE_BOOL ? (v->flag ? "True" : "False") : "None");
        } else if (literal(g, m->to[i], b) < 0)
            return -1;
        mf_buf_addc(b, ')');
    }
    mf_buf_addc(b, ']');
    return 0;
}

/* A "written as" pattern as a Python list of (kind, literal) pairs for Job.format_date; the
 * tokens are util/date.h's (longest first). */
static void format_parts(const char *pat, mf_buf *b)
{
    static const char *const tokens[] = {"YYYY", "YY", "Month", "Mon", "MM", "M", "DD", "D", NULL};
    mf_buf_addc(b, '[');
    for (const char *p = pat; *p;) {
        int k = 0;
        while (tokens[k] && strncmp(p, tokens[k], strlen(tokens[k])))
            k++;
        if (p != pat)
            mf_buf_adds(b, ", ");
        if (tokens[k]) {
            mf_buf_printf(b, "(\"%s\", None)", tokens[k]);
            p += strlen(tokens[k]);
        } else {
            char one[5] = {0};
            int n = 1;
            uint32_t cp;
            if ((unsigned char)*p >= 0x80)
                n = mf_utf8_decode(p, strlen(p), &cp);
            memcpy(one, p, (size_t)n);
            mf_buf_adds(b, "(\"\", ");
            py_str(b, one);
            mf_buf_addc(b, ')');
            p += n;
        }
    }
    mf_buf_addc(b, ']');
}

/* Emit the step node x applied to variable a; the result variable is returned. */
static int step(gen *g, const plan_expr *x, int a)
{
    const plan_step *s = &x->step;
    mf_buf *o = g->out;
    int c = 0, v;
    const char *kind = kind_of(x->type);
    if (s->kind == PS_DEFAULT) {
        if ((c = expr(g, s->value)) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(o, "job.default(ctx, v%d, \"%s\", v%d)\n", a, kind ? kind : "text", c);
        return v;
    }
    if (s->kind == PS_NEGATE_WHEN && (c = expr(g, s->cond)) < 0)
        return -1;
    mf_buf tmp = {0};
    int rc = 0;
    switch (s->kind) {
    case PS_TRIM: mf_buf_printf(&tmp, "job.trim(ctx, v%d)", a); break;
    case PS_UPPER:
    case PS_LOWER:
        mf_buf_printf(&tmp, "job.case(ctx, v%d, %s, *%s)", a, s->kind == PS_UPPER ? "True" : "False",
                      s->kind == PS_UPPER ? "UPPER_FIX" : "LOWER_FIX");
        break;
    case PS_PAD_LEFT:
    case PS_PAD_RIGHT:
        mf_buf_printf(&tmp, "job.pad(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %ld, %s)", s->n, s->kind == PS_PAD_LEFT ? "True" : "False");
        break;
    case PS_PREFIX:
    case PS_SUFFIX:
        mf_buf_printf(&tmp, "job.affix(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %s)", s->kind == PS_PREFIX ? "True" : "False");
        break;
    case PS_FIRST: mf_buf_printf(&tmp, "job.chars(ctx, v%d, 1, %ld)", a, s->n); break;
    case PS_LAST: mf_buf_printf(&tmp, "job.last(ctx, v%d, %ld)", a, s->n); break;
    case PS_SUBSTR: mf_buf_printf(&tmp, "job.chars(ctx, v%d, %ld, %ld)", a, s->n < 1 ? 1 : s->n, s->m); break;
    case PS_BEFORE:
    case PS_AFTER:
        mf_buf_printf(&tmp, "job.%s%s(ctx, v%d, ", s->kind == PS_BEFORE ? "before" : "after", s->m == 1 ? "_last" : "", a);
        py_str(&tmp, s->s);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_READ_DATE: {
        mf_buf rx = {0}, gr = {0};
        date_regex(s->s ? s->s : "", &rx, &gr);
        mf_buf_printf(&tmp, "job.read_date(ctx, v%d, ", a);
        py_str(&tmp, mf_buf_str(&rx));
        mf_buf_printf(&tmp, ", %s, %ld, ", mf_buf_str(&gr), s->n > 0 ? s->n : 1950);
        mf_buf what = {0};
        mf_buf_printf(&what, "a %s date", s->s ? s->s : "");
        py_str(&tmp, mf_buf_str(&what));
        mf_buf_addc(&tmp, ')');
        mf_buf_free(&rx);
        mf_buf_free(&gr);
        mf_buf_free(&what);
        break;
    }
    case PS_READ_ISO: mf_buf_printf(&tmp, "job.read_iso(ctx, v%d)", a); break;
    case PS_READ_EXCEL: mf_buf_printf(&tmp, "job.read_excel(ctx, v%d)", a); break;
    case PS_READ_NUMBER: {
        mf_buf rx = {0};
        number_regex(&s->numfmt, &rx);
        mf_buf_printf(&tmp, "job.read_number(ctx, v%d, ", a);
        py_str(&tmp, mf_buf_str(&rx));
        mf_buf_adds(&tmp, ", ");
        if (s->numfmt.currency && *s->numfmt.currency)
            py_str(&tmp, s->numfmt.currency);
        else
            mf_buf_adds(&tmp, "None");
        char th[2] = {num_thousands(&s->numfmt), 0};
        mf_buf_printf(&tmp, ", \"%c\", ", num_decimal(&s->numfmt));
        py_str(&tmp, th);
        mf_buf_addc(&tmp, ')');
        mf_buf_free(&rx);
        break;
    }
    case PS_READ_INTEGER: mf_buf_printf(&tmp, "job.read_integer(ctx, v%d)", a); break;
    case PS_READ_BOOL:
        mf_buf_printf(&tmp, "job.read_boolean(ctx, v%d, ", a);
        rc = map_pairs(g, plan_bool_words(s), true, &tmp);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_MUL:
    case PS_DIV: {
        char u[64];
        int sc;
        if (dec_parts(s->num, u, &sc) < 0) {
            rc = fail(g, x, MF_ETYPE, "not a number");
            break;
        }
        mf_buf_printf(&tmp, "job.scaled(ctx, v%d, \"%c\", \"%s\", %d)", a, s->kind == PS_MUL ? '*' : '/', u, sc);
        break;
    }
    case PS_ROUND:
        if (s->m)
            mf_buf_printf(&tmp, "job.round(ctx, v%d, %ld, mode=%ld)", a, s->n, s->m);
        else
            mf_buf_printf(&tmp, "job.round(ctx, v%d, %ld)", a, s->n);
        break;
    case PS_REPLACE:
        mf_buf_printf(&tmp, "job.replace(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_adds(&tmp, ", ");
        py_str(&tmp, s->s2 ? s->s2 : "");
        mf_buf_addc(&tmp, ')');
        break;
    case PS_SQUISH: mf_buf_printf(&tmp, "job.squish(ctx, v%d)", a); break;
    case PS_TITLE: mf_buf_printf(&tmp, "job.title(ctx, v%d, *LOWER_FIX)", a); break;
    case PS_DIGITS: mf_buf_printf(&tmp, "job.digits(ctx, v%d)", a); break;
    case PS_STRIP:
        mf_buf_printf(&tmp, "job.strip(ctx, v%d, ", a);
        py_str(&tmp, s->s);
        mf_buf_printf(&tmp, ", %s)", s->m == 1 ? "True" : "False");
        break;
    case PS_DATE_PART:
        mf_buf_printf(&tmp, "job.date_part(ctx, v%d, ", a);
        py_str(&tmp, s->s ? s->s : "year");
        if (plan_date_part_of(s->s) == PD_FISCAL_YEAR)
            mf_buf_printf(&tmp, ", %ld", s->n);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_FORMAT_DATE:
        mf_buf_printf(&tmp, "job.format_date(ctx, v%d, ", a);
        format_parts(s->s ? s->s : "", &tmp);
        mf_buf_addc(&tmp, ')');
        break;
    case PS_ADD_DAYS: mf_buf_printf(&tmp, "job.add_days(ctx, v%d, %ld)", a, s->n); break;
    case PS_END_OF_MONTH: mf_buf_printf(&tmp, "job.end_of_month(ctx, v%d)", a); break;
    case PS_NEGATE: mf_buf_printf(&tmp, "job.negate(ctx, v%d)", a); break;
    case PS_ABS: mf_buf_printf(&tmp, "job.negate(ctx, v%d, absolute=True)", a); break;
    case PS_NEGATE_WHEN: mf_buf_printf(&tmp, "job.negate(ctx, v%d, when=v%d)", a, c); break;
    case PS_MAP:
    case PS_LOOKUP: {
        const plan_map *m = &s->map;
        mf_buf_printf(&tmp, "job.mapped(ctx, v%d, \"%s\", ", a, kind ? kind : "text");
        const plan_lookup *lk = NULL;
        if (s->kind == PS_LOOKUP) {
            if (!(lk = find_lookup(g->p, s->s))) {
                rc = fail(g, x, MF_ETYPE, "no lookup of that name in the plan");
                break;
            }
            mf_buf_addc(&tmp, '[');
            for (int i = 0; i < lk->n; i++) {
                mf_buf_adds(&tmp, i ? ", (" : "(");
                py_str(&tmp, lk->key[i]);
                mf_buf_adds(&tmp, ", lit_text(");
                py_str(&tmp, lk->value[i]);
                mf_buf_adds(&tmp, "))");
            }
            mf_buf_addc(&tmp, ']');
        } else if ((rc = map_pairs(g, m, false, &tmp)) < 0)
            break;
        mf_buf_printf(&tmp, ", \"%s\", ", otherwise_name(m->otherwise));
        if (m->otherwise == PO_VALUE)
            rc = literal(g, m->other, &tmp);
        else
            mf_buf_adds(&tmp, "None");
        if (lk) {
            mf_buf_adds(&tmp, ", ");
            py_str(&tmp, lk->name);
        }
        mf_buf_addc(&tmp, ')');
        break;
    }
    default: rc = fail(g, x, MF_ETYPE, "this step is not supported yet by the PySpark back end"); break;
    }
    if (rc < 0) {
        mf_buf_free(&tmp);
        return -1;
    }
    v = begin(g);
    mf_buf_adds(o, mf_buf_str(&tmp));
    mf_buf_addc(o, '\n');
    mf_buf_free(&tmp);
    return v;
}

static const char *cmp_op(int op)
{
    switch (op) {
    case PB_EQ: return "=";
    case PB_NE: return "!=";
    case PB_LT: return "<";
    case PB_LE: return "<=";
    case PB_GT: return ">";
    case PB_GE: return ">=";
    default: return NULL;
    }
}

static int binary(gen *g, const plan_expr *x)
{
    int a = expr(g, x->kid[0]), b;
    if (a < 0 || (b = expr(g, x->kid[1])) < 0)
        return -1;
    int v = begin(g);
    if (x->kind == PE_DAYS)
        mf_buf_printf(g->out, "job.days(ctx, v%d, v%d)\n", a, b);
    else if (x->op == PB_CONCAT)
        mf_buf_printf(g->out, "job.concat(ctx, v%d, v%d)\n", a, b);
    else if (cmp_op(x->op))
        mf_buf_printf(g->out, "job.cmp(ctx, \"%s\", v%d, v%d)\n", cmp_op(x->op), a, b);
    else
        mf_buf_printf(g->out, "job.arith(ctx, \"%c\", v%d, v%d)\n", x->op, a, b);
    return v;
}

static int if_expr(gen *g, const plan_expr *x)
{
    int c = expr(g, x->kid[0]), a, b;
    if (c < 0 || (a = expr(g, x->kid[1])) < 0 || (b = expr(g, x->kid[2])) < 0)
        return -1;
    const char *k = kind_of(x->type);
    int v = begin(g);
    mf_buf_printf(g->out, "job.if_(ctx, \"%s\", v%d, v%d, v%d)\n", k ? k : "text", c, a, b);
    return v;
}

static int cond1(gen *g, const plan_expr *x)
{
    int a = expr(g, x->kid[0]);
    if (a < 0)
        return -1;
    int v = begin(g);
    mf_buf *o = g->out;
    switch (x->kind) {
    case PE_MISSING: mf_buf_printf(o, "job.missing(ctx, v%d)\n", a); break;
    case PE_PRESENT: mf_buf_printf(o, "job.missing(ctx, v%d, present=True)\n", a); break;
    case PE_NOT: mf_buf_printf(o, "job.not_(ctx, v%d)\n", a); break;
    case PE_IN:
        mf_buf_printf(o, "job.is_one_of(ctx, v%d, [", a);
        for (int i = 0; i < x->nlist; i++) {
            if (i)
                mf_buf_adds(o, ", ");
            py_str(o, x->list[i]);
        }
        mf_buf_adds(o, "])\n");
        break;
    default:
        mf_buf_printf(o, "job.text_test(ctx, v%d, \"%s\", ", a,
                      x->kind == PE_CONTAINS ? "contains" : x->kind == PE_STARTS ? "starts" : "ends");
        py_str(o, x->text);
        mf_buf_adds(o, ")\n");
        break;
    }
    return v;
}

static int output_index(gen *g, const char *name)
{
    int limit = g->col >= 0 ? g->col : g->p->ncols;
    for (int i = 0; i < limit; i++)
        if (name && !strcmp(g->p->cols[i].name, name))
            return i;
    return -1;
}

static int expr(gen *g, const plan_expr *x)
{
    if (!x)
        return fail(g, NULL, MF_ETYPE, "missing expression");
    int v, k;
    switch (x->kind) {
    case PE_LENGTH:
        if ((k = expr(g, x->kid[0])) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(g->out, "job.length(ctx, v%d)\n", k);
        return v;
    case PE_ROWNUM:   /* only a column's whole expression, which columns() handles */
        return fail(g, x, MF_ETYPE, "\"row number\" can only be a whole column");
    case PE_SOURCE:
        v = begin(g);
        mf_buf_adds(g->out, "job.src(");
        py_str(g->out, x->name);
        mf_buf_adds(g->out, ")\n");
        return v;
    case PE_OUTPUT:
        if ((k = output_index(g, x->name)) < 0)
            return fail(g, x, MF_ETYPE, "no output column defined above of that name");
        v = begin(g);
        mf_buf_printf(g->out, "ref(c%d)\n", k + 1);
        return v;
    case PE_TEXT:
    case PE_NUMBER:
    case PE_BOOL:
    case PE_NULL:
    case PE_HOLE: {
        mf_buf lit = {0};
        if (literal(g, x, &lit) < 0) {
            mf_buf_free(&lit);
            return -1;
        }
        v = begin(g);
        mf_buf_adds(g->out, mf_buf_str(&lit));
        mf_buf_addc(g->out, '\n');
        mf_buf_free(&lit);
        return v;
    }
    case PE_STEP:
        if ((k = expr(g, x->kid[0])) < 0)
            return -1;
        return step(g, x, k);
    case PE_IF: return if_expr(g, x);
    case PE_AND:
    case PE_OR: {
        int a = expr(g, x->kid[0]), b;
        if (a < 0 || (b = expr(g, x->kid[1])) < 0)
            return -1;
        v = begin(g);
        mf_buf_printf(g->out, "job.and_or(ctx, %s, v%d, v%d)\n", x->kind == PE_AND ? "True" : "False", a, b);
        return v;
    }
    case PE_BINARY:
    case PE_CMP:
    case PE_DAYS: return binary(g, x);
    case PE_MISSING:
    case PE_PRESENT:
    case PE_IN:
    case PE_CONTAINS:
    case PE_STARTS:
    case PE_ENDS:
    case PE_NOT: return cond1(g, x);
    }
    return fail(g, x, MF_ETYPE, "an expression the PySpark back end does not know");
}

/* ---- statements ------------------------------------------------------------------------------- */

static void provenance(gen *g, const plan_prov *pv)
{
    if (pv->row || pv->text) {
        mf_buf t = {0};
        if (pv->row)
            mf_buf_printf(&t, "row %d: ", pv->row);
        mf_buf_adds(&t, pv->text ? pv->text : "");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
    }
}

static int rules(gen *g, plan_rule_kind kind)
{
    g->col = -1;
    for (int i = 0; i < g->p->nrules; i++) {
        const plan_rule *r = &g->p->rules[i];
        if (r->kind != kind)
            continue;
        char *text = plan_render_expr(r->cond);
        mf_buf t = {0};
        mf_buf_printf(&t, "%s rows where %s", kind == PR_SKIP ? "skip" : "reject", text ? text : "");
        free(text);
        mf_buf_adds(g->out, "\n");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
        provenance(g, &r->prov);
        mf_buf_adds(g->out, "    ctx = Ctx()\n");
        int v = expr(g, r->cond);
        if (v < 0)
            return -1;
        if (kind == PR_SKIP)
            mf_buf_printf(g->out, "    stages.append((\"skip\", v%d))\n", v);
        else {
            mf_buf_printf(g->out, "    stages.append((\"reject\", v%d, ", v);
            py_str(g->out, r->message ? r->message : "rejected by a rule");
            mf_buf_adds(g->out, "))\n");
        }
    }
    return 0;
}

static int columns(gen *g)
{
    for (int i = 0; i < g->p->ncols; i++) {
        const plan_column *c = &g->p->cols[i];
        char type[64];
        plan_type_name(c->type, type, sizeof type);
        mf_buf t = {0};
        mf_buf_printf(&t, "column %d: %s  %s%s", i + 1, c->name, type, c->required ? " required" : "");
        mf_buf_adds(g->out, "\n");
        py_comment(g->out, "    ", mf_buf_str(&t));
        mf_buf_free(&t);
        provenance(g, &c->prov);
        g->col = i;
        mf_buf_adds(g->out, "    ctx = Ctx(");
        py_str(g->out, c->name);
        mf_buf_adds(g->out, ")\n");
        if (c->expr && c->expr->kind == PE_ROWNUM) {   /* numbered by run_job, after filters and rejects */
            mf_buf_adds(g->out, "    stages.append((\"rownum\", None, ");
            py_str(g->out, c->name);
            mf_buf_adds(g->out, "))\n");
            continue;
        }
        int v = expr(g, c->expr);
        if (v < 0)
            return -1;
        const char *k = kind_of(c->type);
        if (!k || !strcmp(k, "null"))
            return fail(g, c->expr, MF_ETYPE, "a column without a type");
        mf_buf_printf(g->out, "    c%d = job.assign(ctx, v%d, \"%s\", %s", i + 1, v, k, c->required ? "True" : "False");
        if (c->type.base == PT_TEXT)
            mf_buf_printf(g->out, ", length=%d", c->type.len);
        else if (c->type.base == PT_DECIMAL)
            mf_buf_printf(g->out, ", prec=%d, scale=%d", c->type.prec, c->type.scale);
        else if (c->type.base == PT_INTEGER)
            mf_buf_adds(g->out, ", small=True");
        mf_buf_adds(g->out, ")\n");
        mf_buf_printf(g->out, "    stages.append((\"column\", c%d, ", i + 1);
        py_str(g->out, c->name);
        mf_buf_adds(g->out, "))\n");
    }
    return 0;
}

static const char *charset(csv_encoding enc)
{
    switch (enc) {
    case CSV_CP1252: return "windows-1252";
    case CSV_LATIN1: return "ISO-8859-1";
    case CSV_UTF16LE: return "UTF-16LE";
    case CSV_UTF16BE: return "UTF-16BE";
    default: return "UTF-8";
    }
}

static void plan_dict(gen *g, const char *sha)
{
    const plan *p = g->p;
    mf_buf *o = g->out;
    char name[64];
    const char **used;
    int nused = plan_used_sources(p, &used);
    snprintf(name, sizeof name, " v%d", p->version);
    mf_buf full = {0};
    mf_buf_adds(&full, p->client ? p->client : "");
    mf_buf_adds(&full, name);
    mf_buf_adds(o, "\nPLAN = {\n    \"name\": ");
    py_str(o, mf_buf_str(&full));
    mf_buf_free(&full);
    mf_buf_adds(o, ",\n    \"sha256\": ");
    if (sha)
        py_str(o, sha);
    else
        mf_buf_adds(o, "None");
    mf_buf_adds(o, ",\n    \"output\": ");
    py_str(o, p->output && *p->output ? p->output : "output");
    char d[2] = {p->source.delimiter ? p->source.delimiter : ',', 0}, q[2] = {p->source.quote, 0};
    mf_buf_printf(o, ",\n    \"source\": {\"charset\": \"%s\", \"bom\": %s, \"delimiter\": ", charset(p->source.encoding),
                  p->source.encoding == CSV_CP1252 || p->source.encoding == CSV_LATIN1 ? "False" : "True");
    py_str(o, d);
    mf_buf_adds(o, ", \"quote\": ");
    if (q[0])
        py_str(o, q);
    else
        mf_buf_adds(o, "None");
    mf_buf_printf(o, ",\n               \"header_line\": %ld, \"skip_last\": %ld},\n",
                  p->source.header_line > 0 ? p->source.header_line : 1, p->source.skip_last > 0 ? p->source.skip_last : 0);
    mf_buf_adds(o, "    # the source columns the plan reads (their positions come from the file's header)\n");
    mf_buf_adds(o, "    \"source_columns\": [");
    int kept = 0;
    for (int i = 0; i < nused; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++)
            dup = !strcmp(used[i], used[j]);
        if (dup)
            continue;
        mf_buf_adds(o, kept++ ? ",\n                       " : "");
        py_str(o, used[i]);
    }
    mf_buf_adds(o, "],\n    \"columns\": [");
    for (int i = 0; i < p->ncols; i++) {
        mf_buf_adds(o, i ? ",\n                " : "");
        py_str(o, p->cols[i].name);
    }
    mf_buf_adds(o, "],\n    \"types\": [");
    for (int i = 0; i < p->ncols; i++) {
        char type[64];
        plan_type_name(p->cols[i].type, type, sizeof type);
        mf_buf_adds(o, i ? ", " : "");
        py_str(o, type);
    }
    mf_buf_adds(o, "],\n    \"evaluate\": evaluate,\n}\n");
}

int pyspark_compile(const plan *p, const char *plan_sha256, mf_buf *out, mf_err *e)
{
    if (plan_check_limits(p, NULL, e))   /* the generator recurses once per level of an expression */
        return -1;
    if (plan_has_open_questions(p))
        return mf_fail(e, MF_EQUESTION, NULL, 0, 0, "the plan has open questions: it cannot be compiled");
    gen g = {.p = p, .out = out, .col = -1, .e = e};
    mf_buf_adds(out, "#!/usr/bin/env python3\n");
    mf_buf t = {0};
    mf_buf_printf(&t, "mapforge PySpark job for plan %s v%d (generated by mapforge; do not edit: change the plan)",
                  p->client ? p->client : "", p->version);
    py_comment(out, "", mf_buf_str(&t));
    mf_buf_free(&t);
    mf_buf_printf(out, "# plan sha256: %s\n", plan_sha256 ? plan_sha256 : "(not given)");
    mf_buf_adds(out, "# run: spark-submit --py-files mapforge_runtime.py job.py INPUT OUTPUT_DIR [--no-parquet]\n"
                     "#   INPUT, OUTPUT_DIR: paths or URIs (file:, hdfs:, abfss:, s3a:); writes OUTPUT_DIR/");
    py_escape(out, p->output && *p->output ? p->output : "output", true);
    mf_buf_adds(out, ".csv, .parquet, rejects.csv, run.json\n"
                     "#   mapforge_runtime.py: `mapforge compile --plan PLAN --to pyspark --out DIR` writes it beside job.py\n\n");
    mf_buf_adds(out, "from mapforge_runtime import (Ctx, LOWER_FIX, UPPER_FIX, lit_bool, lit_dec, lit_int, lit_null, lit_text,\n"
                     "                              main, ref, require)\n\n");
    mf_buf_adds(out, "require(\"" RUNTIME_VERSION "\")\n");
    mf_buf_adds(out, "\n\n# ==== The approved plan ===========================================================================\n");
    mf_buf_adds(out, "\n\ndef evaluate(job):\n");
    mf_buf_adds(out, "    \"\"\"The plan's statements in the engine's order: skip rules, columns, reject rules.\"\"\"\n");
    mf_buf_adds(out, "    stages = []\n");
    if (rules(&g, PR_SKIP) < 0 || columns(&g) < 0 || rules(&g, PR_REJECT) < 0)
        return -1;
    mf_buf_adds(out, "    return stages\n\n");
    plan_dict(&g, plan_sha256);
    mf_buf_adds(out, "\n\nif __name__ == \"__main__\":\n    main(PLAN)\n");
    return 0;
}

int pyspark_runtime(mf_buf *out)
{
    mf_buf_add(out, mf_pyspark_runtime_text, mf_pyspark_runtime_text_len);
    mf_buf_adds(out, "\n\n# ==== Case-mapping tables (generated from utf8proc) ================================================\n"
                     "# (characters whose simple and full case mappings differ, placeholders, simple mappings)\n\n");
    mf_buf_adds(out, "UPPER_FIX = (");
    case_table(out, true);
    mf_buf_adds(out, ")\nLOWER_FIX = (");
    case_table(out, false);
    mf_buf_adds(out, ")\n");
    return 0;
}

int pyspark_write(const plan *p, const char *plan_sha256, const char *dir, mf_err *e)
{
    mf_buf job = {0}, rt = {0};
    int rc = -1;
    size_t n = strlen(dir) + 32;
    char *job_path = mf_xmalloc(n), *rt_path = mf_xmalloc(n);
    snprintf(job_path, n, "%s/job.py", dir);
    snprintf(rt_path, n, "%s/mapforge_runtime.py", dir);
    if (pyspark_compile(p, plan_sha256, &job, e) == 0 && pyspark_runtime(&rt) == 0 &&
        mf_write_file_atomic(rt_path, rt.data, rt.len, e) == 0 && mf_write_file_atomic(job_path, job.data, job.len, e) == 0)
        rc = 0;
    mf_buf_free(&job);
    mf_buf_free(&rt);
    free(job_path);
    free(rt_path);
    return rc;
}
