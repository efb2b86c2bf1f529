/* cli.h — the commands of the mapforge tool, over the library in src/. */
#ifndef MF_CLI_H
#define MF_CLI_H

#include "util/err.h"

#define MAPFORGE_VERSION "0.1.0"

typedef struct cli_options {
    const char *client, *mapping, *data, *out, *plan, *output;
    int yes;
} cli_options;

/* Each command returns an exit code (0, 2, 3), or CLI_FAILED with e filled. */
#define CLI_FAILED (-1)
#define CLI_EXIT_QUESTIONS 2

int cli_onboard(const cli_options *o, mf_err *e);
int cli_plan(const cli_options *o, mf_err *e);
int cli_run(const cli_options *o, mf_err *e);
int cli_check(const cli_options *o, mf_err *e);
int cli_profile(const cli_options *o, mf_err *e);

#endif
