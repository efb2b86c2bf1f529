/* draft.c — the planner: a mapping plus a profile of the data become a draft plan.
 *
 * For each mapping row: resolve its sources to data columns (mapping_match_column), read its
 * type text into a plan type, and let the rule vocabulary (rules.c) read its rule into an
 * expression, skip/reject rules, lookups and questions.  Decisions (docs/rule-vocabulary.md):
 *   - a source matching a data column with confidence >= 0.85 is used silently; 0.6..0.85 is
 *     used and an open question asks whether it is the right column; below 0.6 it is unresolved
 *     (the column becomes a hole with a question when the rule needs it);
 *   - a type text that is not recognised becomes a question (the column is typed text and = ?);
 *     an empty type text means text (the value as is);
 *   - rows with neither target, source nor rule (spacers) are left out; what the others are is
 *     the mapping reader's decision (map_row_kind, layout.c): a column; a statement (no target:
 *     read by rules.c as a filter or trailer, or a question); a notes line (cut into items, each
 *     read as a statement, except an item stating the data's header line, which must agree with
 *     detection or be a question); not mapped (a note, never a question); filter only (a note
 *     when a filter of the plan uses its column, else a question).  A filter written in a row's
 *     Comments is read as a statement too;
 *   - output name: opt->output_name, else the mapping's title, else the mapping sheet's name
 *     unless it is generic ("Mapping", "Sheet1"), else the mapping file's base name — as an
 *     upper-case identifier.
 * Invariant: the draft never guesses: whatever it could not decide is a hole or a question.
 */
#include "plan/draft.h"

#include "plan/rules.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- types ----------------------------------------------------------------------------------- */

/* Words before "(": lower-cased, with spaces, hyphens, slashes removed ("Y/N" -> "yn"). */
static void type_word(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && *s != '(' && o + 1 < cap; s++)
        if (isalnum((unsigned char)*s))
            out[o++] = (char)tolower((unsigned char)*s);
    out[o] = 0;
}

static bool in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list))
            return true;
    return false;
}

/* Read the mapping's type text.  scale_hint: the sampled number of decimals (-1 = unknown).
 * Returns false when the text is not a type I know. */
static bool read_type(const char *text, int scale_hint, plan_type *t)
{
    static const char *const TEXT[] = {"varchar", "varchar2", "nvarchar", "nvarchar2", "char", "nchar",
                                       "string", "text", "str", "alphanumeric", "alpha", "alphanum",
                                       "character", "charactervarying", "x", "an", "clob", NULL};
    static const char *const DEC[] = {"decimal", "numeric", "number", "num", "dec", "float", "double",
                                      "real", NULL};
    static const char *const MONEY[] = {"amount", "money", "currency", "curr", "amt", NULL};
    static const char *const INT[] = {"int", "integer", "smallint", "tinyint", "int32", "int4", "int2", NULL};
    static const char *const BIG[] = {"bigint", "long", "int64", "int8", NULL};
    static const char *const BOOL[] = {"boolean", "bool", "flag", "yn", "yesno", "bit", "indicator", NULL};
    static const char *const DATE[] = {"date", NULL};
    static const char *const TS[] = {"timestamp", "datetime", "datetime2", "timestamptz", NULL};
    char w[64];
    memset(t, 0, sizeof *t);
    type_word(text, w, sizeof w);
    const char *par = strchr(text, '(');
    long a = -1, b = -1;
    if (par) {
        char *end;
        a = strtol(par + 1, &end, 10);
        while (*end == ' ')
            end++;
        if (*end == ',') {
            b = strtol(end + 1, &end, 10);
            while (*end == ' ')
                end++;
        }
        if (*end != ')' || a < 0)
            return false;
    }
    if (!*w) {
        if (*text)
            return false;
        t->base = PT_TEXT;   /* no type given: the value as is */
        return true;
    }
    if (in_list(w, TEXT)) {
        t->base = PT_TEXT;
        t->len = par ? (int)a : 0;
        return b < 0 && (!par || a > 0);
    }
    if (in_list(w, DEC) || in_list(w, MONEY)) {
        t->base = PT_DECIMAL;
        if (par) {
            if (a < 1 || a > 38 || b > a)
                return false;
            t->prec = (int)a;
            t->scale = b < 0 ? 0 : (int)b;
        } else {
            t->prec = 18;
            t->scale = in_list(w, MONEY) || scale_hint < 0 ? 2 : scale_hint > 12 ? 12 : scale_hint;
        }
        return true;
    }
    if (par)
        return false;
    if (in_list(w, INT)) t->base = PT_INTEGER;
    else if (in_list(w, BIG)) t->base = PT_BIGINT;
    else if (in_list(w, BOOL)) t->base = PT_BOOLEAN;
    else if (in_list(w, DATE)) t->base = PT_DATE;
    else if (in_list(w, TS)) t->base = PT_TIMESTAMP;
    else return false;
    return true;
}

/* ---- names ----------------------------------------------------------------------------------- */

static const char *identifier(plan *p, const char *s)
{
    char out[128];
    size_t o = 0;
    for (; *s && o + 1 < sizeof out; s++) {
        if (isalnum((unsigned char)*s))
            out[o++] = (char)toupper((unsigned char)*s);
        else if (o && out[o - 1] != '_')
            out[o++] = '_';
    }
    while (o && out[o - 1] == '_')
        o--;
    out[o] = 0;
    if (!o)
        return NULL;
    if (isdigit((unsigned char)out[0])) {
        char tmp[140];
        snprintf(tmp, sizeof tmp, "T_%s", out);
        return plan_strdup(p, tmp);
    }
    return plan_strdup(p, out);
}

static const char *output_name(const mapping *m, const draft_options *opt, plan *p)
{
    if (opt && opt->output_name && *opt->output_name)
        return plan_strdup(p, opt->output_name);
    if (m->output_name && *m->output_name) {
        const char *id = identifier(p, m->output_name);
        if (id)
            return id;
    }
    static const char *const GENERIC[] = {"mapping", "map", "sheet1", "sheet", "mappings", "fieldmapping",
                                          "sourcetotarget", "s2t", "stt", NULL};
    if (m->sheet && *m->sheet) {
        char w[64];
        type_word(m->sheet, w, sizeof w);
        if (*w && !in_list(w, GENERIC)) {
            const char *id = identifier(p, m->sheet);
            if (id)
                return id;
        }
    }
    if (m->path) {
        const char *base = strrchr(m->path, '/');
        base = base ? base + 1 : m->path;
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%s", base);
        char *dot = strrchr(tmp, '.');
        if (dot)
            *dot = 0;
        const char *id = identifier(p, tmp);
        if (id)
            return id;
    }
    return plan_strdup(p, "OUTPUT");
}

static const char *base_name(const char *path)
{
    if (!path)
        return NULL;
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- sources --------------------------------------------------------------------------------- */

static void question(plan *p, const char *col, int row, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void question(plan *p, const char *col, int row, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    plan_add_question(p, col, row, buf);
}

/* Resolve one written source name.  A doubtful match (0.6..0.85) is used and asked about; a
 * source that matches nothing is left unresolved (name NULL): the rule reader asks about it when
 * the rule needs it, draft_row otherwise — one question per source, never two. */
static void resolve_source(plan *p, const profile *pr, const char *const *hdr, const map_row *row, const char *col,
                           const char *written, rule_src *out)
{
    out->written = written;
    out->name = NULL;
    out->prof = NULL;
    if (!pr || pr->ncols <= 0)
        return;
    map_match mm = mapping_match_column(written, hdr, pr->ncols);
    if (mm.col < 0 || mm.confidence < 0.6)
        return;
    out->name = hdr[mm.col];
    out->prof = &pr->col[mm.col];
    if (mm.confidence < 0.85)
        question(p, col, row->row,
                 "Source '%s' on row %d matches data column '%s' only by %s (%.2f): is that the right column?",
                 written, row->row, hdr[mm.col], mm.how ? mm.how : "similarity", mm.confidence);
}

/* The row's sources as written: the split list, else the single source text. */
static int row_nsources(const map_row *row)
{
    return row->nsources > 0 ? row->nsources : (row->source && *row->source ? 1 : 0);
}

static const char *row_source(const map_row *row, int i)
{
    return row->nsources > 0 ? row->sources[i] : row->source;
}

/* A mapping none of whose source fields matches a column of the data file is the wrong file (or
 * the wrong mapping), not a plan full of questions: an error that lists both sides. */
static int check_any_source_matches(const mapping *m, const profile *pr, const char *const *hdr, const char *file,
                                    mf_err *e)
{
    if (!pr || pr->ncols <= 0)
        return 0;
    int with_source = 0;
    for (int i = 0; i < m->nrows; i++) {
        const map_row *row = &m->rows[i];
        if (row->kind == MAP_NOTE || row->kind == MAP_UNMAPPED)
            continue;
        int n = row_nsources(row);
        with_source += n > 0;
        for (int k = 0; k < n; k++) {
            map_match mm = mapping_match_column(row_source(row, k), hdr, pr->ncols);
            if (mm.col >= 0 && mm.confidence >= 0.6)
                return 0;
        }
    }
    if (!with_source)
        return 0;
    mf_buf cols = {0}, srcs = {0};
    for (int i = 0; i < pr->ncols && cols.len < 400; i++)
        mf_buf_printf(&cols, "%s'%s'", i ? ", " : "", hdr[i]);
    for (int i = 0; i < m->nrows && srcs.len < 400; i++)
        for (int k = 0; m->rows[i].kind != MAP_NOTE && k < row_nsources(&m->rows[i]); k++)
            mf_buf_printf(&srcs, "%s'%s'", srcs.len ? ", " : "", row_source(&m->rows[i], k));
    mf_fail(e, MF_EDATA, file, 0, 0,
            "no source field of the mapping %s matches a column of this data file; the data has columns %s, the "
            "mapping names %s: is it the right data file (or header line)?",
            m->path ? m->path : "", mf_buf_str(&cols), mf_buf_str(&srcs));
    mf_buf_free(&cols);
    mf_buf_free(&srcs);
    return -1;
}

static bool row_empty(const map_row *r)
{
    return (!r->target || !*r->target) && (!r->source || !*r->source) && (!r->rule || !*r->rule);
}

static const char *prov_text(plan *p, const map_row *r)
{
    if (r->rule && *r->rule)
        return plan_strdup(p, r->rule);
    if (r->comments && *r->comments)
        return plan_strdup(p, r->comments);
    return plan_strdup(p, "no rule");
}

static int draft_row(const mapping *m, const profile *pr, const char *const *hdr, const map_row *row, plan *p,
                     mf_err *e)
{
    const char *target = row->target && *row->target ? row->target : NULL;
    int nsrc = row_nsources(row);
    rule_src *src = mf_arena_alloc(&p->arena, sizeof(rule_src) * (size_t)(nsrc ? nsrc : 1));
    for (int i = 0; i < nsrc; i++)
        resolve_source(p, pr, hdr, row, target, row_source(row, i), &src[i]);

    int scale_hint = src[0].prof && nsrc ? src[0].prof->max_scale : -1;
    plan_type type = {0};
    bool type_ok = true;
    if (target && !read_type(row->type ? row->type : "", scale_hint, &type)) {
        type_ok = false;
        type.base = PT_TEXT;
        question(p, target, row->row, "Type '%s' of %s on row %d is not a type I know: which type is it (text(n), "
                 "integer, bigint, decimal(p,s), date, timestamp, boolean)?", row->type, target, row->row);
    }
    /* a duplicate target would silently overwrite: ask */
    for (int i = 0; target && i < p->ncols; i++)
        if (!strcasecmp(p->cols[i].name, target)) {
            question(p, target, row->row, "Target %s appears again on row %d: which row is right?", target, row->row);
            return 0;
        }

    rule_ctx c = {.p = p, .m = m, .pr = pr, .row = row->row, .column = target, .type = type,
                  .nsrc = nsrc, .src = src};
    rule_result res;
    if (rules_read(&c, row->rule ? row->rule : "", &res, e) < 0)
        return -1;
    /* an unmatched source the rule did not need (its question already names it otherwise) */
    for (int i = 0; res.understood && pr && pr->ncols > 0 && i < nsrc; i++)
        if (!src[i].name)
            question(p, target, row->row, "Source '%s' on row %d matches no column of the data file: which "
                     "column is it?", src[i].written, row->row);
    if (!target)
        return 0;
    plan_column *col = plan_add_column(p, target, type);
    col->required = row->mandatory || res.required;
    col->expr = type_ok && res.expr ? res.expr : plan_new_expr(p, PE_HOLE);
    col->prov.row = row->row;
    col->prov.text = prov_text(p, row);
    return 0;
}

/* ---- rows that are not column mappings ------------------------------------------------------- */

/* A remark the plan shows with its mapping row, never a question ("not mapped" rows, the header
 * line a note confirms, a filter-only row): `note: "text"  # row N: what the row says`. */
static void draft_note(plan *p, int row, const char *text, const char *said)
{
    plan_note *n = plan_add_note(p, text);
    n->prov.row = row;
    n->prov.text = said && *said ? plan_strdup(p, said) : NULL;
}

static void draft_unmapped(plan *p, const map_row *row)
{
    const char *why = row->rule && *row->rule ? row->rule : row->comments && *row->comments ? row->comments : NULL;
    char buf[512];
    if (row->source && *row->source)
        snprintf(buf, sizeof buf, "source '%s' is not mapped", row->source);
    else if (row->target && *row->target)
        snprintf(buf, sizeof buf, "%s is not mapped", row->target);
    else
        snprintf(buf, sizeof buf, "not mapped");
    draft_note(p, row->row, buf, why);
}

/* Lowercase words of s (letters and digits), one space between. */
static void words_of(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    int sp = 1;
    for (; *s && o + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '\'') {
            out[o++] = (char)tolower(c);
            sp = 0;
        } else if (!sp) {
            out[o++] = ' ';
            sp = 1;
        }
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = 0;
}

static bool has_word(const char *w, const char *word)
{
    size_t k = strlen(word);
    for (const char *p = w; (p = strstr(p, word)) != NULL; p++)
        if ((p == w || p[-1] == ' ') && (p[k] == 0 || p[k] == ' '))
            return true;
    return false;
}

static int nwords(const char *w)
{
    int n = *w != 0;
    for (; *w; w++)
        n += *w == ' ';
    return n;
}

/* "drop" and "ignore" also apply to parts of a value ("drop the desk prefix", "ignore leading
 * zeros"): they state a filter only when the comment speaks of rows or states a condition. */
static bool about_rows(const char *c, const char *w)
{
    static const char *const rows[] = {"row", "rows", "record", "records", "line", "lines", "entry", "entries",
                                       "transaction", "transactions", "where", "if", "when", "unless", NULL};
    for (int i = 0; rows[i]; i++)
        if (has_word(w, rows[i]))
            return true;
    return strpbrk(c, "=<>'\"") != NULL;
}

/* A comment that states a filter ("excl. internal accounts", "skip rows where ..."): the rule
 * reader reads it as a statement, or asks. */
static bool comments_state_filter(const char *c)
{
    static const char *const verbs[] = {"exclude", "excluded", "excl", "skip", "skipped", "drop", "dropped",
                                        "filter", "filtered", "ignore", "ignored", "don't load", "do not load",
                                        "not be loaded", "only load", "load only", NULL};
    char w[1024];
    if (!c || !*c)
        return false;
    words_of(c, w, sizeof w);
    if (nwords(w) < 3)
        return false;
    static const char *const also_for_values[] = {"drop", "dropped", "ignore", "ignored", NULL};
    for (int i = 0; verbs[i]; i++) {
        if (!has_word(w, verbs[i]))
            continue;
        for (int k = 0; also_for_values[k]; k++)
            if (!strcmp(verbs[i], also_for_values[k]))
                return about_rows(c, w);
        return true;
    }
    return false;
}

/* Read `text` as a statement of row `row` (no target), with the row's sources. */
static int draft_statement(const mapping *m, const profile *pr, const char *const *hdr, const map_row *row,
                           const char *text, plan *p, mf_err *e)
{
    int nsrc = row_nsources(row);
    rule_src *src = mf_arena_alloc(&p->arena, sizeof(rule_src) * (size_t)(nsrc ? nsrc : 1));
    for (int i = 0; i < nsrc; i++)
        resolve_source(p, pr, hdr, row, NULL, row_source(row, i), &src[i]);
    rule_ctx c = {.p = p, .m = m, .pr = pr, .row = row->row, .column = NULL, .type = {0}, .nsrc = nsrc,
                  .src = src};
    rule_result res;
    return rules_read(&c, text, &res, e);
}

/* ---- notes lines: table-level rules ---------------------------------------------------------- */

#define MAX_ITEMS 32

/* Is the word before s[i] (a '.') an abbreviation ("e.g.", "excl.", "incl.", "cust.")? */
static bool abbreviation_before(const char *s, size_t i)
{
    static const char *const ab[] = {"eg", "ie", "excl", "incl", "etc", "approx", "vs", "no", "nr", "cf", "ca",
                                     "cust", "amt", "dt", "ccy", "rev", "max", "min", "mr", "ms", "dr", "st",
                                     "ref", "acct", "qty", "pos", "resp", "e", "i", "g", "al", "fig", NULL};
    size_t b = i;
    while (b > 0 && (isalnum((unsigned char)s[b - 1]) || s[b - 1] == '.'))
        b--;
    char w[16];
    size_t o = 0;
    for (size_t k = b; k < i && o + 1 < sizeof w; k++)
        if (s[k] != '.')
            w[o++] = (char)tolower((unsigned char)s[k]);
    w[o] = 0;
    if (o <= 1 || memchr(s + b, '.', i - b))
        return true;
    return in_list(w, ab);
}

/* An enumeration marker at s ("(1) ", "2) ", "a) "), at the start or after white space: its
 * length, else 0. */
static size_t enum_marker(const char *s, size_t at)
{
    const char *p = s + at;
    if (at > 0 && !isspace((unsigned char)p[-1]) && p[-1] != ':' && p[-1] != ';')
        return 0;
    size_t k = 0;
    if (p[k] == '(')
        k++;
    size_t d = 0;
    while (isdigit((unsigned char)p[k + d]) && d < 2)
        d++;
    if (!d && islower((unsigned char)p[k]) && p[k + 1] == ')' && p[0] == '(')
        d = 1;   /* "(a)" */
    if (!d)
        return 0;
    k += d;
    if (p[k] != ')')
        return 0;
    k++;
    return p[k] == ' ' || p[k] == '\t' ? k + 1 : 0;
}

static void add_item(plan *p, const char *s, size_t n, const char **items, int *nitems)
{
    while (n && (isspace((unsigned char)*s) || *s == '-' || *s == '*' || (unsigned char)*s >= 0x80)) {
        if ((unsigned char)*s >= 0x80) {   /* a bullet or dash: "•", "–", "·" */
            const unsigned char *u = (const unsigned char *)s;
            size_t k = u[0] == 0xE2 && n >= 3 && u[1] == 0x80 && (u[2] == 0xA2 || u[2] == 0x93 || u[2] == 0x94) ? 3
                       : u[0] == 0xC2 && n >= 2 && u[1] == 0xB7 ? 2 : 0;
            if (!k)
                break;
            s += k;
            n -= k;
            continue;
        }
        if (*s == '-' && n > 1 && !isspace((unsigned char)s[1]))
            break;   /* "-5" is a number, not a bullet */
        s++;
        n--;
    }
    /* "1. ", "2) ", "a) " opening the item */
    size_t k = 0;
    while (k < n && k < 2 && isdigit((unsigned char)s[k]))
        k++;
    if (!k && n > 1 && islower((unsigned char)s[0]) && s[1] == ')')
        k = 1;
    if (k && k + 1 < n && (s[k] == '.' || s[k] == ')') && isspace((unsigned char)s[k + 1])) {
        s += k + 2;
        n -= k + 2;
    }
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || *nitems == MAX_ITEMS)
        return;
    char tmp[128], w[128];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 127 ? n : 127), s);
    words_of(tmp, w, sizeof w);
    if (s[n - 1] == ':' && nwords(w) <= 3)
        return;   /* a label alone: "Please note:", "Filters:" */
    if (!*w)
        return;
    char *c = mf_arena_alloc(&p->arena, n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    items[(*nitems)++] = c;
}

/* Cut a notes line into its items: lines, bullets, enumerations "(1)" / "2)", sentences. */
static int split_items(plan *p, const char *text, const char **items)
{
    int n = 0;
    size_t start = 0, len = strlen(text);
    for (size_t i = 0; i <= len; i++) {
        size_t cut = 0, skip = 0;
        if (i == len || text[i] == '\n') {
            cut = 1;
            skip = 1;
        } else if ((skip = enum_marker(text, i)) > 0) {
            cut = 1;
        } else if ((text[i] == '.' || text[i] == '!' || text[i] == '?') && i + 2 < len && text[i + 1] == ' ' &&
                   (isupper((unsigned char)text[i + 2]) || text[i + 2] == '\'' || text[i + 2] == '"') &&
                   !(text[i] == '.' && abbreviation_before(text, i))) {
            i++;   /* the sentence keeps its full stop */
            cut = 1;
            skip = 1;
        }
        if (!cut)
            continue;
        add_item(p, text + start, i - start, items, &n);
        start = i + skip;
        if (skip > 1)
            i += skip - 1;
    }
    return n;
}

static long number_word(const char *w)
{
    static const char *const nums[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                       "nine", "ten", "eleven", "twelve", NULL};
    if (isdigit((unsigned char)w[0])) {
        char *end;
        long v = strtol(w, &end, 10);
        return *end ? -1 : v;
    }
    for (int i = 0; nums[i]; i++)
        if (!strcmp(w, nums[i]))
            return i;
    return -1;
}

/* Does the item state where the data file's column headings are?  "the column headings are on
 * line 5", "the first four lines of the file are report headings", "the file have 4 lines on top
 * before the column names, please skip them".  Sets *line (1-based) and returns true; *conflict
 * when two statements in it disagree. */
static bool states_header_line(const char *item, long *line, bool *conflict)
{
    char w[1024];
    words_of(item, w, sizeof w);
    bool heading = has_word(w, "heading") || has_word(w, "headings") || has_word(w, "header") ||
                   has_word(w, "headers") || has_word(w, "column names") || has_word(w, "field names") ||
                   has_word(w, "titles") || has_word(w, "title");
    if (!heading)
        return false;
    const char *tok[128];
    int nt = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", w);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t && nt < 128; t = strtok_r(NULL, " ", &save))
        tok[nt++] = t;
    long at = -1, before = -1;
    for (int i = 0; i < nt; i++) {
        bool lineword = !strcmp(tok[i], "line") || !strcmp(tok[i], "row");
        bool lineswords = !strcmp(tok[i], "lines") || !strcmp(tok[i], "rows");
        /* "on line 5", "in row 5", "line 5" */
        if (lineword && i + 1 < nt && number_word(tok[i + 1]) > 0)
            at = number_word(tok[i + 1]);
        /* "first four lines", "4 lines on top", "top 4 lines" */
        if (lineswords && i > 0 && number_word(tok[i - 1]) > 0) {
            bool first = i > 1 && (!strcmp(tok[i - 2], "first") || !strcmp(tok[i - 2], "top"));
            bool top = false;
            for (int k = i + 1; k < nt && k < i + 4; k++)
                top = top || !strcmp(tok[k], "top") || !strcmp(tok[k], "before") || !strcmp(tok[k], "above");
            if (first || top || has_word(w, "skip"))
                before = number_word(tok[i - 1]) + 1;
        }
    }
    if (at < 0 && before < 0)
        return false;
    *conflict = at > 0 && before > 0 && at != before;
    *line = at > 0 ? at : before;
    return true;
}

static int draft_table_note(const mapping *m, const profile *pr, const map_row *row, plan *p, mf_err *e)
{
    const char *items[MAX_ITEMS];
    int n = split_items(p, row->rule, items);
    for (int i = 0; i < n; i++) {
        long line;
        bool conflict = false;
        if (states_header_line(items[i], &line, &conflict)) {
            long found = p->source.header_line > 0 ? p->source.header_line : 1;
            if (conflict)
                question(p, NULL, row->row, "Row %d says '%s': the two line numbers in it disagree; on which line of "
                         "the data file are the column headings?", row->row, items[i]);
            else if (pr && line != found)
                question(p, NULL, row->row, "Row %d says '%s' (column headings on line %ld), but in %s they were "
                         "found on line %ld: which line holds the column headings?", row->row, items[i], line,
                         p->source.file ? p->source.file : "the data file", found);
            else {
                char buf[1024];
                snprintf(buf, sizeof buf, "the column headings are on line %ld of the data file, as the mapping says",
                         line);
                draft_note(p, row->row, buf, items[i]);
            }
            continue;
        }
        rule_ctx c = {.p = p, .m = m, .pr = pr, .row = row->row, .column = NULL, .type = {0}, .nsrc = 0,
                      .src = NULL};
        rule_result res;
        if (rules_read(&c, items[i], &res, e) < 0)
            return -1;
    }
    return 0;
}

/* Does e use the data column `name`? */
static bool expr_uses(const plan_expr *e, const char *name)
{
    if (!e)
        return false;
    if (e->kind == PE_SOURCE && e->name && !strcmp(e->name, name))
        return true;
    for (int i = 0; i < 3; i++)
        if (expr_uses(e->kid[i], name))
            return true;
    if (e->kind == PE_STEP)
        return expr_uses(e->step.cond, name) || expr_uses(e->step.value, name);
    return false;
}

/* "STATUS | (no target) | Filter only - see below": a note when some filter of the plan uses the
 * column, else a question (the filter it points to was not read). */
static void draft_filter_ref(const profile *pr, const char *const *hdr, const map_row *row, plan *p)
{
    bool used = false;
    for (int k = 0; k < row_nsources(row); k++) {
        map_match mm = mapping_match_column(row_source(row, k), hdr, pr ? pr->ncols : 0);
        if (mm.col < 0 || mm.confidence < 0.6)
            continue;
        for (int i = 0; i < p->nrules && !used; i++)
            used = p->rules[i].kind != PR_CHECK && expr_uses(p->rules[i].cond, hdr[mm.col]);
    }
    if (used) {
        char buf[1024];
        snprintf(buf, sizeof buf, "source '%s' is used by a filter only", row->source);
        draft_note(p, row->row, buf, row->rule);
    } else {
        question(p, NULL, row->row, "Row %d says '%s' for source '%s', but no filter on it was read: which rows "
                 "should be left out?", row->row, row->rule, row->source);
    }
}

int plan_draft(const mapping *m, const profile *pr, const draft_options *opt, plan *out, mf_err *e)
{
    if (!m)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "plan_draft needs a mapping");
    plan_init(out);
    out->client = plan_strdup(out, opt && opt->client ? opt->client : "CLIENT");
    out->version = 1;
    const char *file = opt && opt->data_name ? opt->data_name : pr ? base_name(pr->path) : NULL;
    out->source.file = plan_strdup(out, file ? file : "data.csv");
    if (m->path && m->sha256[0]) {   /* a mapping read from a file (tests build some in memory) */
        out->mapping.file = plan_strdup(out, base_name(m->path));
        out->mapping.sheet = plan_strdup(out, m->sheet ? m->sheet : "");
        out->mapping.sha256 = plan_strdup(out, m->sha256);
    }
    if (pr) {
        out->source.delimiter = pr->dialect.delimiter ? pr->dialect.delimiter : ',';
        out->source.quote = pr->dialect.quote;
        out->source.encoding = pr->dialect.encoding;
        out->source.header_line = pr->dialect.header_line > 0 ? pr->dialect.header_line : 1;
    } else {
        out->source.delimiter = ',';
        out->source.quote = '"';
        out->source.header_line = 1;
    }
    out->output = output_name(m, opt, out);

    int nh = pr ? pr->ncols : 0;
    const char **hdr = mf_arena_alloc(&out->arena, sizeof(char *) * (size_t)(nh ? nh : 1));
    for (int i = 0; i < nh; i++)
        hdr[i] = pr->col[i].name ? pr->col[i].name : "";
    if (check_any_source_matches(m, pr, hdr, pr && pr->path ? pr->path : file, e) < 0) {
        plan_free(out);
        return -1;
    }
    for (int i = 0; i < m->nrows; i++) {
        const map_row *row = &m->rows[i];
        int rc = 0;
        switch (row->kind) {
        case MAP_COLUMN:
        case MAP_STATEMENT:
            if (!row_empty(row))
                rc = draft_row(m, pr, hdr, row, out, e);
            if (rc == 0 && !row->rule_from_comments && comments_state_filter(row->comments))
                rc = draft_statement(m, pr, hdr, row, row->comments, out, e);
            break;
        case MAP_NOTE:
            rc = draft_table_note(m, pr, row, out, e);
            break;
        case MAP_UNMAPPED:
            draft_unmapped(out, row);
            break;
        case MAP_FILTER_REF:
            break;   /* after every row: the filter it points to may be below */
        }
        if (rc < 0) {
            plan_free(out);
            return -1;
        }
    }
    for (int i = 0; i < m->nrows; i++)
        if (m->rows[i].kind == MAP_FILTER_REF)
            draft_filter_ref(pr, hdr, &m->rows[i], out);
    return 0;
}
