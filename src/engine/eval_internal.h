/* eval_internal.h — what the engine's files share: the worker's layout and small helpers.
 * Not for use outside src/engine/. */
#ifndef MF_EVAL_INTERNAL_H
#define MF_EVAL_INTERNAL_H

#include "engine/engine.h"

typedef struct eng_chunk {
    struct eng_chunk *next;
    char data[];
} eng_chunk;

typedef struct eng_scratch {
    char *buf;
    size_t len, cap;
    eng_chunk *over;          /* overflow chunks taken since the last reset */
    size_t over_bytes;
} eng_scratch;

/* Formatted dates, direct-mapped by day number: a file's dates repeat, and a hit costs one
 * compare and a 16-byte copy instead of a calendar conversion. */
#define ENG_DATE_CACHE 1024
typedef struct eng_date_text {
    int32_t days;             /* INT32_MIN = empty */
    uint8_t len;
    char text[11];
} eng_date_text;

/* Parsed dates, direct-mapped by y/m/d: a file's dates repeat, and a hit skips the calendar
 * check and conversion. */
typedef struct eng_date_key {
    int32_t key;              /* y * 512 + m * 32 + d; -1 = empty */
    int32_t days;
} eng_date_key;

struct eng_worker {
    const eng_program *g;
    eng_val *regs;            /* g->nregs */
    eng_val *cols;            /* the record's column values, g->ncols */
    eng_scratch scratch;
    mf_buf reason;            /* last reject reason */
    int reject_col;           /* column named by the reason, -1 = none */
    eng_date_text *dates;     /* ENG_DATE_CACHE entries */
    eng_date_key *parsed;     /* ENG_DATE_CACHE entries */
};

/* Decimal text of i into out (24 bytes of room); returns its length. */
int eng_format_int(int64_t i, char *out);
/* Canonical text of v: into buf (64 bytes) when it is not text; *p is set; 0 for null. */
size_t eng_canonical(const eng_val *v, char *buf, const char **p);
/* Fill the worker's date cache with empty entries (eval.c calls it when creating a worker). */
void eng_date_cache_init(eng_worker *w);
/* A read-as-date step: in->s is the pattern (or "ISO"/"EXCEL"), in->n the pivot. */
bool eng_parse_date(eng_worker *w, const eng_ins *in, const char *s, size_t n, int32_t *days);

#endif
