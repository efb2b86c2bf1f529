/* parquet.c — the Parquet writer (see parquet.h for what it writes and why).
 *
 * Layout of a file: "PAR1", then per row group one column chunk per column (an optional
 * dictionary page, then data pages v1), then the footer: FileMetaData in the Thrift compact
 * protocol, its length (4 bytes, little-endian) and "PAR1".
 *
 * Invariants:
 *   - Only the current row group is in memory, and mostly compressed: per column its finished
 *     data pages (encoded and compressed as each fills, pq_options.page_bytes of rows, PLAIN
 *     bytes or ids), the current page's definition levels (one byte per row) and values (PLAIN,
 *     or one 4-byte dictionary id each), and its dictionary.  At the flush each column chunk is
 *     written whole: the dictionary page, then its pages.  The footer keeps the already encoded
 *     RowGroup structs (a few hundred bytes each).
 *   - Each data page of RLE_DICTIONARY carries the bit width of the dictionary as it was then.
 *     When a dictionary outgrows pq_options.dict_bytes, or does not pay (weighed at 64 Ki
 *     values, each doubling and the flush), the current page's ids are expanded to PLAIN and the
 *     rest of the chunk is PLAIN; pages already written keep the dictionary, frozen and written
 *     first (a chunk is then dictionary pages followed by PLAIN pages, as parquet-mr and Arrow
 *     write it); with no such page yet the chunk is all PLAIN.
 *   - Statistics are kept in PLAIN bytes and compared in the type's order (pq_value_cmp); in
 *     dictionary mode only new dictionary entries can change them.
 *   - w->offset is the file offset of the next byte written (page offsets in the footer).
 * Nothing here allocates per cell: buffers grow and are reused across pages and row groups.
 */
#include "write/parquet.h"
#include "util/interrupt.h"

#include "read/csv.h"
#include "util/afile.h"
#include "util/date.h"
#include "util/decimal.h"
#include "util/utf8.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* ---- format constants (parquet.thrift) -------------------------------------------------------- */

enum { PHYS_BOOLEAN = 0, PHYS_INT32 = 1, PHYS_INT64 = 2, PHYS_BYTE_ARRAY = 6, PHYS_FLBA = 7 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_RLE_DICTIONARY = 8 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };
enum { CONV_UTF8 = 0, CONV_DECIMAL = 5, CONV_DATE = 6, CONV_TIMESTAMP_MICROS = 10 };
enum { REP_OPTIONAL = 1 };

#define STATS_MAX_BYTES 4096   /* longer min/max values are left out of the statistics */
#define DICT_FIRST_CHECK 65536 /* values before a dictionary is first weighed (then at each doubling) */
#define DICT_RETRY_GROUPS 3    /* a column whose dictionary did not pay starts this many row groups PLAIN */
#define CREATED_BY "mapforge version 0.1.0"

/* ---- Thrift compact protocol ------------------------------------------------------------------ */

void pq_varint(mf_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    mf_buf_add(b, tmp, (size_t)n);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void pq_t_init(pq_thrift *t, mf_buf *out)
{
    t->out = out;
    t->depth = 0;
    t->last[0] = 0;
}

/* Short form when the id grows by 1..15 (delta in the high nibble); else type + zigzag id. */
static void field_header(pq_thrift *t, int16_t id, int type)
{
    int delta = id - t->last[t->depth];
    if (delta > 0 && delta <= 15)
        mf_buf_addc(t->out, (char)(delta << 4 | type));
    else {
        mf_buf_addc(t->out, (char)type);
        pq_varint(t->out, zigzag(id));
    }
    t->last[t->depth] = id;
}

void pq_t_i32(pq_thrift *t, int16_t id, int32_t v)
{
    field_header(t, id, PQ_T_I32);
    pq_varint(t->out, zigzag(v));
}

void pq_t_i64(pq_thrift *t, int16_t id, int64_t v)
{
    field_header(t, id, PQ_T_I64);
    pq_varint(t->out, zigzag(v));
}

void pq_t_bool(pq_thrift *t, int16_t id, bool v)
{
    field_header(t, id, v ? PQ_T_BOOL_TRUE : PQ_T_BOOL_FALSE);
}

void pq_t_binary(pq_thrift *t, int16_t id, const void *p, size_t n)
{
    field_header(t, id, PQ_T_BINARY);
    pq_t_elem_binary(t, p, n);
}

static void push(pq_thrift *t)
{
    if (t->depth + 1 < PQ_THRIFT_DEPTH)   /* our structs nest 5 deep at most */
        t->depth++;
    t->last[t->depth] = 0;
}

void pq_t_struct_begin(pq_thrift *t, int16_t id)
{
    field_header(t, id, PQ_T_STRUCT);
    push(t);
}

void pq_t_struct_end(pq_thrift *t)
{
    mf_buf_addc(t->out, 0);
    if (t->depth > 0)
        t->depth--;
}

void pq_t_list_begin(pq_thrift *t, int16_t id, pq_ttype elem, size_t n)
{
    field_header(t, id, PQ_T_LIST);
    if (n < 15)
        mf_buf_addc(t->out, (char)(n << 4 | elem));
    else {
        mf_buf_addc(t->out, (char)(0xF0 | elem));
        pq_varint(t->out, n);
    }
}

void pq_t_elem_i32(pq_thrift *t, int32_t v)
{
    pq_varint(t->out, zigzag(v));
}

void pq_t_elem_binary(pq_thrift *t, const void *p, size_t n)
{
    pq_varint(t->out, n);
    mf_buf_add(t->out, p, n);
}

void pq_t_elem_struct_begin(pq_thrift *t)
{
    push(t);
}

void pq_t_stop(pq_thrift *t)
{
    mf_buf_addc(t->out, 0);
}

/* ---- RLE / bit-packed hybrid ------------------------------------------------------------------ */

/* Length of the run of equal values at v[i], counted up to `cap`. */
static size_t run_at(const uint32_t *v, size_t i, size_t n, size_t cap)
{
    size_t j = i + 1;
    while (j < n && j - i < cap && v[j] == v[i])
        j++;
    return j - i;
}

static void rle_run(const uint32_t *v, size_t i, size_t run, int bit_width, mf_buf *out)
{
    pq_varint(out, (uint64_t)run << 1);
    uint32_t x = v[i];
    for (int k = 0; k < (bit_width + 7) / 8; k++, x >>= 8)
        mf_buf_addc(out, (char)(x & 0xFF));
}

/* groups * 8 values, LSB first; values past `have` are padding zeros (only ever at the end). */
static void packed_run(const uint32_t *v, size_t have, size_t groups, int bit_width, mf_buf *out)
{
    pq_varint(out, (uint64_t)groups << 1 | 1);
    mf_buf_reserve(out, groups * (size_t)bit_width);
    uint64_t acc = 0;
    int bits = 0;
    for (size_t k = 0; k < groups * 8; k++) {
        acc |= (uint64_t)(k < have ? v[k] : 0) << bits;
        bits += bit_width;
        while (bits >= 8) {
            mf_buf_addc(out, (char)(acc & 0xFF));
            acc >>= 8;
            bits -= 8;
        }
    }
}

/* Runs of 8 or more equal values become RLE runs; the rest is bit-packed in groups of 8 (at most
 * 63 groups per run, which every reader accepts), cut at a group boundary where a run starts. */
void pq_rle_hybrid(const uint32_t *v, size_t n, int bit_width, mf_buf *out)
{
    size_t i = 0;
    while (i < n) {
        size_t run = run_at(v, i, n, SIZE_MAX);
        if (run >= 8) {
            rle_run(v, i, run, bit_width, out);
            i += run;
            continue;
        }
        size_t j = i, groups = 0;
        do {
            j += 8;
            groups++;
        } while (j < n && groups < 63 && run_at(v, j, n, 8) < 8);
        packed_run(v + i, (j < n ? j : n) - i, groups, bit_width, out);
        i = j;
    }
}

/* ---- values: text cells to PLAIN bytes -------------------------------------------------------- */

int pq_decimal_bytes(int prec)
{
    unsigned __int128 p10 = 1;
    for (int i = 0; i < prec; i++)
        p10 *= 10;
    for (int n = 1; n < 16; n++)
        if (p10 <= (unsigned __int128)1 << (8 * n - 1))   /* 10^p - 1 < 2^(8n-1) */
            return n;
    return 16;
}

void pq_decimal_be(__int128 v, int n, uint8_t *out)
{
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = n - 1; i >= 0; i--, u >>= 8)
        out[i] = (uint8_t)(u & 0xFF);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static int64_t get_le(const uint8_t *p, int n)   /* sign-extended */
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    if (n < 8 && (v >> (8 * n - 1)) & 1)
        v |= ~(uint64_t)0 << (8 * n);
    return (int64_t)v;
}

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = n > 0 && s[0] == '-';
    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        i++;
    if (i == n)
        return false;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static int digits(const char *s, size_t n, size_t *i, size_t min, size_t max)
{
    size_t k = 0;
    int v = 0;
    while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k < min ? -1 : v;
}

/* [-]YYYY-MM-DD (four to six year digits, as util/date.c formats them); *i after it. */
static bool parse_date(const char *s, size_t n, size_t *i, int32_t *days)
{
    bool neg = *i < n && s[*i] == '-';
    if (neg)
        (*i)++;
    int y = digits(s, n, i, 4, 6);
    if (y < 0 || *i >= n || s[(*i)++] != '-')
        return false;
    int m = digits(s, n, i, 2, 2);
    if (m < 0 || *i >= n || s[(*i)++] != '-')
        return false;
    int d = digits(s, n, i, 2, 2);
    if (neg)
        y = -y;
    if (d < 0 || !mf_date_valid(y, m, d))
        return false;
    *days = mf_days_from_civil(y, m, d);
    return true;
}

/* Date, optionally followed by [T or space]HH:MM[:SS[.f{1,6}]] and an optional Z: UTC micros. */
static bool parse_timestamp(const char *s, size_t n, int64_t *us)
{
    size_t i = 0;
    int32_t days;
    if (!parse_date(s, n, &i, &days))
        return false;
    int64_t secs = 0, frac = 0;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        int h = digits(s, n, &i, 2, 2), mi = -1, sec = 0;
        if (h >= 0 && i < n && s[i++] == ':')
            mi = digits(s, n, &i, 2, 2);
        if (mi >= 0 && i < n && s[i] == ':') {
            i++;
            sec = digits(s, n, &i, 2, 2);
            if (sec >= 0 && i < n && s[i] == '.') {
                size_t f0 = ++i;
                int f = digits(s, n, &i, 1, 6);
                if (f < 0)
                    return false;
                frac = f;
                for (size_t k = i - f0; k < 6; k++)
                    frac *= 10;
            }
        }
        if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
            return false;
        secs = h * 3600 + mi * 60 + sec;
    }
    if (i < n && s[i] == 'Z')
        i++;
    if (i != n)
        return false;
    *us = ((int64_t)days * 86400 + secs) * 1000000 + frac;
    return true;
}

/* The usual decimal text, [-]digits[.digits] with at most t.scale decimals and 18 digits in all,
 * read straight into v * 10^scale; false for anything else (the general path reads it). */
static bool small_decimal(plan_type t, const char *s, size_t n, int64_t *out)
{
    size_t i = s[0] == '-';
    uint64_t v = 0;
    int nd = 0, fd = -1;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d <= 9) {
            v = v * 10 + d;
            nd++;
            fd += fd >= 0;
        } else if (s[i] == '.' && fd < 0 && nd > 0) {
            fd = 0;
        } else
            return false;
    }
    int scale_up = t.scale - (fd < 0 ? 0 : fd);
    if (nd == 0 || fd == 0 || scale_up < 0 || nd + scale_up > 18)
        return false;
    for (int k = 0; k < scale_up; k++)
        v *= 10;
    uint64_t lim = 1;
    for (int k = 0; k < t.prec; k++)
        lim *= 10;
    if (v >= lim)
        return false;
    *out = s[0] == '-' ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool encode_decimal(plan_type t, const char *s, size_t n, uint8_t *fixed, size_t *len)
{
    int64_t small;
    if (t.prec <= 18 && n > 0 && small_decimal(t, s, n, &small)) {
        if (t.prec <= 9) {
            le32(fixed, (uint32_t)(int32_t)small);
            *len = 4;
        } else {
            le64(fixed, (uint64_t)small);
            *len = 8;
        }
        return true;
    }
    mf_dec d;
    if (!mf_dec_parse(s, n, &d) || !mf_dec_rescale_exact(d, t.scale, &d) || mf_dec_digits(d) > t.prec)
        return false;
    if (t.prec <= 9) {
        le32(fixed, (uint32_t)(int32_t)d.v);
        *len = 4;
    } else if (t.prec <= 18) {
        le64(fixed, (uint64_t)(int64_t)d.v);
        *len = 8;
    } else {
        *len = (size_t)pq_decimal_bytes(t.prec);
        pq_decimal_be(d.v, (int)*len, fixed);
    }
    return true;
}

bool pq_encode_cell(plan_type t, const char *s, size_t n, uint8_t *fixed, const uint8_t **p,
                    size_t *len)
{
    int64_t i;
    int32_t days;
    size_t at = 0;
    *p = fixed;
    switch (t.base) {
    case PT_TEXT:
        *p = (const uint8_t *)s;
        *len = n;
        return true;
    case PT_INTEGER:
        if (!parse_i64(s, n, &i) || i < INT32_MIN || i > INT32_MAX)
            return false;
        le32(fixed, (uint32_t)(int32_t)i);
        *len = 4;
        return true;
    case PT_BIGINT:
        if (!parse_i64(s, n, &i))
            return false;
        le64(fixed, (uint64_t)i);
        *len = 8;
        return true;
    case PT_DECIMAL: return encode_decimal(t, s, n, fixed, len);
    case PT_DATE:
        if (!parse_date(s, n, &at, &days) || at != n)
            return false;
        le32(fixed, (uint32_t)days);
        *len = 4;
        return true;
    case PT_TIMESTAMP:
        if (!parse_timestamp(s, n, &i))
            return false;
        le64(fixed, (uint64_t)i);
        *len = 8;
        return true;
    case PT_BOOLEAN:
        if (n == 4 && !memcmp(s, "true", 4))
            fixed[0] = 1;
        else if (n == 5 && !memcmp(s, "false", 5))
            fixed[0] = 0;
        else
            return false;
        *len = 1;
        return true;
    default: return false;
    }
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

int pq_value_cmp(plan_type t, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (t.base == PT_TEXT)
        return cmp_bytes(a, an, b, bn);   /* unsigned bytewise: UTF-8's code point order */
    if (t.base == PT_DECIMAL && t.prec > 18) {
        /* big-endian two's complement of one width: the sign byte signed, the rest unsigned */
        int sa = (int8_t)a[0], sb = (int8_t)b[0];
        return sa != sb ? (sa > sb) - (sa < sb) : cmp_bytes(a + 1, an - 1, b + 1, bn - 1);
    }
    int64_t x = get_le(a, (int)an), y = get_le(b, (int)bn);   /* signed; false < true */
    return (x > y) - (x < y);
}

/* ---- the writer ------------------------------------------------------------------------------- */

typedef struct dict_slot {
    uint32_t hash;
    uint32_t id1;        /* entry id + 1; 0 = empty slot */
} dict_slot;

typedef struct chunk_sizes {
    int64_t uncompressed, compressed;
} chunk_sizes;

typedef struct col {
    char *name;
    plan_type type;
    int phys;
    int flba_len;        /* FIXED_LEN_BYTE_ARRAY width */
    /* the current row group */
    size_t nvalues;      /* non-null values */
    uint64_t nulls;
    size_t plain_bytes;  /* what the values take PLAIN-encoded */
    bool dict_on;
    mf_buf pages;        /* its data pages so far, encoded and compressed (header + body each) */
    chunk_sizes cs;      /* their sizes */
    size_t dict_pages;   /* how many of them are dictionary-encoded (then the chunk has a dictionary) */
    mf_buf dict;         /* dictionary entries, PLAIN */
    /* the current page */
    mf_buf defs;         /* one byte per row: 1 value, 0 null */
    mf_buf plain;        /* PLAIN values (booleans: one byte each, packed per page) */
    mf_buf ids;          /* uint32 id per non-null value */
    uint32_t ndict;
    uint32_t *ent_off, *ent_len;   /* where each entry's bytes are in dict (after a length prefix) */
    size_t ent_cap;
    dict_slot *slots;
    size_t nslots;       /* power of two, kept at most half full */
    bool has_stats;
    mf_buf min, max;
    size_t pay_check;    /* nvalues at which the dictionary is next weighed against PLAIN */
    int plain_groups;    /* row groups still to start PLAIN: the dictionary was given up lately */
} col;

struct pq_writer {
    mf_afile f;
    pq_options o;
    int ncols;
    col *cols;
    uint64_t offset;      /* bytes written so far */
    uint64_t rows_total;
    size_t rows_rg;
    size_t rg_bytes;      /* estimate of the row group's memory */
    int nrowgroups;
    mf_buf rowgroups;     /* encoded RowGroup structs, back to back */
    bool trusted_utf8;    /* text already validated (the CSV reader does) */
    bool failed;
    ZSTD_CCtx *zc;
    /* scratch, reused */
    mf_buf page, comp, hdr, chunks, levels;
    uint32_t *u32;
    size_t u32_cap;
};

void pq_options_default(pq_options *o)
{
    o->codec = PQ_ZSTD;
    o->zstd_level = 1;
    o->row_group_rows = 1024 * 1024;
    o->row_group_bytes = 64u << 20;
    o->page_bytes = 1u << 20;
    o->dict_bytes = 1u << 20;
    o->dictionary = true;
    o->seal_into = NULL;
}

int pq_options_from_env(pq_options *o, mf_err *e)
{
    const char *v = getenv("MAPFORGE_PARQUET_ZSTD_LEVEL");
    if (!v || !*v)
        return 0;
    char *end;
    long l = strtol(v, &end, 10);
    if (*end || l < PQ_ZSTD_LEVEL_MIN || l > PQ_ZSTD_LEVEL_MAX)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "MAPFORGE_PARQUET_ZSTD_LEVEL: expected an integer from %d to %d "
                       "(0: no compression), got \"%s\"", PQ_ZSTD_LEVEL_MIN, PQ_ZSTD_LEVEL_MAX, v);
    if (l == 0)
        o->codec = PQ_UNCOMPRESSED;
    else
        o->zstd_level = (int)l;
    return 0;
}

static int physical_of(col *c, mf_err *e, const char *path)
{
    switch (c->type.base) {
    case PT_TEXT: c->phys = PHYS_BYTE_ARRAY; return 0;
    case PT_INTEGER:
    case PT_DATE: c->phys = PHYS_INT32; return 0;
    case PT_BIGINT:
    case PT_TIMESTAMP: c->phys = PHYS_INT64; return 0;
    case PT_BOOLEAN: c->phys = PHYS_BOOLEAN; return 0;
    case PT_DECIMAL:
        if (c->type.prec < 1 || c->type.prec > MF_DEC_MAX_PREC || c->type.scale < 0 || c->type.scale > c->type.prec)
            break;
        c->phys = c->type.prec <= 9 ? PHYS_INT32 : c->type.prec <= 18 ? PHYS_INT64 : PHYS_FLBA;
        c->flba_len = pq_decimal_bytes(c->type.prec);
        return 0;
    default: break;
    }
    char tn[64];
    plan_type_name(c->type, tn, sizeof tn);
    return mf_fail(e, MF_ETYPE, path, 0, 0, "column %s: type %s has no Parquet mapping (expected text, integer, "
                   "bigint, decimal(p,s) with p <= 38, date, timestamp or boolean)", c->name, tn);
}

static void start_row_group(pq_writer *w)
{
    for (int i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        mf_buf_clear(&c->defs);
        mf_buf_clear(&c->plain);
        mf_buf_clear(&c->dict);
        mf_buf_clear(&c->ids);
        mf_buf_clear(&c->pages);
        c->cs = (chunk_sizes){0, 0};
        c->dict_pages = 0;
        c->nvalues = 0;
        c->nulls = 0;
        c->plain_bytes = 0;
        c->ndict = 0;
        c->has_stats = false;
        c->dict_on = w->o.dictionary && c->phys != PHYS_BOOLEAN && c->plain_groups == 0;
        c->plain_groups -= c->plain_groups > 0;
        c->pay_check = DICT_FIRST_CHECK;
        if (c->slots)
            memset(c->slots, 0, c->nslots * sizeof *c->slots);
    }
    w->rows_rg = 0;
    w->rg_bytes = 0;
}

pq_writer *pq_writer_open(const char *path, int ncols, const pq_column *cols, const pq_options *o,
                          mf_err *e)
{
    pq_writer *w = mf_xcalloc(1, sizeof *w);
    if (o)
        w->o = *o;
    else
        pq_options_default(&w->o);
    if (w->o.row_group_rows == 0 || w->o.page_bytes == 0 || w->o.dict_bytes > (1u << 30) ||
        (w->o.codec != PQ_ZSTD && w->o.codec != PQ_UNCOMPRESSED) || w->o.zstd_level < PQ_ZSTD_LEVEL_MIN ||
        w->o.zstd_level > PQ_ZSTD_LEVEL_MAX || w->o.zstd_level == 0) {
        free(w);
        mf_fail(e, MF_EUSAGE, path, 0, 0, "Parquet options: expected row_group_rows >= 1, page_bytes >= 1, "
                "dict_bytes <= 1 GiB, codec zstd or uncompressed and a zstd level from %d to %d, not 0",
                PQ_ZSTD_LEVEL_MIN, PQ_ZSTD_LEVEL_MAX);
        return NULL;
    }
    w->ncols = ncols;
    w->cols = mf_xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof *w->cols);
    for (int i = 0; i < ncols; i++) {
        w->cols[i].name = mf_xstrdup(cols[i].name);
        w->cols[i].type = cols[i].type;
        if (physical_of(&w->cols[i], e, path) < 0) {
            pq_writer_abort(w);
            return NULL;
        }
    }
    if (w->o.codec == PQ_ZSTD && !(w->zc = ZSTD_createCCtx())) {
        pq_writer_abort(w);
        mf_fail(e, MF_ENOMEM, path, 0, 0, "cannot create a zstd compression context");
        return NULL;
    }
    if (mf_afile_open(&w->f, path, e) < 0) {
        w->f.fd = -1;
        w->failed = true;
        pq_writer_abort(w);
        return NULL;
    }
    start_row_group(w);
    if (mf_afile_write(&w->f, "PAR1", 4, e) < 0) {
        pq_writer_abort(w);
        return NULL;
    }
    w->offset = 4;
    return w;
}

static void free_col(col *c)
{
    free(c->name);
    mf_buf_free(&c->defs);
    mf_buf_free(&c->plain);
    mf_buf_free(&c->dict);
    mf_buf_free(&c->ids);
    mf_buf_free(&c->pages);
    mf_buf_free(&c->min);
    mf_buf_free(&c->max);
    free(c->ent_off);
    free(c->ent_len);
    free(c->slots);
}

static void free_writer(pq_writer *w)
{
    for (int i = 0; i < w->ncols; i++)
        free_col(&w->cols[i]);
    free(w->cols);
    mf_buf_free(&w->rowgroups);
    mf_buf_free(&w->page);
    mf_buf_free(&w->comp);
    mf_buf_free(&w->hdr);
    mf_buf_free(&w->chunks);
    mf_buf_free(&w->levels);
    free(w->u32);
    ZSTD_freeCCtx(w->zc);
    free(w);
}

void pq_writer_abort(pq_writer *w)
{
    if (!w)
        return;
    if (w->f.path)
        mf_afile_abort(&w->f);
    free_writer(w);
}

uint64_t pq_writer_rows(const pq_writer *w)
{
    return w->rows_total;
}

void pq_writer_text_checked(pq_writer *w)
{
    w->trusted_utf8 = true;
}

/* ---- buffering values ------------------------------------------------------------------------- */

/* mf_buf_add without the call when there is room (the hot path: several times per cell). */
static inline void buf_put(mf_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 <= b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else
        mf_buf_add(b, p, n);
}

static inline void buf_putc(mf_buf *b, char c)
{
    if (b->len + 2 <= b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
    } else
        mf_buf_addc(b, c);
}

/* The bytes of p[0..n) as one or two words, read without going past n (no byte loop, no stall). */
static inline void load_words(const uint8_t *p, size_t n, uint64_t *a, uint64_t *b)
{
    if (n >= 8) {
        memcpy(a, p, 8);
        memcpy(b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        *a = x;
        *b = y;
    } else {
        *a = n ? (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16 : 0;
        *b = 0;
    }
}

/* Equal bytes; short values compared in words instead of a call to memcmp. */
static inline bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    if (n > 16)
        return !memcmp(a, b, n);
    uint64_t a0, a1, b0, b1;
    load_words(a, n, &a0, &a1);
    load_words(b, n, &b0, &b1);
    return a0 == b0 && a1 == b1;
}

/* pq_value_cmp, with the usual cases inline: fixed-width integers as integers, text through its
 * first eight bytes (big-endian: their order is the bytes' order) before memcmp. */
static inline int value_cmp(const col *c, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    if (c->phys == PHYS_INT32 && an == 4 && bn == 4) {
        int32_t x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return (x > y) - (x < y);
    }
    if (c->phys == PHYS_INT64 && an == 8 && bn == 8) {
        int64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
    }
    if (c->phys == PHYS_BYTE_ARRAY && an >= 8 && bn >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) {
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
            return x < y ? -1 : 1;
        }
    }
    return pq_value_cmp(c->type, a, an, b, bn);
}

static inline void update_stats(col *c, const uint8_t *p, size_t n)
{
    if (!c->has_stats) {
        c->has_stats = true;
        mf_buf_clear(&c->min);
        mf_buf_clear(&c->max);
        mf_buf_add(&c->min, p, n);
        mf_buf_add(&c->max, p, n);
        return;
    }
    if (value_cmp(c, p, n, (const uint8_t *)c->min.data, c->min.len) < 0) {
        mf_buf_clear(&c->min);
        mf_buf_add(&c->min, p, n);
    } else if (value_cmp(c, p, n, (const uint8_t *)c->max.data, c->max.len) > 0) {
        mf_buf_clear(&c->max);
        mf_buf_add(&c->max, p, n);
    }
}

static inline void add_plain(mf_buf *b, const col *c, const uint8_t *p, size_t n)
{
    if (c->phys == PHYS_BYTE_ARRAY) {
        uint8_t len[4];
        le32(len, (uint32_t)n);
        buf_put(b, len, 4);
    }
    buf_put(b, p, n);
}

static inline uint32_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ n;
    while (n > 16) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = (h ^ x) * 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t a, b;   /* the last 1..16 bytes as two words (they may overlap) */
    load_words(p, n, &a, &b);
    h = (h ^ a) * 0xBF58476D1CE4E5B9u;
    h = (h ^ h >> 31 ^ b) * 0x94D049BB133111EBu;
    h ^= h >> 29;
    return (uint32_t)(h ^ h >> 32);
}

static void grow_slots(col *c)
{
    size_t n = c->nslots ? c->nslots * 2 : 1024;
    dict_slot *s = mf_xcalloc(n, sizeof *s);
    for (size_t i = 0; i < c->nslots; i++) {
        if (!c->slots[i].id1)
            continue;
        size_t j = c->slots[i].hash & (n - 1);
        while (s[j].id1)
            j = (j + 1) & (n - 1);
        s[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = s;
    c->nslots = n;
}

/* Id of value p (adding it to the dictionary when new; *added tells). */
static inline uint32_t dict_id(col *c, const uint8_t *p, size_t n, bool *added)
{
    if ((size_t)(c->ndict + 1) * 2 > c->nslots)
        grow_slots(c);
    uint32_t h = hash_bytes(p, n);
    size_t j = h & (c->nslots - 1);
    for (; c->slots[j].id1; j = (j + 1) & (c->nslots - 1)) {
        uint32_t id = c->slots[j].id1 - 1;
        if (c->slots[j].hash == h && c->ent_len[id] == n &&
            same_bytes((const uint8_t *)c->dict.data + c->ent_off[id], p, n)) {
            *added = false;
            return id;
        }
    }
    if (c->ndict == c->ent_cap) {
        c->ent_cap = c->ent_cap ? c->ent_cap * 2 : 256;
        c->ent_off = mf_xrealloc(c->ent_off, c->ent_cap * sizeof *c->ent_off);
        c->ent_len = mf_xrealloc(c->ent_len, c->ent_cap * sizeof *c->ent_len);
    }
    add_plain(&c->dict, c, p, n);
    c->ent_off[c->ndict] = (uint32_t)(c->dict.len - n);
    c->ent_len[c->ndict] = (uint32_t)n;
    c->slots[j].hash = h;
    c->slots[j].id1 = c->ndict + 1;
    *added = true;
    return c->ndict++;
}

static void rg_less(pq_writer *w, size_t n)
{
    w->rg_bytes -= n < w->rg_bytes ? n : w->rg_bytes;
}

/* The dictionary did not pay: the current page's ids become PLAIN values; PLAIN from here on.
 * Pages already written with the dictionary keep it (it is written before them at the flush,
 * frozen); without such pages it is dropped and the chunk is all PLAIN. */
static void dict_to_plain(pq_writer *w, col *c)
{
    const uint32_t *ids = (const uint32_t *)(const void *)c->ids.data;
    size_t n = c->ids.len / sizeof *ids;
    mf_buf_clear(&c->plain);
    for (size_t k = 0; k < n; k++)
        add_plain(&c->plain, c, (const uint8_t *)c->dict.data + c->ent_off[ids[k]], c->ent_len[ids[k]]);
    rg_less(w, c->ids.len);
    w->rg_bytes += c->plain.len;
    mf_buf_clear(&c->ids);
    if (c->dict_pages == 0) {
        rg_less(w, c->dict.len);
        mf_buf_clear(&c->dict);
        c->ndict = 0;
    }
    c->dict_on = false;
    c->plain_groups = DICT_RETRY_GROUPS;
    if (c->slots)
        memset(c->slots, 0, c->nslots * sizeof *c->slots);
}

static int bit_width_of(uint32_t max);

/* Does the dictionary pay: entries + ids at their bit width take less than the values PLAIN? */
static bool dict_pays(const col *c)
{
    size_t cost = c->dict.len + (c->nvalues * (size_t)bit_width_of(c->ndict ? c->ndict : 1) + 7) / 8;
    return cost < c->plain_bytes;
}

static void add_value(pq_writer *w, col *c, const uint8_t *p, size_t n)
{
    c->nvalues++;
    c->plain_bytes += n + (c->phys == PHYS_BYTE_ARRAY ? 4 : 0);
    if (c->dict_on) {
        bool added;
        uint32_t id = dict_id(c, p, n, &added);
        buf_put(&c->ids, &id, sizeof id);
        w->rg_bytes += sizeof id;
        if (added) {
            w->rg_bytes += n + 4;
            update_stats(c, p, n);
            /* Too big, or nearly every value distinct (ids + entries then cost about as much as
             * PLAIN, and probing a large table misses the cache on every value): PLAIN. */
            if (c->dict.len > w->o.dict_bytes || (c->nvalues >= 8192 && c->ndict > c->nvalues / 4 * 3))
                dict_to_plain(w, c);
        }
        if (c->dict_on && c->nvalues >= c->pay_check) {   /* weighed early: probing a table that will be
                                                           * given up anyway is the costly part */
            c->pay_check *= 2;
            if (!dict_pays(c))
                dict_to_plain(w, c);
        }
        return;
    }
    add_plain(&c->plain, c, p, n);
    w->rg_bytes += n;
    update_stats(c, p, n);
}

/* ---- writing pages ---------------------------------------------------------------------------- */

static int emit(pq_writer *w, const void *p, size_t n, mf_err *e)
{
    if (mf_afile_write(&w->f, p, n, e) < 0)
        return -1;
    w->offset += n;
    return 0;
}

static uint32_t *scratch_u32(pq_writer *w, size_t n)
{
    if (n > w->u32_cap) {
        w->u32_cap = n + n / 2 + 64;
        free(w->u32);
        w->u32 = mf_xmalloc(w->u32_cap * sizeof *w->u32);
    }
    return w->u32;
}

/* Compress w->page (into w->comp) when the codec asks; returns the stored length, or -1. */
static int compress_page(pq_writer *w, mf_err *e)
{
    const void *body = w->page.data;
    size_t blen = w->page.len;
    if (w->o.codec == PQ_ZSTD) {
        size_t bound = ZSTD_compressBound(blen);
        mf_buf_clear(&w->comp);
        mf_buf_reserve(&w->comp, bound);
        size_t r = ZSTD_compressCCtx(w->zc, w->comp.data, bound, body, blen, w->o.zstd_level);
        if (ZSTD_isError(r))
            return mf_fail(e, MF_EIO, w->f.path, 0, 0, "zstd compression failed: %s", ZSTD_getErrorName(r));
        body = w->comp.data;
        blen = r;
    }
    if (w->page.len > INT32_MAX || blen > INT32_MAX)
        return mf_fail(e, MF_ELIMIT, w->f.path, 0, 0, "a Parquet page may not exceed 2 GiB");
    return (int)blen;
}

/* Start a PageHeader in w->hdr; the caller adds its page-type header and the STOP. */
static void page_header(pq_writer *w, pq_thrift *t, int type, size_t ulen, size_t clen)
{
    mf_buf_clear(&w->hdr);
    pq_t_init(t, &w->hdr);
    pq_t_i32(t, 1, type);
    pq_t_i32(t, 2, (int32_t)ulen);
    pq_t_i32(t, 3, (int32_t)clen);
}

/* The page in w->hdr + w->page (or w->comp) to the file, or appended to `into`. */
static int finish_page(pq_writer *w, int clen, chunk_sizes *cs, mf_buf *into, mf_err *e)
{
    const void *body = w->o.codec == PQ_ZSTD ? (const void *)w->comp.data : (const void *)w->page.data;
    if (into) {
        buf_put(into, w->hdr.data, w->hdr.len);
        buf_put(into, body, (size_t)clen);
    } else if (emit(w, w->hdr.data, w->hdr.len, e) < 0 || emit(w, body, (size_t)clen, e) < 0)
        return -1;
    cs->uncompressed += (int64_t)(w->hdr.len + w->page.len);
    cs->compressed += (int64_t)(w->hdr.len + (size_t)clen);
    return 0;
}

static int dictionary_page(pq_writer *w, col *c, chunk_sizes *cs, mf_err *e)
{
    mf_buf_clear(&w->page);
    mf_buf_add(&w->page, c->dict.data, c->dict.len);
    int clen = compress_page(w, e);
    if (clen < 0)
        return -1;
    pq_thrift t;
    page_header(w, &t, PAGE_DICTIONARY, w->page.len, (size_t)clen);
    pq_t_struct_begin(&t, 7);
    pq_t_i32(&t, 1, (int32_t)c->ndict);
    pq_t_i32(&t, 2, ENC_PLAIN);
    pq_t_struct_end(&t);
    pq_t_stop(&t);
    return finish_page(w, clen, cs, NULL, e);
}

static int bit_width_of(uint32_t max)
{
    int bw = 1;
    while (bw < 32 && (max >> bw))
        bw++;
    return bw;
}

/* The current page of c (its defs and values) encoded, compressed and appended to c->pages; the
 * page's buffers are then emptied.  Nothing to do without rows. */
static int data_page(pq_writer *w, col *c, mf_err *e)
{
    size_t r0 = 0, r1 = c->defs.len, v0 = 0, v1 = c->dict_on ? c->ids.len / 4 : 0, b0 = 0, b1 = c->plain.len;
    if (r1 == 0)
        return 0;
    if (!c->dict_on)
        v1 = c->phys == PHYS_BOOLEAN ? c->plain.len : 0;
    mf_buf_clear(&w->levels);
    if (r1 - r0 >= 8 && !memchr(c->defs.data + r0, 0, r1 - r0)) {
        pq_varint(&w->levels, (uint64_t)(r1 - r0) << 1);   /* no null: one RLE run of 1s, as */
        mf_buf_addc(&w->levels, 1);                          /* pq_rle_hybrid writes it */
    } else {
        uint32_t *lv = scratch_u32(w, r1 - r0);
        for (size_t r = r0; r < r1; r++)
            lv[r - r0] = (uint8_t)c->defs.data[r];
        pq_rle_hybrid(lv, r1 - r0, 1, &w->levels);
    }
    mf_buf_clear(&w->page);
    uint8_t len[4];
    le32(len, (uint32_t)w->levels.len);
    mf_buf_add(&w->page, len, 4);
    mf_buf_add(&w->page, w->levels.data, w->levels.len);
    if (c->dict_on) {
        int bw = bit_width_of(c->ndict > 1 ? c->ndict - 1 : 1);
        mf_buf_addc(&w->page, (char)bw);
        pq_rle_hybrid((const uint32_t *)(const void *)c->ids.data + v0, v1 - v0, bw, &w->page);
    } else if (c->phys == PHYS_BOOLEAN) {
        uint8_t acc = 0;
        for (size_t k = v0; k < v1; k++) {
            acc |= (uint8_t)((c->plain.data[k] & 1) << ((k - v0) & 7));
            if (((k - v0) & 7) == 7 || k + 1 == v1) {
                mf_buf_addc(&w->page, (char)acc);
                acc = 0;
            }
        }
    } else
        mf_buf_add(&w->page, c->plain.data + b0, b1 - b0);
    int clen = compress_page(w, e);
    if (clen < 0)
        return -1;
    pq_thrift t;
    page_header(w, &t, PAGE_DATA, w->page.len, (size_t)clen);
    pq_t_struct_begin(&t, 5);
    pq_t_i32(&t, 1, (int32_t)(r1 - r0));
    pq_t_i32(&t, 2, c->dict_on ? ENC_RLE_DICTIONARY : ENC_PLAIN);
    pq_t_i32(&t, 3, ENC_RLE);
    pq_t_i32(&t, 4, ENC_RLE);
    pq_t_struct_end(&t);
    pq_t_stop(&t);
    size_t before = c->pages.len;
    if (finish_page(w, clen, &c->cs, &c->pages, e) < 0)
        return -1;
    c->dict_pages += c->dict_on;
    rg_less(w, c->defs.len + c->plain.len + c->ids.len);
    w->rg_bytes += c->pages.len - before;
    mf_buf_clear(&c->defs);
    mf_buf_clear(&c->plain);
    mf_buf_clear(&c->ids);
    return 0;
}

/* A page ends when its rows, PLAIN bytes or ids reach page_bytes: its buffers stay about that size. */
static inline bool page_full(const pq_writer *w, const col *c)
{
    size_t lim = w->o.page_bytes;
    return c->defs.len >= lim || c->plain.len >= lim || c->ids.len >= lim;
}

/* ---- metadata --------------------------------------------------------------------------------- */

static void statistics(pq_thrift *t, const col *c)
{
    pq_t_struct_begin(t, 12);
    pq_t_i64(t, 3, (int64_t)c->nulls);
    if (c->has_stats && c->min.len <= STATS_MAX_BYTES && c->max.len <= STATS_MAX_BYTES) {
        pq_t_binary(t, 5, c->max.data, c->max.len);
        pq_t_binary(t, 6, c->min.data, c->min.len);
    }
    pq_t_struct_end(t);
}

static void column_chunk(pq_writer *w, const col *c, int64_t start, int64_t data_off, bool dict, chunk_sizes cs)
{
    pq_thrift t;
    pq_t_init(&t, &w->chunks);
    pq_t_i64(&t, 2, start);
    pq_t_struct_begin(&t, 3);
    pq_t_i32(&t, 1, c->phys);
    pq_t_list_begin(&t, 2, PQ_T_I32, dict ? 3 : 2);
    pq_t_elem_i32(&t, ENC_PLAIN);
    pq_t_elem_i32(&t, ENC_RLE);
    if (dict)
        pq_t_elem_i32(&t, ENC_RLE_DICTIONARY);
    pq_t_list_begin(&t, 3, PQ_T_BINARY, 1);
    pq_t_elem_binary(&t, c->name, strlen(c->name));
    pq_t_i32(&t, 4, (int32_t)w->o.codec);
    pq_t_i64(&t, 5, (int64_t)w->rows_rg);
    pq_t_i64(&t, 6, cs.uncompressed);
    pq_t_i64(&t, 7, cs.compressed);
    pq_t_i64(&t, 9, data_off);
    if (dict)
        pq_t_i64(&t, 11, start);
    statistics(&t, c);
    pq_t_struct_end(&t);
    pq_t_stop(&t);
}

/* Write the buffered row group and remember its RowGroup struct for the footer. */
static int flush_row_group(pq_writer *w, mf_err *e)
{
    if (w->rows_rg == 0)
        return 0;
    int64_t rg_start = (int64_t)w->offset, total_u = 0, total_c = 0;
    mf_buf_clear(&w->chunks);
    for (int i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        if (c->dict_on && !dict_pays(c))
            dict_to_plain(w, c);
        if (data_page(w, c, e) < 0)   /* the last page */
            return -1;
        int64_t start = (int64_t)w->offset;
        bool dict = c->dict_pages > 0;
        if (dict && dictionary_page(w, c, &c->cs, e) < 0)
            return -1;
        int64_t data_off = (int64_t)w->offset;
        if (emit(w, c->pages.data, c->pages.len, e) < 0)
            return -1;
        column_chunk(w, c, start, data_off, dict, c->cs);
        total_u += c->cs.uncompressed;
        total_c += c->cs.compressed;
    }
    pq_thrift t;
    pq_t_init(&t, &w->rowgroups);
    pq_t_list_begin(&t, 1, PQ_T_STRUCT, (size_t)w->ncols);
    mf_buf_add(&w->rowgroups, w->chunks.data, w->chunks.len);
    pq_t_i64(&t, 2, total_u);
    pq_t_i64(&t, 3, (int64_t)w->rows_rg);
    pq_t_i64(&t, 5, rg_start);
    pq_t_i64(&t, 6, total_c);
    pq_t_stop(&t);
    w->nrowgroups++;
    start_row_group(w);
    return 0;
}

static void schema_element(pq_thrift *t, const col *c)
{
    pq_t_elem_struct_begin(t);
    pq_t_i32(t, 1, c->phys);
    if (c->phys == PHYS_FLBA)
        pq_t_i32(t, 2, c->flba_len);
    pq_t_i32(t, 3, REP_OPTIONAL);
    pq_t_binary(t, 4, c->name, strlen(c->name));
    switch (c->type.base) {
    case PT_TEXT:
        pq_t_i32(t, 6, CONV_UTF8);
        pq_t_struct_begin(t, 10);
        pq_t_struct_begin(t, 1);   /* STRING */
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        break;
    case PT_DECIMAL:
        pq_t_i32(t, 6, CONV_DECIMAL);
        pq_t_i32(t, 7, c->type.scale);
        pq_t_i32(t, 8, c->type.prec);
        pq_t_struct_begin(t, 10);
        pq_t_struct_begin(t, 5);   /* DECIMAL */
        pq_t_i32(t, 1, c->type.scale);
        pq_t_i32(t, 2, c->type.prec);
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        break;
    case PT_DATE:
        pq_t_i32(t, 6, CONV_DATE);
        pq_t_struct_begin(t, 10);
        pq_t_struct_begin(t, 6);   /* DATE */
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        break;
    case PT_TIMESTAMP:
        pq_t_i32(t, 6, CONV_TIMESTAMP_MICROS);
        pq_t_struct_begin(t, 10);
        pq_t_struct_begin(t, 8);   /* TIMESTAMP */
        pq_t_bool(t, 1, true);     /* isAdjustedToUTC */
        pq_t_struct_begin(t, 2);   /* unit */
        pq_t_struct_begin(t, 2);   /* MICROS */
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        pq_t_struct_end(t);
        break;
    default: break;
    }
    pq_t_struct_end(t);
}

static void file_metadata(pq_writer *w, mf_buf *out)
{
    pq_thrift t;
    pq_t_init(&t, out);
    pq_t_i32(&t, 1, 2);
    pq_t_list_begin(&t, 2, PQ_T_STRUCT, (size_t)w->ncols + 1);
    pq_t_elem_struct_begin(&t);
    pq_t_binary(&t, 4, "schema", 6);
    pq_t_i32(&t, 5, w->ncols);
    pq_t_struct_end(&t);
    for (int i = 0; i < w->ncols; i++)
        schema_element(&t, &w->cols[i]);
    pq_t_i64(&t, 3, (int64_t)w->rows_total);
    pq_t_list_begin(&t, 4, PQ_T_STRUCT, (size_t)w->nrowgroups);
    mf_buf_add(out, w->rowgroups.data, w->rowgroups.len);
    pq_t_binary(&t, 6, CREATED_BY, strlen(CREATED_BY));
    pq_t_list_begin(&t, 7, PQ_T_STRUCT, (size_t)w->ncols);
    for (int i = 0; i < w->ncols; i++) {
        pq_t_elem_struct_begin(&t);
        pq_t_struct_begin(&t, 1);   /* TYPE_ORDER */
        pq_t_struct_end(&t);
        pq_t_struct_end(&t);
    }
    pq_t_stop(&t);
}

int pq_writer_close(pq_writer *w, mf_err *e)
{
    if (w->failed) {
        pq_writer_abort(w);
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "Parquet writer used after a failure");
    }
    mf_buf meta = {0};
    int rc = flush_row_group(w, e);
    if (rc == 0) {
        file_metadata(w, &meta);
        uint8_t len[4];
        le32(len, (uint32_t)meta.len);
        rc = emit(w, meta.data, meta.len, e) < 0 || emit(w, len, 4, e) < 0 || emit(w, "PAR1", 4, e) < 0 ? -1 : 0;
    }
    mf_buf_free(&meta);
    if (rc == 0) {
        if (w->o.seal_into) {
            rc = mf_afile_seal(&w->f, e);
            if (rc == 0)
                *w->o.seal_into = w->f;   /* handed over: the caller publishes or aborts it */
        } else {
            rc = mf_afile_commit(&w->f, e);
        }
        free_writer(w);
        return rc;
    }
    pq_writer_abort(w);
    return -1;
}

/* ---- rows ------------------------------------------------------------------------------------- */

/* One non-null cell of c; -1 when it is not a value of c's type. */
static inline int put_cell(pq_writer *w, col *c, const char *s, size_t len)
{
    uint8_t fixed[16];
    const uint8_t *p;
    size_t n;
    if (!pq_encode_cell(c->type, s, len, fixed, &p, &n))
        return -1;
    if (c->phys == PHYS_BYTE_ARRAY && (n > UINT32_MAX / 2 || (!w->trusted_utf8 && mf_utf8_invalid_at(s, n) != n)))
        return -1;
    buf_putc(&c->defs, 1);
    add_value(w, c, p, n);
    return 0;
}

static int put_row(pq_writer *w, const char *const *cells, const size_t *lens, const char *src, long line,
                   mf_err *e)
{
    if (w->failed)
        return mf_fail(e, MF_EUSAGE, src, line, 0, "Parquet writer used after a failure");
    for (int i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        if (!cells[i]) {
            buf_putc(&c->defs, 0);
            c->nulls++;
        } else if (put_cell(w, c, cells[i], lens[i]) < 0) {
            w->failed = true;
            char tn[64];
            plan_type_name(c->type, tn, sizeof tn);
            return mf_fail(e, MF_EDATA, src, line, i + 1, "column %s: \"%.*s\" is not a valid %s", c->name,
                           lens[i] > 60 ? 60 : (int)lens[i], cells[i], tn);
        }
        if (page_full(w, c) && data_page(w, c, e) < 0) {
            w->failed = true;
            return -1;
        }
    }
    w->rg_bytes += (size_t)w->ncols;
    w->rows_rg++;
    w->rows_total++;
    if (w->rows_rg >= w->o.row_group_rows || w->rg_bytes >= w->o.row_group_bytes) {
        if (flush_row_group(w, e) < 0) {
            w->failed = true;
            return -1;
        }
    }
    return 0;
}

int pq_write_row(pq_writer *w, const char *const *cells, const size_t *lens, mf_err *e)
{
    return put_row(w, cells, lens, w->f.path, (long)w->rows_total + 1, e);
}

/* ---- from the engine's output CSV ------------------------------------------------------------- */

static int check_header(const plan *p, csv_reader *r, const char *csv_path, mf_err *e)
{
    const char *const *names;
    int n = csv_header(r, &names);
    if (n != p->ncols)
        return mf_fail(e, MF_EFORMAT, csv_path, 1, 0, "expected a header of the plan's %d output columns, found %d fields",
                       p->ncols, n);
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], p->cols[i].name))
            return mf_fail(e, MF_EFORMAT, csv_path, 1, i + 1, "expected column \"%s\" (the plan's column %d), found \"%s\"",
                           p->cols[i].name, i + 1, names[i]);
    return 0;
}

static int convert_blocks(const plan *p, csv_reader *r, pq_writer *w, const char *csv_path, mf_err *e)
{
    int n = p->ncols;
    const char **cells = mf_xcalloc((size_t)n, sizeof *cells);
    size_t *lens = mf_xcalloc((size_t)n, sizeof *lens);
    csv_block b;
    csv_block_init(&b);
    long got;
    int rc = 0;
    while (rc == 0 && (got = csv_read_block(r, &b, e)) > 0) {
        if (mf_interrupt_check(e) < 0) {
            rc = -1;
            break;
        }
        for (size_t row = 0; row < b.nrows && rc == 0; row++) {
            if (b.nfields[row] != (uint32_t)n) {
                rc = mf_fail(e, MF_EFORMAT, csv_path, b.line[row], 0, "expected %d fields, found %u", n,
                             (unsigned)b.nfields[row]);
                break;
            }
            uint32_t f = b.first[row];
            for (int i = 0; i < n; i++, f++) {
                /* `""` is empty text, except in a one-column output: there it is how a null row is
                 * written (a blank line is no record; src/engine/format.c) */
                bool empty_text = b.fquoted[f] && p->cols[i].type.base == PT_TEXT && n > 1;
                cells[i] = b.flen[f] || empty_text ? (b.flen[f] ? b.fptr[f] : "") : NULL;
                lens[i] = b.flen[f];
            }
            rc = put_row(w, cells, lens, csv_path, b.line[row], e);
        }
    }
    if (got < 0)
        rc = -1;
    csv_block_free(&b);
    free(cells);
    free(lens);
    return rc;
}

int pq_write_from_csv(const plan *p, const char *csv_path, const char *parquet_path, const pq_options *o,
                      mf_err *e)
{
    csv_dialect d = {.delimiter = ',', .quote = '"', .encoding = CSV_UTF8, .header_line = 1, .ncols = p->ncols};
    csv_reader *r = csv_open(csv_path, &d, e);
    if (!r)
        return -1;
    int rc = -1;
    pq_column *cols = mf_xcalloc((size_t)(p->ncols > 0 ? p->ncols : 1), sizeof *cols);
    for (int i = 0; i < p->ncols; i++)
        cols[i] = (pq_column){p->cols[i].name, p->cols[i].type};
    pq_writer *w = NULL;
    if (check_header(p, r, csv_path, e) == 0 && (w = pq_writer_open(parquet_path, p->ncols, cols, o, e))) {
        w->trusted_utf8 = true;
        if (convert_blocks(p, r, w, csv_path, e) == 0)
            rc = pq_writer_close(w, e);
        else
            pq_writer_abort(w);
    }
    free(cols);
    csv_close(r);
    return rc;
}
