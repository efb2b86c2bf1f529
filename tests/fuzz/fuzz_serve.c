/* fuzz_serve.c — libFuzzer target: the web app's HTTP request handling (src/serve), the real
 * server driven in process.
 *
 * Once: a SQLite store in a temporary directory (on /dev/shm when there is one: every refused
 * request appends an audit event) with one admin user and one client with an open review
 * (tests/llm/case: review 1, two open questions), and the daemon started by serve_start in
 * its no-listen mode.  Each input is the raw bytes a client sends on one connection: it is handed
 * to the daemon over a socketpair (MHD_add_connection) and the harness runs MHD_run on this thread
 * until the server closes the connection, so libmicrohttpd parses the request line, headers,
 * cookies and query, and serve.c / pages.c do the rest (body limit, form parsing, session, CSRF and
 * Origin checks, routing, the pages over the store).  Before sending, "@SESSION@" and "@CSRF@" in
 * the input become a fresh session's tokens (signed in as the admin, 64 characters each: a seed's
 * Content-Length counts the tokens), so the fuzzer reaches the pages behind the sign-in.  The store keeps what earlier inputs did (answers, feedback, audit
 * events): the target is not strictly deterministic, as a server is not.
 * Checks besides "no crash, no sanitizer report, no leak": a POST whose input does not hold the
 * CSRF placeholder never succeeds (2xx / 3xx), apart from /login and the static assets.
 */
#include "fuzz_util.h"
#include "serve/serve_internal.h"
#include "flow/flow.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct MHD_Daemon *g_d;
static char g_dir[128];

static void cleanup(void)
{
    if (g_d)
        serve_stop(g_d);
    g_d = NULL;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (g_dir[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz_serve: could not remove %s\n", g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    snprintf(g_dir, sizeof g_dir, "%s/mapforge-fuzz-serve-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        abort();
    }
    mf_err e = {0};
    store *st = store_open(g_dir, &e);
    if (!st || store_user_add(st, "fuzz", ROLE_ADMIN, "fuzz password 1", &e) < 0) {
        mf_err_print(&e, stderr);
        abort();
    }
    /* one client with an open review (id 1, two open questions), so the pages behind the sign-in
     * have something to show: tests/llm/case, as scripts/fuzz.sh runs from the repository's root */
    char mapping[PATH_MAX], datafile[PATH_MAX];
    if (!realpath("tests/llm/case/mapping.csv", mapping) || !realpath("tests/llm/case/data.csv", datafile)) {
        fprintf(stderr, "fuzz_serve: run from the repository's root (tests/llm/case/ is not here)\n");
        abort();
    }
    flow_env env = {.st = st, .actor = "fuzz", .home = g_dir};
    flow_input in = {.client = "ACME", .mapping_path = mapping, .data_path = datafile};
    flow_begin_result br;
    memset(&br, 0, sizeof br);
    if (flow_begin(&env, &in, &br, &e) < 0) {
        mf_err_print(&e, stderr);
        abort();
    }
    flow_begin_result_free(&br);
    store_close(st);
    serve_config cfg = {.store_where = g_dir, .home = g_dir, .rate = 1e9, .session_seconds = 1 << 30,
                        .max_failures = 1 << 30 /* clamped by serve.c: once found by this target */, .lock_seconds = 1};
    if (!(g_d = serve_start(&cfg, false, &e))) {
        mf_err_print(&e, stderr);
        abort();
    }
    atexit(cleanup);
    return 0;
}

/* in with every "@SESSION@" / "@CSRF@" replaced (malloc'd, *n its length). */
static char *substitute(const uint8_t *in, size_t size, const char *token, const char *csrf, size_t *n)
{
    mf_buf b = {0};
    for (size_t i = 0; i < size;) {
        if (size - i >= 9 && !memcmp(in + i, "@SESSION@", 9)) {
            mf_buf_adds(&b, token);
            i += 9;
        } else if (size - i >= 6 && !memcmp(in + i, "@CSRF@", 6)) {
            mf_buf_adds(&b, csrf);
            i += 6;
        } else {
            mf_buf_addc(&b, (char)in[i++]);
        }
    }
    *n = b.len;
    return b.data ? b.data : calloc(1, 1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Does a POST of this input (no CSRF placeholder) aim at a path that may answer without the token? */
static bool may_succeed(const uint8_t *data, size_t size)
{
    if (size < 5 || memcmp(data, "POST ", 5) != 0)
        return true;
    if (memmem(data, size, "@CSRF@", 6))
        return true;
    char path[64];
    size_t k = 0;
    for (size_t i = 5; i < size && k + 1 < sizeof path && data[i] != ' ' && data[i] != '?'; i++) {
        int c = data[i];
        if (c == '%' && i + 2 < size) {   /* libmicrohttpd decodes the path before serve.c sees it */
            char hx[3] = {(char)data[i + 1], (char)data[i + 2], 0};
            char *end;
            long v = strtol(hx, &end, 16);
            if (end == hx + 2) {
                c = (int)v;
                i += 2;
            }
        }
        path[k++] = (char)c;
    }
    path[k] = 0;
    return !strncmp(path, "/login", 6) || !strncmp(path, "/static/", 8) || path[0] != '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char token[SERVE_TOKEN_HEX + 1], csrf[SERVE_TOKEN_HEX + 1];
    serve_session_open("fuzz", token, csrf);
    size_t n;
    char *req = substitute(data, size, token, csrf, &n);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        abort();
    }
    if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
        abort();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (MHD_add_connection(g_d, sv[0], (const struct sockaddr *)&sin, sizeof sin) != MHD_YES) {
        fprintf(stderr, "fuzz_serve: MHD_add_connection refused the connection\n");
        abort();
    }
    mf_buf resp = {0};
    size_t sent = 0;
    bool closed = false;
    double t0 = now_s();
    while (now_s() - t0 < 5) {
        if (sent < n) {
            ssize_t w = send(sv[1], req + sent, n - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                sent = n;   /* the server closed: what is left is not read */
            if (sent == n)
                shutdown(sv[1], SHUT_WR);
        } else if (n == 0 && sent == 0) {
            shutdown(sv[1], SHUT_WR);
            sent = 1;
        }
        if (MHD_run(g_d) != MHD_YES)
            abort();
        char buf[8192];
        ssize_t r;
        while ((r = recv(sv[1], buf, sizeof buf, 0)) > 0)
            mf_buf_add(&resp, buf, (size_t)r);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            closed = true;
            break;
        }
        struct pollfd pf = {.fd = sv[1], .events = POLLIN};
        (void)poll(&pf, 1, 1);
    }
    close(sv[1]);
    for (int i = 0; i < 3; i++)   /* the server's side of the connection is cleaned up */
        (void)MHD_run(g_d);
    const char *trace = getenv("FUZZ_SERVE_TRACE");   /* 1: each answer's status line; 2: the whole answer */
    if (trace && *trace == '2')
        fprintf(stderr, "fuzz_serve: %s\n%s\n", closed ? "closed" : "timed out", resp.data ? mf_buf_str(&resp) : "");
    else if (trace)
        fprintf(stderr, "fuzz_serve: %s %.*s\n", closed ? "closed" : "timed out",
                (int)strcspn(resp.data ? resp.data : "", "\r\n"), resp.data ? resp.data : "");
    if (closed && !may_succeed(data, size) && resp.len >= 12 && !memcmp(resp.data, "HTTP/1.", 7) &&
        (resp.data[9] == '2' || resp.data[9] == '3')) {
        fprintf(stderr, "fuzz_serve: a POST without the CSRF token succeeded:\n%.*s\n", (int)(resp.len < 600 ? resp.len : 600),
                resp.data);
        abort();
    }
    mf_buf_free(&resp);
    free(req);
    return 0;
}
