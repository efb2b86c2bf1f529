#!/usr/bin/env bash
# batch.sh — `mapforge batch` on the three examples scaled to 50 clients (copies under other
# client names): cache hits run, check and load; new clients are drafted into the review queue and
# wait (nothing approved by the batch); one client's validator fails.  Then: the same batch again
# skips what is done and opens no second review; reviews approved by a person run in the next
# batch; a batch killed with kill -9 midway and run again finishes with every entry done exactly
# once (counted in the store's runs), outputs byte-identical to the examples' expected files, and
# no partial file anywhere.  Also: a folder of client folders, and a bad manifest row (file:line).
#
# Usage: batch.sh MAPFORGE_BINARY
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_batch.XXXXXX")
pgdb=""
cleanup() {
  [ -z "$pgdb" ] || psql "$MAPFORGE_TEST_PG" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export MAPFORGE_HOME="$work/home" MAPFORGE_USER=batcher
unset MAPFORGE_STORE MAPFORGE_VALIDATOR
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "batch: FAIL: $*" >&2; exit 1; }

# ---- 50 clients: 17 ACME, 17 ORION, 16 BERGMANN copies ---------------------------------------------
# family: prefix example data-file output
fam_A="acme_gl gl_extract.csv GL_ENTRIES"
fam_O="orion_trades trades.txt TRADES"
fam_B="bergmann_ap kreditoren.csv AP_INVOICES"
clients=()
for i in $(seq -w 1 17); do clients+=("A$i" "O$i"); done
for i in $(seq -w 1 16); do clients+=("B$i"); done
[ "${#clients[@]}" -eq 50 ] || fail "expected 50 clients, made ${#clients[@]}"
family() { local v="fam_${1:0:1}"; echo "${!v}"; }
# approved before the batch (cache hits): numbers 01-12 (ACME, ORION) and 01-11 (BERGMANN); the rest are new
approved_before() {
  local n=$((10#${1:1}))
  if [ "${1:0:1}" = B ]; then [ "$n" -le 11 ]; else [ "$n" -le 12 ]; fi
}

mkdir -p "$work/in"
printf '#!/bin/sh\necho '\''{"status":"fail","findings":[{"check":"control_total","message":"control total off by 42.00"}]}'\''\n' \
  > "$work/in/failing_validator.sh"
chmod +x "$work/in/failing_validator.sh"
manifest() {   # manifest OUTDIR → a manifest on stdout (relative paths: from the manifest's folder)
  echo "client,mapping,data,out,validator"
  for c in "${clients[@]}"; do
    read -r ex data out <<<"$(family "$c")"
    v=""
    [ "$c" = A03 ] && v="in/failing_validator.sh"
    echo "$c,in/$c/mapping.xlsx,in/$c/$data,$1/$c,$v"
  done
}
for c in "${clients[@]}"; do
  read -r ex data out <<<"$(family "$c")"
  mkdir -p "$work/in/$c"
  cp "$root/examples/$ex/mapping.xlsx" "$root/examples/$ex/$data" "$work/in/$c/"
done
manifest b1 > "$work/m1.csv"

# the approved plans, as a person would have approved them (onboard --yes), four at a time
for c in "${clients[@]}"; do approved_before "$c" && echo "$c"; done > "$work/approved.txt"
[ "$(wc -l < "$work/approved.txt")" -eq 35 ] || fail "expected 35 clients approved before the batch"
export mf work
xargs -P 4 -I{} sh -c 'set -e; c={}; d=$(ls "$work/in/$c" | grep -v mapping.xlsx);
  "$mf" onboard --client "$c" --mapping "$work/in/$c/mapping.xlsx" --data "$work/in/$c/$d" \
    --out "$work/pre/$c" --yes --no-load >/dev/null 2>"$work/pre_$c.err" || { cat "$work/pre_$c.err"; exit 255; }' \
  < "$work/approved.txt" || fail "onboarding the approved clients failed"

check_outputs() {   # check_outputs OUTDIR CLIENT... : byte-identical to the example's expected files
  local dir=$1; shift
  for c in "$@"; do
    read -r ex data out <<<"$(family "$c")"
    cmp -s "$dir/$c/$out.csv" "$root/examples/$ex/expected/$out.csv" || fail "$dir/$c/$out.csv differs from the expected output"
    cmp -s "$dir/$c/rejects.csv" "$root/examples/$ex/expected/rejects.csv" || fail "$dir/$c/rejects.csv differs from the expected rejects"
  done
}
no_partials() { local left; left=$(find "$1" -name '.*.partial-*'); [ -z "$left" ] || fail "partial files left under $1: $left"; }

# ---- batch 1: 34 done, 15 waiting for review, 1 failed (its validator) --------------------------------
rc=0
"$mf" batch "$work/m1.csv" --out "$work/b1" --jobs 4 --progress=plain > "$work/b1.log" 2> "$work/b1.err" || rc=$?
[ "$rc" -eq 5 ] || { cat "$work/b1.log" "$work/b1.err" >&2; fail "batch 1 exited $rc, expected 5 (one entry failed)"; }
[ ! -s "$work/b1.err" ] || fail "batch 1 wrote on stderr (a sanitizer's report of a worker?): $(head -c 2000 "$work/b1.err")"
[ "$(grep -c '^started ' "$work/b1.log")" -eq 50 ] || fail "batch 1: not 50 'started' lines"
[ "$(grep -c '^done ' "$work/b1.log")" -eq 34 ] || fail "batch 1: not 34 'done' lines"
[ "$(grep -c '^waiting ' "$work/b1.log")" -eq 15 ] || fail "batch 1: not 15 'waiting' lines"
[ "$(grep -c '^failed ' "$work/b1.log")" -eq 1 ] || fail "batch 1: not 1 'failed' line"
grep -q '^failed A03: validation failed.*control total off by 42.00' "$work/b1.log" ||
  fail "batch 1: A03's failure does not say the validator's finding: $(grep '^failed' "$work/b1.log")"
python3 - "$work/b1/batch.json" "$work/approved.txt" <<'PY' || fail "batch 1: batch.json is wrong"
import json, sys
b = json.load(open(sys.argv[1]))
approved = set(open(sys.argv[2]).read().split())
t = b["totals"]
assert (t["entries"], t["done"], t["skipped"], t["waiting_for_review"], t["failed"], t["not_run"]) == (50, 34, 0, 15, 1, 0), t
assert b["outcome"] == "failed", b["outcome"]
for e in b["entries"]:
    c = e["client"]
    if c == "A03":
        assert e["status"] == "failed" and "control total" in e["why"], e
    elif c in approved:
        assert e["status"] == "done" and e["cache_hit"] and not e["skipped"], e
        assert e["rows_in"] == e["rows_out"] + e["rows_rejected"] + e["rows_filtered"] > 0, e
        assert len(e["input_sha256"]) == 64 and len(e["plan_sha256"]) == 64 and e["run_id"], e
    else:
        assert e["status"] == "waiting_for_review" and e["review_id"] and not e["cache_hit"], e
        assert e["rows_in"] == 0 and e["run_id"] is None, e
done = [e for e in b["entries"] if e["status"] == "done"]
assert t["rows_in"] == sum(e["rows_in"] for e in done) and t["rows_out"] == sum(e["rows_out"] for e in done), t
assert t["bytes"] == sum(e["bytes"] for e in done) > 0, t
PY
mapfile -t done1 < <(grep -v '^A03$' "$work/approved.txt")
check_outputs "$work/b1" "${done1[@]}"
for c in "${clients[@]}"; do
  approved_before "$c" && continue
  [ ! -e "$work/b1/$c/run.json" ] && [ -z "$(ls -A "$work/b1/$c" 2>/dev/null)" ] ||
    fail "batch 1: $c waits for review but has outputs"
done
no_partials "$work/b1"

# the review queue holds one open review per new client, drafted, nothing approved by the batch
queue() { "$mf" reviews --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
for x in r["reviews"]:
    if x["state"] in ("drafted", "in_review"): print(x["client"], x["id"])
' | sort; }
queue > "$work/queue1.txt"
for c in "${clients[@]}"; do approved_before "$c" || echo "$c"; done | sort > "$work/new.txt"
[ "$(cut -d' ' -f1 "$work/queue1.txt")" = "$(cat "$work/new.txt")" ] ||
  fail "the review queue is not the 15 new clients: $(cat "$work/queue1.txt" | tr '\n' ' ')"
python3 - <<PY || fail "the batch approved something"
import json, subprocess
log = subprocess.run(["$mf", "audit", "log", "--json"], capture_output=True, text=True, check=True).stdout
n = 0
for line in log.splitlines():
    if not line.strip(): continue
    ev = json.loads(line)
    if ev.get("event") == "approval":
        n += 1
assert n == 35, f"{n} approvals, expected the 35 onboard --yes made"
PY

# ---- the same batch again: what is done is skipped, no second review, A03 fails again ---------------------
rc=0
"$mf" batch "$work/m1.csv" --out "$work/b1" --jobs 4 --progress=none > "$work/b1b.log" 2>&1 || rc=$?
[ "$rc" -eq 5 ] || { cat "$work/b1b.log" >&2; fail "batch 1 again exited $rc, expected 5"; }
grep -q '^batch: 50 entries .*34 done (34 already done before), 15 waiting for review, 1 failed' "$work/b1b.log" ||
  fail "batch 1 again: the summary is wrong: $(head -3 "$work/b1b.log")"
! grep -q '^started \|^done ' "$work/b1b.log" || fail "--progress=none printed event lines"
queue > "$work/queue1b.txt"
cmp -s "$work/queue1.txt" "$work/queue1b.txt" || fail "batch 1 again changed the review queue"

# ---- a person approves five of the waiting reviews; the next batch runs them -------------------------
for c in A13 A14 O13 O14 B12; do
  read -r ex data out <<<"$(family "$c")"
  printf '/approve looked at it\n' | "$mf" onboard --client "$c" --mapping "$work/in/$c/mapping.xlsx" \
    --data "$work/in/$c/$data" --out "$work/scratch/$c" --no-load > /dev/null 2>&1 || fail "approving $c failed"
done

# ---- batch 2 into a new month's folder, killed with kill -9 midway, then run again ---------------------
manifest b2 > "$work/m2.csv"
"$mf" batch "$work/m2.csv" --out "$work/b2" --jobs 2 --progress=plain > "$work/b2k.log" 2>&1 &
pid=$!
for _ in $(seq 1 2400); do   # up to two minutes on a loaded machine
  [ "$(grep -c '^done ' "$work/b2k.log" || true)" -ge 6 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
exec 4>&2 2>/dev/null   # bash's "Killed" notice for the job is expected: not on the test's stderr
killed=0
kill -9 "$pid" && killed=1
wait "$pid" || true
exec 2>&4 4>&-
[ "$killed" -eq 1 ] || fail "batch 2 finished before it could be killed"
ndone_killed=$(grep -c '^done ' "$work/b2k.log" || true)
[ "$ndone_killed" -ge 1 ] && [ "$ndone_killed" -lt 39 ] || fail "batch 2 was not killed midway ($ndone_killed done)"
# its workers died with it
for _ in $(seq 1 100); do pgrep -f "batch $work/m2.csv" >/dev/null || break; sleep 0.05; done
! pgrep -f "batch $work/m2.csv" >/dev/null || fail "workers of the killed batch are still running"
# the killed batch's summary says it never finished, and every entry it lists as done is a complete set
python3 - "$work/b2/batch.json" <<'PY' || fail "the killed batch's batch.json is wrong"
import json, os, sys
b = json.load(open(sys.argv[1]))
assert b["outcome"] == "running", b["outcome"]
assert b["totals"]["entries"] == 50, b["totals"]
done = [e for e in b["entries"] if e["status"] == "done"]
assert b["totals"]["done"] == len(done) and b["totals"]["not_run"] >= 1, b["totals"]
for e in done:
    assert os.path.exists(os.path.join(e["out"], "run.json")), e
PY
for d in "$work"/b2/*/; do   # a run.json present means a complete set
  [ -e "$d/run.json" ] || continue
  python3 - "$d" <<'PY' || fail "a killed batch left an inconsistent set in $d"
import json, sys, glob, os
d = sys.argv[1]
r = json.load(open(os.path.join(d, "run.json")))
csv = [p for p in glob.glob(os.path.join(d, "*.csv")) if not p.endswith("rejects.csv")][0]
with open(csv, newline="") as f:
    import csv as c
    n = sum(1 for _ in c.reader(f)) - 1
assert n == r["rows_out"], (n, r["rows_out"])
PY
done

rc=0
"$mf" batch "$work/m2.csv" --out "$work/b2" --jobs 2 --progress=plain > "$work/b2.log" 2> "$work/b2.err" || rc=$?
[ "$rc" -eq 5 ] || { cat "$work/b2.log" "$work/b2.err" >&2; fail "the resumed batch 2 exited $rc, expected 5"; }
[ ! -s "$work/b2.err" ] || fail "the resumed batch 2 wrote on stderr: $(head -c 2000 "$work/b2.err")"
grep '^done ' "$work/b2k.log" | sed 's/^done \([^:]*\):.*/\1/' | sort > "$work/killed_done.txt"
python3 - "$work/b2/batch.json" "$work/killed_done.txt" <<'PY' || fail "the resumed batch 2: batch.json is wrong"
import json, sys
b = json.load(open(sys.argv[1]))
done_before = set(open(sys.argv[2]).read().split())
t = b["totals"]
assert (t["entries"], t["done"], t["waiting_for_review"], t["failed"], t["not_run"]) == (50, 39, 10, 1, 0), t
skipped = {e["client"] for e in b["entries"] if e["skipped"]}
assert done_before <= skipped, ("done before the kill but run again", done_before - skipped)
for e in b["entries"]:
    if e["client"] in ("A13", "A14", "O13", "O14", "B12"):
        assert e["status"] == "done" and e["cache_hit"], e
PY
mapfile -t done2 < <( (grep -v '^A03$' "$work/approved.txt"; printf '%s\n' A13 A14 O13 O14 B12) )
[ "${#done2[@]}" -eq 39 ] || fail "expected 39 clients done in batch 2"
check_outputs "$work/b2" "${done2[@]}"
no_partials "$work/b2"
no_partials "$work/b1"

# exactly once: loaded runs per client in the store — two for those done in batch 1 and batch 2, one for
# the five approved later (their approval run was --no-load), none for A03 and the ten still waiting
"$mf" reviews --json | python3 -c '
import json, sys, collections
r = json.load(sys.stdin)
loaded = collections.Counter(x["client"] for x in r["runs"] if x["state"] == "loaded")
approved = set(open(sys.argv[1]).read().split()) - {"A03"}
later = {"A13", "A14", "O13", "O14", "B12"}
for c in set(loaded) | approved | later:
    want = 2 if c in approved else 1 if c in later else 0
    assert loaded[c] == want, (c, loaded[c], want)
assert sum(loaded.values()) == 2 * 34 + 5, sum(loaded.values())
' "$work/approved.txt" || fail "an entry was not loaded exactly once per batch"
queue > "$work/queue2.txt"
[ "$(wc -l < "$work/queue2.txt")" -eq 10 ] || fail "the review queue does not hold the 10 still waiting"
"$mf" audit verify >/dev/null || fail "the audit chain does not verify after the batches"

# ---- Ctrl-C (SIGINT to the batch): the running entry is stopped, nothing more starts, exit 130 ---------
manifest b3 > "$work/m3.csv"
"$mf" batch "$work/m3.csv" --out "$work/b3" --jobs 1 --progress=plain > "$work/b3.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q '^started ' "$work/b3.log" 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || { cat "$work/b3.log" >&2; fail "Ctrl-C: exit $rc, expected 130"; }
python3 - "$work/b3/batch.json" <<'PY' || fail "Ctrl-C: batch.json is wrong"
import json, sys
b = json.load(open(sys.argv[1]))
t = b["totals"]
assert b["outcome"] == "interrupted" and t["not_run"] >= 40 and t["failed"] == 0, (b["outcome"], t)
assert all(e["status"] in ("done", "waiting_for_review", "interrupted") for e in b["entries"]), b["entries"]
PY
no_partials "$work/b3"

# ---- a folder of client folders ------------------------------------------------------------------------
mkdir -p "$work/dir"
for ex in acme_gl orion_trades; do
  mkdir "$work/dir/$ex"
  cp "$root/examples/$ex/"* "$work/dir/$ex/" 2>/dev/null || true   # the example's files (not expected/)
  echo "DIR_$ex" > "$work/dir/$ex/client.txt"
done
mkdir "$work/dir/empty_client"; echo "a,b" > "$work/dir/empty_client/data.csv"
rc=0
"$mf" batch "$work/dir" --out "$work/dout" > "$work/dir.log" 2>&1 || rc=$?
[ "$rc" -eq 5 ] || { cat "$work/dir.log" >&2; fail "batch DIR exited $rc, expected 5"; }
python3 - "$work/dout/batch.json" <<'PY' || fail "batch DIR: batch.json is wrong"
import json, sys
b = json.load(open(sys.argv[1]))
e = {x["client"]: x for x in b["entries"]}
assert set(e) == {"DIR_acme_gl", "DIR_orion_trades", "empty_client"}, set(e)
assert e["DIR_acme_gl"]["status"] == "waiting_for_review" and e["DIR_acme_gl"]["data"].endswith("gl_extract.csv"), e
assert e["DIR_acme_gl"]["mapping"].endswith("mapping.xlsx") and e["DIR_acme_gl"]["out"].endswith("/acme_gl"), e
assert e["DIR_orion_trades"]["data"].endswith("trades.txt"), e
assert e["empty_client"]["status"] == "failed" and "no mapping" in e["empty_client"]["why"], e
PY
rm -rf "$work/dir/empty_client"
rc=0
"$mf" batch "$work/dir" --out "$work/dout" --progress=live > "$work/live.log" 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "batch DIR with every entry waiting exited $rc, expected 4"
# the live display: redrawn in place (cursor up, erase), the overall line at 2/2, then taken off
grep -q $'\033\[[0-9]*A\033\[J' "$work/live.log" || fail "--progress=live drew nothing in place"
grep -aq '^batch [0-2]/2  ETA' "$work/live.log" || fail "--progress=live: no overall line"
grep -aq '^  DIR_acme_gl *starting' "$work/live.log" || fail "--progress=live: no line for a running entry"

# a single run shows the same progress (plain: one line per phase, on stderr)
"$mf" run --client A01 --data "$work/in/A01/gl_extract.csv" --out "$work/single" --no-load --progress=plain \
  > "$work/single.out" 2> "$work/single.err" || fail "run --client A01 failed: $(cat "$work/single.err")"
grep -Eq '^mapforge: progress: A01 +run +[0-9]+%  90 rows' "$work/single.err" &&
  grep -q '^mapforge: progress: A01 *check 90 rows' "$work/single.err" ||
  fail "run --progress=plain did not show its phases: $(cat "$work/single.err")"

# ---- a bad manifest row: file:line, nothing runs --------------------------------------------------------
printf 'client,mapping,data,out\nX1,in/A01/mapping.xlsx,in/A01/gl_extract.csv,bad/X1\nX2,in/A02/mapping.xlsx,,bad/X2\n' \
  > "$work/bad.csv"
rc=0
"$mf" batch "$work/bad.csv" > "$work/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a bad manifest exited $rc, expected 1"
grep -q "bad.csv:3" "$work/bad.log" || fail "a bad manifest row is not named by file:line: $(cat "$work/bad.log")"
[ ! -e "$work/bad" ] || fail "a bad manifest ran something"
printf 'client,mapping,data,out\nX1,m.xlsx,d.csv,same\nX2,m.xlsx,d2.csv,same\n' > "$work/dup.csv"
rc=0
"$mf" batch "$work/dup.csv" > "$work/dup.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "dup.csv:3.*already the output of" "$work/dup.log" ||
  fail "two entries with one output directory were not refused: $(cat "$work/dup.log")"

# ---- a PostgreSQL store and warehouse (a database of its own): four workers writing at once ------------
if [ -n "${MAPFORGE_TEST_PG:-}" ]; then
  command -v psql >/dev/null || fail "MAPFORGE_TEST_PG is set but psql is missing"
  pgdb=mf_batch_$$
  pgurl=${MAPFORGE_TEST_PG%/*}/$pgdb
  psql "$MAPFORGE_TEST_PG" -qc "CREATE DATABASE $pgdb" >/dev/null 2>&1 || fail "could not create database $pgdb"
  { echo "client,mapping,data,out"
    for c in A01 A02 A04 A05 O01 O02 O03 O04; do
      read -r ex data out <<<"$(family "$c")"; echo "$c,in/$c/mapping.xlsx,in/$c/$data,pg/$c"
    done; } > "$work/mpg.csv"
  for c in A01 A02 A04 A05; do
    "$mf" onboard --store "$pgurl" --client "$c" --mapping "$work/in/$c/mapping.xlsx" \
      --data "$work/in/$c/gl_extract.csv" --out "$work/pgpre/$c" --yes --no-load >/dev/null 2>&1 ||
      fail "onboarding $c on PostgreSQL failed"
  done
  for round in 1 2; do
    rc=0
    "$mf" batch "$work/mpg.csv" --out "$work/pg" --store "$pgurl" --db "$pgurl" --jobs 4 --progress=none \
      > "$work/pg$round.log" 2>&1 || rc=$?
    [ "$rc" -eq 4 ] || { cat "$work/pg$round.log" >&2; fail "PostgreSQL batch $round exited $rc, expected 4"; }
  done
  python3 - "$work/pg/batch.json" <<'PY' || fail "PostgreSQL: batch.json is wrong"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
assert (t["done"], t["skipped"], t["waiting_for_review"], t["failed"]) == (4, 4, 4, 0), t
PY
  check_outputs "$work/pg" A01 A02 A04 A05
  "$mf" reviews --json --store "$pgurl" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert sorted(x["client"] for x in r["runs"] if x["state"] == "loaded") == ["A01", "A02", "A04", "A05"], r["runs"]
assert sorted(x["client"] for x in r["reviews"] if x["state"] == "drafted") == ["O01", "O02", "O03", "O04"], r["reviews"]
' || fail "PostgreSQL: runs or reviews are wrong"
  n=$(psql "$pgurl" -qtAX -c 'SELECT count(DISTINCT "_mapforge_client") FROM "GL_ENTRIES"')
  [ "$n" -eq 4 ] || fail "PostgreSQL warehouse: $n clients loaded, expected 4"
elif [ "${CI:-}" = true ]; then
  fail "MAPFORGE_TEST_PG is not set (CI must not skip PostgreSQL)"
fi

echo "batch: ok (50 clients: 34 done, 15 waiting, 1 failed validator; rerun skips; 5 approved later run; kill -9 after $ndone_killed done and resume: each entry loaded exactly once; DIR mode; bad rows named)"
