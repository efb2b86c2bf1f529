/* feedback.c — plain-English feedback → plan edits (see feedback.h).
 *
 * The feedback is cut into tokens (words with trailing punctuation dropped, "quoted" texts,
 * [bracketed] names).  Each phrasing of the table below is a pattern of items:
 *     word|word      one token equal (case-insensitive) to one of the words
 *     ?word|word     the same, optional
 *     =word|word     the same, and the token is remembered as the phrase's operator
 *     {c} {s} {v} {k} {x}   a slot: one or more tokens (the fewest that let the rest match):
 *                    c = an output column, s = a source column, v = a value, k = key columns,
 *                    x = the rest as plan-language text
 *     {n}            one number token
 *     {*}            zero or more filler words ("not", "instead", "of", ...)
 * The first phrasing that matches the whole piece wins; its slots are resolved against the plan
 * (output columns by name, case-insensitively, or by the source column they read) and the data
 * header (mapping_match_column).  The edit is made on a copy of the plan (render + parse, so the
 * copy is exactly what the text says) and the copy must type-check before it is returned.
 */
#include "plan/feedback.h"

#include "plan/rules.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tokens ----------------------------------------------------------------------------------- */

typedef struct ftok {
    const char *s;      /* text (malloc'd, lower case kept separately) */
    char *lower;
    size_t at, end;     /* byte range in the piece */
    bool quoted;        /* "..." or [...] */
    bool bracket;       /* [...] */
} ftok;

typedef struct ftoks {
    ftok *v;
    int n;
    const char *text;
} ftoks;

static void toks_free(ftoks *t)
{
    for (int i = 0; i < t->n; i++) {
        free((char *)t->v[i].s);
        free(t->v[i].lower);
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

static void toks_add(ftoks *t, const char *s, size_t n, size_t at, size_t end, bool quoted, bool bracket)
{
    t->v = mf_xrealloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
    ftok *k = &t->v[t->n++];
    k->s = mf_xstrndup(s, n);
    k->lower = mf_xstrndup(s, n);
    for (char *p = k->lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    k->at = at;
    k->end = end;
    k->quoted = quoted;
    k->bracket = bracket;
}

/* Words end at blanks; ',' is a token of its own; trailing . ; ! ? : are dropped. */
static void tokenize(const char *text, ftoks *t)
{
    memset(t, 0, sizeof *t);
    t->text = text;
    size_t i = 0, n = strlen(text);
    while (i < n) {
        unsigned char c = (unsigned char)text[i];
        if (isspace(c)) {
            i++;
            continue;
        }
        if (c == '"' || c == '[' || (c == 0xE2 && i + 2 < n && (unsigned char)text[i + 1] == 0x80 &&
                                     (unsigned char)text[i + 2] == 0x9C)) {   /* " [ or a curly quote */
            size_t open = c == 0xE2 ? 3 : 1;
            const char *close = c == '"' ? "\"" : c == '[' ? "]" : "\xE2\x80\x9D";
            const char *end = strstr(text + i + open, close);
            if (end) {
                toks_add(t, text + i + open, (size_t)(end - text) - i - open, i, (size_t)(end - text) + strlen(close),
                         true, c == '[');
                i = (size_t)(end - text) + strlen(close);
                continue;
            }
        }
        if (c == ',') {
            toks_add(t, ",", 1, i, i + 1, false, false);
            i++;
            continue;
        }
        size_t a = i;
        while (i < n && !isspace((unsigned char)text[i]) && text[i] != ',')
            i++;
        size_t b = i;
        while (b > a && strchr(".;!?:", text[b - 1]))
            b--;
        if (b > a)
            toks_add(t, text + a, b - a, a, b, false, false);
    }
}

/* ---- patterns --------------------------------------------------------------------------------- */

enum { SLOT_C, SLOT_S, SLOT_V, SLOT_K, SLOT_X, SLOT_N, SLOT_OP, NSLOTS };

typedef struct fmatch {
    int from[NSLOTS], to[NSLOTS];   /* token range [from, to) of each slot, -1 when unused */
} fmatch;

static const char *const filler[] = {"not", "instead", "of", "multiplied", "divided", "multiplying", "dividing",
                                     "multiply", "divide", "by", "rather", "than", "it", "a", "the", "when",
                                     "if", "missing", "empty", "blank", "null", "is", "please", "too",
                                     "as", "well", "values", "value", ",", NULL};

static bool is_filler(const char *w)
{
    for (int i = 0; filler[i]; i++)
        if (!strcmp(filler[i], w))
            return true;
    return false;
}

static bool alt_has(const char *alts, size_t n, const char *w)
{
    size_t wl = strlen(w);
    const char *p = alts, *end = alts + n;
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        size_t len = bar ? (size_t)(bar - p) : (size_t)(end - p);
        if (len == wl && !memcmp(p, w, wl))
            return true;
        p += len + 1;
    }
    return false;
}

static bool is_number_tok(const ftok *k)
{
    const char *s = k->s;
    if (k->quoted || !*s)
        return false;
    if (*s == '-')
        s++;
    size_t d = strspn(s, "0123456789");
    if (!d)
        return false;
    s += d;
    if (*s == '.')
        s += 1 + strspn(s + 1, "0123456789");
    return *s == '\0';
}

typedef struct matcher {
    const ftoks *t;
    const char *items[32];
    size_t len[32];
    int nitems;
    fmatch m;
} matcher;

static bool match_at(matcher *mt, int pi, int ti)
{
    const ftoks *t = mt->t;
    if (pi == mt->nitems)
        return ti == t->n;
    const char *it = mt->items[pi];
    size_t il = mt->len[pi];
    if (it[0] == '{') {
        int slot = it[1] == 'c' ? SLOT_C : it[1] == 's' ? SLOT_S : it[1] == 'v' ? SLOT_V : it[1] == 'k' ? SLOT_K
                 : it[1] == 'x' ? SLOT_X : it[1] == 'n' ? SLOT_N : -1;
        if (it[1] == '*') {
            for (int k = ti;; k++) {
                if (match_at(mt, pi + 1, k))
                    return true;
                if (k >= t->n || t->v[k].quoted || !is_filler(t->v[k].lower))
                    return false;
            }
        }
        if (slot == SLOT_N) {
            if (ti >= t->n || !is_number_tok(&t->v[ti]))
                return false;
            mt->m.from[slot] = ti;
            mt->m.to[slot] = ti + 1;
            return match_at(mt, pi + 1, ti + 1);
        }
        for (int k = ti + 1; k <= t->n; k++) {
            mt->m.from[slot] = ti;
            mt->m.to[slot] = k;
            if (match_at(mt, pi + 1, k))
                return true;
        }
        mt->m.from[slot] = -1;
        return false;
    }
    bool optional = it[0] == '?', op = it[0] == '=';
    const char *alts = optional || op ? it + 1 : it;
    size_t alen = optional || op ? il - 1 : il;
    if (ti < t->n && !t->v[ti].quoted && alt_has(alts, alen, t->v[ti].lower)) {
        if (op) {
            mt->m.from[SLOT_OP] = ti;
            mt->m.to[SLOT_OP] = ti + 1;
        }
        if (match_at(mt, pi + 1, ti + 1))
            return true;
    }
    return optional && match_at(mt, pi + 1, ti);
}

static bool match(const char *pattern, const ftoks *t, fmatch *out)
{
    matcher mt = {.t = t};
    const char *p = pattern;
    while (*p && mt.nitems < 32) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        mt.items[mt.nitems] = p;
        mt.len[mt.nitems++] = n;
        p += n;
    }
    for (int i = 0; i < NSLOTS; i++)
        mt.m.from[i] = mt.m.to[i] = -1;
    if (!match_at(&mt, 0, 0))
        return false;
    *out = mt.m;
    return true;
}

/* ---- the phrasings ---------------------------------------------------------------------------- */

typedef enum fb_action {
    A_NEGATIVE, A_ARITH, A_SOURCE, A_REJECT_EMPTY, A_REJECT_EXPR, A_SKIP_EXPR, A_DEFAULT, A_REQUIRED,
    A_OPTIONAL, A_REMOVE_RULE, A_DONT_EXCLUDE, A_KEY, A_CHECK, A_CHECK_EXPR
} fb_action;

enum { C_NONZERO = 1, C_NONNEG, C_POSITIVE, C_PRESENT };

static const struct phrase {
    const char *pattern;
    fb_action action;
    int arg;
} phrases[] = {
    /* reviewer checks over the output */
    {"check ?that|whether|if {c} is|are|be =not|non zero|0", A_CHECK, C_NONZERO},
    {"check ?that|whether|if {c} is|are|be =nonzero|non-zero", A_CHECK, C_NONZERO},
    {"check ?that|whether|if {c} is|are|be never zero|0", A_CHECK, C_NONZERO},
    {"check ?that|whether|if {c} is|are|be not negative", A_CHECK, C_NONNEG},
    {"check ?that|whether|if {c} is|are|be never negative", A_CHECK, C_NONNEG},
    {"check ?that|whether|if {c} is|are|be positive", A_CHECK, C_POSITIVE},
    {"check ?that|whether|if {c} is|are|be present|filled|set", A_CHECK, C_PRESENT},
    {"check ?that|whether|if {c} is|are|be not empty|blank|missing|null", A_CHECK, C_PRESENT},
    {"?add ?a check ?that|whether|if {x}", A_CHECK_EXPR, 0},
    /* negative values */
    {"?please add|put ?a|some validation|validations|check|checks|rule|rules|test for|on|against negative "
     "value|values|amount|amounts|numbers on|for|in|of {c}",
     A_NEGATIVE, 0},
    {"?please add|put ?a|some negative value|values|amount|amounts validation|check|rule on|for|to {c}", A_NEGATIVE, 0},
    {"?please validate|make|ensure ?sure ?that {c} is|are not negative", A_NEGATIVE, 0},
    {"?please reject|refuse negative {c} ?value|values|amount|amounts", A_NEGATIVE, 0},
    {"?please reject|refuse rows|records where|when|if|with {c} is|are negative", A_NEGATIVE, 0},
    {"{c} must|should|may|can not be negative", A_NEGATIVE, 0},
    {"{c} cannot|can't|must|should never be negative", A_NEGATIVE, 0},
    {"no negative {c} ?value|values|amount|amounts", A_NEGATIVE, 0},
    /* arithmetic: the first operation named is the one wanted */
    {"{c} should|must|needs|has ?to be =divided|multiplied by {n} {*}", A_ARITH, 0},
    {"=divide|multiply {c} by {n} {*}", A_ARITH, 0},
    {"{c} =divided|multiplied by {n} {*}", A_ARITH, 0},
    /* the source of a column */
    {"take|use|read|get|fill|populate {c} from {s} ?instead", A_SOURCE, 0},
    {"{c} should|must|needs ?to come|comes from {s} ?instead", A_SOURCE, 0},
    {"{c} comes from {s} ?instead", A_SOURCE, 0},
    {"use {s} for {c} ?instead", A_SOURCE, 0},
    {"map {s} to {c} ?instead", A_SOURCE, 0},
    /* rejecting rows */
    {"reject ?the|all ?rows|records|lines where|when|if {s} is|are empty|blank|missing|null", A_REJECT_EMPTY, 0},
    {"reject ?the|all ?rows|records|lines with|having ?an|a empty|blank|missing|no {s}", A_REJECT_EMPTY, 0},
    {"reject ?the|all ?rows|records|lines without ?an|a {s}", A_REJECT_EMPTY, 0},
    {"reject ?the|all ?rows|records|lines where|when|if {x}", A_REJECT_EXPR, 0},
    {"skip|exclude|filter|drop ?out ?the|all ?rows|records|lines where|when|if {x}", A_SKIP_EXPR, 0},
    /* defaults */
    {"default {c} to|= {v} {*}", A_DEFAULT, 0},
    {"{c} ?should|must default|defaults to {v} {*}", A_DEFAULT, 0},
    {"use {v} as ?the default for|of {c} {*}", A_DEFAULT, 0},
    {"when|if {c} is missing|empty|blank|null ?, use {v}", A_DEFAULT, 0},
    /* required / optional */
    {"make {c} required|mandatory", A_REQUIRED, 0},
    {"{c} is|are required|mandatory", A_REQUIRED, 0},
    {"{c} should|must be required|mandatory", A_REQUIRED, 0},
    {"{c} must|should|may not be empty|blank|missing|null", A_REQUIRED, 0},
    {"{c} cannot|can't be empty|blank|missing|null", A_REQUIRED, 0},
    {"make {c} optional|nullable", A_OPTIONAL, 0},
    {"make {c} not required|mandatory", A_OPTIONAL, 0},
    {"{c} is|are|should|can ?be optional|nullable", A_OPTIONAL, 0},
    {"{c} is|are not required|mandatory", A_OPTIONAL, 0},
    {"{c} can|may be empty|blank|missing|null", A_OPTIONAL, 0},
    /* removing rules */
    {"remove|drop|delete ?the =filter|filters|skip|exclusion|rule|rules|validation|rejection|reject|check|checks "
     "on|for|about|of {s}",
     A_REMOVE_RULE, 0},
    {"don't|dont|never exclude|skip|filter|drop ?out ?the|any {v} ?rows|records|lines", A_DONT_EXCLUDE, 0},
    {"do not|stop exclude|excluding|skip|skipping|filter|filtering|drop|dropping ?out ?the|any {v} "
     "?rows|records|lines",
     A_DONT_EXCLUDE, 0},
    {"keep|include ?the {v} rows|records|lines ?too", A_DONT_EXCLUDE, 0},
    /* keys */
    {"{k} must|should be unique", A_KEY, 0},
    {"{k} is|are unique", A_KEY, 0},
    {"?the ?unique|primary key is|are {k}", A_KEY, 0},
    {"{k} is|are the ?unique|primary key", A_KEY, 0},
    {"{k} is|are the key ?columns|column", A_KEY, 0},
    {"make {k} the ?unique|primary key", A_KEY, 0},
    {"key ?is|= {k}", A_KEY, 0},
};

/* ---- the report ------------------------------------------------------------------------------- */

typedef struct report {
    mf_buf ok, bad;
} report;

static void say(mf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(mf_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (b->len)
        mf_buf_adds(b, "; ");
    mf_buf_adds(b, tmp);
}

/* ---- names ------------------------------------------------------------------------------------ */

/* letters and digits only, lower case: "Acct No" ~ "acct_no" ~ "ACCTNO" */
static void fold(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)
            out[k++] = (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

static bool same_name(const char *a, const char *b)
{
    char x[256], y[256];
    if (!a || !b)
        return false;
    if (!strcasecmp(a, b))
        return true;
    fold(a, x, sizeof x);
    fold(b, y, sizeof y);
    return x[0] && !strcmp(x, y);
}

/* Slot text: the tokens joined by one space (a single quoted token as is). */
static char *slot_text(const ftoks *t, const fmatch *m, int slot)
{
    mf_buf b = {0};
    for (int i = m->from[slot]; i < m->to[slot]; i++) {
        if (b.len && strcmp(t->v[i].s, ","))
            mf_buf_addc(&b, ' ');
        mf_buf_adds(&b, t->v[i].s);
    }
    char *r = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

/* The raw text of a slot through the end of the piece (for plan-language text). */
static char *slot_raw(const ftoks *t, const fmatch *m, int slot)
{
    size_t a = t->v[m->from[slot]].at, b = t->v[m->to[slot] - 1].end;
    return mf_xstrndup(t->text + a, b - a);
}

static bool slot_bracket(const ftoks *t, const fmatch *m, int slot)
{
    return m->to[slot] - m->from[slot] == 1 && t->v[m->from[slot]].bracket;
}

/* The first source column a column reads: the base of its chain of steps. */
static const char *base_source(const plan_expr *x)
{
    while (x && (x->kind == PE_STEP || x->kind == PE_BINARY))
        x = x->kid[0];
    return x && x->kind == PE_SOURCE ? x->name : NULL;
}

static bool uses_source(const plan_expr *x, const char *name)
{
    if (!x)
        return false;
    if (x->kind == PE_SOURCE && same_name(x->name, name))
        return true;
    for (int i = 0; i < 3; i++)
        if (uses_source(x->kid[i], name))
            return true;
    return x->kind == PE_STEP && (uses_source(x->step.cond, name) || uses_source(x->step.value, name));
}

/* An output column named by `name`: its own name, else the column whose base source it names,
 * else the only column that reads it.  -1 when none (or ambiguous). */
static int find_col(const plan *p, const char *name)
{
    for (int i = 0; i < p->ncols; i++)
        if (!strcasecmp(p->cols[i].name, name))
            return i;
    for (int i = 0; i < p->ncols; i++)
        if (same_name(p->cols[i].name, name))
            return i;
    for (int i = 0; i < p->ncols; i++)
        if (same_name(base_source(p->cols[i].expr), name))
            return i;
    int found = -1;
    for (int i = 0; i < p->ncols; i++)
        if (uses_source(p->cols[i].expr, name)) {
            if (found >= 0)
                return -1;
            found = i;
        }
    return found;
}

static int find_col_slot(const plan *p, const ftoks *t, const fmatch *m, int slot, report *r, char **name)
{
    *name = slot_text(t, m, slot);
    int i = find_col(p, *name);
    if (i < 0) {
        mf_buf cols = {0};
        for (int k = 0; k < p->ncols; k++)
            mf_buf_printf(&cols, "%s%s", k ? ", " : "", p->cols[k].name);
        say(&r->bad, "which column \"%s\" is (the plan's columns are %s)", *name, mf_buf_str(&cols));
        mf_buf_free(&cols);
    }
    return i;
}

/* A source column of the data named by `name`; NULL when none matches (r says so). */
static const char *find_source(plan *p, const fb_context *ctx, const char *name, bool exact, report *r)
{
    const char **hdr = NULL;
    int n = 0;
    if (ctx && ctx->header) {
        hdr = (const char **)ctx->header;
        n = ctx->nheader;
    } else {
        n = plan_used_sources(p, &hdr);
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], name))
            return hdr[i];
    if (!exact) {
        map_match mm = mapping_match_column(name, (const char *const *)hdr, n);
        if (mm.col >= 0 && mm.confidence >= 0.6)
            return hdr[mm.col];
    }
    mf_buf cols = {0};
    for (int k = 0; k < n; k++)
        mf_buf_printf(&cols, "%s\"%s\"", k ? ", " : "", hdr[k]);
    say(&r->bad, "which data column \"%s\" is (the data has %s)", name, mf_buf_str(&cols));
    mf_buf_free(&cols);
    return NULL;
}

static bool is_number_type(plan_type t)
{
    return t.base == PT_DECIMAL || t.base == PT_INTEGER || t.base == PT_BIGINT;
}

static plan_prov fb_prov(plan *p, const char *text)
{
    plan_prov v = {0, NULL};
    v.text = mf_arena_printf(&p->arena, "feedback: %s", text);
    return v;
}

static plan_expr *output_ref(plan *p, const char *name)
{
    plan_expr *x = plan_new_expr(p, PE_OUTPUT);
    x->name = plan_strdup(p, name);
    return x;
}

static plan_expr *wrap(plan *p, plan_expr_kind kind, plan_expr *a)
{
    plan_expr *x = plan_new_expr(p, kind);
    x->kid[0] = a;
    return x;
}

/* ---- the edits -------------------------------------------------------------------------------- */

typedef struct edit {
    plan *p;                 /* the copy being edited */
    const fb_context *ctx;
    const ftoks *t;
    const fmatch *m;
    const char *piece;       /* the feedback text of this piece */
    report *r;
} edit;

static int do_negative(edit *d)
{
    char *name;
    int i = find_col_slot(d->p, d->t, d->m, SLOT_C, d->r, &name);
    int rc = 0;
    if (i >= 0 && !is_number_type(d->p->cols[i].type)) {
        char ty[64];
        plan_type_name(d->p->cols[i].type, ty, sizeof ty);
        say(&d->r->bad, "how %s (%s, not a number) can be negative", d->p->cols[i].name, ty);
    } else if (i >= 0) {
        const char *col = d->p->cols[i].name;
        plan_expr *cond = plan_binary(d->p, PB_LT, output_ref(d->p, col), plan_number_lit(d->p, "0"));
        char msg[300];
        snprintf(msg, sizeof msg, "%s is negative", col);
        plan_rule *u = plan_add_rule(d->p, PR_REJECT, cond, msg);
        u->prov = fb_prov(d->p, d->piece);
        say(&d->r->ok, "reject rows where %s < 0", col);
        rc = 1;
    }
    free(name);
    return rc;
}

/* The first multiply/divide by a constant in x: a step, or a binary with a number literal. */
static plan_expr *find_arith(plan_expr *x)
{
    if (!x)
        return NULL;
    if (x->kind == PE_STEP && (x->step.kind == PS_MUL || x->step.kind == PS_DIV))
        return x;
    if (x->kind == PE_BINARY && (x->op == PB_MUL || x->op == PB_DIV) && x->kid[1] && x->kid[1]->kind == PE_NUMBER)
        return x;
    for (int i = 0; i < 3; i++) {
        plan_expr *y = find_arith(x->kid[i]);
        if (y)
            return y;
    }
    return NULL;
}

static bool has_round(const plan_expr *x)
{
    for (; x && (x->kind == PE_STEP || x->kind == PE_BINARY); x = x->kid[0])
        if (x->kind == PE_STEP && x->step.kind == PS_ROUND)
            return true;
    return false;
}


/* The output column the feedback's column slot names (NULL, with the reason said, when none). */
static plan_column *named_column(edit *d)
{
    char *name;
    int i = find_col_slot(d->p, d->t, d->m, SLOT_C, d->r, &name);
    free(name);
    return i < 0 ? NULL : &d->p->cols[i];
}

static int do_arith(edit *d)
{
    plan_column *c = named_column(d);
    if (!c)
        return 0;
    bool div = !strncmp(d->t->v[d->m->from[SLOT_OP]].lower, "div", 3);
    const char *num = d->t->v[d->m->from[SLOT_N]].s;
    if (!is_number_type(c->type)) {
        say(&d->r->bad, "how to %s %s, which is not a number column", div ? "divide" : "multiply", c->name);
        return 0;
    }
    if (div && strspn(num, "0.-") == strlen(num)) {
        say(&d->r->bad, "dividing %s by zero", c->name);
        return 0;
    }
    plan_expr *a = find_arith(c->expr);
    if (a && a->kind == PE_STEP) {
        a->step.kind = div ? PS_DIV : PS_MUL;
        a->step.num = plan_strdup(d->p, num);
    } else if (a) {
        a->op = div ? PB_DIV : PB_MUL;
        a->kid[1] = plan_number_lit(d->p, num);
    } else {
        plan_expr *s = plan_with_step(d->p, c->expr, div ? PS_DIV : PS_MUL);
        s->step.num = plan_strdup(d->p, num);
        c->expr = s;
    }
    say(&d->r->ok, "%s is now %s by %s", c->name, div ? "divided" : "multiplied", num);
    /* division gives 12 decimals: round to what the column holds (an unconstrained decimal keeps
     * them), right after the division so the text reads in order */
    bool bounded = c->type.base != PT_DECIMAL || c->type.prec > 0;
    if (div && bounded && !has_round(c->expr)) {
        if (!a)
            a = c->expr;
        plan_expr *moved = plan_new_expr(d->p, a->kind);
        *moved = *a;
        memset(a, 0, sizeof *a);
        a->kind = PE_STEP;
        a->kid[0] = moved;
        a->step.kind = PS_ROUND;
        a->step.n = c->type.base == PT_DECIMAL ? c->type.scale : 0;
        say(&d->r->ok, "rounded to %ld decimals (the column's scale)", a->step.n);
    }
    return 1;
}

static void rename_source(plan_expr *x, const char *from, const char *to)
{
    if (!x)
        return;
    if (x->kind == PE_SOURCE && x->name && !strcmp(x->name, from))
        x->name = to;
    for (int i = 0; i < 3; i++)
        rename_source(x->kid[i], from, to);
    if (x->kind == PE_STEP) {
        rename_source(x->step.cond, from, to);
        rename_source(x->step.value, from, to);
    }
}

static int do_source(edit *d)
{
    char *name;
    int i = find_col_slot(d->p, d->t, d->m, SLOT_C, d->r, &name);
    free(name);
    char *sname = slot_text(d->t, d->m, SLOT_S);
    const char *src = find_source(d->p, d->ctx, sname, slot_bracket(d->t, d->m, SLOT_S), d->r);
    free(sname);
    if (i < 0 || !src)
        return 0;
    plan_column *c = &d->p->cols[i];
    const char *old = base_source(c->expr);
    if (!old) {
        if (plan_expr_has_hole(c->expr) && c->expr->kind == PE_HOLE) {
            c->expr = plan_source_ref(d->p, src);
            say(&d->r->ok, "%s = [%s]", c->name, src);
            return 1;
        }
        say(&d->r->bad, "which source of %s to replace (its expression reads no single source column)", c->name);
        return 0;
    }
    if (!strcmp(old, src)) {
        say(&d->r->bad, "%s already comes from [%s]: nothing to change", c->name, src);
        return 0;
    }
    const char *to = plan_strdup(d->p, src);
    const char *from = plan_strdup(d->p, old);
    rename_source(c->expr, from, to);
    say(&d->r->ok, "%s now reads [%s] instead of [%s]", c->name, src, old);
    return 1;
}

static int add_rule(edit *d, plan_rule_kind kind, plan_expr *cond, const char *msg, const char *what)
{
    plan_rule *u = plan_add_rule(d->p, kind, cond, msg);
    u->prov = fb_prov(d->p, d->piece);
    say(&d->r->ok, "%s", what);
    return 1;
}

static int do_reject_empty(edit *d)
{
    char *name = slot_text(d->t, d->m, SLOT_S);
    plan_expr *ref = NULL;
    int rc = 0;
    /* an output column named exactly, unless the data has a column of that name too */
    int ci = -1;
    for (int i = 0; i < d->p->ncols && !slot_bracket(d->t, d->m, SLOT_S); i++)
        if (!strcasecmp(d->p->cols[i].name, name))
            ci = i;
    bool in_header = false;
    for (int i = 0; d->ctx && i < d->ctx->nheader; i++)
        in_header |= !strcmp(d->ctx->header[i], name);
    if (ci >= 0 && !in_header) {
        ref = output_ref(d->p, d->p->cols[ci].name);
    } else {
        const char *src = find_source(d->p, d->ctx, name, slot_bracket(d->t, d->m, SLOT_S), d->r);
        if (src)
            ref = plan_source_ref(d->p, src);
    }
    if (ref) {
        char msg[300], what[300];
        snprintf(msg, sizeof msg, "%s is empty", name);
        snprintf(what, sizeof what, "reject rows where %s%s%s is missing", ref->kind == PE_SOURCE ? "[" : "",
                 ref->name, ref->kind == PE_SOURCE ? "]" : "");
        rc = add_rule(d, PR_REJECT, wrap(d->p, PE_MISSING, ref), msg, what);
    }
    free(name);
    return rc;
}

/* Plan-language text, e.g. "AMOUNT > 1000000" or "[Status] is \"X\"". */
static plan_expr *parse_text(edit *d, const char *text)
{
    mf_err pe = {0};
    plan_expr *x = plan_parse_expr(d->p, text, strlen(text), "feedback", &pe);
    if (!x) {
        char m[512];
        mf_err_format(&pe, m, sizeof m);
        say(&d->r->bad, "\"%s\" as a plan condition (%s)", text, m);
    }
    return x;
}

static int do_rule_expr(edit *d, plan_rule_kind kind)
{
    char *text = slot_raw(d->t, d->m, SLOT_X);
    plan_expr *x = parse_text(d, text);
    int rc = 0;
    if (x) {
        char what[600];
        snprintf(what, sizeof what, "%s %s", kind == PR_SKIP ? "skip rows where" : kind == PR_CHECK ? "check" : "reject rows where", text);
        char msg[600];
        snprintf(msg, sizeof msg, kind == PR_CHECK ? "%s does not hold" : "%s", text);
        rc = add_rule(d, kind, x, kind == PR_SKIP ? NULL : msg, what);
    }
    free(text);
    return rc;
}

static plan_expr *value_for(edit *d, const plan_column *c, const char *v, bool quoted)
{
    if (!quoted && is_number_type(c->type)) {
        ftok k = {.s = v};
        if (is_number_tok(&k))
            return plan_number_lit(d->p, v);
    }
    if (!quoted && c->type.base == PT_BOOLEAN && (!strcasecmp(v, "true") || !strcasecmp(v, "false"))) {
        plan_expr *b = plan_new_expr(d->p, PE_BOOL);
        b->flag = !strcasecmp(v, "true");
        return b;
    }
    if (c->type.base == PT_TEXT)
        return plan_text_lit(d->p, v);
    return NULL;
}

static int do_default(edit *d)
{
    char *name;
    int i = find_col_slot(d->p, d->t, d->m, SLOT_C, d->r, &name);
    free(name);
    char *v = slot_text(d->t, d->m, SLOT_V);
    bool quoted = d->m->to[SLOT_V] - d->m->from[SLOT_V] == 1 && d->t->v[d->m->from[SLOT_V]].quoted;
    int rc = 0;
    if (i >= 0) {
        plan_column *c = &d->p->cols[i];
        plan_expr *val = value_for(d, c, v, quoted);
        if (!val) {
            char ty[64];
            plan_type_name(c->type, ty, sizeof ty);
            say(&d->r->bad, "how \"%s\" is a %s value for %s", v, ty, c->name);
        } else {
            plan_expr *top = c->expr;
            if (top && top->kind == PE_STEP && top->step.kind == PS_DEFAULT) {
                top->step.value = val;
            } else {
                plan_expr *s = plan_with_step(d->p, c->expr, PS_DEFAULT);
                s->step.value = val;
                c->expr = s;
            }
            char *shown = plan_render_expr(val);
            say(&d->r->ok, "%s defaults to %s when missing", c->name, shown);
            free(shown);
            rc = 1;
        }
    }
    free(v);
    return rc;
}

static int do_required(edit *d, bool req)
{
    plan_column *c = named_column(d);
    if (!c)
        return 0;
    if (c->required == req) {
        say(&d->r->bad, "%s is already %s: nothing to change", c->name, req ? "required" : "optional");
        return 0;
    }
    c->required = req;
    say(&d->r->ok, "%s is now %s", c->name, req ? "required" : "optional");
    return 1;
}

static bool mentions_literal(const plan_expr *x, const char *v)
{
    if (!x)
        return false;
    if ((x->kind == PE_TEXT || x->kind == PE_NUMBER || x->kind == PE_CONTAINS || x->kind == PE_STARTS ||
         x->kind == PE_ENDS) && x->text && !strcasecmp(x->text, v))
        return true;
    for (int i = 0; x->kind == PE_IN && i < x->nlist; i++)
        if (!strcasecmp(x->list[i], v))
            return true;
    for (int i = 0; i < 3; i++)
        if (mentions_literal(x->kid[i], v))
            return true;
    return false;
}

static bool mentions_column(const plan_expr *x, const char *name)
{
    if (!x)
        return false;
    if ((x->kind == PE_SOURCE || x->kind == PE_OUTPUT) && same_name(x->name, name))
        return true;
    for (int i = 0; i < 3; i++)
        if (mentions_column(x->kid[i], name))
            return true;
    return x->kind == PE_STEP && (mentions_column(x->step.cond, name) || mentions_column(x->step.value, name));
}

/* Remove the rules of kind `kind` (or every kind when kind < 0) that mention `name` as a column
 * or as a literal value. */
static int remove_rules(edit *d, int kind, const char *name, const char *what)
{
    int kept = 0, removed = 0;
    for (int i = 0; i < d->p->nrules; i++) {
        plan_rule *u = &d->p->rules[i];
        bool hit = (kind < 0 || (int)u->kind == kind) && (mentions_column(u->cond, name) || mentions_literal(u->cond, name));
        if (hit) {
            char *c = plan_render_expr(u->cond);
            say(&d->r->ok, "removed \"%s %s\"", u->kind == PR_SKIP ? "skip rows where" : u->kind == PR_CHECK ? "check" : "reject rows where", c);
            free(c);
            removed++;
        } else {
            d->p->rules[kept++] = *u;
        }
    }
    d->p->nrules = kept;
    if (!removed)
        say(&d->r->bad, "which %s: no %s mentions \"%s\"", what, what, name);
    return removed > 0;
}

static int do_remove_rule(edit *d)
{
    const char *w = d->t->v[d->m->from[SLOT_OP]].lower;
    int kind = -1;
    const char *what = "rule";
    if (!strncmp(w, "filter", 6) || !strcmp(w, "skip") || !strcmp(w, "exclusion")) {
        kind = PR_SKIP;
        what = "skip rule";
    } else if (!strcmp(w, "validation") || !strncmp(w, "reject", 6)) {
        kind = PR_REJECT;
        what = "reject rule";
    } else if (!strncmp(w, "check", 5)) {
        kind = PR_CHECK;
        what = "check";
    }
    char *name = slot_text(d->t, d->m, SLOT_S);
    int rc = remove_rules(d, kind, name, what);
    free(name);
    return rc;
}

static int do_dont_exclude(edit *d)
{
    char *v = slot_text(d->t, d->m, SLOT_V);
    int rc = remove_rules(d, PR_SKIP, v, "skip rule");
    free(v);
    return rc;
}

static int do_key(edit *d)
{
    const ftoks *t = d->t;
    const char *names[16];
    int n = 0, rc = 0;
    mf_buf cur = {0};
    bool ok = true;
    for (int i = d->m->from[SLOT_K]; i <= d->m->to[SLOT_K] && ok; i++) {
        bool sep = i == d->m->to[SLOT_K] || (!t->v[i].quoted && (!strcmp(t->v[i].lower, "and") ||
                                                                  !strcmp(t->v[i].lower, ",") ||
                                                                  !strcmp(t->v[i].lower, "&") ||
                                                                  !strcmp(t->v[i].lower, "+")));
        if (!sep) {
            if (cur.len)
                mf_buf_addc(&cur, ' ');
            mf_buf_adds(&cur, t->v[i].s);
            continue;
        }
        if (!cur.len)
            continue;
        int ci = find_col(d->p, mf_buf_str(&cur));
        if (ci < 0) {
            map_match mm = {-1, 0, NULL};
            const char **outs = mf_xmalloc(sizeof *outs * (size_t)(d->p->ncols + 1));
            for (int k = 0; k < d->p->ncols; k++)
                outs[k] = d->p->cols[k].name;
            mm = mapping_match_column(mf_buf_str(&cur), outs, d->p->ncols);
            free(outs);
            if (mm.col >= 0 && mm.confidence >= 0.8)
                ci = mm.col;
        }
        if (ci < 0) {
            say(&d->r->bad, "which column \"%s\" of the key is", mf_buf_str(&cur));
            ok = false;
        } else if (n < 16) {
            for (int k = 0; k < n; k++)
                if (!strcmp(names[k], d->p->cols[ci].name))
                    ci = -1;
            if (ci >= 0)
                names[n++] = d->p->cols[ci].name;
        }
        mf_buf_clear(&cur);
    }
    mf_buf_free(&cur);
    if (ok && n > 0) {
        bool same = n == d->p->nkeys;
        for (int k = 0; same && k < n; k++)
            same = !strcmp(names[k], d->p->keys[k]);
        if (same) {
            say(&d->r->bad, "the key is already %s: nothing to change", names[0]);
            return 0;
        }
        d->p->nkeys = 0;
        mf_buf list = {0};
        for (int k = 0; k < n; k++) {
            plan_add_key(d->p, names[k]);
            mf_buf_printf(&list, "%s%s", k ? ", " : "", names[k]);
        }
        d->p->key_prov = fb_prov(d->p, d->piece);
        say(&d->r->ok, "key %s (unique over the output)", mf_buf_str(&list));
        mf_buf_free(&list);
        rc = 1;
    }
    return rc;
}

static int do_check(edit *d, int cond)
{
    plan_column *c = named_column(d);
    if (!c)
        return 0;
    if (cond != C_PRESENT && !is_number_type(c->type)) {
        say(&d->r->bad, "how %s, which is not a number, is compared with zero", c->name);
        return 0;
    }
    plan *p = d->p;
    plan_expr *ref = output_ref(p, c->name), *x;
    const char *what;
    switch (cond) {
    case C_NONZERO: x = plan_binary(p, PB_NE, ref, plan_number_lit(p, "0")); what = "is zero"; break;
    case C_NONNEG: x = plan_binary(p, PB_GE, ref, plan_number_lit(p, "0")); what = "is negative"; break;
    case C_POSITIVE: x = plan_binary(p, PB_GT, ref, plan_number_lit(p, "0")); what = "is not positive"; break;
    default: x = wrap(p, PE_PRESENT, ref); what = "is missing"; break;
    }
    char msg[300];
    snprintf(msg, sizeof msg, "%s %s", c->name, what);
    char *shown = plan_render_expr(x);
    char ok[400];
    snprintf(ok, sizeof ok, "check %s", shown);
    free(shown);
    return add_rule(d, PR_CHECK, x, msg, ok);
}

static int apply_phrase(edit *d, const struct phrase *ph)
{
    switch (ph->action) {
    case A_NEGATIVE: return do_negative(d);
    case A_ARITH: return do_arith(d);
    case A_SOURCE: return do_source(d);
    case A_REJECT_EMPTY: return do_reject_empty(d);
    case A_REJECT_EXPR: return do_rule_expr(d, PR_REJECT);
    case A_SKIP_EXPR: return do_rule_expr(d, PR_SKIP);
    case A_DEFAULT: return do_default(d);
    case A_REQUIRED: return do_required(d, true);
    case A_OPTIONAL: return do_required(d, false);
    case A_REMOVE_RULE: return do_remove_rule(d);
    case A_DONT_EXCLUDE: return do_dont_exclude(d);
    case A_KEY: return do_key(d);
    case A_CHECK: return do_check(d, ph->arg);
    case A_CHECK_EXPR: return do_rule_expr(d, PR_CHECK);
    }
    return 0;
}

/* One piece of feedback: 1 applied, 0 not (r->bad says why). */
static int apply_piece(plan *p, const char *piece, const fb_context *ctx, report *r)
{
    ftoks t;
    tokenize(piece, &t);
    int rc = 0;
    bool matched = false;
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0] && !matched; i++) {
        fmatch m;
        if (!t.n || !match(phrases[i].pattern, &t, &m))
            continue;
        matched = true;
        edit d = {p, ctx, &t, &m, piece, r};
        rc = apply_phrase(&d, &phrases[i]);
    }
    if (!matched)
        say(&r->bad, "\"%s\"", piece);
    toks_free(&t);
    return rc;
}

/* ---- pieces ----------------------------------------------------------------------------------- */

/* Cut at ";", ". ", " and " (outside quotes and brackets); trims each piece. */
static int cut(const char *text, char ***pieces)
{
    int n = 0;
    char **v = NULL;
    size_t len = strlen(text), a = 0;
    char q = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = text[i];
        if (q) {
            if (c == q)
                q = 0;
            continue;
        }
        if (c == '"' || c == '[') {
            q = c == '[' ? ']' : '"';
            continue;
        }
        size_t skip = 0;
        if (c == ';' || c == '\0')
            skip = 1;
        else if (c == '.' && (text[i + 1] == ' ' || text[i + 1] == '\0'))
            skip = 1;
        else if (!strncasecmp(text + i, " and ", 5))
            skip = 5;
        else if (!strncasecmp(text + i, ", and ", 6))
            skip = 6;
        if (!skip)
            continue;
        size_t b = i;
        while (a < b && isspace((unsigned char)text[a]))
            a++;
        while (b > a && isspace((unsigned char)text[b - 1]))
            b--;
        if (b > a) {
            v = mf_xrealloc(v, (size_t)(n + 1) * sizeof *v);
            v[n++] = mf_xstrndup(text + a, b - a);
        }
        if (c == '\0')
            break;
        i += skip - 1;
        a = i + 1;
    }
    *pieces = v;
    return n;
}

static void free_pieces(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- copies and results ----------------------------------------------------------------------- */

static int copy_plan(const plan *in, plan *out, mf_err *e)
{
    char *text = plan_render(in);
    int rc = plan_parse(text, strlen(text), "plan", out, e);
    free(text);
    return rc;
}

static void finish(report *rep, fb_result *r)
{
    r->understood = mf_xstrdup(mf_buf_str(&rep->ok));
    r->not_understood = mf_xstrdup(mf_buf_str(&rep->bad));
    mf_buf_free(&rep->ok);
    mf_buf_free(&rep->bad);
}

/* The edited copy must type-check (against the data header when known) and differ from in. */
static int conclude(const plan *in, plan *out, const fb_context *ctx, report *rep, fb_result *r)
{
    mf_err ce = {0};
    if (rep->bad.len) {
        /* already not applied: say only why */
    } else if (plan_check(out, ctx ? ctx->header : NULL, ctx ? ctx->nheader : 0, "plan", &ce) < 0) {
        char m[600];
        mf_err_format(&ce, m, sizeof m);
        say(&rep->bad, "the edited plan does not type-check: %s", m);
    } else {
        out->version = in->version;
        if (plan_equal(in, out))
            say(&rep->bad, "the plan would not change");
        out->version = in->version + 1;
    }
    int ok = rep->bad.len == 0;
    finish(rep, r);
    if (!ok) {
        plan_free(out);
        plan_init(out);
    }
    return ok;
}

int feedback_apply(const plan *in, const char *text, const fb_context *ctx, plan *out, fb_result *r, mf_err *e)
{
    report rep = {{0}, {0}};
    memset(r, 0, sizeof *r);
    plan_init(out);
    plan_free(out);
    if (copy_plan(in, out, e) < 0) {
        finish(&rep, r);
        return -1;
    }
    while (text && isspace((unsigned char)*text))
        text++;
    if (!text || !*text) {
        say(&rep.bad, "empty feedback");
        finish(&rep, r);
        plan_free(out);
        plan_init(out);
        return 0;
    }
    /* the whole line first; then its pieces, every one of which must be understood */
    report whole = {{0}, {0}};
    if (apply_piece(out, text, ctx, &whole) == 1 && !whole.bad.len) {
        mf_buf_free(&rep.ok);
        rep = whole;
        return conclude(in, out, ctx, &rep, r);
    }
    char **pieces;
    int n = cut(text, &pieces);
    if (n <= 1) {
        mf_buf_free(&rep.ok);
        rep = whole;
    } else {
        mf_buf_free(&whole.ok);
        mf_buf_free(&whole.bad);
        plan_free(out);
        if (copy_plan(in, out, e) < 0) {
            free_pieces(pieces, n);
            finish(&rep, r);
            return -1;
        }
        for (int i = 0; i < n; i++)
            apply_piece(out, pieces[i], ctx, &rep);
    }
    free_pieces(pieces, n);
    return conclude(in, out, ctx, &rep, r);
}

/* ---- questions -------------------------------------------------------------------------------- */

int feedback_open_items(const plan *p, int *items, int max)
{
    int n = 0;
    for (int i = 0; i < p->nquestions; i++, n++)
        if (n < max)
            items[n] = i;
    for (int i = 0; i < p->ncols; i++) {
        bool asked = false;
        for (int k = 0; k < p->nquestions && !asked; k++)
            asked = p->questions[k].column && !strcmp(p->questions[k].column, p->cols[i].name);
        if (!asked && plan_expr_has_hole(p->cols[i].expr)) {
            if (n < max)
                items[n] = -1 - i;
            n++;
        }
    }
    return n;
}

char *feedback_questions_text(const plan *p)
{
    int items[256];
    int n = feedback_open_items(p, items, 256);
    mf_buf b = {0};
    for (int i = 0; i < n && i < 256; i++) {
        if (items[i] >= 0) {
            const plan_question *q = &p->questions[items[i]];
            mf_buf_printf(&b, "  %d. ", i + 1);
            if (q->column)
                mf_buf_adds(&b, q->column);
            if (q->row)
                mf_buf_printf(&b, "%s(mapping row %d)", q->column ? " " : "", q->row);
            mf_buf_printf(&b, ": %s\n", q->text ? q->text : "");
        } else {
            const char *c = p->cols[-1 - items[i]].name;
            mf_buf_printf(&b, "  %d. %s: its expression still contains ?; what should %s contain?\n", i + 1, c, c);
        }
    }
    for (int i = 0; i < p->nrules; i++)
        if (plan_expr_has_hole(p->rules[i].cond))
            mf_buf_printf(&b, "  -. rule %d: its condition still contains ? (edit it with feedback)\n", i + 1);
    char *r = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

/* Replace every hole in *x by v (or the whole expression when it has none). */
static bool fill_holes(plan_expr **x, plan_expr *v)
{
    if (!*x)
        return false;
    if ((*x)->kind == PE_HOLE) {
        *x = v;
        return true;
    }
    bool any = false;
    for (int i = 0; i < 3; i++)
        any |= fill_holes(&(*x)->kid[i], v);
    if ((*x)->kind == PE_STEP) {
        any |= fill_holes(&(*x)->step.cond, v);
        any |= fill_holes(&(*x)->step.value, v);
    }
    return any;
}

static void remove_question(plan *p, int qi)
{
    if (qi < 0)
        return;
    for (int i = qi; i + 1 < p->nquestions; i++)
        p->questions[i] = p->questions[i + 1];
    p->nquestions--;
}

/* The sources of the column's mapping row (when the mapping is known), else the sources its
 * expression reads; resolved against the header and the profile for the rule vocabulary. */
/* Does text name `name` as whole words (case-insensitive)? */
static bool mentions_name(const char *text, const char *name)
{
    size_t n = strlen(name);
    if (!n)
        return false;
    for (const char *s = text; (s = strcasestr(s, name)) != NULL; s++) {
        bool left = s == text || !isalnum((unsigned char)s[-1]);
        bool right = !isalnum((unsigned char)s[n]);
        if (left && right)
            return true;
    }
    return false;
}

static int rule_sources(plan *p, const fb_context *ctx, int row, const plan_expr *expr, const char *answer,
                        rule_src **out)
{
    const char **names = NULL;
    int n = 0;
    if (ctx && ctx->m)
        for (int i = 0; i < ctx->m->nrows && !n; i++)
            if (ctx->m->rows[i].row == row && ctx->m->rows[i].nsources > 0) {
                names = (const char **)ctx->m->rows[i].sources;
                n = ctx->m->rows[i].nsources;
            }
    if (!n) {   /* the sources the current expression reads, in order, else those the answer names */
        const char *seen[16];
        for (const plan_expr *x = expr; x && n < 16; x = x->kid[0])
            if (x->kind == PE_SOURCE)
                seen[n++] = x->name;
        for (int h = 0; !n && ctx && ctx->header && h < ctx->nheader && n < 16; h++)
            if (mentions_name(answer, ctx->header[h]))
                seen[n++] = ctx->header[h];
        names = mf_arena_alloc(&p->arena, sizeof *names * (size_t)(n ? n : 1));
        memcpy(names, seen, sizeof *names * (size_t)n);
    }
    rule_src *s = mf_arena_alloc(&p->arena, sizeof *s * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        s[i].written = names[i];
        s[i].name = NULL;
        s[i].prof = NULL;
        if (ctx && ctx->header) {
            map_match mm = mapping_match_column(names[i], ctx->header, ctx->nheader);
            if (mm.col >= 0 && mm.confidence >= 0.6)
                s[i].name = ctx->header[mm.col];
        } else {
            s[i].name = names[i];
        }
        for (int k = 0; s[i].name && ctx && ctx->pr && k < ctx->pr->ncols; k++)
            if (!strcmp(ctx->pr->col[k].name, s[i].name))
                s[i].prof = &ctx->pr->col[k];
    }
    *out = s;
    return n;
}

/* The answer read by the rule vocabulary for column ci; NULL when it could not read it. */
static plan_expr *answer_by_rules(plan *p, int ci, int row, const char *text, const fb_context *ctx, report *rep,
                                  mf_err *e, int *failed)
{
    plan_column *c = &p->cols[ci];
    int nq = p->nquestions, nr = p->nrules, nl = p->nlookups;
    rule_src *src = NULL;
    int nsrc = rule_sources(p, ctx, row, c->expr, text, &src);
    rule_ctx rc = {.p = p, .m = ctx ? ctx->m : NULL, .pr = ctx ? ctx->pr : NULL, .row = row, .column = c->name,
                   .type = c->type, .nsrc = nsrc, .src = src};
    rule_result res = {0};
    if (rules_read(&rc, text, &res, e) < 0) {
        *failed = 1;
        return NULL;
    }
    if (!res.understood || !res.expr || plan_expr_has_hole(res.expr)) {
        for (int i = nq; i < p->nquestions; i++)
            say(&rep->bad, "%s", p->questions[i].text);
        if (p->nquestions == nq)
            say(&rep->bad, "\"%s\" as an expression or a rule for %s", text, c->name);
        p->nquestions = nq;
        p->nrules = nr;
        p->nlookups = nl;
        return NULL;
    }
    if (res.required && !c->required) {
        c->required = true;
        say(&rep->ok, "%s is required", c->name);
    }
    for (int i = nr; i < p->nrules; i++)
        p->rules[i].prov = fb_prov(p, text);
    return res.expr;
}

int feedback_answer(const plan *in, int n, const char *text, const fb_context *ctx, plan *out, fb_result *r,
                    mf_err *e)
{
    int items[256];
    int nitems = feedback_open_items(in, items, 256);
    memset(r, 0, sizeof *r);
    plan_init(out);
    report rep = {{0}, {0}};
    if (n < 1 || n > nitems || n > 256) {
        say(&rep.bad, nitems ? "question %d: there are questions 1 to %d" : "question %d: there are no open questions",
            n, nitems);
        finish(&rep, r);
        return 0;
    }
    int qi = items[n - 1];
    const char *column = qi >= 0 ? in->questions[qi].column : in->cols[-1 - qi].name;
    int row = qi >= 0 ? in->questions[qi].row : in->cols[-1 - qi].prov.row;
    while (text && isspace((unsigned char)*text))
        text++;
    if (!text || !*text) {
        say(&rep.bad, "an empty answer");
        finish(&rep, r);
        return 0;
    }
    if (!column) {   /* a general question: the answer is feedback */
        int rc = feedback_apply(in, text, ctx, out, r, e);
        if (rc == 1) {
            remove_question(out, qi);
            mf_buf_adds(&rep.ok, r->understood);
            mf_buf_printf(&rep.ok, "; question %d answered", n);
            free(r->understood);
            free(r->not_understood);
            finish(&rep, r);
        } else {
            mf_buf_free(&rep.ok);
            mf_buf_free(&rep.bad);
        }
        return rc;
    }
    plan_free(out);
    if (copy_plan(in, out, e) < 0) {
        finish(&rep, r);
        return -1;
    }
    int ci = -1;
    for (int i = 0; i < out->ncols; i++)
        if (!strcmp(out->cols[i].name, column))
            ci = i;
    if (ci < 0) {
        say(&rep.bad, "question %d is about %s, which is not a column", n, column);
        finish(&rep, r);
        plan_free(out);
        plan_init(out);
        return 0;
    }
    /* a plan-language expression first (kept when the plan then type-checks), else the rule vocabulary */
    mf_err pe = {0};
    plan_expr *v = plan_parse_expr(out, text, strlen(text), "answer", &pe);
    if (v) {
        plan_column *c = &out->cols[ci];
        if (!fill_holes(&c->expr, v))
            c->expr = v;
        remove_question(out, qi);
        plan_drop_suggestions(out, column);   /* answered: a model's suggestion for it is moot */
        mf_err ce = {0};
        if (plan_check(out, ctx ? ctx->header : NULL, ctx ? ctx->nheader : 0, "plan", &ce) == 0) {
            char *shown = plan_render_expr(c->expr);
            say(&rep.ok, "question %d answered: %s = %s", n, c->name, shown);
            free(shown);
            return conclude(in, out, ctx, &rep, r);
        }
        mf_err_format(&ce, pe.msg, sizeof pe.msg);
        plan_free(out);
        if (copy_plan(in, out, e) < 0) {
            finish(&rep, r);
            return -1;
        }
    }
    int failed = 0;
    report rules_rep = {{0}, {0}};
    v = answer_by_rules(out, ci, row, text, ctx, &rules_rep, e, &failed);
    if (failed) {
        mf_buf_free(&rules_rep.ok);
        mf_buf_free(&rules_rep.bad);
        finish(&rep, r);
        plan_free(out);
        plan_init(out);
        return -1;
    }
    if (v) {
        mf_buf_free(&rep.ok);
        mf_buf_free(&rep.bad);
        rep = rules_rep;
        plan_column *c = &out->cols[ci];
        if (!fill_holes(&c->expr, v))
            c->expr = v;
        remove_question(out, qi);
        plan_drop_suggestions(out, column);   /* answered: a model's suggestion for it is moot */
        char *shown = plan_render_expr(c->expr);
        say(&rep.ok, "question %d answered (read as a rule): %s = %s", n, c->name, shown);
        free(shown);
    } else {
        mf_buf_free(&rules_rep.ok);
        say(&rep.bad, "%s", mf_buf_str(&rules_rep.bad));
        mf_buf_free(&rules_rep.bad);
        if (pe.msg[0])
            say(&rep.bad, "as an expression: %s", pe.msg);
    }
    return conclude(in, out, ctx, &rep, r);
}

void fb_result_free(fb_result *r)
{
    free(r->understood);
    free(r->not_understood);
    r->understood = r->not_understood = NULL;
}
