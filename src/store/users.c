/* users.c — the web app's accounts in the store (table users): name, role, Argon2id password hash,
 * disabled flag; and the list of clients the web app shows.
 *
 * Invariants: a password is only ever held in memory long enough to hash or verify it; the hash
 * is libsodium's crypto_pwhash_str (Argon2id, interactive limits, its own random salt);
 * store_user_check answers 0 alike for an unknown name, a disabled user and a wrong password and
 * hashes in every case, so that neither the answer nor its time tells which.  These functions
 * append no audit event: the CLI and the web app append the one they mean.
 */
#include "store/store_db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"", "viewer", "reviewer", "approver", "admin"};

store_role store_role_parse(const char *name)
{
    for (int r = ROLE_VIEWER; name && r <= ROLE_ADMIN; r++)
        if (!strcmp(name, role_names[r]))
            return (store_role)r;
    return ROLE_NONE;
}

const char *store_role_name(store_role r)
{
    return r >= ROLE_VIEWER && r <= ROLE_ADMIN ? role_names[r] : "none";
}

static int sodium_ready(mf_err *e)
{
    if (sodium_init() < 0)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "libsodium could not be initialised");
    return 0;
}

static int valid_name(const char *name, mf_err *e)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a user name is 1 to 64 characters");
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == '-'))
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "user name %s: only letters, digits and . _ @ - are allowed",
                           name);
    }
    return 0;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES], mf_err *e)
{
    size_t n = password ? strlen(password) : 0;
    if (n < 8)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a password needs at least 8 characters");
    if (n > 1024)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a password is at most 1024 characters");
    if (sodium_ready(e) < 0)
        return -1;
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "hashing the password failed (out of memory)");
    return 0;
}

static int role_ok(store_role role, mf_err *e)
{
    if (role < ROLE_VIEWER || role > ROLE_ADMIN)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "a role is viewer, reviewer, approver or admin");
    return 0;
}

/* Rows changed by an UPDATE ... RETURNING name: 1 or 0. */
static int update_one(store *s, const char *sql, int np, const char *const *p, mf_err *e)
{
    db_rows r;
    if (db_exec(s, sql, np, p, &r, e) < 0)
        return -1;
    int n = r.nrows > 0;
    db_rows_free(&r);
    return n;
}

int store_user_add(store *s, const char *name, store_role role, const char *password, mf_err *e)
{
    char h[crypto_pwhash_STRBYTES], now[32];
    if (valid_name(name, e) < 0 || role_ok(role, e) < 0 || hash_password(password, h, e) < 0)
        return -1;
    store_now(now);
    const char *p[] = {name, store_role_name(role), h, now};
    db_rows r;
    if (db_exec(s,
                "INSERT INTO users (name, role, pwhash, disabled, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4)"
                " ON CONFLICT (name) DO NOTHING RETURNING name",
                4, p, &r, e) < 0)
        return -1;
    int added = r.nrows > 0;
    db_rows_free(&r);
    sodium_memzero(h, sizeof h);
    return added;
}

int store_user_passwd(store *s, const char *name, const char *password, mf_err *e)
{
    char h[crypto_pwhash_STRBYTES], now[32];
    if (hash_password(password, h, e) < 0)
        return -1;
    store_now(now);
    const char *p[] = {h, now, name};
    int n = update_one(s, "UPDATE users SET pwhash = $1, updated_at = $2 WHERE name = $3 RETURNING name", 3, p, e);
    sodium_memzero(h, sizeof h);
    return n;
}

int store_user_set_role(store *s, const char *name, store_role role, mf_err *e)
{
    char now[32];
    if (role_ok(role, e) < 0)
        return -1;
    store_now(now);
    const char *p[] = {store_role_name(role), now, name};
    return update_one(s, "UPDATE users SET role = $1, updated_at = $2 WHERE name = $3 RETURNING name", 3, p, e);
}

int store_user_set_disabled(store *s, const char *name, int disabled, mf_err *e)
{
    char now[32];
    store_now(now);
    const char *p[] = {disabled ? "1" : "0", now, name};
    return update_one(s, "UPDATE users SET disabled = $1, updated_at = $2 WHERE name = $3 RETURNING name", 3, p, e);
}

static void fill(const db_rows *r, int i, store_user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", db_cell(r, i, 0) ? db_cell(r, i, 0) : "");
    u->role = store_role_parse(db_cell(r, i, 1));
    u->disabled = db_cell_ll(r, i, 2) != 0;
    snprintf(u->created_at, sizeof u->created_at, "%s", db_cell(r, i, 3) ? db_cell(r, i, 3) : "");
}

int store_user_get(store *s, const char *name, store_user *out, mf_err *e)
{
    db_rows r;
    const char *p[] = {name};
    if (db_exec(s, "SELECT name, role, disabled, created_at FROM users WHERE name = $1", 1, p, &r, e) < 0)
        return -1;
    int found = r.nrows > 0;
    if (found)
        fill(&r, 0, out);
    db_rows_free(&r);
    return found;
}

int store_user_check(store *s, const char *name, const char *password, store_user *out, mf_err *e)
{
    /* A fixed hash verified when the user is unknown, so that the time matches a real check. */
    static char dummy[crypto_pwhash_STRBYTES];
    if (sodium_ready(e) < 0)
        return -1;
    if (!dummy[0] && crypto_pwhash_str(dummy, "mapforge-no-such-user", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "hashing failed (out of memory)");
    db_rows r;
    const char *p[] = {name ? name : ""};
    if (db_exec(s, "SELECT name, role, disabled, created_at, pwhash FROM users WHERE name = $1", 1, p, &r, e) < 0)
        return -1;
    const char *h = r.nrows > 0 && db_cell(&r, 0, 4) ? db_cell(&r, 0, 4) : dummy;
    size_t plen = password ? strlen(password) : 0;
    int match = plen <= 1024 && crypto_pwhash_str_verify(h, password ? password : "", plen) == 0;
    int ok = match && r.nrows > 0 && !db_cell_ll(&r, 0, 2) && store_role_parse(db_cell(&r, 0, 1)) != ROLE_NONE;
    if (ok && out)
        fill(&r, 0, out);
    db_rows_free(&r);
    return ok;
}

int store_user_list(store *s, store_user **out, int *n, mf_err *e)
{
    db_rows r;
    *out = NULL;
    *n = 0;
    if (db_exec(s, "SELECT name, role, disabled, created_at FROM users ORDER BY name", 0, NULL, &r, e) < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++)
        fill(&r, i, &(*out)[i]);
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

int store_client_list(store *s, char ***names, int *n, mf_err *e)
{
    db_rows r;
    *names = NULL;
    *n = 0;
    if (db_exec(s, "SELECT name FROM clients ORDER BY name", 0, NULL, &r, e) < 0)
        return -1;
    if (r.nrows)
        *names = mf_xcalloc((size_t)r.nrows, sizeof **names);
    for (int i = 0; i < r.nrows; i++)
        (*names)[i] = mf_xstrdup(db_cell(&r, i, 0) ? db_cell(&r, i, 0) : "");
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}
