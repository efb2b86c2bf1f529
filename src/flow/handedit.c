/* handedit.c — plans edited by hand, outside a review: run as they are, and approved by a person.
 *
 * `run --plan FILE` runs the file's plan and its checks (required columns, row accounting, keys,
 * the plan's own check statements, the customer's validator) but never loads: the plan is not
 * approved, and the messages say so.  With a client the run is recorded in the client's history
 * (status ok / validation_failed, an audit event "run" whose details say approved: false).
 *
 * `approve --plan FILE --client C --data D` records a person's approval of such a file, so that it
 * is cached and loaded through the normal flow: the file is parsed and type-checked against D,
 * refused while it has open questions, renumbered as the client's next version (the first line
 * only: `plan C vN`) and, when that changed the text, written back to FILE — so the file on disk is
 * exactly the approved text, whose SHA-256 is the plan's identity.  Then: the version (event
 * plan_version), the approval (event approval, with "hand_edited": "true"), the cache entry under
 * the mapping its `mapping` line names (else the client's onboarded mapping; else not cached, said).
 */
#include "flow/flow_internal.h"
#include "flow/rulebook_learn.h"

#include "check/check.h"
#include "read/csv.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int flow_run_file(const flow_env *env, const char *client, plan *p, const char *text, const char *plan_path,
                  const flow_run_options *o, flow_run_result *r, mf_err *e)
{
    memset(r, 0, sizeof *r);
    r->state = FLOW_FAILED;
    char sha[65];
    /* A native run feeds the control totals' input side as it reads (check_pre_fed). */
    run_observer obs;
    check_pre *pre = !o->engine || !strcmp(o->engine, "native") ? check_pre_fed(p, o->data_path, &obs) : NULL;
    if (flow_run_plain(env, p, text, plan_path, o, NULL, 0, pre ? &obs : NULL, &r->rep, sha, e) < 0) {
        check_pre_discard(pre);
        return -1;
    }
    memcpy(r->plan_sha256, sha, sizeof sha);
    check_result res;
    check_result_init(&res);
    int rc = -1;
    if (flow_check_output(p, o, &r->rep, pre, &res, e) < 0)   /* takes pre; flow_run_plain refused what a URI cannot do */
        goto done;
    bool unchecked = o->spark_output && *o->spark_output;
    r->passed = res.passed;
    r->findings_json = json_dumps(res.findings, JSON_COMPACT);
    if (!res.passed)
        r->findings_text = check_findings_text(&res);
    r->state = res.passed ? FLOW_CHECKED : FLOW_FAILED;
    if (env->st && client) {
        const run_report *rep = &r->rep;
        store_run sr = {.client = client, .plan_sha256 = sha, .input_path = o->data_path,
                        .input_sha256 = rep->input_sha256, .input_bytes = rep->bytes_in, .rows_in = rep->rows_in,
                        .rows_out = rep->rows_out, .rows_rejected = rep->rows_rejected,
                        .rows_filtered = rep->rows_filtered, .seconds = rep->seconds_total,
                        .status = res.passed ? "ok" : "validation_failed", .state = res.passed ? "checked" : "failed",
                        .actor = env->actor};
        char counts[160];
        snprintf(counts, sizeof counts, "%lld in, %lld out, %lld rejected, %lld filtered", rep->rows_in,
                 rep->rows_out, rep->rows_rejected, rep->rows_filtered);
        if (store_run_add(env->st, &sr, e) < 0 ||
            flow_audit(env, "run", client, sha, e, "data", o->data_path, "input_sha256", rep->input_sha256, "rows",
                       counts, "status", sr.status, "approved", "false", "plan_file", plan_path, (const char *)NULL) < 0)
            goto done;
        r->run_id = sr.id;
    }
    if (!res.passed) {
        flow_say(env, FLOW_WARN, "validation failed:\n%s", r->findings_text ? r->findings_text : "");
    } else if (unchecked) {
        char *notes = check_findings_text(&res);
        flow_say(env, FLOW_WARN, "the output was not checked (it stays at %s):\n%s", o->spark_output, notes);
        free(notes);
    } else
        flow_say(env, FLOW_NOTE, "checks passed%s", res.validator_ran ? ", validator passed" : "");
    char qp[1100], qc[300], qd[1100];
    flow_say(env, FLOW_NOTE,
             "plan %.12s is not approved (a plan file run as it is): nothing loaded. A person approves it with: "
             "mapforge approve --plan %s --client %s --data %s",
             sha, mf_shq(plan_path, qp, sizeof qp), client ? mf_shq(client, qc, sizeof qc) : "C",
             mf_shq(o->data_path, qd, sizeof qd));
    rc = res.passed ? 0 : 1;
done:
    check_result_free(&res);
    return rc;
}

/* The mapping content SHA-256 the approval is cached under: the plan's own `mapping` line, else
 * the client's onboarded mapping ("" when neither). */
static void cache_mapping(const flow_env *env, const plan *p, const char *client, char sha[65])
{
    sha[0] = 0;
    if (p->mapping.sha256 && strlen(p->mapping.sha256) == 64) {
        memcpy(sha, p->mapping.sha256, 65);
        return;
    }
    char *ref = flow_mapping_ref_path(env, client);
    json_error_t je;
    json_t *j = json_load_file(ref, 0, &je);
    free(ref);
    const char *s = j ? json_string_value(json_object_get(j, "sha256")) : NULL;
    if (s && strlen(s) == 64)
        memcpy(sha, s, 65);
    json_decref(j);
}

int flow_approve_file(const flow_env *env, const char *client, const char *plan_path, const char *data_path,
                      const char *comment, int *version, char sha[65], mf_err *e)
{
    if (!client || !plan_path || !data_path)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "approving a plan file needs the client, the file and its data");
    size_t len;
    char *file = mf_read_file(plan_path, &len, e);
    if (!file)
        return -1;
    plan p;
    int rc = -1;
    char *text = NULL;
    csv_dialect d;
    profile pr;
    bool have_pr = false;
    store_plan_version latest;
    memset(&latest, 0, sizeof latest);
    if (plan_parse(file, len, plan_path, &p, e) < 0) {
        free(file);
        return -1;
    }
    if (flow_check_plan_data(&p, data_path, plan_path, e) < 0)
        goto done;
    if (plan_has_open_questions(&p)) {
        mf_fail(e, MF_EREFUSED, plan_path, 0, 0, "cannot approve: the plan has open questions (replace each ? first)");
        goto done;
    }
    int got = store_plan_latest(env->st, client, &latest, e);
    if (got < 0)
        goto done;
    p.client = plan_strdup(&p, client);
    p.version = got ? latest.version + 1 : 1;
    text = plan_render(&p);
    if (got && flow_same_content(text, latest.text)) {   /* nothing edited: the latest version as it is */
        free(text);
        text = mf_xstrdup(latest.text);
    }
    if (strcmp(text, file) && mf_write_file_atomic(plan_path, text, strlen(text), e) < 0)
        goto done;
    int v = 0;
    char msha[65];
    cache_mapping(env, &p, client, msha);
    if (flow_record_version(env, client, text, got ? latest.sha256 : NULL, *msha ? msha : NULL, "plan_version", &v,
                            e) < 0)
        goto done;
    mf_sha256_hex(text, strlen(text), sha);
    if (store_approval_add(env->st, client, sha, "approved", comment, env->actor, e) < 0 ||
        flow_audit(env, "approval", client, sha, e, "sha256", sha, "comment", comment && *comment ? comment : NULL,
                   "hand_edited", "true", "plan_file", plan_path, (const char *)NULL) < 0)
        goto done;
    if (csv_detect(data_path, &d, e) < 0 || profile_file(data_path, &d, FLOW_PROFILE_ROWS, &pr, e) < 0)
        goto done;
    have_pr = true;
    (void)flow_rulebook_learn_file(env, client, sha, v, &p, &pr, got ? latest.text : NULL);
    if (*msha) {
        plan q;
        if (plan_parse(text, strlen(text), plan_path, &q, e) < 0)
            goto done;
        int c = cache_remember(env->st, client, msha, &q, &pr, sha, NULL, e);
        plan_free(&q);
        if (c < 0)
            goto done;
    } else {
        flow_say(env, FLOW_WARN,
                 "plan v%d is approved but not cached: neither the plan nor the client names its mapping (onboard "
                 "the client once, or add the plan's mapping line)", v);
    }
    if (version)
        *version = v;
    flow_say(env, FLOW_NOTE, "approved plan %s v%d (sha256 %.12s) by %s%s", client, v, sha,
             env->actor ? env->actor : "?", strcmp(text, file) ? "; the file now holds exactly the approved text" : "");
    rc = 0;
done:
    if (have_pr)
        profile_free(&pr);
    store_plan_version_free(&latest);
    free(text);
    free(file);
    plan_free(&p);
    return rc;
}
