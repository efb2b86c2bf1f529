/* afile.c — temporary-then-rename output with a large write buffer. */
#include "util/afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AFILE_BUF (1u << 20)

int mf_afile_open(mf_afile *f, const char *path, mf_err *e)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    size_t n = strlen(path) + 64;
    f->tmp = mf_xmalloc(n);
    snprintf(f->tmp, n, "%.*s.%s.partial-%ld", (int)dirlen, path, path + dirlen, (long)getpid());
    f->path = mf_xstrdup(path);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        mf_fail(e, MF_EIO, path, 0, 0, "cannot create output file: %s", strerror(errno));
        free(f->tmp);
        free(f->path);
        f->tmp = f->path = NULL;
        return -1;
    }
    f->cap = AFILE_BUF;
    f->buf = mf_xmalloc(f->cap);
    return 0;
}

static int flush_buf(mf_afile *f, mf_err *e)
{
    size_t off = 0;
    while (off < f->len) {
        ssize_t k = write(f->fd, f->buf + off, f->len - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            f->failed = 1;
            return mf_fail(e, MF_EIO, f->path, 0, 0, "cannot write output file: %s", strerror(errno));
        }
        off += (size_t)k;
    }
    f->len = 0;
    return 0;
}

int mf_afile_write(mf_afile *f, const void *p, size_t n, mf_err *e)
{
    if (f->failed)
        return -1;
    if (f->len + n > f->cap && flush_buf(f, e) < 0)
        return -1;
    if (n > f->cap) {   /* larger than the buffer: write through */
        const char *s = p;
        while (n) {
            ssize_t k = write(f->fd, s, n);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                f->failed = 1;
                return mf_fail(e, MF_EIO, f->path, 0, 0, "cannot write output file: %s", strerror(errno));
            }
            s += k;
            n -= (size_t)k;
        }
        return 0;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
    return 0;
}

int mf_afile_puts(mf_afile *f, const char *s, mf_err *e)
{
    return mf_afile_write(f, s, strlen(s), e);
}

static void release(mf_afile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->buf);
    free(f->tmp);
    free(f->path);
    f->buf = f->tmp = f->path = NULL;
}

int mf_afile_commit(mf_afile *f, mf_err *e)
{
    if (!f->path)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "output file committed twice");
    int rc = 0;
    if (f->failed || flush_buf(f, e) < 0)
        rc = -1;
    else if (fsync(f->fd) < 0 && errno != EINVAL)
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot sync output file: %s", strerror(errno));
    if (close(f->fd) < 0 && rc == 0)
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot close output file: %s", strerror(errno));
    f->fd = -1;
    if (rc == 0 && rename(f->tmp, f->path) < 0)
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot rename output into place: %s", strerror(errno));
    if (rc < 0)
        unlink(f->tmp);
    release(f);
    return rc;
}

void mf_afile_abort(mf_afile *f)
{
    if (f->tmp) {
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        unlink(f->tmp);
    }
    release(f);
}

int mf_write_file_atomic(const char *path, const void *p, size_t n, mf_err *e)
{
    mf_afile f;
    if (mf_afile_open(&f, path, e) < 0)
        return -1;
    if (mf_afile_write(&f, p, n, e) < 0) {
        mf_afile_abort(&f);
        return -1;
    }
    return mf_afile_commit(&f, e);
}

char *mf_read_file(const char *path, size_t *len, mf_err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        mf_fail(e, MF_EIO, path, 0, 0, "cannot open file: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *data = mf_xmalloc(cap);
    size_t k;
    while ((k = fread(data + n, 1, cap - n - 1, fp)) > 0) {
        n += k;
        if (cap - n - 1 == 0) {
            cap *= 2;
            data = mf_xrealloc(data, cap);
        }
    }
    if (ferror(fp)) {
        mf_fail(e, MF_EIO, path, 0, 0, "cannot read file: %s", strerror(errno));
        fclose(fp);
        free(data);
        return NULL;
    }
    fclose(fp);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}
