/* arena.c — a list of blocks; allocation bumps a pointer in the newest block. */
#include "util/arena.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_arena_block {
    mf_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void mf_arena_init(mf_arena *a)
{
    a->head = NULL;
    a->block_size = 64 * 1024;
}

void *mf_arena_alloc(mf_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->block_size)
        a->block_size = 64 * 1024;
    mf_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        b = mf_xmalloc(sizeof *b + size);
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *mf_arena_strndup(mf_arena *a, const char *s, size_t n)
{
    char *p = mf_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mf_arena_strdup(mf_arena *a, const char *s)
{
    return mf_arena_strndup(a, s, strlen(s));
}

char *mf_arena_printf(mf_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = mf_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void mf_arena_free(mf_arena *a)
{
    mf_arena_block *b = a->head;
    while (b) {
        mf_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
