/* args.h — the command line's tables (commands, options) and the parser and help made from them
 * (args.c).  A new command or option is one line in a table: parse, help and docs/cli.md follow. */
#ifndef MF_CLI_ARGS_H
#define MF_CLI_ARGS_H

#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_option_def {
    const char *name;     /* "--client" */
    const char *value;    /* what its value is ("C"), NULL for a flag */
    size_t offset;        /* its field in cli_options: const char * (value) or int (flag) */
    bool flag;
    const char *help;
    const char *deflt;    /* the default, as shown in help; NULL when none */
} cli_option_def;

typedef struct cli_command_def {
    const char *name, *synopsis, *summary;
    const char *options;   /* the options it takes, space-separated, without "--" */
    const char *required;  /* those it needs */
    const char *example;
    int (*fn)(const cli_options *, mf_err *);
    bool hidden;           /* not in the help text */
} cli_command_def;

typedef struct cli_invocation {
    const cli_command_def *cmd;   /* NULL for plain help / version */
    cli_options o;
    bool help, markdown, version;
} cli_invocation;

/* Parse argv: the command and its options, in any order.  -1 with e filled (MF_EUSAGE) on an
 * unknown command or option (with the nearest name), a missing value, or missing required
 * options (all named).  With help set, required options are not checked. */
int cli_args_parse(int argc, char **argv, cli_invocation *inv, mf_err *e);
const cli_command_def *cli_command_find(const char *name);

void cli_help(FILE *f);                                    /* every command */
void cli_help_command(FILE *f, const cli_command_def *c);  /* one command, every option */
void cli_help_markdown(FILE *f);                           /* docs/cli.md */

#endif
