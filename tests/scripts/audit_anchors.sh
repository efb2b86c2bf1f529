#!/usr/bin/env bash
# audit_anchors.sh — the audit trail against someone who can write the database.
#   1. Every stored hash is recomputed independently here (Python, from the encoding in docs/audit.md),
#      so the encoding the product uses is the documented one, field by field.
#   2. With that encoding an insider rewrites the store consistently (every later hash recomputed and
#      the head fixed): plain `audit verify` cannot see it; `audit verify --anchors FILE` names the
#      first bad event — for a rewritten event, a deleted newest event, a replaced approval subject and
#      a truncated trail.  An anchor is refused over a trail that disagrees with the file.
#   3. With MAPFORGE_AUDIT_KEY_FILE every event is signed; a consistent rewrite without the key is
#      caught by verify alone; a key file others can read is refused.
# Usage: audit_anchors.sh path/to/mapforge
set -euo pipefail
mf=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "audit_anchors: $*" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed (it recomputes the hashes independently)"

# forge.py DB ACTION [ARG]: check or rewrite the store with the documented encoding.
cat > "$work/forge.py" <<'PY'
import hashlib, sqlite3, sys

def field(v):
    b = (v or "").encode()
    return str(len(b)).encode() + b":" + b + b"\n"

def event_hash(seq, at, actor, event, client, subject, details, prev):
    h = hashlib.sha256(b"mapforge-audit-v1\n" + str(seq).encode() + b"\n")
    for v in (at, actor, event, client, subject, details, prev):
        h.update(field(v))
    return h.hexdigest()

db = sqlite3.connect(sys.argv[1])
action = sys.argv[2]
rows = db.execute("SELECT seq, at, actor, event, client, subject, details, prev_hash, hash FROM audit_events"
                  " ORDER BY seq").fetchall()
if action == "check":            # every stored hash equals the independent computation
    prev = "0" * 64
    for r in rows:
        want = event_hash(r[0], r[1], r[2], r[3], r[4], r[5], r[6], prev)
        if r[7] != prev or r[8] != want:
            sys.exit("event %d: stored hash %s, independently computed %s" % (r[0], r[8], want))
        prev = r[8]
    print(len(rows))
    sys.exit(0)

if action == "edit":             # edit SEQ: rewrite one event's details
    db.execute("UPDATE audit_events SET details = '{\"comment\":\"rewritten\"}' WHERE seq = ?", (int(sys.argv[3]),))
elif action == "subject":        # subject SEQ NEW: replace an event's subject
    db.execute("UPDATE audit_events SET subject = ? WHERE seq = ?", (sys.argv[4], int(sys.argv[3])))
elif action == "drop_last":
    db.execute("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
elif action == "truncate":       # truncate N: keep the first N events
    db.execute("DELETE FROM audit_events WHERE seq > ?", (int(sys.argv[3]),))
elif action == "swap_unlinked":  # swap_unlinked A B: swap two events' places, rehash each, keep prev_hash
    a, b = int(sys.argv[3]), int(sys.argv[4])
    db.execute("UPDATE audit_events SET seq = -1 WHERE seq = ?", (a,))
    db.execute("UPDATE audit_events SET seq = ? WHERE seq = ?", (a, b))
    db.execute("UPDATE audit_events SET seq = ? WHERE seq = -1", (b,))
    for r in db.execute("SELECT seq, at, actor, event, client, subject, details, prev_hash FROM audit_events"
                        " WHERE seq IN (?, ?)", (a, b)).fetchall():
        db.execute("UPDATE audit_events SET hash = ? WHERE seq = ?", (event_hash(*r), r[0]))
    last = db.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", last)
    db.commit()
    sys.exit(0)
else:
    sys.exit("unknown action " + action)
# recompute every hash and the head, as an insider with the documented encoding would
prev = "0" * 64
for r in db.execute("SELECT seq, at, actor, event, client, subject, details FROM audit_events ORDER BY seq").fetchall():
    h = event_hash(*r, prev)
    db.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, r[0]))
    prev = h
last = db.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
db.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", last)
db.commit()
PY

# A fresh trail: plan versions, an approval whose subject is the plan's SHA-256, an anchor.
new_trail() {   # new_trail DIR
  rm -rf "$1"; mkdir -p "$1"
  for i in 1 2 3; do "$mf" audit append plan_version --client ACME --home "$1" --as alice --comment "v$i" >/dev/null; done
  "$mf" audit append approval --client ACME --key 9bbf6a29488b0000 --home "$1" --as bob --comment ok >/dev/null
  "$mf" audit append run --client ACME --home "$1" --as bob >/dev/null
  "$mf" audit anchor --to "$1/anchors" --home "$1" --as carol | grep -q "anchored events 1-6" ||
    fail "anchor of a fresh trail"
}
verify_plain_intact() { "$mf" audit verify --home "$1" | grep -q "intact" || fail "plain verify after a consistent rewrite ($2) should still say intact"; }
expect_broken() {   # expect_broken DIR SEQ WORDS [extra verify args]
  local dir=$1 seq=$2 words=$3; shift 3
  set +e
  out=$("$mf" audit verify --home "$dir" "$@")
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "verify $* exited $rc, want 1 ($words): $out"
  grep -q "BROKEN at event $seq: .*$words" <<<"$out" || fail "verify $* did not name event $seq ($words): $out"
}

t=$work/t
new_trail "$t"
[ "$(python3 "$work/forge.py" "$t/state.db" check)" = 6 ] || fail "independent hash check"
"$mf" audit verify --home "$t" --anchors "$t/anchors" | grep -q "events 1-6 agree with the anchors" ||
  fail "verify --anchors on an intact trail"

python3 "$work/forge.py" "$t/state.db" edit 2
verify_plain_intact "$t" "edit"
expect_broken "$t" 2 "differs from its anchored hash" --anchors "$t/anchors"
set +e; out=$("$mf" audit anchor --to "$t/anchors" --home "$t"); rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "nothing anchored" <<<"$out" || fail "an anchor over a rewritten trail: rc=$rc $out"

new_trail "$t"
python3 "$work/forge.py" "$t/state.db" subject 4 0000000000000000
verify_plain_intact "$t" "subject"
expect_broken "$t" 4 "differs from its anchored hash" --anchors "$t/anchors"

new_trail "$t"
python3 "$work/forge.py" "$t/state.db" drop_last
verify_plain_intact "$t" "drop_last"
expect_broken "$t" 6 "anchored .* has only 5 events" --anchors "$t/anchors"

new_trail "$t"
python3 "$work/forge.py" "$t/state.db" truncate 2
verify_plain_intact "$t" "truncate"
expect_broken "$t" 3 "anchored .* has only 2 events" --anchors "$t/anchors"

# two events swapped, each rehashed with its new number but not relinked: every hash matches its
# content, so only the prev_hash links show it (the link check, named by the event that no longer follows)
new_trail "$t"
python3 "$work/forge.py" "$t/state.db" swap_unlinked 2 3
expect_broken "$t" 2 "does not follow event 1"

# a second anchor appends only what is new, and both hold
new_trail "$t"
"$mf" audit append load --client ACME --home "$t" >/dev/null
"$mf" audit anchor --to "$t/anchors" --home "$t" | grep -q "anchored events 1-8" || fail "second anchor"
[ "$(grep -c '^anchor ' "$t/anchors")" -eq 2 ] && [ "$(grep -c '^event ' "$t/anchors")" -eq 8 ] ||
  fail "the anchor file should hold 8 event lines and 2 anchors: $(cat "$t/anchors")"
"$mf" audit verify --home "$t" --anchors "$t/anchors" >/dev/null || fail "verify after two anchors"
printf 'not an anchor file\n' > "$work/bogus"
set +e; out=$("$mf" audit verify --home "$t" --anchors "$work/bogus" 2>&1); rc=$?; set -e
[ "$rc" -eq 1 ] && grep -q "bogus:1" <<<"$out" || fail "a file that is not an anchor file: rc=$rc $out"

# signatures: a key outside the store
k=$work/key
head -c 32 /dev/urandom > "$k"; chmod 600 "$k"
s=$work/s
mkdir -p "$s"
"$mf" audit append plan_version --client ACME --home "$s" >/dev/null          # before the key: unsigned
for i in 1 2 3; do MAPFORGE_AUDIT_KEY_FILE=$k "$mf" audit append plan_version --client ACME --home "$s" >/dev/null; done
MAPFORGE_AUDIT_KEY_FILE=$k "$mf" audit verify --home "$s" | grep -q "3 signed (earlier events predate the key)" ||
  fail "verify with the key: $(MAPFORGE_AUDIT_KEY_FILE=$k "$mf" audit verify --home "$s")"
python3 "$work/forge.py" "$s/state.db" edit 3
verify_plain_intact "$s" "edit, signed trail"
MAPFORGE_AUDIT_KEY_FILE=$k expect_broken "$s" 3 "signature that does not match"
chmod 644 "$k"
set +e; out=$(MAPFORGE_AUDIT_KEY_FILE=$k "$mf" audit append x --home "$s" 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] && grep -q "owner only" <<<"$out" || fail "a key file others can read must be refused: $out"
echo "audit_anchors: ok"
