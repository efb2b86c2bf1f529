#!/usr/bin/env bash
# review_loop.sh MAPFORGE — the review workflow end to end, through stdin and through a pty:
#   draft → two feedback rounds (each a new version with a diff) → feedback not understood (no
#   version) → approve with open questions refused → approve → run → cache hit on a second file
#   of the same layout (run.json cache_hit true) → a miss on a changed mapping (reason printed)
#   → a validator that fails (exit 3, nothing loaded) → the findings shown at the next review.
set -uo pipefail
mf=$(realpath "${1:?usage: review_loop.sh MAPFORGE}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_review.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT; echo "work: $work" >&2
export MAPFORGE_HOME=$work/home MAPFORGE_USER=reviewer
unset MAPFORGE_STORE MAPFORGE_VALIDATOR
fails=0
fail() { echo "review_loop: FAIL: $*" >&2; fails=$((fails + 1)); }
has() {   # FILE TEXT...: each text appears in FILE
    local f=$1; shift
    for t in "$@"; do grep -qF -- "$t" "$f" || fail "$(basename "$f") lacks: $t"; done
}
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

ex=$root/examples/acme_gl
data=$work/gl_extract.csv
cp "$ex/gl_extract.csv" "$data"

# ---- 1. the review through stdin ------------------------------------------------------------
cat >"$work/session1" <<'EOF'
add validation for negative values on AMOUNT
AMOUNT should be divided by 100, not multiplied
make it sparkle
/approve
EOF
"$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$data" --out "$work/out1" \
    <"$work/session1" >"$work/review1.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "onboard with review exited $rc"
has "$work/review1.txt" "cache miss: no cached plan for client ACME" "== plan ACME v1" \
    "preview (5 sample rows" '[Amt] "(773.43)", [Dr/Cr] "D" -> -773.43' \
    "new version: plan v2" "--- plan v1" "+++ plan v2" \
    '+reject rows where AMOUNT < 0: "AMOUNT is negative"' \
    "new version: plan v3" "--- plan v2" "+++ plan v3" "divided by 100," "rounded to 2 decimals" \
    'not applied (no new version)' 'not understood: "make it sparkle"' \
    "approved plan v3" "checks passed" "loaded"
grep -q "new version: plan v4" "$work/review1.txt" && fail "feedback that was not understood made a version"
[ "$(json "$work/out1/run.json" '["cache_hit"]')" = False ] || fail "first run: cache_hit should be false"
has "$work/out1/plan.txt" "plan ACME v3" "reject rows where AMOUNT < 0"

# ---- 2. a second file of the same layout: a cache hit, no review -----------------------------
next=$work/next_quarter.csv
{ head -n1 "$data"; tail -n +2 "$data" | tac; } >"$next"
"$mf" run --client ACME --data "$next" --out "$work/out2" >"$work/run2.txt" 2>&1 </dev/null
rc=$?
[ $rc -eq 0 ] || { cat "$work/run2.txt"; fail "run --client exited $rc"; }
has "$work/run2.txt" "cache hit"
[ "$(json "$work/out2/run.json" '["cache_hit"]')" = True ] || fail "second file: cache_hit should be true"
cmp -s "$work/out1/plan.txt" "$work/out2/plan.txt" || fail "the cache hit did not run the approved text"
# onboard again: a hit too, straight to the run (stdin closed: no review could happen)
"$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$next" --out "$work/out2b" \
    </dev/null >"$work/onboard2.txt" 2>&1 || fail "second onboard exited $?"
has "$work/onboard2.txt" "cache hit"
grep -q "review>" "$work/onboard2.txt" && fail "a cache hit opened a review"

# ---- 3. a changed mapping is a miss that says why --------------------------------------------
case_dir=$root/tests/cases/rule_constants
cp "$case_dir/mapping.csv" "$work/mapping.csv"
"$mf" onboard --client SMALL --mapping "$work/mapping.csv" --data "$case_dir/data.csv" --out "$work/out3" --yes \
    >/dev/null 2>"$work/small1.txt" || fail "onboard SMALL exited $?"
sed -i 's/Constant .GL./Constant '"'"'AP'"'"'/' "$work/mapping.csv"
"$mf" onboard --client SMALL --mapping "$work/mapping.csv" --data "$case_dir/data.csv" --out "$work/out3b" --yes \
    >/dev/null 2>"$work/small2.txt" || fail "onboard SMALL (changed mapping) exited $?"
has "$work/small2.txt" "cache miss: mapping changed"

# ---- 4. a validator that fails: exit 3, nothing loaded, findings at the next review ----------
cat >"$work/validator.sh" <<'EOF'
#!/bin/sh
echo '{"status": "fail", "findings": [{"check": "amount_limit", "message": "AMOUNT above the 1,000,000 limit"}]}'
EOF
chmod +x "$work/validator.sh"
"$mf" run --client ACME --data "$next" --out "$work/out4" --validator "$work/validator.sh" \
    --db "sqlite:$work/wh4.db" >"$work/run4.txt" 2>&1 </dev/null
rc=$?
[ $rc -eq 3 ] || { cat "$work/run4.txt"; fail "a failing validator: exit $rc, expected 3"; }
has "$work/run4.txt" "validation failed; nothing loaded" "amount_limit"
if [ -f "$work/wh4.db" ]; then   # no warehouse file at all is as good: nothing loaded
    n=$(sqlite3 "$work/wh4.db" "SELECT count(*) FROM sqlite_master WHERE name = 'GL_ENTRIES'")
    [ "$n" = 0 ] || fail "a failed validation loaded the table"
fi
printf '/quit\n' | "$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$next" --out "$work/out5" \
    >"$work/review5.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "quitting the review: exit $rc, expected 1"
has "$work/review5.txt" "failed validation" "amount_limit" "AMOUNT above the 1,000,000 limit" "== plan ACME v3"

# ---- 5. open questions block approval; answers fill the holes ---------------------------------
oq=$root/tests/cases/open_question_with_yes
[ -f "$oq/mapping.csv" ] || fail "the open-question case $oq is missing"
printf '/approve\n/show\n/quit\n' | "$mf" onboard --client OQ --mapping "$oq/mapping.csv" --data "$oq/data.csv" \
    --out "$work/out6" >"$work/review6.txt" 2>&1
has "$work/review6.txt" "cannot approve plan v1: it has open questions"

# ---- 6. the same loop through a pseudo-terminal ----------------------------------------------
if ! command -v script >/dev/null 2>&1; then
    [ -z "${CI:-}" ] || fail "script(1) is missing: the pty review cannot run (CI must not skip it)"
    echo "review_loop: script(1) missing: the pty section is skipped"
else
    export MAPFORGE_HOME=$work/home_pty
    printf 'add validation for negative values on AMOUNT\nthe key is JOURNAL_ID\n/approve via pty\n' >"$work/session_pty"
    script -q -e -c "'$mf' onboard --client ACME --mapping '$ex/mapping.xlsx' --data '$data' --out '$work/out_pty' --no-load" \
        /dev/null <"$work/session_pty" >"$work/review_pty.txt" 2>&1
    rc=$?
    [ $rc -eq 0 ] || fail "review through a pty exited $rc"
    has "$work/review_pty.txt" "new version: plan v2" "new version: plan v3" "+key JOURNAL_ID" "approved plan v3"
    [ -f "$work/out_pty/GL_ENTRIES.csv" ] || fail "the pty review did not run the plan"
fi

# ---- 7. every action is in the audit trail, which verifies ----------------------------------
export MAPFORGE_HOME=$work/home
"$mf" audit verify >"$work/verify.txt" 2>&1 || fail "audit verify failed: $(cat "$work/verify.txt")"
"$mf" audit log >"$work/log.txt" 2>&1 || "$mf" history --client ACME >"$work/log.txt" 2>&1
has "$work/log.txt" plan_drafted plan_version feedback approval cache_miss cache_hit run validation load reviewer

if [ $fails -ne 0 ]; then
    echo "--- review1"; cat "$work/review1.txt"
    echo "--- review5"; cat "$work/review5.txt"
    exit 1
fi
echo "review_loop: ok"
