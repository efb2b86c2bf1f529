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
#include "util/buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Print a JSON value on one line (JSON Lines) or as one indented document; frees it. */
static int put_json(json_t *j, bool line)
{
    char *t = json_dumps(j, line ? JSON_COMPACT : JSON_INDENT(2));
    json_decref(j);
    if (!t)
        return -1;
    printf("%s\n", t);
    free(t);
    return 0;
}

/* A JSON text stored in the store (details, used columns, dialect, findings), parsed; a string
 * when it does not parse. */
static json_t *stored_json(const char *text)
{
    if (!text)
        return json_null();
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    return j ? j : json_string(text);
}

static json_t *entry_json(const store_cache_entry *c, bool with_text)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "key", c->key, "client",
                          c->client, "status", c->status, "mapping_sha256", c->mapping_sha256, "plan_sha256",
                          c->plan_sha256, "created_at", c->created_at, "expires_at", c->expires_at,
                          "execution_count", (json_int_t)c->execution_count, "last_run_success",
                          c->last_run_success < 0 ? json_null() : json_boolean(c->last_run_success),
                          "used_columns", stored_json(c->used_columns), "dialect", stored_json(c->dialect));
    if (o && c->invalidated_reason)
        json_object_set_new(o, "invalidated_reason", json_string(c->invalidated_reason));
    if (o && with_text && c->plan_text)
        json_object_set_new(o, "plan_text", json_string(c->plan_text));
    return o;
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
    if (o->json) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, entry_json(&all[i], false));
        store_cache_entries_free(all, n);
        return put_json(a, false) < 0 ? mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write JSON") : 0;
    }
    if (!n)
        printf("no cache entries%s%s\n", o->client ? " for client " : "", o->client ? o->client : "");
    for (int i = 0; i < n; i++)
        print_entry_line(&all[i]);
    store_cache_entries_free(all, n);
    return 0;
}

static int cache_show_cmd(store *s, const char *key, bool json, mf_err *e)
{
    store_cache_entry c;
    int got = find_entry(s, key, &c, e);
    if (got < 0)
        return CLI_FAILED;
    if (!got)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no cache entry with key %s (see mapforge cache list)", key);
    if (json) {
        int rc = put_json(entry_json(&c, true), false);
        store_cache_entry_free(&c);
        return rc < 0 ? mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write JSON") : 0;
    }
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
    if (c.status[0] && strcmp(c.status, "valid")) {   /* keep the first invalidation's comment */
        mf_fail(e, MF_EUSAGE, NULL, 0, 0, "cache entry %.16s is already invalid: %s", c.key,
                c.invalidated_reason ? c.invalidated_reason : "(no comment)");
        store_cache_entry_free(&c);
        return CLI_FAILED;
    }
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
    store *s = cli_open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc = !strcmp(sub, "list") ? cache_list_cmd(s, o, e)
             : !strcmp(sub, "show") ? cache_show_cmd(s, key, o->json, e)
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

static int print_llm_calls(store *s, const char *client, mf_err *e)
{
    store_llm_call *c;
    int n;
    if (store_llm_call_list(s, client, &c, &n, e) < 0)
        return -1;
    printf("model calls of %s:%s\n", client, n ? "" : " none");
    for (int i = 0; i < n; i++)
        printf("  %s %-10s %-9s %s %s tokens in=%lld out=%lld %.3fs %d attempt%s  %s%s%s\n", c[i].at, c[i].purpose,
               c[i].provider, c[i].model, c[i].subject[0] ? c[i].subject : "-", c[i].tokens_in, c[i].tokens_out,
               c[i].seconds, c[i].attempts, c[i].attempts == 1 ? "" : "s", c[i].outcome,
               c[i].answer_sha256[0] ? "  answer " : "", c[i].answer_sha256[0] ? c[i].answer_sha256 : "");
    store_llm_calls_free(c, n);
    return 0;
}

static json_t *llm_calls_json(store *s, const char *client, mf_err *e)
{
    store_llm_call *c;
    int n;
    if (store_llm_call_list(s, client, &c, &n, e) < 0)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:i, s:s, s:s, s:s}", "at", c[i].at, "purpose",
                         c[i].purpose, "subject", c[i].subject, "provider", c[i].provider, "model", c[i].model,
                         "tokens_in", (json_int_t)c[i].tokens_in, "tokens_out", (json_int_t)c[i].tokens_out,
                         "seconds", c[i].seconds, "attempts", c[i].attempts, "outcome", c[i].outcome,
                         "prompt_sha256", c[i].prompt_sha256, "answer_sha256", c[i].answer_sha256));
    store_llm_calls_free(c, n);
    return a;
}

static json_t *event_json(const store_audit_event *ev)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "seq", (json_int_t)ev->seq, "at", ev->at,
                     "actor", ev->actor, "event", ev->event, "client", ev->client, "subject", ev->subject, "details",
                     stored_json(ev->details), "prev_hash", ev->prev_hash, "hash", ev->hash);
}

/* history --json: {"client", "versions": [...], "runs": [...], "events": [...], "llm_calls": [...]} */
static int history_json(store *s, const char *client, mf_err *e)
{
    store_plan_version *v;
    store_run *r;
    store_audit_event *ev;
    int nv, nr, ne;
    if (store_plan_list(s, client, &v, &nv, e) < 0)
        return -1;
    if (store_run_list(s, client, &r, &nr, e) < 0) {
        store_plan_versions_free(v, nv);
        return -1;
    }
    if (store_audit_list(s, client, &ev, &ne, e) < 0) {
        store_plan_versions_free(v, nv);
        store_runs_free(r, nr);
        return -1;
    }
    json_t *versions = json_array(), *runs = json_array(), *events = json_array();
    for (int i = 0; i < nv; i++)
        json_array_append_new(versions,
                              json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "version", v[i].version, "sha256",
                                        v[i].sha256, "parent_sha256", v[i].parent_sha256, "mapping_sha256",
                                        v[i].mapping_sha256, "status", v[i].status, "created_at", v[i].created_at,
                                        "actor", v[i].actor, "findings", stored_json(v[i].findings)));
    for (int i = 0; i < nr; i++)
        json_array_append_new(
            runs, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:f}", "id",
                            (json_int_t)r[i].id, "started_at", r[i].started_at, "status", or_dash(r[i].status),
                            "plan_sha256", or_dash(r[i].plan_sha256), "input_path", or_dash(r[i].input_path),
                            "input_sha256", or_dash(r[i].input_sha256), "input_bytes", (json_int_t)r[i].input_bytes,
                            "rows_in", (json_int_t)r[i].rows_in, "rows_out", (json_int_t)r[i].rows_out,
                            "rows_rejected", (json_int_t)r[i].rows_rejected, "rows_filtered",
                            (json_int_t)r[i].rows_filtered, "cache_hit", r[i].cache_hit, "seconds", r[i].seconds));
    for (int i = 0; i < ne; i++)
        json_array_append_new(events, event_json(&ev[i]));
    store_plan_versions_free(v, nv);
    store_runs_free(r, nr);
    store_audit_events_free(ev, ne);
    json_t *calls = llm_calls_json(s, client, e);
    if (!calls) {
        json_decref(versions);
        json_decref(runs);
        json_decref(events);
        return -1;
    }
    json_t *doc = json_pack("{s:s, s:o, s:o, s:o, s:o}", "client", client, "versions", versions, "runs", runs,
                            "events", events, "llm_calls", calls);
    return put_json(doc, false) < 0 ? mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write JSON") : 0;
}

/* Print a line cut into pieces of at most 100 columns (at UTF-8 character boundaries), the
 * continuation pieces indented by 8. */
static void put_fitted(const char *s)
{
    int width = 100;
    for (;;) {
        size_t n = strlen(s);
        size_t cut = 0;
        int cols = 0;
        while (cut < n && cols < width) {
            cut++;
            while (cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80)
                cut++;
            cols++;
        }
        printf("%.*s\n", (int)cut, s);
        if (cut >= n)
            return;
        s += cut;
        printf("        ");
        width = 92;
    }
}

/* The audit log: one line per event (continued on indented lines past 100 columns), or JSON
 * Lines. */
static int print_events(store *s, const char *client, bool json, mf_err *e)
{
    store_audit_event *ev;
    int n;
    if (store_audit_list(s, client, &ev, &n, e) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (json) {
            if (put_json(event_json(&ev[i]), true) < 0) {
                store_audit_events_free(ev, n);
                return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write JSON");
            }
            continue;
        }
        mf_buf line = {0};
        mf_buf_printf(&line, "%6lld  %.19s  %s  %s", ev[i].seq, ev[i].at, ev[i].actor, ev[i].event);
        if (*ev[i].client)
            mf_buf_printf(&line, "  %s", ev[i].client);
        if (*ev[i].subject)
            mf_buf_printf(&line, "  %.12s", ev[i].subject);
        if (ev[i].details && strcmp(ev[i].details, "{}"))
            mf_buf_printf(&line, "  %s", ev[i].details);
        put_fitted(mf_buf_str(&line));
        mf_buf_free(&line);
    }
    store_audit_events_free(ev, n);
    return n;
}

int cli_history(const cli_options *o, mf_err *e)
{
    if (!o->client)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge history: expected --client C");
    store *s = cli_open_store(o, e);
    if (!s)
        return CLI_FAILED;
    if (o->json) {
        int rc = history_json(s, o->client, e);
        store_close(s);
        return rc < 0 ? CLI_FAILED : 0;
    }
    int rc = 0;
    if (print_versions(s, o->client, e) < 0 || print_runs(s, o->client, e) < 0 ||
        print_llm_calls(s, o->client, e) < 0)
        rc = CLI_FAILED;
    if (rc == 0) {
        printf("events of %s:\n", o->client);
        if (print_events(s, o->client, false, e) < 0)
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
    if (o->json) {
        json_t *j = json_pack("{s:b, s:I, s:s, s:b, s:I}", "intact", !bad, "events", (json_int_t)r.nevents, "store",
                              store_where(s), "signed", r.keyed, "signed_events", (json_int_t)r.nsigned);
        if (j && bad) {
            json_object_set_new(j, "bad_event", json_integer(r.bad_seq));
            json_object_set_new(j, "problem", json_string(r.problem));
        }
        if (j && o->anchors) {
            json_object_set_new(j, "anchors", json_string(o->anchors));
            json_object_set_new(j, "anchored", json_integer(r.anchored));
        }
        if (!j || put_json(j, false) < 0)
            return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write JSON");
        return bad ? 1 : 0;
    }
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
    store *s = cli_open_store(o, e);
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
        rc = print_events(s, o->client, o->json, e) < 0 ? CLI_FAILED : 0;
    store_close(s);
    return rc;
}
