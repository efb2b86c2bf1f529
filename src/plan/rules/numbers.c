/* numbers.c — number formats (separators, parentheses, trailing minus, currency symbols), sign flips
 * ("negate when Dr/Cr = 'C'"), rounding, scaling ("multiply by 1000", "cents to dollars") and absolute value.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *indicator_source(const reading *r)
{
    for (int i = 1; i < r->c->nsrc; i++)
        if (r->c->src[i].name)
            return r->c->src[i].name;
    return NULL;
}

/* "negate when Dr/Cr = 'C'", "if DC indicator is C then multiply by -1", "credits are negative
 * (Dr/Cr = C)", "reverse sign for credit entries", plus the unconditional forms. */
/* A condition introduced by `word` ("for", "(") in the clause of the negate word at i, tried without leaving a
 * problem when it is not one ("(credit note)").  NULL when none. */
static plan_expr *tried_cond(reading *r, int i, const char *word)
{
    for (int k = 0; k < r->n; k++) {
        bool at = !strcmp(word, "(") ? rd_is_op(r, k, "(") && k > i : rd_is_w(r, k, word);
        if (!at || r->t[k].clause != r->t[i].clause)
            continue;
        int e = k + 1;
        while (e < r->n && r->t[e].clause == r->t[i].clause && !r->t[e].used && !rd_is_op(r, e, "(") &&
               !rd_is_op(r, e, ")") && !rd_is_op(r, e, ",") && !rd_is_op(r, e, ";"))
            e++;
        size_t mark = r->problems.len;
        plan_expr *c = e > k + 1 ? rd_parse_cond(r, k + 1, e) : NULL;
        if (!c) {
            r->problems.len = mark;
            if (r->problems.data)
                r->problems.data[mark] = 0;
            continue;
        }
        rd_use(r, k, k + 1);
        if (rd_is_op(r, e, ")") && !strcmp(word, "("))
            rd_use(r, e, e + 1);
        return c;
    }
    return NULL;
}

/* "(+ become -, - become +)": an explanation of a sign flip. */
static void sign_remarks(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_op(r, k, "("))
            continue;
        int c = k + 1;
        bool plain = true;
        for (; c < r->n && !rd_is_op(r, c, ")"); c++)
            plain &= rd_is_op(r, c, "+") || rd_is_op(r, c, "-") || rd_is_op(r, c, ",") || rd_is_w(r, c, "means") ||
                     rd_is_w(r, c, "to") || rd_is_w(r, c, "and") || rd_is_w(r, c, "positive") || rd_is_w(r, c, "negative");
        if (plain && c < r->n && c > k + 1)
            rd_use(r, k, c + 1);
    }
}

/* "S = neg, H = pos", "D -> +, C -> -": codes of another column that give the sign.  The codes must be in the
 * sample of exactly one column.  Returns true when read. */
static bool sign_codes(reading *r)
{
    const char *neg[8], *pos[8];
    int nneg = 0, npos = 0, at[16], nat = 0;
    for (int k = 0; k + 2 < r->n && nat < 16; k++) {
        if (!(rd_is_k(r, k, TK_STR) && isalnum((unsigned char)r->t[k].w[0])) &&
            !(rd_is_k(r, k, TK_WORD) && !rd_is_operative_word(r->t[k].w) && !rd_is_filler(r->t[k].w) &&
              strlen(r->t[k].orig) <= 4))
            continue;                            /* "trailing minus = neg", "trailing '-' = negative" name no code */
        if (!(rd_is_op(r, k + 1, "=") || rd_is_op(r, k + 1, "->") || rd_is_op(r, k + 1, ":")))
            continue;
        const tok *v = &r->t[k + 2];
        bool n = v->k == TK_WORD && (!strcasecmp(v->orig, "neg") || !strcasecmp(v->orig, "negative") ||
                                     !strcasecmp(v->orig, "minus"));
        bool p = v->k == TK_WORD && (!strcasecmp(v->orig, "pos") || !strcasecmp(v->orig, "positive") ||
                                     !strcasecmp(v->orig, "plus"));
        if (!n && !p)
            continue;
        if (n && nneg < 8)
            neg[nneg++] = rd_value_at(r, k, NULL);
        if (p && npos < 8)
            pos[npos++] = rd_value_at(r, k, NULL);
        at[nat++] = k;
    }
    if (!nneg)
        return false;
    const char *col = NULL;
    int hits = 0;
    for (int c = 0; r->c->pr && c < r->c->pr->ncols; c++) {
        const prof_column *pc = &r->c->pr->col[c];
        bool all = true;                       /* every code, negative and positive, in this column */
        for (int q = 0; q < nneg + npos && all; q++) {
            const char *code = q < nneg ? neg[q] : pos[q - nneg];
            const char *s = infer_sample_value(pc, code);
            all = s && !strcmp(s, code);
        }
        if (all) {
            hits++;
            col = pc->name;
        }
    }
    if (hits != 1) {
        rd_problem(r, "It gives the sign by code ('%s' is negative) but %s column of the data holds that code.", neg[0],
                   hits ? "more than one" : "no");
        return true;
    }
    plan_expr *cond;
    if (nneg == 1) {
        cond = rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, col), neg[0], false);
    } else {
        cond = plan_new_expr(r->p, PE_IN);
        cond->kid[0] = plan_source_ref(r->p, col);
        cond->nlist = nneg;
        cond->list = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)nneg);
        for (int q = 0; q < nneg; q++)
            cond->list[q] = plan_strdup(r->p, neg[q]);
    }
    tstep *s = rd_add_step(r, true, r->t[at[0]].b, PS_NEGATE_WHEN);
    if (s)
        s->st.cond = cond;
    for (int q = 0; q < nat; q++)
        rd_use(r, at[q], at[q] + 3);
    for (int k = 0; k < r->n; k++)
        if (rd_is_op(r, k, ",") || rd_is_op(r, k, ";") || rd_is_w(r, k, "and"))
            r->t[k].used = true;
    return true;
}

/* "When Soll/Haben is 'S' the amount must be negative (money going out), when 'H' it stays positive": the
 * sign on a condition said as a requirement.  Returns true when read. */
static bool negative_when(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_w(r, k, "negative") || !(rd_is_w(r, k - 1, "be") || rd_is_w(r, k - 1, "is") || rd_is_w(r, k - 1, "are")))
            continue;
        int ifw = -1;                           /* "when COND" before it, in its clause */
        for (int q = k - 1; q >= 0 && r->t[q].clause == r->t[k].clause && ifw < 0; q--)
            if (rd_is_w(r, q, "if"))
                ifw = q;                        /* the nearest: "'D' when ..., 'C' when it is negative" */
        if (ifw < 0)
            continue;
        int e = ifw + 1;                        /* the condition ends where the amount is named */
        while (e < k && !(rd_is_w(r, e, "the") && e > ifw + 3) && !rd_is_op(r, e, ","))
            e++;
        size_t mark = r->problems.len;
        plan_expr *c = rd_parse_cond(r, ifw + 1, e);
        if (!c) {
            r->problems.len = mark;
            if (r->problems.data)
                r->problems.data[mark] = 0;
            continue;
        }
        tstep *s = rd_add_step(r, true, r->t[ifw].b, PS_NEGATE_WHEN);
        if (s)
            s->st.cond = c;
        for (int q = ifw; q <= k; q++)          /* "the amount must be negative" */
            if (r->t[q].k == TK_WORD && (!rd_is_operative_word(r->t[q].w) || q == ifw || q == k))
                r->t[q].used = true;
        /* "(money going out), when 'H' it stays positive": the other code keeps its sign */
        for (int q = k + 1; q < r->n && r->t[q].clause == r->t[k].clause; q++)
            if (rd_is_w(r, q, "if") && rd_is_k(r, q + 1, TK_STR)) {
                int p = q + 2;
                while (p < r->n && r->t[p].clause == r->t[k].clause && !rd_is_w(r, p, "positive"))
                    p++;
                if (rd_is_w(r, p, "positive"))
                    for (int u = q; u <= p; u++)
                        if (r->t[u].k != TK_OP || rd_is_op(r, u, ","))
                            r->t[u].used = true;
            }
        return true;
    }
    return false;
}

/* Does "so that" / "such that" lead to a (... "so that debits are positive and credits are negative"), or stand
 * between a and b: a purpose, not an instruction? */
static bool purpose_between(const reading *r, int a, int b)
{
    int from = a;
    while (from > 0 && r->t[from - 1].clause == r->t[a].clause && !rd_is_op(r, from - 1, ",") && !rd_is_op(r, from - 1, ";"))
        from--;
    for (int k = from; k >= 0 && k < b && k + 1 < r->n; k++)
        if ((rd_is_w(r, k, "so") || rd_is_w(r, k, "such")) && rd_is_w(r, k + 1, "that"))
            return true;
    return false;
}

/* "credits are negative", "credit amounts must be negative": "negative" close after the credit word, in its
 * clause and not past a comma ("debits and credits ..., with negatives in parentheses" says no such thing). */
static bool credit_negative(const reading *r, int k)
{
    for (int q = k + 1; q < r->n && q <= k + 5 && r->t[q].clause == r->t[k].clause && !rd_is_op(r, q, ","); q++)
        if (rd_is_w(r, q, "negative"))
            return true;
    return false;
}

void rd_rec_negate(reading *r)
{
    if (sign_codes(r) || negative_when(r))
        return;
    int i = -1, len = 0;
    for (int k = 0; k < r->n && i < 0; k++) {
        if (rd_is_w(r, k, "negate")) i = k, len = 1;
        else if (rd_is_w(r, k, "flip") && rd_is_w(r, k + 1, "sign")) i = k, len = 2;
        else if (rd_is_w(r, k, "flip") && rd_is_w(r, k + 1, "the") && rd_is_w(r, k + 2, "sign")) i = k, len = 3;
        else if ((rd_is_w(r, k, "multiply") || rd_is_w(r, k, "times") || rd_is_w(r, k, "x") || rd_is_op(r, k, "*")) &&
                 (rd_is_op(r, k + 1, "-") || (rd_is_w(r, k + 1, "by") && rd_is_op(r, k + 2, "-")))) {
            int n1 = rd_is_w(r, k + 1, "by") ? k + 3 : k + 2;
            if (rd_is_k(r, n1, TK_NUM) && !strcmp(r->t[n1].w, "1"))
                i = k, len = n1 + 1 - k;
        } else if (rd_is_w(r, k, "multiply") && rd_primary(r)) {
            /* "multiply Amount by -1": the row's own value named between the verb and "by" */
            int by = rd_find_w(r, k + 1, "by");
            if (by > k + 1 && by <= k + 5 && rd_is_op(r, by + 1, "-") && rd_is_k(r, by + 2, TK_NUM) &&
                !strcmp(r->t[by + 2].w, "1")) {
                const char *named = rd_resolve_span(r, k + 1, by);
                if (named && !strcmp(named, rd_primary(r)))
                    i = k, len = by + 3 - k;
            }
        } else if (rd_is_w(r, k, "credit") && credit_negative(r, k) && !rd_is_w(r, k - 1, "minus") &&
                   !purpose_between(r, k, rd_find_w(r, k, "negative"))) {
            i = k, len = 1;               /* not "debit minus credit, ... so that credits are negative" */
        }
    }
    if (i < 0)
        return;
    size_t pos = r->t[i].b;
    rd_use(r, i, i + len);
    /* the condition: "when/if COND", "for COND" ("for documents of type 'CN'"), or "(COND)", or "for
     * credit entries" */
    int ifw = -1;
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "if")) {
            ifw = k;
            break;
        }
    plan_expr *cond = NULL;
    if (ifw < 0)
        cond = tried_cond(r, i, "for");
    if (ifw < 0 && !cond)
        cond = tried_cond(r, i, "(");
    if (cond) {
        sign_remarks(r);
    } else if (ifw >= 0) {
        int e = rd_clause_end(r, ifw + 1);
        if (ifw < i && e > i)
            e = i;
        for (int k = ifw + 1; k < e; k++)
            if (rd_is_w(r, k, "then") || rd_is_op(r, k, ","))
                e = k;
        cond = rd_parse_cond(r, ifw + 1, e);
        if (!cond)
            return;
        rd_use(r, ifw, ifw + 1);
        if (rd_is_op(r, e, ")") || rd_is_w(r, e, "then"))
            rd_use(r, e, e + 1);
    } else {
        /* the trigger itself may be the credit word ("credits are negative"): still which rows are credits? */
        int cr = r->t[i].k == TK_WORD && !strcmp(r->t[i].w, "credit") ? i : rd_find_w(r, 0, "credit");
        if (cr < 0)
            cr = rd_find_w(r, 0, "cr");
        if (cr >= 0) {
            const char *ind = indicator_source(r);
            const prof_column *pc = rd_prof_of(r, ind);
            const char *v = NULL;
            static const char *const CR[] = {"C", "CR", "Credit", "K", "H"};
            for (size_t k = 0; pc && !v && k < sizeof CR / sizeof *CR; k++)
                v = infer_sample_value(pc, CR[k]);
            if (!ind || !v) {
                rd_problem(r, "It negates credits, but I could not tell which field and value mark a credit.");
                return;
            }
            cond = rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, ind), v, false);
            rd_use(r, cr, cr + 1);
            for (int k = 0; k < r->n; k++)
                if (rd_is_w(r, k, "negative") || rd_is_w(r, k, "row") || rd_is_w(r, k, "sign") || rd_is_w(r, k, "for"))
                    r->t[k].used = true;
        }
    }
    for (int k = 0; k < r->n; k++)   /* "credit notes are provided with positive amounts": why the sign flips */
        if (rd_is_w(r, k, "negative") || rd_is_w(r, k, "credit") || rd_is_w(r, k, "sign") ||
            (cond && rd_is_w(r, k, "positive")))
            r->t[k].used = true;
    tstep *s = rd_add_step(r, true, pos, cond ? PS_NEGATE_WHEN : PS_NEGATE);
    if (s)
        s->st.cond = cond;
}

/* "Y/N to true/false", "Yes = true, No = false". */

/* ---- numbers ---- */

/* The separator character named at i: a one-character quoted string, or comma/dot/point/space. */
static char sep_char_at(const reading *r, int i)
{
    if (rd_is_k(r, i, TK_STR) && strlen(r->t[i].w) == 1 && strchr(".,' ", r->t[i].w[0]))
        return r->t[i].w[0];
    if (rd_is_w(r, i, "comma"))
        return ',';
    if (rd_is_w(r, i, "dot") || rd_is_w(r, i, "period") || rd_is_w(r, i, "point") || rd_is_w(r, i, "fullstop"))
        return '.';
    if (rd_is_w(r, i, "space"))
        return ' ';
    if (rd_is_w(r, i, "apostrophe"))
        return '\'';
    return 0;
}

/* Words that link a separator's role and its character: "'.' is the thousands separator",
 * "thousands separator = '.'", "comma as decimal separator". */
static bool sep_link(const reading *r, int i)
{
    static const char *const L[] = {"is", "are", "be", "should", "must", "will", "the", "a", "an", "as", "for",
                                     "used", "being", "uses", "use", "using", "with"};
    if (rd_is_op(r, i, "=") || rd_is_op(r, i, ":"))
        return true;
    for (size_t k = 0; k < sizeof L / sizeof *L; k++)
        if (rd_is_w(r, i, L[k]))
            return true;
    return false;
}

static void set_separator(reading *r, bool thousands, char ch)
{
    bool *named = thousands ? &r->nf_thousands_named : &r->nf_decimal_named;
    char *slot = thousands ? &r->nf.thousands : &r->nf.decimal;
    if (*named && *slot != ch) {
        rd_problem(r, "It names two different %s separators ('%c' and '%c').", thousands ? "thousands" : "decimal",
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
void rd_rec_separators(reading *r)
{
    if (r->c->type.base == PT_TEXT || r->c->type.base == PT_DATE || r->c->type.base == PT_BOOLEAN)
        return;
    for (int k = 0; k < r->n; k++) {
        bool th = rd_is_w(r, k, "thousands");
        if (!th && !rd_is_w(r, k, "decimal"))
            continue;
        int e = k + 1;
        char ch = 0;
        int at = -1;
        int after_point = e + 1;
        while (after_point < r->n && sep_link(r, after_point))
            after_point++;
        if (!th && (rd_is_w(r, e, "comma") || rd_is_w(r, e, "point")) && !rd_is_w(r, e + 1, "separator") &&
            !(rd_is_w(r, e, "point") && after_point > e + 1 && sep_char_at(r, after_point))) {
            ch = sep_char_at(r, e);     /* "decimal comma", "decimal point" */
            at = e++;
        } else if (!th && e == k + 1 && sep_char_at(r, k - 1) && !rd_is_k(r, k - 1, TK_STR) &&
                   !rd_is_w(r, e, "point")) {
            ch = sep_char_at(r, k - 1); /* "comma decimal" */
            at = k - 1;
        } else {
            while (rd_is_w(r, e, "separator") || rd_is_w(r, e, "mark") || rd_is_w(r, e, "symbol") || rd_is_w(r, e, "sign") ||
                   rd_is_w(r, e, "char") || (!th && rd_is_w(r, e, "point")))
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
                    rd_use(r, j, k);
                }
            }
        }
        if (!ch)
            continue;                     /* "remove thousands separators": rec_numfmt */
        rd_use(r, k, e);
        rd_use(r, at, at + 1);
        int lo = at < k ? at : k;         /* "Remove ',' thousands sep" */
        if (rd_is_w(r, lo - 1, "remove") || rd_is_w(r, lo - 1, "strip") || rd_is_w(r, lo - 1, "exclude"))
            rd_use(r, lo - 1, lo);
        set_separator(r, th, ch);
    }
    if (r->nf_thousands_named && r->nf_decimal_named && r->nf.thousands == r->nf.decimal)
        rd_problem(r, "It names '%c' as both the thousands and the decimal separator.", r->nf.decimal);
}

/* "the minus sign after the number", "minus at the end", "minus behind": a trailing minus. */
static bool minus_after(const reading *r, int k)
{
    if (!rd_is_w(r, k, "minus"))
        return false;
    int j = k + 1 + (rd_is_w(r, k + 1, "sign") ? 1 : 0);
    if (rd_is_w(r, j, "after") || rd_is_w(r, j, "behind")) {
        ((reading *)r)->t[j].used = true;
        return true;
    }
    if (rd_is_w(r, j, "at") && rd_is_w(r, j + 1, "the") && rd_is_w(r, j + 2, "ends")) {
        ((reading *)r)->t[j + 2].used = true;
        return true;
    }
    return false;
}

/* The single character a quoted text or a currency operator at i stands for, or 0. */
static char strip_char_at(const reading *r, int i)
{
    if (rd_is_k(r, i, TK_STR) && strlen(r->t[i].w) == 1)
        return r->t[i].w[0];
    if (rd_is_op(r, i, "$"))
        return '$';
    return 0;
}

/* "strip '$' + ','", "remove '$' and ','", "remove ',' '$' and ' '": characters removed from a number.  A
 * currency sign is the number's currency, ',' '.' ' ' or an apostrophe its thousands separator (the sample's
 * decimal separator is never one: a question), anything else is removed before the number is read. */
static void strip_list(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        const char *w = r->t[k].w;            /* (the verb may be read already, by "strip the ... signs") */
        if (r->t[k].k != TK_WORD || !(!strcmp(w, "strip") || !strcmp(w, "remove") || !strcmp(w, "delete") ||
                                      !strcmp(w, "without")))
            continue;
        int v = k + 1;
        while (rd_is_w(r, v, "the") || rd_is_w(r, v, "any") || rd_is_w(r, v, "all"))
            v++;
        int at[8], n = 0, e = v;
        while (n < 8 && strip_char_at(r, e)) {
            at[n++] = e++;
            if ((rd_is_w(r, e, "and") || rd_is_op(r, e, "+") || rd_is_op(r, e, ",") || rd_is_op(r, e, "&")) &&
                strip_char_at(r, e + 1))
                e++;
        }
        bool sep_char = false;
        for (int i = 0; i < n; i++)
            sep_char |= strchr(",. '", strip_char_at(r, at[i])) != NULL;
        if (n < 2 && !(n == 1 && sep_char))
            continue;                         /* one '$' alone: the currency reader below or a text step */
        const prof_column *pc = rd_prof_of(r, rd_primary(r));
        for (int i = 0; i < n; i++) {
            char ch = strip_char_at(r, at[i]);
            if (ch == '$' || !strcmp(r->t[at[i]].w, "\xe2\x82\xac") || !strcmp(r->t[at[i]].w, "\xc2\xa3")) {
                r->nf.currency = plan_strdup(r->p, r->t[at[i]].w);
                r->nf_any = true;
            } else if (strchr(",. '", ch)) {
                if (pc && pc->decimal == ch) {
                    rd_problem(r, "It removes '%c', which the data uses as its decimal separator.", ch);
                    return;
                }
                if (r->nf_thousands_set && r->nf.thousands && r->nf.thousands != ch) {
                    rd_problem(r, "It removes both '%c' and '%c' as thousands separators.", r->nf.thousands, ch);
                    return;
                }
                r->nf.thousands = ch;
                r->nf_any = r->nf_thousands_set = r->nf_thousands_named = true;
            } else {
                tstep *st = rd_add_step(r, false, r->t[at[i]].b, PS_REPLACE);
                if (!st)
                    return;
                st->st.s = plan_strdup(r->p, r->t[at[i]].w);
                st->st.s2 = "";
            }
        }
        rd_use(r, k, e);
    }
}

/* "Amounts are plain numbers with a decimal point": a statement of the format the numbers are read in anyway
 * (the sample must write them so; a decimal comma there asks). */
static void decimal_point_statement(reading *r)
{
    for (int k = 0; k + 1 < r->n; k++) {
        if (!rd_is_w(r, k, "decimal") || !(rd_is_w(r, k + 1, "point") || rd_is_w(r, k + 1, "dot")) ||
            !rd_clause_is_statement(r, r->t[k].clause) || r->nf_decimal_set)
            continue;
        const prof_column *pc = rd_prof_of(r, rd_primary(r));
        if (pc && pc->decimal && pc->decimal != '.') {
            rd_problem(r, "It says the numbers have a decimal point, but [%s] writes them with '%c'.", rd_primary(r),
                       pc->decimal);
            return;
        }
        rd_use(r, k, k + 2);
    }
}

void rd_rec_numfmt(reading *r)
{
    decimal_point_statement(r);
    if (r->c->type.base == PT_TEXT || r->c->type.base == PT_DATE || r->c->type.base == PT_BOOLEAN)
        return;                              /* "the part before the first comma" is no number format */
    strip_list(r);
    for (int k = 0; k < r->n; k++) {
        /* "(x) = neg", "(123) means negative": a number in parentheses written out */
        bool shown = rd_is_op(r, k, "(") && (rd_is_k(r, k + 1, TK_WORD) || rd_is_k(r, k + 1, TK_NUM)) &&
                     rd_is_op(r, k + 2, ")") && strlen(r->t[k + 1].orig) <= 6 &&
                     (rd_is_op(r, k + 3, "=") || rd_is_w(r, k + 3, "means") || rd_is_w(r, k + 3, "is") ||
                      rd_is_op(r, k + 3, "->")) &&
                     (rd_is_w(r, k + 4, "negative") || rd_is_w(r, k + 5, "negative"));
        if (rd_is_w(r, k, "paren") || (rd_is_op(r, k, "(") && rd_is_op(r, k + 1, ")")) || shown) {
            r->nf.paren_negative = r->nf_any = true;
            rd_use(r, k, k + (shown ? 4 : rd_is_op(r, k, "(") ? 2 : 1));
            if (rd_is_w(r, k - 1, "in") && (rd_is_w(r, k - 2, "if") || rd_is_w(r, k - 2, "when")))
                rd_use(r, k - 2, k);          /* "neg if in brackets" */
            else if (rd_is_w(r, k - 1, "if"))
                rd_use(r, k - 1, k);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "negative") || rd_is_w(r, q, "mean") || rd_is_w(r, q, "indicate") || rd_is_w(r, q, "means") ||
                    rd_is_w(r, q, "indicates") || rd_is_w(r, q, "shown") || rd_is_w(r, q, "treat") || rd_is_w(r, q, "as"))
                    r->t[q].used = true;
        } else if ((rd_is_w(r, k, "trailing") && (rd_is_w(r, k + 1, "minus") || rd_is_w(r, k + 1, "negative") ||
                                               rd_is_w(r, k + 1, "sign") ||
                                               (rd_is_k(r, k + 1, TK_STR) && !strcmp(r->t[k + 1].w, "-")))) ||
                   minus_after(r, k)) {
            r->nf.trailing_minus = r->nf_any = true;
            rd_use(r, k, k + 2);
            if (rd_is_op(r, k + 2, "=") && rd_is_w(r, k + 3, "negative"))   /* "trailing minus = neg" */
                rd_use(r, k + 2, k + 4);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "negative") || rd_is_w(r, q, "means") || rd_is_w(r, q, "sign") || rd_is_w(r, q, "minus"))
                    r->t[q].used = true;
        } else if (rd_is_w(r, k, "without") && rd_is_w(r, k + 1, "thousands") && rd_is_w(r, k + 2, "separator")) {
            /* "without thousands separators": plain numbers */
            r->nf_any = r->nf_thousands_set = true;
            r->nf.thousands = 0;
            rd_use(r, k, k + 3);
        } else if ((rd_is_w(r, k, "thousands") && (rd_is_w(r, k + 1, "separator") || rd_is_w(r, k + 1, "comma") ||
                                                rd_is_w(r, k + 1, "mark") || rd_is_w(r, k + 1, "grouping"))) ||
                   (rd_is_w(r, k, "comma") && rd_find_w(r, 0, "decimal") < 0 &&
                    (rd_is_w(r, k - 1, "remove") ||
                     rd_is_w(r, k - 1, "strip") || rd_is_w(r, k - 1, "exclude") || rd_is_w(r, k - 1, "no") ||
                     rd_is_w(r, k - 2, "remove") || rd_is_w(r, k - 2, "strip") || rd_is_w(r, k - 2, "exclude")))) {
            /* "remove thousands separators", "strip commas"; "in thousands" is a scale, not a
             * format, and stays unread (a question) */
            r->nf_any = r->nf_thousands_set = true;
            const prof_column *tpc = rd_prof_of(r, rd_primary(r));
            if (!r->nf.thousands)   /* "remove thousands separators": the one the sample shows */
                r->nf.thousands = tpc && tpc->thousands ? tpc->thousands : ',';
            rd_use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "separator") || rd_is_w(r, q, "remove") || rd_is_w(r, q, "strip") ||
                    rd_is_w(r, q, "comma") || (rd_is_w(r, q, "exclude") && q + 1 < r->n && !strcmp(r->t[q + 1].w, "thousands")))
                    r->t[q].used = true;
        } else if (rd_is_w(r, k, "european") || rd_is_w(r, k, "continental") || rd_is_w(r, k, "german") ||
                   (rd_is_w(r, k, "decimal") && rd_is_w(r, k + 1, "comma"))) {
            bool only_decimal = rd_is_w(r, k, "decimal");
            r->nf_any = r->nf_decimal_set = true;
            if (!r->nf_decimal_named)   /* a separator the rule names itself wins over the label */
                r->nf.decimal = ',';
            if (!only_decimal && !r->nf_thousands_named) {   /* European: 1.234,56 */
                r->nf_thousands_set = true;
                r->nf.thousands = '.';
            }
            rd_use(r, k, k + 1);
            if (rd_is_w(r, k + 1, "comma") || rd_is_w(r, k + 1, "style") || rd_is_w(r, k + 1, "notation") ||
                rd_is_w(r, k + 1, "convention"))
                rd_use(r, k + 1, k + 2);
            /* the example "1.234,56" */
            for (int q = k; q < r->n && q < k + 6; q++)
                if (rd_is_k(r, q, TK_NUM) || rd_is_op(r, q, ",") || rd_is_op(r, q, "(") || rd_is_op(r, q, ")"))
                    r->t[q].used = true;
        } else if (rd_is_op(r, k, "$") || rd_is_op(r, k, "\xe2\x82\xac") || rd_is_op(r, k, "\xc2\xa3") ||
                   (rd_is_w(r, k, "dollar") && rd_is_w(r, k + 1, "sign")) ||
                   (rd_is_w(r, k, "currency") && (rd_find_w(r, 0, "symbol") >= 0 || rd_find_w(r, 0, "sign") >= 0 ||
                                               rd_find_w(r, 0, "remove") >= 0 || rd_find_w(r, 0, "strip") >= 0))) {
            r->nf_any = true;
            const prof_column *pc = rd_prof_of(r, rd_primary(r));
            r->nf.currency = rd_is_k(r, k, TK_OP) ? r->t[k].w : pc && pc->currency ? pc->currency : NULL;
            if (!r->nf.currency) {
                rd_problem(r, "It strips a currency symbol but names none and the sample shows none.");
                return;
            }
            rd_use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "sign") || rd_is_w(r, q, "symbol") || rd_is_w(r, q, "remove") || rd_is_w(r, q, "strip") ||
                    rd_is_w(r, q, "currency") || rd_is_w(r, q, "dollar"))
                    r->t[q].used = true;
        }
    }
}

/* "round to 2 decimals", "round half up to 2 dp", "rnd 2dp", "round up to 0 decimals", "round down", "truncate to
 * 2 decimals"; a bare "2dp" / "2 decimals" after a computation. */
void rd_rec_round(reading *r)
{
    int k = rd_find_w(r, 0, "round");
    if (k < 0)
        k = rd_find_w(r, 0, "truncate");
    if (k < 0) {
        /* "(/100), 2dp": a number of decimal places said on its own, not "with one decimal" */
        for (int q = 0; q + 1 < r->n; q++) {
            if (rd_num_at(r, q) < 0 || !rd_is_w(r, q + 1, "dp") || rd_is_w(r, q - 1, "with") || rd_is_w(r, q - 1, "has") ||
                rd_is_w(r, q - 1, "have") || rd_is_w(r, q - 1, "in"))
                continue;
            tstep *s = rd_add_step(r, true, r->t[q].b, PS_ROUND);
            if (s)
                s->st.n = rd_num_at(r, q);
            rd_use(r, q, q + 2);
            return;
        }
        return;
    }
    int mode = rd_is_w(r, k, "truncate") ? 2 : 0;
    int j = k + 1;
    if (rd_is_w(r, j, "half") && rd_is_w(r, j + 1, "up"))
        j += 2;
    else if (rd_is_w(r, j, "halfup"))      /* "rounded half-up" */
        j++;
    else if (rd_is_w(r, j, "up") && !rd_is_w(r, j + 1, "to") && !rd_is_w(r, j + 1, "half"))
        mode = 1, j++;
    else if (rd_is_w(r, j, "up") && rd_is_w(r, j + 1, "to"))
        mode = 1, j++;
    else if (rd_is_w(r, j, "down"))
        mode = 2, j++;
    j = rd_skip_fill(r, j);
    long n = rd_num_at(r, j);
    if (n < 0 || n > 38) {
        rd_problem(r, "It says to round but not to how many decimals.");
        return;
    }
    int e = j + 1;
    if (rd_is_w(r, e, "dp") || rd_is_w(r, e, "decimal") || rd_is_w(r, e, "char") || rd_is_w(r, e, "d"))
        e++;
    if (rd_is_w(r, e, "dp") || rd_is_w(r, e, "char"))
        e++;
    if (rd_is_w(r, j + 1, "decimal") && rd_is_w(r, j + 2, "dp"))
        e = j + 3;
    tstep *s = rd_add_step(r, true, r->t[k].b, PS_ROUND);
    if (s) {
        s->st.n = n;
        s->st.m = mode;
    }
    rd_use(r, k, e);
    for (int q = 0; q < r->n; q++)
        if (rd_is_w(r, q, "half") || (rd_is_w(r, q, "up") && mode == 0))
            r->t[q].used = true;
}

static bool number_tok(reading *r, int i, const char **num)
{
    if (rd_is_k(r, i, TK_NUM)) {
        *num = r->t[i].w;
        return true;
    }
    if (rd_is_w(r, i, "hundred")) { *num = "100"; return true; }
    if (rd_is_w(r, i, "thousand") || rd_is_w(r, i, "thousands")) { *num = "1000"; return true; }
    if (rd_is_w(r, i, "million")) { *num = "1000000"; return true; }
    return false;
}

/* "multiply by 1000", "x 100", "* 100", "divide by 100", "/1000", "convert cents to dollars". */
/* "in thousands", "in thousand", "(EUR '000)": the value is in thousands.  With an explicit "multiply by 1000"
 * the phrase explains it; alone it multiplies by 1000; any other factor is a contradiction. */
void rd_scale_words(reading *r)
{
    int k = -1;
    for (int q = 0; q + 1 < r->n && k < 0; q++)
        if (rd_is_w(r, q, "in") && rd_is_w(r, q + 1, "thousands"))
            k = q;
    if (k < 0)
        return;
    rd_use(r, k, k + 2);
    for (int q = 0; q < r->n; q++)                          /* "(EUR '000)" */
        if (rd_is_k(r, q, TK_NUM) && !strcmp(r->t[q].orig, "000") && r->t[q].b > 0 && r->text[r->t[q].b - 1] == '\'')
            rd_use(r, q, q + 1);
    for (int q = k + 2; q < r->n && q < k + 5; q++)          /* "in thousands of euros" */
        if (rd_is_w(r, q, "of") && r->t[q + 1].k == TK_WORD && !rd_is_operative_word(r->t[q + 1].w))
            rd_use(r, q, q + 2);
    for (int q = 0; q < r->nnum; q++) {
        const plan_step *st = &r->num_steps[q].st;
        if (st->kind == PS_MUL && !strcmp(st->num, "1000"))
            return;
        if (st->kind == PS_MUL || st->kind == PS_DIV) {
            rd_problem(r, "It says the value is in thousands but scales it by %s.", st->num);
            return;
        }
    }
    tstep *s = rd_add_step(r, true, r->t[k].b, PS_MUL);
    if (s)
        s->st.num = "1000";
}

/* "in basis points", "bps": one basis point is 0.01 percent.  With "percent" / "%" said (or an explicit
 * "divide by 100") the value becomes a percentage (divided by 100); with "decimal" / "fraction" (or
 * "divide by 10000") a fraction (divided by 10000).  An explicit division that agrees is explained by
 * the words; without a stated unit, or with another factor, the rule is a question. */
static void scale_bps(reading *r)
{
    int k = -1, e = -1;
    for (int q = 0; q < r->n && k < 0; q++) {
        if (rd_is_w(r, q, "bps") || rd_is_w(r, q, "bp")) {
            k = q;
            e = q + 1;
        } else if (rd_is_w(r, q, "basis") && (rd_is_w(r, q + 1, "points") || rd_is_w(r, q + 1, "point"))) {
            k = q;
            e = q + 2;
        }
    }
    if (k < 0)
        return;
    int pct = -1, frac = -1;
    for (int q = 0; q < r->n; q++) {
        if (rd_is_w(r, q, "percent") || rd_is_w(r, q, "percentage") || rd_is_w(r, q, "pct") ||
            (rd_is_op(r, q, "%") && !rd_is_k(r, q - 1, TK_NUM)))
            pct = pct < 0 ? q : pct;
        if (rd_is_w(r, q, "fraction") || (rd_is_w(r, q, "decimal") && !rd_is_w(r, q + 1, "separator") &&
                                          !rd_is_w(r, q + 1, "point") && !rd_is_w(r, q + 1, "dp")))
            frac = frac < 0 ? q : frac;
    }
    const plan_step *scale = NULL;
    int nscale = 0;
    for (int q = 0; q < r->nnum; q++)
        if (r->num_steps[q].st.kind == PS_MUL || r->num_steps[q].st.kind == PS_DIV) {
            scale = &r->num_steps[q].st;
            nscale++;
        }
    const char *want = NULL;
    if (pct >= 0 && frac < 0)
        want = "100";
    else if (frac >= 0 && pct < 0)
        want = "10000";
    if (nscale > 1 || (scale && (scale->kind != PS_DIV || (strcmp(scale->num, "100") && strcmp(scale->num, "10000")))) ||
        (scale && want && strcmp(scale->num, want))) {
        rd_problem(r, "It says the value is in basis points but scales it %s %s.",
                   scale && scale->kind == PS_MUL ? "times" : "by", scale ? scale->num : "more than once");
        return;
    }
    if (!scale && !want) {
        rd_problem(r, "It says the value is in basis points but not whether to load it as a percentage "
                      "(divided by 100) or as a fraction (divided by 10000).");
        return;
    }
    rd_use(r, k, e);
    if (rd_is_w(r, k - 1, "in"))
        rd_use(r, k - 1, k);
    if (!scale) {
        tstep *s = rd_add_step(r, true, r->t[k].b, PS_DIV);
        if (s)
            s->st.num = want;
    }
    bool is_pct = scale ? !strcmp(scale->num, "100") : !strcmp(want, "100");
    int unit = is_pct ? pct : frac;
    if (unit >= 0) {
        rd_use(r, unit, unit + 1);
        if (rd_is_w(r, unit - 1, "in") || rd_is_w(r, unit - 1, "to") || rd_is_w(r, unit - 1, "as") ||
            rd_is_w(r, unit - 1, "have") || rd_is_w(r, unit - 1, "get") || rd_is_w(r, unit - 1, "a"))
            rd_use(r, unit - 1, unit);
    }
}

void rd_rec_muldiv(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        bool mul = rd_is_w(r, k, "multiply") || rd_is_w(r, k, "times") || rd_is_w(r, k, "x") || rd_is_op(r, k, "*");
        bool div = rd_is_w(r, k, "divide") || rd_is_op(r, k, "/") || rd_is_op(r, k, "\xc3\xb7");
        if (!mul && !div)
            continue;
        int j = k + 1;
        /* "multiply the number of years by 12": words naming the value itself, then "by" */
        if (rd_is_w(r, k, "multiply") || rd_is_w(r, k, "divide")) {
            int q = j;
            while (q < r->n && q < j + 6 && rd_is_k(r, q, TK_WORD) && !rd_is_w(r, q, "by") && !rd_is_operative_word(r->t[q].w) &&
                   !rd_resolve_name_min(r, r->t[q].orig, 0.95))
                q++;
            if (q > j && rd_is_w(r, q, "by") && rd_num_at(r, q + 1) > 0) {
                rd_use(r, j, q);
                j = q;
            }
        }
        if (rd_is_w(r, j, "by") || (rd_is_w(r, j, "with") && !rd_is_op(r, k, "/")))
            j++;
        const char *num;
        if (!number_tok(r, j, &num))
            continue;
        /* a '/' between two numbers is a fraction or a date, not a division rule */
        if (rd_is_op(r, k, "/") && k > 0 && r->t[k - 1].k == TK_NUM)
            continue;
        /* "(div/0)" names division by zero (a reason), never a step: nothing is divided by 0 */
        if (div && !strcmp(num, "0"))
            continue;
        tstep *s = rd_add_step(r, true, r->t[k].b, mul ? PS_MUL : PS_DIV);
        if (s)
            s->st.num = plan_strdup(r->p, num);
        rd_use(r, k, j + 1);
    }
    /* "convert cents to dollars" divides by 100; "dollars to cents" multiplies.  When the rule
     * already scales by 100 ("Divide by 100 (cents to units)") the phrase explains that step and
     * adds none; a different factor contradicts it. */
    rd_scale_words(r);
    scale_bps(r);
    int c = rd_find_w(r, 0, "cents");
    if (c < 0)
        return;
    int d = -1;
    static const char *const UNITS[] = {"dollars", "dollar", "units", "unit", "euros", "euro", "pounds", "major"};
    for (size_t q = 0; q < sizeof UNITS / sizeof *UNITS && d < 0; q++)
        d = rd_find_w(r, 0, UNITS[q]);
    /* "pence -> GBP", "cents to EUR": a currency code names the units */
    if (d < 0 && (rd_is_op(r, c + 1, "->") || rd_is_w(r, c + 1, "to") || rd_is_w(r, c + 1, "into")) &&
        rd_is_k(r, c + 2, TK_WORD) && strlen(r->t[c + 2].orig) == 3 && isupper((unsigned char)r->t[c + 2].orig[0]) &&
        isupper((unsigned char)r->t[c + 2].orig[2])) {
        d = c + 2;
        rd_use(r, c + 1, c + 2);
    }
    /* "Cents. /100", "amount in cents": the value is in cents, to be read in units */
    if (d < 0) {
        bool explained = false;
        for (int q = 0; q < r->nnum; q++)
            explained |= r->num_steps[q].st.kind == PS_DIV && !strcmp(r->num_steps[q].st.num, "100");
        if (explained || rd_is_w(r, c - 1, "in")) {
            rd_use(r, c, c + 1);
            if (rd_is_w(r, c - 1, "in"))
                rd_use(r, c - 1, c);
            if (!explained) {
                if (r->nnum) {
                    rd_problem(r, "It says the value is in cents but also scales it otherwise.");
                    return;
                }
                tstep *s = rd_add_step(r, true, r->t[c].b, PS_DIV);
                if (s)
                    s->st.num = "100";
            }
        }
        return;
    }
    bool to_units = c < d;
    plan_step_kind want = to_units ? PS_DIV : PS_MUL;
    rd_use(r, c, c + 1);
    rd_use(r, d, d + 1);
    const plan_step *other = NULL;
    for (int q = 0; q < r->nnum; q++) {
        const plan_step *st = &r->num_steps[q].st;
        if (st->kind == want && !strcmp(st->num, "100"))
            return;                       /* the phrase explains this step */
        if (st->kind == PS_DIV || st->kind == PS_MUL)
            other = st;
    }
    if (other) {
        rd_problem(r, "It %s by %s but also says %s, which %s by 100.", other->kind == PS_DIV ? "divides" : "multiplies",
                other->num, to_units ? "cents to units" : "units to cents", to_units ? "divides" : "multiplies");
        return;
    }
    tstep *s = rd_add_step(r, true, r->t[c].b, want);
    if (s)
        s->st.num = "100";
}

/* "the charge divided by the cost, expressed as a percentage", "A / B in percent": a ratio times 100.  Only
 * after a division between fields; anything else that says percentage is left unread (a question). */
void rd_rec_percentage(reading *r)
{
    bool ratio = false;
    for (int i = 1; r->base == B_ARITH && i < r->narith; i++)
        ratio |= r->arith_op[i] == PB_DIV;
    if (!ratio)
        return;
    for (int k = 0; k < r->n; k++) {
        bool pct = rd_is_w(r, k, "percentage") || rd_is_w(r, k, "percent") || rd_is_w(r, k, "pct");
        if (!pct)
            continue;
        int b = k - 1;
        if (rd_is_w(r, b, "a"))
            b--;
        if (!(rd_is_w(r, b, "as") || rd_is_w(r, b, "in") || rd_is_w(r, b, "into")))
            continue;
        if (rd_is_w(r, b - 1, "expressed") || rd_is_w(r, b - 1, "shown") || rd_is_w(r, b - 1, "stated"))
            b--;
        for (int q = 0; q < r->nnum; q++)
            if (r->num_steps[q].st.kind == PS_MUL || r->num_steps[q].st.kind == PS_DIV) {
                rd_problem(r, "It gives the ratio as a percentage but also scales it by %s.", r->num_steps[q].st.num);
                return;
            }
        tstep *s = rd_add_step(r, true, r->t[k].b, PS_MUL);
        if (s)
            s->st.num = "100";
        rd_use(r, b, k + 1);
        return;
    }
}

void rd_rec_abs(reading *r)
{
    int k = rd_find_w(r, 0, "absolute");
    if (k < 0)
        k = rd_find_w(r, 0, "abs");
    if (k < 0)
        return;
    rd_add_step(r, true, r->t[k].b, PS_ABS);
    rd_use(r, k, k + 1);
    for (int q = 0; q < r->n; q++)       /* "record it as a positive number, so take the absolute value" */
        if (rd_is_w(r, q, "positive") && r->t[q].clause == r->t[k].clause)
            rd_use(r, q, q + 1);
}

