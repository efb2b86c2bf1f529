/* batch_internal.h — private to the batch stage (batch*.c): one entry's workflow, run in its worker. */
#ifndef MF_FLOW_BATCH_INTERNAL_H
#define MF_FLOW_BATCH_INTERNAL_H

#include "flow/batch.h"

/* Take entry x through the workflow with env (the worker's own store connection) and the batch's
 * run options: x's status, why, ids, hashes and counts are filled.  Never fails as a call: a
 * failure is the entry's (status failed, why; interrupted when it was MF_EINTR). */
void batch_entry_work(const flow_env *env, batch_entry *x, const flow_run_options *base, mf_err *e);

#endif
