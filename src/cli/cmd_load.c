/* cmd_load.c — `mapforge load --plan P --out DIR --client C [--db URL] [--home DIR]`.
 *
 * Loads DIR/<output>.csv (written by an earlier run of plan P) into the warehouse: --db
 * (sqlite:PATH or postgresql://...), else sqlite:<home>/warehouse.db.  The input's SHA-256 comes
 * from DIR/run.json, so loading the same run twice replaces it instead of adding a copy.
 */
#include "cli/cli.h"
#include "plan/plan.h"
#include "store/load.h"
#include "util/afile.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* input.sha256 of DIR/run.json into sha ("" when the run did not hash its input). */
static int input_sha(const char *out_dir, char sha[65], mf_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", out_dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        return mf_fail(e, MF_EIO, path, je.line, je.column, "cannot read the run report: %s", je.text);
    const char *s = json_string_value(json_object_get(json_object_get(j, "input"), "sha256"));
    snprintf(sha, 65, "%s", s ? s : "");
    json_decref(j);
    return 0;
}

/* The default warehouse lives in the state directory: create it when needed. */
static void ensure_parent(const char *url)
{
    if (strncmp(url, "sqlite:", 7))
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", url + 7);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = 0;
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    mkdir(dir, 0755);
}

int cli_load(const cli_options *o, mf_err *e)
{
    if (!o->plan || !o->out || !o->client)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge load needs --plan P --out DIR --client C (see mapforge help)"),
               CLI_FAILED;
    cli_plan_file pf;
    char sha[65];
    char *url = o->db ? mf_xstrdup(o->db) : load_default_url(o->home);
    int streams = cli_load_streams(o, e);
    if (streams < 0) {
        free(url);
        return CLI_FAILED;
    }
    int rc = cli_plan_file_read(o->plan, &pf, e);
    if (rc == 0)
        rc = input_sha(o->out, sha, e);
    if (rc == 0) {
        ensure_parent(url);
        load_info info = {.client = o->client, .input_sha256 = sha, .streams = streams};
        load_result r;
        rc = load_output(&pf.p, o->out, url, &info, &r, e);
        if (rc == 0)
            printf("loaded %lld rows into %s at %s (%lld rows of the same client and input replaced)\n", r.rows_loaded,
                   r.table, r.target, r.rows_replaced);
    }
    free(url);
    cli_plan_file_free(&pf);
    return rc < 0 ? CLI_FAILED : 0;
}
