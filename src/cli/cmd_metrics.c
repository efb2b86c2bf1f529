/* cmd_metrics.c — `mapforge metrics [--store URL]`: a scrape of the state store's key metrics in
 * the Prometheus text format (version 0.0.4), the same text GET /metrics serves (docs/metrics.md).
 * Read-only: it changes nothing and appends no event.
 */
#include "cli/cli.h"
#include "store/store.h"
#include "util/metrics.h"

#include <stdio.h>
#include <stdlib.h>

int cli_metrics(const cli_options *o, mf_err *e)
{
    store *s = cli_open_store(o, e);
    if (!s)
        return CLI_FAILED;
    mf_metrics m;
    mf_metrics_init(&m);
    mf_buf out = {0};
    int rc = store_metrics(s, &m, e);
    store_close(s);
    if (rc == 0) {
        mf_metrics_text(&m, &out);
        if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
            rc = mf_fail(e, MF_EIO, NULL, 0, 0, "cannot write the metrics to standard output");
    }
    mf_buf_free(&out);
    mf_metrics_free(&m);
    return rc < 0 ? CLI_FAILED : 0;
}
