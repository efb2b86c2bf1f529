/* parquet.h — writing the native engine's output as an Apache Parquet file.
 *
 * A writer written in the project (no Parquet library is packaged for C), from the format
 * specification (parquet-format: parquet.thrift, Encodings.md).  What it writes:
 *   - a flat schema: one OPTIONAL leaf per plan output column (nulls as definition levels,
 *     RLE/bit-packed hybrid with bit width 1);
 *   - the plan's types as physical + logical types (with the legacy converted_type too):
 *       text            BYTE_ARRAY            STRING (UTF8)
 *       integer         INT32                 (plain INT32)
 *       bigint          INT64                 (plain INT64)
 *       decimal(p,s)    INT32 (p <= 9), INT64 (p <= 18), FIXED_LEN_BYTE_ARRAY (minimal bytes,
 *                       big-endian two's complement)         DECIMAL(p, s)
 *       date            INT32                 DATE (days since 1970-01-01)
 *       timestamp       INT64                 TIMESTAMP(MICROS, adjusted to UTC)
 *       boolean         BOOLEAN
 *   - row groups of bounded size (rows and bytes, configurable), their pages compressed as they
 *     fill: memory stays bounded (about the compressed row group) whatever the size of the file;
 *   - data pages v1; a PLAIN dictionary page + RLE_DICTIONARY data pages where the dictionary
 *     pays, PLAIN otherwise (and from the page where the dictionary grows past its limit);
 *   - zstd compression (or none), at level 1 by default: on the benchmark's output it is both
 *     smaller and about a third of the CPU of level 3 (bench/README.md, "Parquet");
 *   - column statistics: null_count, min_value/max_value in each type's order (signed for
 *     integers, decimals, dates and timestamps; unsigned bytewise for text; false < true).
 * The file is written atomically (util/afile.h): it appears whole or not at all.
 *
 * Two levels of API: pq_write_from_csv converts the engine's output CSV (design.md "Output
 * conventions") using the plan's column types; pq_writer_* takes one row at a time of typed text
 * cells in those same conventions (NULL cell = null).
 */
#ifndef MF_PARQUET_H
#define MF_PARQUET_H

#include "plan/plan.h"
#include "util/buf.h"
#include "util/afile.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pq_codec { PQ_UNCOMPRESSED = 0, PQ_ZSTD = 6 } pq_codec;   /* values of the format */

/* zstd levels accepted: negative levels are zstd's fast modes (less CPU, bigger files). */
#define PQ_ZSTD_LEVEL_MIN (-7)
#define PQ_ZSTD_LEVEL_MAX 19

typedef struct pq_options {
    pq_codec codec;          /* PQ_ZSTD (default) or PQ_UNCOMPRESSED */
    int zstd_level;          /* PQ_ZSTD_LEVEL_MIN..MAX; default 1 (MAPFORGE_PARQUET_ZSTD_LEVEL for runs) */
    size_t row_group_rows;   /* a row group ends after this many rows (default 1M) */
    size_t row_group_bytes;  /* ... or when its buffered data reaches this (default 64 MiB) */
    size_t page_bytes;       /* target size of a data page before compression (default 1 MiB) */
    size_t dict_bytes;       /* a column's dictionary may grow to this before PLAIN (default 1 MiB) */
    bool dictionary;         /* try dictionary encoding (default true) */
    mf_afile *seal_into;     /* NULL: close publishes the file.  Else close only seals it (util/afile.h)
                              * and hands it over here: the caller publishes it with other outputs as
                              * one set, or aborts it (write/run.c) */
} pq_options;

void pq_options_default(pq_options *o);
/* The settings a run takes from the environment: MAPFORGE_PARQUET_ZSTD_LEVEL (an integer from
 * PQ_ZSTD_LEVEL_MIN to PQ_ZSTD_LEVEL_MAX; 0 = no compression).  An unreadable value fails. */
int pq_options_from_env(pq_options *o, mf_err *e);

/* One output column: its name and plan type (text, integer, bigint, decimal, date, timestamp,
 * boolean). */
typedef struct pq_column {
    const char *name;
    plan_type type;
} pq_column;

typedef struct pq_writer pq_writer;

/* Start writing path (atomically: nothing appears under that name before pq_writer_close).
 * o may be NULL for the defaults.  Fails on an unsupported column type or an I/O error. */
pq_writer *pq_writer_open(const char *path, int ncols, const pq_column *cols, const pq_options *o,
                          mf_err *e);

/* One row: cells[i] is the text of column i in the output conventions (dates YYYY-MM-DD,
 * timestamps YYYY-MM-DD[ HH:MM:SS[.ffffff]], decimals with a '.', booleans true/false), lens[i]
 * its length; cells[i] == NULL is null.  A cell that is not a value of its column's type fails
 * (MF_EDATA, naming the row and column); the writer is then unusable (pq_writer_abort). */
int pq_write_row(pq_writer *w, const char *const *cells, const size_t *lens, mf_err *e);

/* Flush the last row group, write the footer and commit the file.  Frees w in all cases. */
int pq_writer_close(pq_writer *w, mf_err *e);
/* Give up: remove the temporary, free w.  NULL is fine. */
void pq_writer_abort(pq_writer *w);

/* Rows written so far. */
uint64_t pq_writer_rows(const pq_writer *w);

/* The caller has checked that every text cell it will pass is UTF-8 (pq_write_from_csv's reader,
 * pq_stream): the writer does not check each cell again. */
void pq_writer_text_checked(pq_writer *w);

/* ---- the Parquet copy of a run, built on its own thread (parquet_stream.c) --------------------- */

/* A pq_writer on a thread of its own, fed with the text of the engine's output CSV (whole records,
 * no header: src/engine/format.c) as the run writes it.  Memory stays bounded: when the thread
 * falls behind, pq_stream_write waits.  o->seal_into is honoured as by pq_writer_close. */
typedef struct pq_stream pq_stream;

pq_stream *pq_stream_open(const char *path, int ncols, const pq_column *cols, const pq_options *o, mf_err *e);
/* Whole records; copied.  Fails with the thread's error once it has failed (then only
 * pq_stream_abort is left to do). */
int pq_stream_write(pq_stream *s, const void *text, size_t n, mf_err *e);
/* The rest of the records, then the file closed (sealed or committed); frees s in all cases. */
int pq_stream_close(pq_stream *s, mf_err *e);
/* Stop the thread, remove the temporary, free s.  NULL is fine. */
void pq_stream_abort(pq_stream *s);

/* Convert the engine's output CSV (header = the plan's column names, in order) into Parquet,
 * the columns typed by the plan.  An unquoted empty field is null; a quoted empty field ("")
 * is the empty text.  Errors name the CSV file, line and column. */
int pq_write_from_csv(const plan *p, const char *csv_path, const char *parquet_path,
                      const pq_options *o, mf_err *e);

/* ---- building blocks, exposed for the unit tests ---------------------------------------------- */

/* Thrift compact protocol: an encoder into a buffer.  Field ids are deltas from the previous
 * field of the same struct; nested structs keep their own previous id (a stack). */
typedef enum pq_ttype {
    PQ_T_BOOL_TRUE = 1, PQ_T_BOOL_FALSE = 2, PQ_T_BYTE = 3, PQ_T_I16 = 4, PQ_T_I32 = 5,
    PQ_T_I64 = 6, PQ_T_DOUBLE = 7, PQ_T_BINARY = 8, PQ_T_LIST = 9, PQ_T_SET = 10, PQ_T_MAP = 11,
    PQ_T_STRUCT = 12
} pq_ttype;

#define PQ_THRIFT_DEPTH 16

typedef struct pq_thrift {
    mf_buf *out;
    int depth;
    int16_t last[PQ_THRIFT_DEPTH];   /* previous field id at each struct level */
} pq_thrift;

void pq_t_init(pq_thrift *t, mf_buf *out);               /* at the top level of a struct */
void pq_t_i32(pq_thrift *t, int16_t id, int32_t v);
void pq_t_i64(pq_thrift *t, int16_t id, int64_t v);
void pq_t_bool(pq_thrift *t, int16_t id, bool v);
void pq_t_binary(pq_thrift *t, int16_t id, const void *p, size_t n);
void pq_t_struct_begin(pq_thrift *t, int16_t id);        /* a struct-valued field */
void pq_t_struct_end(pq_thrift *t);                      /* writes STOP, pops the id stack */
void pq_t_list_begin(pq_thrift *t, int16_t id, pq_ttype elem, size_t n);
void pq_t_elem_i32(pq_thrift *t, int32_t v);             /* list elements */
void pq_t_elem_binary(pq_thrift *t, const void *p, size_t n);
void pq_t_elem_struct_begin(pq_thrift *t);
void pq_t_stop(pq_thrift *t);                            /* end of the outermost struct */
void pq_varint(mf_buf *b, uint64_t v);                   /* ULEB128 */

/* RLE/bit-packed hybrid encoding of n values of bit_width bits (0 < bit_width <= 32), appended
 * to out, without a length prefix. */
void pq_rle_hybrid(const uint32_t *v, size_t n, int bit_width, mf_buf *out);

/* Bytes of a FIXED_LEN_BYTE_ARRAY decimal of precision prec (the fewest that hold 10^prec - 1
 * in two's complement), and the big-endian two's-complement bytes of v in n bytes. */
int pq_decimal_bytes(int prec);
void pq_decimal_be(__int128 v, int n, uint8_t *out);

/* Order of two encoded values of a column of type t for the statistics (<0, 0, >0).  Values are
 * in their PLAIN bytes (without a BYTE_ARRAY's length prefix). */
int pq_value_cmp(plan_type t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* Encode one text cell of type t into its PLAIN bytes: fixed-size types into fixed (16 bytes
 * of room), text by pointing *p at s.  Returns false when s is not a value of t. */
bool pq_encode_cell(plan_type t, const char *s, size_t n, uint8_t *fixed, const uint8_t **p,
                    size_t *len);

#endif
