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
 * The bearer token comes from one of three sources: a fixed token, a token command (run through
 * /bin/sh at the start and again whenever the endpoint answers 401: its standard output, trimmed, is
 * the token — e.g. `az account get-access-token ... -o tsv`) or a token file (read at the start and
 * re-read on a 401, for a token another process keeps fresh; a command that has not finished
 * within 120 s, or when the run is interrupted, is killed).  Managed services' tokens expire
 * (Entra ID: about an hour) while a long batch runs; a request answered 401 is sent once more with a
 * fresh token, and a refresh that fails or gives back the refused token ends the run with one clear
 * line (the batch's id and that it may still be running on the service).
 *
 * Invariants: a token goes only into the Authorization header (util/http.h) — never into a message,
 * the log file or anything kept; every token used in this run (the old ones too) is blotted out of
 * text the server sends back before it is shown; a request is re-sent at most once per 401; a batch
 * this client created is deleted whenever the client gives up on it while it holds a usable token
 * (interrupt, timeout), and its log is fetched first.
 */
#ifndef MF_LIVY_H
#define MF_LIVY_H

#include "util/err.h"

typedef struct livy_batch {
    const char *url;              /* the endpoint: BASE, or BASE/batches */
    const char *token;            /* a fixed bearer token; NULL or "" = none */
    const char *token_cmd;        /* a shell command printing a token, run again on a 401; NULL = none */
    const char *token_file;       /* a file holding a token, re-read on a 401 (owner-only); NULL = none */
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

/* Submit b (at most one of token, token_cmd, token_file set: more is refused), wait for its final state, and write its log (one line per log record) to log_path.
 * Returns LIVY_SUCCESS, or LIVY_FAILED when the batch ended dead, killed or in error (final_state
 * holds the state, id the batch); -1 with e filled when the exchange itself failed (unreachable,
 * an HTTP error, refused credentials, interrupted, timed out).  id/final_state: at least 64 bytes. */
int livy_run(const livy_batch *b, const char *log_path, char *id, char *final_state, mf_err *e);

#endif
