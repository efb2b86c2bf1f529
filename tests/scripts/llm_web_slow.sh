#!/usr/bin/env bash
# llm_web_slow.sh — a slow language model does not stall the web app.  The web app asks the model
# from inside a request (feedback the rule reader cannot read; an uploaded draft's open questions)
# and lets go of its store lock while the model's HTTP answer is pending: with the fake provider
# answering after 5 s, other requests (the review list, another review's page) answer in under 2 s
# meanwhile, and the proposal / the suggestions still land afterwards.  A review that moved on
# while the model was answering (a question answered: a new version) gets no stale proposal: it is
# dropped, and the conversation says so.
# Usage: llm_web_slow.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_web_slow: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
spid=""
bg=""
trap 'stop_server; [ -z "$spid" ] || kill "$spid" 2>/dev/null; [ -z "$bg" ] || kill "$bg" 2>/dev/null; rm -rf "$work"' EXIT
command -v curl >/dev/null || fail "curl is needed"
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)
export MAPFORGE_HOME=$work/home MAPFORGE_USER=admin-cli
unset MAPFORGE_LLM
# two reviews, their open questions left to people (no model for the terminal's onboard)
for c in ONE TWO; do
  set +e
  "$mf" onboard --client "$c" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/out-$c" \
    --yes --no-load >/dev/null 2>"$work/onboard.err"
  r=$?
  set -e
  [ $r -eq 2 ] || fail "onboard $c: exit $r: $(cat "$work/onboard.err")"
done
pw='correct horse battery'
echo "$pw" | "$mf" user add bob --role reviewer >/dev/null || fail "user add bob"

delay=5
cents='{"delay": '$delay', "answer": {"columns": [{"column": "AMOUNT", "expression": "[Amount] read as number, multiplied by 100"}], "rules": [], "explanation": "cents", "confidence": 0.7}}'
fee='{"delay": 3, "answer": {"expression": "[Fee] read as number, multiplied by 1.5", "explanation": "", "confidence": 0.8}}'
bonus='{"delay": 3, "answer": {"expression": "[Bonus] read as number", "explanation": "", "confidence": 0.5}}'
serve "[$cents, $cents, $fee, $bonus]"
use openai
wport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$wport"
"$mf" serve --port "$wport" >"$work/serve.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
jar=$work/jar
pre=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "pre=$pre" --data-urlencode "user=bob" \
  --data-urlencode "password=$pw" "$base/login")
[ "$code" = 303 ] || fail "sign-in: $code"
tok=$(curl -s -b "$jar" "$base/review?id=1" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
[ -n "$tok" ] || fail "no CSRF token on the review page"
version() { curl -s -b "$jar" "$base/review?id=$1" | grep -o '<span id="version">v[0-9]*' | grep -o '[0-9]*$'; }
# a request's time in seconds (fails the test when it does not answer 200)
timed() {
  local out
  out=$(curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 "$1") || fail "GET $1 failed"
  [ "${out%% *}" = 200 ] || fail "GET $1: ${out%% *}"
  echo "${out#* }"
}
fast() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 2.0 else 1)' "$1"; }
slow() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
post_bg() {   # POST in the background; its "code time" lands in $work/$1
  local name=$1; shift
  curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}' --max-time 60 -H "Origin: $base" \
    --data-urlencode "csrf=$tok" "$@" >"$work/$name" &
  bg=$!
}

# ---- feedback put to a slow model: the rest of the web app answers meanwhile, the proposal lands ----
v1=$(version 1)
post_bg fb1 --data-urlencode "id=1" --data-urlencode "text=show the amounts in cents please" "$base/review/feedback"
sleep 1
for _ in $(seq 50); do [ "$(requests)" -ge 1 ] && break; sleep 0.1; done
[ "$(requests)" -ge 1 ] || fail "the feedback did not reach the model"
t=$(timed "$base/"); fast "$t" || fail "GET / took ${t}s while the model was answering another request"
t=$(timed "$base/review?id=2"); fast "$t" || fail "another review's page took ${t}s while the model was answering"
kill -0 "$bg" 2>/dev/null || fail "the feedback request ended before the model answered: $(cat "$work/fb1")"
wait "$bg"; bg=""
read -r code t <"$work/fb1" || true
[ "$code" = 303 ] || fail "feedback: $code: $(tail -3 "$work/serve.log")"
slow "$t" $((delay - 1)) || fail "the feedback answered in ${t}s: the model's delay was not in effect"
page=$(curl -s -b "$jar" "$base/review?id=1")
grep -q '<pre id="proposal-edit">AMOUNT = \[Amount\] read as number, multiplied by 100' <<<"$page" \
  || fail "the proposal did not land: $(echo "$page" | grep -i -A3 propos | head)"
[ "$(version 1)" = "$v1" ] || fail "the proposal was applied unasked"
p1=$(echo "$page" | grep -o 'name="proposal" value="[0-9]*' | head -1 | cut -d'"' -f4)
[ -n "$p1" ] || fail "no proposal id on the page"
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" --data-urlencode "csrf=$tok" \
  --data-urlencode "id=1" --data-urlencode "proposal=$p1" "$base/review/discard-edit")
[ "$code" = 303 ] || fail "discard-edit: $code"

# ---- the review moves on while the model answers: its proposal is dropped, not attached ------------
post_bg fb2 --data-urlencode "id=1" --data-urlencode "text=show the amounts in cents please" "$base/review/feedback"
for _ in $(seq 50); do [ "$(requests)" -ge 2 ] && break; sleep 0.1; done
[ "$(requests)" -ge 2 ] || fail "the second feedback did not reach the model"
out=$(curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}' -H "Origin: $base" --data-urlencode "csrf=$tok" \
  --data-urlencode "id=1" --data-urlencode "n=1" --data-urlencode "text=[Fee] read as number" "$base/review/answer")
[ "${out%% *}" = 303 ] || fail "answering question 1 meanwhile: $out: $(tail -3 "$work/serve.log")"
fast "${out#* }" || fail "an answer on the same review took ${out#* }s while the model was answering"
v2=$(version 1)
[ "$v2" -gt "$v1" ] || fail "the answer made no version ($v1 -> $v2)"
kill -0 "$bg" 2>/dev/null || fail "the second feedback ended before the model answered"
wait "$bg"; bg=""
read -r code t <"$work/fb2" || true
[ "$code" = 303 ] || fail "second feedback: $code: $(tail -3 "$work/serve.log")"
page=$(curl -s -b "$jar" "$base/review?id=1")
grep -q 'id="proposal"' <<<"$page" && fail "a proposal made for v$v1 was attached after the review moved on to v$v2"
grep -q 'the review moved on while the model was answering' <<<"$page" \
  || fail "the conversation does not say the proposal was dropped"
[ "$(version 1)" = "$v2" ] || fail "the dropped proposal changed the version"
"$mf" audit log --client ONE --json | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
assert sum(e["event"] == "edit_proposed" for e in ev) == 1, [e["event"] for e in ev]' \
  || fail "a dropped proposal was recorded as proposed"

# ---- an upload whose draft's questions go to a slow model ------------------------------------------
n0=$(requests)
curl -s -b "$jar" -D "$work/new.h" -o /dev/null -w '%{http_code} %{time_total}' --max-time 60 -H "Origin: $base" \
  -F "csrf=$tok" -F "client=UP" -F "mapping=@$case_dir/mapping.csv" -F "data=@$case_dir/data.csv" \
  "$base/review/new" >"$work/up" &
bg=$!
for _ in $(seq 50); do [ "$(requests)" -gt "$n0" ] && break; sleep 0.1; done
[ "$(requests)" -gt "$n0" ] || fail "the upload's questions did not reach the model"
t=$(timed "$base/"); fast "$t" || fail "GET / took ${t}s while an upload's draft was with the model"
t=$(timed "$base/review?id=2"); fast "$t" || fail "a review page took ${t}s while an upload's draft was with the model"
kill -0 "$bg" 2>/dev/null || fail "the upload ended before the model answered"
wait "$bg"; bg=""
read -r code t <"$work/up" || true
[ "$code" = 303 ] || fail "upload: $code"
loc=$(grep -i '^Location:' "$work/new.h" | tr -d '\r' | awk '{print $2}')
page=$(curl -s -b "$jar" "$base$loc")
grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 80%' <<<"$page" \
  || fail "the upload's suggestions did not land: $(echo "$page" | grep -i -m3 'suggest\|question')"
grep -q 'id="suggestion-2"' <<<"$page" || fail "no suggestion for BONUS"
echo "llm_web_slow: ok"
