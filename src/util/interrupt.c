/* interrupt.c — SIGINT / SIGTERM turned into a flag polled at check points (see interrupt.h). */
#include "util/interrupt.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (got_signal) {   /* the second one: stop now */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
}

int mf_interrupt_install(mf_err *e)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;   /* blocked reads and writes go on; the loops poll the flag */
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return mf_fail(e, MF_EIO, NULL, 0, 0, "cannot install the interrupt handlers: %s", strerror(errno));
    return 0;
}

int mf_interrupted(void)
{
    return got_signal;
}

int mf_interrupt_check(mf_err *e)
{
    int sig = got_signal;
    if (!sig)
        return 0;
    return mf_fail(e, MF_EINTR, NULL, 0, 0, "interrupted by %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void mf_interrupt_simulate(int sig)
{
    got_signal = sig;
}

void mf_sleep_ms(long ms)
{
    while (ms > 0 && !mf_interrupted()) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}
