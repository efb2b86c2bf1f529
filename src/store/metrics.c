/* metrics.c — the store's key metrics (the design document's "Monitoring": job success rate,
 * transformation time, cache hit rate, AI token usage, human review time, data volume) as metric
 * families for the Prometheus text format (util/metrics.h).  docs/metrics.md lists each one.
 *
 * Everything is read from the store's own records, never from counters kept in memory, so any
 * process (the CLI, the web app, a second web app on the same PostgreSQL store) scrapes the same
 * values: runs, cache_lookups, reviews and review_turns, llm_calls, loads.
 *
 * Invariants: read only; no label names a client (client names are the firm's customers: the
 * metrics endpoint may be scraped by a monitoring system that should not learn them); labels take
 * values from small fixed sets (run outcomes, review states, call purposes and outcomes) or from
 * the operator's own configuration (language-model provider and model); the known values of a
 * label are always present, at 0 when nothing happened yet, so rates work from the first scrape.
 */
#include "store/store_db.h"
#include "util/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds, for run durations: from a tenth of a second to an hour. */
static const double run_le[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
/* Seconds, for a review from its first draft to its decision: a minute to a week. */
static const double review_le[] = {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const run_outcomes[] = {"loaded", "checked", "validation_failed", "load_failed",
                                           "interrupted", "failed", "running"};

/* A run's outcome: its status, with "ok" split by whether its output was loaded. */
static const char *run_outcome(const char *status, const char *state)
{
    if (!status || !strcmp(status, "ok"))
        return state && !strcmp(state, "loaded") ? "loaded" : "checked";
    for (int i = 2; i < NELEM(run_outcomes); i++)
        if (!strcmp(status, run_outcomes[i]))
            return run_outcomes[i];
    return "failed";
}

/* The kind of a language-model call's outcome ("failed: timeout" -> "failed", "over budget" ->
 * "over_budget"); outcomes are free text, their kinds a fixed set. */
static const char *llm_outcome(const char *o)
{
    static const char *const kinds[] = {"ok", "suggested", "refused", "rejected", "failed"};
    if (!o)
        return "other";
    for (int i = 0; i < NELEM(kinds); i++) {
        size_t n = strlen(kinds[i]);
        if (!strncmp(o, kinds[i], n) && (o[n] == 0 || o[n] == ':'))
            return kinds[i];
    }
    if (!strcmp(o, "over budget"))
        return "over_budget";
    return "other";
}

/* "2024-05-01T12:34:56.789Z" -> milliseconds since 1970; -1 when it is not that shape. */
static long long iso_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec, &ms) < 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm) * 1000 + ms;
}

static int query(store *s, const char *sql, db_rows *r, mf_err *e)
{
    return db_exec(s, sql, 0, NULL, r, e);
}

static int runs(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *total = mf_metrics_family(
        m, "mapforge_runs_total", MF_COUNTER,
        "Runs of approved plans by outcome: loaded, checked (not loaded), validation_failed, load_failed, "
        "interrupted, failed, running (in progress, or killed).");
    for (int i = 0; i < NELEM(run_outcomes); i++)
        mf_metrics_series(total, "outcome", run_outcomes[i], NULL);
    mf_metric_family *hist = mf_metrics_histogram(
        m, "mapforge_run_duration_seconds",
        "Wall time of finished runs (read, transform, write, check), in seconds.", run_le, NELEM(run_le));
    mf_metric_series *dur = mf_metrics_series(hist, NULL);
    db_rows r;
    if (query(s, "SELECT status, state, seconds FROM runs", &r, e) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        const char *o = run_outcome(db_cell(&r, i, 0), db_cell(&r, i, 1));
        mf_metrics_series(total, "outcome", o, NULL)->value++;
        if (strcmp(o, "running") && db_cell(&r, i, 2))
            mf_metrics_observe(hist, dur, strtod(db_cell(&r, i, 2), NULL));
    }
    db_rows_free(&r);

    if (query(s,
              "SELECT coalesce(sum(rows_in), 0), coalesce(sum(rows_out), 0), coalesce(sum(rows_rejected), 0),"
              " coalesce(sum(rows_filtered), 0), coalesce(sum(input_bytes), 0),"
              " coalesce(sum(CASE WHEN status = 'validation_failed' THEN 1 ELSE 0 END), 0) FROM runs",
              &r, e) < 0)
        return -1;
    static const struct {
        const char *name, *help;
    } sums[] = {
        {"mapforge_rows_read_total", "Data rows read from clients' input files by runs."},
        {"mapforge_rows_written_total", "Rows written to outputs by runs."},
        {"mapforge_rows_rejected_total", "Rows rejected by runs (each with a reason in rejects.csv)."},
        {"mapforge_rows_filtered_total", "Rows filtered out by runs (a plan's skip rules)."},
        {"mapforge_input_bytes_total", "Bytes of input files processed by runs."},
        {"mapforge_validation_failures_total",
         "Runs whose output failed the checks or the customer's validator (nothing loaded)."},
    };
    for (int i = 0; i < NELEM(sums); i++)
        mf_metrics_series(mf_metrics_family(m, sums[i].name, MF_COUNTER, sums[i].help), NULL)->value =
            (double)db_cell_ll(&r, 0, i);
    db_rows_free(&r);
    return 0;
}

static int cache(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *f = mf_metrics_family(
        m, "mapforge_cache_lookups_total", MF_COUNTER,
        "Lookups of an approved plan in the cache by result: hit (the plan ran without review) or miss (drafted "
        "for review). Hit rate: rate(mapforge_cache_lookups_total{result=\"hit\"}[1h]) / "
        "rate(mapforge_cache_lookups_total[1h]).");
    mf_metric_series *hit = mf_metrics_series(f, "result", "hit", NULL);
    mf_metric_series *miss = mf_metrics_series(f, "result", "miss", NULL);
    db_rows r;
    if (query(s, "SELECT coalesce(sum(hit), 0), count(*) FROM cache_lookups", &r, e) < 0)
        return -1;
    hit->value = (double)db_cell_ll(&r, 0, 0);
    miss->value = (double)(db_cell_ll(&r, 0, 1) - db_cell_ll(&r, 0, 0));
    db_rows_free(&r);
    return 0;
}

static int reviews(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *wait = mf_metrics_family(
        m, "mapforge_reviews_waiting", MF_GAUGE,
        "Reviews waiting for a person: drafted (not opened since) or in_review (answered, given feedback).");
    mf_metric_series *drafted = mf_metrics_series(wait, "state", "drafted", NULL);
    mf_metric_series *in_review = mf_metrics_series(wait, "state", "in_review", NULL);
    db_rows r;
    if (query(s, "SELECT state, count(*) FROM reviews WHERE state IN ('drafted', 'in_review') GROUP BY state", &r,
              e) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++)
        (!strcmp(db_cell(&r, i, 0), "drafted") ? drafted : in_review)->value = (double)db_cell_ll(&r, i, 1);
    db_rows_free(&r);

    mf_metric_family *hist = mf_metrics_histogram(
        m, "mapforge_review_duration_seconds",
        "Human review time: from a review's first draft to its decision (approved or rejected), in seconds.",
        review_le, NELEM(review_le));
    mf_metric_series *approved = mf_metrics_series(hist, "decision", "approved", NULL);
    mf_metric_series *rejected = mf_metrics_series(hist, "decision", "rejected", NULL);
    /* The first decision of each review (a review is decided once; the first counts if not). */
    if (query(s,
              "SELECT r.created_at, t.kind, t.at FROM reviews r JOIN review_turns t ON t.review_id = r.id"
              " WHERE t.kind IN ('approval', 'rejection') AND t.id = (SELECT min(u.id) FROM review_turns u"
              " WHERE u.review_id = r.id AND u.kind IN ('approval', 'rejection'))",
              &r, e) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        long long from = iso_ms(db_cell(&r, i, 0)), to = iso_ms(db_cell(&r, i, 2));
        if (from < 0 || to < 0)
            continue;
        mf_metrics_observe(hist, !strcmp(db_cell(&r, i, 1), "approval") ? approved : rejected,
                           to > from ? (double)(to - from) / 1000.0 : 0);
    }
    db_rows_free(&r);
    return 0;
}

static int llm(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *calls = mf_metrics_family(
        m, "mapforge_llm_calls_total", MF_COUNTER,
        "Calls to a language model by purpose (check, suggestion) and outcome (ok, suggested, refused: the "
        "answer did not pass the plan's checks, rejected, failed, over_budget, other).");
    mf_metric_family *tokens = mf_metrics_family(
        m, "mapforge_llm_tokens_total", MF_COUNTER,
        "Language-model tokens spent, by direction (in: prompt, out: answer), provider and model.");
    db_rows r;
    if (query(s,
              "SELECT purpose, outcome, provider, model, count(*), coalesce(sum(tokens_in), 0),"
              " coalesce(sum(tokens_out), 0) FROM llm_calls GROUP BY purpose, outcome, provider, model"
              " ORDER BY purpose, outcome, provider, model",
              &r, e) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        mf_metrics_series(calls, "purpose", db_cell(&r, i, 0), "outcome", llm_outcome(db_cell(&r, i, 1)), NULL)
            ->value += (double)db_cell_ll(&r, i, 4);
        const char *prov = db_cell(&r, i, 2), *model = db_cell(&r, i, 3);
        mf_metrics_series(tokens, "direction", "in", "provider", prov, "model", model, NULL)->value +=
            (double)db_cell_ll(&r, i, 5);
        mf_metrics_series(tokens, "direction", "out", "provider", prov, "model", model, NULL)->value +=
            (double)db_cell_ll(&r, i, 6);
    }
    db_rows_free(&r);
    return 0;
}

static int loads(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *f = mf_metrics_family(m, "mapforge_loads_total", MF_COUNTER,
                                            "Loads of checked outputs into the warehouse by status (ok, interrupted).");
    mf_metrics_series(f, "status", "ok", NULL);
    mf_metrics_series(f, "status", "interrupted", NULL);
    mf_metric_series *rows =
        mf_metrics_series(mf_metrics_family(m, "mapforge_rows_loaded_total", MF_COUNTER,
                                            "Rows loaded into the warehouse by loads that committed."),
                          NULL);
    db_rows r;
    if (query(s, "SELECT status, count(*), coalesce(sum(rows_loaded), 0) FROM loads GROUP BY status ORDER BY status",
              &r, e) < 0)
        return -1;
    for (int i = 0; i < r.nrows; i++) {
        const char *st = db_cell(&r, i, 0);
        st = st && !strcmp(st, "ok") ? "ok" : st && !strcmp(st, "interrupted") ? "interrupted" : "other";
        mf_metrics_series(f, "status", st, NULL)->value += (double)db_cell_ll(&r, i, 1);
        if (!strcmp(st, "ok"))
            rows->value += (double)db_cell_ll(&r, i, 2);
    }
    db_rows_free(&r);
    return 0;
}

int store_metrics(store *s, mf_metrics *m, mf_err *e)
{
    mf_metric_family *info = mf_metrics_family(m, "mapforge_store_info", MF_GAUGE,
                                               "The state store scraped: 1, labelled with its backend.");
    mf_metrics_series(info, "backend", s->kind == STORE_PG ? "postgresql" : "sqlite", NULL)->value = 1;
    if (runs(s, m, e) < 0 || cache(s, m, e) < 0 || reviews(s, m, e) < 0 || llm(s, m, e) < 0 || loads(s, m, e) < 0)
        return -1;
    return 0;
}
