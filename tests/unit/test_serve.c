/* test_serve.c — the web app's pieces that need no server: the accounts in the store (Argon2id
 * hashes, roles, disable, the same answer for unknown / disabled / wrong), on SQLite and, when
 * MAPFORGE_TEST_PG is set, on PostgreSQL (user names carry the process id, so parallel runs do not
 * meet); the HTML escaping every page relies on; what counts as loopback for --bind. */
#include "check.h"

#include "serve/serve_internal.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void users_suite(const char *where)
{
    mf_err e;
    mf_err_clear(&e);
    store *s = store_open(where, &e);
    CHECK(s != NULL);
    if (!s) {
        mf_err_print(&e, stderr);
        return;
    }
    char ann[64], ben[64];
    snprintf(ann, sizeof ann, "ann-%ld", (long)getpid());
    snprintf(ben, sizeof ben, "ben.%ld@example", (long)getpid());
    CHECK_INT(store_user_add(s, ann, ROLE_REVIEWER, "first password", &e), 1);
    CHECK_INT(store_user_add(s, ann, ROLE_ADMIN, "another password", &e), 0);   /* exists: unchanged */
    CHECK_INT(store_user_add(s, ben, ROLE_VIEWER, "ben's password", &e), 1);
    mf_err_clear(&e);
    CHECK_INT(store_user_add(s, "x y", ROLE_VIEWER, "long enough", &e), -1);      /* a space */
    mf_err_clear(&e);
    CHECK_INT(store_user_add(s, "shorty", ROLE_VIEWER, "1234567", &e), -1);       /* 7 characters */
    mf_err_clear(&e);
    CHECK_INT(store_user_add(s, "norole", ROLE_NONE, "long enough", &e), -1);
    mf_err_clear(&e);

    store_user u;
    CHECK_INT(store_user_check(s, ann, "first password", &u, &e), 1);
    CHECK_STR(u.name, ann);
    CHECK_INT(u.role, ROLE_REVIEWER);
    CHECK_INT(store_user_check(s, ann, "first passwor", &u, &e), 0);
    CHECK_INT(store_user_check(s, ann, "another password", &u, &e), 0);
    CHECK_INT(store_user_check(s, "nobody-at-all", "first password", &u, &e), 0);
    CHECK_INT(store_user_check(s, ann, "", &u, &e), 0);

    CHECK_INT(store_user_set_role(s, ann, ROLE_APPROVER, &e), 1);
    CHECK_INT(store_user_get(s, ann, &u, &e), 1);
    CHECK_INT(u.role, ROLE_APPROVER);
    CHECK_INT(store_user_passwd(s, ann, "second password", &e), 1);
    CHECK_INT(store_user_check(s, ann, "first password", &u, &e), 0);
    CHECK_INT(store_user_check(s, ann, "second password", &u, &e), 1);
    CHECK_INT(store_user_set_disabled(s, ann, 1, &e), 1);
    CHECK_INT(store_user_check(s, ann, "second password", &u, &e), 0);   /* disabled: refused alike */
    CHECK_INT(store_user_get(s, ann, &u, &e), 1);
    CHECK_INT(u.disabled, 1);
    CHECK_INT(store_user_set_disabled(s, ann, 0, &e), 1);
    CHECK_INT(store_user_check(s, ann, "second password", &u, &e), 1);
    CHECK_INT(store_user_set_role(s, "nobody-at-all", ROLE_ADMIN, &e), 0);
    CHECK_INT(store_user_passwd(s, "nobody-at-all", "whatever long", &e), 0);

    store_user *all;
    int n;
    CHECK_INT(store_user_list(s, &all, &n, &e), 0);
    int seen = 0;
    for (int i = 0; i < n; i++)
        seen += !strcmp(all[i].name, ann) || !strcmp(all[i].name, ben);
    CHECK_INT(seen, 2);
    free(all);
    store_close(s);
}

static char *esc(const char *s)
{
    mf_buf b = {0};
    html_esc(&b, s);
    char *r = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return r;
}

int main(void)
{
    char dir[] = "/tmp/mf_test_serve.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    users_suite(dir);
    const char *pg = getenv("MAPFORGE_TEST_PG");
    if (pg && *pg)
        users_suite(pg);
    else if (getenv("CI") && *getenv("CI")) {
        fprintf(stderr, "test_serve: MAPFORGE_TEST_PG is not set, and CI must not skip the PostgreSQL store\n");
        check_failures++;
    }

    CHECK_INT(store_role_parse("approver"), ROLE_APPROVER);
    CHECK_INT(store_role_parse("Approver"), ROLE_NONE);
    CHECK_STR(store_role_name(ROLE_ADMIN), "admin");

    char *t = esc("<script>alert('x')</script> & \"q\"");
    CHECK_STR(t, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    free(t);
    t = esc("plain ÄÖ text");
    CHECK_STR(t, "plain ÄÖ text");
    free(t);
    mf_buf b = {0};
    html_url(&b, "EVIL<b>&x=1 /");
    CHECK_STR(mf_buf_str(&b), "EVIL%3Cb%3E%26x%3D1%20%2F");
    mf_buf_free(&b);

    CHECK(serve_is_loopback("127.0.0.1"));
    CHECK(serve_is_loopback("127.8.9.10"));
    CHECK(serve_is_loopback("::1"));
    CHECK(serve_is_loopback("localhost"));
    CHECK(!serve_is_loopback("0.0.0.0"));
    CHECK(!serve_is_loopback("10.0.0.1"));
    CHECK(!serve_is_loopback("::"));
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_serve: could not remove %s\n", dir);
    CHECK_DONE();
}
