/* http.h — one HTTP request with a JSON body, over libcurl: the client the Livy submitter
 * (write/livy.c) speaks through.
 *
 * Invariants:
 *   - the bearer token is sent only in the Authorization header; no message written here holds
 *     it (errors name the method, the URL and what failed), and curl's verbose output is off;
 *   - a response body larger than MF_HTTP_MAX_BODY bytes is refused, never kept whole;
 *   - any HTTP status is an answer (0 returned, the status given back): what a status means is
 *     the caller's to say.  -1 only when no answer came (unreachable, timed out, cut off).
 * The language-model client (llm/call.c) keeps its own transfer: it streams server-sent events,
 * honours Retry-After and caps answers for its own reasons.
 */
#ifndef MF_HTTP_H
#define MF_HTTP_H

#include "util/buf.h"
#include "util/err.h"

#define MF_HTTP_MAX_BODY (16L * 1024 * 1024)

typedef struct mf_http_request {
    const char *method;      /* "GET", "POST", "DELETE" */
    const char *url;
    const char *bearer;      /* NULL or "": no Authorization header */
    const char *json_body;   /* NULL: no body */
    long timeout_ms;         /* the whole request; 0 = 60 s */
} mf_http_request;

/* Send r; *status gets the HTTP status and body the response body (appended).  Returns 0 when the
 * server answered (any status), -1 with e filled (MF_EIO) when it did not. */
int mf_http_send(const mf_http_request *r, long *status, mf_buf *body, mf_err *e);

#endif
