/* cache.c — the plan cache: its key, remembering an approved plan, and looking one up for a new
 * data file with the reason of a miss.
 *
 * key = SHA-256 over (client, mapping content SHA-256, dialect: delimiter, quote, encoding, then
 * for each source column the plan uses, in first-use order, its name and profiled kind), each
 * field length-prefixed.  Columns the plan does not use never enter the key, so adding or
 * reordering them still hits; a used column missing, renamed or of another kind misses.
 *
 * Invariants: a lookup only reads the store (the caller appends cache_hit / cache_miss events);
 * among several fitting entries the newest wins; a miss always says why.
 */
#include "plan/plan.h"
#include "read/profile.h"
#include "store/store_db.h"
#include "util/sha256.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void char_str(char c, char out[2])
{
    out[0] = c;
    out[1] = 0;
}

void cache_key(const char *client, const char *mapping_sha256, const csv_dialect *d, const cache_column *cols,
               int ncols, char key[65])
{
    mf_sha256 *h = mf_sha256_new();
    char delim[2], quote[2], count[32];
    char_str(d->delimiter, delim);
    char_str(d->quote, quote);
    mf_sha256_update(h, "mapforge-cache-v1\n", 18);
    mf_sha256_field(h, client);
    mf_sha256_field(h, mapping_sha256);
    mf_sha256_field(h, delim);
    mf_sha256_field(h, quote);
    mf_sha256_field(h, csv_encoding_name(d->encoding));
    snprintf(count, sizeof count, "%d", ncols);
    mf_sha256_field(h, count);
    for (int i = 0; i < ncols; i++) {
        mf_sha256_field(h, cols[i].name);
        mf_sha256_field(h, cols[i].type ? cols[i].type : "(missing)");
    }
    mf_sha256_final_hex(h, key);
}

static const char *profiled_kind(const profile *pr, const char *name)
{
    for (int i = 0; i < pr->ncols; i++)
        if (pr->col[i].name && !strcmp(pr->col[i].name, name))
            return prof_kind_name(pr->col[i].kind);
    return NULL;
}

int cache_used_columns(const plan *p, const profile *pr, cache_column **cols, int *ncols, mf_err *e)
{
    (void)e;
    const char **names = NULL;
    int n = plan_used_sources(p, &names);
    *cols = mf_xcalloc((size_t)(n ? n : 1), sizeof **cols);
    for (int i = 0; i < n; i++) {
        (*cols)[i].name = names[i];
        (*cols)[i].type = profiled_kind(pr, names[i]);
    }
    *ncols = n;
    return 0;
}

static char *columns_json(const cache_column *cols, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s?}", "name", cols[i].name, "type", cols[i].type));
    char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(a);
    return s;
}

static char *dialect_json(const csv_dialect *d)
{
    char delim[2], quote[2];
    char_str(d->delimiter, delim);
    char_str(d->quote, quote);
    json_t *o = json_pack("{s:s, s:s, s:s}", "delimiter", delim, "quote", quote, "encoding",
                          csv_encoding_name(d->encoding));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

int cache_remember(store *s, const char *client, const char *mapping_sha256, const plan *p, const profile *pr,
                   const char *plan_sha256, char key_out[65], mf_err *e)
{
    cache_column *cols;
    int n;
    if (cache_used_columns(p, pr, &cols, &n, e) < 0)
        return -1;
    store_cache_entry c;
    memset(&c, 0, sizeof c);
    cache_key(client, mapping_sha256, &pr->dialect, cols, n, c.key);
    c.client = (char *)client;
    snprintf(c.mapping_sha256, sizeof c.mapping_sha256, "%s", mapping_sha256);
    snprintf(c.plan_sha256, sizeof c.plan_sha256, "%s", plan_sha256);
    c.used_columns = columns_json(cols, n);
    c.dialect = dialect_json(&pr->dialect);
    free(cols);
    int rc = store_cache_put(s, &c, e);
    free(c.used_columns);
    free(c.dialect);
    if (rc == 0 && key_out)
        memcpy(key_out, c.key, 65);
    return rc;
}

/* ---- lookup ------------------------------------------------------------------------------------ */

static const char *shown_char(const char *c)
{
    if (!c || !*c)
        return "none";
    return !strcmp(c, "\t") ? "tab" : c;
}

/* Why the entry's dialect differs from d ("" when it does not). */
static void dialect_diff(const char *entry_json, const csv_dialect *d, char *why, size_t n)
{
    why[0] = 0;
    json_t *o = json_loads(entry_json ? entry_json : "{}", 0, NULL);
    const char *delim = json_string_value(json_object_get(o, "delimiter"));
    const char *quote = json_string_value(json_object_get(o, "quote"));
    const char *enc = json_string_value(json_object_get(o, "encoding"));
    char now_delim[2], now_quote[2];
    char_str(d->delimiter, now_delim);
    char_str(d->quote, now_quote);
    if (delim && strcmp(delim, now_delim))
        snprintf(why, n, "dialect changed: delimiter %s was %s", shown_char(now_delim), shown_char(delim));
    else if (quote && strcmp(quote, now_quote) && now_quote[0])   /* no quotes at all fit any quoting */
        snprintf(why, n, "dialect changed: quote %s was %s", shown_char(now_quote), shown_char(quote));
    else if (enc && strcmp(enc, csv_encoding_name(d->encoding)))
        snprintf(why, n, "dialect changed: encoding %s was %s", csv_encoding_name(d->encoding), enc);
    json_decref(o);
}

/* The quote character an entry's dialect records (0 = none). */
static char entry_quote(const char *entry_json)
{
    json_t *o = json_loads(entry_json ? entry_json : "{}", 0, NULL);
    const char *q = json_string_value(json_object_get(o, "quote"));
    char c = q && q[0] ? q[0] : 0;
    json_decref(o);
    return c;
}

/* Try one entry against the profiled data: 1 fits, 0 not (why filled). */
static int entry_fits(const store_cache_entry *c, const char *client, const char *mapping_sha256, const profile *pr,
                      const char *now, char *why, size_t n)
{
    if (c->expires_at[0] && strcmp(c->expires_at, now) < 0) {
        snprintf(why, n, "entry expired (%s)", c->expires_at);
        return 0;
    }
    json_t *a = json_loads(c->used_columns ? c->used_columns : "[]", 0, NULL);
    size_t ncols = json_is_array(a) ? json_array_size(a) : 0;
    cache_column *cols = mf_xcalloc(ncols ? ncols : 1, sizeof *cols);
    why[0] = 0;
    for (size_t i = 0; i < ncols; i++) {
        json_t *col = json_array_get(a, i);
        const char *name = json_string_value(json_object_get(col, "name"));
        const char *was = json_string_value(json_object_get(col, "type"));
        cols[i].name = name ? name : "";
        cols[i].type = profiled_kind(pr, cols[i].name);
        /* A column with no value in this file (a header-only file, a quiet quarter) cannot be read
         * differently from the kind the plan was approved on: it fits that kind. */
        if (cols[i].type && was && !strcmp(cols[i].type, "empty"))
            cols[i].type = was;
        if (why[0])
            continue;
        if (!cols[i].type)
            snprintf(why, n, "column %s missing from the data", cols[i].name);
        else if (was && strcmp(was, cols[i].type))
            snprintf(why, n, "column %s is now %s, was %s", cols[i].name, cols[i].type, was);
    }
    /* A file with no quoted field reads the same under either quoting: it fits an entry drafted on a
     * quoted file (a quiet quarter).  A quoted file never fits an entry drafted without quoting. */
    csv_dialect d = pr->dialect;
    if (!d.quote)
        d.quote = entry_quote(c->dialect);
    char key[65];
    cache_key(client, mapping_sha256, &d, cols, (int)ncols, key);
    int fits = !strcmp(key, c->key);
    if (!fits) {
        char dwhy[200];
        dialect_diff(c->dialect, &pr->dialect, dwhy, sizeof dwhy);
        if (dwhy[0])
            snprintf(why, n, "%s", dwhy);
        else if (!why[0])
            snprintf(why, n, "the data no longer fits the cached plan");
    }
    free(cols);
    json_decref(a);
    return fits;
}

/* No valid entry for this mapping: say whether the mapping changed or the entry was invalidated. */
static int explain_no_candidate(store *s, const char *client, const char *mapping_sha256, cache_result *r, mf_err *e)
{
    store_cache_entry *all;
    int n;
    if (store_cache_list(s, client, &all, &n, e) < 0)
        return -1;
    const store_cache_entry *inval = NULL;
    for (int i = 0; i < n && !inval; i++)
        if (!strcmp(all[i].mapping_sha256, mapping_sha256))
            inval = &all[i];
    if (!n)
        snprintf(r->reason, sizeof r->reason, "no cached plan for client %s", client);
    else if (inval)
        snprintf(r->reason, sizeof r->reason, "invalidated by hand: %s",
                 inval->invalidated_reason ? inval->invalidated_reason : "(no comment)");
    else
        snprintf(r->reason, sizeof r->reason, "mapping changed");
    store_cache_entries_free(all, n);
    return 0;
}

int cache_lookup(store *s, const char *client, const char *mapping_sha256, const profile *pr, cache_result *r,
                 mf_err *e)
{
    memset(r, 0, sizeof *r);
    store_cache_entry *cand;
    int n;
    if (store_cache_candidates(s, client, mapping_sha256, &cand, &n, e) < 0)
        return -1;
    if (!n) {
        store_cache_entries_free(cand, n);
        return explain_no_candidate(s, client, mapping_sha256, r, e);
    }
    char now[32];
    store_now(now);
    for (int i = 0; i < n && !r->hit; i++) {
        char why[512];
        if (entry_fits(&cand[i], client, mapping_sha256, pr, now, why, sizeof why)) {
            r->hit = 1;
            r->entry = cand[i];
            memset(&cand[i], 0, sizeof cand[i]);
            memcpy(r->key, r->entry.key, 65);
        } else if (!r->reason[0]) {
            snprintf(r->reason, sizeof r->reason, "%s", why);   /* the newest entry's reason */
        }
    }
    if (r->hit)
        r->reason[0] = 0;
    store_cache_entries_free(cand, n);
    return 0;
}

void cache_result_free(cache_result *r)
{
    if (r)
        store_cache_entry_free(&r->entry);
}
