/* progress.h — the progress display shared by `batch`, `onboard` and `run`.
 *
 * live:  a block of lines (an overall line, then one per running entry) redrawn in place on a
 *        terminal, at most ten times a second; lines that stay (an entry finished, a message) are
 *        printed above the block, which is redrawn under them.
 * plain: no redrawing: the caller prints one line per event through cli_progress_print.
 * none:  nothing but what the caller prints itself.
 *
 * Invariants: every line is cut to the terminal's width (a wrapped line would break the cursor
 * arithmetic) and control characters in it — a client's name or a message may hold any text —
 * are shown as '?', never sent to the terminal.
 */
#ifndef MF_CLI_PROGRESS_H
#define MF_CLI_PROGRESS_H

#include "flow/flow.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum cli_progress_mode { CLI_PROGRESS_NONE, CLI_PROGRESS_PLAIN, CLI_PROGRESS_LIVE } cli_progress_mode;

/* --progress auto|live|plain|none (NULL = auto: live when f is a terminal, else auto_else). */
int cli_progress_mode_of(const char *opt, FILE *f, cli_progress_mode auto_else, cli_progress_mode *mode, mf_err *e);

typedef struct cli_progress {
    FILE *f;
    cli_progress_mode mode;
    int drawn;                   /* lines of the live block on the screen now */
    double last;                 /* when the block was last drawn */
} cli_progress;

void cli_progress_init(cli_progress *p, FILE *f, cli_progress_mode mode);
/* A line that stays (any mode but none; in live mode above the block). */
void cli_progress_print(cli_progress *p, const char *line);
/* Redraw the live block (nothing in other modes); at most every 0.1 s unless force. */
void cli_progress_draw(cli_progress *p, const char *const *lines, int n, bool force);
/* Take the live block off the screen. */
void cli_progress_clear(cli_progress *p);

/* "NAME  run  45%  120,000 rows  85,000 rows/s  ETA 0:03" from a flow progress report; before the
 * first report (fp NULL or no phase) "NAME  starting  0.4 s". */
void cli_progress_entry_line(char *buf, size_t n, const char *name, const flow_progress *fp, double since_start);
/* 1234567 → "1,234,567". */
const char *cli_progress_count(long long v, char *buf, size_t n);
/* seconds → "0:07", "1:02:03"; negative → "?". */
const char *cli_progress_clock(double s, char *buf, size_t n);

#endif
