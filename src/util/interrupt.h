/* interrupt.h — Ctrl-C and SIGTERM as an orderly stop.
 *
 * mf_interrupt_install() makes SIGINT and SIGTERM set a flag instead of killing the process.  Long
 * loops (the run's reader and writer, the Parquet writer, the load) poll mf_interrupted() between
 * blocks and fail with MF_EINTR; the ordinary error path then removes their temporaries and
 * publishes nothing, and the front end records the run as interrupted and exits 130.  A second
 * signal while the first is being handled restores the default action and re-raises it, so a
 * process that does not reach a check point can still be stopped.
 * Invariant: the handler only stores to a volatile sig_atomic_t (async-signal-safe).
 */
#ifndef MF_INTERRUPT_H
#define MF_INTERRUPT_H

#include "util/err.h"

/* Install the handlers (idempotent).  Returns 0 or -1 with e filled. */
int mf_interrupt_install(mf_err *e);
/* The signal number received (SIGINT, SIGTERM), 0 when none. */
int mf_interrupted(void);
/* Fill e with MF_EINTR ("interrupted by SIGINT") when a signal arrived: returns -1, else 0. */
int mf_interrupt_check(mf_err *e);
/* Sleep ms milliseconds in steps of at most 100 ms, returning early when a signal arrived. */
void mf_sleep_ms(long ms);
/* Test hook: behave as if signal sig had arrived (0 clears). */
void mf_interrupt_simulate(int sig);

#endif
