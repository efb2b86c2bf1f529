/* tokens.c — a rule's text as tokens: words folded to lower case and to one canonical synonym
 * ("uppercase", "caps", "ucase" -> "upper"), quoted strings kept exactly, numbers ("1,000" -> 1000),
 * operators ("->", "=", "+", ...) and date patterns ("mm/dd/yyyy" -> MM/DD/YYYY), plus the helpers every
 * recognizer uses to look at them.  Invariant: tokens never overlap and keep their byte span in the text.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    {"filtered", "filter"}, {"filtering", "filter"},
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
    {"padleft", "leftpad"}, {"padright", "rightpad"}, {"leftpadded", "leftpad"}, {"rightpadded", "rightpad"},
    {"substring", "substr"}, {"mid", "substr"}, {"substring", "substr"},
    {"leftmost", "left"}, {"rightmost", "right"},
    {"trailing", "trailing"}, {"trailer", "trailer"}, {"footer", "trailer"},
    {"totals", "total"}, {"summary", "total"},
    {"copy", "asis"}, {"copied", "asis"}, {"direct", "asis"}, {"directly", "asis"},
    {"straight", "asis"}, {"unchanged", "asis"}, {"passthrough", "asis"},
    {"mapped", "map"}, {"mapping", "map"}, {"translate", "map"}, {"decode", "map"},
    {"means", "means"}, {"becomes", "means"}, {"become", "means"},
    {"excl", "exclude"}, {"incl", "include"}, {"included", "include"}, {"including", "include"},
    {"rmv", "remove"}, {"rem", "remove"}, {"pls", "please"}, {"plz", "please"}, {"pl", "please"},
    {"halfup", "halfup"}, {"rnd", "round"}, {"otw", "otherwise"}, {"dflt", "default"}, {"pfx", "prefix"}, {"sfx", "suffix"},
    {"mandtory", "mandatory"}, {"manditory", "mandatory"}, {"quater", "quarter"}, {"qtr", "quarter"},
    {"mth", "month"}, {"mnth", "month"}, {"sep", "separator"}, {"seps", "separator"}, {"neg", "negative"},
    {"abbrev", "abbreviation"}, {"lenght", "length"}, {"dont", "dont"}, {"don't", "dont"},
    {"seperated", "separated"}, {"autogenerated", "autogenerated"}, {"autogenerate", "autogenerated"},
    {"recieved", "received"}, {"thru", "through"}, {"eu", "european"}, {"small", "lower"}, {"cut", "remove"},
    {"fmt", "format"}, {"search", "lookup"}, {"dig", "char"}, {"removing", "remove"}, {"removed", "remove"}, {"converting", "convert"}, {"translated", "map"}, {"translates", "map"}, {"signed", "signed"},
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
    "rule", "logic", "required", "than", "signed", "proper_", "should", "shall", "can", "may", "both",
    "calculate", "calculated", "compute", "computed", "derive", "derived", "uses", "used",
};

bool rd_is_filler(const char *w)
{
    for (size_t i = 0; i < sizeof FILLER / sizeof *FILLER; i++)
        if (!strcmp(w, FILLER[i]))
            return true;
    return false;
}

/* Operation words a typo is read as ("uppercse", "mulitply", "concatente"): one letter dropped or two
 * neighbours swapped, in a word of eight letters or more.  (A changed or added letter is not read: "leaving"
 * is no "leading", "includes" no "include"; "decimal" is a word of its own, not "decimals".) */
static const char *const TYPO_OF[] = {
    "uppercase", "lowercase", "multiply", "trailing", "concatenate", "separator", "thousands", "negative",
    "constant", "substring", "characters", "otherwise", "mandatory", "hardcode", "parentheses", "brackets",
};

/* Is a the word b with one letter dropped, or with two neighbouring letters swapped? */
static bool one_edit(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if ((la != lb && la + 1 != lb) || !strcmp(a, b))
        return false;
    size_t i = 0;
    while (i < la && a[i] == b[i])
        i++;
    if (la == lb)
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] && !strcmp(a + i + 2, b + i + 2);
    return !strcmp(a + i, b + i + 1);
}

const char *rd_canon(const char *w)
{
    for (size_t i = 0; i < sizeof SYN / sizeof *SYN; i++)
        if (!strcmp(w, SYN[i].alias))
            return SYN[i].canon;
    if (strlen(w) < 6 || rd_is_filler(w) || rd_is_operative_word(w))
        return w;
    for (size_t i = 0; i < sizeof SYN / sizeof *SYN; i++)
        if (!strcmp(w, SYN[i].canon))
            return w;                           /* a word of the vocabulary already */
    const char *hit = NULL;
    for (size_t i = 0; i < sizeof TYPO_OF / sizeof *TYPO_OF; i++)
        if (one_edit(w, TYPO_OF[i])) {
            if (hit)
                return w;                       /* two candidates: not a typo we can name */
            hit = TYPO_OF[i];
        }
    if (!hit)
        return w;
    for (size_t i = 0; i < sizeof SYN / sizeof *SYN; i++)
        if (!strcmp(hit, SYN[i].alias))
            return SYN[i].canon;
    return hit;
}

bool rd_word_byte(unsigned char ch)
{
    return isalnum(ch) || ch == '_' || ch >= 0x80;
}

/* Date pattern at s: components YYYY YY MM M DD D Mon Month (any case) with separators / . -
 * between them (or none).  Needs a year, a month and a day.  Returns its byte length, 0 if none,
 * and the plan notation in out (room for 32 bytes). */
/* A date pattern written in words: "month/day/year", "day.month.year", "day-month name-year".  Same
 * contract as rd_date_pattern_at; day and month are read without leading zeros (D, M), which also read
 * values written with them. */
static size_t word_date_pattern_at(const char *s, char *out)
{
    static const struct { const char *in, *out; char what; } C[] = {
        {"month name", "Mon", 'm'}, {"monthname", "Mon", 'm'}, {"month", "M", 'm'}, {"day", "D", 'd'},
        {"year", "YYYY", 'y'}, {"yr", "YYYY", 'y'},
    };
    size_t i = 0, o = 0;
    int ny = 0, nm = 0, nd = 0;
    for (int comp = 0; comp < 3; comp++) {
        size_t k;
        for (k = 0; k < sizeof C / sizeof *C; k++)
            if (!strncasecmp(s + i, C[k].in, strlen(C[k].in)))
                break;
        if (k == sizeof C / sizeof *C)
            return 0;
        i += strlen(C[k].in);
        o += (size_t)snprintf(out + o, 32 - o, "%s", C[k].out);
        ny += C[k].what == 'y';
        nm += C[k].what == 'm';
        nd += C[k].what == 'd';
        if (comp < 2) {
            if (!s[i] || !strchr("/.-", s[i]))
                return 0;
            out[o++] = s[i++];
            out[o] = 0;
        }
    }
    if (rd_word_byte((unsigned char)s[i]) || ny != 1 || nm != 1 || nd != 1)
        return 0;
    return i;
}

size_t rd_date_pattern_at(const char *s, char *out)
{
    size_t wl = word_date_pattern_at(s, out);
    if (wl)
        return wl;
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
    if (rd_word_byte((unsigned char)s[i]) || ny != 1 || nm != 1 || nd != 1 || ncomp != 3)
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

/* Number words ("six characters", "first four digits"), as digits; NULL for any other word.  "one" stays a
 * word ("one to one", "with one decimal" are read as phrases). */
static const char *number_word(const char *w)
{
    static const char *const W[] = {"zero_", "one_", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                                    "seventeen", "eighteen", "nineteen", "twenty"};
    static const char *const D[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
                                    "15", "16", "17", "18", "19", "20"};
    for (size_t k = 0; k < sizeof W / sizeof *W; k++)
        if (!strcmp(w, W[k]))
            return D[k];
    return NULL;
}

/* digits / 100 as a decimal literal: "19" -> "0.19", "7.5" -> "0.075". */
static char *percent_of(mf_arena *a, const char *digits)
{
    char all[48] = "00";                     /* leading zeros so that the point always has a digit before it */
    size_t len = 2, scale = 2;
    for (const char *p = digits; *p && len + 1 < sizeof all; p++) {
        if (*p == '.') {
            scale += strlen(p + 1);
            continue;
        }
        all[len++] = *p;
    }
    all[len] = 0;
    char buf[64];
    size_t ip = len - scale, o = 0;
    const char *q = all;
    while (ip > 1 && *q == '0') {            /* strip surplus leading zeros */
        q++;
        ip--;
    }
    for (size_t k = 0; k < ip && o + 2 < sizeof buf; k++)
        buf[o++] = q[k];
    buf[o++] = '.';
    for (size_t k = ip; q[k] && o + 1 < sizeof buf; k++)
        buf[o++] = q[k];
    buf[o] = 0;
    return mf_arena_strdup(a, buf);
}

/* A UTF-8 symbol that is an operator or punctuation (→ ≠ ÷ € £ • · – —), with its canonical spelling
 * and byte length in *len; NULL when s does not start with one.  Quotes are quote_open's. */
static const char *utf8_symbol(const char *s, size_t *len)
{
    static const struct { const char *utf8, *op; } S[] = {
        {"\xe2\x86\x92", "->"}, {"\xe2\x89\xa0", "!="}, {"\xc3\xb7", "\xc3\xb7"}, {"\xe2\x82\xac", "\xe2\x82\xac"},
        {"\xc2\xa3", "\xc2\xa3"}, {"\xe2\x80\xa2", "\xe2\x80\xa2"}, {"\xc2\xb7", "\xe2\x80\xa2"}, {"\xe2\x80\x93", "-"},
        {"\xe2\x80\x94", "-"}, {"\xe2\x89\xa5", ">="}, {"\xe2\x89\xa4", "<="},
    };
    for (size_t k = 0; k < sizeof S / sizeof *S; k++)
        if (!strncmp(s, S[k].utf8, strlen(S[k].utf8))) {
            *len = strlen(S[k].utf8);
            return S[k].op;
        }
    return NULL;
}

/* Shorthand written with a slash: "w/" (with), "n/f" (not found), "w/o" (without).  Adds the tokens
 * and returns true with the bytes taken in *len. */
static bool shorthand(reading *r, const char *s, size_t i, size_t n, size_t *len)
{
    if (i > 0 && rd_word_byte((unsigned char)s[i - 1]))
        return false;
    mf_arena *a = &r->p->arena;
    if (i + 3 <= n && !strncasecmp(s + i, "w/o", 3) && (i + 3 == n || !rd_word_byte((unsigned char)s[i + 3]))) {
        add_tok(r, TK_WORD, "without", mf_arena_strndup(a, s + i, 3), i, i + 3);
        *len = 3;
        return true;
    }
    if (i + 2 <= n && !strncasecmp(s + i, "w/", 2) && (i + 2 == n || !rd_word_byte((unsigned char)s[i + 2]))) {
        add_tok(r, TK_WORD, "with", mf_arena_strndup(a, s + i, 2), i, i + 2);
        *len = 2;
        return true;
    }
    if (i + 3 <= n && !strncasecmp(s + i, "n/f", 3) && (i + 3 == n || !rd_word_byte((unsigned char)s[i + 3]))) {
        add_tok(r, TK_WORD, "not", mf_arena_strndup(a, s + i, 3), i, i + 2);
        add_tok(r, TK_WORD, "found", mf_arena_strndup(a, s + i, 3), i + 2, i + 3);
        *len = 3;
        return true;
    }
    return false;
}

/* Opening quote at i?  Returns its byte length (1 for ASCII, 3 for curly) and the closer. */
static int quote_open(const char *s, size_t i, const char **close)
{
    unsigned char ch = (unsigned char)s[i];
    bool at_boundary = i == 0 || !rd_word_byte((unsigned char)s[i - 1]);
    if ((ch == '\'' || ch == '"' || ch == '`') && at_boundary) {
        *close = ch == '\'' ? "'" : ch == '"' ? "\"" : "`";
        return 1;
    }
    if (!strncmp(s + i, "\xe2\x80\x98", 3)) { *close = "\xe2\x80\x99"; return 3; }   /* ‘ ’ */
    if (!strncmp(s + i, "\xe2\x80\x9c", 3)) { *close = "\xe2\x80\x9d"; return 3; }   /* “ ” */
    return 0;
}

void rd_tokenize(reading *r)
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
        const char *sym;
        if (isspace(ch)) {
            i++;
        } else if ((ql = quote_open(s, i, &close)) > 0) {
            size_t j = i + (size_t)ql, cl = strlen(close);
            while (j < n && !(strncmp(s + j, close, cl) == 0 &&
                              (cl > 1 || j + 1 >= n || !rd_word_byte((unsigned char)s[j + 1]))))
                j++;
            if (j >= n) {            /* no closer: an apostrophe, not a quote */
                i += (size_t)ql;
                continue;
            }
            char *v = mf_arena_strndup(a, s + i + ql, j - i - (size_t)ql);
            add_tok(r, TK_STR, v, v, i, j + cl);
            i = j + cl;
        } else if ((i == 0 || !rd_word_byte((unsigned char)s[i - 1])) && (dl = rd_date_pattern_at(s + i, pat))) {
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
            /* "10k" is 10000; "1st" is the word first */
            if (j < n && (s[j] == 'k' || s[j] == 'K') && (j + 1 >= n || !rd_word_byte((unsigned char)s[j + 1]))) {
                mf_buf_adds(&d, "000");
                j++;
            } else if (j + 2 <= n && j - i == 1 && s[i] == '1' && !strncasecmp(s + j, "st", 2) &&
                       (j + 2 >= n || !rd_word_byte((unsigned char)s[j + 2]))) {
                mf_buf_free(&d);
                add_tok(r, TK_WORD, "first", mf_arena_strndup(a, s + i, 3), i, j + 2);
                i = j + 2;
                continue;
            }
            if (j < n && s[j] == '%') {  /* "19%" is the number 0.19 */
                char *v = percent_of(a, mf_buf_str(&d));
                mf_buf_free(&d);
                add_tok(r, TK_NUM, v, mf_arena_strndup(a, s + i, j + 1 - i), i, j + 1);
                i = j + 1;
                continue;
            }
            char *v = mf_arena_strdup(a, mf_buf_str(&d));
            mf_buf_free(&d);
            add_tok(r, TK_NUM, v, mf_arena_strndup(a, s + i, j - i), i, j);
            i = j;
        } else if ((sym = utf8_symbol(s + i, &dl)) != NULL) {
            add_tok(r, TK_OP, sym, mf_arena_strndup(a, s + i, dl), i, i + dl);
            i += dl;
        } else if ((ch == 'x' || ch == 'X') && i + 1 < n && isdigit((unsigned char)s[i + 1]) &&
                   (i == 0 || !rd_word_byte((unsigned char)s[i - 1]))) {
            add_tok(r, TK_WORD, "x", mf_arena_strndup(a, s + i, 1), i, i + 1);   /* "x1000": times 1000 */
            i++;
        } else if (shorthand(r, s, i, n, &dl)) {
            i += dl;
        } else if (rd_word_byte(ch)) {
            mf_buf w = {0};
            size_t j = i;
            for (;;) {
                while (j < n && (rd_word_byte((unsigned char)s[j]) || s[j] == '\'')) {
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
            const char *nw = number_word(lw);
            if (nw)                   /* "six characters long", "first four digits" */
                add_tok(r, TK_NUM, nw, mf_arena_strndup(a, s + i, j - i), i, j);
            else if (!strcmp(lw, "no") && j + 1 < n && s[j] == '.' && (isspace((unsigned char)s[j + 1]) || s[j + 1] == ','))
                add_tok(r, TK_WORD, "number", mf_arena_strndup(a, s + i, j - i), i, j);   /* "acct no." */
            else
                add_tok(r, TK_WORD, rd_canon(lw), mf_arena_strndup(a, s + i, j - i), i, j);
            i = j;
        } else {
            static const char *const OPS[] = {"->", "=>", "==", "!=", "<>", "<=", ">=", "||",
                                              "\xe2\x86\x92", "\xe2\x89\xa0"};
            size_t k, len = 1;
            const char *op = NULL;
            for (k = 0; k < sizeof OPS / sizeof *OPS; k++)
                if (!strncmp(s + i, OPS[k], strlen(OPS[k]))) {
                    len = strlen(OPS[k]);
                    op = k == 8 ? "->" : k == 9 ? "!=" : k == 1 ? "->" : OPS[k];
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

bool rd_is_w(const reading *r, int i, const char *w)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_WORD && !strcmp(r->t[i].w, w);
}

bool rd_is_op(const reading *r, int i, const char *op)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_OP && !strcmp(r->t[i].w, op);
}

bool rd_is_k(const reading *r, int i, tk_kind k)
{
    return i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == k;
}

/* Index of the first unused word w at or after `from`, or -1. */
int rd_find_w(const reading *r, int from, const char *w)
{
    for (int i = from < 0 ? 0 : from; i < r->n; i++)
        if (rd_is_w(r, i, w))
            return i;
    return -1;
}

/* Skip filler words forward from i (unused ones); returns the next significant index. */
int rd_skip_fill(const reading *r, int i)
{
    while (i >= 0 && i < r->n && !r->t[i].used && r->t[i].k == TK_WORD && rd_is_filler(r->t[i].w))
        i++;
    return i;
}

void rd_use(reading *r, int from, int to)   /* [from, to) */
{
    for (int i = from; i < to && i < r->n; i++)
        if (i >= 0)
            r->t[i].used = true;
}

void rd_problem(reading *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    infer_vsay(&r->problems, fmt, ap);
    va_end(ap);
}

/* A literal value at i: a quoted string, a number, or a bare word (as written).  Words such as
 * "space" name their character. */
const char *rd_value_at(const reading *r, int i, bool *is_num)
{
    if (is_num)
        *is_num = false;
    if (rd_is_k(r, i, TK_STR))
        return r->t[i].w;
    if (rd_is_k(r, i, TK_NUM)) {
        if (is_num)
            *is_num = true;
        return r->t[i].w;
    }
    if (rd_is_k(r, i, TK_WORD))
        return r->t[i].orig;
    return NULL;
}

/* A separator/delimiter named at i: quoted text, a punctuation token, or a word like "dash". */
const char *rd_delim_at(const reading *r, int i)
{
    static const struct { const char *w, *ch; } D[] = {
        {"space", " "}, {"dash", "-"}, {"hyphen", "-"}, {"underscore", "_"}, {"pipe", "|"},
        {"slash", "/"}, {"backslash", "\\"}, {"colon", ":"}, {"semicolon", ";"}, {"dot", "."},
        {"period", "."}, {"comma", ","}, {"tab", "\t"}, {"hash", "#"}, {"at", "@"},
    };
    if (rd_is_k(r, i, TK_STR))
        return r->t[i].w;
    if (rd_is_k(r, i, TK_OP) && strcmp(r->t[i].w, "(") && strcmp(r->t[i].w, ")"))
        return r->t[i].orig;
    if (rd_is_k(r, i, TK_WORD))
        for (size_t k = 0; k < sizeof D / sizeof *D; k++)
            if (!strcmp(r->t[i].w, D[k].w))
                return D[k].ch;
    return NULL;
}

long rd_num_at(const reading *r, int i)
{
    if (!rd_is_k(r, i, TK_NUM) || strchr(r->t[i].w, '.'))
        return -1;
    return strtol(r->t[i].w, NULL, 10);
}

tstep *rd_add_step(reading *r, bool numeric, size_t pos, plan_step_kind kind)
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

/* End of the clause that starts at i: the next ';' or ')' or '.' or end. */
int rd_clause_end(const reading *r, int i)
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
