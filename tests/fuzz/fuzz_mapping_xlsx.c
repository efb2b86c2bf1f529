/* fuzz_mapping_xlsx.c — libFuzzer target: the workbook reader (src/mapping/xlsx.c) and the
 * mapping table read from it (mapping_read).  Any bytes, written as a .xlsx file.  Invariant: a
 * grid never exceeds the extent and budget limits (docs/limits.md); no crash, no leak. */
#include "fuzz_util.h"
#include "mapping/mapping.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".xlsx");
    mf_err e = {0};
    mf_arena a;
    mf_arena_init(&a);
    mf_workbook wb;
    if (xlsx_read(path, &a, &wb, &e) == 0) {
        for (int i = 0; i < wb.nsheets; i++) {
            const mf_sheet *s = &wb.sheet[i];
            if (s->nrows < 0 || s->ncols < 0 || (long long)s->nrows * s->ncols > 4LL * 1024 * 1024 + 64LL * (long long)size)
                abort();   /* the extent limit: a grid in proportion to what the part can hold */
            for (long long k = 0; k < (long long)s->nrows * s->ncols; k++)
                if (!s->cell[k])
                    abort();
        }
    }
    mf_arena_free(&a);
    mapping m;
    mf_err e2 = {0};
    if (mapping_read(path, &m, &e2) == 0)
        mapping_free(&m);
    return 0;
}
