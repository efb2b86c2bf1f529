/* afile.h — output files that appear whole or not at all.
 *
 * mf_afile_open writes to a hidden temporary beside the target (".NAME.partial-PID"); commit
 * flushes, fsyncs and renames it over the target; abort unlinks it.  A process killed midway
 * leaves only the temporary, never a half-written file under the real name.  Writes are buffered
 * (4 MiB) so callers may write cell by cell.  A file that outgrows the buffer is written with
 * O_DIRECT where the file system allows it (see afile.c): no copy into the page cache. */
#ifndef MF_AFILE_H
#define MF_AFILE_H

#include "util/err.h"

#include <stddef.h>

typedef struct mf_afile {
    int fd;
    char *path;      /* final name */
    char *tmp;       /* temporary name */
    char *buf;
    size_t len, cap;
    int failed;      /* a write failed; commit will report it */
    int direct;      /* the descriptor has O_DIRECT set (large files only) */
    unsigned long long written;   /* bytes written to fd so far */
    int sealed;      /* complete on disk under tmp, waiting for mf_afile_publish */
    /* Set after mf_afile_open (NULL = none): shown every byte mf_afile_write accepts, in order
     * (write/run.c: the output CSV shown to the checks as it is written). */
    void (*tee)(void *user, const void *p, size_t n);
    void *tee_user;
} mf_afile;

int mf_afile_open(mf_afile *f, const char *path, mf_err *e);
int mf_afile_write(mf_afile *f, const void *p, size_t n, mf_err *e);
int mf_afile_puts(mf_afile *f, const char *s, mf_err *e);
int mf_afile_commit(mf_afile *f, mf_err *e);   /* seal + publish; closes f in all cases */
/* Two halves of commit, for outputs published together as a set (write/run.c): seal flushes,
 * fsyncs and closes the temporary (on failure it is removed and f released); publish renames a
 * sealed temporary into place.  abort works on a sealed file too. */
int mf_afile_seal(mf_afile *f, mf_err *e);
int mf_afile_publish(mf_afile *f, mf_err *e);
void mf_afile_abort(mf_afile *f);              /* closes f, removes the temporary; safe twice */

/* Remove the temporaries that killed processes left in dir (".NAME.partial-PID" whose PID no
 * longer runs).  Returns how many were removed. */
int mf_afile_sweep(const char *dir);

/* Write a whole buffer atomically. */
int mf_write_file_atomic(const char *path, const void *p, size_t n, mf_err *e);
/* Read a whole file (NUL-terminated); *len may be NULL. */
char *mf_read_file(const char *path, size_t *len, mf_err *e);

#endif
