/* plan_file.c — reading a plan file for a command: its exact text (whose SHA-256 is the plan's
 * identity in the audit trail, the cache and run.json) and its parsed tree.  Every command that
 * takes --plan goes through here. */
#include "cli/cli.h"
#include "util/afile.h"
#include "util/sha256.h"

#include <stdlib.h>
#include <string.h>

int cli_plan_file_read(const char *path, cli_plan_file *f, mf_err *e)
{
    memset(f, 0, sizeof *f);
    plan_init(&f->p);
    f->text = mf_read_file(path, &f->len, e);
    if (!f->text)
        return -1;
    mf_sha256_hex(f->text, f->len, f->sha256);
    return plan_parse(f->text, f->len, path, &f->p, e);
}

void cli_plan_file_free(cli_plan_file *f)
{
    plan_free(&f->p);
    free(f->text);
    f->text = NULL;
}
