/* audit.c — the audit trail: append-only events chained by SHA-256.
 *
 * Invariants:
 *   - events are numbered 1, 2, 3... without gaps; event N's prev_hash is event N-1's hash (64
 *     zeros for event 1); hash = SHA-256 of the canonical serialisation below;
 *   - an append reads the last event and writes the next one inside one exclusive transaction, so
 *     two processes appending at once neither fork the chain nor lose an event;
 *   - audit_head holds the last appended (seq, hash), written in the same transaction: deleting the
 *     newest events shows as a gap too, not only deleting one in the middle.
 *
 * Canonical serialisation (docs/audit.md): "mapforge-audit-v1\n", seq in decimal and "\n", then
 * each of at, actor, event, client, subject, details, prev_hash as "<byte length>:<bytes>\n" —
 * length-prefixed so that no two different events serialise alike.
 *
 * Signatures: when MAPFORGE_AUDIT_KEY_FILE names a key file (owner-only permissions, 16 to 1024
 * bytes), each appended event's hash is also signed, HMAC-SHA256(key, "mapforge-audit-sig-v1\n" +
 * hash), in audit_sigs in the same transaction.  Someone who can write the database but has no key
 * can recompute every hash, not a signature.  Verify with the key checks every event from the first
 * signed one on.  Anchors (anchor.c) hold the chain against a rewrite from outside the database.
 */
#include "store/store_db.h"
#include "util/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char zero_hash[65] = "0000000000000000000000000000000000000000000000000000000000000000";



/* ---- signatures ----------------------------------------------------------------------------------- */

typedef struct audit_key {
    unsigned char bytes[1024];
    size_t len;                 /* 0 = no key configured */
} audit_key;

/* The key named by MAPFORGE_AUDIT_KEY_FILE; k->len = 0 when the variable is unset or empty. */
static int load_key(audit_key *k, mf_err *e)
{
    k->len = 0;
    const char *path = getenv("MAPFORGE_AUDIT_KEY_FILE");
    if (!path || !*path)
        return 0;
    struct stat st;
    if (stat(path, &st) < 0)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot read the audit key file (MAPFORGE_AUDIT_KEY_FILE)");
    if (st.st_mode & 077)
        return mf_fail(e, MF_EUSAGE, path, 0, 0,
                       "the audit key file must be readable by its owner only (chmod 600), its mode is %03o",
                       (unsigned)(st.st_mode & 0777));
    FILE *f = fopen(path, "rb");
    if (!f)
        return mf_fail(e, MF_EIO, path, 0, 0, "cannot open the audit key file");
    k->len = fread(k->bytes, 1, sizeof k->bytes, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    if (more || k->len < 16) {
        OPENSSL_cleanse(k->bytes, sizeof k->bytes);
        k->len = 0;
        return mf_fail(e, MF_EUSAGE, path, 0, 0, "an audit key must be 16 to 1024 bytes");
    }
    return 0;
}

static void sign_hash(const audit_key *k, const char *hash, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char msg[128];
    int len = snprintf(msg, sizeof msg, "mapforge-audit-sig-v1\n%s", hash);
    if (!HMAC(EVP_sha256(), k->bytes, (int)k->len, (const unsigned char *)msg, (size_t)len, mac, &n) || n != 32) {
        out[0] = 0;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

void audit_event_hash(const store_audit_event *ev, char out[65])
{
    mf_sha256 *h = mf_sha256_new();
    char seq[40];
    int n = snprintf(seq, sizeof seq, "mapforge-audit-v1\n%lld\n", ev->seq);
    mf_sha256_update(h, seq, (size_t)n);
    mf_sha256_field(h, ev->at);
    mf_sha256_field(h, ev->actor);
    mf_sha256_field(h, ev->event);
    mf_sha256_field(h, ev->client);
    mf_sha256_field(h, ev->subject);
    mf_sha256_field(h, ev->details);
    mf_sha256_field(h, ev->prev_hash);
    mf_sha256_final_hex(h, out);
}

int store_audit_append(store *s, const char *actor, const char *event, const char *client, const char *subject,
                       const char *details_json, long long *seq_out, mf_err *e)
{
    if (!event || !*event)
        return mf_fail(e, MF_EUSAGE, NULL, 0, 0, "an audit event needs a name");
    store_audit_event ev;
    memset(&ev, 0, sizeof ev);
    char who[256];
    if (!actor || !*actor) {
        store_actor(NULL, who, sizeof who);
        actor = who;
    }
    ev.actor = (char *)actor;
    ev.event = (char *)event;
    ev.client = (char *)(client ? client : "");
    ev.subject = (char *)(subject ? subject : "");
    ev.details = (char *)(details_json && *details_json ? details_json : "{}");
    audit_key key;
    if (load_key(&key, e) < 0)
        return -1;

    if (db_begin(s, "audit_events", e) < 0)
        goto wipe;
    db_rows r;
    if (db_exec(s, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1", 0, NULL, &r, e) < 0)
        goto fail;
    ev.seq = r.nrows ? db_cell_ll(&r, 0, 0) + 1 : 1;
    snprintf(ev.prev_hash, sizeof ev.prev_hash, "%s", r.nrows && db_cell(&r, 0, 1) ? db_cell(&r, 0, 1) : zero_hash);
    db_rows_free(&r);
    /* The time is taken under the lock, so that times never go backwards along the chain. */
    store_now(ev.at);
    audit_event_hash(&ev, ev.hash);

    char seq[32];
    snprintf(seq, sizeof seq, "%lld", ev.seq);
    const char *p[] = {seq, ev.at, ev.actor, ev.event, ev.client, ev.subject, ev.details, ev.prev_hash, ev.hash};
    if (db_exec(s,
                "INSERT INTO audit_events (seq, at, actor, event, client, subject, details, prev_hash, hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                9, p, NULL, e) < 0)
        goto fail;
    const char *ph[] = {seq, ev.hash};
    if (db_exec(s,
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)"
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                2, ph, NULL, e) < 0)
        goto fail;
    if (key.len) {
        char sig[65];
        sign_hash(&key, ev.hash, sig);
        const char *ps[] = {seq, sig};
        if (!sig[0]) {
            mf_fail(e, MF_EIO, NULL, 0, 0, "could not sign the audit event (HMAC failed)");
            goto fail;
        }
        if (db_exec(s, "INSERT INTO audit_sigs (seq, sig) VALUES ($1, $2)", 2, ps, NULL, e) < 0)
            goto fail;
    }
    if (db_commit(s, e) < 0)
        goto fail;
    OPENSSL_cleanse(key.bytes, sizeof key.bytes);
    if (seq_out)
        *seq_out = ev.seq;
    return 0;
fail:
    db_rollback(s);
wipe:
    OPENSSL_cleanse(key.bytes, sizeof key.bytes);
    return -1;
}

static char *dup_cell(const db_rows *r, int i, int c)
{
    const char *v = db_cell(r, i, c);
    return mf_xstrdup(v ? v : "");
}

static void event_from_row(const db_rows *r, int i, store_audit_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = db_cell_ll(r, i, 0);
    snprintf(ev->at, sizeof ev->at, "%s", db_cell(r, i, 1) ? db_cell(r, i, 1) : "");
    ev->actor = dup_cell(r, i, 2);
    ev->event = dup_cell(r, i, 3);
    ev->client = dup_cell(r, i, 4);
    ev->subject = dup_cell(r, i, 5);
    ev->details = dup_cell(r, i, 6);
    snprintf(ev->prev_hash, sizeof ev->prev_hash, "%s", db_cell(r, i, 7) ? db_cell(r, i, 7) : "");
    snprintf(ev->hash, sizeof ev->hash, "%s", db_cell(r, i, 8) ? db_cell(r, i, 8) : "");
}

#define EVENT_COLS "seq, at, actor, event, client, subject, details, prev_hash, hash"

int store_audit_list(store *s, const char *client, store_audit_event **out, int *n, mf_err *e)
{
    db_rows r;
    const char *p[] = {client};
    *out = NULL;
    *n = 0;
    int rc = client ? db_exec(s, "SELECT " EVENT_COLS " FROM audit_events WHERE client = $1 ORDER BY seq", 1, p, &r, e)
                    : db_exec(s, "SELECT " EVENT_COLS " FROM audit_events ORDER BY seq", 0, NULL, &r, e);
    if (rc < 0)
        return -1;
    if (r.nrows)
        *out = mf_xcalloc((size_t)r.nrows, sizeof **out);
    for (int i = 0; i < r.nrows; i++)
        event_from_row(&r, i, &(*out)[i]);
    *n = r.nrows;
    db_rows_free(&r);
    return 0;
}

void store_audit_events_free(store_audit_event *ev, int n)
{
    for (int i = 0; ev && i < n; i++) {
        free(ev[i].actor);
        free(ev[i].event);
        free(ev[i].client);
        free(ev[i].subject);
        free(ev[i].details);
    }
    free(ev);
}

/* Check one event against its predecessor; 1 and r filled when it is bad. */
static int check_event(const store_audit_event *ev, long long want_seq, const char *want_prev, store_audit_report *r)
{
    char h[65];
    if (ev->seq != want_seq) {
        r->bad_seq = want_seq;
        if (ev->seq > want_seq)
            snprintf(r->problem, sizeof r->problem, "event %lld is missing: the chain jumps from %lld to %lld (deleted)",
                     want_seq, want_seq - 1, ev->seq);
        else
            snprintf(r->problem, sizeof r->problem, "event %lld is out of sequence (found seq %lld)", want_seq,
                     ev->seq);
        return 1;
    }
    if (strcmp(ev->prev_hash, want_prev)) {
        r->bad_seq = ev->seq;
        snprintf(r->problem, sizeof r->problem,
                 "event %lld does not follow event %lld: its prev_hash differs from that event's hash"
                 " (reordered, or an earlier event was rewritten)",
                 ev->seq, ev->seq - 1);
        return 1;
    }
    audit_event_hash(ev, h);
    if (strcmp(h, ev->hash)) {
        r->bad_seq = ev->seq;
        snprintf(r->problem, sizeof r->problem, "event %lld was edited: its hash does not match its content", ev->seq);
        return 1;
    }
    return 0;
}

/* The head must name the last event: otherwise the newest events were deleted. */
static int check_head(store *s, const store_audit_event *last, long long n, store_audit_report *r, mf_err *e)
{
    db_rows h;
    if (db_exec(s, "SELECT seq, hash FROM audit_head WHERE id = 1", 0, NULL, &h, e) < 0)
        return -1;
    int bad = 0;
    long long head_seq = h.nrows ? db_cell_ll(&h, 0, 0) : 0;
    const char *head_hash = h.nrows ? db_cell(&h, 0, 1) : NULL;
    if (head_seq != n) {
        bad = 1;
        r->bad_seq = n + 1;
        snprintf(r->problem, sizeof r->problem,
                 head_seq > n ? "event %lld is missing: the trail ends at %lld but %lld events were appended (deleted)"
                              : "event %lld is not recorded as appended (the trail has %lld events, the head says %lld)",
                 n + 1, n, head_seq);
    } else if (last && (!head_hash || strcmp(head_hash, last->hash))) {
        bad = 1;
        r->bad_seq = last->seq;
        snprintf(r->problem, sizeof r->problem, "event %lld is not the event that was appended last (its hash differs)",
                 last->seq);
    }
    db_rows_free(&h);
    return bad;
}

/* With a key: every event from the first signed one on carries a valid signature.  r->signed_from /
 * r->nsigned say what was checked.  1 and r filled when one is missing or wrong, -1 on error. */
static int check_sigs(store *s, const store_audit_event *ev, int n, store_audit_report *r, mf_err *e)
{
    audit_key key;
    if (load_key(&key, e) < 0)
        return -1;
    if (!key.len)
        return 0;
    r->keyed = true;
    db_rows rows;
    if (db_exec(s, "SELECT seq, sig FROM audit_sigs ORDER BY seq", 0, NULL, &rows, e) < 0) {
        OPENSSL_cleanse(key.bytes, sizeof key.bytes);
        return -1;
    }
    int bad = 0, k = 0;
    for (int i = 0; i < n && !bad; i++) {
        while (k < rows.nrows && db_cell_ll(&rows, k, 0) < ev[i].seq)
            k++;
        const char *sig = k < rows.nrows && db_cell_ll(&rows, k, 0) == ev[i].seq ? db_cell(&rows, k, 1) : NULL;
        if (!sig) {
            if (r->nsigned == 0)
                continue;                       /* appended before the key was configured */
            bad = 1;
            snprintf(r->problem, sizeof r->problem, "event %lld is not signed, but event %lld before it is "
                     "(its signature was removed, or it was added without the key)", ev[i].seq, r->signed_from);
        } else {
            char want[65];
            sign_hash(&key, ev[i].hash, want);
            if (!want[0] || strcmp(want, sig)) {
                bad = 1;
                snprintf(r->problem, sizeof r->problem, "event %lld has a signature that does not match its hash "
                         "(rewritten by someone without the key)", ev[i].seq);
            } else if (!r->nsigned++) {
                r->signed_from = ev[i].seq;
            }
        }
        if (bad)
            r->bad_seq = ev[i].seq;
    }
    db_rows_free(&rows);
    OPENSSL_cleanse(key.bytes, sizeof key.bytes);
    return bad;
}

int store_audit_verify(store *s, store_audit_report *r, mf_err *e)
{
    memset(r, 0, sizeof *r);
    store_audit_event *ev;
    int n;
    if (store_audit_list(s, NULL, &ev, &n, e) < 0)
        return -1;
    int bad = 0;
    const char *prev = zero_hash;
    for (int i = 0; i < n && !bad; i++) {
        bad = check_event(&ev[i], (long long)i + 1, prev, r);
        prev = ev[i].hash;
        r->nevents = i + 1;
    }
    if (!bad)
        bad = check_head(s, n ? &ev[n - 1] : NULL, n, r, e);
    if (!bad)
        bad = check_sigs(s, ev, n, r, e);
    store_audit_events_free(ev, n);
    if (!bad)
        snprintf(r->problem, sizeof r->problem, "%lld events, chain intact", r->nevents);
    return bad;
}
