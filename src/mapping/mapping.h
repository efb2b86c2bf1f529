/* mapping.h — the analyst's mapping spreadsheet, read into rows.
 *
 * Input: an XLSX workbook (read with libzip + expat, xlsx.c) or a CSV file.  The mapping table is
 * found on the sheet whose first rows hold a header that names a source column and a target
 * column under any of the names analysts use; title rows, merged cells and blank spacer rows
 * before it are skipped.  Other sheets are kept as tables (a rule may look one up by tab name).
 */
#ifndef MF_MAPPING_H
#define MF_MAPPING_H

#include "util/arena.h"
#include "util/err.h"

#include <stdbool.h>

/* What a row under the mapping table's header is (layout.c decides; docs/rule-vocabulary.md). */
typedef enum map_row_kind {
    MAP_COLUMN = 0,    /* maps a target column */
    MAP_STATEMENT,     /* no target but a rule: a filter, a trailer... read with no target */
    MAP_NOTE,          /* a notes line above or below the table (its text in `rule`): table-level
                          rules, each item read with no target */
    MAP_UNMAPPED,      /* "Not mapped" / "NOT SUBMITTED" / target "-", "N/A" or none: no column,
                          shown as a note in the plan */
    MAP_FILTER_REF     /* a source used only by a filter stated elsewhere ("Filter only - see below") */
} map_row_kind;

/* A sheet (or CSV file) as a grid of text cells. */
typedef struct mf_sheet {
    const char *name;        /* tab name */
    int nrows, ncols;
    const char **cell;       /* nrows * ncols, row-major; "" for empty; numbers as shortest text */
} mf_sheet;

#define MF_SHEET_CELL(s, r, c) ((s)->cell[(size_t)(r) * (size_t)(s)->ncols + (size_t)(c)])

typedef struct mf_workbook {
    int nsheets;
    mf_sheet *sheet;
} mf_workbook;

/* Read every sheet of an .xlsx workbook.  Errors name the file and the part or cell: not a zip,
 * encrypted (an OLE2 container / EncryptedPackage), malformed XML (with line:col inside the
 * part), missing parts.  Values: shared strings, inline strings, numbers (as written, e.g.
 * "10", "2.5"), booleans ("TRUE"/"FALSE"), formulas' cached values. */
int xlsx_read(const char *path, mf_arena *a, mf_workbook *out, mf_err *e);
/* Spreadsheet column letters of a 0-based column index: 0 -> "A", 27 -> "AB". */
void xlsx_col_letters(int col, char out[8]);
/* A CSV file as a one-sheet workbook (sheet named after the file). */
int mapping_csv_read(const char *path, mf_arena *a, mf_workbook *out, mf_err *e);

typedef struct map_row {
    map_row_kind kind;
    int row;                 /* 1-based row number in its sheet, for provenance ("row 7") */
    const char *cellref;     /* "Mapping!B7": the source cell, for error messages */
    const char *source;      /* source field text as written ("" when none) */
    int nsources;            /* source split on "," "+" "&" " and " when it names several fields */
    const char **sources;
    const char *target;      /* "" when none (filters, instructions, "-", "N/A", "Not mapped") */
    const char *type;        /* as written: "Date", "Decimal(18,2)", "VARCHAR(10)", ""; a trailing
                                "NOT NULL" / "NULL" is removed (and sets mandatory) */
    const char *rule;        /* free text ("" when none); the Comments text when the rule cell is
                                empty or says "see comments"; continuation rows appended */
    bool rule_from_comments; /* rule is the Comments text (the rule cell was empty) */
    bool mandatory;          /* Mandatory / Required column says Y/Yes/True/X/M, Nullable says N,
                                or the type says NOT NULL */
    const char *comments;
} map_row;

typedef struct mapping {
    mf_arena arena;
    const char *path;
    const char *sheet;           /* tab holding the mapping table */
    int header_row;              /* 1-based */
    const char *output_name;     /* from a title ("Target table: GL_ENTRIES"), NULL when none */
    int nrows;
    map_row *rows;
    mf_workbook book;            /* every sheet, for lookup tabs */
    char sha256[65];             /* SHA-256 of the canonical mapping content (rows + lookup tabs) */
} mapping;

/* Read a mapping from .xlsx or .csv (by content: a zip signature means xlsx). */
int mapping_read(const char *path, mapping *out, mf_err *e);
void mapping_free(mapping *m);
/* Find a sheet by name, case-insensitive and ignoring spaces/punctuation; NULL when absent. */
const mf_sheet *mapping_find_sheet(const mapping *m, const char *name);

/* ---- resolving source names to data columns ---- */

typedef struct map_match {
    int col;             /* index into the data header, -1 when nothing matches */
    double confidence;   /* 1.0 exact; 0.95 same ignoring case/space/punctuation; lower for
                            abbreviations and fuzzy matches; < 0.6 is not a match */
    const char *how;     /* "exact", "case and punctuation", "abbreviation", "similar spelling" */
} map_match;

/* Match a mapping's source name against the data file's header names. */
map_match mapping_match_column(const char *name, const char *const *header, int ncols);

#endif
