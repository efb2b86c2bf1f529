/* propose.c — review feedback the rule reader could not apply, put to the language model; the
 * model's edit held as the review's pending proposal until a person accepts or discards it
 * (flow.h, flow_proposal).
 *
 * One line of feedback, at most two calls: the answer is read (llm_parse_edit), then applied to a
 * copy of the current version and tried like a person's edit (apply_edit: every new expression
 * through flow_try_expression — parse, no ?, type-check, the sample — and every new rule parsed,
 * type-checked with the whole plan and run on the sample); a refusal goes back once with its reason.
 *
 * Invariants:
 *   - nothing here changes the review's plan except flow_accept_proposal, and it applies exactly the
 *     edit that was tried, re-applied and re-tried on the current version;
 *   - what is kept is the renderer's spelling of what was checked (column names as the plan spells
 *     them, expressions and conditions rendered from their parsed trees), never the model's text;
 *   - the pending proposal lives in the review's conversation (a turn "edit_proposed" holding the
 *     edit as JSON, its plan_sha256 the version it was made for), so every front end and every
 *     process sees the same one; it is pending while that version is current and no later
 *     "edit_accepted" / "edit_discarded" turn closed it;
 *   - every call is recorded like a suggestion's (flow_llm_record, purpose "edit").
 */
#include "flow/flow_internal.h"
#include "flow/sample.h"
#include "flow/suggest.h"
#include "llm/edit.h"
#include "util/buf.h"
#include "util/diff.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the edit applied to a plan ----------------------------------------------------------------- */

static int copy_plan(const plan *p, plan *out, mf_err *e)
{
    char *t = plan_render(p);
    int rc = plan_parse(t, strlen(t), "plan", out, e);
    free(t);
    return rc;
}

/* The column of p named `name`: exactly, else ignoring case; -1 when none. */
static int column_named(const plan *p, const char *name)
{
    for (int i = 0; i < p->ncols; i++)
        if (!strcmp(p->cols[i].name, name))
            return i;
    for (int i = 0; i < p->ncols; i++)
        if (!strcasecmp(p->cols[i].name, name))
            return i;
    return -1;
}

static void drop_questions_about(plan *p, const char *column)
{
    int kept = 0;
    for (int i = 0; i < p->nquestions; i++)
        if (!p->questions[i].column || strcmp(p->questions[i].column, column))
            p->questions[kept++] = p->questions[i];
    p->nquestions = kept;
    plan_drop_suggestions(p, column);
}

static int refuse(char *why, size_t n, const char *fmt, const char *a, const char *b)
{
    snprintf(why, n, fmt, a, b);
    return 1;
}

/* Apply ed to cur into out (plan_init'ed here), each piece tried like a person's edit; ed is
 * rewritten in the canonical spelling.  feedback is the provenance of the new rules.  0 applied,
 * 1 refused (why), -1 when the sample cannot be read at all (e). */
static int apply_edit(const plan *cur, llm_edit *ed, const char *feedback, const char *data_path, plan *out,
                      char *why, size_t n, mf_err *e)
{
    plan_init(out);
    if (!data_path)
        return refuse(why, n, "%s%s", "there is no data file to try the edit on", "");
    plan_free(out);
    if (copy_plan(cur, out, e) < 0) {
        plan_init(out);
        return -1;
    }
    for (int i = 0; i < ed->ncolumns; i++) {
        llm_edit_column *c = &ed->columns[i];
        int ci = column_named(out, c->column);
        if (ci < 0)
            return refuse(why, n, "%.100s is not an output column of the plan%s", c->column, "");
        snprintf(c->column, sizeof c->column, "%s", out->cols[ci].name);
        flow_trial t;
        int tr = flow_try_expression(out, c->column, c->expression, data_path, &t, e);
        if (tr == 0) {
            mf_err pe = {0};
            plan_expr *x = plan_parse_expr(out, t.canonical, strlen(t.canonical), "the edit", &pe);
            if (!x)
                tr = refuse(why, n, "the expression for %.100s does not read back: %.400s", c->column, pe.msg);
            else {
                out->cols[ci].expr = x;
                snprintf(c->expression, sizeof c->expression, "%s", t.canonical);
                drop_questions_about(out, out->cols[ci].name);
            }
        } else if (tr == 1) {
            refuse(why, n, "the expression for %.100s: %.480s", c->column, t.why);
        }
        flow_trial_free(&t);
        if (tr != 0)
            return tr;
    }
    for (int i = 0; i < ed->nrules; i++) {
        llm_edit_rule *r = &ed->rules[i];
        mf_err pe = {0};
        plan_expr *x = plan_parse_expr(out, r->condition, strlen(r->condition), "the rule", &pe);
        char m[700];
        if (!x) {
            mf_err_format(&pe, m, sizeof m);
            return refuse(why, n, "the %s rule's condition does not parse: %.500s", r->kind, m);
        }
        if (plan_expr_has_hole(x))
            return refuse(why, n, "the %s rule's condition still holds a ?%s", r->kind, "");
        bool reject = !strcmp(r->kind, "reject");
        plan_rule *pr = plan_add_rule(out, reject ? PR_REJECT : PR_SKIP, x, reject && *r->message ? r->message : NULL);
        pr->prov.text = mf_arena_printf(&out->arena, "feedback: %s", feedback);
        char *canon = plan_render_expr(x);
        snprintf(r->condition, sizeof r->condition, "%s", canon);
        free(canon);
    }
    if (ed->nrules) {
        /* the whole plan with its new rules: type-checked and run on the sample */
        flow_preview before, after;
        flow_preview_make(cur, data_path, 1, NULL, &before);
        flow_preview_make(out, data_path, 1, NULL, &after);
        int rc = 0;
        if (after.unavailable)
            rc = refuse(why, n, "with its rules the plan does not check or run: %.500s%s", after.unavailable, "");
        else if (!before.unavailable && before.out > 0 && after.out == 0)
            rc = refuse(why, n, "on the data's first rows its rules reject or skip every row%s%s", "", "");
        flow_preview_free(&before);
        flow_preview_free(&after);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the edit as text and as the turn's JSON ------------------------------------------------------ */

/* The edit as plan-language lines, joined by sep ("\n", or "; " for one line). */
static char *edit_lines(const llm_edit *ed, const char *sep)
{
    mf_buf b = {0};
    for (int i = 0; i < ed->ncolumns; i++)
        mf_buf_printf(&b, "%s%s = %s", b.len ? sep : "", ed->columns[i].column, ed->columns[i].expression);
    for (int i = 0; i < ed->nrules; i++) {
        mf_buf_printf(&b, "%s%s rows where %s", b.len ? sep : "", ed->rules[i].kind, ed->rules[i].condition);
        if (!strcmp(ed->rules[i].kind, "reject") && ed->rules[i].message[0]) {
            mf_buf_adds(&b, ": ");
            plan_put_text_literal(&b, ed->rules[i].message);
        }
    }
    char *s = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return s;
}

static char *edit_json(const llm_edit *ed, const char *by, const char *psha, const char *asha)
{
    json_t *cols = json_array(), *rules = json_array();
    for (int i = 0; i < ed->ncolumns; i++)
        json_array_append_new(cols, json_pack("{s:s, s:s}", "column", ed->columns[i].column, "expression",
                                              ed->columns[i].expression));
    for (int i = 0; i < ed->nrules; i++)
        json_array_append_new(rules, json_pack("{s:s, s:s, s:s}", "kind", ed->rules[i].kind, "condition",
                                               ed->rules[i].condition, "message", ed->rules[i].message));
    json_t *j = json_pack("{s:o, s:o, s:s, s:f, s:s, s:s, s:s}", "columns", cols, "rules", rules, "explanation",
                          ed->explanation, "confidence", ed->confidence / 100.0, "by", by, "prompt_sha256", psha,
                          "answer_sha256", asha);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s ? s : mf_xstrdup("{}");
}

static void json_field(const char *json, const char *key, char *dst, size_t n)
{
    dst[0] = 0;
    json_t *j = json_loads(json, 0, NULL);
    const char *v = json_string_value(json_object_get(j, key));
    snprintf(dst, n, "%s", v ? v : "");
    json_decref(j);
}

char *flow_proposal_summary(const char *json)
{
    llm_edit ed;
    char why[700], by[300];
    if (llm_parse_edit(json, &ed, why, sizeof why) != 0)
        return mf_xstrdup("a proposed edit (unreadable)");
    json_field(json, "by", by, sizeof by);
    char *lines = edit_lines(&ed, "; ");
    mf_buf b = {0};
    mf_buf_printf(&b, "proposed by %s (confidence %d%%): %s", by, ed.confidence, lines);
    free(lines);
    char *s = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return s;
}

/* ---- asking ------------------------------------------------------------------------------------------ */

static void append_not_understood(flow_round *out, const char *fmt, const char *a, const char *b)
{
    mf_buf m = {0};
    mf_buf_adds(&m, out->not_understood ? out->not_understood : "");
    mf_buf_adds(&m, m.len ? "; " : "");
    mf_buf_printf(&m, fmt, a, b);
    free(out->not_understood);
    out->not_understood = mf_xstrdup(mf_buf_str(&m));
    mf_buf_free(&m);
}

int flow_propose_edit(const flow_env *env, flow_session *s, const char *feedback, flow_round *out, char **proposal,
                      mf_err *e)
{
    *proposal = NULL;
    if (!env->llm || env->llm->provider == LLM_NONE)
        return 0;
    const llm_config *cfg = env->llm;
    flow_suggest_ctx c = {.cfg = cfg, .st = env->st, .client = s->r.client, .actor = env->actor,
                          .data_path = s->r.data_path, .env = env};
    char by[300], why[700] = "", previous[4001] = "";
    snprintf(by, sizeof by, "%s %s", llm_provider_name(cfg->provider), cfg->model);
    char *nu = mf_xstrdup(out->not_understood ? out->not_understood : "");
    flow_say(env, FLOW_NOTE, "asking %s for an edit for the feedback it could not read", by);
    int rc = 0;
    bool stop = false;
    for (int round = 0; round < 2 && !stop; round++) {
        if (flow_llm_over_budget(&c)) {
            snprintf(why, sizeof why, "the model's token budget is spent");
            break;
        }
        char *user = llm_feedback_prompt(&s->p, feedback, nu, s->have_pr ? &s->pr : NULL, round ? previous : NULL,
                                         round ? why : NULL);
        mf_buf sys = {0}, all = {0};
        mf_buf_adds(&sys, llm_edit_system);
        mf_buf_adds(&sys, llm_plan_reference);
        mf_buf_adds(&all, mf_buf_str(&sys));
        mf_buf_adds(&all, user);
        char psha[65], asha[65] = "";
        mf_sha256_hex(mf_buf_str(&all), all.len, psha);
        mf_buf_free(&all);
        llm_request rq = {.system = mf_buf_str(&sys), .user = user, .answer_name = "plan_edit",
                          .schema_json = llm_edit_schema, .max_tokens = 1500};
        llm_response r;
        mf_err ce = {0};
        flow_model_wait(env, true);
        int got = llm_call(cfg, &rq, &r, &ce);
        flow_model_wait(env, false);
        free(user);
        mf_buf_free(&sys);
        if (got < 0) {
            char outcome[400];
            snprintf(outcome, sizeof outcome, "failed: %.380s", ce.msg);
            rc = flow_llm_record(&c, "edit", "feedback", &r, outcome, psha, "", e);
            llm_response_free(&r);
            snprintf(why, sizeof why, "the model could not be asked: %.600s", ce.msg);
            if (rc < 0)
                break;
            stop = ce.code == MF_EIO || ce.code == MF_EINTR || ce.code == MF_ELIMIT;
            snprintf(previous, sizeof previous, "(no usable answer)");
            continue;
        }
        mf_sha256_hex(r.answer, strlen(r.answer), asha);
        llm_edit ed;
        int verdict = llm_parse_edit(r.answer, &ed, why, sizeof why);
        plan np;
        plan_init(&np);
        if (verdict == 0) {
            mf_err te = {0};
            int tr = apply_edit(&s->p, &ed, feedback, s->r.data_path, &np, why, sizeof why, &te);
            if (tr < 0)
                snprintf(why, sizeof why, "it could not be tried on the sample: %.600s", te.msg);
            verdict = tr == 0 ? 0 : 1;
        }
        plan_free(&np);
        char outcome[800];
        snprintf(outcome, sizeof outcome, verdict == 0 ? "proposed" : "refused: %.700s", why);
        snprintf(previous, sizeof previous, "%.4000s", r.answer);
        rc = flow_llm_record(&c, "edit", "feedback", &r, outcome, psha, asha, e);
        llm_response_free(&r);
        if (rc < 0)
            break;
        if (verdict != 0) {
            flow_say(env, FLOW_NOTE, "the model's edit was refused%s: %s", round ? " again" : " (asking once more)",
                     why);
            continue;
        }
        *proposal = edit_json(&ed, by, psha, asha);
        out->proposed = 1;
        flow_say(env, FLOW_NOTE, "%s proposed an edit (confidence %d%%): not applied until a person accepts it", by,
                 ed.confidence);
        free(nu);
        return 0;
    }
    if (rc == 0)
        append_not_understood(out, "%s: %s", by, why);
    free(nu);
    return rc;
}

int flow_proposal_record(const flow_env *env, flow_session *s, const char *feedback, const char *proposal, mf_err *e)
{
    llm_edit ed;
    char why[700], by[300], psha[65], asha[65], conf[16];
    if (llm_parse_edit(proposal, &ed, why, sizeof why) != 0)
        return mf_fail(e, MF_EFORMAT, NULL, 0, 0, "a proposal does not read back: %s", why);
    json_field(proposal, "by", by, sizeof by);
    json_field(proposal, "prompt_sha256", psha, sizeof psha);
    json_field(proposal, "answer_sha256", asha, sizeof asha);
    snprintf(conf, sizeof conf, "%d", ed.confidence);
    char *lines = edit_lines(&ed, "\n");
    int rc = flow_turn_add(env, s->r.id, "edit_proposed", feedback, proposal, s->r.plan_sha256, s->r.version, e) < 0 ||
                     flow_audit(env, "edit_proposed", s->r.client, s->r.plan_sha256, e, "feedback", feedback, "by",
                                by, "confidence", conf, "edit", lines, "prompt_sha256", psha, "answer_sha256", asha,
                                (const char *)NULL) < 0
                 ? -1
                 : 0;
    free(lines);
    return rc;
}

/* ---- the pending proposal ---------------------------------------------------------------------------- */

void flow_proposal_free(flow_proposal *p)
{
    if (!p)
        return;
    free(p->feedback);
    free(p->asked_by);
    free(p->by);
    free(p->explanation);
    free(p->edit);
    free(p->text);
    free(p->diff);
    free(p->changed);
    memset(p, 0, sizeof *p);
}

/* The pending proposal's turn of s: 1 (t copied: kind, text, result, actor), 0 none, -1. */
static int pending_turn(const flow_env *env, const flow_session *s, store_review_turn *t, mf_err *e)
{
    store_review_turn *all;
    int n;
    if (store_review_turns(env->st, s->r.id, &all, &n, e) < 0)
        return -1;
    int at = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(all[i].kind, "edit_proposed"))
            at = i;
        else if (!strcmp(all[i].kind, "edit_accepted") || !strcmp(all[i].kind, "edit_discarded"))
            at = -1;
    }
    int found = at >= 0 && !strcmp(all[at].plan_sha256, s->r.plan_sha256);
    if (found) {
        *t = all[at];
        t->actor = mf_xstrdup(all[at].actor ? all[at].actor : "");
        t->kind = mf_xstrdup(all[at].kind);
        t->text = mf_xstrdup(all[at].text ? all[at].text : "");
        t->result = mf_xstrdup(all[at].result ? all[at].result : "{}");
    }
    store_review_turns_free(all, n);
    return found;
}

static void free_turn(store_review_turn *t)
{
    free(t->actor);
    free(t->kind);
    free(t->text);
    free(t->result);
}

/* s's pending proposal, re-applied to its current version: 1 (p filled; np the edited plan when
 * it applies, else plan_init'ed and p->why says why), 0 none, -1. */
static int load_proposal(const flow_env *env, flow_session *s, flow_proposal *p, llm_edit *ed, plan *np, mf_err *e)
{
    memset(p, 0, sizeof *p);
    plan_init(np);
    store_review_turn t;
    int got = pending_turn(env, s, &t, e);
    if (got <= 0)
        return got;
    p->id = t.id;
    p->feedback = mf_xstrdup(t.text);
    p->asked_by = mf_xstrdup(t.actor);
    char by[300], why[700];
    json_field(t.result, "by", by, sizeof by);
    p->by = mf_xstrdup(by);
    if (llm_parse_edit(t.result, ed, why, sizeof why) != 0) {
        snprintf(p->why, sizeof p->why, "the stored proposal does not read: %.500s", why);
        p->explanation = mf_xstrdup("");
        p->edit = mf_xstrdup("");
        p->diff = mf_xstrdup("");
        free_turn(&t);
        return 1;
    }
    p->confidence = ed->confidence;
    p->explanation = mf_xstrdup(ed->explanation);
    mf_err te = {0};
    plan_free(np);
    int tr = apply_edit(&s->p, ed, p->feedback, s->r.data_path, np, p->why, sizeof p->why, &te);
    p->edit = edit_lines(ed, "\n");
    if (tr < 0)
        snprintf(p->why, sizeof p->why, "it cannot be tried on the sample now: %.500s", te.msg);
    if (tr == 0) {
        np->version = s->p.version;
        p->text = plan_render(np);
        char la[64];
        snprintf(la, sizeof la, "plan v%d", s->r.version);
        p->diff = mf_diff_unified(s->text, p->text, la, "with the proposed edit", 2);
        p->changed = mf_xcalloc((size_t)np->ncols + 1, sizeof *p->changed);
        for (int i = 0; i < ed->ncolumns; i++) {
            int ci = column_named(np, ed->columns[i].column);
            if (ci >= 0)
                p->changed[ci] = true;
        }
        p->rules_changed = ed->nrules > 0;
    } else {
        plan_free(np);
        plan_init(np);
        p->diff = mf_xstrdup("");
    }
    free_turn(&t);
    return 1;
}

int flow_review_proposal(const flow_env *env, long long review_id, flow_proposal *p, mf_err *e)
{
    memset(p, 0, sizeof *p);
    flow_session s;
    if (flow_session_load(env, review_id, &s, e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    int got = 0;
    if (flow_state_is_open(flow_state_parse(s.r.state))) {
        llm_edit ed;
        plan np;
        got = load_proposal(env, &s, p, &ed, &np, e);
        plan_free(&np);
    }
    flow_session_free(&s);
    return got;
}

static int no_proposal(flow_round *out, const char *what)
{
    free(out->understood);
    free(out->not_understood);
    out->understood = mf_xstrdup("");
    out->not_understood = mf_xstrdup(what);
    return 0;
}

static int decide(const flow_env *env, long long review_id, long long proposal_id, bool accept, flow_round *out,
                  mf_err *e)
{
    memset(out, 0, sizeof *out);
    flow_session s;
    if (flow_session_load(env, review_id, &s, e) < 0 ||
        (!flow_state_is_open(flow_state_parse(s.r.state)) &&
         mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "cannot %s an edit: review %lld of %s is %s, not open",
                 accept ? "accept" : "discard", s.r.id, s.r.client, s.r.state) < 0)) {
        flow_session_free(&s);
        return -1;
    }
    out->version = s.r.version;
    memcpy(out->sha256, s.r.plan_sha256, sizeof out->sha256);
    flow_proposal p;
    llm_edit ed;
    plan np;
    int got = load_proposal(env, &s, &p, &ed, &np, e);
    if (got <= 0) {
        plan_free(&np);
        flow_session_free(&s);
        return got < 0 ? -1 : no_proposal(out, "no edit proposed by a model is pending");
    }
    int rc = -1;
    if (proposal_id && p.id != proposal_id) {   /* not the one the person saw: a later one replaced it */
        mf_fail(e, MF_ECONFLICT, NULL, 0, 0,
                "the proposed edit shown is no longer the pending one (the model proposed another since): "
                "look at the review again");
        goto done;
    }
    char was[65], provider[64], model[240], psha[65], asha[65], conf[16], esha[65];
    memcpy(was, s.r.plan_sha256, sizeof was);
    const char *sp = strchr(p.by, ' ');
    snprintf(provider, sizeof provider, "%.*s", sp ? (int)(sp - p.by) : (int)strlen(p.by), p.by);
    snprintf(model, sizeof model, "%s", sp ? sp + 1 : "");
    store_review_turn t;
    memset(&t, 0, sizeof t);
    int again = pending_turn(env, &s, &t, e);
    if (again < 0)
        goto done;
    json_field(again ? t.result : "{}", "prompt_sha256", psha, sizeof psha);
    json_field(again ? t.result : "{}", "answer_sha256", asha, sizeof asha);
    if (again)
        free_turn(&t);
    snprintf(conf, sizeof conf, "%d", p.confidence);
    mf_sha256_hex(p.edit, strlen(p.edit), esha);
    char m[900];
    if (!accept) {
        snprintf(m, sizeof m, "the edit %s proposed for \"%.300s\" discarded; the plan is unchanged", p.by, p.feedback);
        out->understood = mf_xstrdup(m);
        out->not_understood = mf_xstrdup("");
        if (flow_turn_add(env, review_id, "edit_discarded", p.feedback, m, was, s.r.version, e) < 0 ||
            flow_audit(env, "edit_discarded", s.r.client, was, e, "feedback", p.feedback, "by", p.by, "edit", p.edit,
                       (const char *)NULL) < 0)
            goto done;
        rc = 0;
        goto done;
    }
    if (!p.text) {   /* it no longer applies: said, nothing done */
        snprintf(m, sizeof m, "the proposed edit no longer applies: %.600s", p.why);
        rc = no_proposal(out, m);
        goto done;
    }
    char *one = edit_lines(&ed, "; ");
    snprintf(m, sizeof m, "the edit %s proposed for \"%.300s\" accepted: %.400s", p.by, p.feedback, one);
    free(one);
    out->understood = mf_xstrdup(m);
    out->not_understood = mf_xstrdup("");
    if (flow_adopt(env, &s, &np, 0, p.feedback, p.by, out, e) < 0)
        goto done;
    if (!out->applied) {   /* it would change nothing: the proposal is closed all the same */
        free(out->understood);
        out->understood = mf_xstrdup("");
        rc = flow_turn_add(env, review_id, "edit_discarded", p.feedback, out->not_understood, was, s.r.version, e);
        goto done;
    }
    if (flow_turn_add(env, review_id, "edit_accepted", p.feedback, m, out->sha256, out->version, e) < 0 ||
        flow_audit(env, "edit_accepted", s.r.client, out->sha256, e, "feedback", p.feedback, "provider", provider,
                   "model", model, "edit", p.edit, "confidence", conf, "edit_sha256", esha, "prompt_sha256", psha,
                   "answer_sha256", asha, "from_sha256", was, "sha256", out->sha256, (const char *)NULL) < 0)
        goto done;
    rc = 0;
done:
    plan_free(&np);
    flow_proposal_free(&p);
    flow_session_free(&s);
    return rc;
}

int flow_accept_proposal(const flow_env *env, long long review_id, long long proposal_id, flow_round *out, mf_err *e)
{
    return decide(env, review_id, proposal_id, true, out, e);
}

int flow_discard_proposal(const flow_env *env, long long review_id, long long proposal_id, flow_round *out, mf_err *e)
{
    return decide(env, review_id, proposal_id, false, out, e);
}
