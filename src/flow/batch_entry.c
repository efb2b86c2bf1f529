/* batch_entry.c — what the workflow does with one entry of a batch (in its worker process).
 *
 *   read the mapping, profile the data, look up the cache (cache_lookup: no event);
 *   hit:  already done?  (OUT/run.json of this plan on this input, and the store's run of it
 *         loaded — checked under no_load)  → done, nothing runs;
 *         else event cache_hit and flow_run_text: run → check → load, recorded as onboard records
 *         a cached run (a validation that failed on an earlier file does not stop it: this file is
 *         validated again before anything is loaded, as `run --client` does);
 *   miss: flow_begin with in.batch → a new review drafted (plan_drafted) or the open one found and
 *         left untouched → waiting for review.  Nothing is approved here, ever.
 *
 * Invariant: the entry's result says what happened and why in one line (x->why), so the summary
 * and batch.json never need the worker's messages.
 */
#include "flow/batch_internal.h"
#include "flow/flow_internal.h"

#include "util/sha256.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_why(batch_entry *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_why(batch_entry *x, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)   /* one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    free(x->why);
    x->why = mf_xstrdup(msg);
}

static void fail_with(batch_entry *x, const mf_err *e)
{
    char msg[1200];
    mf_err_format(e, msg, sizeof msg);
    x->status = BATCH_FAILED;
    x->interrupted = e->code == MF_EINTR;
    set_why(x, "%s", msg);
}

/* The store's newest run of (client, plan, input) into this entry's output directory that finished:
 * loaded, or checked under no_load.  The directory matters: the same file run into last month's
 * folder does not make this one done (and a set published there by a run killed before its checks
 * is not done either).  1 found (counts copied into x), 0 none, -1 error. */
static int finished_run(const flow_env *env, batch_entry *x, const char *input_sha, bool no_load, mf_err *e)
{
    char out[PATH_MAX];
    if (!realpath(x->out, out))
        return 0;
    store_run *r;
    int n = 0, found = 0;
    if (store_run_list(env->st, x->client, &r, &n, e) < 0)
        return -1;
    for (int i = n - 1; i >= 0 && !found; i--) {
        const store_run *s = &r[i];
        if (!s->plan_sha256 || strcmp(s->plan_sha256, x->plan_sha256) || !s->input_sha256 ||
            strcmp(s->input_sha256, input_sha) || !s->state || !s->out_dir || strcmp(s->out_dir, out))
            continue;
        if (strcmp(s->state, "loaded") && !(no_load && !strcmp(s->state, "checked")))
            continue;
        found = 1;
        x->run_id = s->id;
        x->rows_in = s->rows_in;
        x->rows_out = s->rows_out;
        x->rows_rejected = s->rows_rejected;
        x->rows_filtered = s->rows_filtered;
    }
    store_runs_free(r, n);
    return found;
}

/* Done before: OUT/run.json is this plan's on this input, and the store has that run finished.
 * The input is hashed only when run.json names this plan.  1 done, 0 not, -1 error. */
static int already_done(const flow_env *env, batch_entry *x, bool no_load, mf_err *e)
{
    char *path = flow_join(x->out, "run.json");
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    free(path);
    if (!j)
        return 0;
    const char *plan_sha = json_string_value(json_object_get(j, "plan_sha256"));
    const char *in_sha = json_string_value(json_object_get(json_object_get(j, "input"), "sha256"));
    int rc = 0;
    char sha[65];
    if (plan_sha && in_sha && !strcmp(plan_sha, x->plan_sha256) &&
        mf_sha256_file_hex(x->data, sha, NULL) == 0 && !strcmp(sha, in_sha)) {
        rc = finished_run(env, x, sha, no_load, e);
        if (rc == 1)
            memcpy(x->input_sha256, sha, sizeof sha);
    }
    json_decref(j);
    return rc;
}

/* The result of a run of the approved text. */
static void ran(batch_entry *x, int rc, const flow_run_result *rr, const mf_err *e)
{
    x->run_id = rr->run_id;
    if (rr->rep.input_sha256[0])
        memcpy(x->input_sha256, rr->rep.input_sha256, sizeof x->input_sha256);
    x->rows_in = rr->rep.rows_in;
    x->rows_out = rr->rep.rows_out;
    x->rows_rejected = rr->rep.rows_rejected;
    x->rows_filtered = rr->rep.rows_filtered;
    if (rc == 0) {
        x->status = BATCH_DONE;
        return;
    }
    if (rc == 1) {
        x->status = BATCH_FAILED;
        set_why(x, "validation failed, nothing loaded:%s", rr->findings_text ? rr->findings_text : " (no findings)");
        /* findings lines are "  FAIL check: message": squeeze the indentation */
        for (char *p = x->why; (p = strstr(p, "   ")); )
            memmove(p, p + 1, strlen(p));
        return;
    }
    fail_with(x, e);
}

/* The review an entry waits for, said in one line. */
static void waiting(const flow_env *env, batch_entry *x, long long id, bool found, const char *miss)
{
    x->status = BATCH_WAITING;
    x->review_id = id;
    flow_version v;
    flow_review r;
    mf_err ignore = {0};
    int nq = -1, ver = 0;
    char state[16] = "drafted";
    if (flow_review_current(env, id, &v, &ignore) == 0) {
        nq = v.nquestions;
        ver = v.version;
        memcpy(x->plan_sha256, v.sha256, sizeof x->plan_sha256);
        flow_version_free(&v);
    }
    if (flow_review_get(env, id, &r, &ignore) == 1) {
        snprintf(state, sizeof state, "%s", flow_state_name(r.state));
        flow_review_free(&r);
    }
    char q[64] = "";
    if (nq > 0)
        snprintf(q, sizeof q, ", %d open question%s", nq, nq == 1 ? "" : "s");
    set_why(x, "%s review %lld (plan v%d, %s%s); cache miss: %s", found ? "waiting in" : "drafted into", id, ver,
            state, q, miss);
}

void batch_entry_work(const flow_env *env, batch_entry *x, const flow_run_options *base, mf_err *e)
{
    x->status = BATCH_FAILED;
    if (x->unusable) {
        set_why(x, "%s", x->unusable);
        return;
    }
    flow_run_options ro = *base;
    ro.data_path = x->data;
    ro.out_dir = x->out;
    if (x->validator)
        ro.validator = x->validator;
    mapping m;
    csv_dialect d;
    profile pr;
    if (flow_read_inputs(x->mapping, x->data, &m, &d, &pr, e) < 0) {
        fail_with(x, e);
        return;
    }
    cache_result cr;
    memset(&cr, 0, sizeof cr);
    flow_run_result rr;
    memset(&rr, 0, sizeof rr);
    flow_begin_result br;
    memset(&br, 0, sizeof br);
    if (store_client_ensure(env->st, x->client, e) < 0 || cache_lookup(env->st, x->client, m.sha256, &pr, &cr, e) < 0) {
        fail_with(x, e);
        goto done;
    }
    if (cr.hit && cr.entry.plan_text) {
        x->cache_hit = true;
        memcpy(x->plan_sha256, cr.entry.plan_sha256, sizeof x->plan_sha256);
        int done = already_done(env, x, ro.no_load, e);
        if (done != 0) {
            if (done < 0)
                fail_with(x, e);
            else {
                x->status = BATCH_DONE;
                x->skipped = true;
                set_why(x, "already done by run %lld (plan %.12s on input %.12s)", x->run_id, x->plan_sha256,
                        x->input_sha256);
            }
            goto done;
        }
        flow_say(env, FLOW_NOTE, "cache hit: key %.16s (approved plan %.12s)", cr.key, cr.entry.plan_sha256);
        if (flow_audit(env, "cache_hit", x->client, cr.key, e, "key", cr.key, "plan_sha256", cr.entry.plan_sha256,
                       "data", x->data, "batch", x->where, (const char *)NULL) < 0) {
            fail_with(x, e);
            goto done;
        }
        int r = flow_run_text(env, x->client, cr.entry.plan_text, cr.key, 1, &ro, &rr, e);
        ran(x, r, &rr, e);
        goto done;
    }
    /* a miss: draft (or find the open review) and leave it to a person */
    flow_input in = {x->client, x->mapping, x->data, NULL, true, NULL};
    if (flow_begin(env, &in, &br, e) < 0) {
        fail_with(x, e);
        goto done;
    }
    if (br.kind == FLOW_BEGIN_CACHE_HIT) {   /* approved between the lookup and now */
        x->cache_hit = true;
        memcpy(x->plan_sha256, br.plan_sha256, sizeof x->plan_sha256);
        int r = flow_run_text(env, x->client, br.plan_text, br.cache_key, 1, &ro, &rr, e);
        ran(x, r, &rr, e);
        goto done;
    }
    waiting(env, x, br.review_id, br.kind == FLOW_BEGIN_RESUMED, cr.reason);
done:
    flow_begin_result_free(&br);
    flow_run_result_free(&rr);
    cache_result_free(&cr);
    profile_free(&pr);
    mapping_free(&m);
}
