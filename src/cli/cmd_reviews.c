/* cmd_reviews.c — `mapforge reviews [--client C] [--json]`: the review sessions kept by the
 * workflow stage (flow/flow.h), newest first, with their state (drafted, in_review, approved,
 * rejected, running, checked, failed, loaded), current version and who opened and decided them,
 * and the runs of the approved plans with their run states.  Read-only: it changes nothing and
 * appends no event.
 */
#include "cli/cli.h"
#include "flow/flow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *reviews_json(const flow_review *r, int n, const flow_run_info *runs, int nr)
{
    json_t *a = json_array(), *b = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:I, s:s, s:s, s:i, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:I}", "id", (json_int_t)r[i].id,
                         "client", r[i].client, "state", flow_state_name(r[i].state), "version", r[i].version,
                         "plan_sha256", r[i].plan_sha256, "opened_by", r[i].opened_by, "author",
                         *r[i].author ? r[i].author : NULL, "decided_by", r[i].decided_by, "created_at",
                         r[i].created_at, "updated_at", r[i].updated_at, "data", r[i].data_path, "last_run_id",
                         (json_int_t)r[i].last_run_id));
    for (int i = 0; i < nr; i++)
        json_array_append_new(
            b, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:s}", "id",
                         (json_int_t)runs[i].id, "review_id", (json_int_t)runs[i].review_id, "client",
                         runs[i].client, "state", flow_state_name(runs[i].state), "status", runs[i].status,
                         "plan_sha256", runs[i].plan_sha256, "rows_in", (json_int_t)runs[i].rows_in, "rows_out",
                         (json_int_t)runs[i].rows_out, "rows_rejected", (json_int_t)runs[i].rows_rejected,
                         "rows_filtered", (json_int_t)runs[i].rows_filtered, "cache_hit", runs[i].cache_hit != 0,
                         "started_at", runs[i].started_at, "updated_at", runs[i].updated_at));
    return json_pack("{s:o, s:o}", "reviews", a, "runs", b);
}

int cli_reviews(const cli_options *o, mf_err *e)
{
    flow_env env;
    if (flow_env_open(&env, o->store, o->home, e) < 0) {
        flow_env_close(&env);
        return CLI_FAILED;
    }
    flow_review *r = NULL;
    flow_run_info *runs = NULL;
    int n = 0, nr = 0, rc = CLI_FAILED;
    if (flow_review_list(&env, o->client, FLOW_NONE, &r, &n, e) < 0 || flow_run_list(&env, o->client, &runs, &nr, e) < 0)
        goto done;
    if (o->json) {
        json_t *j = reviews_json(r, n, runs, nr);
        char *t = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        json_decref(j);
        if (!t) {
            mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write the reviews as JSON");
            goto done;
        }
        printf("%s\n", t);
        free(t);
        rc = 0;
        goto done;
    }
    printf("reviews:\n");
    if (!n)
        printf("  none\n");
    for (int i = 0; i < n; i++)
    {
        printf("  %-5lld %-12s %-10s v%-3d plan %.12s  opened by %s %s", r[i].id, r[i].client,
               flow_state_name(r[i].state), r[i].version, r[i].plan_sha256, r[i].opened_by, r[i].created_at);
        if (r[i].decided_by)
            printf(", decided by %s", r[i].decided_by);
        if (r[i].last_run_id)
            printf(", last run %lld", r[i].last_run_id);
        printf("\n");
    }
    printf("runs:\n");
    if (!nr)
        printf("  none\n");
    for (int i = 0; i < nr; i++)
        printf("  %-5lld %-12s %-10s plan %.12s  %lld in, %lld out, %lld rejected, %lld filtered  %s%s\n", runs[i].id,
               runs[i].client, flow_state_name(runs[i].state), runs[i].plan_sha256, runs[i].rows_in, runs[i].rows_out,
               runs[i].rows_rejected, runs[i].rows_filtered, runs[i].started_at,
               runs[i].review_id ? "" : " (cached plan)");
    rc = 0;
done:
    flow_reviews_free(r, n);
    flow_run_infos_free(runs, nr);
    flow_env_close(&env);
    return rc;
}
