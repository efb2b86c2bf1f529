/* fields.c — phrases of a rule resolved to data columns: the row's own sources by name, then every
 * data column (mapping_match_column, confidence >= 0.8), then without filler words and a trailing
 * indicator/flag/code.  Never guesses below the confidence threshold: NULL means no column.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- resolving field names ------------------------------------------------------------------- */

const char *rd_primary(const reading *r)
{
    return r->c->nsrc > 0 ? r->c->src[0].name : NULL;
}

const prof_column *rd_prof_of(const reading *r, const char *name)
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

const char *rd_resolve_name(const reading *r, const char *phrase)
{
    return rd_resolve_name_min(r, phrase, 0.8);
}

/* Split s into lower-case words of letters and digits; returns the count (at most 8). */
static int name_words(const char *s, char w[8][40])
{
    int n = 0;
    while (*s && n < 8) {
        while (*s && !isalnum((unsigned char)*s))
            s++;
        int l = 0;
        while (*s && isalnum((unsigned char)*s)) {
            if (l < 39)
                w[n][l++] = (char)tolower((unsigned char)*s);
            s++;
        }
        if (l)
            w[n++][l] = 0;
    }
    return n;
}

/* "accumulated depreciation" for the column "Accum. Depreciation": the same number of words, each word of the
 * column's name the phrase's word or an abbreviation of it (a prefix of at least 3 letters).  The one such
 * column, NULL when none or several. */
static const char *abbreviated_column(const reading *r, const char *phrase)
{
    char pw[8][40], cw[8][40];
    int np = name_words(phrase, pw);
    const char *found = NULL;
    for (int i = 0; np && r->c->pr && i < r->c->pr->ncols; i++) {
        const char *nm = r->c->pr->col[i].name;
        if (!nm || name_words(nm, cw) != np)
            continue;
        bool ok = true, abbrev = false;
        for (int k = 0; k < np && ok; k++) {
            size_t cl = strlen(cw[k]);
            ok = !strcmp(cw[k], pw[k]) || (cl >= 3 && cl < strlen(pw[k]) && !strncmp(cw[k], pw[k], cl));
            abbrev |= strcmp(cw[k], pw[k]) != 0;
        }
        if (!ok || !abbrev)
            continue;
        if (found)
            return NULL;
        found = nm;
    }
    return found;
}

/* English names of columns that German (SAP) exports write in German: "Plant" for Werk.  Only a whole phrase
 * and a whole column name match, so a rule in English can name a German column and nothing is guessed. */
static const char *german_column(const reading *r, const char *phrase)
{
    static const struct { const char *en, *de; } T[] = {
        {"plant", "Werk"}, {"storage location", "Lagerort"}, {"material", "Material"}, {"quantity", "Menge"},
        {"amount", "Betrag"}, {"currency", "Waehrung"}, {"currency", "Währung"}, {"posting date", "Buchungsdatum"},
        {"document date", "Belegdatum"}, {"document number", "Belegnummer"}, {"customer", "Kunde"},
        {"vendor", "Lieferant"}, {"supplier", "Lieferant"}, {"company code", "Buchungskreis"},
        {"cost center", "Kostenstelle"}, {"account", "Konto"}, {"text", "Text"}, {"payment date", "Zahldatum"},
        {"due date", "Faelligkeit"}, {"due date", "Fälligkeit"}, {"due date", "Fällig"}, {"due date", "Faellig"}, {"start date", "Beginn"}, {"end date", "Ende"},
        {"movement type", "Bewegungsart"}, {"unit", "Einheit"}, {"price", "Preis"}, {"name", "Name"},
    };
    if (!r->c->pr)
        return NULL;
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        if (strcasecmp(phrase, T[i].en))
            continue;
        for (int c = 0; c < r->c->pr->ncols; c++)
            if (r->c->pr->col[c].name && !strcasecmp(r->c->pr->col[c].name, T[i].de))
                return r->c->pr->col[c].name;
    }
    return NULL;
}

/* A phrase of the rule as a data column: the row's own sources by name, then every data column
 * (mapping_match_column) with at least min_conf, then a column whose name abbreviates the phrase's words, then a
 * German column the English phrase names. */
const char *rd_resolve_name_min(const reading *r, const char *phrase, double min_conf)
{
    if (!phrase || !*phrase)
        return NULL;
    for (int i = 0; i < r->c->nsrc; i++) {
        const rule_src *s = &r->c->src[i];
        if (s->name && ((s->written && !strcasecmp(s->written, phrase)) || !strcasecmp(s->name, phrase)))
            return s->name;
    }
    const char *got = infer_match_column(r->c->pr, phrase, min_conf);
    if (!got)
        got = abbreviated_column(r, phrase);
    return got ? got : german_column(r, phrase);
}

/* The field named by tokens [b, e): the text as written, then without leading/trailing filler. */
const char *rd_resolve_span(const reading *r, int b, int e)
{
    while (b < e && r->t[b].k == TK_OP && strchr("([", r->t[b].w[0]))
        b++;
    while (e > b && r->t[e - 1].k == TK_OP && strchr(")]", r->t[e - 1].w[0]))
        e--;
    if (b >= e)
        return NULL;
    if (e - b == 1 && r->t[b].k == TK_STR)
        return rd_resolve_name(r, r->t[b].w);
    char buf[256];
    size_t len = r->t[e - 1].e - r->t[b].b;
    if (len >= sizeof buf)
        return NULL;
    memcpy(buf, r->text + r->t[b].b, len);
    buf[len] = 0;
    const char *got = rd_resolve_name(r, buf);
    if (got)
        return got;
    int b2 = b, e2 = e;
    while (b2 < e2 && r->t[b2].k == TK_WORD && rd_is_filler(r->t[b2].w))
        b2++;
    while (e2 > b2 && r->t[e2 - 1].k == TK_WORD &&
           (rd_is_filler(r->t[e2 - 1].w) || !strcmp(r->t[e2 - 1].w, "indicator") ||
            !strcmp(r->t[e2 - 1].w, "flag") || !strcmp(r->t[e2 - 1].w, "code")))
        e2--;
    if (b2 >= e2 || (b2 == b && e2 == e))
        return NULL;
    len = r->t[e2 - 1].e - r->t[b2].b;
    memcpy(buf, r->text + r->t[b2].b, len);
    buf[len] = 0;
    return rd_resolve_name(r, buf);
}

/* The field named by the longest prefix of tokens [b, e) (leading filler skipped); *end receives
 * the index after it.  "Settle Date (YYYY-MM-DD)" names [Settle Date] and leaves the pattern. */
const char *rd_resolve_prefix(const reading *r, int b, int e, int *end)
{
    b = rd_skip_fill(r, b);
    if (e > b + 12)
        e = b + 12;
    for (int j = e; j > b; j--) {
        if (r->t[j - 1].used || (r->t[j - 1].k == TK_OP && !strchr(")]", r->t[j - 1].w[0])))
            continue;
        const char *got = rd_resolve_span(r, b, j);
        if (got) {
            *end = j;
            return got;
        }
    }
    return NULL;
}


/* Letters and digits of a name, lower case, words joined by one '_': "comm rate", "Comm_Rate" -> comm_rate. */
static void name_key(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    bool gap = false;
    for (size_t i = 0; i < len && s[i] && o + 2 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch)) {
            if (gap && o)
                out[o++] = '_';
            out[o++] = (char)tolower(ch);
            gap = false;
        } else {
            gap = true;
        }
    }
    out[o] = 0;
}

/* Tokens [b, e) as an output column above this row ("comm rate" -> COMM_RATE): the same words, any case,
 * spaces for underscores.  Never the target itself; NULL when none. */
const plan_column *rd_resolve_output(const reading *r, int b, int e)
{
    if (b >= e || e > r->n || !r->p)
        return NULL;
    char want[160], have[160];
    name_key(r->text + r->t[b].b, r->t[e - 1].e - r->t[b].b, want, sizeof want);
    if (!*want)
        return NULL;
    for (int i = 0; i < r->p->ncols; i++) {
        const plan_column *oc = &r->p->cols[i];
        if (!oc->name || (r->c->column && !strcasecmp(oc->name, r->c->column)))
            continue;
        name_key(oc->name, strlen(oc->name), have, sizeof have);
        if (!strcmp(want, have))
            return oc;
    }
    return NULL;
}
