/* validator.c — running the customer's validator and reading its verdict.
 *
 * The command runs as   /bin/sh -c 'CMD "$@"' sh OUTPUT_CSV RUN_JSON
 * so the paths reach it as positional arguments and are never parsed by the shell.  It runs in
 * its own process group (a timeout kills the whole group, not just the shell), with stdin from
 * /dev/null.  Its stdout is kept up to CHECK_VALIDATOR_MAX_OUTPUT bytes and its stderr's last
 * bytes are kept for the finding; both pipes are drained to the end so a chatty validator never
 * blocks.  The verdict is the JSON {"status": "pass"|"fail", "findings": [...]} on stdout with
 * exit status 0; anything else (crash, timeout, non-zero exit, output that is not that JSON)
 * fails the validation with a finding that says what happened.
 */
#include "check/check_internal.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STDERR_KEEP 1024

typedef struct child_out {
    mf_buf out;
    bool out_truncated;
    char err[STDERR_KEEP + 1];   /* the last bytes of stderr */
    size_t nerr;
    char flat[STDERR_KEEP * 3 + 1];   /* err as one line, for the finding */
    int status;                  /* waitpid status */
    bool timed_out;
} child_out;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void child_exec(const char *cmd, const char *csv, const char *json, int outfd, int errfd)
{
    setpgid(0, 0);
    int nullfd = open("/dev/null", O_RDONLY);
    if (nullfd >= 0)
        dup2(nullfd, 0);
    dup2(outfd, 1);
    dup2(errfd, 2);
    size_t n = strlen(cmd) + 16;
    char *script = malloc(n);
    if (!script)
        _exit(127);
    snprintf(script, n, "%s \"$@\"", cmd);
    execl("/bin/sh", "sh", "-c", script, "sh", csv, json, (char *)NULL);
    _exit(127);
}

static void keep_err(child_out *co, const char *p, size_t n)
{
    if (n >= STDERR_KEEP) {
        memcpy(co->err, p + n - STDERR_KEEP, STDERR_KEEP);
        co->nerr = STDERR_KEEP;
        return;
    }
    if (co->nerr + n > STDERR_KEEP) {
        size_t drop = co->nerr + n - STDERR_KEEP;
        memmove(co->err, co->err + drop, co->nerr - drop);
        co->nerr -= drop;
    }
    memcpy(co->err + co->nerr, p, n);
    co->nerr += n;
}

/* Drain both pipes until they close or the deadline passes. */
static void pump(int outfd, int errfd, double deadline, child_out *co)
{
    struct pollfd fds[2] = {{.fd = outfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}};
    char buf[65536];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        double left = deadline - mono_now();
        if (left <= 0) {
            co->timed_out = true;
            return;
        }
        int r = poll(fds, 2, left > 1 ? 1000 : (int)(left * 1000) + 1);
        if (r < 0 && errno != EINTR)
            return;
        for (int i = 0; i < 2 && r > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                fds[i].fd = -1;
                continue;
            }
            if (i == 1)
                keep_err(co, buf, (size_t)n);
            else if (co->out.len + (size_t)n > (size_t)CHECK_VALIDATOR_MAX_OUTPUT)
                co->out_truncated = true;
            else
                mf_buf_add(&co->out, buf, (size_t)n);
        }
    }
}

static int run_child(const char *cmd, int timeout_s, const char *csv, const char *json, child_out *co, mf_err *e)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot create a pipe for the validator: %s", strerror(errno));
    if (pipe2(pe, O_CLOEXEC) < 0) {
        close(po[0]);
        close(po[1]);
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot create a pipe for the validator: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot start the validator: %s", strerror(err));
    }
    if (pid == 0)
        child_exec(cmd, csv, json, po[1], pe[1]);
    setpgid(pid, pid);   /* also here: no race with the child's own setpgid */
    close(po[1]);
    close(pe[1]);
    pump(po[0], pe[0], mono_now() + timeout_s, co);
    if (co->timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    close(po[0]);
    close(pe[0]);
    while (waitpid(pid, &co->status, 0) < 0)
        if (errno != EINTR)
            return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot wait for the validator: %s", strerror(errno));
    return 0;
}

/* ---- the verdict ---------------------------------------------------------------------------- */

/* The end of stderr as one line ("a | b"): the last STDERR_KEEP bytes, line ends joined. */
static const char *err_tail(child_out *co)
{
    char *flat = co->flat;
    char *s = co->err;
    while (co->nerr && (s[co->nerr - 1] == '\n' || s[co->nerr - 1] == '\r' || s[co->nerr - 1] == ' '))
        co->nerr--;
    s[co->nerr] = 0;
    size_t k = 0;
    for (size_t i = 0; i < co->nerr; i++) {
        if (s[i] == '\r')
            continue;
        if (s[i] == '\n') {
            memcpy(flat + k, " | ", 3);
            k += 3;
        } else
            flat[k++] = (unsigned char)s[i] < 32 ? ' ' : s[i];
    }
    flat[k] = 0;
    return flat;
}

static void add_validator_findings(json_t *fs, bool failed, check_result *res)
{
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f) {
        json_t *c = json_is_object(f) ? json_deep_copy(f) : json_object();
        if (!json_is_object(f))
            json_object_set_new(c, "message", json_is_string(f) ? json_copy(f) : json_string("(finding not an object)"));
        if (!json_is_string(json_object_get(c, "check")))
            json_object_set_new(c, "check", json_string("validator"));
        json_object_set_new(c, "source", json_string("validator"));
        json_object_set_new(c, "status", json_string(failed ? "fail" : "info"));
        json_array_append_new(res->findings, c);
        if (failed)
            res->nfailed++;
    }
}

static void verdict(child_out *co, int timeout_s, check_result *res)
{
    if (co->timed_out) {
        chk_finding(res, "validator", "validator", true, "the validator did not finish within %d seconds and was stopped",
                    timeout_s);
        return;
    }
    int code = WIFEXITED(co->status) ? WEXITSTATUS(co->status) : -1;
    /* The shell reports a command killed by signal N as exit status 128 + N. */
    int sig = WIFSIGNALED(co->status) ? WTERMSIG(co->status) : code > 128 && code < 128 + 65 ? code - 128 : 0;
    if (sig) {
        chk_finding(res, "validator", "validator", true, "the validator crashed (signal %d: %s)%s%s", sig,
                    strsignal(sig), co->nerr ? "; stderr: " : "", err_tail(co));
        return;
    }
    if (code != 0) {
        chk_finding(res, "validator", "validator", true, "the validator exited with status %d%s%s%s", code,
                    code == 127 ? " (command not found?)" : "", co->nerr ? "; stderr: " : "", err_tail(co));
        return;
    }
    if (co->out_truncated) {
        chk_finding(res, "validator", "validator", true, "the validator printed more than %ld bytes: not a verdict",
                    (long)CHECK_VALIDATOR_MAX_OUTPUT);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(co->out.data ? co->out.data : "", co->out.len, 0, &je);
    const char *st = j ? json_string_value(json_object_get(j, "status")) : NULL;
    json_t *fs = j ? json_object_get(j, "findings") : NULL;
    if (!j || !st || (strcmp(st, "pass") && strcmp(st, "fail")) || (fs && !json_is_array(fs))) {
        char head[81];
        snprintf(head, sizeof head, "%s", co->out.data ? co->out.data : "");
        for (char *c = head; *c; c++)
            if ((unsigned char)*c < 32)
                *c = ' ';
        chk_finding(res, "validator", "validator", true,
                    "the validator's output is not the expected JSON {\"status\": \"pass\"|\"fail\", \"findings\": [...]}%s%s "
                    "(output starts \"%s\")",
                    j ? "" : ": ", j ? "" : je.text, head);
        json_decref(j);
        return;
    }
    bool failed = !strcmp(st, "fail");
    if (fs)
        add_validator_findings(fs, failed, res);
    if (failed) {
        res->passed = false;
        if (!json_array_size(fs))
            chk_finding(res, "validator", "validator", true, "the validator answered fail without findings");
    }
    res->validator_passed = !failed;
    json_decref(j);
}

int check_validator(const char *cmd, int timeout_s, const char *output_csv, const char *run_json,
                    check_result *res, mf_err *e)
{
    if (!res->findings)
        check_result_init(res);
    if (timeout_s <= 0) {
        const char *env = getenv("MAPFORGE_VALIDATOR_TIMEOUT");
        timeout_s = env && atoi(env) > 0 ? atoi(env) : CHECK_VALIDATOR_TIMEOUT_S;
    }
    child_out co = {0};
    res->validator_ran = true;
    res->validator_passed = false;
    int rc = run_child(cmd, timeout_s, output_csv, run_json, &co, e);
    if (rc == 0)
        verdict(&co, timeout_s, res);
    mf_buf_free(&co.out);
    return rc;
}
