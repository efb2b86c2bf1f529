/* sha256.h — SHA-256 through OpenSSL's libcrypto, as lowercase hex. */
#ifndef MF_SHA256_H
#define MF_SHA256_H

#include <stddef.h>

typedef struct mf_sha256 mf_sha256;     /* incremental */
mf_sha256 *mf_sha256_new(void);
void mf_sha256_update(mf_sha256 *h, const void *p, size_t n);
void mf_sha256_final_hex(mf_sha256 *h, char hex[65]);   /* also frees h */

/* Add one field unambiguously ("LEN:" value "\n"; NULL counts as ""), so that a sequence of
 * fields hashes differently from any other split of the same bytes. */
void mf_sha256_field(mf_sha256 *h, const char *v);

void mf_sha256_hex(const void *p, size_t n, char hex[65]);
/* Hash a whole file; returns -1 with errno set on I/O failure. size may be NULL. */
int mf_sha256_file_hex(const char *path, char hex[65], unsigned long long *size);

#endif
