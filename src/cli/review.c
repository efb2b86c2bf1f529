/* review.c — the terminal review loop (see review.h): reads a line, calls the workflow stage
 * (flow_feedback, flow_answer, flow_unlearn, flow_approve, flow_reject, flow_quit), renders what
 * it returns.
 * It holds no workflow state of its own: the current version is read back from the store each
 * time it is shown.
 */
#include "cli/review.h"

#include "plan/plan.h"
#include "util/diff.h"
#include "util/interrupt.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PREVIEW_ROWS 5

void review_print_preview(FILE *out, const flow_preview *pv, const char *data_path)
{
    if (pv->unavailable) {
        if (!strcmp(pv->unavailable, "no data file"))
            fprintf(out, "preview: no data file\n");
        else
            fprintf(out, "preview: not available (%s)\n", pv->unavailable);
        return;
    }
    fprintf(out, "preview (%d sample row%s of %s, before -> after):\n", pv->rows, pv->rows == 1 ? "" : "s",
            data_path);
    for (int c = 0; c < pv->ncols; c++) {
        const flow_preview_column *col = &pv->cols[c];
        fprintf(out, "  %s%s\n", col->name, col->open ? "   (open question: ?)" : "");
        for (int i = 0; i < col->ncells; i++) {
            const flow_preview_cell *x = &col->cells[i];
            fprintf(out, "    line %ld: %s%s%s\n", x->line, x->before, *x->before ? " -> " : "-> ",
                    x->after ? x->after : x->reject ? x->reject : "");
        }
    }
    fprintf(out, "  rows: of the first %lld, %lld out, %lld rejected, %lld filtered\n", pv->sampled, pv->out,
            pv->rejected, pv->filtered);
    for (int i = 0; i < pv->nfirst_rejects; i++)
        fprintf(out, "    %s\n", pv->first_rejects[i]);
}

typedef struct loop {
    const review_ctx *c;
    FILE *o;
    flow_review r;       /* refreshed after each action */
    long long shown;     /* the proposed edit last shown (its turn id), 0 none: /accept takes only that one */
} loop;

static int refresh(loop *l, mf_err *e)
{
    flow_review_free(&l->r);
    int got = flow_review_get(l->c->env, l->c->review_id, &l->r, e);
    if (got == 0)
        return mf_fail(e, MF_ENOTFOUND, NULL, 0, 0, "no review %lld in the store", l->c->review_id);
    return got < 0 ? -1 : 0;
}

/* The suggestion tried on the sample: before -> after for a few rows, as the preview shows them. */
static void suggestion_preview(loop *l, const char *text, const flow_question *q)
{
    plan p;
    mf_err pe = {0};
    if (!q->column || plan_parse(text, strlen(text), "plan", &p, &pe) < 0)
        return;
    int ci = -1;
    for (int i = 0; i < p.ncols; i++)
        if (!strcmp(p.cols[i].name, q->column))
            ci = i;
    plan_expr *x = ci >= 0 ? plan_parse_expr(&p, q->suggestion, strlen(q->suggestion), "suggestion", &pe) : NULL;
    if (x) {
        p.cols[ci].expr = x;
        bool *only = calloc((size_t)p.ncols, sizeof *only);
        if (only) {
            only[ci] = true;
            flow_preview pv;
            flow_preview_make(&p, l->r.data_path, 3, only, &pv);
            for (int c = 0; !pv.unavailable && c < pv.ncols; c++)
                for (int i = 0; i < pv.cols[c].ncells; i++) {
                    const flow_preview_cell *cell = &pv.cols[c].cells[i];
                    fprintf(l->o, "       preview line %ld: %s%s%s\n", cell->line, cell->before,
                            *cell->before ? " -> " : "-> ",
                            cell->after ? cell->after : cell->reject ? cell->reject : "");
                }
            flow_preview_free(&pv);
            free(only);
        }
    }
    plan_free(&p);
}

static void show_questions(loop *l, const flow_version *v)
{
    if (!v->nquestions) {
        fprintf(l->o, "open questions: none\n");
        return;
    }
    fprintf(l->o, "open questions:\n");
    for (int i = 0; i < v->nquestions; i++) {
        const flow_question *q = &v->questions[i];
        fprintf(l->o, "  %s\n", q->text);
        if (q->suggestion) {   /* a model's proposal: shown, never applied until /accept */
            fprintf(l->o, "     suggested by %s (confidence %d%%): %s = %s%s%s\n", q->suggested_by, q->confidence,
                    q->column ? q->column : "?", q->suggestion, *q->explanation ? " — " : "", q->explanation);
            suggestion_preview(l, v->text, q);
            fprintf(l->o, "     /accept %d takes it, /answer %d <text> gives another, /discard %d drops it\n", q->n,
                    q->n, q->n);
        }
    }
}

static void preview_of(loop *l, const char *text, const bool *only)
{
    plan p;
    mf_err pe = {0};
    if (plan_parse(text, strlen(text), "plan", &p, &pe) < 0) {
        fprintf(l->o, "preview: not available (%s)\n", pe.msg);
        return;
    }
    flow_preview pv;
    flow_preview_make(&p, l->r.data_path, PREVIEW_ROWS, only, &pv);
    review_print_preview(l->o, &pv, l->r.data_path);
    flow_preview_free(&pv);
    plan_free(&p);
}

/* The pending edit a model proposed for feedback: its lines, the diff and the preview of the
 * columns it changes; applied only by /accept. */
static int show_proposal(loop *l, mf_err *e)
{
    flow_proposal p;
    int got = flow_review_proposal(l->c->env, l->c->review_id, &p, e);
    if (got <= 0)
        return got;
    l->shown = p.id;
    fprintf(l->o, "proposed edit for your feedback \"%s\" — suggested by %s (confidence %d%%), not applied:\n", p.feedback,
            p.by, p.confidence);
    for (const char *c = p.edit; *c;) {
        const char *nl = strchr(c, '\n');
        int len = nl ? (int)(nl - c) : (int)strlen(c);
        fprintf(l->o, "    %.*s\n", len, c);
        c += len + (nl ? 1 : 0);
    }
    if (*p.explanation)
        fprintf(l->o, "  why: %s\n", p.explanation);
    if (p.text) {
        fprintf(l->o, "%s", p.diff);
        preview_of(l, p.text, p.changed);
        fprintf(l->o, "/accept takes this edit (a new version), /discard drops it\n");
    } else {
        fprintf(l->o, "it no longer applies: %s (/discard drops it)\n", p.why);
    }
    flow_proposal_free(&p);
    return 0;
}

static int show(loop *l, bool with_findings, mf_err *e)
{
    flow_version v;
    if (flow_review_current(l->c->env, l->c->review_id, &v, e) < 0)
        return -1;
    if (with_findings && v.findings)
        fprintf(l->o, "the last run of this plan failed validation; findings:\n%s\n", v.findings);
    fprintf(l->o, "\n== plan %s v%d (sha256 %.12s) ==\n%s\n", l->r.client, v.version, v.sha256, v.text);
    show_questions(l, &v);
    preview_of(l, v.text, NULL);
    flow_version_free(&v);
    return show_proposal(l, e);
}

static void help(FILE *o)
{
    fprintf(o, "commands: /approve [comment] | /reject <comment> | /answer N <text> | /accept N | /discard N | "
               "/unlearn COLUMN | /show | /diff | /quit | /help; /accept and /discard without N: a model's proposed "
               "edit for feedback\n"
               "/unlearn COLUMN refuses, for this plan only, the rulebook entry a column was read with (its provenance "
               "says \"learned from\"): the column becomes an open question again\n"
               "any line without / is feedback (or \"answer N <text>\"), e.g. \"add validation for negative values "
               "on AMOUNT\", \"default currency to USD\", \"reject rows where Acct No is empty\"\n");
}

/* The last change: the current version against the one before it in this review. */
static int diff(loop *l, mf_err *e)
{
    flow_version *v;
    int n;
    if (flow_review_versions(l->c->env, l->c->review_id, &v, &n, e) < 0)
        return -1;
    int at = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].sha256, l->r.plan_sha256))
            at = i;
    if (at <= 0) {
        fprintf(l->o, "no changes in this review yet\n");
    } else {
        char la[64], lb[64];
        snprintf(la, sizeof la, "plan v%d", v[at - 1].version);
        snprintf(lb, sizeof lb, "plan v%d", v[at].version);
        char *d = mf_diff_unified(v[at - 1].text, v[at].text, la, lb, 2);
        fprintf(l->o, "%s", d);
        free(d);
    }
    flow_versions_free(v, n);
    return 0;
}

/* A round's outcome: the new version and its diff, or what was not understood. */
static int rendered_round(loop *l, flow_round *rd, const char *line, mf_err *e)
{
    if (!rd->applied) {
        fprintf(l->o, "not applied (no new version) — understood: %s; not understood: %s\n",
                *rd->understood ? rd->understood : "nothing", rd->not_understood);
        char w[16] = "";
        sscanf(line, "%15s", w);
        if (!strcasecmp(w, "approve") || !strcasecmp(w, "reject") || !strcasecmp(w, "quit") ||
            !strcasecmp(w, "exit"))
            fprintf(l->o, "(decisions are commands: /approve [comment], /reject <comment>, /quit)\n");
        return rd->proposed ? show_proposal(l, e) : 0;
    }
    if (refresh(l, e) < 0)
        return -1;
    fprintf(l->o, "understood: %s\n%s: plan v%d (sha256 %.12s)\n%s", rd->understood,
            rd->duplicate ? "back to an earlier version" : "new version", rd->version, rd->sha256, rd->diff);
    flow_version v;
    if (flow_review_current(l->c->env, l->c->review_id, &v, e) < 0)
        return -1;
    show_questions(l, &v);
    bool any = false;
    plan p;
    mf_err pe = {0};
    if (plan_parse(v.text, strlen(v.text), "plan", &p, &pe) == 0) {
        for (int i = 0; i < p.ncols && rd->changed; i++)
            any |= rd->changed[i];
        plan_free(&p);
    }
    if (any || rd->rules_changed)   /* the changed columns (none: only the rows summary) */
        preview_of(l, v.text, rd->changed);
    flow_version_free(&v);
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* "word rest": true when line starts with the word (case-insensitive) followed by a space or its end */
static bool command(const char *line, const char *word, const char **rest)
{
    size_t n = strlen(word);
    if (strncasecmp(line, word, n) || (line[n] && !isspace((unsigned char)line[n])))
        return false;
    *rest = line + n;
    while (isspace((unsigned char)**rest))
        (*rest)++;
    return true;
}

/* A refusal the reviewer can act on is said, not fatal. */
static int refused(loop *l, mf_err *e)
{
    if (e->code != MF_EREFUSED && e->code != MF_ECONFLICT && e->code != MF_EUSAGE)
        return -1;
    fprintf(l->o, "%s\n", e->msg);
    if (strstr(e->msg, "open questions")) {
        fprintf(l->o, "(answer them with \"/answer N <text>\")\n");
        flow_version v;
        mf_err ve = {0};
        if (flow_review_current(l->c->env, l->c->review_id, &v, &ve) == 0) {
            show_questions(l, &v);
            flow_version_free(&v);
        }
    }
    mf_err_clear(e);
    return 0;
}

/* /accept N, /discard N: a model's suggestion taken (as the answer) or dropped; /accept, /discard
 * (or /accept edit): the model's pending edit for feedback. */
static int suggestion(loop *l, const char *rest, bool accept, mf_err *e)
{
    if (!*rest || !strcasecmp(rest, "edit")) {
        if (!l->shown) {   /* never one the person has not seen */
            flow_proposal pp;
            int got = flow_review_proposal(l->c->env, l->c->review_id, &pp, e);
            flow_proposal_free(&pp);
            if (got < 0)
                return refused(l, e);
            fprintf(l->o, "%s\n", got ? "a proposed edit is pending but has not been shown here: /show shows it"
                                      : "no edit proposed by a model is pending");
            return 0;
        }
        flow_round rd;
        int rc = accept ? flow_accept_proposal(l->c->env, l->c->review_id, l->shown, &rd, e)
                        : flow_discard_proposal(l->c->env, l->c->review_id, l->shown, &rd, e);
        l->shown = 0;
        if (rc < 0) {
            flow_round_free(&rd);
            return refused(l, e);
        }
        if (!rd.applied && *rd.understood)   /* discarded: nothing changed */
            fprintf(l->o, "%s\n", rd.understood);
        else
            rc = rendered_round(l, &rd, accept ? "accept" : "discard", e);
        flow_round_free(&rd);
        return rc;
    }
    char *end;
    long n = strtol(rest, &end, 10);
    if (end == rest || n < 1 || n > 100000) {
        fprintf(l->o, "%s needs the number of a question with a suggestion: /%s N\n", accept ? "accept" : "discard",
                accept ? "accept" : "discard");
        return 0;
    }
    flow_round rd;
    int rc = accept ? flow_accept_suggestion(l->c->env, l->c->review_id, (int)n, &rd, e)
                    : flow_discard_suggestion(l->c->env, l->c->review_id, (int)n, &rd, e);
    if (rc < 0) {
        flow_round_free(&rd);
        return refused(l, e);
    }
    rc = rendered_round(l, &rd, accept ? "accept" : "discard", e);
    flow_round_free(&rd);
    return rc;
}

static int answer(loop *l, const char *rest, mf_err *e)
{
    char *end;
    long n = strtol(rest, &end, 10);
    if (end == rest || n < 1 || n > 100000) {
        fprintf(l->o, "an answer needs a question number and the answer: /answer N <text>\n");
        return 0;
    }
    while (*end == '.' || *end == ':' || isspace((unsigned char)*end))
        end++;
    if (!*end) {
        fprintf(l->o, "an answer needs a text: /answer N <text>\n");
        return 0;
    }
    flow_round rd;
    int rc = flow_answer(l->c->env, l->c->review_id, (int)n, end, &rd, e);
    if (rc == 0)
        rc = rendered_round(l, &rd, end, e);
    flow_round_free(&rd);
    return rc;
}

/* /unlearn COLUMN: the rulebook entry that read COLUMN refused for this plan only. */
static int unlearn(loop *l, const char *rest, mf_err *e)
{
    if (!*rest) {
        fprintf(l->o, "/unlearn needs the column whose learned reading you refuse: /unlearn COLUMN\n");
        return 0;
    }
    flow_round rd;
    int rc = flow_unlearn(l->c->env, l->c->review_id, rest, &rd, e);
    if (rc < 0) {
        flow_round_free(&rd);
        return refused(l, e);
    }
    rc = rendered_round(l, &rd, "unlearn", e);
    flow_round_free(&rd);
    return rc;
}

/* One line: 1 when the review is decided, 0 to go on, -1 on failure. */
static int handle(loop *l, char *line, review_decision *d, mf_err *e)
{
    const flow_env *env = l->c->env;
    const char *rest;
    line = trim(line);
    if (!*line)
        return 0;
    if (*line == '/') {
        const char *cmd = line + 1;
        if (command(cmd, "approve", &rest)) {
            if (flow_approve(env, l->c->review_id, *rest ? rest : NULL, e) < 0)
                return refused(l, e);
            if (refresh(l, e) < 0)
                return -1;
            fprintf(l->o, "approved plan v%d (sha256 %s)%s%s\n", l->r.version, l->r.plan_sha256, *rest ? ": " : "",
                    rest);
            *d = REVIEW_APPROVED;
            return 1;
        }
        if (command(cmd, "reject", &rest)) {
            if (!*rest) {
                fprintf(l->o, "a rejection needs a comment: /reject <why>\n");
                return 0;
            }
            if (flow_reject(env, l->c->review_id, rest, e) < 0)
                return refused(l, e);
            fprintf(l->o, "rejected plan v%d (sha256 %s): %s\n", l->r.version, l->r.plan_sha256, rest);
            *d = REVIEW_REJECTED;
            return 1;
        }
        if (command(cmd, "quit", &rest) || command(cmd, "exit", &rest)) {
            if (flow_quit(env, l->c->review_id, e) < 0)
                return -1;
            *d = REVIEW_QUIT;
            return 1;
        }
        if (command(cmd, "answer", &rest))
            return answer(l, rest, e) < 0 ? -1 : 0;
        if (command(cmd, "accept", &rest))
            return suggestion(l, rest, true, e) < 0 ? -1 : 0;
        if (command(cmd, "discard", &rest))
            return suggestion(l, rest, false, e) < 0 ? -1 : 0;
        if (command(cmd, "unlearn", &rest))
            return unlearn(l, rest, e) < 0 ? -1 : 0;
        if (command(cmd, "show", &rest))
            return show(l, false, e) < 0 ? -1 : 0;
        if (command(cmd, "diff", &rest))
            return diff(l, e) < 0 ? -1 : 0;
        if (command(cmd, "help", &rest) || !strcmp(cmd, "?")) {
            help(l->o);
            return 0;
        }
        fprintf(l->o, "unknown command %s\n", line);
        help(l->o);
        return 0;
    }
    /* plain words that only look at the plan */
    if (!strcasecmp(line, "show"))
        return show(l, false, e) < 0 ? -1 : 0;
    if (!strcasecmp(line, "diff"))
        return diff(l, e) < 0 ? -1 : 0;
    if (!strcasecmp(line, "help") || !strcmp(line, "?")) {
        help(l->o);
        return 0;
    }
    /* a bare decision word is neither feedback nor a decision */
    if (!strcasecmp(line, "approve") || !strcasecmp(line, "reject") || !strcasecmp(line, "quit") ||
        !strcasecmp(line, "exit")) {
        fprintf(l->o, "decisions are commands: /approve [comment], /reject <comment>, /quit — nothing done\n");
        return 0;
    }
    if (command(line, "answer", &rest) && isdigit((unsigned char)*rest))
        return answer(l, rest, e) < 0 ? -1 : 0;
    if (command(line, "accept", &rest) && isdigit((unsigned char)*rest))
        return suggestion(l, rest, true, e) < 0 ? -1 : 0;
    if (command(line, "discard", &rest) && isdigit((unsigned char)*rest))
        return suggestion(l, rest, false, e) < 0 ? -1 : 0;
    flow_round rd;
    int rc = flow_feedback(env, l->c->review_id, line, &rd, e);
    if (rc == 0)
        rc = rendered_round(l, &rd, line, e);
    flow_round_free(&rd);
    return rc < 0 ? -1 : 0;
}

int review_run(const review_ctx *c, review_decision *d, mf_err *e)
{
    loop l = {.c = c, .o = c->out};
    memset(&l.r, 0, sizeof l.r);
    *d = REVIEW_QUIT;
    if (refresh(&l, e) < 0 || show(&l, true, e) < 0 || flow_review_seen(c->env, c->review_id, e) < 0) {
        flow_review_free(&l.r);
        return -1;
    }
    help(c->out);
    /* Ctrl-C at the prompt leaves the review (it stays open in the store): the read must return
     * instead of being restarted, so SIGINT is taken without SA_RESTART while the loop waits. */
    struct sigaction old, sa;
    bool swapped = false;
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
        sa = old;
        sa.sa_flags &= ~SA_RESTART;
        swapped = sigaction(SIGINT, &sa, NULL) == 0;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        fprintf(c->out, "review> ");
        fflush(c->out);
        errno = 0;
        if (mf_interrupted() || getline(&line, &cap, c->in) < 0) {
            if (errno == EINTR && !mf_interrupted()) {   /* another signal: read on */
                clearerr(c->in);
                continue;
            }
            fprintf(c->out, "\n");
            rc = flow_quit(c->env, c->review_id, e) < 0 ? -1 : 0;
            *d = REVIEW_QUIT;
            if (rc == 0 && mf_interrupted()) {
                fprintf(c->out, "interrupted: the review stays open; the same onboard resumes it\n");
                mf_interrupt_check(e);
                rc = -1;
            }
            break;
        }
        if (!isatty(fileno(c->in)))   /* a piped session reads like a terminal one */
            fprintf(c->out, "%s%s", line, strchr(line, '\n') ? "" : "\n");
        rc = handle(&l, line, d, e);
        fflush(c->out);
        if (rc != 0)
            break;
        if (refresh(&l, e) < 0) {
            rc = -1;
            break;
        }
    }
    if (swapped)
        (void)sigaction(SIGINT, &old, NULL);
    free(line);
    flow_review_free(&l.r);
    return rc < 0 ? -1 : 0;
}
