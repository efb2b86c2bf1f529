/* main.c — the mapforge command line: parse arguments, dispatch to a command, map errors to
 * exit codes.  The commands themselves live in commands.c; this file only knows the shape of a
 * command line.
 *
 * Exit codes (design.md "Output conventions"): 0 done; 2 open questions (nothing ran);
 * 3 validation failed (nothing loaded); 1 any other error.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mapforge <command> [options]\n"
    "\n"
    "commands:\n"
    "  onboard --client C --mapping M --data D --out DIR [--yes] [--output NAME]\n"
    "          read the mapping and the data, draft a plan, show it, run it on the native engine\n"
    "  plan    --client C --mapping M --data D --out DIR [--output NAME]\n"
    "          draft the plan only: writes DIR/plan.txt and prints it\n"
    "  run     --plan P --data D --out DIR\n"
    "          run a plan file (hand-edited or not) on a data file\n"
    "  check   --plan P [--data D]\n"
    "          parse and type-check a plan file (against the data file's columns when given)\n"
    "  profile --data D\n"
    "          print the detected dialect and a profile of a sample of the data\n"
    "  cache list [--client C] | cache show KEY | cache invalidate KEY [--comment C]\n"
    "  history --client C          plan versions, runs and events of a client\n"
    "  audit log [--client C] | audit verify [--anchors FILE] | audit anchor --to FILE\n"
    "          the tamper-evident audit trail; verify names the first bad event; anchor copies the\n"
    "          chain's hashes to a file outside the store, which verify --anchors holds it to\n"
    "          (MAPFORGE_AUDIT_KEY_FILE: sign each event with a key kept outside the store)\n"
    "\n"
    "common options: --home DIR (state; MAPFORGE_HOME, default ~/.mapforge), --store postgresql://...\n"
    "  (MAPFORGE_STORE), --as NAME (actor; MAPFORGE_USER), --db sqlite:PATH|postgresql://... (load target)\n"
    "  help | version\n"
    "\n"
    "exit codes: 0 done, 2 open questions (nothing ran), 3 validation failed, 1 other errors\n";

static int parse_options(int argc, char **argv, cli_options *o, mf_err *e)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
            o->yes = 1;
            continue;
        }
        if (!strcmp(a, "--no-load")) {
            o->no_load = 1;
            continue;
        }
        if (!strcmp(a, "--no-parquet")) {
            o->no_parquet = 1;
            continue;
        }
        if (a[0] != '-') {   /* a sub-command word: "cache list", "audit verify" */
            if (o->nargs >= (int)(sizeof o->args / sizeof o->args[0]))
                return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "too many words after the command: \"%s\"", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (!strcmp(a, "--client"))
            slot = &o->client;
        else if (!strcmp(a, "--mapping"))
            slot = &o->mapping;
        else if (!strcmp(a, "--data"))
            slot = &o->data;
        else if (!strcmp(a, "--out"))
            slot = &o->out;
        else if (!strcmp(a, "--plan"))
            slot = &o->plan;
        else if (!strcmp(a, "--output"))
            slot = &o->output;
        else if (!strcmp(a, "--as"))
            slot = &o->as;
        else if (!strcmp(a, "--home"))
            slot = &o->home;
        else if (!strcmp(a, "--store"))
            slot = &o->store;
        else if (!strcmp(a, "--db"))
            slot = &o->db;
        else if (!strcmp(a, "--validator"))
            slot = &o->validator;
        else if (!strcmp(a, "--engine"))
            slot = &o->engine;
        else if (!strcmp(a, "--spark-master"))
            slot = &o->spark_master;
        else if (!strcmp(a, "--to"))
            slot = &o->to;
        else if (!strcmp(a, "--comment"))
            slot = &o->comment;
        else if (!strcmp(a, "--key"))
            slot = &o->key;
        else if (!strcmp(a, "--anchors"))
            slot = &o->anchors;
        else
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown option \"%s\" (see mapforge help)", a);
        if (i + 1 >= argc || !argv[i + 1][0])
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "option %s needs a value", a);
        *slot = argv[++i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
        printf("mapforge %s\n", MAPFORGE_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(const cli_options *, mf_err *);
    } commands[] = {
        {"onboard", cli_onboard}, {"plan", cli_plan},       {"run", cli_run},
        {"check", cli_check},     {"profile", cli_profile},
        {"compile", cli_compile},
        {"cache", cli_cache},     {"history", cli_history},   {"audit", cli_audit},
        {"load", cli_load},
        {"parquet", cli_parquet},   /* hidden: DIR/<output>.csv -> .parquet (cmd_parquet.c) */
    };
    mf_err e;
    mf_err_clear(&e);
    cli_options o;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name))
            continue;
        if (parse_options(argc, argv, &o, &e) < 0) {
            mf_err_print(&e, stderr);
            return 1;
        }
        int rc = commands[i].fn(&o, &e);
        if (rc == CLI_FAILED) {
            mf_err_print(&e, stderr);
            return e.code == MF_EQUESTION ? 2 : 1;
        }
        return rc;
    }
    fprintf(stderr, "mapforge: unknown command \"%s\"\n%s", argv[1], usage);
    return 1;
}
