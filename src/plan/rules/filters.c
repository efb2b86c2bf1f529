/* filters.c — rules that act on whole rows: examples to ignore, trailer and total lines, "exclude rows
 * where ...", "only include ...", and checks ("mandatory", "must not be negative").  A value named without a
 * column must appear in exactly one column of the sample, or the rule is a question.
 */
#include "plan/rules/reading.h"

#include "plan/infer.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- recognizers ----------------------------------------------------------------------------- */

/* "e.g. 5-Mar-2025", "for example ...", "like 01/02/2025": examples, not instructions. */
void rd_rec_examples(reading *r)
{
    for (int i = 0; i < r->n; i++) {
        bool eg = (rd_is_w(r, i, "e") && rd_is_op(r, i + 1, ".") && rd_is_w(r, i + 2, "g")) ||
                  rd_is_w(r, i, "eg") || rd_is_w(r, i, "example") || rd_is_w(r, i, "ex") ||
                  (rd_is_w(r, i, "like") && (rd_is_k(r, i + 1, TK_NUM) || rd_is_k(r, i + 1, TK_STR))) ||
                  (rd_is_w(r, i, "such") && rd_is_w(r, i + 1, "as"));
        if (!eg)
            continue;
        int j = i;
        if (rd_is_w(r, i, "e")) {           /* "e.g." is four tokens: e . g . */
            j = i + 3;
            if (rd_is_op(r, j, "."))
                j++;
        }
        int e = rd_clause_end(r, j);
        /* examples are values: stop at the next word that is a real instruction */
        while (j < e && (r->t[j].k != TK_WORD || j <= i + 1 || rd_is_filler(r->t[j].w) ||
                         isupper((unsigned char)r->t[j].orig[0])))
            j++;
        rd_use(r, i, j);
    }
}

/* "ignore the trailer row", "skip the total line at the end", "skip last 2 rows". */
void rd_rec_trailer(reading *r)
{
    int i = rd_find_w(r, 0, "trailer");
    int tot = rd_find_w(r, 0, "total");
    int last = rd_find_w(r, 0, "last");
    long n = 1;
    if (i < 0 && tot >= 0 && (rd_find_w(r, 0, "ends") >= 0 || rd_find_w(r, 0, "bottom") >= 0 || last >= 0))
        i = tot;
    if (i < 0 && last >= 0 && rd_find_w(r, last, "row") >= 0 && rd_find_w(r, 0, "exclude") >= 0 &&
        rd_find_w(r, last, "char") < 0)
        i = last;
    if (i < 0)
        return;
    if (last >= 0 && rd_num_at(r, last + 1) > 0)
        n = rd_num_at(r, last + 1);
    if (r->c->column) {
        rd_problem(r, "It describes trailer rows on a row that also has target %s.", r->c->column);
        return;
    }
    r->p->source.skip_last += n;
    r->statement = true;
    for (int k = 0; k < r->n; k++) {
        tok *t = &r->t[k];
        if (t->k == TK_WORD && (!strcmp(t->w, "trailer") || !strcmp(t->w, "total") ||
                                !strcmp(t->w, "last") || !strcmp(t->w, "ends") || !strcmp(t->w, "row") ||
                                !strcmp(t->w, "exclude") || !strcmp(t->w, "bottom") ||
                                !strcmp(t->w, "file") || !strcmp(t->w, "remove") || rd_is_filler(t->w)))
            t->used = true;
        if (t->k == TK_NUM && k == last + 1)
            t->used = true;
    }
}

void rd_add_rule(reading *r, plan_rule_kind kind, plan_expr *cond, const char *msg)
{
    plan_rule *ru = plan_add_rule(r->p, kind, cond, msg ? plan_strdup(r->p, msg) : NULL);
    ru->prov.row = r->c->row;
    ru->prov.text = plan_strdup(r->p, r->text);
    r->statement = true;
}

/* "Exclude rows where Status = 'VOID'", "ignore records with Type = X", "filter out cancelled",
 * "only include rows where Region = 'EU'". */
void rd_rec_exclude(reading *r)
{
    int i = rd_find_w(r, 0, "exclude");
    bool only = false;
    if (i < 0 && rd_is_w(r, 0, "remove") && rd_find_w(r, 0, "row") >= 0)
        i = 0;
    if (i < 0) {
        int o = rd_find_w(r, 0, "only");
        if (o >= 0 && (rd_is_w(r, o + 1, "include") || rd_is_w(r, o + 1, "keep") || rd_is_w(r, o + 1, "load") ||
                       rd_is_w(r, o + 1, "take") || rd_is_w(r, o + 1, "process")))
            i = o, only = true;
    }
    if (i < 0)
        return;
    int e = rd_clause_end(r, i);
    int j = i + 1 + (only ? 1 : 0);
    if (rd_is_w(r, j, "out"))
        j++;
    j = rd_skip_fill(r, j);
    /* the subject: "rows where", "records with", "test accounts (Acct starts with 'TEST')" */
    int cond_at = -1;
    for (int k = j; k < e; k++)
        if (rd_is_w(r, k, "if") || (rd_is_w(r, k, "with") && k > j) || rd_is_op(r, k, "(")) {
            cond_at = k + 1;
            break;
        }
    plan_expr *cond = NULL;
    int used_to = e;
    if (cond_at >= 0) {
        int ce = e;
        if (rd_is_op(r, cond_at - 1, "(")) {
            for (ce = cond_at; ce < r->n && !rd_is_op(r, ce, ")"); ce++)
                ;
        }
        cond = rd_parse_cond(r, cond_at, ce);
        if (!cond)
            return;
        used_to = ce < r->n ? ce + 1 : ce;
        rd_use(r, i, cond_at);     /* the subject words ("test accounts") describe the condition */
    } else {
        /* "filter out cancelled": a value seen in exactly one column of the sample */
        int v = j;
        while (v < e && rd_is_w(r, v, "row"))
            v++;
        /* "ignore thousands separators", "drop the time part": characters, not rows */
        static const char *const NOT_ROWS[] = {"thousands", "separator", "comma", "space", "currency", "symbol",
                                               "sign", "dollar", "paren", "decimal", "time", "timestamp",
                                               "leading", "trailing", "case", "char", "zero", "prefix", "suffix"};
        for (size_t q = 0; v == j && q < sizeof NOT_ROWS / sizeof *NOT_ROWS; q++)
            if (rd_is_w(r, v, NOT_ROWS[q]))
                return;
        if (v >= e || !rd_value_at(r, v, NULL)) {
            rd_problem(r, "I could not tell which rows to exclude.");
            return;
        }
        const char *want = rd_value_at(r, v, NULL);
        const char *found = NULL, *col = NULL;
        int hits = 0;
        for (int k = 0; r->c->pr && k < r->c->pr->ncols; k++) {
            const char *sv = infer_sample_value(&r->c->pr->col[k], want);
            if (!sv && strlen(want) > 4) {   /* cancelled / canceled / cancel */
                char stem[64];
                snprintf(stem, sizeof stem, "%.*s", (int)strlen(want) - 2, want);
                for (long s = 0; s < r->c->pr->col[k].nsample; s++)
                    if (r->c->pr->col[k].sample[s] && !strncasecmp(r->c->pr->col[k].sample[s], stem, strlen(stem)))
                        sv = r->c->pr->col[k].sample[s];
            }
            if (sv) {
                hits++;
                found = sv;
                col = r->c->pr->col[k].name;
            }
        }
        if (hits != 1) {
            rd_problem(r, hits ? "'%s' appears in more than one column of the data: which one decides?"
                            : "The data sample has no value like '%s': which column and value mark these rows?",
                    want);
            return;
        }
        cond = rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, col), found, false);
        used_to = v + 1;
    }
    rd_use(r, i, used_to);
    if (only) {
        plan_expr *x = plan_new_expr(r->p, PE_NOT);
        x->kid[0] = cond;
        cond = x;
    }
    rd_add_rule(r, PR_SKIP, cond, NULL);
}

/* "Look up broker name on the Brokers tab", "lookup in 'Currency Map' sheet, default 'UNK'". */

/* "must not be negative", "reject if blank", "mandatory", "cannot be empty". */
void rd_rec_checks(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        if (rd_is_w(r, k, "mandatory") || (rd_is_w(r, k, "not") && rd_is_w(r, k + 1, "blank")) ||
            (rd_is_w(r, k, "reject") && rd_find_w(r, k, "blank") >= 0) ||
            (rd_is_w(r, k, "cannot") && rd_is_w(r, rd_skip_fill(r, k + 1), "blank"))) {
            r->required = true;
            rd_use(r, k, k + 1);
            int bl = rd_find_w(r, k, "blank");
            if (bl >= 0 && bl < k + 4)
                rd_use(r, k, bl + 1);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "reject") || rd_is_w(r, q, "cannot") || rd_is_w(r, q, "if") || rd_is_w(r, q, "row") ||
                    rd_is_w(r, q, "always") || rd_is_w(r, q, "never"))
                    r->t[q].used = true;
        } else if ((rd_is_w(r, k, "negative") || rd_is_w(r, k, "positive") || rd_is_w(r, k, "nonnegative")) &&
                   r->c->column) {
            bool strict = rd_is_w(r, k, "positive");
            bool neg = rd_is_w(r, k, "negative");
            /* "must not be negative", "cannot be negative", "reject if negative", "must be positive" */
            bool ok = !neg || rd_find_w(r, 0, "not") >= 0 || rd_find_w(r, 0, "cannot") >= 0 ||
                      rd_find_w(r, 0, "reject") >= 0 || rd_find_w(r, 0, "never") >= 0;
            if (!ok)
                continue;
            plan_expr *col = plan_new_expr(r->p, PE_OUTPUT);
            col->name = plan_strdup(r->p, r->c->column);
            plan_expr *cond = rd_cmp_expr(r, strict ? PB_LE : PB_LT, col, "0", true);
            char msg[160];
            snprintf(msg, sizeof msg, "%s %s", r->c->column, strict ? "is not positive" : "is negative");
            rd_add_rule(r, PR_REJECT, cond, msg);
            r->statement = false;   /* the column still has its expression */
            rd_use(r, k, k + 1);
            for (int q = 0; q < r->n; q++)
                if (rd_is_w(r, q, "not") || rd_is_w(r, q, "cannot") || rd_is_w(r, q, "reject") || rd_is_w(r, q, "if") ||
                    rd_is_w(r, q, "never") || rd_is_w(r, q, "row") || rd_is_w(r, q, "allowed"))
                    r->t[q].used = true;
        }
    }
}

/* "as is", "direct move", "1:1", "no transformation", "copy", "same as source". */
