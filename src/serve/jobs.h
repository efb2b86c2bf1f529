/* jobs.h — runs started from the web app: each runs the review's approved plan through the
 * workflow stage (flow_run_review) on a thread of its own with its own store connection, and keeps
 * its live progress for the server-sent events of /events; finished runs become notifications (and
 * an optional webhook POST).
 *
 * Invariants: a job's output directory is made by this server under HOME/web-runs/ and is the only
 * place /rejects reads from; at most one job per review runs at a time; the job table lives in the
 * server's memory, 256 jobs, the oldest finished one dropped for a new one (a restarted server
 * still lists the runs from the store, without their files); a job is freed only after its thread
 * ended, and every reader finds it by id under the lock.
 */
#ifndef MF_SERVE_JOBS_H
#define MF_SERVE_JOBS_H

#include "serve/serve_internal.h"

#include <stdbool.h>

typedef struct jobs_view {
    long long id, review_id, run_id;   /* run_id 0 until the run is recorded */
    bool done;
    char state[16];                    /* flow state name at the end: checked, loaded, failed */
    char error[1024];                  /* the run's error, "" */
    char findings[4096];               /* validation findings, "" when passed */
    char load[512];                    /* "loaded N rows into T (TABLE)", "" */
    char out_dir[1024];
    long long rows;
    unsigned long long bytes, bytes_total;
    double elapsed;
} jobs_view;

/* Start a run of review_id as user: refused (MF_ECONFLICT) when the review is not approved (or was
 * run and may run again) or a run of it is going on. */
int jobs_start(serve_state *s, long long review_id, const char *user, long long *job, mf_err *e);
int jobs_get(long long job, jobs_view *v);          /* 1 found, 0 not */
int jobs_find_run(long long run_id, jobs_view *v);  /* the job that made run run_id: 1, 0 */
/* The notifications (finished, failed runs), newest first, as HTML paragraphs; returns how many. */
int jobs_notifications_html(mf_buf *b);
/* The first n rejects of the job's rejects.csv, escaped. */
void jobs_first_rejects_html(mf_buf *b, const jobs_view *v, int n);
/* The job's rejects.csv into out: 1, or 0 when there is none. */
int jobs_rejects_file(const jobs_view *v, mf_buf *out);
/* The server-sent events of a job (a struct MHD_Response *), NULL when there is no such job. */
void *jobs_sse_response(long long job);
/* Stop accepting jobs and wait for the running ones (server shutdown). */
void jobs_shutdown(void);

#endif
