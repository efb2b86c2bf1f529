/* anchor.c — the audit chain held from outside the database.
 *
 * Someone who can write the store can rewrite an event and recompute every hash after it: the chain
 * in the database then checks.  An anchor file, kept where that person cannot write (another machine,
 * a write-once bucket, a printed report), holds a copy of the chain's hashes:
 *
 *   # mapforge audit anchors v1
 *   event 1 <hash of event 1>
 *   ...
 *   anchor 7 <hash of event 7> 2026-12-02T10:00:00Z
 *
 * `audit anchor --to FILE` appends the hashes of the events since the file's last anchor and a new
 * anchor line (the head at that moment); `audit verify --anchors FILE` requires every event the file
 * names to be in the store with the same hash.  Invariants: an anchor is only ever written over a
 * chain that verifies and that agrees with the file so far (a rewrite is never anchored over); the
 * file is only appended to, and synced before the command reports success.
 */
#include "store/store_db.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANCHOR_MAGIC "# mapforge audit anchors v1"

typedef struct anchor_line {
    long long seq;
    char hash[65];
    long lineno;
} anchor_line;

static bool is_hex64(const char *h)
{
    if (strlen(h) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", h[i]))
            return false;
    return true;
}

/* Read the event lines of an anchor file (an absent file has none).  *last_anchor = the seq of its
 * last anchor line (0 = none). */
static int read_anchors(const char *path, bool must_exist, anchor_line **out, int *n, long long *last_anchor,
                        mf_err *e)
{
    *out = NULL;
    *n = 0;
    *last_anchor = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !must_exist)
            return 0;
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot read the anchor file: %s", strerror(errno));
    }
    char buf[512];
    long lineno = 0;
    int cap = 0;
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        buf[strcspn(buf, "\r\n")] = 0;
        if (lineno == 1 && strcmp(buf, ANCHOR_MAGIC)) {
            fclose(f);
            return mf_fail(e, MF_EPARSE, path, 1, 1, "not a mapforge anchor file (expected \"%s\")", ANCHOR_MAGIC);
        }
        if (!buf[0] || buf[0] == '#')
            continue;
        char kind[16], hash[80], at[40];
        long long seq;
        int got = sscanf(buf, "%15s %lld %79s %39s", kind, &seq, hash, at);
        bool ev = got == 3 && !strcmp(kind, "event"), an = got == 4 && !strcmp(kind, "anchor");
        if ((!ev && !an) || seq < 1 || !is_hex64(hash)) {
            fclose(f);
            free(*out);
            *out = NULL;
            return mf_fail(e, MF_EPARSE, path, lineno, 1,
                           "expected \"event SEQ HASH\" or \"anchor SEQ HASH TIME\" (HASH: 64 hex digits)");
        }
        if (an) {
            *last_anchor = seq;
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = mf_xrealloc(*out, (size_t)cap * sizeof **out);
        }
        (*out)[*n].seq = seq;
        memcpy((*out)[*n].hash, hash, 64);          /* is_hex64: exactly 64 characters */
        (*out)[*n].hash[64] = 0;
        (*out)[*n].lineno = lineno;
        (*n)++;
    }
    fclose(f);
    return 0;
}

/* Every event of the file must be in the store with the same hash.  1 and r filled when not. */
static int compare(const anchor_line *a, int na, const store_audit_event *ev, int nev, const char *path,
                   store_audit_report *r)
{
    for (int i = 0; i < na; i++) {
        long long s = a[i].seq;
        if (s > nev) {
            r->bad_seq = s;
            snprintf(r->problem, sizeof r->problem, "event %lld was anchored (%s line %ld) but the store has only "
                     "%d events (deleted after it was anchored)", s, path, a[i].lineno, nev);
            return 1;
        }
        if (strcmp(ev[s - 1].hash, a[i].hash)) {
            r->bad_seq = s;
            snprintf(r->problem, sizeof r->problem, "event %lld differs from its anchored hash (%s line %ld): "
                     "changed, deleted or reordered after it was anchored", s, path, a[i].lineno);
            return 1;
        }
    }
    return 0;
}

/* The chain in the store, then the file against it.  *last_event: the last event the file names
 * (0 = none).  0 good, 1 bad (r), -1 error. */
static int verify_with(store *s, const char *path, bool must_exist, store_audit_event **ev, int *nev,
                       long long *last_anchor, long long *last_event, store_audit_report *r, mf_err *e)
{
    *ev = NULL;
    *nev = 0;
    *last_event = 0;
    int bad = store_audit_verify(s, r, e);
    if (bad != 0)
        return bad;
    anchor_line *a;
    int na;
    if (read_anchors(path, must_exist, &a, &na, last_anchor, e) < 0)
        return -1;
    if (store_audit_list(s, NULL, ev, nev, e) < 0) {
        free(a);
        return -1;
    }
    bad = compare(a, na, *ev, *nev, path, r);
    if (na)
        *last_event = a[na - 1].seq;
    free(a);
    return bad;
}

int store_audit_verify_anchors(store *s, const char *path, store_audit_report *r, mf_err *e)
{
    store_audit_event *ev;
    int nev;
    long long last, last_event;
    int bad = verify_with(s, path, true, &ev, &nev, &last, &last_event, r, e);
    store_audit_events_free(ev, nev);
    if (bad == 0) {
        r->anchored = last;
        snprintf(r->problem, sizeof r->problem, "%lld events, chain intact, events 1-%lld as anchored", r->nevents,
                 last);
    }
    return bad;
}

int store_audit_anchor(store *s, const char *path, const char *actor, store_audit_report *r, mf_err *e)
{
    store_audit_event *ev;
    int nev;
    long long last, from;
    int bad = verify_with(s, path, false, &ev, &nev, &last, &from, r, e);
    store_audit_events_free(ev, nev);
    if (bad != 0)
        return bad;
    /* the anchoring is itself an event, and the anchor covers it */
    if (store_audit_append(s, actor, "audit_anchored", NULL, path, NULL, NULL, e) < 0)
        return -1;
    if (store_audit_list(s, NULL, &ev, &nev, e) < 0)
        return -1;
    mf_buf b = {0};
    bool fresh = access(path, F_OK) != 0;
    if (fresh)
        mf_buf_printf(&b, "%s\n", ANCHOR_MAGIC);
    for (int i = (int)from; i < nev; i++)
        mf_buf_printf(&b, "event %lld %s\n", ev[i].seq, ev[i].hash);
    char now[32];
    store_now(now);
    mf_buf_printf(&b, "anchor %lld %s %s\n", ev[nev - 1].seq, ev[nev - 1].hash, now);
    r->anchored = ev[nev - 1].seq;
    r->nevents = nev;
    snprintf(r->problem, sizeof r->problem, "anchored events 1-%lld (head %.12s) in %s", r->anchored,
             ev[nev - 1].hash, path);
    store_audit_events_free(ev, nev);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = mf_fail(e, MF_EIO, path, 0, 0, "cannot open the anchor file for appending: %s", strerror(errno));
    } else {
        ssize_t w = write(fd, b.data, b.len);
        if (w != (ssize_t)b.len || fsync(fd) < 0)
            rc = mf_fail(e, MF_EIO, path, 0, 0, "cannot write the anchor file: %s", strerror(errno));
        if (close(fd) < 0 && rc == 0)
            rc = mf_fail(e, MF_EIO, path, 0, 0, "cannot close the anchor file: %s", strerror(errno));
    }
    mf_buf_free(&b);
    return rc;
}
