/* xlsx.c — reading an .xlsx workbook into text grids (libzip + expat).
 *
 * The package is walked the way Excel writes it: _rels/.rels names the workbook part,
 * the workbook's .rels maps each <sheet r:id> to its worksheet part and names the shared
 * strings part.  Every part is streamed through expat in chunks straight from the zip (no DOM),
 * and no part may inflate beyond XLSX_MAX_PART bytes.
 *
 * Invariants:
 *  - element and attribute names are compared by local name (namespace-aware parser), so
 *    transitional and strict OOXML both read;
 *  - a cell's value is placed by its r="B7" reference (or after the previous cell when r is
 *    absent); cells whose value is empty do not widen the grid;
 *  - a range merged over several rows ("B5:B7") gives its value to each of those rows (its
 *    first column); ranges within one row are left as they are (a merged title stays one cell);
 *  - numbers are kept as written but normalised to plain decimal text ("1E-3" -> "0.001",
 *    "10.0" -> "10"), never round-tripped through binary floating point;
 *  - every failure names the file and the part (and line:col inside it, or the cell);
 *  - memory follows what the workbook holds, not what it declares (docs/limits.md): elements nest
 *    at most XLSX_MAX_DEPTH deep in any part, a cell's text is at most XLSX_MAX_TEXT bytes, a
 *    sheet's grid spans at most max(XLSX_MIN_EXTENT, XLSX_EXTENT_PER_VALUE x its values) cells
 *    (so one value at XFD3000 cannot cost 49 M grid cells), and every string, cell and grid
 *    is charged to one budget per workbook (XLSX_BUDGET bytes, MAPFORGE_XLSX_BUDGET to change).
 */
#include "mapping/mapping_internal.h"

#include "util/buf.h"

#include <errno.h>
#include <expat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define XLSX_MAX_PART (200L * 1024 * 1024)   /* inflated size of one part */
#define XLSX_MAX_CELLS MAP_GRID_MAX_CELLS    /* grid cells of one sheet */
#define XLSX_MAX_DEPTH 128                   /* element nesting in any part */
#define XLSX_MAX_TEXT (1L * 1024 * 1024)     /* text of one cell or shared string (Excel: 32,767 chars) */
#define XLSX_MIN_EXTENT MAP_GRID_MIN_EXTENT             /* grid cells a sheet may span whatever it holds */
#define XLSX_EXTENT_PER_VALUE MAP_GRID_EXTENT_PER_VALUE /* ... and beyond that, grid cells per value present */
#define XLSX_BUDGET (256L * 1024 * 1024)     /* bytes of strings, cells and grids per workbook */
#define XLSX_CHUNK 65536
#define NS_SEP '\x01'

/* ---- parsing context shared by all parts ---- */

typedef struct xcell {
    int row, col;       /* 0-based */
    const char *v;
} xcell;

typedef struct xpair {
    char *name, *rid;
} xpair;

typedef struct xrel {
    char *id, *type, *target;
} xrel;

typedef struct xctx {
    const char *path;   /* workbook file, for errors */
    const char *part;   /* part being parsed */
    const char *sheet;  /* sheet being parsed (NULL for other parts) */
    mf_arena *a;
    mf_err *e;
    XML_Parser p;
    int failed;
    XML_StartElementHandler st;   /* the part's handlers, called through depth_start/depth_end */
    XML_EndElementHandler en;
    int depth;                    /* elements open in the part */
    long long spent, budget;      /* bytes charged to the workbook, and its limit */
    /* text collection */
    mf_buf text;
    int in_text;        /* depth inside an element whose text we collect */
    int in_rph;         /* inside phonetic runs (<rPh>), whose text is not the value */
    /* workbook.xml: sheet names and rel ids */
    int nsh, capsh;
    xpair *sh;
    /* .rels */
    int nrel, caprel;
    xrel *rel;
    /* sharedStrings */
    int nsst, capsst;
    const char **sst;
    /* worksheet */
    int nc, capc;
    xcell *cells;
    int cur_row, cur_col;      /* 0-based; cur_col = last placed column */
    char cref[24];             /* reference of the cell being read, "B7" */
    char ctype[16];
    int has_v, has_is;
    mf_buf v;                  /* <v> text */
    mf_buf is;                 /* <is> text */
    int maxr, maxc;
    int nmerge, capmerge;      /* vertical merges <mergeCell ref="B5:B7">: top row, column, last row */
    int (*merge)[3];
} xctx;

static const char *local_name(const char *n)
{
    const char *s = strrchr(n, NS_SEP);
    return s ? s + 1 : n;
}

static const char *attr(const char **atts, const char *local)
{
    for (int i = 0; atts[i]; i += 2)
        if (!strcmp(local_name(atts[i]), local))
            return atts[i + 1];
    return NULL;
}

/* An attribute with a namespace (r:id), as opposed to a plain one (id). */
static const char *attr_ns(const char **atts, const char *local)
{
    for (int i = 0; atts[i]; i += 2)
        if (strchr(atts[i], NS_SEP) && !strcmp(local_name(atts[i]), local))
            return atts[i + 1];
    return NULL;
}

static void stop(xctx *x)
{
    x->failed = 1;
    XML_StopParser(x->p, XML_FALSE);
}

/* Charge bytes to the workbook's budget; -1 (error filled) past it. */
static int spend(xctx *x, size_t bytes)
{
    x->spent += (long long)bytes;
    if (x->spent <= x->budget)
        return 0;
    return mf_fail(x->e, MF_ELIMIT, x->path, 0, 0,
                   "%s: the workbook needs more than %lld bytes of memory to read (its strings, "
                   "cells and grids); set MAPFORGE_XLSX_BUDGET to allow more",
                   x->part ? x->part : "workbook", x->budget);
}

/* Grow a heap array of elements of size sz so that one more fits. */
static void *grow(void *arr, int n, int *cap, size_t sz)
{
    if (n < *cap)
        return arr;
    *cap = *cap ? *cap * 2 : 16;
    return mf_xrealloc(arr, (size_t)*cap * sz);
}

/* ---- cell references and numbers ---- */

/* "B7" -> row 6, col 1.  Returns -1 when not a cell reference within Excel's limits. */
static int parse_ref(const char *r, int *row, int *col)
{
    long c = 0, n = 0;
    int i = 0;
    while (r[i] >= 'A' && r[i] <= 'Z' && i < 3)
        c = c * 26 + (r[i++] - 'A' + 1);
    int letters = i;
    while (r[i] >= '0' && r[i] <= '9' && n <= 1048576)
        n = n * 10 + (r[i++] - '0');
    if (!letters || i == letters || r[i] || c > 16384 || n < 1 || n > 1048576)
        return -1;
    *row = (int)n - 1;
    *col = (int)c - 1;
    return 0;
}

void xlsx_col_letters(int col, char out[8])
{
    char tmp[8];
    int k = 0;
    for (col += 1; col > 0 && k < 7; col = (col - 1) / 26)
        tmp[k++] = (char)('A' + (col - 1) % 26);
    for (int i = 0; i < k; i++)
        out[i] = tmp[k - 1 - i];
    out[k] = '\0';
}

/* Rewrite a number as written ("-1.50E+2") into plain shortest decimal text ("-150").
 * Returns NULL when s is not a plain number (then the caller keeps it as written). */
static char *normalise_number(mf_arena *a, const char *s)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    char digits[512];
    int nd = 0, point = -1;  /* point = digits before the decimal point */
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (point >= 0)
                return NULL;
            point = nd;
        } else if (nd < (int)sizeof digits - 1) {
            digits[nd++] = *p;
        } else {
            return NULL;
        }
    }
    if (!nd)
        return NULL;
    if (point < 0)
        point = nd;
    long exp = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        for (; *p >= '0' && *p <= '9'; p++)
            if (exp < 100000)
                exp = exp * 10 + (*p - '0');
        if (eneg)
            exp = -exp;
    }
    if (*p || exp > 400 || exp < -400)
        return NULL;
    /* value = 0.digits * 10^(point+exp) ; drop leading and trailing zeros */
    long dp = point + exp;
    int lo = 0, hi = nd;
    while (lo < hi && digits[lo] == '0') {
        lo++;
        dp--;
    }
    while (hi > lo && digits[hi - 1] == '0')
        hi--;
    if (lo == hi)
        return mf_arena_strdup(a, "0");
    mf_buf b = {0};
    if (neg)
        mf_buf_addc(&b, '-');
    int n = hi - lo;
    if (dp <= 0) {
        mf_buf_adds(&b, "0.");
        for (long i = 0; i < -dp; i++)
            mf_buf_addc(&b, '0');
        mf_buf_add(&b, digits + lo, (size_t)n);
    } else if (dp >= n) {
        mf_buf_add(&b, digits + lo, (size_t)n);
        for (long i = n; i < dp; i++)
            mf_buf_addc(&b, '0');
    } else {
        mf_buf_add(&b, digits + lo, (size_t)dp);
        mf_buf_addc(&b, '.');
        mf_buf_add(&b, digits + lo + dp, (size_t)(n - dp));
    }
    char *out = mf_arena_strdup(a, mf_buf_str(&b));
    mf_buf_free(&b);
    return out;
}

/* ---- the streaming driver ---- */

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    xctx *x = ud;
    if (x->failed || x->in_text <= 0 || x->in_rph)
        return;
    if ((long)(x->text.len + (size_t)len) > XLSX_MAX_TEXT) {
        mf_fail(x->e, MF_ELIMIT, x->path, 0, 0, "%s:%lu: a text longer than %ld bytes; a cell holds at most 32,767 characters",
                x->part, (unsigned long)XML_GetCurrentLineNumber(x->p), XLSX_MAX_TEXT);
        stop(x);
        return;
    }
    mf_buf_add(&x->text, s, (size_t)len);
}

/* Every part's elements pass here first: nesting deeper than any workbook needs is refused
 * before expat's own stack of open elements grows with it. */
static void XMLCALL depth_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    if (x->failed)
        return;
    if (++x->depth > XLSX_MAX_DEPTH) {
        mf_fail(x->e, MF_ELIMIT, x->path, 0, 0, "%s:%lu:%lu: XML elements nested deeper than %d levels",
                x->part, (unsigned long)XML_GetCurrentLineNumber(x->p),
                (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1, XLSX_MAX_DEPTH);
        stop(x);
        return;
    }
    x->st(ud, name, atts);
}

static void XMLCALL depth_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    if (x->failed)
        return;
    x->depth--;
    x->en(ud, name);
}

/* Stream one part of the zip through expat with the given handlers. */
static int parse_part(zip_t *z, xctx *x, const char *part, XML_StartElementHandler st,
                      XML_EndElementHandler en, int required, int *found)
{
    zip_stat_t sb;
    zip_stat_init(&sb);
    if (found)
        *found = 0;
    if (zip_stat(z, part, 0, &sb) != 0) {
        if (!required)
            return 0;
        return mf_fail(x->e, MF_EFORMAT, x->path, 0, 0,
                       "is not a valid .xlsx workbook: part %s is missing from the package", part);
    }
    if ((sb.valid & ZIP_STAT_SIZE) && sb.size > (zip_uint64_t)XLSX_MAX_PART)
        return mf_fail(x->e, MF_ELIMIT, x->path, 0, 0,
                       "part %s inflates to %llu bytes; at most %ld bytes are read per part", part,
                       (unsigned long long)sb.size, XLSX_MAX_PART);
    zip_file_t *f = zip_fopen(z, part, 0);
    if (!f)
        return mf_fail(x->e, MF_EFORMAT, x->path, 0, 0, "cannot open part %s of the workbook: %s",
                       part, zip_strerror(z));
    XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!p) {
        zip_fclose(f);
        return mf_fail(x->e, MF_ENOMEM, x->path, 0, 0, "out of memory creating an XML parser");
    }
    XML_SetUserData(p, x);
    x->st = st;
    x->en = en;
    x->depth = 0;
    XML_SetElementHandler(p, depth_start, depth_end);
    XML_SetCharacterDataHandler(p, on_text);
    x->p = p;
    x->part = part;
    x->failed = 0;
    if (found)
        *found = 1;
    char *chunk = mf_xmalloc(XLSX_CHUNK);
    long total = 0;
    int rc = 0;
    for (;;) {
        zip_int64_t n = zip_fread(f, chunk, XLSX_CHUNK);
        if (n < 0) {
            rc = mf_fail(x->e, MF_EFORMAT, x->path, 0, 0, "cannot read part %s of the workbook: %s",
                         part, zip_file_strerror(f));
            break;
        }
        total += (long)n;
        if (total > XLSX_MAX_PART) {
            rc = mf_fail(x->e, MF_ELIMIT, x->path, 0, 0,
                         "part %s inflates beyond %ld bytes, the most read per part", part,
                         XLSX_MAX_PART);
            break;
        }
        if (XML_Parse(p, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
            if (!x->failed)
                rc = mf_fail(x->e, MF_EFORMAT, x->path, 0, 0,
                             "%s:%lu:%lu: malformed XML (%s); expected a well-formed part",
                             part, (unsigned long)XML_GetCurrentLineNumber(p),
                             (unsigned long)XML_GetCurrentColumnNumber(p) + 1,
                             XML_ErrorString(XML_GetErrorCode(p)));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
    }
    free(chunk);
    XML_ParserFree(p);
    x->p = NULL;
    zip_fclose(f);
    return x->failed ? -1 : rc;
}

/* ---- .rels and workbook.xml ---- */

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    if (strcmp(local_name(name), "Relationship"))
        return;
    const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *t = attr(atts, "Target");
    if (!id || !t)
        return;
    x->rel = grow(x->rel, x->nrel, &x->caprel, sizeof *x->rel);
    x->rel[x->nrel++] = (xrel){mf_xstrdup(id), mf_xstrdup(type ? type : ""), mf_xstrdup(t)};
}

static void XMLCALL no_end(void *ud, const XML_Char *name)
{
    (void)ud;
    (void)name;
}

static void clear_rels(xctx *x)
{
    for (int i = 0; i < x->nrel; i++) {
        free(x->rel[i].id);
        free(x->rel[i].type);
        free(x->rel[i].target);
    }
    free(x->rel);
    x->rel = NULL;
    x->nrel = x->caprel = 0;
}

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    if (strcmp(local_name(name), "sheet"))
        return;
    const char *n = attr(atts, "name"), *rid = attr_ns(atts, "id");
    if (!n || !rid) {
        mf_fail(x->e, MF_EFORMAT, x->path, 0, 0,
                "%s:%lu: a <sheet> element lacks its name or r:id attribute", x->part,
                (unsigned long)XML_GetCurrentLineNumber(x->p));
        stop(x);
        return;
    }
    x->sh = grow(x->sh, x->nsh, &x->capsh, sizeof *x->sh);
    x->sh[x->nsh++] = (xpair){mf_xstrdup(n), mf_xstrdup(rid)};
}

/* Resolve a relationship target against the directory of the part that owns the .rels. */
static char *resolve_target(const char *base_dir, const char *target)
{
    mf_buf b = {0};
    if (target[0] == '/') {
        mf_buf_adds(&b, target + 1);
    } else {
        mf_buf_adds(&b, base_dir);
        const char *t = target;
        while (!strncmp(t, "../", 3)) {   /* climb one directory per "../" */
            t += 3;
            if (b.len > 0)
                b.len--;   /* drop trailing '/' */
            while (b.len > 0 && b.data[b.len - 1] != '/')
                b.len--;
            if (b.data)
                b.data[b.len] = '\0';
        }
        mf_buf_adds(&b, t);
    }
    char *s = mf_xstrdup(mf_buf_str(&b));
    mf_buf_free(&b);
    return s;
}

static int type_is(const char *type, const char *suffix)
{
    size_t n = type ? strlen(type) : 0, k = strlen(suffix);
    return n >= k && !strcmp(type + n - k, suffix);
}

/* ---- sharedStrings.xml ---- */

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    (void)atts;
    const char *n = local_name(name);
    if (!strcmp(n, "si")) {
        mf_buf_clear(&x->text);
        x->in_text = 0;
    } else if (!strcmp(n, "t")) {
        x->in_text++;
    } else if (!strcmp(n, "rPh")) {
        x->in_rph++;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    const char *n = local_name(name);
    if (!strcmp(n, "t")) {
        x->in_text--;
    } else if (!strcmp(n, "rPh")) {
        x->in_rph--;
    } else if (!strcmp(n, "si")) {
        if (x->nsst == x->capsst) {
            x->capsst = x->capsst ? x->capsst * 2 : 256;
            x->sst = mf_xrealloc(x->sst, (size_t)x->capsst * sizeof *x->sst);
        }
        if (spend(x, x->text.len + 1 + sizeof *x->sst)) {
            stop(x);
            return;
        }
        x->sst[x->nsst++] = mf_arena_strndup(x->a, mf_buf_str(&x->text), x->text.len);
    }
}

/* ---- worksheets ---- */

/* Remember a merged range that spans rows ("B5:B7": one target, source or rule written once for
 * several rows); ranges within one row (merged titles, notes lines) are left as they are.  A
 * malformed ref is ignored: merging is presentation, never content. */
static void merge_cell(xctx *x, const char *ref)
{
    char a[16], b[16];
    const char *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon || colon - ref >= (long)sizeof a || strlen(colon + 1) >= sizeof b)
        return;
    snprintf(a, sizeof a, "%.*s", (int)(colon - ref), ref);
    snprintf(b, sizeof b, "%s", colon + 1);
    int r1, c1, r2, c2;
    if (parse_ref(a, &r1, &c1) != 0 || parse_ref(b, &r2, &c2) != 0 || r2 <= r1)
        return;
    x->merge = grow(x->merge, x->nmerge, &x->capmerge, sizeof *x->merge);
    x->merge[x->nmerge][0] = r1;
    x->merge[x->nmerge][1] = c1;
    x->merge[x->nmerge][2] = r2;
    x->nmerge++;
}

static void XMLCALL ws_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    xctx *x = ud;
    const char *n = local_name(name);
    if (!strcmp(n, "row")) {
        const char *r = attr(atts, "r");
        long rr = r ? strtol(r, NULL, 10) : 0;
        x->cur_row = (rr >= 1 && rr <= 1048576) ? (int)rr - 1 : x->cur_row + 1;
        x->cur_col = -1;
    } else if (!strcmp(n, "c")) {
        const char *r = attr(atts, "r"), *t = attr(atts, "t");
        int row = x->cur_row, col = x->cur_col + 1;
        if (r && parse_ref(r, &row, &col) != 0) {
            mf_fail(x->e, MF_EFORMAT, x->path, 0, 0,
                    "%s:%lu: cell reference r=\"%.20s\" in sheet %s is not like \"B7\"", x->part,
                    (unsigned long)XML_GetCurrentLineNumber(x->p), r, x->sheet);
            stop(x);
            return;
        }
        x->cur_row = row;
        x->cur_col = col;
        char letters[8];
        xlsx_col_letters(col, letters);
        snprintf(x->cref, sizeof x->cref, "%s%d", letters, row + 1);
        snprintf(x->ctype, sizeof x->ctype, "%s", t ? t : "n");
        x->has_v = x->has_is = 0;
        mf_buf_clear(&x->v);
        mf_buf_clear(&x->is);
    } else if (!strcmp(n, "v")) {
        x->has_v = 1;
        mf_buf_clear(&x->text);
        x->in_text++;
    } else if (!strcmp(n, "is")) {
        x->has_is = 1;
        mf_buf_clear(&x->text);
    } else if (!strcmp(n, "t") && x->has_is) {
        x->in_text++;
    } else if (!strcmp(n, "rPh")) {
        x->in_rph++;
    } else if (!strcmp(n, "mergeCell")) {
        merge_cell(x, attr(atts, "ref"));
    }
}

/* The text value of the finished cell, or NULL after an error. */
static const char *cell_value(xctx *x)
{
    const char *t = x->ctype;
    if (!strcmp(t, "inlineStr"))
        return mf_arena_strdup(x->a, mf_buf_str(&x->is));
    if (!x->has_v)
        return "";
    const char *v = mf_buf_str(&x->v);
    if (!strcmp(t, "s")) {
        char *end;
        errno = 0;
        long i = strtol(v, &end, 10);
        if (end == v || *end || errno || i < 0 || i >= x->nsst) {
            char cell[64];
            snprintf(cell, sizeof cell, "%.30s!%s", x->sheet, x->cref);
            mf_fail_cell(x->e, MF_EFORMAT, x->path, cell,
                         "shared string index \"%.20s\" is out of range; expected 0..%d "
                         "(the workbook's %s has %d strings)",
                         v, x->nsst - 1, "sharedStrings.xml", x->nsst);
            return NULL;
        }
        return x->sst[i];
    }
    if (!strcmp(t, "b"))
        return !strcmp(v, "1") || !strcmp(v, "true") ? "TRUE" : "FALSE";
    if (!strcmp(t, "n")) {
        char *num = normalise_number(x->a, v);
        if (num)
            return num;
    }
    return mf_arena_strdup(x->a, v);   /* str, e (#N/A), d (ISO date), or an odd number */
}

static void XMLCALL ws_end(void *ud, const XML_Char *name)
{
    xctx *x = ud;
    const char *n = local_name(name);
    if (!strcmp(n, "v")) {
        x->in_text--;
        mf_buf_clear(&x->v);
        mf_buf_add(&x->v, x->text.data ? x->text.data : "", x->text.len);
    } else if (!strcmp(n, "t") && x->has_is) {
        x->in_text--;
    } else if (!strcmp(n, "rPh")) {
        x->in_rph--;
    } else if (!strcmp(n, "is")) {
        mf_buf_clear(&x->is);
        mf_buf_add(&x->is, x->text.data ? x->text.data : "", x->text.len);
    } else if (!strcmp(n, "c")) {
        const char *val = cell_value(x);
        if (!val) {
            stop(x);
            return;
        }
        x->has_is = 0;
        if (!*val)
            return;
        if (spend(x, strlen(val) + 1 + sizeof *x->cells)) {
            stop(x);
            return;
        }
        if (x->nc == x->capc) {
            x->capc = x->capc ? x->capc * 2 : 1024;
            x->cells = mf_xrealloc(x->cells, (size_t)x->capc * sizeof *x->cells);
        }
        x->cells[x->nc++] = (xcell){x->cur_row, x->cur_col, val};
        if (x->cur_row + 1 > x->maxr)
            x->maxr = x->cur_row + 1;
        if (x->cur_col + 1 > x->maxc)
            x->maxc = x->cur_col + 1;
    }
}

/* Place the collected cells into a dense grid. */
static int build_grid(xctx *x, mf_sheet *s)
{
    s->nrows = x->maxr;
    s->ncols = x->maxc;
    if ((long long)s->nrows * s->ncols > XLSX_MAX_CELLS)
        return mf_fail(x->e, MF_ELIMIT, x->path, 0, 0,
                       "sheet %s spans %d rows x %d columns; at most %ld cells are read per sheet",
                       s->name, s->nrows, s->ncols, XLSX_MAX_CELLS);
    long long extent = (long long)s->nrows * s->ncols;
    if (extent > XLSX_MIN_EXTENT && extent > XLSX_EXTENT_PER_VALUE * (x->nc + x->nmerge)) {
        char letters[8];
        xlsx_col_letters(s->ncols - 1, letters);
        return mf_fail(x->e, MF_ELIMIT, x->path, 0, 0,
                       "%s: sheet %s has cells as far as %s%d (%lld cells) but only %d values; a sheet "
                       "may span at most %ld cells, or %ld per value it holds",
                       x->part, s->name, letters, s->nrows, extent, x->nc, XLSX_MIN_EXTENT, XLSX_EXTENT_PER_VALUE);
    }
    size_t n = (size_t)s->nrows * (size_t)s->ncols;
    if (spend(x, (n ? n : 1) * sizeof *s->cell))
        return -1;
    s->cell = mf_arena_alloc(x->a, (n ? n : 1) * sizeof *s->cell);
    for (size_t i = 0; i < n; i++)
        s->cell[i] = "";
    for (int i = 0; i < x->nc; i++)
        MF_SHEET_CELL(s, x->cells[i].row, x->cells[i].col) = x->cells[i].v;
    /* a range merged over several rows holds its value on each of them (first column) */
    for (int i = 0; i < x->nmerge; i++) {
        int r1 = x->merge[i][0], c = x->merge[i][1], r2 = x->merge[i][2];
        if (r1 >= s->nrows || c >= s->ncols)
            continue;
        for (int r = r1 + 1; r <= r2 && r < s->nrows; r++)
            if (!*MF_SHEET_CELL(s, r, c))
                MF_SHEET_CELL(s, r, c) = MF_SHEET_CELL(s, r1, c);
    }
    return 0;
}

static int read_sheet(zip_t *z, xctx *x, const char *part, mf_sheet *s)
{
    x->nc = 0;
    x->nmerge = 0;
    x->maxr = x->maxc = 0;
    x->cur_row = -1;
    x->cur_col = -1;
    x->in_text = x->in_rph = 0;
    x->has_is = 0;
    x->sheet = s->name;
    if (parse_part(z, x, part, ws_start, ws_end, 1, NULL) != 0)
        return -1;
    return build_grid(x, s);
}

/* ---- the package ---- */

static int check_signature(const char *path, mf_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the workbook: %s", strerror(errno));
    unsigned char sig[8] = {0};
    size_t n = fread(sig, 1, sizeof sig, f);
    fclose(f);
    static const unsigned char ole2[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (n == 8 && !memcmp(sig, ole2, 8))
        return mf_fail(e, MF_EFORMAT, path, 0, 0,
                       "is encrypted or a legacy .xls workbook; save it as an unencrypted .xlsx");
    if (n < 4 || sig[0] != 'P' || sig[1] != 'K')
        return mf_fail(e, MF_EFORMAT, path, 0, 0, "is not an .xlsx workbook (not a zip archive)");
    return 0;
}

static void free_ctx(xctx *x)
{
    for (int i = 0; i < x->nsh; i++) {
        free(x->sh[i].name);
        free(x->sh[i].rid);
    }
    free(x->sh);
    clear_rels(x);
    free(x->sst);
    free(x->cells);
    free(x->merge);
    mf_buf_free(&x->text);
    mf_buf_free(&x->v);
    mf_buf_free(&x->is);
}

/* Find the workbook part from _rels/.rels (defaults to xl/workbook.xml). */
static char *workbook_part(zip_t *z, xctx *x)
{
    int found = 0;
    if (parse_part(z, x, "_rels/.rels", rels_start, no_end, 0, &found) != 0)
        return NULL;
    char *wb = NULL;
    for (int i = 0; i < x->nrel && !wb; i++)
        if (type_is(x->rel[i].type, "/officeDocument"))
            wb = resolve_target("", x->rel[i].target);
    clear_rels(x);
    return wb ? wb : mf_xstrdup("xl/workbook.xml");
}

static int read_package(zip_t *z, xctx *x, mf_workbook *out)
{
    char *wb = workbook_part(z, x);
    if (!wb)
        return -1;
    char *slash = strrchr(wb, '/');
    char *dir = mf_xstrndup(wb, slash ? (size_t)(slash - wb + 1) : 0);
    char *rels = mf_xstrdup(mf_arena_printf(x->a, "%s_rels/%s.rels", dir, slash ? slash + 1 : wb));
    int rc = parse_part(z, x, wb, wb_start, no_end, 1, NULL);
    if (rc == 0)
        rc = parse_part(z, x, rels, rels_start, no_end, 1, NULL);
    char *sst_part = NULL;
    for (int i = 0; rc == 0 && i < x->nrel && !sst_part; i++)
        if (type_is(x->rel[i].type, "/sharedStrings"))
            sst_part = resolve_target(dir, x->rel[i].target);
    if (rc == 0 && sst_part)
        rc = parse_part(z, x, sst_part, sst_start, sst_end, 1, NULL);
    else if (rc == 0)   /* some writers omit the relationship but ship the part */
        rc = parse_part(z, x, "xl/sharedStrings.xml", sst_start, sst_end, 0, NULL);
    free(sst_part);
    if (rc == 0 && x->nsh == 0)
        rc = mf_fail(x->e, MF_EFORMAT, x->path, 0, 0, "%s lists no sheets; expected at least one", wb);
    out->sheet = mf_arena_alloc(x->a, (size_t)(x->nsh ? x->nsh : 1) * sizeof *out->sheet);
    out->nsheets = 0;
    for (int i = 0; rc == 0 && i < x->nsh; i++) {
        int r = -1;
        for (int k = 0; k < x->nrel && r < 0; k++)
            if (!strcmp(x->rel[k].id, x->sh[i].rid))
                r = k;
        if (r < 0) {
            rc = mf_fail(x->e, MF_EFORMAT, x->path, 0, 0,
                         "sheet \"%s\" refers to relationship %s, which %s does not define",
                         x->sh[i].name, x->sh[i].rid, rels);
            break;
        }
        if (!type_is(x->rel[r].type, "/worksheet"))
            continue;   /* chart sheets and dialog sheets hold no cells */
        char *part = resolve_target(dir, x->rel[r].target);
        mf_sheet *s = &out->sheet[out->nsheets];
        s->name = mf_arena_strdup(x->a, x->sh[i].name);
        rc = read_sheet(z, x, part, s);
        free(part);
        if (rc == 0)
            out->nsheets++;
    }
    free(dir);
    free(rels);
    free(wb);
    return rc;
}

int xlsx_read(const char *path, mf_arena *a, mf_workbook *out, mf_err *e)
{
    memset(out, 0, sizeof *out);
    if (check_signature(path, e) != 0)
        return -1;
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) {
        if (zerr == ZIP_ER_NOZIP || zerr == ZIP_ER_INCONS)
            return mf_fail(e, MF_EFORMAT, path, 0, 0,
                           "is not an .xlsx workbook (not a zip archive)");
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        mf_fail(e, MF_EFORMAT, path, 0, 0, "cannot open the workbook as a zip archive: %s",
                zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    xctx x = {.path = path, .a = a, .e = e, .budget = XLSX_BUDGET};
    const char *budget = getenv("MAPFORGE_XLSX_BUDGET");   /* bytes; tests lower it */
    if (budget && *budget) {
        char *end;
        errno = 0;
        long long b = strtoll(budget, &end, 10);
        if (*end || errno || b <= 0) {
            zip_discard(z);
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "MAPFORGE_XLSX_BUDGET=%.40s is not a number of bytes", budget);
        }
        x.budget = b;
    }
    int rc = read_package(z, &x, out);
    free_ctx(&x);
    zip_discard(z);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}
