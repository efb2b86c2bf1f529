/* csv.h — reading client files: dialect detection and a streaming, block-at-a-time CSV reader.
 *
 * The reader converts the input to UTF-8 as it reads (UTF-8 with/without BOM, Windows-1252,
 * Latin-1, UTF-16 LE/BE with BOM), skips preamble lines before the header, and hands out records
 * in blocks: one call parses up to CSV_BLOCK_ROWS records into arrays of (pointer, length) fields.
 * A block owns its memory (the record text and the arrays), so several blocks may be alive at
 * once (one being parsed while another is transformed on another thread); its pointers stay
 * valid until that block is passed to csv_read_block again or freed.  No allocation per cell or
 * per row: a block reuses its buffers.  Memory is bounded by the block size and the longest record (CSV_MAX_RECORD).
 *
 * Errors (mf_err, -1) name the file and the line: invalid UTF-8 or a NUL byte, an unterminated
 * quote, a record longer than CSV_MAX_RECORD or of more than CSV_MAX_FIELDS fields, a header of more than CSV_MAX_COLUMNS fields.  A ragged record (field count differs from the
 * header) is not an error: it is returned with its count and the engine rejects it.
 */
#ifndef MF_CSV_H
#define MF_CSV_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum csv_encoding {
    CSV_UTF8 = 0,
    CSV_UTF8_BOM,
    CSV_CP1252,      /* Windows-1252 (a superset of Latin-1's printable range) */
    CSV_LATIN1,      /* ISO-8859-1 */
    CSV_UTF16LE,     /* with BOM */
    CSV_UTF16BE      /* with BOM */
} csv_encoding;

typedef struct csv_dialect {
    char delimiter;        /* ',', ';', '|', '\t' */
    char quote;            /* '"', or 0 when the file uses no quoting */
    csv_encoding encoding;
    long header_line;      /* 1-based physical line (after decoding) of the header row */
    int ncols;             /* fields in the header row (filled by csv_detect) */
    bool uncached;         /* read with O_DIRECT (source.h, src_uncached): a file just written with
                              O_DIRECT, re-read once (check/builtin.c) */
} csv_dialect;

#define CSV_BLOCK_ROWS 4096
#define CSV_MAX_RECORD (64L * 1024 * 1024)   /* one record may not exceed 64 MiB */
#define CSV_MAX_COLUMNS 16384                /* fields of the header row (Excel's widest sheet) */
#define CSV_MAX_FIELDS 65536                 /* fields of any one record (4 x the widest header): bounds the
                                                field arrays, 17 bytes per field, whatever the record holds */

const char *csv_encoding_name(csv_encoding enc);           /* "UTF-8", "UTF-8 with BOM", "Windows-1252", ... */
int csv_encoding_parse(const char *name, csv_encoding *out); /* inverse; -1 when unknown */
const char *csv_delimiter_name(char d);                   /* "comma", "semicolon", "pipe", "tab" */

/* Detect encoding, delimiter, quoting and the header line from the start of the file. */
int csv_detect(const char *path, csv_dialect *out, mf_err *e);

typedef struct csv_reader csv_reader;

/* Open with a known dialect; positions after the header row (d->header_line).  Lines before it
 * are the preamble and are not records. */
csv_reader *csv_open(const char *path, const csv_dialect *d, mf_err *e);
void csv_close(csv_reader *r);

/* The header's names (UTF-8, unquoted, trimmed of surrounding spaces) and their count. */
int csv_header(const csv_reader *r, const char *const **names);

typedef struct csv_block {
    size_t nrows;
    /* per record */
    long *line;            /* physical line where the record starts (1-based, in the file) */
    uint32_t *first;       /* index of its first field in fptr/flen */
    uint32_t *nfields;
    const char **raw;      /* the record's text as read (UTF-8), without the line ending */
    uint32_t *raw_len;
    /* per field: unquoted value (doubled quotes collapsed); not NUL-terminated */
    const char **fptr;
    uint32_t *flen;
    uint8_t *fquoted;      /* 1 when the field was quoted in the file */
    void *priv;            /* the block's own storage (reader-private) */
} csv_block;

void csv_block_init(csv_block *b);   /* an empty block (all zero) */
void csv_block_free(csv_block *b);

/* Fill b with up to CSV_BLOCK_ROWS records.  Returns the number of records (0 at end), or -1.
 * Blank lines inside the data are skipped (not records). */
long csv_read_block(csv_reader *r, csv_block *b, mf_err *e);

/* Bytes of input consumed so far and total file size (for progress and benchmarks). */
unsigned long long csv_bytes_read(const csv_reader *r);
unsigned long long csv_file_size(const csv_reader *r);

#endif
