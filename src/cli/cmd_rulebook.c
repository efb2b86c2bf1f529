/* cmd_rulebook.c — the rulebook's commands (issue 8, docs/rulebook.md):
 *   mapforge rulebook list [--client C] [--json] | show ID | retire ID --comment TEXT
 *   mapforge rulebook export FILE | import FILE
 *
 * Export file (JSON Lines): a header line {"format": "mapforge-rulebook", "audit_head": ..., ...},
 * one line per entry, and a last line {"sha256": HEX} over every byte before it.  Import refuses a
 * file whose last line does not match (a tampered or truncated export) before it changes anything.
 *
 * Invariants: every change (retirement, import, and each entry an import adds) is an audit event
 * with the actor (--as, MAPFORGE_USER, OS user); an export is one too, naming the file's SHA-256.
 * Retiring is an admin action: where the store has users (mapforge user add), the actor must be an
 * enabled admin, else the command is refused and a "denied" event says who tried and why.  With
 * no users (a one-person installation) there is no role to check and anyone may retire.
 */
#include "cli/cli.h"
#include "store/store.h"
#include "util/afile.h"
#include "util/buf.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RB_FORMAT "mapforge-rulebook"

static int audit(store *s, const char *actor, const char *event, const char *client, const char *subject, json_t *d,
                 mf_err *e)
{
    char *t = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    int rc = store_audit_append(s, actor, event, client, subject, t, NULL, e);
    free(t);
    return rc;
}

static json_t *rule_json(const store_rule *r)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "shape",
                          r->shape, "template", r->tmpl, "client", r->client, "plan_sha256", r->plan_sha256, "version",
                          r->version, "row", r->row, "rule_text", r->rule_text, "approved_by", r->approved_by,
                          "approved_at", r->approved_at, "status", r->status);
    json_object_set_new(j, "retired_by", r->retired_by ? json_string(r->retired_by) : json_null());
    json_object_set_new(j, "retired_comment", r->retired_comment ? json_string(r->retired_comment) : json_null());
    return j;
}

static int parse_id(const char *s, long long *id, mf_err *e)
{
    char *end;
    *id = s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || *id <= 0)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge rulebook: expected an entry id, got \"%s\"", s ? s : "");
    return 0;
}

static int list_cmd(store *s, const cli_options *o, mf_err *e)
{
    store_rule *r;
    int n;
    if (store_rulebook_list(s, o->client, &r, &n, e) < 0)
        return CLI_FAILED;
    if (o->json) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, rule_json(&r[i]));
        char *t = json_dumps(a, JSON_INDENT(2));
        json_decref(a);
        printf("%s\n", t ? t : "[]");
        free(t);
    } else {
        printf("rulebook%s%s: %d entr%s\n", o->client ? " of " : "", o->client ? o->client : "", n,
               n == 1 ? "y" : "ies");
        for (int i = 0; i < n; i++)
            printf("  #%-4lld %-7s %s v%d row %d, approved by %s on %.10s: %s\n", r[i].id, r[i].status, r[i].client,
                   r[i].version, r[i].row, r[i].approved_by, r[i].approved_at, r[i].shape);
    }
    store_rules_free(r, n);
    return 0;
}

static int show_cmd(store *s, const cli_options *o, const char *ids, mf_err *e)
{
    long long id;
    if (parse_id(ids, &id, e) < 0)
        return CLI_FAILED;
    store_rule r;
    int got = store_rulebook_get(s, id, &r, e);
    if (got <= 0)
        return got < 0 ? CLI_FAILED : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no rulebook entry %lld", id);
    if (o->json) {
        json_t *j = rule_json(&r);
        char *t = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        printf("%s\n", t ? t : "{}");
        free(t);
    } else {
        printf("entry %lld (%s)\n  shape:    %s\n  reading:  %s\n  learned:  %s plan v%d (sha256 %.12s) row %d\n"
               "  rule:     %s\n  approved: by %s on %s\n",
               r.id, r.status, r.shape, r.tmpl, r.client, r.version, r.plan_sha256, r.row, r.rule_text, r.approved_by,
               r.approved_at);
        if (r.retired_by)
            printf("  retired:  by %s: %s\n", r.retired_by, r.retired_comment ? r.retired_comment : "");
    }
    store_rule_free(&r);
    return 0;
}

/* An admin action by actor: 0 allowed (the store has no users, or actor is an enabled admin);
 * otherwise MF_EREFUSED, after a "denied" audit event naming the action, the entry and why. */
static int admin_only(store *s, const char *actor, const char *action, const char *subject, const char *client,
                      mf_err *e)
{
    store_user *all;
    int n;
    if (store_user_list(s, &all, &n, e) < 0)
        return -1;
    free(all);
    if (n == 0)
        return 0;
    store_user u;
    int got = store_user_get(s, actor, &u, e);
    if (got < 0)
        return -1;
    if (got == 1 && !u.disabled && u.role == ROLE_ADMIN)
        return 0;
    char why[400];
    if (got == 0)
        snprintf(why, sizeof why, "%s is not a user of this store; only an admin can %s", actor, action);
    else if (u.disabled)
        snprintf(why, sizeof why, "user %s is disabled; only an admin can %s", actor, action);
    else
        snprintf(why, sizeof why, "role %s cannot %s (needs admin)", store_role_name(u.role), action);
    mf_err ae = {0};
    if (audit(s, actor, "denied", client, subject,
              json_pack("{s:s, s:s, s:s}", "action", action, "reason", why, "via", "cli"), &ae) < 0)
        return mf_fail(e, ae.code, NULL, 0, 0, "%s (and the denied event could not be recorded: %s)", why, ae.msg);
    return mf_fail(e, MF_EREFUSED, NULL, 0, 0, "mapforge rulebook retire: refused: %s", why);
}

static int retire_cmd(store *s, const cli_options *o, const char *ids, mf_err *e)
{
    long long id;
    if (parse_id(ids, &id, e) < 0)
        return CLI_FAILED;
    if (!o->comment || !*o->comment)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge rulebook retire: --comment is required (say why)");
    store_rule r;
    int got = store_rulebook_get(s, id, &r, e);
    if (got <= 0)
        return got < 0 ? CLI_FAILED : mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no rulebook entry %lld", id);
    char actor[256];
    store_actor(o->as, actor, sizeof actor);
    int rc = CLI_FAILED;
    if (admin_only(s, actor, "retire a rulebook entry", ids, r.client, e) < 0) {
        store_rule_free(&r);
        return CLI_FAILED;
    }
    int done = store_rulebook_retire(s, id, actor, o->comment, e);
    if (done == 0) {
        mf_fail(e, MF_ECONFLICT, NULL, 0, 0, "rulebook entry %lld is already retired", id);
    } else if (done == 1 && audit(s, actor, "rulebook_retired", r.client, ids,
                                  json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "shape", r.shape, "comment",
                                            o->comment),
                                  e) == 0) {
        printf("retired rulebook entry %lld (%s row %d): it is no longer used\n", id, r.client, r.row);
        rc = 0;
    }
    store_rule_free(&r);
    return rc;
}

/* The audit trail's last event (seq, hash), "" / 0 when empty. */
static int audit_head(store *s, long long *seq, char hash[65], mf_err *e)
{
    store_audit_event *ev;
    int n;
    *seq = 0;
    hash[0] = 0;
    if (store_audit_list(s, NULL, &ev, &n, e) < 0)
        return -1;
    if (n) {
        *seq = ev[n - 1].seq;
        memcpy(hash, ev[n - 1].hash, 65);
    }
    store_audit_events_free(ev, n);
    return 0;
}

static int export_cmd(store *s, const cli_options *o, const char *path, mf_err *e)
{
    store_rule *r;
    int n;
    long long seq;
    char head[65], actor[256], now[32];
    store_actor(o->as, actor, sizeof actor);
    store_now(now);
    if (audit_head(s, &seq, head, e) < 0 || store_rulebook_list(s, NULL, &r, &n, e) < 0)
        return CLI_FAILED;
    mf_buf b = {0};
    json_t *h = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s, s:s, s:i}", "format", RB_FORMAT, "format_version", 1, "store",
                          store_kind(s) == STORE_PG ? "postgresql" : "sqlite", "audit_seq", (json_int_t)seq,
                          "audit_head", head, "exported_by", actor, "exported_at", now, "entries", n);
    char *t = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(h);
    mf_buf_printf(&b, "%s\n", t);
    free(t);
    for (int i = 0; i < n; i++) {
        json_t *j = rule_json(&r[i]);
        t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(j);
        mf_buf_printf(&b, "%s\n", t);
        free(t);
    }
    store_rules_free(r, n);
    char sha[65];
    mf_sha256_hex(mf_buf_str(&b), b.len, sha);
    mf_buf_printf(&b, "{\"sha256\":\"%s\"}\n", sha);
    int rc = mf_write_file_atomic(path, mf_buf_str(&b), b.len, e) < 0 ||
                     audit(s, actor, "rulebook_exported", NULL, sha,
                           json_pack("{s:s, s:s, s:i}", "file", path, "sha256", sha, "entries", n), e) < 0
                 ? CLI_FAILED
                 : 0;
    if (rc == 0)
        printf("exported %d rulebook entr%s to %s (sha256 %.12s)\n", n, n == 1 ? "y" : "ies", path, sha);
    mf_buf_free(&b);
    return rc;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* The export's lines checked: its last line names the SHA-256 of everything before it.  Returns
 * the entries (a JSON array, without the header) or NULL with e filled. */
static json_t *read_export(const char *path, mf_err *e)
{
    size_t len;
    char *text = mf_read_file(path, &len, e);
    if (!text)
        return NULL;
    while (len && text[len - 1] == '\n')
        len--;
    char *last = NULL;
    for (size_t k = len; k > 0 && !last; k--)
        if (text[k - 1] == '\n')
            last = &text[k - 1];
    json_t *arr = NULL;
    if (!last) {
        mf_fail(e, MF_EFORMAT, path, 0, 0, "not a rulebook export: no header and checksum lines");
        goto done;
    }
    json_error_t je;
    json_t *sum = json_loadb(last + 1, len - (size_t)(last + 1 - text), 0, &je);
    char sha[65];
    mf_sha256_hex(text, (size_t)(last + 1 - text), sha);
    const char *want = sum ? json_string_value(json_object_get(sum, "sha256")) : NULL;
    if (!want || strcmp(want, sha)) {
        json_decref(sum);
        mf_fail(e, MF_EFORMAT, path, 0, 0,
                "the rulebook export was changed after it was written (its sha256 line does not match its content): "
                "refused, nothing imported");
        goto done;
    }
    json_decref(sum);
    arr = json_array();
    int line = 0;
    for (char *p = text; p < last + 1;) {
        char *nl = memchr(p, '\n', (size_t)(last + 1 - p));
        line++;
        json_t *j = json_loadb(p, (size_t)(nl - p), 0, &je);
        if (!j || !json_is_object(j) || (line == 1 && strcmp(jstr(j, "format"), RB_FORMAT))) {
            json_decref(j);
            json_decref(arr);
            arr = NULL;
            mf_fail(e, MF_EFORMAT, path, line, 0, "not a rulebook export line");
            goto done;
        }
        if (line > 1)
            json_array_append_new(arr, j);
        else
            json_decref(j);
        p = nl + 1;
    }
done:
    free(text);
    return arr;
}

static int import_cmd(store *s, const cli_options *o, const char *path, mf_err *e)
{
    json_t *arr = read_export(path, e);
    if (!arr)
        return CLI_FAILED;
    char actor[256];
    store_actor(o->as, actor, sizeof actor);
    int nnew = 0, npresent = 0, nconflict = 0, rc = 0;
    json_t *added = json_array();
    size_t i;
    json_t *j;
    json_array_foreach(arr, i, j) {
        store_rule r = {0};
        r.shape = (char *)jstr(j, "shape");
        r.tmpl = (char *)jstr(j, "template");
        r.client = (char *)jstr(j, "client");
        snprintf(r.plan_sha256, sizeof r.plan_sha256, "%s", jstr(j, "plan_sha256"));
        r.version = (int)json_integer_value(json_object_get(j, "version"));
        r.row = (int)json_integer_value(json_object_get(j, "row"));
        r.rule_text = (char *)jstr(j, "rule_text");
        r.approved_by = (char *)jstr(j, "approved_by");
        snprintf(r.approved_at, sizeof r.approved_at, "%s", jstr(j, "approved_at"));
        if (!*r.shape || !*r.tmpl || !*r.client) {
            rc = mf_fail(e, MF_EFORMAT, path, (long)i + 2, 0, "a rulebook entry without shape, template or client");
            break;
        }
        /* conflicting: a valid entry of the same shape reads it otherwise */
        store_rule *same;
        int nsame;
        if (store_rulebook_find(s, r.shape, &same, &nsame, e) < 0) {
            rc = -1;
            break;
        }
        bool conflict = false;
        for (int k = 0; k < nsame; k++)
            conflict |= strcmp(same[k].tmpl, r.tmpl) != 0;
        store_rules_free(same, nsame);
        long long id;
        int got = store_rulebook_add(s, &r, &id, e);
        if (got < 0) {
            rc = -1;
            break;
        }
        const char *what = got == 0 ? "already present" : conflict ? "conflicting" : "new";
        if (got == 1) {
            if (!strcmp(jstr(j, "status"), "retired") &&
                store_rulebook_retire(s, id, jstr(j, "retired_by"), jstr(j, "retired_comment"), e) < 0) {
                rc = -1;
                break;
            }
            char ids[32];
            snprintf(ids, sizeof ids, "%lld", id);
            if (audit(s, actor, "rulebook_added", r.client, ids,
                      json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)id, "shape", r.shape, "template", r.tmpl,
                                "imported_from", path, "conflicting", conflict),
                      e) < 0) {
                rc = -1;
                break;
            }
            json_array_append_new(added, json_integer(id));
        }
        nnew += got == 1 && !conflict;
        npresent += got == 0;
        nconflict += got == 1 && conflict;
        printf("  %-15s #%lld %s v%d row %d: %s\n", what, id, r.client, r.version, r.row, r.shape);
    }
    json_decref(arr);
    if (rc == 0)
        rc = audit(s, actor, "rulebook_imported", NULL, path,
                   json_pack("{s:s, s:i, s:i, s:i, s:o}", "file", path, "new", nnew, "already_present", npresent,
                             "conflicting", nconflict, "ids", added),
                   e);
    else
        json_decref(added);
    if (rc < 0)
        return CLI_FAILED;
    printf("imported %s: %d new, %d already present, %d conflicting (a conflicting entry is kept; the planner asks "
           "which reading is meant)\n",
           path, nnew, npresent, nconflict);
    return 0;
}

int cli_rulebook(const cli_options *o, mf_err *e)
{
    const char *sub = o->nargs ? o->args[0] : "list";
    const char *arg = o->nargs >= 2 ? o->args[1] : NULL;
    bool known = !strcmp(sub, "list") || !strcmp(sub, "show") || !strcmp(sub, "retire") || !strcmp(sub, "export") ||
                 !strcmp(sub, "import");
    if (!known)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "mapforge rulebook: expected list, show ID, retire ID, export FILE or import FILE, got \"%s\"",
                       sub);
    if (strcmp(sub, "list") && !arg)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge rulebook %s: expected %s", sub,
                       !strcmp(sub, "export") || !strcmp(sub, "import") ? "a file" : "an entry id");
    store *s = cli_open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc = !strcmp(sub, "list")     ? list_cmd(s, o, e)
             : !strcmp(sub, "show")   ? show_cmd(s, o, arg, e)
             : !strcmp(sub, "retire") ? retire_cmd(s, o, arg, e)
             : !strcmp(sub, "export") ? export_cmd(s, o, arg, e)
                                      : import_cmd(s, o, arg, e);
    store_close(s);
    return rc < 0 ? CLI_FAILED : rc;
}
