/* formula_sample.c — a text expression of the plan evaluated on the data sample.
 *
 * A formula often reads a *derived* text: CAST(SUBSTRING(ORDER_TS, 1, 10) AS DATE),
 * VALUE(MID(PaymentTerms, 4, 3)).  To check such a reading against the data the way a source
 * column's is checked (plan/infer.c), this file computes the derived text for every sampled row
 * and hands the values over as a profile column.  It implements the plan language's text
 * semantics (docs/plan-language.md) for the text steps and conditions only; anything else (an
 * output column, a lookup, a number) makes the expression not evaluable, and the caller then reads
 * without a sample check (a stated format) or asks (a format it would have to infer).
 * Invariants: sampled rows are aligned across columns (the profile samples whole records); an
 * empty result is null; characters are code points.
 */
#include "plan/formula_internal.h"
#include "plan/infer.h"

#include "util/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sampler {
    fctx *x;
    long row;
    long nrows;      /* -1 until the first source column fixes it */
    bool bad;        /* not evaluable */
} sampler;

static const char *eval(sampler *s, const plan_expr *e);

static const char *nonempty(const char *v)
{
    return v && *v ? v : NULL;
}

static size_t byte_of_char(const char *v, size_t k)
{
    return mf_utf8_offset(v, strlen(v), k);
}

static const char *slice(sampler *s, const char *v, size_t from_char, size_t nchars)
{
    size_t n = strlen(v), cc = mf_utf8_count(v, n);
    if (from_char >= cc)
        return NULL;
    size_t b = byte_of_char(v, from_char);
    size_t e = from_char + nchars >= cc ? n : byte_of_char(v, from_char + nchars);
    return nonempty(mf_arena_strndup(s->x->a, v + b, e - b));
}

static bool is_space_at(const char *v, size_t i, size_t *len)
{
    if (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r' || v[i] == '\f' || v[i] == '\v') {
        *len = 1;
        return true;
    }
    if ((unsigned char)v[i] == 0xC2 && (unsigned char)v[i + 1] == 0xA0) {   /* NBSP */
        *len = 2;
        return true;
    }
    return false;
}

static const char *trimmed(sampler *s, const char *v)
{
    size_t b = 0, e = strlen(v), l;
    while (b < e && is_space_at(v, b, &l))
        b += l;
    while (e > b) {
        if (e >= 1 && is_space_at(v, e - 1, &l) && l == 1)
            e--;
        else if (e >= 2 && is_space_at(v, e - 2, &l) && l == 2)
            e -= 2;
        else
            break;
    }
    return nonempty(mf_arena_strndup(s->x->a, v + b, e - b));
}

static const char *cased(sampler *s, const char *v, bool up)
{
    char *o = mf_arena_strdup(s->x->a, v);
    for (char *q = o; *q; q++) {
        if ((unsigned char)*q >= 0x80) {   /* beyond ASCII: leave the check to the engine */
            s->bad = true;
            return NULL;
        }
        *q = (char)(up ? toupper((unsigned char)*q) : tolower((unsigned char)*q));
    }
    return o;
}

static const char *padded(sampler *s, const char *v, const plan_step *st, bool left)
{
    size_t cc = mf_utf8_count(v, strlen(v));
    if (!st->s || (long)cc >= st->n)
        return v;
    mf_buf b = {0};
    if (!left)
        mf_buf_adds(&b, v);
    for (long k = (long)cc; k < st->n; k++)
        mf_buf_adds(&b, st->s);
    if (left)
        mf_buf_adds(&b, v);
    const char *r = mf_arena_strdup(s->x->a, mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

static const char *joined(sampler *s, const char *a, const char *b)
{
    return nonempty(mf_arena_printf(s->x->a, "%s%s", a ? a : "", b ? b : ""));
}

static const char *before_after(sampler *s, const char *v, const plan_step *st, bool before)
{
    const char *at = NULL;
    for (const char *q = v; (q = strstr(q, st->s)) != NULL; q++) {
        at = q;
        if (!st->m)
            break;                       /* first occurrence; m = 1: the last */
    }
    if (!at)
        return before ? v : NULL;
    if (before)
        return nonempty(mf_arena_strndup(s->x->a, v, (size_t)(at - v)));
    return nonempty(mf_arena_strdup(s->x->a, at + strlen(st->s)));
}

static const char *replaced(sampler *s, const char *v, const plan_step *st)
{
    return infer_replace_all(s->x->a, v, st->s, st->s2);
}

static const char *squeezed(sampler *s, const char *v)
{
    const char *t = trimmed(s, v);
    if (!t)
        return NULL;
    char *o = mf_arena_strdup(s->x->a, t);
    size_t w = 0, l;
    for (size_t i = 0; t[i];) {
        if (is_space_at(t, i, &l)) {
            o[w++] = ' ';
            while (t[i] && is_space_at(t, i, &l))
                i += l;
        } else {
            o[w++] = t[i++];
        }
    }
    o[w] = 0;
    return o;
}

static const char *digits(sampler *s, const char *v)
{
    char *o = mf_arena_strdup(s->x->a, v);
    size_t w = 0;
    for (size_t i = 0; v[i]; i++)
        if (isdigit((unsigned char)v[i]))
            o[w++] = v[i];
    o[w] = 0;
    return nonempty(o);
}

static const char *step(sampler *s, const plan_expr *e)
{
    const plan_step *st = &e->step;
    if (st->kind == PS_DEFAULT) {
        const char *v = eval(s, e->kid[0]);
        return v || s->bad ? v : eval(s, st->value);
    }
    const char *v = eval(s, e->kid[0]);
    if (!v || s->bad)
        return NULL;
    switch ((int)st->kind) {
    case PS_TRIM: return trimmed(s, v);
    case PS_UPPER: return cased(s, v, true);
    case PS_LOWER: return cased(s, v, false);
    case PS_PAD_LEFT: return padded(s, v, st, true);
    case PS_PAD_RIGHT: return padded(s, v, st, false);
    case PS_PREFIX: return joined(s, st->s, v);
    case PS_SUFFIX: return joined(s, v, st->s);
    case PS_FIRST: return slice(s, v, 0, (size_t)st->n);
    case PS_LAST: {
        size_t cc = mf_utf8_count(v, strlen(v));
        return (long)cc <= st->n ? v : slice(s, v, cc - (size_t)st->n, (size_t)st->n);
    }
    case PS_SUBSTR: return st->m < st->n ? NULL : slice(s, v, (size_t)(st->n - 1), (size_t)(st->m - st->n + 1));
    case PS_BEFORE: return before_after(s, v, st, true);
    case PS_REPLACE: return replaced(s, v, st);
    case PS_SQUISH: return squeezed(s, v);
    case PS_DIGITS: return digits(s, v);
    case PS_STRIP: return infer_strip(s->x->a, v, st->s, st->m == 1);
    case PS_AFTER: return before_after(s, v, st, false);
    default: s->bad = true; return NULL;
    }
}

static bool cond(sampler *s, const plan_expr *e);

static bool compare(sampler *s, const plan_expr *e)
{
    const char *a = eval(s, e->kid[0]), *b = eval(s, e->kid[1]);
    if (!a || !b)
        return false;
    int c = strcmp(a, b);
    switch (e->op) {
    case PB_EQ: return c == 0;
    case PB_NE: return c != 0;
    case PB_LT: return c < 0;
    case PB_LE: return c <= 0;
    case PB_GT: return c > 0;
    case PB_GE: return c >= 0;
    default: s->bad = true; return false;
    }
}

static bool cond(sampler *s, const plan_expr *e)
{
    const char *v;
    switch (e->kind) {
    case PE_CMP: return compare(s, e);
    case PE_MISSING: return !eval(s, e->kid[0]);
    case PE_PRESENT: return eval(s, e->kid[0]) != NULL;
    case PE_IN:
        if (!(v = eval(s, e->kid[0])))
            return false;
        for (int i = 0; i < e->nlist; i++)
            if (!strcmp(v, e->list[i]))
                return true;
        return false;
    case PE_CONTAINS: return (v = eval(s, e->kid[0])) && strstr(v, e->text);
    case PE_STARTS: return (v = eval(s, e->kid[0])) && !strncmp(v, e->text, strlen(e->text));
    case PE_ENDS:
        if (!(v = eval(s, e->kid[0])))
            return false;
        return strlen(v) >= strlen(e->text) && !strcmp(v + strlen(v) - strlen(e->text), e->text);
    case PE_AND: return cond(s, e->kid[0]) && cond(s, e->kid[1]);
    case PE_OR: return cond(s, e->kid[0]) || cond(s, e->kid[1]);
    case PE_NOT: return !cond(s, e->kid[0]);
    default: s->bad = true; return false;
    }
}

static const char *source_value(sampler *s, const char *name)
{
    const prof_column *pc = fx_prof(s->x, name);
    if (!pc || pc->nsample <= 0 || (s->nrows >= 0 && pc->nsample != s->nrows)) {
        s->bad = true;
        return NULL;
    }
    s->nrows = pc->nsample;
    if (s->row >= pc->nsample)
        return NULL;
    const char *v = pc->sample[s->row];
    return v && *v && !infer_is_null_token(pc, v) ? v : NULL;
}

static const char *eval(sampler *s, const plan_expr *e)
{
    if (s->bad || !e)
        return NULL;
    switch (e->kind) {
    case PE_SOURCE: return source_value(s, e->name);
    case PE_TEXT:
    case PE_NUMBER: return nonempty(e->text);
    case PE_NULL: return NULL;
    case PE_BINARY:
        if (e->op != PB_CONCAT)
            break;
        return joined(s, eval(s, e->kid[0]), eval(s, e->kid[1]));
    case PE_STEP: return step(s, e);
    case PE_IF: return cond(s, e->kid[0]) ? eval(s, e->kid[1]) : eval(s, e->kid[2]);
    default: break;
    }
    s->bad = true;
    return NULL;
}

const prof_column *fx_sample_column(fctx *x, const plan_expr *e)
{
    if (e && e->kind == PE_SOURCE)
        return fx_prof(x, e->name);
    sampler s = {.x = x, .row = 0, .nrows = -1};
    (void)eval(&s, e);                  /* fixes nrows (every source column must agree) */
    if (s.bad || s.nrows <= 0)
        return NULL;
    prof_column *pc = mf_arena_alloc(x->a, sizeof *pc);
    char *shown = plan_render_expr(e);
    pc->name = mf_arena_strdup(x->a, shown ? shown : "the derived value");
    free(shown);
    pc->kind = PK_TEXT;
    pc->decimal = '.';
    pc->nsample = s.nrows;
    pc->sample = mf_arena_alloc(x->a, sizeof(char *) * (size_t)s.nrows);
    for (s.row = 0; s.row < s.nrows; s.row++) {
        pc->sample[s.row] = eval(&s, e);
        if (s.bad)
            return NULL;
    }
    return pc;
}
