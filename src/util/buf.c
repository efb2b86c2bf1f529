/* buf.c — mf_buf: doubling growth, always terminated. */
#include "util/buf.h"
#include "util/err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_buf_reserve(mf_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = mf_xrealloc(b->data, cap);
    b->cap = cap;
}

void mf_buf_add(mf_buf *b, const void *p, size_t n)
{
    mf_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mf_buf_adds(mf_buf *b, const char *s)
{
    mf_buf_add(b, s, strlen(s));
}

void mf_buf_addc(mf_buf *b, char c)
{
    mf_buf_add(b, &c, 1);
}

void mf_buf_printf(mf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    mf_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mf_buf_clear(mf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mf_buf_free(mf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *mf_buf_str(const mf_buf *b)
{
    return b->data ? b->data : "";
}

const char *mf_shq(const char *s, char *buf, size_t n)
{
    bool plain = s[0] != 0;
    for (const char *c = s; *c && plain; c++)
        plain = isalnum((unsigned char)*c) || strchr("_./:=@%+,-", *c);
    if (plain || n < 3) {
        snprintf(buf, n, "%s", plain ? s : "''");
        return buf;
    }
    size_t k = 0;
    buf[k++] = '\'';
    for (const char *c = s; *c && k + 5 < n; c++) {
        if (*c == '\'') {
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *c;
        }
    }
    buf[k++] = '\'';
    buf[k] = 0;
    return buf;
}
