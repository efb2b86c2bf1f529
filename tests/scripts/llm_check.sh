#!/usr/bin/env bash
# llm_check.sh — `mapforge llm check` against a local server speaking each provider's wire format
# (tests/llm/fake_provider.py): OpenAI (JSON schema and tool calls), Azure (deployment URL,
# api-version, api-key header) and Anthropic, plain and streamed; 429 with Retry-After honoured, 500
# retried, malformed JSON, a connection dropped mid-stream, an unreachable endpoint, a bad key (the
# server echoes it: the message must not), no provider, a key file others can read.
# Usage: llm_check.sh path/to/mapforge
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d)
fail() { echo "llm_check: $*" >&2; exit 1; }
. "$(dirname "$0")/../llm/lib.sh"
trap 'stop_server; rm -rf "$work"' EXIT
export MAPFORGE_HOME=$work/home
ok='[{"answer": {"ok": true}}]'

# each provider, streamed and not
for p in openai azure anthropic; do
  for s in on off; do
    serve "$ok"; use $p
    out=$(MAPFORGE_LLM_STREAM=$s "$mf" llm check) || fail "$p stream=$s: llm check failed"
    grep -q "^ok: $p " <<<"$out" || fail "$p stream=$s: $out"
    grep -q '"auth_ok": true' "$log" || fail "$p: the server did not see the right key header / URL"
    stream=$([ $s = on ] && echo true || echo false)
    grep -q "\"stream\": $stream" "$log" || fail "$p stream=$s: the request was not stream=$stream"
  done
done
grep -q '"path": "/openai/deployments/mapforge-dep/chat/completions", "query": "api-version=2024-10-21"' \
  "$work"/server*/requests.jsonl || fail "azure: not the deployment URL with api-version"
# a server that does not stream although asked to (some self-hosted ones): its one document is read
serve '[{"answer": {"ok": true}, "nostream": true}]'; use openai
MAPFORGE_LLM_STREAM=on "$mf" llm check | grep -q "^ok: openai" || fail "a non-streaming answer to a streamed request"
# tool calls instead of a JSON schema
serve "$ok"; use openai
MAPFORGE_LLM_STRUCTURED=tools "$mf" llm check >/dev/null || fail "openai tools: failed"
grep -q '"structured": "tools"' "$log" || fail "openai tools: no tools in the request"
# --json
out=$("$mf" llm check --json) || fail "--json failed"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] and d["provider"]=="openai" and d["tokens_in"]==120, d' \
  || fail "--json: $out"

for p in openai anthropic; do
  # 429 with Retry-After: 1 → waited at least a second, then answered
  serve '[{"status": 429, "retry_after": 1}, {"answer": {"ok": true}}]'; use $p
  t0=$(date +%s.%N)
  out=$("$mf" llm check) || fail "$p 429: $out"
  t1=$(date +%s.%N)
  python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 1.0 else 1)" || fail "$p 429: Retry-After 1 was not honoured"
  grep -q "2 attempts" <<<"$out" || fail "$p 429: $out"
  # 500 twice then an answer (backoff); 500 always → a clear error after 4 attempts
  serve '[{"status": 500}, {"status": 503}, {"answer": {"ok": true}}]'; use $p
  "$mf" llm check | grep -q "3 attempts" || fail "$p 500: not retried"
  serve '[{"status": 500}]'; use $p
  if err=$("$mf" llm check 2>&1); then fail "$p 500 always: succeeded"; fi
  grep -q "HTTP 500.*after 4 attempts" <<<"$err" || fail "$p 500 always: $err"
  # malformed JSON (plain and streamed)
  for s in on off; do
    serve '[{"malformed": true}]'; use $p
    if err=$(MAPFORGE_LLM_STREAM=$s "$mf" llm check 2>&1); then fail "$p malformed stream=$s: succeeded"; fi
    grep -q "not JSON" <<<"$err" || fail "$p malformed stream=$s: $err"
  done
  # dropped mid-answer: retried; dropped every time: says so
  for s in on off; do
    serve '[{"drop": true}, {"answer": {"ok": true}}]'; use $p
    MAPFORGE_LLM_STREAM=$s "$mf" llm check | grep -q "2 attempts" || fail "$p drop once stream=$s: not retried"
    serve '[{"drop": true}]'; use $p
    if err=$(MAPFORGE_LLM_STREAM=$s MAPFORGE_LLM_RETRIES=1 "$mf" llm check 2>&1); then fail "$p drop stream=$s: succeeded"; fi
    grep -q "dropped" <<<"$err" || fail "$p drop stream=$s: $err"
  done
  # a huge answer is refused
  serve '[{"huge": 400000}]'; use $p
  if err=$("$mf" llm check 2>&1); then fail "$p huge: succeeded"; fi
  grep -q "larger than" <<<"$err" || fail "$p huge: $err"
done

# a bad key: the server echoes it back; the message must not
serve "$ok"; use openai
if err=$(OPENAI_API_KEY=sk-wrong-Zq8vYt3kLm5nP0xR "$mf" llm check 2>&1); then fail "bad key: succeeded"; fi
grep -q "HTTP 401" <<<"$err" || fail "bad key: $err"
grep -q "Zq8vYt3k" <<<"$err" && fail "bad key: the key is in the message: $err"
# unreachable
stop_server
if err=$("$mf" llm check 2>&1); then fail "unreachable: succeeded"; fi
grep -q "cannot reach http://127.0.0.1:$port/v1/chat/completions" <<<"$err" || fail "unreachable: $err"
# none configured
unset MAPFORGE_LLM OPENAI_API_KEY OPENAI_BASE_URL
if err=$("$mf" llm check 2>&1); then fail "none: succeeded"; fi
grep -q "no model is configured" <<<"$err" || fail "none: $err"
# a config file with a key must be owner-only; api_key_file likewise
mkdir -p "$work/cfg"
printf 'provider = openai\nbase_url = http://127.0.0.1:1/v1\napi_key = %s\n' "$KEY" > "$work/cfg/config"
chmod 644 "$work/cfg/config"
if err=$("$mf" llm check --config "$work/cfg/config" 2>&1); then fail "open config: accepted"; fi
grep -q "readable by others" <<<"$err" || fail "open config: $err"
grep -q "$KEY" <<<"$err" && fail "open config: key in the message"
chmod 600 "$work/cfg/config"
err=$("$mf" llm check --config "$work/cfg/config" 2>&1) && fail "config: port 1 answered?"
grep -q "cannot reach http://127.0.0.1:1/v1" <<<"$err" || fail "config file not used: $err"
printf '%s\n' "$KEY" > "$work/cfg/key"; chmod 640 "$work/cfg/key"
printf 'provider = anthropic\napi_key_file = %s\n' "$work/cfg/key" > "$work/cfg/config2"
if err=$("$mf" llm check --config "$work/cfg/config2" 2>&1); then fail "open key file: accepted"; fi
grep -q "key file is readable by others" <<<"$err" || fail "open key file: $err"
# the calls are in the store (history shows them), the key nowhere in it
python3 - "$MAPFORGE_HOME/state.db" <<'PY' || fail "the checks are not recorded in the store"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT purpose, provider, outcome, tokens_in FROM llm_calls").fetchall()
assert any(r[0] == "check" and r[1] == "anthropic" and r[2] == "ok" and r[3] == 140 for r in rows), rows
assert any(r[2].startswith("failed: ") and "HTTP 401" in r[2] for r in rows), rows
PY
if grep -rq "$KEY" "$MAPFORGE_HOME" 2>/dev/null; then fail "the key is in the state directory"; fi
echo "llm_check: ok"
