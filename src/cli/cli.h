/* cli.h — the commands of the mapforge tool, over the library in src/. */
#ifndef MF_CLI_H
#define MF_CLI_H

#include "plan/plan.h"
#include "util/err.h"

#include <stddef.h>

#define MAPFORGE_VERSION "0.1.0"

typedef struct cli_options {
    const char *client, *mapping, *data, *out, *plan, *output;
    const char *as;            /* --as: the actor recorded in the audit trail */
    const char *home;          /* --home: state directory (SQLite store); MAPFORGE_HOME */
    const char *store;         /* --store postgresql://...: state in PostgreSQL; MAPFORGE_STORE */
    const char *db;            /* --db sqlite:PATH | postgresql://...: where outputs are loaded */
    const char *validator;     /* --validator CMD: the customer's validator; MAPFORGE_VALIDATOR */
    const char *engine;        /* --engine native|spark */
    const char *spark_master;  /* --spark-master spark://host:7077 */
    const char *livy;          /* --livy URL: submit the Spark job as a Livy batch (MAPFORGE_LIVY_URL) */
    const char *spark_stage;   /* --spark-stage DIR: where the job is placed for the cluster */
    const char *spark_stage_uri;   /* --spark-stage-uri URI: the cluster's name for that directory */
    const char *spark_output;   /* --spark-output URI: the job's outputs stay there (Spark's layout) */
    const char *sample;         /* --sample FILE: a local copy of a URI --data's first rows */
    const char *to;            /* --to pyspark|native (compile) */
    const char *comment;       /* --comment: approval / invalidation comment */
    const char *key;           /* --key: a cache key */
    const char *anchors;       /* --anchors FILE: audit verify against an anchor file */
    const char *config;        /* --config FILE: the language-model settings (~/.mapforge/config) */
    const char *role;          /* --role viewer|reviewer|approver|admin (user add|role) */
    const char *port, *bind;   /* serve: --port N, --bind ADDR */
    const char *tls_cert, *tls_key;   /* serve: --tls-cert F --tls-key F */
    const char *webhook;       /* serve: --webhook URL (MAPFORGE_WEBHOOK) */
    const char *load_streams;  /* onboard, run, load: --load-streams N */
    const char *metrics_token_file;   /* serve: --metrics-token-file F (MAPFORGE_METRICS_TOKEN_FILE) */
    const char *jobs;          /* batch: --jobs N worker processes */
    const char *progress;      /* --progress auto|live|plain|none (batch, onboard, run) */
    int yes;
    int json;                  /* --json: machine-readable output */
    int no_load;               /* --no-load */
    int no_parquet;            /* --no-parquet: CSV output only */
    int four_eyes;             /* --four-eyes: the author of the last version cannot approve it */
    int nargs;                 /* words after the command that are not options (sub-commands) */
    const char *args[8];
} cli_options;

/* A plan file as a command reads it: the exact text (its SHA-256 is the plan's identity) and the
 * parsed tree.  read returns -1 with e filled when the file cannot be read or does not parse;
 * free in every case. */
typedef struct cli_plan_file {
    char *text;
    size_t len;
    char sha256[65];
    plan p;
} cli_plan_file;
int cli_plan_file_read(const char *path, cli_plan_file *f, mf_err *e);
void cli_plan_file_free(cli_plan_file *f);

/* Each command returns an exit code (0, 2, 3), or CLI_FAILED with e filled. */
#define CLI_FAILED (-1)
/* The exit status for a failure with this code (docs/cli.md, Exit codes). */
int cli_exit_code(mf_code code);

#define CLI_EXIT_QUESTIONS 2

int cli_onboard(const cli_options *o, mf_err *e);
int cli_plan(const cli_options *o, mf_err *e);
int cli_run(const cli_options *o, mf_err *e);
int cli_approve(const cli_options *o, mf_err *e);
int cli_check(const cli_options *o, mf_err *e);
int cli_profile(const cli_options *o, mf_err *e);
int cli_compile(const cli_options *o, mf_err *e);   /* cmd_compile.c */
int cli_cache(const cli_options *o, mf_err *e);    /* cache list|show|invalidate; history; audit log|verify (cmd_store.c) */
int cli_history(const cli_options *o, mf_err *e);
int cli_reviews(const cli_options *o, mf_err *e);    /* cmd_reviews.c */
int cli_audit(const cli_options *o, mf_err *e);
int cli_load(const cli_options *o, mf_err *e);      /* cmd_load.c */
int cli_rulebook(const cli_options *o, mf_err *e);   /* rulebook list|show|retire|export|import (cmd_rulebook.c) */
int cli_parquet(const cli_options *o, mf_err *e);   /* hidden; cmd_parquet.c */
int cli_llm(const cli_options *o, mf_err *e);       /* llm check; cmd_llm.c */
int cli_user(const cli_options *o, mf_err *e);      /* user add|passwd|role|disable|list (cmd_user.c) */
/* The store --store / --home name (store_location), opened; NULL with e filled.  (commands.c) */
struct store *cli_open_store(const cli_options *o, mf_err *e);
int cli_serve(const cli_options *o, mf_err *e);     /* the web app (cmd_serve.c, src/serve/) */
int cli_metrics(const cli_options *o, mf_err *e);   /* cmd_metrics.c */
int cli_batch(const cli_options *o, mf_err *e);     /* batch runs of many clients (cmd_batch.c, flow/batch.h) */
/* --load-streams: 1 when absent, N in 1..64, or -1 with e filled. */
int cli_load_streams(const cli_options *o, mf_err *e);

#endif
