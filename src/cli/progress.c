/* progress.c — the progress display (progress.h): a block redrawn in place with ANSI cursor
 * movement (up N lines, erase to the end of the screen), cut to the terminal's width. */
#include "cli/progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_mode_of(const char *opt, FILE *f, cli_progress_mode auto_else, cli_progress_mode *mode, mf_err *e)
{
    if (!opt || !strcmp(opt, "auto"))
        *mode = isatty(fileno(f)) ? CLI_PROGRESS_LIVE : auto_else;
    else if (!strcmp(opt, "live"))
        *mode = CLI_PROGRESS_LIVE;
    else if (!strcmp(opt, "plain"))
        *mode = CLI_PROGRESS_PLAIN;
    else if (!strcmp(opt, "none"))
        *mode = CLI_PROGRESS_NONE;
    else
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "--progress %s: expected auto, live, plain or none", opt);
    return 0;
}

void cli_progress_init(cli_progress *p, FILE *f, cli_progress_mode mode)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->mode = mode;
}

static int width_of(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 100;
}

/* line, control characters as '?', at most cols characters (UTF-8 sequences counted once). */
static void put_line(FILE *f, const char *line, int cols)
{
    int shown = 0;
    for (const unsigned char *s = (const unsigned char *)line; *s; s++) {
        bool cont = (*s & 0xC0) == 0x80;
        if (!cont && shown >= cols)
            break;
        if (!cont)
            shown++;
        fputc(*s < 0x20 || *s == 0x7f ? '?' : *s, f);
    }
    fputc('\n', f);
}

void cli_progress_clear(cli_progress *p)
{
    if (p->mode != CLI_PROGRESS_LIVE || !p->drawn)
        return;
    fprintf(p->f, "\r\033[%dA\033[J", p->drawn);
    p->drawn = 0;
    fflush(p->f);
}

void cli_progress_print(cli_progress *p, const char *line)
{
    if (p->mode == CLI_PROGRESS_NONE)
        return;
    cli_progress_clear(p);
    put_line(p->f, line, p->mode == CLI_PROGRESS_LIVE ? width_of(p->f) - 1 : 1 << 20);
    fflush(p->f);
    p->last = 0;   /* the block comes back at the next draw */
}

void cli_progress_draw(cli_progress *p, const char *const *lines, int n, bool force)
{
    if (p->mode != CLI_PROGRESS_LIVE)
        return;
    double now = mono();
    if (!force && p->drawn && now - p->last < 0.1)
        return;
    p->last = now;
    int cols = width_of(p->f) - 1;
    if (p->drawn)
        fprintf(p->f, "\r\033[%dA\033[J", p->drawn);
    for (int i = 0; i < n; i++)
        put_line(p->f, lines[i], cols);
    p->drawn = n;
    fflush(p->f);
}

const char *cli_progress_count(long long v, char *buf, size_t n)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v);
    size_t len = strlen(digits), k = 0;
    char out[48];
    if (v < 0)
        out[k++] = '-';
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

const char *cli_progress_clock(double s, char *buf, size_t n)
{
    if (s < 0 || s > 1e7) {
        snprintf(buf, n, "?");
        return buf;
    }
    long t = (long)(s + 0.5);
    char tmp[64];
    if (t >= 3600)
        snprintf(tmp, sizeof tmp, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(tmp, sizeof tmp, "%ld:%02ld", t / 60, t % 60);
    snprintf(buf, n, "%s", tmp);
    return buf;
}

void cli_progress_entry_line(char *buf, size_t n, const char *name, const flow_progress *fp, double since_start)
{
    if (!fp || !fp->phase || !*fp->phase) {
        snprintf(buf, n, "  %-16s starting  %.1f s", name, since_start);
        return;
    }
    char rows[32], rate[32], eta[16];
    cli_progress_count(fp->rows, rows, sizeof rows);
    if (strcmp(fp->phase, "run")) {   /* check, load: the rows are all read */
        snprintf(buf, n, "  %-16s %-5s %s rows  %.1f s", name, fp->phase, rows, since_start);
        return;
    }
    double el = fp->elapsed > 0.001 ? fp->elapsed : 0.001;
    cli_progress_count((long long)((double)fp->rows / el), rate, sizeof rate);
    int pct = fp->bytes_total ? (int)(100.0 * (double)fp->bytes / (double)fp->bytes_total) : 0;
    double left = fp->bytes && fp->bytes_total > fp->bytes
                      ? (double)(fp->bytes_total - fp->bytes) * el / (double)fp->bytes : 0;
    snprintf(buf, n, "  %-16s run  %3d%%  %s rows  %s rows/s  ETA %s", name, pct, rows, rate,
             cli_progress_clock(fp->bytes_total ? left : -1, eta, sizeof eta));
}
