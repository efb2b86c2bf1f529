/* livy.h — a Spark batch through Apache Livy's REST protocol: the way managed Spark (Microsoft
 * Fabric's Livy API, HDInsight, any Livy server in front of YARN or Kubernetes) accepts a job.
 *
 *   POST   BASE/batches                 {file, pyFiles, args, name, conf}  -> 201 {id, state, ...}
 *   GET    BASE/batches/{id}/state      -> {id, state}   polled with backoff until a final state
 *   GET    BASE/batches/{id}/log?from=&size=  -> {id, from, total, log: [lines]}  (paged)
 *   DELETE BASE/batches/{id}            on Ctrl-C or a timeout: stops the job on the cluster
 * Final states: success; dead, killed, error (failures).  Every other state (not_started,
 * starting, recovering, running, busy, idle, shutting_down) is waited out.
 *
 * Invariants: the bearer token goes only into the Authorization header (util/http.h) — never into
 * a message, the log file or anything kept; text the server sends back has the token blotted out
 * before it is shown; a batch this client created is deleted whenever the client gives up on it
 * (interrupt, timeout), and its log is fetched first.
 */
#ifndef MF_LIVY_H
#define MF_LIVY_H

#include "util/err.h"

typedef struct livy_batch {
    const char *url;              /* the endpoint: BASE, or BASE/batches */
    const char *token;            /* bearer token; NULL or "" = none */
    const char *file;             /* job.py, as the cluster reads it (a URI) */
    const char *py_file;          /* mapforge_runtime.py, likewise */
    const char *const *args;      /* the job's arguments */
    int nargs;
    const char *name;             /* the batch's name, shown by the service */
    const char *conf_json;        /* NULL, or a JSON object of Spark settings (strings) */
    double timeout_s;             /* give up (and delete the batch) after this long; 0 = 24 h */
    double poll_max_s;            /* the longest wait between two polls; 0 = 10 s */
} livy_batch;

typedef enum livy_outcome { LIVY_SUCCESS = 0, LIVY_FAILED = 1 } livy_outcome;

/* Submit b, wait for its final state, and write its log (one line per log record) to log_path.
 * Returns LIVY_SUCCESS, or LIVY_FAILED when the batch ended dead, killed or in error (final_state
 * holds the state, id the batch); -1 with e filled when the exchange itself failed (unreachable,
 * an HTTP error, refused credentials, interrupted, timed out).  id/final_state: at least 64 bytes. */
int livy_run(const livy_batch *b, const char *log_path, char *id, char *final_state, mf_err *e);

#endif
