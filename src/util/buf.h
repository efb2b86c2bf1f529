/* buf.h — a growable byte buffer (always NUL-terminated) used wherever text is built. */
#ifndef MF_BUF_H
#define MF_BUF_H

#include <stddef.h>

typedef struct mf_buf {
    char *data;   /* NULL until first append; then NUL-terminated */
    size_t len, cap;
} mf_buf;

void mf_buf_reserve(mf_buf *b, size_t extra);
void mf_buf_add(mf_buf *b, const void *p, size_t n);
void mf_buf_adds(mf_buf *b, const char *s);
void mf_buf_addc(mf_buf *b, char c);
void mf_buf_printf(mf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mf_buf_clear(mf_buf *b);                /* len = 0, keeps memory */
void mf_buf_free(mf_buf *b);
const char *mf_buf_str(const mf_buf *b);     /* "" when empty */

/* s as one shell word (unchanged when it needs no quoting, else in single quotes), for the commands
 * that messages suggest; buf of n bytes (a path longer than fits is cut).  Returns buf. */
const char *mf_shq(const char *s, char *buf, size_t n);

#endif
