/* afile.c — temporary-then-rename output with a large write buffer.
 *
 * Large outputs bypass the page cache.  Once a file fills its buffer once (it is large), the
 * descriptor gets O_DIRECT and whole 4 KiB-aligned stretches of the (4 KiB-aligned) buffer are
 * written straight to the device; the unaligned rest stays at the buffer's start.  Why: copying
 * a gigabyte into fresh page-cache pages cost more CPU than the whole CSV parse on the benchmark
 * machine (a VM, where first-touched pages are expensive), and the fsync at commit then had the
 * whole file left to write.  With O_DIRECT the data is on the device as it goes and commit's
 * fsync is cheap.  Where O_DIRECT is refused (tmpfs, some network file systems: fcntl or the
 * first write fails with EINVAL) the file is simply written through the page cache.  The tail
 * (less than 4 KiB) is written at commit with O_DIRECT cleared.
 * Invariant: while f->direct, f->written is a multiple of AFILE_ALIGN.
 */
#include "util/afile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <signal.h>

#define AFILE_BUF (4u << 20)
#define AFILE_ALIGN 4096u

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
    void *buf = NULL;
    if (posix_memalign(&buf, AFILE_ALIGN, f->cap) != 0) {
        fprintf(stderr, "mapforge: out of memory\n");
        abort();
    }
    f->buf = buf;
    return 0;
}

/* Turn O_DIRECT on or off; false when the file system refuses it. */
static bool set_direct(mf_afile *f, bool on)
{
    int fl = fcntl(f->fd, F_GETFL);
    if (fl < 0 || fcntl(f->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) < 0)
        return false;
    f->direct = on;
    return true;
}

static int write_all(mf_afile *f, const char *p, size_t n, mf_err *e)
{
    while (n) {
        ssize_t k = write(f->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EINVAL && f->direct && set_direct(f, false))
                continue;   /* O_DIRECT accepted by fcntl but not by write: go through the cache */
            f->failed = 1;
            return mf_fail(e, MF_EIO, f->path, 0, 0, "cannot write output file: %s", strerror(errno));
        }
        p += k;
        n -= (size_t)k;
        f->written += (unsigned long long)k;
    }
    return 0;
}

/* Write the buffer out.  Not final: with O_DIRECT only the aligned part, the rest moves to the
 * buffer's start.  Final: everything, with O_DIRECT off. */
static int flush_buf(mf_afile *f, bool final, mf_err *e)
{
    if (!final && !f->direct && f->len == f->cap)
        set_direct(f, true);   /* a large file: from now on past the page cache, when allowed */
    if (final && f->direct)
        set_direct(f, false);
    size_t n = f->len;
    if (f->direct)
        n -= n % AFILE_ALIGN;
    if (write_all(f, f->buf, n, e) < 0)
        return -1;
    if (f->direct && f->written % AFILE_ALIGN)   /* fell back to buffered writes midway */
        set_direct(f, false);
    memmove(f->buf, f->buf + n, f->len - n);
    f->len -= n;
    return 0;
}

int mf_afile_write(mf_afile *f, const void *p, size_t n, mf_err *e)
{
    if (f->failed)
        return -1;
    if (f->tee && n)
        f->tee(f->tee_user, p, n);
    const char *s = p;
    while (n) {
        if (f->len == f->cap && flush_buf(f, false, e) < 0)
            return -1;
        size_t k = f->cap - f->len < n ? f->cap - f->len : n;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        s += k;
        n -= k;
    }
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
    f->sealed = 0;
}

int mf_afile_seal(mf_afile *f, mf_err *e)
{
    if (!f->path || f->sealed)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "output file sealed twice");
    int rc = 0;
    if (f->failed || flush_buf(f, true, e) < 0)
        rc = -1;
    else if (fsync(f->fd) < 0 && errno != EINVAL)
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot sync output file: %s", strerror(errno));
    if (close(f->fd) < 0 && rc == 0)
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot close output file: %s", strerror(errno));
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    if (rc < 0) {
        unlink(f->tmp);
        release(f);
        return -1;
    }
    f->sealed = 1;
    return 0;
}

int mf_afile_publish(mf_afile *f, mf_err *e)
{
    if (!f->path || !f->sealed)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "output file published before it was sealed");
    int rc = 0;
    if (rename(f->tmp, f->path) < 0) {
        rc = mf_fail(e, MF_EIO, f->path, 0, 0, "cannot rename output into place: %s", strerror(errno));
        unlink(f->tmp);
    }
    release(f);
    return rc;
}

int mf_afile_commit(mf_afile *f, mf_err *e)
{
    if (!f->path)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "output file committed twice");
    if (mf_afile_seal(f, e) < 0)
        return -1;
    return mf_afile_publish(f, e);
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

/* Whether the process that named a partial file may still be writing it.  kill(pid, 0) alone is
 * not enough: a writer killed while its parent was killed too (a batch's worker) stays a zombie
 * when the container's init does not reap orphans, and kill() still finds it; and process ids
 * are reused (pid_max may be 32768).  So a process counts as the writer only when it exists, is
 * not a zombie, and started no later than the file was last changed.  Where /proc cannot tell
 * (not Linux, or no access), the process is taken as alive: a partial file is kept, never a
 * live writer's file removed. */
static bool writer_alive(pid_t pid, const char *path)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    char name[64];
    snprintf(name, sizeof name, "/proc/%ld/stat", (long)pid);
    FILE *fp = fopen(name, "r");
    if (!fp)
        return true;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');   /* the command name may hold spaces and parentheses */
    if (!p || p[1] != ' ')
        return true;
    char state = p[2];
    if (state == 'Z' || state == 'X')
        return false;
    /* field 22: start time in clock ticks since boot; fields 3.. follow the ')' */
    unsigned long long start = 0;
    const char *q = p + 2;
    for (int field = 3; field < 22 && q; field++) {
        q = strchr(q, ' ');
        if (q)
            q++;
    }
    if (!q || sscanf(q, "%llu", &start) != 1)
        return true;
    FILE *sf = fopen("/proc/stat", "r");
    if (!sf)
        return true;
    char line[256];
    unsigned long long btime = 0;
    while (fgets(line, sizeof line, sf))
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    fclose(sf);
    long hz = sysconf(_SC_CLK_TCK);
    struct stat st;
    if (!btime || hz <= 0 || stat(path, &st) != 0)
        return true;
    unsigned long long started = btime + start / (unsigned long long)hz;
    return started <= (unsigned long long)st.st_mtime + 1;   /* a process newer than the file is not its writer */
}

int mf_afile_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *tag = strstr(de->d_name, ".partial-");
        if (de->d_name[0] != '.' || !tag)
            continue;
        char *end;
        long pid = strtol(tag + 9, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid())
            continue;
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *path = mf_xmalloc(n);
        snprintf(path, n, "%s/%s", dir, de->d_name);
        if (!writer_alive((pid_t)pid, path) && unlink(path) == 0)
            removed++;
        free(path);
    }
    closedir(d);
    return removed;
}
