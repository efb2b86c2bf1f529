/* err.h — the one error convention of mapforge.
 *
 * A failing function fills an mf_err once, where the failure is found, and returns -1 (or NULL).
 * The first failure wins: mf_fail() leaves an already-filled error untouched, so callers may add
 * nothing and simply propagate.  The error names the file, the line and column (or cell such as
 * "Mapping!C7") and says what was expected.  The CLI prints it as
 *     mapforge: FILE:LINE:COL: MESSAGE
 * and maps the code to an exit status.
 */
#ifndef MF_ERR_H
#define MF_ERR_H

#include <stdarg.h>
#include <stdio.h>

typedef enum mf_code {
    MF_OK = 0,
    MF_EIO,        /* a file cannot be opened, read or written */
    MF_EFORMAT,    /* a file is not what it should be (not a zip, malformed XML, bad encoding) */
    MF_EPARSE,     /* a plan or mapping does not parse */
    MF_ETYPE,      /* a plan does not type-check */
    MF_EDATA,      /* the data does not fit the plan (no matching columns, ...) */
    MF_EUSAGE,     /* bad command line */
    MF_ENOMEM,     /* out of memory */
    MF_EQUESTION,  /* the plan has open questions and cannot run unattended */
    MF_ELIMIT,     /* a limit was exceeded (a record longer than the maximum, ...) */
    MF_EINTR,      /* stopped by SIGINT / SIGTERM (util/interrupt.h): temporaries removed, nothing published */
    MF_EREVIEW,    /* no approved plan fits this input: a person must review one (a cache miss on run --client) */
    MF_ENOTFOUND,  /* the store has no such thing (review, run, version) */
    MF_ECONFLICT,  /* the action does not fit the current state (approving a rejected review, ...) */
    MF_EREFUSED    /* the action is not allowed (approval with open questions, the four-eyes rule) */
} mf_code;

typedef struct mf_err {
    mf_code code;
    char file[512];   /* path of the file at fault, "" when none */
    long line;        /* 1-based, 0 when not applicable */
    long col;         /* 1-based, 0 when not applicable */
    char cell[64];    /* spreadsheet cell such as "Mapping!C7", "" when not applicable */
    char msg[1024];
} mf_err;

/* Fill e (unless already filled) and return -1.  file may be NULL. */
int mf_fail(mf_err *e, mf_code code, const char *file, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int mf_vfail(mf_err *e, mf_code code, const char *file, long line, long col, const char *fmt, va_list ap);
/* Same, for a spreadsheet cell: cell like "Mapping!C7". */
int mf_fail_cell(mf_err *e, mf_code code, const char *file, const char *cell, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void mf_err_clear(mf_err *e);
/* "FILE:LINE:COL: MESSAGE" (parts omitted when absent) into buf. */
void mf_err_format(const mf_err *e, char *buf, size_t n);
/* Print "mapforge: <formatted>\n" to f. */
void mf_err_print(const mf_err *e, FILE *f);

/* Abort-free allocation helpers: on failure they print and exit(1); out of memory is not a
 * condition the tool recovers from. */
void *mf_xmalloc(size_t n);
void *mf_xcalloc(size_t n, size_t size);
void *mf_xrealloc(void *p, size_t n);
char *mf_xstrdup(const char *s);
char *mf_xstrndup(const char *s, size_t n);

#endif
