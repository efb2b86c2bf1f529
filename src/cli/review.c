/* review.c — the terminal review loop (see review.h).
 *
 * The loop holds one current version: its text (exactly what is shown, hashed and stored), the
 * plan parsed from that text, and the text of the version before it (for `diff`).  Feedback and
 * answers never edit the current plan: plan/feedback.c returns a new plan, which is rendered,
 * re-parsed and becomes the current version only when that succeeds — the reviewer always sees
 * the text that would run.
 *
 * The preview compiles a copy of the plan in which every hole is replaced by null (so the other
 * columns can be previewed while questions are open), runs the first rows of the data file
 * through the engine one record at a time, and prints per column the source values read and the
 * result, or the reason the row is rejected.
 */
#include "cli/review.h"

#include "flow/sample.h"
#include "flow/suggest.h"

#include "compile/program.h"
#include "engine/engine.h"
#include "plan/feedback.h"
#include "util/buf.h"
#include "util/date.h"
#include "util/decimal.h"
#include "util/diff.h"
#include "util/sha256.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREVIEW_ROWS 5

/* ---- store records ---------------------------------------------------------------------------- */

int review_audit(store *st, const char *actor, const char *event, const char *client, const char *subject,
                 mf_err *e, ...)
{
    if (!st)
        return 0;
    json_t *d = json_object();
    va_list ap;
    va_start(ap, e);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        json_object_set_new(d, k, v ? json_string(v) : json_null());
    }
    va_end(ap);
    char *details = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    int rc = store_audit_append(st, actor, event, client, subject, details, NULL, e);
    free(details);
    return rc;
}

int review_record_version(store *st, const char *client, const char *actor, const char *text,
                          const char *parent_sha256, const char *mapping_sha256, const char *event,
                          int *version_out, mf_err *e)
{
    if (!st)
        return 0;
    store_plan_version v = {0};
    if (store_plan_add(st, client, text, parent_sha256, mapping_sha256, actor, &v, e) < 0)
        return -1;
    int rc = 0;
    plan p;
    mf_err pe = {0};
    if (plan_parse(text, strlen(text), "plan", &p, &pe) == 0) {   /* its open questions */
        int items[256];
        int n = feedback_open_items(&p, items, 256);
        char *all = feedback_questions_text(&p);
        char *line = all;
        for (int i = 0; i < n && i < 256 && rc == 0 && line && *line; i++) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            while (*line == ' ')
                line++;
            rc = store_question_add(st, v.sha256, i + 1, line, e);
            line = nl ? nl + 1 : NULL;
        }
        free(all);
        plan_free(&p);
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", v.version);
    if (rc == 0)
        rc = review_audit(st, actor, event, client, v.sha256, e, "version", ver, "sha256", v.sha256, "parent_sha256",
                          parent_sha256 && *parent_sha256 ? parent_sha256 : NULL, "mapping_sha256",
                          mapping_sha256, (const char *)NULL);
    if (version_out)
        *version_out = v.version;
    store_plan_version_free(&v);
    return rc;
}

/* ---- values ----------------------------------------------------------------------------------- */

static void put_value(mf_buf *b, const eng_val *v)
{
    char tmp[64];
    switch (v->t) {
    case EV_NULL: mf_buf_adds(b, "null"); break;
    case EV_TEXT:
        mf_buf_addc(b, '"');
        mf_buf_add(b, v->u.s.p, v->u.s.n > 60 ? 60 : v->u.s.n);
        mf_buf_adds(b, v->u.s.n > 60 ? "...\"" : "\"");
        break;
    case EV_INT: mf_buf_printf(b, "%lld", (long long)v->u.i); break;
    case EV_DEC: mf_dec_format(eng_dec_of(v), tmp); mf_buf_adds(b, tmp); break;
    case EV_DATE: mf_date_format(v->u.days, tmp); mf_buf_adds(b, tmp); break;
    case EV_BOOL: mf_buf_adds(b, v->u.b ? "true" : "false"); break;
    default: mf_buf_adds(b, "?"); break;
    }
}

static void put_field(mf_buf *b, const csv_block *blk, size_t row, int k)
{
    if (k < 0 || (uint32_t)k >= blk->nfields[row]) {
        mf_buf_adds(b, "(none)");
        return;
    }
    const char *s = blk->fptr[blk->first[row] + (uint32_t)k];
    uint32_t n = blk->flen[blk->first[row] + (uint32_t)k];
    if (!n) {
        mf_buf_adds(b, "empty");
        return;
    }
    mf_buf_addc(b, '"');
    mf_buf_add(b, s, n > 40 ? 40 : n);
    mf_buf_adds(b, n > 40 ? "...\"" : "\"");
}

/* ---- the preview ------------------------------------------------------------------------------ */

static void collect_sources(const plan_expr *x, const char **names, int *n, int max)
{
    if (!x)
        return;
    if (x->kind == PE_SOURCE && x->name) {
        for (int i = 0; i < *n; i++)
            if (!strcmp(names[i], x->name))
                goto kids;
        if (*n < max)
            names[(*n)++] = x->name;
    }
kids:
    for (int i = 0; i < 3; i++)
        collect_sources(x->kid[i], names, n, max);
    if (x->kind == PE_STEP) {
        collect_sources(x->step.cond, names, n, max);
        collect_sources(x->step.value, names, n, max);
    }
}

/* Up to `want` rows of the block: the first ones, with the first rejected row (if any) shown too. */
static int pick_rows(eng_worker *w, const csv_block *b, size_t *rows, int want)
{
    int n = 0;
    size_t first_rej = (size_t)-1;
    for (size_t r = 0; r < b->nrows && (n < want || first_rej == (size_t)-1) && r < 2000; r++) {
        eng_fate f = eng_eval_record(w, b, r);
        if (n < want)
            rows[n++] = r;
        else if (f == ENG_REJECTED) {
            first_rej = r;
            rows[want - 1] = r;
        }
        if (f == ENG_REJECTED && first_rej == (size_t)-1)
            first_rej = r;
    }
    return n;
}

static void preview_columns(FILE *out, const plan *p, const char *data_path, int want, const bool *only);

/* What the plan does to the first block of the file: fates, and the first reject reasons. */
static void summarize(FILE *out, eng_worker *w, const csv_block *b)
{
    long long n[3] = {0, 0, 0};
    int shown = 0;
    mf_buf reasons = {0};
    for (size_t r = 0; r < b->nrows; r++) {
        eng_fate f = eng_eval_record(w, b, r);
        n[f]++;
        if (f == ENG_REJECTED && shown < 3) {
            mf_buf_printf(&reasons, "    line %ld rejected: %s\n", b->line[r], eng_worker_reason(w));
            shown++;
        }
    }
    fprintf(out, "  rows: of the first %zu, %lld out, %lld rejected, %lld filtered\n%s", b->nrows, n[ENG_OUTPUT],
            n[ENG_REJECTED], n[ENG_FILTERED], mf_buf_str(&reasons));
    mf_buf_free(&reasons);
}

void review_preview(FILE *out, const plan *p, const char *data_path, int want)
{
    preview_columns(out, p, data_path, want, NULL);
}

/* The preview of the columns marked in `only` (NULL = all). */
static void preview_columns(FILE *out, const plan *p, const char *data_path, int want, const bool *only)
{
    mf_err e = {0};
    plan q;
    if (want <= 0 || want > 20)
        want = PREVIEW_ROWS;
    if (!data_path) {
        fprintf(out, "preview: no data file\n");
        return;
    }
    if (flow_runnable_copy(p, &q, &e) < 0) {
        char m[1200];
        mf_err_format(&e, m, sizeof m);
        fprintf(out, "preview: not available (%s)\n", m);
        return;
    }
    csv_dialect d = {0};
    d.delimiter = q.source.delimiter;
    d.quote = q.source.quote;
    d.encoding = q.source.encoding;
    d.header_line = q.source.header_line;
    csv_reader *rd = csv_open(data_path, &d, &e);
    eng_program *g = NULL;
    eng_worker *w = NULL;
    csv_block b;
    csv_block_init(&b);
    const char *const *hdr = NULL;
    int nh = 0;
    if (rd)
        nh = csv_header(rd, &hdr);
    if (!rd || plan_check(&q, hdr, nh, "plan", &e) < 0 || !(g = eng_compile(&q, hdr, nh, "plan", &e)) ||
        csv_read_block(rd, &b, &e) < 0) {
        char m[1200];
        mf_err_format(&e, m, sizeof m);
        fprintf(out, "preview: not available (%s)\n", m);
        goto done;
    }
    w = eng_worker_new(g);
    size_t rows[20];
    int n = pick_rows(w, &b, rows, want);
    fprintf(out, "preview (%d sample row%s of %s, before -> after):\n", n, n == 1 ? "" : "s", data_path);
    mf_buf line = {0};
    for (int c = 0; c < p->ncols; c++) {
        if (only && !only[c])
            continue;
        fprintf(out, "  %s%s\n", p->cols[c].name, plan_expr_has_hole(p->cols[c].expr) ? "   (open question: ?)" : "");
        const char *names[8];
        int ns = 0;
        collect_sources(q.cols[c].expr, names, &ns, 8);
        for (int i = 0; i < n; i++) {
            size_t r = rows[i];
            eng_fate f = eng_eval_record(w, &b, r);
            mf_buf_clear(&line);
            mf_buf_printf(&line, "    line %ld: ", b.line[r]);
            for (int k = 0; k < ns; k++) {
                int fi = -1;
                for (int h = 0; h < nh; h++)
                    if (!strcmp(hdr[h], names[k]))
                        fi = h;
                mf_buf_printf(&line, "%s[%s] ", k ? ", " : "", names[k]);
                put_field(&line, &b, r, fi);
            }
            mf_buf_adds(&line, ns ? " -> " : "-> ");
            if (f == ENG_OUTPUT) {
                put_value(&line, &eng_worker_values(w)[c]);
            } else if (f == ENG_FILTERED) {
                mf_buf_adds(&line, "(filtered by a skip rule)");
            } else {
                int rc = eng_worker_reject_col(w);
                if (rc == c || rc < 0)
                    mf_buf_printf(&line, "rejected: %s", eng_worker_reason(w));
                else if (rc < c)
                    mf_buf_printf(&line, "(row rejected at %s)", p->cols[rc].name);
                else
                    mf_buf_printf(&line, "(row rejected at %s: %s)", p->cols[rc].name, eng_worker_reason(w));
            }
            fprintf(out, "%s\n", mf_buf_str(&line));
        }
    }
    mf_buf_free(&line);
    summarize(out, w, &b);
done:
    csv_block_free(&b);
    eng_worker_free(w);
    eng_program_free(g);
    csv_close(rd);
    plan_free(&q);
}

/* ---- the loop --------------------------------------------------------------------------------- */

typedef struct session {
    const review_ctx *c;
    char *text, *prev_text;       /* current and previous version */
    char sha[65];
    plan p;                       /* parsed from text */
    char *last_diff;
    int rounds;
} session;

static void show_questions(session *s)
{
    char *q = feedback_questions_text(&s->p);
    if (*q)
        fprintf(s->c->out, "open questions:\n%s", q);
    else
        fprintf(s->c->out, "open questions: none\n");
    free(q);
}

static void show(session *s)
{
    FILE *o = s->c->out;
    fprintf(o, "\n== plan %s v%d (sha256 %.12s) ==\n%s\n", s->p.client ? s->p.client : "", s->p.version, s->sha,
            s->text);
    show_questions(s);
    review_preview(o, &s->p, s->c->data_path, PREVIEW_ROWS);
}

static void help(FILE *o)
{
    fprintf(o, "commands: approve [comment] | reject <comment> | answer N <text> | accept N | discard N | show | diff | "
               "quit | help\n"
               "anything else is feedback, e.g. \"add validation for negative values on AMOUNT\", \"default "
               "currency to USD\", \"take T_DATE from Value Date instead\", \"make AMOUNT required\"\n");
}

/* After a round: the preview of the columns whose expression or type changed (all of them when
 * the rules changed, since a rule can reject any row). */
static void preview_changes(session *s, const plan *prev)
{
    bool *only = mf_xcalloc((size_t)s->p.ncols + 1, sizeof *only);
    bool rules_changed = prev->nrules != s->p.nrules, any = false;
    for (int i = 0; i < s->p.nrules && !rules_changed; i++) {
        char *a = plan_render_expr(prev->rules[i].cond), *b = plan_render_expr(s->p.rules[i].cond);
        rules_changed = strcmp(a, b) != 0 || prev->rules[i].kind != s->p.rules[i].kind;
        free(a);
        free(b);
    }
    for (int i = 0; i < s->p.ncols; i++) {
        const plan_column *c = &s->p.cols[i];
        int k = -1;
        for (int j = 0; j < prev->ncols; j++)
            if (!strcmp(prev->cols[j].name, c->name))
                k = j;
        if (k < 0) {
            only[i] = true;
        } else {
            char *a = plan_render_expr(prev->cols[k].expr), *b = plan_render_expr(c->expr);
            only[i] = strcmp(a, b) != 0 || prev->cols[k].required != c->required;
            free(a);
            free(b);
        }
        any |= only[i];
    }
    if (any || rules_changed)   /* the changed columns (none: only the rows summary) */
        preview_columns(s->c->out, &s->p, s->c->data_path, PREVIEW_ROWS, only);
    free(only);
}

/* Make `np` the current version: render, re-parse, record, print the diff. */
static int adopt(session *s, plan *np, const char *what, mf_err *e)
{
    char *text = plan_render(np);
    plan q;
    if (plan_parse(text, strlen(text), "plan", &q, e) < 0) {
        free(text);
        return -1;
    }
    const review_ctx *c = s->c;
    char sha[65];
    mf_sha256_hex(text, strlen(text), sha);
    if (review_record_version(c->st, c->client, c->actor, text, s->sha, c->mapping_sha256, "plan_version", NULL, e) <
        0) {
        plan_free(&q);
        free(text);
        return -1;
    }
    char la[64], lb[64];
    snprintf(la, sizeof la, "plan v%d", s->p.version);
    snprintf(lb, sizeof lb, "plan v%d", q.version);
    free(s->last_diff);
    s->last_diff = mf_diff_unified(s->text, text, la, lb, 2);
    free(s->prev_text);
    s->prev_text = s->text;
    s->text = text;
    memcpy(s->sha, sha, sizeof sha);
    plan *prev = mf_xmalloc(sizeof *prev);
    *prev = s->p;
    s->p = q;
    s->rounds++;
    fprintf(c->out, "%s\nnew version: plan v%d (sha256 %.12s)\n%s", what, s->p.version, s->sha, s->last_diff);
    show_questions(s);
    preview_changes(s, prev);
    plan_free(prev);
    free(prev);
    return 0;
}

static fb_context fb_ctx(const session *s, const char *const **hdr_keep, csv_reader **rd)
{
    fb_context f = {NULL, 0, s->c->pr, s->c->m};
    *rd = NULL;
    if (s->c->data_path) {
        csv_dialect d = {0};
        d.delimiter = s->p.source.delimiter;
        d.quote = s->p.source.quote;
        d.encoding = s->p.source.encoding;
        d.header_line = s->p.source.header_line;
        mf_err e = {0};
        *rd = csv_open(s->c->data_path, &d, &e);
        if (*rd) {
            f.nheader = csv_header(*rd, hdr_keep);
            f.header = *hdr_keep;
        }
    }
    return f;
}

/* Feedback (n == 0) or an answer to question n. */
static int round_of(session *s, const char *text, int n, mf_err *e)
{
    const review_ctx *c = s->c;
    const char *const *hdr = NULL;
    csv_reader *rd;
    fb_context f = fb_ctx(s, &hdr, &rd);
    plan np;
    fb_result r;
    int rc = n ? feedback_answer(&s->p, n, text, &f, &np, &r, e) : feedback_apply(&s->p, text, &f, &np, &r, e);
    csv_close(rd);
    if (rc < 0) {
        fb_result_free(&r);
        return -1;
    }
    int out = 0;
    if (c->st && !n && store_feedback_add(c->st, s->sha, text, r.understood, r.not_understood, c->actor, e) < 0)
        out = -1;
    if (out == 0 && c->st)
        out = n ? 0
                : review_audit(c->st, c->actor, "feedback", c->client, s->sha, e, "text", text, "understood",
                               r.understood, "not_understood", r.not_understood, "applied", rc == 1 ? "yes" : "no",
                               (const char *)NULL);
    if (out == 0 && rc == 1) {
        char num[16];
        snprintf(num, sizeof num, "%d", n);
        if (n && c->st &&
            (store_question_answer(c->st, s->sha, n, text, c->actor, e) < 0 ||
             review_audit(c->st, c->actor, "question_answered", c->client, s->sha, e, "question", num, "answer", text,
                          (const char *)NULL) < 0))
            out = -1;
        char what[2048];
        snprintf(what, sizeof what, "understood: %s", r.understood);
        if (out == 0)
            out = adopt(s, &np, what, e);
        plan_free(&np);
    } else if (out == 0) {
        fprintf(c->out, "not applied (no new version) — understood: %s; not understood: %s\n",
                *r.understood ? r.understood : "nothing", r.not_understood);
    }
    fb_result_free(&r);
    return out;
}

/* accept N / discard N: a model's suggestion for open item n taken (as the answer, audited as the
 * reviewer's approval of the model's text) or dropped. */
static int suggestion_round(session *s, int n, bool accept, mf_err *e)
{
    const review_ctx *c = s->c;
    const plan_suggestion *g = flow_suggestion_for(&s->p, n);
    char expr[2100] = "";
    if (g)
        snprintf(expr, sizeof expr, "%s", g->expr);
    plan np;
    char why[2048];
    int rc;
    if (accept) {
        const char *const *hdr = NULL;
        csv_reader *rd;
        fb_context f = fb_ctx(s, &hdr, &rd);
        rc = flow_accept_suggestion(&s->p, n, f.header, f.nheader, c->m, c->pr, c->st, c->client, c->actor, s->sha,
                                    &np, why, sizeof why, e);
        csv_close(rd);
    } else {
        rc = flow_discard_suggestion(&s->p, n, &np, why, sizeof why, e);
    }
    if (rc < 0)
        return -1;
    if (rc == 0) {
        fprintf(c->out, "not applied (no new version): %s\n", why);
        plan_free(&np);
        return 0;
    }
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    if (accept && c->st &&
        (store_question_answer(c->st, s->sha, n, expr, c->actor, e) < 0 ||
         review_audit(c->st, c->actor, "question_answered", c->client, s->sha, e, "question", num, "answer", expr,
                      "from", "accepted suggestion", (const char *)NULL) < 0)) {
        plan_free(&np);
        return -1;
    }
    if (!accept && c->st &&
        review_audit(c->st, c->actor, "suggestion_discarded", c->client, s->sha, e, "question", num, "expression",
                     expr, (const char *)NULL) < 0) {
        plan_free(&np);
        return -1;
    }
    char what[2300];
    snprintf(what, sizeof what, "%s: %s", accept ? "accepted the suggestion" : "discarded", why);
    rc = adopt(s, &np, what, e);
    plan_free(&np);
    return rc;
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

/* "word rest": true when line starts with the command word (case-insensitive) */
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

static int decide(session *s, review_result *r, review_decision d, const char *comment, mf_err *e)
{
    const review_ctx *c = s->c;
    if (c->st) {
        if (store_approval_add(c->st, c->client, s->sha, d == REVIEW_APPROVED ? "approved" : "rejected", comment,
                               c->actor, e) < 0 ||
            review_audit(c->st, c->actor, d == REVIEW_APPROVED ? "approval" : "rejection", c->client, s->sha, e,
                         "sha256", s->sha, "comment", comment && *comment ? comment : NULL, (const char *)NULL) < 0)
            return -1;
    }
    r->decision = d;
    r->comment = comment && *comment ? mf_xstrdup(comment) : NULL;
    fprintf(c->out, "%s plan v%d (sha256 %s)%s%s\n", d == REVIEW_APPROVED ? "approved" : "rejected", s->p.version,
            s->sha, comment && *comment ? ": " : "", comment ? comment : "");
    return 1;
}

/* One command line: 1 when the review is decided, 0 to go on, -1 on failure. */
static int handle(session *s, char *line, review_result *r, mf_err *e)
{
    FILE *o = s->c->out;
    const char *rest;
    line = trim(line);
    if (!*line)
        return 0;
    if (command(line, "approve", &rest)) {
        if (plan_has_open_questions(&s->p)) {
            fprintf(o, "cannot approve plan v%d: it has open questions (answer them with \"answer N <text>\"):\n",
                    s->p.version);
            show_questions(s);
            return 0;
        }
        return decide(s, r, REVIEW_APPROVED, rest, e);
    }
    if (command(line, "reject", &rest)) {
        if (!*rest) {
            fprintf(o, "reject needs a comment: reject <why>\n");
            return 0;
        }
        return decide(s, r, REVIEW_REJECTED, rest, e);
    }
    if (command(line, "quit", &rest) || command(line, "exit", &rest)) {
        r->decision = REVIEW_QUIT;
        return 1;
    }
    if (command(line, "show", &rest)) {
        show(s);
        return 0;
    }
    if (command(line, "diff", &rest)) {
        fprintf(o, "%s", s->last_diff && *s->last_diff ? s->last_diff : "no changes in this review yet\n");
        return 0;
    }
    if (command(line, "help", &rest) || !strcmp(line, "?")) {
        help(o);
        return 0;
    }
    if (command(line, "accept", &rest) || command(line, "discard", &rest)) {
        bool accept = !strncasecmp(line, "accept", 6);
        char *end;
        long n = strtol(rest, &end, 10);
        if (end == rest || n < 1 || n > 100000) {
            fprintf(o, "%s needs the number of a question with a suggestion: %s N\n", accept ? "accept" : "discard",
                    accept ? "accept" : "discard");
            return 0;
        }
        return suggestion_round(s, (int)n, accept, e) < 0 ? -1 : 0;
    }
    if (command(line, "answer", &rest)) {
        char *end;
        long n = strtol(rest, &end, 10);
        if (end == rest || n < 1 || n > 100000) {
            fprintf(o, "answer needs a question number and the answer: answer N <text>\n");
            return 0;
        }
        while (*end == '.' || *end == ':' || isspace((unsigned char)*end))
            end++;
        return round_of(s, end, (int)n, e) < 0 ? -1 : 0;
    }
    return round_of(s, line, 0, e) < 0 ? -1 : 0;
}

int review_run(const review_ctx *c, const char *text, review_result *r, mf_err *e)
{
    memset(r, 0, sizeof *r);
    session s = {.c = c};
    if (plan_parse(text, strlen(text), "plan", &s.p, e) < 0)
        return -1;
    s.text = mf_xstrdup(text);
    mf_sha256_hex(text, strlen(text), s.sha);
    if (c->findings && *c->findings)
        fprintf(c->out, "the last run of this plan failed validation; findings:\n%s\n", c->findings);
    show(&s);
    help(c->out);
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        fprintf(c->out, "review> ");
        fflush(c->out);
        if (getline(&line, &cap, c->in) < 0) {
            fprintf(c->out, "\n");
            r->decision = REVIEW_QUIT;
            break;
        }
        if (!isatty(fileno(c->in)))   /* a piped session reads like a terminal one */
            fprintf(c->out, "%s%s", line, strchr(line, '\n') ? "" : "\n");
        rc = handle(&s, line, r, e);
        fflush(c->out);
        if (rc != 0)
            break;
    }
    free(line);
    r->text = s.text;
    memcpy(r->sha256, s.sha, sizeof s.sha);
    r->rounds = s.rounds;
    free(s.prev_text);
    free(s.last_diff);
    plan_free(&s.p);
    if (rc < 0) {
        review_result_free(r);
        return -1;
    }
    return 0;
}

void review_result_free(review_result *r)
{
    free(r->text);
    free(r->comment);
    r->text = r->comment = NULL;
}
