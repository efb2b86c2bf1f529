#!/usr/bin/env bash
# review_resume.sh MAPFORGE — a review is kept in the store, not in the process: a terminal review
# killed (SIGKILL) or interrupted (Ctrl-C, SIGINT) after a round of feedback is reopened by the
# same onboard at the version it reached — no second draft, no duplicate version — and can be
# approved and run from there.
set -uo pipefail
mf=$(realpath "${1:?usage: review_resume.sh MAPFORGE}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_resume.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; exec 3>&- 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
export MAPFORGE_HOME=$work/home MAPFORGE_USER=reviewer
unset MAPFORGE_STORE MAPFORGE_VALIDATOR
fails=0
fail() { echo "review_resume: FAIL: $*" >&2; fails=$((fails + 1)); }
has() {
    local f=$1; shift
    for t in "$@"; do grep -qF -- "$t" "$f" || fail "$(basename "$f") lacks: $t"; done
}
ex=$root/examples/acme_gl

# wait_for FILE TEXT: until TEXT is in FILE (10 s at most)
wait_for() {
    for _ in $(seq 100); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# interrupted SIGNAL CLIENT: a review that gets one round of feedback, then SIGNAL
interrupted() {
    local sig=$1 client=$2
    rm -f "$work/in"
    mkfifo "$work/in"
    set -m   # job control: a background job of a script would otherwise ignore SIGINT
    "$mf" onboard --client "$client" --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" \
        --out "$work/out_$client" <"$work/in" >"$work/first_$client.txt" 2>&1 &
    pid=$!
    set +m
    exec 3>"$work/in"
    wait_for "$work/first_$client.txt" "review> " || fail "$client: the review did not start"
    echo "add validation for negative values on AMOUNT" >&3
    wait_for "$work/first_$client.txt" "new version: plan v2" || fail "$client: the feedback made no version"
    for _ in $(seq 100); do   # back at the prompt
        [ "$(grep -o 'review> ' "$work/first_$client.txt" | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
    kill "-$sig" "$pid"
    wait "$pid" 2>/dev/null
    local rc=$?
    pid=
    if [ "$sig" = INT ]; then   # Ctrl-C at the prompt: an orderly stop, the review left open
        [ $rc -eq 130 ] || fail "$client: Ctrl-C in the review: exit $rc, expected 130"
        has "$work/first_$client.txt" "the review stays open"
    fi
    exec 3>&-
    # reopen: the same onboard, a decision this time
    printf '/show\n/approve after the interruption\n' | "$mf" onboard --client "$client" \
        --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" --out "$work/out_$client" --no-load \
        >"$work/second_$client.txt" 2>&1
    rc=$?
    [ $rc -eq 0 ] || fail "$client: the resumed review exited $rc"
    has "$work/second_$client.txt" "resuming review" "== plan $client v2" 'reject rows where AMOUNT < 0' \
        "approved plan v2"
    grep -q "== plan $client v1" "$work/second_$client.txt" && fail "$client: the resumed review showed v1"
    [ -f "$work/out_$client/GL_ENTRIES.csv" ] || fail "$client: the approved plan did not run"
    local drafted versions
    drafted=$("$mf" audit log --client "$client" --json | grep -c '"plan_drafted"')
    versions=$("$mf" history --client "$client" --json | python3 -c \
        'import json,sys; d=json.load(sys.stdin); print(len(d.get("versions", d.get("plan_versions", []))))')
    [ "$drafted" = 1 ] || fail "$client: drafted $drafted times, expected once"
    # one review session, run and checked (--no-load), as `mapforge reviews` shows it
    local states
    states=$("$mf" reviews --client "$client" --json | python3 -c \
        'import json,sys; d=json.load(sys.stdin); print(len(d["reviews"]), d["reviews"][0]["state"], d["reviews"][0]["version"], d["runs"][0]["state"], d["runs"][0]["review_id"] == d["reviews"][0]["id"])')
    [ "$states" = "1 checked 2 checked True" ] || fail "$client: reviews/runs are: $states"
    [ "$versions" = 2 ] || fail "$client: $versions plan versions, expected 2 (v1 and v2, no duplicate)"
}

interrupted KILL KILLED
interrupted INT INTERRUPTED

"$mf" audit verify >"$work/verify.txt" 2>&1 || fail "audit verify: $(cat "$work/verify.txt")"
if [ $fails -ne 0 ]; then
    for f in "$work"/first_* "$work"/second_*; do echo "--- $f"; cat "$f"; done
    exit 1
fi
echo "review_resume: ok"
