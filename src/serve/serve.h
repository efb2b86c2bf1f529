/* serve.h — the review web app (`mapforge serve`): an HTTP(S) server on libmicrohttpd over the
 * state store, with HTML, CSS and a little JavaScript built into the binary.
 *
 * Invariants: only routes this program defines answer (no file of the disk is served except a
 * run's rejects file the store names); every response carries a strict Content-Security-Policy,
 * X-Content-Type-Options, frame-ancestors 'none'; every state-changing request needs a signed-in
 * session, its CSRF token and a role allowing it, and goes through the workflow stage; every
 * refused action is an audit event.
 */
#ifndef MF_SERVE_H
#define MF_SERVE_H

#include "util/err.h"

#include <stdbool.h>

typedef struct serve_config {
    const char *store_where;   /* store_location() */
    const char *home;          /* the state directory (warehouse.db...) */
    const char *bind;          /* NULL = 127.0.0.1 */
    int port;                  /* 0 = 8321 */
    bool four_eyes;
    const char *tls_cert, *tls_key;   /* both or neither: PEM files */
    const char *webhook;       /* NULL = none */
    const char *metrics_token_file;   /* GET /metrics with "Authorization: Bearer <its content>"; NULL = none */
    int session_seconds;       /* idle expiry; 0 = 1800 */
    double rate;               /* requests per second per address (burst 10x); 0 = 20 */
    int max_failures;          /* failed sign-ins before a lock-out; 0 = 5 */
    int lock_seconds;          /* the lock-out; 0 = 300 */
    /* The language model asked about feedback the rule reader cannot read (flow/propose.c): its edits
     * wait for a reviewer's Accept.  NULL: none is configured. */
    const struct llm_config *llm;
} serve_config;

/* Serve until SIGINT / SIGTERM.  -1 with e filled when the server cannot start. */
int serve_run(const serve_config *c, mf_err *e);

/* True when addr is a loopback address (127.0.0.0/8, ::1, localhost). */
bool serve_is_loopback(const char *addr);

#endif
