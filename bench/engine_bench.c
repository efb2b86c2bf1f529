/* engine_bench.c — the native engine alone: a plan run over records already split into fields in
 * memory, no file I/O, no threads, so that a change to the engine is measured on its own cost.
 *
 *   engine_bench PLAN DATA [RECORDS] [ROUNDS]
 *
 * Reads the first RECORDS records (default 262144) of DATA into memory with the CSV reader, with
 * the dialect the plan states (as `mapforge run` does), compiles the plan, then runs ROUNDS rounds
 * (default 5) of eng_run_block over those blocks on one thread (evaluation + output formatting,
 * rejects included), and ROUNDS rounds of eng_eval_record alone (no formatting).  Prints the best
 * round of each in nanoseconds of thread CPU time per record, the row counts, and a checksum
 * (FNV-1a, 64 bits) of every block's output text, rejects text and fates: two builds of the engine
 * agree on a checksum exactly when they wrote the same bytes.  Every round must give the same
 * checksum, or the benchmark fails (exit 1).
 */
#include "compile/program.h"
#include "engine/engine.h"
#include "plan/plan.h"
#include "read/csv.h"
#include "util/afile.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        perror("engine_bench: clock_gettime");
        exit(1);
    }
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static void usage(void)
{
    fprintf(stderr, "usage: engine_bench PLAN DATA [RECORDS] [ROUNDS]\n");
    exit(2);
}

static long arg_count(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v <= 0)
        usage();
    return v;
}

static void die(const mf_err *e)
{
    mf_err_print(e, stderr);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5)
        usage();
    long want = argc > 3 ? arg_count(argv[3]) : 262144;
    int rounds = argc > 4 ? (int)arg_count(argv[4]) : 5;
    mf_err e;
    mf_err_clear(&e);

    size_t len;
    char *text = mf_read_file(argv[1], &len, &e);
    if (!text)
        die(&e);
    plan p;   /* plan_parse initialises it */
    if (plan_parse(text, len, argv[1], &p, &e) < 0)
        die(&e);
    csv_dialect d = {.delimiter = p.source.delimiter ? p.source.delimiter : ',',
                     .quote = p.source.quote,
                     .encoding = p.source.encoding,
                     .header_line = p.source.header_line > 0 ? p.source.header_line : 1};
    csv_reader *rd = csv_open(argv[2], &d, &e);
    if (!rd)
        die(&e);
    const char *const *names;
    int nh = csv_header(rd, &names);
    if (plan_check(&p, names, nh, argv[1], &e) < 0)
        die(&e);
    eng_program *g = eng_compile(&p, names, nh, argv[1], &e);
    if (!g)
        die(&e);

    /* the records, in memory */
    size_t nblocks = 0, cap = 0, nrec = 0;
    csv_block *blocks = NULL;
    while ((long)nrec < want) {
        if (nblocks == cap) {
            cap = cap ? cap * 2 : 64;
            blocks = realloc(blocks, cap * sizeof *blocks);
            if (!blocks) {
                perror("engine_bench");
                return 1;
            }
        }
        csv_block_init(&blocks[nblocks]);
        long n = csv_read_block(rd, &blocks[nblocks], &e);
        if (n < 0)
            die(&e);
        if (n == 0) {
            csv_block_free(&blocks[nblocks]);
            break;
        }
        nrec += (size_t)n;
        nblocks++;
    }
    if (nrec == 0) {
        fprintf(stderr, "engine_bench: %s has no records\n", argv[2]);
        return 1;
    }

    eng_worker *w = eng_worker_new(g);
    eng_result r;
    eng_result_init(&r);
    double best_run = 0, best_eval = 0;
    uint64_t sum0 = 0;
    long long out = 0, rejected = 0, filtered = 0;
    for (int k = 0; k <= rounds; k++) {   /* round 0 warms caches and buffers, and is not counted */
        uint64_t h = 1469598103934665603ull;
        long long o = 0, rj = 0, f = 0;
        double t0 = thread_cpu_ns(), spent = 0;
        for (size_t i = 0; i < nblocks; i++) {
            eng_run_block(w, &blocks[i], &r);
            double t1 = thread_cpu_ns();
            spent += t1 - t0;
            h = fnv(h, r.csv.data, r.csv.len);
            h = fnv(h, r.rej.data, r.rej.len);
            h = fnv(h, r.fate, r.nrows);
            o += r.out;
            rj += r.rejected;
            f += r.filtered;
            t0 = thread_cpu_ns();
        }
        if (k == 0) {
            sum0 = h;
            out = o, rejected = rj, filtered = f;
            continue;
        }
        if (h != sum0 || o != out || rj != rejected || f != filtered) {
            fprintf(stderr, "engine_bench: round %d gave another output than round 0\n", k);
            return 1;
        }
        if (k == 1 || spent < best_run)
            best_run = spent;
    }
    for (int k = 0; k <= rounds; k++) {
        long long fates = 0;   /* rejected + 2 * filtered: must match the counts above */
        double t0 = thread_cpu_ns();
        for (size_t i = 0; i < nblocks; i++)
            for (size_t j = 0; j < blocks[i].nrows; j++)
                fates += eng_eval_record(w, &blocks[i], j);
        double spent = thread_cpu_ns() - t0;
        if (fates != rejected + 2 * filtered) {
            fprintf(stderr, "engine_bench: evaluation alone gave other fates than eng_run_block\n");
            return 1;
        }
        if (k == 1 || (k > 1 && spent < best_eval))
            best_eval = spent;
    }
    printf("records %zu (out %lld, rejected %lld, filtered %lld), best of %d rounds, thread CPU time\n", nrec, out,
           rejected, filtered, rounds);
    printf("eval+format ns/record %8.1f\n", best_run / (double)nrec);
    printf("eval only   ns/record %8.1f\n", best_eval / (double)nrec);
    printf("checksum %016" PRIx64 "\n", sum0);

    eng_result_free(&r);
    eng_worker_free(w);
    for (size_t i = 0; i < nblocks; i++)
        csv_block_free(&blocks[i]);
    free(blocks);
    eng_program_free(g);
    csv_close(rd);
    plan_free(&p);
    free(text);
    return 0;
}
