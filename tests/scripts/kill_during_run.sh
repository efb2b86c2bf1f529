#!/usr/bin/env bash
# kill_during_run.sh — kill -9 a run midway: no output file may appear under its real name, the
# audit chain still verifies, and rerunning completes (sweeping the dead run's temporaries).
#
# Usage: kill_during_run.sh MAPFORGE_BINARY   (gen_client_file is built beside it)
set -euo pipefail
mf=$(realpath "$1")
gen=$(dirname "$mf")/gen_client_file
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_kill_run.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MAPFORGE_HOME="$work/home" MAPFORGE_USER=tester
ex=$(cd "$(dirname "$0")/../../examples/acme_gl" && pwd)
fail() { echo "kill_during_run: FAIL: $*" >&2; exit 1; }

# An approved plan for ACME in the store (onboarded unattended on the example).
"$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" --out "$work/first" \
  --yes --no-load >/dev/null 2>&1 || fail "onboarding the example failed"
# A bigger file in the same layout: the rerun is a cache hit and runs long enough to be killed.
"$gen" "$work/big.csv" "${KILL_RUN_MB:-120}" >/dev/null

out="$work/out"
killed=0
for delay in 0.6 0.3 0.15 0.05; do
  rm -rf "$out"
  "$mf" run --client ACME --data "$work/big.csv" --out "$out" --no-load >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    # killed before it finished?  Then run.json must not exist (it is the last file renamed).
    if [ ! -e "$out/run.json" ]; then killed=1; break; fi
  else
    wait "$pid" || true
  fi
done
[ "$killed" -eq 1 ] || fail "every run finished before it could be killed"
for f in GL_ENTRIES.csv rejects.csv run.json GL_ENTRIES.parquet job.py; do
  [ ! -e "$out/$f" ] || fail "a killed run left $f under its real name"
done
"$mf" audit verify >/dev/null || fail "the audit chain does not verify after kill -9"

"$mf" run --client ACME --data "$work/big.csv" --out "$out" --no-load >"$work/rerun.log" 2>&1 ||
  { cat "$work/rerun.log" >&2; fail "the rerun failed"; }
python3 - "$out/run.json" <<'PY' || fail "the rerun's report does not account for every row"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["cache_hit"] is True, r
assert r["rows_in"] == r["rows_out"] + r["rows_rejected"] + r["rows_filtered"], r
assert r["rows_in"] > 100000, r
PY
leftover=$(find "$out" -name '.*.partial-*' | wc -l)
[ "$leftover" -eq 0 ] || fail "$leftover temporaries of the killed run are still in $out"
"$mf" audit verify >/dev/null || fail "the audit chain does not verify after the rerun"
echo "kill_during_run: ok (killed a run midway; no output under its real name; rerun completed; audit verifies)"
