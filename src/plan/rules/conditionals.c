/* conditionals.c — values chosen by a condition: "When Status Cd = 'A' then 'ACTIVE', when 'I' then
 * 'INACTIVE', otherwise 'UNKNOWN'", "D if amt >= 0, otw C", "flag Y if amt > 10k else N",
 * "if qty < 0 -> 'RETURN' else 'SALE'", "'X' unless Status is blank, otherwise 'Y'".
 *
 * Branches are read in the order written; a branch whose condition is a lone value ("when 'I' then ...")
 * compares the previous branch's field with it.  The result is one `if C then A else B` chain.  A rule
 * that says what to write for some rows but not for the others (no otherwise/else/"if not") is a
 * question: writing null for them would be a guess.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <string.h>

#define MAX_BRANCHES 16

/* A branch value at i: a literal, a number, a bare code word, or blank/null (-> null). */
static plan_expr *branch_value(reading *r, int i);

/* The index after the branch value at i: "no date, leave empty" spans four tokens; a date pattern ("it is
 * YYYYMMDD": the value read with it) is left to the date reader. */
static int value_end(const reading *r, int i)
{
    if (rd_is_k(r, i, TK_DATE))
        return i;
    int e = i + 1;
    if (rd_is_w(r, i, "no") && (rd_is_w(r, i + 1, "date") || rd_is_w(r, i + 1, "value")))
        e = i + 2;
    if (rd_is_w(r, i, "leave"))
        e = i + 2 + rd_is_w(r, i + 1, "it");
    if ((rd_is_w(r, i, "like") || rd_is_w(r, i, "as")) && rd_is_w(r, i + 1, "it") && rd_is_w(r, i + 2, "is"))
        e = i + 3;
    if (rd_is_w(r, i, "as") && rd_is_w(r, i + 1, "is"))   /* "else as is" */
        e = i + 2;
    if (rd_is_op(r, e, ",") && rd_is_w(r, e + 1, "leave") && rd_is_w(r, e + 2, "blank"))
        e += 3;
    return e;
}

static plan_expr *branch_value(reading *r, int i)
{
    /* "it means no date", "leave empty": null; "it is YYYYMMDD": the value itself, read as the date */
    if ((rd_is_w(r, i, "no") && (rd_is_w(r, i + 1, "date") || rd_is_w(r, i + 1, "value"))) ||
        (rd_is_w(r, i, "leave") && (rd_is_w(r, i + 1, "blank") || (rd_is_w(r, i + 1, "it") && rd_is_w(r, i + 2, "blank")))))
        return plan_new_expr(r->p, PE_NULL);
    /* "take like it is", "as it is": the value itself */
    if ((rd_is_w(r, i, "like") || rd_is_w(r, i, "as")) && rd_is_w(r, i + 1, "it") && rd_is_w(r, i + 2, "is") && rd_primary(r) &&
        (r->c->type.base == PT_TEXT || r->c->type.base == PT_UNKNOWN))
        return plan_source_ref(r->p, rd_primary(r));
    if (rd_is_k(r, i, TK_DATE) && rd_primary(r))
        return plan_source_ref(r->p, rd_primary(r));
    if (rd_is_w(r, i, "as") && rd_is_w(r, i + 1, "is") && rd_primary(r) &&
        (r->c->type.base == PT_TEXT || r->c->type.base == PT_UNKNOWN))
        return plan_source_ref(r->p, rd_primary(r));
    if ((rd_is_w(r, i, "asis") || rd_is_w(r, i, "keep") || rd_is_w(r, i, "unchanged")) && rd_primary(r) &&
        (r->c->type.base == PT_TEXT || r->c->type.base == PT_UNKNOWN))
        return plan_source_ref(r->p, rd_primary(r));
    if (rd_is_w(r, i, "blank"))
        return plan_new_expr(r->p, PE_NULL);
    bool num;
    const char *v = rd_value_at(r, i, &num);
    if (!v || (rd_is_k(r, i, TK_WORD) && (rd_is_filler(r->t[i].w) || rd_is_operative_word(r->t[i].w))))
        return NULL;
    plan_base tb = r->c->type.base;
    bool b;
    if (tb == PT_BOOLEAN && rd_truthy(v, &b)) {
        plan_expr *x = plan_new_expr(r->p, PE_BOOL);
        x->flag = b;
        return x;
    }
    if (num && rd_numeric_base(tb))
        return plan_number_lit(r->p, v);
    if (rd_numeric_base(tb) || tb == PT_BOOLEAN || tb == PT_DATE)
        return NULL;
    return plan_text_lit(r->p, v);
}

/* Skip the words that introduce a value: "put", "then", "->", "use", "set to", "write", ",". */
static int skip_to_value(const reading *r, int i)
{
    while (i < r->n && (rd_is_w(r, i, "then") || rd_is_op(r, i, "->") || rd_is_op(r, i, ",") || rd_is_op(r, i, ":") ||
                        rd_is_op(r, i, "=") || rd_is_w(r, i, "put") || rd_is_w(r, i, "use") || rd_is_w(r, i, "set") ||
                        rd_is_w(r, i, "to") || rd_is_w(r, i, "write") || rd_is_w(r, i, "return") || rd_is_w(r, i, "the") ||
                        rd_is_w(r, i, "value") || (rd_is_w(r, i, "as") && !rd_is_w(r, i + 1, "is")) || rd_is_w(r, i, "flag") || rd_is_w(r, i, "mark") ||
                        rd_is_w(r, i, "take") || rd_is_w(r, i, "target") || rd_is_w(r, i, "field") ||
                        (rd_is_w(r, i, "it") && !rd_is_w(r, i - 1, "like") && !rd_is_w(r, i - 1, "as")) ||
                        rd_is_w(r, i, "means") || (rd_is_w(r, i, "is") && i + 1 < r->n &&
                                                                          r->t[i + 1].k != TK_WORD) ||
                        (rd_is_w(r, i, "is") && rd_is_k(r, i + 1, TK_DATE)) ||
                        rd_is_w(r, i, "give")))
        i++;
    return i;
}

/* Does a condition that started at k end at i ("then", "->", ",", "put ...")? */
static bool cond_stops(const reading *r, int i)
{
    return rd_is_w(r, i, "then") || rd_is_op(r, i, "->") || rd_is_op(r, i, ",") || rd_is_w(r, i, "put") ||
           rd_is_w(r, i, "use") || rd_is_w(r, i, "set") || rd_is_w(r, i, "write") || rd_is_w(r, i, "return") ||
           rd_is_w(r, i, "otherwise") || rd_is_w(r, i, "if") || rd_is_op(r, i, ";") || rd_is_w(r, i, "means") ||
           rd_is_w(r, i, "leave") ||
           (rd_is_w(r, i, "it") && (rd_is_w(r, i + 1, "means") || rd_is_w(r, i + 1, "is")));
}

/* A branch condition on [b, e): a full condition, or a lone value compared like the previous branch. */
static plan_expr *branch_cond(reading *r, int b, int e, const plan_expr *prev)
{
    int v = rd_skip_fill(r, b);
    if (prev && prev->kind == PE_CMP && v + 1 == e && rd_value_at(r, v, NULL) && !rd_is_w(r, v, "blank")) {
        bool num;
        const char *val = rd_value_at(r, v, &num);
        rd_use(r, b, e);
        return rd_cmp_expr(r, prev->op, prev->kid[0], val, prev->kid[1]->kind == PE_NUMBER);
    }
    return rd_parse_cond(r, b, e);
}

static plan_expr *negated(reading *r, plan_expr *c)
{
    plan_expr *x = plan_new_expr(r->p, PE_NOT);
    x->kid[0] = c;
    return x;
}

/* Is there a word for the other rows (otherwise, else, all others, if not)?  Without one the rule is
 * not a value choice this recognizer reads ("if blank then 'USD'" is a default). */
static bool has_other_word(const reading *r)
{
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "otherwise") || rd_is_w(r, k, "others") || (rd_is_w(r, k, "if") && rd_is_w(r, k + 1, "not")))
            return true;
    return false;
}

/* Are c and d complementary sign tests of one value (>= 0 and < 0, > 0 and <= 0)? */
static bool complementary(const plan_expr *c, const plan_expr *d)
{
    if (c->kind != PE_CMP || d->kind != PE_CMP || c->kid[1]->kind != PE_NUMBER || d->kid[1]->kind != PE_NUMBER ||
        strcmp(c->kid[1]->text, "0") || strcmp(d->kid[1]->text, "0"))
        return false;
    const plan_expr *a = c->kid[0], *b = d->kid[0];
    bool same = a == b || (a->kind == PE_OUTPUT && b->kind == PE_OUTPUT && !strcmp(a->name, b->name));
    int x = c->op, y = d->op;
    return same && ((x == PB_GE && y == PB_LT) || (x == PB_LT && y == PB_GE) || (x == PB_GT && y == PB_LE) ||
                    (x == PB_LE && y == PB_GT));
}

/* "'D' when the amount is zero or positive, 'C' when it is negative": two values, each before its condition,
 * whose conditions are complementary sign tests of one value: every row gets one of them. */
static void value_when_pair(reading *r)
{
    for (int k = 1; k < r->n; k++) {
        if (!(rd_is_w(r, k, "when") || rd_is_w(r, k, "if")) || r->t[k - 1].used)
            continue;
        plan_expr *v1 = branch_value(r, k - 1);
        if (!v1)
            continue;
        int e = k + 1;
        while (e < r->n && !rd_is_op(r, e, ",") && !rd_is_op(r, e, ";") && r->t[e].clause == r->t[k].clause)
            e++;
        int k2 = e + 1 + (rd_is_w(r, e + 1, "and") ? 1 : 0) + 1;   /* ", 'C' when ..." */
        if (!rd_is_op(r, e, ",") || !(rd_is_w(r, k2, "when") || rd_is_w(r, k2, "if")) || r->t[k2].clause != r->t[k].clause)
            continue;
        plan_expr *v2 = branch_value(r, k2 - 1);
        if (!v2)
            continue;
        int e2 = k2 + 1;
        while (e2 < r->n && !rd_is_op(r, e2, ",") && !rd_is_op(r, e2, ";") && !rd_is_op(r, e2, ".") &&
               r->t[e2].clause == r->t[k].clause)
            e2++;
        plan_expr *c1 = rd_parse_cond(r, k + 1, e);
        plan_expr *c2 = c1 ? rd_parse_cond(r, k2 + 1, e2) : NULL;
        if (!c1 || !c2)
            return;
        if (!complementary(c1, c2)) {
            rd_problem(r, "It gives a value for two conditions, but not for rows that meet neither.");
            return;
        }
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = c1;
        x->kid[1] = v1;
        x->kid[2] = v2;
        r->base = B_COND;
        r->cond_value = x;
        rd_use(r, k - 1, e2);
        return;
    }
}

/* Branches without a value for the other rows, each "the row's own value = a code" with a literal value
 * ("When code = 'M' then set the target to 1, when code = 'F' then set to 2"): a code map, whose other codes
 * are rejected like any map without an otherwise (and checked against the sample the same way). */
static bool branches_as_map(reading *r, plan_expr **cond, plan_expr **val, int nb)
{
    const char *own = rd_primary(r);
    if (nb < 2 || !own || r->c->type.base == PT_BOOLEAN)
        return false;
    for (int i = 0; i < nb; i++) {
        const plan_expr *c = cond[i];
        if (c->kind != PE_CMP || c->op != PB_EQ || !c->kid[0] || c->kid[0]->kind != PE_SOURCE ||
            strcmp(c->kid[0]->name, own) || !c->kid[1] || (c->kid[1]->kind != PE_TEXT && c->kid[1]->kind != PE_NUMBER))
            return false;
        if (val[i]->kind != PE_TEXT && val[i]->kind != PE_NUMBER && val[i]->kind != PE_NULL)
            return false;
        for (int j = 0; j < i; j++)
            if (!strcmp(cond[j]->kid[1]->text, c->kid[1]->text))
                return false;                 /* one code twice: not a map */
    }
    /* the branches must name every sampled code: a value the rule leaves out would be rejected on a guess */
    const prof_column *pc = rd_prof_of(r, own);
    for (long q = 0; pc && q < pc->nsample; q++) {
        const char *v = pc->sample[q];
        bool named = !v || !*v;
        for (int i = 0; i < nb && !named; i++)
            named = !strcmp(cond[i]->kid[1]->text, v);
        if (!named) {
            rd_problem(r, "It says what to write for some codes, but not for '%s', which the data has.", v);
            return true;
        }
    }
    r->has_map = true;
    r->map.n = nb;
    r->map.from = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)nb);
    r->map.to = mf_arena_alloc(&r->p->arena, sizeof(plan_expr *) * (size_t)nb);
    for (int i = 0; i < nb; i++) {
        r->map.from[i] = cond[i]->kid[1]->text;
        r->map.to[i] = val[i];
    }
    r->map.otherwise = PO_REJECT;
    return true;
}

/* "Transactions of 10,000 or more require a second approval ... Please flag them 'HIGH' and all others 'NORMAL'":
 * the rows a previous clause describes (a row word, then "of"/"with"/"over" and a number phrase about the row's own
 * value), a value for "them", and a value for all others.  The rest of the describing clause gives the reason. */
static void described_then_value(reading *r)
{
    for (int t = 1; t < r->n; t++) {
        if (!(rd_is_w(r, t, "them") || rd_is_w(r, t, "these") || rd_is_w(r, t, "those")) || r->t[t].used)
            continue;
        int v = t + 1, vb = t - 1;
        if (!(rd_is_w(r, vb, "flag") || rd_is_w(r, vb, "mark") || rd_is_w(r, vb, "set") || rd_is_w(r, vb, "put") ||
              rd_is_w(r, vb, "label")))
            return;
        if (rd_is_w(r, v, "as") || rd_is_w(r, v, "to") || rd_is_w(r, v, "with"))
            v++;
        if (!rd_is_k(r, v, TK_STR))
            return;
        plan_expr *yes = branch_value(r, v);
        int o = v + 1 + (rd_is_w(r, v + 1, "and") || rd_is_op(r, v + 1, ",") ? 1 : 0);
        o += rd_is_w(r, o, "all");
        if (!yes || !(rd_is_w(r, o, "others") || rd_is_w(r, o, "otherwise")) || !rd_is_k(r, o + 1, TK_STR))
            return;
        plan_expr *no = branch_value(r, o + 1);
        if (!no)
            return;
        /* the describing clause: before this one, a row word then of/with/over ... */
        int c = r->t[t].clause - 1, rw = -1;
        for (int k = 0; k < r->n && rw < 0; k++)
            if (r->t[k].clause == c && rd_is_w(r, k, "row") && !r->t[k].used &&
                (rd_is_w(r, k + 1, "of") || rd_is_w(r, k + 1, "with") || rd_is_w(r, k + 1, "over") ||
                 rd_is_w(r, k + 1, "above") || rd_is_w(r, k + 1, "below") || rd_is_w(r, k + 1, "under")))
                rw = k;
        if (rw < 0)
            return;
        /* "of 10,000 or more", "with 0 or less", "over 500", "below 0": a number about the row's own value */
        int q = rw + 1, op = 0;
        if (rd_is_w(r, q, "over") || rd_is_w(r, q, "above"))
            op = PB_GT, q++;
        else if (rd_is_w(r, q, "below") || rd_is_w(r, q, "under"))
            op = PB_LT, q++;
        else
            q++;                              /* of / with */
        if (!rd_is_k(r, q, TK_NUM) || !rd_primary(r))
            return;
        const char *num = r->t[q].w;
        int ce = q + 1;
        if (!op && rd_is_w(r, ce, "or") && (rd_is_w(r, ce + 1, "more") || rd_is_w(r, ce + 1, "above")))
            op = PB_GE, ce += 2;
        else if (!op && rd_is_w(r, ce, "or") && (rd_is_w(r, ce + 1, "less") || rd_is_w(r, ce + 1, "below")))
            op = PB_LE, ce += 2;
        if (!op)
            return;
        plan_expr *f = infer_read_number(r->p, plan_source_ref(r->p, rd_primary(r)), rd_prof_of(r, rd_primary(r)), NULL,
                                         false, &r->problems);
        if (!f)
            return;
        plan_expr *cond = rd_cmp_expr(r, op, f, num, true);
        /* the rest of the describing clause is its reason: no literal, number, column or negation in it */
        for (int k = 0; k < r->n; k++) {
            const tok *x = &r->t[k];
            if (x->clause != c || x->used || (k >= rw && k < ce))
                continue;
            if (x->k == TK_STR || x->k == TK_NUM || x->k == TK_DATE || rd_is_w(r, k, "not") || rd_is_w(r, k, "no") ||
                (x->k == TK_WORD && !rd_is_filler(x->w) && rd_resolve_name_min(r, x->orig, 0.95)) ||
                (x->k == TK_WORD && isupper((unsigned char)x->orig[0]) && isupper((unsigned char)x->orig[1])) ||
                rd_is_w(r, k, "only") || rd_is_w(r, k, "except") || rd_is_w(r, k, "unless") || rd_is_w(r, k, "if"))
                return;                       /* "... in USD", "except ...": a restriction, not a reason */
        }
        for (int k = 0; k < r->n; k++)
            if (r->t[k].clause == c)
                r->t[k].used = true;
        rd_use(r, vb, o + 2);
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = cond;
        x->kid[1] = yes;
        x->kid[2] = no;
        r->base = B_COND;
        r->cond_value = x;
        return;
    }
}

/* "Copy the amount unless Status = 'VOID', in which case 0", "amount as is, unless Status is 'VOID' (then 0)",
 * "keep the code except when Region = 'X', then 'OTHER'": the value the rest of the rule reads, replaced by a
 * literal when the condition holds.  The condition must be followed by a word that introduces the value ("in
 * which case", "then", "->", "use"); a rule with otherwise/else is a value choice (below), not this. */
static void unless_in_which_case(reading *r)
{
    if (has_other_word(r))
        return;
    for (int k = 0; k < r->n; k++) {
        int b;
        if (rd_is_w(r, k, "unless"))
            b = k + 1;
        else if (rd_is_w(r, k, "except") && (rd_is_w(r, k + 1, "when") || rd_is_w(r, k + 1, "if") || rd_is_w(r, k + 1, "where")))
            b = k + 2;
        else
            continue;
        if (r->t[k].used || k == 0)
            continue;                      /* the value comes first: "unless ..." opening the rule is a choice */
        /* the condition ends at "in which case", "then", "->", "use": */
        int e = b, v = -1, paren = 0;
        for (; e < r->n && r->t[e].clause == r->t[k].clause; e++) {
            int q = e;
            if (rd_is_op(r, q, ",") || rd_is_op(r, q, "-") || (rd_is_op(r, q, "(") && (paren = 1)))
                q++;
            if (rd_is_w(r, q, "in") && rd_is_w(r, q + 1, "which") && rd_is_w(r, q + 2, "case")) {
                v = q + 3;
                break;
            }
            if (rd_is_w(r, q, "then") || rd_is_op(r, q, "->") || rd_is_w(r, q, "use") || rd_is_w(r, q, "put") ||
                rd_is_w(r, q, "write") || rd_is_w(r, q, "set")) {
                v = q;
                break;
            }
            paren = 0;
        }
        if (v < 0)
            continue;
        int vv = skip_to_value(r, v);
        if (vv >= r->n || r->t[vv].used)
            continue;
        plan_expr *val = branch_value(r, vv);
        if (!val)
            continue;
        int ve = value_end(r, vv);
        if (paren && !rd_is_op(r, ve, ")"))
            continue;
        plan_expr *c = rd_parse_cond(r, b, e);
        if (!c)
            continue;
        r->except_cond = c;
        r->except_val = val;
        rd_use(r, k, b);
        rd_use(r, e, ve + paren);
        if (rd_is_op(r, k - 1, ","))
            rd_use(r, k - 1, k);
        return;
    }
}

void rd_rec_conditional(reading *r)
{
    unless_in_which_case(r);
    if (r->except_cond)
        return;
    described_then_value(r);
    if (r->base == B_COND || r->problems.len)
        return;
    bool other_word = has_other_word(r);
    if (!other_word) {
        value_when_pair(r);
        if (r->base == B_COND || r->problems.len)
            return;
    }
    /* without a word for the other rows this is only tried: what it marks is undone unless it is a code map */
    bool used0[MAX_TOKS];
    for (int k = 0; k < r->n; k++)
        used0[k] = r->t[k].used;
    size_t problems0 = r->problems.len;
    plan_expr *last0 = r->last_cond_field;
    plan_expr *cond[MAX_BRANCHES], *val[MAX_BRANCHES], *other = NULL;
    int nb = 0;
    for (int k = 0; k < r->n && nb < MAX_BRANCHES; k++) {
        bool unless = rd_is_w(r, k, "unless");
        if (!rd_is_w(r, k, "if") && !unless)
            continue;
        /* "if not, put X", "if not put 'ON TIME'": the other rows */
        if (nb && rd_is_w(r, k + 1, "not")) {
            int v = skip_to_value(r, k + 2);
            if ((other = branch_value(r, v)) != NULL) {
                rd_use(r, k, value_end(r, v));
                k = v;
                continue;
            }
        }
        int pre = k - 1;                       /* "D if amt >= 0": the value before */
        plan_expr *before = pre >= 0 && !r->t[pre].used ? branch_value(r, pre) : NULL;
        int e = k + 1;
        if (before) {
            while (e < r->n && !rd_is_op(r, e, ",") && !rd_is_w(r, e, "otherwise") && !rd_is_op(r, e, ";") &&
                   r->t[e].clause == r->t[k].clause && !r->t[e].used)
                e++;
        } else {
            while (e < r->n && !cond_stops(r, e) && r->t[e].clause == r->t[k].clause)
                e++;
            if (e >= r->n || r->t[e].clause != r->t[k].clause)
                goto undo;                     /* not a value choice: "exclude if ...", "reject if ..." */
        }
        plan_expr *c = branch_cond(r, k + 1, e, nb ? cond[nb - 1] : NULL);
        if (!c)
            goto undo;
        if (unless)
            c = negated(r, c);
        rd_use(r, k, k + 1);
        if (before) {
            val[nb] = before;
            rd_use(r, pre, pre + 1);
            if (rd_is_w(r, pre - 1, "flag") || rd_is_w(r, pre - 1, "put") || rd_is_w(r, pre - 1, "set") ||
                rd_is_w(r, pre - 1, "default") || rd_is_w(r, pre - 1, "mark"))
                rd_use(r, pre - 1, pre);
        } else {
            int v = skip_to_value(r, e);
            if (!(val[nb] = branch_value(r, v))) {
                rd_problem(r, "I could not read the value to write when the condition holds.");
                goto undo;
            }
            rd_use(r, e, value_end(r, v));
            e = value_end(r, v) > v ? value_end(r, v) : v + 1;
        }
        cond[nb++] = c;
        k = e - 1;
    }
    if (!nb)
        goto undo;
    if (!other_word) {
        if (branches_as_map(r, cond, val, nb))
            return;
        goto undo;
    }
    /* "otherwise 'UNKNOWN'", "else N", "otw C", "all others 'NORMAL'", "'N' otherwise" */
    for (int k = 0; k < r->n && !other; k++) {
        int v = -1;
        if (rd_is_w(r, k, "otherwise") && !rd_value_at(r, skip_to_value(r, k + 1), NULL) && k > 0 && !r->t[k - 1].used &&
            (rd_is_k(r, k - 1, TK_STR) || rd_is_k(r, k - 1, TK_NUM))) {
            if ((other = branch_value(r, k - 1)) != NULL)
                rd_use(r, k - 1, k + 1);
            continue;
        }
        if (rd_is_w(r, k, "otherwise"))
            v = skip_to_value(r, k + 1);
        else if (rd_is_w(r, k, "others") || (rd_is_w(r, k, "other") && rd_is_w(r, k + 1, "row")))
            v = skip_to_value(r, k + 1 + rd_is_w(r, k, "other"));
        if (v < 0)
            continue;
        if (!(other = branch_value(r, v))) {
            rd_problem(r, "I could not read the value for the other rows.");
            return;
        }
        rd_use(r, k, value_end(r, v));
        if (rd_is_w(r, k - 1, "all"))
            rd_use(r, k - 1, k);
    }
    if (!other) {
        rd_problem(r, "It says what to write when the condition holds, but not for the other rows.");
        return;
    }
    plan_expr *e = other;
    for (int i = nb - 1; i >= 0; i--) {
        plan_expr *x = plan_new_expr(r->p, PE_IF);
        x->kid[0] = cond[i];
        x->kid[1] = val[i];
        x->kid[2] = e;
        e = x;
    }
    r->base = B_COND;
    r->cond_value = e;
    return;
undo:
    if (other_word)
        return;
    for (int k = 0; k < r->n; k++)
        r->t[k].used = used0[k];
    r->problems.len = problems0;
    if (r->problems.data)
        r->problems.data[problems0] = 0;
    r->last_cond_field = last0;
}
