/* commands.c — onboard, plan, run, check, profile.
 *
 * The plan is the program: onboard renders the drafted plan to text, hashes that text, and then
 * runs what *parsing that text* gives — exactly what a person would approve and what `run
 * --plan` would execute later.  Nothing is re-generated between showing and running.
 */
#include "cli/cli.h"
#include "mapping/mapping.h"
#include "plan/draft.h"
#include "plan/plan.h"
#include "read/csv.h"
#include "read/profile.h"
#include "util/afile.h"
#include "util/sha256.h"
#include "write/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROFILE_ROWS 2000

static int need(const char *value, const char *option, const char *command, mf_err *e)
{
    if (value)
        return 0;
    return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "mapforge %s needs %s (see mapforge help)", command, option);
}

static int make_dir(const char *dir, mf_err *e)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return mf_fail(e, MF_EUSAGE, dir, 0, 0, "output directory path is too long");
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return mf_fail(e, MF_EIO, path, 0, 0, "cannot create output directory: %s", strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return mf_fail(e, MF_EIO, dir, 0, 0, "output path exists and is not a directory");
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = mf_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The header names of the data file read with the plan's dialect. */
typedef struct data_header {
    csv_reader *reader;
    int n;
    const char *const *names;
} data_header;

static int open_header(const char *path, const plan *p, data_header *h, mf_err *e)
{
    csv_dialect d = {0};
    d.delimiter = p->source.delimiter;
    d.quote = p->source.quote;
    d.encoding = p->source.encoding;
    d.header_line = p->source.header_line;
    h->reader = csv_open(path, &d, e);
    if (!h->reader)
        return -1;
    h->n = csv_header(h->reader, &h->names);
    return 0;
}

/* The open questions, and every column or rule that still holds a ? without one. */
static int print_questions(const plan *p, FILE *f)
{
    int n = 0;
    fprintf(f, "open questions:\n");
    for (int i = 0; i < p->nquestions; i++) {
        const plan_question *q = &p->questions[i];
        fprintf(f, "  %d. ", ++n);
        if (q->column)
            fprintf(f, "%s", q->column);
        if (q->row)
            fprintf(f, "%s(mapping row %d)", q->column ? " " : "", q->row);
        fprintf(f, ": %s\n", q->text ? q->text : "");
    }
    for (int i = 0; i < p->ncols; i++) {
        const plan_column *c = &p->cols[i];
        bool asked = false;
        for (int k = 0; k < p->nquestions && !asked; k++)
            asked = p->questions[k].column && !strcmp(p->questions[k].column, c->name);
        if (!asked && plan_expr_has_hole(c->expr))
            fprintf(f, "  %d. %s: its expression still contains ?; what should %s contain?\n", ++n, c->name, c->name);
    }
    for (int i = 0; i < p->nrules; i++)
        if (plan_expr_has_hole(p->rules[i].cond))
            fprintf(f, "  %d. %s rule %d: its condition still contains ?\n", ++n,
                    p->rules[i].kind == PR_SKIP ? "skip" : "reject", i + 1);
    return n;
}

/* A plan that still has holes or questions cannot run unattended. */
static int refuse_open_questions(const plan *p, const char *plan_path, mf_err *e)
{
    int n = print_questions(p, stdout);
    mf_fail(e, MF_EQUESTION, NULL, 0, 0,
            "the plan has %d open question%s; nothing ran. Answer %s in %s (replace each ? with an expression) "
            "and run it with: mapforge run --plan %s --data ... --out ...",
            n, n == 1 ? "" : "s", n == 1 ? "it" : "them", plan_path, plan_path);
    return CLI_FAILED;
}

static int run_parsed(plan *p, const char *plan_text, const char *plan_path, const cli_options *o, mf_err *e)
{
    data_header h;
    if (open_header(o->data, p, &h, e) < 0)
        return CLI_FAILED;
    int rc = plan_check(p, h.names, h.n, plan_path, e);
    csv_close(h.reader);
    if (rc < 0)
        return CLI_FAILED;
    if (plan_has_open_questions(p))
        return refuse_open_questions(p, plan_path, e);
    char sha[65];
    mf_sha256_hex(plan_text, strlen(plan_text), sha);
    run_options opt = {0};
    opt.plan_sha256 = sha;
    run_report rep = {0};
    if (make_dir(o->out, e) < 0 || run_plan(p, o->data, o->out, &opt, &rep, e) < 0)
        return CLI_FAILED;
    fprintf(stderr,
            "mapforge: ran plan %.12s on %s: %lld rows in, %lld out, %lld rejected, %lld filtered "
            "(%.2f s) -> %s/%s.csv\n",
            sha, o->data, rep.rows_in, rep.rows_out, rep.rows_rejected, rep.rows_filtered, rep.seconds_total,
            o->out, p->output);
    return 0;
}

/* Draft a plan from mapping + data: returns its canonical text (malloc'd). */
static char *draft_text(const cli_options *o, const char *command, mf_err *e)
{
    if (need(o->client, "--client", command, e) < 0 || need(o->mapping, "--mapping", command, e) < 0 ||
        need(o->data, "--data", command, e) < 0 || need(o->out, "--out", command, e) < 0)
        return NULL;
    mapping m;
    if (mapping_read(o->mapping, &m, e) < 0)
        return NULL;
    csv_dialect d;
    profile pr;
    if (csv_detect(o->data, &d, e) < 0) {
        mapping_free(&m);
        return NULL;
    }
    if (profile_file(o->data, &d, PROFILE_ROWS, &pr, e) < 0) {
        mapping_free(&m);
        return NULL;
    }
    draft_options opt = {o->client, base_name(o->data), o->output};
    plan p;
    char *text = NULL;
    if (plan_draft(&m, &pr, &opt, &p, e) == 0) {
        text = plan_render(&p);
        plan_free(&p);
    }
    profile_free(&pr);
    mapping_free(&m);
    return text;
}

static int write_plan_file(const cli_options *o, const char *text, char **plan_path, mf_err *e)
{
    if (make_dir(o->out, e) < 0)
        return -1;
    *plan_path = join(o->out, "plan.txt");
    if (mf_write_file_atomic(*plan_path, text, strlen(text), e) < 0) {
        free(*plan_path);
        *plan_path = NULL;
        return -1;
    }
    return 0;
}

int cli_plan(const cli_options *o, mf_err *e)
{
    char *text = draft_text(o, "plan", e);
    if (!text)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = write_plan_file(o, text, &plan_path, e);
    if (rc == 0)
        fputs(text, stdout);
    free(text);
    free(plan_path);
    return rc < 0 ? CLI_FAILED : 0;
}

static int ask_approval(void)
{
    if (!isatty(STDIN_FILENO))
        return -1;
    fprintf(stderr, "Approve this plan and run it? [y/N] ");
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

int cli_onboard(const cli_options *o, mf_err *e)
{
    char *text = draft_text(o, "onboard", e);
    if (!text)
        return CLI_FAILED;
    char *plan_path = NULL;
    int rc = CLI_FAILED;
    plan p;
    plan_init(&p);
    if (write_plan_file(o, text, &plan_path, e) < 0)
        goto done;
    fputs(text, stdout);
    fflush(stdout);
    /* Run what the text says, not the in-memory draft. */
    if (plan_parse(text, strlen(text), plan_path, &p, e) < 0)
        goto done;
    if (plan_has_open_questions(&p)) {
        rc = refuse_open_questions(&p, plan_path, e);
        goto done;
    }
    if (!o->yes) {
        int ok = ask_approval();
        if (ok < 0) {
            mf_fail(e, MF_EUSAGE, NULL, 0, 0,
                    "onboard runs unattended only with --yes (no terminal to ask for approval); the plan is in %s",
                    plan_path);
            goto done;
        }
        if (!ok) {
            fprintf(stderr, "mapforge: not approved; nothing ran. The plan is in %s\n", plan_path);
            rc = 1;
            goto done;
        }
    }
    rc = run_parsed(&p, text, plan_path, o, e);
done:
    plan_free(&p);
    free(text);
    free(plan_path);
    return rc;
}

int cli_run(const cli_options *o, mf_err *e)
{
    if (need(o->plan, "--plan", "run", e) < 0 || need(o->data, "--data", "run", e) < 0 ||
        need(o->out, "--out", "run", e) < 0)
        return CLI_FAILED;
    size_t len;
    char *text = mf_read_file(o->plan, &len, e);
    if (!text)
        return CLI_FAILED;
    plan p;
    plan_init(&p);
    int rc = CLI_FAILED;
    if (plan_parse(text, len, o->plan, &p, e) == 0)
        rc = run_parsed(&p, text, o->plan, o, e);
    plan_free(&p);
    free(text);
    return rc;
}

int cli_check(const cli_options *o, mf_err *e)
{
    if (need(o->plan, "--plan", "check", e) < 0)
        return CLI_FAILED;
    size_t len;
    char *text = mf_read_file(o->plan, &len, e);
    if (!text)
        return CLI_FAILED;
    plan p;
    plan_init(&p);
    int rc = CLI_FAILED;
    if (plan_parse(text, len, o->plan, &p, e) < 0)
        goto done;
    if (o->data) {
        data_header h;
        if (open_header(o->data, &p, &h, e) < 0)
            goto done;
        int c = plan_check(&p, h.names, h.n, o->plan, e);
        csv_close(h.reader);
        if (c < 0)
            goto done;
    } else if (plan_check(&p, NULL, 0, o->plan, e) < 0)
        goto done;
    char sha[65];
    mf_sha256_hex(text, len, sha);
    printf("%s: plan %s v%d parses and type-checks; sha256 %s\n", o->plan, p.client, p.version, sha);
    if (plan_has_open_questions(&p)) {
        print_questions(&p, stdout);
        rc = CLI_EXIT_QUESTIONS;
    } else
        rc = 0;
done:
    plan_free(&p);
    free(text);
    return rc;
}

int cli_profile(const cli_options *o, mf_err *e)
{
    if (need(o->data, "--data", "profile", e) < 0)
        return CLI_FAILED;
    csv_dialect d;
    profile pr;
    if (csv_detect(o->data, &d, e) < 0 || profile_file(o->data, &d, PROFILE_ROWS, &pr, e) < 0)
        return CLI_FAILED;
    printf("%s: %s, %s delimited, header on line %ld, %d columns, %ld rows sampled\n", o->data,
           csv_encoding_name(d.encoding), csv_delimiter_name(d.delimiter), d.header_line, d.ncols, pr.rows_sampled);
    for (int i = 0; i < pr.ncols; i++) {
        const prof_column *c = &pr.col[i];
        printf("  %-24s %-9s blank %ld/%ld, distinct %ld", c->name, prof_kind_name(c->kind), c->nblank, c->nvalues,
               c->ndistinct);
        for (int k = 0; k < c->ndate_formats; k++)
            printf("%s%s", k ? " | " : ", dates ", c->date_formats[k]);
        if (c->kind == PK_DECIMAL || c->kind == PK_INTEGER) {
            if (c->thousands)
                printf(", thousands '%c'", c->thousands);
            if (c->decimal)
                printf(", decimal '%c'", c->decimal);
            if (c->paren_negative)
                printf(", negative in parentheses");
            if (c->trailing_minus)
                printf(", trailing minus");
            if (c->currency)
                printf(", currency %s", c->currency);
        }
        printf("\n");
    }
    profile_free(&pr);
    return 0;
}
