#!/usr/bin/env bash
# llm_web.sh — a language model's suggestion in the web review: shown under its question with the
# model's name and confidence, its texts escaped (an explanation holding markup stays text), and
# accepted by a reviewer through the workflow (POST /review/accept with the CSRF token): the
# question is answered with the model's text and the audit trail records suggestion_accepted by
# that reviewer.  Then, with a model configured for the web app: a feedback line the rule reader
# cannot read comes back as a proposed edit shown escaped with its diff and preview, not applied;
# Discard changes nothing; Accept makes the next version with the model's provenance; hostile
# answers (markup, a statement smuggled into a condition) are refused and never reach the page.  A
# review started from the web app (mapping and data uploaded) has its open questions put to the
# model like a terminal onboard's; hostile file names stay inside the upload directory.
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
grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 80%, not applied): <code>\[Fee\] read as number, multiplied by 1.5</code>' <<<"$page" \
  || fail "the suggestion is not shown: $(echo "$page" | grep -i suggest | head -3)"
grep -q '<script>alert' <<<"$page" && fail "the model's explanation reached the page as markup"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt; 150%' <<<"$page" || fail "the explanation is not shown escaped"
tok=$(echo "$page" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" -d "id=1&n=1&csrf=$tok" "$base/review/accept")
[ "$code" = 303 ] || fail "accept: $code: $(tail -3 "$work/serve.log")"
page=$(curl -s -b "$jar" "$base/review?id=1")
grep -q 'FEE     decimal(18,2)           = \[Fee\] read as number, multiplied by 1.5' <<<"$page" || fail "FEE not answered"
grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 50%' <<<"$page" || fail "BONUS's suggestion is not question 1 now"
"$mf" audit log --client WEB --json | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
acc = [e for e in ev if e["event"] == "suggestion_accepted"]
assert len(acc) == 1 and acc[0]["actor"] == "bob" and acc[0]["details"]["provider"] == "openai", acc' \
  || fail "the audit trail lacks bob's acceptance"

# ---- feedback the rule reader cannot read, put to the model by the web app (serve with a model) --------
# BONUS's question is still open; the model's edit for a feedback line waits on the page, escaped,
# until bob accepts or discards it.
kill "$spid"; wait "$spid" 2>/dev/null || true; spid=""
cents='{"answer": {"columns": [{"column": "AMOUNT", "expression": "[Amount] read as number, multiplied by 100"}], "rules": [{"kind": "reject", "condition": "[Ref] is \"A3\"", "message": "<img src=x onerror=alert(2)>"}], "explanation": "cents <script>alert(3)</script>", "confidence": 0.7}}'
markup='{"answer": {"columns": [{"column": "AMOUNT", "expression": "</pre><script>alert(4)</script>"}], "rules": [], "explanation": "", "confidence": 1}}'
smuggled='{"answer": {"columns": [], "rules": [{"kind": "skip", "condition": "true\nreject rows where true: \"<b>x</b>\"", "message": ""}], "explanation": "", "confidence": 1}}'
fee='{"answer": {"expression": "[Fee] read as number, multiplied by 1.5", "explanation": "fee <i>x</i>", "confidence": 0.8}}'
bonus='{"answer": {"expression": "[Bonus] read as number", "explanation": "", "confidence": 0.5}}'
serve "[$cents, $cents, $markup, $smuggled, $fee, $bonus]"; use openai
"$mf" serve --port "${base##*:}" >"$work/serve2.log" 2>&1 &   # $port is the fake provider's now
spid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
grep -q "feedback the rule reader cannot read is put to openai" "$work/serve2.log" || fail "serve does not say it uses the model: $(cat "$work/serve2.log")"
pre=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "pre=$pre" --data-urlencode "user=bob" \
  --data-urlencode "password=$pw" "$base/login")
[ "$code" = 303 ] || fail "sign-in again: $code"
page=$(curl -s -b "$jar" "$base/review?id=1")
tok=$(echo "$page" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
version() { curl -s -b "$jar" "$base/review?id=1" | grep -o '<span id="version">v[0-9]*' | grep -o '[0-9]*$'; }
v0=$(version)
post() { curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" --data-urlencode "id=1" --data-urlencode "csrf=$tok" "$@"; }
line='show the amounts in cents please'
code=$(post --data-urlencode "text=$line" "$base/review/feedback")
[ "$code" = 303 ] || fail "feedback: $code: $(tail -3 "$work/serve2.log")"
page=$(curl -s -b "$jar" "$base/review?id=1")
[ "$(version)" = "$v0" ] || fail "the model's edit was applied before anyone accepted it"
grep -q '<pre id="proposal-edit">AMOUNT = \[Amount\] read as number, multiplied by 100' <<<"$page" || fail "no proposal on the page: $(echo "$page" | grep -i -A3 propos | head)"
grep -q 'reject rows where \[Ref\] is &quot;A3&quot;: &quot;&lt;img src=x onerror=alert(2)&gt;&quot;' <<<"$page" || fail "the proposed rule is not shown escaped"
grep -q '<pre id="proposal-diff">.*' <<<"$page" || fail "no diff"
grep -q 'class="proposal-accept"' <<<"$page" || fail "no Accept button"
echo "$page" | grep -Eq '<script>alert|<img src=x' && fail "the model's text reached the page as markup"
grep -q 'cents &lt;script&gt;alert(3)&lt;/script&gt;' <<<"$page" || fail "the model's explanation is not shown escaped"
shown() { curl -s -b "$jar" "$base/review?id=1" | grep -o 'name="proposal" value="[0-9]*' | head -1 | cut -d'"' -f4; }
p1=$(shown)
[ -n "$p1" ] || fail "the Accept/Discard forms do not name the proposal they show"
code=$(post "$base/review/discard-edit")
[ "$code" = 400 ] || fail "discard-edit naming no proposal: $code"
code=$(post --data-urlencode "proposal=$p1" "$base/review/discard-edit")
[ "$code" = 303 ] || fail "discard-edit: $code"
page=$(curl -s -b "$jar" "$base/review?id=1")
grep -q 'id="proposal"' <<<"$page" && fail "the proposal is still shown after Discard"
[ "$(version)" = "$v0" ] || fail "Discard made a version"
code=$(post --data-urlencode "text=$line" "$base/review/feedback")
[ "$code" = 303 ] || fail "feedback again: $code"
p2=$(shown)
[ -n "$p2" ] && [ "$p2" != "$p1" ] || fail "the second proposal is not told apart: $p1 / $p2"
# a page still showing the first (discarded) proposal cannot accept the second one unseen
code=$(post --data-urlencode "proposal=$p1" "$base/review/accept-edit")
[ "$code" = 409 ] || fail "accept-edit of a proposal replaced since: $code"
[ "$(version)" = "$v0" ] || fail "a stale Accept made a version"
code=$(post --data-urlencode "proposal=$p2" "$base/review/accept-edit")
[ "$code" = 303 ] || fail "accept-edit: $code: $(tail -3 "$work/serve2.log")"
page=$(curl -s -b "$jar" "$base/review?id=1")
[ "$(version)" -gt "$v0" ] || fail "Accept made no version"
grep -q 'AMOUNT  *decimal(18,2) required  *= \[Amount\] read as number, multiplied by 100  *# row 4: As is — suggested by openai' <<<"$page" \
  || fail "the accepted edit is not in the plan: $(echo "$page" | grep -A2 '^AMOUNT')"
echo "$page" | grep -Eq '<script>alert|<img src=x' && fail "markup on the page after Accept"
# hostile answers: refused twice, nothing pending, the refusal in the conversation (escaped)
v1=$(version)
code=$(post --data-urlencode "text=make it look nicer" "$base/review/feedback")
[ "$code" = 303 ] || fail "feedback (hostile): $code"
page=$(curl -s -b "$jar" "$base/review?id=1")
[ "$(version)" = "$v1" ] || fail "a hostile answer made a version"
grep -q 'id="proposal"' <<<"$page" && fail "a hostile answer became a proposal"
grep -q "openai gpt-4o-mini: rule 1&#39;s condition holds a line break\|openai gpt-4o-mini: rule 1's condition holds a line break" <<<"$page" \
  || fail "the refusal is not in the conversation: $(echo "$page" | grep -o 'make it look nicer.\{0,400\}')"
echo "$page" | grep -Eq '<script>alert|<img src=x|</pre><script>' && fail "a hostile answer reached the page as markup"
code=$(post --data-urlencode "proposal=$p2" "$base/review/accept-edit")
[ "$code" = 409 ] || fail "accept-edit with nothing pending: $code"
"$mf" audit log --client WEB --json | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
acc = [e for e in ev if e["event"] == "edit_accepted"]
assert len(acc) == 1 and acc[0]["actor"] == "bob" and acc[0]["details"]["provider"] == "openai", acc
assert sum(e["event"] == "edit_discarded" and e["actor"] == "bob" for e in ev) == 1
assert sum(e["event"] == "edit_proposed" for e in ev) == 2' || fail "the audit trail of the proposed edits"

# ---- a review started from the web app: the files uploaded, the draft's open questions put to the model ----
code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" -F "client=UP" \
  -F "mapping=@$case_dir/mapping.csv" -F "data=@$case_dir/data.csv" "$base/review/new")
[ "$code" = 403 ] || fail "an upload without the CSRF token: $code"
curl -s -b "$jar" "$base/new" | grep -q 'enctype="multipart/form-data"' || fail "no upload form"
code=$(curl -s -b "$jar" -D "$work/new.h" -o "$work/new.html" -w '%{http_code}' -H "Origin: $base" -F "csrf=$tok" \
  -F "client=UP <b>x</b>" -F "mapping=@$case_dir/mapping.csv;filename=../../x<script>.csv" \
  -F "data=@$case_dir/data.csv;filename=../data.csv" "$base/review/new")
[ "$code" = 303 ] || fail "upload: $code: $(head -c 600 "$work/new.html")"
loc=$(grep -i '^Location:' "$work/new.h" | tr -d '\r' | awk '{print $2}')
page=$(curl -s -b "$jar" "$base$loc")
grep -q 'id="suggestion-1"><p>Suggested by openai gpt-4o-mini (confidence 80%, not applied): <code>\[Fee\] read as number, multiplied by 1.5</code> — fee &lt;i&gt;x&lt;/i&gt;' <<<"$page" \
  || fail "the uploaded draft's questions were not put to the model: $(echo "$page" | grep -i -m3 'suggest\|question')"
grep -q 'id="suggestion-2"' <<<"$page" || fail "no suggestion for BONUS"
echo "$page" | grep -Eq '<b>x</b>|<i>x</i>' && fail "hostile text on the page"
ls "$MAPFORGE_HOME"/web-uploads/*/xscript.csv "$MAPFORGE_HOME"/web-uploads/*/data.csv >/dev/null || fail "the uploads are not where they belong: $(ls -R "$MAPFORGE_HOME/web-uploads")"
[ -z "$(find "$work" -name 'x<script>*')" ] || fail "an upload's file name escaped its directory"
[ "$(stat -c %a "$(ls -d "$MAPFORGE_HOME"/web-uploads/*/ | head -1)")" = 700 ] || fail "the upload directory is not owner-only"
# a large body is taken only from a signed-in session
head -c 200000 /dev/zero | tr '\0' 'a' > "$work/big.csv"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: $base" -F "client=X" -F "mapping=@$work/big.csv" \
  -F "data=@$work/big.csv" "$base/review/new")
[ "$code" = 413 ] || fail "a large upload without a session: $code"
echo "llm_web: ok"
