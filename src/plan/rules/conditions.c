/* conditions.c — a condition written in words ("Status = 'VOID'", "Acct starts with 'TEST'", "is blank",
 * "= 'A' or 'B'") as a plan condition over source columns.  The field defaults to the row's source.
 */
#include "plan/rules/reading.h"

#include <string.h>

/* ---- conditions ------------------------------------------------------------------------------ */

plan_expr *rd_cmp_expr(reading *r, int op, plan_expr *a, const char *v, bool num)
{
    plan_expr *x = plan_new_expr(r->p, PE_CMP);
    x->op = op;
    x->kid[0] = a;
    x->kid[1] = num ? plan_number_lit(r->p, v) : plan_text_lit(r->p, v);
    return x;
}

/* A condition on tokens [b, e): FIELD OP VALUE.  Field defaults to the row's source. */
plan_expr *rd_parse_cond(reading *r, int b, int e)
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
            if (!strcmp(w, "is") && rd_is_w(r, k + 1, "not") && rd_is_w(r, k + 2, "blank")) {
                kind = PE_PRESENT; oplen = 3; break;
            }
            if (!strcmp(w, "is") && rd_is_w(r, k + 1, "blank")) { kind = PE_MISSING; oplen = 2; break; }
            if (!strcmp(w, "is") && rd_is_w(r, k + 1, "not")) { op = PB_NE; oplen = 2; break; }
            if (!strcmp(w, "isnot") || (!strcmp(w, "not") && rd_is_w(r, k + 1, "equal"))) {
                op = PB_NE; oplen = !strcmp(w, "not") ? 2 : 1; break;
            }
            if (!strcmp(w, "is") && rd_is_w(r, k + 1, "equal")) { op = PB_EQ; oplen = 2; break; }
            if (!strcmp(w, "is") || !strcmp(w, "equal")) { op = PB_EQ; oplen = 1; break; }
            if (!strcmp(w, "starts") || !strcmp(w, "ends") || !strcmp(w, "contains")) {
                kind = w[0] == 's' ? PE_STARTS : w[0] == 'e' ? PE_ENDS : PE_CONTAINS;
                oplen = rd_is_w(r, k + 1, "with") ? 2 : 1;
                break;
            }
        }
    }
    if (k >= e) {
        rd_problem(r, "I could not find the condition's comparison.");
        return NULL;
    }
    const char *field = NULL;
    int fb = rd_skip_fill(r, b);
    if (fb >= k) {
        field = rd_primary(r);
    } else {
        field = rd_resolve_span(r, fb, k);
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
        rd_problem(r, "The condition's field '%s' matches no column of the data.", buf);
        return NULL;
    }
    plan_expr *f = plan_source_ref(r->p, field);
    rd_use(r, b, k + oplen);
    if (kind == PE_MISSING || kind == PE_PRESENT) {
        plan_expr *x = plan_new_expr(r->p, kind);
        x->kid[0] = f;
        return x;
    }
    int v = k + oplen;
    bool num;
    const char *val = rd_value_at(r, v, &num);
    if (!val) {
        rd_problem(r, "I could not find the value the condition compares with.");
        return NULL;
    }
    rd_use(r, v, v + 1);
    /* the data's own spelling of a bare word (C vs c) */
    if (kind != PE_CMP) {
        plan_expr *x = plan_new_expr(r->p, kind);
        x->kid[0] = f;
        x->text = plan_strdup(r->p, val);
        return x;
    }
    /* "X = 'A' or 'B'" -> X is one of ("A", "B") */
    if (op == PB_EQ && (rd_is_w(r, v + 1, "or") || rd_is_op(r, v + 1, "/") || rd_is_op(r, v + 1, ",")) &&
        rd_value_at(r, v + 2, NULL)) {
        const char *items[16];
        int ni = 0;
        items[ni++] = val;
        int i = v + 1;
        while (ni < 16 && (rd_is_w(r, i, "or") || rd_is_op(r, i, "/") || rd_is_op(r, i, ",")) && rd_value_at(r, i + 1, NULL)) {
            items[ni++] = rd_value_at(r, i + 1, NULL);
            rd_use(r, i, i + 2);
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
    return rd_cmp_expr(r, op, f, val, num);
}

