/* session.c — a review session's reading and actions: its versions, questions, provenance and
 * conversation; feedback and answers (each a new version recorded with its author); the
 * decisions approve, reject and quit.
 *
 * Every action loads the session from the store (flow_session_load) and writes its result back
 * before returning, so nothing lives in the calling process between two actions: a terminal, a
 * web page and a batch job can take turns on the same review.
 *
 * Invariants: feedback and answers never edit the current plan — plan/feedback.c returns a new
 * plan, which is numbered after the client's last version, rendered, re-parsed, and becomes the
 * current version only when that succeeds; a result whose content equals the current version is
 * no version, one equal to an earlier version of the review goes back to it.  Approval needs no
 * open question and, under four-eyes, an approver other than the current version's author.
 */
#include "flow/flow_internal.h"
#include "flow/rulebook_learn.h"

#include "flow/suggest.h"
#include "plan/feedback.h"
#include "util/buf.h"
#include "util/diff.h"
#include "util/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- the session ------------------------------------------------------------------------------ */

int flow_session_load(const flow_env *env, long long id, flow_session *s, mf_err *e)
{
    memset(s, 0, sizeof *s);
    plan_init(&s->p);
    int got = store_review_get(env->st, id, &s->r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", id);
    store_plan_version v;
    memset(&v, 0, sizeof v);
    got = store_plan_get(env->st, s->r.client, s->r.plan_sha256, &v, e);
    if (got <= 0)
        return got < 0 ? -1
                       : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "review %lld: its plan %.12s is not in the store", id,
                                 s->r.plan_sha256);
    s->text = v.text;
    v.text = NULL;
    store_plan_version_free(&v);
    plan_free(&s->p);
    if (plan_parse(s->text, strlen(s->text), "plan", &s->p, e) < 0) {
        plan_init(&s->p);
        return -1;
    }
    mf_err ignore = {0};
    if (s->r.mapping_path && access(s->r.mapping_path, R_OK) == 0 &&
        mapping_read(s->r.mapping_path, &s->m, &ignore) == 0) {
        if (!strcmp(s->m.sha256, s->r.mapping_sha256))
            s->have_m = true;
        else
            mapping_free(&s->m);
    }
    csv_dialect d;
    mf_err_clear(&ignore);
    if (s->r.data_path && csv_detect(s->r.data_path, &d, &ignore) == 0 &&
        profile_file(s->r.data_path, &d, FLOW_PROFILE_ROWS, &s->pr, &ignore) == 0)
        s->have_pr = true;
    return 0;
}

void flow_session_free(flow_session *s)
{
    store_review_free(&s->r);
    free(s->text);
    s->text = NULL;
    plan_free(&s->p);
    if (s->have_m)
        mapping_free(&s->m);
    if (s->have_pr)
        profile_free(&s->pr);
    s->have_m = s->have_pr = false;
}

static int need_open(const flow_session *s, const char *action, mf_err *e)
{
    if (flow_state_is_open(flow_state_parse(s->r.state)))
        return 0;
    return mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "cannot %s: review %lld of %s is %s, not open", action, s->r.id,
                   s->r.client, s->r.state);
}

/* ---- reading ---------------------------------------------------------------------------------- */

void flow_version_free(flow_version *v)
{
    if (!v)
        return;
    free(v->text);
    free(v->author);
    free(v->how);
    free(v->cause);
    free(v->findings);
    flow_questions_free(v->questions, v->nquestions);
    for (int i = 0; i < v->nprov; i++) {
        free(v->prov[i].column);
        free(v->prov[i].rule);
        free(v->prov[i].author);
        free(v->prov[i].how);
    }
    free(v->prov);
    memset(v, 0, sizeof *v);
}

void flow_versions_free(flow_version *v, int n)
{
    for (int i = 0; v && i < n; i++)
        flow_version_free(&v[i]);
    free(v);
}

static bool makes_version(const char *kind)
{
    return !strcmp(kind, "drafted") || !strcmp(kind, "feedback") || !strcmp(kind, "answer") ||
           !strcmp(kind, "discard") || !strcmp(kind, "edit_accepted") || !strcmp(kind, "unlearn");
}

/* The versions of a review in the order they were reached (each once), with the turn that made
 * each.  Texts and questions are filled; provenance is not. */
static int versions_of(const flow_env *env, const store_review *r, flow_version **out, int *n, mf_err *e)
{
    store_review_turn *t;
    int nt;
    *out = NULL;
    *n = 0;
    if (store_review_turns(env->st, r->id, &t, &nt, e) < 0)
        return -1;
    flow_version *v = nt ? mf_xcalloc((size_t)nt, sizeof *v) : NULL;
    int k = 0, rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        if (!t[i].plan_sha256[0] || !makes_version(t[i].kind))
            continue;
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = !strcmp(v[j].sha256, t[i].plan_sha256);
        if (seen)
            continue;
        store_plan_version pv;
        memset(&pv, 0, sizeof pv);
        int got = store_plan_get(env->st, r->client, t[i].plan_sha256, &pv, e);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0)
            continue;
        flow_version *x = &v[k++];
        x->version = pv.version;
        memcpy(x->sha256, pv.sha256, sizeof x->sha256);
        memcpy(x->parent_sha256, pv.parent_sha256, sizeof x->parent_sha256);
        memcpy(x->created_at, t[i].at, sizeof x->created_at);
        x->text = pv.text;
        pv.text = NULL;
        x->author = mf_xstrdup(t[i].actor ? t[i].actor : "");
        x->how = mf_xstrdup(t[i].kind);
        x->cause = mf_xstrdup(t[i].text ? t[i].text : "");
        x->findings = flow_findings_text(env->st, r->client, x->sha256);
        plan p;
        mf_err pe = {0};
        if (plan_parse(x->text, strlen(x->text), "plan", &p, &pe) == 0) {
            x->nquestions = flow_questions_of(&p, &x->questions, &pe);
            plan_free(&p);
        }
        store_plan_version_free(&pv);
    }
    store_review_turns_free(t, nt);
    if (rc < 0) {
        flow_versions_free(v, k);
        return -1;
    }
    *out = v;
    *n = k;
    return 0;
}

static char *column_key(const plan *p, int i)
{
    char *x = plan_render_expr(p->cols[i].expr);
    char t[64];
    plan_type_name(p->cols[i].type, t, sizeof t);
    size_t n = strlen(x) + 96;
    char *k = mf_xmalloc(n);
    snprintf(k, n, "%s|%d|%s", t, p->cols[i].required ? 1 : 0, x);
    free(x);
    return k;
}

static char *rule_key(const plan *p, int i)
{
    char *x = plan_render_expr(p->rules[i].cond);
    size_t n = strlen(x) + 16;
    char *k = mf_xmalloc(n);
    snprintf(k, n, "%d|%s", (int)p->rules[i].kind, x);
    free(x);
    return k;
}

/* Who last changed each column and rule of cur, the last of the versions v[0..n). */
static void provenance(flow_version *cur, const flow_version *v, int n)
{
    plan c;
    mf_err pe = {0};
    if (plan_parse(cur->text, strlen(cur->text), "plan", &c, &pe) < 0)
        return;
    plan *ps = n ? mf_xcalloc((size_t)n, sizeof *ps) : NULL;
    bool *ok = n ? mf_xcalloc((size_t)n, sizeof *ok) : NULL;
    for (int i = 0; i < n; i++)
        ok[i] = plan_parse(v[i].text, strlen(v[i].text), "plan", &ps[i], &pe) == 0;
    cur->nprov = c.ncols + c.nrules;
    cur->prov = cur->nprov ? mf_xcalloc((size_t)cur->nprov, sizeof *cur->prov) : NULL;
    for (int i = 0; i < cur->nprov; i++) {
        bool col = i < c.ncols;
        int ri = i - c.ncols;
        flow_provenance *pr = &cur->prov[i];
        char *key = col ? column_key(&c, i) : rule_key(&c, ri);
        const plan_prov *pp = col ? &c.cols[i].prov : &c.rules[ri].prov;
        if (col) {
            pr->column = mf_xstrdup(c.cols[i].name);
        } else {
            pr->column = mf_xmalloc(32);
            snprintf(pr->column, 32, "rule %d", ri + 1);
        }
        pr->row = pp->row;
        pr->rule = mf_xstrdup(pp->text ? pp->text : "");
        /* the first version from which on the statement is as it is now */
        int since = -1;
        for (int k = n - 1; k >= 0; k--) {
            bool same = false;
            if (ok[k]) {
                if (col) {
                    for (int j = 0; j < ps[k].ncols && !same; j++)
                        if (!strcmp(ps[k].cols[j].name, c.cols[i].name)) {
                            char *o = column_key(&ps[k], j);
                            same = !strcmp(o, key);
                            free(o);
                        }
                } else {
                    for (int j = 0; j < ps[k].nrules && !same; j++) {
                        char *o = rule_key(&ps[k], j);
                        same = !strcmp(o, key);
                        free(o);
                    }
                }
            }
            if (!same)
                break;
            since = k;
        }
        free(key);
        if (since > 0) {
            pr->author = mf_xstrdup(v[since].author);
            pr->how = mf_xstrdup(v[since].how);
            pr->version = v[since].version;
        } else {
            pr->author = mf_xstrdup("");
            pr->how = mf_xstrdup("drafted");
            pr->version = n ? v[0].version : cur->version;
        }
    }
    for (int i = 0; i < n; i++)
        if (ok[i])
            plan_free(&ps[i]);
    free(ps);
    free(ok);
    plan_free(&c);
}

int flow_review_versions(const flow_env *env, long long review_id, flow_version **out, int *n, mf_err *e)
{
    store_review r;
    int got = store_review_get(env->st, review_id, &r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    int rc = versions_of(env, &r, out, n, e);
    store_review_free(&r);
    return rc;
}

int flow_review_current(const flow_env *env, long long review_id, flow_version *v, mf_err *e)
{
    memset(v, 0, sizeof *v);
    store_review r;
    int got = store_review_get(env->st, review_id, &r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    flow_version *all;
    int n;
    int rc = versions_of(env, &r, &all, &n, e);
    if (rc == 0) {
        int at = -1;
        for (int i = 0; i < n; i++)
            if (!strcmp(all[i].sha256, r.plan_sha256))
                at = i;
        if (at < 0) {
            rc = mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "review %lld: its current version is not in the store",
                         review_id);
        } else {
            /* history up to and with the current version, in the order it was reached */
            provenance(&all[at], all, at + 1);
            *v = all[at];
            memset(&all[at], 0, sizeof all[at]);
        }
        flow_versions_free(all, n);
    }
    store_review_free(&r);
    return rc;
}

void flow_turns_free(flow_turn *t, int n)
{
    for (int i = 0; t && i < n; i++) {
        free(t[i].actor);
        free(t[i].kind);
        free(t[i].text);
        free(t[i].result);
    }
    free(t);
}

int flow_review_conversation(const flow_env *env, long long review_id, flow_turn **out, int *n, mf_err *e)
{
    store_review_turn *t;
    int nt;
    *out = NULL;
    *n = 0;
    if (store_review_turns(env->st, review_id, &t, &nt, e) < 0)
        return -1;
    if (nt)
        *out = mf_xcalloc((size_t)nt, sizeof **out);
    for (int i = 0; i < nt; i++) {
        flow_turn *x = &(*out)[i];
        memcpy(x->at, t[i].at, sizeof x->at);
        x->actor = mf_xstrdup(t[i].actor ? t[i].actor : "");
        x->kind = mf_xstrdup(t[i].kind ? t[i].kind : "");
        x->text = mf_xstrdup(t[i].text ? t[i].text : "");
        x->result = !strcmp(x->kind, "edit_proposed") ? flow_proposal_summary(t[i].result ? t[i].result : "{}")
                                                       : mf_xstrdup(t[i].result ? t[i].result : "");
        x->version = t[i].version;
    }
    *n = nt;
    store_review_turns_free(t, nt);
    return 0;
}

/* ---- rounds ----------------------------------------------------------------------------------- */

void flow_round_free(flow_round *r)
{
    free(r->understood);
    free(r->not_understood);
    free(r->diff);
    free(r->changed);
    memset(r, 0, sizeof *r);
}

/* Which columns of np differ from p (expression, type or required), and whether a rule did. */
static void changes(const plan *p, const plan *np, flow_round *out)
{
    out->changed = mf_xcalloc((size_t)np->ncols + 1, sizeof *out->changed);
    out->rules_changed = p->nrules != np->nrules;
    for (int i = 0; i < np->nrules && !out->rules_changed; i++) {
        char *a = rule_key(p, i), *b = rule_key(np, i);
        out->rules_changed = strcmp(a, b) != 0;
        free(a);
        free(b);
    }
    for (int i = 0; i < np->ncols; i++) {
        int k = -1;
        for (int j = 0; j < p->ncols; j++)
            if (!strcmp(p->cols[j].name, np->cols[i].name))
                k = j;
        if (k < 0) {
            out->changed[i] = true;
            continue;
        }
        char *a = column_key(p, k), *b = column_key(np, i);
        out->changed[i] = strcmp(a, b) != 0;
        free(a);
        free(b);
    }
}

/* An earlier version of the review with the same content as text: 1 (sha, version filled), 0. */
static int earlier_same(const flow_env *env, const store_review *r, const char *text, char sha[65], int *version,
                        mf_err *e)
{
    flow_version *v;
    int n;
    if (versions_of(env, r, &v, &n, e) < 0)
        return -1;
    int found = 0;
    for (int i = 0; i < n && !found; i++)
        if (flow_same_content(v[i].text, text)) {
            memcpy(sha, v[i].sha256, 65);
            *version = v[i].version;
            found = 1;
        }
    flow_versions_free(v, n);
    return found;
}

/* The data file's header, for feedback naming source columns. */
static fb_context fb_ctx(const flow_session *s, const char *const **hdr, csv_reader **rd)
{
    fb_context f = {NULL, 0, s->have_pr ? &s->pr : NULL, s->have_m ? &s->m : NULL};
    *rd = NULL;
    if (s->r.data_path) {
        csv_dialect d = {0};
        d.delimiter = s->p.source.delimiter;
        d.quote = s->p.source.quote;
        d.encoding = s->p.source.encoding;
        d.header_line = s->p.source.header_line;
        mf_err e = {0};
        *rd = csv_open(s->r.data_path, &d, &e);
        if (*rd) {
            f.nheader = csv_header(*rd, hdr);
            f.header = *hdr;
        }
    }
    return f;
}

/* The rule text of a provenance without the tails this file and the rulebook add (" — answered
 * by ...", " — changed by ...", " — learned from ..."): what the mapping row says. */
static const char *rule_base(plan *p, const char *t)
{
    return t ? mf_arena_strndup(&p->arena, t, flow_prov_rule_len(t)) : NULL;
}

/* Who changed what, written into the plan itself (the plan file is the record): a column an answer
 * changed says "<rule> — answered by WHO on DATE: <answer>"; one feedback changed says "<rule> —
 * changed by WHO on DATE: <feedback>"; a statement feedback added says "feedback by WHO on DATE:
 * <feedback>". */
static void annotate(const flow_env *env, const plan *old, plan *np, int n, const char *text, const char *model_by)
{
    char now[32], day[11];
    store_now(now);
    snprintf(day, sizeof day, "%.10s", now);
    const char *who = env->actor && *env->actor ? env->actor : "?";
    char how[400];   /* a model's accepted edit: "suggested by MODEL, accepted" */
    if (model_by)
        snprintf(how, sizeof how, "suggested by %s, accepted", model_by);
    else
        snprintf(how, sizeof how, "%s", n ? "answered" : "changed");
    for (int i = 0; i < np->ncols; i++) {
        plan_column *c = &np->cols[i];
        const plan_column *o = NULL;
        for (int j = 0; j < old->ncols && !o; j++)
            if (!strcmp(old->cols[j].name, c->name))
                o = &old->cols[j];
        bool changed = !o;
        if (o) {
            char *a = plan_render_expr(o->expr), *b = plan_render_expr(c->expr);
            changed = strcmp(a, b) != 0 || o->type.base != c->type.base || o->type.len != c->type.len ||
                      o->type.prec != c->type.prec || o->type.scale != c->type.scale;
            free(a);
            free(b);
        }
        if (!changed)
            continue;
        const char *t = c->prov.text ? c->prov.text : "";
        if (!strncmp(t, "feedback: ", 10) && !model_by)
            c->prov.text = mf_arena_printf(&np->arena, "feedback by %s on %s: %s", who, day, t + 10);
        else
            c->prov.text = mf_arena_printf(&np->arena, "%s \xE2\x80\x94 %s by %s on %s: %s", rule_base(np, t), how,
                                           who, day, text);
    }
    for (int i = 0; i < np->nrules; i++) {
        const char *t = np->rules[i].prov.text;
        if (t && !strncmp(t, "feedback: ", 10))
            np->rules[i].prov.text =
                model_by ? mf_arena_printf(&np->arena, "%s by %s on %s: %s", how, who, day, t + 10)
                         : mf_arena_printf(&np->arena, "feedback by %s on %s: %s", who, day, t + 10);
    }
}

int flow_adopt(const flow_env *env, flow_session *s, plan *np, int n, const char *text, const char *model_by,
               flow_round *out, mf_err *e)
{
    store_plan_version last;
    memset(&last, 0, sizeof last);
    int got = store_plan_latest(env->st, s->r.client, &last, e);
    if (got < 0)
        return -1;
    np->version = got == 1 ? last.version + 1 : s->p.version + 1;
    if (got == 1)
        store_plan_version_free(&last);
    annotate(env, &s->p, np, n, text, model_by);
    char *ntext = plan_render(np);
    plan q;
    if (plan_parse(ntext, strlen(ntext), "plan", &q, e) < 0) {
        free(ntext);
        return -1;
    }
    int rc = 0;
    if (flow_same_content(ntext, s->text)) {   /* changed nothing: no version */
        free(out->not_understood);
        out->not_understood = mf_xstrdup("it would not change the plan");
        goto done;
    }
    char sha[65];
    int version = 0;
    int dup = earlier_same(env, &s->r, ntext, sha, &version, e);
    if (dup < 0) {
        rc = -1;
        goto done;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    if (n && (store_question_answer(env->st, s->r.plan_sha256, n, text, env->actor, e) < 0 ||
              flow_audit(env, "question_answered", s->r.client, s->r.plan_sha256, e, "question", num, "answer", text,
                         (const char *)NULL) < 0)) {
        rc = -1;
        goto done;
    }
    char *new_text = ntext;
    store_plan_version dv;
    memset(&dv, 0, sizeof dv);
    if (dup) {
        if (store_plan_get(env->st, s->r.client, sha, &dv, e) <= 0) {
            rc = -1;
            goto done;
        }
        new_text = dv.text;
        out->duplicate = 1;
    } else {
        if (flow_record_version(env, s->r.client, ntext, s->r.plan_sha256, s->r.mapping_sha256, "plan_version",
                                &version, e) < 0) {
            rc = -1;
            goto done;
        }
        mf_sha256_hex(ntext, strlen(ntext), sha);
    }
    char la[64], lb[64];
    snprintf(la, sizeof la, "plan v%d", s->r.version);
    snprintf(lb, sizeof lb, "plan v%d", version);
    free(out->diff);
    out->diff = mf_diff_unified(s->text, new_text, la, lb, 2);
    changes(&s->p, &q, out);
    store_plan_version_free(&dv);
    out->applied = 1;
    out->version = version;
    memcpy(out->sha256, sha, sizeof out->sha256);
    snprintf(s->r.state, sizeof s->r.state, "in_review");
    memcpy(s->r.plan_sha256, sha, sizeof s->r.plan_sha256);
    s->r.version = version;
    free(s->r.author);
    s->r.author = mf_xstrdup(env->actor ? env->actor : "");
    if (store_review_update(env->st, &s->r, e) < 0)
        rc = -1;
done:
    plan_free(&q);
    free(ntext);
    return rc;
}

/* The model is asked without the caller's lock (flow_env.model_wait): when the review moved on
 * meanwhile (another version, a decision), the proposal made for the version s was loaded at is
 * dropped with a note, never attached to a version it was not made for.  0 or -1. */
static int proposal_still_current(const flow_env *env, const flow_session *s, flow_round *out, char **proposal,
                                  mf_err *e)
{
    store_review now;
    memset(&now, 0, sizeof now);
    int got = store_review_get(env->st, s->r.id, &now, e);
    if (got < 0)
        return -1;
    bool same = got == 1 && now.version == s->r.version && !strcmp(now.plan_sha256, s->r.plan_sha256) &&
                !strcmp(now.state, s->r.state);
    if (got == 1)
        store_review_free(&now);
    if (same)
        return 0;
    free(*proposal);
    *proposal = NULL;
    out->proposed = 0;
    const char *note = "the model's proposed edit was dropped: the review moved on while the model was answering";
    mf_buf m = {0};
    mf_buf_adds(&m, out->not_understood ? out->not_understood : "");
    mf_buf_adds(&m, m.len ? "; " : "");
    mf_buf_adds(&m, note);
    free(out->not_understood);
    out->not_understood = mf_xstrdup(mf_buf_str(&m));
    mf_buf_free(&m);
    flow_say(env, FLOW_NOTE, "%s", note);
    return 0;
}

static int round_of(const flow_env *env, long long id, int n, const char *text, flow_round *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    flow_session s;
    if (flow_session_load(env, id, &s, e) < 0 || need_open(&s, n ? "answer" : "take feedback", e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    out->version = s.r.version;
    memcpy(out->sha256, s.r.plan_sha256, sizeof out->sha256);
    const char *const *hdr = NULL;
    csv_reader *rd;
    fb_context f = fb_ctx(&s, &hdr, &rd);
    plan np;
    fb_result r;
    int rc = n ? feedback_answer(&s.p, n, text, &f, &np, &r, e) : feedback_apply(&s.p, text, &f, &np, &r, e);
    csv_close(rd);
    if (rc < 0) {
        fb_result_free(&r);
        flow_session_free(&s);
        return -1;
    }
    out->understood = mf_xstrdup(r.understood ? r.understood : "");
    out->not_understood = mf_xstrdup(r.not_understood ? r.not_understood : "");
    int res = 0;
    /* what the reader could not read goes to the model, when one is configured: a proposal, never
     * applied; the model's refusal, if it fails, joins what was not understood */
    char *proposal = NULL;
    if (!n && rc == 0 && r.not_understood && *r.not_understood && env->llm)
        res = flow_propose_edit(env, &s, text, out, &proposal, e);
    if (res == 0 && proposal)
        res = proposal_still_current(env, &s, out, &proposal, e);
    if (res == 0 && !n &&
        (store_feedback_add(env->st, s.r.plan_sha256, text, r.understood, r.not_understood, env->actor, e) < 0 ||
         flow_audit(env, "feedback", s.r.client, s.r.plan_sha256, e, "text", text, "understood", r.understood,
                    "not_understood", r.not_understood, "applied", rc == 1 ? "yes" : "no", (const char *)NULL) < 0))
        res = -1;
    if (res == 0 && rc == 1)
        res = flow_adopt(env, &s, &np, n, text, NULL, out, e);
    if (rc == 1)
        plan_free(&np);
    if (res == 0) {
        char result[2400];
        if (out->applied)
            snprintf(result, sizeof result, "understood: %s", out->understood);
        else
            snprintf(result, sizeof result, "not applied — understood: %s; not understood: %s%s",
                     *out->understood ? out->understood : "nothing", out->not_understood,
                     out->proposed ? "; a language model proposed an edit (pending a person's decision)" : "");
        res = flow_turn_add(env, id, n ? "answer" : "feedback", text, result, out->applied ? out->sha256 : NULL,
                            out->applied ? out->version : 0, e);
    }
    if (res == 0 && proposal)
        res = flow_proposal_record(env, &s, text, proposal, e);
    free(proposal);
    fb_result_free(&r);
    flow_session_free(&s);
    return res;
}

int flow_feedback(const flow_env *env, long long review_id, const char *text, flow_round *out, mf_err *e)
{
    if (!text || !*text) {
        memset(out, 0, sizeof *out);
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "feedback is empty");
    }
    return round_of(env, review_id, 0, text, out, e);
}

int flow_answer(const flow_env *env, long long review_id, int n, const char *text, flow_round *out, mf_err *e)
{
    if (n < 1 || !text || !*text) {
        memset(out, 0, sizeof *out);
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "an answer needs a question number and a text");
    }
    return round_of(env, review_id, n, text, out, e);
}

/* ---- a language model's suggestions ------------------------------------------------------------ */

typedef struct taken {
    char column[512], by[300], provider[64], model[240], expr[2100], explanation[260];
    int confidence;
} taken;

/* The suggestion for question n of review id, copied out: 1, 0 none (out says so), -1. */
static int suggestion_of(const flow_env *env, long long id, int n, taken *t, char sha[65], flow_round *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    flow_session s;
    if (flow_session_load(env, id, &s, e) < 0 || need_open(&s, "take a suggestion", e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    out->version = s.r.version;
    memcpy(out->sha256, s.r.plan_sha256, sizeof out->sha256);
    memcpy(sha, s.r.plan_sha256, 65);
    const plan_suggestion *g = flow_suggestion_for(&s.p, n);
    if (!g) {
        out->understood = mf_xstrdup("");
        char m[96];
        snprintf(m, sizeof m, "question %d has no suggestion", n);
        out->not_understood = mf_xstrdup(m);
        flow_session_free(&s);
        return 0;
    }
    snprintf(t->column, sizeof t->column, "%s", g->column);
    snprintf(t->by, sizeof t->by, "%s", g->by);
    snprintf(t->expr, sizeof t->expr, "%s", g->expr);
    snprintf(t->explanation, sizeof t->explanation, "%s", g->prov.text ? g->prov.text : "");
    t->confidence = g->confidence;
    const char *sp = strchr(t->by, ' ');
    snprintf(t->provider, sizeof t->provider, "%.*s", sp ? (int)(sp - t->by) : (int)strlen(t->by), t->by);
    snprintf(t->model, sizeof t->model, "%s", sp ? sp + 1 : "");
    flow_session_free(&s);
    return 1;
}

int flow_accept_suggestion(const flow_env *env, long long review_id, int n, flow_round *out, mf_err *e)
{
    taken t;
    char was[65];
    int got = suggestion_of(env, review_id, n, &t, was, out, e);
    if (got <= 0)
        return got;
    flow_round_free(out);
    /* exactly a person's answer: parsed, type-checked, recorded as question_answered */
    if (flow_answer(env, review_id, n, t.expr, out, e) < 0)
        return -1;
    if (!out->applied)
        return 0;
    char psha[65], asha[65], esha[65], num[16], conf[16];
    flow_review r;
    memset(&r, 0, sizeof r);
    if (flow_review_get(env, review_id, &r, e) <= 0)
        return -1;
    flow_suggestion_hashes(env->st, r.client, t.column, psha, asha);
    mf_sha256_hex(t.expr, strlen(t.expr), esha);
    snprintf(num, sizeof num, "%d", n);
    snprintf(conf, sizeof conf, "%d", t.confidence);
    int rc = flow_audit(env, "suggestion_accepted", r.client, out->sha256, e, "question", num, "column", t.column,
                        "provider", t.provider, "model", t.model, "expression", t.expr, "confidence", conf,
                        "expression_sha256", esha, "prompt_sha256", psha, "answer_sha256", asha, "from_sha256", was,
                        "sha256", out->sha256, (const char *)NULL);
    flow_review_free(&r);
    return rc;
}

int flow_discard_suggestion(const flow_env *env, long long review_id, int n, flow_round *out, mf_err *e)
{
    taken t;
    char was[65];
    int got = suggestion_of(env, review_id, n, &t, was, out, e);
    if (got <= 0)
        return got;
    flow_session s;
    if (flow_session_load(env, review_id, &s, e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    plan np;
    int rc = -1;
    char *text = plan_render(&s.p);
    if (plan_parse(text, strlen(text), "plan", &np, e) < 0) {
        free(text);
        flow_session_free(&s);
        return -1;
    }
    free(text);
    plan_drop_suggestions(&np, t.column);
    free(out->understood);
    free(out->not_understood);
    char m[700];
    snprintf(m, sizeof m, "the suggestion for %s discarded; question %d stays open", t.column, n);
    out->understood = mf_xstrdup(m);
    out->not_understood = mf_xstrdup("");
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    if (flow_adopt(env, &s, &np, 0, NULL, NULL, out, e) < 0 ||
        flow_audit(env, "suggestion_discarded", s.r.client, was, e, "question", num, "column", t.column, "by", t.by,
                   "expression", t.expr, (const char *)NULL) < 0 ||
        flow_turn_add(env, review_id, "discard", num, m, out->applied ? out->sha256 : NULL,
                      out->applied ? out->version : 0, e) < 0)
        goto done;
    rc = 0;
done:
    plan_free(&np);
    flow_session_free(&s);
    return rc;
}

/* ---- a rulebook entry refused for this plan ------------------------------------------------------- */

int flow_unlearn(const flow_env *env, long long review_id, const char *column, flow_round *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    flow_session s;
    if (flow_session_load(env, review_id, &s, e) < 0 || need_open(&s, "reject a rulebook entry", e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    out->version = s.r.version;
    memcpy(out->sha256, s.r.plan_sha256, sizeof out->sha256);
    int ci = -1;
    for (int i = 0; column && i < s.p.ncols && ci < 0; i++)
        if (!strcasecmp(s.p.cols[i].name, column))
            ci = i;
    long long id = ci >= 0 ? flow_learned_entry(s.p.cols[ci].prov.text) : 0;
    if (!id) {
        char m[700];
        if (ci < 0)
            snprintf(m, sizeof m, "the plan has no column %.600s", column ? column : "");
        else
            snprintf(m, sizeof m, "the reading of %s did not come from the rulebook", s.p.cols[ci].name);
        out->understood = mf_xstrdup("");
        out->not_understood = mf_xstrdup(m);
        flow_session_free(&s);
        return 0;
    }
    plan np;
    char *text = plan_render(&s.p);
    int rc = plan_parse(text, strlen(text), "plan", &np, e);
    free(text);
    if (rc < 0) {
        flow_session_free(&s);
        return -1;
    }
    rc = -1;
    char was[65], ids[32];
    memcpy(was, s.r.plan_sha256, sizeof was);
    snprintf(ids, sizeof ids, "%lld", id);
    char *m = flow_rulebook_unlearn_column(env, &np, ci, id);
    out->understood = mf_xstrdup(m);
    out->not_understood = mf_xstrdup("");
    if (flow_adopt(env, &s, &np, 0, m, NULL, out, e) < 0 ||
        flow_audit(env, "rulebook_rejected", s.r.client, ids, e, "id", ids, "column", np.cols[ci].name, "scope",
                   "this plan only", "plan_sha256", was, "sha256", out->applied ? out->sha256 : was,
                   (const char *)NULL) < 0 ||
        flow_turn_add(env, review_id, "unlearn", np.cols[ci].name, m, out->applied ? out->sha256 : NULL,
                      out->applied ? out->version : 0, e) < 0)
        goto done;
    rc = 0;
done:
    free(m);
    plan_free(&np);
    flow_session_free(&s);
    return rc;
}

/* ---- decisions -------------------------------------------------------------------------------- */

int flow_review_seen(const flow_env *env, long long review_id, mf_err *e)
{
    store_review r;
    int got = store_review_get(env->st, review_id, &r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    int rc = 0;
    if (!strcmp(r.state, "drafted")) {
        snprintf(r.state, sizeof r.state, "in_review");
        rc = store_review_update(env->st, &r, e);
    }
    store_review_free(&r);
    return rc;
}

static int approve(const flow_env *env, long long id, const char *comment, bool unattended, char **questions,
                   mf_err *e)
{
    flow_session s;
    if (questions)
        *questions = NULL;
    if (flow_session_load(env, id, &s, e) < 0 || need_open(&s, "approve", e) < 0) {
        flow_session_free(&s);
        return -1;
    }
    int rc = -1;
    char sha[65];
    memcpy(sha, s.r.plan_sha256, sizeof sha);
    if (plan_has_open_questions(&s.p)) {
        if (questions)
            *questions = feedback_questions_text(&s.p);
        mf_fail(e, unattended ? MF_EQUESTION : MF_EREFUSED, NULL, 0, 0,
                "cannot approve plan v%d: it has open questions (answer them first)", s.r.version);
        goto done;
    }
    if (env->four_eyes && s.r.author && *s.r.author && env->actor && !strcmp(s.r.author, env->actor)) {
        (void)flow_audit(env, "approval_refused", s.r.client, sha, e, "sha256", sha, "reason",
                         "four-eyes: the author of the version cannot approve it", (const char *)NULL);
        mf_fail(e, MF_EREFUSED, NULL, 0, 0,
                "cannot approve plan v%d: %s wrote this version, and the four-eyes rule needs another approver",
                s.r.version, env->actor);
        goto done;
    }
    if (store_approval_add(env->st, s.r.client, sha, "approved", comment, env->actor, e) < 0 ||
        flow_audit(env, "approval", s.r.client, sha, e, "sha256", sha, "comment", comment && *comment ? comment : NULL,
                   (const char *)NULL) < 0)
        goto done;
    /* the approved text is what the cache keeps and what runs */
    if (s.have_pr) {
        if (cache_remember(env->st, s.r.client, s.r.mapping_sha256, &s.p, &s.pr, sha, NULL, e) < 0)
            goto done;
    } else {
        flow_say(env, FLOW_WARN, "the data file %s cannot be read: the approved plan is not cached",
                 s.r.data_path ? s.r.data_path : "(none)");
    }
    snprintf(s.r.state, sizeof s.r.state, "approved");
    free(s.r.decided_by);
    free(s.r.comment);
    s.r.decided_by = mf_xstrdup(env->actor ? env->actor : "");
    s.r.comment = comment && *comment ? mf_xstrdup(comment) : NULL;
    if (store_review_update(env->st, &s.r, e) < 0 ||
        flow_turn_add(env, id, "approval", comment ? comment : "", "", sha, s.r.version, e) < 0)
        goto done;
    (void)flow_rulebook_learn_review(env, id, &s.p, s.have_pr ? &s.pr : NULL, s.have_m ? &s.m : NULL);
    rc = 0;
done:
    flow_session_free(&s);
    return rc;
}

int flow_approve(const flow_env *env, long long review_id, const char *comment, mf_err *e)
{
    return approve(env, review_id, comment, false, NULL, e);
}

int flow_approve_unattended(const flow_env *env, long long review_id, const char *comment, char **questions,
                            mf_err *e)
{
    return approve(env, review_id, comment, true, questions, e);
}

int flow_reject(const flow_env *env, long long review_id, const char *comment, mf_err *e)
{
    if (!comment || !*comment)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a rejection needs a comment saying why");
    store_review r;
    int got = store_review_get(env->st, review_id, &r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    int rc = -1;
    if (!flow_state_is_open(flow_state_parse(r.state))) {
        mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "cannot reject: review %lld of %s is %s, not open", r.id, r.client,
                r.state);
        goto done;
    }
    if (store_approval_add(env->st, r.client, r.plan_sha256, "rejected", comment, env->actor, e) < 0 ||
        flow_audit(env, "rejection", r.client, r.plan_sha256, e, "sha256", r.plan_sha256, "comment", comment,
                   (const char *)NULL) < 0)
        goto done;
    snprintf(r.state, sizeof r.state, "rejected");
    free(r.decided_by);
    free(r.comment);
    r.decided_by = mf_xstrdup(env->actor ? env->actor : "");
    r.comment = mf_xstrdup(comment);
    if (store_review_update(env->st, &r, e) < 0 ||
        flow_turn_add(env, review_id, "rejection", comment, "", r.plan_sha256, r.version, e) < 0)
        goto done;
    rc = 0;
done:
    store_review_free(&r);
    return rc;
}

int flow_quit(const flow_env *env, long long review_id, mf_err *e)
{
    store_review r;
    int got = store_review_get(env->st, review_id, &r, e);
    if (got <= 0)
        return got < 0 ? -1 : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", review_id);
    char id[32], ver[16];
    snprintf(id, sizeof id, "%lld", r.id);
    snprintf(ver, sizeof ver, "%d", r.version);
    int rc = 0;
    if (flow_state_is_open(flow_state_parse(r.state)))
        rc = flow_turn_add(env, review_id, "left", "", "", r.plan_sha256, r.version, e) < 0 ||
                     flow_audit(env, "review_left", r.client, r.plan_sha256, e, "review", id, "version", ver,
                                (const char *)NULL) < 0
                 ? -1
                 : 0;
    store_review_free(&r);
    return rc;
}
