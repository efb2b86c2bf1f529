/* rulebook_learn.c — the rulebook in the workflow: learning readings people approved, and using
 * them for the columns a later draft leaves open (rulebook_learn.h, docs/rulebook.md).
 *
 * Invariants:
 *   - an entry is learned only from an approved version, and only from a column a person made
 *     (an answer, feedback, or a hand edit of an open column): a drafted reading approved with
 *     --yes teaches nothing;
 *   - a learned reading fills only a column that holds a ?, is type-checked against this data's
 *     header, and says where it came from in the column's provenance (so the sample check's
 *     question names the entry when it fails);
 *   - every addition (rulebook_added) and use (rulebook_used, rulebook_conflict) is an audit event.
 */
#include "flow/rulebook_learn.h"

#include "flow/flow_internal.h"
#include "plan/rulebook.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The data's column names: the profile's, else the plan's own source columns. */
static int header_of(const plan *p, const profile *pr, const char ***out)
{
    if (pr) {
        const char **c = mf_xcalloc((size_t)pr->ncols + 1, sizeof *c);
        for (int i = 0; i < pr->ncols; i++)
            c[i] = pr->col[i].name;
        *out = c;
        return pr->ncols;
    }
    const char **names;
    int n = plan_used_sources(p, &names);
    const char **c = mf_xcalloc((size_t)n + 1, sizeof *c);
    for (int i = 0; i < n; i++)
        c[i] = names[i];
    *out = c;
    return n;
}

/* The rule a column's provenance quotes, without the tails the workflow adds ("— learned from ...",
 * "— answered by ...", "— changed by ...": session.c annotate) (malloc'd). */
static char *rule_of(const plan_column *c)
{
    const char *t = c->prov.text ? c->prov.text : "";
    size_t n = flow_prov_rule_len(t);
    char *r = mf_xmalloc(n + 1);
    memcpy(r, t, n);
    r[n] = 0;
    return r;
}

/* The data's name for the source field of mapping row `row`, NULL when the row names none or
 * several, or no data column matches it. */
static const char *row_source(const mapping *m, int row, const char *const *cols, int ncols)
{
    for (int k = 0; m && k < m->nrows; k++) {
        const map_row *r = &m->rows[k];
        if (r->row != row)
            continue;
        const char *name = r->nsources == 1 ? r->sources[0] : r->nsources == 0 ? r->source : NULL;
        if (!name || !*name)
            return NULL;
        map_match mm = mapping_match_column(name, cols, ncols);
        return mm.col >= 0 && mm.confidence >= 0.6 ? cols[mm.col] : NULL;
    }
    return NULL;
}

static void warn_err(const flow_env *env, const char *what, const mf_err *e)
{
    char msg[1200];
    mf_err_format(e, msg, sizeof msg);
    flow_say(env, FLOW_WARN, "rulebook: %s: %s", what, msg);
}

/* Column i of p as an entry; 1 new entry, 0 none. */
static int learn_column(const flow_env *env, const char *client, const char *sha, int version, const plan *p, int i,
                        const char *const *cols, int ncols, const mapping *m)
{
    const plan_column *c = &p->cols[i];
    if (!c->prov.row || !c->prov.text || !c->expr || plan_expr_has_hole(c->expr) || plan_column_is_rownum(p, i))
        return 0;
    char *rule = rule_of(c);
    rb_shape s;
    rb_shape_of_row(rule, row_source(m, c->prov.row, cols, ncols), cols, ncols, &s);
    char *expr = plan_render_expr(c->expr);
    const char *why = NULL;
    char *tmpl = rb_template(expr, rule, &s, &why);
    int rc = 0;
    if (!tmpl) {
        flow_say(env, FLOW_NOTE, "rulebook: the reading of %s (row %d) is not learned: %s", c->name, c->prov.row,
                 why);
        goto done;
    }
    store_rule r = {0};
    r.shape = s.shape;
    r.tmpl = tmpl;
    r.client = (char *)client;
    snprintf(r.plan_sha256, sizeof r.plan_sha256, "%s", sha);
    r.version = version;
    r.row = c->prov.row;
    r.rule_text = rule;
    r.approved_by = (char *)(env->actor ? env->actor : "");
    long long id = 0;
    mf_err e = {0};
    int added = store_rulebook_add(env->st, &r, &id, &e);
    if (added < 0) {
        warn_err(env, "an entry could not be stored", &e);
        goto done;
    }
    if (added == 1) {
        char ids[32], rows[32];
        snprintf(ids, sizeof ids, "%lld", id);
        snprintf(rows, sizeof rows, "%d", c->prov.row);
        if (flow_audit(env, "rulebook_added", client, ids, &e, "id", ids, "shape", s.shape, "template", tmpl,
                       "column", c->name, "row", rows, "plan_sha256", sha, (const char *)NULL) < 0)
            warn_err(env, "the audit event could not be appended", &e);
        flow_say(env, FLOW_NOTE, "rulebook: learned entry %lld from row %d (%s): %s", id, c->prov.row, c->name,
                 s.shape);
        rc = 1;
    }
done:
    free(tmpl);
    free(expr);
    free(rule);
    rb_shape_free(&s);
    return rc;
}

int flow_rulebook_learn_review(const flow_env *env, long long review_id, const plan *p, const profile *pr,
                               const mapping *m)
{
    if (!env || !env->st)
        return 0;
    flow_version v;
    mf_err e = {0};
    if (flow_review_current(env, review_id, &v, &e) < 0) {
        warn_err(env, "nothing learned", &e);
        return 0;
    }
    flow_review r;
    if (flow_review_get(env, review_id, &r, &e) != 1) {
        flow_version_free(&v);
        return 0;
    }
    const char **cols;
    int ncols = header_of(p, pr, &cols);
    int n = 0;
    for (int k = 0; k < v.nprov; k++) {
        const flow_provenance *pv = &v.prov[k];
        if (strcmp(pv->how, "answer") && strcmp(pv->how, "feedback") && strcmp(pv->how, "edit_accepted"))
            continue;   /* as drafted: the vocabulary read it, or the rulebook did */
        for (int i = 0; i < p->ncols; i++)
            if (!strcmp(p->cols[i].name, pv->column))
                n += learn_column(env, r.client, v.sha256, v.version, p, i, cols, ncols, m);
    }
    free(cols);
    flow_review_free(&r);
    flow_version_free(&v);
    return n;
}

int flow_rulebook_learn_file(const flow_env *env, const char *client, const char *sha, int version, const plan *p,
                             const profile *pr, const char *prev_text)
{
    if (!env || !env->st || !prev_text)
        return 0;
    plan prev;
    mf_err e = {0};
    if (plan_parse(prev_text, strlen(prev_text), "plan", &prev, &e) < 0)
        return 0;
    /* the mapping onboard remembered for the client, when it still reads */
    mapping m;
    bool have_m = false;
    char *ref = flow_mapping_ref_path(env, client);
    json_error_t je;
    json_t *j = json_load_file(ref, 0, &je);
    free(ref);
    const char *path = j ? json_string_value(json_object_get(j, "path")) : NULL;
    if (path) {
        mf_err me = {0};
        have_m = mapping_read(path, &m, &me) == 0;
    }
    json_decref(j);
    const char **cols;
    int ncols = header_of(p, pr, &cols);
    int n = 0;
    for (int i = 0; i < p->ncols; i++)
        for (int k = 0; k < prev.ncols; k++)
            if (!strcmp(prev.cols[k].name, p->cols[i].name) && prev.cols[k].expr &&
                plan_expr_has_hole(prev.cols[k].expr))
                n += learn_column(env, client, sha, version, p, i, cols, ncols, have_m ? &m : NULL);
    free(cols);
    if (have_m)
        mapping_free(&m);
    plan_free(&prev);
    return n;
}

/* ---- use ---------------------------------------------------------------------------------------- */

static void drop_questions_of(plan *p, const char *column)
{
    int k = 0;
    for (int i = 0; i < p->nquestions; i++)
        if (!p->questions[i].column || strcmp(p->questions[i].column, column))
            p->questions[k++] = p->questions[i];
    p->nquestions = k;
}

static void origin(mf_buf *b, const store_rule *r)
{
    mf_buf_printf(b, "%s plan v%d row %d, approved by %s on %.10s (rulebook entry %lld)", r->client, r->version,
                  r->row, r->approved_by, r->approved_at, r->id);
}

/* The readings of entries x[0..n) for column i: distinct templates that instantiate and check. */
static int fill_column(const flow_env *env, plan *p, int i, const char *const *cols, int ncols, const mapping *m,
                       const char *client)
{
    plan_column *c = &p->cols[i];
    char *rule = rule_of(c);
    rb_shape s;
    rb_shape_of_row(rule, row_source(m, c->prov.row, cols, ncols), cols, ncols, &s);
    store_rule *x = NULL;
    int nx = 0, rc = 0;
    mf_err e = {0};
    if (store_rulebook_find(env->st, s.shape, &x, &nx, &e) < 0) {
        warn_err(env, "not consulted", &e);
        goto done;
    }
    /* distinct templates whose reading fits this data */
    int *pick = nx ? mf_xcalloc((size_t)nx, sizeof *pick) : NULL;
    plan_expr **got = nx ? mf_xcalloc((size_t)nx, sizeof *got) : NULL;
    int np = 0;
    mf_buf asked = {0};
    plan_expr *was = c->expr;
    for (int k = 0; k < nx; k++) {
        bool seen = false;
        for (int j = 0; j < np && !seen; j++)
            seen = !strcmp(x[pick[j]].tmpl, x[k].tmpl);
        if (seen)
            continue;
        mf_err ie = {0};
        plan_expr *ex = rb_instantiate_expr(p, x[k].tmpl, &s, &ie);
        if (ex) {
            c->expr = ex;
            if (plan_check(p, cols, ncols, "rulebook", &ie) < 0)
                ex = NULL;
            c->expr = was;
        }
        if (!ex) {
            char msg[600];
            mf_err_format(&ie, msg, sizeof msg);
            flow_say(env, FLOW_NOTE, "rulebook: entry %lld does not fit %s here: %s", x[k].id, c->name, msg);
            if (ie.code == MF_EQUESTION && !asked.len) {   /* a date the entry's order cannot read: ask */
                mf_buf_printf(&asked, "The rulebook has a reading of this rule, learned from ");
                origin(&asked, &x[k]);
                mf_buf_printf(&asked, ", but %s. What should %s contain?", ie.msg, c->name);
            }
            continue;
        }
        got[np] = ex;
        pick[np++] = k;
    }
    char ids[32];
    if (np == 1) {
        const store_rule *r = &x[pick[0]];
        mf_buf b = {0};
        mf_buf_printf(&b, "%s%s", rule, FLOW_RB_LEARNED);
        origin(&b, r);
        c->expr = got[0];
        c->prov.text = plan_strdup(p, mf_buf_str(&b));
        mf_buf_free(&b);
        drop_questions_of(p, c->name);
        snprintf(ids, sizeof ids, "%lld", r->id);
        if (flow_audit(env, "rulebook_used", client, ids, &e, "id", ids, "column", c->name, "from_client", r->client,
                       (const char *)NULL) < 0)
            warn_err(env, "the audit event could not be appended", &e);
        flow_say(env, FLOW_NOTE, "rulebook: %s (row %d) read as entry %lld learned from %s plan v%d", c->name,
                 c->prov.row, r->id, r->client, r->version);
        rc = 1;
    } else if (np > 1) {
        mf_buf b = {0};
        mf_buf_printf(&b, "The rulebook has %d different readings of this rule: ", np);
        for (int j = 0; j < np; j++) {
            char *t = plan_render_expr(got[j]);
            mf_buf_printf(&b, "%s(%d) %s, from ", j ? "; " : "", j + 1, t);
            origin(&b, &x[pick[j]]);
            free(t);
        }
        mf_buf_adds(&b, ". Which is meant here?");
        drop_questions_of(p, c->name);
        plan_add_question(p, c->name, c->prov.row, mf_buf_str(&b));
        mf_buf_free(&b);
        snprintf(ids, sizeof ids, "%d", np);
        if (flow_audit(env, "rulebook_conflict", client, c->name, &e, "column", c->name, "shape", s.shape,
                       "readings", ids, (const char *)NULL) < 0)
            warn_err(env, "the audit event could not be appended", &e);
    } else if (asked.len) {
        drop_questions_of(p, c->name);
        plan_add_question(p, c->name, c->prov.row, mf_buf_str(&asked));
    }
    mf_buf_free(&asked);
    free(pick);
    free(got);
done:
    store_rules_free(x, nx);
    rb_shape_free(&s);
    free(rule);
    return rc;
}

int flow_rulebook_apply(const flow_env *env, plan *p, const profile *pr, const mapping *m, const char *client)
{
    if (!env || !env->st)
        return 0;
    int open = 0;
    for (int i = 0; i < p->ncols; i++) {
        const plan_column *c = &p->cols[i];
        open += c->prov.row && c->prov.text && c->expr && plan_expr_has_hole(c->expr);
    }
    if (!open)
        return 0;
    const char **cols;
    int ncols = header_of(p, pr, &cols);
    mf_err e = {0};
    int n = 0;
    if (plan_check(p, cols, ncols, "draft", &e) == 0) {   /* a draft that does not check is left as it is */
        for (int i = 0; i < p->ncols; i++) {
            plan_column *c = &p->cols[i];
            if (c->prov.row && c->prov.text && c->expr && plan_expr_has_hole(c->expr))
                n += fill_column(env, p, i, cols, ncols, m, client);
        }
    }
    free(cols);
    return n;
}

/* ---- refusal for one plan ----------------------------------------------------------------------- */

long long flow_learned_entry(const char *prov)
{
    const char *l = prov ? strstr(prov, FLOW_RB_LEARNED) : NULL;
    if (!l || l != prov + flow_prov_rule_len(prov))   /* another tail came first: changed since */
        return 0;
    const char *k = strstr(l, "(rulebook entry ");
    if (!k)
        return 0;
    char *end;
    long long id = strtoll(k + 16, &end, 10);
    return end != k + 16 && *end == ')' && id > 0 ? id : 0;
}

char *flow_rulebook_unlearn_column(const flow_env *env, plan *p, int i, long long id)
{
    plan_column *c = &p->cols[i];
    char *rule = rule_of(c);
    char *was = plan_render_expr(c->expr);
    const char *who = env->actor && *env->actor ? env->actor : "?";
    mf_buf b = {0};
    mf_buf_printf(&b, "The rulebook's reading of this rule, %s (rulebook entry %lld", was, id);
    store_rule r;
    mf_err e = {0};
    if (env->st && store_rulebook_get(env->st, id, &r, &e) == 1) {
        mf_buf_printf(&b, ", learned from %s plan v%d row %d, approved by %s on %.10s", r.client, r.version, r.row,
                      r.approved_by, r.approved_at);
        store_rule_free(&r);
    }
    mf_buf_printf(&b, "), was refused for this plan by %s. What should %s contain?", who, c->name);
    c->expr = plan_new_expr(p, PE_HOLE);
    c->prov.text = plan_strdup(p, rule);
    drop_questions_of(p, c->name);
    plan_drop_suggestions(p, c->name);
    plan_add_question(p, c->name, c->prov.row, mf_buf_str(&b));
    mf_buf_free(&b);
    mf_buf d = {0};
    mf_buf_printf(&d, "rulebook entry %lld refused for %s in this plan; %s is an open question again", id, c->name,
                  c->name);
    char *out = mf_xstrdup(mf_buf_str(&d));
    mf_buf_free(&d);
    free(was);
    free(rule);
    return out;
}
