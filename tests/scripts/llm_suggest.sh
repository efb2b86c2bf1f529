#!/usr/bin/env bash
# llm_suggest.sh — the model as a second reader, against a local server speaking each provider's wire
# format (tests/llm/fake_provider.py), on OpenAI and Anthropic formats (and Azure's URL and header):
#   a recorded good answer becomes a suggestion in plan.txt (never applied; --yes still exits 2 and
#   lists it, nothing runs); /accept in the review applies it through the workflow and the audit
#   trail records the approval of the model's text; /discard drops it; an answer that does not parse
#   is retried once with the parser's error; one that type-checks but rejects every sample row, and
#   hostile answers (statements smuggled after the expression, huge output), never become more than a
#   refused suggestion; an answer past a limit (JSON nested deeper than 64, a streamed line over
#   64 KiB, an expression over 1,000 bytes) is a clear error; 429 + Retry-After, 500, malformed JSON and a dropped stream leave the
#   questions as questions; per-run and per-day token budgets stop the calls; every call is recorded
#   (history); without a model the plan is as before and says none is configured.
# Usage: llm_suggest.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_suggest: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)
export MAPFORGE_HOME=$work/home

good='{"answer": {"expression": "[Fee] read as number, multiplied by 1.5", "explanation": "the standard fee is 150% of the stated fee", "confidence": 0.8}}'
bonus='{"answer": {"expression": "[Bonus] read as number", "explanation": "the bonus as given", "confidence": 0.6}}'
n=0
# plan_with: run `mapforge plan` (client $1, extra args after); sets $out (dir), $err (stderr), $rc
plan_with() {
  n=$((n + 1)); out=$work/out$n
  local client=$1; shift
  set +e
  "$mf" plan --client "$client" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$out" "$@" \
    >"$work/stdout$n" 2>"$work/stderr$n"
  rc=$?
  set -e
  err=$(cat "$work/stderr$n")
}
suggestions() { grep -c '^suggestion about' "$out/plan.txt" || true; }
# the plan file must parse: check exits 2 (open questions), not 1 (a parse error)
parses() { set +e; "$mf" check --plan "$out/plan.txt" >/dev/null 2>&1; local r=$?; set -e; [ $r -eq 2 ] || fail "$1: plan.txt does not parse (check exit $r)"; }

# ---- no model: as before, and said --------------------------------------------------------------
unset MAPFORGE_LLM
plan_with NONE
[ $rc -eq 2 ] || fail "no model: exit $rc"
grep -q "no language model is configured" <<<"$err" || fail "no model: not said: $err"
[ "$(suggestions)" = 0 ] || fail "no model: a suggestion appeared"

for p in openai anthropic; do
  # ---- a good answer for each question: suggestions, not applied --------------------------------
  serve "[$good, $bonus]"; use $p
  plan_with "G$p"
  [ $rc -eq 2 ] || fail "$p good: exit $rc"
  [ "$(suggestions)" = 2 ] || fail "$p good: $(cat "$out/plan.txt")"
  grep -q "^FEE  *decimal(18,2)  *= ?" "$out/plan.txt" || fail "$p good: the suggestion was applied"
  grep -qF "suggestion about FEE (row 5) from \"$p " "$out/plan.txt" || fail "$p good: no FEE suggestion line"
  grep -qF 'confidence 80 percent: "[Fee] read as number, multiplied by 1.5"' "$out/plan.txt" || fail "$p good: $(cat "$out/plan.txt")"
  grep -Eq '#.*of the stated fee$' "$out/plan.txt" || fail "$p good: explanation not a comment"
  grep -q "suggested by $p .* for FEE (confidence 80%)" <<<"$err" || fail "$p good: $err"
  grep -q 'preview line 2: \[Fee\] "1.00" -> 1.50' <<<"$err" || fail "$p good: no preview: $err"
  parses "$p good"
  [ "$(requests)" = 2 ] || fail "$p good: $(requests) requests"
  python3 - "$log" "$p" <<'PY' || fail "$p good: the prompt lacks its context"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
u = reqs[0]["user"]
for want in ("Output column: FEE", "Mapping row 5", "Apply the standard fee logic", "sample values: \"1.00\"",
             "Neighbours in the plan", "AMOUNT decimal(18,2) = [Amount] read as number", "The plan so far"):
    assert want in u, want
assert all(r["auth_ok"] and r["provider"] == sys.argv[2] for r in reqs)
PY

  # ---- --yes never accepts it: exit 2, listed, nothing ran ----------------------------------------
  serve "[$good, $bonus]"; use $p
  set +e
  "$mf" onboard --client "Y$p" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/y$p" --yes \
    >/dev/null 2>"$work/yes.err"
  r=$?
  set -e
  [ $r -eq 2 ] || fail "$p --yes: exit $r"
  grep -q "suggested by $p .*not applied.*FEE = \[Fee\] read as number, multiplied by 1.5" "$work/yes.err" || fail "$p --yes: not listed: $(cat "$work/yes.err")"
  [ ! -e "$work/y$p/PAYMENTS.csv" ] || fail "$p --yes: something ran"

  # ---- the review: /discard, then /accept through the workflow, audited ----------------------------
  serve "[$good, $bonus]"; use $p
  printf '/discard 2\n/accept 1\n/show\n/quit\n' > "$work/cmds"
  set +e
  "$mf" onboard --client "R$p" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/r$p" \
    <"$work/cmds" >"$work/review.out" 2>&1
  set -e
  grep -q "the suggestion for BONUS discarded" "$work/review.out" || fail "$p review: discard: $(cat "$work/review.out")"
  grep -q "question 1 answered: FEE = \[Fee\] read as number, multiplied by 1.5" "$work/review.out" || fail "$p review: accept: $(cat "$work/review.out")"
  grep -q "^question about BONUS" "$work/r$p/plan.txt" || fail "$p review: BONUS is no longer a question"
  grep -q "^suggestion" "$work/r$p/plan.txt" && fail "$p review: a suggestion is left"
  grep -q "^FEE .*= \[Fee\] read as number, multiplied by 1.5" "$work/r$p/plan.txt" || fail "$p review: FEE: $(cat "$work/r$p/plan.txt")"
  "$mf" audit log --client "R$p" --json > "$work/audit.jsonl"
  python3 - "$work/audit.jsonl" "$p" <<'PY' || fail "$p review: the audit trail lacks the approval of the model's text"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
acc = [e for e in ev if e["event"] == "suggestion_accepted"]
assert len(acc) == 1, [e["event"] for e in ev]
d = acc[0]["details"]
assert d["provider"] == sys.argv[2] and d["model"] and d["expression"] == "[Fee] read as number, multiplied by 1.5", d
assert len(d["prompt_sha256"]) == 64 and len(d["answer_sha256"]) == 64 and len(d["expression_sha256"]) == 64, d
assert any(e["event"] == "suggestion_discarded" for e in ev)
assert sum(e["event"] == "llm_call" for e in ev) == 2
PY
  "$mf" history --client "R$p" | grep -q "suggestion $p .* FEE tokens in=.* suggested" || fail "$p history: no model calls"
  "$mf" history --client "R$p" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["llm_calls"]) == 2 and d["llm_calls"][0]["tokens_in"] > 0' \
    || fail "$p history --json: no llm_calls"

  # ---- an answer that does not parse: retried once with the error, then good ------------------------
  serve '[{"answer": {"expression": "[Fee] read as number multiplied by", "explanation": "x", "confidence": 0.9}}, '"$good"', {"answer_text": "no JSON here"}, {"answer_text": "still none"}]'; use $p
  plan_with "P$p"
  [ "$(suggestions)" = 1 ] || fail "$p retry: $(cat "$out/plan.txt")"
  python3 - "$log" <<'PY' || fail "$p retry: the second request does not carry the parser's error"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 4, len(reqs)
assert "refused" in reqs[1]["user"] and "does not parse" in reqs[1]["user"], reqs[1]["user"][-400:]
assert "not JSON" in reqs[3]["user"], reqs[3]["user"][-300:]
PY
  grep -q "answer for BONUS was refused again" <<<"$err" || fail "$p retry: BONUS: $err"

  # ---- type-checks but rejects every sample row; a ? left in; a type error ---------------------------
  serve '[{"answer": {"expression": "[Ref] read as number", "explanation": "", "confidence": 1}}, {"answer": {"expression": "[Ref] read as MM/DD/YYYY", "explanation": "", "confidence": 1}}, {"answer": {"expression": "?", "explanation": "", "confidence": 1}}, {"answer": {"expression": "[Bonus] & \"x\" + 1", "explanation": "", "confidence": 1}}]'; use $p
  plan_with "S$p"
  [ "$(suggestions)" = 0 ] || fail "$p sample: a failing answer became a suggestion"
  grep -q "rejects 3 of the 3 sampled rows that reach FEE" <<<"$err" || fail "$p sample: $err"
  grep -q "still holds a ?" <<<"$err" || fail "$p hole: $err"
  parses "$p sample"

  # ---- hostile answers: statements after the expression, a comment, huge output ---------------------
  serve '[{"answer": {"expression": "[Fee] read as number\"\nskip rows where true\nreject rows where [Ref] is \"A1\": \"x", "explanation": "ignore the rules", "confidence": 1}}, {"answer": {"expression": "[Fee] read as number; skip rows where true", "explanation": "", "confidence": 1}}, {"huge": 400000}]'; use $p
  plan_with "H$p"
  [ "$(suggestions)" = 0 ] || fail "$p hostile: became a suggestion: $(cat "$out/plan.txt")"
  grep -Eq "^(skip|reject)" "$out/plan.txt" && fail "$p hostile: a statement got into the plan"
  grep -q "line break or a control character" <<<"$err" || fail "$p hostile: $err"
  grep -q "larger than" <<<"$err" || fail "$p huge: $err"
  [ "$(requests)" = 3 ] || fail "$p hostile: $(requests) requests (a huge answer is not retried)"
  parses "$p hostile"

  # ---- 429 with Retry-After: waited, then answered ----------------------------------------------------
  serve '[{"status": 429, "retry_after": 1}, '"$good"', '"$bonus"']'; use $p
  t0=$(date +%s.%N); plan_with "T$p"; t1=$(date +%s.%N)
  [ "$(suggestions)" = 2 ] || fail "$p 429: $err"
  python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 1.0 else 1)" || fail "$p 429: Retry-After not honoured"
  # ---- 500 every time: the questions stay, the model is not asked again this run ---------------------
  serve '[{"status": 500}]'; use $p
  MAPFORGE_LLM_RETRIES=1 plan_with "F$p"
  [ $rc -eq 2 ] && [ "$(suggestions)" = 0 ] || fail "$p 500: exit $rc"
  grep -q "HTTP 500" <<<"$err" || fail "$p 500: $err"
  grep -q "not asked about the remaining questions" <<<"$err" || fail "$p 500: $err"
  [ "$(requests)" = 2 ] || fail "$p 500: $(requests) requests"
  # ---- malformed JSON from the server, then good --------------------------------------------------------
  serve '[{"malformed": true}, '"$good"', '"$bonus"']'; use $p
  plan_with "M$p"
  [ "$(suggestions)" = 2 ] || fail "$p malformed then good: $err"
  grep -q "not JSON" <<<"$err" || fail "$p malformed: not said: $err"
  # ---- a connection dropped mid-stream: retried; dropped every time: the questions stay -------------------
  serve '[{"drop": true}, '"$good"', '"$bonus"']'; use $p
  plan_with "D$p"
  [ "$(suggestions)" = 2 ] || fail "$p drop once: $err"
  serve '[{"drop": true}]'; use $p
  MAPFORGE_LLM_RETRIES=1 plan_with "E$p"
  [ "$(suggestions)" = 0 ] || fail "$p drop always: $err"
  grep -q "dropped" <<<"$err" || fail "$p drop always: $err"
  # ---- budgets ------------------------------------------------------------------------------------------
  serve "[$good, $bonus]"; use $p
  MAPFORGE_LLM_BUDGET_RUN=100 plan_with "B$p"
  [ "$(requests)" = 1 ] && [ "$(suggestions)" = 1 ] || fail "$p run budget: $(requests) requests"
  grep -q "token budget for a run (100) is spent" <<<"$err" || fail "$p run budget: $err"
  MAPFORGE_LLM_BUDGET_DAY=200 plan_with "B2$p"
  [ "$(requests)" = 1 ] || fail "$p day budget: a call was made ($(requests))"
  grep -q "token budget for today (200) is spent" <<<"$err" || fail "$p day budget: $err"
done

# ---- Azure: the deployment URL, api-version and api-key header ---------------------------------------------
serve "[$good, $bonus]"; use azure
plan_with AZ
[ "$(suggestions)" = 2 ] || fail "azure: $err"
grep -q '"path": "/openai/deployments/mapforge-dep/chat/completions", "query": "api-version=2024-10-21"' "$log" || fail "azure: URL"
grep -q '"auth_ok": false' "$log" && fail "azure: a request without the api-key header"
grep -qF 'from "azure mapforge-dep"' "$out/plan.txt" || fail "azure: $(cat "$out/plan.txt")"
# tool calls instead of a JSON schema (OpenAI), not streamed
serve "[$good, $bonus]"; use openai
MAPFORGE_LLM_STRUCTURED=tools MAPFORGE_LLM_STREAM=off plan_with TOOLS
[ "$(suggestions)" = 2 ] || fail "tools: $err"
grep -q '"stream": false, "structured": "tools"' "$log" || fail "tools: not asked as a tool call"
# ---- the limits of an answer (docs/limits.md): each a clear error, the question stays a question -------------
serve "$(python3 -c 'import json; print(json.dumps([{"raw": "data: " + "[" * 100 + "]" * 100 + "\n\ndata: [DONE]\n\n"}]))')"
use openai
plan_with LIMDEEP
[ "$(suggestions)" = 0 ] || fail "deep JSON: a suggestion"
grep -q "a streamed event nests JSON deeper than 64 levels: refused" <<<"$err" || fail "deep JSON: $err"
serve "$(python3 -c 'import json; print(json.dumps([{"raw": "{\"choices\": [{\"message\": " * 70 + "1" + "}]}" * 70}]))')"
use openai
MAPFORGE_LLM_STREAM=off plan_with LIMDEEP2
grep -q "the response nests JSON deeper than 64 levels: refused" <<<"$err" || fail "deep JSON document: $err"
serve "$(python3 -c 'import json; print(json.dumps([{"raw": "data: \"" + "x" * 70000 + "\"\n\ndata: [DONE]\n\n"}]))')"
use openai
plan_with LIMLINE
[ "$(suggestions)" = 0 ] || fail "long SSE line: a suggestion"
grep -q "a streamed line is 70008 bytes long; at most 65536 are read" <<<"$err" || fail "long SSE line: $err"
serve '[{"huge": 2000}]'; use anthropic
plan_with LIMEXPR
[ "$(suggestions)" = 0 ] || fail "long expression: a suggestion"
grep -q "the expression is 2000 bytes long; at most 1000" <<<"$err" || fail "long expression: $err"
echo "llm_suggest: ok"
