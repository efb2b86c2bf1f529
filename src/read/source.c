/* source.c — reading a client file in chunks and turning it into valid UTF-8 (see source.h).
 *
 * UTF-8 input is read straight into the caller's buffer and checked in place, eight bytes at a
 * time while the text is ASCII: this is the hot path and costs one cheap pass over the data.
 * Other encodings go through a raw buffer and a small table-driven decoder; they are rare and
 * need not be fast.  Nothing here knows about CSV.
 */
#include "read/source.h"

#include <errno.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_CAP (1u << 20)
#define DIRECT_CAP (1u << 20)
#define DIRECT_ALIGN 4096u
#define DIRECT_MIN (4ull << 20)   /* smaller files: afile.c wrote them through the page cache */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Windows-1252 0x80..0x9F; the five unassigned bytes map to the C1 controls as in WHATWG. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

int src_open(csv_source *s, const char *path, csv_encoding enc, mf_err *e)
{
    memset(s, 0, sizeof *s);
    s->enc = enc;
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the data file: %s", strerror(errno));
    struct stat st;
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(s->fd);
            s->fd = -1;
            return mf_fail(e, MF_EIO, path, 0, 0, "is a directory, a CSV file was expected");
        }
        s->size = S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
    }
    if (enc != CSV_UTF8 && enc != CSV_UTF8_BOM) {
        s->raw_cap = RAW_CAP;
        s->raw = mf_xmalloc(s->raw_cap);
    }
    return 0;
}

static long read_some(csv_source *s, void *dst, size_t n);

/* Is there a line end at raw[i] (i aligned to the code unit)?  Returns its length or 0. */
static size_t newline_at(csv_encoding enc, const unsigned char *b, size_t i, size_t n)
{
    if (enc == CSV_UTF16LE)
        return (i + 1 < n && b[i] == '\n' && b[i + 1] == 0) ? 2 : 0;
    if (enc == CSV_UTF16BE)
        return (i + 1 < n && b[i] == 0 && b[i + 1] == '\n') ? 2 : 0;
    return b[i] == '\n';
}

int src_open_at(csv_source *s, const char *path, csv_encoding enc, unsigned long long offset, mf_err *e)
{
    if (src_open(s, path, enc, e) < 0)
        return -1;
    if (offset == 0)
        return 0;
    bool utf16 = enc == CSV_UTF16LE || enc == CSV_UTF16BE;
    if (utf16)
        offset &= ~1ull;
    /* The lseek failures below are not reached by the tests, and cannot be: spot sampling (the
     * only caller) opens a regular file it has measured, and seeking a regular file to an offset
     * within it does not fail.  They stay for a caller that passes a pipe. */
    if (lseek(s->fd, (off_t)offset, SEEK_SET) < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot seek in the data file: %s", strerror(errno));
    s->consumed = offset;
    s->started = true;   /* no byte-order mark in the middle of a file */
    unsigned char buf[8192];   /* lines are short: a small read finds the next line start */
    unsigned long long at = offset;
    for (;;) {
        long k = read_some(s, buf, sizeof buf);
        if (k <= 0) {   /* no line start after offset: nothing to read */
            s->eof = true;
            return k < 0 ? mf_fail(e, MF_EIO, path, 0, 0, "cannot read the data file") : 0;
        }
        size_t n = (size_t)k;
        for (size_t i = 0; i < n; i += utf16 ? 2 : 1) {
            size_t len = newline_at(enc, buf, i, n);
            if (len) {
                unsigned long long pos = at + i + len;
                if (lseek(s->fd, (off_t)pos, SEEK_SET) < 0)
                    return mf_fail(e, MF_EIO, path, 0, 0, "cannot seek in the data file: %s", strerror(errno));
                s->consumed = pos;
                s->file_eof = false;
                return 0;
            }
        }
        at += n & (utf16 ? ~(size_t)1 : ~(size_t)0);
        if (utf16 && (n & 1) && lseek(s->fd, (off_t)at, SEEK_SET) < 0)
            return mf_fail(e, MF_EIO, path, 0, 0, "cannot seek in the data file: %s", strerror(errno));
    }
}

void src_close(csv_source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    free(s->raw);
    s->raw = NULL;
    free(s->dbuf);
    s->dbuf = NULL;
}

static bool set_direct(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && fcntl(fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) == 0;
}

void src_uncached(csv_source *s)
{
    if (s->fd < 0 || s->direct || s->consumed % DIRECT_ALIGN || s->size < DIRECT_MIN)
        return;
    void *p = NULL;
    if (posix_memalign(&p, DIRECT_ALIGN, DIRECT_CAP) != 0)
        return;
    if (!set_direct(s->fd, true)) {
        free(p);
        return;
    }
    s->dbuf = p;
    s->dpos = s->dlen = 0;
    s->direct = true;
}

/* read() into the aligned buffer (O_DIRECT), then copied out; back to plain read() when refused. */
static long read_direct(csv_source *s, void *dst, size_t n)
{
    if (s->dpos == s->dlen) {
        ssize_t k;
        do
            k = read(s->fd, s->dbuf, DIRECT_CAP);
        while (k < 0 && errno == EINTR);
        if (k < 0) {
            if (errno != EINVAL || !set_direct(s->fd, false)) {
                s->fault = SRC_IO;
                s->fault_errno = errno;
                return -1;
            }
            s->direct = false;   /* the next read_some goes through read() from the same offset */
            return 0;
        }
        s->dpos = 0;
        s->dlen = (size_t)k;
        if (k == 0) {
            s->file_eof = true;
            return 0;
        }
    }
    size_t m = s->dlen - s->dpos < n ? s->dlen - s->dpos : n;
    memcpy(dst, s->dbuf + s->dpos, m);
    s->dpos += m;
    s->consumed += m;
    return (long)m;
}

/* read() that retries on EINTR; counts what it read. */
static long read_some(csv_source *s, void *dst, size_t n)
{
    while (s->direct) {
        long k = read_direct(s, dst, n);
        if (k != 0 || s->direct || s->file_eof)
            return k;
    }
    for (;;) {
        ssize_t k = read(s->fd, dst, n);
        if (k >= 0) {
            s->consumed += (unsigned long long)k;
            if (k == 0)
                s->file_eof = true;
            return (long)k;
        }
        if (errno != EINTR) {   /* EIO from a failing disk or network file system: no test makes one */
            s->fault = SRC_IO;
            s->fault_errno = errno;
            return -1;
        }
    }
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), 0 when invalid or cut short. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if (n < need + 1)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        return 0;
    if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))
        return 0;
    return need + 1;
}

/* Could s[0..n) be the start of a valid sequence that the next read completes? */
static bool utf8_incomplete(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (!need || n >= need)
        return false;
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return false;
    return true;
}

size_t src_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII without NUL, 32 bytes (SSE2) or a word at a time: a high bit, or a zero byte,
         * stops the loop. */
#if defined(__SSE2__)
        const __m128i zero = _mm_setzero_si128();
        while (i + 32 <= n) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
            __m128i z = _mm_or_si128(_mm_cmpeq_epi8(a, zero), _mm_cmpeq_epi8(b, zero));
            if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), z)))
                break;
            i += 32;
        }
#endif
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if ((((w - ONES) & ~w) | w) & HIGHS)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

/* UTF-8 input: read into dst, skip a BOM at the start, check, hold back a cut sequence. */
static size_t fill_utf8(csv_source *s, char *dst, size_t cap)
{
    unsigned char *d = (unsigned char *)dst;
    for (;;) {
        size_t n = s->npend;
        memcpy(d, s->pend, n);
        s->npend = 0;
        if (!s->file_eof) {
            long k = read_some(s, d + n, cap - n);
            if (k < 0)
                return 0;
            n += (size_t)k;
        }
        if (!s->started && (n >= 3 || s->file_eof)) {
            s->started = true;
            if (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
                memmove(d, d + 3, n - 3);
                n -= 3;
            }
        } else if (!s->started) {
            memcpy(s->pend, d, n);   /* fewer than 3 bytes: wait to see the whole BOM */
            s->npend = n;
            continue;
        }
        size_t ok = src_utf8_check(d, n);
        if (ok == n) {
            if (n == 0 && s->file_eof)
                s->eof = true;
            if (n == 0 && !s->file_eof)
                continue;
            return n;
        }
        if (!s->file_eof && utf8_incomplete(d + ok, n - ok)) {
            memcpy(s->pend, d + ok, n - ok);
            s->npend = n - ok;
            if (ok == 0)
                continue;
            return ok;
        }
        s->fault = d[ok] == 0 ? SRC_NUL : SRC_BAD_UTF8;
        s->fault_byte = d[ok];
        return ok;
    }
}

static size_t put_cp(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One-byte encodings: every byte is a character; only NUL is refused. */
static size_t decode_8bit(csv_source *s, unsigned char *o, size_t cap)
{
    size_t out = 0;
    bool cp1252 = s->enc == CSV_CP1252;
    while (s->raw_pos < s->raw_len && out + 4 <= cap) {
        unsigned c = s->raw[s->raw_pos];
        if (c == 0) {
            s->fault = SRC_NUL;
            s->fault_byte = 0;
            return out;
        }
        uint32_t cp = (cp1252 && c >= 0x80 && c <= 0x9F) ? cp1252_high[c - 0x80] : c;
        out += put_cp(o + out, cp);
        s->raw_pos++;
    }
    return out;
}

static unsigned unit16(const csv_source *s, size_t at)
{
    const unsigned char *b = s->raw + at;
    return s->enc == CSV_UTF16LE ? (unsigned)(b[0] | (b[1] << 8)) : (unsigned)((b[0] << 8) | b[1]);
}

/* UTF-16: code units, surrogate pairs; a pair cut by the end of the buffer waits for more. */
static size_t decode_utf16(csv_source *s, unsigned char *o, size_t cap)
{
    size_t out = 0;
    while (s->raw_len - s->raw_pos >= 2 && out + 4 <= cap) {
        unsigned u = unit16(s, s->raw_pos);
        uint32_t cp = u;
        size_t used = 2;
        if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF)) {
            s->fault = u == 0 ? SRC_NUL : SRC_BAD_UTF16;
            s->fault_byte = u;
            return out;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (s->raw_len - s->raw_pos < 4) {
                if (s->file_eof) {
                    s->fault = SRC_BAD_UTF16;
                    s->fault_byte = u;
                }
                return out;
            }
            unsigned lo = unit16(s, s->raw_pos + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                s->fault = SRC_BAD_UTF16;
                s->fault_byte = u;
                return out;
            }
            cp = 0x10000 + ((uint32_t)(u - 0xD800) << 10) + (lo - 0xDC00);
            used = 4;
        }
        out += put_cp(o + out, cp);
        s->raw_pos += used;
    }
    return out;
}

static void skip_raw_bom(csv_source *s)
{
    size_t n = s->raw_len - s->raw_pos;
    const unsigned char *b = s->raw + s->raw_pos;
    if (n < 2 && !s->file_eof)
        return;
    s->started = true;
    if (s->enc == CSV_UTF16LE && n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        s->raw_pos += 2;
    else if (s->enc == CSV_UTF16BE && n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        s->raw_pos += 2;
}

static size_t fill_decoded(csv_source *s, char *dst, size_t cap)
{
    unsigned char *o = (unsigned char *)dst;
    bool utf16 = s->enc == CSV_UTF16LE || s->enc == CSV_UTF16BE;
    for (;;) {
        if (!s->started && utf16)
            skip_raw_bom(s);
        if (s->started || !utf16) {
            size_t out = utf16 ? decode_utf16(s, o, cap) : decode_8bit(s, o, cap);
            if (out > 0 || s->fault)
                return out;
        }
        if (s->file_eof) {
            if (s->raw_pos < s->raw_len) {   /* an odd byte or a lone high surrogate at the end */
                s->fault = SRC_BAD_UTF16;
                s->fault_byte = s->raw[s->raw_pos];
                return 0;
            }
            s->eof = true;
            return 0;
        }
        memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
        s->raw_len -= s->raw_pos;
        s->raw_pos = 0;
        size_t want = s->raw_cap - s->raw_len;
        if (want > cap)   /* small reads when the caller asks for little (chunk-boundary tests) */
            want = cap;
        long k = read_some(s, s->raw + s->raw_len, want);
        if (k < 0)
            return 0;
        s->raw_len += (size_t)k;
    }
}

size_t src_fill(csv_source *s, char *dst, size_t cap)
{
    if (s->fault || s->eof || cap < 16)
        return 0;
    if (s->enc == CSV_UTF8 || s->enc == CSV_UTF8_BOM)
        return fill_utf8(s, dst, cap);
    return fill_decoded(s, dst, cap);
}

int src_fault_error(const csv_source *s, const char *path, long line, long col, mf_err *e)
{
    switch (s->fault) {
    case SRC_BAD_UTF8:
        return mf_fail(e, MF_EFORMAT, path, line, col,
                       "invalid UTF-8 (byte 0x%02X at byte column %ld); the file was read as UTF-8 — "
                       "if it is Windows-1252 or Latin-1, give that encoding",
                       s->fault_byte, col);
    case SRC_NUL:
        return mf_fail(e, MF_EFORMAT, path, line, col,
                       "NUL byte at column %ld of a text file read as %s; a CSV text file was expected "
                       "(a binary file, or UTF-16 without a byte-order mark?)",
                       col, csv_encoding_name(s->enc));
    case SRC_BAD_UTF16:
        return mf_fail(e, MF_EFORMAT, path, line, col,
                       "invalid %s (code unit 0x%04X: unpaired surrogate or odd byte count)",
                       csv_encoding_name(s->enc), s->fault_byte);
    case SRC_IO:
        return mf_fail(e, MF_EIO, path, line, 0, "cannot read the data file: %s", strerror(s->fault_errno));
    case SRC_OK:   /* not called without a fault: the line below is a guard, never reached */
        break;
    }
    return mf_fail(e, MF_EIO, path, line, col, "cannot read the data file");
}
