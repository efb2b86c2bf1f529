/* main.c — the mapforge command line: parse the arguments (args.c's tables), dispatch to a
 * command, map errors to exit codes.  The commands themselves live in commands.c, cmd_*.c.
 *
 * Exit codes (docs/cli.md): 0 done; 2 open questions (nothing ran); 3 validation failed (nothing
 * loaded); 1 any other error.  Usage errors print one line naming what was wrong (with the nearest
 * command or option when the word looks misspelt) on stderr.
 */
#include "cli/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    mf_err e;
    mf_err_clear(&e);
    cli_invocation inv;
    if (argc < 2) {
        cli_help(stderr);
        return 1;
    }
    if (cli_args_parse(argc, argv, &inv, &e) < 0) {
        mf_err_print(&e, stderr);
        return 1;
    }
    if (inv.version) {
        printf("mapforge %s\n", MAPFORGE_VERSION);
        return 0;
    }
    if (inv.help) {
        if (inv.markdown)
            cli_help_markdown(stdout);
        else if (inv.cmd)
            cli_help_command(stdout, inv.cmd);
        else
            cli_help(stdout);
        return 0;
    }
    int rc = inv.cmd->fn(&inv.o, &e);
    if (rc == CLI_FAILED) {
        mf_err_print(&e, stderr);
        return e.code == MF_EQUESTION ? 2 : 1;
    }
    return rc;
}
