/* metrics.h — a small in-memory set of metric families and its Prometheus text exposition
 * (format 0.0.4): "# HELP", "# TYPE", counters, gauges and histograms (_bucket{le=...}, _sum,
 * _count).  The state store fills one from its tables (store/metrics.c); `mapforge metrics` and
 * GET /metrics print it.
 *
 * Invariants: families print in the order they were added, series in the order they were first
 * asked for; a series is identified by its label pairs (asking again returns the same one); label
 * values and help texts are escaped as the format requires (\\, \" and \n in values, \\ and \n in
 * help); histogram buckets print cumulative, ending with le="+Inf" equal to _count.
 */
#ifndef MF_METRICS_H
#define MF_METRICS_H

#include "util/buf.h"

#define MF_METRIC_MAX_LABELS 4

typedef enum mf_metric_type { MF_COUNTER, MF_GAUGE, MF_HISTOGRAM } mf_metric_type;

typedef struct mf_metric_series {
    char *label[MF_METRIC_MAX_LABELS][2];   /* name, value; nlabels used */
    int nlabels;
    double value;                           /* counter, gauge */
    long long *bucket;                      /* histogram: observations <= le[i] (not cumulative) */
    long long count;
    double sum;
} mf_metric_series;

typedef struct mf_metric_family {
    char *name, *help;
    mf_metric_type type;
    double *le;                             /* histogram upper bounds, increasing, without +Inf */
    int nle;
    mf_metric_series **series;              /* each allocated on its own: pointers stay valid */
    int nseries;
} mf_metric_family;

typedef struct mf_metrics {
    mf_metric_family **fam;                 /* each allocated on its own: pointers stay valid */
    int nfam;
} mf_metrics;

void mf_metrics_init(mf_metrics *m);
void mf_metrics_free(mf_metrics *m);
/* A new family (names are [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in _total). */
mf_metric_family *mf_metrics_family(mf_metrics *m, const char *name, mf_metric_type type, const char *help);
mf_metric_family *mf_metrics_histogram(mf_metrics *m, const char *name, const char *help, const double *le, int nle);
/* The series of f with these labels: NULL-terminated name, value pairs (none: just NULL). */
mf_metric_series *mf_metrics_series(mf_metric_family *f, ...);
void mf_metrics_observe(const mf_metric_family *f, mf_metric_series *s, double v);
/* The text exposition of every family. */
void mf_metrics_text(const mf_metrics *m, mf_buf *out);

#endif
