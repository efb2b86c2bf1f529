# lib.sh — sourced by the language-model script tests: start the fake provider (fake_provider.py)
# with a script of steps, and point mapforge at it through the providers' own variables.
#   serve 'JSON LIST OF STEPS'      starts a fresh server; sets $port, $log (one JSON line per request)
#   use openai|azure|anthropic      exports MAPFORGE_LLM and the provider's variables for the server
#   requests                        the number of requests the server has received
# Needs $work (a temporary directory) and fail().  python3 is required (under CI=true too).
KEY="sk-test-7Hq2LmPz9XwV4bN8cR1t"
here_llm=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v python3 >/dev/null || fail "python3 is needed for the fake provider (tests/llm/fake_provider.py)"
server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
serve() {
  stop_server
  n_server=$(( ${n_server:-0} + 1 ))
  local d="$work/server$n_server"
  mkdir -p "$d"
  printf '%s\n' "$1" > "$d/script.json"
  log="$d/requests.jsonl"
  : > "$log"
  python3 "$here_llm/fake_provider.py" --script "$d/script.json" --port-file "$d/port" --log "$log" --key "$KEY" \
    --deployment mapforge-dep --api-version 2024-10-21 2>"$d/stderr" &
  server_pid=$!
  for _ in $(seq 200); do [ -f "$d/port" ] && break; sleep 0.05; done
  [ -f "$d/port" ] || { cat "$d/stderr" >&2; fail "the fake provider did not start"; }
  port=$(cat "$d/port")
}
use() {
  unset OPENAI_API_KEY OPENAI_BASE_URL AZURE_OPENAI_ENDPOINT AZURE_OPENAI_API_KEY OPENAI_API_VERSION \
        ANTHROPIC_API_KEY ANTHROPIC_BASE_URL MAPFORGE_LLM_MODEL
  export MAPFORGE_LLM=$1 MAPFORGE_LLM_BACKOFF_MS=50
  case $1 in
    openai) export OPENAI_API_KEY=$KEY OPENAI_BASE_URL=http://127.0.0.1:$port/v1 ;;
    azure) export AZURE_OPENAI_API_KEY=$KEY AZURE_OPENAI_ENDPOINT=http://127.0.0.1:$port OPENAI_API_VERSION=2024-10-21 \
             MAPFORGE_LLM_MODEL=mapforge-dep ;;
    anthropic) export ANTHROPIC_API_KEY=$KEY ANTHROPIC_BASE_URL=http://127.0.0.1:$port ;;
  esac
}
requests() { wc -l < "$log" | tr -d ' '; }
