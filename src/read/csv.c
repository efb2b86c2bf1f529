/* csv.c — the streaming, block-at-a-time CSV reader (see csv.h).
 *
 * Design.  Each block owns a text buffer; csv_read_block fills it straight from the source (UTF-8
 * text, already checked) and splits it into records in place.  Fields point into that text,
 * except values that had doubled quotes: those are collapsed into the block's "unescaped" buffer,
 * whose capacity equals the text's, so it never moves while pointers into it exist (a collapsed
 * value is never longer than its raw text).  The text buffer itself only grows while the block
 * holds no record yet (a record longer than the buffer), so it never moves under stored pointers
 * either.  What is left after the last whole record (a record cut by the end of the buffer) is
 * copied to the reader's carry buffer and starts the next block: blocks are independent, and
 * freeing one never disturbs another.
 *
 * Scanning.  Two paths with one meaning.  The fast path (fast_records) walks a structural index
 * of the text, the offsets of every delimiter, quote and '\n' (built 64 bytes at a time, with AVX2
 * when the CPU has it, chosen at open), and takes plain records: unquoted fields, and quoted
 * fields that close right before a delimiter or line end.  Anything else (blank lines, a quote
 * inside an unquoted field, text after a closing quote, newlines in quoted values, a record cut
 * by the end of the text, errors) goes to the exact path, parse_record, which finds the special
 * bytes with a 64-byte window mask; a '\n' sentinel written just after the text stops its
 * scans without a bounds check.  No state machine per byte.
 *
 * Line numbers.  r->line is the physical line of the next unread byte.  A record's line is the
 * line where it starts; newlines inside quoted fields are counted.  A record cut by the end of
 * the buffer is simply parsed again from its start once more text is there.
 *
 * Test hooks (environment, read by csv_open): MAPFORGE_MAX_RECORD lowers CSV_MAX_RECORD;
 * MAPFORGE_CSV_CHUNK sets the bytes read per fill (small values make records straddle fills);
 * MAPFORGE_CSV_PORTABLE (any value) builds the structural index without AVX2.
 */
#include "read/csv.h"
#include "read/source.h"
#include "util/utf8.h"

#include <ctype.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAD 80                        /* readable bytes after the text: sentinel + 64-byte loads */
#define MIN_ROOM 64                   /* below this much free space a block stops filling */
#define DEFAULT_CAP (1u << 20)
#define MAX_BLOCK_CAP (16u << 20)
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

struct csv_reader {
    char *path;
    csv_dialect d;
    csv_source src;
    bool src_done;                    /* the source returned its last byte */
    long line;                        /* physical line of the next unread byte */
    char *carry;                      /* text after the last record handed out */
    size_t carry_len, carry_cap;
    size_t max_record;
    size_t chunk;                     /* bytes per fill when set by the test hook, else 0 */
    double avg_record;                /* bytes per record so far, to size fills */
    unsigned long long records, record_bytes;
    int ncols;
    char **names;
    bool failed;
    uint32_t *idx;                    /* structural index: see "the fast path" below */
    bool avx2;                        /* the CPU has AVX2 (chosen once, at open) */
};

typedef struct blk_store {
    char *text;                       /* cap + PAD bytes */
    size_t len, cap;
    char *unesc;                      /* cap bytes */
    size_t ulen;
    size_t nf, fcap;                  /* fields used / allocated in the block's arrays */
} blk_store;

/* ---- names ------------------------------------------------------------------------------ */

const char *csv_encoding_name(csv_encoding enc)
{
    switch (enc) {
    case CSV_UTF8: return "UTF-8";
    case CSV_UTF8_BOM: return "UTF-8 with BOM";
    case CSV_CP1252: return "Windows-1252";
    case CSV_LATIN1: return "Latin-1";
    case CSV_UTF16LE: return "UTF-16LE";
    case CSV_UTF16BE: return "UTF-16BE";
    }
    return "unknown";
}

int csv_encoding_parse(const char *name, csv_encoding *out)
{
    /* Compare with case, '-', '_' and spaces ignored, so "utf-8", "UTF8", "Utf_8" all match. */
    char k[32];
    size_t n = 0;
    for (const char *p = name; p && *p && n + 1 < sizeof k; p++)
        if (*p != '-' && *p != '_' && *p != ' ')
            k[n++] = (char)tolower((unsigned char)*p);
    k[n] = '\0';
    static const struct { const char *key; csv_encoding enc; } names[] = {
        {"utf8", CSV_UTF8},           {"utf8withbom", CSV_UTF8_BOM}, {"utf8bom", CSV_UTF8_BOM},
        {"utf8sig", CSV_UTF8_BOM},    {"windows1252", CSV_CP1252},   {"cp1252", CSV_CP1252},
        {"latin1", CSV_LATIN1},       {"iso88591", CSV_LATIN1},      {"utf16le", CSV_UTF16LE},
        {"utf16be", CSV_UTF16BE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(k, names[i].key) == 0) {
            *out = names[i].enc;
            return 0;
        }
    return -1;
}

const char *csv_delimiter_name(char d)
{
    switch (d) {
    case ',': return "comma";
    case ';': return "semicolon";
    case '|': return "pipe";
    case '\t': return "tab";
    }
    return "other";
}

/* ---- blocks ----------------------------------------------------------------------------- */

void csv_block_init(csv_block *b)
{
    memset(b, 0, sizeof *b);
}

void csv_block_free(csv_block *b)
{
    blk_store *st = b->priv;
    if (st) {
        free(st->text);
        free(st->unesc);
        free(st);
    }
    free(b->line);
    free(b->first);
    free(b->nfields);
    free(b->raw);
    free(b->raw_len);
    free(b->fptr);
    free(b->flen);
    free(b->fquoted);
    memset(b, 0, sizeof *b);
}

static blk_store *block_store(csv_block *b)
{
    if (b->priv)
        return b->priv;
    blk_store *st = mf_xcalloc(1, sizeof *st);
    b->priv = st;
    b->line = mf_xmalloc(CSV_BLOCK_ROWS * sizeof *b->line);
    b->first = mf_xmalloc(CSV_BLOCK_ROWS * sizeof *b->first);
    b->nfields = mf_xmalloc(CSV_BLOCK_ROWS * sizeof *b->nfields);
    b->raw = mf_xmalloc(CSV_BLOCK_ROWS * sizeof *b->raw);
    b->raw_len = mf_xmalloc(CSV_BLOCK_ROWS * sizeof *b->raw_len);
    return st;
}

/* Give the text buffer (and the unescape buffer) at least cap bytes.  Only called while the
 * block holds no records: the buffers may move. */
static void store_reserve(blk_store *st, size_t cap)
{
    if (st->cap >= cap)
        return;
    /* all of it initialised: window loads may look past the sentinel (the bits are unused,
     * but memory checkers would rightly object to reading garbage) */
    st->text = mf_xrealloc(st->text, cap + PAD);
    memset(st->text + st->cap, '\n', cap + PAD - st->cap);
    free(st->unesc);
    st->unesc = mf_xmalloc(cap);
    st->cap = cap;
}

static void fields_grow(csv_block *b, blk_store *st)
{
    size_t n = st->fcap ? st->fcap * 2 : 16384;
    b->fptr = mf_xrealloc(b->fptr, n * sizeof *b->fptr);
    b->flen = mf_xrealloc(b->flen, n * sizeof *b->flen);
    b->fquoted = mf_xrealloc(b->fquoted, n * sizeof *b->fquoted);
    st->fcap = n;
}

/* ---- scanning --------------------------------------------------------------------------- */

/* The scanner: a bit mask of the special bytes (delimiter, quote, '\n') of a 64-byte window,
 * computed 16 bytes at a time with SSE2 (8 at a time with plain 64-bit words elsewhere).  Finding the
 * next special byte is then a shift and a count of trailing zeros, and a window serves every
 * field that lies in it.  The caller guarantees a '\n' sentinel at the end of the text and PAD
 * readable bytes after it, so a search always stops at or before the end and loads stay inside
 * the buffer.  A window is dropped whenever the text changes (fill, move). */
typedef struct scan_win {
    const char *base;   /* NULL: no window */
    uint64_t mask;
#if defined(__SSE2__)
    __m128i vd, vq, vn;
#else
    uint64_t wd, wq, wn;
#endif
} scan_win;

static void scan_init(scan_win *w, char d, char q)
{
    w->base = NULL;
    w->mask = 0;
    if (!q)
        q = '\n';   /* no quoting: look for newlines twice rather than for NUL */
#if defined(__SSE2__)
    w->vd = _mm_set1_epi8(d);
    w->vq = _mm_set1_epi8(q);
    w->vn = _mm_set1_epi8('\n');
#else
    w->wd = ONES * (uint8_t)d;
    w->wq = ONES * (uint8_t)q;
    w->wn = ONES * (uint8_t)'\n';
#endif
}

#if defined(__SSE2__)
#define WIN 64
#define WIN_SHIFT(off) (off)
#define WIN_INDEX(bits) ((size_t)__builtin_ctzll(bits))
static inline uint64_t win_mask(const scan_win *w, const char *p)
{
    uint64_t m = 0;
    for (int i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        __m128i c = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, w->vd), _mm_cmpeq_epi8(x, w->vq)),
                                 _mm_cmpeq_epi8(x, w->vn));
        m |= (uint64_t)(uint32_t)_mm_movemask_epi8(c) << (16 * i);
    }
    return m;
}
#else
#define WIN 64
#define WIN_SHIFT(off) (off)
#define WIN_INDEX(bits) ((size_t)__builtin_ctzll(bits))
/* High bit of each byte that is zero, exactly (no borrow from one byte into the next). */
static inline uint64_t zero_bytes(uint64_t x)
{
    return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}
static inline uint64_t win_mask(const scan_win *w, const char *p)
{
    uint64_t m = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t x;
        memcpy(&x, p + 8 * i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        x = __builtin_bswap64(x);
#endif
        uint64_t z = zero_bytes(x ^ w->wd) | zero_bytes(x ^ w->wq) | zero_bytes(x ^ w->wn);
        /* gather the eight flags (bits 7, 15, ..., 63) into one byte, byte k to bit k */
        m |= (((z >> 7) * 0x0102040810204080ULL) >> 56) << (8 * i);
    }
    return m;
}
#endif

/* The first special byte at or after p. */
static inline const char *next_special(scan_win *w, const char *p)
{
    for (;;) {
        if (w->base && p >= w->base && (size_t)(p - w->base) < WIN) {
            uint64_t m = w->mask >> WIN_SHIFT((size_t)(p - w->base));
            if (m)
                return p + WIN_INDEX(m);
            p = w->base + WIN;
        }
        w->base = p;
        w->mask = win_mask(w, p);
    }
}

/* The first delimiter or '\n' at or after p: the end of an unquoted field (a quote inside one
 * is text). */
static inline const char *field_end(scan_win *w, const char *p, char d)
{
    const char *c = next_special(w, p);
    while (*c != d && *c != '\n')
        c = next_special(w, c + 1);
    return c;
}

/* The first quote or '\n' at or after p, inside a quoted field. */
static inline const char *quote_or_nl(scan_win *w, const char *p, char q)
{
    const char *c = next_special(w, p);
    while (*c != q && *c != '\n')
        c = next_special(w, c + 1);
    return c;
}

static long count_nl(const char *p, const char *end)
{
    long n = 0;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

enum { REC_OK, REC_BLANK, REC_MORE, REC_ERR };

static inline void add_field(csv_block *b, blk_store *st, const char *p, size_t n, uint8_t quoted)
{
    if (st->nf == st->fcap)
        fields_grow(b, st);
    b->fptr[st->nf] = p;
    b->flen[st->nf] = (uint32_t)n;
    b->fquoted[st->nf] = quoted;
    st->nf++;
}

static inline void unesc_add(blk_store *st, const char *p, size_t n)
{
    memcpy(st->unesc + st->ulen, p, n);
    st->ulen += n;
}

/* Parse one record starting at text[*ppos].  REC_MORE: the record is cut by the end of the text
 * (and the file goes on); nothing is stored.  at_eof: the text's end is the file's end. */
static int parse_record(csv_reader *r, csv_block *b, blk_store *st, scan_win *w, size_t *ppos, bool at_eof,
                        mf_err *e)
{
    const char *text = st->text;
    const char *start = text + *ppos, *end = text + st->len, *p = start;
    const char d = r->d.delimiter, q = r->d.quote;
    if (p == end)
        return REC_MORE;
    if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {   /* a blank line */
        *ppos += (*p == '\n') ? 1 : 2;
        r->line++;
        return REC_BLANK;
    }
    if (*p == '\r' && p + 1 == end) {   /* a lone CR at the end: blank if the file ends there */
        if (!at_eof)
            return REC_MORE;
        *ppos += 1;
        return REC_BLANK;
    }
    size_t nf0 = st->nf, u0 = st->ulen;
    long extra_nl = 0;
    const char *rec_end, *next;
    for (;;) {
        if (q && *p == q && p < end) {
            long qline = r->line + extra_nl;
            const char *s = p + 1, *seg = s;
            bool esc = false;
            size_t ustart = st->ulen;
            const char *c;
            for (;;) {
                c = quote_or_nl(w, s, q);   /* the closing quote, or a newline inside the value */
                if (*c == '\n') {
                    if (c < end) {
                        extra_nl++;
                        s = c + 1;
                        continue;
                    }
                    if (!at_eof)
                        goto more;
                    st->nf = nf0, st->ulen = u0;
                    return mf_fail(e, MF_EFORMAT, r->path, qline, 0,
                                   "unterminated quoted field: the quote opened on line %ld is never closed "
                                   "before the end of the file",
                                   qline),
                           REC_ERR;
                }
                if (c + 1 == end && !at_eof)
                    goto more;   /* cannot tell a closing quote from a doubled one yet */
                if (c + 1 < end && c[1] == q) {
                    unesc_add(st, seg, (size_t)(c + 1 - seg));
                    esc = true;
                    s = seg = c + 2;
                    continue;
                }
                break;
            }
            p = c + 1;
            /* What follows the closing quote: a delimiter, the end of the record, or (not RFC
             * 4180, but seen in the wild) more text, which is kept as part of the value. */
            const char *vend = NULL, *f = p;
            if (p < end && *p != d && *p != '\n' && !(*p == '\r' && (p + 1 == end || p[1] == '\n'))) {
                f = field_end(w, p, d);
                if (f >= end) {
                    if (!at_eof)
                        goto more;
                    f = end;
                }
                vend = (f > p && f[-1] == '\r' && (f == end || *f == '\n')) ? f - 1 : f;
            } else if (p < end && *p == '\r') {
                if (p + 1 == end && !at_eof)
                    goto more;
                f = p;
            }
            if (vend || esc) {
                unesc_add(st, seg, (size_t)(c - seg));
                if (vend)
                    unesc_add(st, p, (size_t)(vend - p));
                add_field(b, st, st->unesc + ustart, st->ulen - ustart, 1);
            } else {
                add_field(b, st, seg, (size_t)(c - seg), 1);
            }
            if (f < end && *f == d) {
                if (st->nf - nf0 >= CSV_MAX_FIELDS)
                    goto too_many;
                p = f + 1;
                continue;
            }
            rec_end = vend ? vend : f;
            if (f == end)
                next = end;
            else if (*f == '\r')
                next = f + 2 <= end ? f + 2 : end;
            else
                next = f + 1;
            break;
        }
        const char *f = field_end(w, p, d);
        if (f >= end) {
            if (!at_eof)
                goto more;
            f = end;
        }
        if (*f == d && f < end) {
            add_field(b, st, p, (size_t)(f - p), 0);
            if (st->nf - nf0 >= CSV_MAX_FIELDS)
                goto too_many;
            p = f + 1;
            continue;
        }
        const char *vend = (f > p && f[-1] == '\r') ? f - 1 : f;
        add_field(b, st, p, (size_t)(vend - p), 0);
        rec_end = vend;
        next = f < end ? f + 1 : end;
        break;
    }
    if ((size_t)(rec_end - start) > r->max_record) {
        st->nf = nf0, st->ulen = u0;
        return mf_fail(e, MF_ELIMIT, r->path, r->line, 0, "record longer than the maximum of %zu bytes",
                       r->max_record),
               REC_ERR;
    }
    size_t i = b->nrows++;
    b->line[i] = r->line;
    b->first[i] = (uint32_t)nf0;
    b->nfields[i] = (uint32_t)(st->nf - nf0);
    b->raw[i] = start;
    b->raw_len[i] = (uint32_t)(rec_end - start);
    r->line += 1 + extra_nl;
    r->records++;
    r->record_bytes += (unsigned long long)(next - start);
    *ppos = (size_t)(next - text);
    return REC_OK;
more:
    st->nf = nf0;
    st->ulen = u0;
    return REC_MORE;
too_many:   /* refused as soon as the fields are there: the record need not be read whole */
    st->nf = nf0;
    st->ulen = u0;
    return mf_fail(e, MF_ELIMIT, r->path, r->line, 0,
                   "record has more than %d fields; at most %d fields are read per record (is the delimiter "
                   "right?)",
                   CSV_MAX_FIELDS, CSV_MAX_FIELDS),
           REC_ERR;
}

/* ---- the fast path ---------------------------------------------------------------------- */

/* A structural index of the text: the offsets of every special byte (delimiter, quote, '\n') of
 * text[from, lim), in order, then lim itself as a sentinel.  It is built a span at a time (64
 * bytes per step: a compare mask, then one count-trailing-zeros per special byte), and the fast
 * record parser below walks it: a field is then one load of the next offset, no byte loop and no
 * window bookkeeping.  The index holds no quoting state (it is not a parity mask), so it stays
 * valid wherever parsing resumes after the exact path took a record: the walker only skips the
 * offsets before the record's start.  It is rebuilt whenever the text changes (fill, move). */
#define IDX_SPAN 32768u                /* text bytes indexed per build */
#define IDX_MIN 2048u                  /* rebuild when fewer bytes than this remain indexed */

typedef struct str_index {
    size_t lim;                        /* end of the indexed text (exclusive); 0: no index */
    uint32_t cur;                      /* the next offset to look at */
} str_index;

#if defined(HAVE_AVX2_PATH)
/* AVX2 build of the index: two 32-byte compares per 64 bytes, and offsets written eight at a
 * time (tzcnt of 0 is 64, so the extra writes past the count are harmless: the array has room). */
__attribute__((target("avx2,bmi,popcnt"))) static uint32_t index_avx2(const char *text, size_t from, size_t lim,
                                                                      char d, char q, uint32_t *out)
{
    const __m256i vd = _mm256_set1_epi8(d), vq = _mm256_set1_epi8(q), vn = _mm256_set1_epi8('\n');
    uint32_t n = 0;
    for (size_t base = from; base < lim; base += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(text + base));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(text + base + 32));
        __m256i ca = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, vd), _mm256_cmpeq_epi8(a, vq)),
                                     _mm256_cmpeq_epi8(a, vn));
        __m256i cb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, vd), _mm256_cmpeq_epi8(b, vq)),
                                     _mm256_cmpeq_epi8(b, vn));
        uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(ca) | (uint64_t)(uint32_t)_mm256_movemask_epi8(cb) << 32;
        if (lim - base < 64)
            m &= (1ULL << (lim - base)) - 1;
        uint32_t cnt = (uint32_t)_mm_popcnt_u64(m);
        uint32_t *o = out + n;
        for (uint32_t k = 0; k < cnt; k += 8) {
            for (int j = 0; j < 8; j++) {
                o[k + (uint32_t)j] = (uint32_t)(base + _tzcnt_u64(m));
                m = _blsr_u64(m);
            }
        }
        n += cnt;
    }
    return n;
}
#endif

/* The portable build of the index, with the scanner's 64-byte masks (SSE2 or word at a time). */
static uint32_t index_generic(const scan_win *w, const char *text, size_t from, size_t lim, uint32_t *out)
{
    uint32_t n = 0;
    for (size_t base = from; base < lim; base += 64) {
        uint64_t m = win_mask(w, text + base);
        if (lim - base < 64)
            m &= (1ULL << (lim - base)) - 1;
        while (m) {
            out[n++] = (uint32_t)(base + (size_t)__builtin_ctzll(m));
            m &= m - 1;
        }
    }
    return n;
}

/* Index text[from, min(from + IDX_SPAN, len)).  Loads may reach 63 bytes past the limit: the
 * buffer has PAD readable bytes after its capacity. */
static void index_build(csv_reader *r, const scan_win *w, const blk_store *st, size_t from, str_index *ix)
{
    if (!r->idx)
        r->idx = mf_xmalloc((IDX_SPAN + 16) * sizeof *r->idx);
    size_t lim = st->len - from > IDX_SPAN ? from + IDX_SPAN : st->len;
    uint32_t n;
#if defined(HAVE_AVX2_PATH)
    if (r->avx2)
        n = index_avx2(st->text, from, lim, r->d.delimiter, r->d.quote ? r->d.quote : '\n', r->idx);
    else
#endif
        n = index_generic(w, st->text, from, lim, r->idx);
    r->idx[n] = (uint32_t)lim;
    ix->lim = lim;
    ix->cur = 0;
}

/* Records the plain way, from the index, while they come: unquoted fields, and quoted fields that
 * open at the field's start, close right before a delimiter or '\n' and hold no newline (doubled
 * quotes are collapsed).  It stops before anything else (a blank line, a quote inside an unquoted
 * field, text or '\r' after a closing quote, a newline in a quoted value, a record past the
 * indexed text or too long) with nothing of that record stored, and the caller gives it to
 * parse_record, the exact path: what this function does accept, it splits exactly as
 * parse_record would.  It also stops when fewer than IDX_MIN indexed bytes remain and more text
 * is there, so that the caller rebuilds the index.  The block's and reader's counters live in
 * locals meanwhile: stores through b->fquoted (bytes) may alias anything, and would make the
 * compiler reload every pointer after each field. */
static void fast_records(csv_reader *r, csv_block *b, blk_store *st, str_index *ix, size_t *ppos, size_t maxrows)
{
    const char *text = st->text;
    const size_t lim = ix->lim, more_at = lim < st->len ? lim - IDX_MIN : (size_t)-1;
    const char d = r->d.delimiter, q = r->d.quote;
    const uint32_t *idx = r->idx;
    const size_t max_record = r->max_record;
    size_t pos = *ppos, nrows = b->nrows;
    uint32_t k = ix->cur;
    while (idx[k] < pos)
        k++;   /* stops at the sentinel, lim > pos */
    size_t nf = st->nf, fcap = st->fcap;
    const char **fptr = b->fptr;
    uint32_t *flen = b->flen;
    uint8_t *fquoted = b->fquoted;
    long line = r->line;
    unsigned long long bytes = 0;
#define FAST_ADD(ptr, len, quoted)                                                                   \
    do {                                                                                            \
        if (nf - nf0 >= CSV_MAX_FIELDS)                                                             \
            goto slow; /* the exact path says so */                                                 \
        if (nf == fcap) {                                                                           \
            st->nf = nf;                                                                            \
            fields_grow(b, st);                                                                     \
            fcap = st->fcap, fptr = b->fptr, flen = b->flen, fquoted = b->fquoted;                  \
        }                                                                                           \
        fptr[nf] = (ptr);                                                                           \
        flen[nf] = (uint32_t)(len);                                                                 \
        fquoted[nf] = (quoted);                                                                     \
        nf++;                                                                                       \
    } while (0)
    while (nrows < maxrows && pos < lim && (more_at == (size_t)-1 || pos < more_at)) {
        const size_t start = pos, nf0 = nf, u0 = st->ulen;
        const uint32_t k0 = k;
        if (text[start] == '\n' || text[start] == '\r')
            break;
        size_t a = start, rec_end, next;
        for (;;) {
            size_t s = idx[k];
            if (s >= lim)
                goto slow;
            char c = text[s];
            if (c == d) {
                FAST_ADD(text + a, s - a, 0);
                a = s + 1;
                k++;
                continue;
            }
            if (c == '\n') {
                size_t ve = (s > a && text[s - 1] == '\r') ? s - 1 : s;
                FAST_ADD(text + a, ve - a, 0);
                rec_end = ve;
                next = s + 1;
                k++;
                break;
            }
            if (!q || s != a)
                goto slow;   /* a quote inside an unquoted field: text, but rare */
            size_t seg = a + 1, ustart = st->ulen;
            bool esc = false;
            k++;
            for (;;) {
                size_t t = idx[k];
                if (t + 1 >= lim)
                    goto slow;
                char ct = text[t];
                if (ct == d) {
                    k++;
                    continue;
                }
                if (ct == '\n' || idx[k + 1] != t + 1)
                    goto slow;   /* a newline in the value, or text or '\r' after the closing quote */
                char c2 = text[t + 1];
                if (c2 == q) {   /* a doubled quote */
                    unesc_add(st, text + seg, t + 1 - seg);
                    esc = true;
                    seg = t + 2;
                    k += 2;
                    continue;
                }
                if (esc) {
                    unesc_add(st, text + seg, t - seg);
                    FAST_ADD(st->unesc + ustart, st->ulen - ustart, 1);
                } else {
                    FAST_ADD(text + a + 1, t - a - 1, 1);
                }
                k += 2;
                break;
            }
            size_t s2 = idx[k - 1];
            if (text[s2] == d) {
                a = s2 + 1;
                continue;
            }
            rec_end = s2;
            next = s2 + 1;
            break;
        }
        if (rec_end - start > max_record)
            goto slow;
        b->line[nrows] = line;
        b->first[nrows] = (uint32_t)nf0;
        b->nfields[nrows] = (uint32_t)(nf - nf0);
        b->raw[nrows] = text + start;
        b->raw_len[nrows] = (uint32_t)(rec_end - start);
        nrows++;
        line++;
        bytes += next - start;
        pos = next;
        continue;
    slow:
        nf = nf0;
        st->ulen = u0;
        k = k0;
        break;
    }
#undef FAST_ADD
    st->nf = nf;
    r->records += nrows - b->nrows;
    r->record_bytes += bytes;
    r->line = line;
    b->nrows = nrows;
    *ppos = pos;
    ix->cur = k;
}

/* ---- filling ---------------------------------------------------------------------------- */

/* Where a source fault lies: right after the text, on the line that starts at line_start. */
static int fault_at(csv_reader *r, const char *line_start, const char *at, mf_err *e)
{
    long line = r->line + count_nl(line_start, at);
    const char *ls = line_start;
    for (const char *p = at; p > line_start; p--)
        if (p[-1] == '\n') {
            ls = p;
            break;
        }
    r->failed = true;
    /* UTF-8 files: the byte column, which is where the bad byte is in the file; other encodings:
     * the character column, since decoded bytes are not the file's bytes */
    bool utf8 = r->d.encoding == CSV_UTF8 || r->d.encoding == CSV_UTF8_BOM;
    long col = utf8 ? (long)(at - ls) + 1 : (long)mf_utf8_count(ls, (size_t)(at - ls)) + 1;
    return src_fault_error(&r->src, r->path, line, col, e);
}

/* Append text from the source to the block; returns bytes added, 0 at end of file, -1 on a
 * fault (e filled; the fault is at the end of the text, in the record starting at pos). */
static long fill(csv_reader *r, csv_block *b, blk_store *st, size_t pos, mf_err *e)
{
    size_t room = st->cap - st->len;
    size_t want = room;
    if (r->chunk) {
        want = r->chunk;
    } else {
        double est = r->avg_record * (double)(CSV_BLOCK_ROWS - b->nrows) * 1.05 + 4096;
        if (est < 65536)
            est = 65536;
        /* a long record is parsed again from its start after each fill: read at least as much
         * as is pending, so the re-parsing costs no more than twice the record */
        if (est < (double)(st->len - pos))
            est = (double)(st->len - pos);
        if (est < (double)want)
            want = (size_t)est;
    }
    if (want > room)
        want = room;
    size_t n = src_fill(&r->src, st->text + st->len, want);
    if (n == 0 && r->src.fault)
        return fault_at(r, st->text + pos, st->text + st->len, e);
    st->len += n;
    st->text[st->len] = '\n';   /* the scan sentinel */
    if (n == 0)
        r->src_done = true;
    return (long)n;
}

static int record_too_long(csv_reader *r, mf_err *e)
{
    r->failed = true;
    return mf_fail(e, MF_ELIMIT, r->path, r->line, 0,
                   "record longer than the maximum of %zu bytes (a missing line end, or a quote that is "
                   "never closed?)",
                   r->max_record);
}

/* Fill b with up to maxrows records. */
static long read_records(csv_reader *r, csv_block *b, size_t maxrows, mf_err *e)
{
    if (r->failed)
        return mf_fail(e, MF_EIO, r->path, r->line, 0, "the reader already failed"), -1;
    blk_store *st = block_store(b);
    b->nrows = 0;
    st->nf = st->ulen = st->len = 0;
    if (r->records)
        r->avg_record = (double)r->record_bytes / (double)r->records;
    size_t want_cap = r->avg_record > 0 ? (size_t)(r->avg_record * CSV_BLOCK_ROWS * 1.25) : DEFAULT_CAP;
    if (want_cap < DEFAULT_CAP)
        want_cap = DEFAULT_CAP;
    if (want_cap > MAX_BLOCK_CAP)
        want_cap = MAX_BLOCK_CAP;
    if (want_cap < r->carry_len + MIN_ROOM)
        want_cap = r->carry_len + MIN_ROOM;
    store_reserve(st, want_cap);
    if (r->carry_len)
        memcpy(st->text, r->carry, r->carry_len);
    st->len = r->carry_len;
    st->text[st->len] = '\n';
    r->carry_len = 0;
    size_t pos = 0;
    scan_win w;
    scan_init(&w, r->d.delimiter, r->d.quote);
    str_index ix = {0, 0};
    while (b->nrows < maxrows) {
        if (pos >= ix.lim || (ix.lim - pos < IDX_MIN && ix.lim < st->len)) {
            if (pos < st->len)
                index_build(r, &w, st, pos, &ix);
        }
        if (pos < ix.lim) {
            fast_records(r, b, st, &ix, &pos, maxrows);
            if (b->nrows >= maxrows)
                break;
            if (ix.lim < st->len && ix.lim - pos < IDX_MIN)
                continue;   /* not a record it refused: the index ran low */
        }
        int rc = parse_record(r, b, st, &w, &pos, r->src_done, e);
        if (rc == REC_OK || rc == REC_BLANK)
            continue;
        w.base = NULL;   /* the text is about to change */
        ix.lim = 0;
        if (rc == REC_ERR) {
            r->failed = true;
            return -1;
        }
        if (r->src_done)
            break;   /* the text is all parsed */
        if (st->len - pos >= r->max_record)
            return record_too_long(r, e);
        if (st->cap - st->len < MIN_ROOM) {
            if (b->nrows > 0)
                break;   /* this block is full; the cut record goes to the next one */
            memmove(st->text, st->text + pos, st->len - pos);
            st->len -= pos;
            st->text[st->len] = '\n';
            pos = 0;
            if (st->cap - st->len < MIN_ROOM) {
                size_t ncap = st->cap * 2;
                if (ncap > r->max_record + 4 * MIN_ROOM)
                    ncap = r->max_record + 4 * MIN_ROOM;
                /* grow by hand: store_reserve would drop the text */
                st->text = mf_xrealloc(st->text, ncap + PAD);
                memset(st->text + st->cap, '\n', ncap + PAD - st->cap);
                free(st->unesc);
                st->unesc = mf_xmalloc(ncap);
                st->cap = ncap;
                st->text[st->len] = '\n';
            }
        }
        if (fill(r, b, st, pos, e) < 0)
            return -1;
    }
    size_t rest = st->len - pos;
    if (rest > r->carry_cap) {
        r->carry = mf_xrealloc(r->carry, rest);
        r->carry_cap = rest;
    }
    if (rest)
        memcpy(r->carry, st->text + pos, rest);
    r->carry_len = rest;
    return (long)b->nrows;
}

long csv_read_block(csv_reader *r, csv_block *b, mf_err *e)
{
    return read_records(r, b, CSV_BLOCK_ROWS, e);
}

long csv_read_records(csv_reader *r, csv_block *b, size_t maxrows, mf_err *e)
{
    return read_records(r, b, maxrows > CSV_BLOCK_ROWS ? CSV_BLOCK_ROWS : maxrows, e);
}

/* ---- opening ---------------------------------------------------------------------------- */

/* Skip n physical lines (the preamble), through the carry buffer. */
static int skip_lines(csv_reader *r, long n, mf_err *e)
{
    size_t at = 0;
    while (n > 0) {
        char *nl = r->carry_len > at ? memchr(r->carry + at, '\n', r->carry_len - at) : NULL;
        if (nl) {
            at = (size_t)(nl + 1 - r->carry);
            r->line++;
            n--;
            continue;
        }
        if (at)
            memmove(r->carry, r->carry + at, r->carry_len - at);
        r->carry_len -= at;
        at = 0;
        if (r->src_done)
            break;
        if (r->carry_len >= r->max_record)
            return record_too_long(r, e);
        if (r->carry_cap - r->carry_len < 65536) {
            r->carry_cap = r->carry_len + 65536 + r->carry_cap;
            r->carry = mf_xrealloc(r->carry, r->carry_cap);
        }
        size_t want = r->chunk ? r->chunk : r->carry_cap - r->carry_len;
        size_t k = src_fill(&r->src, r->carry + r->carry_len, want);
        if (k == 0 && r->src.fault)
            return fault_at(r, r->carry, r->carry + r->carry_len, e);
        if (k == 0)
            r->src_done = true;
        r->carry_len += k;
    }
    if (at)
        memmove(r->carry, r->carry + at, r->carry_len - at);
    r->carry_len -= at;
    return 0;
}

static size_t env_size(const char *name, size_t dflt, size_t min)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *endp;
    unsigned long long x = strtoull(v, &endp, 10);
    if (*endp || x < min)
        return dflt;
    return (size_t)x;
}

/* Whether the index may be built with AVX2 (the CPU has it, and the test hook
 * MAPFORGE_CSV_PORTABLE does not ask for the portable path). */
static bool cpu_has_avx2(void)
{
    const char *v = getenv("MAPFORGE_CSV_PORTABLE");
    if (v && *v)
        return false;
#if defined(HAVE_AVX2_PATH)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("popcnt");
#else
    return false;
#endif
}

static char *trimmed_copy(const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return mf_xstrndup(p, n);
}

static int read_header(csv_reader *r, mf_err *e)
{
    csv_block hb;
    csv_block_init(&hb);
    long n = read_records(r, &hb, 1, e);
    if (n <= 0) {
        csv_block_free(&hb);
        if (n == 0)
            mf_fail(e, MF_EDATA, r->path, r->d.header_line, 0,
                    "no header row found: the file is empty (or has only blank lines) from line %ld",
                    r->d.header_line);
        return -1;
    }
    if (hb.nfields[0] > CSV_MAX_COLUMNS) {
        /* every column costs a profile, a match against each mapping field and a name: a header
         * this wide is not a client extract (Excel itself stops at 16,384 columns) */
        mf_fail(e, MF_ELIMIT, r->path, hb.line[0], 0,
                "the header row has %lu columns; at most %d columns are read",
                (unsigned long)hb.nfields[0], CSV_MAX_COLUMNS);
        csv_block_free(&hb);
        return -1;
    }
    r->ncols = (int)hb.nfields[0];
    r->names = mf_xcalloc((size_t)r->ncols + 1, sizeof *r->names);
    for (int i = 0; i < r->ncols; i++)
        r->names[i] = trimmed_copy(hb.fptr[hb.first[0] + (uint32_t)i], hb.flen[hb.first[0] + (uint32_t)i]);
    csv_block_free(&hb);
    return 0;
}

csv_reader *csv_open(const char *path, const csv_dialect *d, mf_err *e)
{
    csv_reader *r = mf_xcalloc(1, sizeof *r);
    r->path = mf_xstrdup(path);
    r->d = *d;
    r->line = 1;
    r->max_record = env_size("MAPFORGE_MAX_RECORD", CSV_MAX_RECORD, 16);
    r->chunk = env_size("MAPFORGE_CSV_CHUNK", 0, 16);
    r->avx2 = cpu_has_avx2();
    if (src_open(&r->src, path, d->encoding, e) < 0) {
        r->src.fd = -1;
        csv_close(r);
        return NULL;
    }
    if (d->uncached)
        src_uncached(&r->src);
    if (skip_lines(r, d->header_line > 1 ? d->header_line - 1 : 0, e) < 0 || read_header(r, e) < 0) {
        csv_close(r);
        return NULL;
    }
    return r;
}

csv_reader *csv_open_at(const char *path, const csv_dialect *d, unsigned long long offset, mf_err *e)
{
    csv_reader *r = mf_xcalloc(1, sizeof *r);
    r->path = mf_xstrdup(path);
    r->d = *d;
    r->line = 0;   /* unknown: the lines before offset were not counted */
    r->max_record = env_size("MAPFORGE_MAX_RECORD", CSV_MAX_RECORD, 16);
    r->chunk = env_size("MAPFORGE_CSV_CHUNK", 0, 16);
    r->avx2 = cpu_has_avx2();
    if (src_open_at(&r->src, path, d->encoding, offset, e) < 0) {
        csv_close(r);
        return NULL;
    }
    r->src_done = r->src.eof;
    return r;
}

void csv_close(csv_reader *r)
{
    if (!r)
        return;
    src_close(&r->src);
    if (r->names)
        for (int i = 0; i < r->ncols; i++)
            free(r->names[i]);
    free(r->names);
    free(r->carry);
    free(r->idx);
    free(r->path);
    free(r);
}

int csv_header(const csv_reader *r, const char *const **names)
{
    *names = (const char *const *)r->names;
    return r->ncols;
}

unsigned long long csv_bytes_read(const csv_reader *r)
{
    return r->src.consumed;
}

unsigned long long csv_file_size(const csv_reader *r)
{
    return r->src.size;
}
