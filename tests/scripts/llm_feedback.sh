#!/usr/bin/env bash
# llm_feedback.sh — review feedback the rule reader cannot apply, put to the model (a local server
# speaking the providers' wire formats, tests/llm/fake_provider.py), in the terminal review, on the
# OpenAI and Anthropic formats:
#   - the model's edit (a new expression for a named column, a new reject rule) is shown as a diff
#     and a sample preview and is NOT applied: the plan is unchanged until /accept;
#   - /accept makes it the next version, its provenance "suggested by MODEL, accepted by WHO on
#     DATE: FEEDBACK", an edit_accepted audit event with the call's hashes; the approved plan runs
#     with it;
#   - /discard changes nothing (no version) and is audited;
#   - hostile answers (statements smuggled into an expression, markup, a column that does not exist,
#     a rule that rejects every row) are refused, retried once with the reason, and then the line
#     stays "not understood" with the model's refusal; nothing reaches the plan.
# Usage: llm_feedback.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_feedback: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)
export MAPFORGE_HOME=$work/home MAPFORGE_USER=rita

fee='{"answer": {"expression": "[Fee] read as number", "explanation": "", "confidence": 0.9}}'
bonus='{"answer": {"expression": "[Bonus] read as number", "explanation": "", "confidence": 0.9}}'
cents='{"answer": {"columns": [{"column": "amount", "expression": "[Amount] read as number, multiplied by 100"}], "rules": [{"kind": "reject", "condition": "[Ref] is \"A3\"", "message": "A3 is <b>void</b>"}], "explanation": "cents <script>alert(1)</script>", "confidence": 0.7}}'
smuggled='{"answer": {"columns": [{"column": "AMOUNT", "expression": "[Amount] read as number\"\nskip rows where true\nreject rows where [Ref] is \"A1\": \"x"}], "rules": [], "explanation": "", "confidence": 1}}'
markup='{"answer": {"columns": [{"column": "AMOUNT", "expression": "<script>alert(1)</script>"}], "rules": [], "explanation": "", "confidence": 1}}'
nocol='{"answer": {"columns": [{"column": "DROP TABLE runs", "expression": "[Amount] read as number"}], "rules": [], "explanation": "", "confidence": 1}}'
all_rows='{"answer": {"columns": [], "rules": [{"kind": "reject", "condition": "true", "message": "x"}], "explanation": "", "confidence": 1}}'
line='show the amounts in cents please, and drop A3'

n=0
# review CLIENT 'COMMANDS': onboard with a scripted terminal review; $out (dir), $said (its output)
review() {
  n=$((n + 1)); out=$work/out$n
  export MAPFORGE_HOME=$work/home$n   # a store of its own: the rulebook learns what an earlier review approved
  printf '/accept 1\n/accept 1\n%b' "$2" > "$work/cmds$n"
  set +e
  "$mf" onboard --client "$1" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$out" \
    <"$work/cmds$n" >"$work/said$n" 2>&1
  rc=$?
  set -e
  said=$(cat "$work/said$n")
}
events() { "$mf" audit log --client "$1" --json; }
# the plan file with each comment's continuation lines joined to the line they continue
flat() { python3 -c 'import re, sys; print(re.sub(r"\n +# ", " ", open(sys.argv[1]).read()))' "$1"; }

for p in openai anthropic; do
  # ---- proposed, shown with a diff and a preview, not applied; then /accept --------------------------
  serve "[$fee, $bonus, $cents]"; use $p
  review "A$p" "$line\n/show\n/accept\n/approve looks right\n"
  [ $rc -eq 0 ] || fail "$p accept: exit $rc: $said"
  grep -q "proposed edit for your feedback \"$line\" — suggested by $p " <<<"$said" || fail "$p accept: no proposal: $said"
  grep -q '^+AMOUNT .*= \[Amount\] read as number, multiplied by 100' <<<"$said" || fail "$p accept: no diff: $said"
  grep -q 'line 2: \[Amount\] "10.00" -> 1000.00' <<<"$said" || fail "$p accept: no preview: $said"
  grep -q '/accept takes this edit' <<<"$said" || fail "$p accept: no prompt: $said"
  # before /accept the plan is as it was: the /show that follows the proposal shows the old AMOUNT
  sed -n '/^review> \/show/,/^review> \/accept$/p' "$work/said$n" | grep -q '^AMOUNT .*= \[Amount\] read as number  *#' \
    || fail "$p accept: the plan changed before /accept: $said"
  grep -q '^AMOUNT .*= \[Amount\] read as number, multiplied by 100 .*suggested by' "$out/plan.txt" || fail "$p accept: $(cat "$out/plan.txt")"
  flat "$out/plan.txt" > "$work/flat"
  grep -q "^AMOUNT .* # row 4: As is — suggested by $p [^ ]*, accepted by rita on 20[0-9-]*: $line\$" "$work/flat" || fail "$p accept: provenance: $(cat "$out/plan.txt")"
  grep -q '^reject rows where \[Ref\] is "A3": "A3 is <b>void</b>" .*# suggested by' "$out/plan.txt" || fail "$p accept: rule: $(cat "$out/plan.txt")"
  grep -q '^A1,1000.00,' "$out/PAYMENTS.csv" || fail "$p accept: the run does not use the edit: $(cat "$out/PAYMENTS.csv")"
  grep -q 'A3' "$out/PAYMENTS.csv" && fail "$p accept: A3 was not rejected"
  events "A$p" | python3 -c '
import json, sys
p = sys.argv[1]
ev = [json.loads(l) for l in sys.stdin]
names = [e["event"] for e in ev]
acc = [e for e in ev if e["event"] == "edit_accepted"]
assert len(acc) == 1 and acc[0]["actor"] == "rita", names
d = acc[0]["details"]
assert d["provider"] == p and d["model"] and "multiplied by 100" in d["edit"], d
assert len(d["prompt_sha256"]) == 64 and len(d["answer_sha256"]) == 64 and d["from_sha256"] != d["sha256"], d
assert names.index("edit_proposed") < names.index("edit_accepted") < names.index("approval"), names
calls = [e for e in ev if e["event"] == "llm_call"]
assert len(calls) == 3, len(calls)' "$p" || fail "$p accept: the audit trail"
  "$mf" history --client "A$p" --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["llm_calls"]
assert [x["purpose"] for x in c].count("edit") == 1 and any(x["outcome"] == "proposed" for x in c), c' \
    || fail "$p accept: the model call is not in history"

  # ---- /discard: nothing changes, no version ------------------------------------------------------------
  serve "[$fee, $bonus, $cents]"; use $p
  review "D$p" "$line\n/discard\n/accept\n/quit\n"
  grep -q "the edit $p .* discarded; the plan is unchanged" <<<"$said" || fail "$p discard: $said"
  grep -q "no edit proposed by a model is pending" <<<"$said" || fail "$p discard: /accept after /discard: $said"
  grep -q '^AMOUNT .*= \[Amount\] read as number  *#' "$out/plan.txt" || fail "$p discard: AMOUNT changed: $(cat "$out/plan.txt")"
  grep -q '^reject' "$out/plan.txt" && fail "$p discard: a rule was added"
  "$mf" history --client "D$p" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["versions"]) == 3, [v["version"] for v in d["versions"]]' || fail "$p discard: a version was made"
  events "D$p" | grep -q '"event":"edit_discarded"' || fail "$p discard: not audited"
  events "D$p" | grep -q '"event":"edit_accepted"' && fail "$p discard: accepted"

  # ---- hostile answers: refused, retried once with the reason, the line stays not understood -------------
  serve "[$fee, $bonus, $smuggled, $markup, $nocol, $all_rows]"; use $p
  review "H$p" "$line\n/accept\nreject rows where the broker says so\n/show\n/quit\n"
  grep -q "not understood: .*$p [^ ]*: the expression for AMOUNT: it does not parse" <<<"$said" \
    || fail "$p hostile: the refusal is not said: $said"
  grep -q "no edit proposed by a model is pending" <<<"$said" || fail "$p hostile: something is pending: $said"
  grep -q "not understood: .*$p [^ ]*: on the data's first rows its rules reject or skip every row" <<<"$said" \
    || fail "$p hostile: a rule rejecting every row: $said"
  grep -q "proposed edit for your feedback" <<<"$said" && fail "$p hostile: a proposal was shown: $said"
  grep -Eq '^(skip|reject)' "$out/plan.txt" && fail "$p hostile: a statement got into the plan: $(cat "$out/plan.txt")"
  grep -q 'script' "$out/plan.txt" && fail "$p hostile: markup got into the plan"
  grep -q '^AMOUNT .*= \[Amount\] read as number  *#' "$out/plan.txt" || fail "$p hostile: AMOUNT changed"
  python3 - "$log" <<'PY' || fail "$p hostile: the retry does not carry the refusal"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 6, len(reqs)
assert "why_it_was_refused" not in reqs[2]["user"] and "line break or a control character" in reqs[3]["user"], reqs[3]["user"][-600:]
assert "is not an output column" in reqs[5]["user"], reqs[5]["user"][-600:]
assert "show the amounts in cents please" in reqs[2]["user"] and "\"not_understood\"" in reqs[2]["user"]
PY
  events "H$p" | grep -q '"event":"edit_proposed"' && fail "$p hostile: a proposal was recorded"
done

# ---- no model: the line stays not understood, nothing is asked ------------------------------------------
unset MAPFORGE_LLM OPENAI_API_KEY ANTHROPIC_API_KEY
n=$((n + 1)); out=$work/out$n
printf '/answer 1 [Fee] read as number\n/answer 1 [Bonus] read as number\n%s\n/accept\n/quit\n' "$line" > "$work/cmds$n"
"$mf" onboard --client NONE --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$out" \
  <"$work/cmds$n" >"$work/said$n" 2>&1 || true
grep -q "not understood: \"show the amounts in cents please\"" "$work/said$n" || fail "no model: $(cat "$work/said$n")"
grep -q "no edit proposed by a model is pending" "$work/said$n" || fail "no model: /accept: $(cat "$work/said$n")"
echo "llm_feedback: ok"
