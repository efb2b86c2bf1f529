/* serve_internal.h — private to src/serve: the request and response the pages work on, the
 * signed-in user, and the helpers that build escaped HTML.
 *
 * Invariants: every text that is not a literal of this program reaches a page through html_esc()
 * (or html_attr(), the same escaping); a handler never writes a header itself — serve.c adds the
 * security headers to every response; a handler that changes anything runs only after serve.c
 * checked the session, the CSRF token and the Origin.
 */
#ifndef MF_SERVE_INTERNAL_H
#define MF_SERVE_INTERNAL_H

#include "serve/serve.h"
#include "store/store.h"
#include "util/buf.h"

#include <stdbool.h>

#define SERVE_TOKEN_HEX 64   /* 32 random bytes, hex */

typedef struct serve_field {
    char *name, *value;               /* value: NUL-terminated, but a file's bytes may hold NULs (len) */
    size_t len;
    char *filename;                   /* a multipart file part's file name as sent (NULL otherwise) */
    bool borrowed;                    /* value points into the request's body (a multipart part): not freed */
} serve_field;

typedef struct serve_req {
    const char *method, *path;        /* path without the query */
    char ip[64];
    void *conn;                       /* struct MHD_Connection * */
    serve_field *form;                /* the url-encoded POST body, decoded */
    int nform;
    /* The signed-in user (user[0] == 0 when none). */
    char user[128];
    store_role role;
    char csrf[SERVE_TOKEN_HEX + 1];
} serve_req;

typedef struct serve_resp {
    int status;
    const char *ctype;                /* "text/html; charset=utf-8" when NULL */
    mf_buf body;
    char location[1024];              /* a redirect (303) when not "" */
    char cookie[3][512];              /* Set-Cookie values */
    int ncookies;
    char disposition[256];            /* Content-Disposition when not "" */
    char www_authenticate[128];       /* WWW-Authenticate (a 401) when not "" */
    long long sse_job;                /* answer with this job's server-sent events (jobs.h) */
} serve_resp;

/* The server's state, shared by the handlers (serve.c); every use of st is under the lock. */
typedef struct serve_state {
    serve_config cfg;
    store *st;
    bool tls;
    unsigned char metrics_token_hash[32];   /* BLAKE2b of the metrics bearer token */
    bool metrics_token;                     /* a token was configured */
} serve_state;

/* ---- serve.c ------------------------------------------------------------------------------------ */
struct MHD_Daemon;
/* Open the store and start the daemon (serve_run's first half): listen = true listens on cfg's
 * address with a thread per connection; listen = false takes only the connections handed to it by
 * MHD_add_connection and works when the caller runs MHD_run, on the caller's thread (the fuzz
 * target tests/fuzz/fuzz_serve.c).  NULL with e filled. */
struct MHD_Daemon *serve_start(const serve_config *cfg, bool listen, mf_err *e);
void serve_stop(struct MHD_Daemon *d);   /* stop it, close the store */
/* A session for user, as a sign-in opens one: the session cookie's token and the CSRF token. */
void serve_session_open(const char *user, char token[SERVE_TOKEN_HEX + 1], char csrf[SERVE_TOKEN_HEX + 1]);

/* ---- serve.c (helpers) ------------------------------------------------------------------------------------ */
const char *serve_query(const serve_req *r, const char *name);   /* a GET argument, NULL when absent */
const char *serve_form(const serve_req *r, const char *name);    /* a POST field, NULL when absent */
/* A file sent in a multipart POST (only POST /review/new may be multipart): its bytes, length and the
 * file name the browser sent (untrusted text); NULL when absent. */
const serve_field *serve_form_file(const serve_req *r, const char *name);
/* An audit event for a refused action (event "denied"), with the reason and the address. */
void serve_deny_audit(serve_state *s, const serve_req *r, const char *action, const char *client,
                      const char *reason);
void serve_redirect(serve_resp *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- html.c ------------------------------------------------------------------------------------- */
void html_esc(mf_buf *b, const char *s);          /* & < > " ' escaped; NULL = "" */
void html_escn(mf_buf *b, const char *s, size_t n);
void html_url(mf_buf *b, const char *s);          /* percent-encoded for a query value */
void html_printf(mf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));  /* literal markup only */
/* The page's head, navigation (with the sign-out form) and the end. */
void html_begin(mf_buf *b, const serve_req *r, const char *title);
void html_end(mf_buf *b);
/* A hidden input with the session's CSRF token. */
void html_csrf(mf_buf *b, const serve_req *r);
void html_error_page(serve_resp *o, const serve_req *r, int status, const char *message);

/* ---- pages.c ------------------------------------------------------------------------------------ */
/* flow_env.model_wait for a request's thread, which holds the store lock (pages.c sets it only on
 * the envs of handlers, which all run under it): released while the language model is asked (an
 * HTTP call of up to a minute and its retry), taken again after, so the web app's other requests
 * go on meanwhile (serve.c). */
void serve_model_wait(void *user, bool before);

/* Answer r into o: 1 handled, 0 no such page (404). */
int pages_get(serve_state *s, serve_req *r, serve_resp *o);
int pages_post(serve_state *s, serve_req *r, serve_resp *o);

/* ---- assets.c ----------------------------------------------------------------------------------- */
extern const char serve_css[], serve_js[];

#endif
