#!/usr/bin/env bash
# metrics.sh MAPFORGE — `mapforge metrics` and GET /metrics (docs/metrics.md) after a known sequence,
# on an SQLite store and (MAPFORGE_TEST_PG; under CI=true its absence fails) a fresh PostgreSQL one:
#   an onboard approved with --yes (cache miss, review decided, run loaded), a rerun (cache hit,
#   loaded), a rerun whose customer validator fails (cache hit, validation_failed, nothing loaded),
#   a second client's review left waiting (cache miss), one language-model call through the tests'
#   fake provider (a model name with a quote and a backslash: label escaping);
# then every value is checked exactly after parsing the text with prometheus_client's parser.
# SQLite also: a store made before cache_lookups existed counts its lookups from the audit trail;
# GET /metrics answers a signed-in viewer and the bearer token (Content-Type version=0.0.4, the same
# samples as the CLI), refuses no token and a wrong one (401 + WWW-Authenticate), and the server
# refuses a token file others can read.
set -uo pipefail
mf=$(realpath "${1:?usage: metrics.sh MAPFORGE}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_metrics.XXXXXX")
pgdb=""
pids=()
fails=0
fail() { echo "metrics: FAIL: $*" >&2; fails=$((fails + 1)); }
. "$root/tests/llm/lib.sh"
cleanup() {
    stop_server
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "$pgdb" ] && PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" \
        -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
unset MAPFORGE_STORE MAPFORGE_VALIDATOR MAPFORGE_DB
export MAPFORGE_USER=alice
py=$("$root/scripts/venv.sh") || { echo "metrics: scripts/venv.sh failed (prometheus_client needed)" >&2; exit 1; }
check() { "$py" "$root/tests/tools/prom_check.py" "$@"; }
ex=$root/examples
printf '#!/bin/sh\nexit 1\n' >"$work/refuse.sh"
chmod +x "$work/refuse.sh"

# The known sequence in $work/$1 (MAPFORGE_STORE set by the caller for PostgreSQL).
sequence() {
    local d=$work/$1
    mkdir -p "$d"
    export MAPFORGE_HOME=$d/home
    local wh="sqlite:$d/warehouse.db" rc
    "$mf" onboard --client ACME --mapping "$ex/acme_gl/mapping.xlsx" --data "$ex/acme_gl/gl_extract.csv" \
        --out "$d/o1" --yes --db "$wh" >"$d/o1.log" 2>&1 || fail "$1: onboard exited $? ($(tail -3 "$d/o1.log"))"
    "$mf" run --client ACME --data "$ex/acme_gl/gl_extract.csv" --out "$d/o2" --db "$wh" >"$d/o2.log" 2>&1 ||
        fail "$1: the rerun exited $?"
    grep -q "cache hit" "$d/o2.log" || fail "$1: the rerun was not a cache hit"
    rc=0
    "$mf" run --client ACME --data "$ex/acme_gl/gl_extract.csv" --out "$d/o3" --db "$wh" --validator "$work/refuse.sh" \
        >"$d/o3.log" 2>&1 || rc=$?
    [ $rc -eq 3 ] || fail "$1: the failing validator: exit $rc, expected 3"
    # a review left waiting: the terminal review ends at the end of its input
    "$mf" onboard --client BERGMANN --mapping "$ex/bergmann_ap/mapping.xlsx" --data "$ex/bergmann_ap/kreditoren.csv" \
        --out "$d/o4" --db "$wh" </dev/null >"$d/o4.log" 2>&1
    "$mf" reviews --client BERGMANN --json | "$py" -c '
import json, sys
r = json.load(sys.stdin)["reviews"]
assert len(r) == 1 and r[0]["state"] in ("drafted", "in_review"), r' || fail "$1: BERGMANN's review is not waiting"
    serve '[{"answer": {"ok": true}}]'
    use openai
    MAPFORGE_LLM_MODEL='gpt "q"\x' "$mf" llm check >"$d/llm.log" 2>&1 || fail "$1: llm check failed ($(cat "$d/llm.log"))"
    stop_server
    unset MAPFORGE_LLM OPENAI_API_KEY OPENAI_BASE_URL
    "$mf" metrics >"$d/metrics.txt" 2>"$d/metrics.err" || fail "$1: mapforge metrics exited $? ($(cat "$d/metrics.err"))"
    # expected values: row counts from the first run's own report, times the three runs
    "$py" - "$d/o1/run.json" "$1" >"$d/expect.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rows_in"] == 90 and r["rows_out"] == 72, r   # the example's known counts
runs = 3
e = {
    "mapforge_store_info{backend=%s}" % ("postgresql" if sys.argv[2] == "pg" else "sqlite"): 1,
    "mapforge_runs_total{outcome=loaded}": 2,
    "mapforge_runs_total{outcome=validation_failed}": 1,
    "mapforge_runs_total{outcome=checked}": 0,
    "mapforge_runs_total{outcome=failed}": 0,
    "mapforge_runs_total{outcome=running}": 0,
    "mapforge_run_duration_seconds_count{}": runs,
    "mapforge_run_duration_seconds_sum{}>": 0,
    "mapforge_rows_read_total{}": runs * r["rows_in"],
    "mapforge_rows_written_total{}": runs * r["rows_out"],
    "mapforge_rows_rejected_total{}": runs * r["rows_rejected"],
    "mapforge_rows_filtered_total{}": runs * r["rows_filtered"],
    "mapforge_input_bytes_total{}": runs * r["input"]["bytes"],
    "mapforge_validation_failures_total{}": 1,
    "mapforge_cache_lookups_total{result=hit}": 2,
    "mapforge_cache_lookups_total{result=miss}": 2,
    "mapforge_review_duration_seconds_count{decision=approved}": 1,
    "mapforge_review_duration_seconds_count{decision=rejected}": 0,
    "mapforge_review_duration_seconds_bucket{decision=approved,le=+Inf}": 1,
    "mapforge_llm_calls_total{outcome=ok,purpose=check}": 1,
    'mapforge_llm_tokens_total{direction=in,model=gpt "q"\\x,provider=openai}': 120,
    'mapforge_llm_tokens_total{direction=out,model=gpt "q"\\x,provider=openai}': 30,
    "mapforge_loads_total{status=ok}": 2,
    "mapforge_loads_total{status=interrupted}": 0,
    "mapforge_rows_loaded_total{}": 2 * r["rows_out"],
}
print(json.dumps(e))
PY
    [ $? -eq 0 ] || fail "$1: run.json of the first run is not the example's"
    check "$d/metrics.txt" "$d/expect.json" || fail "$1: metrics differ from the expected values (above)"
    # one waiting review, whichever of the two waiting states it is in
    "$py" - "$d/metrics.txt" <<'PY' || fail "$1: not exactly one review waiting"
import sys
from prometheus_client.parser import text_string_to_metric_families
w = [s.value for f in text_string_to_metric_families(open(sys.argv[1]).read()) for s in f.samples
     if s.name == "mapforge_reviews_waiting"]
assert sorted(w) == [0, 1], w
PY
    grep -q 'ACME\|BERGMANN' "$d/metrics.txt" && fail "$1: a client's name is in the metrics"
    grep -q '^# TYPE mapforge_runs_total counter$' "$d/metrics.txt" || fail "$1: no TYPE line for mapforge_runs_total"
}

sequence sqlite

# A store from before cache_lookups: its lookups are counted from the audit trail when it is opened.
cp -r "$work/sqlite/home" "$work/old_home"
"$py" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DROP TABLE cache_lookups"); c.commit()' \
    "$work/old_home/state.db"
MAPFORGE_HOME=$work/old_home "$mf" metrics >"$work/old.txt" 2>&1 || fail "metrics on the older store: $(cat "$work/old.txt")"
echo '{"mapforge_cache_lookups_total{result=hit}": 2, "mapforge_cache_lookups_total{result=miss}": 2}' >"$work/old.json"
check "$work/old.txt" "$work/old.json" || fail "an older store's lookups were not taken from its audit trail"

# GET /metrics: a signed-in user or the bearer token.
command -v curl >/dev/null || fail "curl is needed"
export MAPFORGE_HOME=$work/sqlite/home
pw='correct horse battery'
echo "$pw" | "$mf" user add vic --role viewer >/dev/null || fail "user add vic"
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$mf" serve --port "$port" --metrics-token-file "$work/token" >"$work/serve.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:$port
for _ in $(seq 1 50); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
code=$(curl -s -D "$work/h0" -o "$work/b0" -w '%{http_code}' "$base/metrics")
[ "$code" = 401 ] || fail "GET /metrics without credentials: $code, expected 401"
grep -qi '^WWW-Authenticate: Bearer' "$work/h0" || fail "the 401 has no WWW-Authenticate: Bearer"
grep -q mapforge_runs_total "$work/b0" && fail "the 401 carries metrics"
wrong=${token%?}; [ "${token: -1}" = 0 ] && wrong+=1 || wrong+=0   # the token with its last digit changed
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $wrong" "$base/metrics")
[ "$code" = 401 ] || fail "GET /metrics with a wrong token: $code, expected 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer " "$base/metrics")
[ "$code" = 401 ] || fail "GET /metrics with an empty token: $code, expected 401"
code=$(curl -s -D "$work/h1" -o "$work/http.txt" -w '%{http_code}' -H "Authorization: Bearer $token" "$base/metrics")
[ "$code" = 200 ] || fail "GET /metrics with the token: $code"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$work/h1" || fail "Content-Type: $(grep -i content-type "$work/h1")"
"$mf" metrics >"$work/cli.txt" || fail "mapforge metrics beside the server"
check "$work/http.txt" "$work/sqlite/expect.json" "$work/cli.txt" || fail "GET /metrics differs from the CLI's scrape"
jar=$work/jar
pre=$(curl -s -c "$jar" -b "$jar" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "pre=$pre" --data-urlencode "user=vic" \
    --data-urlencode "password=$pw" "$base/login"
code=$(curl -s -b "$jar" -o "$work/viewer.txt" -w '%{http_code}' "$base/metrics")
[ "$code" = 200 ] || fail "GET /metrics signed in as a viewer: $code"
check "$work/viewer.txt" "$work/sqlite/expect.json" || fail "the viewer's scrape"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$base/metrics")
[ "$code" = 403 ] || fail "POST /metrics: $code, expected 403 (a POST needs a session)"
chmod 644 "$work/token"
if timeout 5 "$mf" serve --port "$((port + 1))" --metrics-token-file "$work/token" >"$work/serve2.log" 2>&1; then
    fail "the server started with a token file others can read"
fi
grep -q "owner only" "$work/serve2.log" || fail "a readable token file: $(cat "$work/serve2.log")"

if [ -n "${MAPFORGE_TEST_PG:-}" ]; then
    command -v psql >/dev/null || fail "MAPFORGE_TEST_PG is set but psql is missing"
    pgdb=mf_metrics_$$
    PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" -c "CREATE DATABASE $pgdb" >/dev/null ||
        fail "cannot create database $pgdb"
    export MAPFORGE_STORE
    MAPFORGE_STORE=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' \
        "$MAPFORGE_TEST_PG" "$pgdb")
    sequence pg
    unset MAPFORGE_STORE
elif [ -n "${CI:-}" ]; then
    fail "MAPFORGE_TEST_PG is not set (CI must not skip PostgreSQL)"
else
    echo "metrics: PostgreSQL skipped (MAPFORGE_TEST_PG not set)"
fi

[ $fails -eq 0 ] || { echo "metrics: $fails failure(s) (work: $work)" >&2; exit 1; }
echo "metrics: ok"
