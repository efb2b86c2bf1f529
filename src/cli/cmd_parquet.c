/* cmd_parquet.c — the hidden `mapforge parquet` command: convert a run's output CSV to Parquet.
 *
 *   mapforge parquet --plan P --out DIR [row-group-rows=N] [page-bytes=N] [dict-bytes=N]
 *                    [codec=zstd|none] [zstd-level=N] [dictionary=on|off]
 *
 * reads DIR/<output>.csv (the native engine's output, typed by the plan's columns) and writes
 * DIR/<output>.parquet.  The key=value words tune the writer; the reader cross-check
 * (tests/scripts/parquet_readers.sh) uses them to force several row groups and dictionary
 * fallback on small files.  Not in the usage text: onboard/run write Parquet themselves.
 */
#include "cli/cli.h"
#include "plan/plan.h"
#include "util/afile.h"
#include "write/parquet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int size_option(const char *word, const char *key, size_t *out, mf_err *e)
{
    char *end;
    unsigned long long v = strtoull(word + strlen(key), &end, 10);
    if (*end || end == word + strlen(key) || v == 0)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "parquet: %s expects a positive number, got \"%s\"", key, word);
    *out = (size_t)v;
    return 0;
}

static int level_option(const char *v, int *out, mf_err *e)
{
    char *end;
    long l = strtol(v, &end, 10);
    if (*end || end == v || l < PQ_ZSTD_LEVEL_MIN || l > PQ_ZSTD_LEVEL_MAX || l == 0)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "parquet: zstd-level expects %d to %d (not 0), got \"%s\"", PQ_ZSTD_LEVEL_MIN,
                       PQ_ZSTD_LEVEL_MAX, v);
    *out = (int)l;
    return 0;
}

static int parse_words(const cli_options *o, pq_options *po, mf_err *e)
{
    for (int i = 0; i < o->nargs; i++) {
        const char *a = o->args[i];
        int rc;
        if (!strncmp(a, "row-group-rows=", 15))
            rc = size_option(a, "row-group-rows=", &po->row_group_rows, e);
        else if (!strncmp(a, "row-group-bytes=", 16))
            rc = size_option(a, "row-group-bytes=", &po->row_group_bytes, e);
        else if (!strncmp(a, "page-bytes=", 11))
            rc = size_option(a, "page-bytes=", &po->page_bytes, e);
        else if (!strncmp(a, "dict-bytes=", 11))
            rc = size_option(a, "dict-bytes=", &po->dict_bytes, e);
        else if (!strncmp(a, "zstd-level=", 11))
            rc = level_option(a + 11, &po->zstd_level, e);
        else if (!strcmp(a, "codec=zstd") || !strcmp(a, "codec=none"))
            rc = (po->codec = a[6] == 'z' ? PQ_ZSTD : PQ_UNCOMPRESSED, 0);
        else if (!strcmp(a, "dictionary=on") || !strcmp(a, "dictionary=off"))
            rc = (po->dictionary = !strcmp(a, "dictionary=on"), 0);
        else
            rc = mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                         "parquet: unknown setting \"%s\" (expected row-group-rows=N, row-group-bytes=N, "
                         "page-bytes=N, dict-bytes=N, codec=zstd|none, zstd-level=N, dictionary=on|off)", a);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int cli_parquet(const cli_options *o, mf_err *e)
{
    if (!o->plan || !o->out)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "parquet needs --plan P and --out DIR"), CLI_FAILED;
    pq_options po;
    pq_options_default(&po);
    if (parse_words(o, &po, e) < 0)
        return CLI_FAILED;
    cli_plan_file pf;
    int rc = CLI_FAILED;
    if (cli_plan_file_read(o->plan, &pf, e) == 0) {
        const char *name = o->output ? o->output : pf.p.output;
        char *csv = NULL, *pq = NULL;
        if (asprintf(&csv, "%s/%s.csv", o->out, name) < 0 || asprintf(&pq, "%s/%s.parquet", o->out, name) < 0)
            mf_fail(e, MF_ENOMEM, NULL, 0, 0, "out of memory");
        else if (pq_write_from_csv(&pf.p, csv, pq, &po, e) == 0)
            rc = 0;
        free(csv);
        free(pq);
    }
    cli_plan_file_free(&pf);
    return rc;
}
