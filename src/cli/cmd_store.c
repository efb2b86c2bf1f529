/* cmd_store.c — the commands over the state store:
 *   mapforge cache list [--client C] | cache show KEY | cache invalidate KEY [--comment C]
 *   mapforge history --client C
 *   mapforge audit log [--client C] | audit verify [--anchors FILE] | audit anchor --to FILE
 *   mapforge audit append EVENT [--client C] [--comment TEXT]   (test/admin: append one event)
 * The store is --store URL / MAPFORGE_STORE, else --home DIR / MAPFORGE_HOME / ~/.mapforge.
 *
 * Invariants: every change made here (invalidation, appended event) is recorded in the audit trail
 * with the actor (--as, MAPFORGE_USER, OS user); `audit verify` exits 1 when the chain is broken and
 * names the first bad event.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static store *open_store(const cli_options *o, mf_err *e)
{
    char *where = store_location(o->store, o->home, e);
    if (!where)
        return NULL;
    store *s = store_open(where, e);
    free(where);
    return s;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* {"comment": C} or {} (malloc'd). */
static char *comment_json(const char *key, const char *comment)
{
    json_t *o = json_object();
    if (key)
        json_object_set_new(o, "key", json_string(key));
    if (comment)
        json_object_set_new(o, "comment", json_string(comment));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* ---- cache -------------------------------------------------------------------------------------- */

static const char *last_run_word(int v)
{
    return v < 0 ? "never run" : v ? "last run ok" : "last run failed";
}

static void print_entry_line(const store_cache_entry *c)
{
    printf("%s  %-12s %-11s runs=%lld %-15s created %s expires %s\n", c->key, c->client, c->status,
           c->execution_count, last_run_word(c->last_run_success), c->created_at, c->expires_at);
}

/* Resolve KEY, which may be a unique prefix (at least 6 characters) of a key.  1 found, 0 not. */
static int find_entry(store *s, const char *key, store_cache_entry *out, mf_err *e)
{
    int got = store_cache_get(s, key, out, e);
    if (got != 0 || strlen(key) < 6)
        return got;
    store_cache_entry *all;
    int n, match = -1;
    if (store_cache_list(s, NULL, &all, &n, e) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strncmp(all[i].key, key, strlen(key)))
            continue;
        if (match >= 0) {
            store_cache_entries_free(all, n);
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "cache key prefix \"%s\" is ambiguous: give more of it", key);
        }
        match = i;
    }
    if (match >= 0) {
        *out = all[match];
        memset(&all[match], 0, sizeof all[match]);
    }
    store_cache_entries_free(all, n);
    return match >= 0;
}

static int cache_list_cmd(store *s, const cli_options *o, mf_err *e)
{
    store_cache_entry *all;
    int n;
    if (store_cache_list(s, o->client, &all, &n, e) < 0)
        return CLI_FAILED;
    if (!n)
        printf("no cache entries%s%s\n", o->client ? " for client " : "", o->client ? o->client : "");
    for (int i = 0; i < n; i++)
        print_entry_line(&all[i]);
    store_cache_entries_free(all, n);
    return 0;
}

static int cache_show_cmd(store *s, const char *key, mf_err *e)
{
    store_cache_entry c;
    int got = find_entry(s, key, &c, e);
    if (got < 0)
        return CLI_FAILED;
    if (!got)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no cache entry with key %s (see mapforge cache list)", key);
    printf("key:              %s\nclient:           %s\nstatus:           %s%s%s\n", c.key, c.client, c.status,
           c.invalidated_reason ? " — " : "", c.invalidated_reason ? c.invalidated_reason : "");
    printf("mapping sha256:   %s\nplan sha256:      %s\nused columns:     %s\ndialect:          %s\n",
           c.mapping_sha256, c.plan_sha256, or_dash(c.used_columns), or_dash(c.dialect));
    printf("created at:       %s\nexpires at:       %s\nexecutions:       %lld (%s)\n", c.created_at, c.expires_at,
           c.execution_count, last_run_word(c.last_run_success));
    if (c.plan_text)
        printf("\n%s%s", c.plan_text, c.plan_text[0] && c.plan_text[strlen(c.plan_text) - 1] == '\n' ? "" : "\n");
    store_cache_entry_free(&c);
    return 0;
}

static int cache_invalidate_cmd(store *s, const cli_options *o, const char *key, mf_err *e)
{
    store_cache_entry c;
    int got = find_entry(s, key, &c, e);
    if (got < 0)
        return CLI_FAILED;
    if (!got)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no cache entry with key %s (see mapforge cache list)", key);
    char actor[256];
    store_actor(o->as, actor, sizeof actor);
    char reason[1024];
    snprintf(reason, sizeof reason, "%s (by %s)", o->comment ? o->comment : "no comment", actor);
    char *details = comment_json(c.key, o->comment);
    int rc = store_cache_invalidate(s, c.key, reason, e) < 0 ||
                     store_audit_append(s, actor, "cache_invalidated", c.client, c.key, details, NULL, e) < 0
                 ? CLI_FAILED
                 : 0;
    if (rc == 0)
        printf("invalidated %s (client %s)\n", c.key, c.client);
    free(details);
    store_cache_entry_free(&c);
    return rc;
}

int cli_cache(const cli_options *o, mf_err *e)
{
    const char *sub = o->nargs ? o->args[0] : "list";
    if (strcmp(sub, "list") && strcmp(sub, "show") && strcmp(sub, "invalidate"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge cache: expected list, show KEY or invalidate KEY, got \"%s\"",
                       sub);
    if (strcmp(sub, "list") && o->nargs < 2 && !o->key)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge cache %s: expected a cache key", sub);
    const char *key = o->nargs >= 2 ? o->args[1] : o->key;
    store *s = open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc = !strcmp(sub, "list") ? cache_list_cmd(s, o, e)
             : !strcmp(sub, "show") ? cache_show_cmd(s, key, e)
                                    : cache_invalidate_cmd(s, o, key, e);
    store_close(s);
    return rc < 0 ? CLI_FAILED : rc;
}

/* ---- history ------------------------------------------------------------------------------------ */

static int print_versions(store *s, const char *client, mf_err *e)
{
    store_plan_version *v;
    int n;
    if (store_plan_list(s, client, &v, &n, e) < 0)
        return -1;
    printf("plan versions of %s:%s\n", client, n ? "" : " none");
    for (int i = 0; i < n; i++)
        printf("  v%-3d %.12s  %-8s %s by %s%s\n", v[i].version, v[i].sha256, v[i].status, v[i].created_at,
               v[i].actor, v[i].findings ? "  (validation findings attached)" : "");
    store_plan_versions_free(v, n);
    return 0;
}

static int print_runs(store *s, const char *client, mf_err *e)
{
    store_run *r;
    int n;
    if (store_run_list(s, client, &r, &n, e) < 0)
        return -1;
    printf("runs of %s:%s\n", client, n ? "" : " none");
    for (int i = 0; i < n; i++)
        printf("  #%-4lld %s %-8s plan %.12s in=%lld out=%lld rejected=%lld filtered=%lld %.3fs%s  %s\n", r[i].id,
               r[i].started_at, or_dash(r[i].status), or_dash(r[i].plan_sha256), r[i].rows_in, r[i].rows_out,
               r[i].rows_rejected, r[i].rows_filtered, r[i].seconds, r[i].cache_hit ? " cache hit" : "",
               or_dash(r[i].input_path));
    store_runs_free(r, n);
    return 0;
}

static int print_events(store *s, const char *client, mf_err *e)
{
    store_audit_event *ev;
    int n;
    if (store_audit_list(s, client, &ev, &n, e) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        printf("%6lld  %s  %-14s %-18s %-10s %s %s\n", ev[i].seq, ev[i].at, ev[i].actor, ev[i].event,
               or_dash(ev[i].client), or_dash(ev[i].subject), ev[i].details);
    store_audit_events_free(ev, n);
    return n;
}

int cli_history(const cli_options *o, mf_err *e)
{
    if (!o->client)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge history: expected --client C");
    store *s = open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc = 0;
    if (print_versions(s, o->client, e) < 0 || print_runs(s, o->client, e) < 0)
        rc = CLI_FAILED;
    if (rc == 0) {
        printf("events of %s:\n", o->client);
        if (print_events(s, o->client, e) < 0)
            rc = CLI_FAILED;
    }
    store_close(s);
    return rc;
}

/* ---- audit -------------------------------------------------------------------------------------- */

static int audit_verify_cmd(store *s, const cli_options *o, mf_err *e)
{
    store_audit_report r;
    int bad = o->anchors ? store_audit_verify_anchors(s, o->anchors, &r, e) : store_audit_verify(s, &r, e);
    if (bad < 0)
        return CLI_FAILED;
    if (bad) {
        printf("audit trail BROKEN at event %lld: %s\n", r.bad_seq, r.problem);
        return 1;
    }
    printf("audit trail intact: %lld events verified (%s)", r.nevents, store_where(s));
    if (o->anchors)
        printf("; events 1-%lld agree with the anchors in %s", r.anchored, o->anchors);
    if (r.keyed)
        printf("; %lld signed%s", r.nsigned,
               r.nsigned && r.signed_from > 1 ? " (earlier events predate the key)" : "");
    printf("\n");
    return 0;
}

static int audit_anchor_cmd(store *s, const cli_options *o, mf_err *e)
{
    if (!o->to)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge audit anchor: expected --to FILE (the anchor file)");
    char actor[256];
    store_actor(o->as, actor, sizeof actor);
    store_audit_report r;
    int bad = store_audit_anchor(s, o->to, actor, &r, e);
    if (bad < 0)
        return CLI_FAILED;
    if (bad) {
        printf("audit trail BROKEN at event %lld: %s\nnothing anchored\n", r.bad_seq, r.problem);
        return 1;
    }
    printf("%s\n", r.problem);
    return 0;
}

static int audit_append_cmd(store *s, const cli_options *o, mf_err *e)
{
    if (o->nargs < 2)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge audit append: expected an event name");
    char actor[256];
    store_actor(o->as, actor, sizeof actor);
    char *details = comment_json(NULL, o->comment);
    long long seq;
    int rc = store_audit_append(s, actor, o->args[1], o->client, o->key, details, &seq, e);
    free(details);
    if (rc < 0)
        return CLI_FAILED;
    printf("%lld\n", seq);
    return 0;
}

int cli_audit(const cli_options *o, mf_err *e)
{
    const char *sub = o->nargs ? o->args[0] : "log";
    if (strcmp(sub, "log") && strcmp(sub, "verify") && strcmp(sub, "append") && strcmp(sub, "anchor"))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "mapforge audit: expected log, verify [--anchors FILE], anchor --to FILE or append EVENT, "
                       "got \"%s\"", sub);
    store *s = open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc;
    if (!strcmp(sub, "verify"))
        rc = audit_verify_cmd(s, o, e);
    else if (!strcmp(sub, "anchor"))
        rc = audit_anchor_cmd(s, o, e);
    else if (!strcmp(sub, "append"))
        rc = audit_append_cmd(s, o, e);
    else
        rc = print_events(s, o->client, e) < 0 ? CLI_FAILED : 0;
    store_close(s);
    return rc;
}
