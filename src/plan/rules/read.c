/* read.c — rules_read: the plain-English rule reader's entry.  The formula reader (plan/formula.c) is
 * asked first; then the recognizers run, most specific first, and the rule is understood only when what
 * must be read was read.  Otherwise the column is a hole (?) and an open question says what is missing.
 */
#include "plan/rules/reading.h"

#include "plan/formula.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- entry ----------------------------------------------------------------------------------- */

static int read_prose(const rule_ctx *c, const char *text, rule_result *out, mf_err *e);

/* Does the prose reader understand text completely?  Tried on a scratch plan: nothing is added to c->p. */
static bool prose_understands(const rule_ctx *c, const char *text)
{
    plan scratch;
    plan_init(&scratch);
    rule_ctx sc = *c;
    sc.p = &scratch;
    rule_result res;
    mf_err e = {0};
    bool ok = read_prose(&sc, text, &res, &e) == 0 && res.understood;
    plan_free(&scratch);
    return ok;
}

int rules_read(const rule_ctx *c, const char *text, rule_result *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    plan *p = c->p;
    int nq = p->nquestions, nr = p->nrules, nl = p->nlookups;
    long skip_last = p->source.skip_last;
    int took = formula_read(c, text, out, e);   /* SQL / Excel syntax first (formula.c) */
    if (took < 0)
        return -1;
    if (took > 0 && (out->understood || !prose_understands(c, text))) {
        if (!out->understood) {             /* as below: a question states no row rule */
            p->nrules = nr;
            p->source.skip_last = skip_last;
        }
        return 0;
    }
    if (took > 0) {
        /* the formula reader took prose it could not read ("Copy. Load STATUS = PAID only"), and the prose
         * reader reads all of it: its question and statements give way */
        p->nquestions = nq;
        p->nrules = nr;
        p->nlookups = nl;
        p->source.skip_last = skip_last;
        memset(out, 0, sizeof *out);
    }
    if (read_prose(c, text, out, e) < 0)
        return -1;
    if (!out->understood) {
        /* a rule that is a question states no row rule either: a skip or reject read from part of it
         * ("exclude rows where Capitalization Date after 01/01/2023" with the date unread) would stay in
         * the plan when the reviewer answers the column, a silent misreading */
        p->nrules = nr;
        p->source.skip_last = skip_last;
    }
    return 0;
}

/* Does e read data column name anywhere, also through the output columns above it uses? */
static bool uses_source(const plan *p, const plan_expr *e, const char *name, int depth)
{
    if (!e || depth > 64)
        return false;
    if (e->kind == PE_SOURCE && e->name && !strcmp(e->name, name))
        return true;
    if (e->kind == PE_OUTPUT && e->name)
        for (int i = 0; i < p->ncols; i++)
            if (p->cols[i].name && !strcmp(p->cols[i].name, e->name))
                return uses_source(p, p->cols[i].expr, name, depth + 1);
    for (int i = 0; i < 3; i++)
        if (uses_source(p, e->kid[i], name, depth + 1))
            return true;
    if (e->kind == PE_STEP && (uses_source(p, e->step.value, name, depth + 1) || uses_source(p, e->step.cond, name, depth + 1)))
        return true;
    return false;
}

/* The plain-English reader: tokens, clauses, the families, the verdict. */
static int read_prose(const rule_ctx *c, const char *text, rule_result *out, mf_err *e)
{
    (void)e;
    memset(out, 0, sizeof *out);
    reading *r = mf_xcalloc(1, sizeof *r);
    r->c = c;
    r->p = c->p;
    r->text = text ? text : "";
    r->base = B_SOURCE;
    rd_tokenize(r);
    rd_clauses(r);

    rd_rec_examples(r);
    rd_rec_remarks(r);
    rd_rec_rownum(r);
    rd_rec_length_check(r);
    rd_rec_trailer(r);
    rd_rec_exclude(r);
    rd_rec_lookup(r);
    rd_rec_days(r);
    rd_rec_negate(r);
    rd_rec_conditional(r);
    rd_rec_bool(r);
    rd_rec_separators(r);
    rd_rec_map(r);
    rd_rec_checks(r);
    rd_rec_default(r);
    rd_rec_constant(r);
    rd_rec_date(r);
    rd_rec_date_part(r);
    rd_rec_same_format(r);
    rd_rec_numfmt(r);
    rd_rec_round(r);
    rd_rec_muldiv(r);
    rd_rec_abs(r);
    rd_rec_between(r);
    rd_rec_percentage(r);
    rd_rec_strip_ends(r);
    rd_rec_remove_chars(r);
    rd_rec_pad(r);
    rd_rec_trim_case(r);
    rd_rec_prefix_suffix(r);
    rd_rec_substr(r);
    rd_rec_between_delims(r);
    rd_rec_split(r);
    rd_rec_before_after(r);
    rd_rec_affix_remark(r);
    rd_rec_drop_affix(r);
    rd_rec_as_is(r);
    rd_rec_example_values(r);
    rd_explained_verbs(r);
    rd_sign_statements(r);

    mf_buf left = {0};
    rd_unread(r, &left);
    plan_expr *expr = NULL;
    if (c->column && !left.len && !r->problems.len)
        expr = rd_build(r);
    for (int k = 0; expr && k < r->navoid; k++)       /* "do not use the NBV column" */
        if (uses_source(r->p, expr, r->avoid[k], 0))
            rd_problem(r, "It says not to use [%s], but the reading uses it.", r->avoid[k]);
    if (!c->column && !r->statement && !r->problems.len && !left.len && r->n)
        rd_problem(r, "It has no target column and is not a filter or trailer rule I know.");
    if (!c->column && (r->ntext || r->nnum || r->has_map || r->base != B_SOURCE || r->deflt) && !left.len)
        rd_problem(r, "It transforms a value but the row has no target column.");

    /* a source of the row that matches no data column, when the rule needed it (no expression) or
     * a problem arose: said once, first, with the data's columns */
    bool needs_source = c->column && !expr && !left.len && !r->problems.len;
    for (int i = 0; i < c->nsrc; i++) {
        if (c->src[i].name || !c->src[i].written || !*c->src[i].written || !c->pr || c->pr->ncols <= 0)
            continue;
        if (!needs_source && !r->problems.len && !left.len)
            continue;                           /* understood without it: draft.c asks */
        mf_buf msg = {0};
        mf_buf_printf(&msg, "Source '%s' matches no column of the data file (its columns: ", c->src[i].written);
        for (int k = 0; k < c->pr->ncols && msg.len < 300; k++)
            mf_buf_printf(&msg, "%s'%s'", k ? ", " : "", c->pr->col[k].name ? c->pr->col[k].name : "");
        mf_buf_adds(&msg, ").");
        if (r->problems.len)
            mf_buf_adds(&msg, " ");
        mf_buf_adds(&msg, mf_buf_str(&r->problems));
        mf_buf_free(&r->problems);
        r->problems = msg;
    }
    if (needs_source && !r->problems.len)
        rd_problem(r, "I could not build its value.");

    bool ok = !left.len && !r->problems.len;
    if (!ok) {
        mf_buf q = {0};
        if (left.len && !r->problems.len)
            mf_buf_printf(&q, "Rule '%s' on row %d: I could not read it (not understood: \"%s\"); ", r->text, c->row,
                          mf_buf_str(&left));
        else if (left.len)
            mf_buf_printf(&q, "Rule '%s' on row %d: %s (Also not understood: \"%s\".) ", r->text, c->row,
                          mf_buf_str(&r->problems), mf_buf_str(&left));
        else
            mf_buf_printf(&q, "Rule '%s' on row %d: %s ", r->text, c->row, mf_buf_str(&r->problems));
        bool lower = left.len && !r->problems.len;
        if (c->column)
            mf_buf_printf(&q, "%s should %s contain?", lower ? "what" : "What", c->column);
        else
            mf_buf_printf(&q, "%s should this row do?", lower ? "what" : "What");
        plan_add_question(r->p, c->column ? plan_strdup(r->p, c->column) : NULL, c->row,
                          plan_strdup(r->p, mf_buf_str(&q)));
        mf_buf_free(&q);
        if (c->column)
            expr = plan_new_expr(r->p, PE_HOLE);
    }
    out->expr = c->column ? expr : NULL;
    out->required = r->required;
    out->understood = ok;
    mf_buf_free(&left);
    mf_buf_free(&r->problems);
    free(r);
    return 0;
}
