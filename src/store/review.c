/* review.c — review sessions and their conversations in the store (the records of flow/).
 *
 * A review is a row of `reviews`: the client, the mapping (content hash, and the path it was read
 * from), the data file, the current version and the workflow state.  Each turn of its conversation
 * (drafted, resumed, feedback, answer, approval, rejection, left) is a row of `review_turns`, with
 * the version it led to.
 *
 * Invariant: at most one open review (drafted / in_review) per (client, mapping_sha256).  The
 * database keeps it (a partial unique index); store_review_add checks first inside one exclusive
 * transaction so that two processes opening the same review meet instead of failing.
 */
#include "store/store_db.h"

#include <stdlib.h>
#include <string.h>

static char *dup_cell(const db_rows *r, int i, int c)
{
    const char *v = db_cell(r, i, c);
    return v ? mf_xstrdup(v) : NULL;
}

static void fixed(char *dst, size_t n, const char *v)
{
    snprintf(dst, n, "%s", v ? v : "");
}

static void num(long long v, char buf[32])
{
    snprintf(buf, 32, "%lld", v);
}

#define REVIEW_COLUMNS                                                                                            \
    "SELECT id, client, mapping_sha256, mapping_path, data_path, output, state, plan_sha256, version, author,"   \
    " opened_by, decided_by, comment, created_at, updated_at, last_run_id FROM reviews "

static void review_from_row(const db_rows *r, int i, store_review *x)
{
    memset(x, 0, sizeof *x);
    x->id = db_cell_ll(r, i, 0);
    x->client = dup_cell(r, i, 1);
    fixed(x->mapping_sha256, sizeof x->mapping_sha256, db_cell(r, i, 2));
    x->mapping_path = dup_cell(r, i, 3);
    x->data_path = dup_cell(r, i, 4);
    x->output = dup_cell(r, i, 5);
    fixed(x->state, sizeof x->state, db_cell(r, i, 6));
    fixed(x->plan_sha256, sizeof x->plan_sha256, db_cell(r, i, 7));
    x->version = (int)db_cell_ll(r, i, 8);
    x->author = dup_cell(r, i, 9);
    if (!x->author)
        x->author = mf_xstrdup("");
    x->opened_by = dup_cell(r, i, 10);
    x->decided_by = dup_cell(r, i, 11);
    x->comment = dup_cell(r, i, 12);
    fixed(x->created_at, sizeof x->created_at, db_cell(r, i, 13));
    fixed(x->updated_at, sizeof x->updated_at, db_cell(r, i, 14));
    x->last_run_id = db_cell_ll(r, i, 15);
}

static int review_query(store *s, const char *sql, int np, const char *const *p, store_review *out, mf_err *e)
{
    db_rows r;
    memset(out, 0, sizeof *out);
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found)
        review_from_row(&r, 0, out);
    db_rows_free(&r);
    return found;
}

int store_review_find_open(store *s, const char *client, const char *mapping_sha256, store_review *out, mf_err *e)
{
    const char *p[] = {client, mapping_sha256};
    return review_query(s,
                        REVIEW_COLUMNS "WHERE client = $1 AND mapping_sha256 = $2 AND state IN ('drafted', 'in_review')"
                                       " ORDER BY id DESC",
                        2, p, out, e);
}

int store_review_get(store *s, long long id, store_review *out, mf_err *e)
{
    char ids[32];
    num(id, ids);
    const char *p[] = {ids};
    return review_query(s, REVIEW_COLUMNS "WHERE id = $1", 1, p, out, e);
}

int store_review_add(store *s, store_review *r, mf_err *e)
{
    if (db_begin(s, "reviews", e) < 0)
        return -1;
    store_review open;
    int got = store_review_find_open(s, r->client, r->mapping_sha256, &open, e);
    if (got != 0) {
        db_rollback(s);
        if (got == 1)
            *r = open;
        return got == 1 ? 0 : -1;
    }
    char ver[32], now[32];
    num(r->version, ver);
    store_now(now);
    const char *p[] = {r->client,     r->mapping_sha256, r->mapping_path, r->data_path,
                       r->output,     r->state,          r->plan_sha256,  ver,
                       r->author ? r->author : "",       r->opened_by ? r->opened_by : "",
                       now};
    db_rows rows;
    if (db_exec(s,
                "INSERT INTO reviews (client, mapping_sha256, mapping_path, data_path, output, state, plan_sha256,"
                " version, author, opened_by, created_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                11, p, &rows, e) < 0) {
        db_rollback(s);
        return -1;
    }
    r->id = db_cell_ll(&rows, 0, 0);
    db_rows_free(&rows);
    fixed(r->created_at, sizeof r->created_at, now);
    fixed(r->updated_at, sizeof r->updated_at, now);
    return db_commit(s, e) < 0 ? -1 : 1;
}

int store_review_update(store *s, store_review *r, mf_err *e)
{
    char id[32], ver[32], run[32];
    num(r->id, id);
    num(r->version, ver);
    num(r->last_run_id, run);
    store_now(r->updated_at);
    const char *p[] = {id,       r->state,         r->plan_sha256, ver,          r->author ? r->author : "",
                       r->data_path, r->decided_by, r->comment,     r->updated_at, run};
    return db_exec(s,
                   "UPDATE reviews SET state = $2, plan_sha256 = $3, version = $4, author = $5, data_path = $6,"
                   " decided_by = $7, comment = $8, updated_at = $9, last_run_id = $10 WHERE id = $1",
                   10, p, NULL, e);
}

int store_review_list(store *s, const char *client, const char *state, store_review **out, int *n, mf_err *e)
{
    *out = NULL;
    *n = 0;
    const char *p[2];
    int np = 0;
    char sql[512];
    int k = snprintf(sql, sizeof sql, "%s", REVIEW_COLUMNS "WHERE 1 = 1");
    if (client) {
        p[np++] = client;
        k += snprintf(sql + k, sizeof sql - (size_t)k, " AND client = $%d", np);
    }
    if (state) {
        p[np++] = state;
        k += snprintf(sql + k, sizeof sql - (size_t)k, " AND state = $%d", np);
    }
    snprintf(sql + k, sizeof sql - (size_t)k, " ORDER BY id DESC");
    db_rows r;
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++)
        review_from_row(&r, i, &(*out)[i]);
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

void store_review_free(store_review *r)
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
    r->client = r->mapping_path = r->data_path = r->output = r->author = r->opened_by = r->decided_by = r->comment =
        NULL;
}

void store_reviews_free(store_review *r, int n)
{
    for (int i = 0; r && i < n; i++)
        store_review_free(&r[i]);
    free(r);
}

int store_review_turn_add(store *s, store_review_turn *t, mf_err *e)
{
    char rid[32], ver[32];
    num(t->review_id, rid);
    num(t->version, ver);
    store_now(t->at);
    const char *p[] = {rid, t->at, t->actor ? t->actor : "", t->kind, t->text ? t->text : "",
                       t->result ? t->result : "", t->plan_sha256, ver};
    db_rows rows;
    if (db_exec(s,
                "INSERT INTO review_turns (review_id, at, actor, kind, text, result, plan_sha256, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                8, p, &rows, e) < 0)
        return -1;
    t->id = db_cell_ll(&rows, 0, 0);
    db_rows_free(&rows);
    return 0;
}

int store_review_turns(store *s, long long review_id, store_review_turn **out, int *n, mf_err *e)
{
    char rid[32];
    num(review_id, rid);
    const char *p[] = {rid};
    *out = NULL;
    *n = 0;
    db_rows r;
    if (db_exec(s,
                "SELECT id, review_id, at, actor, kind, text, result, plan_sha256, version FROM review_turns"
                " WHERE review_id = $1 ORDER BY id",
                1, p, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++) {
        store_review_turn *t = &(*out)[i];
        t->id = db_cell_ll(&r, i, 0);
        t->review_id = db_cell_ll(&r, i, 1);
        fixed(t->at, sizeof t->at, db_cell(&r, i, 2));
        t->actor = dup_cell(&r, i, 3);
        t->kind = dup_cell(&r, i, 4);
        t->text = dup_cell(&r, i, 5);
        t->result = dup_cell(&r, i, 6);
        fixed(t->plan_sha256, sizeof t->plan_sha256, db_cell(&r, i, 7));
        t->version = (int)db_cell_ll(&r, i, 8);
    }
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

void store_review_turns_free(store_review_turn *t, int n)
{
    for (int i = 0; t && i < n; i++) {
        free(t[i].actor);
        free(t[i].kind);
        free(t[i].text);
        free(t[i].result);
    }
    free(t);
}
