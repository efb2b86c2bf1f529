/* cmd_serve.c — `mapforge serve`: the command-line side of the web app (src/serve/): reads the
 * options into a serve_config and runs the server until SIGINT / SIGTERM.
 *
 * Invariants: the port is a number 1-65535; --tls-cert and --tls-key go together; the store is the
 * one every other command uses (--store / MAPFORGE_STORE / --home / MAPFORGE_HOME / ~/.mapforge);
 * MAPFORGE_SESSION_SECONDS, MAPFORGE_SERVE_RATE, MAPFORGE_LOGIN_FAILURES and MAPFORGE_LOCK_SECONDS
 * tune the session expiry, the rate limit and the sign-in throttling (tests shorten them).
 */
#include "cli/cli.h"
#include "llm/llm.h"
#include "serve/serve.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double env_num(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? strtod(v, NULL) : 0;
}

int cli_serve(const cli_options *o, mf_err *e)
{
    serve_config c;
    memset(&c, 0, sizeof c);
    if (o->port) {
        char *end;
        long p = strtol(o->port, &end, 10);
        if (*end || p < 1 || p > 65535) {
            mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--port %s: expected a number from 1 to 65535", o->port);
            return CLI_FAILED;
        }
        c.port = (int)p;
    }
    c.bind = o->bind;
    c.four_eyes = o->four_eyes;
    c.tls_cert = o->tls_cert;
    c.tls_key = o->tls_key;
    c.webhook = o->webhook ? o->webhook : getenv("MAPFORGE_WEBHOOK");
    if (c.webhook && !*c.webhook)
        c.webhook = NULL;
    c.metrics_token_file = o->metrics_token_file ? o->metrics_token_file : getenv("MAPFORGE_METRICS_TOKEN_FILE");
    if (c.metrics_token_file && !*c.metrics_token_file)
        c.metrics_token_file = NULL;
    c.session_seconds = (int)env_num("MAPFORGE_SESSION_SECONDS");
    c.rate = env_num("MAPFORGE_SERVE_RATE");
    c.max_failures = (int)env_num("MAPFORGE_LOGIN_FAILURES");
    c.lock_seconds = (int)env_num("MAPFORGE_LOCK_SECONDS");
    /* a model's settings that do not read are said, not fatal: the web app works without one */
    static llm_config llm;
    mf_err le = {0};
    if (llm_config_load(o->config, o->home, &llm, &le) < 0) {
        char msg[1200];
        mf_err_format(&le, msg, sizeof msg);
        fprintf(stderr, "mapforge: the language model is not used: %s\n", msg);
    } else if (llm.provider != LLM_NONE) {
        char what[800];
        llm_describe(&llm, what, sizeof what);
        fprintf(stderr, "mapforge: feedback the rule reader cannot read is put to %s; its edits wait for a reviewer\n",
                what);
        c.llm = &llm;
    }
    char *where = store_location(o->store, o->home, e);
    if (!where)
        return CLI_FAILED;
    char *home = store_home_dir(o->home);
    c.store_where = where;
    c.home = home;
    int rc = serve_run(&c, e);
    free(where);
    free(home);
    return rc < 0 ? CLI_FAILED : 0;
}
