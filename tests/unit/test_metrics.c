/* test_metrics.c — the Prometheus text exposition (util/metrics.c): HELP and TYPE lines, label
 * values and help escaped, a series found again by its labels, histogram buckets cumulative with
 * +Inf equal to _count, numbers printed as the shortest text that reads back the same; and the
 * pointers handed out stay valid while more families and series are added. */
#include "check.h"
#include "util/metrics.h"

#include <string.h>

static void test_text(void)
{
    mf_metrics m;
    mf_metrics_init(&m);
    mf_metric_family *c = mf_metrics_family(&m, "x_total", MF_COUNTER, "a \\ help\nline");
    mf_metric_series *a = mf_metrics_series(c, "k", "a\"b\\c\nd", NULL);
    static const double le[] = {1, 2.5};
    mf_metric_family *h = mf_metrics_histogram(&m, "d_seconds", "durations", le, 2);
    mf_metric_series *hs = mf_metrics_series(h, "kind", "x", NULL);
    for (int i = 0; i < 20; i++)   /* more series: a and hs must not move */
        mf_metrics_series(c, "n", i % 2 ? "odd" : "even", NULL)->value += 1;
    mf_metrics_family(&m, "g", MF_GAUGE, "a gauge");
    a->value = 3;
    CHECK(mf_metrics_series(c, "k", "a\"b\\c\nd", NULL) == a);
    mf_metrics_observe(h, hs, 0.5);
    mf_metrics_observe(h, hs, 2.5);
    mf_metrics_observe(h, hs, 7);
    mf_metrics_observe(h, mf_metrics_series(h, NULL), 0.1);
    mf_buf out = {0};
    mf_metrics_text(&m, &out);
    CHECK_STR(mf_buf_str(&out), "# HELP x_total a \\\\ help\\nline\n"
                                "# TYPE x_total counter\n"
                                "x_total{k=\"a\\\"b\\\\c\\nd\"} 3\n"
                                "x_total{n=\"even\"} 10\n"
                                "x_total{n=\"odd\"} 10\n"
                                "# HELP d_seconds durations\n"
                                "# TYPE d_seconds histogram\n"
                                "d_seconds_bucket{kind=\"x\",le=\"1\"} 1\n"
                                "d_seconds_bucket{kind=\"x\",le=\"2.5\"} 2\n"
                                "d_seconds_bucket{kind=\"x\",le=\"+Inf\"} 3\n"
                                "d_seconds_sum{kind=\"x\"} 10\n"
                                "d_seconds_count{kind=\"x\"} 3\n"
                                "d_seconds_bucket{le=\"1\"} 1\n"
                                "d_seconds_bucket{le=\"2.5\"} 1\n"
                                "d_seconds_bucket{le=\"+Inf\"} 1\n"
                                "d_seconds_sum 0.1\n"
                                "d_seconds_count 1\n"
                                "# HELP g a gauge\n"
                                "# TYPE g gauge\n");
    mf_buf_free(&out);
    mf_metrics_free(&m);
}

int main(void)
{
    test_text();
    CHECK_DONE();
}
