/* rulebook.c — the rulebook's entries in the store (table `rulebook`, both backends).
 *
 * An entry is never deleted or edited: retiring one sets its status and says who and why.  The
 * same reading learned again from the same plan row is one entry (store_rulebook_add finds it
 * inside one exclusive transaction).  Like every record function here, these append no audit
 * event: the caller (flow/rulebook_learn.c, cli/cmd_rulebook.c) appends the one it means.
 */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>

#define RULE_COLUMNS                                                                                               \
    "SELECT id, shape, template, client, plan_sha256, version, mapping_row, rule_text, approved_by, approved_at," \
    " status, retired_by, retired_comment FROM rulebook "

static char *dup_or(const db_rows *r, int i, int c, const char *dflt)
{
    const char *v = db_cell(r, i, c);
    return v ? mf_xstrdup(v) : dflt ? mf_xstrdup(dflt) : NULL;
}

static void rule_from_row(const db_rows *r, int i, store_rule *x)
{
    memset(x, 0, sizeof *x);
    x->id = db_cell_ll(r, i, 0);
    x->shape = dup_or(r, i, 1, "");
    x->tmpl = dup_or(r, i, 2, "");
    x->client = dup_or(r, i, 3, "");
    snprintf(x->plan_sha256, sizeof x->plan_sha256, "%s", db_cell(r, i, 4) ? db_cell(r, i, 4) : "");
    x->version = (int)db_cell_ll(r, i, 5);
    x->row = (int)db_cell_ll(r, i, 6);
    x->rule_text = dup_or(r, i, 7, "");
    x->approved_by = dup_or(r, i, 8, "");
    snprintf(x->approved_at, sizeof x->approved_at, "%s", db_cell(r, i, 9) ? db_cell(r, i, 9) : "");
    snprintf(x->status, sizeof x->status, "%s", db_cell(r, i, 10) ? db_cell(r, i, 10) : "");
    x->retired_by = dup_or(r, i, 11, NULL);
    x->retired_comment = dup_or(r, i, 12, NULL);
}

void store_rule_free(store_rule *r)
{
    if (!r)
        return;
    free(r->shape);
    free(r->tmpl);
    free(r->client);
    free(r->rule_text);
    free(r->approved_by);
    free(r->retired_by);
    free(r->retired_comment);
    memset(r, 0, sizeof *r);
}

void store_rules_free(store_rule *r, int n)
{
    for (int i = 0; r && i < n; i++)
        store_rule_free(&r[i]);
    free(r);
}

static int rule_query(store *s, const char *sql, int np, const char *const *p, store_rule **out, int *n, mf_err *e)
{
    db_rows r;
    *out = NULL;
    *n = 0;
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    if (r.nrows) {
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
        for (int i = 0; i < r.nrows; i++)
            rule_from_row(&r, i, &(*out)[i]);
        *n = r.nrows;
    }
    db_rows_free(&r);
    return 0;
}

int store_rulebook_add(store *s, const store_rule *r, long long *id, mf_err *e)
{
    char ver[32], row[32], now[32];
    snprintf(ver, sizeof ver, "%d", r->version);
    snprintf(row, sizeof row, "%d", r->row);
    store_now(now);
    if (db_begin(s, "rulebook", e) < 0)
        return -1;
    const char *k[] = {r->shape, r->tmpl, r->client, r->plan_sha256, row};
    db_rows rows;
    if (db_exec(s,
                "SELECT id FROM rulebook WHERE shape = $1 AND template = $2 AND client = $3 AND plan_sha256 = $4"
                " AND mapping_row = $5 ORDER BY id",
                5, k, &rows, e) < 0) {
        db_rollback(s);
        return -1;
    }
    if (rows.nrows) {
        *id = db_cell_ll(&rows, 0, 0);
        db_rows_free(&rows);
        db_rollback(s);
        return 0;
    }
    db_rows_free(&rows);
    const char *p[] = {r->shape, r->tmpl, r->client, r->plan_sha256, ver, row, r->rule_text ? r->rule_text : "",
                       r->approved_by ? r->approved_by : "", r->approved_at[0] ? r->approved_at : now};
    if (db_exec(s,
                "INSERT INTO rulebook (shape, template, client, plan_sha256, version, mapping_row, rule_text,"
                " approved_by, approved_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'valid') RETURNING id",
                9, p, &rows, e) < 0) {
        db_rollback(s);
        return -1;
    }
    *id = db_cell_ll(&rows, 0, 0);
    db_rows_free(&rows);
    return db_commit(s, e) < 0 ? -1 : 1;
}

int store_rulebook_find(store *s, const char *shape, store_rule **out, int *n, mf_err *e)
{
    const char *p[] = {shape};
    return rule_query(s, RULE_COLUMNS "WHERE shape = $1 AND status = 'valid' ORDER BY id", 1, p, out, n, e);
}

int store_rulebook_list(store *s, const char *client, store_rule **out, int *n, mf_err *e)
{
    if (!client)
        return rule_query(s, RULE_COLUMNS "ORDER BY id", 0, NULL, out, n, e);
    const char *p[] = {client};
    return rule_query(s, RULE_COLUMNS "WHERE client = $1 ORDER BY id", 1, p, out, n, e);
}

int store_rulebook_get(store *s, long long id, store_rule *out, mf_err *e)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[] = {ids};
    store_rule *r;
    int n;
    memset(out, 0, sizeof *out);
    if (rule_query(s, RULE_COLUMNS "WHERE id = $1", 1, p, &r, &n, e) < 0)
        return -1;
    if (n)
        *out = r[0];
    free(r);
    return n > 0;
}

int store_rulebook_retire(store *s, long long id, const char *by, const char *comment, mf_err *e)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[] = {ids, by ? by : "", comment ? comment : ""};
    db_rows rows;
    if (db_exec(s,
                "UPDATE rulebook SET status = 'retired', retired_by = $2, retired_comment = $3"
                " WHERE id = $1 AND status = 'valid' RETURNING id",
                3, p, &rows, e) < 0)
        return -1;
    int done = rows.nrows > 0;
    db_rows_free(&rows);
    return done;
}
