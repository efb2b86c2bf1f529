/* source.h — internal to read/: the byte source under the CSV reader and the dialect detector.
 *
 * A csv_source reads a file in chunks and hands out valid UTF-8 text, whatever the file's
 * encoding: UTF-8 is read straight into the caller's buffer and validated in place; Windows-1252,
 * Latin-1 and UTF-16 are read into a private raw buffer and decoded.  Byte-order marks are
 * skipped.  Invariants:
 *   - every byte src_fill returns is valid UTF-8 and not NUL;
 *   - on a fault (invalid byte, NUL, bad UTF-16, read error) src_fill first returns the valid
 *     text before the fault, then 0 with s->fault set; the fault sits right after the last byte
 *     returned, which lets the caller name its line and column;
 *   - a multi-byte sequence split across reads is held back (s->pend), never reported as a fault.
 */
#ifndef MF_READ_SOURCE_H
#define MF_READ_SOURCE_H

#include "read/csv.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum src_fault { SRC_OK = 0, SRC_BAD_UTF8, SRC_NUL, SRC_BAD_UTF16, SRC_IO } src_fault;

typedef struct csv_source {
    int fd;
    csv_encoding enc;
    unsigned char *raw;              /* undecoded bytes (non-UTF-8 encodings only) */
    size_t raw_cap, raw_pos, raw_len;
    unsigned char pend[4];           /* UTF-8: an incomplete sequence at the end of the last read */
    size_t npend;
    bool file_eof;                   /* read() returned 0 */
    bool eof;                        /* and everything has been delivered */
    bool started;                    /* the byte-order mark has been looked at */
    src_fault fault;
    unsigned fault_byte;             /* the offending byte (or code unit) */
    int fault_errno;
    unsigned long long consumed;     /* bytes read from the file so far */
    unsigned long long size;         /* file size (0 if unknown) */
    bool direct;                     /* src_uncached: reads go through dbuf with O_DIRECT */
    unsigned char *dbuf;             /* DIRECT_CAP bytes, 4 KiB-aligned; dbuf[dpos..dlen) not yet handed out */
    size_t dpos, dlen;
} csv_source;

/* Open path for reading as enc.  -1 with e filled (MF_EIO) when it cannot be opened. */
int src_open(csv_source *s, const char *path, csv_encoding enc, mf_err *e);
/* Read the file from here on with O_DIRECT into a private aligned buffer, copied out from there:
 * for a file known not to be in the page cache (an output just written with O_DIRECT), so reading
 * it back does not fill fresh page-cache pages (expensive in a VM).  Call right after src_open.
 * Files under 4 MiB (written through the page cache by util/afile.c) stay on plain read().
 * Where the file system refuses O_DIRECT, or a read is refused (EINVAL: an unaligned offset after
 * a short read), the source silently goes back to plain read(). */
void src_uncached(csv_source *s);
/* Write up to cap (>= 16) bytes of UTF-8 into dst.  Returns the count; 0 means end of file
 * (s->eof) or a fault (s->fault != SRC_OK). */
size_t src_fill(csv_source *s, char *dst, size_t cap);
void src_close(csv_source *s);

/* Open path positioned at the first line start at or after byte offset (the byte after the
 * next newline; offset 0 is the file's start).  Used to sample records spread across a file.
 * When no newline follows, the source is at its end. */
int src_open_at(csv_source *s, const char *path, csv_encoding enc, unsigned long long offset, mf_err *e);

/* Reader entry points for read/ itself (profile.c), beyond csv.h. */
/* A reader positioned at the first line start after offset, with no header row read: records
 * have d->ncols expected fields, and their line numbers are unknown (0). */
csv_reader *csv_open_at(const char *path, const csv_dialect *d, unsigned long long offset, mf_err *e);
/* csv_read_block limited to maxrows records. */
long csv_read_records(csv_reader *r, csv_block *b, size_t maxrows, mf_err *e);

/* Offset of the first byte of s[0..n) that is not valid UTF-8 or is NUL; n when none. */
size_t src_utf8_check(const unsigned char *s, size_t n);

/* Fill e for a fault found at (line, col) of file path. */
int src_fault_error(const csv_source *s, const char *path, long line, long col, mf_err *e);

#endif
