/* rules.c — the rule vocabulary: free-text mapping rules read into plan-language steps.
 *
 * How a rule is read:
 *   1. tokenize: words (folded to lower case, then to one canonical synonym: "uppercase",
 *      "caps", "ucase" -> "upper"), quoted strings (kept exactly), numbers, operators
 *      ("->", "=", "+", ...), and date patterns ("mm/dd/yyyy" -> MM/DD/YYYY) as one token;
 *      a hyphen inside a word joins it ("Left-pad" -> "leftpad");
 *   2. recognizers, one per rule family, most specific first, find their phrasing among the
 *      tokens not yet used, mark what they use and fill a `reading`;
 *   3. the reading becomes an expression: base (source, constant, concatenation, arithmetic,
 *      days) -> text steps -> conversion (map / read as, implied by the target type and checked
 *      against the data sample) -> numeric steps -> default.
 * Invariant: a rule counts as understood only when every significant token was used and no
 * recognizer found a contradiction with the data.  Otherwise the column gets a hole (?) and an
 * open question naming the row and what is missing: the planner never guesses.
 */
#include "plan/rules.h"

#include "plan/formula.h"
#include "plan/infer.h"
#include "plan/tabs.h"

#include "util/buf.h"
#include "util/date.h"
#include "util/decimal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tokens ---------------------------------------------------------------------------------- */

typedef enum tk_kind { TK_WORD, TK_STR, TK_NUM, TK_OP, TK_DATE } tk_kind;

typedef struct tok {
    tk_kind k;
    const char *w;     /* WORD: canonical word; STR: content; NUM: digits; OP: operator; DATE: pattern */
    const char *orig;  /* as written */
    size_t b, e;       /* byte span in the rule text */
    bool used;
} tok;

#define MAX_TOKS 256
#define MAX_STEPS 24
#define MAX_PARTS 16

typedef struct tstep {
    size_t pos;        /* where in the text it was said: steps apply in text order */
    plan_step st;
} tstep;

enum base_kind { B_SOURCE, B_CONST, B_CONCAT, B_ARITH, B_DAYS, B_LOOKUP_ONLY };
enum date_kind { D_NONE, D_PATTERN, D_ISO, D_EXCEL };

typedef struct reading {
    const rule_ctx *c;
    plan *p;
    const char *text;
    tok t[MAX_TOKS];
    int n;
    /* what was read */
    int base;
    const char *const_text;
    bool const_num;
    int nparts;
    const char *part_src[MAX_PARTS];   /* data column, or NULL for a literal */
    const char *part_lit[MAX_PARTS];
    int narith;                        /* arithmetic between fields: operands and operators */
    const char *arith_src[MAX_PARTS];  /* data column, or NULL for a number literal */
    const char *arith_num[MAX_PARTS];
    int arith_op[MAX_PARTS];           /* arith_op[i] joins operand i-1 and i */
    const char *days_a, *days_b;
    int ntext, nnum;
    tstep text_steps[MAX_STEPS];
    tstep num_steps[MAX_STEPS];
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
    bool required;
    bool statement;                    /* produced a skip/reject/trailer statement */
    mf_buf problems;                   /* sentences for the open question */
} reading;

static const struct { const char *alias, *canon; } SYN[] = {
    {"uppercase", "upper"}, {"uppercased", "upper"}, {"caps", "upper"}, {"capitals", "upper"},
    {"capital", "upper"}, {"ucase", "upper"}, {"upcase", "upper"}, {"capitalise", "upper"},
    {"capitalize", "upper"}, {"allcaps", "upper"},
    {"lowercase", "lower"}, {"lowercased", "lower"}, {"lcase", "lower"}, {"downcase", "lower"},
    {"trimmed", "trim"}, {"trimming", "trim"}, {"trims", "trim"},
    {"chars", "char"}, {"character", "char"}, {"characters", "char"}, {"letters", "char"},
    {"letter", "char"}, {"digits", "char"}, {"digit", "char"}, {"positions", "char"},
    {"position", "char"}, {"pos", "char"}, {"bytes", "char"},
    {"blanks", "blank"}, {"empty", "blank"}, {"null", "blank"}, {"nulls", "blank"},
    {"missing", "blank"}, {"none", "blank"}, {"nan", "blank"}, {"unpopulated", "blank"},
    {"zeros", "zero"}, {"zeroes", "zero"}, {"0s", "zero"},
    {"spaces", "space"}, {"whitespace", "space"}, {"whitespaces", "space"},
    {"rows", "row"}, {"record", "row"}, {"records", "row"}, {"line", "row"}, {"lines", "row"},
    {"entry", "row"}, {"entries", "row"}, {"transactions", "row"}, {"transaction", "row"},
    {"tabs", "tab"}, {"sheet", "tab"}, {"sheets", "tab"}, {"worksheet", "tab"}, {"worksheets", "tab"},
    {"decimals", "dp"}, {"places", "dp"}, {"place", "dp"},
    {"negated", "negate"}, {"negation", "negate"},
    {"multiplied", "multiply"}, {"multiplying", "multiply"}, {"multiple", "multiply"},
    {"divided", "divide"}, {"dividing", "divide"},
    {"rounded", "round"}, {"rounding", "round"},
    {"concatenate", "concat"}, {"concatenated", "concat"}, {"concatenation", "concat"},
    {"join", "concat"}, {"joined", "concat"}, {"combine", "concat"}, {"combined", "concat"},
    {"merge", "concat"}, {"merged", "concat"},
    {"const", "constant"}, {"hardcode", "constant"}, {"hardcoded", "constant"},
    {"hardcoding", "constant"}, {"fixed", "constant"}, {"literal", "constant"}, {"static", "constant"},
    {"always", "constant"},
    {"defaults", "default"}, {"defaulted", "default"}, {"defaulting", "default"},
    {"excluded", "exclude"}, {"excluding", "exclude"}, {"ignore", "exclude"}, {"ignored", "exclude"},
    {"skip", "exclude"}, {"skipped", "exclude"}, {"drop", "exclude"}, {"dropped", "exclude"},
    {"discard", "exclude"}, {"discarded", "exclude"}, {"omit", "exclude"}, {"omitted", "exclude"},
    {"filter", "exclude"}, {"filtered", "exclude"},
    {"lookups", "lookup"}, {"vlookup", "lookup"}, {"xlookup", "lookup"},
    {"reverse", "flip"}, {"reversed", "flip"}, {"invert", "flip"}, {"inverted", "flip"},
    {"flipped", "flip"}, {"change", "flip"}, {"switch", "flip"},
    {"signs", "sign"}, {"credits", "credit"}, {"debits", "debit"},
    {"negatives", "negative"},
    {"parentheses", "paren"}, {"parenthesis", "paren"}, {"parens", "paren"}, {"brackets", "paren"},
    {"bracket", "paren"}, {"parenthesised", "paren"}, {"parenthesized", "paren"}, {"bracketed", "paren"},
    {"thousand", "thousands"}, {"separators", "separator"}, {"seperator", "separator"},
    {"seperators", "separator"}, {"delimiter", "separator"}, {"delimiters", "separator"},
    {"commas", "comma"}, {"cent", "cents"}, {"pennies", "cents"}, {"pence", "cents"},
    {"required", "mandatory"}, {"require", "mandatory"}, {"requires", "mandatory"},
    {"compulsory", "mandatory"}, {"obligatory", "mandatory"},
    {"rejected", "reject"}, {"rejects", "reject"},
    {"preceding", "before"}, {"prior", "before"}, {"following", "after"},
    {"days", "day"}, {"iso8601", "iso"}, {"datetime", "timestamp"}, {"dates", "date"},
    {"else", "otherwise"}, {"when", "if"}, {"whenever", "if"}, {"where", "if"},
    {"equals", "equal"}, {"eq", "equal"}, {"isnt", "isnot"},
    {"begins", "starts"}, {"begin", "starts"}, {"start", "starts"}, {"starting", "starts"},
    {"beginning", "starts"}, {"end", "ends"}, {"ending", "ends"},
    {"contain", "contains"}, {"containing", "contains"},
    {"append", "suffix"}, {"appended", "suffix"}, {"suffixed", "suffix"},
    {"prefixed", "prefix"}, {"prepend", "prefix"}, {"prepended", "prefix"},
    {"padded", "pad"}, {"padding", "pad"}, {"lpad", "leftpad"}, {"rpad", "rightpad"},
    {"padleft", "leftpad"}, {"padright", "rightpad"},
    {"substring", "substr"}, {"mid", "substr"}, {"substring", "substr"},
    {"leftmost", "left"}, {"rightmost", "right"},
    {"trailing", "trailing"}, {"trailer", "trailer"}, {"footer", "trailer"},
    {"totals", "total"}, {"summary", "total"},
    {"copy", "asis"}, {"copied", "asis"}, {"direct", "asis"}, {"directly", "asis"},
    {"straight", "asis"}, {"unchanged", "asis"}, {"passthrough", "asis"},
    {"mapped", "map"}, {"mapping", "map"}, {"translate", "map"}, {"decode", "map"},
    {"means", "means"}, {"becomes", "means"},
};

/* Words that carry no meaning of their own in a rule. */
static const char *const FILLER[] = {
    "please", "the", "a", "an", "field", "fields", "column", "columns", "col", "value", "values",
    "val", "data", "source", "src", "target", "it", "its", "this", "that", "of", "to", "from", "as",
    "in", "on", "into", "and", "then", "with", "by", "for", "should", "be", "is", "are", "must",
    "need", "needs", "just", "simply", "only", "all", "any", "each", "every", "use", "using",
    "take", "taking", "populate", "populated", "put", "set", "get", "move", "moved", "load",
    "loaded", "format", "formatted", "convert", "converted", "conversion", "transform",
    "apply", "do", "make", "string", "text", "field's", "we", "will", "at", "so", "keep", "kept",
    "provided", "given", "per", "we", "you", "also", "always", "ensure", "sure", "which", "has",
    "have", "there", "here", "note", "mapped", "map", "one", "there", "like", "e", "g", "eg",
    "via", "new", "existing", "original", "same", "output", "result", "resulting", "field",
    "numeric", "number", "amount", "numbers", "fmt", "form", "type", "return", "returns",
    "give", "gives", "show", "display", "store", "stored", "write", "written", "send", "copy",
    "rule", "logic", "required", "than", "should", "shall", "can", "may", "both",
    "calculate", "calculated", "compute", "computed", "derive", "derived", "uses", "used",
};

static bool is_filler(const char *w)
{
    for (size_t i = 0; i < sizeof FILLER / sizeof *FILLER; i++)
        if (!strcmp(w, FILLER[i]))
            return true;
    return false;
}

static const char *canon(const char *w)
{
    for (size_t i = 0; i < sizeof SYN / sizeof *SYN; i++)
        if (!strcmp(w, SYN[i].alias))
            return SYN[i].canon;
    return w;
}

static bool word_byte(unsigned char ch)
{
    return isalnum(ch) || ch == '_' || ch >= 0x80;
}

/* Date pattern at s: components YYYY YY MM M DD D Mon Month (any case) with separators / . -
 * between them (or none).  Needs a year, a month and a day.  Returns its byte length, 0 if none,
 * and the plan notation in out (room for 32 bytes). */
static size_t date_pattern_at(const char *s, char *out)
{
    static const struct { const char *in, *out; char what; } C[] = {
        {"yyyy", "YYYY", 'y'}, {"month", "Month", 'm'}, {"mon", "Mon", 'm'}, {"yy", "YY", 'y'},
        {"mm", "MM", 'm'}, {"dd", "DD", 'd'}, {"m", "M", 'm'}, {"d", "D", 'd'},
    };
    size_t i = 0, o = 0;
    int ny = 0, nm = 0, nd = 0, ncomp = 0;
    out[0] = 0;
    for (;;) {
        size_t k;
        for (k = 0; k < sizeof C / sizeof *C; k++)
            if (!strncasecmp(s + i, C[k].in, strlen(C[k].in)))
                break;
        if (k == sizeof C / sizeof *C)
            return 0;
        /* "mon" must be written Mon/MON/mon but never inside a longer word like "monday" */
        size_t len = strlen(C[k].in);
        if (o + strlen(C[k].out) + 2 >= 32)
            return 0;
        memcpy(out + o, C[k].out, strlen(C[k].out));
        o += strlen(C[k].out);
        i += len;
        ncomp++;
        ny += C[k].what == 'y';
        nm += C[k].what == 'm';
        nd += C[k].what == 'd';
        char ch = s[i];
        if (ch == '/' || ch == '.' || ch == '-') {
            char nx = s[i + 1];
            if (!strchr("yYmMdD", nx) || !nx)
                break;
            out[o++] = ch;
            i++;
            continue;
        }
        if (strchr("yYmMdD", ch) && ch)
            continue;
        break;
    }
    out[o] = 0;
    if (word_byte((unsigned char)s[i]) || ny != 1 || nm != 1 || nd != 1 || ncomp != 3)
        return 0;
    return i;
}

static void add_tok(reading *r, tk_kind k, const char *w, const char *orig, size_t b, size_t e)
{
    if (r->n >= MAX_TOKS)
        return;
    tok *t = &r->t[r->n++];
    t->k = k;
    t->w = w;
    t->orig = orig;
    t->b = b;
    t->e = e;
    t->used = false;
}

/* Opening quote at i?  Returns its byte length (1 for ASCII, 3 for curly) and the closer. */
static int quote_open(const char *s, size_t i, const char **close)
{
    unsigned char ch = (unsigned char)s[i];
    bool at_boundary = i == 0 || !word_byte((unsigned char)s[i - 1]);
    if ((ch == '\'' || ch == '"' || ch == '`') && at_boundary) {
        *close = ch == '\'' ? "'" : ch == '"' ? "\"" : "`";
        return 1;
    }
    if (!strncmp(s + i, "\xe2\x80\x98", 3)) { *close = "\xe2\x80\x99"; return 3; }   /* ‘ ’ */
    if (!strncmp(s + i, "\xe2\x80\x9c", 3)) { *close = "\xe2\x80\x9d"; return 3; }   /* “ ” */
    return 0;
}

static void tokenize(reading *r)
{
    const char *s = r->text;
    mf_arena *a = &r->p->arena;
    size_t i = 0, n = strlen(s);
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        const char *close;
        int ql;
        char pat[32];
        size_t dl;
        if (isspace(ch)) {
            i++;
        } else if ((ql = quote_open(s, i, &close)) > 0) {
            size_t j = i + (size_t)ql, cl = strlen(close);
            while (j < n && !(strncmp(s + j, close, cl) == 0 &&
                              (cl > 1 || j + 1 >= n || !word_byte((unsigned char)s[j + 1]))))
                j++;
            if (j >= n) {            /* no closer: an apostrophe, not a quote */
                i += (size_t)ql;
                continue;
            }
            char *v = mf_arena_strndup(a, s + i + ql, j - i - (size_t)ql);
            add_tok(r, TK_STR, v, v, i, j + cl);
            i = j + cl;
        } else if ((i == 0 || !word_byte((unsigned char)s[i - 1])) && (dl = date_pattern_at(s + i, pat))) {
            char *v = mf_arena_strdup(a, pat);
            add_tok(r, TK_DATE, v, mf_arena_strndup(a, s + i, dl), i, i + dl);
            i += dl;
        } else if (isdigit(ch) && !(i + 1 < n && isalpha((unsigned char)s[i + 1]) &&
                                    !strncasecmp(s + i + 1, "s", 1) && ch == '0')) {
            mf_buf d = {0};
            size_t j = i;
            while (j < n) {
                if (isdigit((unsigned char)s[j])) {
                    mf_buf_addc(&d, s[j++]);
                } else if (s[j] == '.' && j + 1 < n && isdigit((unsigned char)s[j + 1])) {
                    mf_buf_addc(&d, s[j++]);
                } else if (s[j] == ',' && j + 3 < n + 1 && isdigit((unsigned char)s[j + 1]) &&
                           isdigit((unsigned char)s[j + 2]) && isdigit((unsigned char)s[j + 3]) &&
                           (j + 4 >= n || !isdigit((unsigned char)s[j + 4]))) {
                    j++;     /* thousands separator inside a number: 1,000 */
                } else {
                    break;
                }
            }
            char *v = mf_arena_strdup(a, mf_buf_str(&d));
            mf_buf_free(&d);
            add_tok(r, TK_NUM, v, mf_arena_strndup(a, s + i, j - i), i, j);
            i = j;
        } else if (word_byte(ch)) {
            mf_buf w = {0};
            size_t j = i;
            for (;;) {
                while (j < n && (word_byte((unsigned char)s[j]) || s[j] == '\'')) {
                    if (s[j] != '\'')
                        mf_buf_addc(&w, (char)tolower((unsigned char)s[j]));
                    j++;
                }
                /* a hyphen inside a word joins it: Left-pad, hard-coded, as-is */
                if (j + 1 < n && s[j] == '-' && isalpha((unsigned char)s[j + 1]) &&
                    isalpha((unsigned char)s[j - 1])) {
                    j++;
                    continue;
                }
                break;
            }
            const char *lw = mf_arena_strdup(a, mf_buf_str(&w));
            mf_buf_free(&w);
            add_tok(r, TK_WORD, canon(lw), mf_arena_strndup(a, s + i, j - i), i, j);
            i = j;
        } else {
            static const char *const OPS[] = {"->", "=>", "==", "!=", "<>", "<=", ">=", "||",
                                              "\xe2\x86\x92", "\xe2\x89\xa0"};
            size_t k, len = 1;
            const char *op = NULL;
            for (k = 0; k < sizeof OPS / sizeof *OPS; k++)
                if (!strncmp(s + i, OPS[k], strlen(OPS[k]))) {
                    len = strlen(OPS[k]);
                    op = k == 8 ? "->" : k == 9 ? "!=" : k == 1 ? "->" : k == 6 ? "!=" : OPS[k];
                    if (k == 4)
                        op = "!=";
                    break;
                }
            if (!op) {
                /* a UTF-8 symbol such as € or £ is one token */
                if (ch >= 0x80) {
                    len = 1;
                    while (i + len < n && ((unsigned char)s[i + len] & 0xC0) == 0x80)
                        len++;
                }
                op = mf_arena_strndup(a, s + i, len);
            }
            add_tok(r, TK_OP, op, mf_arena_strndup(a, s + i, len), i, i + len);
            i += len;
        }
    }
}

/* ---- token helpers --------------------------------------------------------------------------- */

static bool is_w(const reading *r, int i, const char *w)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_WORD && !strcmp(r->t[i].w, w);
}

static bool is_op(const reading *r, int i, const char *op)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_OP && !strcmp(r->t[i].w, op);
}

static bool is_k(const reading *r, int i, tk_kind k)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == k;
}

/* Index of the first unused word w at or after `from`, or -1. */
static int find_w(const reading *r, int from, const char *w)
{
    for (int i = from < 0 ? 0 : from; i < r->n; i++)
        if (is_w(r, i, w))
            return i;
    return -1;
}

/* Skip filler words forward from i (unused ones); returns the next significant index. */
static int skip_fill(const reading *r, int i)
{
    while (i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_WORD && is_filler(r->t[i].w))
        i++;
    return i;
}

static void use(reading *r, int from, int to)   /* [from, to) */
{
    for (int i = from; i < to && i < r->n; i++)
        if (i >= 0)
            r->t[i].used = true;
}

static void problem(reading *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(reading *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (r->problems.len)
        mf_buf_adds(&r->problems, " ");
    mf_buf_adds(&r->problems, buf);
}

/* A literal value at i: a quoted string, a number, or a bare word (as written).  Words such as
 * "space" name their character. */
static const char *value_at(const reading *r, int i, bool *is_num)
{
    if (is_num)
        *is_num = false;
    if (is_k(r, i, TK_STR))
        return r->t[i].w;
    if (is_k(r, i, TK_NUM)) {
        if (is_num)
            *is_num = true;
        return r->t[i].w;
    }
    if (is_k(r, i, TK_WORD))
        return r->t[i].orig;
    return NULL;
}

/* A separator/delimiter named at i: quoted text, a punctuation token, or a word like "dash". */
static const char *delim_at(const reading *r, int i)
{
    static const struct { const char *w, *ch; } D[] = {
        {"space", " "}, {"dash", "-"}, {"hyphen", "-"}, {"underscore", "_"}, {"pipe", "|"},
        {"slash", "/"}, {"backslash", "\\"}, {"colon", ":"}, {"semicolon", ";"}, {"dot", "."},
        {"period", "."}, {"comma", ","}, {"tab", "\t"}, {"hash", "#"}, {"at", "@"},
    };
    if (is_k(r, i, TK_STR))
        return r->t[i].w;
    if (is_k(r, i, TK_OP) && strcmp(r->t[i].w, "(") && strcmp(r->t[i].w, ")"))
        return r->t[i].orig;
    if (is_k(r, i, TK_WORD))
        for (size_t k = 0; k < sizeof D / sizeof *D; k++)
            if (!strcmp(r->t[i].w, D[k].w))
                return D[k].ch;
    return NULL;
}

static long num_at(const reading *r, int i)
{
    if (!is_k(r, i, TK_NUM) || strchr(r->t[i].w, '.'))
        return -1;
    return strtol(r->t[i].w, NULL, 10);
}

static tstep *add_step(reading *r, bool numeric, size_t pos, plan_step_kind kind)
{
    int *n = numeric ? &r->nnum : &r->ntext;
    tstep *arr = numeric ? r->num_steps : r->text_steps;
    if (*n >= MAX_STEPS)
        return NULL;
    tstep *s = &arr[(*n)++];
    memset(s, 0, sizeof *s);
    s->pos = pos;
    s->st.kind = kind;
    return s;
}

/* ---- resolving field names ------------------------------------------------------------------- */

static const char *primary(const reading *r)
{
    return r->c->nsrc > 0 ? r->c->src[0].name : NULL;
}

static const prof_column *prof_of(const reading *r, const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < r->c->nsrc; i++)
        if (r->c->src[i].name && !strcmp(r->c->src[i].name, name) && r->c->src[i].prof)
            return r->c->src[i].prof;
    if (r->c->pr)
        for (int i = 0; i < r->c->pr->ncols; i++)
            if (r->c->pr->col[i].name && !strcmp(r->c->pr->col[i].name, name))
                return &r->c->pr->col[i];
    return NULL;
}

static const char *resolve_name_min(const reading *r, const char *phrase, double min_conf);

static const char *resolve_name(const reading *r, const char *phrase)
{
    return resolve_name_min(r, phrase, 0.8);
}

/* A phrase of the rule as a data column: the row's own sources by name, then every data column
 * (mapping_match_column) with at least min_conf. */
static const char *resolve_name_min(const reading *r, const char *phrase, double min_conf)
{
    if (!phrase || !*phrase)
        return NULL;
    for (int i = 0; i < r->c->nsrc; i++) {
        const rule_src *s = &r->c->src[i];
        if (s->name && ((s->written && !strcasecmp(s->written, phrase)) || !strcasecmp(s->name, phrase)))
            return s->name;
    }
    const profile *pr = r->c->pr;
    if (!pr || pr->ncols <= 0)
        return NULL;
    const char *hdr[512];
    int nh = pr->ncols < 512 ? pr->ncols : 512;
    for (int i = 0; i < nh; i++)
        hdr[i] = pr->col[i].name ? pr->col[i].name : "";
    map_match mm = mapping_match_column(phrase, hdr, nh);
    if (mm.col >= 0 && mm.confidence >= min_conf)
        return hdr[mm.col];
    return NULL;
}

/* The field named by tokens [b, e): the text as written, then without leading/trailing filler. */
static const char *resolve_span(const reading *r, int b, int e)
{
    while (b < e && r->t[b].k == TK_OP && strchr("([", r->t[b].w[0]))
        b++;
    while (e > b && r->t[e - 1].k == TK_OP && strchr(")]", r->t[e - 1].w[0]))
        e--;
    if (b >= e)
        return NULL;
    if (e - b == 1 && r->t[b].k == TK_STR)
        return resolve_name(r, r->t[b].w);
    char buf[256];
    size_t len = r->t[e - 1].e - r->t[b].b;
    if (len >= sizeof buf)
        return NULL;
    memcpy(buf, r->text + r->t[b].b, len);
    buf[len] = 0;
    const char *got = resolve_name(r, buf);
    if (got)
        return got;
    int b2 = b, e2 = e;
    while (b2 < e2 && r->t[b2].k == TK_WORD && is_filler(r->t[b2].w))
        b2++;
    while (e2 > b2 && r->t[e2 - 1].k == TK_WORD &&
           (is_filler(r->t[e2 - 1].w) || !strcmp(r->t[e2 - 1].w, "indicator") ||
            !strcmp(r->t[e2 - 1].w, "flag") || !strcmp(r->t[e2 - 1].w, "code")))
        e2--;
    if (b2 >= e2 || (b2 == b && e2 == e))
        return NULL;
    len = r->t[e2 - 1].e - r->t[b2].b;
    memcpy(buf, r->text + r->t[b2].b, len);
    buf[len] = 0;
    return resolve_name(r, buf);
}

/* The field named by the longest prefix of tokens [b, e) (leading filler skipped); *end receives
 * the index after it.  "Settle Date (YYYY-MM-DD)" names [Settle Date] and leaves the pattern. */
static const char *resolve_prefix(const reading *r, int b, int e, int *end)
{
    b = skip_fill(r, b);
    if (e > b + 12)
        e = b + 12;
    for (int j = e; j > b; j--) {
        if (r->t[j - 1].used || (r->t[j - 1].k == TK_OP && !strchr(")]", r->t[j - 1].w[0])))
            continue;
        const char *got = resolve_span(r, b, j);
        if (got) {
            *end = j;
            return got;
        }
    }
    return NULL;
}

/* ---- conditions ------------------------------------------------------------------------------ */

static plan_expr *cmp_expr(reading *r, int op, plan_expr *a, const char *v, bool num)
{
    plan_expr *x = plan_new_expr(r->p, PE_CMP);
    x->op = op;
    x->kid[0] = a;
    x->kid[1] = num ? plan_number_lit(r->p, v) : plan_text_lit(r->p, v);
    return x;
}

/* A condition on tokens [b, e): FIELD OP VALUE.  Field defaults to the row's source. */
static plan_expr *parse_cond(reading *r, int b, int e)
{
    int k, oplen = 0, op = 0;
    plan_expr_kind kind = PE_CMP;
    for (k = b; k < e; k++) {
        tok *t = &r->t[k];
        if (t->used)
            continue;
        if (t->k == TK_OP) {
            const char *w = t->w;
            if (!strcmp(w, "=") || !strcmp(w, "==")) { op = PB_EQ; oplen = 1; break; }
            if (!strcmp(w, "!=")) { op = PB_NE; oplen = 1; break; }
            if (!strcmp(w, "<=")) { op = PB_LE; oplen = 1; break; }
            if (!strcmp(w, ">=")) { op = PB_GE; oplen = 1; break; }
            if (!strcmp(w, "<")) { op = PB_LT; oplen = 1; break; }
            if (!strcmp(w, ">")) { op = PB_GT; oplen = 1; break; }
        } else if (t->k == TK_WORD) {
            const char *w = t->w;
            if (!strcmp(w, "is") && is_w(r, k + 1, "not") && is_w(r, k + 2, "blank")) {
                kind = PE_PRESENT; oplen = 3; break;
            }
            if (!strcmp(w, "is") && is_w(r, k + 1, "blank")) { kind = PE_MISSING; oplen = 2; break; }
            if (!strcmp(w, "is") && is_w(r, k + 1, "not")) { op = PB_NE; oplen = 2; break; }
            if (!strcmp(w, "isnot") || (!strcmp(w, "not") && is_w(r, k + 1, "equal"))) {
                op = PB_NE; oplen = !strcmp(w, "not") ? 2 : 1; break;
            }
            if (!strcmp(w, "is") && is_w(r, k + 1, "equal")) { op = PB_EQ; oplen = 2; break; }
            if (!strcmp(w, "is") || !strcmp(w, "equal")) { op = PB_EQ; oplen = 1; break; }
            if (!strcmp(w, "starts") || !strcmp(w, "ends") || !strcmp(w, "contains")) {
                kind = w[0] == 's' ? PE_STARTS : w[0] == 'e' ? PE_ENDS : PE_CONTAINS;
                oplen = is_w(r, k + 1, "with") ? 2 : 1;
                break;
            }
        }
    }
    if (k >= e) {
        problem(r, "I could not find the condition's comparison.");
        return NULL;
    }
    const char *field = NULL;
    int fb = skip_fill(r, b);
    if (fb >= k) {
        field = primary(r);
    } else {
        field = resolve_span(r, fb, k);
    }
    if (!field) {
        char buf[200] = "";
        if (fb < k) {
            size_t len = r->t[k - 1].e - r->t[fb].b;
            if (len >= sizeof buf)
                len = sizeof buf - 1;
            memcpy(buf, r->text + r->t[fb].b, len);
            buf[len] = 0;
        }
        problem(r, "The condition's field '%s' matches no column of the data.", buf);
        return NULL;
    }
    plan_expr *f = plan_source_ref(r->p, field);
    use(r, b, k + oplen);
    if (kind == PE_MISSING || kind == PE_PRESENT) {
        plan_expr *x = plan_new_expr(r->p, kind);
        x->kid[0] = f;
        return x;
    }
    int v = k + oplen;
    bool num;
    const char *val = value_at(r, v, &num);
    if (!val) {
        problem(r, "I could not find the value the condition compares with.");
        return NULL;
    }
    use(r, v, v + 1);
    /* the data's own spelling of a bare word (C vs c) */
    if (kind != PE_CMP) {
        plan_expr *x = plan_new_expr(r->p, kind);
        x->kid[0] = f;
        x->text = plan_strdup(r->p, val);
        return x;
    }
    /* "X = 'A' or 'B'" -> X is one of ("A", "B") */
    if (op == PB_EQ && (is_w(r, v + 1, "or") || is_op(r, v + 1, "/") || is_op(r, v + 1, ",")) &&
        value_at(r, v + 2, NULL)) {
        const char *items[16];
        int ni = 0;
        items[ni++] = val;
        int i = v + 1;
        while (ni < 16 && (is_w(r, i, "or") || is_op(r, i, "/") || is_op(r, i, ",")) && value_at(r, i + 1, NULL)) {
            items[ni++] = value_at(r, i + 1, NULL);
            use(r, i, i + 2);
            i += 2;
        }
        plan_expr *x = plan_new_expr(r->p, PE_IN);
        x->kid[0] = f;
        x->nlist = ni;
        x->list = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)ni);
        for (int j = 0; j < ni; j++)
            x->list[j] = plan_strdup(r->p, items[j]);
        return x;
    }
    return cmp_expr(r, op, f, val, num);
}

/* End of the clause that starts at i: the next ';' or ')' or '.' or end. */
static int clause_end(const reading *r, int i)
{
    int depth = 0;
    for (; i < r->n; i++) {
        if (r->t[i].k != TK_OP)
            continue;
        const char *w = r->t[i].w;
        if (!strcmp(w, "("))
            depth++;
        else if (!strcmp(w, ")") && depth-- == 0)
            return i;
        else if (!strcmp(w, ";") || (!strcmp(w, ".") && depth == 0))
            return i;
    }
    return r->n;
}

/* ---- recognizers ----------------------------------------------------------------------------- */

/* "e.g. 5-Mar-2025", "for example ...", "like 01/02/2025": examples, not instructions. */
static void rec_examples(reading *r)
{
    for (int i = 0; i < r->n; i++) {
        bool eg = (is_w(r, i, "e") && is_op(r, i + 1, ".") && is_w(r, i + 2, "g")) ||
                  is_w(r, i, "eg") || is_w(r, i, "example") || is_w(r, i, "ex") ||
                  (is_w(r, i, "like") && (is_k(r, i + 1, TK_NUM) || is_k(r, i + 1, TK_STR))) ||
                  (is_w(r, i, "such") && is_w(r, i + 1, "as"));
        if (!eg)
            continue;
        int j = i;
        if (is_w(r, i, "e")) {           /* "e.g." is four tokens: e . g . */
            j = i + 3;
            if (is_op(r, j, "."))
                j++;
        }
        int e = clause_end(r, j);
        /* examples are values: stop at the next word that is a real instruction */
        while (j < e && (r->t[j].k != TK_WORD || j <= i + 1 || is_filler(r->t[j].w) ||
                         isupper((unsigned char)r->t[j].orig[0])))
            j++;
        use(r, i, j);
    }
}

/* "ignore the trailer row", "skip the total line at the end", "skip last 2 rows". */
static void rec_trailer(reading *r)
{
    int i = find_w(r, 0, "trailer");
    int tot = find_w(r, 0, "total");
    int last = find_w(r, 0, "last");
    long n = 1;
    if (i < 0 && tot >= 0 && (find_w(r, 0, "ends") >= 0 || find_w(r, 0, "bottom") >= 0 || last >= 0))
        i = tot;
    if (i < 0 && last >= 0 && find_w(r, last, "row") >= 0 && find_w(r, 0, "exclude") >= 0 &&
        find_w(r, last, "char") < 0)
        i = last;
    if (i < 0)
        return;
    if (last >= 0 && num_at(r, last + 1) > 0)
        n = num_at(r, last + 1);
    if (r->c->column) {
        problem(r, "It describes trailer rows on a row that also has target %s.", r->c->column);
        return;
    }
    r->p->source.skip_last += n;
    r->statement = true;
    for (int k = 0; k < r->n; k++) {
        tok *t = &r->t[k];
        if (t->k == TK_WORD && (!strcmp(t->w, "trailer") || !strcmp(t->w, "total") ||
                                !strcmp(t->w, "last") || !strcmp(t->w, "ends") || !strcmp(t->w, "row") ||
                                !strcmp(t->w, "exclude") || !strcmp(t->w, "bottom") ||
                                !strcmp(t->w, "file") || !strcmp(t->w, "remove") || is_filler(t->w)))
            t->used = true;
        if (t->k == TK_NUM && k == last + 1)
            t->used = true;
    }
}

static void add_rule(reading *r, plan_rule_kind kind, plan_expr *cond, const char *msg)
{
    plan_rule *ru = plan_add_rule(r->p, kind, cond, msg ? plan_strdup(r->p, msg) : NULL);
    ru->prov.row = r->c->row;
    ru->prov.text = plan_strdup(r->p, r->text);
    r->statement = true;
}

/* "Exclude rows where Status = 'VOID'", "ignore records with Type = X", "filter out cancelled",
 * "only include rows where Region = 'EU'". */
static void rec_exclude(reading *r)
{
    int i = find_w(r, 0, "exclude");
    bool only = false;
    if (i < 0 && is_w(r, 0, "remove") && find_w(r, 0, "row") >= 0)
        i = 0;
    if (i < 0) {
        int o = find_w(r, 0, "only");
        if (o >= 0 && (is_w(r, o + 1, "include") || is_w(r, o + 1, "keep") || is_w(r, o + 1, "load") ||
                       is_w(r, o + 1, "take") || is_w(r, o + 1, "process")))
            i = o, only = true;
    }
    if (i < 0)
        return;
    int e = clause_end(r, i);
    int j = i + 1 + (only ? 1 : 0);
    if (is_w(r, j, "out"))
        j++;
    j = skip_fill(r, j);
    /* the subject: "rows where", "records with", "test accounts (Acct starts with 'TEST')" */
    int cond_at = -1;
    for (int k = j; k < e; k++)
        if (is_w(r, k, "if") || (is_w(r, k, "with") && k > j) || is_op(r, k, "(")) {
            cond_at = k + 1;
            break;
        }
    plan_expr *cond = NULL;
    int used_to = e;
    if (cond_at >= 0) {
        int ce = e;
        if (is_op(r, cond_at - 1, "(")) {
            for (ce = cond_at; ce < r->n && !is_op(r, ce, ")"); ce++)
                ;
        }
        cond = parse_cond(r, cond_at, ce);
        if (!cond)
            return;
        used_to = ce < r->n ? ce + 1 : ce;
        use(r, i, cond_at);     /* the subject words ("test accounts") describe the condition */
    } else {
        /* "filter out cancelled": a value seen in exactly one column of the sample */
        int v = j;
        while (v < e && is_w(r, v, "row"))
            v++;
        /* "ignore thousands separators", "drop the time part": characters, not rows */
        static const char *const NOT_ROWS[] = {"thousands", "separator", "comma", "space", "currency", "symbol",
                                               "sign", "dollar", "paren", "decimal", "time", "timestamp",
                                               "leading", "trailing", "case", "char", "zero", "prefix", "suffix"};
        for (size_t q = 0; v == j && q < sizeof NOT_ROWS / sizeof *NOT_ROWS; q++)
            if (is_w(r, v, NOT_ROWS[q]))
                return;
        if (v >= e || !value_at(r, v, NULL)) {
            problem(r, "I could not tell which rows to exclude.");
            return;
        }
        const char *want = value_at(r, v, NULL);
        const char *found = NULL, *col = NULL;
        int hits = 0;
        for (int k = 0; r->c->pr && k < r->c->pr->ncols; k++) {
            const char *sv = infer_sample_value(&r->c->pr->col[k], want);
            if (!sv && strlen(want) > 4) {   /* cancelled / canceled / cancel */
                char stem[64];
                snprintf(stem, sizeof stem, "%.*s", (int)strlen(want) - 2, want);
                for (long s = 0; s < r->c->pr->col[k].nsample; s++)
                    if (r->c->pr->col[k].sample[s] && !strncasecmp(r->c->pr->col[k].sample[s], stem, strlen(stem)))
                        sv = r->c->pr->col[k].sample[s];
            }
            if (sv) {
                hits++;
                found = sv;
                col = r->c->pr->col[k].name;
            }
        }
        if (hits != 1) {
            problem(r, hits ? "'%s' appears in more than one column of the data: which one decides?"
                            : "The data sample has no value like '%s': which column and value mark these rows?",
                    want);
            return;
        }
        cond = cmp_expr(r, PB_EQ, plan_source_ref(r->p, col), found, false);
        used_to = v + 1;
    }
    use(r, i, used_to);
    if (only) {
        plan_expr *x = plan_new_expr(r->p, PE_NOT);
        x->kid[0] = cond;
        cond = x;
    }
    add_rule(r, PR_SKIP, cond, NULL);
}

/* "Look up broker name on the Brokers tab", "lookup in 'Currency Map' sheet, default 'UNK'". */
static void rec_lookup(reading *r)
{
    int i = find_w(r, 0, "lookup");
    if (i < 0 && (i = find_w(r, 0, "look")) >= 0 && !is_w(r, i + 1, "up"))
        i = -1;
    if (i < 0 && (i = find_w(r, 0, "map")) >= 0 && find_w(r, i, "tab") < 0)   /* "map via the Brokers tab" */
        i = -1;
    if (i < 0)
        return;
    /* the tab: "on tab 'Brokers'", "'Currency Map' sheet", "on the Brokers tab", "on tab Brokers",
     * or a quoted name right after the lookup word ("lookup in 'Brokers'").  A quoted value after
     * default/otherwise/if not found is the fallback, never the tab. */
    int tabw = find_w(r, i, "tab");
    const char *tabname = NULL;
    int tb = -1, te = -1;
    if (tabw > i) {
        int v = tabw + 1;
        while (is_op(r, v, ":") || is_op(r, v, "=") || is_w(r, v, "named") || is_w(r, v, "called"))
            v++;
        if (is_k(r, v, TK_STR)) {                                 /* tab 'Brokers' */
            tabname = r->t[v].w;
            tb = tabw + 1;
            te = v + 1;
        } else if (is_k(r, tabw - 1, TK_STR)) {                   /* 'Currency Map' sheet */
            tabname = r->t[tabw - 1].w;
            tb = tabw - 1;
            te = tabw;
        } else {
            int b0 = tabw;                                        /* the Brokers tab */
            while (b0 > i + 1 && is_k(r, b0 - 1, TK_WORD) && !is_filler(r->t[b0 - 1].w) && !is_w(r, b0 - 1, "lookup"))
                b0--;
            if (b0 < tabw) {
                tabname = mf_arena_strndup(&r->p->arena, r->text + r->t[b0].b, r->t[tabw - 1].e - r->t[b0].b);
                tb = b0;
                te = tabw;
            } else if (r->c->m) {                                 /* tab Brokers, tab Broker Codes */
                for (int e2 = v + 4; e2 > v && !tabname; e2--) {
                    bool words = true;
                    for (int q = v; q < e2; q++)
                        words &= is_k(r, q, TK_WORD) && !is_filler(r->t[q].w);
                    if (!words)
                        continue;
                    char *nm = mf_arena_strndup(&r->p->arena, r->text + r->t[v].b, r->t[e2 - 1].e - r->t[v].b);
                    if (mapping_find_sheet(r->c->m, nm)) {
                        tabname = nm;
                        tb = tabw + 1;
                        te = e2;
                    }
                }
            }
        }
    } else {
        int v = skip_fill(r, i + (is_w(r, i, "look") ? 2 : 1));
        if (is_k(r, v, TK_STR)) {                                 /* lookup in 'Brokers' */
            tabname = r->t[v].w;
            tb = v;
            te = v + 1;
        }
    }
    if (!tabname) {
        problem(r, "It says to look something up but names no tab.");
        return;
    }
    const mf_sheet *sh = r->c->m ? mapping_find_sheet(r->c->m, tabname) : NULL;
    if (!sh || sh->nrows < 1 || sh->ncols < 2) {
        problem(r, "It looks up in tab '%s', which the mapping workbook does not have (or has no key and value columns).",
                tabname);
        return;
    }
    /* which columns: key = the one named like the source, else the first; value = one named in
     * the rule, else the next one */
    int key = 0, val = -1;
    for (int c = 0; c < sh->ncols; c++) {
        const char *h = MF_SHEET_CELL(sh, 0, c);
        for (int s = 0; s < r->c->nsrc; s++)
            if (r->c->src[s].written && !strcasecmp(h, r->c->src[s].written))
                key = c;
    }
    for (int c = 0; c < sh->ncols && val < 0; c++) {
        if (c == key)
            continue;
        const char *h = MF_SHEET_CELL(sh, 0, c);
        for (int k = i + 1; k < r->n; k++)
            if (r->t[k].k == TK_WORD && !is_filler(r->t[k].w) && !strcasecmp(h, r->t[k].orig)) {
                val = c;
                r->t[k].used = true;
            }
    }
    if (val < 0)
        val = key + 1 < sh->ncols ? key + 1 : 0;
    const char *lname = tabs_lookup(r->p, sh, key, val, r->c->row, r->text);
    tstep *s = add_step(r, false, r->t[i].b, PS_LOOKUP);
    if (!s)
        return;
    s->st.s = lname;
    s->st.map.otherwise = PO_REJECT;
    use(r, i, i + 2);
    use(r, tb, te);
    if (tabw >= 0)
        use(r, tabw, tabw + 1);
    /* fallback: "default 'UNK'", "otherwise UNKNOWN", "else 'UNK'", "if not found 'UNK'",
     * "if not found use 'UNK'", "default blank", "otherwise reject" */
    for (int k = i; k < r->n; k++) {
        int kw = -1, v = -1;
        if (is_w(r, k, "default") || is_w(r, k, "otherwise") || is_w(r, k, "fallback")) {
            kw = is_w(r, k - 1, "if") ? k - 1 : k;
            v = k + 1;
        } else if (is_w(r, k, "not") && (is_w(r, k + 1, "found") || is_w(r, k + 1, "matched") ||
                                         is_w(r, k + 1, "listed"))) {
            kw = is_w(r, k - 1, "if") || is_w(r, k - 1, "no") ? k - 1 : k;
            v = k + 2;
        } else if (is_w(r, k, "no") && is_w(r, k + 1, "match")) {
            kw = is_w(r, k - 1, "if") ? k - 1 : k;
            v = k + 2;
        }
        if (kw < 0)
            continue;
        while (is_op(r, v, ",") || is_op(r, v, ":") || is_op(r, v, "=") || is_op(r, v, "->") || is_w(r, v, "then") ||
               is_w(r, v, "use") || is_w(r, v, "return") || is_w(r, v, "value") || is_w(r, v, "to") ||
               is_w(r, v, "with") || is_w(r, v, "as") || is_w(r, v, "set") || is_w(r, v, "the") || is_w(r, v, "a"))
            v++;
        if (is_w(r, v, "blank")) {
            s->st.map.otherwise = PO_NULL;
        } else if (is_w(r, v, "reject") || is_w(r, v, "error") || is_w(r, v, "fail")) {
            s->st.map.otherwise = PO_REJECT;
        } else if (is_w(r, v, "asis") || is_w(r, v, "keep") || is_w(r, v, "unchanged")) {
            s->st.map.otherwise = PO_KEEP;
        } else if (value_at(r, v, NULL) && !(is_k(r, v, TK_WORD) && is_filler(r->t[v].w))) {
            s->st.map.otherwise = PO_VALUE;
            s->st.map.other = plan_text_lit(r->p, value_at(r, v, NULL));
        } else {
            problem(r, "It gives a fallback for codes not found but I could not read which value.");
            return;
        }
        use(r, kw, v + 1);
    }
    /* words describing the looked-up thing ("broker name") are part of the instruction */
    int desc_end = tabw > i && tabw < tb ? tabw : tb;
    for (int k = i + 2; k < desc_end; k++)
        if (is_k(r, k, TK_WORD))
            r->t[k].used = true;
}

/* "days between Trade Date and Settle Date", "Settle Dt - Trade Dt in days". */
static void rec_days(reading *r)
{
    int d = find_w(r, 0, "day");
    if (d < 0)
        return;
    int btw = find_w(r, 0, "between");
    const char *a = NULL, *b = NULL;
    int from = -1, to = -1;
    if (btw < 0 && (btw = find_w(r, d, "from")) >= 0 && find_w(r, btw, "to") < 0)
        btw = -1;
    if (btw >= 0) {
        int an = find_w(r, btw, is_w(r, btw, "from") ? "to" : "and");
        if (an < 0)
            return;
        int e = clause_end(r, an);
        if (d > an && d < e)
            e = d;
        int ea = an, eb = e;
        a = resolve_span(r, btw + 1, an);
        if (!a && (a = resolve_prefix(r, btw + 1, an, &ea)) != NULL && ea < an)
            a = NULL;                     /* words between the field and "and" are not explained */
        b = resolve_prefix(r, an + 1, e, &eb);
        from = btw;
        to = eb;
    } else {
        int m = -1;
        for (int k = 0; k < r->n; k++)
            if (is_op(r, k, "-") || is_w(r, k, "minus"))
                m = k;
        if (m < 0)
            return;
        int b0 = skip_fill(r, 0);
        int e = d;
        while (e > m + 1 && (is_w(r, e - 1, "in") || is_filler(r->t[e - 1].w)))
            e--;
        b = resolve_span(r, b0, m);    /* later minus earlier */
        a = resolve_span(r, m + 1, e);
        from = 0;
        to = d;
    }
    if (!a || !b) {
        problem(r, "It asks for days between two dates, but I could not match both fields to the data.");
        return;
    }
    r->base = B_DAYS;
    r->days_a = a;
    r->days_b = b;
    use(r, from, to);
    use(r, d, d + 1);
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "number") || is_w(r, k, "difference") || is_w(r, k, "calendar"))
            r->t[k].used = true;
}

/* The other indicator-like source of the row ("Dr/Cr"), for "credits are negative". */
static const char *indicator_source(const reading *r)
{
    for (int i = 1; i < r->c->nsrc; i++)
        if (r->c->src[i].name)
            return r->c->src[i].name;
    return NULL;
}

/* "negate when Dr/Cr = 'C'", "if DC indicator is C then multiply by -1", "credits are negative
 * (Dr/Cr = C)", "reverse sign for credit entries", plus the unconditional forms. */
static void rec_negate(reading *r)
{
    int i = -1, len = 0;
    for (int k = 0; k < r->n && i < 0; k++) {
        if (is_w(r, k, "negate")) i = k, len = 1;
        else if (is_w(r, k, "flip") && is_w(r, k + 1, "sign")) i = k, len = 2;
        else if (is_w(r, k, "flip") && is_w(r, k + 1, "the") && is_w(r, k + 2, "sign")) i = k, len = 3;
        else if ((is_w(r, k, "multiply") || is_w(r, k, "times") || is_w(r, k, "x") || is_op(r, k, "*")) &&
                 (is_op(r, k + 1, "-") || (is_w(r, k + 1, "by") && is_op(r, k + 2, "-")))) {
            int n1 = is_w(r, k + 1, "by") ? k + 3 : k + 2;
            if (is_k(r, n1, TK_NUM) && !strcmp(r->t[n1].w, "1"))
                i = k, len = n1 + 1 - k;
        } else if (is_w(r, k, "credit") && find_w(r, k, "negative") >= 0) {
            i = k, len = 1;
        }
    }
    if (i < 0)
        return;
    size_t pos = r->t[i].b;
    use(r, i, i + len);
    /* the condition: "when/if COND", or "(COND)", or "for credit entries" */
    int ifw = -1;
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "if") || (is_op(r, k, "(") && k > i)) {
            ifw = k;
            break;
        }
    plan_expr *cond = NULL;
    if (ifw >= 0) {
        int e = clause_end(r, ifw + 1);
        if (ifw < i && e > i)
            e = i;
        for (int k = ifw + 1; k < e; k++)
            if (is_w(r, k, "then") || is_op(r, k, ","))
                e = k;
        cond = parse_cond(r, ifw + 1, e);
        if (!cond)
            return;
        use(r, ifw, ifw + 1);
        if (is_op(r, e, ")") || is_w(r, e, "then"))
            use(r, e, e + 1);
    } else {
        int cr = find_w(r, 0, "credit");
        if (cr < 0)
            cr = find_w(r, 0, "cr");
        if (cr >= 0) {
            const char *ind = indicator_source(r);
            const prof_column *pc = prof_of(r, ind);
            const char *v = NULL;
            static const char *const CR[] = {"C", "CR", "Credit", "K", "H"};
            for (size_t k = 0; pc && !v && k < sizeof CR / sizeof *CR; k++)
                v = infer_sample_value(pc, CR[k]);
            if (!ind || !v) {
                problem(r, "It negates credits, but I could not tell which field and value mark a credit.");
                return;
            }
            cond = cmp_expr(r, PB_EQ, plan_source_ref(r->p, ind), v, false);
            use(r, cr, cr + 1);
            for (int k = 0; k < r->n; k++)
                if (is_w(r, k, "negative") || is_w(r, k, "row") || is_w(r, k, "sign") || is_w(r, k, "for"))
                    r->t[k].used = true;
        }
    }
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "negative") || is_w(r, k, "credit") || is_w(r, k, "sign"))
            r->t[k].used = true;
    tstep *s = add_step(r, true, pos, cond ? PS_NEGATE_WHEN : PS_NEGATE);
    if (s)
        s->st.cond = cond;
}

/* "Y/N to true/false", "Yes = true, No = false". */
static bool truthy(const char *w, bool *val)
{
    if (!strcasecmp(w, "true")) { *val = true; return true; }
    if (!strcasecmp(w, "false")) { *val = false; return true; }
    return false;
}

static void rec_bool(reading *r)
{
    for (int k = 0; k + 6 < r->n + 4; k++) {
        /* A/B to true/false */
        if (value_at(r, k, NULL) && is_op(r, k + 1, "/") && value_at(r, k + 2, NULL)) {
            int t = k + 3;
            if (is_w(r, t, "to") || is_op(r, t, "->") || is_op(r, t, "="))
                t++;
            bool v1, v2;
            if (is_k(r, t, TK_WORD) && truthy(r->t[t].w, &v1) && is_op(r, t + 1, "/") &&
                is_k(r, t + 2, TK_WORD) && truthy(r->t[t + 2].w, &v2) && v1 != v2) {
                const char *a = value_at(r, k, NULL), *b = value_at(r, k + 2, NULL);
                r->has_map = true;
                r->map_bool = true;
                infer_bool_map(r->p, &r->map, v1 ? a : b, v1 ? b : a);
                use(r, k, t + 3);
                for (int q = 0; q < r->n; q++)
                    if (is_w(r, q, "boolean") || is_w(r, q, "bool"))
                        r->t[q].used = true;
                return;
            }
        }
    }
}

/* ---- code maps ---- */

static bool map_arrow(const reading *r, int i)
{
    return is_op(r, i, "->") || is_op(r, i, "=") || is_op(r, i, ":") || is_w(r, i, "means") ||
           is_w(r, i, "to") || is_op(r, i, "==");
}

/* A value that reads as a code or a label: quoted, a number, or a word written with a capital. */
static bool code_like(const reading *r, int i)
{
    if (is_k(r, i, TK_STR))
        return true;
    if (is_k(r, i, TK_WORD))
        return isupper((unsigned char)r->t[i].orig[0]) && !is_filler(r->t[i].w);
    return false;
}

/* "D -> DEBIT, C -> CREDIT", "A = Y, T = N", "Map: 1=Active; 2=Inactive", "'B' means Buy". */
static void rec_map(reading *r)
{
    const char *from[64], *to[64];
    bool tonum[64];
    int at[64];
    int n = 0, first = -1, last = -1;
    for (int k = 0; k + 2 < r->n && n < 64; k++) {
        if (!value_at(r, k, NULL) || !map_arrow(r, k + 1) || !value_at(r, k + 2, NULL))
            continue;
        if (map_arrow(r, k + 3) && !is_w(r, k + 3, "to"))   /* "Map: 1=Active": the pair starts later */
            continue;
        if (is_k(r, k, TK_WORD) && is_filler(r->t[k].w) && !isupper((unsigned char)r->t[k].orig[0]) &&
            !is_w(r, k + 1, "means"))
            continue;
        /* "to" joins codes ("D to Debit"), not instructions ("100 to convert", "cents to dollars") */
        if (is_w(r, k + 1, "to") && (!code_like(r, k) || !code_like(r, k + 2)))
            continue;
        bool num;
        from[n] = value_at(r, k, NULL);
        to[n] = value_at(r, k + 2, &num);
        tonum[n] = num;
        at[n] = k;
        n++;
        if (first < 0)
            first = k;
        last = k + 3;
        k += 2;
    }
    if (n < 2 && !(n == 1 && find_w(r, 0, "map") >= 0 && !is_w(r, at[0] + 1, "to")))
        return;
    for (int q = 0; q < n; q++)
        use(r, at[q], at[q] + 3);
    r->has_map = true;
    r->map.n = n;
    r->map.from = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)n);
    r->map.to = mf_arena_alloc(&r->p->arena, sizeof(plan_expr *) * (size_t)n);
    bool numeric_target = r->c->type.base == PT_DECIMAL || r->c->type.base == PT_INTEGER ||
                          r->c->type.base == PT_BIGINT;
    bool bool_target = r->c->type.base == PT_BOOLEAN;
    bool all_bool = true;
    for (int k = 0; k < n; k++) {
        bool v;
        if (!truthy(to[k], &v))
            all_bool = false;
    }
    if (bool_target && all_bool && n == 2) {
        bool v0 = false;
        truthy(to[0], &v0);
        r->map_bool = true;
        infer_bool_map(r->p, &r->map, v0 ? from[0] : from[1], v0 ? from[1] : from[0]);
    } else {
        for (int k = 0; k < n; k++) {
            r->map.from[k] = plan_strdup(r->p, from[k]);
            r->map.to[k] = numeric_target && tonum[k] ? plan_number_lit(r->p, to[k]) : plan_text_lit(r->p, to[k]);
        }
    }
    r->map.otherwise = PO_REJECT;
    /* separators between pairs and the word "map" */
    for (int k = first; k < last && k < r->n; k++)
        if (is_op(r, k, ",") || is_op(r, k, ";") || is_op(r, k, "/") || is_w(r, k, "and") || is_op(r, k, "|"))
            r->t[k].used = true;
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "map") || is_w(r, k, "code") || is_w(r, k, "codes"))
            r->t[k].used = true;
    /* otherwise: "else reject", "otherwise UNKNOWN", "else blank", "else keep" */
    int o = find_w(r, 0, "otherwise");
    if (o < 0) {
        o = find_w(r, 0, "other");
        if (o < 0)
            o = find_w(r, 0, "anything");
    }
    if (o >= 0) {
        int v = o + 1;
        if (!is_w(r, v, "keep"))
            v = skip_fill(r, v);
        while (is_w(r, v, "other") || is_w(r, v, "values") || is_w(r, v, "codes") || is_w(r, v, "else") ||
               is_op(r, v, ",") || is_op(r, v, "->") || is_w(r, v, "map") || is_w(r, v, "means"))
            v++;
        if (!is_w(r, v, "keep"))
            v = skip_fill(r, v);
        if (is_w(r, v, "reject") || is_w(r, v, "error") || is_w(r, v, "fail"))
            r->map.otherwise = PO_REJECT;
        else if (is_w(r, v, "blank"))
            r->map.otherwise = PO_NULL;
        else if (is_w(r, v, "asis") || is_w(r, v, "keep") || is_w(r, v, "unmapped") ||
                 (is_w(r, v, "as") && is_w(r, v + 1, "is")) || (is_w(r, v, "pass") && is_w(r, v + 1, "through")))
            r->map.otherwise = PO_KEEP, v += is_w(r, v, "as") || is_w(r, v, "pass");
        else if (value_at(r, v, NULL)) {
            r->map.otherwise = PO_VALUE;
            bool num;
            const char *val = value_at(r, v, &num);
            r->map.other = numeric_target && num ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
        } else {
            problem(r, "I could not read what to do with other codes.");
            return;
        }
        use(r, o, v + 1);
    }
}

/* "Constant 'GL'", "hardcode USD", "always 'N'", "set to 1", "default value 'ACME'" (no source),
 * "= 'GL'". */
static void rec_constant(reading *r)
{
    int k = find_w(r, 0, "constant");
    int v = -1;
    if (k >= 0) {
        v = skip_fill(r, k + 1);
        if (is_op(r, v, "=") || is_op(r, v, ":") || is_w(r, v, "of"))
            v = skip_fill(r, v + 1);
    } else if (r->c->nsrc == 0 && (k = find_w(r, 0, "default")) >= 0) {
        v = skip_fill(r, k + 1);
        if (is_op(r, v, "=") || is_op(r, v, ":"))
            v = skip_fill(r, v + 1);
    } else if (is_w(r, 0, "set") && is_w(r, 1, "to")) {
        k = 0;
        v = 2;
    } else if (r->c->nsrc == 0 && is_op(r, 0, "=") && r->n == 2) {
        k = 0;
        v = 1;
    } else if (r->c->nsrc == 0 && r->n == 1 && (is_k(r, 0, TK_STR) || is_k(r, 0, TK_NUM))) {
        k = 0;
        v = 0;
    }
    if (k < 0)
        return;
    bool num;
    const char *val = value_at(r, v, &num);
    if (!val) {
        problem(r, "It says constant but I could not find the value.");
        return;
    }
    r->base = B_CONST;
    r->const_text = val;
    r->const_num = num;
    use(r, k, v + 1);
    for (int q = 0; q < r->n; q++)
        if (is_w(r, q, "constant") || is_w(r, q, "always"))
            r->t[q].used = true;
}

/* "if blank then 'USD'", "default to USD when empty", "use 'N/A' when null". */
static void rec_default(reading *r)
{
    int bl = find_w(r, 0, "blank");
    int df = find_w(r, 0, "default");
    if ((bl < 0 && df < 0) || r->c->nsrc == 0)   /* a default with no source is a constant */
        return;
    /* "not blank"/"mandatory"-like phrasings are not defaults */
    if (bl > 0 && (is_w(r, bl - 1, "not") || is_w(r, bl - 1, "reject") || find_w(r, 0, "reject") >= 0))
        return;
    int v = -1;
    int lo = bl >= 0 ? bl : df, hi = lo;
    if (df >= 0) {
        v = skip_fill(r, df + 1);
        if (is_w(r, v, "if") || is_w(r, v, "blank"))
            v = -1;
        lo = df < lo ? df : lo;
        hi = df > hi ? df : hi;
    }
    if (v < 0 || !value_at(r, v, NULL)) {
        /* a quoted/number value, or the word after "then"/"use"/"set" */
        for (int k = 0; k < r->n; k++) {
            if ((is_w(r, k, "then") || is_w(r, k, "use") || is_w(r, k, "set") || is_w(r, k, "put") ||
                 is_w(r, k, "populate")) &&
                value_at(r, skip_fill(r, k + 1), NULL) && !is_w(r, skip_fill(r, k + 1), "blank")) {
                v = skip_fill(r, k + 1);
                lo = k < lo ? k : lo;
                break;
            }
        }
    }
    if (v < 0 || !value_at(r, v, NULL)) {
        for (int k = 0; k < r->n; k++)
            if (is_k(r, k, TK_STR) || is_k(r, k, TK_NUM)) {
                v = k;
                break;
            }
    }
    if (v < 0 || !value_at(r, v, NULL) || is_w(r, v, "blank"))
        return;
    bool num;
    const char *val = value_at(r, v, &num);
    plan_base tb = r->c->type.base;
    if (tb == PT_DATE || tb == PT_TIMESTAMP || tb == PT_BOOLEAN) {
        problem(r, "It gives a default value '%s' for a %s column; I cannot write that literal yet.", val,
                tb == PT_BOOLEAN ? "boolean" : "date");
        return;
    }
    bool numeric = tb == PT_DECIMAL || tb == PT_INTEGER || tb == PT_BIGINT;
    if (numeric && !num) {
        problem(r, "Its default '%s' is not a number but the target is numeric.", val);
        return;
    }
    r->deflt = numeric ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
    int from = lo, to = v > hi ? v : hi;
    if (bl >= 0 && bl > to)
        to = bl;
    /* the words of the phrasing between keyword and value ("if blank then use 'USD'"), not any
     * word that happens to stand there */
    static const char *const DW[] = {"if", "then", "use", "set", "put", "populate", "blank", "default", "otherwise",
                                     "not", "or", "replace", "fill", "provided", "present"};
    for (int k = from; k <= to && k < r->n; k++) {
        bool dw = false;
        for (size_t q = 0; r->t[k].k == TK_WORD && q < sizeof DW / sizeof *DW && !dw; q++)
            dw = !strcmp(r->t[k].w, DW[q]);
        if ((r->t[k].k == TK_WORD && (is_filler(r->t[k].w) || dw)) || k == v || k == bl || k == df ||
            is_op(r, k, ","))
            r->t[k].used = true;
    }
    use(r, v, v + 1);
    if (bl >= 0)
        use(r, bl, bl + 1);
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "if") || is_w(r, k, "blank") || is_w(r, k, "default") || is_w(r, k, "not") ||
            is_w(r, k, "or") || is_w(r, k, "otherwise"))
            r->t[k].used = true;
}

/* ---- dates ---- */

const char *rules_date_pattern(plan *p, const char *s)
{
    char pat[32];
    size_t n = date_pattern_at(s, pat);
    if (!n || s[n])
        return NULL;
    return plan_strdup(p, pat);
}

static void rec_date(reading *r)
{
    int pats[4], np = 0;
    for (int k = 0; k < r->n && np < 4; k++)
        if (is_k(r, k, TK_DATE))
            pats[np++] = k;
    int iso = find_w(r, 0, "iso");
    int excel = find_w(r, 0, "excel");
    if (excel < 0 && find_w(r, 0, "serial") >= 0)
        excel = find_w(r, 0, "serial");
    if (excel >= 0) {
        r->date_kind = D_EXCEL;
        use(r, excel, excel + 1);
        for (int k = 0; k < r->n; k++)
            if (is_w(r, k, "serial") || is_w(r, k, "date") || is_w(r, k, "day") || is_w(r, k, "excel"))
                r->t[k].used = true;
    } else if (iso >= 0) {
        r->date_kind = D_ISO;
        use(r, iso, iso + 1);
        for (int k = 0; k < r->n; k++)
            if (is_w(r, k, "timestamp") || is_w(r, k, "date") || is_w(r, k, "part") || is_w(r, k, "portion") ||
                is_w(r, k, "only") || is_w(r, k, "time") || is_w(r, k, "drop") || is_w(r, k, "ignore") ||
                is_w(r, k, "exclude") || is_w(r, k, "strip"))
                r->t[k].used = true;
    }
    if (!np)
        return;
    /* input pattern: the one after "from", else the first one not introduced by "to"/"into" */
    int in = -1, out = -1;
    for (int q = 0; q < np; q++) {
        int k = pats[q];
        int pk = k - 1;
        while (pk >= 0 && r->t[pk].k == TK_WORD && (is_w(r, pk, "the") || is_w(r, pk, "format")))
            pk--;
        if (pk >= 0 && r->t[pk].k == TK_WORD && (!strcmp(r->t[pk].w, "to") || !strcmp(r->t[pk].w, "into") ||
                                                  !strcmp(r->t[pk].w, "as") || !strcmp(r->t[pk].w, "output")))
            out = k;
        else if (in < 0)
            in = k;
        else
            out = k;
    }
    if (in >= 0 && r->date_kind != D_NONE) {
        problem(r, "It names both %s and an ISO/Excel date.", r->t[in].w);
        return;
    }
    if (out >= 0) {
        r->t[out].used = true;
        if (strcmp(r->t[out].w, "YYYY-MM-DD") && r->c->type.base == PT_DATE)
            problem(r, "It asks for output format %s, but dates are always written YYYY-MM-DD; should the "
                       "target be text?", r->t[out].w);
    }
    if (in < 0)
        return;
    r->t[in].used = true;
    r->date_kind = D_PATTERN;
    r->date_pat = r->t[in].w;
    if (strstr(r->date_pat, "YY") && !strstr(r->date_pat, "YYYY")) {
        r->pivot = 1950;
        int pv = find_w(r, 0, "pivot");
        if (pv >= 0 && num_at(r, pv + 1) >= 1000) {
            r->pivot = (int)num_at(r, pv + 1);
            use(r, pv, pv + 2);
        }
        /* "(2-digit year)", "two digit year" */
        for (int k = 0; k < r->n; k++)
            if ((is_k(r, k, TK_NUM) && !strcmp(r->t[k].w, "2") && k + 1 < r->n) || is_w(r, k, "two") ||
                is_w(r, k, "twodigit") || is_w(r, k, "2digit")) {
                int j = k + 1;
                if (is_op(r, j, "-"))
                    j++;
                if (is_w(r, j, "char") && (is_w(r, j + 1, "year") || is_w(r, j + 1, "years")))
                    use(r, k, j + 2);
            }
    }
    for (int k = 0; k < r->n; k++)
        if (is_w(r, k, "date") || is_w(r, k, "from") || is_w(r, k, "to") || is_w(r, k, "read") ||
            is_w(r, k, "parse") || is_w(r, k, "parsed"))
            r->t[k].used = true;
    const char *bad, *better;
    const prof_column *pc = prof_of(r, primary(r));
    if (r->base == B_SOURCE && !infer_date_fits(pc, r->date_pat, &bad, &better)) {
        if (better)
            problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it; more of the "
                       "sample reads as %s. Which format is right?", r->date_pat, bad ? bad : "", primary(r), better);
        else
            problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it. Which "
                       "format is right?", r->date_pat, bad, primary(r));
    }
}

/* ---- numbers ---- */

/* The separator character named at i: a one-character quoted string, or comma/dot/point/space. */
static char sep_char_at(const reading *r, int i)
{
    if (is_k(r, i, TK_STR) && strlen(r->t[i].w) == 1 && strchr(".,' ", r->t[i].w[0]))
        return r->t[i].w[0];
    if (is_w(r, i, "comma"))
        return ',';
    if (is_w(r, i, "dot") || is_w(r, i, "period") || is_w(r, i, "point") || is_w(r, i, "fullstop"))
        return '.';
    if (is_w(r, i, "space"))
        return ' ';
    if (is_w(r, i, "apostrophe"))
        return '\'';
    return 0;
}

/* Words that link a separator's role and its character: "'.' is the thousands separator",
 * "thousands separator = '.'", "comma as decimal separator". */
static bool sep_link(const reading *r, int i)
{
    static const char *const L[] = {"is", "are", "be", "should", "must", "will", "the", "a", "an", "as", "for",
                                     "used", "being", "uses", "use", "using", "with"};
    if (is_op(r, i, "=") || is_op(r, i, ":"))
        return true;
    for (size_t k = 0; k < sizeof L / sizeof *L; k++)
        if (is_w(r, i, L[k]))
            return true;
    return false;
}

static void set_separator(reading *r, bool thousands, char ch)
{
    bool *named = thousands ? &r->nf_thousands_named : &r->nf_decimal_named;
    char *slot = thousands ? &r->nf.thousands : &r->nf.decimal;
    if (*named && *slot != ch) {
        problem(r, "It names two different %s separators ('%c' and '%c').", thousands ? "thousands" : "decimal",
                *slot, ch);
        return;
    }
    *named = true;
    *slot = ch;
    r->nf_any = true;
    if (thousands)
        r->nf_thousands_set = true;
    else
        r->nf_decimal_set = true;
}

/* "'.' is the thousands separator and ',' the decimal separator", "thousands separator '.'",
 * "decimal comma", "comma as the decimal separator", "decimal point". */
static void rec_separators(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool th = is_w(r, k, "thousands");
        if (!th && !is_w(r, k, "decimal"))
            continue;
        int e = k + 1;
        char ch = 0;
        int at = -1;
        int after_point = e + 1;
        while (after_point < r->n && sep_link(r, after_point))
            after_point++;
        if (!th && (is_w(r, e, "comma") || is_w(r, e, "point")) && !is_w(r, e + 1, "separator") &&
            !(is_w(r, e, "point") && after_point > e + 1 && sep_char_at(r, after_point))) {
            ch = sep_char_at(r, e);     /* "decimal comma", "decimal point" */
            at = e++;
        } else if (!th && e == k + 1 && sep_char_at(r, k - 1) && !is_k(r, k - 1, TK_STR) &&
                   !is_w(r, e, "point")) {
            ch = sep_char_at(r, k - 1); /* "comma decimal" */
            at = k - 1;
        } else {
            while (is_w(r, e, "separator") || is_w(r, e, "mark") || is_w(r, e, "symbol") || is_w(r, e, "sign") ||
                   is_w(r, e, "char") || (!th && is_w(r, e, "point")))
                e++;
            if (e == k + 1 && !th)
                continue;                 /* "decimal" alone is not a separator phrase */
            int j = e;                    /* after: "thousands separator is '.'" */
            while (j < r->n && sep_link(r, j))
                j++;
            if ((ch = sep_char_at(r, j)) != 0) {
                at = j;
                e = j + 1;
            } else {                      /* before: "'.' is the thousands separator" */
                j = k - 1;
                while (j >= 0 && sep_link(r, j))
                    j--;
                if ((ch = sep_char_at(r, j)) != 0) {
                    at = j;
                    use(r, j, k);
                }
            }
        }
        if (!ch)
            continue;                     /* "remove thousands separators": rec_numfmt */
        use(r, k, e);
        use(r, at, at + 1);
        set_separator(r, th, ch);
    }
    if (r->nf_thousands_named && r->nf_decimal_named && r->nf.thousands == r->nf.decimal)
        problem(r, "It names '%c' as both the thousands and the decimal separator.", r->nf.decimal);
}

static void rec_numfmt(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (is_w(r, k, "paren") || (is_op(r, k, "(") && is_op(r, k + 1, ")"))) {
            r->nf.paren_negative = r->nf_any = true;
            use(r, k, k + (is_op(r, k, "(") ? 2 : 1));
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "negative") || is_w(r, q, "mean") || is_w(r, q, "indicate") || is_w(r, q, "means") ||
                    is_w(r, q, "indicates") || is_w(r, q, "shown") || is_w(r, q, "treat") || is_w(r, q, "as"))
                    r->t[q].used = true;
        } else if (is_w(r, k, "trailing") && (is_w(r, k + 1, "minus") || is_w(r, k + 1, "negative") ||
                                              (is_w(r, k + 1, "sign")))) {
            r->nf.trailing_minus = r->nf_any = true;
            use(r, k, k + 2);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "negative") || is_w(r, q, "means") || is_w(r, q, "sign") || is_w(r, q, "minus"))
                    r->t[q].used = true;
        } else if ((is_w(r, k, "thousands") && (is_w(r, k + 1, "separator") || is_w(r, k + 1, "comma") ||
                                                is_w(r, k + 1, "mark") || is_w(r, k + 1, "grouping"))) ||
                   (is_w(r, k, "comma") && find_w(r, 0, "decimal") < 0 &&
                    (is_w(r, k - 1, "remove") ||
                     is_w(r, k - 1, "strip") || is_w(r, k - 1, "exclude") || is_w(r, k - 1, "no") ||
                     is_w(r, k - 2, "remove") || is_w(r, k - 2, "strip") || is_w(r, k - 2, "exclude")))) {
            /* "remove thousands separators", "strip commas"; "in thousands" is a scale, not a
             * format, and stays unread (a question) */
            r->nf_any = r->nf_thousands_set = true;
            const prof_column *tpc = prof_of(r, primary(r));
            if (!r->nf.thousands)   /* "remove thousands separators": the one the sample shows */
                r->nf.thousands = tpc && tpc->thousands ? tpc->thousands : ',';
            use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "separator") || is_w(r, q, "remove") || is_w(r, q, "strip") ||
                    is_w(r, q, "comma") || (is_w(r, q, "exclude") && q + 1 < r->n && !strcmp(r->t[q + 1].w, "thousands")))
                    r->t[q].used = true;
        } else if (is_w(r, k, "european") || is_w(r, k, "continental") || is_w(r, k, "german") ||
                   (is_w(r, k, "decimal") && is_w(r, k + 1, "comma"))) {
            bool only_decimal = is_w(r, k, "decimal");
            r->nf_any = r->nf_decimal_set = true;
            if (!r->nf_decimal_named)   /* a separator the rule names itself wins over the label */
                r->nf.decimal = ',';
            if (!only_decimal && !r->nf_thousands_named) {   /* European: 1.234,56 */
                r->nf_thousands_set = true;
                r->nf.thousands = '.';
            }
            use(r, k, k + 1);
            if (is_w(r, k + 1, "comma") || is_w(r, k + 1, "style") || is_w(r, k + 1, "notation") ||
                is_w(r, k + 1, "convention"))
                use(r, k + 1, k + 2);
            /* the example "1.234,56" */
            for (int q = k; q < r->n && q < k + 6; q++)
                if (is_k(r, q, TK_NUM) || is_op(r, q, ",") || is_op(r, q, "(") || is_op(r, q, ")"))
                    r->t[q].used = true;
        } else if (is_op(r, k, "$") || is_op(r, k, "\xe2\x82\xac") || is_op(r, k, "\xc2\xa3") ||
                   (is_w(r, k, "currency") && (find_w(r, 0, "symbol") >= 0 || find_w(r, 0, "sign") >= 0 ||
                                               find_w(r, 0, "remove") >= 0 || find_w(r, 0, "strip") >= 0))) {
            r->nf_any = true;
            const prof_column *pc = prof_of(r, primary(r));
            r->nf.currency = is_k(r, k, TK_OP) ? r->t[k].w : pc && pc->currency ? pc->currency : NULL;
            if (!r->nf.currency) {
                problem(r, "It strips a currency symbol but names none and the sample shows none.");
                return;
            }
            use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "sign") || is_w(r, q, "symbol") || is_w(r, q, "remove") || is_w(r, q, "strip") ||
                    is_w(r, q, "currency") || is_w(r, q, "dollar"))
                    r->t[q].used = true;
        }
    }
}

static void rec_round(reading *r)
{
    int k = find_w(r, 0, "round");
    if (k < 0)
        return;
    int j = k + 1;
    if (is_w(r, j, "half") && is_w(r, j + 1, "up"))
        j += 2;
    j = skip_fill(r, j);
    long n = num_at(r, j);
    if (n < 0 || n > 38) {
        problem(r, "It says to round but not to how many decimals.");
        return;
    }
    int e = j + 1;
    if (is_w(r, e, "dp") || is_w(r, e, "decimal") || is_w(r, e, "char") || is_w(r, e, "d"))
        e++;
    if (is_w(r, e, "dp") || is_w(r, e, "char"))
        e++;
    if (is_w(r, j + 1, "decimal") && is_w(r, j + 2, "dp"))
        e = j + 3;
    tstep *s = add_step(r, true, r->t[k].b, PS_ROUND);
    if (s)
        s->st.n = n;
    use(r, k, e);
    for (int q = 0; q < r->n; q++)
        if (is_w(r, q, "half") || is_w(r, q, "up"))
            r->t[q].used = true;
}

static bool number_tok(reading *r, int i, const char **num)
{
    if (is_k(r, i, TK_NUM)) {
        *num = r->t[i].w;
        return true;
    }
    if (is_w(r, i, "hundred")) { *num = "100"; return true; }
    if (is_w(r, i, "thousand") || is_w(r, i, "thousands")) { *num = "1000"; return true; }
    if (is_w(r, i, "million")) { *num = "1000000"; return true; }
    return false;
}

/* "multiply by 1000", "x 100", "* 100", "divide by 100", "/1000", "convert cents to dollars". */
static void rec_muldiv(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool mul = is_w(r, k, "multiply") || is_w(r, k, "times") || is_w(r, k, "x") || is_op(r, k, "*");
        bool div = is_w(r, k, "divide") || is_op(r, k, "/") || is_op(r, k, "\xc3\xb7");
        if (!mul && !div)
            continue;
        int j = k + 1;
        if (is_w(r, j, "by"))
            j++;
        const char *num;
        if (!number_tok(r, j, &num))
            continue;
        /* a '/' between two numbers is a fraction or a date, not a division rule */
        if (is_op(r, k, "/") && k > 0 && r->t[k - 1].k == TK_NUM)
            continue;
        tstep *s = add_step(r, true, r->t[k].b, mul ? PS_MUL : PS_DIV);
        if (s)
            s->st.num = plan_strdup(r->p, num);
        use(r, k, j + 1);
    }
    /* "convert cents to dollars" divides by 100; "dollars to cents" multiplies.  When the rule
     * already scales by 100 ("Divide by 100 (cents to units)") the phrase explains that step and
     * adds none; a different factor contradicts it. */
    int c = find_w(r, 0, "cents");
    if (c < 0)
        return;
    int d = -1;
    static const char *const UNITS[] = {"dollars", "dollar", "units", "unit", "euros", "euro", "pounds", "major"};
    for (size_t q = 0; q < sizeof UNITS / sizeof *UNITS && d < 0; q++)
        d = find_w(r, 0, UNITS[q]);
    if (d < 0)
        return;
    bool to_units = c < d;
    plan_step_kind want = to_units ? PS_DIV : PS_MUL;
    use(r, c, c + 1);
    use(r, d, d + 1);
    const plan_step *other = NULL;
    for (int q = 0; q < r->nnum; q++) {
        const plan_step *st = &r->num_steps[q].st;
        if (st->kind == want && !strcmp(st->num, "100"))
            return;                       /* the phrase explains this step */
        if (st->kind == PS_DIV || st->kind == PS_MUL)
            other = st;
    }
    if (other) {
        problem(r, "It %s by %s but also says %s, which %s by 100.", other->kind == PS_DIV ? "divides" : "multiplies",
                other->num, to_units ? "cents to units" : "units to cents", to_units ? "divides" : "multiplies");
        return;
    }
    tstep *s = add_step(r, true, r->t[c].b, want);
    if (s)
        s->st.num = "100";
}

static void rec_abs(reading *r)
{
    int k = find_w(r, 0, "absolute");
    if (k < 0)
        k = find_w(r, 0, "abs");
    if (k < 0)
        return;
    add_step(r, true, r->t[k].b, PS_ABS);
    use(r, k, k + 1);
}

/* ---- expressions between fields: concatenation and arithmetic ---- */

static bool concat_word(const reading *r, int k)
{
    return is_w(r, k, "concat") || is_w(r, k, "combine");
}

/* The operator at k between two operands (*len tokens), or 0.  When concatenating, "and" and ","
 * join parts too. */
static int between_op(const reading *r, int k, bool concat, int *len)
{
    *len = 1;
    /* "2-5", "1/2" between two numbers are a range or a fraction, not an operator */
    if ((is_op(r, k, "-") || is_op(r, k, "/")) && k > 0 && k + 1 < r->n && r->t[k - 1].k == TK_NUM &&
        r->t[k + 1].k == TK_NUM)
        return 0;
    if (is_op(r, k, "+") || is_w(r, k, "plus"))
        return PB_ADD;
    if (is_op(r, k, "&") || is_op(r, k, "||"))
        return PB_CONCAT;
    if (is_op(r, k, "-") || is_w(r, k, "minus") || is_w(r, k, "less"))
        return PB_SUB;
    if (is_op(r, k, "*") || is_w(r, k, "times") || is_w(r, k, "x"))
        return PB_MUL;
    if (is_op(r, k, "/") || is_op(r, k, "\xc3\xb7"))
        return PB_DIV;
    if ((is_w(r, k, "multiply") || is_w(r, k, "divide")) && is_w(r, k + 1, "by")) {
        *len = 2;
        return is_w(r, k, "multiply") ? PB_MUL : PB_DIV;
    }
    if (concat && (is_w(r, k, "and") || is_op(r, k, ",")))
        return PB_CONCAT;
    return 0;
}

/* One operand at k (< e): a quoted or numeric literal (*lit; *src = the column a quoted name
 * names, if any), or the longest run of unused tokens that names a data column.  A run that holds
 * an operator ("Dr/Cr") counts only when it names a column almost exactly, so "QTY * PX" is two
 * fields.  Returns the index after the operand, or -1. */
static int between_operand(const reading *r, int k, int e, const char **src, const char **lit)
{
    *src = *lit = NULL;
    if (is_k(r, k, TK_STR)) {
        *lit = r->t[k].w;
        *src = resolve_name_min(r, r->t[k].w, 0.95);
        return k + 1;
    }
    if (is_k(r, k, TK_NUM)) {
        *lit = r->t[k].w;
        return k + 1;
    }
    int lim = k;
    while (lim < e && lim < k + 12 && !r->t[lim].used && r->t[lim].k != TK_STR && !is_op(r, lim, ",") &&
           !is_op(r, lim, ";"))
        lim++;
    for (int j = lim; j > k; j--) {
        bool has_op = false;
        for (int q = k + 1; q < j; q++)
            has_op |= r->t[q].k == TK_OP || is_w(r, q, "and") || is_w(r, q, "x") || is_w(r, q, "times") ||
                      is_w(r, q, "plus") || is_w(r, q, "minus") || is_w(r, q, "less") || is_w(r, q, "by");
        if (r->t[j - 1].k == TK_OP && !strchr(")]", r->t[j - 1].w[0]))
            continue;
        const char *got = NULL;
        if (has_op) {
            char buf[256];
            size_t len = r->t[j - 1].e - r->t[k].b;
            if (len < sizeof buf) {
                memcpy(buf, r->text + r->t[k].b, len);
                buf[len] = 0;
                got = resolve_name_min(r, buf, 0.95);
            }
        } else {
            got = resolve_span(r, k, j);
        }
        if (got) {
            *src = got;
            return j;
        }
    }
    return -1;
}

/* The text of tokens [b, e) for a message. */
static void span_text(const reading *r, int b, int e, char *buf, size_t cap)
{
    if (b >= e || b >= r->n) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    size_t len = r->t[e - 1].e - r->t[b].b;
    snprintf(buf, cap, "%.*s", (int)(len < cap - 1 ? len : cap - 1), r->text + r->t[b].b);
}

/* Operands joined by + & || - * / (or plus, minus, times, multiplied by, and): fields or literals.
 * "Concatenate A and B with a space", "First Name + ' ' + Last Name", "QTY * PX", "Net = Gross - Fee". */
static void rec_between(reading *r)
{
    int cw = -1;
    for (int k = 0; k < r->n; k++)
        if (concat_word(r, k))
            cw = k;
    bool ops = false;
    for (int k = 0; k < r->n; k++) {
        int len;
        if (between_op(r, k, false, &len) && k > 0 && k + 1 < r->n)
            ops = true;
    }
    /* "multiply Qty by Px", "divide A by B", "product of A and B", "sum of A and B" */
    int lead_op = 0, lead_at = -1;
    const char *lead_join = NULL;      /* the word that joins the operands: "by", "and" */
    for (int k = 0; k < r->n && !lead_op && cw < 0; k++) {
        if ((is_w(r, k, "multiply") || is_w(r, k, "divide")) && !is_w(r, k + 1, "by") && find_w(r, k + 1, "by") > 0)
            lead_op = is_w(r, k, "multiply") ? PB_MUL : PB_DIV, lead_at = k, lead_join = "by";
        else if ((is_w(r, k, "product") || is_w(r, k, "sum") || is_w(r, k, "total")) && is_w(r, k + 1, "of"))
            lead_op = is_w(r, k, "product") ? PB_MUL : PB_ADD, lead_at = k, lead_join = "and";
    }
    if (lead_op)
        ops = true;
    if (cw < 0 && !ops)
        return;
    bool concat = cw >= 0;
    /* the expression starts after "X =" (the target) or the concat word */
    int b = concat ? cw + 1 : 0, pre = -1;
    for (int k = 0; k < r->n && !concat; k++)
        if (is_op(r, k, "=") && k > 0) {
            b = k + 1;
            pre = k + 1;
            break;
        }
    if (lead_op)
        b = lead_at + 1;
    int e = clause_end(r, b);
    /* the separator: "with a space", "separated by '-'", "with '-'" */
    const char *sep = NULL;
    int sep_from = -1, sep_to = -1;
    for (int k = b; k < e; k++) {
        if (is_w(r, k, "with") || is_w(r, k, "separated") || is_w(r, k, "separator") ||
            is_w(r, k, "delimited") || is_w(r, k, "using")) {
            int v = skip_fill(r, k + 1);
            if (is_w(r, v, "a"))
                v++;
            if (is_w(r, v, "single"))
                v++;
            if (is_w(r, v, "in") && is_w(r, v + 1, "between"))
                v += 2;
            if ((sep = delim_at(r, v)) != NULL) {
                sep_from = k;
                sep_to = v + 1;
                if (is_w(r, v + 1, "between") || is_w(r, v + 1, "in"))
                    sep_to = v + 3 < r->n ? v + 3 : r->n;
                e = k;
                break;
            }
        }
    }
    const char *srcs[MAX_PARTS], *lits[MAX_PARTS];
    int opers[MAX_PARTS];
    int n = 0, k = b, opk = 0, end = b;
    while (n < MAX_PARTS) {
        k = skip_fill(r, k);
        if (k >= e) {
            if (n) {
                problem(r, "An operand is missing after '%s'.", r->t[end - 1].orig);
                return;
            }
            return;
        }
        int j = between_operand(r, k, e, &srcs[n], &lits[n]);
        if (j < 0) {
            if (n == 0 && !concat)
                return;       /* not an expression between fields: other words explain it */
            char buf[160];
            int q = k + 1;
            int len;
            while (q < e && !r->t[q].used && !between_op(r, q, concat, &len) && !is_op(r, q, ","))
                q++;
            span_text(r, k, q, buf, sizeof buf);
            problem(r, "The field '%s' matches no column of the data.", buf);
            return;
        }
        opers[n++] = opk;
        end = j;
        int len = 1;
        if (lead_op && is_w(r, j, lead_join) && (n == 1 || !strcmp(lead_join, "and")))
            opk = lead_op;                /* "multiply A by B", "sum of A and B" */
        else if (j >= e || !(opk = between_op(r, j, concat, &len)))
            break;
        k = j + len;
        end = k;
    }
    if (n < 2)
        return;
    bool text_target = r->c->type.base == PT_TEXT || r->c->type.base == PT_UNKNOWN;
    bool all_concat = true;
    for (int i = 1; i < n; i++)
        if (opers[i] != PB_CONCAT && !(opers[i] == PB_ADD && text_target))
            all_concat = false;
    if (all_concat) {
        r->base = B_CONCAT;
        r->nparts = 0;
        for (int i = 0; i < n && r->nparts + 2 < MAX_PARTS; i++) {
            if (i && sep) {
                r->part_src[r->nparts] = NULL;
                r->part_lit[r->nparts++] = sep;
            }
            r->part_src[r->nparts] = lits[i] ? NULL : srcs[i];   /* a quoted part is text */
            r->part_lit[r->nparts++] = lits[i];
        }
    } else {
        if (sep) {
            problem(r, "It joins fields with a separator but also computes with them.");
            return;
        }
        for (int i = 0; i < n; i++) {
            if (opers[i] == PB_CONCAT) {
                problem(r, "It mixes joining text with arithmetic.");
                return;
            }
            if (!srcs[i] && lits[i] && !(lits[i][0] >= '0' && lits[i][0] <= '9')) {
                problem(r, "'%s' is not a field of the data or a number.", lits[i]);
                return;
            }
            r->arith_src[i] = srcs[i];
            r->arith_num[i] = srcs[i] ? NULL : lits[i];
            r->arith_op[i] = opers[i];
        }
        r->base = B_ARITH;
        r->narith = n;
    }
    use(r, concat ? cw : lead_op ? lead_at : b, end);
    if (pre > 0)
        use(r, 0, pre);
    if (sep)
        use(r, sep_from, sep_to);
}

/* ---- text steps ---- */

static void rec_pad(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool left = is_w(r, k, "leftpad") || is_w(r, k, "zeropad") || (is_w(r, k, "left") && is_w(r, k + 1, "pad")) ||
                    (is_w(r, k, "pad") && is_w(r, k + 1, "left")) || (is_w(r, k, "zero") && is_w(r, k + 1, "pad"));
        bool right = is_w(r, k, "rightpad") || (is_w(r, k, "right") && is_w(r, k + 1, "pad")) ||
                     (is_w(r, k, "pad") && is_w(r, k + 1, "right"));
        bool plain = !left && !right && is_w(r, k, "pad");
        if (!left && !right && !plain)
            continue;
        int e = clause_end(r, k);
        const char *ch = is_w(r, k, "zeropad") || is_w(r, k, "zero") ? "0" : NULL;
        long n = -1;
        int last = k;
        for (int j = k + 1; j < e; j++) {
            if (r->t[j].used)
                continue;
            if (is_w(r, j, "zero") || (is_k(r, j, TK_STR) && !strcmp(r->t[j].w, "0")) ||
                (is_k(r, j, TK_NUM) && !strcmp(r->t[j].w, "0") && !is_w(r, j + 1, "char"))) {
                ch = "0", last = j;
            } else if (is_w(r, j, "space")) {
                ch = " ", last = j;
            } else if (is_k(r, j, TK_STR) && strlen(r->t[j].w) == 1) {
                ch = r->t[j].w, last = j;
            } else if (is_k(r, j, TK_NUM) && num_at(r, j) > 0) {
                n = num_at(r, j), last = j;
            } else if (is_w(r, j, "leading") || is_w(r, j, "trailing") || is_w(r, j, "char") ||
                       is_w(r, j, "length") || is_w(r, j, "width") || is_w(r, j, "left") || is_w(r, j, "right") ||
                       is_w(r, j, "pad") || is_filler(r->t[j].w) || is_w(r, j, "total") || is_w(r, j, "size")) {
                if (is_w(r, j, "leading"))
                    left = true;
                if (is_w(r, j, "trailing"))
                    right = true;
                last = j;
                continue;
            } else {
                break;
            }
        }
        if (n <= 0) {
            problem(r, "It says to pad but not to what length.");
            return;
        }
        if (!ch)
            ch = (left || plain) && (r->c->type.base != PT_TEXT) ? "0" : " ";
        if (!ch || (!left && !right)) {
            if (plain && ch && !strcmp(ch, "0"))
                left = true;
            else if (!left && !right) {
                problem(r, "It says to pad but not on which side.");
                return;
            }
        }
        tstep *s = add_step(r, false, r->t[k].b, left ? PS_PAD_LEFT : PS_PAD_RIGHT);
        if (s) {
            s->st.s = plan_strdup(r->p, ch);
            s->st.n = n;
        }
        for (int j = k; j <= last; j++)
            if (!r->t[j].used && (r->t[j].k != TK_OP))
                r->t[j].used = true;
        k = last;
    }
}

static void rec_trim_case(reading *r)
{
    for (int q = 1; q + 1 < r->n; q++)     /* "leading/trailing", "leading & trailing" */
        if ((is_op(r, q, "/") || is_op(r, q, "&") || is_op(r, q, "-")) && r->t[q - 1].k == TK_WORD &&
            !strcmp(r->t[q - 1].w, "leading") && r->t[q + 1].k == TK_WORD && !strcmp(r->t[q + 1].w, "trailing") &&
            (find_w(r, 0, "trim") >= 0 || find_w(r, 0, "space") >= 0))
            r->t[q].used = true;
    for (int k = 0; k < r->n; k++) {
        if (is_w(r, k, "trim") || is_w(r, k, "ltrim") || is_w(r, k, "rtrim")) {
            add_step(r, false, r->t[k].b, PS_TRIM);
            use(r, k, k + 1);
            if (is_w(r, k + 1, "space"))
                use(r, k + 1, k + 2);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "leading") || is_w(r, q, "trailing") || is_w(r, q, "space") || is_w(r, q, "both"))
                    r->t[q].used = true;
        } else if ((is_w(r, k, "remove") || is_w(r, k, "strip") || is_w(r, k, "delete")) &&
                   find_w(r, k, "space") >= 0) {
            int sp = find_w(r, k, "space");
            add_step(r, false, r->t[k].b, PS_TRIM);
            use(r, k, k + 1);
            use(r, sp, sp + 1);

            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "leading") || is_w(r, q, "trailing") || is_w(r, q, "extra") ||
                    is_w(r, q, "surrounding") || is_w(r, q, "both") || is_w(r, q, "ends") ||
                    is_w(r, q, "sides") || is_w(r, q, "or") || is_w(r, q, "white"))
                    r->t[q].used = true;
            if (find_w(r, 0, "all") >= 0 || find_w(r, 0, "internal") >= 0 || find_w(r, 0, "inside") >= 0)
                problem(r, "It removes all spaces, not only leading and trailing ones; the plan language only trims.");
        } else if (is_w(r, k, "upper")) {
            add_step(r, false, r->t[k].b, PS_UPPER);
            use(r, k, k + 1);
            if (is_w(r, k + 1, "case") || is_w(r, k + 1, "cased"))
                use(r, k + 1, k + 2);
        } else if (is_w(r, k, "lower")) {
            add_step(r, false, r->t[k].b, PS_LOWER);
            use(r, k, k + 1);
            if (is_w(r, k + 1, "case") || is_w(r, k + 1, "cased"))
                use(r, k + 1, k + 2);
        }
    }
}

static void rec_prefix_suffix(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        int kind = -1, v = -1, last = k;
        if (is_w(r, k, "prefix") || is_w(r, k, "suffix")) {
            kind = is_w(r, k, "prefix") ? PS_PREFIX : PS_SUFFIX;
            v = skip_fill(r, k + 1);
            if (!value_at(r, v, NULL)) {   /* "add 'X' as a prefix" */
                int b = k - 1;
                while (b >= 0 && r->t[b].k == TK_WORD && is_filler(r->t[b].w))
                    b--;
                v = b;
            }
            last = v > k ? v : k;
        } else if (is_w(r, k, "add") || is_w(r, k, "attach") || is_w(r, k, "put")) {
            v = skip_fill(r, k + 1);
            if (!value_at(r, v, NULL) || is_w(r, v, "leading"))
                continue;
            int j = skip_fill(r, v + 1);
            if (is_w(r, j, "ends") || is_w(r, j, "suffix") || is_w(r, j, "after"))
                kind = PS_SUFFIX;
            else if (is_w(r, j, "starts") || is_w(r, j, "front") || is_w(r, j, "prefix") ||
                     is_w(r, j, "beginning") || is_w(r, j, "before"))
                kind = PS_PREFIX;
            else
                continue;
            last = j;
        }
        if (kind < 0 || v < 0 || !value_at(r, v, NULL))
            continue;
        tstep *s = add_step(r, false, r->t[k].b, (plan_step_kind)kind);
        if (s)
            s->st.s = plan_strdup(r->p, value_at(r, v, NULL));
        int lo = v < k ? v : k;
        use(r, lo, last + 1);
        k = last;
    }
}

static void rec_substr(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        long a, b;
        /* first/last N characters, left(x, N), right(x, N), leftmost N */
        if (is_w(r, k, "first") || is_w(r, k, "last") || is_w(r, k, "left") || is_w(r, k, "right")) {
            bool first = is_w(r, k, "first") || is_w(r, k, "left");
            int j = k + 1, e;
            if (is_op(r, j, "(")) {   /* left(Field, 4) */
                for (e = j; e < r->n && !is_op(r, e, ")"); e++)
                    ;
                if (e >= r->n || (a = num_at(r, e - 1)) <= 0)
                    continue;
                use(r, k, e + 1);
            } else {
                j = skip_fill(r, j);
                if ((a = num_at(r, j)) <= 0)
                    continue;
                e = j + 1;
                if (!is_w(r, e, "char") && !is_w(r, k, "first") && !is_w(r, k, "last"))
                    continue;
                if (!is_w(r, e, "char") && (is_w(r, e, "row") || is_w(r, e, "day")))
                    continue;
                use(r, k, e + (is_w(r, e, "char") ? 1 : 0));
            }
            tstep *s = add_step(r, false, r->t[k].b, first ? PS_FIRST : PS_LAST);
            if (s)
                s->st.n = a;
            continue;
        }
        /* characters 2-5, positions 2 to 5 */
        if (is_w(r, k, "char") && (a = num_at(r, k + 1)) > 0 &&
            (is_op(r, k + 2, "-") || is_w(r, k + 2, "to") || is_w(r, k + 2, "through") || is_w(r, k + 2, "thru")) &&
            (b = num_at(r, k + 3)) >= a) {
            tstep *s = add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = b;
            use(r, k, k + 4);
            if (is_w(r, k - 1, "from"))
                use(r, k - 1, k);
            continue;
        }
        /* substring(2,4), substr(x, 2, 4), mid(x, 2, 4): start and LENGTH */
        if (is_w(r, k, "substr") && is_op(r, k + 1, "(")) {
            int e;
            for (e = k + 2; e < r->n && !is_op(r, e, ")"); e++)
                ;
            if (e >= r->n || e - 3 < k + 2)
                continue;
            a = num_at(r, e - 3);
            b = num_at(r, e - 1);
            if (a <= 0 || b <= 0 || !is_op(r, e - 2, ","))
                continue;
            tstep *s = add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = a + b - 1;
            use(r, k, e + 1);
            continue;
        }
        /* "substring from 2 for 4", "N characters starting at position P" */
        if (is_w(r, k, "substr") && is_w(r, k + 1, "from") && (a = num_at(r, k + 2)) > 0 &&
            (is_w(r, k + 3, "for") || is_w(r, k + 3, "length")) && (b = num_at(r, k + 4)) > 0) {
            tstep *s = add_step(r, false, r->t[k].b, PS_SUBSTR);
            if (s)
                s->st.n = a, s->st.m = a + b - 1;
            use(r, k, k + 5);
            continue;
        }
        if ((b = num_at(r, k)) > 0 && is_w(r, k + 1, "char") && is_w(r, k + 2, "starts")) {
            int j = skip_fill(r, k + 3);
            if (is_w(r, j, "char"))
                j++;
            if ((a = num_at(r, j)) > 0) {
                tstep *s = add_step(r, false, r->t[k].b, PS_SUBSTR);
                if (s)
                    s->st.n = a, s->st.m = a + b - 1;
                use(r, k, j + 1);
            }
        }
    }
}

static void rec_before_after(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool before = is_w(r, k, "before") || (is_w(r, k, "up") && is_w(r, k + 1, "to"));
        bool after = is_w(r, k, "after");
        if (!before && !after)
            continue;
        int j = k + (is_w(r, k, "up") ? 2 : 1);
        j = skip_fill(r, j);
        if (is_w(r, j, "last")) {
            problem(r, "It splits at the last occurrence; the plan language splits at the first.");
            use(r, j, j + 1);
            return;
        }
        if (is_w(r, j, "first"))
            j = skip_fill(r, j + 1);
        const char *d = delim_at(r, j);
        if (!d)
            continue;
        int e = j + 1;
        if (is_w(r, e, "char") || is_w(r, e, "separator") || is_w(r, e, "sign") || is_w(r, e, "symbol"))
            e++;
        tstep *s = add_step(r, false, r->t[k].b, before ? PS_BEFORE : PS_AFTER);
        if (s)
            s->st.s = plan_strdup(r->p, d);
        use(r, k, e);
        for (int q = 0; q < r->n; q++)
            if (is_w(r, q, "everything") || is_w(r, q, "part") || is_w(r, q, "portion") ||
                is_w(r, q, "anything") || is_w(r, q, "characters") || is_w(r, q, "char") || is_w(r, q, "split") ||
                is_w(r, q, "occurrence") || is_w(r, q, "first") || is_w(r, q, "string") || is_w(r, q, "substr"))
                r->t[q].used = true;
    }
}

/* "must not be negative", "reject if blank", "mandatory", "cannot be empty". */
static void rec_checks(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (is_w(r, k, "mandatory") || (is_w(r, k, "not") && is_w(r, k + 1, "blank")) ||
            (is_w(r, k, "reject") && find_w(r, k, "blank") >= 0) ||
            (is_w(r, k, "cannot") && is_w(r, skip_fill(r, k + 1), "blank"))) {
            r->required = true;
            use(r, k, k + 1);
            int bl = find_w(r, k, "blank");
            if (bl >= 0 && bl < k + 4)
                use(r, k, bl + 1);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "reject") || is_w(r, q, "cannot") || is_w(r, q, "if") || is_w(r, q, "row") ||
                    is_w(r, q, "always") || is_w(r, q, "never"))
                    r->t[q].used = true;
        } else if ((is_w(r, k, "negative") || is_w(r, k, "positive") || is_w(r, k, "nonnegative")) &&
                   r->c->column) {
            bool strict = is_w(r, k, "positive");
            bool neg = is_w(r, k, "negative");
            /* "must not be negative", "cannot be negative", "reject if negative", "must be positive" */
            bool ok = !neg || find_w(r, 0, "not") >= 0 || find_w(r, 0, "cannot") >= 0 ||
                      find_w(r, 0, "reject") >= 0 || find_w(r, 0, "never") >= 0;
            if (!ok)
                continue;
            plan_expr *col = plan_new_expr(r->p, PE_OUTPUT);
            col->name = plan_strdup(r->p, r->c->column);
            plan_expr *cond = cmp_expr(r, strict ? PB_LE : PB_LT, col, "0", true);
            char msg[160];
            snprintf(msg, sizeof msg, "%s %s", r->c->column, strict ? "is not positive" : "is negative");
            add_rule(r, PR_REJECT, cond, msg);
            r->statement = false;   /* the column still has its expression */
            use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "not") || is_w(r, q, "cannot") || is_w(r, q, "reject") || is_w(r, q, "if") ||
                    is_w(r, q, "never") || is_w(r, q, "row") || is_w(r, q, "allowed"))
                    r->t[q].used = true;
        }
    }
}

/* "as is", "direct move", "1:1", "no transformation", "copy", "same as source". */
static void rec_as_is(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (is_w(r, k, "asis") || (is_w(r, k, "as") && is_w(r, k + 1, "is")) ||
            (is_w(r, k, "no") && (is_w(r, k + 1, "transformation") || is_w(r, k + 1, "change") ||
                                   is_w(r, k + 1, "changes") || is_w(r, k + 1, "rule") ||
                                   is_w(r, k + 1, "logic") || is_w(r, k + 1, "transform"))) ||
            (is_k(r, k, TK_NUM) && !strcmp(r->t[k].w, "1") && (is_op(r, k + 1, ":") || is_w(r, k + 1, "to")) &&
             is_k(r, k + 2, TK_NUM) && !strcmp(r->t[k + 2].w, "1")) ||
            (is_w(r, k, "one") && is_w(r, k + 1, "to") && is_w(r, k + 2, "one")) ||
            (is_w(r, k, "pass") && is_w(r, k + 1, "through")) || is_w(r, k, "move") ||
            (is_w(r, k, "same") && find_w(r, k, "source") >= 0)) {
            int len = is_w(r, k, "asis") || is_w(r, k, "move") ? 1 : (r->t[k].k == TK_NUM || is_w(r, k, "one")) ? 3 : 2;
            use(r, k, k + len);
            for (int q = 0; q < r->n; q++)
                if (is_w(r, q, "move") || is_w(r, q, "mapping") || is_w(r, q, "map") || is_w(r, q, "needed") ||
                    is_w(r, q, "required") || is_w(r, q, "source") || is_w(r, q, "same"))
                    r->t[q].used = true;
        }
    }
    /* "-", "n/a", "none" alone */
    bool only_punct = true;
    for (int k = 0; k < r->n; k++)
        if (!r->t[k].used && r->t[k].k != TK_OP && !(is_w(r, k, "n") || is_w(r, k, "a") || is_w(r, k, "na")))
            only_punct = false;
    if (only_punct)
        use(r, 0, r->n);
}

/* ---- building the expression ----------------------------------------------------------------- */

static int cmp_pos(const void *a, const void *b)
{
    const tstep *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static plan_expr *apply(reading *r, plan_expr *e, const plan_step *st)
{
    plan_expr *x = plan_with_step(r->p, e, st->kind);
    plan_step_kind kind = x->step.kind;
    x->step = *st;
    x->step.kind = kind;
    return x;
}

static bool numeric_base(plan_base b)
{
    return b == PT_DECIMAL || b == PT_INTEGER || b == PT_BIGINT;
}

/* read as number with the profile's format overlaid by what the rule said (plan/infer.c). */
static plan_expr *read_number(reading *r, plan_expr *e, const prof_column *pc, bool want_integer)
{
    infer_numhint h = {.nf = r->nf, .thousands_set = r->nf_thousands_set, .decimal_set = r->nf_decimal_set,
                       .stated = r->nf_any};
    return infer_read_number(r->p, e, pc, &h, want_integer, &r->problems);
}

static plan_expr *read_bool(reading *r, plan_expr *e, const char *col)
{
    if (!r->map_bool)
        return infer_read_bool(r->p, e, prof_of(r, col), col, &r->problems);
    plan_expr *x = plan_with_step(r->p, e, PS_READ_BOOL);
    x->step.map = r->map;
    return x;
}

/* read as a date: the rule's pattern (checked against each column it reads), else the pattern
 * the sample shows. */
static plan_expr *read_date(reading *r, plan_expr *e, const char *col)
{
    const prof_column *pc = prof_of(r, col);
    if (r->date_kind == D_ISO)
        return plan_with_step(r->p, e, PS_READ_ISO);
    if (r->date_kind == D_EXCEL)
        return plan_with_step(r->p, e, PS_READ_EXCEL);
    const char *pat = r->date_pat;
    int pivot = r->pivot;
    if (r->date_kind == D_PATTERN && r->base == B_DAYS) {
        const char *bad, *better;
        if (!infer_date_fits(pc, pat, &bad, &better)) {
            problem(r, "It says %s, but the sampled value \"%s\" of [%s] does not read with it%s%s. Which "
                       "format is right?", pat, bad ? bad : "", col, better ? "; more of the sample reads as " : "",
                    better ? better : "");
            return NULL;
        }
    } else if (r->date_kind != D_PATTERN) {
        if (!(pat = infer_date_pattern(pc, col, &r->problems)))
            return NULL;
        pivot = strstr(pat, "YY") && !strstr(pat, "YYYY") ? 1950 : 0;
        if (!strcmp(pat, "ISO"))
            return plan_with_step(r->p, e, PS_READ_ISO);
        if (!strcmp(pat, "EXCEL"))
            return plan_with_step(r->p, e, PS_READ_EXCEL);
    }
    plan_expr *x = plan_with_step(r->p, e, PS_READ_DATE);
    x->step.s = plan_strdup(r->p, pat);
    x->step.n = pivot;
    return x;
}

static plan_expr *source_ref(reading *r, const char *name)
{
    if (!name) {
        /* rules_read names the unmatched source itself (once) */
        if (!r->c->nsrc)
            problem(r, "The row has no source field.");
        return NULL;
    }
    return plan_source_ref(r->p, name);
}

/* Has the expression so far produced a number/date (vs still text)? */
typedef enum vkind { V_TEXT, V_NUMBER, V_DATE, V_BOOL } vkind;

static plan_expr *build(reading *r)
{
    plan_base tb = r->c->type.base;
    plan_expr *e = NULL;
    vkind vk = V_TEXT;
    qsort(r->text_steps, (size_t)r->ntext, sizeof(tstep), cmp_pos);
    qsort(r->num_steps, (size_t)r->nnum, sizeof(tstep), cmp_pos);
    bool has_div = false, has_round = false, has_mul_frac = false;
    for (int i = 0; i < r->nnum; i++) {
        has_div |= r->num_steps[i].st.kind == PS_DIV;
        has_round |= r->num_steps[i].st.kind == PS_ROUND;
        has_mul_frac |= r->num_steps[i].st.kind == PS_MUL && strchr(r->num_steps[i].st.num, '.');
    }
    switch (r->base) {
    case B_CONST:
        if (r->const_num && (numeric_base(tb) || tb == PT_UNKNOWN)) {
            e = plan_number_lit(r->p, r->const_text);
            vk = V_NUMBER;
        } else if (tb == PT_BOOLEAN) {
            bool v;
            if (!truthy(r->const_text, &v)) {
                problem(r, "The constant '%s' is not true or false.", r->const_text);
                return NULL;
            }
            e = plan_new_expr(r->p, PE_BOOL);
            e->flag = v;
            vk = V_BOOL;
        } else if (tb == PT_DATE) {
            e = plan_text_lit(r->p, r->const_text);
            const char *pat = rules_date_pattern(r->p, "YYYY-MM-DD");
            int32_t d;
            if (!mf_date_parse(pat, r->const_text, strlen(r->const_text), 0, &d)) {
                problem(r, "The constant date '%s' is not written YYYY-MM-DD.", r->const_text);
                return NULL;
            }
            e = plan_with_step(r->p, e, PS_READ_DATE);
            e->step.s = pat;
            vk = V_DATE;
        } else if (numeric_base(tb)) {
            problem(r, "The constant '%s' is not a number but the target is numeric.", r->const_text);
            return NULL;
        } else {
            e = plan_text_lit(r->p, r->const_text);
        }
        break;
    case B_CONCAT: {
        for (int i = 0; i < r->nparts; i++) {
            plan_expr *part = r->part_src[i] ? plan_source_ref(r->p, r->part_src[i]) : plan_text_lit(r->p, r->part_lit[i]);
            e = e ? plan_binary(r->p, PB_CONCAT, e, part) : part;
        }
        break;
    }
    case B_ARITH: {
        /* operands read as numbers; * and / bind tighter than + and -, left to right */
        bool integer = tb == PT_INTEGER || tb == PT_BIGINT;
        plan_expr *sum = NULL, *prod = NULL;
        int sum_op = 0, prod_scale = 0;
        for (int i = 0; i < r->narith; i++) {
            plan_expr *x;
            int sc;
            if (r->arith_src[i]) {
                const prof_column *pc = prof_of(r, r->arith_src[i]);
                x = read_number(r, plan_source_ref(r->p, r->arith_src[i]), pc, integer);
                sc = infer_sample_scale(pc);
            } else {
                x = plan_number_lit(r->p, r->arith_num[i]);
                const char *dot = strchr(r->arith_num[i], '.');
                sc = dot ? (int)strlen(dot + 1) : 0;
            }
            int op = r->arith_op[i];
            if (i > 0 && (op == PB_MUL || op == PB_DIV)) {
                prod = plan_binary(r->p, op, prod, x);
                has_div |= op == PB_DIV;
                prod_scale += sc;
            } else {
                if (prod)
                    sum = sum ? plan_binary(r->p, sum_op, sum, prod) : prod;
                sum_op = op;
                prod = x;
                prod_scale = sc;
            }
            /* a product's decimals add up: make rounding to the target scale visible */
            if (tb == PT_DECIMAL && i > 0 && op == PB_MUL && prod_scale > r->c->type.scale)
                has_mul_frac = true;
        }
        e = sum ? plan_binary(r->p, sum_op, sum, prod) : prod;
        vk = V_NUMBER;
        break;
    }
    case B_DAYS: {
        plan_expr *a = read_date(r, plan_source_ref(r->p, r->days_a), r->days_a);
        plan_expr *b = read_date(r, plan_source_ref(r->p, r->days_b), r->days_b);
        if (!a || !b)
            return NULL;
        e = plan_new_expr(r->p, PE_DAYS);
        e->kid[0] = a;
        e->kid[1] = b;
        vk = V_NUMBER;
        break;
    }
    default:
        if (!(e = source_ref(r, primary(r))))
            return NULL;
        break;
    }
    for (int i = 0; i < r->ntext; i++) {
        if (vk != V_TEXT) {
            problem(r, "It applies a text step after the value became a number or a date.");
            return NULL;
        }
        e = apply(r, e, &r->text_steps[i].st);
    }
    /* conversion */
    bool need_number = r->nnum > 0 || numeric_base(tb) || r->nf_any;
    if (vk == V_TEXT && r->has_map && !r->map_bool) {
        plan_step st = {.kind = PS_MAP, .map = r->map};
        e = apply(r, e, &st);
        bool tonum = r->map.n > 0 && r->map.to[0] && r->map.to[0]->kind == PE_NUMBER;
        vk = tonum ? V_NUMBER : V_TEXT;
        if (vk == V_TEXT && numeric_base(tb)) {
            e = read_number(r, e, NULL, tb != PT_DECIMAL);
            vk = V_NUMBER;
        }
    } else if (vk == V_TEXT && (tb == PT_BOOLEAN || r->map_bool)) {
        if (!(e = read_bool(r, e, primary(r))))
            return NULL;
        vk = V_BOOL;
    } else if (vk == V_TEXT && (tb == PT_DATE || r->date_kind != D_NONE)) {
        if (!(e = read_date(r, e, primary(r))))
            return NULL;
        vk = V_DATE;
    } else if (vk == V_TEXT && need_number && (r->base != B_CONCAT) && !(r->ntext && tb == PT_TEXT && !r->nnum)) {
        const prof_column *pc = r->base == B_SOURCE ? prof_of(r, primary(r)) : NULL;
        e = read_number(r, e, pc, (tb == PT_INTEGER || tb == PT_BIGINT) && !r->nnum);
        vk = V_NUMBER;
    }
    if (tb == PT_TIMESTAMP)
        problem(r, "The target is a timestamp, which the planner cannot read yet.");
    for (int i = 0; i < r->nnum; i++) {
        if (vk != V_NUMBER) {
            problem(r, "It applies arithmetic to a value that is not a number.");
            return NULL;
        }
        e = apply(r, e, &r->num_steps[i].st);
    }
    /* the language rejects inexact assignment: make the rounding visible */
    if (tb == PT_DECIMAL && (has_div || has_mul_frac) && !has_round) {
        e = plan_with_step(r->p, e, PS_ROUND);
        e->step.n = r->c->type.scale;
    }
    if (r->deflt) {
        e = plan_with_step(r->p, e, PS_DEFAULT);
        e->step.value = r->deflt;
    }
    return e;
}

/* ---- entry ----------------------------------------------------------------------------------- */

/* Is w one of the words of name (case-insensitive; words end at anything not alphanumeric)? */
static bool name_has_word(const char *name, const char *w)
{
    size_t n = strlen(w);
    if (!name || !n)
        return false;
    for (const char *p = name; (p = strcasestr(p, w)) != NULL; p++) {
        bool start = p == name || !isalnum((unsigned char)p[-1]);
        bool end = !isalnum((unsigned char)p[n]);
        if (start && end)
            return true;
    }
    return false;
}

static void unused_text(const reading *r, mf_buf *out)
{
    for (int k = 0; k < r->n; k++) {
        const tok *t = &r->t[k];
        if (t->used)
            continue;
        if (t->k == TK_OP && strchr(",.;:()[]!?'\"", t->w[0]) && strlen(t->w) == 1)
            continue;
        if (t->k == TK_WORD && is_filler(t->w))
            continue;
        /* the names of the row's own source and target (whole words of them) */
        bool own = false;
        for (int s = 0; s < r->c->nsrc && !own; s++)
            own = name_has_word(r->c->src[s].written, t->orig) || name_has_word(r->c->src[s].name, t->orig);
        if (r->c->column && name_has_word(r->c->column, t->orig) && strlen(t->orig) > 1)
            own = true;
        if (own && t->k == TK_WORD)
            continue;
        if (out->len)
            mf_buf_adds(out, " ");
        mf_buf_adds(out, t->orig);
    }
}

int rules_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    int took = formula_read(c, text, out, e);   /* SQL / Excel syntax first (formula.c) */
    if (took != 0)
        return took < 0 ? -1 : 0;
    reading *r = mf_xcalloc(1, sizeof *r);
    r->c = c;
    r->p = c->p;
    r->text = text ? text : "";
    r->base = B_SOURCE;
    tokenize(r);

    rec_examples(r);
    rec_trailer(r);
    rec_exclude(r);
    rec_lookup(r);
    rec_days(r);
    rec_negate(r);
    rec_bool(r);
    rec_separators(r);
    rec_map(r);
    rec_checks(r);
    rec_default(r);
    rec_constant(r);
    rec_date(r);
    rec_numfmt(r);
    rec_round(r);
    rec_muldiv(r);
    rec_abs(r);
    rec_between(r);
    rec_pad(r);
    rec_trim_case(r);
    rec_prefix_suffix(r);
    rec_substr(r);
    rec_before_after(r);
    rec_as_is(r);

    mf_buf left = {0};
    unused_text(r, &left);
    plan_expr *expr = NULL;
    if (c->column && !left.len && !r->problems.len)
        expr = build(r);
    if (!c->column && !r->statement && !r->problems.len && !left.len && r->n)
        problem(r, "It has no target column and is not a filter or trailer rule I know.");
    if (!c->column && (r->ntext || r->nnum || r->has_map || r->base != B_SOURCE || r->deflt) && !left.len)
        problem(r, "It transforms a value but the row has no target column.");

    /* a source of the row that matches no data column, when the rule needed it (no expression) or
     * a problem arose: said once, first, with the data's columns */
    bool needs_source = c->column && !expr && !left.len && !r->problems.len;
    for (int i = 0; i < c->nsrc; i++) {
        if (c->src[i].name || !c->src[i].written || !*c->src[i].written || !c->pr || c->pr->ncols <= 0)
            continue;
        if (!needs_source && !r->problems.len && !left.len)
            continue;                           /* understood without it: draft.c asks */
        mf_buf msg = {0};
        mf_buf_printf(&msg, "Source '%s' matches no column of the data file (its columns: ", c->src[i].written);
        for (int k = 0; k < c->pr->ncols && msg.len < 300; k++)
            mf_buf_printf(&msg, "%s'%s'", k ? ", " : "", c->pr->col[k].name ? c->pr->col[k].name : "");
        mf_buf_adds(&msg, ").");
        if (r->problems.len)
            mf_buf_adds(&msg, " ");
        mf_buf_adds(&msg, mf_buf_str(&r->problems));
        mf_buf_free(&r->problems);
        r->problems = msg;
    }
    if (needs_source && !r->problems.len)
        problem(r, "I could not build its value.");

    bool ok = !left.len && !r->problems.len;
    if (!ok) {
        mf_buf q = {0};
        if (left.len && !r->problems.len)
            mf_buf_printf(&q, "Rule '%s' on row %d: I could not read it (not understood: \"%s\"); ", r->text, c->row,
                          mf_buf_str(&left));
        else if (left.len)
            mf_buf_printf(&q, "Rule '%s' on row %d: %s (Also not understood: \"%s\".) ", r->text, c->row,
                          mf_buf_str(&r->problems), mf_buf_str(&left));
        else
            mf_buf_printf(&q, "Rule '%s' on row %d: %s ", r->text, c->row, mf_buf_str(&r->problems));
        bool lower = left.len && !r->problems.len;
        if (c->column)
            mf_buf_printf(&q, "%s should %s contain?", lower ? "what" : "What", c->column);
        else
            mf_buf_printf(&q, "%s should this row do?", lower ? "what" : "What");
        plan_add_question(r->p, c->column ? plan_strdup(r->p, c->column) : NULL, c->row,
                          plan_strdup(r->p, mf_buf_str(&q)));
        mf_buf_free(&q);
        if (c->column)
            expr = plan_new_expr(r->p, PE_HOLE);
    }
    out->expr = c->column ? expr : NULL;
    out->required = r->required;
    out->understood = ok;
    mf_buf_free(&left);
    mf_buf_free(&r->problems);
    free(r);
    return 0;
}
