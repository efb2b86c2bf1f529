/* layout.c — the mapping table as analysts lay it out: its header row and what each row is.
 *
 * Header.  Every cell of a candidate row is read as words and scored for the role it names:
 * a qualifier (source/src/client/from/input/legacy…; target/standard/dest/to/output/label…)
 * with or without a field noun (field/column/name/variable/attribute…) names the source or the
 * target; type/data type/format the type; rule/logic/transformation/derivation/algorithm/
 * annotation/formula the rule; mandatory/required/mand/obligatory/M/O or "not null" the
 * mandatory flag; nullable/null/optional the inverse; comments/notes/remarks the comments.
 * Words the vocabulary does not know lower a source/target score ("Source System" loses to
 * "Source Field").  A bare noun ("Variable", "Field Name") takes the source or target role when
 * no qualified cell does.  The row whose assigned roles score highest — and that has both a
 * source and a target — is the header; ties go to the first such row.  Two rows (group labels
 * over sub-labels of header words: "Source" over "Table" | "Field") are one header when they
 * score higher together.
 *
 * Rows (map_row_kind).  Under the header: blank rows are spacers; a row holding one cell of
 * free text that is not a field name (typically below the table after a blank row) is a notes
 * line (MAP_NOTE, its text in `rule`); a lone rule or comment cell right under a column row
 * continues that row's text, and so does the same target again on the next row ("one target
 * spread over several rows"); a row whose target is empty, "-", "N/A", "Not mapped"…, or whose
 * rule says "Not mapped", "NOT SUBMITTED", "N/A – not required"…, is MAP_UNMAPPED; a row with a
 * source, no target and a rule pointing to a filter stated elsewhere ("Filter only - see
 * below") is MAP_FILTER_REF; any other row without a target but with a rule is MAP_STATEMENT.
 * A rule cell that says "see comments", or is empty, takes the Comments text.  "NOT NULL" /
 * "NULL" written after the type is removed from the type and sets `mandatory`.  Placeholder
 * sources ("-", "(calc)", "(derived)", "N/A") mean no source.
 *
 * Invariants: every string lives in the mapping's arena; a row's kind depends only on its
 * cells and on the rows directly above it; nothing written in a row is dropped — it is a column,
 * a statement for the rule reader, or a note the plan shows.
 */
#include "mapping/mapping_internal.h"

#include "util/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- words ---- */

/* A UTF-8 dash or bullet ("–", "—", "•", "‣", "·") at s: its length, else 0. */
static size_t dash_at(const unsigned char *s)
{
    if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0x93 || s[2] == 0x94 || s[2] == 0xA2 || s[2] == 0xA3))
        return 3;
    if (s[0] == 0xC2 && s[1] == 0xB7)
        return 2;
    return 0;
}

void layout_norm_words(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    int depth = 0, space = 1;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && n + 1 < cap) {
        unsigned char c = *p;
        size_t d = dash_at(p);
        if (d) {
            p += d;
            c = ' ';
        } else {
            p++;
        }
        if (c == '(') {
            depth++;
            continue;
        }
        if (c == ')' && depth > 0) {
            depth--;
            continue;
        }
        if (depth)
            continue;
        if (isalnum(c) || c >= 0x80) {
            out[n++] = (char)tolower(c);
            space = 0;
        } else if (!space) {
            out[n++] = ' ';
            space = 1;
        }
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

const char *layout_trim_dup(mf_arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return mf_arena_strndup(a, s, n);
}

/* ---- header cells ---- */

enum wclass { W_OTHER, W_FILLER, W_SRC, W_TGT, W_NOUN, W_TYPE, W_RULE, W_RULE_WEAK, W_MAND, W_NULL,
              W_NOT, W_COMM, W_TABLE, W_DOMAIN, W_LENGTH, W_DEFAULT };

static const struct { const char *w; enum wclass c; } VOCAB[] = {
    {"source", W_SRC}, {"sources", W_SRC}, {"src", W_SRC}, {"client", W_SRC}, {"clients", W_SRC},
    {"legacy", W_SRC}, {"input", W_SRC}, {"from", W_SRC}, {"origin", W_SRC}, {"originating", W_SRC},
    {"feed", W_SRC}, {"sender", W_SRC}, {"sending", W_SRC}, {"incoming", W_SRC}, {"extract", W_SRC},
    {"raw", W_SRC}, {"old", W_SRC}, {"provider", W_SRC},
    {"target", W_TGT}, {"targets", W_TGT}, {"tgt", W_TGT}, {"trg", W_TGT}, {"standard", W_TGT},
    {"std", W_TGT}, {"dest", W_TGT}, {"destination", W_TGT}, {"to", W_TGT}, {"output", W_TGT},
    {"canonical", W_TGT}, {"receiving", W_TGT}, {"new", W_TGT}, {"label", W_TGT}, {"mapped", W_TGT},
    {"warehouse", W_TGT}, {"dwh", W_TGT}, {"edw", W_TGT}, {"model", W_TGT}, {"sdtm", W_TGT},
    {"field", W_NOUN}, {"fields", W_NOUN}, {"column", W_NOUN}, {"columns", W_NOUN}, {"col", W_NOUN},
    {"name", W_NOUN}, {"names", W_NOUN}, {"variable", W_NOUN}, {"variables", W_NOUN}, {"var", W_NOUN},
    {"attribute", W_NOUN}, {"attributes", W_NOUN}, {"attr", W_NOUN}, {"element", W_NOUN},
    {"elements", W_NOUN}, {"item", W_NOUN}, {"fld", W_NOUN}, {"header", W_NOUN}, {"heading", W_NOUN},
    {"type", W_TYPE}, {"types", W_TYPE}, {"datatype", W_TYPE}, {"format", W_TYPE}, {"formats", W_TYPE},
    {"dtype", W_TYPE},
    {"rule", W_RULE}, {"rules", W_RULE}, {"logic", W_RULE}, {"transformation", W_RULE},
    {"transformations", W_RULE}, {"transform", W_RULE}, {"derivation", W_RULE}, {"derivations", W_RULE},
    {"derive", W_RULE}, {"algorithm", W_RULE}, {"annotation", W_RULE}, {"annotations", W_RULE},
    {"formula", W_RULE}, {"formulas", W_RULE}, {"formulae", W_RULE}, {"expression", W_RULE},
    {"calculation", W_RULE}, {"conversion", W_RULE}, {"treatment", W_RULE}, {"instructions", W_RULE},
    {"instruction", W_RULE}, {"computation", W_RULE}, {"sql", W_RULE},
    {"mapping", W_RULE_WEAK}, {"map", W_RULE_WEAK}, {"how", W_RULE_WEAK}, {"method", W_RULE_WEAK},
    {"mandatory", W_MAND}, {"required", W_MAND}, {"mand", W_MAND}, {"req", W_MAND}, {"reqd", W_MAND},
    {"obligatory", W_MAND}, {"compulsory", W_MAND}, {"must", W_MAND},
    {"nullable", W_NULL}, {"null", W_NULL}, {"nulls", W_NULL}, {"optional", W_NULL},
    {"nullability", W_NULL}, {"not", W_NOT},
    {"comments", W_COMM}, {"comment", W_COMM}, {"notes", W_COMM}, {"note", W_COMM}, {"remarks", W_COMM},
    {"remark", W_COMM}, {"observations", W_COMM}, {"observation", W_COMM}, {"explanation", W_COMM},
    {"table", W_TABLE}, {"tables", W_TABLE}, {"domain", W_DOMAIN},
    {"length", W_LENGTH}, {"len", W_LENGTH}, {"size", W_LENGTH}, {"width", W_LENGTH}, {"max", W_FILLER},
    {"maximum", W_FILLER}, {"default", W_DEFAULT}, {"defaults", W_DEFAULT},
    {"of", W_FILLER}, {"for", W_FILLER}, {"the", W_FILLER}, {"a", W_FILLER}, {"an", W_FILLER},
    {"in", W_FILLER}, {"and", W_FILLER}, {"or", W_FILLER}, {"y", W_FILLER}, {"n", W_FILLER},
    {"yn", W_FILLER}, {"by", W_FILLER}, {"is", W_FILLER}, {"if", W_FILLER}, {"per", W_FILLER},
    {"data", W_FILLER}, {"value", W_FILLER}, {"values", W_FILLER}, {"allowed", W_FILLER},
    {"flag", W_FILLER}, {"ind", W_FILLER}, {"indicator", W_FILLER}, {"excel", W_FILLER},
    {"field's", W_FILLER}, {"business", W_FILLER}, {"free", W_FILLER}, {"text", W_FILLER},
};

static enum wclass word_class(const char *w)
{
    for (size_t i = 0; i < sizeof VOCAB / sizeof VOCAB[0]; i++)
        if (!strcmp(VOCAB[i].w, w))
            return VOCAB[i].c;
    return W_OTHER;
}

/* Pseudo-role for a bare field noun ("Variable", "Field Name"): source or target, decided by
 * the rest of the row. */
#define MR_GENERIC MR_COUNT

static enum map_role cell_role(const char *cell, int *score)
{
    char w[160];
    *score = 0;
    if (strlen(cell) > 60)
        return MR_NONE;
    layout_norm_words(cell, w, sizeof w);
    if (!w[0]) {   /* the whole cell is an aside: "(M/O)" */
        char tmp[160];
        size_t k = 0;
        for (const char *p = cell; *p && k + 1 < sizeof tmp; p++)
            if (*p != '(' && *p != ')')
                tmp[k++] = *p;
        tmp[k] = 0;
        layout_norm_words(tmp, w, sizeof w);
        if (!w[0])
            return MR_NONE;
    }
    int n[W_DEFAULT + 1] = {0}, words = 0, mo = 1;
    char *save = NULL;
    for (char *t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        words++;
        n[word_class(t)]++;
        if (strcmp(t, "m") && strcmp(t, "o") && strcmp(t, "c") && strcmp(t, "mo"))
            mo = 0;
    }
    if (words > 6)
        return MR_NONE;
    if (mo) {                                   /* "M", "M/O", "M/O/C" */
        *score = 2;
        return MR_MANDATORY;
    }
    int qual_src = n[W_SRC] > 0, qual_tgt = n[W_TGT] > 0;
    if (n[W_RULE]) {                            /* "Transformation Type" is a category: weak */
        *score = n[W_TYPE] ? 1 : 3;
        return MR_RULE;
    }
    if (n[W_COMM]) {
        *score = 3;
        return MR_COMMENTS;
    }
    if (n[W_NOT] && n[W_NULL]) {                /* "Not Null" */
        *score = 3;
        return MR_MANDATORY;
    }
    if (n[W_NULL]) {
        *score = 3;
        return MR_NULLABLE;
    }
    if (n[W_MAND]) {
        *score = 3;
        return MR_MANDATORY;
    }
    if (n[W_TYPE]) {                            /* "Target Data Type" beats "Source Data Type" */
        *score = qual_tgt ? 3 : qual_src || n[W_OTHER] || n[W_RULE_WEAK] ? 1 : 2;   /* "Mapping Type" */
        return MR_TYPE;
    }
    if (n[W_DEFAULT] && !qual_src) {            /* "Default Value" */
        *score = 2;
        return MR_DEFAULT;
    }
    if (n[W_LENGTH] && !qual_src) {             /* "Length", "Max Length", "Field Size" */
        *score = 2;
        return MR_LENGTH;
    }
    if (n[W_TABLE] || n[W_DOMAIN]) {            /* the output table; a source table is no role */
        if (qual_src || (!qual_tgt && !n[W_DOMAIN]))
            return MR_NONE;
        *score = 2;
        return MR_TABLE;
    }
    if (n[W_RULE_WEAK] && !qual_src && !qual_tgt && !n[W_NOUN]) {   /* "Mapping" */
        *score = 1;
        return MR_RULE;
    }
    if (qual_src != qual_tgt) {
        int s = (n[W_NOUN] ? 3 : 2) - n[W_OTHER] - n[W_RULE_WEAK];
        if (s <= 0)
            return MR_NONE;
        *score = s;
        return qual_src ? MR_SOURCE : MR_TARGET;
    }
    if (!qual_src && n[W_NOUN] && !n[W_OTHER]) {
        *score = 1;
        return (enum map_role)MR_GENERIC;
    }
    return MR_NONE;
}

enum map_role layout_cell_role(const char *cell, int *score)
{
    enum map_role r = cell_role(cell, score);
    return (int)r == MR_GENERIC ? MR_NONE : r;
}

/* Is every word of s a header word ("Table", "Field", "Name", "Data Type")? */
static int known_words(const char *s)
{
    char w[160];
    layout_norm_words(s, w, sizeof w);
    if (!w[0])
        return 0;
    char *save = NULL;
    for (char *t = strtok_r(w, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (word_class(t) == W_OTHER)
            return 0;
    return 1;
}

/* Score header labels (one per column, "" for none); 0 when they name no source and target. */
static int score_cells(const char *const *cells, int ncols, map_header *h)
{
    int best[MR_COUNT], total = 0, prose = 0;
    int generic[8], ngeneric = 0;
    for (int k = 0; k < MR_COUNT; k++) {
        h->col[k] = -1;
        best[k] = 0;
    }
    for (int c = 0; c < ncols; c++) {
        const char *v = cells[c];
        if (!*v)
            continue;
        int sc;
        enum map_role ro = cell_role(v, &sc);
        if ((int)ro == MR_GENERIC) {
            if (ngeneric < 8)
                generic[ngeneric++] = c;
            continue;
        }
        if (ro == MR_NONE) {
            prose += strlen(v) > 40;
            continue;
        }
        if (sc > best[ro]) {
            best[ro] = sc;
            h->col[ro] = c;
        }
    }
    for (int g = 0; g < ngeneric; g++) {
        if (h->col[MR_SOURCE] < 0) {
            h->col[MR_SOURCE] = generic[g];
            best[MR_SOURCE] = 1;
        } else if (h->col[MR_TARGET] < 0) {
            h->col[MR_TARGET] = generic[g];
            best[MR_TARGET] = 1;
        }
    }
    if (h->col[MR_SOURCE] < 0 || h->col[MR_TARGET] < 0)
        return 0;
    for (int k = 0; k < MR_COUNT; k++)
        if (h->col[k] >= 0)
            total += best[k] + 2;
    total -= 3 * prose;
    h->score = total > 0 ? total : 1;
    return h->score;
}

/* Row r as the header; or rows r and r+1 as a two-row header, when that scores higher: a group
 * label over sub-labels ("Source" over "Table" | "Field", the group written once in its first
 * column or merged across) reads as "Source Table", "Source Field". */
static int score_row(const mf_sheet *s, int r, map_header *h)
{
    const char **cells = mf_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *cells);
    char **two = mf_xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *two);
    for (int c = 0; c < s->ncols; c++)
        cells[c] = MF_SHEET_CELL(s, r, c);
    int score = score_cells(cells, s->ncols, h);
    h->sheet = s;
    h->row = h->first_row = r;
    if (r + 1 < s->nrows) {
        int subs = 0;
        const char *group = "";
        for (int c = 0; c < s->ncols; c++) {
            const char *top = MF_SHEET_CELL(s, r, c), *sub = MF_SHEET_CELL(s, r + 1, c);
            if (*top)
                group = top;
            if (*sub) {
                subs += known_words(sub) ? 1 : -100;   /* a data row is no sub-header */
                size_t n = strlen(group) + strlen(sub) + 2;
                two[c] = mf_xmalloc(n);
                snprintf(two[c], n, "%s%s%s", group, *group ? " " : "", sub);
                cells[c] = two[c];
            } else {
                cells[c] = top;
            }
        }
        map_header h2;
        if (subs >= 2 && score_cells(cells, s->ncols, &h2) > score) {
            *h = h2;
            h->sheet = s;
            h->first_row = r;
            h->row = r + 1;
            score = h->score;
        }
    }
    for (int c = 0; c < s->ncols; c++)
        free(two[c]);
    free(two);
    free(cells);
    return score;
}

static int name_says_mapping(const char *name)
{
    char w[128];
    layout_norm_words(name, w, sizeof w);
    return strstr(w, "mapping") != NULL || strstr(w, "map") == w;
}

int layout_find_header(const mf_workbook *b, int scan, map_header *out)
{
    int found = 0;
    for (int i = 0; i < b->nsheets; i++) {
        const mf_sheet *s = &b->sheet[i];
        int rows = s->nrows < scan ? s->nrows : scan;
        for (int r = 0; r < rows; r++) {
            map_header h;
            if (!score_row(s, r, &h))
                continue;
            int better = !found || h.score > out->score ||
                         (h.score == out->score && out->sheet != s && name_says_mapping(s->name) &&
                          !name_says_mapping(out->sheet->name));
            if (better) {
                *out = h;
                found = 1;
            }
        }
    }
    return found;
}

/* ---- cell values ---- */

static int word_in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list))
            return 1;
    return 0;
}

static int yes(const char *v)
{
    static const char *const y[] = {"y", "yes", "true", "x", "m", "mandatory", "1", "required", "req",
                                    "not null", "mand", "obligatory", "must", NULL};
    char w[64];
    layout_norm_words(v, w, sizeof w);
    return word_in(w, y);
}

static int no(const char *v)
{
    static const char *const n[] = {"n", "no", "false", "0", "not null", NULL};
    char w[64];
    layout_norm_words(v, w, sizeof w);
    return word_in(w, n);
}

/* Does the normalised text hold the words `phrase` as whole words? */
static int has_phrase(const char *w, const char *phrase)
{
    size_t k = strlen(phrase);
    for (const char *p = w; (p = strstr(p, phrase)) != NULL; p++)
        if ((p == w || p[-1] == ' ') && (p[k] == 0 || p[k] == ' '))
            return 1;
    return 0;
}

static int count_words(const char *w)
{
    int n = 0, in = 0;
    for (; *w; w++) {
        if (*w == ' ')
            in = 0;
        else if (!in) {
            in = 1;
            n++;
        }
    }
    return n;
}

/* "-", "(calc)", "(derived)", "N/A", "none", "constant": the row has no source field. */
static int placeholder_source(const char *s)
{
    static const char *const ph[] = {"", "calc", "calculated", "calculation", "derived", "derivation",
                                     "computed", "n a", "na", "none", "nil", "constant", "const",
                                     "hardcoded", "hard coded", "hardcode", "generated", "system generated",
                                     "autogenerated", "auto generated", "not applicable", "no source",
                                     "formula", "expression", NULL};
    char w[128];
    if (!*s)
        return 0;
    layout_norm_words(s, w, sizeof w);
    return word_in(w, ph);
}

/* "-", "N/A", "Not mapped", "none": a target cell that says there is no target. */
static int placeholder_target(const char *t)
{
    static const char *const ph[] = {"", "n a", "na", "none", "nil", "not mapped", "unmapped", "not used",
                                     "not required", "not needed", "no target", "ignore", "ignored",
                                     "not applicable", "not in scope", "out of scope", "not loaded",
                                     "no mapping", "not mapped yet", "drop", "dropped", NULL};
    char w[128];
    layout_norm_words(t, w, sizeof w);
    return word_in(w, ph);
}

/* Words that make a text about rows (a filter or trailer), never a "not mapped" remark. */
static int about_rows(const char *w)
{
    static const char *const rw[] = {"exclude", "excluded", "excl", "skip", "skipped", "drop", "dropped",
                                     "filter", "filtered", "where", "row", "rows", "line", "lines",
                                     "record", "records", "trailer", "total", "only", "incl", "include",
                                     "remove", "removed", NULL};
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", w);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (word_in(t, rw))
            return 1;
    return 0;
}

/* "Not mapped", "NOT SUBMITTED", "N/A – not required", "not req'd", "-- not mapped (internal)".
 * strict (a row that has a target): the phrase must be most of the text. */
static int says_not_mapped(const char *text, int strict)
{
    static const char *const phrases[] = {"not mapped", "unmapped", "not map", "no mapping", "not submitted",
                                          "not required", "not req d", "not reqd", "not req", "not needed",
                                          "not used", "not in scope", "out of scope", "not loaded",
                                          "not applicable", "not relevant", "no target", "not supplied",
                                          "not populated", "not migrated", "not in target", NULL};
    char w[1024];
    layout_norm_words(text, w, sizeof w);
    if (!w[0] || about_rows(w))
        return 0;
    if (!strcmp(w, "n a") || !strcmp(w, "na") || !strcmp(w, "ignore") || !strcmp(w, "none"))
        return 1;
    for (int i = 0; phrases[i]; i++)
        if (has_phrase(w, phrases[i]))
            return !strict || count_words(w) <= count_words(phrases[i]) + 3;
    return 0;
}

/* "Filter only - see below", "used for filtering, see notes": the row's source is used by a
 * filter stated elsewhere; no value, operator or quote of its own. */
static int refers_to_filter(const char *text)
{
    char w[512];
    if (strpbrk(text, "0123456789'\"=<>"))
        return 0;
    layout_norm_words(text, w, sizeof w);
    if (count_words(w) > 8)
        return 0;
    int filter = strstr(w, "filter") != NULL || has_phrase(w, "selection") || has_phrase(w, "scope");
    int elsewhere = has_phrase(w, "see") || has_phrase(w, "below") || has_phrase(w, "above") ||
                    has_phrase(w, "only") || has_phrase(w, "notes") || has_phrase(w, "used");
    return filter && elsewhere;
}

/* "see comments", "refer to notes": the rule is in the Comments column. */
static int points_to_comments(const char *text)
{
    static const char *const p[] = {"see comments", "see comment", "see notes", "see note", "see remarks",
                                    "see remark", "refer to comments", "refer to comment", "see comments column",
                                    "see comment column", "in comments", "see comments field", NULL};
    char w[128];
    layout_norm_words(text, w, sizeof w);
    return word_in(w, p);
}

/* Remove "NOT NULL" / "NULL" written after the type: "VARCHAR(16) NOT NULL" -> "VARCHAR(16)".
 * Returns 1 for NOT NULL, 0 for NULL, -1 when the type says neither. */
static int strip_null_words(mf_arena *a, const char **type)
{
    const char *t = *type;
    size_t n = strlen(t);
    while (n && (isspace((unsigned char)t[n - 1]) || t[n - 1] == ','))
        n--;
    if (n >= 4 && !strncasecmp(t + n - 4, "null", 4) && (n == 4 || !isalnum((unsigned char)t[n - 5]))) {
        size_t m = n - 4;
        while (m && isspace((unsigned char)t[m - 1]))
            m--;
        int notnull = m >= 3 && !strncasecmp(t + m - 3, "not", 3) && (m == 3 || !isalnum((unsigned char)t[m - 4]));
        if (notnull) {
            m -= 3;
            while (m && (isspace((unsigned char)t[m - 1]) || t[m - 1] == ','))
                m--;
        }
        *type = layout_trim_dup(a, t, m);
        return notnull;
    }
    return -1;
}

/* A Length column completes a type written without one: "VARCHAR" + "10" -> "VARCHAR(10)",
 * "Decimal" + "18,2" -> "Decimal(18,2)"; an empty type with a length is text of that length. */
static const char *with_length(mf_arena *a, const char *type, const char *len)
{
    static const char *const sized[] = {"varchar", "varchar2", "nvarchar", "char", "nchar", "text", "string",
                                        "character", "alphanumeric", "an", "x", "decimal", "numeric", "number",
                                        "dec", "num", NULL};
    if (!*len || strchr(type, '('))
        return type;
    size_t k = strspn(len, "0123456789");
    if (!k || (len[k] && !((len[k] == ',' || len[k] == '.') && len[k + 1] && !len[k + 1 + strspn(len + k + 1, "0123456789")])))
        return type;   /* not "10", "18,2" or "18.2" */
    char w[64];
    layout_norm_words(type, w, sizeof w);
    if (!*type)
        return len[k] ? type : mf_arena_printf(a, "Text(%s)", len);
    if (!word_in(w, sized))
        return type;
    return mf_arena_printf(a, "%s(%.*s%s%s)", type, (int)k, len, len[k] ? "," : "", len[k] ? len + k + 1 : "");
}

/* A Default Value column becomes part of the rule: "if blank then 'X'". */
static const char *with_default(mf_arena *a, const char *rule, const char *deflt)
{
    if (!*deflt || placeholder_target(deflt))
        return rule;   /* "", "-", "N/A", "none" */
    return mf_arena_printf(a, "%s%sif blank then '%s'", rule, *rule ? "; " : "", deflt);
}

/* A field name rather than prose: a few words, no sentence punctuation. */
static int looks_like_field(const char *s)
{
    char w[256];
    if (strlen(s) > 48 || strpbrk(s, ":;=\n<>"))
        return 0;
    layout_norm_words(s, w, sizeof w);
    return w[0] && count_words(w) <= 4;
}

/* A sentence, not a column name: many words, or "=", a line break, a colon after words. */
static int prose(const char *s)
{
    char w[512];
    layout_norm_words(s, w, sizeof w);
    int n = count_words(w);
    return n > 6 || strpbrk(s, "=\n<>") != NULL || (strchr(s, ':') && n > 2);
}

/* ---- sources ---- */

/* A part of a multi-source cell that reads as a field name: some letter or digit, short, and
 * no sentence (at most four words). */
static int plausible_field(const char *s, size_t n)
{
    int alnum = 0, words = 0, inword = 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c >= 0x80)
            alnum = 1;
        if (isspace(c))
            inword = 0;
        else if (!inword) {
            inword = 1;
            words++;
        }
    }
    return alnum && words <= 4;
}

/* Length of a separator at p ("," "+" ";" " & " " and "), 0 when none. */
static size_t separator_at(const char *p)
{
    if (*p == ',' || *p == '+' || *p == ';')
        return 1;
    if (*p == ' ' && p[1] == '&' && p[2] == ' ')
        return 3;
    if (*p == ' ' && !strncasecmp(p + 1, "and ", 4))
        return 5;
    return 0;
}

static const char *strip_quotes(mf_arena *a, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '\'' && s[n - 1] == '\'') ||
                   (s[0] == '[' && s[n - 1] == ']'))) {
        s++;
        n -= 2;
    }
    return mf_arena_strndup(a, s, n);
}

/* Split "First Name + Last Name" into its fields; one part when any part is implausible.
 * Separators inside quotes or parentheses do not split. */
static void split_sources(mf_arena *a, map_row *row)
{
    const char *s = row->source;
    const char *starts[64];
    size_t lens[64];
    int n = 0, depth = 0, ok = 1;
    char quote = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        size_t sep = 0;
        if (*p && quote) {
            if (*p == quote)
                quote = 0;
            continue;
        }
        if (*p == '"')
            quote = *p;
        else if (*p == '(')
            depth++;
        else if (*p == ')' && depth)
            depth--;
        else if (*p && !depth)
            sep = separator_at(p);
        if (!*p || sep) {
            if (n == 64) {
                ok = 0;
                break;
            }
            const char *b = start, *e = p;
            while (b < e && isspace((unsigned char)*b))
                b++;
            while (e > b && isspace((unsigned char)e[-1]))
                e--;
            starts[n] = b;
            lens[n++] = (size_t)(e - b);
            if (!plausible_field(b, (size_t)(e - b)))
                ok = 0;
            if (!*p)
                break;
            p += sep - 1;
            start = p + 1;
        }
    }
    if (!*s) {
        row->nsources = 0;
        row->sources = mf_arena_alloc(a, sizeof *row->sources);
        return;
    }
    if (!ok || n < 2) {
        row->nsources = 1;
        row->sources = mf_arena_alloc(a, sizeof *row->sources);
        row->sources[0] = strip_quotes(a, s, strlen(s));
        return;
    }
    row->nsources = n;
    row->sources = mf_arena_alloc(a, (size_t)n * sizeof *row->sources);
    for (int i = 0; i < n; i++)
        row->sources[i] = strip_quotes(a, starts[i], lens[i]);
}

/* ---- rows ---- */

static const char *cell_at(mapping *m, const mf_sheet *s, int r, int c)
{
    if (c < 0)
        return "";
    const char *v = MF_SHEET_CELL(s, r, c);
    return layout_trim_dup(&m->arena, v, strlen(v));
}

static const char *join_text(mf_arena *a, const char *x, const char *y)
{
    if (!*x)
        return y;
    if (!*y)
        return x;
    return mf_arena_printf(a, "%s\n%s", x, y);
}

/* Append row `add`'s sources to `to` (a target spread over several rows). */
static void add_sources(mf_arena *a, map_row *to, const map_row *add)
{
    if (!add->nsources)
        return;
    int n = to->nsources + add->nsources;
    const char **v = mf_arena_alloc(a, (size_t)n * sizeof *v);
    for (int i = 0; i < to->nsources; i++)
        v[i] = to->sources[i];
    for (int i = 0; i < add->nsources; i++)
        v[to->nsources + i] = add->sources[i];
    to->sources = v;
    to->nsources = n;
    to->source = *to->source ? mf_arena_printf(a, "%s, %s", to->source, add->source) : add->source;
}

/* The header written again (printed pages, pasted blocks): the same source and target cells. */
static int is_repeated_header(const map_header *h, int r)
{
    const mf_sheet *s = h->sheet;
    for (int k = MR_SOURCE; k <= MR_TARGET; k++)
        if (strcasecmp(MF_SHEET_CELL(s, r, h->col[k]), MF_SHEET_CELL(s, h->row, h->col[k])))
            return 0;
    return 1;
}

/* Classify a row that has cells in the table's columns (not a lone notes cell). */
static void classify(map_row *row, bool target_written)
{
    if (points_to_comments(row->rule) && *row->comments)
        row->rule = row->comments;
    if (!*row->rule && *row->comments) {
        row->rule = row->comments;
        row->rule_from_comments = true;
    }
    if (*row->target && !placeholder_target(row->target)) {
        row->kind = says_not_mapped(row->rule, 1) ? MAP_UNMAPPED : MAP_COLUMN;
        return;
    }
    row->target = "";
    if (!*row->rule || says_not_mapped(row->rule, 0))
        row->kind = MAP_UNMAPPED;
    else if (*row->source && refers_to_filter(row->rule))
        row->kind = MAP_FILTER_REF;
    else if (target_written) {
        char w[1024];
        layout_norm_words(row->rule, w, sizeof w);
        row->kind = about_rows(w) ? MAP_STATEMENT : MAP_UNMAPPED;
    } else
        row->kind = MAP_STATEMENT;
}

void layout_read_rows(mapping *m, const map_header *h)
{
    const mf_sheet *s = h->sheet;
    m->rows = mf_arena_alloc(&m->arena, (size_t)(s->nrows ? s->nrows : 1) * sizeof *m->rows);
    m->nrows = 0;
    char letters[8];
    xlsx_col_letters(h->col[MR_SOURCE], letters);
    int last = 0;          /* 1-based sheet row of the last row stored or merged */
    for (int r = h->row + 1; r < s->nrows; r++) {
        map_row row = {.row = r + 1};
        if (is_repeated_header(h, r))
            continue;   /* the header repeated (printed pages, pasted blocks) */
        int filled = 0, only = -1;
        for (int c = 0; c < s->ncols; c++)
            if (*MF_SHEET_CELL(s, r, c)) {
                const char *v = MF_SHEET_CELL(s, r, c);
                while (*v && isspace((unsigned char)*v))
                    v++;
                if (*v) {
                    filled++;
                    only = c;
                }
            }
        if (!filled)
            continue;   /* blank spacer row */
        row.cellref = mf_arena_printf(&m->arena, "%s!%s%d", s->name, letters, r + 1);
        row.source = row.target = row.type = row.rule = row.comments = "";
        map_row *prev = m->nrows ? &m->rows[m->nrows - 1] : NULL;
        bool follows_column = prev && prev->kind == MAP_COLUMN && last == r;   /* directly above */
        last = r + 1;
        const char *tcell = cell_at(m, s, r, h->col[MR_TARGET]);
        if (*tcell && prose(tcell)) {
            /* a sentence where the target goes: a notes line written across cells ("Filter:" |
             * "Status = 'A' only"), or in the target's column */
            mf_buf b = {0};
            for (int c = 0; c < s->ncols; c++) {
                const char *v = cell_at(m, s, r, c);
                if (*v)
                    mf_buf_printf(&b, "%s%s", b.len ? " " : "", v);
            }
            row.rule = mf_arena_strdup(&m->arena, mf_buf_str(&b));
            mf_buf_free(&b);
            row.kind = MAP_NOTE;
            split_sources(&m->arena, &row);
            m->rows[m->nrows++] = row;
            continue;
        }
        if (filled == 1 && only != h->col[MR_TARGET]) {
            const char *text = cell_at(m, s, r, only);
            char w[1024];
            layout_norm_words(text, w, sizeof w);
            if (follows_column && only == h->col[MR_RULE] && !about_rows(w)) {
                prev->rule = join_text(&m->arena, prev->rule, text);   /* rule text continued */
                continue;
            }
            if (follows_column && only == h->col[MR_COMMENTS]) {
                prev->comments = join_text(&m->arena, prev->comments, text);
                if (prev->rule_from_comments)
                    prev->rule = prev->comments;
                continue;
            }
            if (only == h->col[MR_SOURCE] && looks_like_field(text)) {
                row.source = text;           /* a lone source field: listed, not mapped */
                row.kind = MAP_UNMAPPED;
            } else if (only == h->col[MR_RULE] && follows_column) {
                row.rule = text;             /* a rule of its own: a filter, a trailer */
                row.kind = MAP_STATEMENT;
            } else {
                row.rule = text;             /* a notes line: table-level rules */
                row.kind = MAP_NOTE;
                xlsx_col_letters(only, letters);
                row.cellref = mf_arena_printf(&m->arena, "%s!%s%d", s->name, letters, r + 1);
                xlsx_col_letters(h->col[MR_SOURCE], letters);
            }
            split_sources(&m->arena, &row);
            m->rows[m->nrows++] = row;
            continue;
        }
        row.source = cell_at(m, s, r, h->col[MR_SOURCE]);
        row.target = cell_at(m, s, r, h->col[MR_TARGET]);
        row.type = cell_at(m, s, r, h->col[MR_TYPE]);
        row.rule = cell_at(m, s, r, h->col[MR_RULE]);
        row.comments = cell_at(m, s, r, h->col[MR_COMMENTS]);
        const char *mand = cell_at(m, s, r, h->col[MR_MANDATORY]);
        const char *nullable = cell_at(m, s, r, h->col[MR_NULLABLE]);
        int notnull = strip_null_words(&m->arena, &row.type);
        row.type = with_length(&m->arena, row.type, cell_at(m, s, r, h->col[MR_LENGTH]));
        row.rule = with_default(&m->arena, row.rule, cell_at(m, s, r, h->col[MR_DEFAULT]));
        row.mandatory = yes(mand) || no(nullable) || notnull == 1;
        if (!*row.source && !*row.target && !*row.type && !*row.rule && !*row.comments) {
            last = 0;
            continue;   /* only a flag: nothing to map */
        }
        if (placeholder_source(row.source))
            row.source = "";
        bool target_written = *row.target != 0;
        classify(&row, target_written);
        split_sources(&m->arena, &row);
        /* one target spread over several rows: the same target again on the next row, or no
         * target, no type, and a rule that goes on (not about rows, not "not mapped") */
        char rw[1024];
        layout_norm_words(row.rule, rw, sizeof rw);
        bool goes_on = row.kind == MAP_STATEMENT && !target_written && !*row.type && *row.rule &&
                       !about_rows(rw) && !row.rule_from_comments;
        if (follows_column && (goes_on || (row.kind == MAP_COLUMN && !strcasecmp(prev->target, row.target) &&
                                           (!*row.type || !strcasecmp(row.type, prev->type))))) {
            add_sources(&m->arena, prev, &row);
            prev->rule = join_text(&m->arena, prev->rule, row.rule);
            prev->comments = join_text(&m->arena, prev->comments, row.comments);
            prev->mandatory = prev->mandatory || row.mandatory;
            continue;
        }
        m->rows[m->nrows++] = row;
    }
}
