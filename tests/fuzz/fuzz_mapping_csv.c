/* fuzz_mapping_csv.c — libFuzzer target: a mapping written as CSV (mapping_csv_read, then the
 * table layout in mapping_read).  Any bytes, written as a .csv file.  No crash, no leak. */
#include "fuzz_util.h"
#include "mapping/mapping.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".csv");
    mf_err e = {0};
    mf_arena a;
    mf_arena_init(&a);
    mf_workbook wb;
    if (mapping_csv_read(path, &a, &wb, &e) == 0 && wb.nsheets != 1)
        abort();   /* a CSV file is one sheet */
    mf_arena_free(&a);
    mapping m;
    mf_err e2 = {0};
    if (mapping_read(path, &m, &e2) == 0)
        mapping_free(&m);
    return 0;
}
