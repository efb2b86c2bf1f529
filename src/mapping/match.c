/* match.c — resolving a mapping's source name to a column of the data file's header.
 *
 * Four grades, best first: the same bytes (1.0 "exact"); the same after case-folding and
 * dropping spaces, punctuation and underscores (0.95 "case and punctuation"); the same after
 * also expanding the abbreviations analysts use, word by word (0.85 "abbreviation"); otherwise
 * a spelling similarity scaled into [0, 0.8) ("similar spelling").  Below 0.6 is no match.
 *
 * Invariants: pure functions of their arguments, no allocation that outlives a call, bounded
 * work per name (names are cut at MATCH_MAX bytes); when two columns tie at the best grade the
 * name is ambiguous, so the reported confidence is lowered (an exact match is never lowered).
 */
#include "mapping/mapping.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MATCH_MAX 256
#define AMBIGUITY_PENALTY 0.1

/* Abbreviation -> word.  "#" counts as a word so "Acct #" reads as "account number". */
static const char *const abbrev[][2] = {
    {"acct", "account"},  {"acc", "account"},      {"no", "number"},      {"num", "number"},
    {"nbr", "number"},    {"nr", "number"},         {"#", "number"},       {"dt", "date"},
    {"amt", "amount"},    {"qty", "quantity"},      {"px", "price"},       {"ccy", "currency"},
    {"cur", "currency"},  {"curr", "currency"},     {"desc", "description"},
    {"descr", "description"},                       {"txn", "transaction"}, {"trx", "transaction"},
    {"trans", "transaction"},                       {"cust", "customer"},  {"id", "identifier"},
    {"ref", "reference"}, {"cd", "code"},           {"nm", "name"},        {"bal", "balance"},
    {"dept", "department"},                         {"addr", "address"},   {"tel", "telephone"},
    {"ph", "phone"},      {"yr", "year"},           {"mth", "month"},      {"pct", "percent"},
    {"org", "organisation"},                        {"organization", "organisation"},
    {"emp", "employee"},  {"inv", "invoice"},       {"src", "source"},     {"tgt", "target"},
    {NULL, NULL}};

/* Case-fold (Unicode) into out; returns 0, or -1 when s is not valid UTF-8 (then ASCII fold). */
static void casefold(const char *s, char *out, size_t cap)
{
    utf8proc_uint8_t *f = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &f,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n >= 0 && f) {
        snprintf(out, cap, "%s", (const char *)f);
    } else {
        size_t i = 0;
        for (; s[i] && i + 1 < cap; i++)
            out[i] = (char)tolower((unsigned char)s[i]);
        out[i] = '\0';
    }
    free(f);
}

static int is_word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* Case-folded, with everything but letters and digits dropped: "Acct_No." -> "acctno". */
static void squash(const char *s, char *out, size_t cap)
{
    char f[MATCH_MAX * 2];
    casefold(s, f, sizeof f);
    size_t n = 0;
    for (const char *p = f; *p && n + 1 < cap; p++)
        if (is_word_byte((unsigned char)*p))
            out[n++] = *p;
    out[n] = '\0';
}

/* Words of s, case-folded, abbreviations expanded and joined with no separator:
 * "AcctNo" / "acct_no" / "Acct #" -> "accountnumber".  Splits at punctuation, spaces and
 * lower->upper case changes.  With sorted != 0 the words are sorted first (word order free). */
static void expand(const char *s, char *out, size_t cap, int sorted)
{
    char words[32][64];
    int nw = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len && nw < 32;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '#') {
            strcpy(words[nw++], "#");
            i++;
            continue;
        }
        if (!is_word_byte(c)) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < len && is_word_byte((unsigned char)s[j]) &&
               !(islower((unsigned char)s[j - 1]) && isupper((unsigned char)s[j])))
            j++;
        char raw[64];
        size_t k = j - i < sizeof raw ? j - i : sizeof raw - 1;
        memcpy(raw, s + i, k);
        raw[k] = '\0';
        casefold(raw, words[nw], sizeof words[nw]);
        nw++;
        i = j;
    }
    for (int w = 0; w < nw; w++)
        for (int a = 0; abbrev[a][0]; a++)
            if (!strcmp(words[w], abbrev[a][0])) {
                snprintf(words[w], sizeof words[w], "%s", abbrev[a][1]);
                break;
            }
    if (sorted)
        qsort(words, (size_t)nw, sizeof words[0], (int (*)(const void *, const void *))strcmp);
    size_t n = 0;
    out[0] = '\0';
    for (int w = 0; w < nw; w++)
        for (const char *p = words[w]; *p && n + 1 < cap; p++)
            out[n++] = *p;
    out[n] = '\0';
}

/* 1 - edit distance / longer length, on bytes. */
static double similarity(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n == 0 || m == 0)
        return 0.0;
    unsigned prev[MATCH_MAX + 1], cur[MATCH_MAX + 1];
    if (m > MATCH_MAX)
        m = MATCH_MAX;
    if (n > MATCH_MAX)
        n = MATCH_MAX;
    for (size_t j = 0; j <= m; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= m; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (m + 1) * sizeof *cur);
    }
    size_t longer = n > m ? n : m;
    return 1.0 - (double)prev[m] / (double)longer;
}

typedef struct forms {
    char squash[MATCH_MAX], expanded[MATCH_MAX], sorted[MATCH_MAX];
} forms;

static void make_forms(const char *s, forms *f)
{
    char cut[MATCH_MAX];
    snprintf(cut, sizeof cut, "%s", s);
    squash(cut, f->squash, sizeof f->squash);
    expand(cut, f->expanded, sizeof f->expanded, 0);
    expand(cut, f->sorted, sizeof f->sorted, 1);
}

/* Grade one header name against the wanted name. */
static map_match grade(const char *name, const forms *nf, const char *col)
{
    map_match m = {-1, 0.0, "similar spelling"};
    if (!strcmp(name, col))
        return (map_match){0, 1.0, "exact"};
    forms cf;
    make_forms(col, &cf);
    if (nf->squash[0] && !strcmp(nf->squash, cf.squash))
        return (map_match){0, 0.95, "case and punctuation"};
    if (nf->expanded[0] && !strcmp(nf->expanded, cf.expanded))
        return (map_match){0, 0.85, "abbreviation"};
    double s = similarity(nf->squash, cf.squash);
    double t = similarity(nf->expanded, cf.expanded);
    double u = similarity(nf->sorted, cf.sorted);
    if (t > s)
        s = t;
    if (u > s)
        s = u;
    m.confidence = 0.8 * s;
    if (m.confidence > 0.79)
        m.confidence = 0.79;
    m.col = 0;
    return m;
}

map_match mapping_match_column(const char *name, const char *const *header, int ncols)
{
    map_match best = {-1, 0.0, "similar spelling"};
    if (!name || !header)
        return best;
    forms nf;
    make_forms(name, &nf);
    int tie = 0;
    for (int c = 0; c < ncols; c++) {
        if (!header[c])
            continue;
        map_match g = grade(name, &nf, header[c]);
        if (g.confidence > best.confidence + 1e-9) {
            best = g;
            best.col = c;
            tie = 0;
        } else if (best.col >= 0 && g.confidence > best.confidence - 1e-9) {
            tie = 1;   /* two columns answer equally well */
        }
    }
    if (tie && best.confidence < 1.0)
        best.confidence -= AMBIGUITY_PENALTY;
    if (best.col < 0 || best.confidence < 0.6)
        return (map_match){-1, best.col < 0 ? 0.0 : best.confidence, best.how};
    return best;
}
