/* constants.c — constants ("Constant 'GL'", "hardcode USD"), defaults when blank ("if blank then 'USD'")
 * and "as is" phrasings ("direct move", "1:1", "no transformation").
 */
#include "plan/rules/reading.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* "set to 'AP'", "Set as 0 for all records": the index of "set" when a literal follows, else -1. */
static int set_to(const reading *r)
{
    for (int k = 0; k + 2 < r->n; k++)
        if (rd_is_w(r, k, "set") && (rd_is_w(r, k + 1, "to") || rd_is_w(r, k + 1, "as")) &&
            (rd_is_k(r, k + 2, TK_STR) || rd_is_k(r, k + 2, TK_NUM) || (k == 0 && rd_value_at(r, k + 2, NULL))))
            return k;
    return -1;
}

/* A null constant: "leave blank", "leave it empty", "always blank", "set to null", a rule that is only
 * "blank"/"null".  Returns true when read. */
static bool null_constant(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        int v = -1;
        if (rd_is_w(r, k, "leave") || (rd_is_w(r, k, "constant") && !strcasecmp(r->t[k].orig, "always")))
            v = k + 1 + (rd_is_w(r, k + 1, "it") || rd_is_w(r, k + 1, "as") ? 1 : 0);
        else if (rd_is_w(r, k, "set") && (rd_is_w(r, k + 1, "to") || rd_is_w(r, k + 1, "as")))
            v = k + 2;
        if (v < 0 || !rd_is_w(r, v, "blank"))
            continue;
        if (!r->c->column || r->c->type.base == PT_UNKNOWN)
            return false;
        rd_use(r, k, v + 1);
        if (rd_is_op(r, k - 1, "-"))         /* "Not avail. in src - leave blank" */
            rd_use(r, k - 1, k);
        r->base = B_CONST;
        r->const_null = true;
        return true;
    }
    int only = -1, words = 0;
    for (int k = 0; k < r->n; k++)
        if (r->t[k].k != TK_OP)
            words++, only = k;
    if (words == 1 && rd_is_w(r, only, "blank") && r->c->column) {
        rd_use(r, 0, r->n);
        r->base = B_CONST;
        r->const_null = true;
        return true;
    }
    return false;
}

/* Is the constant's value at v really one ("always be six characters long" is a length, not 6)? */
static bool constant_value_ok(const reading *r, int k, int v)
{
    if (rd_is_w(r, v + 1, "char") || rd_is_w(r, v + 1, "long") || rd_is_w(r, v + 1, "dp") || rd_is_w(r, v + 1, "day"))
        return false;
    bool plain_word = r->t[v].k == TK_WORD && !strpbrk(r->t[v].orig, "0123456789") &&
                      !(isupper((unsigned char)r->t[v].orig[0]) &&
                        isupper((unsigned char)r->t[v].orig[strlen(r->t[v].orig) - 1]));
    /* "the fixed asset accountant", "static data", "fixed loans": an adjective before its noun sets nothing */
    if ((!strcasecmp(r->t[k].orig, "fixed") || !strcasecmp(r->t[k].orig, "static")) && v == k + 1 && plain_word)
        return false;
    if (strcasecmp(r->t[k].orig, "always"))
        return true;
    /* "always" sets a literal ("always 'N'", "Always write 1000"), never a word ("Status is always filled") */
    if (plain_word)
        return false;
    /* "always" makes a constant only when the value ends its clause: "Always write 1000 (it is ...)" */
    int e = v + 1;
    return e >= r->n || r->t[e].clause != r->t[v].clause || rd_is_op(r, e, "(") || rd_is_op(r, e, ".") ||
           rd_is_op(r, e, ",") || rd_is_op(r, e, ";") || rd_is_w(r, e, "for");
}

/* "Constant 'GL'", "hardcode -> 'GL'", "always 'N'", "Always write 1000", "set to 1", "Set to 'AP' for all
 * records", "default value 'ACME'" (no source), "= 'GL'", a bare 'GL'; "leave blank" (null). */
void rd_rec_constant(reading *r)
{
    if (null_constant(r))
        return;
    int k = rd_find_w(r, 0, "constant");
    int v = -1;
    if (k >= 0) {
        v = rd_skip_fill(r, k + 1);
        while (rd_is_op(r, v, "=") || rd_is_op(r, v, ":") || rd_is_op(r, v, "->") || rd_is_w(r, v, "of") ||
               rd_is_w(r, v, "write") || (rd_is_op(r, v, ".") && v == k + 1 && r->t[k].e == r->t[v].b))   /* "const." */
            v = rd_skip_fill(r, v + 1);
        /* "Always the same for this file: DE445...": the value after the colon */
        if (rd_is_w(r, k + 1, "the") && rd_is_w(r, k + 2, "same")) {
            int c = k + 3;
            while (c < r->n && c < k + 8 && !rd_is_op(r, c, ":") && r->t[c].clause == r->t[k].clause)
                c++;
            if (rd_is_op(r, c, ":") && rd_value_at(r, c + 1, NULL)) {
                rd_use(r, k + 1, c + 1);
                v = c + 1;
            }
        }
        if (!rd_value_at(r, v, NULL) || !constant_value_ok(r, k, v)) {
            if (!strcasecmp(r->t[k].orig, "always")) {   /* "must always be ..." describes, it sets nothing */
                if (rd_is_w(r, k + 1, "be") || rd_is_w(r, k + 1, "have") || rd_is_w(r, k + 1, "the") ||
                    rd_is_w(r, k - 1, "is") || rd_is_w(r, k - 1, "are") || rd_is_w(r, k - 1, "must"))
                    rd_use(r, k, k + 1);
                return;
            }
            if (!strcasecmp(r->t[k].orig, "fixed") || !strcasecmp(r->t[k].orig, "static"))
                return;                           /* an adjective: "the fixed asset accountant" */
        }
    } else if (r->c->nsrc == 0 && (k = rd_find_w(r, 0, "default")) >= 0) {
        v = rd_skip_fill(r, k + 1);
        if (rd_is_op(r, v, "=") || rd_is_op(r, v, ":"))
            v = rd_skip_fill(r, v + 1);
    } else if ((k = set_to(r)) >= 0) {
        v = k + 2;
    } else if (r->c->nsrc == 0 && rd_is_op(r, 0, "=") && r->n == 2) {
        k = 0;
        v = 1;
    } else if (r->c->nsrc == 0 && r->n == 1 && (rd_is_k(r, 0, TK_STR) || rd_is_k(r, 0, TK_NUM))) {
        k = 0;
        v = 0;
    }
    if (k < 0)
        return;
    bool num;
    const char *val = rd_value_at(r, v, &num);
    if (!val || (rd_is_k(r, v, TK_WORD) && (rd_is_filler(r->t[v].w) || rd_is_operative_word(r->t[v].w)))) {
        rd_problem(r, "It says constant but I could not find the value.");
        return;
    }
    r->base = B_CONST;
    r->const_text = val;
    r->const_num = num;
    rd_use(r, k, v + 1);
    for (int q = 0; q < r->n; q++)
        if (rd_is_w(r, q, "constant"))
            r->t[q].used = true;
}

/* Is token k the word w as written (read or not)? */
static bool raw_w(const reading *r, int k, const char *w)
{
    return k >= 0 && k < r->n && r->t[k].k == TK_WORD && !strcmp(r->t[k].w, w);
}

/* "Balance sheet postings generally carry no cost center; in those cases please populate the value 'UNASSIGNED'":
 * a clause that says the value is absent, then "in those cases" with a literal.  Returns true when read. */
static bool default_in_those_cases(reading *r)
{
    for (int k = 1; k + 2 < r->n; k++) {
        if (!rd_is_w(r, k, "in") ||
            !(rd_is_w(r, k + 1, "those") || rd_is_w(r, k + 1, "these") || rd_is_w(r, k + 1, "such") ||
              rd_is_w(r, k + 1, "that") || rd_is_w(r, k + 1, "this")) ||
            !(rd_is_w(r, k + 2, "cases") || rd_is_w(r, k + 2, "case")))
            continue;
        bool absent = false;                      /* "carry no cost center", "is blank", "without a code" */
        for (int q = 0; q < k && !absent; q++) {
            if (raw_w(r, q, "blank"))
                absent = true;
            if (raw_w(r, q, "no") || raw_w(r, q, "without"))
                for (int u = q + 1; u <= q + 3 && u < k; u++)
                    for (int s2 = 0; s2 < r->c->nsrc; s2++)
                        if (r->t[u].k == TK_WORD && r->c->src[s2].written && strcasestr(r->c->src[s2].written, r->t[u].orig))
                            absent = true;
        }
        int v = k + 3;
        while (v < r->n && r->t[v].clause == r->t[k].clause && !rd_is_k(r, v, TK_STR) && !rd_is_k(r, v, TK_NUM))
            v++;
        if (!absent || v >= r->n || r->t[v].clause != r->t[k].clause)
            continue;
        bool num = rd_is_k(r, v, TK_NUM);
        plan_base tb = r->c->type.base;
        bool numeric = tb == PT_DECIMAL || tb == PT_INTEGER || tb == PT_BIGINT;
        if ((numeric && !num) || tb == PT_DATE || tb == PT_TIMESTAMP || tb == PT_BOOLEAN)
            return false;
        /* between "in those cases" and the value: only "please populate/use/set/put the value" */
        for (int q = k + 3; q < v; q++)
            if (!(r->t[q].k == TK_WORD && (rd_is_filler(r->t[q].w) || raw_w(r, q, "populate") || raw_w(r, q, "use") ||
                                            raw_w(r, q, "set") || raw_w(r, q, "put") || raw_w(r, q, "fill") ||
                                            raw_w(r, q, "enter") || raw_w(r, q, "with") || raw_w(r, q, "to"))))
                return false;
        r->deflt = numeric ? plan_number_lit(r->p, r->t[v].w) : plan_text_lit(r->p, r->t[v].w);
        rd_use(r, k, v + 1);
        return true;
    }
    return false;
}

/* Is token k a code written in capitals ("USD", "EUR1")? */
static bool caps_code(const reading *r, int k)
{
    if (!rd_is_k(r, k, TK_WORD))
        return false;
    size_t n = strlen(r->t[k].orig);
    if (n < 2 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)r->t[k].orig[i]) && !isdigit((unsigned char)r->t[k].orig[i]))
            return false;
    return true;
}

/* "a blank means the functional currency, which for this entity is USD, and should be populated as such": what a
 * blank stands for, said as a value.  Read when the words between say nothing operative (words of the row's own
 * source may stand there) and the value is a literal or a code in capitals. */
static bool default_blank_means(reading *r)
{
    for (int k = 0; k + 2 < r->n; k++) {
        if (!rd_is_w(r, k, "blank") || !(rd_is_w(r, k + 1, "means") || rd_is_w(r, k + 1, "represents")))
            continue;
        int c = r->t[k].clause, v = k + 2;
        while (v < r->n && r->t[v].clause == c && !rd_is_k(r, v, TK_STR) && !rd_is_k(r, v, TK_NUM) && !caps_code(r, v)) {
            const tok *t = &r->t[v];
            if (t->used || (t->k == TK_WORD && rd_is_operative_word(t->w) && !rd_resolve_name_min(r, t->orig, 0.95) &&
                            !(rd_primary(r) && strcasestr(rd_primary(r), t->orig))) ||
                (t->k == TK_OP && strcmp(t->w, ",")))
                break;
            v++;
        }
        if (v >= r->n || r->t[v].clause != c || !(rd_is_k(r, v, TK_STR) || rd_is_k(r, v, TK_NUM) || caps_code(r, v)))
            continue;
        /* after it only ", and should be populated as such" */
        int e = v + 1;
        static const char *const TAIL[] = {"and", "should", "be", "must", "populated", "filled", "used", "as", "such",
                                           "accordingly", "so", "this", "that", "set", "loaded"};
        bool tail_ok = true;
        for (; e < r->n && r->t[e].clause == c && tail_ok; e++) {
            bool ok = rd_is_op(r, e, ",") || rd_is_op(r, e, ".");
            for (size_t q = 0; !ok && q < sizeof TAIL / sizeof *TAIL; q++)
                ok = raw_w(r, e, TAIL[q]);
            tail_ok = ok;
        }
        if (!tail_ok)
            continue;
        bool num = rd_is_k(r, v, TK_NUM);
        plan_base tb = r->c->type.base;
        bool numeric = tb == PT_DECIMAL || tb == PT_INTEGER || tb == PT_BIGINT;
        if ((numeric && !num) || tb == PT_DATE || tb == PT_TIMESTAMP || tb == PT_BOOLEAN)
            return false;
        const char *val = rd_is_k(r, v, TK_WORD) ? r->t[v].orig : r->t[v].w;
        r->deflt = numeric ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
        rd_use(r, k, e);
        return true;
    }
    return false;
}

/* "if blank then 'USD'", "default to USD when empty", "use 'N/A' when null". */
void rd_rec_default(reading *r)
{
    if (r->c->nsrc > 0 && (default_in_those_cases(r) || default_blank_means(r)))
        return;
    int bl = rd_find_w(r, 0, "blank");
    int df = rd_find_w(r, 0, "default");
    if ((bl < 0 && df < 0) || r->c->nsrc == 0)   /* a default with no source is a constant */
        return;
    /* "leave blank when AMOUNT = 0" makes a value null, it gives none; "treating a blank column as zero" is said
     * of the operands of a computation (between.c) */
    if (bl > 0 && rd_is_w(r, bl - 1, "leave"))
        return;
    for (int q = bl - 1; bl > 0 && q >= 0 && q >= bl - 2; q--)
        if (raw_w(r, q, "treating") || raw_w(r, q, "treat") || raw_w(r, q, "treated"))
            return;
    /* "not blank"/"mandatory"-like phrasings are not defaults */
    if (bl > 0 && (rd_is_w(r, bl - 1, "not") || rd_is_w(r, bl - 1, "reject") || rd_find_w(r, 0, "reject") >= 0))
        return;
    int v = -1;
    int lo = bl >= 0 ? bl : df, hi = lo;
    if (df >= 0) {
        v = rd_skip_fill(r, df + 1);
        if (rd_is_w(r, v, "if") || rd_is_w(r, v, "blank"))
            v = -1;
        lo = df < lo ? df : lo;
        hi = df > hi ? df : hi;
    }
    /* "Blank -> EUR", "empty = 0", "blank: PAY_DATE" */
    if ((v < 0 || !rd_value_at(r, v, NULL)) && bl >= 0 &&
        (rd_is_op(r, bl + 1, "->") || rd_is_op(r, bl + 1, "=") || rd_is_op(r, bl + 1, ":")) && rd_value_at(r, bl + 2, NULL)) {
        v = bl + 2;
        rd_use(r, bl + 1, bl + 2);
    }
    if (v < 0 || !rd_value_at(r, v, NULL)) {
        /* a quoted/number value, or the word after "then"/"use"/"set" */
        for (int k = 0; k < r->n; k++) {
            if ((rd_is_w(r, k, "then") || rd_is_w(r, k, "use") || rd_is_w(r, k, "set") || rd_is_w(r, k, "put") ||
                 rd_is_w(r, k, "populate") || rd_is_w(r, k, "take")) &&
                rd_value_at(r, rd_skip_fill(r, k + 1), NULL) && !rd_is_w(r, rd_skip_fill(r, k + 1), "blank")) {
                v = rd_skip_fill(r, k + 1);
                lo = k < lo ? k : lo;
                break;
            }
        }
    }
    if (v < 0 || !rd_value_at(r, v, NULL)) {
        /* the first literal of the clause that says blank/default: a number of another clause ("x 100, ...
         * leave blank when ...") is no default */
        int dc = r->t[bl >= 0 ? bl : df].clause;
        for (int k = 0; k < r->n; k++)
            if ((rd_is_k(r, k, TK_STR) || rd_is_k(r, k, TK_NUM)) && r->t[k].clause == dc &&
                !(rd_is_op(r, k - 1, "=") && k - 2 != bl)) {          /* "RATE = 0" is a condition's value */
                v = k;
                break;
            }
    }
    if (v < 0 || !rd_value_at(r, v, NULL) || rd_is_w(r, v, "blank") || rd_is_w(r, v, "leave"))
        return;                              /* "then leave empty" is no default */
    bool num;
    const char *val = rd_value_at(r, v, &num);
    plan_base tb = r->c->type.base;
    /* a default is a literal, a code, or a column: "use the second column" names none */
    bool plain_word = rd_is_k(r, v, TK_WORD) && !(isupper((unsigned char)r->t[v].orig[0]) &&
                                                   isupper((unsigned char)r->t[v].orig[strlen(r->t[v].orig) - 1])) &&
                      !strpbrk(r->t[v].orig, "0123456789_");
    /* "Blank -> PAY_DATE": another column of the data (its whole name) */
    const char *other = rd_is_k(r, v, TK_STR) ? rd_resolve_name_min(r, val, 0.95) : NULL;
    int oe = v + 1;
    if (rd_is_k(r, v, TK_WORD)) {                   /* "take the Trade Date": the longest run naming a column */
        for (int e2 = v + 4 < r->n ? v + 4 : r->n; e2 > v && !other; e2--) {
            bool words = true;
            for (int q = v; q < e2; q++)
                words &= rd_is_k(r, q, TK_WORD);
            char span[160];
            rd_span_text(r, v, e2, span, sizeof span);
            if (words && (other = rd_resolve_name_min(r, span, 0.95)) != NULL)
                oe = e2;
        }
    }
    if (plain_word && !(other && rd_primary(r) && strcmp(other, rd_primary(r))))
        return;
    if (other && rd_primary(r) && strcmp(other, rd_primary(r))) {
        r->deflt_src = other;
        rd_use(r, v, oe);
        for (int k = 0; k < r->n; k++)
            if (rd_is_w(r, k, "if") || rd_is_w(r, k, "blank") || rd_is_w(r, k, "default") || rd_is_w(r, k, "then") ||
                rd_is_w(r, k, "use") || rd_is_w(r, k, "otherwise"))
                r->t[k].used = true;
        return;
    }
    if (tb == PT_DATE || tb == PT_TIMESTAMP || tb == PT_BOOLEAN) {
        rd_problem(r, "It gives a default value '%s' for a %s column; I cannot write that literal yet.", val,
                tb == PT_BOOLEAN ? "boolean" : "date");
        return;
    }
    bool numeric = tb == PT_DECIMAL || tb == PT_INTEGER || tb == PT_BIGINT;
    if (numeric && !num) {
        rd_problem(r, "Its default '%s' is not a number but the target is numeric.", val);
        return;
    }
    r->deflt = numeric ? plan_number_lit(r->p, val) : plan_text_lit(r->p, val);
    int from = lo, to = v > hi ? v : hi;
    if (bl >= 0 && bl > to)
        to = bl;
    /* the words of the phrasing between keyword and value ("if blank then use 'USD'"), not any
     * word that happens to stand there */
    static const char *const DW[] = {"if", "then", "use", "set", "put", "populate", "blank", "default", "otherwise",
                                     "not", "or", "replace", "fill", "provided", "present"};
    for (int k = from; k <= to && k < r->n; k++) {
        bool dw = false;
        for (size_t q = 0; r->t[k].k == TK_WORD && q < sizeof DW / sizeof *DW && !dw; q++)
            dw = !strcmp(r->t[k].w, DW[q]);
        if ((r->t[k].k == TK_WORD && (rd_is_filler(r->t[k].w) || dw)) || k == v || k == bl || k == df ||
            rd_is_op(r, k, ","))
            r->t[k].used = true;
    }
    rd_use(r, v, v + 1);
    if (bl >= 0)
        rd_use(r, bl, bl + 1);
    for (int k = 0; k < r->n; k++)
        if (rd_is_w(r, k, "if") || rd_is_w(r, k, "blank") || rd_is_w(r, k, "default") || rd_is_w(r, k, "not") ||
            rd_is_w(r, k, "or") || rd_is_w(r, k, "otherwise"))
            r->t[k].used = true;
}

void rd_rec_as_is(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (rd_is_w(r, k, "asis") || (rd_is_w(r, k, "as") && rd_is_w(r, k + 1, "is")) ||
            (rd_is_w(r, k, "no") && (rd_is_w(r, k + 1, "transformation") || rd_is_w(r, k + 1, "change") ||
                                   rd_is_w(r, k + 1, "changes") || rd_is_w(r, k + 1, "rule") ||
                                   rd_is_w(r, k + 1, "logic") || rd_is_w(r, k + 1, "transform"))) ||
            (rd_is_k(r, k, TK_NUM) && !strcmp(r->t[k].w, "1") && (rd_is_op(r, k + 1, ":") || rd_is_w(r, k + 1, "to")) &&
             rd_is_k(r, k + 2, TK_NUM) && !strcmp(r->t[k + 2].w, "1")) ||
            (rd_is_w(r, k, "one") && rd_is_w(r, k + 1, "to") && rd_is_w(r, k + 2, "one")) ||
            (rd_is_w(r, k, "pass") && rd_is_w(r, k + 1, "through")) || rd_is_w(r, k, "move") ||
            (rd_is_w(r, k, "same") && rd_find_w(r, k, "source") >= 0)) {
            int len = rd_is_w(r, k, "asis") || rd_is_w(r, k, "move") ? 1 : (r->t[k].k == TK_NUM || rd_is_w(r, k, "one")) ? 3 : 2;
            rd_use(r, k, k + len);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "move") || rd_is_w(r, q, "mapping") || rd_is_w(r, q, "map") || rd_is_w(r, q, "needed") ||
                    rd_is_w(r, q, "required") || rd_is_w(r, q, "source") || rd_is_w(r, q, "same"))
                    r->t[q].used = true;
        }
    }
    /* "-", "n/a", "none" alone */
    bool only_punct = true;
    for (int k = 0; k < r->n; k++)
        if (!r->t[k].used && r->t[k].k != TK_OP && !(rd_is_w(r, k, "n") || rd_is_w(r, k, "a") || rd_is_w(r, k, "na")))
            only_punct = false;
    if (only_punct)
        rd_use(r, 0, r->n);
}


/* ---- surrogate keys ---- */

/* Is the token at k a word that asks for a generated row number? */
static bool rownum_word(const reading *r, int k)
{
    if (rd_is_w(r, k, "autogenerated") || rd_is_w(r, k, "autonumber") || rd_is_w(r, k, "surrogate") ||
        rd_is_w(r, k, "sequence") || rd_is_w(r, k, "sequential") || rd_is_w(r, k, "autoincrement") ||
        rd_is_w(r, k, "rownum") || rd_is_w(r, k, "incrementing") || rd_is_w(r, k, "increment"))
        return true;
    if ((rd_is_w(r, k, "row") || rd_is_w(r, k, "running") || rd_is_w(r, k, "serial")) &&
        (rd_is_w(r, k + 1, "number") || rd_is_w(r, k + 1, "counter") || rd_is_w(r, k + 1, "id") ||
         (rd_is_w(r, k + 1, "row") && rd_is_w(r, k + 2, "number"))))
        return true;
    /* "1..n" */
    return rd_num_at(r, k) == 1 && rd_is_op(r, k + 1, ".") && rd_is_op(r, k + 2, ".") &&
           (rd_is_w(r, k + 3, "n") || rd_is_w(r, k + 3, "N"));
}

/* "Autogenerated", "Row no., 1..n", "sequence starting at 1", "running line number", "a sequential line
 * identifier, starting at 1 ... incrementing by one": the row's position in the output (row number).  Any
 * other start or step is a question. */
void rd_rec_rownum(reading *r)
{
    int k = 0;
    while (k < r->n && !rownum_word(r, k))
        k++;
    if (k >= r->n || !r->c->column)
        return;
    /* "Line number within the journal" names a column; a generated number says how it is made */
    bool generated = false;
    for (int q = 0; q < r->n; q++)
        generated |= rd_is_w(r, q, "autogenerated") || rd_is_w(r, q, "autonumber") || rd_is_w(r, q, "sequence") ||
                     rd_is_w(r, q, "sequential") || rd_is_w(r, q, "incrementing") || rd_is_w(r, q, "increment") ||
                     rd_is_w(r, q, "autoincrement") || rd_is_w(r, q, "surrogate") || rd_is_w(r, q, "running") ||
                     rd_is_w(r, q, "generated") || rd_is_w(r, q, "generate") || rd_is_w(r, q, "rownum") ||
                     (rd_num_at(r, q) == 1 && rd_is_op(r, q + 1, ".") && rd_is_op(r, q + 2, "."));
    if (!generated)
        return;
    /* "the line number left-padded", "Excel serial number": a column or a format, not a generated number */
    if (rd_is_w(r, k - 1, "excel") || (k + 1 < r->n && rd_resolve_span(r, k, k + 2)))
        return;
    for (int q = 0; q < r->n; q++)
        if (rd_is_w(r, q, "pad") || rd_is_w(r, q, "leftpad") || rd_is_w(r, q, "concat") || rd_is_w(r, q, "prefix"))
            return;
    plan_base tb = r->c->type.base;
    if (tb != PT_INTEGER && tb != PT_BIGINT && tb != PT_DECIMAL && tb != PT_TEXT) {
        rd_problem(r, "It asks for a generated number on a target that cannot hold one.");
        return;
    }
    if (tb == PT_TEXT || tb == PT_DECIMAL) {
        rd_problem(r, "It asks for a generated row number; the target is not an integer: how should it be written?");
        return;
    }
    /* the clauses that say it: their numbers must be 1 (start, step), their words describe it */
    int c = r->t[k].clause;
    for (int q = 0; q < r->n; q++) {
        if (r->t[q].clause != c)
            continue;
        tok *t = &r->t[q];
        if (t->used)
            continue;
        if (t->k == TK_NUM && strcmp(t->w, "1")) {
            rd_problem(r, "It numbers rows from or by %s; the plan's row number starts at 1 and counts by 1.", t->orig);
            return;
        }
        if (t->k == TK_NUM || (t->k == TK_WORD && (!rd_is_operative_word(t->w) || rownum_word(r, q) || !strcmp(t->w, "add"))) ||
            (t->k == TK_OP && (!strcmp(t->w, ".") || !strcmp(t->w, ","))))
            t->used = true;
    }
    r->base = B_ROWNUM;
}
