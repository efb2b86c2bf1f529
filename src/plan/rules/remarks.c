/* remarks.c — phrases that say something about the data or affirm what the plan does anyway, read
 * before the families so that their operative words (not, no, reject) count as read:
 *   - "do not alter it", "no change", "no TZ conversion", "(no padding)": nothing is done;
 *   - "not relevant", "does not carry a module indicator": descriptions of the data;
 *   - "is not populated", "not filled", "not avail.": the value is blank (the phrase becomes `blank`);
 *   - "an unreadable or impossible date must be rejected": what a failed conversion does anyway;
 *   - "blank stays blank", "a proper date", "(= yr)" and parenthesised sample values "(1,200)",
 *     "(€ 1.234,56 or €12,00)", "(31.12.23)".
 * Invariant: a remark never adds a step; it only marks words whose meaning the plan already has.
 */
#include "plan/rules/reading.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool any_w(const reading *r, int i, const char *const *ws, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (rd_is_w(r, i, ws[k]))
            return true;
    return false;
}

#define ANY(r, i, list) any_w((r), (i), (list), sizeof(list) / sizeof *(list))

static const char *const NO_STEP[] = {"pad", "round", "trim", "flip", "transformation", "transform", "conversion", "convert",
                                      "changes", "change", "tz", "timezone", "modification", "zero", "leading"};
static const char *const ALTER[] = {"alter", "flip", "modify", "touch", "transform", "edit", "amend", "convert"};
static const char *const NOT_MATTER[] = {"relevant", "needed", "important", "applicable", "necessary", "used", "consistent",
                                         "uniform", "reliable"};
static const char *const HAVE[] = {"carry", "have", "contain", "hold", "provide", "exist", "include"};
static const char *const UNFILLED[] = {"populated", "filled", "provided", "given", "available", "avail", "present",
                                       "supplied", "known", "maintained", "entered"};
static const char *const BAD[] = {"unreadable", "impossible", "invalid", "bad", "wrong", "incorrect", "unparseable"};

/* Negations that are remarks.  Returns true when the one at k was one. */
static bool negation_remark(reading *r, int k)
{
    bool no = rd_is_w(r, k, "no"), neg = no || rd_is_w(r, k, "not") || rd_is_w(r, k, "dont") || rd_is_w(r, k, "never");
    if (!neg)
        return false;
    int j = k + 1;
    if (no && (ANY(r, j, NO_STEP) || (rd_is_w(r, j, "leading") && rd_is_w(r, j + 1, "zero")))) {
        int e = j + 1;
        while (e < r->n && (rd_is_w(r, e, "zero") || rd_is_w(r, e, "conversion") || rd_is_w(r, e, "change")))
            e++;
        rd_use(r, k, e);
        return true;
    }
    while (rd_is_w(r, j, "be") || rd_is_w(r, j, "to") || rd_is_w(r, j, "in"))
        j++;
    if (!no && rd_is_w(r, j, "otherwise") && ANY(r, j + 1, ALTER)) {   /* "do not otherwise alter the text" */
        rd_use(r, k, j + 2);
        return true;
    }
    if (!no && ANY(r, j, ALTER)) {                                   /* "do not alter it in any way" */
        rd_use(r, k, j + 1);
        return true;
    }
    if (!no && ANY(r, j, NOT_MATTER)) {                              /* "which are not relevant" */
        rd_use(r, k, j + 1);
        return true;
    }
    if (rd_is_w(r, k, "not") && (rd_is_w(r, k - 1, "does") || rd_is_w(r, k - 1, "do") || rd_is_w(r, k - 1, "did")) &&
        ANY(r, j, HAVE)) {                                          /* "the ledger does not carry ..." */
        rd_use(r, k, j + 1);
        return true;
    }
    if (rd_is_w(r, k, "not") && ANY(r, j, UNFILLED)) {               /* "is not populated" means blank */
        rd_use(r, k, j);
        r->t[j].w = "blank";
        return true;
    }
    return false;
}

/* "(1,200)", "(€ 1.234,56 or €12,00)", "(31.12.23)", "(1000/0001)", "(2023-04-05T10:22:13+02:00)": values shown
 * as they appear in the data.  Not "(/100)" or "(x 100)", which are steps. */
static void sample_values(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_op(r, k, "(") || (r->t[k].b > 0 && !strchr(" \t\n", r->text[r->t[k].b - 1])))
            continue;                        /* "substring(2,4)" is a call, not sample values */
        int e = k + 1, nums = 0;
        bool ok = rd_is_k(r, e, TK_NUM) || rd_is_op(r, e, "\xe2\x82\xac") || rd_is_op(r, e, "$") || rd_is_op(r, e, "\xc2\xa3");
        for (; ok && e < r->n && !rd_is_op(r, e, ")"); e++) {
            const tok *t = &r->t[e];
            if (t->used)
                ok = false;
            else if (t->k == TK_NUM)
                nums++;
            else if (t->k == TK_WORD)
                ok = rd_is_w(r, e, "or") || rd_is_w(r, e, "and") || strpbrk(t->orig, "0123456789") != NULL ||
                     strlen(t->orig) == 1;
            else if (t->k == TK_OP)
                ok = strlen(t->w) == 1 ? strchr(",.-:+/$", t->w[0]) != NULL : !strcmp(t->w, "\xe2\x82\xac") ||
                                                                            !strcmp(t->w, "\xc2\xa3") || !strcmp(t->w, "->");
            else
                ok = false;
        }
        if (ok && nums && rd_is_op(r, e, ")"))
            rd_use(r, k, e + 1);
    }
}

/* Is the word at i the target's own type ("integer" on an integer target)? */
static bool as_target_type(const reading *r, int i)
{
    plan_base tb = r->c->type.base;
    return (rd_is_w(r, i, "integer") && (tb == PT_INTEGER || tb == PT_BIGINT)) ||
           (rd_is_w(r, i, "date") && tb == PT_DATE) || ((rd_is_w(r, i, "text") || rd_is_w(r, i, "string")) && tb == PT_TEXT) ||
           ((rd_is_w(r, i, "decimal") || rd_is_w(r, i, "number")) && tb == PT_DECIMAL);
}

/* Is the word at k a word of the target's name? */
static bool target_word(const reading *r, int k)
{
    const char *col = r->c->column;
    if (!col || r->t[k].k != TK_WORD)
        return false;
    size_t n = strlen(r->t[k].orig);
    for (const char *p = col; (p = strcasestr(p, r->t[k].orig)) != NULL; p++)
        if ((p == col || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[n]))
            return true;
    return false;
}

/* "vat amt = net x 19%": a label naming the target before '=' at the start of a clause; "txt before 1st
 * '|' = vendor code": the same after '=' at its end. */
static void target_labels(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (!rd_is_op(r, k, "=") && !rd_is_op(r, k, ":"))
            continue;
        int b = k, e = k + 1;
        while (b > 0 && r->t[b - 1].clause == r->t[k].clause && !r->t[b - 1].used && target_word(r, b - 1))
            b--;
        bool starts = b == 0 || r->t[b - 1].clause != r->t[k].clause;
        /* a label, when an expression over a column follows ("= net x 19%"), not a value ("STATUS = PAID") */
        bool expr = rd_is_k(r, k + 1, TK_WORD) && rd_resolve_name(r, r->t[k + 1].orig) != NULL;
        if (starts && expr && b < k) {
            rd_use(r, b, k + 1);
            continue;
        }
        while (e < r->n && r->t[e].clause == r->t[k].clause && !r->t[e].used &&
               (target_word(r, e) || (r->t[e].k == TK_WORD && rd_is_filler(r->t[e].w))))
            e++;
        bool named = false;
        for (int q = k + 1; q < e; q++)
            named |= target_word(r, q);
        bool ends = e >= r->n || r->t[e].clause != r->t[k].clause;
        if (rd_is_op(r, k, "=") && ends && named && k > 0)
            rd_use(r, k, e);
    }
}

/* "Please do not use the NBV column of the export, which the client confirmed is rounded to whole dollars;":
 * a data column the value must not come from, with what is said about it.  Read here; read.c checks that the
 * expression built does not use it. */
static void do_not_use(reading *r)
{
    for (int k = 0; k + 2 < r->n && r->navoid < 4; k++) {
        if (!(rd_is_w(r, k, "not") || rd_is_w(r, k, "dont") || rd_is_w(r, k, "never")) ||
            !(rd_is_w(r, k + 1, "use") || rd_is_w(r, k + 1, "take")))
            continue;
        int b = k + 2 + (rd_is_w(r, k + 2, "the") ? 1 : 0), end;
        const char *col = rd_resolve_prefix(r, b, r->n, &end);
        if (!col || end <= b)
            continue;
        while (end > b + 1 && r->t[end - 1].k == TK_WORD && rd_is_filler(r->t[end - 1].w))
            end--;                        /* "NBV column of the": the name ends before its filler */
        int e = end;
        if (rd_is_w(r, e, "column") || rd_is_w(r, e, "field"))
            e++;
        if (rd_is_w(r, e, "of") && rd_is_w(r, e + 1, "the") &&
            (rd_is_w(r, e + 2, "export") || rd_is_w(r, e + 2, "file") || rd_is_w(r, e + 2, "extract") ||
             rd_is_w(r, e + 2, "report") || rd_is_w(r, e + 2, "source")))
            e += 3;
        /* ", which the client confirmed is rounded to whole dollars": what is said of that column */
        if (rd_is_op(r, e, ",") && (rd_is_w(r, e + 1, "which") || rd_is_w(r, e + 1, "that") || rd_is_w(r, e + 1, "as"))) {
            int q = e + 2;
            bool ok = true;
            while (q < r->n && r->t[q].clause == r->t[k].clause && !rd_is_op(r, q, ";") && !rd_is_op(r, q, ".")) {
                ok &= r->t[q].k == TK_WORD && !r->t[q].used && !rd_is_w(r, q, "instead");
                q++;
            }
            if (ok)
                e = q;
        }
        if (rd_is_w(r, k - 1, "do") || rd_is_w(r, k - 1, "please"))
            k--;
        if (rd_is_w(r, k - 1, "please"))
            k--;
        r->avoid[r->navoid++] = col;
        rd_use(r, k, e);
    }
}

/* "credit memos give neg. commission (claw-back), that's ok": a clause that accepts an outcome of the reading
 * ("that's ok", "is fine", "is expected") instructs nothing.  Read whole when it holds no literal, no number and
 * no operation word other than the sign words it describes. */
static void acknowledgements(reading *r)
{
    static const char *const OK[] = {"ok", "okay", "fine", "acceptable", "expected", "intended"};
    static const char *const SIGN[] = {"negative", "positive", "credit", "debit", "sign"};
    for (int c = 0; c < r->nclause; c++) {
        bool ack = false, plain = true;
        for (int k = 0; k < r->n; k++) {
            if (r->t[k].clause != c)
                continue;
            if (r->t[k].k == TK_STR || r->t[k].k == TK_NUM || r->t[k].k == TK_DATE)
                plain = false;
            if (r->t[k].k != TK_WORD)
                continue;
            if (any_w(r, k, OK, sizeof OK / sizeof *OK) && k > 0 && r->t[k - 1].clause == c &&
                (rd_is_w(r, k - 1, "thats") || rd_is_w(r, k - 1, "is") || rd_is_w(r, k - 1, "are") ||
                 rd_is_w(r, k - 1, "its") || rd_is_w(r, k - 1, "be")))
                ack = true;
            else if (rd_is_operative_word(r->t[k].w) && !any_w(r, k, SIGN, sizeof SIGN / sizeof *SIGN))
                plain = false;
        }
        if (!ack || !plain)
            continue;
        for (int k = 0; k < r->n; k++)
            if (r->t[k].clause == c)
                r->t[k].used = true;
    }
}

/* "Depreciation charge for the current fiscal year", "rate for the year": the period an amount covers, on a
 * number target whose sample is not dates — it names the value, it asks for no date part. */
static void period_of_amount(reading *r)
{
    const prof_column *pc = rd_prof_of(r, rd_primary(r));
    if (!rd_numeric_base(r->c->type.base) || (pc && pc->kind == PK_DATE))
        return;
    for (int k = 0; k + 2 < r->n; k++) {
        if (!rd_is_w(r, k, "for") || !rd_is_w(r, k + 1, "the"))
            continue;
        int q = k + 2;
        if (rd_is_w(r, q, "current") || rd_is_w(r, q, "whole") || rd_is_w(r, q, "full"))
            q++;
        if (rd_is_w(r, q, "fiscal") || rd_is_w(r, q, "calendar") || rd_is_w(r, q, "financial"))
            q++;
        if (!rd_is_w(r, q, "year") && !rd_is_w(r, q, "fy") && !rd_is_w(r, q, "period") && !rd_is_w(r, q, "month"))
            continue;
        /* only after the name of the amount at the start of its clause ("Depreciation charge for ..."): after a
         * verb ("Load amounts for the current year") it could restrict the rows */
        int cs = k;
        while (cs > 0 && r->t[cs - 1].clause == r->t[k].clause)
            cs--;
        bool label = cs < k;
        for (int u = cs; u < k && label; u++)
            label = rd_is_k(r, u, TK_WORD) && !rd_is_filler(r->t[u].w) && !rd_is_operative_word(r->t[u].w);
        if (!label)
            continue;
        rd_use(r, k, q + 1);
    }
}

void rd_rec_remarks(reading *r)
{
    target_labels(r);
    do_not_use(r);
    acknowledgements(r);
    period_of_amount(r);
    for (int k = 0; k < r->n; k++) {
        /* "in the usual dot-decimal format": the usual format of the data, not a rounding to ask about */
        if (rd_is_w(r, k, "usual") && (rd_is_w(r, k + 1, "format") || rd_is_w(r, k + 2, "format"))) {
            rd_use(r, k, k + 1);
            continue;
        }
        /* "debits and credits in two separate columns": as many columns as the row has sources */
        if (rd_num_at(r, k) >= 2 && rd_num_at(r, k) == r->c->nsrc) {
            int q = k + 1;
            if (rd_is_w(r, q, "separate") || rd_is_w(r, q, "different") || rd_is_w(r, q, "distinct"))
                q++;
            if (q < r->n && r->t[q].k == TK_WORD && (!strcmp(r->t[q].orig, "columns") || !strcmp(r->t[q].orig, "fields"))) {
                rd_use(r, k, q + 1);
                continue;
            }
        }
        /* "Cost center, where one was assigned", "if any": the value where there is one, no condition of its own */
        if ((rd_is_w(r, k, "where") || rd_is_w(r, k, "when") || rd_is_w(r, k, "if")) &&
            (rd_is_w(r, k + 1, "one") || rd_is_w(r, k + 1, "any")) &&
            (rd_is_w(r, k + 2, "was") || rd_is_w(r, k + 2, "is") || rd_is_w(r, k + 2, "has")) &&
            (rd_is_w(r, k + 3, "assigned") || rd_is_w(r, k + 3, "given") || rd_is_w(r, k + 3, "provided") ||
             rd_is_w(r, k + 3, "present") || rd_is_w(r, k + 3, "available") || rd_is_w(r, k + 3, "been"))) {
            rd_use(r, k, k + 4 + (rd_is_w(r, k + 3, "been") && rd_is_k(r, k + 4, TK_WORD)));
            continue;
        }
        /* "where needed", "if necessary", "as needed": no condition of its own */
        if ((rd_is_w(r, k, "if") || rd_is_w(r, k, "as")) &&
            (rd_is_w(r, k + 1, "needed") || rd_is_w(r, k + 1, "necessary") || rd_is_w(r, k + 1, "required") ||
             rd_is_w(r, k + 1, "mandatory") || rd_is_w(r, k + 1, "applicable"))) {
            rd_use(r, k, k + 2);
            continue;
        }
        /* "with one decimal", "has 2 decimals": what the data looks like */
        if ((rd_is_w(r, k, "with") || rd_is_w(r, k, "has") || rd_is_w(r, k, "have")) &&
            (rd_is_w(r, k + 1, "one") || rd_num_at(r, k + 1) >= 0) && (rd_is_w(r, k + 2, "decimal") || rd_is_w(r, k + 2, "dp"))) {
            rd_use(r, k, k + 3);
            continue;
        }
        /* "no other codes are in use" */
        if (rd_is_w(r, k, "no") && rd_is_w(r, k + 1, "other") &&
            (rd_is_w(r, k + 2, "codes") || rd_is_w(r, k + 2, "code") || rd_is_w(r, k + 2, "values") ||
             rd_is_w(r, k + 2, "value"))) {
            rd_use(r, k, k + 3);
            continue;
        }
        if (negation_remark(r, k))
            continue;
        /* "without any reformatting", "without changes" */
        if (rd_is_w(r, k, "without") && (rd_is_w(r, k + 1, "any") || rd_is_w(r, k + 1, "further")) &&
            (rd_is_w(r, k + 2, "reformatting") || rd_is_w(r, k + 2, "change") || rd_is_w(r, k + 2, "changes") ||
             rd_is_w(r, k + 2, "flip") || rd_is_w(r, k + 2, "modification") || rd_is_w(r, k + 2, "transformation"))) {
            rd_use(r, k, k + 3);
            continue;
        }
        if (rd_is_w(r, k, "without") && (rd_is_w(r, k + 1, "reformatting") || rd_is_w(r, k + 1, "changes") ||
                                         rd_is_w(r, k + 1, "transformation"))) {
            rd_use(r, k, k + 2);
            continue;
        }
        /* "Load as an integer", "as a date": the conversion the target type makes anyway */
        int av = k + 1 + (rd_is_w(r, k + 1, "a") || rd_is_w(r, k + 1, "an"));
        if (rd_is_w(r, k, "as") && as_target_type(r, av) &&
            (av + 1 >= r->n || r->t[av + 1].clause != r->t[av].clause || rd_is_op(r, av + 1, ".") ||
             rd_is_op(r, av + 1, ",") || rd_is_op(r, av + 1, ";") || rd_is_op(r, av + 1, "("))) {
            int v = av;
            rd_use(r, k, v + 1);
            continue;
        }
        /* "carry no cost center", "have no sub-account": the data has none */
        if (rd_is_w(r, k, "no") && (rd_is_w(r, k - 1, "carry") || rd_is_w(r, k - 1, "have") || rd_is_w(r, k - 1, "has") ||
                                    rd_is_w(r, k - 1, "contain"))) {
            rd_use(r, k, k + 1);
            continue;
        }
        /* "so that the field is never blank": the purpose of a default */
        if (rd_is_w(r, k, "never") && rd_is_w(r, k + 1, "blank") && rd_find_w(r, 0, "default") < 0 &&
            (rd_is_w(r, k - 1, "is") || rd_is_w(r, k - 1, "be"))) {
            rd_use(r, k, k + 2);
            continue;
        }
        /* "drop out of our pivot tables", "fall out of the report" */
        if ((rd_is_w(r, k, "exclude") || rd_is_w(r, k, "fall")) && rd_is_w(r, k + 1, "out") && rd_is_w(r, k + 2, "of")) {
            rd_use(r, k, k + 3);
            continue;
        }
        /* "our combined file": a file, not a join */
        if (rd_is_w(r, k, "concat") && (rd_is_w(r, k + 1, "file") || rd_is_w(r, k + 1, "extract") ||
                                        rd_is_w(r, k + 1, "report") || rd_is_w(r, k + 1, "dataset"))) {
            rd_use(r, k, k + 1);
            continue;
        }
        /* "blank = open-ended -> leave empty", "It is empty for fixed loans, then leave empty": nulls stay null */
        if (rd_is_w(r, k, "leave") && (rd_is_w(r, k + 1, "blank") || (rd_is_w(r, k + 1, "it") && rd_is_w(r, k + 2, "blank")))) {
            int c = r->t[k].clause, c0 = c;
            /* ", then leave empty" starts a clause of its own: the condition is the clause before */
            int b = k - 1;
            while (b >= 0 && (rd_is_w(r, b, "then") || rd_is_op(r, b, ",")))
                b--;
            if (b < k - 1 && b >= 0 && rd_is_w(r, b + 1 + rd_is_op(r, b + 1, ","), "then"))
                c0 = r->t[b].clause;
            bool said_blank = false, cond = false;   /* "blank ... then/-> leave empty": a condition, then the same */
            for (int q = 0; q < k; q++) {
                bool in = r->t[q].clause >= c0 && r->t[q].clause <= c;
                said_blank |= in && rd_is_w(r, q, "blank");
                cond |= in && (rd_is_w(r, q, "then") || rd_is_op(r, q, "->") || rd_is_w(r, q, "if"));
            }
            said_blank &= cond;
            if (said_blank && r->c->column && r->c->nsrc > 0) {
                /* "It is empty for fixed loans, then ...": which rows are blank does not matter when blank
                 * stays blank; the words between "blank for" and "then" describe them */
                for (int q = 0; q + 1 < k; q++)
                    if (r->t[q].clause >= c0 && rd_is_w(r, q, "blank") && rd_is_w(r, q + 1, "for")) {
                        int e = q + 2;
                        while (e < k && rd_is_k(r, e, TK_WORD) && !rd_is_w(r, e, "then") && !rd_is_w(r, e, "if") &&
                               !rd_is_w(r, e, "not") && !rd_is_w(r, e, "no") && !rd_is_w(r, e, "except") && !rd_is_w(r, e, "unless"))
                            e++;
                        if (e > q + 2 && (rd_is_w(r, e, "then") || rd_is_op(r, e, ",")))
                            rd_use(r, q + 1, e);
                    }
                for (int q = 0; q < r->n; q++)
                    if (r->t[q].clause >= c0 && r->t[q].clause <= c && (rd_is_w(r, q, "blank") || rd_is_w(r, q, "leave") || rd_is_w(r, q, "then") ||
                                                rd_is_op(r, q, "->") || rd_is_op(r, q, "=") || rd_is_w(r, q, "it") ||
                                                rd_is_w(r, q, "if")))
                        rd_use(r, q, q + 1);
                continue;
            }
        }
        /* "blank stays blank", "empty remains empty" */
        if (rd_is_w(r, k, "blank") && (rd_is_w(r, k + 1, "stays") || rd_is_w(r, k + 1, "remains") ||
                                       rd_is_w(r, k + 1, "stay") || rd_is_w(r, k + 1, "remain")) &&
            rd_is_w(r, k + 2, "blank")) {
            rd_use(r, k, k + 3);
            continue;
        }
        /* "a proper date", "proper number" */
        if (rd_is_w(r, k, "proper") && (rd_is_w(r, k + 1, "date") || rd_is_w(r, k + 1, "number") ||
                                        rd_is_w(r, k + 1, "decimal") || rd_is_w(r, k + 1, "format"))) {
            rd_use(r, k, k + 1);
            continue;
        }
        /* "(= yr)": an explanation of what the part is */
        if (rd_is_op(r, k, "(") && rd_is_op(r, k + 1, "=")) {
            int e = k + 2;
            while (e < r->n && rd_is_k(r, e, TK_WORD) && !rd_is_operative_word(r->t[e].w))
                e++;
            if (e > k + 2 && rd_is_op(r, e, ")"))
                rd_use(r, k, e + 1);
            continue;
        }
        /* "If the date is not a valid date the line must be rejected": what a failed conversion does anyway */
        if (rd_is_w(r, k, "not") && (rd_is_w(r, k + 1, "valid") || (rd_is_w(r, k + 1, "a") && rd_is_w(r, k + 2, "valid")))) {
            int v = k + 1 + rd_is_w(r, k + 1, "a");
            if (rd_is_w(r, v + 1, "date") || rd_is_w(r, v + 1, "number") || rd_is_w(r, v + 1, "amount")) {
                int c = r->t[k].clause;
                bool rejects = false;
                for (int q = 0; q < r->n; q++)
                    rejects |= r->t[q].clause == c && rd_is_w(r, q, "reject");
                if (rejects)
                    for (int q = 0; q < r->n; q++)
                        if (r->t[q].clause == c && (rd_is_w(r, q, "reject") || rd_is_w(r, q, "if") || rd_is_w(r, q, "not")))
                            rd_use(r, q, q + 1);
            }
            continue;
        }
        /* "put them here", "write it in every line": the value goes here */
        if ((rd_is_w(r, k, "put") || rd_is_w(r, k, "write") || rd_is_w(r, k, "take")) &&
            (rd_is_w(r, k + 1, "it") || rd_is_w(r, k + 1, "them") || rd_is_w(r, k + 1, "this")) &&
            (rd_is_w(r, k + 2, "here") || k + 2 >= r->n || r->t[k + 2].clause != r->t[k].clause ||
             (rd_is_w(r, k + 2, "in") && (rd_is_w(r, k + 3, "every") || rd_is_w(r, k + 3, "each") || rd_is_w(r, k + 3, "all")) &&
              rd_is_w(r, k + 4, "row")))) {
            int e = rd_is_w(r, k + 2, "here") ? k + 3 : rd_is_w(r, k + 2, "in") ? k + 5 : k + 2;
            rd_use(r, k, e);
            continue;
        }
        /* "(in file it is in groups of 4 like DE12 3456 ...)": how the data is written */
        if (rd_is_w(r, k, "groups") && rd_is_w(r, k + 1, "of") && rd_num_at(r, k + 2) > 0) {
            rd_use(r, k, k + 3);
            continue;
        }
        /* "the amount is always without sign", "unsigned": the data has no sign (reading it needs none) */
        if (rd_is_w(r, k, "without") && rd_is_w(r, k + 1, "sign") && rd_clause_is_statement(r, r->t[k].clause)) {
            rd_use(r, k, k + 2);
            continue;
        }
        /* "is the closing balance and not a booking": a statement of what a row is */
        if (rd_is_w(r, k, "not") && (rd_is_w(r, k + 1, "a") || rd_is_w(r, k + 1, "an")) &&
            (rd_is_w(r, k + 2, "booking") || rd_is_w(r, k + 2, "row") || rd_is_w(r, k + 2, "posting")) &&
            rd_clause_is_statement(r, r->t[k].clause)) {
            rd_use(r, k, k + 1);
            continue;
        }
        /* "Any line with a posting date that cannot be read as a real calendar date should be rejected and reported
         * back to the client, as we cannot place it in a period": what a failed conversion does anyway */
        if (rd_is_w(r, k, "cannot") && rd_is_w(r, k + 1, "be") &&
            (rd_is_w(r, k + 2, "read") || rd_is_w(r, k + 2, "parsed") || rd_is_w(r, k + 2, "converted"))) {
            int c = r->t[k].clause;
            bool rejects = false, dated = false;
            for (int q = 0; q < r->n; q++) {
                rejects |= r->t[q].clause == c && rd_is_w(r, q, "reject");
                dated |= r->t[q].clause == c && q > k && q < k + 9 && (rd_is_w(r, q, "date") || rd_is_w(r, q, "number"));
            }
            if (rejects && dated) {
                bool reason = false;             /* "..., as we cannot place it in a period": the reason */
                for (int q = 0; q < r->n; q++) {
                    if (r->t[q].clause != c)
                        continue;
                    if (q > k + 3 && (rd_is_w(r, q, "because") || rd_is_w(r, q, "since") ||
                                      (rd_is_w(r, q, "as") && rd_is_w(r, q + 1, "we"))))
                        reason = true;
                    if (rd_is_w(r, q, "reject") || rd_is_w(r, q, "cannot") || (q == k + 2) ||
                        (reason && r->t[q].k == TK_WORD && !rd_is_filler(r->t[q].w)) ||
                        (rd_is_w(r, q, "row") && (rd_is_w(r, q - 1, "any") || rd_is_w(r, q - 1, "every"))))
                        rd_use(r, q, q + 1);
                }
            }
            continue;
        }
        /* "an unreadable or impossible date must be rejected": what a failed conversion does anyway */
        if (ANY(r, k, BAD)) {
            int v = k + 1;
            while (rd_is_w(r, v, "or") || ANY(r, v, BAD))
                v++;
            if (!(rd_is_w(r, v, "date") || rd_is_w(r, v, "number") || rd_is_w(r, v, "amount") ||
                  rd_is_w(r, v, "value") || rd_is_w(r, v, "format")))
                continue;
            int c = r->t[k].clause;
            for (int q = 0; q < r->n; q++)
                if (r->t[q].clause == c && rd_is_w(r, q, "reject"))
                    rd_use(r, q, q + 1);
        }
    }
    sample_values(r);
}
