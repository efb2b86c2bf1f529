/* arena.h — bump allocation for things that live and die together (a plan, a mapping, a run).
 * Nothing allocated from an arena is freed on its own; arena_free releases everything at once. */
#ifndef MF_ARENA_H
#define MF_ARENA_H

#include <stddef.h>

typedef struct mf_arena_block mf_arena_block;
typedef struct mf_arena {
    mf_arena_block *head;
    size_t block_size;
} mf_arena;

void mf_arena_init(mf_arena *a);
void *mf_arena_alloc(mf_arena *a, size_t n);          /* zeroed, 16-byte aligned; exits on OOM */
char *mf_arena_strdup(mf_arena *a, const char *s);
char *mf_arena_strndup(mf_arena *a, const char *s, size_t n);
char *mf_arena_printf(mf_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mf_arena_free(mf_arena *a);

#endif
