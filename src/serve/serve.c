/* serve.c — the web app's HTTP layer on libmicrohttpd: the daemon, sessions, sign-in with
 * throttling, per-address rate limits, the request-size limit, the CSRF and Origin checks, and
 * the security headers added to every response.  The pages themselves are in pages.c.
 *
 * Invariants:
 *   - one thread per connection; all use of the store, the sessions and the limits is under one
 *     mutex (g_lock), so the store connection is used by one thread at a time; a request that asks
 *     the language model lets go of it for the HTTP call only (serve_model_wait), touching nothing
 *     shared meanwhile, so one slow model answer does not stall every other request;
 *   - a session token and a CSRF token are 32 random bytes (libsodium), compared in constant
 *     time; the cookie is HttpOnly, SameSite=Strict, Path=/ and Secure under TLS; a session
 *     expires after its idle time and after 12 hours in any case; sign-out forgets it;
 *   - a POST is refused (403, audited) without a session, without the session's CSRF token, or
 *     with an Origin header naming another site; the sign-in form has a token of its own,
 *     tied to a pre-session cookie;
 *   - after cfg.max_failures failed sign-ins for a user name (four times as many from one address)
 *     within 15 minutes, sign-in is refused for cfg.lock_seconds even with the right password (429);
 *   - a body over 64 KiB is refused (413) without being kept, a form of more than 64 fields (400),
 *     a request line and headers beyond the connection's 128 KiB by libmicrohttpd (431 or 413);
 *     requests beyond the rate are 429;
 *   - the user's role is read from the store on every request: a disabled user or a changed role
 *     takes effect at once.
 */
#include "serve/jobs.h"
#include "serve/serve_internal.h"
#include "util/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (64 * 1024)
#define MAX_FORM_FIELDS 64
#define CONNECTION_MEMORY (128 * 1024)   /* MHD's per-connection pool: the request line and headers */
#define MAX_UPLOAD (32 * 1024 * 1024)   /* POST /review/new: a mapping and a data file, signed-in users only */
#define UPLOAD_PATH "/review/new"
#define MAX_UPLOADS_AT_ONCE 4           /* large bodies held in memory at once: the server's peak is about this x 32 MiB */
#define MAX_SESSIONS 1024
#define MAX_TRACKED 1024
#define ABSOLUTE_SESSION_SECONDS (12 * 3600)
#define FAILURE_WINDOW 900

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static serve_state g_state;

/* ---- sessions ------------------------------------------------------------------------------------ */

typedef struct session {
    char token[SERVE_TOKEN_HEX + 1];   /* "" = free slot */
    char csrf[SERVE_TOKEN_HEX + 1];
    char user[128];
    time_t created, last;
} session;
static session g_sessions[MAX_SESSIONS];

static void random_hex(char out[SERVE_TOKEN_HEX + 1])
{
    unsigned char b[SERVE_TOKEN_HEX / 2];
    randombytes_buf(b, sizeof b);
    sodium_bin2hex(out, SERVE_TOKEN_HEX + 1, b, sizeof b);
}

static bool token_eq(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != SERVE_TOKEN_HEX || strlen(b) != SERVE_TOKEN_HEX)
        return false;
    return sodium_memcmp(a, b, SERVE_TOKEN_HEX) == 0;
}

static int idle_seconds(void)
{
    return g_state.cfg.session_seconds > 0 ? g_state.cfg.session_seconds : 1800;
}

static session *session_find(const char *token)
{
    time_t now = time(NULL);
    for (int i = 0; token && i < MAX_SESSIONS; i++) {
        session *s = &g_sessions[i];
        if (!s->token[0] || !token_eq(s->token, token))
            continue;
        if (now - s->last > idle_seconds() || now - s->created > ABSOLUTE_SESSION_SECONDS) {
            sodium_memzero(s, sizeof *s);
            return NULL;
        }
        return s;
    }
    return NULL;
}

static session *session_new(const char *user)
{
    time_t now = time(NULL);
    session *slot = NULL;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        session *s = &g_sessions[i];
        if (s->token[0] && (now - s->last > idle_seconds() || now - s->created > ABSOLUTE_SESSION_SECONDS))
            sodium_memzero(s, sizeof *s);
        if (!s->token[0]) {
            if (!slot || slot->token[0])
                slot = s;
        } else if (!slot || (slot->token[0] && s->last < slot->last))
            slot = s;   /* all taken: the least recently used goes */
    }
    memset(slot, 0, sizeof *slot);
    random_hex(slot->token);
    random_hex(slot->csrf);
    snprintf(slot->user, sizeof slot->user, "%s", user);
    slot->created = slot->last = now;
    return slot;
}

/* ---- failure throttling and rate limits ---------------------------------------------------------- */

typedef struct tracked {
    char key[160];                     /* "u:NAME" or "a:ADDRESS"; "" = free */
    int failures;
    time_t first, locked_until;
    double tokens;                     /* rate limit bucket (address keys "r:ADDRESS") */
    struct timespec seen;
    time_t denied_audited;
    bool bucket_ready;
} tracked;
static tracked g_tracked[MAX_TRACKED];

static tracked *track(const char *kind, const char *what)
{
    char key[160];
    snprintf(key, sizeof key, "%s:%s", kind, what);
    tracked *free_slot = NULL, *oldest = &g_tracked[0];
    for (int i = 0; i < MAX_TRACKED; i++) {
        tracked *t = &g_tracked[i];
        if (t->key[0] && !strcmp(t->key, key))
            return t;
        if (!t->key[0] && !free_slot)
            free_slot = t;
        if (t->seen.tv_sec < oldest->seen.tv_sec)
            oldest = t;
    }
    tracked *t = free_slot ? free_slot : oldest;
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    clock_gettime(CLOCK_MONOTONIC, &t->seen);
    return t;
}

static int max_failures(void)
{
    int n = g_state.cfg.max_failures;   /* at most a million: four times it still fits an int */
    return n <= 0 ? 5 : n > 1000000 ? 1000000 : n;
}

static bool locked(tracked *t, time_t now)
{
    return t->locked_until > now;
}

/* A user name is locked after max_failures(), an address (which may try several names) after four
 * times as many. */
static void note_failure(tracked *t, time_t now, int limit)
{
    if (now - t->first > FAILURE_WINDOW) {
        t->first = now;
        t->failures = 0;
    }
    if (++t->failures >= limit)
        t->locked_until = now + (g_state.cfg.lock_seconds > 0 ? g_state.cfg.lock_seconds : 300);
}

/* A token bucket per address: rate per second, burst 10 x rate.  false = over the rate. */
static bool rate_ok(const char *ip)
{
    double rate = g_state.cfg.rate > 0 ? g_state.cfg.rate : 20;
    tracked *t = track("r", ip);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!t->bucket_ready) {
        t->tokens = rate * 10;   /* a new address starts with a full bucket */
        t->bucket_ready = true;
    }
    double dt = (double)(now.tv_sec - t->seen.tv_sec) + (double)(now.tv_nsec - t->seen.tv_nsec) / 1e9;
    t->seen = now;
    t->tokens += dt * rate;
    if (t->tokens > rate * 10)
        t->tokens = rate * 10;
    if (t->tokens < 1)
        return false;
    t->tokens -= 1;
    return true;
}

/* ---- helpers for the pages ----------------------------------------------------------------------- */

const char *serve_query(const serve_req *r, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *serve_form(const serve_req *r, const char *name)
{
    for (int i = 0; i < r->nform; i++)
        if (!strcmp(r->form[i].name, name))
            return r->form[i].value;
    return NULL;
}

void serve_deny_audit(serve_state *s, const serve_req *r, const char *action, const char *client, const char *reason)
{
    mf_buf d = {0};
    /* JSON by hand: the values are escaped for JSON below. */
    const char *vals[3] = {action, reason, r->ip};
    const char *keys[3] = {"action", "reason", "address"};
    mf_buf_addc(&d, '{');
    for (int i = 0; i < 3; i++) {
        mf_buf_printf(&d, "%s\"%s\":\"", i ? "," : "", keys[i]);
        for (const unsigned char *p = (const unsigned char *)(vals[i] ? vals[i] : ""); *p; p++) {
            if (*p == '"' || *p == '\\')
                mf_buf_printf(&d, "\\%c", *p);
            else if (*p < 0x20)
                mf_buf_printf(&d, "\\u%04x", *p);
            else
                mf_buf_addc(&d, (char)*p);
        }
        mf_buf_addc(&d, '"');
    }
    mf_buf_addc(&d, '}');
    mf_err e;
    mf_err_clear(&e);
    if (store_audit_append(s->st, r->user[0] ? r->user : "anonymous", "denied", client, r->path, mf_buf_str(&d),
                           NULL, &e) < 0)
        mf_err_print(&e, stderr);
    mf_buf_free(&d);
}

void serve_redirect(serve_resp *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->location, sizeof o->location, fmt, ap);
    va_end(ap);
    o->status = 303;
}

bool serve_is_loopback(const char *addr)
{
    if (!addr || !strcmp(addr, "localhost") || !strcmp(addr, "::1"))
        return true;
    struct in_addr a;
    return inet_pton(AF_INET, addr, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* ---- the request ----------------------------------------------------------------------------------- */

typedef struct conn_ctx {
    mf_buf body;
    size_t limit;
    bool too_big;
    bool upload_slot;   /* holds one of the MAX_UPLOADS_AT_ONCE slots (given back in on_done) */
    bool busy;          /* a large upload refused because every slot is taken (503) */
} conn_ctx;
static int g_uploads;   /* slots taken, under g_lock */

/* A body over its limit: what was kept is dropped and an upload slot given back at once — the rest
 * of the body is read and thrown away, and must not keep other uploads waiting (nor memory). */
static void too_big(conn_ctx *ctx)
{
    ctx->too_big = true;
    mf_buf_free(&ctx->body);
    if (ctx->upload_slot) {
        pthread_mutex_lock(&g_lock);
        g_uploads--;
        pthread_mutex_unlock(&g_lock);
        ctx->upload_slot = false;
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *out = mf_xmalloc(n + 1), *w = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            *w++ = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *w++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            *w++ = s[i];
    }
    *w = 0;
    return out;
}

/* The url-encoded body into r->form; -1 when it has more than MAX_FORM_FIELDS fields. */
static int parse_form(serve_req *r, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && body[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && body[eq] != '=')
            eq++;
        if (j > i) {
            if (r->nform >= MAX_FORM_FIELDS)
                return -1;
            r->form = mf_xrealloc(r->form, (size_t)(r->nform + 1) * sizeof *r->form);
            r->form[r->nform].name = url_decode(body + i, eq - i);
            r->form[r->nform].value = eq < j ? url_decode(body + eq + 1, j - eq - 1) : mf_xstrdup("");
            r->form[r->nform].len = strlen(r->form[r->nform].value);
            r->form[r->nform].filename = NULL;
            r->form[r->nform].borrowed = false;
            r->nform++;
        }
        i = j + 1;
    }
    return 0;
}

static const char *find_bytes(const char *h, size_t hn, const char *n, size_t nn)
{
    for (size_t i = 0; nn && i + nn <= hn; i++)
        if (h[i] == n[0] && !memcmp(h + i, n, nn))
            return h + i;
    return NULL;
}

/* The value of `key="..."` in a part's Content-Disposition line (malloc'd), NULL when absent. */
static char *disposition_param(const char *line, size_t n, const char *key)
{
    size_t kn = strlen(key);
    for (size_t i = 0; i + kn + 2 <= n; i++) {
        if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') && !strncasecmp(line + i, key, kn) &&
            line[i + kn] == '=' && line[i + kn + 1] == '"') {
            size_t s = i + kn + 2, e = s;
            while (e < n && line[e] != '"')
                e++;
            char *v = mf_xmalloc(e - s + 1);
            memcpy(v, line + s, e - s);
            v[e - s] = 0;
            return v;
        }
    }
    return NULL;
}

/* A multipart/form-data body (RFC 7578) into r->form: each part's name, bytes (len) and file name.
 * Parts without a name, and anything past 16 parts, are ignored; a body that does not follow the
 * boundary leaves the form empty (the CSRF check then refuses it). */
static void parse_multipart(serve_req *r, const char *ctype, char *body, size_t len)
{
    const char *b = strstr(ctype, "boundary=");
    if (!b)
        return;
    b += 9;
    char delim[96] = "\r\n--";
    size_t bn = strcspn(b, "; ");
    if (*b == '"') {
        b++;
        bn = strcspn(b, "\"");
    }
    if (bn == 0 || bn > 70)
        return;
    memcpy(delim + 4, b, bn);
    size_t dn = bn + 4;
    delim[dn] = 0;
    /* the body starts with the delimiter without its leading CRLF */
    if (len < dn - 2 || memcmp(body, delim + 2, dn - 2))
        return;
    size_t at = dn - 2;
    while (r->nform < 16) {
        if (at + 2 > len || !memcmp(body + at, "--", 2))
            break;   /* the closing delimiter */
        if (memcmp(body + at, "\r\n", 2))
            break;
        at += 2;
        const char *hend = find_bytes(body + at, len - at, "\r\n\r\n", 4);
        if (!hend)
            break;
        char *data = body + (hend - body) + 4;
        const char *next = find_bytes(data, len - (size_t)(data - body), delim, dn);
        if (!next)
            break;
        char *name = NULL, *filename = NULL;
        bool disposition = false;   /* only a part's first Content-Disposition line counts */
        for (const char *h = body + at; h < hend;) {
            const char *eol = find_bytes(h, (size_t)(hend - h), "\r\n", 2);
            size_t ln = eol ? (size_t)(eol - h) : (size_t)(hend - h);
            if (ln > 20 && !strncasecmp(h, "Content-Disposition:", 20) && !disposition) {
                disposition = true;
                name = disposition_param(h, ln, "name");
                filename = disposition_param(h, ln, "filename");
            }
            h += ln + (eol ? 2 : 0);
        }
        if (name) {
            size_t vn = (size_t)(next - data);
            r->form = mf_xrealloc(r->form, (size_t)(r->nform + 1) * sizeof *r->form);
            serve_field *f = &r->form[r->nform++];
            f->name = name;
            /* the bytes stay in the body (not copied: one upload is not held twice); the delimiter's
             * first byte, already passed, becomes the part's NUL */
            f->value = (char *)data;
            f->value[vn] = 0;
            f->len = vn;
            f->filename = filename;
            f->borrowed = true;
        } else {
            free(filename);
        }
        at = (size_t)(next - body) + dn;
    }
}

const serve_field *serve_form_file(const serve_req *r, const char *name)
{
    for (int i = 0; i < r->nform; i++)
        if (!strcmp(r->form[i].name, name) && r->form[i].filename)
            return &r->form[i];
    return NULL;
}

static const char *cookie(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, name);
}

static void set_cookie(serve_resp *o, const char *name, const char *value, int max_age)
{
    if (o->ncookies >= 3)
        return;
    snprintf(o->cookie[o->ncookies++], sizeof o->cookie[0], "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
             name, value, max_age, g_state.tls ? "; Secure" : "");
}

/* The Origin header, when present, names this server (scheme://Host). */
static bool origin_ok(struct MHD_Connection *c)
{
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin)
        return true;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!host)
        return false;
    char want[600];
    snprintf(want, sizeof want, "%s://%s", g_state.tls ? "https" : "http", host);
    return !strcmp(origin, want);
}

/* ---- sign-in and sign-out -------------------------------------------------------------------------- */

static void login_page(const serve_req *r, serve_resp *o, const char *pre, const char *message)
{
    mf_buf *b = &o->body;
    html_begin(b, r, "Sign in");
    html_printf(b, "<h1>Sign in</h1>");
    if (message) {
        html_printf(b, "<p class=\"error\" id=\"login-error\">");
        html_esc(b, message);
        html_printf(b, "</p>");
    }
    html_printf(b, "<form method=\"post\" action=\"/login\" class=\"login\"><input type=\"hidden\" name=\"pre\" value=\"");
    html_esc(b, pre);
    html_printf(b, "\"><label>User <input name=\"user\" autocomplete=\"username\" required></label>"
                   "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" "
                   "required></label><button type=\"submit\" id=\"signin\">Sign in</button></form>");
    html_end(b);
}

/* The sign-in form, with the pre-session token: the browser's own when it has a well-formed one
 * (a second tab, or a stray request for /favicon.ico, must not invalidate the form on screen). */
static void new_login_form(serve_req *r, serve_resp *o, int status, const char *message)
{
    char pre[SERVE_TOKEN_HEX + 1];
    const char *have = cookie(r->conn, "mf_pre");
    size_t n = have ? strspn(have, "0123456789abcdef") : 0;
    if (have && n == SERVE_TOKEN_HEX && !have[n])
        snprintf(pre, sizeof pre, "%s", have);
    else
        random_hex(pre);
    set_cookie(o, "mf_pre", pre, 3600);
    o->status = status;
    login_page(r, o, pre, message);
}

static void do_login(serve_req *r, serve_resp *o)
{
    struct MHD_Connection *c = r->conn;
    const char *user = serve_form(r, "user"), *pw = serve_form(r, "password"), *pre = serve_form(r, "pre");
    if (!token_eq(pre, cookie(c, "mf_pre")) || !origin_ok(c)) {
        serve_deny_audit(&g_state, r, "login", NULL, "sign-in form token missing or wrong");
        new_login_form(r, o, 403, "The sign-in form expired; please try again.");
        return;
    }
    if (!user || !pw) {
        new_login_form(r, o, 400, "User and password are needed.");
        return;
    }
    time_t now = time(NULL);
    tracked *tu = track("u", user), *ta = track("a", r->ip);
    if (locked(tu, now) || locked(ta, now)) {
        snprintf(r->user, sizeof r->user, "%s", "anonymous");
        serve_deny_audit(&g_state, r, "login", NULL, "too many failed sign-ins: locked out for a while");
        new_login_form(r, o, 429, "Too many failed sign-ins. Try again later.");
        r->user[0] = 0;
        return;
    }
    store_user u;
    mf_err e;
    mf_err_clear(&e);
    int ok = store_user_check(g_state.st, user, pw, &u, &e);
    if (ok < 0) {
        mf_err_print(&e, stderr);
        html_error_page(o, r, 500, "The store could not be read.");
        return;
    }
    if (!ok) {
        note_failure(tu, now, max_failures());
        note_failure(ta, now, 4 * max_failures());
        char reason[300];
        snprintf(reason, sizeof reason, "failed sign-in as %.128s", user);
        serve_deny_audit(&g_state, r, "login", NULL, reason);
        new_login_form(r, o, 401, "Wrong user or password.");
        return;
    }
    tu->failures = 0;
    session *s = session_new(u.name);
    set_cookie(o, "mf_session", s->token, ABSOLUTE_SESSION_SECONDS);
    set_cookie(o, "mf_pre", "", 0);
    char details[200];
    snprintf(details, sizeof details, "{\"address\":\"%s\"}", r->ip);
    if (store_audit_append(g_state.st, u.name, "login", NULL, NULL, details, NULL, &e) < 0)
        mf_err_print(&e, stderr);
    serve_redirect(o, "/");
}

/* ---- GET /metrics ------------------------------------------------------------------------------------ */

/* Who may read the metrics: a signed-in user of any role, or a scraper presenting the configured
 * bearer token.  The metrics name no client, but they are the firm's business volume: not public. */
static bool metrics_token_ok(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!g_state.metrics_token || !h || strncasecmp(h, "Bearer ", 7))
        return false;
    unsigned char got[32];
    crypto_generichash(got, sizeof got, (const unsigned char *)h + 7, strlen(h + 7), NULL, 0);
    return sodium_memcmp(got, g_state.metrics_token_hash, sizeof got) == 0;   /* same length: no length leak */
}

static void metrics_page(serve_req *r, serve_resp *o, bool signed_in)
{
    if (!signed_in && !metrics_token_ok(r->conn)) {
        o->status = 401;
        o->ctype = "text/plain; charset=utf-8";
        snprintf(o->www_authenticate, sizeof o->www_authenticate, "Bearer realm=\"mapforge metrics\"");
        mf_buf_adds(&o->body, "metrics: sign in, or send Authorization: Bearer with the metrics token\n");
        return;
    }
    mf_metrics m;
    mf_metrics_init(&m);
    mf_err e;
    mf_err_clear(&e);
    if (store_metrics(g_state.st, &m, &e) < 0) {
        mf_err_print(&e, stderr);
        o->status = 500;
        o->ctype = "text/plain; charset=utf-8";
        mf_buf_adds(&o->body, "metrics: the store could not be read\n");
    } else {
        o->ctype = "text/plain; version=0.0.4; charset=utf-8";
        mf_metrics_text(&m, &o->body);
    }
    mf_metrics_free(&m);
}

static char *slurp(const char *path, mf_err *e);

/* The token file: owner-only, its content (without surrounding white space) at least 16 bytes. */
static int read_metrics_token(const char *path, mf_err *e)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "the metrics token file: %s", strerror(errno));
    if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) || st.st_uid != geteuid())
        return mf_fail(e, MF_EUSAGE, path, 0, 0,
                       "the metrics token file must be a file of this user readable by its owner only (chmod 600 %s)",
                       path);
    char *t = slurp(path, e);
    if (!t)
        return -1;
    char *a = t, *z = t + strlen(t);
    while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
        a++;
    while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\n' || z[-1] == '\r'))
        z--;
    int rc = 0;
    if (z - a < 16)
        rc = mf_fail(e, MF_EUSAGE, path, 0, 0, "the metrics token is shorter than 16 characters");
    else {
        crypto_generichash(g_state.metrics_token_hash, sizeof g_state.metrics_token_hash, (const unsigned char *)a,
                           (size_t)(z - a), NULL, 0);
        g_state.metrics_token = true;
    }
    sodium_memzero(t, strlen(t));
    free(t);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------------------------- */

static void handle(serve_req *r, serve_resp *o)
{
    struct MHD_Connection *c = r->conn;
    bool post = !strcmp(r->method, "POST");
    if (!rate_ok(r->ip)) {
        tracked *t = track("r", r->ip);
        time_t now = time(NULL);
        if (now - t->denied_audited >= 60) {   /* one event per address per minute, not one per request */
            t->denied_audited = now;
            serve_deny_audit(&g_state, r, "request", NULL, "rate limit");
        }
        html_error_page(o, r, 429, "Too many requests; slow down.");
        return;
    }
    if (!post && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        html_error_page(o, r, 405, "Method not allowed.");
        return;
    }
    if (!strcmp(r->path, "/static/app.css") || !strcmp(r->path, "/static/app.js")) {
        bool css = r->path[8] == 'a' && strstr(r->path, ".css");
        o->ctype = css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
        mf_buf_adds(&o->body, css ? serve_css : serve_js);
        return;
    }
    /* The session, and the user as the store has them now. */
    session *s = session_find(cookie(c, "mf_session"));
    if (s) {
        store_user u;
        mf_err e;
        mf_err_clear(&e);
        int found = store_user_get(g_state.st, s->user, &u, &e);
        if (found > 0 && !u.disabled && u.role != ROLE_NONE) {
            s->last = time(NULL);
            snprintf(r->user, sizeof r->user, "%s", u.name);
            r->role = u.role;
            snprintf(r->csrf, sizeof r->csrf, "%s", s->csrf);
        } else {
            sodium_memzero(s, sizeof *s);
            s = NULL;
        }
    }
    if (!post && !strcmp(r->path, "/metrics")) {
        metrics_page(r, o, s != NULL);
        return;
    }
    if (!strcmp(r->path, "/login")) {
        if (post)
            do_login(r, o);
        else if (s)
            serve_redirect(o, "/");
        else
            new_login_form(r, o, 200, NULL);
        return;
    }
    if (!s) {
        if (post) {
            serve_deny_audit(&g_state, r, "post", NULL, "not signed in");
            html_error_page(o, r, 403, "Sign in first.");
        } else
            serve_redirect(o, "/login");
        return;
    }
    if (post) {
        const char *tok = serve_form(r, "csrf");
        if (!tok)
            tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!token_eq(tok, s->csrf)) {
            serve_deny_audit(&g_state, r, "post", NULL, "CSRF token missing or wrong");
            html_error_page(o, r, 403, "This form is not valid any more (CSRF token missing or wrong). Reload the page.");
            return;
        }
        if (!origin_ok(c)) {
            serve_deny_audit(&g_state, r, "post", NULL, "Origin names another site");
            html_error_page(o, r, 403, "Cross-site request refused.");
            return;
        }
        if (!strcmp(r->path, "/logout")) {
            mf_err e;
            mf_err_clear(&e);
            if (store_audit_append(g_state.st, r->user, "logout", NULL, NULL, NULL, NULL, &e) < 0)
                mf_err_print(&e, stderr);
            sodium_memzero(s, sizeof *s);
            set_cookie(o, "mf_session", "", 0);
            serve_redirect(o, "/login");
            return;
        }
        if (!pages_post(&g_state, r, o))
            html_error_page(o, r, 404, "No such action.");
        return;
    }
    if (!strcmp(r->path, "/events")) {
        const char *job = serve_query(r, "job");
        o->sse_job = job ? strtoll(job, NULL, 10) : 0;
        if (o->sse_job > 0)
            return;
    }
    if (!pages_get(&g_state, r, o))
        html_error_page(o, r, 404, "No such page.");
}

static void add_security_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");   /* no-referrer would make Origin "null" */
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (g_state.tls)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    conn_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = mf_xcalloc(1, sizeof *ctx);
        *con_cls = ctx;
        ctx->limit = MAX_BODY;
        if (!strcmp(method, "POST") && !strcmp(url, UPLOAD_PATH)) {
            /* a large body only from a signed-in session whose role may start a review (its token is
             * checked later), and only MAX_UPLOADS_AT_ONCE at a time: each is held in memory */
            pthread_mutex_lock(&g_lock);
            session *s = session_find(cookie(c, "mf_session"));
            store_user u;
            mf_err ue;
            mf_err_clear(&ue);
            if (s && store_user_get(g_state.st, s->user, &u, &ue) > 0 && !u.disabled && u.role >= ROLE_REVIEWER) {
                if (g_uploads < MAX_UPLOADS_AT_ONCE) {
                    g_uploads++;
                    ctx->upload_slot = true;
                    ctx->limit = MAX_UPLOAD;
                } else {
                    ctx->busy = true;
                }
            }
            pthread_mutex_unlock(&g_lock);
        }
        const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        unsigned long long want = len ? strtoull(len, NULL, 10) : 0;
        if (want > ctx->limit)
            too_big(ctx);
        else if (want > MAX_BODY)
            mf_buf_reserve(&ctx->body, (size_t)want);   /* one allocation, no copies while it grows */
        return MHD_YES;
    }
    if (*upload_size) {
        if (ctx->body.len + *upload_size > ctx->limit)
            too_big(ctx);
        if (!ctx->too_big && !ctx->busy)
            mf_buf_add(&ctx->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    serve_req r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = url;
    r.conn = c;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r.ip, sizeof r.ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r.ip, sizeof r.ip);
    }
    serve_resp o;
    memset(&o, 0, sizeof o);
    o.status = 200;
    pthread_mutex_lock(&g_lock);
    if (ctx->busy) {
        serve_deny_audit(&g_state, &r, "request", NULL, "too many uploads at once");
        html_error_page(&o, &r, 503, "Too many uploads are under way: try again in a minute.");
    } else if (ctx->too_big) {
        serve_deny_audit(&g_state, &r, "request", NULL,
                         ctx->limit > MAX_BODY ? "upload over 32 MiB" : "request body over 64 KiB");
        html_error_page(&o, &r, 413, "The request is too large.");
    } else {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        int form_rc = 0;
        if (!strcmp(method, "POST") && ct && !strncasecmp(ct, "multipart/form-data", 19)) {
            if (!strcmp(url, UPLOAD_PATH))   /* only the upload takes a multipart body */
                parse_multipart(&r, ct, ctx->body.data ? ctx->body.data : (char *)"", ctx->body.len);
        } else if (!strcmp(method, "POST"))
            form_rc = parse_form(&r, mf_buf_str(&ctx->body), ctx->body.len);
        if (form_rc < 0) {
            serve_deny_audit(&g_state, &r, "request", NULL, "a form of more than 64 fields");
            html_error_page(&o, &r, 400, "The form has more than 64 fields.");
        } else
            handle(&r, &o);
    }
    pthread_mutex_unlock(&g_lock);
    for (int i = 0; i < r.nform; i++) {
        sodium_memzero(r.form[i].value, r.form[i].len);
        free(r.form[i].name);
        if (!r.form[i].borrowed)
            free(r.form[i].value);
        free(r.form[i].filename);
    }
    free(r.form);

    struct MHD_Response *resp = NULL;
    if (o.sse_job > 0 && (resp = jobs_sse_response(o.sse_job)) != NULL) {
        o.ctype = "text/event-stream";
        o.status = 200;
    } else {
        if (o.sse_job > 0)
            html_error_page(&o, &r, 404, "No such run.");
        resp = MHD_create_response_from_buffer(o.body.len, o.body.data ? o.body.data : (void *)"",
                                               MHD_RESPMEM_MUST_COPY);
    }
    mf_buf_free(&o.body);
    if (!resp)
        return MHD_NO;
    add_security_headers(resp);
    MHD_add_response_header(resp, "Content-Type", o.ctype ? o.ctype : "text/html; charset=utf-8");
    if (o.location[0])
        MHD_add_response_header(resp, "Location", o.location);
    if (o.disposition[0])
        MHD_add_response_header(resp, "Content-Disposition", o.disposition);
    if (o.www_authenticate[0])
        MHD_add_response_header(resp, "WWW-Authenticate", o.www_authenticate);
    for (int i = 0; i < o.ncookies; i++)
        MHD_add_response_header(resp, "Set-Cookie", o.cookie[i]);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)o.status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    conn_ctx *ctx = *con_cls;
    if (ctx) {
        if (ctx->upload_slot) {
            pthread_mutex_lock(&g_lock);
            g_uploads--;
            pthread_mutex_unlock(&g_lock);
        }
        mf_buf_free(&ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
}

/* ---- the daemon ------------------------------------------------------------------------------------ */

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static char *slurp(const char *path, mf_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        mf_fail(e, MF_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    mf_buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        mf_buf_add(&b, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad || !b.len) {
        mf_buf_free(&b);
        mf_fail(e, MF_EIO, path, 0, 0, "cannot read it (or it is empty)");
        return NULL;
    }
    return b.data;
}

static char *g_cert, *g_key;   /* the TLS PEM texts, kept while the daemon runs */

struct MHD_Daemon *serve_start(const serve_config *cfg, bool listen, mf_err *e)
{
    if (sodium_init() < 0)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "libsodium could not be initialised"), NULL;
    memset(&g_state, 0, sizeof g_state);
    g_state.cfg = *cfg;
    const char *bind_addr = cfg->bind ? cfg->bind : "127.0.0.1";
    int port = cfg->port ? cfg->port : 8321;
    if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--tls-cert and --tls-key go together"), NULL;
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    const struct sockaddr *sa;
    unsigned flags = listen ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG
                            : MHD_USE_NO_LISTEN_SOCKET;
    const char *addr = !strcmp(bind_addr, "localhost") ? "127.0.0.1" : bind_addr;
    if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&a6;
        if (listen)
            flags |= MHD_USE_IPv6;
    } else
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--bind %s: not an IPv4 or IPv6 address", bind_addr), NULL;
    if (cfg->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "this libmicrohttpd was built without TLS"), NULL;
        if (!(g_cert = slurp(cfg->tls_cert, e)) || !(g_key = slurp(cfg->tls_key, e))) {
            free(g_cert);
            g_cert = NULL;
            return NULL;
        }
        flags |= MHD_USE_TLS;
        g_state.tls = true;
    }
    if (listen && !serve_is_loopback(bind_addr) && !g_state.tls)
        fprintf(stderr, "mapforge serve: WARNING: listening on %s without TLS: passwords and session cookies cross "
                        "the network in clear (give --tls-cert and --tls-key)\n", bind_addr);
    if (cfg->metrics_token_file && read_metrics_token(cfg->metrics_token_file, e) < 0) {
        free(g_cert);
        free(g_key);
        g_cert = g_key = NULL;
        return NULL;
    }
    g_state.st = store_open(cfg->store_where, e);
    struct MHD_Daemon *d = NULL;
    if (g_state.st && g_cert)
        d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, sa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                             MHD_OPTION_HTTPS_MEM_CERT, g_cert, MHD_OPTION_HTTPS_MEM_KEY, g_key, MHD_OPTION_END);
    else if (g_state.st)
        d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, sa,
                             MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT,
                             (unsigned)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                             MHD_OPTION_END);
    if (!d) {
        if (g_state.st)
            mf_fail(e, MF_EIO, NULL, 0, 0, "cannot listen on %s port %d (in use? not an address of this machine?)",
                    bind_addr, port);
        store_close(g_state.st);
        g_state.st = NULL;
        free(g_cert);
        free(g_key);
        g_cert = g_key = NULL;
        return NULL;
    }
    if (listen)
        fprintf(stderr, "mapforge serve: listening on %s://%s%s%s:%d/ (store %s)\n", g_state.tls ? "https" : "http",
                strchr(bind_addr, ':') ? "[" : "", bind_addr, strchr(bind_addr, ':') ? "]" : "", port,
                store_where(g_state.st));
    return d;
}

void serve_stop(struct MHD_Daemon *d)
{
    jobs_shutdown();
    MHD_stop_daemon(d);
    pthread_mutex_lock(&g_lock);
    store_close(g_state.st);
    g_state.st = NULL;
    pthread_mutex_unlock(&g_lock);
    if (g_key)
        sodium_memzero(g_key, strlen(g_key));
    free(g_cert);
    free(g_key);
    g_cert = g_key = NULL;
}

void serve_model_wait(void *user, bool before)
{
    (void)user;
    if (before)
        pthread_mutex_unlock(&g_lock);
    else
        pthread_mutex_lock(&g_lock);
}

void serve_session_open(const char *user, char token[SERVE_TOKEN_HEX + 1], char csrf[SERVE_TOKEN_HEX + 1])
{
    pthread_mutex_lock(&g_lock);
    session *s = session_new(user);
    snprintf(token, SERVE_TOKEN_HEX + 1, "%s", s->token);
    snprintf(csrf, SERVE_TOKEN_HEX + 1, "%s", s->csrf);
    pthread_mutex_unlock(&g_lock);
}

int serve_run(const serve_config *cfg, mf_err *e)
{
    struct MHD_Daemon *d = serve_start(cfg, true, e);
    if (!d)
        return -1;
    struct sigaction sig;
    memset(&sig, 0, sizeof sig);
    sig.sa_handler = on_signal;
    sigaction(SIGINT, &sig, NULL);
    sigaction(SIGTERM, &sig, NULL);
    signal(SIGPIPE, SIG_IGN);
    while (!g_stop)
        pause();
    fprintf(stderr, "mapforge serve: stopping\n");
    serve_stop(d);
    return 0;
}
