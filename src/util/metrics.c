/* metrics.c — metric families in memory and their Prometheus text exposition (metrics.h). */
#include "util/metrics.h"
#include "util/err.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_metrics_init(mf_metrics *m)
{
    memset(m, 0, sizeof *m);
}

void mf_metrics_free(mf_metrics *m)
{
    for (int i = 0; i < m->nfam; i++) {
        mf_metric_family *f = m->fam[i];
        for (int j = 0; j < f->nseries; j++) {
            for (int k = 0; k < f->series[j]->nlabels; k++) {
                free(f->series[j]->label[k][0]);
                free(f->series[j]->label[k][1]);
            }
            free(f->series[j]->bucket);
            free(f->series[j]);
        }
        free(f->series);
        free(f->le);
        free(f->name);
        free(f->help);
        free(f);
    }
    free(m->fam);
    memset(m, 0, sizeof *m);
}

mf_metric_family *mf_metrics_family(mf_metrics *m, const char *name, mf_metric_type type, const char *help)
{
    m->fam = mf_xrealloc(m->fam, (size_t)(m->nfam + 1) * sizeof *m->fam);
    mf_metric_family *f = mf_xcalloc(1, sizeof *f);
    m->fam[m->nfam++] = f;
    f->name = mf_xstrdup(name);
    f->help = mf_xstrdup(help);
    f->type = type;
    return f;
}

mf_metric_family *mf_metrics_histogram(mf_metrics *m, const char *name, const char *help, const double *le, int nle)
{
    mf_metric_family *f = mf_metrics_family(m, name, MF_HISTOGRAM, help);
    f->le = mf_xmalloc((size_t)(nle ? nle : 1) * sizeof *f->le);
    memcpy(f->le, le, (size_t)nle * sizeof *le);
    f->nle = nle;
    return f;
}

mf_metric_series *mf_metrics_series(mf_metric_family *f, ...)
{
    const char *kv[MF_METRIC_MAX_LABELS][2];
    int n = 0;
    va_list ap;
    va_start(ap, f);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL && n < MF_METRIC_MAX_LABELS) {
        const char *v = va_arg(ap, const char *);
        kv[n][0] = k;
        kv[n][1] = v ? v : "";
        n++;
    }
    va_end(ap);
    for (int i = 0; i < f->nseries; i++) {
        mf_metric_series *s = f->series[i];
        int same = s->nlabels == n;
        for (int j = 0; same && j < n; j++)
            same = !strcmp(s->label[j][0], kv[j][0]) && !strcmp(s->label[j][1], kv[j][1]);
        if (same)
            return s;
    }
    f->series = mf_xrealloc(f->series, (size_t)(f->nseries + 1) * sizeof *f->series);
    mf_metric_series *s = mf_xcalloc(1, sizeof *s);
    f->series[f->nseries++] = s;
    for (int j = 0; j < n; j++) {
        s->label[j][0] = mf_xstrdup(kv[j][0]);
        s->label[j][1] = mf_xstrdup(kv[j][1]);
    }
    s->nlabels = n;
    if (f->type == MF_HISTOGRAM)
        s->bucket = mf_xcalloc((size_t)(f->nle ? f->nle : 1), sizeof *s->bucket);
    return s;
}

void mf_metrics_observe(const mf_metric_family *f, mf_metric_series *s, double v)
{
    for (int i = 0; i < f->nle; i++)
        if (v <= f->le[i]) {
            s->bucket[i]++;
            break;
        }
    s->count++;
    s->sum += v;
}

/* ---- the text format -------------------------------------------------------------------------- */

/* A number as the shortest text that reads back the same ("3", "0.25", "+Inf"). */
static void add_number(mf_buf *b, double v)
{
    if (isinf(v)) {
        mf_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (isnan(v)) {
        mf_buf_adds(b, "NaN");
        return;
    }
    char t[64];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    mf_buf_adds(b, t);
}

static void add_escaped(mf_buf *b, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            mf_buf_adds(b, "\\\\");
        else if (*s == '\n')
            mf_buf_adds(b, "\\n");
        else if (*s == '"' && quote)
            mf_buf_adds(b, "\\\"");
        else
            mf_buf_addc(b, *s);
    }
}

/* NAME{labels[,le="x"]} */
static void add_sample_name(mf_buf *b, const char *name, const char *suffix, const mf_metric_series *s, const char *le)
{
    mf_buf_adds(b, name);
    mf_buf_adds(b, suffix);
    if (!s->nlabels && !le)
        return;
    mf_buf_addc(b, '{');
    for (int i = 0; i < s->nlabels; i++) {
        mf_buf_printf(b, "%s%s=\"", i ? "," : "", s->label[i][0]);
        add_escaped(b, s->label[i][1], 1);
        mf_buf_addc(b, '"');
    }
    if (le)
        mf_buf_printf(b, "%sle=\"%s\"", s->nlabels ? "," : "", le);
    mf_buf_addc(b, '}');
}

void mf_metrics_text(const mf_metrics *m, mf_buf *out)
{
    static const char *const type_name[] = {"counter", "gauge", "histogram"};
    for (int i = 0; i < m->nfam; i++) {
        const mf_metric_family *f = m->fam[i];
        mf_buf_printf(out, "# HELP %s ", f->name);
        add_escaped(out, f->help, 0);
        mf_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_name[f->type]);
        for (int j = 0; j < f->nseries; j++) {
            const mf_metric_series *s = f->series[j];
            if (f->type != MF_HISTOGRAM) {
                add_sample_name(out, f->name, "", s, NULL);
                mf_buf_addc(out, ' ');
                add_number(out, s->value);
                mf_buf_addc(out, '\n');
                continue;
            }
            long long cum = 0;
            for (int k = 0; k <= f->nle; k++) {
                mf_buf le = {0};
                if (k < f->nle) {
                    add_number(&le, f->le[k]);
                    cum += s->bucket[k];
                } else {
                    mf_buf_adds(&le, "+Inf");
                    cum = s->count;
                }
                add_sample_name(out, f->name, "_bucket", s, mf_buf_str(&le));
                mf_buf_printf(out, " %lld\n", cum);
                mf_buf_free(&le);
            }
            add_sample_name(out, f->name, "_sum", s, NULL);
            mf_buf_addc(out, ' ');
            add_number(out, s->sum);
            mf_buf_addc(out, '\n');
            add_sample_name(out, f->name, "_count", s, NULL);
            mf_buf_printf(out, " %lld\n", s->count);
        }
    }
}
