/* cmd_user.c — the web app's accounts, managed from the terminal:
 *   mapforge user add NAME --role R | passwd NAME | role NAME --role R | disable NAME | enable NAME | list
 *
 * Invariants: a password is read from standard input (one line; echo off on a terminal), never
 * from the command line (where `ps` and the shell history would show it); every change is an audit
 * event (user_added, user_password_changed, user_role_changed, user_disabled, user_enabled) with
 * the actor; the password never appears in the event.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* One line from stdin, without its end of line.  -1 on EOF before any character. */
static int read_password(char *buf, size_t n, mf_err *e)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
            tty = 0;
    }
    char *got = fgets(buf, (int)n, stdin);
    if (tty) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no password on standard input");
    size_t len = strlen(buf);
    if (len + 1 == n && buf[len - 1] != '\n')
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "the password is too long");
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = 0;
    return 0;
}

static int audit(store *s, const cli_options *o, const char *event, const char *user, const char *role, mf_err *e)
{
    char actor[128];
    store_actor(o->as, actor, sizeof actor);
    json_t *d = json_object();
    json_object_set_new(d, "user", json_string(user));
    if (role)
        json_object_set_new(d, "role", json_string(role));
    json_object_set_new(d, "via", json_string("cli"));
    char *txt = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (!txt)
        return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = store_audit_append(s, actor, event, NULL, user, txt, NULL, e);
    free(txt);
    return rc;
}

static int list(store *s, const cli_options *o, mf_err *e)
{
    store_user *u;
    int n;
    if (store_user_list(s, &u, &n, e) < 0)
        return -1;
    json_t *arr = o->json ? json_array() : NULL;
    if (!o->json)
        printf("%-24s %-9s %-9s %s\n", "USER", "ROLE", "STATE", "CREATED");
    for (int i = 0; i < n; i++) {
        if (arr) {
            json_t *j = json_object();
            json_object_set_new(j, "name", json_string(u[i].name));
            json_object_set_new(j, "role", json_string(store_role_name(u[i].role)));
            json_object_set_new(j, "disabled", json_boolean(u[i].disabled));
            json_object_set_new(j, "created_at", json_string(u[i].created_at));
            json_array_append_new(arr, j);
        } else
            printf("%-24s %-9s %-9s %s\n", u[i].name, store_role_name(u[i].role),
                   u[i].disabled ? "disabled" : "enabled", u[i].created_at);
    }
    free(u);
    if (arr) {
        char *t = json_dumps(arr, JSON_INDENT(2));
        json_decref(arr);
        if (!t)
            return mf_fail(e, MF_ENOMEM, NULL, 0, 0, "out of memory");
        printf("%s\n", t);
        free(t);
    }
    return 0;
}

static int run(store *s, const cli_options *o, mf_err *e)
{
    const char *verb = o->nargs > 0 ? o->args[0] : "";
    if (!strcmp(verb, "list"))
        return list(s, o, e);
    if (o->nargs != 2)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                       "expected: user add NAME --role R | passwd NAME | role NAME --role R | disable NAME | "
                       "enable NAME | list");
    const char *name = o->args[1];
    int rc;
    if (!strcmp(verb, "add") || !strcmp(verb, "role")) {
        store_role r = store_role_parse(o->role);
        if (r == ROLE_NONE)
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "user %s needs --role viewer|reviewer|approver|admin", verb);
        if (!strcmp(verb, "add")) {
            char pw[1100];
            if (read_password(pw, sizeof pw, e) < 0)
                return -1;
            rc = store_user_add(s, name, r, pw, e);
            memset(pw, 0, sizeof pw);
            if (rc == 0)
                return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "user %s exists (user passwd / user role change it)", name);
            if (rc < 0 || audit(s, o, "user_added", name, o->role, e) < 0)
                return -1;
            printf("user %s added (%s)\n", name, o->role);
            return 0;
        }
        rc = store_user_set_role(s, name, r, e);
        if (rc > 0 && audit(s, o, "user_role_changed", name, o->role, e) < 0)
            return -1;
        if (rc > 0)
            printf("user %s is now %s\n", name, o->role);
    } else if (!strcmp(verb, "passwd")) {
        char pw[1100];
        if (read_password(pw, sizeof pw, e) < 0)
            return -1;
        rc = store_user_passwd(s, name, pw, e);
        memset(pw, 0, sizeof pw);
        if (rc > 0 && audit(s, o, "user_password_changed", name, NULL, e) < 0)
            return -1;
        if (rc > 0)
            printf("user %s: password changed\n", name);
    } else if (!strcmp(verb, "disable") || !strcmp(verb, "enable")) {
        int off = !strcmp(verb, "disable");
        rc = store_user_set_disabled(s, name, off, e);
        if (rc > 0 && audit(s, o, off ? "user_disabled" : "user_enabled", name, NULL, e) < 0)
            return -1;
        if (rc > 0)
            printf("user %s %s\n", name, off ? "disabled" : "enabled");
    } else
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown user command %s (add, passwd, role, disable, enable, list)",
                       verb);
    if (rc == 0)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no user %s", name);
    return rc < 0 ? -1 : 0;
}

int cli_user(const cli_options *o, mf_err *e)
{
    store *s = cli_open_store(o, e);
    if (!s)
        return CLI_FAILED;
    int rc = run(s, o, e);
    store_close(s);
    return rc < 0 ? CLI_FAILED : 0;
}
