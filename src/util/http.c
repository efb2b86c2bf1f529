/* http.c — mf_http_send: one request, the whole answer read into a buffer (see http.h). */
#include "util/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);   /* reference-counted: llm/call.c may call it too */
}

typedef struct sink {
    mf_buf *body;
    size_t got;
    int too_big;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    if (s->got + len > (size_t)MF_HTTP_MAX_BODY) {
        s->too_big = 1;
        return 0;   /* cuts the transfer */
    }
    mf_buf_add(s->body, p, len);
    s->got += len;
    return len;
}

int mf_http_send(const mf_http_request *r, long *status, mf_buf *body, mf_err *e)
{
    *status = 0;
    pthread_once(&curl_once, curl_init_once);
    CURL *h = curl_easy_init();
    if (!h)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot start an HTTP client (libcurl)");
    struct curl_slist *hd = curl_slist_append(NULL, "Accept: application/json");
    if (r->json_body)
        hd = curl_slist_append(hd, "Content-Type: application/json");
    /* Livy's CSRF protection (livy.server.csrf-protection.enabled) wants this header on every
     * request that changes state; servers without it ignore it */
    hd = curl_slist_append(hd, "X-Requested-By: mapforge");
    if (r->bearer && *r->bearer) {
        size_t n = strlen(r->bearer) + 32;
        char *auth = mf_xmalloc(n);
        snprintf(auth, n, "Authorization: Bearer %s", r->bearer);
        hd = curl_slist_append(hd, auth);
        memset(auth, 0, n);
        free(auth);
    }
    sink s = {body, 0, 0};
    long timeout = r->timeout_ms > 0 ? r->timeout_ms : 60000;
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->json_body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->json_body);
    else if (!strcmp(r->method, "GET"))
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mapforge");
    /* a redirect must not carry the token to another host */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    if (s.too_big)
        return mf_fail(e, MF_ELIMIT, NULL, 0, 0, "%s %s: the answer is larger than %ld bytes: refused", r->method,
                       r->url, MF_HTTP_MAX_BODY);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "%s %s: no answer within %ld s", r->method, r->url, timeout / 1000);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "%s %s: cannot reach the server: %s (is the URL right and the service up?)",
                       r->method, r->url, curl_easy_strerror(rc));
    if (rc != CURLE_OK)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "%s %s: %s", r->method, r->url, curl_easy_strerror(rc));
    return 0;
}
