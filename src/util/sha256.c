/* sha256.c — thin wrapper over EVP so callers never see OpenSSL types. */
#include "util/sha256.h"
#include "util/err.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_sha256 {
    EVP_MD_CTX *ctx;
};

mf_sha256 *mf_sha256_new(void)
{
    mf_sha256 *h = mf_xmalloc(sizeof *h);
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "mapforge: libcrypto cannot initialise SHA-256\n");
        exit(1);
    }
    return h;
}

void mf_sha256_update(mf_sha256 *h, const void *p, size_t n)
{
    if (n && EVP_DigestUpdate(h->ctx, p, n) != 1) {
        fprintf(stderr, "mapforge: libcrypto SHA-256 update failed\n");
        exit(1);
    }
}

void mf_sha256_final_hex(mf_sha256 *h, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32) {
        fprintf(stderr, "mapforge: libcrypto SHA-256 final failed\n");
        exit(1);
    }
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void mf_sha256_field(mf_sha256 *h, const char *v)
{
    char len[32];
    if (!v)
        v = "";
    int n = snprintf(len, sizeof len, "%zu:", strlen(v));
    mf_sha256_update(h, len, (size_t)n);
    mf_sha256_update(h, v, strlen(v));
    mf_sha256_update(h, "\n", 1);
}

void mf_sha256_hex(const void *p, size_t n, char hex[65])
{
    mf_sha256 *h = mf_sha256_new();
    mf_sha256_update(h, p, n);
    mf_sha256_final_hex(h, hex);
}

int mf_sha256_file_hex(const char *path, char hex[65], unsigned long long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    mf_sha256 *h = mf_sha256_new();
    unsigned char buf[1 << 14];
    unsigned long long total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        mf_sha256_update(h, buf, n);
        total += n;
    }
    int bad = ferror(f);
    fclose(f);
    mf_sha256_final_hex(h, hex);
    if (size)
        *size = total;
    return bad ? -1 : 0;
}
