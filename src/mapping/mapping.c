/* mapping.c — finding the mapping table in a workbook (or CSV) and reading its rows.
 *
 * The format is decided by content, not by extension: a zip signature means .xlsx, the OLE2
 * signature means an encrypted workbook or a legacy .xls (refused with advice), anything else
 * is read as a CSV mapping.  The mapping table — its header row, within the first
 * MAP_HEADER_SCAN rows of some sheet, and what each row under it is — is found by layout.c.
 * Title rows above it may name the output table.
 *
 * Invariants: every string handed out lives in the mapping's arena; mapping_free releases it
 * all; sha256 depends on content only (cell values and row order), never on formatting or on
 * where the table sits in the sheet.
 */
#include "mapping/mapping_internal.h"

#include "util/buf.h"
#include "util/sha256.h"
#include "util/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#define MAP_HEADER_SCAN 30
#define MAP_CSV_MAX (64L * 1024 * 1024)

static int fail_no_header(const mapping *m, mf_err *e)
{
    mf_buf b = {0};
    for (int i = 0; i < m->book.nsheets; i++)
        mf_buf_printf(&b, "%s\"%s\"", i ? ", " : "", m->book.sheet[i].name);
    mf_fail(e, MF_EPARSE, m->path, 0, 0,
            "no mapping table found: none of the sheets looked at (%s) has, in its first %d rows, "
            "a header row naming a source column (e.g. \"Source Field\", \"Src\", "
            "\"Client Field\", \"Source\", \"Input Field\", \"From\") and a target column "
            "(e.g. \"Target Field\", \"Target\", \"Dest Column\", \"Destination Field\", "
            "\"Standard Field\", \"Output Field\", \"To\")",
            b.len ? mf_buf_str(&b) : "none", MAP_HEADER_SCAN);
    mf_buf_free(&b);
    return -1;
}

/* ---- output name from a title cell ---- */

static int plausible_table_name(const char *s)
{
    if (!*s || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-' ||
              (unsigned char)*s >= 0x80))
            return 0;
    return 1;
}

/* "Target table: GL_ENTRIES", "Output: GL_ENTRIES", "Target Table GL_ENTRIES"; a bare
 * "Target table:" takes the next non-empty cell of its row.  NULL when the cell is no title. */
static const char *title_name(mf_arena *a, const mf_sheet *s, int r, int c)
{
    static const char *const prefixes[] = {"target table", "output table", "target file",
                                           "output file", "output", "target", NULL};
    const char *cell = MF_SHEET_CELL(s, r, c);
    for (int i = 0; prefixes[i]; i++) {
        size_t k = strlen(prefixes[i]);
        if (strncasecmp(cell, prefixes[i], k))
            continue;
        const char *p = cell + k;
        if (*p && !strchr(" \t:=-", *p))
            continue;   /* "Targets..." is not a title */
        while (*p && strchr(" \t:=-", *p))
            p++;
        const char *name = layout_trim_dup(a, p, strlen(p));
        if (!*name)
            for (int cc = c + 1; cc < s->ncols && !*name; cc++)
                name = layout_trim_dup(a, MF_SHEET_CELL(s, r, cc), strlen(MF_SHEET_CELL(s, r, cc)));
        return plausible_table_name(name) ? name : NULL;
    }
    return NULL;
}

static const char *find_output_name(mapping *m, const map_header *h)
{
    const mf_sheet *s = h->sheet;
    for (int r = 0; r < h->first_row; r++)
        for (int c = 0; c < s->ncols; c++) {
            const char *n = title_name(&m->arena, s, r, c);
            if (n)
                return n;
        }
    if (h->col[MR_TABLE] >= 0)
        for (int r = h->row + 1; r < s->nrows; r++) {
            const char *v = MF_SHEET_CELL(s, r, h->col[MR_TABLE]);
            if (*v)
                return layout_trim_dup(&m->arena, v, strlen(v));
        }
    return NULL;
}

/* ---- the canonical content hash ---- */

static void hash_field(mf_sha256 *h, const char *s)
{
    mf_sha256_update(h, s, strlen(s));
    mf_sha256_update(h, "\x1f", 1);
}

static void content_hash(mapping *m)
{
    mf_sha256 *h = mf_sha256_new();
    hash_field(h, "mapforge mapping v1");
    hash_field(h, m->output_name ? m->output_name : "");
    for (int i = 0; i < m->nrows; i++) {
        const map_row *r = &m->rows[i];
        hash_field(h, r->source);
        hash_field(h, r->target);
        hash_field(h, r->type);
        hash_field(h, r->rule);
        hash_field(h, r->mandatory ? "1" : "0");
        hash_field(h, r->comments);
        mf_sha256_update(h, "\x1e", 1);
    }
    for (int i = 0; i < m->book.nsheets; i++) {
        const mf_sheet *s = &m->book.sheet[i];
        if (!strcmp(s->name, m->sheet))
            continue;
        mf_sha256_update(h, "\x1d", 1);
        hash_field(h, s->name);
        for (int r = 0; r < s->nrows; r++)
            for (int c = 0; c < s->ncols; c++) {
                const char *v = MF_SHEET_CELL(s, r, c);
                if (!*v)
                    continue;
                char pos[32];
                snprintf(pos, sizeof pos, "%d,%d", r, c);
                hash_field(h, pos);
                hash_field(h, v);
            }
    }
    mf_sha256_final_hex(h, m->sha256);
}

/* ---- CSV mappings ---- */

/* Windows-1252 bytes 0x80..0x9F as code points (0 = undefined, kept as U+FFFD). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* Mapping CSVs saved from Excel on Windows are often Windows-1252: convert when not UTF-8. */
static char *to_utf8(const char *s, size_t n, size_t *outn)
{
    if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3;
        n -= 3;
    }
    mf_buf b = {0};
    if (mf_utf8_invalid_at(s, n) == n) {
        mf_buf_add(&b, s, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            uint32_t cp = c < 0x80 || c >= 0xA0 ? c : cp1252_hi[c - 0x80];
            char u[4];
            int k = mf_utf8_encode(cp ? cp : 0xFFFD, u);
            mf_buf_add(&b, u, (size_t)k);
        }
    }
    mf_buf_addc(&b, '\0');
    *outn = b.len - 1;
    return b.data;
}

static char guess_delimiter(const char *s)
{
    int comma = 0, semi = 0, tab = 0, quoted = 0, lines = 0;
    for (; *s && lines < 20; s++) {
        if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '\n')
            lines++;
        else if (!quoted && *s == ',')
            comma++;
        else if (!quoted && *s == ';')
            semi++;
        else if (!quoted && *s == '\t')
            tab++;
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

typedef struct csvcell {
    int row, col;
    const char *v;
} csvcell;

static int parse_csv(const char *path, const char *s, mf_arena *a, mf_sheet *sh, mf_err *e)
{
    char d = guess_delimiter(s);
    csvcell *cells = NULL;
    size_t nc = 0, cap = 0;
    int row = 0, col = 0, maxc = 0, nrows = 0;
    long line = 1;
    mf_buf f = {0};
    const char *p = s;
    while (*p) {
        mf_buf_clear(&f);
        long qline = line;
        if (*p == '"') {
            for (p++;; p++) {
                if (!*p) {
                    mf_buf_free(&f);
                    free(cells);
                    return mf_fail(e, MF_EPARSE, path, qline, 0,
                                   "unterminated quoted field; expected a closing '\"'");
                }
                if (*p == '"' && p[1] == '"') {
                    mf_buf_addc(&f, '"');
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    if (*p == '\n')
                        line++;
                    mf_buf_addc(&f, *p);
                }
            }
        }
        while (*p && *p != d && *p != '\n' && *p != '\r')   /* unquoted text (or after quotes) */
            mf_buf_addc(&f, *p++);
        if (f.len) {
            if (nc == cap) {
                cap = cap ? cap * 2 : 256;
                cells = mf_xrealloc(cells, cap * sizeof *cells);
            }
            cells[nc++] = (csvcell){row, col, mf_arena_strndup(a, f.data, f.len)};
            if (col + 1 > maxc)
                maxc = col + 1;
            nrows = row + 1;
        }
        if (*p == d) {
            p++;
            col++;
        } else if (*p == '\r' || *p == '\n') {
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
            line++;
            row = (int)(line - 1);   /* rows are physical lines: "row 8" is line 8 */
            col = 0;
        }
    }
    mf_buf_free(&f);
    sh->nrows = nrows;
    sh->ncols = maxc;
    size_t n = (size_t)nrows * (size_t)maxc;
    sh->cell = mf_arena_alloc(a, (n ? n : 1) * sizeof *sh->cell);
    for (size_t i = 0; i < n; i++)
        sh->cell[i] = "";
    for (size_t i = 0; i < nc; i++)
        MF_SHEET_CELL(sh, cells[i].row, cells[i].col) = cells[i].v;
    free(cells);
    return 0;
}

static int slurp(const char *path, long max, char **data, size_t *len, mf_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the mapping: %s", strerror(errno));
    mf_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        mf_buf_add(&b, chunk, n);
        if ((long)b.len > max) {
            fclose(f);
            mf_buf_free(&b);
            return mf_fail(e, MF_ELIMIT, path, 0, 0,
                           "the mapping file is larger than %ld bytes; expected a mapping table",
                           max);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        mf_buf_free(&b);
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot read the mapping");
    }
    mf_buf_addc(&b, '\0');
    *data = b.data;
    *len = b.len - 1;
    return 0;
}

int mapping_csv_read(const char *path, mf_arena *a, mf_workbook *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    char *raw;
    size_t n;
    if (slurp(path, MAP_CSV_MAX, &raw, &n, e) != 0)
        return -1;
    if (memchr(raw, '\0', n)) {
        free(raw);
        return mf_fail(e, MF_EFORMAT, path, 0, 0,
                       "contains NUL bytes; expected a text (CSV) mapping or an .xlsx workbook");
    }
    size_t un;
    char *text = to_utf8(raw, n, &un);
    free(raw);
    out->sheet = mf_arena_alloc(a, sizeof *out->sheet);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    out->sheet[0].name = mf_arena_strndup(a, base, dot && dot != base ? (size_t)(dot - base)
                                                                     : strlen(base));
    int rc = parse_csv(path, text, a, &out->sheet[0], e);
    free(text);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->nsheets = 1;
    return 0;
}

/* ---- the entry points ---- */

static int sniff(const char *path, unsigned char sig[8], mf_err *e)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return mf_fail(e, MF_EIO, path, 0, 0, "is a directory: expected the mapping workbook (.xlsx) or a CSV file");
    FILE *f = fopen(path, "rb");
    if (!f)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the mapping: %s", strerror(errno));
    memset(sig, 0, 8);
    size_t n = fread(sig, 1, 8, f);
    (void)n;
    fclose(f);
    return 0;
}

/* A name that promises a workbook: such a file is never read as CSV, whatever its content,
 * so a damaged or mislabelled workbook gets the "not a zip archive" error. */
static int named_like_workbook(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".xlsx") || !strcasecmp(dot, ".xlsm"));
}

int mapping_read(const char *path, mapping *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    mf_arena_init(&out->arena);
    out->path = mf_arena_strdup(&out->arena, path);
    unsigned char sig[8];
    static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    int rc = sniff(path, sig, e);
    if (rc == 0 && !memcmp(sig, ole2, 8))
        rc = mf_fail(e, MF_EFORMAT, path, 0, 0,
                     "is encrypted or a legacy .xls workbook; save it as an unencrypted .xlsx");
    else if (rc == 0 && ((sig[0] == 'P' && sig[1] == 'K' && sig[2] < 9 && sig[3] < 9) ||
                         named_like_workbook(path)))
        rc = xlsx_read(path, &out->arena, &out->book, e);
    else if (rc == 0)
        rc = mapping_csv_read(path, &out->arena, &out->book, e);
    map_header h = {0};
    if (rc == 0 && !layout_find_header(&out->book, MAP_HEADER_SCAN, &h))
        rc = fail_no_header(out, e);
    if (rc != 0) {
        mapping_free(out);
        return -1;
    }
    out->sheet = h.sheet->name;
    out->header_row = h.row + 1;
    out->output_name = find_output_name(out, &h);
    layout_read_rows(out, &h);
    content_hash(out);
    return 0;
}

void mapping_free(mapping *m)
{
    if (!m)
        return;
    mf_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

static void norm_name(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c >= 0x80)
            out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
}

const mf_sheet *mapping_find_sheet(const mapping *m, const char *name)
{
    char want[256], have[256];
    norm_name(name, want, sizeof want);
    for (int i = 0; i < m->book.nsheets; i++) {
        norm_name(m->book.sheet[i].name, have, sizeof have);
        if (!strcmp(want, have))
            return &m->book.sheet[i];
    }
    return NULL;
}
