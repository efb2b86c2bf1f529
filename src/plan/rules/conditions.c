/* conditions.c — a condition written in words ("Status = 'VOID'", "Acct starts with 'TEST'", "is blank",
 * "= 'A' or 'B'") as a plan condition over source columns.  The field defaults to the row's source.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- conditions ------------------------------------------------------------------------------ */

plan_expr *rd_cmp_expr(reading *r, int op, plan_expr *a, const char *v, bool num)
{
    plan_expr *x = plan_new_expr(r->p, PE_CMP);
    x->op = op;
    x->kid[0] = a;
    x->kid[1] = num ? plan_number_lit(r->p, v) : plan_text_lit(r->p, v);
    return x;
}

/* A comparison word at k: sets *op (or *kind for is blank / starts with ...) and returns how many
 * tokens it takes, 0 when none starts at k. */
static int cmp_word_at(const reading *r, int k, int *op, plan_expr_kind *kind)
{
    static const struct { const char *w1, *w2, *w3; int op; } W[] = {
        {"greater", "than", "or", PB_GE}, {"more", "than", "or", PB_GE}, {"greater", "than", NULL, PB_GT},
        {"more", "than", NULL, PB_GT}, {"higher", "than", NULL, PB_GT}, {"larger", "than", NULL, PB_GT},
        {"bigger", "than", NULL, PB_GT}, {"over", NULL, NULL, PB_GT}, {"above", NULL, NULL, PB_GT},
        {"exceeds", NULL, NULL, PB_GT}, {"exceeding", NULL, NULL, PB_GT}, {"less", "than", "or", PB_LE},
        {"less", "than", NULL, PB_LT}, {"lower", "than", NULL, PB_LT}, {"smaller", "than", NULL, PB_LT},
        {"below", NULL, NULL, PB_LT}, {"under", NULL, NULL, PB_LT}, {"at", "least", NULL, PB_GE},
        {"at", "most", NULL, PB_LE}, {"not", "equal", NULL, PB_NE}, {"isnot", NULL, NULL, PB_NE},
        {"is", "not", NULL, PB_NE}, {"is", "equal", NULL, PB_EQ}, {"is", NULL, NULL, PB_EQ},
        {"equal", NULL, NULL, PB_EQ}, {"not", NULL, NULL, PB_NE},
    };
    const tok *t = &r->t[k];
    if (t->used)
        return 0;
    *kind = PE_CMP;
    if (t->k == TK_OP) {
        static const struct { const char *op; int v; } O[] = {
            {"=", PB_EQ}, {"==", PB_EQ}, {"!=", PB_NE}, {"<=", PB_LE}, {">=", PB_GE}, {"<", PB_LT}, {">", PB_GT},
        };
        for (size_t i = 0; i < sizeof O / sizeof *O; i++)
            if (!strcmp(t->w, O[i].op)) {
                *op = O[i].v;
                return 1;
            }
        return 0;
    }
    if (t->k != TK_WORD)
        return 0;
    int n = rd_is_w(r, k, "is") || rd_is_w(r, k, "are") ? 1 : 0;   /* "is greater than" */
    /* "after 31/12/2023", "on or before 1 January 2024", "later than ...": order of dates, only before a date */
    {
        static const struct { const char *w1, *w2, *w3; int op; } D[] = {
            {"on", "or", "after", PB_GE}, {"on", "or", "before", PB_LE}, {"after", NULL, NULL, PB_GT},
            {"before", NULL, NULL, PB_LT}, {"later", "than", NULL, PB_GT}, {"earlier", "than", NULL, PB_LT},
        };
        for (size_t i = 0; i < sizeof D / sizeof *D; i++) {
            int j = k + n, len = n + 1;
            if (!rd_is_w(r, j, D[i].w1) || (D[i].w2 && !rd_is_w(r, j + 1, D[i].w2)) ||
                (D[i].w3 && !rd_is_w(r, j + 2, D[i].w3)))
                continue;
            len += (D[i].w2 ? 1 : 0) + (D[i].w3 ? 1 : 0);
            int v = k + len + (rd_is_w(r, k + len, "the") ? 1 : 0), end;
            int ce = v;                         /* "after the due date": another column (a date, checked later) */
            while (ce < r->n && r->t[ce].clause == r->t[k].clause && r->t[ce].k == TK_WORD && ce < v + 6)
                ce++;
            if (!rd_fixed_date_at((reading *)r, v, &end, "DD/MM/YYYY") &&
                !rd_fixed_date_at((reading *)r, v, &end, "MM/DD/YYYY") && !(ce > v && rd_resolve_prefix(r, v, ce, &end)))
                continue;
            *op = D[i].op;
            return len;
        }
    }
    /* "Country in ('DE','AT')", "not in (...)", "is one of 'A', 'B'": a list of values follows */
    {
        int j = k + n, neg = rd_is_w(r, j, "not") ? 1 : 0;
        if (rd_is_w(r, j + neg, "in") && rd_is_op(r, j + neg + 1, "(") && rd_value_at(r, j + neg + 2, NULL)) {
            *op = neg ? PB_NE : PB_EQ;
            return n + neg + 2;
        }
        if (rd_is_w(r, j + neg, "one") && rd_is_w(r, j + neg + 1, "of") && rd_value_at(r, j + neg + 2, NULL)) {
            int len = n + neg + 2 + (rd_is_op(r, j + neg + 2, "(") ? 1 : 0);
            *op = neg ? PB_NE : PB_EQ;
            return len;
        }
    }
    if (rd_is_w(r, k + n, "not") && rd_is_w(r, k + n + 1, "blank")) {
        *kind = PE_PRESENT;
        return n + 2;
    }
    if (rd_is_w(r, k + n, "blank")) {
        *kind = PE_MISSING;
        return n + 1;
    }
    /* "is present", "is filled", "is not populated" */
    static const char *const FILLED[] = {"present", "filled", "populated", "given", "provided", "available", "set"};
    for (size_t i = 0; n && i < sizeof FILLED / sizeof *FILLED; i++) {
        if (rd_is_w(r, k + 1, FILLED[i])) {
            *kind = PE_PRESENT;
            return 2;
        }
        if (rd_is_w(r, k + 1, "not") && rd_is_w(r, k + 2, FILLED[i])) {
            *kind = PE_MISSING;
            return 3;
        }
    }
    if (rd_is_w(r, k + n, "starts") || rd_is_w(r, k + n, "ends") || rd_is_w(r, k + n, "contains")) {
        const char *w = r->t[k + n].w;
        *kind = w[0] == 's' ? PE_STARTS : w[0] == 'e' ? PE_ENDS : PE_CONTAINS;
        return n + 1 + (rd_is_w(r, k + n + 1, "with") ? 1 : 0);
    }
    for (size_t i = 0; i < sizeof W / sizeof *W; i++) {
        int j = k + n;
        if (n && !strcmp(W[i].w1, "is"))
            continue;
        if (!rd_is_w(r, j, W[i].w1) || (W[i].w2 && !rd_is_w(r, j + 1, W[i].w2)))
            continue;
        int len = n + 1 + (W[i].w2 ? 1 : 0);
        if (W[i].w3) {                      /* "greater than or equal (to)" */
            if (!rd_is_w(r, k + len, W[i].w3) || !rd_is_w(r, k + len + 1, "equal"))
                continue;
            len += 2 + (rd_is_w(r, k + len + 2, "to") ? 1 : 0);
        }
        *op = W[i].op;
        return len;
    }
    if (n) {                                /* "is", "are" alone */
        *op = PB_EQ;
        return 1;
    }
    return 0;
}

/* Is every word of tokens [b, e) filler, a word of the target's name or of the row's own source?
 * ("where the account begins with '9'" on the ACCOUNT row speaks of the row's own value.) */
static bool names_own_value(const reading *r, int b, int e)
{
    for (int k = b; k < e; k++) {
        const tok *t = &r->t[k];
        if (t->k != TK_WORD)
            return false;
        if (rd_is_filler(t->w))
            continue;
        bool own = r->c->column && strcasestr(r->c->column, t->orig) && strlen(t->orig) > 2;
        for (int s = 0; s < r->c->nsrc && !own; s++)
            own = (r->c->src[s].written && strcasestr(r->c->src[s].written, t->orig)) ||
                  (r->c->src[s].name && strcasestr(r->c->src[s].name, t->orig));
        if (!own)
            return false;
    }
    return true;
}

static bool numeric_column(const reading *r, const char *col)
{
    const prof_column *pc = rd_prof_of(r, col);
    return pc && (pc->kind == PK_INTEGER || pc->kind == PK_DECIMAL);
}

/* Is w a whole word of name (case-insensitive)? */
static bool word_in(const char *name, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = name; n && (p = strcasestr(p, w)) != NULL; p++)
        if ((p == name || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
            return true;
    return false;
}

/* A used explanation group at i ("'CIP' (construction in progress)"): the index after it, else i. */
static int skip_expl(const reading *r, int i)
{
    if (i >= r->n || !r->t[i].used || r->t[i].k != TK_OP || strcmp(r->t[i].w, "("))
        return i;
    int k = i + 1;
    while (k < r->n && !(r->t[k].k == TK_OP && !strcmp(r->t[k].w, ")")))
        k++;
    return k < r->n ? k + 1 : i;
}

/* "'CIP' (construction in progress, not yet capitalized) and 'DELETED' (entered in error)": a parenthesis
 * right after a quoted value, of words only, explains the value; it is read as an explanation. */
static void value_explanations(reading *r, int b, int e)
{
    for (int k = b; k + 1 < e; k++) {
        if (!rd_is_k(r, k, TK_STR) || !rd_is_op(r, k + 1, "("))
            continue;
        int q = k + 2;
        /* words only, and no restriction among them ("except when ...", "unless ...", "only ...") */
        while (q < e && ((rd_is_k(r, q, TK_WORD) && (!rd_is_operative_word(r->t[q].w) || rd_is_w(r, q, "not") ||
                                                     rd_is_w(r, q, "no"))) ||
                         rd_is_op(r, q, ",") || rd_is_op(r, q, "-")))
            q++;
        if (q < e && q > k + 2 && rd_is_op(r, q, ")"))
            rd_use(r, k + 1, q + 1);
    }
}

/* Another value of a list at i after "or", ",", "/", or "and" before a quoted value or a number. */
static bool list_join(const reading *r, int i)
{
    /* "Status = 'X' or Amount = 0": a word followed by its own comparison starts a new condition */
    if (rd_is_k(r, i + 1, TK_WORD))
        for (int k = i + 2; k < r->n && k <= i + 5 && r->t[k].clause == r->t[i].clause; k++) {
            int op;
            plan_expr_kind kind;
            if (rd_is_w(r, k, "or") || rd_is_w(r, k, "and"))
                break;
            if (cmp_word_at(r, k, &op, &kind) > 0)
                return false;
        }
    if (rd_is_w(r, i, "or") || rd_is_op(r, i, ",") || rd_is_op(r, i, "/"))
        return rd_value_at(r, i + 1, NULL) != NULL;
    return rd_is_w(r, i, "and") && (rd_is_k(r, i + 1, TK_STR) || rd_is_k(r, i + 1, TK_NUM));
}

/* "plant 9999", "ccy EUR or USD": a field followed by a value with no comparison word.  Returns the
 * value's index when [b, v) names a column (or the row's own value) and the rest is a value or a list
 * of values; -1 otherwise. */
static int implicit_equals(const reading *r, int b, int e, int *field_at, const char **col_out)
{
    *col_out = NULL;
    int fb = rd_skip_fill(r, b);
    *field_at = fb;
    for (int v = fb + 1; v < e; v++) {
        bool lit = rd_is_k(r, v, TK_STR) || rd_is_k(r, v, TK_NUM) ||
                   (rd_is_k(r, v, TK_WORD) && isupper((unsigned char)r->t[v].orig[0]) &&
                    isupper((unsigned char)r->t[v].orig[strlen(r->t[v].orig) - 1]) && !rd_is_filler(r->t[v].w));
        if (!lit)
            continue;
        int k = skip_expl(r, v + 1);    /* the rest: "or" / "," / "/" / "and" and more values */
        while (k + 1 < e && list_join(r, k))
            k = skip_expl(r, k + 2);
        if (k != e)
            return -1;
        if (names_own_value(r, fb, v) || rd_resolve_span(r, fb, v))
            return v;
        /* "documents of type 'CN'": the last words name the column, and the value is in its sample */
        for (int j = fb + 1; j < v; j++) {
            /* a looser match is enough here: a column whose name holds these words and whose sample holds
             * the value, and only one such column */
            const char *val = rd_value_at(r, v, NULL);
            int hits = 0;
            for (int c = 0; r->c->pr && val && c < r->c->pr->ncols; c++) {
                const prof_column *pc = &r->c->pr->col[c];
                bool words = pc->name != NULL, any = false;
                for (int q = j; q < v && words; q++) {
                    if (r->t[q].k != TK_WORD)
                        words = false;
                    else if (!rd_is_w(r, q, "the") && !rd_is_w(r, q, "of") && !rd_is_w(r, q, "a") && !rd_is_w(r, q, "an"))
                        words = word_in(pc->name, r->t[q].orig), any = true;
                }
                const char *s = words && any ? infer_sample_value(pc, val) : NULL;
                if (s && !strcmp(s, val)) {
                    hits++;
                    *col_out = pc->name;
                }
            }
            if (hits == 1) {
                *field_at = j;
                return v;
            }
        }
        return -1;
    }
    return -1;
}

/* "is zero or positive", "is negative", "is positive", "is zero": a sign test after "is" (op PB_EQ) at v; returns
 * the comparison with 0 (0 when none) and the index after it in *end. */
static int sign_compare(const reading *r, int v, int op, int *end)
{
    if (op != PB_EQ)
        return 0;
    bool z = rd_is_w(r, v, "zero") || (rd_is_k(r, v, TK_NUM) && !strcmp(r->t[v].w, "0"));
    if (z && rd_is_w(r, v + 1, "or") && rd_is_w(r, v + 2, "positive"))
        return *end = v + 3, PB_GE;
    if (z && rd_is_w(r, v + 1, "or") && rd_is_w(r, v + 2, "negative"))
        return *end = v + 3, PB_LE;
    if (rd_is_w(r, v, "positive") && rd_is_w(r, v + 1, "or") && rd_is_w(r, v + 2, "zero"))
        return *end = v + 3, PB_GE;
    if (rd_is_w(r, v, "negative") && rd_is_w(r, v + 1, "or") && rd_is_w(r, v + 2, "zero"))
        return *end = v + 3, PB_LE;
    if (rd_is_w(r, v, "negative"))
        return *end = v + 1, PB_LT;
    if (rd_is_w(r, v, "positive"))
        return *end = v + 1, PB_GT;
    if (z)
        return *end = v + 1, PB_EQ;
    return 0;
}

/* Does a sign test follow the comparison word at k? */
static bool numeric_sign_word(const reading *r, int k)
{
    int end, op, oplen;
    plan_expr_kind kind = PE_CMP;
    if ((oplen = cmp_word_at(r, k, &op, &kind)) <= 0)
        return false;
    return sign_compare(r, k + oplen, op, &end) != 0;
}

/* A condition on tokens [b, e): FIELD OP VALUE.  Field defaults to the row's source.  An ordering
 * (<, over, at least ...) or a number compared with a numeric column compares numbers: the field is
 * read as a number with the format its sample shows. */
/* Does [b, e) hold a comparison word, after a field (not as its first significant word)? */
static bool has_cmp(const reading *r, int b, int e)
{
    int f = b;                              /* the field is at least one word ("Amount = 0": a filler word names it) */
    while (f < e && (rd_is_w(r, f, "the") || rd_is_w(r, f, "a") || rd_is_w(r, f, "an")))
        f++;
    for (int k = f + 1; k < e; k++) {
        int op;
        plan_expr_kind kind;
        if (cmp_word_at(r, k, &op, &kind) > 0)
            return true;
    }
    return false;
}

/* The field read as a date with the pattern its sample shows (a question when none). */
static plan_expr *date_of(reading *r, const char *field, const char **pattern)
{
    const prof_column *pc = rd_prof_of(r, field);
    *pattern = pc ? infer_date_pattern(pc, field, &r->problems) : NULL;
    if (!*pattern) {
        if (!pc)
            rd_problem(r, "It compares [%s] with a date, but I have no sample of it.", field);
        return NULL;
    }
    plan_expr *f = plan_source_ref(r->p, field);
    if (!strcmp(*pattern, "ISO"))
        return plan_with_step(r->p, f, PS_READ_ISO);
    if (!strcmp(*pattern, "EXCEL"))
        return plan_with_step(r->p, f, PS_READ_EXCEL);
    plan_expr *x = plan_with_step(r->p, f, PS_READ_DATE);
    x->step.s = plan_strdup(r->p, *pattern);
    x->step.n = strstr(*pattern, "YY") && !strstr(*pattern, "YYYY") ? 1950 : 0;
    return x;
}

/* "X more than 0 or Y after 31/12/2023", "Status = 'A' and Qty > 0": conditions joined by "or" (looser) and
 * "and", each with its own field and comparison ("= 'A' or 'B'" is one condition: a list of values). */
static plan_expr *joined_cond(reading *r, int b, int e)
{
    static const char *const JOIN[] = {"or", "and"};
    for (int j = 0; j < 2; j++)
        for (int k = b + 1; k + 1 < e; k++) {
            if (!rd_is_w(r, k, JOIN[j]) || !has_cmp(r, b, k) || !has_cmp(r, k + 1, e))
                continue;
            plan_expr *a = rd_parse_cond(r, b, k);
            plan_expr *c = a ? rd_parse_cond(r, k + 1, e) : NULL;
            if (!c)
                return NULL;
            rd_use(r, k, k + 1);
            plan_expr *x = plan_new_expr(r->p, j ? PE_AND : PE_OR);
            x->kid[0] = a;
            x->kid[1] = c;
            return x;
        }
    return NULL;
}

static bool joined(const reading *r, int b, int e)
{
    for (int k = b + 1; k + 1 < e; k++)
        if ((rd_is_w(r, k, "or") || rd_is_w(r, k, "and")) && has_cmp(r, b, k) && has_cmp(r, k + 1, e))
            return true;
    return false;
}

plan_expr *rd_parse_cond(reading *r, int b, int e)
{
    value_explanations(r, b, e);
    if (joined(r, b, e))
        return joined_cond(r, b, e);
    int k, oplen = 0, op = 0;
    plan_expr_kind kind = PE_CMP;
    for (k = b; k < e; k++)
        if ((oplen = cmp_word_at(r, k, &op, &kind)) > 0)
            break;
    if (k >= e) {
        op = PB_EQ;
        kind = PE_CMP;
        oplen = 0;
    }
    int field_at = -1;
    const char *implicit_col = NULL;
    if (k >= e && (k = implicit_equals(r, b, e, &field_at, &implicit_col)) < 0) {
        rd_problem(r, "I could not find the condition's comparison.");
        return NULL;
    }
    const char *field = NULL;
    int fb = field_at >= 0 ? field_at : rd_skip_fill(r, b);
    const plan_column *oc = NULL;          /* an output column above ("the signed amount above") */
    bool it = b + 1 == k && (rd_is_w(r, b, "it") || rd_is_w(r, b, "this")) && r->last_cond_field;
    /* a data column named exactly ("Amount", "Type"), even by words that are filler elsewhere, is that column,
     * never the row's own value */
    const char *exact = NULL;
    if (!implicit_col && !it) {
        int xb = b;
        while (xb < k && (rd_is_w(r, xb, "the") || rd_is_w(r, xb, "a") || rd_is_w(r, xb, "an")))
            xb++;
        if (xb < k && k - xb <= 6 && r->t[xb].k == TK_WORD && r->t[k - 1].k == TK_WORD) {
            char buf[200] = "";
            rd_span_text(r, xb, k, buf, sizeof buf);
            exact = rd_resolve_name_min(r, buf, 0.95);
        }
    }
    if (implicit_col)
        field = implicit_col;
    else if (it)
        ;
    else if (exact)
        field = exact;
    else if (fb < k && r->c->nsrc > 1 && (field = rd_resolve_span(r, fb, k)) != NULL)
        ;                                   /* one of the row's several sources, by name */
    else if (fb >= k || names_own_value(r, fb, k))
        field = rd_primary(r);
    else if (!(field = rd_resolve_span(r, fb, k)))
        oc = rd_resolve_output(r, fb, k);
    if (!field && !oc && !it && !implicit_col) {   /* "the amount" (filler words): an output column of that name */
        int fb2 = b;
        while (fb2 < k && (rd_is_w(r, fb2, "the") || rd_is_w(r, fb2, "a") || rd_is_w(r, fb2, "an")))
            fb2++;
        if (fb2 < k && numeric_sign_word(r, k))
            oc = rd_resolve_output(r, fb2, k);
    }
    if (!field && !oc && !it && fb < k) {   /* "the signed amount above": an output column named by its last word */
        int e2 = k;
        while (e2 > fb && rd_is_w(r, e2 - 1, "above"))
            e2--;
        if (e2 > fb && numeric_sign_word(r, k))
            oc = rd_resolve_output(r, e2 - 1, e2);
    }
    if (!field && (oc || it)) {
        if (oc && !rd_numeric_base(oc->type.base)) {
            rd_problem(r, "The condition uses the output column %s, which is not a number.", oc->name);
            return NULL;
        }
        plan_expr *f = it ? r->last_cond_field : plan_new_expr(r->p, PE_OUTPUT);
        if (oc)
            f->name = oc->name;
        r->last_cond_field = f;
        int v = k + oplen;
        int sop = v < e ? sign_compare(r, v, op, &v) : 0;
        if (!sop || v > e) {
            rd_problem(r, "I can compare the output column only with zero, positive or negative.");
            return NULL;
        }
        rd_use(r, b, v);
        return rd_cmp_expr(r, sop, f, "0", true);
    }
    if (!field) {
        char buf[200] = "";
        if (fb < k)
            rd_span_text(r, fb, k, buf, sizeof buf);
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
    if (rd_is_op(r, v, "'") || rd_is_w(r, v, "to") || (rd_is_w(r, v, "the") && kind == PE_CMP))
        v++;
    /* "the payment date is after the due date": two date columns, each read as its sample (or a stated
     * pattern of both) shows */
    bool ordering_op = op == PB_LT || op == PB_LE || op == PB_GT || op == PB_GE;
    int oe;
    const char *other = kind == PE_CMP && ordering_op && rd_is_k(r, v, TK_WORD) ? rd_resolve_prefix(r, v, e, &oe) : NULL;
    if (other && strcmp(other, field) && oe == e) {
        const char *pa, *pb;
        plan_expr *da = date_of(r, field, &pa);
        plan_expr *db = da ? date_of(r, other, &pb) : NULL;
        if (!da || !db)
            return NULL;
        rd_use(r, v, oe);
        plan_expr *x = plan_new_expr(r->p, PE_CMP);
        x->op = op;
        x->kid[0] = da;
        x->kid[1] = db;
        return x;
    }
    /* a date: the field read as the date its sample shows, the literal in that same order of day and month */
    const prof_column *dpc = rd_prof_of(r, field);
    int de;
    /* (an integer column may hold Excel serial dates: date_of says whether its sample reads as dates) */
    if (kind == PE_CMP && dpc && dpc->kind != PK_DECIMAL &&
        (rd_fixed_date_at(r, v, &de, "DD/MM/YYYY") || rd_fixed_date_at(r, v, &de, "MM/DD/YYYY"))) {
        const char *pat;
        plan_expr *fd = date_of(r, field, &pat);
        if (!fd)
            return NULL;
        const char *lit = rd_fixed_date_at(r, v, &de, pat);
        if (!lit && !strcmp(pat, "EXCEL")) {
            rd_problem(r, "It compares [%s] with a date whose order of day and month is not clear (day/month or "
                       "month/day?).", field);
            return NULL;
        }
        if (!lit) {
            rd_problem(r, "It compares [%s] with a date that does not read as %s.", field, pat);
            return NULL;
        }
        rd_use(r, v, de);
        plan_expr *x = plan_new_expr(r->p, PE_CMP);
        x->op = op;
        x->kid[0] = fd;
        x->kid[1] = plan_with_step(r->p, plan_text_lit(r->p, lit), PS_READ_ISO);
        return x;
    }
    bool num;
    const char *val = rd_value_at(r, v, &num);
    if (!val || (rd_is_k(r, v, TK_WORD) && rd_is_operative_word(r->t[v].w))) {
        rd_problem(r, "I could not find the value the condition compares with.");
        return NULL;
    }
    rd_use(r, v, v + 1);
    /* "Betrag is 0,00": a number written with a decimal comma, as the column writes its numbers */
    if (num && rd_is_op(r, v + 1, ",") && rd_is_k(r, v + 2, TK_NUM) && r->t[v].e == r->t[v + 1].b &&
        r->t[v + 1].e == r->t[v + 2].b) {
        const prof_column *fpc = rd_prof_of(r, field);
        if (!fpc || fpc->decimal != ',') {
            rd_problem(r, "It compares with %s,%s, but [%s] does not write numbers with a decimal comma.", val,
                       r->t[v + 2].w, field);
            return NULL;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "%s.%s", val, r->t[v + 2].w);
        val = plan_strdup(r->p, buf);
        rd_use(r, v + 1, v + 3);
        v += 2;
    }
    if (kind != PE_CMP) {
        plan_expr *x = plan_new_expr(r->p, kind);
        x->kid[0] = f;
        x->text = plan_strdup(r->p, val);
        return x;
    }
    /* "10,000 or more", "0 or less" */
    if (num && rd_is_w(r, v + 1, "or") && (rd_is_w(r, v + 2, "more") || rd_is_w(r, v + 2, "above") ||
                                           rd_is_w(r, v + 2, "greater") || rd_is_w(r, v + 2, "higher"))) {
        op = op == PB_EQ ? PB_GE : op;
        rd_use(r, v + 1, v + 3);
    } else if (num && rd_is_w(r, v + 1, "or") && (rd_is_w(r, v + 2, "less") || rd_is_w(r, v + 2, "below") ||
                                                  rd_is_w(r, v + 2, "lower"))) {
        op = op == PB_EQ ? PB_LE : op;
        rd_use(r, v + 1, v + 3);
    }
    /* "X = 'A' or 'B'" -> X is one of ("A", "B"); numbers on a numeric column compare as numbers, one at a time */
    int v1 = skip_expl(r, v + 1);
    if ((op == PB_EQ || op == PB_NE) && !(num && numeric_column(r, field)) && list_join(r, v1) &&
        !(rd_is_k(r, v, TK_STR) && rd_is_k(r, v1 + 1, TK_WORD)) &&
        !(rd_is_k(r, v1 + 1, TK_WORD) && rd_is_operative_word(r->t[v1 + 1].w))) {
        const char *items[16];
        int ni = 0;
        items[ni++] = val;
        int i = v1;
        /* after a quoted value, an unquoted word is no item: "Status = 'VOID', in which case 0" */
        while (ni < 16 && list_join(r, i) && !(rd_is_k(r, i + 1, TK_WORD) && rd_is_operative_word(r->t[i + 1].w)) &&
               !(rd_is_k(r, v, TK_STR) && rd_is_k(r, i + 1, TK_WORD))) {
            items[ni++] = rd_value_at(r, i + 1, NULL);
            rd_use(r, i, i + 2);
            i = skip_expl(r, i + 2);
        }
        if (rd_is_op(r, i, ")") && rd_is_op(r, v - 1, "("))   /* "in ('DE','AT')" */
            rd_use(r, i, i + 1);
        plan_expr *x = plan_new_expr(r->p, PE_IN);
        x->kid[0] = f;
        x->nlist = ni;
        x->list = mf_arena_alloc(&r->p->arena, sizeof(char *) * (size_t)ni);
        for (int j = 0; j < ni; j++)
            x->list[j] = plan_strdup(r->p, items[j]);
        if (op == PB_NE) {
            plan_expr *n = plan_new_expr(r->p, PE_NOT);
            n->kid[0] = x;
            return n;
        }
        return x;
    }
    bool ordering = op == PB_LT || op == PB_LE || op == PB_GT || op == PB_GE;
    if (ordering && !num) {
        rd_problem(r, "It compares '%s' by order, which is not a number.", val);
        return NULL;
    }
    if (num && (ordering || numeric_column(r, field))) {
        f = infer_read_number(r->p, f, rd_prof_of(r, field), NULL, false, &r->problems);
        return rd_cmp_expr(r, op, f, val, true);
    }
    return rd_cmp_expr(r, op, f, val, false);
}
