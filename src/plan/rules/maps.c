/* maps.c — code maps ("D -> DEBIT, C -> CREDIT, else OTHER") and boolean readings ("Y/N to true/false").
 * A map without an `otherwise` rejects unknown codes: passing them through silently would be a guess.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool rd_truthy(const char *w, bool *val)
{
    if (!strcasecmp(w, "true")) { *val = true; return true; }
    if (!strcasecmp(w, "false")) { *val = false; return true; }
    return false;
}

/* A map's value on a boolean target: true/false, or 1/0 (SQL's BIT). */
static bool bool_value(const char *w, bool *val)
{
    if (!strcmp(w, "1") || !strcmp(w, "0")) {
        *val = w[0] == '1';
        return true;
    }
    return rd_truthy(w, val);
}

static bool true_word(const char *w)
{
    static const char *const T[] = {"y", "yes", "t", "true", "1", "j", "ja", "x", "oui", "si"};
    for (size_t k = 0; k < sizeof T / sizeof *T; k++)
        if (!strcasecmp(w, T[k]))
            return true;
    return false;
}

static bool false_word(const char *w)
{
    static const char *const F[] = {"n", "no", "f", "false", "0", "nein", "non"};
    for (size_t k = 0; k < sizeof F / sizeof *F; k++)
        if (!strcasecmp(w, F[k]))
            return true;
    return false;
}

/* Does the sample of col hold v (exactly)? */
static bool in_sample(const reading *r, const char *col, const char *v)
{
    const prof_column *pc = rd_prof_of(r, col);
    const char *s = pc ? infer_sample_value(pc, v) : NULL;
    return s && !strcmp(s, v);
}

/* "The client flags ... with an 'X' in this column and leaves it blank otherwise ... true/false": one marker
 * value is true, a blank is false, anything else is rejected.  The sample must show just that. */
static void marker_bool(reading *r)
{
    const char *col = rd_primary(r);
    const prof_column *pc = rd_prof_of(r, col);
    if (r->c->type.base != PT_BOOLEAN || !pc || rd_find_w(r, 0, "blank") < 0)
        return;
    int lit = -1;
    for (int k = 0; k < r->n; k++)
        if (rd_is_k(r, k, TK_STR)) {
            if (lit >= 0)
                return;
            lit = k;
        }
    if (lit < 0 || !in_sample(r, col, r->t[lit].w))
        return;
    for (long s = 0; s < pc->nsample; s++)
        if (pc->sample[s] && *pc->sample[s] && strcmp(pc->sample[s], r->t[lit].w))
            return;                           /* another value: not a marker column */
    r->has_map = r->map_bool = true;
    memset(&r->map, 0, sizeof r->map);
    plan_expr *t = plan_new_expr(r->p, PE_BOOL);
    t->flag = true;
    plan_map_add(r->p, &r->map, r->t[lit].w, t);
    r->map.otherwise = PO_REJECT;
    plan_expr *f = plan_new_expr(r->p, PE_BOOL);
    r->deflt = f;                             /* flag = false */
    rd_use(r, lit, lit + 1);
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "blank") || rd_is_w(r, k, "otherwise") || rd_is_w(r, k, "true") || rd_is_w(r, k, "false") ||
            rd_is_w(r, k, "boolean") || rd_is_w(r, k, "bool") || rd_is_w(r, k, "indicator") || rd_is_w(r, k, "flag") ||
            (rd_is_op(r, k, "/") && k > 0 && !strcmp(r->t[k - 1].w, "true")))
            r->t[k].used = true;
}

/* A pair "A/B" or "A or B" at i of a yes-word and a no-word (quoted or bare); the index after it, or -1. */
static int yes_no_pair(const reading *r, int i, const char **yes, const char **no)
{
    const char *a = rd_value_at(r, i, NULL), *b;
    if (!a || !(rd_is_op(r, i + 1, "/") || rd_is_w(r, i + 1, "or")) || !(b = rd_value_at(r, i + 2, NULL)))
        return -1;
    if (rd_is_k(r, i, TK_NUM) != rd_is_k(r, i + 2, TK_NUM) || !true_word(a) || !false_word(b))
        return -1;
    *yes = a;
    *no = b;
    return i + 3;
}

static char *upper_dup(plan *p, const char *s)
{
    char *u = mf_arena_strdup(&p->arena, s);
    for (char *c = u; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return u;
}

/* "In the file it is written 'yes'/'no' or 'Y'/'N' (mixed). Put always Y or N.": spellings of yes and no
 * normalised to one pair of codes on a text target.  The spellings are compared ignoring case (the plan
 * says so: upper cased first); every sampled value must be one of them, and anything else is rejected. */
static void yes_no_codes(reading *r)
{
    const char *col = rd_primary(r);
    const prof_column *pc = rd_prof_of(r, col);
    if (r->c->type.base != PT_TEXT || !pc || r->c->nsrc != 1)
        return;
    int pairs[8], np = 0, out = -1;
    const char *yes[8], *no[8];
    for (int k = 0; k < r->n && np < 8; k++) {
        int e = yes_no_pair(r, k, &yes[np], &no[np]);
        if (e < 0)
            continue;
        /* the output pair: said as what to put ("put always Y or N", "give Y/N", "-> Y/N") */
        int b = k - 1;
        while (b >= 0 && (rd_is_w(r, b, "constant") || rd_is_w(r, b, "only") || rd_is_w(r, b, "either")))
            b--;
        bool put = rd_is_w(r, b, "put") || rd_is_w(r, b, "give") || rd_is_w(r, b, "set") || rd_is_w(r, b, "write") ||
                   rd_is_w(r, b, "return") || rd_is_w(r, b, "load") || rd_is_w(r, b, "to") || rd_is_w(r, b, "into") ||
                   rd_is_op(r, b, "->") || rd_is_w(r, b, "as");
        if (put && out < 0 && e >= r->n - 2)
            out = np;
        pairs[np++] = k;
        k = e - 1;
    }
    if (out < 0 || np < 2 || out != np - 1)
        return;
    /* every sampled value is one of the spellings */
    for (long s = 0; s < pc->nsample; s++) {
        const char *v = pc->sample[s];
        if (!v || !*v)
            continue;
        bool known = false;
        for (int q = 0; q < np && !known; q++)
            known = !strcasecmp(v, yes[q]) || !strcasecmp(v, no[q]);
        if (!known) {
            rd_problem(r, "It lists the spellings of yes and no, but the sample of [%s] also has \"%s\".", col, v);
            return;
        }
    }
    r->has_map = true;
    memset(&r->map, 0, sizeof r->map);
    for (int q = 0; q < np; q++) {
        const char *from[2] = {upper_dup(r->p, yes[q]), upper_dup(r->p, no[q])};
        const char *to[2] = {yes[out], no[out]};
        for (int t = 0; t < 2; t++) {
            bool dup = false;
            for (int m = 0; m < r->map.n && !dup; m++)
                dup = !strcmp(r->map.from[m], from[t]);
            if (!dup)
                plan_map_add(r->p, &r->map, from[t], plan_text_lit(r->p, to[t]));
        }
        rd_use(r, pairs[q], pairs[q] + 3);
    }
    r->map.otherwise = PO_REJECT;
    rd_add_step(r, false, r->t[pairs[0]].b, PS_UPPER);
    int o = pairs[out];
    for (int b = o - 1; b >= 0 && b >= o - 3; b--)
        if (rd_is_w(r, b, "constant") || rd_is_w(r, b, "only") || rd_is_w(r, b, "either"))
            rd_use(r, b, b + 1);
    for (int k = 0; k < r->n; k++)      /* "(mixed)", "or": between the spellings */
        if ((rd_is_w(r, k, "mixed") || rd_is_w(r, k, "or")) && k > pairs[0] && k < o)
            rd_use(r, k, k + 1);
}

/* The code at k: a quoted value, or a word written in capitals ("GJ"); NULL otherwise. */
static const char *code_at(const reading *r, int k)
{
    if (rd_is_k(r, k, TK_STR))
        return r->t[k].w;
    if (!rd_is_k(r, k, TK_WORD))
        return NULL;
    const char *o = r->t[k].orig;
    size_t n = strlen(o);
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)o[i]) && !isdigit((unsigned char)o[i]))
            return NULL;
    return n >= 1 && n <= 12 ? o : NULL;
}

/* A statement that restates a code the reading uses ("only source 'GJ' (general journal) represents manual
 * entries"): read when its other words are descriptive, words of the target's own name, or "only". */
static void restatements(reading *r, const char *code)
{
    for (int c = 0; c < r->nclause; c++) {
        bool has = false, plain = true;
        for (int k = 0; k < r->n; k++) {
            const tok *t = &r->t[k];
            if (t->clause != c || t->used)
                continue;
            if (t->k == TK_STR || t->k == TK_NUM)
                has |= !strcmp(t->w, code), plain &= !strcmp(t->w, code);
            else if (t->k == TK_WORD && rd_is_operative_word(t->w) && strcmp(t->w, "only") &&
                     !(r->c->column && strcasestr(r->c->column, t->orig)))
                plain = false;
        }
        if (!has || !plain || !rd_clause_is_statement(r, c))
            continue;
        for (int k = 0; k < r->n; k++)
            if (r->t[k].clause == c)
                r->t[k].used = true;
    }
}

/* "Set to true for GJ and false otherwise", "Y for 'GJ', N for all others": a flag that is one value for one code
 * of the row's source and the other value for every other row.  The code must be in the source's sample. */
static void flag_for_code(reading *r)
{
    plan_base tb = r->c->type.base;
    if (!rd_primary(r) || (tb != PT_BOOLEAN && tb != PT_TEXT && tb != PT_UNKNOWN))
        return;
    for (int k = 0; k + 4 < r->n; k++) {
        const char *a = rd_value_at(r, k, NULL), *code = code_at(r, k + 2);
        if (!a || !rd_is_w(r, k + 1, "for") || !code)
            continue;
        int j = k + 3;
        if (rd_is_op(r, j, ",") || rd_is_w(r, j, "and"))
            j++;
        if (rd_is_w(r, j, "and"))
            j++;
        const char *b = rd_value_at(r, j, NULL);
        int e = j + 1;                            /* "otherwise", "for all others", "for any other", "else" */
        if (rd_is_w(r, e, "otherwise") || rd_is_w(r, e, "else"))
            e++;
        else if (rd_is_w(r, e, "for") && (rd_is_w(r, e + 1, "all") || rd_is_w(r, e + 1, "any") || rd_is_w(r, e + 1, "every")) &&
                 (rd_is_w(r, e + 2, "others") || rd_is_w(r, e + 2, "other")))
            e += 3 + (rd_is_w(r, e + 2, "other") && rd_is_k(r, e + 3, TK_WORD));
        else
            continue;
        if (!b)
            continue;
        const char *sv = infer_sample_value(rd_prof_of(r, rd_primary(r)), code);
        if (!sv || strcmp(sv, code)) {
            rd_problem(r, "It sets a flag for '%s', which the sample of [%s] does not hold%s.", code, rd_primary(r),
                       sv ? " in that letter case" : "");
            return;
        }
        bool va, vb;
        plan_expr *ta, *tb2;
        if (tb == PT_BOOLEAN) {
            if (!rd_truthy(a, &va) || !rd_truthy(b, &vb) || va == vb)
                continue;
            ta = plan_new_expr(r->p, PE_BOOL);
            ta->flag = va;
            tb2 = plan_new_expr(r->p, PE_BOOL);
            tb2->flag = vb;
        } else {
            ta = plan_text_lit(r->p, a);
            tb2 = plan_text_lit(r->p, b);
        }
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, rd_primary(r)), code, false);
        x->kid[1] = ta;
        x->kid[2] = tb2;
        r->base = B_COND;
        r->cond_value = x;
        int lo = k;
        if (rd_is_w(r, k - 1, "to") && rd_is_w(r, k - 2, "set"))
            lo = k - 2;
        rd_use(r, lo, e);
        restatements(r, code);
        return;
    }
}

void rd_rec_bool(reading *r)
{
    yes_no_codes(r);
    if (r->has_map)
        return;
    marker_bool(r);
    if (r->has_map)
        return;
    flag_for_code(r);
    if (r->base == B_COND)
        return;
    /* "Y/N -> boolean", "J/N to bool": the first is true, the second false, as written and as sampled */
    for (int k = 0; k + 4 < r->n + 1; k++) {
        if (!rd_value_at(r, k, NULL) || !rd_is_op(r, k + 1, "/") || !rd_value_at(r, k + 2, NULL))
            continue;
        int t = k + 3;
        if (rd_is_w(r, t, "to") || rd_is_op(r, t, "->") || rd_is_op(r, t, "=") || rd_is_w(r, t, "as") || rd_is_w(r, t, "into"))
            t++;
        if (!(rd_is_w(r, t, "boolean") || rd_is_w(r, t, "bool")) || r->c->type.base != PT_BOOLEAN)
            continue;
        const char *a = rd_value_at(r, k, NULL), *b = rd_value_at(r, k + 2, NULL);
        if (!true_word(a) || !false_word(b) || !in_sample(r, rd_primary(r), a) || !in_sample(r, rd_primary(r), b))
            continue;
        r->has_map = r->map_bool = true;
        infer_bool_map(r->p, &r->map, a, b);
        rd_use(r, k, t + 1);
        return;
    }
    for (int k = 0; k + 6 < r->n + 4; k++) {
        /* A/B to true/false */
        if (rd_value_at(r, k, NULL) && rd_is_op(r, k + 1, "/") && rd_value_at(r, k + 2, NULL)) {
            int t = k + 3;
            if (rd_is_w(r, t, "to") || rd_is_op(r, t, "->") || rd_is_op(r, t, "="))
                t++;
            bool v1, v2;
            if (rd_is_k(r, t, TK_WORD) && rd_truthy(r->t[t].w, &v1) && rd_is_op(r, t + 1, "/") &&
                rd_is_k(r, t + 2, TK_WORD) && rd_truthy(r->t[t + 2].w, &v2) && v1 != v2) {
                const char *a = rd_value_at(r, k, NULL), *b = rd_value_at(r, k + 2, NULL);
                r->has_map = true;
                r->map_bool = true;
                infer_bool_map(r->p, &r->map, v1 ? a : b, v1 ? b : a);
                rd_use(r, k, t + 3);
                for (int q = 0; q < r->n; q++)
                    if (rd_is_w(r, q, "boolean") || rd_is_w(r, q, "bool"))
                        r->t[q].used = true;
                return;
            }
        }
    }
}

/* ---- code maps ---- */

static bool map_arrow(const reading *r, int i)
{
    if (rd_is_w(r, i, "is") && rd_is_k(r, i - 1, TK_STR) && i + 1 < r->n && r->t[i + 1].k == TK_WORD &&
        isupper((unsigned char)r->t[i + 1].orig[0]))
        return true;                    /* "'A' is Active" */
    if (rd_is_w(r, i, "is") && i > 0 && r->t[i - 1].k == TK_WORD && strlen(r->t[i - 1].orig) <= 3 &&
        isupper((unsigned char)r->t[i - 1].orig[0]) && i + 1 < r->n && r->t[i + 1].k == TK_WORD &&
        strlen(r->t[i + 1].orig) > 1 && isupper((unsigned char)r->t[i + 1].orig[0]) &&
        isupper((unsigned char)r->t[i + 1].orig[1]))
        return true;                    /* "F is FIXED" */
    return rd_is_op(r, i, "->") || rd_is_op(r, i, "=") || rd_is_op(r, i, ":") || rd_is_w(r, i, "means") ||
           rd_is_w(r, i, "to") || rd_is_op(r, i, "==");
}

/* A value that reads as a code or a label: quoted, a number, or a word written with a capital. */
static bool code_like(const reading *r, int i)
{
    if (rd_is_k(r, i, TK_STR))
        return true;
    if (rd_is_k(r, i, TK_WORD))
        return isupper((unsigned char)r->t[i].orig[0]) && !rd_is_filler(r->t[i].w);
    return false;
}

/* More words of an unquoted label after the bare word at i ("Goods receipt, 201 = ..."): up to a
 * separator, the clause's end, a joining word, or the next pair's code. */
static int value_words(const reading *r, int i)
{
    if (!rd_is_k(r, i, TK_WORD))
        return 0;
    int k = i + 1;
    /* "Furniture and fittings": an "and" inside a label, unless a new pair starts after it */
    while (rd_is_k(r, k, TK_WORD) && r->t[k].clause == r->t[i].clause && !map_arrow(r, k + 1) &&
           !(rd_is_w(r, k, "and") && (!rd_is_k(r, k + 1, TK_WORD) || map_arrow(r, k + 2) || rd_is_operative_word(r->t[k + 1].w) ||
                                      rd_is_filler(r->t[k + 1].w))) &&
           !rd_is_w(r, k, "or") && !rd_is_w(r, k, "otherwise") && !rd_is_w(r, k, "if") &&
           !rd_is_operative_word(r->t[k].w))
        k++;
    return k - i - 1;
}

/* Do the map's codes occur in the sample of column col (exactly as written)?  A map none of whose
 * codes is in the sample, or whose codes are there only in another letter case, reads something else:
 * a question, not an output. */
void rd_map_check_sample(reading *r, const plan_map *m, const char *col)
{
    const prof_column *pc = rd_prof_of(r, col);
    if (!pc || pc->nsample <= 0 || m->n <= 0)
        return;
    long nonblank = 0;
    for (long s = 0; s < pc->nsample; s++)
        nonblank += pc->sample[s] && *pc->sample[s];
    if (!nonblank)
        return;
    int exact = 0, other_case = -1;
    for (int k = 0; k < m->n; k++) {
        const char *key = m->from[k];
        for (long s = 0; s < pc->nsample; s++) {
            const char *v = pc->sample[s];
            if (!v)
                continue;
            while (*v == ' ')
                v++;
            size_t n = strlen(v);
            while (n && v[n - 1] == ' ')
                n--;
            if (n == strlen(key) && !strncmp(v, key, n))
                exact++;
            else if (n == strlen(key) && !strncasecmp(v, key, n) && other_case < 0)
                other_case = k;
        }
    }
    if (exact)
        return;
    if (other_case >= 0)
        rd_problem(r, "It maps \"%s\", but the sample of [%s] has it only in another letter case; should the codes "
                      "be compared ignoring case?", m->from[other_case], col);
    else
        rd_problem(r, "None of the codes it maps (\"%s\"%s) occurs in the sample of [%s]: which column holds these "
                      "codes?", m->from[0], m->n > 1 ? ", ..." : "", col);
}

/* Does a pair [b, e) stand alone between separators ("D to Debit, C to Credit"), rather than inside a
 * sentence ("expressed as 'Q1' to 'Q4' (January to March is Q1)")? */
static bool pair_alone(const reading *r, int b, int e)
{
    bool before = b == 0 || r->t[b - 1].clause != r->t[b].clause || rd_is_op(r, b - 1, ",") || rd_is_op(r, b - 1, ";") ||
                  rd_is_op(r, b - 1, ":") || rd_is_w(r, b - 1, "and") || (rd_is_w(r, b - 1, "map") && b == 1);
    bool after = e >= r->n || r->t[e].clause != r->t[b].clause || rd_is_op(r, e, ",") || rd_is_op(r, e, ";") ||
                 rd_is_op(r, e, ".") || rd_is_w(r, e, "and") || rd_is_w(r, e, "otherwise");
    return before && after;
}

/* "numeric ISO: EUR 978, USD 840, GBP 826": pairs of a code and its value without an arrow, after a
 * colon, separated by commas.  Returns the new pair count (n unchanged when there is no such list). */
static int colon_list(reading *r, const char **from, const char **to, bool *tonum, int *at, int *len, int n, int *first,
                      int *last)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_op(r, k, ":"))
            continue;
        int i = k + 1, m = 0;
        while (i + 1 < r->n && m < 16 && code_like(r, i) && rd_value_at(r, i + 1, NULL) && !rd_is_op(r, i + 1, ",") &&
               (rd_is_op(r, i + 2, ",") || i + 2 >= r->n || rd_is_op(r, i + 2, "(") || rd_is_op(r, i + 2, ";") ||
                r->t[i + 2].clause != r->t[i].clause)) {
            m++;
            i += 2;
            if (!rd_is_op(r, i, ","))
                break;
            i++;
        }
        if (m < 2)
            continue;
        n = 0;                                 /* "ccy code -> numeric ISO:" is the list's heading */
        for (int q = 0; q < k; q++)
            if (r->t[q].clause == r->t[k].clause &&
                ((r->t[q].k == TK_WORD && !rd_is_operative_word(r->t[q].w)) || rd_is_op(r, q, "->")))
                r->t[q].used = true;
        i = k + 1;
        for (int q = 0; q < m; q++, i += 3) {
            from[n] = rd_value_at(r, i, NULL);
            to[n] = rd_value_at(r, i + 1, &tonum[n]);
            at[n] = i;
            len[n] = 2;
            n++;
        }
        *first = k + 1;
        *last = i;
        rd_use(r, k, k + 1);
        return n;
    }
    return n;
}

/* "D -> DEBIT, C -> CREDIT", "A = Y, T = N", "Map: 1=Active; 2=Inactive", "'B' means Buy". */
void rd_rec_map(reading *r)
{
    const char *from[64], *to[64];
    bool tonum[64];
    int at[64], len[64];
    int n = 0, first = -1, last = -1;
    int catch_all = -1, catch_len = 0;   /* "blank/other -> Not rated": the value for other codes */
    bool catch_blank = false;
    for (int k = 0; k + 2 < r->n && n < 64; k++) {
        /* "Put Y for J and N for N": the value first, then its code */
        if (rd_is_w(r, k + 1, "for") && code_like(r, k) && code_like(r, k + 2) && !rd_is_w(r, k + 3, "for") &&
            (rd_is_w(r, k - 1, "put") || rd_is_w(r, k - 1, "and") || rd_is_op(r, k - 1, ",") || rd_is_w(r, k - 1, "write"))) {
            from[n] = rd_value_at(r, k + 2, NULL);
            to[n] = rd_value_at(r, k, &tonum[n]);
            at[n] = k;
            len[n] = 3;
            n++;
            if (first < 0)
                first = k;
            last = k + 3;
            if (rd_is_w(r, k - 1, "put") || rd_is_w(r, k - 1, "write"))
                rd_use(r, k - 1, k);
            k += 2;
            continue;
        }
        if ((rd_is_w(r, k, "anything") || rd_is_w(r, k, "everything")) && rd_is_w(r, k + 1, "otherwise") &&
            map_arrow(r, k + 2) && rd_value_at(r, k + 3, NULL) && catch_all < 0) {
            rd_use(r, k + 1, k + 2);       /* "anything else -> 'Other'" */
            catch_all = k + 1;
            catch_len = 3 + value_words(r, k + 3);
            rd_use(r, k, k + 1);
            k += catch_len;
            continue;
        }
        if (!rd_value_at(r, k, NULL) || !map_arrow(r, k + 1) || !rd_value_at(r, k + 2, NULL))
            continue;
        /* "amt: strip '$'": a label before an instruction, not a pair */
        if (rd_is_op(r, k + 1, ":") && r->t[k + 2].k == TK_WORD && rd_is_operative_word(r->t[k + 2].w) &&
            !rd_is_w(r, k + 2, "reject"))
            continue;
        /* "'n/a' -> reject row": rows with that value are rejected (a rule of its own, not a code's value) */
        if (rd_is_w(r, k + 2, "reject") && !rd_is_k(r, k, TK_WORD) && rd_primary(r) && r->c->column) {
            int e = k + 3 + (rd_is_w(r, k + 3, "row") ? 1 : 0);
            if (e < r->n && r->t[e].clause == r->t[k].clause && !rd_is_op(r, e, ";") && !rd_is_op(r, e, ",") &&
                !rd_is_op(r, e, "."))
                continue;
            char msg[160];
            snprintf(msg, sizeof msg, "%s is \"%s\"", rd_primary(r), rd_value_at(r, k, NULL));
            rd_add_rule(r, PR_REJECT, rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, rd_primary(r)), rd_value_at(r, k, NULL), false),
                        msg);
            r->statement = false;             /* the column still has its expression */
            rd_use(r, k, e);
            k = e - 1;
            continue;
        }
        if ((rd_is_w(r, k, "other") || rd_is_w(r, k, "others") || rd_is_w(r, k, "anything") || rd_is_w(r, k, "rest")) &&
            rd_is_k(r, k, TK_WORD) && catch_all < 0) {
            catch_all = k;
            catch_len = 3 + value_words(r, k + 2);
            catch_blank = rd_is_w(r, k - 2, "blank") && (rd_is_op(r, k - 1, "/") || rd_is_w(r, k - 1, "or"));
            k += catch_len - 1;
            continue;
        }
        if (map_arrow(r, k + 3) && !rd_is_w(r, k + 3, "to"))   /* "Map: 1=Active": the pair starts later */
            continue;
        if (rd_is_k(r, k, TK_WORD) && rd_is_filler(r->t[k].w) && !isupper((unsigned char)r->t[k].orig[0]) &&
            !rd_is_w(r, k + 1, "means"))
            continue;
        /* "to" joins codes ("D to Debit"), not instructions ("100 to convert", "cents to dollars") */
        bool tv;                        /* "'Y' to true", "'M' to 1": a truth word or a number is a value too */
        bool to_value = code_like(r, k + 2) || rd_is_k(r, k + 2, TK_NUM) ||
                        (rd_is_k(r, k + 2, TK_WORD) && rd_truthy(r->t[k + 2].w, &tv) && strlen(r->t[k + 2].w) > 1);
        if (rd_is_w(r, k + 1, "to") && (!code_like(r, k) || !to_value || !pair_alone(r, k, k + 3)))
            continue;
        bool num;
        /* "'NONREF' / 'NOTPROVIDED' -> blank": codes joined by '/', "or" or ',' share the value */
        for (int j = k - 2; n < 63 && j >= 0 && (rd_is_op(r, j + 1, "/") || rd_is_w(r, j + 1, "or")) &&
                            (rd_is_k(r, j, TK_STR) || rd_is_k(r, j, TK_NUM) || code_like(r, j)) && !map_arrow(r, j - 1);
             j -= 2) {                     /* "101/501/561 = IN" */
            from[n] = rd_value_at(r, j, NULL);
            to[n] = rd_value_at(r, k + 2, &tonum[n]);
            at[n] = j;
            len[n] = 2;
            n++;
            if (first < 0 || j < first)
                first = j;
        }
        from[n] = rd_value_at(r, k, NULL);
        to[n] = rd_value_at(r, k + 2, &num);
        tonum[n] = num;
        at[n] = k;
        len[n] = 3 + value_words(r, k + 2);
        if (len[n] > 3)                 /* an unquoted label of several words: "Goods receipt" */
            to[n] = mf_arena_strndup(&r->p->arena, r->text + r->t[k + 2].b, r->t[k + len[n] - 1].e - r->t[k + 2].b);
        n++;
        if (first < 0)
            first = k;
        last = k + len[n - 1];
        k += len[n - 1] - 1;
    }
    {   /* a "code value, code value" list after a colon replaces pairs read in its heading */
        int cn = colon_list(r, from, to, tonum, at, len, 0, &first, &last);
        if (cn >= 2) {
            n = cn;
            catch_all = -1;
        }
    }
    if (n < 2 && !(n == 1 && (rd_find_w(r, 0, "map") >= 0 || catch_all >= 0) && !rd_is_w(r, at[0] + 1, "to")))
        return;
    for (int q = 0; q < n; q++)
        rd_use(r, at[q], at[q] + len[q]);
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
        if (!bool_value(to[k], &v))
            all_bool = false;
    }
    bool v0 = false, v1 = false;
    if (bool_target && all_bool && n == 2 && bool_value(to[0], &v0) && bool_value(to[1], &v1) && v0 != v1) {
        r->map_bool = true;
        infer_bool_map(r->p, &r->map, v0 ? from[0] : from[1], v0 ? from[1] : from[0]);
    } else if (bool_target) {
        rd_problem(r, "It maps codes to values that are not one true and one false, but the target is boolean.");
        return;
    } else {
        for (int k = 0; k < n; k++) {
            r->map.from[k] = plan_strdup(r->p, from[k]);
            /* "-> blank": null (an unquoted word; a quoted 'blank' is the text) */
            bool blank = !strcasecmp(to[k], "blank") || !strcasecmp(to[k], "empty") || !strcasecmp(to[k], "null");
            r->map.to[k] = blank ? plan_new_expr(r->p, PE_NULL)
                           : numeric_target && tonum[k] ? plan_number_lit(r->p, to[k]) : plan_text_lit(r->p, to[k]);
        }
    }
    r->map.otherwise = PO_REJECT;
    /* separators between pairs and the word "map" */
    for (int k = first; k < last && k < r->n; k++)
        if (rd_is_op(r, k, ",") || rd_is_op(r, k, ";") || rd_is_op(r, k, "/") || rd_is_w(r, k, "and") || rd_is_op(r, k, "|"))
            r->t[k].used = true;
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "map") || rd_is_w(r, k, "code") || rd_is_w(r, k, "codes"))
            r->t[k].used = true;
    if (catch_all >= 0) {
        bool num;
        const char *val = rd_value_at(r, catch_all + 2, &num);
        if (catch_len > 3)
            val = mf_arena_strndup(&r->p->arena, r->text + r->t[catch_all + 2].b,
                                   r->t[catch_all + catch_len - 1].e - r->t[catch_all + 2].b);
        r->map.otherwise = PO_VALUE;
        r->map.other = numeric_target && num ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
        rd_use(r, catch_all, catch_all + catch_len);
        if (catch_blank) {              /* "blank/other": a blank gets it too */
            r->deflt = r->map.other;
            rd_use(r, catch_all - 2, catch_all);
        }
        return;
    }
    /* the codes a clause restates ("In source is 'J' (ja) or 'N' (nein)") */
    for (int k = 0; k < r->n; k++)
        for (int q = 0; q < n && rd_is_k(r, k, TK_STR); q++)
            if (!strcmp(r->t[k].w, from[q]))
                r->t[k].used = true;
    /* otherwise: "else reject", "otherwise UNKNOWN", "else blank", "else keep" */
    int o = rd_find_w(r, 0, "otherwise");
    static const char *const OTHER[] = {"rest", "others", "other", "anything"};
    for (size_t q = 0; o < 0 && q < sizeof OTHER / sizeof *OTHER; q++)
        o = rd_find_w(r, 0, OTHER[q]);
    if (o >= 0) {
        int v = o + 1;
        if (!rd_is_w(r, v, "keep"))
            v = rd_skip_fill(r, v);
        while ((rd_is_w(r, v, "other") && v + 1 < r->n && r->t[v + 1].k == TK_WORD) || rd_is_w(r, v, "values") ||
               rd_is_w(r, v, "codes") || rd_is_w(r, v, "code") || rd_is_w(r, v, "else") || rd_is_op(r, v, ",") ||
               rd_is_op(r, v, "->") || rd_is_op(r, v, ":") || rd_is_w(r, v, "map") || rd_is_w(r, v, "means") ||
               rd_is_w(r, v, "leave") || rd_is_w(r, v, "type") || rd_is_w(r, v, "types") || rd_is_w(r, v, "give") ||
               rd_is_w(r, v, "gives"))
            v++;
        if (!rd_is_w(r, v, "keep"))
            v = rd_skip_fill(r, v);
        /* "Any other class code should be shown as 'Other'": words naming the codes and a verb, then the
         * value (a plain lower-case word there is never the value itself) */
        static const char *const WORD_VALUES[] = {"reject", "error", "fail", "blank", "asis", "keep", "unmapped", "as",
                                                  "pass"};
        bool word_value = false;
        for (size_t q = 0; q < sizeof WORD_VALUES / sizeof *WORD_VALUES; q++)
            word_value |= rd_is_w(r, v, WORD_VALUES[q]);
        for (int q = v; q < r->n && r->t[q].clause == r->t[o].clause; q++)
            word_value |= rd_is_w(r, q, "reject");      /* read below */
        if (rd_is_k(r, v, TK_WORD) && !word_value && !isupper((unsigned char)r->t[v].orig[0]) &&
            !strpbrk(r->t[v].orig, "0123456789") && v + 1 < r->n && r->t[v + 1].clause == r->t[o].clause &&
            !rd_is_op(r, v + 1, ".")) {
            int q = v;
            while (q < r->n && q < v + 8 && r->t[q].clause == r->t[o].clause && r->t[q].k == TK_WORD &&
                   (r->t[q].used || (!isupper((unsigned char)r->t[q].orig[0]) && !rd_is_operative_word(r->t[q].w) &&
                                     !rd_is_w(r, q, "blank") && !rd_is_w(r, q, "keep") && !rd_is_w(r, q, "asis"))))
                q++;
            if (rd_is_k(r, q, TK_STR) || rd_is_k(r, q, TK_NUM) ||
                (rd_is_k(r, q, TK_WORD) && isupper((unsigned char)r->t[q].orig[0]) && !rd_is_filler(r->t[q].w))) {
                rd_use(r, v, q);
                v = q;
            } else {
                rd_problem(r, "I could not read what to do with other codes.");
                return;
            }
        }
        /* "should any other value appear, the record must be rejected" */
        for (int q = v; q < r->n && r->t[q].clause == r->t[o].clause && !rd_is_w(r, v, "reject"); q++)
            if (rd_is_w(r, q, "reject")) {
                for (int u = v; u < q; u++)
                    if (r->t[u].k == TK_WORD && !rd_is_operative_word(r->t[u].w))
                        r->t[u].used = true;
                v = q;
            }
        if (rd_is_w(r, v, "reject") || rd_is_w(r, v, "error") || rd_is_w(r, v, "fail"))
            r->map.otherwise = PO_REJECT;
        else if (rd_is_w(r, v, "blank"))
            r->map.otherwise = PO_NULL;
        else if (rd_is_w(r, v, "asis") || rd_is_w(r, v, "keep") || rd_is_w(r, v, "unmapped") ||
                 (rd_is_w(r, v, "as") && rd_is_w(r, v + 1, "is")) || (rd_is_w(r, v, "pass") && rd_is_w(r, v + 1, "through")))
            r->map.otherwise = PO_KEEP, v += rd_is_w(r, v, "as") || rd_is_w(r, v, "pass");
        else if (rd_value_at(r, v, NULL)) {
            r->map.otherwise = PO_VALUE;
            bool num;
            const char *val = rd_value_at(r, v, &num);
            r->map.other = numeric_target && num ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
        } else {
            rd_problem(r, "I could not read what to do with other codes.");
            return;
        }
        rd_use(r, o, v + 1);
    }
}

/* "Constant 'GL'", "hardcode USD", "always 'N'", "set to 1", "default value 'ACME'" (no source),
 * "= 'GL'". */
