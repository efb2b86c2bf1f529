/* html.c — the HTML the pages are made of: escaping, the page frame, the CSRF field.
 *
 * Invariants: html_esc() turns every character that could end a text or an attribute (& < > " ')
 * into an entity, so any text escaped with it stays text wherever it lands in the markup;
 * html_printf() is for this program's literal markup only — it never receives outside text; the
 * frame links the built-in stylesheet and script (no inline script, no CDN).
 */
#include "serve/serve_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void html_escn(mf_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        switch (s[i]) {
        case '&': mf_buf_adds(b, "&amp;"); break;
        case '<': mf_buf_adds(b, "&lt;"); break;
        case '>': mf_buf_adds(b, "&gt;"); break;
        case '"': mf_buf_adds(b, "&quot;"); break;
        case '\'': mf_buf_adds(b, "&#39;"); break;
        case 0: break;
        default: mf_buf_addc(b, s[i]);
        }
    }
}

void html_esc(mf_buf *b, const char *s)
{
    if (s)
        html_escn(b, s, strlen(s));
}

void html_url(mf_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~')
            mf_buf_addc(b, (char)*p);
        else {
            mf_buf_addc(b, '%');
            mf_buf_addc(b, hex[*p >> 4]);
            mf_buf_addc(b, hex[*p & 15]);
        }
    }
}

void html_printf(mf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[4096];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        mf_buf_add(b, tmp, (size_t)n);
        return;
    }
    mf_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void html_csrf(mf_buf *b, const serve_req *r)
{
    html_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    html_esc(b, r->csrf);
    html_printf(b, "\">");
}

void html_begin(mf_buf *b, const serve_req *r, const char *title)
{
    html_printf(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    html_esc(b, title);
    html_printf(b, " — mapforge</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
                   "<script src=\"/static/app.js\" defer></script></head><body><header><a class=\"brand\" "
                   "href=\"/\">mapforge</a>");
    if (r && r->user[0]) {
        html_printf(b, "<nav><a href=\"/\">Dashboard</a><a href=\"/clients\">Clients</a><a href=\"/runs\">Runs</a>"
                       "<a href=\"/cache\">Cache</a><a href=\"/audit\">Audit trail</a></nav><div class=\"who\">"
                       "<span id=\"who\">");
        html_esc(b, r->user);
        html_printf(b, "</span> <span class=\"role\">%s</span><form method=\"post\" action=\"/logout\">",
                    store_role_name(r->role));
        html_csrf(b, r);
        html_printf(b, "<button type=\"submit\" id=\"signout\">Sign out</button></form></div>");
    }
    html_printf(b, "</header><main>");
}

void html_end(mf_buf *b)
{
    html_printf(b, "</main></body></html>\n");
}

void html_error_page(serve_resp *o, const serve_req *r, int status, const char *message)
{
    o->status = status;
    mf_buf_clear(&o->body);
    o->location[0] = 0;
    html_begin(&o->body, r, "Error");
    html_printf(&o->body, "<h1>%d</h1><p class=\"error\" id=\"error\">", status);
    html_esc(&o->body, message);
    html_printf(&o->body, "</p>");
    html_end(&o->body);
}
