#!/usr/bin/env bash
# llm_secrets.sh — the provider's key never leaves the request header: after `llm check` (answered
# and refused with the key echoed back), `plan` with suggestions, and a reviewed `onboard` that
# accepts a suggestion, runs and loads, the key (nor its first 12 characters) is in none of: the
# state store (SQLite file; and PostgreSQL's tables when MAPFORGE_TEST_PG is set), the warehouse, the
# audit trail, the history, the plan files, the outputs, and everything printed on stdout/stderr.
# The key is given once by the environment and once from an owner-only key file.
# Usage: llm_secrets.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_secrets: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
trap 'stop_server; rm -rf "$work"' EXIT
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)
export MAPFORGE_HOME=$work/home
logs=$work/logs; mkdir -p "$logs"
good='{"answer": {"expression": "[Fee] read as number, multiplied by 1.5", "explanation": "150% of the fee", "confidence": 0.8}}'
bonus='{"answer": {"expression": "[Bonus] read as number", "explanation": "as given", "confidence": 0.6}}'
client="SEC$$"

for p in openai anthropic azure; do
  serve '[{"answer": {"ok": true}}]'; use $p
  "$mf" llm check >"$logs/check-$p.out" 2>&1 || fail "$p: llm check failed: $(cat "$logs/check-$p.out")"
  # a wrong key: the server echoes what it got
  case $p in
    openai) OPENAI_API_KEY=${KEY}x "$mf" llm check >"$logs/bad-$p.out" 2>&1 && fail "$p: a bad key was accepted" ;;
    azure) AZURE_OPENAI_API_KEY=${KEY}x "$mf" llm check >"$logs/bad-$p.out" 2>&1 && fail "$p: a bad key was accepted" ;;
    anthropic) ANTHROPIC_API_KEY=${KEY}x "$mf" llm check >"$logs/bad-$p.out" 2>&1 && fail "$p: a bad key was accepted" ;;
  esac
  grep -q "HTTP 401" "$logs/bad-$p.out" || fail "$p: $(cat "$logs/bad-$p.out")"
  serve "[$good, $bonus]"; use $p
  set +e
  "$mf" plan --client "$client$p" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/plan-$p" \
    >"$logs/plan-$p.out" 2>"$logs/plan-$p.err"
  set -e
  grep -q "^suggestion about FEE" "$work/plan-$p/plan.txt" || fail "$p: no suggestion: $(cat "$logs/plan-$p.err")"
  serve "[$good, $bonus]"; use $p
  printf '/accept 1\n/accept 1\n/approve fine\n' | "$mf" onboard --client "$client$p" --mapping "$case_dir/mapping.csv" \
    --data "$case_dir/data.csv" --out "$work/onboard-$p" >"$logs/onboard-$p.out" 2>&1 \
    || fail "$p: onboard failed: $(tail -5 "$logs/onboard-$p.out")"
  [ -s "$work/onboard-$p/PAYMENTS.csv" ] || fail "$p: nothing ran"
  "$mf" history --client "$client$p" --json >"$logs/history-$p.json"
done
# the key from an owner-only key file, through --config
serve '[{"answer": {"ok": true}}]'; use openai
printf '%s\n' "$KEY" > "$work/key"; chmod 600 "$work/key"
printf 'provider = openai\nbase_url = %s\napi_key_file = %s\n' "$OPENAI_BASE_URL" "$work/key" > "$work/config"
unset MAPFORGE_LLM OPENAI_API_KEY OPENAI_BASE_URL
"$mf" llm check --config "$work/config" >"$logs/check-file.out" 2>&1 || fail "key file: $(cat "$logs/check-file.out")"
"$mf" audit log --json >"$logs/audit.jsonl"
"$mf" audit verify >"$logs/verify.out" || fail "the audit trail does not verify"

# PostgreSQL store
if [ -n "${MAPFORGE_TEST_PG:-}" ]; then
  command -v psql >/dev/null || fail "MAPFORGE_TEST_PG is set but psql is missing"
  serve "[$good, $bonus]"; use anthropic
  set +e
  "$mf" plan --client "${client}pg" --mapping "$case_dir/mapping.csv" --data "$case_dir/data.csv" --out "$work/plan-pg" \
    --store "$MAPFORGE_TEST_PG" >"$logs/plan-pg.out" 2>"$logs/plan-pg.err"
  set -e
  grep -q "^suggestion about FEE" "$work/plan-pg/plan.txt" || fail "pg: no suggestion: $(cat "$logs/plan-pg.err")"
  "$mf" history --client "${client}pg" --store "$MAPFORGE_TEST_PG" --json >"$logs/history-pg.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["llm_calls"]) == 2 and d["llm_calls"][0]["provider"] == "anthropic", d["llm_calls"]' \
    "$logs/history-pg.json" || fail "pg: the calls are not in PostgreSQL's store"
  psql -qtAX "$MAPFORGE_TEST_PG" -c "SELECT * FROM mapforge.llm_calls" >"$logs/pg-llm_calls.txt"
  psql -qtAX "$MAPFORGE_TEST_PG" -c "SELECT * FROM mapforge.audit_events" >"$logs/pg-audit.txt"
  psql -qtAX "$MAPFORGE_TEST_PG" -c "SELECT text FROM mapforge.plan_versions" >"$logs/pg-plans.txt"
else
  [ -z "${CI:-}" ] || fail "MAPFORGE_TEST_PG is not set (CI must not skip PostgreSQL)"
  echo "llm_secrets: PostgreSQL skipped (MAPFORGE_TEST_PG not set)"
fi

# the search: the whole key, and its first 12 characters, anywhere (binary files included)
prefix=${KEY:0:12}
for needle in "$KEY" "$prefix"; do
  hits=$(grep -rla --exclude=key --exclude=config -F "$needle" "$MAPFORGE_HOME" "$work" 2>/dev/null || true)
  [ -z "$hits" ] || fail "the key is in: $hits"
done
# the search found the places it searched: the store and the outputs exist and hold the calls
[ -s "$MAPFORGE_HOME/state.db" ] && [ -s "$MAPFORGE_HOME/warehouse.db" ] || fail "no store or warehouse to search"
grep -q '"event": "suggestion_accepted"' "$logs/audit.jsonl" || grep -q '"suggestion_accepted"' "$logs/audit.jsonl" \
  || fail "the audit trail has no accepted suggestion"
grep -qa "gpt-4o-mini" "$MAPFORGE_HOME/state.db" || fail "the calls are not in the store searched"
echo "llm_secrets: ok"
