/* detect.c — guessing a file's dialect (encoding, delimiter, quoting, header line) from its start.
 *
 * Encoding: a byte-order mark decides; without one, zero bytes in every other position mean
 * UTF-16; else the first SNIFF_BYTES are checked as UTF-8, and Windows-1252 is the fallback.
 * Delimiter: the candidate (, ; | TAB) whose field count (quote-aware, >= 2) is the same on the
 * most records of the sample; ties go to the wider split, then to the order above.
 * Header: the first record with that field count whose following records keep it, with every
 * cell filled and most cells not numbers — lines before it are a preamble ("Report generated
 * 2025-01-31", "Client: ACME", blank lines).  But when the first line is one name with no
 * delimiter in it and most records after that header do not keep its field count, the file is
 * one column whose values hold the delimiter now and then (its delimiter is then a candidate
 * that does not occur in the sample).  Everything is computed on the decoded sample, so
 * line numbers are those of the decoded text, as the reader counts them.
 */
#include "read/csv.h"
#include "read/source.h"
#include "util/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNIFF_BYTES (4u << 20)
#define SAMPLE_TEXT (1u << 20)
#define MAX_RECS 1000
#define FOLLOW 5

typedef struct rec_info {
    long line;          /* physical line where the record starts */
    const char *start;  /* its text */
    int nfields;        /* 0 for a blank line */
    bool quoted;        /* some field started with a quote */
} rec_info;

static const char candidates[] = {',', ';', '\t', '|'};

/* ---- encoding --------------------------------------------------------------------------- */

static csv_encoding sniff_encoding(const unsigned char *b, size_t n, bool whole)
{
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        return CSV_UTF8_BOM;
    if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        return CSV_UTF16LE;
    if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        return CSV_UTF16BE;
    size_t m = n < 4096 ? n & ~(size_t)1 : 4096, z_even = 0, z_odd = 0;
    for (size_t i = 0; i < m; i += 2) {
        z_even += b[i] == 0;
        z_odd += b[i + 1] == 0;
    }
    if (m >= 4 && z_even == 0 && z_odd * 10 >= m / 2 * 4)
        return CSV_UTF16LE;
    if (m >= 4 && z_odd == 0 && z_even * 10 >= m / 2 * 4)
        return CSV_UTF16BE;
    size_t bad = mf_utf8_invalid_at((const char *)b, n);
    if (bad == n || (!whole && n - bad < 4))   /* a sequence cut by the end of the sniff */
        return CSV_UTF8;
    return CSV_CP1252;
}

static int sniff_file(const char *path, csv_encoding *enc, mf_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the data file: %s", strerror(errno));
    unsigned char *b = mf_xmalloc(SNIFF_BYTES);
    size_t n = 0;
    bool whole = false;
    while (n < SNIFF_BYTES) {
        ssize_t k = read(fd, b + n, SNIFF_BYTES - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int err = errno;
            free(b);
            close(fd);
            return mf_fail(e, MF_EIO, path, 0, 0, "cannot read the data file: %s", strerror(err));
        }
        if (k == 0) {
            whole = true;
            break;
        }
        n += (size_t)k;
    }
    close(fd);
    if (n == 0) {
        free(b);
        return mf_fail(e, MF_EDATA, path, 1, 0, "no header row found: the file is empty");
    }
    *enc = sniff_encoding(b, n, whole);
    free(b);
    return 0;
}

/* The decoded start of the file (the valid prefix, should a fault come early). */
static char *read_sample(const char *path, csv_encoding enc, size_t *len, bool *whole, mf_err *e)
{
    csv_source s;
    if (src_open(&s, path, enc, e) < 0)
        return NULL;
    char *t = mf_xmalloc(SAMPLE_TEXT + 1);
    size_t n = 0;
    while (SAMPLE_TEXT - n >= 16) {
        size_t k = src_fill(&s, t + n, SAMPLE_TEXT - n);
        if (k == 0)
            break;
        n += k;
    }
    *whole = s.eof;
    src_close(&s);
    t[n] = '\0';
    *len = n;
    return t;
}

/* ---- records ---------------------------------------------------------------------------- */

/* Scan one record at p (quote-aware when q); return its field count, 0 for a blank line.
 * *next is past its line end; *nl counts the newlines consumed; *cut when the text ended inside it. */
static int scan_record(const char *p, const char *end, char d, char q, const char **next, long *nl, bool *quoted,
                       bool *cut)
{
    *nl = 0;
    *quoted = *cut = false;
    if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
        *next = p + (*p == '\n' ? 1 : 2);
        *nl = 1;
        return 0;
    }
    int nf = 1;
    bool at_field_start = true, in_q = false;
    for (; p < end; p++) {
        char c = *p;
        if (in_q) {
            if (c == q) {
                if (p + 1 < end && p[1] == q)
                    p++;
                else
                    in_q = false;
            } else if (c == '\n') {
                (*nl)++;
            }
            continue;
        }
        if (q && c == q && at_field_start) {
            in_q = true;
            *quoted = true;
            at_field_start = false;
            continue;
        }
        at_field_start = false;
        if (c == d) {
            nf++;
            at_field_start = true;
        } else if (c == '\n') {
            (*nl)++;
            *next = p + 1;
            return nf;
        }
    }
    *cut = true;
    *next = end;
    return nf;
}

/* Split the sample into records with delimiter d; returns how many (the last one dropped when
 * the sample stops inside it). */
static int split_sample(const char *t, size_t n, bool whole, char d, rec_info *recs)
{
    const char *p = t, *end = t + n;
    long line = 1;
    int k = 0;
    while (p < end && k < MAX_RECS) {
        const char *next;
        long nl;
        bool quoted, cut;
        int nf = scan_record(p, end, d, '"', &next, &nl, &quoted, &cut);
        if (cut && !whole)
            break;
        recs[k++] = (rec_info){line, p, nf, quoted};
        line += nl;
        p = next;
    }
    return k;
}

/* The most frequent field count >= 2 and how many records have it. */
static int modal_count(const rec_info *recs, int n, int *freq)
{
    int best = 0, best_freq = 0;
    for (int i = 0; i < n; i++) {
        int c = recs[i].nfields;
        if (c < 2 || c == best)
            continue;
        int f = 0;
        for (int j = 0; j < n; j++)
            f += recs[j].nfields == c;
        if (f > best_freq || (f == best_freq && c > best))
            best = c, best_freq = f;
    }
    *freq = best_freq;
    return best;
}

/* ---- header ----------------------------------------------------------------------------- */

static bool numeric_cell(const char *p, size_t n)
{
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80)
            return false;
    }
    return digit;
}

/* Every cell non-empty and at most half of them numbers: what a header row looks like. */
static bool looks_like_header(const char *p, const char *end, char d, char q)
{
    int cells = 0, numeric = 0;
    while (p <= end) {
        const char *s = p;
        bool in_q = false;
        while (p < end && (in_q || (*p != d && *p != '\n'))) {
            if (q && *p == q)
                in_q = !in_q;
            p++;
        }
        const char *f = s, *g = p;
        while (f < g && (*f == ' ' || *f == '\t' || (q && *f == q)))
            f++;
        while (g > f && (g[-1] == ' ' || g[-1] == '\t' || g[-1] == '\r' || (q && g[-1] == q)))
            g--;
        if (f == g)
            return false;
        cells++;
        numeric += numeric_cell(f, (size_t)(g - f));
        if (p >= end || *p == '\n')
            break;
        p++;
    }
    return numeric * 2 <= cells;
}

/* Do at least half of the FOLLOW non-blank records after i have m fields?  (Half, not most:
 * a short file with a few ragged rows still has its header on line 1.)  With no records after
 * i, only when lonely_ok. */
static bool followers_keep(const rec_info *recs, int n, int i, int m, bool lonely_ok)
{
    int seen = 0, same = 0;
    for (int j = i + 1; j < n && seen < FOLLOW; j++) {
        if (recs[j].nfields == 0)
            continue;
        seen++;
        same += recs[j].nfields == m;
    }
    return seen == 0 ? lonely_ok : same * 2 >= seen;
}

static int find_header(const rec_info *recs, int n, int m, const char *t, size_t len, char d, char q)
{
    /* pass 0: looks like a header and records follow it; 1: looks like a header; 2: records
     * follow it; 3: any line with the modal count */
    for (int pass = 0; pass < 4; pass++)
        for (int i = 0; i < n; i++) {
            if (recs[i].nfields != m)
                continue;
            if ((pass == 0 || pass == 2) && !followers_keep(recs, n, i, m, pass == 2))
                continue;
            const char *end = i + 1 < n ? recs[i + 1].start : t + len;
            if (pass < 2 && !looks_like_header(recs[i].start, end, d, q))
                continue;
            return i;
        }
    return -1;
}

/* Does a field anywhere in the sample start with a quote (after spaces)? */
static bool any_field_quoted(const char *t, size_t n, char d)
{
    for (const char *p = t; (p = memchr(p, '"', (size_t)(t + n - p))) != NULL; p++) {
        const char *b = p;
        while (b > t && b[-1] == ' ')
            b--;
        if (b == t || b[-1] == d || b[-1] == '\n')
            return true;
    }
    return false;
}

/* The first non-blank line is one name with no delimiter in it, and the records after the
 * header found with m fields do not keep m fields (fewer than half of them do): the file is one
 * column whose values hold the delimiter now and then ("Smith | Sons Ltd"), not a file with
 * preamble lines above an m-field header. */
static bool one_name_header(const rec_info *recs, int n, int h, int m)
{
    int first = 0;
    while (first < n && recs[first].nfields == 0)
        first++;
    if (first >= n || first == h || recs[first].nfields != 1)
        return false;
    int seen = 0, same = 0;
    for (int j = h + 1; j < n; j++) {
        if (recs[j].nfields == 0)
            continue;
        seen++;
        same += recs[j].nfields == m;
    }
    return seen > 0 && same * 2 < seen;
}

/* For a one-column file: the first candidate that does not occur in the sample (outside
 * quotes), so no value is split; ',' when every candidate occurs. */
static char unused_delimiter(const char *t, size_t n)
{
    for (size_t c = 0; c < sizeof candidates; c++) {
        bool in_q = false, seen = false;
        for (size_t i = 0; i < n && !seen; i++) {
            if (t[i] == '"')
                in_q = !in_q;
            else if (!in_q && t[i] == candidates[c])
                seen = true;
        }
        if (!seen)
            return candidates[c];
    }
    return ',';
}

/* ---- the whole guess -------------------------------------------------------------------- */

int csv_detect(const char *path, csv_dialect *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    csv_encoding enc = CSV_UTF8;
    if (sniff_file(path, &enc, e) < 0)
        return -1;
    size_t len;
    bool whole;
    char *t = read_sample(path, enc, &len, &whole, e);
    if (!t)
        return -1;
    rec_info *recs = mf_xmalloc(MAX_RECS * sizeof *recs);
    char best_d = ',';
    int best_m = 0, best_freq = 0;
    for (size_t c = 0; c < sizeof candidates; c++) {
        int n = split_sample(t, len, whole, candidates[c], recs);
        int freq, m = modal_count(recs, n, &freq);
        if (freq > best_freq || (freq == best_freq && m > best_m))
            best_d = candidates[c], best_m = m, best_freq = freq;
    }
    int n = split_sample(t, len, whole, best_d, recs);
    /* Quoting is off only when the whole file was seen and no field starts with a quote:
     * quotes may first appear far into a big file, and a quote character that does not open
     * a field is read literally anyway. */
    bool quoted = !whole;
    for (int i = 0; i < n; i++)
        quoted |= recs[i].quoted;
    quoted = quoted || any_field_quoted(t, len, best_d);
    int h = -1;
    if (best_m >= 2) {
        h = find_header(recs, n, best_m, t, len, best_d, '"');
        if (h >= 0 && one_name_header(recs, n, h, best_m)) {
            best_m = 0;   /* one column whose values hold the delimiter now and then */
            best_d = unused_delimiter(t, len);
            n = split_sample(t, len, whole, best_d, recs);
            quoted = !whole || any_field_quoted(t, len, best_d);
            for (int i = 0; i < n; i++)
                quoted |= recs[i].quoted;
            h = -1;
        }
    }
    if (best_m < 2) {   /* one column: the first non-blank line is the header */
        for (int i = 0; i < n && h < 0; i++)
            if (recs[i].nfields > 0)
                h = i, best_m = 1;
    }
    int rc = 0;
    if (n == 0 && len > 0 && !whole) {
        rc = mf_fail(e, MF_EDATA, path, 1, 0,
                     "no line end in the first %zu bytes: not a CSV file, or a first line that is far too long",
                     len);
    } else if (h < 0) {
        rc = mf_fail(e, MF_EDATA, path, 0, 0, "no header row found: the file is empty or has only blank lines");
    } else {
        out->delimiter = best_d;
        out->quote = quoted ? '"' : 0;
        out->encoding = enc;
        out->header_line = recs[h].line;
        out->ncols = best_m;
    }
    free(recs);
    free(t);
    return rc;
}
