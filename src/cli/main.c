/* main.c — the mapforge command line: parse the arguments (args.c's tables), dispatch to a
 * command, map errors to exit codes.  The commands themselves live in commands.c, cmd_*.c.
 *
 * Exit codes (docs/cli.md, cli_exit_code): 0 done; 2 open questions (nothing ran); 3 validation
 * failed (nothing loaded); 4 no approved plan fits the file (a person must review one); 130
 * interrupted (SIGINT/SIGTERM: temporaries removed, nothing published or loaded); 1 any other error.  Usage errors print one line naming what was wrong (with the nearest
 * command or option when the word looks misspelt) on stderr.
 */
#include "cli/args.h"
#include "util/interrupt.h"

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
    if (mf_interrupt_install(&e) < 0) {
        mf_err_print(&e, stderr);
        return 1;
    }
    int rc = inv.cmd->fn(&inv.o, &e);
    if (rc == CLI_FAILED) {
        if (e.code == MF_EINTR)
            fprintf(stderr, "mapforge: %s: nothing written, nothing loaded\n", e.msg);
        else
            mf_err_print(&e, stderr);
        return cli_exit_code(e.code);
    }
    if (rc == 0 && mf_interrupted()) {   /* arrived after the last check point: the work is complete */
        fprintf(stderr, "mapforge: interrupted after the work was complete: everything was written\n");
        return 0;
    }
    return rc;
}
