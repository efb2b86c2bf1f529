/* fuzz_util.h — shared by the libFuzzer targets in tests/fuzz/ (see tests/fuzz/README.md).
 *
 * The readers under test take a path, so each input is written to one temporary file per
 * process (created once, rewritten for each input, removed at exit).  Invariant: the file holds
 * exactly the current input; a write failure aborts (it is the harness failing, not mapforge).
 */
#ifndef MF_FUZZ_UTIL_H
#define MF_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_path[64];

static inline void fuzz_remove(void)
{
    if (fuzz_path[0])
        unlink(fuzz_path);
}

/* Write data to this process's temporary file named ...<suffix>; returns its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/mapforge-fuzz-XXXXXX%s", suffix);
        int fd = mkstemps(fuzz_path, (int)strlen(suffix));
        if (fd < 0) {
            perror("mkstemps");
            abort();
        }
        close(fd);
        atexit(fuzz_remove);
    }
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(fuzz_path);
        abort();
    }
    return fuzz_path;
}

/* A NUL-terminated copy of the input (malloc'd). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}

#endif
