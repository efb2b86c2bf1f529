/* fuzz_csv.c — libFuzzer target: the data file reader (src/read/csv.c).  Any bytes: detection,
 * then every record read.  Invariant checked: no crash, no sanitizer report, no leak; a record's
 * fields lie inside the block (each field's length fits, its line number increases). */
#include "fuzz_util.h"
#include "read/csv.h"
#include "util/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small fills (the reader's test hook): records straddle fills, and each input costs kilobytes
 * of buffers instead of megabytes, so a run tries many more inputs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (setenv("MAPFORGE_CSV_CHUNK", "4096", 1) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".csv");
    mf_err e = {0};
    csv_dialect d;
    if (csv_detect(path, &d, &e) < 0)
        return 0;
    csv_reader *r = csv_open(path, &d, &e);
    if (!r)
        return 0;
    const char *const *names;
    int n = csv_header(r, &names);
    for (int i = 0; i < n; i++)
        if (!names[i] || strlen(names[i]) > size * 3 + 3)   /* decoding may widen (cp1252 -> UTF-8) */
            abort();
    csv_block b;
    csv_block_init(&b);
    long rows, last = 0;
    while ((rows = csv_read_block(r, &b, &e)) > 0) {
        for (long i = 0; i < rows; i++) {
            if (b.line[i] <= last)
                abort();   /* records start on increasing lines */
            last = b.line[i];
            for (uint32_t f = 0; f < b.nfields[i]; f++)
                if (b.flen[b.first[i] + f] > size * 3 + 3)   /* decoding may widen (cp1252 -> UTF-8) */
                    abort();
        }
    }
    csv_block_free(&b);
    csv_close(r);
    return 0;
}
