/* flow.c — the workflow's states, its environment, and the start of onboarding: the cache
 * lookup, then the open review of (client, mapping) reopened, or a new one drafted.
 *
 * Invariants: a cache hit whose plan failed validation on its last run is not a hit (it goes back
 * to review with its findings); a new review starts from that failed version when there is one
 * for this mapping, else from a fresh draft; a draft whose content equals an existing version of
 * the client is that version (no duplicate).  Every step appends its audit event.
 */
#include "flow/flow_internal.h"
#include "flow/rulebook_learn.h"
#include "flow/suggest.h"

#include "plan/draft.h"
#include "plan/feedback.h"
#include "flow/sample.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- states ------------------------------------------------------------------------------------ */

static const char *const state_names[] = {"none",     "drafted", "in_review", "approved", "rejected",
                                          "running", "checked", "failed",    "loaded"};

const char *flow_state_name(flow_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "none";
}

flow_state flow_state_parse(const char *name)
{
    for (size_t i = 1; name && i < sizeof state_names / sizeof state_names[0]; i++)
        if (!strcmp(name, state_names[i]))
            return (flow_state)i;
    return FLOW_NONE;
}

bool flow_state_is_open(flow_state s)
{
    return s == FLOW_DRAFTED || s == FLOW_IN_REVIEW;
}

/* ---- the environment -------------------------------------------------------------------------- */

int flow_env_open(flow_env *env, const char *store_opt, const char *home_opt, mf_err *e)
{
    memset(env, 0, sizeof *env);
    env->home_buf = store_home_dir(home_opt);
    env->home = env->home_buf;
    char *where = store_location(store_opt, home_opt, e);
    if (!where)
        return -1;
    env->st = store_open(where, e);
    free(where);
    return env->st ? 0 : -1;
}

void flow_env_close(flow_env *env)
{
    store_close(env->st);
    free(env->home_buf);
    env->st = NULL;
    env->home_buf = NULL;
    env->home = NULL;
}

void flow_say(const flow_env *env, flow_level level, const char *fmt, ...)
{
    if (!env->sink)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    env->sink(env->sink_user, level, msg);
}

void flow_model_wait(const flow_env *env, bool before)
{
    if (env && env->model_wait)
        env->model_wait(env->model_wait_user, before);
}

int flow_audit(const flow_env *env, const char *event, const char *client, const char *subject, mf_err *e, ...)
{
    json_t *d = json_object();
    va_list ap;
    va_start(ap, e);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        json_object_set_new(d, k, v ? json_string(v) : json_null());
    }
    va_end(ap);
    char *details = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    int rc = store_audit_append(env->st, env->actor, event, client, subject, details, NULL, e);
    free(details);
    return rc;
}

int flow_record_version(const flow_env *env, const char *client, const char *text, const char *parent_sha256,
                        const char *mapping_sha256, const char *event, int *version_out, mf_err *e)
{
    store_plan_version v;
    memset(&v, 0, sizeof v);
    if (store_plan_add(env->st, client, text, parent_sha256, mapping_sha256, env->actor, &v, e) < 0)
        return -1;
    int rc = 0;
    plan p;
    mf_err pe = {0};
    if (plan_parse(text, strlen(text), "plan", &p, &pe) == 0) {   /* its open questions */
        flow_question *q = NULL;
        int n = flow_questions_of(&p, &q, &pe);
        for (int i = 0; i < n && rc == 0; i++)
            rc = store_question_add(env->st, v.sha256, q[i].n, q[i].text, e);
        flow_questions_free(q, n);
        plan_free(&p);
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", v.version);
    if (rc == 0)
        rc = flow_audit(env, event, client, v.sha256, e, "version", ver, "sha256", v.sha256, "parent_sha256",
                        parent_sha256 && *parent_sha256 ? parent_sha256 : NULL, "mapping_sha256", mapping_sha256,
                        (const char *)NULL);
    if (version_out)
        *version_out = v.version;
    store_plan_version_free(&v);
    return rc;
}

int flow_questions_of(const plan *p, flow_question **out, mf_err *e)
{
    (void)e;
    int items[256];
    int n = feedback_open_items(p, items, 256);
    if (n > 256)
        n = 256;
    *out = n ? mf_xcalloc((size_t)n, sizeof **out) : NULL;
    char *all = feedback_questions_text(p);
    char *line = all;
    int k = 0;
    for (int i = 0; i < n && line && *line; i++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        while (*line == ' ')
            line++;
        flow_question *q = &(*out)[k++];
        q->n = i + 1;
        q->text = mf_xstrdup(line);
        if (items[i] >= 0 && items[i] < p->nquestions) {
            const plan_question *pq = &p->questions[items[i]];
            q->column = pq->column ? mf_xstrdup(pq->column) : NULL;
            q->row = pq->row;
        } else if (items[i] < 0 && -1 - items[i] < p->ncols) {
            const plan_column *c = &p->cols[-1 - items[i]];
            q->column = mf_xstrdup(c->name);
            q->row = c->prov.row;
        }
        const plan_suggestion *g = q->column ? flow_suggestion_for(p, q->n) : NULL;
        if (g) {
            q->suggestion = mf_xstrdup(g->expr);
            q->suggested_by = mf_xstrdup(g->by);
            q->explanation = mf_xstrdup(g->prov.text ? g->prov.text : "");
            q->confidence = g->confidence;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(all);
    return k;
}

void flow_questions_free(flow_question *q, int n)
{
    for (int i = 0; q && i < n; i++) {
        free(q[i].column);
        free(q[i].text);
        free(q[i].suggestion);
        free(q[i].suggested_by);
        free(q[i].explanation);
    }
    free(q);
}

/* The first line without its trailing " vN". */
static size_t head_len(const char *s, const char **rest)
{
    const char *nl = strchr(s, '\n');
    size_t n = nl ? (size_t)(nl - s) : strlen(s);
    *rest = s + n;
    size_t k = n;
    while (k && s[k - 1] >= '0' && s[k - 1] <= '9')
        k--;
    if (k < n && k >= 2 && s[k - 1] == 'v' && s[k - 2] == ' ')
        return k - 2;
    return n;
}

size_t flow_prov_rule_len(const char *t)
{
    static const char *const tails[] = {" \xE2\x80\x94 answered by ", " \xE2\x80\x94 changed by ",
                                        " \xE2\x80\x94 learned from ", " \xE2\x80\x94 suggested by "};
    size_t n = strlen(t);
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        const char *c = strstr(t, tails[i]);
        if (c && (size_t)(c - t) < n)
            n = (size_t)(c - t);
    }
    return n;
}

bool flow_same_content(const char *a, const char *b)
{
    const char *ra, *rb;
    size_t na = head_len(a, &ra), nb = head_len(b, &rb);
    return na == nb && !memcmp(a, b, na) && !strcmp(ra, rb);
}

char *flow_findings_text(store *st, const char *client, const char *sha)
{
    store_plan_version v;
    memset(&v, 0, sizeof v);
    mf_err ignore = {0};
    char *out = NULL;
    if (store_plan_get(st, client, sha, &v, &ignore) == 1 && v.findings && *v.findings) {
        json_error_t je;
        json_t *j = json_loads(v.findings, 0, &je);
        mf_buf b = {0};
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x) {
            const char *chk = json_string_value(json_object_get(x, "check"));
            const char *msg = json_string_value(json_object_get(x, "message"));
            mf_buf_printf(&b, "  FAIL %s: %s\n", chk ? chk : "?", msg ? msg : "");
        }
        json_decref(j);
        out = mf_xstrdup(b.len ? mf_buf_str(&b) : v.findings);
        mf_buf_free(&b);
    }
    store_plan_version_free(&v);
    return out;
}

int flow_make_dir(const flow_env *env, const char *dir, mf_err *e)
{
    char path[4096];
    if (strstr(dir, "://") || !strncmp(dir, "file:", 5))
        return mf_fail(e, MF_EUSAGE, dir, 0, 0,
                       "the output directory must be a local path: mapforge keeps the plan, the job, its log and "
                       "run.json there and checks the output there (for output on the lake: docs/spark.md)");
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return mf_fail(e, MF_EUSAGE, dir, 0, 0, "output directory path is too long");
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return mf_fail(e, MF_EIO, path, 0, 0, "cannot create output directory: %s", strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return mf_fail(e, MF_EIO, dir, 0, 0, "output path exists and is not a directory");
    int swept = mf_afile_sweep(dir);
    if (swept > 0 && env)
        flow_say(env, FLOW_WARN, "removed %d partial file%s left in %s by an interrupted run", swept,
                 swept == 1 ? "" : "s", dir);
    return 0;
}

char *flow_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

const char *flow_base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int flow_read_inputs(const char *mapping_path, const char *data_path, mapping *m, csv_dialect *d, profile *pr,
                     mf_err *e)
{
    if (mapping_read(mapping_path, m, e) < 0)
        return -1;
    if (csv_detect(data_path, d, e) < 0 || profile_file(data_path, d, FLOW_PROFILE_ROWS, pr, e) < 0) {
        mapping_free(m);
        return -1;
    }
    return 0;
}

char *flow_draft(const flow_env *env, const mapping *m, const profile *pr, const char *client, const char *data_path,
                 const char *source_name, const char *output, int version, mf_err *e)
{
    draft_options opt = {client, source_name ? source_name : flow_base_name(data_path), output};
    plan p;
    if (plan_draft(m, pr, &opt, &p, e) < 0)
        return NULL;
    (void)flow_rulebook_apply(env, &p, pr, m, client);   /* open columns read as people approved before */
    /* the draft tried on the first records (flow/sample.c): a failure to try it is said, not fatal */
    mf_err se = {0};
    if (flow_check_on_sample(&p, data_path, &se) < 0 && env) {
        char msg[1200];
        mf_err_format(&se, msg, sizeof msg);
        flow_say(env, FLOW_WARN, "the draft could not be tried on the data's first rows: %s", msg);
    }
    /* what the vocabulary left, asked of the language model: suggestions only (flow/suggest.c) */
    if (env)
        flow_suggest_for_draft(env, &p, client, data_path, m, pr);
    if (version > 0)
        p.version = version;
    char *text = plan_render(&p);
    plan_free(&p);
    return text;
}

/* ---- the client's mapping, remembered for batch runs ------------------------------------------ */

/* <home>/mappings/<sha of the client name>.json remembers the client's mapping for `run --client`. */
char *flow_mapping_ref_path(const flow_env *env, const char *client)
{
    char h[65];
    mf_sha256_hex(client, strlen(client), h);
    const char *home = env->home ? env->home : ".mapforge";
    size_t n = strlen(home) + 100;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/mappings/%.32s.json", home, h);
    return p;
}

static int save_mapping_ref(const flow_env *env, const char *client, const char *path, const char *sha, mf_err *e)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/mappings", env->home ? env->home : ".mapforge");
    if (flow_make_dir(NULL, dir, e) < 0)
        return -1;
    char abs[PATH_MAX];
    const char *keep = realpath(path, abs) ? abs : path;
    json_t *j = json_pack("{s:s, s:s, s:s}", "client", client, "path", keep, "sha256", sha);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    char *ref = flow_mapping_ref_path(env, client);
    int rc = text ? mf_write_file_atomic(ref, text, strlen(text), e) : 0;
    free(ref);
    free(text);
    return rc;
}

/* ---- reviews ---------------------------------------------------------------------------------- */

static void review_copy(flow_review *out, const store_review *r)
{
    memset(out, 0, sizeof *out);
    out->id = r->id;
    out->client = mf_xstrdup(r->client ? r->client : "");
    memcpy(out->mapping_sha256, r->mapping_sha256, sizeof out->mapping_sha256);
    out->mapping_path = r->mapping_path ? mf_xstrdup(r->mapping_path) : NULL;
    out->data_path = r->data_path ? mf_xstrdup(r->data_path) : NULL;
    out->output = r->output ? mf_xstrdup(r->output) : NULL;
    out->state = flow_state_parse(r->state);
    out->version = r->version;
    memcpy(out->plan_sha256, r->plan_sha256, sizeof out->plan_sha256);
    out->author = mf_xstrdup(r->author ? r->author : "");
    out->opened_by = mf_xstrdup(r->opened_by ? r->opened_by : "");
    memcpy(out->created_at, r->created_at, sizeof out->created_at);
    memcpy(out->updated_at, r->updated_at, sizeof out->updated_at);
    out->decided_by = r->decided_by ? mf_xstrdup(r->decided_by) : NULL;
    out->comment = r->comment ? mf_xstrdup(r->comment) : NULL;
    out->last_run_id = r->last_run_id;
}

void flow_review_free(flow_review *r)
{
    if (!r)
        return;
    free(r->client);
    free(r->mapping_path);
    free(r->data_path);
    free(r->output);
    free(r->author);
    free(r->opened_by);
    free(r->decided_by);
    free(r->comment);
    memset(r, 0, sizeof *r);
}

void flow_reviews_free(flow_review *r, int n)
{
    for (int i = 0; r && i < n; i++)
        flow_review_free(&r[i]);
    free(r);
}

int flow_review_get(const flow_env *env, long long id, flow_review *r, mf_err *e)
{
    store_review sr;
    memset(r, 0, sizeof *r);
    int got = store_review_get(env->st, id, &sr, e);
    if (got == 1) {
        review_copy(r, &sr);
        store_review_free(&sr);
    }
    return got;
}

int flow_review_find_open(const flow_env *env, const char *client, const char *mapping_sha256, flow_review *r,
                          mf_err *e)
{
    store_review sr;
    memset(r, 0, sizeof *r);
    int got = store_review_find_open(env->st, client, mapping_sha256, &sr, e);
    if (got == 1) {
        review_copy(r, &sr);
        store_review_free(&sr);
    }
    return got;
}

int flow_review_list(const flow_env *env, const char *client, flow_state state, flow_review **out, int *n,
                     mf_err *e)
{
    store_review *sr;
    int k;
    *out = NULL;
    *n = 0;
    if (store_review_list(env->st, client, state ? flow_state_name(state) : NULL, &sr, &k, e) < 0)
        return -1;
    if (k)
        *out = mf_xcalloc((size_t)k, sizeof **out);
    for (int i = 0; i < k; i++)
        review_copy(&(*out)[i], &sr[i]);
    *n = k;
    store_reviews_free(sr, k);
    return 0;
}

static int add_turn(const flow_env *env, long long review_id, const char *kind, const char *text, const char *result,
                    const char *sha, int version, mf_err *e)
{
    store_review_turn t;
    memset(&t, 0, sizeof t);
    t.review_id = review_id;
    t.actor = (char *)env->actor;
    t.kind = (char *)kind;
    t.text = (char *)text;
    t.result = (char *)result;
    snprintf(t.plan_sha256, sizeof t.plan_sha256, "%s", sha ? sha : "");
    t.version = version;
    return store_review_turn_add(env->st, &t, e);
}
int flow_turn_add(const flow_env *env, long long review_id, const char *kind, const char *text, const char *result,
                  const char *sha, int version, mf_err *e)
{
    return add_turn(env, review_id, kind, text, result, sha, version, e);
}

/* Reopen review r: the data file may be another one of the same layout. */
static int resume(const flow_env *env, store_review *r, const char *data_path, mf_err *e)
{
    if (data_path && (!r->data_path || strcmp(r->data_path, data_path))) {
        free(r->data_path);
        r->data_path = mf_xstrdup(data_path);
        if (store_review_update(env->st, r, e) < 0)
            return -1;
    }
    char id[32], ver[16];
    snprintf(id, sizeof id, "%lld", r->id);
    snprintf(ver, sizeof ver, "%d", r->version);
    if (add_turn(env, r->id, "resumed", "", "", r->plan_sha256, r->version, e) < 0 ||
        flow_audit(env, "review_resumed", r->client, r->plan_sha256, e, "review", id, "version", ver, "state",
                   r->state, (const char *)NULL) < 0)
        return -1;
    flow_say(env, FLOW_NOTE, "resuming review %lld of %s at plan v%d (%s, opened by %s at %s)", r->id, r->client,
             r->version, r->state, r->opened_by ? r->opened_by : "?", r->created_at);
    return 0;
}

/* The version a new review starts from: the latest version of this mapping when its last run
 * failed validation, else an existing version with the same content as a fresh draft, else the
 * fresh draft recorded (plan_drafted). */
static int starting_version(const flow_env *env, const flow_input *in, const mapping *m, const profile *pr,
                            char sha[65], int *version, const char **how, mf_err *e)
{
    store_plan_version v;
    memset(&v, 0, sizeof v);
    int got = store_plan_latest(env->st, in->client, &v, e);
    if (got < 0)
        return -1;
    if (got == 1 && v.findings && *v.findings && !strcmp(v.mapping_sha256, m->sha256)) {
        memcpy(sha, v.sha256, 65);
        *version = v.version;
        *how = "failed validation";
        store_plan_version_free(&v);
        return 0;
    }
    int next = got == 1 ? v.version + 1 : 1;
    if (got == 1)
        store_plan_version_free(&v);
    char *text = flow_draft(env, m, pr, in->client, in->data_path, in->source_name, in->output, next, e);
    if (!text)
        return -1;
    store_plan_version *all = NULL;
    int n = 0;
    if (store_plan_list(env->st, in->client, &all, &n, e) < 0) {
        free(text);
        return -1;
    }
    int rc = 0;
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(all[i].mapping_sha256, m->sha256) && flow_same_content(all[i].text, text)) {
            memcpy(sha, all[i].sha256, 65);
            *version = all[i].version;
            *how = "same as an earlier draft";
            goto done;
        }
    *how = "drafted";
    rc = flow_record_version(env, in->client, text, NULL, m->sha256, "plan_drafted", version, e);
    mf_sha256_hex(text, strlen(text), sha);
done:
    store_plan_versions_free(all, n);
    free(text);
    return rc;
}

static int open_review(const flow_env *env, const flow_input *in, const mapping *m, const profile *pr,
                       long long *id, bool *resumed, mf_err *e)
{
    store_review r;
    int got = store_review_find_open(env->st, in->client, m->sha256, &r, e);
    if (got < 0)
        return -1;
    if (got == 1) {
        int rc = in->batch ? 0 : resume(env, &r, in->data_path, e);
        *id = r.id;
        *resumed = true;
        store_review_free(&r);
        return rc;
    }
    char sha[65];
    int version = 0;
    const char *how = "drafted";
    if (starting_version(env, in, m, pr, sha, &version, &how, e) < 0)
        return -1;
    char mpath[PATH_MAX];
    memset(&r, 0, sizeof r);
    r.client = (char *)in->client;
    memcpy(r.mapping_sha256, m->sha256, sizeof r.mapping_sha256);
    r.mapping_path = realpath(in->mapping_path, mpath) ? mpath : (char *)in->mapping_path;
    r.data_path = (char *)in->data_path;
    r.output = (char *)in->output;
    snprintf(r.state, sizeof r.state, "drafted");
    memcpy(r.plan_sha256, sha, sizeof r.plan_sha256);
    r.version = version;
    r.author = "";
    r.opened_by = (char *)env->actor;
    int added = store_review_add(env->st, &r, e);
    if (added < 0)
        return -1;
    if (added == 0) {   /* another process opened it meanwhile: it is the one */
        int rc = in->batch ? 0 : resume(env, &r, in->data_path, e);
        *id = r.id;
        *resumed = true;
        store_review_free(&r);
        return rc;
    }
    *id = r.id;
    *resumed = false;
    return add_turn(env, r.id, "drafted", "", how, sha, version, e);
}

int flow_review_open(const flow_env *env, const flow_input *in, long long *review_id, bool *resumed, mf_err *e)
{
    if (!in->client || !in->mapping_path || !in->data_path)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a review needs a client, a mapping and a data file");
    mapping m;
    csv_dialect d;
    profile pr;
    if (flow_read_inputs(in->mapping_path, in->data_path, &m, &d, &pr, e) < 0)
        return -1;
    int rc = store_client_ensure(env->st, in->client, e) < 0 ? -1 : open_review(env, in, &m, &pr, review_id, resumed, e);
    profile_free(&pr);
    mapping_free(&m);
    return rc;
}

void flow_begin_result_free(flow_begin_result *r)
{
    free(r->plan_text);
    r->plan_text = NULL;
}

int flow_begin(const flow_env *env, const flow_input *in, flow_begin_result *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    if (!in->client || !in->mapping_path || !in->data_path)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "onboarding needs a client, a mapping and a data file");
    mapping m;
    csv_dialect d;
    profile pr;
    if (flow_read_inputs(in->mapping_path, in->data_path, &m, &d, &pr, e) < 0)
        return -1;
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    int rc = -1;
    if (store_client_ensure(env->st, in->client, e) < 0 ||
        save_mapping_ref(env, in->client, in->mapping_path, m.sha256, e) < 0 ||
        cache_lookup(env->st, in->client, m.sha256, &pr, &cr, e) < 0)
        goto done;
    if (cr.hit && cr.entry.plan_text) {   /* a hit whose plan failed validation last time goes back to review */
        char *old = flow_findings_text(env->st, in->client, cr.entry.plan_sha256);
        if (old) {
            free(old);
            cr.hit = 0;
            snprintf(cr.reason, sizeof cr.reason, "the cached plan %.12s failed validation on its last run",
                     cr.entry.plan_sha256);
        }
    }
    if (cr.hit && cr.entry.plan_text) {
        flow_say(env, FLOW_NOTE, "cache hit: key %.16s (approved plan %.12s, run %lld time%s before)", cr.key,
                 cr.entry.plan_sha256, cr.entry.execution_count, cr.entry.execution_count == 1 ? "" : "s");
        if (flow_audit(env, "cache_hit", in->client, cr.key, e, "key", cr.key, "plan_sha256", cr.entry.plan_sha256,
                       "data", in->data_path, (const char *)NULL) < 0 ||
            store_cache_lookup_add(env->st, in->client, 1, cr.key, NULL, e) < 0)
            goto done;
        out->kind = FLOW_BEGIN_CACHE_HIT;
        memcpy(out->cache_key, cr.key, sizeof out->cache_key);
        memcpy(out->plan_sha256, cr.entry.plan_sha256, sizeof out->plan_sha256);
        out->plan_text = mf_xstrdup(cr.entry.plan_text);
        rc = 0;
        goto done;
    }
    flow_say(env, FLOW_NOTE, "cache miss: %s", cr.reason);
    snprintf(out->miss_reason, sizeof out->miss_reason, "%s", cr.reason);
    if (flow_audit(env, "cache_miss", in->client, m.sha256, e, "reason", cr.reason, "data", in->data_path,
                   (const char *)NULL) < 0 ||
        store_cache_lookup_add(env->st, in->client, 0, NULL, cr.reason, e) < 0)
        goto done;
    bool resumed = false;
    if (open_review(env, in, &m, &pr, &out->review_id, &resumed, e) < 0)
        goto done;
    out->kind = resumed ? FLOW_BEGIN_RESUMED : FLOW_BEGIN_NEW;
    rc = 0;
done:
    cache_result_free(&cr);
    profile_free(&pr);
    mapping_free(&m);
    return rc;
}

char *flow_draft_text(const flow_env *env, const flow_input *in, mf_err *e)
{
    mapping m;
    csv_dialect d;
    profile pr;
    if (flow_read_inputs(in->mapping_path, in->data_path, &m, &d, &pr, e) < 0)
        return NULL;
    char *text = flow_draft(env, &m, &pr, in->client, in->data_path, in->source_name, in->output, 0, e);
    profile_free(&pr);
    mapping_free(&m);
    return text;
}
