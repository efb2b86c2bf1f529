/* err.c — filling, formatting and printing mf_err; checked allocation. */
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

int mf_vfail(mf_err *e, mf_code code, const char *file, long line, long col, const char *fmt, va_list ap)
{
    if (!e || e->code != MF_OK)
        return -1;
    e->code = code;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line;
    e->col = col;
    e->cell[0] = '\0';
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int mf_fail(mf_err *e, mf_code code, const char *file, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mf_vfail(e, code, file, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

int mf_fail_cell(mf_err *e, mf_code code, const char *file, const char *cell, const char *fmt, ...)
{
    if (!e || e->code != MF_OK)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    mf_vfail(e, code, file, 0, 0, fmt, ap);
    va_end(ap);
    snprintf(e->cell, sizeof e->cell, "%s", cell ? cell : "");
    return -1;
}

void mf_err_clear(mf_err *e)
{
    memset(e, 0, sizeof *e);
}

void mf_err_format(const mf_err *e, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(buf + used, used < n ? n - used : 0, __VA_ARGS__);                       \
        if (k_ > 0)                                                                                \
            used += (size_t)k_;                                                                    \
        if (used >= n)                                                                             \
            used = n - 1;                                                                          \
    } while (0)
    if (e->file[0]) {
        PUT("%s", e->file);
        if (e->cell[0])
            PUT(" [%s]", e->cell);
        else if (e->line > 0) {
            PUT(":%ld", e->line);
            if (e->col > 0)
                PUT(":%ld", e->col);
        }
        PUT(": ");
    }
    PUT("%s", e->msg);
#undef PUT
}

void mf_err_print(const mf_err *e, FILE *f)
{
    char buf[2048];
    mf_err_format(e, buf, sizeof buf);
    fprintf(f, "mapforge: %s\n", buf);
}

static void oom(size_t n)
{
    fprintf(stderr, "mapforge: out of memory (allocating %zu bytes)\n", n);
    exit(1);
}

void *mf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *mf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *mf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *mf_xstrdup(const char *s)
{
    return mf_xstrndup(s, strlen(s));
}

char *mf_xstrndup(const char *s, size_t n)
{
    char *p = mf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
