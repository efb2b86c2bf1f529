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
        /* "(3 in this example)": the result for the example given, in parentheses */
        if (rd_is_op(r, i, "(")) {
            int c = i + 1;
            while (c < r->n && c < i + 8 && !rd_is_op(r, c, ")") && r->t[c].clause == r->t[i].clause)
                c++;
            if (rd_is_op(r, c, ")") && c >= i + 4 && rd_is_w(r, c - 3, "in") &&
                (rd_is_w(r, c - 2, "this") || rd_is_w(r, c - 2, "the") || rd_is_w(r, c - 2, "that")) &&
                rd_is_w(r, c - 1, "example")) {
                rd_use(r, i, c + 1);
                continue;
            }
        }
        bool eg = (rd_is_w(r, i, "e") && rd_is_op(r, i + 1, ".") && rd_is_w(r, i + 2, "g")) ||
                  rd_is_w(r, i, "eg") || rd_is_w(r, i, "example") || rd_is_w(r, i, "ex") ||
                  (rd_is_w(r, i, "like") && (rd_is_k(r, i + 1, TK_NUM) || rd_is_k(r, i + 1, TK_STR) ||
                                             (rd_is_k(r, i + 1, TK_WORD) && strpbrk(r->t[i + 1].orig, "0123456789")))) ||
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
        bool in_parens = false;            /* "(e.g. 4100 becomes 004100)" ends at its parenthesis */
        for (int q = i - 1; q >= 0 && r->t[q].clause == r->t[i].clause && !in_parens; q--)
            in_parens = rd_is_op(r, q, "(");
        /* examples are values: stop at the clause's end, or at the next word that is an instruction */
        while (j < e && r->t[j].clause == r->t[i].clause && !(in_parens && rd_is_op(r, j, ")")) &&
               !(r->t[j].k == TK_WORD && j > i + 1 && rd_is_operative_word(r->t[j].w)))
            j++;
        rd_use(r, i, j);
    }
}

/* "put only the number 4.25", "just the value 4.25": an example of the value to load, read after the text
 * steps.  It is read only when some sampled value of the row's column, with the rule's removals and
 * replacements applied, is exactly that number: an example the sample does not show is a question. */
void rd_rec_example_values(reading *r)
{
    const prof_column *pc = rd_prof_of(r, rd_primary(r));
    if (!pc || !r->c->column)
        return;
    for (int k = 1; k < r->n; k++) {
        if (!rd_is_k(r, k, TK_NUM) || !(rd_is_w(r, k - 1, "number") || rd_is_w(r, k - 1, "value")))
            continue;
        int b = k - 1;
        if (rd_is_w(r, b - 1, "the"))
            b--;
        if (!(rd_is_w(r, b - 1, "only") || rd_is_w(r, b - 1, "just")))
            continue;
        b--;
        bool seen = false;
        for (long s = 0; s < pc->nsample && !seen; s++) {
            const char *v = pc->sample[s];
            for (int q = 0; v && q < r->ntext; q++) {
                const plan_step *st = &r->text_steps[q].st;
                if (st->kind == PS_REPLACE && st->s && st->s[0])
                    v = infer_replace_all(&r->p->arena, v, st->s, st->s2);
            }
            while (v && (*v == ' ' || *v == '\t'))
                v++;
            seen = v && !strncmp(v, r->t[k].orig, strlen(r->t[k].orig)) &&
                   !v[strlen(r->t[k].orig) + strspn(v + strlen(r->t[k].orig), " \t")];
        }
        if (seen)
            rd_use(r, b, k + 1);
    }
}

/* The one column whose sample holds v (or values starting with it): the condition that marks such a
 * row, NULL when no column or more than one does. */
static plan_expr *content_row(reading *r, const char *v)
{
    plan_expr *x = NULL;
    int hits = 0;
    for (int k = 0; r->c->pr && k < r->c->pr->ncols; k++) {
        const prof_column *pc = &r->c->pr->col[k];
        const char *exact = infer_sample_value(pc, v), *starts = NULL;
        for (long s = 0; !exact && s < pc->nsample; s++) {
            const char *sv = pc->sample[s];
            while (sv && *sv == ' ')
                sv++;
            if (sv && !strncasecmp(sv, v, strlen(v)))
                starts = sv;
        }
        if (!exact && !starts)
            continue;
        hits++;
        if (exact) {
            x = rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, pc->name), exact, false);
        } else {
            x = plan_new_expr(r->p, PE_STARTS);
            x->kid[0] = plan_source_ref(r->p, pc->name);
            x->text = plan_strdup(r->p, v);
        }
    }
    return hits == 1 ? x : NULL;
}

/* A trailer or total row named by its content: "the row that starts with TOTAL", "a line labelled
 * 'GRAND TOTAL' ... must not be loaded".  The text must be in the sample of exactly one column; the
 * rule becomes `skip rows where [Col] is "GRAND TOTAL"`.  Returns true when it read one. */
static bool trailer_by_content(reading *r)
{
    for (int k = 0; k < r->n; k++) {
        const char *v = NULL;
        if (rd_is_k(r, k, TK_STR))
            v = r->t[k].w;
        else if (rd_is_k(r, k, TK_WORD) && (rd_is_w(r, k - 1, "labelled") || rd_is_w(r, k - 1, "labeled") ||
                                           rd_is_w(r, k - 1, "with") || rd_is_w(r, k - 1, "called")) &&
                 isupper((unsigned char)r->t[k].orig[0]) && isupper((unsigned char)r->t[k].orig[strlen(r->t[k].orig) - 1]))
            v = r->t[k].orig;
        if (!v)
            continue;
        int c = r->t[k].clause;
        bool trailer_word = strcasestr(v, "total") != NULL;
        for (int q = 0; q < r->n; q++)
            if ((r->t[q].clause == c || r->t[q].clause == c + 1) &&
                (rd_is_w(r, q, "trailer") || rd_is_w(r, q, "total") || rd_is_w(r, q, "footer")))
                trailer_word = true;
        bool row_word = false;                /* the literal labels a row or line */
        for (int q = 0; q < r->n; q++)
            row_word |= r->t[q].clause == c && (rd_is_w(r, q, "row") || rd_is_w(r, q, "labelled") ||
                                                rd_is_w(r, q, "labeled") || rd_is_w(r, q, "trailer"));
        if (!trailer_word || !row_word)
            continue;
        plan_expr *cond = content_row(r, v);
        if (!cond)
            continue;
        rd_add_rule(r, PR_SKIP, cond, NULL);
        /* the literal's clause and a following "this ... must not be loaded" */
        for (int q = 0; q < r->n; q++) {
            tok *t = &r->t[q];
            if (t->clause != c && t->clause != c + 1)
                continue;
            if (t->clause == c + 1 && !(t->k == TK_WORD && (rd_is_w(r, q, "not") || rd_is_w(r, q, "dont") ||
                                                           rd_is_w(r, q, "never") || rd_is_w(r, q, "load") ||
                                                           rd_is_w(r, q, "exclude") || rd_is_w(r, q, "total") ||
                                                           rd_is_w(r, q, "include"))))
                continue;
            if (q == k || (t->k == TK_WORD && (!rd_is_operative_word(t->w) || rd_is_w(r, q, "total") ||
                                               rd_is_w(r, q, "trailer") || rd_is_w(r, q, "exclude") ||
                                               rd_is_w(r, q, "not") || rd_is_w(r, q, "dont"))))
                t->used = true;
        }
        return true;
    }
    return false;
}

/* "ignore the trailer row", "skip the total line at the end", "skip last 2 rows". */
/* "Skip trailer rec (REC = T, last line)": the trailer named by a condition in parentheses. */
static bool trailer_by_condition(reading *r, int tw)
{
    for (int k = tw + 1; k < r->n && r->t[k].clause == r->t[tw].clause; k++) {
        if (!rd_is_op(r, k, "("))
            continue;
        int e = k + 1;
        while (e < r->n && !rd_is_op(r, e, ")") && !rd_is_op(r, e, ","))
            e++;
        size_t mark = r->problems.len;
        plan_expr *c = rd_parse_cond(r, k + 1, e);
        if (!c) {
            r->problems.len = mark;
            if (r->problems.data)
                r->problems.data[mark] = 0;
            return false;
        }
        rd_add_rule(r, PR_SKIP, c, NULL);
        int close = e;
        while (close < r->n && !rd_is_op(r, close, ")"))
            close++;
        for (int q = k; q <= close && q < r->n; q++)   /* ", last line" describes where it is */
            if (r->t[q].k != TK_WORD || !rd_is_operative_word(r->t[q].w) || rd_is_w(r, q, "last"))
                r->t[q].used = true;
        for (int q = 0; q < r->n; q++)
            if (r->t[q].clause == r->t[tw].clause && r->t[q].k == TK_WORD &&
                (rd_is_w(r, q, "trailer") || rd_is_w(r, q, "exclude") || rd_is_w(r, q, "total") || !rd_is_operative_word(r->t[q].w)))
                r->t[q].used = true;
        return true;
    }
    return false;
}

void rd_rec_trailer(reading *r)
{
    if (trailer_by_content(r))
        return;
    int tw = rd_find_w(r, 0, "trailer");
    if (tw >= 0 && trailer_by_condition(r, tw))
        return;
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
    /* "The last line 'Endsaldo' is the closing balance": the literal labels that line */
    for (int k = 0; k < r->n; k++)
        if (rd_is_k(r, k, TK_STR) && last >= 0 && r->t[k].clause == r->t[last].clause)
            r->t[k].used = true;
    for (int k = 0; k < r->n; k++) {   /* "this is not a journal line and must not be loaded" */
        tok *t = &r->t[k];
        if (t->k == TK_WORD && !t->used && (!strcmp(t->w, "not") || !strcmp(t->w, "dont")) && k + 1 < r->n &&
            (!strcmp(r->t[k + 1].w, "a") || !strcmp(r->t[k + 1].w, "be") || !strcmp(r->t[k + 1].w, "load")))
            t->used = true;
    }
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

/* Words that keep or load rows ("only include", "load ... only") and words that start a condition. */
static bool keep_verb(const reading *r, int k)
{
    return rd_is_w(r, k, "include") || rd_is_w(r, k, "keep") || rd_is_w(r, k, "load") || rd_is_w(r, k, "take") ||
           rd_is_w(r, k, "process") || rd_is_w(r, k, "select") || rd_is_w(r, k, "import") || rd_is_w(r, k, "retain");
}

static bool cond_starter(const reading *r, int k)
{
    return rd_is_w(r, k, "if") || rd_is_w(r, k, "whose") || rd_is_w(r, k, "with") || rd_is_w(r, k, "having") ||
           rd_is_w(r, k, "which") || rd_is_w(r, k, "that");
}

/* The first and last token of clause c. */
static void clause_span(const reading *r, int c, int *b, int *e)
{
    *b = r->n;
    *e = 0;
    for (int k = 0; k < r->n; k++)
        if (r->t[k].clause == c) {
            if (k < *b)
                *b = k;
            *e = k + 1;
        }
}

/* "the loans which are still running: it means COND", "active ones, i.e. COND": the index where a condition
 * defining the rows starts (after "means", "meaning", "i.e.", "that is"), -1 when [b, e) defines none. */
static int definition_at(const reading *r, int b, int e)
{
    for (int k = b; k < e; k++) {
        if (rd_is_w(r, k, "means") || rd_is_w(r, k, "meaning") || rd_is_w(r, k, "ie") ||
            (rd_is_w(r, k, "that") && rd_is_w(r, k + 1, "is") && rd_is_op(r, k - 1, ",")))
            return k + 1 + (rd_is_w(r, k, "that") ? 1 : 0) + (rd_is_op(r, k + 1, ",") || rd_is_op(r, k + 1, ":") ? 1 : 0);
        if (rd_is_w(r, k, "i") && rd_is_op(r, k + 1, ".") && rd_is_w(r, k + 2, "e"))
            return k + 3 + (rd_is_op(r, k + 3, ".") ? 1 : 0) + (rd_is_op(r, k + 4, ",") ? 1 : 0);
    }
    return -1;
}

/* Does the definition at d name a piece of a value rather than rows ("take the natural account only, i.e. the
 * part before the hyphen")?  Its first word after filler is a word for part of a text. */
static bool defines_text_piece(const reading *r, int d)
{
    static const char *const PIECE[] = {"part", "portion", "piece", "bit", "segment", "everything", "char", "character",
                                        "digit", "letter", "first", "last", "text", "string", "prefix", "suffix"};
    int k = rd_skip_fill(r, d);
    if (rd_is_w(r, k, "the") || rd_is_w(r, k, "a") || rd_is_w(r, k, "an"))
        k++;
    for (size_t q = 0; q < sizeof PIECE / sizeof *PIECE; q++)
        if (rd_is_w(r, k, PIECE[q]))
            return true;
    return false;
}

/* Does clause [b, e) speak of rows: a row word, a comparison, or a condition word? */
static bool names_rows(const reading *r, int b, int e)
{
    int d = definition_at(r, b, e);
    if (d >= 0 && !defines_text_piece(r, d))
        return true;
    for (int k = b; k < e; k++)
        if (rd_is_w(r, k, "row") || rd_is_op(r, k, "=") || rd_is_op(r, k, "!=") || rd_is_op(r, k, "<") ||
            rd_is_op(r, k, ">") || rd_is_op(r, k, "<=") || rd_is_op(r, k, ">=") || rd_is_w(r, k, "if") ||
            rd_is_w(r, k, "whose"))
            return true;
    return false;
}

/* The verb of a row filter in clause [b, e): sets *keep (rows that match are kept, the rest skipped)
 * and returns its index (the verb's words are marked in *vb..*ve), -1 when the clause filters nothing. */
static int filter_verb(const reading *r, int b, int e, bool *keep, int *vb, int *ve)
{
    for (int k = b; k < e; k++) {
        if (rd_is_op(r, k - 1, "(") && !names_rows(r, k, e))
            continue;                            /* "(drop 'CTR-')": a remark on a text step */
        if (rd_is_w(r, k, "exclude") || (rd_is_w(r, k, "filter") && rd_is_w(r, k + 1, "out"))) {
            /* "ignore thousands separators", "drop the time part": characters, not rows */
            static const char *const NOT_ROWS[] = {"thousands", "separator", "comma", "space", "currency", "symbol",
                                                   "sign", "dollar", "paren", "decimal", "time", "timestamp",
                                                   "leading", "trailing", "case", "char", "zero", "prefix", "suffix"};
            for (int v = k + 1; v < e && !cond_starter(r, v) && !rd_is_w(r, v, "row"); v++)
                for (size_t q = 0; q < sizeof NOT_ROWS / sizeof *NOT_ROWS; q++)
                    if (rd_is_w(r, v, NOT_ROWS[q]))
                        return -1;
            *keep = false;
            *vb = k;
            *ve = k + 1 + (rd_is_w(r, k + 1, "out") ? 1 : 0);
            return k;
        }
        if (rd_is_w(r, k, "remove") && rd_find_w(r, k, "row") >= 0 && rd_find_w(r, k, "row") < e && rd_find_w(r, k, "row") <= k + 3) {
            *keep = false;
            *vb = k;
            *ve = k + 1;
            return k;
        }
        /* "don't take", "must not be loaded", "never load" */
        if ((rd_is_w(r, k, "dont") || rd_is_w(r, k, "not") || rd_is_w(r, k, "never")) && k + 1 < e) {
            int v = k + 1;
            while (v < e && v < k + 4 && (rd_is_w(r, v, "be") || rd_is_w(r, v, "to") || rd_is_w(r, v, "should")))
                v++;
            if (keep_verb(r, v)) {
                *keep = false;
                *vb = k;
                *ve = v + 1;
                return k;
            }
        }
        /* "only assets with Status 'ACTIVE' or 'RETIRED' are in scope" */
        if (rd_is_w(r, k, "only")) {
            for (int q = k + 1; q + 1 < e; q++)
                if (rd_is_w(r, q, "in") && rd_is_w(r, q + 1, "scope")) {
                    *keep = true;
                    *vb = q;
                    *ve = q + 2;
                    return k;
                }
        }
        /* "Keep loans with X more than 0", "Include rows where ...": a keep verb opening the clause, then a
         * condition; "only rows where ..." */
        if ((k == b || (k == b + 1 && rd_is_w(r, b, "please"))) && (rd_is_w(r, k, "keep") || rd_is_w(r, k, "include") || rd_is_w(r, k, "retain") ||
                                        rd_is_w(r, k, "select")) && (!r->c->column || names_rows(r, b, e))) {
            bool cond = false;
            for (int q = k + 1; q < e && !cond; q++)
                cond = cond_starter(r, q) && q <= k + 4;
            if (cond) {
                *keep = true;
                *vb = k;
                *ve = k + 1;
                return k;
            }
        }
        if (rd_is_w(r, k, "only") && rd_is_w(r, k + 1, "row") && (rd_is_w(r, k + 2, "if") || rd_is_w(r, k + 2, "with") ||
                                                                  rd_is_w(r, k + 2, "whose"))) {
            *keep = true;
            *vb = k;
            *ve = k + 1;
            return k;
        }
        /* "only include", "only incl. rows", "load ... only": rows, or a condition, must be named
         * ("take only the first 2 letters" keeps characters, not rows) */
        if (rd_is_w(r, k, "only") && names_rows(r, b, e)) {
            if (keep_verb(r, k + 1)) {
                *keep = true;
                *vb = k;
                *ve = k + 2;
                return k;
            }
            for (int v = k - 1; v >= b; v--)
                if (keep_verb(r, v)) {
                    *keep = true;
                    *vb = v;
                    *ve = v + 1;
                    return k;
                }
        }
    }
    return -1;
}

/* "filter out cancelled": a value seen in exactly one column of the sample; NULL and a problem when not. */
static plan_expr *value_in_one_column(reading *r, int v)
{
    const char *want = rd_value_at(r, v, NULL);
    if (!want || (rd_is_k(r, v, TK_WORD) && (rd_is_filler(r->t[v].w) || rd_is_operative_word(r->t[v].w)))) {
        rd_problem(r, "I could not tell which rows to exclude.");
        return NULL;
    }
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
        return NULL;
    }
    rd_use(r, v, v + 1);
    return rd_cmp_expr(r, PB_EQ, plan_source_ref(r->p, col), found, false);
}

/* The condition of a filter in clause [b, e) whose verb spans [vb, ve). */
static plan_expr *filter_cond(reading *r, int b, int e, int vb, int ve)
{
    /* "Take only the loans which are still running: it means COND": the words before the definition name
     * the rows it defines; nothing operative may be among them */
    int d = definition_at(r, ve, e);
    if (d >= 0) {
        int ce = e;
        while (ce > d && rd_is_op(r, ce - 1, "."))
            ce--;
        int m = d - 1;
        while (m > ve && !(rd_is_w(r, m, "means") || rd_is_w(r, m, "meaning") || rd_is_w(r, m, "ie") ||
                           rd_is_w(r, m, "i") || rd_is_w(r, m, "that")))
            m--;
        for (int q = ve; q < m; q++)
            if (r->t[q].k != TK_WORD && !rd_is_op(r, q, ",") && !rd_is_op(r, q, ":"))
                d = -1;
            else if (r->t[q].k == TK_WORD && !r->t[q].used && rd_is_operative_word(r->t[q].w) && !rd_is_w(r, q, "only"))
                d = -1;
        if (d >= 0) {
            plan_expr *c = rd_parse_cond(r, d, ce);
            if (c)
                rd_use(r, ve, d);
            return c;
        }
    }
    /* "if Status is VOID then exclude": the condition before the verb */
    for (int k = b; k < vb; k++)
        if (cond_starter(r, k)) {
            int ce = vb;
            while (ce > k + 1 && (rd_is_w(r, ce - 1, "then") || rd_is_op(r, ce - 1, ",") || rd_is_w(r, ce - 1, "be") ||
                                  rd_is_w(r, ce - 1, "should") || rd_is_w(r, ce - 1, "must") || rd_is_w(r, ce - 1, "are") ||
                                  rd_is_w(r, ce - 1, "is")))
                ce--;
            plan_expr *c = rd_parse_cond(r, k + 1, ce);
            if (c)
                rd_use(r, k, ce < vb ? vb : ce);
            return c;
        }
    while (ve < e && rd_is_op(r, ve, "."))      /* "excl. plant 9999" */
        ve++;
    /* after the verb: "rows where ...", "records with Type = X", "test accounts (Acct starts with 'TEST')" */
    int s = ve;
    while (s < e && (rd_is_w(r, s, "row") || (rd_is_k(r, s, TK_WORD) && rd_is_filler(r->t[s].w) && !cond_starter(r, s))))
        s++;
    for (int k = ve; k < e; k++)
        if (cond_starter(r, k) || rd_is_op(r, k, "(")) {
            int ce = e;
            bool paren = rd_is_op(r, k, "(");
            if (paren)
                for (ce = k + 1; ce < e && !rd_is_op(r, ce, ")"); ce++)
                    ;
            else
                for (int q = k + 1; q < e; q++)    /* "(external cust.)" after the condition is a remark */
                    if (rd_is_op(r, q, "(")) {
                        ce = q;
                        break;
                    }
            size_t mark = r->problems.len;
            plan_expr *c = rd_parse_cond(r, k + 1, ce);
            if (!c && paren) {                   /* "(external cust.)": not the condition; read what is before */
                r->problems.len = mark;
                if (r->problems.data)
                    r->problems.data[mark] = 0;
                break;
            }
            if (c) {
                rd_use(r, ve, k + 1);   /* the subject words ("test accounts") describe the condition */
                if (rd_is_op(r, ce, ")"))
                    rd_use(r, ce, ce + 1);
            }
            return c;
        }
    /* "excl. plant 9999", "Load STATUS = PAID only", "excl. amt = 0" */
    int ce = e;
    for (int q = s; q < e; q++)                /* "drop Werk 9999 (test plant)": the remark is not the condition */
        if (rd_is_op(r, q, "(")) {
            ce = q;
            break;
        }
    while (ce > s && (rd_is_w(r, ce - 1, "only") || rd_is_op(r, ce - 1, ".")))
        ce--;
    if (s >= ce) {
        rd_problem(r, "I could not tell which rows to exclude.");
        return NULL;
    }
    size_t mark = r->problems.len;
    if (ce - s == 1)
        return value_in_one_column(r, s);
    plan_expr *c = rd_parse_cond(r, s, ce);
    if (!c && ce - s <= 2) {
        r->problems.len = mark;        /* "filter out cancelled rows" */
        if (r->problems.data)
            r->problems.data[mark] = 0;
        return value_in_one_column(r, s);
    }
    return c;
}

/* Row filters, one per clause: "Exclude rows where Status = 'VOID'", "ignore records with Type = X",
 * "filter out cancelled", "only include rows where Region = 'EU'", "Load STATUS = PAID only",
 * "excl. amt = 0", "don't take the lines where the account begins with '9'", "if Status is VOID then
 * exclude".  A kept condition becomes `skip rows where not ...`. */
/* "The other loans don't take", "the rest are excluded": the rows a keep filter of the rule leaves out,
 * said once more.  The clause names them only by "other"/"rest"/"remaining" and plain nouns. */
static bool the_others(reading *r, int b, int e, int vb, int ve)
{
    bool other = false;
    for (int k = b; k < e; k++) {
        if (k >= vb && k < ve)
            continue;
        if (rd_is_w(r, k, "other") || rd_is_w(r, k, "others") || rd_is_w(r, k, "rest") || rd_is_w(r, k, "remaining"))
            other = true;
        else if (r->t[k].k == TK_WORD ? (rd_is_operative_word(r->t[k].w) || r->t[k].used) && !rd_is_w(r, k, "row")
                                      : !rd_is_op(r, k, ".") && !rd_is_op(r, k, ","))
            return false;
    }
    if (other)
        rd_use(r, b, e);
    return other;
}

/* One field's predicate list after "are": "zero or blank", "blank", "zero": (F = 0 or F is missing).  NULL when the
 * words are something else. */
static plan_expr *zero_or_blank(reading *r, const char *field, int v, int e, int *end)
{
    plan_expr *x = NULL;
    int k = v;
    while (k < e) {
        plan_expr *p = NULL;
        if (rd_is_w(r, k, "zero") || (rd_is_k(r, k, TK_NUM) && rd_num_at(r, k) == 0 && !strchr(r->t[k].w, '.'))) {
            plan_expr *f = infer_read_number(r->p, plan_source_ref(r->p, field), rd_prof_of(r, field), NULL, false,
                                             &r->problems);
            if (!f)
                return NULL;
            p = rd_cmp_expr(r, PB_EQ, f, "0", true);
        } else if (rd_is_w(r, k, "blank")) {
            p = plan_new_expr(r->p, PE_MISSING);
            p->kid[0] = plan_source_ref(r->p, field);
        } else {
            return NULL;
        }
        if (x) {
            plan_expr *o = plan_new_expr(r->p, PE_OR);
            o->kid[0] = x;
            o->kid[1] = p;
            p = o;
        }
        x = p;
        k++;
        if (!rd_is_w(r, k, "or"))
            break;
        k++;
    }
    *end = k;
    return x;
}

/* "lines on which both the debit and the credit are zero or blank": the rows a clause describes, for a filter
 * verb in the next clause that points back at them ("these ... should be excluded").  Both fields must be data
 * columns; the predicate is zero and/or blank. */
static plan_expr *described_rows(reading *r, int c)
{
    int b, e;
    clause_span(r, c, &b, &e);
    for (int k = b; k + 2 < e; k++) {
        if (!rd_is_w(r, k, "row"))
            continue;
        int s = k + 1;
        if ((rd_is_w(r, s, "on") || rd_is_w(r, s, "in")) && rd_is_w(r, s + 1, "which"))
            s += 2;
        else if (rd_is_w(r, s, "where") || rd_is_w(r, s, "whose"))
            s++;
        else
            continue;
        if (!rd_is_w(r, s, "both"))
            return NULL;
        int a = s + 1, and = a;
        while (and < e && !rd_is_w(r, and, "and"))
            and++;
        int are = and + 1;
        while (are < e && !rd_is_w(r, are, "are"))
            are++;
        if (and >= e || are >= e)
            return NULL;
        const char *fa = rd_resolve_span(r, a, and), *fb = rd_resolve_span(r, and + 1, are);
        if (!fa || !fb || !strcmp(fa, fb))
            return NULL;
        int ea, eb;
        plan_expr *pa = zero_or_blank(r, fa, are + 1, e, &ea);
        plan_expr *pb = pa ? zero_or_blank(r, fb, are + 1, e, &eb) : NULL;
        while (pa && ea < e && r->t[ea].k == TK_OP && strchr(";.,", r->t[ea].w[0]))
            ea++;                            /* the clause's closing punctuation */
        if (!pa || !pb || ea != e)
            return NULL;
        plan_expr *x = plan_new_expr(r->p, PE_AND);
        x->kid[0] = pa;
        x->kid[1] = pb;
        rd_use(r, k, e);
        return x;
    }
    return NULL;
}

void rd_rec_exclude(reading *r)
{
    bool kept = false;
    for (int c = 0; c < r->nclause; c++) {
        int b, e, vb, ve;
        bool keep = false;
        clause_span(r, c, &b, &e);
        int v = filter_verb(r, b, e, &keep, &vb, &ve);
        if (v < 0)
            continue;
        if (!keep && kept && the_others(r, b, e, vb, ve))
            continue;
        kept |= keep;
        if (rd_is_w(r, v, "only"))
            rd_use(r, v, v + 1);
        /* "...; these carry no value and should be excluded": the rows the previous clause describes */
        int these = -1;
        for (int k = b; k < vb && these < 0; k++)
            if (rd_is_w(r, k, "these") || rd_is_w(r, k, "those") || rd_is_w(r, k, "they"))
                these = k;
        if (these >= 0 && c > 0 && !keep) {
            plan_expr *dc = described_rows(r, c - 1);
            if (dc) {
                rd_use(r, these, these + 1);
                rd_use(r, vb, ve);
                for (int k = ve; k < e; k++)          /* "from the load" */
                    if (rd_is_k(r, k, TK_WORD) && (rd_is_filler(r->t[k].w) || rd_is_w(r, k, "load") || rd_is_w(r, k, "from")))
                        r->t[k].used = true;
                rd_add_rule(r, PR_SKIP, dc, NULL);
                continue;
            }
        }
        /* "exclude rows where Status = 'C' unless Amount <> 0", "... except when ...": the exception is kept */
        int u = -1, ue = e;
        for (int k = ve + 1; !keep && k < e && u < 0; k++)
            if (rd_is_w(r, k, "unless") || (rd_is_w(r, k, "except") && (rd_is_w(r, k + 1, "when") ||
                                                                        rd_is_w(r, k + 1, "if") || rd_is_w(r, k + 1, "where"))))
                u = k;
        while (u >= 0 && ue > u + 1 && (rd_is_op(r, ue - 1, ".") || rd_is_op(r, ue - 1, ",")))
            ue--;
        plan_expr *cond = filter_cond(r, b, u >= 0 ? u : e, vb, ve);
        if (!cond)
            return;
        if (u >= 0) {
            int cb = u + (rd_is_w(r, u, "except") ? 2 : 1);
            plan_expr *x = rd_parse_cond(r, cb, ue);
            if (!x)
                return;
            rd_use(r, u, cb);
            plan_expr *nx = plan_new_expr(r->p, PE_NOT);
            nx->kid[0] = x;
            plan_expr *both = plan_new_expr(r->p, PE_AND);
            both->kid[0] = cond;
            both->kid[1] = nx;
            cond = both;
            if (rd_is_op(r, u - 1, ","))
                rd_use(r, u - 1, u);
        }
        rd_use(r, vb, ve);
        for (int k = b; k < e; k++)
            if (rd_is_w(r, k, "row") || (rd_is_w(r, k, "only") && keep) || rd_is_w(r, k, "filter"))
                r->t[k].used = true;
        if (keep) {
            plan_expr *x = plan_new_expr(r->p, PE_NOT);
            x->kid[0] = cond;
            cond = x;
        }
        rd_add_rule(r, PR_SKIP, cond, NULL);
    }
}

/* "An asset cannot be included in our testing without a valid capitalization date", "a record must not be
 * loaded without it": the row's own value is required (an invalid one is rejected by its conversion anyway).
 * After "without" only words naming the value may follow (no literal, number or other column). */
static void required_without(reading *r)
{
    if (!r->c->column)
        return;
    for (int w = 0; w < r->n; w++) {
        if (!rd_is_w(r, w, "without"))
            continue;
        int c = r->t[w].clause, neg = -1;
        for (int q = w - 1; q >= 0 && q >= w - 8 && r->t[q].clause == c && neg < 0; q--)
            if (rd_is_w(r, q, "cannot") || rd_is_w(r, q, "not") || rd_is_w(r, q, "never"))
                neg = q;
        if (neg < 0)
            continue;
        bool verb = false;
        for (int q = neg + 1; q < w && q <= neg + 3; q++)
            verb |= rd_is_w(r, q, "include") || rd_is_w(r, q, "load") || rd_is_w(r, q, "process") ||
                    rd_is_w(r, q, "accepted") || rd_is_w(r, q, "accept") || rd_is_w(r, q, "processed") ||
                    rd_is_w(r, q, "use") || rd_is_w(r, q, "used") || rd_is_w(r, q, "import") || rd_is_w(r, q, "imported");
        if (!verb)
            continue;
        int e = w + 1;
        bool ok = true;
        while (e < r->n && r->t[e].clause == c && !rd_is_op(r, e, ".")) {
            if (r->t[e].k != TK_WORD || rd_is_operative_word(r->t[e].w) || r->t[e].used)
                ok = false;
            else if (!rd_is_filler(r->t[e].w) && rd_resolve_name_min(r, r->t[e].orig, 0.95) &&
                     rd_resolve_name_min(r, r->t[e].orig, 0.95) != rd_primary(r))
                ok = false;                   /* another column: a condition on it, not this value */
            e++;
        }
        if (!ok || e == w + 1)
            continue;
        int b = w;                            /* the clause from its start: "An asset cannot be included in ..." */
        while (b > 0 && r->t[b - 1].clause == c)
            b--;
        for (int q = b; q < neg; q++)
            if (r->t[q].k != TK_WORD || rd_is_operative_word(r->t[q].w))
                ok = false;
        if (!ok)
            continue;
        r->required = true;
        rd_use(r, b, e);
    }
}

/* "must not be negative", "reject if blank", "mandatory", "cannot be empty". */
void rd_rec_checks(reading *r)
{
    required_without(r);
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
            /* "must not be negative", "reject if negative", "must be positive", "always positive": the
             * requirement in the same clause ("provided with positive amounts" requires nothing) */
            bool ok = false;
            for (int q = 0; q < r->n && !ok; q++)
                ok = r->t[q].clause == r->t[k].clause && !r->t[q].used &&
                     ((q < k && q >= k - 4 &&
                       (neg ? (rd_is_w(r, q, "not") || rd_is_w(r, q, "cannot") || rd_is_w(r, q, "never"))
                            : (rd_is_w(r, q, "must") || rd_is_w(r, q, "should") ||
                               rd_is_w(r, q, "always")))) ||
                      rd_is_w(r, q, "reject"));
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
            for (int q = 0; q < r->n; q++) {
                bool fmt = false;                  /* a clause on the number's format keeps its words */
                for (int u = 0; u < r->n; u++)
                    fmt |= r->t[u].clause == r->t[q].clause && (rd_is_w(r, u, "paren") || rd_is_w(r, u, "minus") ||
                                                               rd_is_w(r, u, "trailing") || rd_is_w(r, u, "sign"));
                if ((rd_is_w(r, q, "not") || rd_is_w(r, q, "cannot") || rd_is_w(r, q, "reject") || rd_is_w(r, q, "if") ||
                     rd_is_w(r, q, "never") || rd_is_w(r, q, "row") || rd_is_w(r, q, "allowed") ||
                     rd_is_w(r, q, neg ? "negative" : "positive")) && !fmt)
                    r->t[q].used = true;
            }
        }
    }
}

/* "as is", "direct move", "1:1", "no transformation", "copy", "same as source". */

/* "The IBAN must have 22 characters ... If the length is different, the line must be rejected", "length
 * must be 10", "exactly 8 characters, else reject": reject rows where length of COL != N. */
void rd_rec_length_check(reading *r)
{
    if (!r->c->column)
        return;
    for (int k = 0; k < r->n; k++) {
        long n = rd_num_at(r, k);
        if (n <= 0)
            continue;
        bool chars = rd_is_w(r, k + 1, "char") || (rd_is_w(r, k + 1, "char") && rd_is_w(r, k + 2, "long"));
        bool length = false;
        for (int q = k - 4; q < k; q++)
            if (q >= 0 && (rd_is_w(r, q, "length") || rd_is_w(r, q, "exactly")))
                length = true;
        bool must = false;
        for (int q = k - 4; q < k; q++)
            if (q >= 0 && (rd_is_w(r, q, "must") || rd_is_w(r, q, "exactly") || rd_is_w(r, q, "should") ||
                           rd_is_w(r, q, "always")))
                must = true;
        if (!(chars || length) || !must)
            continue;
        /* the rule must say what happens otherwise: rejected */
        int rej = rd_find_w(r, 0, "reject");
        if (rej < 0)
            continue;
        plan_expr *col = plan_new_expr(r->p, PE_OUTPUT);
        col->name = plan_strdup(r->p, r->c->column);
        plan_expr *len = plan_new_expr(r->p, PE_LENGTH);
        len->kid[0] = col;
        char msg[160], num[24];
        snprintf(num, sizeof num, "%ld", n);
        snprintf(msg, sizeof msg, "%s is not %ld characters long", r->c->column, n);
        rd_add_rule(r, PR_REJECT, rd_cmp_expr(r, PB_NE, len, num, true), msg);
        r->statement = false;                 /* the column still has its expression */
        rd_use(r, k, k + 2);
        /* the words that say it: "must have", "if the length is different", "the line must be rejected" */
        int c1 = r->t[k].clause, c2 = r->t[rej].clause;
        for (int q = 0; q < r->n; q++)
            if ((r->t[q].clause == c1 || r->t[q].clause == c2) && r->t[q].k == TK_WORD &&
                (!rd_is_operative_word(r->t[q].w) || rd_is_w(r, q, "reject") || rd_is_w(r, q, "length") ||
                 rd_is_w(r, q, "different") ||
                 rd_is_w(r, q, "if") || rd_is_w(r, q, "not") || rd_is_w(r, q, "otherwise")))
                r->t[q].used = true;
        return;
    }
}
