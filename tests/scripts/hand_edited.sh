#!/usr/bin/env bash
# hand_edited.sh — a plan file edited by hand (issue "A command line that fits ...", item 7):
#   - `run --plan FILE --client C` runs the plan's checks (here a key that the data violates):
#     exit 3, the finding named, nothing loaded, the run in the client's history as not approved;
#   - `approve --plan FILE` refuses a plan with a ? in it;
#   - `approve --plan FILE --client C --data D` renumbers the file as the client's next version,
#     rewrites it to exactly the approved text (its SHA-256 is what is printed), caches it: the next
#     `run --client` is a cache hit on that text, and run.json names who approved it and why.
# Usage: hand_edited.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_hand_edited.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "hand_edited: FAIL: $*" >&2; exit 1; }
export MAPFORGE_HOME="$work/home" MAPFORGE_USER=bob
ex=$(cd "$(dirname "$0")/../../examples/acme_gl" && pwd)
"$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" --out "$work/o1" --yes \
  >/dev/null 2>&1 || fail "onboarding the example failed"
loaded_before=$(sqlite3 "$work/home/warehouse.db" 'SELECT count(*) FROM "GL_ENTRIES"')

# 1. a key the data violates: the run's checks find it; nothing is loaded
cp "$work/o1/plan.txt" "$work/dup.txt"
printf 'key ENTRY_TYPE\n' >> "$work/dup.txt"
rc=0
"$mf" run --plan "$work/dup.txt" --client ACME --data "$ex/gl_extract.csv" --out "$work/o2" >/dev/null \
  2>"$work/o2.err" || rc=$?
[ "$rc" -eq 3 ] || fail "a violated key: exit $rc, expected 3 ($(cat "$work/o2.err"))"
grep -qi "key" "$work/o2.err" || fail "the key finding is not named: $(cat "$work/o2.err")"
grep -q "is not approved" "$work/o2.err" || fail "the run does not say the plan is not approved"
[ "$(sqlite3 "$work/home/warehouse.db" 'SELECT count(*) FROM "GL_ENTRIES"')" = "$loaded_before" ] ||
  fail "a plan file run loaded rows"
"$mf" history --client ACME --json | python3 -c '
import json, sys
runs = json.load(sys.stdin)["runs"]
assert any(r.get("status") == "validation_failed" for r in runs), runs' || fail "the run is not in the history"

# 2. a plan with a hole cannot be approved
sed 's/= \[Description\] trimmed/= ?/' "$work/o1/plan.txt" > "$work/hole.txt"
grep -q '= ?' "$work/hole.txt" || fail "could not make a plan with a hole"
rc=0
"$mf" approve --plan "$work/hole.txt" --client ACME --data "$ex/gl_extract.csv" >/dev/null 2>"$work/hole.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a plan with an open question was approved"
grep -q "open questions" "$work/hole.err" || fail "the refusal does not say why: $(cat "$work/hole.err")"

# 3. a widened account: approved by a person, renumbered, cached, run with its approval
sed 's/padded left with "0" to 10/padded left with "0" to 12/; s/^ACCOUNT_ID\( *\)text(10)/ACCOUNT_ID\1text(12)/' \
  "$work/o1/plan.txt" > "$work/wide.txt"
grep -q 'to 12' "$work/wide.txt" || fail "could not edit the plan"
out=$("$mf" approve --plan "$work/wide.txt" --client ACME --data "$ex/gl_extract.csv" --comment "12-digit accounts" \
  2>"$work/ap.err") || fail "approve failed: $(cat "$work/ap.err")"
set -- $out
[ "$1 $2 $3" = "approved ACME v2" ] || fail "unexpected approval line: $out"
[ "$(head -1 "$work/wide.txt")" = "plan ACME v2" ] || fail "the file was not renumbered: $(head -1 "$work/wide.txt")"
[ "$(sha256sum "$work/wide.txt" | cut -d' ' -f1)" = "$4" ] || fail "the file is not exactly the approved text"
"$mf" run --client ACME --data "$ex/gl_extract.csv" --out "$work/o3" --no-load >/dev/null 2>"$work/o3.err" ||
  fail "run --client after the approval failed: $(cat "$work/o3.err")"
grep -q "cache hit" "$work/o3.err" || fail "the approved file is not what the cache runs"
cmp -s "$work/o3/plan.txt" "$work/wide.txt" || fail "the cache ran another text than the approved file"
python3 - "$work/o3/run.json" "$work/o3/GL_ENTRIES.csv" <<'PY' || fail "run.json or the output do not show the edit"
import csv, json, sys
a = json.load(open(sys.argv[1]))["approval"]
assert a["by"] == "bob" and a["comment"] == "12-digit accounts", a
rows = list(csv.DictReader(open(sys.argv[2])))
assert rows and all(len(r["ACCOUNT_ID"]) == 12 for r in rows), rows[:2]
PY
"$mf" audit verify >/dev/null || fail "the audit chain does not verify"
echo "hand_edited: ok"
