#!/usr/bin/env bash
# cli_outcomes.sh — what a scheduler acts on: streams, exit codes, cache tolerance, interrupts.
#   - run --client writes nothing on stdout (diagnostics go to stderr);
#   - a header-only file still hits the cache and produces empty outputs (exit 0);
#   - a failed validation (exit 3) does not keep the approved plan from running on the next file;
#   - invalidating an already invalid entry says so and keeps the first comment;
#   - a cache miss that needs a person exits 4 and suggests a command with the real, shell-quoted
#     paths (a directory with a space in its name);
#   - SIGINT and SIGTERM during a run exit 130 with "interrupted ... nothing written", leave no
#     temporary and no output, and the history records the run as interrupted.
# Usage: cli_outcomes.sh path/to/mapforge   (gen_client_file is built beside it)
set -euo pipefail
mf=$(realpath "$1")
gen=$(dirname "$mf")/gen_client_file
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_cli_outcomes.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "cli_outcomes: FAIL: $*" >&2; exit 1; }
export MAPFORGE_HOME="$work/home" MAPFORGE_USER=tester
ex=$(cd "$(dirname "$0")/../../examples/acme_gl" && pwd)
d="$work/q dir"
mkdir -p "$d"
cp "$ex/mapping.xlsx" "$d/mapping.xlsx"

MAPFORGE_USER=alice "$mf" onboard --client ACME --mapping "$d/mapping.xlsx" --data "$ex/gl_extract.csv" \
  --out "$work/o1" --yes --no-load --comment "checked against the PDF" >/dev/null 2>&1 || fail "onboarding the example failed"

# 0. the plan file names its mapping; run.json says who approved the text that ran; a plan file run
#    as it is says it is not approved
grep -q '^mapping "mapping.xlsx", sheet "GL Mapping", sha256 "[0-9a-f]\{64\}"$' "$work/o1/plan.txt" ||
  fail "plan.txt does not name its mapping: $(head -4 "$work/o1/plan.txt")"
awk 'length($0) > 120 { exit 1 }' "$work/o1/plan.txt" || fail "plan.txt has lines over 120 columns"
python3 - "$work/o1/run.json" <<'PY' || fail "run.json lacks the approval"
import json, sys
a = json.load(open(sys.argv[1]))["approval"]
assert a["by"] == "alice" and a["comment"] == "checked against the PDF" and a["at"].startswith("20"), a
PY
"$mf" run --plan "$work/o1/plan.txt" --data "$ex/gl_extract.csv" --out "$work/o1p" >/dev/null 2>&1 ||
  fail "run --plan failed"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["approval"] is None' "$work/o1p/run.json" ||
  fail "run --plan: run.json claims an approval"

# 1. stdout carries nothing for a run; a header-only file hits and writes empty outputs
head -1 "$ex/gl_extract.csv" > "$work/header_only.csv"
rc=0
"$mf" run --client ACME --data "$work/header_only.csv" --out "$work/o2" --no-load >"$work/o2.out" 2>"$work/o2.err" || rc=$?
[ "$rc" -eq 0 ] || fail "a header-only file: exit $rc ($(cat "$work/o2.err"))"
[ ! -s "$work/o2.out" ] || fail "run --client wrote on stdout: $(cat "$work/o2.out")"
grep -q "cache hit" "$work/o2.err" || fail "a header-only file did not hit the cache: $(cat "$work/o2.err")"
[ "$(wc -l < "$work/o2/GL_ENTRIES.csv")" -eq 1 ] || fail "a header-only file: the output is not just a header"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rows_in"]==0, r' "$work/o2/run.json" ||
  fail "a header-only file: run.json does not say 0 rows"

# 2. a failed validation, then a good file: the approved plan still runs
printf '#!/bin/sh\nexit 1\n' > "$work/refuse.sh"
chmod +x "$work/refuse.sh"
rc=0
"$mf" run --client ACME --data "$ex/gl_extract.csv" --out "$work/o3" --no-load --validator "$work/refuse.sh" \
  >/dev/null 2>"$work/o3.err" || rc=$?
[ "$rc" -eq 3 ] || fail "a failing validator: exit $rc, expected 3"
rc=0
"$mf" run --client ACME --data "$ex/gl_extract.csv" --out "$work/o4" --no-load >/dev/null 2>"$work/o4.err" || rc=$?
[ "$rc" -eq 0 ] || fail "the next good file after a failed validation: exit $rc ($(cat "$work/o4.err"))"
grep -q "failed validation on its last run" "$work/o4.err" || fail "no note of the earlier failed validation"

# 3. invalidate twice: the second says so and the first comment stays
key=$("$mf" cache list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["key"])')
"$mf" cache invalidate "$key" --comment "first reason" >/dev/null
rc=0
"$mf" cache invalidate "$key" --comment "second reason" >/dev/null 2>"$work/inv.err" || rc=$?
[ "$rc" -ne 0 ] || fail "invalidating an invalid entry succeeded"
grep -q "already invalid" "$work/inv.err" || fail "no 'already invalid': $(cat "$work/inv.err")"
"$mf" cache show "$key" | grep -q "first reason" || fail "the first invalidation's comment was overwritten"

# 4. a cache miss that needs a person: exit 4, a suggestion with the real quoted paths
rc=0
"$mf" run --client ACME --data "$ex/gl_extract.csv" --out "$d/o5" --no-load >/dev/null 2>"$work/o5.err" || rc=$?
[ "$rc" -eq 4 ] || fail "a cache miss: exit $rc, expected 4"
grep -qF -- "--mapping '$d/mapping.xlsx'" "$work/o5.err" || fail "the suggestion lacks the quoted mapping path: $(cat "$work/o5.err")"
grep -qF -- "--out '$d/o5'" "$work/o5.err" || fail "the suggestion lacks the quoted output path: $(cat "$work/o5.err")"

# 5. SIGINT / SIGTERM during a run: exit 130, nothing left, recorded as interrupted
"$mf" onboard --client BIG --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" --out "$work/b0" --yes \
  --no-load >/dev/null 2>&1 || fail "onboarding BIG failed"
"$gen" "$work/big.csv" "${INTERRUPT_MB:-150}" >/dev/null
for sig in INT TERM; do
  stopped=0
  for delay in 0.5 0.25 0.1 0.03; do
    out="$work/int_$sig"
    rm -rf "$out"
    "$mf" run --client BIG --data "$work/big.csv" --out "$out" --no-load >/dev/null 2>"$work/int.err" &
    pid=$!
    sleep "$delay"
    kill -s "$sig" "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" || rc=$?
    if [ "$rc" -eq 130 ]; then stopped=1; break; fi
    [ "$rc" -eq 0 ] || fail "SIG$sig: exit $rc, expected 130 ($(cat "$work/int.err"))"
  done
  [ "$stopped" -eq 1 ] || fail "every run finished before SIG$sig could stop it"
  grep -q "interrupted by SIG$sig: nothing written, nothing loaded" "$work/int.err" ||
    fail "SIG$sig: no 'interrupted' message: $(cat "$work/int.err")"
  left=$(find "$out" -mindepth 1 ! -name plan.txt 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] || fail "SIG$sig left files behind: $(ls -A "$out")"
  "$mf" history --client BIG --json | python3 -c '
import json, sys
runs = json.load(sys.stdin)["runs"]
assert any(r.get("status") == "interrupted" for r in runs), runs' || fail "SIG$sig: the history has no interrupted run"
done
"$mf" audit verify >/dev/null || fail "the audit chain does not verify after the interrupts"
echo "cli_outcomes: ok"
