/* args.c — the shape of the mapforge command line, as one table: every command with its synopsis,
 * the options it takes (and which it needs), an example; every option with its value and default.
 * The parser, `mapforge help [CMD]`, `mapforge CMD --help` and docs/cli.md (`mapforge help
 * --markdown`) are all made from these tables, so the help cannot drift from what is parsed.
 *
 * Invariants: an option is accepted only by the commands that list it (or by all, when it is a
 * common option) and anywhere on the line, before or after the command word; a misspelt command
 * or option is refused with the nearest known name; all missing required options are named in one
 * message; nothing here touches a file or the store.
 */
#include "cli/args.h"

#include <stddef.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT(field) offsetof(cli_options, field)

/* Every option.  flag: no value (an int field set to 1). */
static const cli_option_def options[] = {
    {"--client", "C", OPT(client), false, "the client's name (the cache, the history and the audit trail key on it)", NULL},
    {"--mapping", "M", OPT(mapping), false, "the analyst's mapping workbook (.xlsx) or CSV", NULL},
    {"--data", "D", OPT(data), false, "the client's data file (CSV in any common dialect)", NULL},
    {"--out", "DIR", OPT(out), false, "the output directory (created when absent)", NULL},
    {"--plan", "P", OPT(plan), false, "a plan file (drafted by mapforge, hand-edited or not)", NULL},
    {"--output", "NAME", OPT(output), false, "the output table's name", "the mapping's target name"},
    {"--yes", NULL, OPT(yes), true, "approve without a review; stops with exit 2 when the plan has open questions", NULL},
    {"--validator", "CMD", OPT(validator), false, "the customer's validator, run on the output before the load",
     "MAPFORGE_VALIDATOR"},
    {"--engine", "native|spark", OPT(engine), false, "where the plan runs", "native"},
    {"--spark-master", "URL", OPT(spark_master), false, "the Spark master for --engine spark", "local[*]"},
    {"--livy", "URL", OPT(livy), false,
     "--engine spark on managed Spark: submit the job as an Apache Livy batch to this endpoint (Fabric, HDInsight, "
     "any Livy server; the token in MAPFORGE_LIVY_TOKEN, or from MAPFORGE_LIVY_TOKEN_CMD or MAPFORGE_LIVY_TOKEN_FILE, "
     "fetched again when it expires; docs/spark.md)", "MAPFORGE_LIVY_URL"},
    {"--spark-stage", "DIR", OPT(spark_stage), false,
     "with --livy: a directory mapforge writes and the cluster reads (shared disk or a mount of the lake): the job, "
     "its runtime and its output go there", "MAPFORGE_SPARK_STAGE"},
    {"--spark-stage-uri", "URI", OPT(spark_stage_uri), false,
     "with --livy: the cluster's name for --spark-stage (abfss://..., dbfs:/...)", "file:DIR"},
    {"--spark-output", "URI", OPT(spark_output), false,
     "--engine spark: the job writes its outputs to this URI (file:, hdfs:, abfss:, s3a:) in Spark's layout "
     "(directories of part files with _SUCCESS); nothing is copied back, so the output checks and the validator "
     "cannot run on it and nothing is loaded (needs --no-load when the run would load); OUT keeps job.py, "
     "spark.log and run.json", NULL},
    {"--sample", "FILE", OPT(sample), false,
     "with --data URI: a local copy of the file's first rows (header included), read for what mapforge reads "
     "itself (the header check, the cache key, a draft); the job reads the URI", NULL},
    {"--four-eyes", NULL, OPT(four_eyes), true,
     "the four-eyes rule: whoever wrote the plan's last version (by feedback or an answer) cannot approve it", NULL},
    {"--no-load", NULL, OPT(no_load), true, "check the output but do not load it", NULL},
    {"--no-parquet", NULL, OPT(no_parquet), true, "write the CSV output only", NULL},
    {"--db", "URL", OPT(db), false, "where outputs are loaded: sqlite:PATH or postgresql://...",
     "sqlite:HOME/warehouse.db"},
    {"--load-streams", "N", OPT(load_streams), false,
     "PostgreSQL loads: N parallel COPY streams into staging tables, moved into the table in one transaction "
     "(all rows or none); SQLite has one writer and ignores it", "1"},
    {"--to", "pyspark|native|FILE", OPT(to), false, "compile: the target; audit anchor: the anchor file", NULL},
    {"--comment", "TEXT", OPT(comment), false, "a comment recorded with an approval, invalidation or event", NULL},
    {"--key", "KEY", OPT(key), false, "a cache key", NULL},
    {"--anchors", "FILE", OPT(anchors), false, "an anchor file written by `audit anchor`", NULL},
    {"--config", "FILE", OPT(config), false, "the language-model settings (provider, model, key file...)",
     "HOME/config, then the environment"},
    {"--role", "viewer|reviewer|approver|admin", OPT(role), false,
     "a web app user's role: viewer reads; reviewer also answers and gives feedback; approver also approves, "
     "rejects and runs; admin everything", NULL},
    {"--port", "N", OPT(port), false, "the port the web app listens on", "8321"},
    {"--bind", "ADDR", OPT(bind), false,
     "the address the web app listens on; anything but loopback must be given here explicitly (and warns "
     "without TLS)", "127.0.0.1"},
    {"--tls-cert", "F", OPT(tls_cert), false, "serve HTTPS with this PEM certificate (with --tls-key)", NULL},
    {"--tls-key", "F", OPT(tls_key), false, "the PEM private key of --tls-cert", NULL},
    {"--webhook", "URL", OPT(webhook), false,
     "POST a small JSON document here when a run finishes, fails validation or a review waits",
     "MAPFORGE_WEBHOOK"},
    {"--metrics-token-file", "F", OPT(metrics_token_file), false,
     "GET /metrics also answers a request carrying \"Authorization: Bearer TOKEN\", TOKEN being this file's "
     "content (readable by its owner only); without it only signed-in users can read /metrics",
     "MAPFORGE_METRICS_TOKEN_FILE"},
    {"--jobs", "N", OPT(jobs), false, "batch: entries run at once, each in its own worker process",
     "the number of online cores"},
    {"--progress", "auto|live|plain|none", OPT(progress), false,
     "live: a display redrawn in place (overall, and per running entry rows/s and ETA); plain: one line per event "
     "(batch: started, done, waiting, failed; onboard and run: one per phase); none: no progress",
     "auto: live on a terminal, else plain (batch) or none (onboard, run)"},
    {"--json", NULL, OPT(json), true, "machine-readable output: one JSON document (JSON Lines for logs)", NULL},
    /* common to every command */
    {"--home", "DIR", OPT(home), false, "the state directory (SQLite store, warehouse)", "MAPFORGE_HOME, ~/.mapforge"},
    {"--store", "URL", OPT(store), false, "keep the state in PostgreSQL (postgresql://...)", "MAPFORGE_STORE"},
    {"--as", "NAME", OPT(as), false, "the actor recorded in the audit trail", "MAPFORGE_USER, the OS user"},
};
#define NOPTIONS (sizeof options / sizeof options[0])
static const char *const common_options = "home store as";

static const cli_command_def commands[] = {
    {"onboard", "--client C --mapping M --data D --out DIR [--yes]",
     "read the mapping and the data, draft a plan (or take the approved one from the cache), review it, run it, "
     "check the output and load it",
     "client mapping data out output yes four-eyes validator engine spark-master livy spark-stage spark-stage-uri spark-output sample no-load no-parquet db load-streams comment "
     "config progress",
     "client mapping data out",
     "mapforge onboard --client ACME --mapping ACME_mapping.xlsx --data gl_extract.csv --out out/acme --yes",
     cli_onboard, false},
    {"batch", "MANIFEST.csv | DIR [--out OUT] [--jobs N] [--progress auto|live|plain|none]",
     "run many clients through the workflow with a pool of worker processes: an entry with an approved plan "
     "(a cache hit) runs, is checked and loaded; one without is drafted and left in the review queue (waiting "
     "for review; never approved here) and runs in a later batch once a person approves it; entries already "
     "done (same client, input SHA-256 and plan SHA-256) are skipped, so an interrupted batch is resumed by "
     "running it again.  MANIFEST.csv: a header row naming client, mapping, data, out (and optionally "
     "validator), one entry per row, relative paths from the manifest's folder; DIR: one folder per client "
     "holding its mapping (mapping.xlsx or .csv, else the one workbook) and its data files (.csv .txt .tsv "
     ".psv .dat), outputs in OUT/<folder>/ (OUT/<folder>/<data file>/ when there are several).  Writes "
     "OUT/batch.json (OUT: --out, for a manifest by default its folder; rewritten as each entry ends, with the outcome "
     "\"running\" until the batch ends).  Exit 0 every entry done, 4 some wait "
     "for a review, 5 some failed, 130 interrupted",
     "out jobs progress validator engine spark-master no-load no-parquet db config", "",
     "mapforge batch clients/ --out out/february --jobs 4", cli_batch, false},
    {"plan", "--client C --mapping M --data D --out DIR",
     "draft the plan only: writes DIR/plan.txt and prints it (exit 2 when it has open questions)",
     "client mapping data out output config", "client mapping data out",
     "mapforge plan --client ACME --mapping ACME_mapping.xlsx --data gl_extract.csv --out out/acme", cli_plan,
     false},
    {"run", "(--plan P [--client C] | --client C) --data D --out DIR",
     "run the client's approved plan from the cache; or a plan file as it is (hand-edited or not): its checks and "
     "the validator run, nothing is loaded (it is not approved), and with --client the run goes into the client's "
     "history",
     "plan client data out validator engine spark-master livy spark-stage spark-stage-uri spark-output sample no-load no-parquet db load-streams progress", "data out",
     "mapforge run --client ACME --data next_quarter.csv --out out/q2", cli_run, false},
    {"approve", "--plan P --client C --data D [--comment TEXT]",
     "record a person's approval of a plan file edited by hand: checked against D, renumbered as the client's "
     "next version (the file rewritten to exactly the approved text), approved, and cached so that `run --client` "
     "and `onboard` use it", "plan client data comment", "plan client data",
     "mapforge approve --plan out/acme/plan.txt --client ACME --data gl_extract.csv --comment \"fee rule fixed by hand\"",
     cli_approve, false},
    {"check", "--plan P [--data D]",
     "parse and type-check a plan file (against the data file's columns when given)", "plan data", "plan",
     "mapforge check --plan out/acme/plan.txt --data gl_extract.csv", cli_check, false},
    {"compile", "--plan P --to pyspark|native [--out DIR] [--data D --out DIR [--no-parquet]]",
     "print the plan compiled for an engine: the PySpark job or the native program; --out DIR writes DIR/job.py and "
     "DIR/mapforge_runtime.py (spark-submit --py-files DIR/mapforge_runtime.py DIR/job.py INPUT OUTDIR)", "plan to data out spark-master livy spark-stage spark-stage-uri spark-output no-parquet", "plan to", "mapforge compile --plan out/acme/plan.txt --to pyspark > job.py",
     cli_compile, false},
    {"profile", "--data D", "print the detected dialect and a profile of a sample of the data", "data json", "data",
     "mapforge profile --data gl_extract.csv", cli_profile, false},
    {"cache", "list [--client C] | show KEY | invalidate KEY --comment TEXT",
     "the cache of approved plans: list the entries, show one, invalidate one (audited)", "client key comment json",
     "", "mapforge cache invalidate 3f2a... --comment \"mapping changed by phone\"", cli_cache, false},
    {"reviews", "[--client C]",
     "the review sessions (state, current version, who opened and decided them) and the runs with their states",
     "client json", "", "mapforge reviews --client ACME", cli_reviews, false},
    {"history", "--client C", "a client's plan versions, runs and events", "client json", "client",
     "mapforge history --client ACME", cli_history, false},
    {"audit", "log [--client C] | verify [--anchors FILE] | anchor --to FILE",
     "the tamper-evident audit trail: list it, verify the chain (naming the first bad event), or copy its head "
     "to an anchor file outside the store (MAPFORGE_AUDIT_KEY_FILE: sign each event with a key)",
     "client anchors to key comment json", "", "mapforge audit verify --anchors /mnt/worm/acme.anchors", cli_audit,
     false},
    {"rulebook", "list [--client C] [--json] | show ID | retire ID --comment TEXT | export FILE | import FILE",
     "readings people approved, reused for later mappings of any client with a rule of the same shape "
     "(docs/rulebook.md): list them, show one, retire one for everyone (an admin action where the store has "
     "users: the actor is --as, MAPFORGE_USER or the OS user; audited, a refusal too), move them between stores "
     "(import says what is new, already present or conflicting, and refuses a changed export file)",
     "client comment json", "", "mapforge rulebook retire 12 --comment \"reads the wrong sign for this desk\"",
     cli_rulebook, false},
    {"llm", "check [--config FILE]",
     "send the configured language model one tiny request: says the provider, model and latency that answered, "
     "or exactly why not", "config json", "", "MAPFORGE_LLM=openai OPENAI_API_KEY=... mapforge llm check", cli_llm,
     false},
    {"load", "--plan P --out DIR [--client C] [--db URL] [--load-streams N]",
     "load a run's output into SQL (one transaction)", "plan out client db load-streams", "plan out", "mapforge load --plan out/acme/plan.txt --out out/acme --db sqlite:gl.db",
     cli_load, false},
    {"user", "add NAME --role R | passwd NAME | role NAME --role R | disable NAME | enable NAME | list",
     "the web app's accounts: the password is read from standard input (one line; not echoed on a terminal) "
     "and stored as an Argon2id hash", "role json", "",
     "echo \"$PASSWORD\" | mapforge user add alice --role approver", cli_user, false},
    {"serve", "[--port N] [--bind ADDR] [--four-eyes] [--tls-cert F --tls-key F] [--config FILE]",
     "the review web app: sign in, read plans, answer, give feedback, approve, run with live progress; with a "
     "language model configured, feedback it cannot read is put to the model as a proposed edit "
     "(see docs/architecture.md, serve)", "port bind four-eyes tls-cert tls-key webhook config metrics-token-file", "",
     "mapforge serve --port 8321", cli_serve, false},
    {"metrics", "[--store URL]",
     "print the state store's key metrics (runs by outcome, cache lookups, rows and bytes, durations, reviews "
     "waiting and review time, language-model calls and tokens, validation failures, loads) in the Prometheus "
     "text format, as GET /metrics serves them (docs/metrics.md)", "", "", "mapforge metrics --store postgresql://mapforge@db/mapforge",
     cli_metrics, false},
    {"parquet", "--plan P --out DIR [key=value ...]", "convert a run's CSV output to Parquet (tests)", "plan out output",
     "plan out", "mapforge parquet --plan out/plan.txt --out out codec=none", cli_parquet, true},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* ---- names and distances ------------------------------------------------------------------------ */

/* Optimal string alignment distance (edits: insert, delete, substitute, swap neighbours). */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64)
        return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

/* The nearest of `names` to `word` when it is close enough to be a typo (at most 2 edits, and
 * fewer than half the word), else NULL. */
static const char *nearest(const char *word, const char *const *names, size_t count)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < count; i++) {
        size_t dd = distance(word, names[i]);
        if (dd < bd && dd * 2 < strlen(word)) {
            bd = dd;
            best = names[i];
        }
    }
    return best;
}

/* Is the option (without "--") in the space-separated list? */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if ((size_t)(q - p) == n && !strncmp(p, name, n))
            return true;
        p = q;
    }
    return false;
}

static bool takes(const cli_command_def *c, const cli_option_def *d)
{
    return listed(c->options, d->name + 2) || listed(common_options, d->name + 2);
}

const cli_command_def *cli_command_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static const cli_option_def *option_find(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcmp(options[i].name, name))
            return &options[i];
    return NULL;
}

static int unknown_command(const char *word, mf_err *e)
{
    const char *names[NCOMMANDS + 2];
    size_t n = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!commands[i].hidden)
            names[n++] = commands[i].name;
    names[n++] = "help";
    names[n++] = "version";
    const char *near = nearest(word, names, n);
    if (near)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown command \"%s\": did you mean %s? (mapforge help lists them)",
                       word, near);
    return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown command \"%s\" (mapforge help lists the commands)", word);
}

static int unknown_option(const cli_command_def *c, const char *word, mf_err *e)
{
    const char *names[NOPTIONS + 1];
    size_t n = 0;
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!c || takes(c, &options[i]))
            names[n++] = options[i].name;
    names[n++] = "--help";
    const char *near = nearest(word, names, n);
    const cli_option_def *d = option_find(word);
    if (d && c)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "%s does not take %s (mapforge %s --help lists its options)",
                       c->name, word, c->name);
    if (near)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown option \"%s\": did you mean %s?", word, near);
    return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "unknown option \"%s\" (mapforge %s --help lists the options)", word,
                   c ? c->name : "");
}

/* ---- parsing ---------------------------------------------------------------------------------------- */

int cli_args_parse(int argc, char **argv, cli_invocation *inv, mf_err *e)
{
    memset(inv, 0, sizeof *inv);
    cli_options *o = &inv->o;
    /* first pass: the command is the first word that is not an option or an option's value */
    int at = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1]) {
            const cli_option_def *d = option_find(a);
            if (d && !d->flag)
                i++;
            continue;
        }
        at = i;
        break;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            inv->help = true;
    if (at < 0) {
        if (inv->help)
            return 0;
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "--version"))
                return inv->version = true, 0;
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "no command given (mapforge help lists the commands)");
    }
    const char *word = argv[at];
    if (!strcmp(word, "help")) {
        inv->help = true;
        for (int i = at + 1; i < argc; i++) {
            if (!strcmp(argv[i], "--markdown"))
                inv->markdown = true;
            else if (!inv->cmd && !(inv->cmd = cli_command_find(argv[i])))
                return unknown_command(argv[i], e);
        }
        return 0;
    }
    if (!strcmp(word, "version")) {
        inv->version = true;
        return 0;
    }
    inv->cmd = cli_command_find(word);
    if (!inv->cmd)
        return unknown_command(word, e);
    if (inv->help)
        return 0;
    for (int i = 1; i < argc; i++) {
        if (i == at)
            continue;
        const char *a = argv[i];
        if (!(a[0] == '-' && a[1])) {   /* a sub-command word: "cache list", "audit verify KEY" */
            if (o->nargs >= (int)(sizeof o->args / sizeof o->args[0]))
                return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "too many words after the command: \"%s\"", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (!strcmp(a, "-y"))
            a = "--yes";
        /* --name=value is --name value */
        char name[64];
        const char *inline_value = NULL;
        const char *eq = strchr(a, '=');
        if (a[1] == '-' && eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            inline_value = eq + 1;
        }
        const cli_option_def *d = option_find(a);
        if (!d || !takes(inv->cmd, d))
            return unknown_option(inv->cmd, a, e);
        char *base = (char *)o;
        if (d->flag) {
            if (inline_value)
                return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "option %s takes no value", a);
            *(int *)(void *)(base + d->offset) = 1;
            continue;
        }
        if (inline_value) {
            if (!*inline_value)
                return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "option %s needs a value (%s)", a, d->value);
            *(const char **)(void *)(base + d->offset) = inline_value;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0])
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "option %s needs a value (%s)", a, d->value);
        *(const char **)(void *)(base + d->offset) = argv[++i];
    }
    /* every missing required option, in one message */
    char missing[512] = "";
    int nmissing = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        const cli_option_def *d = &options[i];
        if (!listed(inv->cmd->required, d->name + 2) || d->flag)
            continue;
        if (*(const char *const *)(const void *)((const char *)o + d->offset))
            continue;
        size_t len = strlen(missing);
        snprintf(missing + len, sizeof missing - len, "%s%s %s", nmissing ? ", " : "", d->name, d->value);
        nmissing++;
    }
    if (nmissing)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "%s needs %s (mapforge %s --help)", inv->cmd->name, missing,
                       inv->cmd->name);
    return 0;
}

/* ---- help ------------------------------------------------------------------------------------------- */

/* Write `text` wrapped at 100 columns, each line indented by `indent` (the first by `first`
 * columns already used). */
static void wrapped(FILE *f, const char *text, int indent, int first)
{
    int col = first;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        int w = (int)(q - p);
        if (col > indent && col + 1 + w > 100) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        } else if (col < indent) {
            fprintf(f, "%*s", indent - col, "");
            col = indent;
        }
        fwrite(p, 1, (size_t)w, f);
        col += w;
        p = q;
    }
    fputc('\n', f);
}

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

static void option_line(FILE *f, const cli_option_def *d, bool md)
{
    char head[64], text[512];
    snprintf(head, sizeof head, "%s%s%s", d->name, d->value ? " " : "", d->value ? d->value : "");
    if (md) {   /* a "|" inside a table cell must be escaped, even inside backticks */
        fputs("| `", f);
        md_cell(f, head);
        fputs("` | ", f);
        md_cell(f, d->help);
        fputs(" | ", f);
        md_cell(f, d->deflt ? d->deflt : "");
        fputs(" |\n", f);
        return;
    }
    snprintf(text, sizeof text, "%s%s%s%s", d->help, d->deflt ? " (default: " : "", d->deflt ? d->deflt : "",
             d->deflt ? ")" : "");
    fprintf(f, "  %-24s", head);
    wrapped(f, text, 27, 26);
}

void cli_help_command(FILE *f, const cli_command_def *c)
{
    fprintf(f, "usage: mapforge %s %s\n\n", c->name, c->synopsis);
    wrapped(f, c->summary, 0, 0);
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        if (listed(c->options, options[i].name + 2))
            option_line(f, &options[i], false);
    fprintf(f, "common options:\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        if (listed(common_options, options[i].name + 2))
            option_line(f, &options[i], false);
    fprintf(f, "\nexample:\n  %s\n", c->example);
}

static const char exit_codes[] =
    "0 done; 1 an error (which file, line, column and what was expected); 2 the plan has open questions "
    "(nothing ran; they are listed); 3 the output failed validation (nothing loaded); 4 needs review: no "
    "approved plan fits this file (`run --client` on a cache miss; nothing ran; `batch`: no entry failed but "
    "some wait for a review); 5 `batch`: some entries failed (the others ran; OUT/batch.json says which and why); "
    "130 interrupted by Ctrl-C or SIGTERM (temporary files removed, nothing published, nothing loaded; the run is recorded as "
    "interrupted)";

int cli_exit_code(mf_code code)
{
    switch (code) {
    case MF_EQUESTION: return 2;
    case MF_EREVIEW: return 4;
    case MF_EINTR: return 130;
    default: return 1;
    }
}

void cli_help(FILE *f)
{
    fprintf(f, "usage: mapforge <command> [options]     (mapforge help <command> for one command)\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (commands[i].hidden)
            continue;
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].synopsis);
        wrapped(f, commands[i].summary, 11, 0);
    }
    fprintf(f, "  help [COMMAND] | version\n\ncommon options (anywhere on the line):\n");
    for (size_t i = 0; i < NOPTIONS; i++)
        if (listed(common_options, options[i].name + 2))
            option_line(f, &options[i], false);
    fprintf(f, "\nexit codes: ");
    wrapped(f, exit_codes, 2, 12);
}

void cli_help_markdown(FILE *f)
{
    fprintf(f, "# The mapforge command line\n\n"
               "Generated by `mapforge help --markdown` from the tables the parser uses (src/cli/args.c); a test "
               "keeps this file equal to its output.\n\n"
               "Options go anywhere on the line, before or after the command.  `mapforge CMD --help` and "
               "`mapforge help CMD` print one command's help.\n\n## Exit codes\n\n%s.\n\n## Common options\n\n"
               "| option | meaning | default |\n|---|---|---|\n",
            exit_codes);
    for (size_t i = 0; i < NOPTIONS; i++)
        if (listed(common_options, options[i].name + 2))
            option_line(f, &options[i], true);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const cli_command_def *c = &commands[i];
        if (c->hidden)
            continue;
        fprintf(f, "\n## %s\n\n`mapforge %s %s`\n\n%s.\n\n", c->name, c->name, c->synopsis, c->summary);
        if (*c->required) {
            fprintf(f, "Needs:");
            for (size_t k = 0; k < NOPTIONS; k++)
                if (listed(c->required, options[k].name + 2))
                    fprintf(f, " `%s`", options[k].name);
            fprintf(f, ".\n\n");
        }
        fprintf(f, "| option | meaning | default |\n|---|---|---|\n");
        for (size_t k = 0; k < NOPTIONS; k++)
            if (listed(c->options, options[k].name + 2))
                option_line(f, &options[k], true);
        fprintf(f, "\nExample: `%s`\n", c->example);
    }
}
