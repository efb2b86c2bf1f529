/* utf8.h — the few UTF-8 operations every stage needs.  Character = Unicode code point. */
#ifndef MF_UTF8_H
#define MF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Offset of the first invalid byte, or n when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
size_t mf_utf8_invalid_at(const char *s, size_t n);
/* Decode one code point at s (n > 0, valid UTF-8 assumed); returns its byte length. */
int mf_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encode cp into out (4 bytes room); returns byte length. */
int mf_utf8_encode(uint32_t cp, char *out);
/* Number of code points in valid UTF-8. */
size_t mf_utf8_count(const char *s, size_t n);
/* Byte offset of the k-th code point (or n when fewer than k). */
size_t mf_utf8_offset(const char *s, size_t n, size_t k);

#endif
