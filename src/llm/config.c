/* config.c — which model to ask and how: a config file, then the providers' own environment
 * variables (see llm.h for the names).
 *
 * Invariants: a key is read from the environment, from a config file readable by its owner only,
 * or from a key file readable by its owner only — a key in a file anyone else can read is refused
 * (naming the file and its mode, never the key); no message here quotes a value that could be a
 * key.
 */
#include "llm/llm.h"

#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *llm_provider_name(llm_provider p)
{
    switch (p) {
    case LLM_OPENAI: return "openai";
    case LLM_AZURE: return "azure";
    case LLM_ANTHROPIC: return "anthropic";
    default: return "none";
    }
}

static int provider_of(const char *s, llm_provider *p)
{
    if (!strcasecmp(s, "openai"))
        *p = LLM_OPENAI;
    else if (!strcasecmp(s, "azure"))
        *p = LLM_AZURE;
    else if (!strcasecmp(s, "anthropic"))
        *p = LLM_ANTHROPIC;
    else if (!strcasecmp(s, "none") || !*s)
        *p = LLM_NONE;
    else
        return -1;
    return 0;
}

static void copy(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s);
}

static void trim_url(char *u)
{
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        u[--n] = 0;
}

/* The file may be read by its owner only (no group or other bits). */
static int owner_only(const char *path, const char *what, mf_err *e)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "%s: %s", what, strerror(errno));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return mf_fail(e, MF_EUSAGE, path, 0, 0,
                       "%s is readable by others (mode %03o): a key must be in a file only its owner can read "
                       "(chmod 600 %s)", what, (unsigned)(st.st_mode & 0777), path);
    return 0;
}

static int read_key_file(const char *path, llm_config *c, mf_err *e)
{
    if (owner_only(path, "the key file", e) < 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the key file: %s", strerror(errno));
    char buf[1100];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = 0;
    char *s = buf;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s || strlen(s) >= sizeof c->key)
        return mf_fail(e, MF_EUSAGE, path, 0, 0, "the key file holds no key (or one longer than %zu bytes)",
                       sizeof c->key - 1);
    copy(c->key, sizeof c->key, s);
    c->have_key = true;
    return 0;
}

static int number(const char *s, long long *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < 0)
        return -1;
    *v = x;
    return 0;
}

static int on_off(const char *s, bool *v)
{
    if (!strcasecmp(s, "on") || !strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes"))
        *v = true;
    else if (!strcasecmp(s, "off") || !strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no"))
        *v = false;
    else
        return -1;
    return 0;
}

/* One setting from the file (where = path) or the environment (where = NULL, name = the variable). */
static int set(llm_config *c, const char *name, const char *value, const char *where, long line, mf_err *e)
{
    long long v;
    bool b;
    if (!strcmp(name, "provider")) {
        if (provider_of(value, &c->provider) < 0)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "provider \"%s\": expected openai, azure, anthropic or none",
                           value);
    } else if (!strcmp(name, "model")) {
        copy(c->model, sizeof c->model, value);
    } else if (!strcmp(name, "base_url")) {
        copy(c->base_url, sizeof c->base_url, value);
        trim_url(c->base_url);
    } else if (!strcmp(name, "api_version")) {
        copy(c->api_version, sizeof c->api_version, value);
    } else if (!strcmp(name, "api_key")) {
        if (strlen(value) >= sizeof c->key)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "api_key is longer than %zu bytes", sizeof c->key - 1);
        copy(c->key, sizeof c->key, value);
        c->have_key = *value != 0;
    } else if (!strcmp(name, "api_key_file")) {
        return read_key_file(value, c, e);
    } else if (!strcmp(name, "structured")) {
        if (!strcasecmp(value, "json") || !strcasecmp(value, "json_schema"))
            c->structured = LLM_JSON_SCHEMA;
        else if (!strcasecmp(value, "tools"))
            c->structured = LLM_TOOLS;
        else
            return mf_fail(e, MF_EUSAGE, where, line, 0, "structured \"%s\": expected json or tools", value);
    } else if (!strcmp(name, "stream")) {
        if (on_off(value, &b) < 0)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "stream \"%s\": expected on or off", value);
        c->stream = b;
    } else if (!strcmp(name, "timeout")) {
        if (number(value, &v) < 0 || v < 1 || v > 3600)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "timeout \"%s\": expected seconds (1 to 3600)", value);
        c->timeout_ms = (long)v * 1000;
    } else if (!strcmp(name, "retries")) {
        if (number(value, &v) < 0 || v > 10)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "retries \"%s\": expected 0 to 10", value);
        c->max_retries = (int)v;
    } else if (!strcmp(name, "backoff_ms")) {
        if (number(value, &v) < 0 || v > 60000)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "backoff_ms \"%s\": expected 0 to 60000", value);
        c->backoff_ms = (long)v;
    } else if (!strcmp(name, "budget_run") || !strcmp(name, "budget_day")) {
        if (number(value, &v) < 0)
            return mf_fail(e, MF_EUSAGE, where, line, 0, "%s \"%s\": expected a number of tokens", name, value);
        *(name[7] == 'r' ? &c->budget_run : &c->budget_day) = v;
    } else {
        return mf_fail(e, MF_EUSAGE, where, line, 0,
                       "unknown setting \"%s\" (expected provider, model, base_url, api_version, api_key, "
                       "api_key_file, structured, stream, timeout, retries, backoff_ms, budget_run, budget_day)",
                       name);
    }
    return 0;
}

static int read_file(const char *path, bool must_exist, llm_config *c, mf_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the config file: %s", strerror(errno));
    }
    char line[2048];
    long ln = 0;
    int rc = 0;
    bool has_key = false;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            s[--n] = 0;
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = mf_fail(e, MF_EUSAGE, path, ln, 0, "expected `name = value`");
            break;
        }
        char *v = eq + 1;
        while (eq > s && isspace((unsigned char)eq[-1]))
            eq--;
        *eq = 0;
        while (isspace((unsigned char)*v))
            v++;
        if (!strcmp(s, "api_key"))
            has_key = true;
        rc = set(c, s, v, path, ln, e);
    }
    fclose(f);
    if (rc == 0 && has_key)
        rc = owner_only(path, "the config file (it holds api_key)", e);
    if (rc == 0) {
        size_t used = strlen(c->source);
        snprintf(c->source + used, sizeof c->source - used, "%s%s", used ? ", " : "", path);
    }
    return rc;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int llm_config_load(const char *config_path, const char *home_opt, llm_config *c, mf_err *e)
{
    memset(c, 0, sizeof *c);
    c->stream = true;
    c->timeout_ms = 60000;
    c->connect_timeout_ms = 10000;
    c->max_retries = 3;
    c->backoff_ms = 500;
    c->max_wait_ms = 60000;
    c->provider = LLM_NONE;
    bool file_provider = false;
    if (config_path) {
        if (read_file(config_path, true, c, e) < 0)
            return -1;
    } else {
        char *home = store_home_dir(home_opt);
        char path[1100];
        snprintf(path, sizeof path, "%s/config", home);
        free(home);
        if (read_file(path, false, c, e) < 0)
            return -1;
    }
    file_provider = c->provider != LLM_NONE;
    /* the environment wins over the file */
    const char *sel = env("MAPFORGE_LLM");
    llm_provider p = c->provider;
    if (sel) {
        if (provider_of(sel, &p) < 0)
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "MAPFORGE_LLM=%s: expected openai, azure, anthropic or none", sel);
    } else if (!file_provider) {
        p = env("AZURE_OPENAI_API_KEY") && env("AZURE_OPENAI_ENDPOINT") ? LLM_AZURE
            : env("ANTHROPIC_API_KEY")                                 ? LLM_ANTHROPIC
            : env("OPENAI_API_KEY")                                    ? LLM_OPENAI
                                                                       : LLM_NONE;
    }
    c->provider = p;
    bool from_env = sel != NULL;
    const char *v;
    struct { llm_provider p; const char *var, *setting; } vars[] = {
        {LLM_OPENAI, "OPENAI_API_KEY", "api_key"},           {LLM_OPENAI, "OPENAI_BASE_URL", "base_url"},
        {LLM_AZURE, "AZURE_OPENAI_API_KEY", "api_key"},      {LLM_AZURE, "AZURE_OPENAI_ENDPOINT", "base_url"},
        {LLM_AZURE, "OPENAI_API_VERSION", "api_version"},    {LLM_ANTHROPIC, "ANTHROPIC_API_KEY", "api_key"},
        {LLM_ANTHROPIC, "ANTHROPIC_BASE_URL", "base_url"},   {LLM_NONE, "MAPFORGE_LLM_MODEL", "model"},
        {LLM_NONE, "MAPFORGE_LLM_STRUCTURED", "structured"}, {LLM_NONE, "MAPFORGE_LLM_STREAM", "stream"},
        {LLM_NONE, "MAPFORGE_LLM_TIMEOUT", "timeout"},       {LLM_NONE, "MAPFORGE_LLM_RETRIES", "retries"},
        {LLM_NONE, "MAPFORGE_LLM_BACKOFF_MS", "backoff_ms"}, {LLM_NONE, "MAPFORGE_LLM_BUDGET_RUN", "budget_run"},
        {LLM_NONE, "MAPFORGE_LLM_BUDGET_DAY", "budget_day"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (vars[i].p != LLM_NONE && vars[i].p != p)
            continue;
        if (!(v = env(vars[i].var)))
            continue;
        if (set(c, vars[i].setting, v, NULL, 0, e) < 0) {
            /* name the variable, not the value */
            snprintf(e->file, sizeof e->file, "%s", vars[i].var);
            return -1;
        }
        from_env = true;
    }
    if (from_env) {
        size_t used = strlen(c->source);
        snprintf(c->source + used, sizeof c->source - used, "%senvironment", used ? ", " : "");
    }
    if (c->provider == LLM_NONE)
        return 0;
    /* defaults per provider */
    if (!c->base_url[0]) {
        if (c->provider == LLM_OPENAI)
            copy(c->base_url, sizeof c->base_url, "https://api.openai.com/v1");
        else if (c->provider == LLM_ANTHROPIC)
            copy(c->base_url, sizeof c->base_url, "https://api.anthropic.com");
        else
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                           "MAPFORGE_LLM=azure needs AZURE_OPENAI_ENDPOINT (https://NAME.openai.azure.com)");
    }
    if (c->provider == LLM_AZURE && !c->api_version[0])
        copy(c->api_version, sizeof c->api_version, "2024-10-21");
    if (!c->model[0]) {
        if (c->provider == LLM_OPENAI)
            copy(c->model, sizeof c->model, "gpt-4o-mini");
        else if (c->provider == LLM_ANTHROPIC)
            copy(c->model, sizeof c->model, "claude-3-5-haiku-latest");
        else
            return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "MAPFORGE_LLM=azure needs MAPFORGE_LLM_MODEL: the deployment name");
    }
    if (c->provider == LLM_ANTHROPIC)
        c->structured = LLM_TOOLS;
    return 0;
}

void llm_endpoint(const llm_config *c, char *buf, size_t n)
{
    switch (c->provider) {
    case LLM_OPENAI: snprintf(buf, n, "%s/chat/completions", c->base_url); break;
    case LLM_AZURE:
        snprintf(buf, n, "%s/openai/deployments/%s/chat/completions?api-version=%s", c->base_url, c->model,
                 c->api_version);
        break;
    case LLM_ANTHROPIC: snprintf(buf, n, "%s/v1/messages", c->base_url); break;
    default: snprintf(buf, n, "(none)"); break;
    }
}

void llm_describe(const llm_config *c, char *buf, size_t n)
{
    if (c->provider == LLM_NONE) {
        snprintf(buf, n, "no model is configured");
        return;
    }
    snprintf(buf, n, "%s %s at %s", llm_provider_name(c->provider), c->model, c->base_url);
}

void llm_redact(const llm_config *c, char *s)
{
    if (!s || !c->have_key)
        return;
    size_t kl = strlen(c->key);
    /* the whole key, then any run of 8 or more of its characters (a masked echo "sk-abcd...wxyz"
     * keeps a prefix and a suffix) */
    size_t shortest = kl < 8 ? kl : 8;
    for (size_t len = kl; len >= shortest && len > 0; len--)
        for (size_t off = 0; off + len <= kl; off++) {
            char *hit;
            while ((hit = memmem(s, strlen(s), c->key + off, len)) != NULL) {
                size_t rest = strlen(hit + len);
                memcpy(hit, "***", 3);
                memmove(hit + 3, hit + len, rest + 1);
            }
        }
}
