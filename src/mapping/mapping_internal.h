/* mapping_internal.h — what mapping.c and layout.c share inside the mapping stage.
 *
 * layout.c knows how analysts lay a mapping table out (which header cells name which column,
 * which rows are column mappings, notes or "not mapped" rows); mapping.c reads the files and
 * builds the mapping around it.  Nothing here is used outside src/mapping/.
 */
#ifndef MF_MAPPING_INTERNAL_H
#define MF_MAPPING_INTERNAL_H

#include "mapping/mapping.h"

/* A sheet (of a workbook, or a CSV mapping) is read into a dense grid of nrows x ncols cells
 * (8 bytes each).  So that a small file cannot declare a huge grid, the grid may span at most
 * MAP_GRID_MIN_EXTENT cells whatever the sheet holds, and beyond that MAP_GRID_EXTENT_PER_VALUE
 * cells per value present, and never more than MAP_GRID_MAX_CELLS (docs/limits.md). */
#define MAP_GRID_MIN_EXTENT (4L * 1024 * 1024)   /* 32 MB of grid: more than any real mapping */
#define MAP_GRID_EXTENT_PER_VALUE 64L
#define MAP_GRID_MAX_CELLS (50L * 1000 * 1000)   /* and never more than this (400 MB of grid) */

/* The columns a mapping table may have. */
enum map_role { MR_NONE = -1, MR_SOURCE, MR_TARGET, MR_TYPE, MR_RULE, MR_MANDATORY, MR_NULLABLE,
                MR_COMMENTS, MR_TABLE, MR_LENGTH, MR_DEFAULT, MR_COUNT };

typedef struct map_header {
    const mf_sheet *sheet;
    int first_row;           /* 0-based: the header's first row (titles are above it) */
    int row;                 /* 0-based: its last row (mapping rows are below it) */
    int col[MR_COUNT];       /* -1 when absent */
    int score;               /* how surely this row is the header (higher is surer) */
} map_header;

/* The header row of the mapping table: the best-scoring row, within the first `scan` rows of
 * any sheet, that names a source and a target column.  0 when there is none. */
int layout_find_header(const mf_workbook *b, int scan, map_header *out);
/* The role a header cell names, and how surely (0..4); MR_NONE for other text. */
enum map_role layout_cell_role(const char *cell, int *score);
/* Read the rows under the header into m->rows (classified: see map_row_kind). */
void layout_read_rows(mapping *m, const map_header *h);
/* Lowercase ASCII words of s, "(...)" asides dropped, punctuation -> one space. */
void layout_norm_words(const char *s, char *out, size_t cap);
/* Leading and trailing white space removed, copied into the arena. */
const char *layout_trim_dup(mf_arena *a, const char *s, size_t n);

#endif
