#!/usr/bin/env bash
# llm_web.sh — a language model's suggestion in the web review: shown under its question with the
# model's name and confidence, its texts escaped (an explanation holding markup stays text), and
# accepted by a reviewer through the workflow (POST /review/accept with the CSRF token): the
# question is answered with the model's text and the audit trail records suggestion_accepted by
# that reviewer.
# Usage: llm_web.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_web: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
spid=""
trap 'stop_server; [ -z "$spid" ] || kill "$spid" 2>/dev/null; rm -rf "$work"' EXIT
command -v curl >/dev/null || fail "curl is needed"
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)
export MAPFORGE_HOME=$work/home MAPFORGE_USER=admin-cli
serve '[{"answer": {"expression": "[Fee] read as number, multiplied by 1.5", "explanation": "<script>alert(1)</script> 150%", "confidence": 0.8}}, {"answer": {"expression": "[Bonus] read as number", "explanation": "", "confidence": 0.5}}]'
use openai
set +e
"$mf" onboard --client WEB --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/out" --yes --no-load \
  >/dev/null 2>"$work/onboard.err"
r=$?
set -e
[ $r -eq 2 ] || fail "onboard --yes: exit $r: $(cat "$work/onboard.err")"
unset MAPFORGE_LLM OPENAI_API_KEY OPENAI_BASE_URL
pw='correct horse battery'
echo "$pw" | "$mf" user add bob --role reviewer >/dev/null || fail "user add bob"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$mf" serve --port "$port" >"$work/serve.log" 2>&1 &
spid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
jar=$work/jar
pre=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "pre=$pre" --data-urlencode "user=bob" \
  --data-urlencode "password=$pw" "$base/login")
[ "$code" = 303 ] || fail "sign-in: $code"
page=$(curl -s -b "$jar" "$base/review?id=1")
echo "$page" | grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 80%, not applied): <code>\[Fee\] read as number, multiplied by 1.5</code>' \
  || fail "the suggestion is not shown: $(echo "$page" | grep -i suggest | head -3)"
echo "$page" | grep -q '<script>alert' && fail "the model's explanation reached the page as markup"
echo "$page" | grep -q '&lt;script&gt;alert(1)&lt;/script&gt; 150%' || fail "the explanation is not shown escaped"
tok=$(echo "$page" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" -d "id=1&n=1&csrf=$tok" "$base/review/accept")
[ "$code" = 303 ] || fail "accept: $code: $(tail -3 "$work/serve.log")"
page=$(curl -s -b "$jar" "$base/review?id=1")
echo "$page" | grep -q 'FEE     decimal(18,2)           = \[Fee\] read as number, multiplied by 1.5' || fail "FEE not answered"
echo "$page" | grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 50%' || fail "BONUS's suggestion is not question 1 now"
"$mf" audit log --client WEB --json | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
acc = [e for e in ev if e["event"] == "suggestion_accepted"]
assert len(acc) == 1 and acc[0]["actor"] == "bob" and acc[0]["details"]["provider"] == "openai", acc' \
  || fail "the audit trail lacks bob's acceptance"
echo "llm_web: ok"
