/* pages.c — the web app's pages and actions: dashboard, clients, a client, the review (plan) page,
 * runs, a run, the cache, the audit trail; the POST actions answer, feedback, approve, reject, run.
 *
 * Invariants: every action goes through the workflow stage (src/flow/flow.h) with the signed-in
 * user as the actor — an approval here is the same event as one in the terminal; a role too weak
 * for an action, and a refusal by the workflow (open questions, four-eyes), is answered 403 and
 * recorded as a "denied" audit event; every outside text (plan text, rule texts, data values,
 * names, comments) reaches the page through html_esc; the only files read are the data file a
 * review names (its profile and preview) and a run's rejects file under the directory this server
 * made for it.
 */
#include "flow/flow.h"
#include "read/csv.h"
#include "read/profile.h"
#include "serve/jobs.h"
#include "serve/serve_internal.h"
#include "util/diff.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define E(s) html_esc(b, (s))
#define P(...) html_printf(b, __VA_ARGS__)

/* ---- the flow environment of a request ------------------------------------------------------------ */

typedef struct said {
    mf_buf text;
} said;

static void sink(void *user, flow_level level, const char *message)
{
    said *s = user;
    mf_buf_printf(&s->text, "%s%s", level == FLOW_WARN ? "! " : "", message);
    mf_buf_addc(&s->text, '\n');
}

static void env_of(serve_state *s, const serve_req *r, flow_env *env, said *sd)
{
    memset(env, 0, sizeof *env);
    env->st = s->st;
    env->actor = r->user;
    env->home = s->cfg.home;
    env->four_eyes = s->cfg.four_eyes;
    env->sink = sink;
    env->sink_user = sd;
    env->llm = s->cfg.llm;
    env->model_wait = serve_model_wait;   /* the store lock let go while the model answers */
}

static long long num_arg(const char *v)
{
    if (!v || !*v)
        return 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end || n < 0 ? 0 : n;
}

static void store_error(serve_resp *o, const serve_req *r, const mf_err *e)
{
    char msg[1200];
    mf_err_format(e, msg, sizeof msg);
    html_error_page(o, r, e->code == MF_ENOTFOUND ? 404 : 500, msg);
}

static void state_badge(mf_buf *b, const char *state)
{
    P("<span class=\"status-");
    E(state);
    P("\">");
    E(state);
    P("</span>");
}

static void review_link(mf_buf *b, long long id, const char *label)
{
    P("<a href=\"/review?id=%lld\">", id);
    E(label);
    P("</a>");
}

static void client_link(mf_buf *b, const char *client)
{
    P("<a href=\"/client?name=");
    html_url(b, client);
    P("\">");
    E(client);
    P("</a>");
}

/* ---- tables shared by several pages ------------------------------------------------------------------ */

static void reviews_table(mf_buf *b, const flow_review *rv, int n, const char *id)
{
    if (!n) {
        P("<p class=\"muted\">None.</p>");
        return;
    }
    P("<table id=\"%s\"><tr><th>Review</th><th>Client</th><th>State</th><th>Version</th><th>Author</th>"
      "<th>Updated</th></tr>", id);
    for (int i = 0; i < n; i++) {
        char label[64];
        snprintf(label, sizeof label, "#%lld", rv[i].id);
        P("<tr><td>");
        review_link(b, rv[i].id, label);
        P("</td><td>");
        client_link(b, rv[i].client);
        P("</td><td>");
        state_badge(b, flow_state_name(rv[i].state));
        P("</td><td>v%d</td><td>", rv[i].version);
        E(rv[i].author && *rv[i].author ? rv[i].author : rv[i].opened_by);
        P("</td><td>");
        E(rv[i].updated_at);
        P("</td></tr>");
    }
    P("</table>");
}

static void runs_table(mf_buf *b, const flow_run_info *ru, int n)
{
    if (!n) {
        P("<p class=\"muted\">No runs.</p>");
        return;
    }
    P("<table id=\"runs\"><tr><th>Run</th><th>Client</th><th>State</th><th>Rows in</th><th>Out</th><th>Rejected</th>"
      "<th>Filtered</th><th>Started</th><th>By</th></tr>");
    for (int i = 0; i < n; i++) {
        P("<tr><td><a href=\"/run?id=%lld\">#%lld</a></td><td>", ru[i].id, ru[i].id);
        client_link(b, ru[i].client);
        P("</td><td>");
        state_badge(b, flow_state_name(ru[i].state));
        P("</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td><td>", ru[i].rows_in, ru[i].rows_out,
          ru[i].rows_rejected, ru[i].rows_filtered);
        E(ru[i].started_at);
        P("</td><td>");
        E(ru[i].actor);
        P("</td></tr>");
    }
    P("</table>");
}

static void cache_table(mf_buf *b, const store_cache_entry *c, int n)
{
    if (!n) {
        P("<p class=\"muted\">No cache entries.</p>");
        return;
    }
    P("<table id=\"cache\"><tr><th>Key</th><th>Client</th><th>Plan</th><th>Status</th><th>Runs</th><th>Last run</th>"
      "<th>Created</th><th>Expires</th></tr>");
    for (int i = 0; i < n; i++) {
        P("<tr><td><code>%.12s</code></td><td>", c[i].key);
        client_link(b, c[i].client);
        P("</td><td><a href=\"/plan?client=");
        html_url(b, c[i].client);
        P("&amp;sha=%.64s\"><code>%.12s</code></a></td><td>", c[i].plan_sha256, c[i].plan_sha256);
        E(c[i].status);
        if (c[i].invalidated_reason) {
            P(": ");
            E(c[i].invalidated_reason);
        }
        P("</td><td>%lld</td><td>%s</td><td>", c[i].execution_count,
          c[i].last_run_success < 0 ? "never" : c[i].last_run_success ? "ok" : "failed");
        E(c[i].created_at);
        P("</td><td>");
        E(c[i].expires_at);
        P("</td></tr>");
    }
    P("</table>");
}

/* ---- dashboard, clients, client ---------------------------------------------------------------------- */

static int page_dashboard(serve_state *s, serve_req *r, serve_resp *o)
{
    mf_buf *b = &o->body;
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    flow_review *rv = NULL, *rv2 = NULL;
    int nrv = 0, nrv2 = 0, nru = 0;
    flow_run_info *ru = NULL;
    if (flow_review_list(&env, NULL, FLOW_IN_REVIEW, &rv, &nrv, &e) < 0 ||
        flow_review_list(&env, NULL, FLOW_DRAFTED, &rv2, &nrv2, &e) < 0 || flow_run_list(&env, NULL, &ru, &nru, &e) < 0) {
        flow_reviews_free(rv, nrv);
        flow_reviews_free(rv2, nrv2);
        store_error(o, r, &e);
        mf_buf_free(&sd.text);
        return 1;
    }
    html_begin(b, r, "Dashboard");
    P("<h1>Dashboard</h1><h2>Notifications</h2><div id=\"notifications\">");
    int nn = jobs_notifications_html(b);
    for (int i = 0; i < nrv2 + nrv; i++) {
        const flow_review *x = i < nrv2 ? &rv2[i] : &rv[i - nrv2];
        P("<p class=\"notice\">Review ");
        char label[64];
        snprintf(label, sizeof label, "#%lld", x->id);
        review_link(b, x->id, label);
        P(" of ");
        E(x->client);
        P(" waits (%s, v%d).</p>", flow_state_name(x->state), x->version);
        nn++;
    }
    for (int i = 0; i < nru && i < 10; i++)
        if (ru[i].state == FLOW_FAILED) {
            P("<p class=\"notice\">Run <a href=\"/run?id=%lld\">#%lld</a> of ", ru[i].id, ru[i].id);
            E(ru[i].client);
            P(" failed (");
            E(ru[i].status);
            P(").</p>");
            nn++;
        }
    if (!nn)
        P("<p class=\"muted\">Nothing waits for you.</p>");
    P("</div><h2>Open reviews</h2>");
    if (r->role >= ROLE_REVIEWER)
        P("<p><a href=\"/new\" id=\"new-review\">Start a review</a> from a mapping and a data file.</p>");
    /* drafted and in review together, newest first as listed */
    flow_review *all = mf_xcalloc((size_t)(nrv + nrv2 + 1), sizeof *all);
    if (nrv2)
        memcpy(all, rv2, (size_t)nrv2 * sizeof *all);
    if (nrv)
        memcpy(all + nrv2, rv, (size_t)nrv * sizeof *all);
    reviews_table(b, all, nrv + nrv2, "open-reviews");
    free(all);
    P("<h2>Recent runs</h2>");
    runs_table(b, ru, nru < 20 ? nru : 20);
    html_end(b);
    flow_reviews_free(rv, nrv);
    flow_reviews_free(rv2, nrv2);
    flow_run_infos_free(ru, nru);
    mf_buf_free(&sd.text);
    return 1;
}

static int page_clients(serve_state *s, serve_req *r, serve_resp *o)
{
    mf_buf *b = &o->body;
    char **names = NULL;
    int n = 0;
    mf_err e;
    mf_err_clear(&e);
    if (store_client_list(s->st, &names, &n, &e) < 0) {
        store_error(o, r, &e);
        return 1;
    }
    html_begin(b, r, "Clients");
    P("<h1>Clients</h1>");
    if (!n)
        P("<p class=\"muted\">No clients yet: onboard one with <code>mapforge onboard</code>.</p>");
    P("<ul id=\"clients\">");
    for (int i = 0; i < n; i++) {
        P("<li>");
        client_link(b, names[i]);
        P("</li>");
        free(names[i]);
    }
    free(names);
    P("</ul>");
    html_end(b);
    return 1;
}

static int page_client(serve_state *s, serve_req *r, serve_resp *o)
{
    const char *client = serve_query(r, "name");
    if (!client || !*client)
        return 0;
    mf_buf *b = &o->body;
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    flow_review *rv = NULL;
    flow_run_info *ru = NULL;
    store_plan_version *pv = NULL;
    store_cache_entry *ce = NULL;
    int nrv = 0, nru = 0, npv = 0, nce = 0;
    int ok = flow_review_list(&env, client, FLOW_NONE, &rv, &nrv, &e) == 0 &&
             flow_run_list(&env, client, &ru, &nru, &e) == 0 && store_plan_list(s->st, client, &pv, &npv, &e) == 0 &&
             store_cache_list(s->st, client, &ce, &nce, &e) == 0;
    if (ok) {
        html_begin(b, r, client);
        P("<h1>Client ");
        E(client);
        P("</h1><h2>Reviews</h2>");
        reviews_table(b, rv, nrv, "reviews");
        P("<h2>Plan versions</h2>");
        if (!npv)
            P("<p class=\"muted\">None.</p>");
        else {
            P("<table id=\"versions\"><tr><th>Version</th><th>Status</th><th>SHA-256</th><th>By</th><th>Created</th></tr>");
            for (int i = npv - 1; i >= 0; i--) {
                P("<tr><td><a href=\"/plan?client=");
                html_url(b, client);
                P("&amp;sha=%.64s\">v%d</a></td><td>", pv[i].sha256, pv[i].version);
                state_badge(b, pv[i].status);
                P("</td><td><code>%.12s</code></td><td>", pv[i].sha256);
                E(pv[i].actor);
                P("</td><td>");
                E(pv[i].created_at);
                P("</td></tr>");
            }
            P("</table>");
        }
        P("<h2>Runs</h2>");
        runs_table(b, ru, nru);
        P("<h2>Cache entries</h2>");
        cache_table(b, ce, nce);
        P("<p><a href=\"/audit?client=");
        html_url(b, client);
        P("\">Audit trail of this client</a></p>");
        html_end(b);
    } else
        store_error(o, r, &e);
    flow_reviews_free(rv, nrv);
    flow_run_infos_free(ru, nru);
    store_plan_versions_free(pv, npv);
    store_cache_entries_free(ce, nce);
    mf_buf_free(&sd.text);
    return 1;
}

static int page_plan(serve_state *s, serve_req *r, serve_resp *o)
{
    const char *client = serve_query(r, "client"), *sha = serve_query(r, "sha");
    if (!client || !sha)
        return 0;
    store_plan_version v;
    mf_err e;
    mf_err_clear(&e);
    int found = store_plan_get(s->st, client, sha, &v, &e);
    if (found < 0) {
        store_error(o, r, &e);
        return 1;
    }
    if (!found)
        return 0;
    mf_buf *b = &o->body;
    html_begin(b, r, "Plan");
    P("<h1>");
    E(client);
    P(" — plan v%d</h1><p>Status ", v.version);
    state_badge(b, v.status);
    P(", by ");
    E(v.actor);
    P(" at ");
    E(v.created_at);
    P(", SHA-256 <code>%.64s</code></p><pre id=\"plan-text\">", v.sha256);
    E(v.text);
    P("</pre>");
    if (v.findings) {
        P("<h2>Validation findings</h2><pre id=\"findings\">");
        E(v.findings);
        P("</pre>");
    }
    html_end(b);
    store_plan_version_free(&v);
    return 1;
}

/* ---- the review (plan) page --------------------------------------------------------------------------- */

/* A side-by-side diff of a → b from the unified diff: context lines on both sides, a block of
 * removed lines paired row by row with the block of added lines after it. */
static void side_by_side(mf_buf *b, const char *a, const char *bt, int va, int vb)
{
    char *u = mf_diff_unified(a, bt, "a", "b", 2);
    P("<table class=\"diff\" id=\"diff\"><tr><th>v%d</th><th>v%d</th></tr>", va, vb);
    typedef struct {
        char t;
        const char *s;
        size_t n;
    } line;
    line *L = NULL;
    int nl = 0, skip = 2;   /* the "--- a" and "+++ b" headers */
    for (const char *p = u ? u : ""; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (skip > 0 && len >= 4 && (!strncmp(p, "--- ", 4) || !strncmp(p, "+++ ", 4)))
            skip--;
        else if (len) {
            L = mf_xrealloc(L, (size_t)(nl + 1) * sizeof *L);
            L[nl++] = (line){p[0], p + 1, len - 1};
        }
        p += len + (end != NULL);
    }
    if (!nl)
        P("<tr><td colspan=\"2\" class=\"muted\">The same text.</td></tr>");
    for (int i = 0; i < nl;) {
        if (L[i].t == '-' || L[i].t == '+') {
            int d0 = i;
            while (i < nl && L[i].t == '-')
                i++;
            int d1 = i, a0 = i;
            while (i < nl && L[i].t == '+')
                i++;
            int nd = d1 - d0, na = i - a0, rows = nd > na ? nd : na;
            for (int k = 0; k < rows; k++) {
                P("<tr><td class=\"%s\">", k < nd ? "del" : "");
                if (k < nd)
                    html_escn(b, L[d0 + k].s, L[d0 + k].n);
                P("</td><td class=\"%s\">", k < na ? "add" : "");
                if (k < na)
                    html_escn(b, L[a0 + k].s, L[a0 + k].n);
                P("</td></tr>");
            }
            continue;
        }
        if (L[i].t == '@')
            P("<tr><td colspan=\"2\" class=\"muted\">…</td></tr>");
        else {
            P("<tr><td>");
            html_escn(b, L[i].s, L[i].n);
            P("</td><td>");
            html_escn(b, L[i].s, L[i].n);
            P("</td></tr>");
        }
        i++;
    }
    P("</table>");
    free(L);
    free(u);
}

/* A small bar chart of a source column's profile: blanks, null tokens, the most frequent values. */
static void profile_svg(mf_buf *b, const prof_column *c)
{
    typedef struct {
        const char *v;
        long n;
    } vc;
    vc top[6];
    int ntop = 0;
    long nonblank = 0;
    for (long i = 0; i < c->nsample; i++) {
        const char *v = c->sample[i];
        if (!v || !*v)
            continue;
        nonblank++;
        int k = 0;
        while (k < ntop && strcmp(top[k].v, v))
            k++;
        if (k < ntop)
            top[k].n++;
        else if (ntop < 6)
            top[ntop++] = (vc){v, 1};
    }
    for (int i = 1; i < ntop; i++)   /* most frequent first */
        for (int j = i; j > 0 && top[j].n > top[j - 1].n; j--) {
            vc t = top[j];
            top[j] = top[j - 1];
            top[j - 1] = t;
        }
    long total = c->nvalues > 0 ? c->nvalues : 1;
    int rows = 2 + ntop;
    P("<svg class=\"chart\" width=\"360\" height=\"%d\" viewBox=\"0 0 360 %d\" role=\"img\"><title>", 20 * rows + 24,
      20 * rows + 24);
    E(c->name);
    P("</title><text x=\"4\" y=\"14\" font-size=\"12\" font-weight=\"bold\">");
    E(c->name);
    P(" (%s", prof_kind_name(c->kind));
    for (int i = 0; i < c->ndate_formats; i++) {
        P(i ? ", " : ": ");
        E(c->date_formats[i]);
    }
    P(")</text>");
    for (int i = 0; i < rows; i++) {
        long n = i == 0 ? c->nblank : i == 1 ? c->nnull_token : top[i - 2].n;
        double w = 200.0 * (double)n / (double)total;
        int y = 24 + 20 * i;
        P("<rect x=\"150\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"%s\"/><text x=\"4\" y=\"%d\" font-size=\"11\">",
          y, w, i < 2 ? "#c77" : "#47a", y + 11);
        if (i == 0)
            P("blank");
        else if (i == 1)
            P("null tokens");
        else {
            char v[24];
            snprintf(v, sizeof v, "%.20s", top[i - 2].v);
            E(v);
        }
        P("</text><text x=\"%.0f\" y=\"%d\" font-size=\"11\">%ld</text>", 154 + w, y + 11, n);
    }
    P("</svg>");
    (void)nonblank;
}

static void preview_html(mf_buf *b, const char *text, const char *data_path, const bool *only)
{
    plan p;
    mf_err e;
    mf_err_clear(&e);
    if (plan_parse(text, strlen(text), "plan", &p, &e) < 0) {
        P("<p class=\"muted\">No preview: the plan does not parse.</p>");
        return;
    }
    flow_preview pv;
    flow_preview_make(&p, data_path, 5, only, &pv);
    if (pv.unavailable) {
        P("<p class=\"muted\" id=\"preview-unavailable\">No preview: ");
        E(pv.unavailable);
        P("</p>");
    } else {
        P("<p>First block: %lld rows sampled, %lld out, %lld rejected, %lld filtered.</p>", pv.sampled, pv.out,
          pv.rejected, pv.filtered);
        for (int i = 0; i < pv.nfirst_rejects; i++) {
            P("<p class=\"error\">");
            E(pv.first_rejects[i]);
            P("</p>");
        }
        P("<div id=\"preview\">");
        for (int c = 0; c < pv.ncols; c++) {
            const flow_preview_column *col = &pv.cols[c];
            P("<table class=\"preview\"><tr><th colspan=\"3\">");
            E(col->name);
            if (col->open)
                P(" <span class=\"error\">(open question)</span>");
            P("</th></tr><tr><th>Line</th><th>Before</th><th>After</th></tr>");
            for (int k = 0; k < col->ncells; k++) {
                const flow_preview_cell *x = &col->cells[k];
                P("<tr><td>%ld</td><td>", x->line);
                E(x->before);
                P("</td><td>");
                if (x->after)
                    E(x->after);
                else {
                    P("<span class=\"error\">");
                    E(x->reject ? x->reject : "rejected");
                    P("</span>");
                }
                P("</td></tr>");
            }
            P("</table>");
        }
        P("</div>");
    }
    flow_preview_free(&pv);
    plan_free(&p);
}

static void profiles_html(mf_buf *b, const char *text, const char *data_path)
{
    plan p;
    mf_err e;
    mf_err_clear(&e);
    if (!data_path || plan_parse(text, strlen(text), "plan", &p, &e) < 0)
        return;
    const char **used = NULL;
    int nused = plan_used_sources(&p, &used);
    csv_dialect d;
    profile pr;
    if (csv_detect(data_path, &d, &e) < 0 || profile_file(data_path, &d, 2000, &pr, &e) < 0) {
        P("<p class=\"muted\">No profile: the data file could not be read.</p>");
        plan_free(&p);
        return;
    }
    /* Every source column: the ones the plan uses first, then the others (unused ones are what a
     * reviewer looks at when a column seems missing). */
    P("<div id=\"profiles\">");
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            P("<p class=\"muted\">Not used by the plan:</p>");
        for (int i = 0; i < pr.ncols; i++) {
            int is_used = 0;
            for (int k = 0; k < nused; k++)
                is_used |= !strcmp(used[k], pr.col[i].name);
            if (is_used == !pass)
                profile_svg(b, &pr.col[i]);
        }
    }
    P("</div>");
    profile_free(&pr);
    plan_free(&p);
}

static void decision_forms(mf_buf *b, const serve_req *r, const flow_review *rv)
{
    if (!flow_state_is_open(rv->state) && rv->state != FLOW_APPROVED && rv->state != FLOW_FAILED &&
        rv->state != FLOW_CHECKED && rv->state != FLOW_LOADED)
        return;
    P("<h2>Decision</h2><div class=\"decision\">");
    if (flow_state_is_open(rv->state)) {
        P("<form method=\"post\" action=\"/review/approve\" id=\"approve-form\">");
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><label>Comment <input name=\"comment\" id=\"approve-comment\">"
          "</label> <button type=\"submit\" id=\"approve\">Approve</button></form>"
          "<form method=\"post\" action=\"/review/reject\" id=\"reject-form\">", rv->id);
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><label>Reason <input name=\"comment\" required></label> "
          "<button type=\"submit\" class=\"danger\" id=\"reject\">Reject</button></form>", rv->id);
    } else {
        P("<form method=\"post\" action=\"/review/run\" id=\"run-form\">");
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><button type=\"submit\" id=\"run\">Run the approved plan"
          "</button></form>", rv->id);
    }
    if (r->role < ROLE_APPROVER)
        P("<p class=\"muted\">Your role (%s) cannot decide or run: an approver's can.</p>", store_role_name(r->role));
    P("</div>");
}

/* The edit a language model proposed for feedback it could not read: the edit, the model's line,
 * the diff and the preview of what it changes — every text escaped — and Accept / Discard. */
static void proposal_html(mf_buf *b, const serve_req *r, const flow_env *env, long long id, const char *data_path)
{
    flow_proposal pp;
    mf_err e;
    mf_err_clear(&e);
    if (flow_review_proposal(env, id, &pp, &e) != 1)
        return;
    P("<h2>Proposed edit</h2><div class=\"suggestion\" id=\"proposal\"><p>For the feedback “");
    E(pp.feedback);
    P("” (");
    E(pp.asked_by);
    P("), suggested by ");
    E(pp.by);
    P(" (confidence %d%%, not applied):</p><pre id=\"proposal-edit\">", pp.confidence);
    E(pp.edit);
    P("</pre>");
    if (*pp.explanation) {
        P("<p id=\"proposal-why\">");
        E(pp.explanation);
        P("</p>");
    }
    if (pp.text) {
        P("<pre id=\"proposal-diff\">");
        E(pp.diff);
        P("</pre>");
        preview_html(b, pp.text, data_path, pp.changed);
    } else {
        P("<p class=\"error\">It no longer applies: ");
        E(pp.why);
        P("</p>");
    }
    for (int k = pp.text ? 0 : 1; k < 2; k++) {
        P("<form method=\"post\" action=\"/review/%s-edit\" class=\"proposal-%s\">", k ? "discard" : "accept",
          k ? "discard" : "accept");
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><input type=\"hidden\" name=\"proposal\" "
          "value=\"%lld\"><button type=\"submit\">%s</button></form>",
          id, pp.id, k ? "Discard" : "Accept");
    }
    P("</div>");
    flow_proposal_free(&pp);
}

static int page_review(serve_state *s, serve_req *r, serve_resp *o)
{
    long long id = num_arg(serve_query(r, "id"));
    if (!id)
        return 0;
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    flow_review rv;
    int found = flow_review_get(&env, id, &rv, &e);
    if (found <= 0) {
        mf_buf_free(&sd.text);
        if (found < 0)
            store_error(o, r, &e);
        return found < 0;
    }
    if (rv.state == FLOW_DRAFTED && r->role >= ROLE_REVIEWER && flow_review_seen(&env, id, &e) == 0)
        rv.state = FLOW_IN_REVIEW;
    mf_err_clear(&e);
    flow_version *vs = NULL;
    int nv = 0;
    flow_turn *turns = NULL;
    int nt = 0;
    if (flow_review_versions(&env, id, &vs, &nv, &e) < 0 || flow_review_conversation(&env, id, &turns, &nt, &e) < 0 ||
        nv == 0) {
        if (!e.msg[0])
            mf_fail(&e, MF_ENOTFOUND, NULL, 0, 0, "review %lld has no version", id);
        store_error(o, r, &e);
        flow_review_free(&rv);
        flow_versions_free(vs, nv);
        mf_buf_free(&sd.text);
        return 1;
    }
    const flow_version *cur = &vs[nv - 1];
    int shown = (int)num_arg(serve_query(r, "v"));
    for (int i = 0; i < nv; i++)
        if (vs[i].version == shown)
            cur = &vs[i];
    mf_buf *b = &o->body;
    html_begin(b, r, "Review");
    P("<h1>Review #%lld — ", rv.id);
    client_link(b, rv.client);
    P("</h1><p>State <span id=\"state\">");
    state_badge(b, flow_state_name(rv.state));
    P("</span>, current version <span id=\"version\">v%d</span>", rv.version);
    if (rv.author && *rv.author) {
        P(" by ");
        E(rv.author);
    }
    if (rv.decided_by) {
        P("; decided by ");
        E(rv.decided_by);
        if (rv.comment && *rv.comment) {
            P(": “");
            E(rv.comment);
            P("”");
        }
    }
    if (rv.last_run_id)
        P("; last run <a href=\"/run?id=%lld\">#%lld</a>", rv.last_run_id, rv.last_run_id);
    P(".</p><p class=\"muted\">Mapping ");
    E(rv.mapping_path);
    P(", data ");
    E(rv.data_path);
    P("</p><p>Versions:");
    for (int i = 0; i < nv; i++) {
        P(" <a href=\"/review?id=%lld&amp;v=%d\"%s>v%d</a>", id, vs[i].version, &vs[i] == cur ? " class=\"ok\"" : "",
          vs[i].version);
    }
    P("</p>");
    if (sd.text.len) {
        P("<pre class=\"notice\">");
        E(mf_buf_str(&sd.text));
        P("</pre>");
    }
    decision_forms(b, r, &rv);

    P("<div class=\"cols\"><section><h2>Plan v%d</h2><pre id=\"plan-text\">", cur->version);
    E(cur->text);
    P("</pre>");
    if (cur->findings) {
        P("<h2>Validation findings of its last run</h2><pre id=\"findings\">");
        E(cur->findings);
        P("</pre>");
    }
    P("<h2>Open questions</h2>");
    if (!cur->nquestions)
        P("<p class=\"muted\" id=\"no-questions\">None.</p>");
    for (int i = 0; i < cur->nquestions; i++) {
        const flow_question *q = &cur->questions[i];
        P("<form method=\"post\" action=\"/review/answer\" class=\"question\">");
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><input type=\"hidden\" name=\"n\" value=\"%d\"><p>%d. ",
          id, q->n, q->n);
        E(q->text);
        P("</p><textarea name=\"text\" required class=\"answer\"></textarea><button type=\"submit\" class=\"answer-send\">"
          "Answer</button></form>");
        if (q->suggestion) {   /* a language model's proposal: text only, applied by a person's accept */
            P("<div class=\"suggestion\" id=\"suggestion-%d\"><p>Suggested by ", q->n);
            E(q->suggested_by);
            P(" (confidence %d%%, not applied): <code>", q->confidence);
            E(q->suggestion);
            P("</code>");
            if (q->explanation && *q->explanation) {
                P(" — ");
                E(q->explanation);
            }
            P("</p>");
            for (int k = 0; k < 2; k++) {
                P("<form method=\"post\" action=\"/review/%s\" class=\"suggestion-%s\">", k ? "discard" : "accept",
                  k ? "discard" : "accept");
                html_csrf(b, r);
                P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><input type=\"hidden\" name=\"n\" value=\"%d\">"
                  "<button type=\"submit\">%s</button></form>", id, q->n, k ? "Discard" : "Accept");
            }
            P("</div>");
        }
    }
    if (cur == &vs[nv - 1] && flow_state_is_open(rv.state))
        proposal_html(b, r, &env, id, rv.data_path);
    /* Provenance (who last changed each statement) comes with the review's current version. */
    flow_version now;
    memset(&now, 0, sizeof now);
    if (cur == &vs[nv - 1] && flow_review_current(&env, id, &now, &e) < 0)
        memset(&now, 0, sizeof now);
    P("</section><section><h2>Provenance</h2>");
    if (cur != &vs[nv - 1])
        P("<p class=\"muted\">Shown for the current version.</p>");
    P("<table id=\"provenance\"><tr><th>Column</th><th>Mapping row</th><th>Rule</th><th>Last changed</th></tr>");
    for (int i = 0; i < now.nprov; i++) {
        const flow_provenance *pv = &now.prov[i];
        P("<tr><td>");
        E(pv->column);
        P("</td><td>");
        if (pv->row)
            P("%d", pv->row);
        P("</td><td>");
        E(pv->rule);
        P("</td><td>");
        E(pv->how);
        if (pv->author && *pv->author) {
            P(" by ");
            E(pv->author);
        }
        P(" (v%d)", pv->version);
        long long entry = flow_learned_entry(pv->rule);
        if (entry && cur == &vs[nv - 1]) {   /* read from the rulebook: the reviewer may refuse it here */
            P("<form method=\"post\" action=\"/review/unlearn\" class=\"unlearn\">");
            html_csrf(b, r);
            P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><input type=\"hidden\" name=\"column\" value=\"",
              id);
            E(pv->column);
            P("\"><button type=\"submit\">Reject entry %lld for this plan</button></form>", entry);
        }
        P("</td></tr>");
    }
    P("</table></section></div>");
    flow_version_free(&now);

    P("<div class=\"cols\"><section><h2>Conversation</h2><div class=\"convo\" id=\"conversation\">");
    for (int i = 0; i < nt; i++) {
        P("<p><span class=\"muted\">");
        E(turns[i].at);
        P("</span> <b>");
        E(turns[i].actor);
        P("</b> ");
        E(turns[i].kind);
        if (turns[i].text && *turns[i].text) {
            P(": “");
            E(turns[i].text);
            P("”");
        }
        if (turns[i].result && *turns[i].result) {
            P(" → ");
            E(turns[i].result);
        }
        P("</p>");
    }
    P("</div>");
    if (flow_state_is_open(rv.state)) {
        P("<form method=\"post\" action=\"/review/feedback\" id=\"feedback-form\">");
        html_csrf(b, r);
        P("<input type=\"hidden\" name=\"id\" value=\"%lld\"><label>Feedback (plain English; never a decision)"
          "<textarea name=\"text\" id=\"feedback\" required></textarea></label><button type=\"submit\" "
          "id=\"feedback-send\">Send feedback</button></form>", id);
    }
    P("</section><section><h2>Changes</h2>");
    const flow_version *prev = NULL;
    for (int i = 0; i < nv; i++)
        if (&vs[i] == cur && i > 0)
            prev = &vs[i - 1];
    if (prev)
        side_by_side(b, prev->text, cur->text, prev->version, cur->version);
    else
        P("<p class=\"muted\">The first version.</p>");
    P("</section></div><h2>Preview: sample rows before → after</h2>");
    preview_html(b, cur->text, rv.data_path, NULL);
    P("<h2>Source columns</h2>");
    profiles_html(b, cur->text, rv.data_path);
    html_end(b);
    flow_turns_free(turns, nt);
    flow_versions_free(vs, nv);
    flow_review_free(&rv);
    mf_buf_free(&sd.text);
    return 1;
}

/* ---- runs, cache, audit ----------------------------------------------------------------------------- */

static int page_runs(serve_state *s, serve_req *r, serve_resp *o)
{
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    flow_run_info *ru = NULL;
    int n = 0;
    const char *client = serve_query(r, "client");
    if (flow_run_list(&env, client && *client ? client : NULL, &ru, &n, &e) < 0) {
        store_error(o, r, &e);
        mf_buf_free(&sd.text);
        return 1;
    }
    mf_buf *b = &o->body;
    html_begin(b, r, "Runs");
    P("<h1>Runs</h1>");
    runs_table(b, ru, n);
    html_end(b);
    flow_run_infos_free(ru, n);
    mf_buf_free(&sd.text);
    return 1;
}

static int page_run(serve_state *s, serve_req *r, serve_resp *o)
{
    long long id = num_arg(serve_query(r, "id"));
    long long job = num_arg(serve_query(r, "job"));
    mf_buf *b = &o->body;
    if (job && !id) {   /* a run started here that has no run record yet: its live progress */
        jobs_view jv;
        if (!jobs_get(job, &jv))
            return 0;
        if (jv.run_id) {
            serve_redirect(o, "/run?id=%lld", jv.run_id);
            return 1;
        }
        html_begin(b, r, "Run");
        P("<h1>Run of review #%lld</h1>", jv.review_id);
        if (jv.done) {   /* ended before a run was recorded */
            P("<p>State <span id=\"run-state\">");
            E(jv.state);
            P("</span></p><p class=\"error\" id=\"run-error\">");
            E(jv.error);
            P("</p>");
        } else
            P("<div id=\"progress\" data-events=\"/events?job=%lld\"><progress max=\"1\" value=\"0\"></progress> "
              "<span class=\"text\">starting…</span></div>", job);
        html_end(b);
        return 1;
    }
    if (!id)
        return 0;
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    flow_run_info ri;
    int found = flow_run_get(&env, id, &ri, &e);
    mf_buf_free(&sd.text);
    if (found <= 0) {
        if (found < 0)
            store_error(o, r, &e);
        return found < 0;
    }
    html_begin(b, r, "Run");
    P("<h1>Run #%lld — ", id);
    client_link(b, ri.client);
    P("</h1><p>State <span id=\"run-state\">");
    state_badge(b, flow_state_name(ri.state));
    P("</span> (");
    E(ri.status);
    P(")");
    if (ri.review_id) {
        P(", review ");
        review_link(b, ri.review_id, "#");
        P("%lld", ri.review_id);
    }
    P(", by ");
    E(ri.actor);
    P(", started ");
    E(ri.started_at);
    P(", %.2f s.</p>", ri.seconds);
    jobs_view jv;
    int have_job = jobs_find_run(id, &jv);
    if (have_job && !jv.done)
        P("<div id=\"progress\" data-events=\"/events?job=%lld\"><progress max=\"1\" value=\"0\"></progress> "
          "<span class=\"text\">running…</span></div>", jv.id);
    P("<h2>Row accounting</h2><table id=\"accounting\"><tr><th>Rows in</th><td id=\"rows-in\">%lld</td></tr>"
      "<tr><th>Written</th><td id=\"rows-out\">%lld</td></tr><tr><th>Rejected</th><td id=\"rows-rejected\">%lld</td>"
      "</tr><tr><th>Filtered</th><td id=\"rows-filtered\">%lld</td></tr><tr><th>Balanced</th><td id=\"balanced\">%s"
      "</td></tr></table><p>Input ", ri.rows_in, ri.rows_out, ri.rows_rejected, ri.rows_filtered,
      ri.rows_in == ri.rows_out + ri.rows_rejected + ri.rows_filtered ? "yes: in = written + rejected + filtered"
                                                                       : "NO");
    E(ri.input_path);
    P(" (%llu bytes).</p>", ri.input_bytes);
    if (have_job && jv.done) {
        if (jv.findings[0]) {
            P("<h2>Validation findings</h2><pre id=\"findings\">");
            E(jv.findings);
            P("</pre>");
        } else
            P("<h2>Validation</h2><p class=\"ok\" id=\"validation\">Checks and validator passed.</p>");
        P("<h2>Load</h2><p id=\"load\">");
        if (jv.load[0])
            E(jv.load);
        else
            P("Not loaded.");
        P("</p>");
        if (ri.rows_rejected > 0) {
            P("<h2>First rejects</h2><pre id=\"rejects\">");
            jobs_first_rejects_html(b, &jv, 10);
            P("</pre><p><a id=\"rejects-download\" href=\"/rejects?run=%lld\">Download rejects.csv</a></p>", id);
        }
    } else if (!have_job)
        P("<p class=\"muted\">This run was not started by this server: its files are where it was run from.</p>");
    html_end(b);
    flow_run_info_free(&ri);
    return 1;
}

static int page_cache(serve_state *s, serve_req *r, serve_resp *o)
{
    store_cache_entry *c = NULL;
    int n = 0;
    mf_err e;
    mf_err_clear(&e);
    const char *client = serve_query(r, "client");
    if (store_cache_list(s->st, client && *client ? client : NULL, &c, &n, &e) < 0) {
        store_error(o, r, &e);
        return 1;
    }
    mf_buf *b = &o->body;
    html_begin(b, r, "Cache");
    P("<h1>Cache of approved plans</h1>");
    cache_table(b, c, n);
    html_end(b);
    store_cache_entries_free(c, n);
    return 1;
}

static int page_audit(serve_state *s, serve_req *r, serve_resp *o)
{
    const char *client = serve_query(r, "client"), *event = serve_query(r, "event"), *actor = serve_query(r, "actor");
    client = client && *client ? client : NULL;
    event = event && *event ? event : NULL;
    actor = actor && *actor ? actor : NULL;
    store_audit_event *ev = NULL;
    int n = 0;
    mf_err e;
    mf_err_clear(&e);
    if (store_audit_list(s->st, client, &ev, &n, &e) < 0) {
        store_error(o, r, &e);
        return 1;
    }
    mf_buf *b = &o->body;
    html_begin(b, r, "Audit trail");
    P("<h1>Audit trail</h1><form method=\"get\" action=\"/audit\" class=\"filters\"><label>Client <input name=\"client\" "
      "value=\"");
    E(client);
    P("\"></label><label>Event <input name=\"event\" value=\"");
    E(event);
    P("\"></label><label>Actor <input name=\"actor\" value=\"");
    E(actor);
    P("\"></label><button type=\"submit\">Filter</button></form><table id=\"audit\"><tr><th>#</th><th>At</th>"
      "<th>Actor</th><th>Event</th><th>Client</th><th>Subject</th><th>Details</th></tr>");
    int shown = 0;
    for (int i = n - 1; i >= 0 && shown < 500; i--) {   /* newest first, at most 500 */
        if ((event && strcmp(ev[i].event, event)) || (actor && strcmp(ev[i].actor, actor)))
            continue;
        shown++;
        P("<tr><td>%lld</td><td>", ev[i].seq);
        E(ev[i].at);
        P("</td><td>");
        E(ev[i].actor);
        P("</td><td>");
        E(ev[i].event);
        P("</td><td>");
        E(ev[i].client);
        P("</td><td>");
        E(ev[i].subject);
        P("</td><td><code>");
        E(ev[i].details);
        P("</code></td></tr>");
    }
    P("</table><p class=\"muted\">%d events shown.</p>", shown);
    html_end(b);
    store_audit_events_free(ev, n);
    return 1;
}

static int page_new(serve_state *s, serve_req *r, serve_resp *o);

int pages_get(serve_state *s, serve_req *r, serve_resp *o)
{
    const char *p = r->path;
    if (!strcmp(p, "/"))
        return page_dashboard(s, r, o);
    if (!strcmp(p, "/new"))
        return page_new(s, r, o);
    if (!strcmp(p, "/clients"))
        return page_clients(s, r, o);
    if (!strcmp(p, "/client"))
        return page_client(s, r, o);
    if (!strcmp(p, "/plan"))
        return page_plan(s, r, o);
    if (!strcmp(p, "/review"))
        return page_review(s, r, o);
    if (!strcmp(p, "/runs"))
        return page_runs(s, r, o);
    if (!strcmp(p, "/run"))
        return page_run(s, r, o);
    if (!strcmp(p, "/cache"))
        return page_cache(s, r, o);
    if (!strcmp(p, "/audit"))
        return page_audit(s, r, o);
    if (!strcmp(p, "/rejects")) {
        jobs_view jv;
        long long id = num_arg(serve_query(r, "run"));
        if (!id || !jobs_find_run(id, &jv) || !jobs_rejects_file(&jv, &o->body))
            return 0;
        o->ctype = "text/csv; charset=utf-8";
        snprintf(o->disposition, sizeof o->disposition, "attachment; filename=\"rejects-run-%lld.csv\"", id);
        return 1;
    }
    return 0;
}

/* ---- actions ------------------------------------------------------------------------------------------- */

/* The role an action needs, checked before anything; 0 refused (403, audited). */
static int allowed(serve_state *s, serve_req *r, serve_resp *o, store_role need, const char *action)
{
    if (r->role >= need)
        return 1;
    char why[160];
    snprintf(why, sizeof why, "role %s cannot %s (needs %s)", store_role_name(r->role), action, store_role_name(need));
    serve_deny_audit(s, r, action, NULL, why);
    html_error_page(o, r, 403, why);
    return 0;
}

/* ---- a review started from the web app: the mapping and the data uploaded ---------------------------- */

static int page_new(serve_state *s, serve_req *r, serve_resp *o)
{
    mf_buf *b = &o->body;
    html_begin(b, r, "Start a review");
    P("<h1>Start a review</h1>");
    if (r->role < ROLE_REVIEWER) {
        P("<p class=\"muted\">Your role (%s) cannot start a review: a reviewer's can.</p>", store_role_name(r->role));
        html_end(b);
        return 1;
    }
    P("<p>The plan is drafted from the mapping (.xlsx or .csv) and a data file as <code>mapforge onboard</code> "
      "drafts it (an open review of the same client and mapping is reopened)%s.  Files up to 32 MiB.</p>",
      s->cfg.llm ? "; the language model is asked about the open questions, and its suggestions wait for you"
                 : "; no language model is configured");
    P("<form method=\"post\" action=\"/review/new\" enctype=\"multipart/form-data\" id=\"new-form\">");
    html_csrf(b, r);
    P("<label>Client <input name=\"client\" id=\"new-client\" required maxlength=\"100\"></label>"
      "<label>Mapping <input type=\"file\" name=\"mapping\" id=\"new-mapping\" required accept=\".xlsx,.csv\"></label>"
      "<label>Data <input type=\"file\" name=\"data\" id=\"new-data\" required></label>"
      "<button type=\"submit\" id=\"new-send\">Draft the plan</button></form>");
    html_end(b);
    return 1;
}

/* An uploaded file's name reduced to letters, digits, '.', '_' and '-' (at most 80), never starting
 * with '.'; `fallback` when nothing is left. */
static void safe_name(const char *sent, const char *fallback, char out[96])
{
    const char *base = sent ? strrchr(sent, '/') : NULL;
    base = base ? base + 1 : sent ? sent : "";
    const char *bs = strrchr(base, '\\');
    if (bs)
        base = bs + 1;
    size_t k = 0;
    for (const char *c = base; *c && k < 80; c++)
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
            *c == '_' || *c == '-')
            out[k++] = *c;
    out[k] = 0;
    if (!k || out[0] == '.')
        snprintf(out, 96, "%s", fallback);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && !strcasecmp(s + n - m, suffix);
}

/* Write a file the server names itself (never overwriting): 0 or -1 with e. */
static int write_new(const char *path, const char *data, size_t n, mf_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot create the uploaded file: %s", strerror(errno));
    size_t at = 0;
    while (at < n) {
        ssize_t w = write(fd, data + at, n - at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int err = errno;
            close(fd);
            return mf_fail(e, MF_EIO, path, 0, 0, "cannot write the uploaded file: %s", strerror(err));
        }
        at += (size_t)w;
    }
    if (close(fd) < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot write the uploaded file: %s", strerror(errno));
    return 0;
}

/* POST /review/new: the files kept under HOME/web-uploads/<random>/ (owner-only), then the same
 * flow_review_open a terminal's onboard reaches — the draft, and with a model the suggestions for
 * its open questions (flow_env.llm) — and the review's page. */
static void new_review(serve_state *s, serve_req *r, serve_resp *o, const flow_env *env)
{
    const char *client = serve_form(r, "client");
    const serve_field *mf = serve_form_file(r, "mapping"), *df = serve_form_file(r, "data");
    bool client_ok = client && *client && strlen(client) <= 100;
    for (const char *c = client; client_ok && *c; c++)
        client_ok = (unsigned char)*c >= 0x20 && *c != 0x7f;
    if (!client_ok || (client && strspn(client, " ") == strlen(client))) {
        html_error_page(o, r, 400, "A client name is needed (at most 100 characters, no control characters).");
        return;
    }
    if (!mf || !df || !mf->len || !df->len) {
        html_error_page(o, r, 400, "A mapping file and a data file are needed.");
        return;
    }
    if (!ends_with(mf->filename, ".xlsx") && !ends_with(mf->filename, ".csv")) {
        html_error_page(o, r, 400, "The mapping must be an .xlsx or a .csv file.");
        return;
    }
    char mname[96], dname[96], tag[33];
    safe_name(mf->filename, ends_with(mf->filename, ".xlsx") ? "mapping.xlsx" : "mapping.csv", mname);
    if (!ends_with(mname, ends_with(mf->filename, ".xlsx") ? ".xlsx" : ".csv"))
        snprintf(mname, sizeof mname, "%s", ends_with(mf->filename, ".xlsx") ? "mapping.xlsx" : "mapping.csv");
    safe_name(df->filename, "data.csv", dname);
    if (!strcasecmp(dname, mname)) {   /* "data-" + a name of at most 80 bytes: distinct, and fits */
        char was[96];
        memcpy(was, dname, sizeof was);
        snprintf(dname, sizeof dname, "data-%.80s", was);
    }
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(tag, sizeof tag, rnd, sizeof rnd);
    mf_buf dir = {0}, mp = {0}, dp = {0};
    mf_buf_printf(&dir, "%s/web-uploads", s->cfg.home);
    mf_err e;
    mf_err_clear(&e);
    if (mkdir(mf_buf_str(&dir), 0700) < 0 && errno != EEXIST)
        mf_fail(&e, MF_EIO, mf_buf_str(&dir), 0, 0, "cannot make the upload directory: %s", strerror(errno));
    mf_buf_printf(&dir, "/%s", tag);
    if (!e.msg[0] && mkdir(mf_buf_str(&dir), 0700) < 0)
        mf_fail(&e, MF_EIO, mf_buf_str(&dir), 0, 0, "cannot make the upload directory: %s", strerror(errno));
    mf_buf_printf(&mp, "%s/%s", mf_buf_str(&dir), mname);
    mf_buf_printf(&dp, "%s/%s", mf_buf_str(&dir), dname);
    long long id = 0;
    bool resumed = false;
    flow_input in = {.client = client, .mapping_path = mf_buf_str(&mp), .data_path = mf_buf_str(&dp)};
    bool made = !e.msg[0];
    if (e.msg[0] || write_new(mf_buf_str(&mp), mf->value, mf->len, &e) < 0 ||
        write_new(mf_buf_str(&dp), df->value, df->len, &e) < 0 || flow_review_open(env, &in, &id, &resumed, &e) < 0) {
        char msg[1200];
        mf_err_format(&e, msg, sizeof msg);
        html_error_page(o, r, e.code == MF_EIO ? 500 : 400, msg);
        /* nothing of a refused upload stays on disk (only files this request created are there) */
        if (made) {
            (void)unlink(mf_buf_str(&mp));
            (void)unlink(mf_buf_str(&dp));
            if (rmdir(mf_buf_str(&dir)) < 0)
                fprintf(stderr, "mapforge: cannot remove %s: %s\n", mf_buf_str(&dir), strerror(errno));
        }
    } else {
        /* who sent what from where: the files as kept, their sizes and digests */
        char ms[32], ds[32], msha[65], dsha[65], rid[32];
        snprintf(ms, sizeof ms, "%zu", mf->len);
        snprintf(ds, sizeof ds, "%zu", df->len);
        snprintf(rid, sizeof rid, "%lld", id);
        mf_sha256_hex(mf->value, mf->len, msha);
        mf_sha256_hex(df->value, df->len, dsha);
        json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "review", rid, "address", r->ip,
                              "mapping", mf_buf_str(&mp), "mapping_bytes", ms, "mapping_sha256", msha, "data",
                              mf_buf_str(&dp), "data_bytes", ds, "data_sha256", dsha, "resumed",
                              resumed ? "yes" : "no");
        char *details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(d);
        mf_err ae;
        mf_err_clear(&ae);
        int audited = details ? store_audit_append(s->st, r->user, "review_uploaded", client, dsha, details, NULL, &ae)
                              : mf_fail(&ae, MF_ENOMEM, NULL, 0, 0, "cannot build the upload's audit event");
        free(details);
        if (audited < 0) {
            char msg[1200];
            mf_err_format(&ae, msg, sizeof msg);
            html_error_page(o, r, 500, msg);
        } else {
            serve_redirect(o, "/review?id=%lld", id);
        }
    }
    mf_buf_free(&dir);
    mf_buf_free(&mp);
    mf_buf_free(&dp);
}

/* A refusal by the workflow: 403 and a denied event; other errors 409/404/500. */
static void flow_failed(serve_state *s, serve_req *r, serve_resp *o, const char *action, const mf_err *e)
{
    char msg[1200];
    mf_err_format(e, msg, sizeof msg);
    if (e->code == MF_EREFUSED || e->code == MF_EQUESTION) {
        serve_deny_audit(s, r, action, NULL, msg);
        html_error_page(o, r, 403, msg);
    } else
        html_error_page(o, r, e->code == MF_ECONFLICT ? 409 : e->code == MF_ENOTFOUND ? 404 : 400, msg);
}

int pages_post(serve_state *s, serve_req *r, serve_resp *o)
{
    const char *p = r->path;
    long long id = num_arg(serve_form(r, "id"));
    const char *text = serve_form(r, "text"), *comment = serve_form(r, "comment");
    said sd = {0};
    flow_env env;
    env_of(s, r, &env, &sd);
    mf_err e;
    mf_err_clear(&e);
    int rc = 1;
    if (!strcmp(p, "/review/feedback") || !strcmp(p, "/review/answer")) {
        bool fb = p[8] == 'f';
        if (allowed(s, r, o, ROLE_REVIEWER, fb ? "feedback" : "answer")) {
            flow_round round;
            memset(&round, 0, sizeof round);
            if (!id || !text || !*text)
                html_error_page(o, r, 400, "A review and a text are needed.");
            else if ((fb ? flow_feedback(&env, id, text, &round, &e)
                         : flow_answer(&env, id, (int)num_arg(serve_form(r, "n")), text, &round, &e)) < 0)
                flow_failed(s, r, o, fb ? "feedback" : "answer", &e);
            else
                serve_redirect(o, "/review?id=%lld", id);
            flow_round_free(&round);
        }
    } else if (!strcmp(p, "/review/accept") || !strcmp(p, "/review/discard")) {
        bool accept = p[8] == 'a';
        if (allowed(s, r, o, ROLE_REVIEWER, accept ? "accept a suggestion" : "discard a suggestion")) {
            flow_round round;
            memset(&round, 0, sizeof round);
            int n = (int)num_arg(serve_form(r, "n"));
            if (!id || n < 1)
                html_error_page(o, r, 400, "A review and a question number are needed.");
            else if ((accept ? flow_accept_suggestion(&env, id, n, &round, &e)
                             : flow_discard_suggestion(&env, id, n, &round, &e)) < 0)
                flow_failed(s, r, o, accept ? "accept" : "discard", &e);
            else
                serve_redirect(o, "/review?id=%lld", id);
            flow_round_free(&round);
        }
    } else if (!strcmp(p, "/review/unlearn")) {
        if (allowed(s, r, o, ROLE_REVIEWER, "reject a rulebook entry")) {
            flow_round round;
            memset(&round, 0, sizeof round);
            const char *column = serve_form(r, "column");
            if (!id || !column || !*column)
                html_error_page(o, r, 400, "A review and a column are needed.");
            else if (flow_unlearn(&env, id, column, &round, &e) < 0)
                flow_failed(s, r, o, "reject a rulebook entry", &e);
            else if (!round.applied)
                html_error_page(o, r, 409, round.not_understood);
            else
                serve_redirect(o, "/review?id=%lld", id);
            flow_round_free(&round);
        }
    } else if (!strcmp(p, "/review/accept-edit") || !strcmp(p, "/review/discard-edit")) {
        bool accept = p[8] == 'a';
        if (allowed(s, r, o, ROLE_REVIEWER, accept ? "accept a proposed edit" : "discard a proposed edit")) {
            flow_round round;
            memset(&round, 0, sizeof round);
            /* the proposal the page showed: another one since is not taken unseen */
            long long which = num_arg(serve_form(r, "proposal"));
            if (!id || which <= 0)
                html_error_page(o, r, 400, "Which review, and which proposed edit?");
            else if ((accept ? flow_accept_proposal(&env, id, which, &round, &e)
                             : flow_discard_proposal(&env, id, which, &round, &e)) < 0)
                flow_failed(s, r, o, accept ? "accept-edit" : "discard-edit", &e);
            else if (!round.applied && round.not_understood && *round.not_understood)
                html_error_page(o, r, 409, round.not_understood);
            else
                serve_redirect(o, "/review?id=%lld", id);
            flow_round_free(&round);
        }
    } else if (!strcmp(p, "/review/new")) {
        if (allowed(s, r, o, ROLE_REVIEWER, "start a review"))
            new_review(s, r, o, &env);
    } else if (!strcmp(p, "/review/approve") || !strcmp(p, "/review/reject")) {
        bool ok = p[8] == 'a';
        if (allowed(s, r, o, ROLE_APPROVER, ok ? "approve" : "reject")) {
            if (!id)
                html_error_page(o, r, 400, "Which review?");
            else if ((ok ? flow_approve(&env, id, comment && *comment ? comment : NULL, &e)
                         : flow_reject(&env, id, comment, &e)) < 0)
                flow_failed(s, r, o, ok ? "approve" : "reject", &e);
            else
                serve_redirect(o, "/review?id=%lld", id);
        }
    } else if (!strcmp(p, "/review/run")) {
        if (allowed(s, r, o, ROLE_APPROVER, "run")) {
            long long job = 0;
            if (!id)
                html_error_page(o, r, 400, "Which review?");
            else if (jobs_start(s, id, r->user, &job, &e) < 0)
                flow_failed(s, r, o, "run", &e);
            else
                serve_redirect(o, "/run?job=%lld", job);
        }
    } else
        rc = 0;
    mf_buf_free(&sd.text);
    return rc;
}
