#!/usr/bin/env bash
# kill_during_load.sh — kill -9 a load midway; the table must be as before and a rerun completes.
#
# Usage: kill_during_load.sh MAPFORGE_BINARY
# SQLite always; PostgreSQL too when MAPFORGE_TEST_PG holds a connection URL.
# Scenario 1: the first load of a client's input is killed → the table is absent or empty.
# Scenario 2: a reload of the same input is killed → the previous copy is intact (N rows).
# Then the load runs to the end → exactly N rows (idempotent, no leftovers).
set -euo pipefail
mf=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_kill_load.XXXXXX")
trap 'rm -rf "$work"' EXIT
rows=${KILL_LOAD_ROWS:-1500000}
table="kill_load_$$"

fail() { echo "kill_during_load: FAIL: $*" >&2; exit 1; }

cat >"$work/plan.txt" <<PLAN
plan KILLTEST v1
source "data.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
output $table

ID      text required  = [id]
AMOUNT  decimal(18,2)  = [amt] read as number
D       date           = [d] read as ISO date
NOTE    text           = [note]
PLAN
awk -v n="$rows" 'BEGIN { print "id,amt,d,note"; for (i = 1; i <= n; i++) printf "R%d,%d.%02d,2025-01-%02d,note %d with some text\n", i, i, i % 100, i % 28 + 1, i }' >"$work/data.csv"
"$mf" run --plan "$work/plan.txt" --data "$work/data.csv" --out "$work/out" >/dev/null 2>&1 || fail "the run failed"
out_rows=$(($(wc -l <"$work/out/$table.csv") - 1))
[ "$out_rows" -eq "$rows" ] || fail "the run wrote $out_rows rows, expected $rows"

load() { "$mf" load --plan "$work/plan.txt" --out "$work/out" --client KILLTEST --db "$1" >/dev/null; }

# Start a load, kill -9 it after $2 seconds.  Returns 0 when it was killed while running.
kill_load() {
  # The binary itself in the background (not a function: that would fork a subshell and the
  # kill would miss mapforge).
  "$mf" load --plan "$work/plan.txt" --out "$work/out" --client KILLTEST --db "$1" >/dev/null 2>&1 &
  local pid=$!
  sleep "$2"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  wait "$pid" || true
  return 1
}

# Kill during the load, trying shorter delays when the load wins the race.
kill_midway() {
  local d
  for d in 0.8 0.4 0.2 0.1; do
    kill_load "$1" "$d" && return 0
    "$2"   # reset: the load finished, drop the table and try again sooner
  done
  fail "the load always finished before it could be killed ($rows rows)"
}

count_sqlite() { sqlite3 "$db" "SELECT count(*) FROM \"$table\"" 2>/dev/null || echo absent; }
reset_sqlite() { rm -f "$db" "$db-journal"; }
count_pg() { psql -qtAX "$MAPFORGE_TEST_PG" -c "SELECT count(*) FROM \"$table\"" 2>/dev/null || echo absent; }
reset_pg() { PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" -c "DROP TABLE IF EXISTS \"$table\"" >/dev/null; }

scenario() {   # url count_fn reset_fn
  local url=$1 count=$2 reset=$3 n
  "$reset"
  kill_midway "$url" "$reset"
  n=$("$count")
  [ "$n" = absent ] || [ "$n" = 0 ] || fail "$url: after a killed first load the table holds $n rows"
  load "$url"
  n=$("$count"); [ "$n" = "$rows" ] || fail "$url: the rerun left $n rows, expected $rows"
  kill_midway "$url" true
  n=$("$count"); [ "$n" = "$rows" ] || fail "$url: after a killed reload the table holds $n rows, expected $rows"
  load "$url"
  n=$("$count"); [ "$n" = "$rows" ] || fail "$url: the final load left $n rows, expected $rows"
  echo "kill_during_load: $url ok"
}

if ! command -v sqlite3 >/dev/null; then
  [ -z "${CI:-}" ] || fail "the sqlite3 shell is missing (CI must not skip)"
  echo "kill_during_load: sqlite3 shell missing: skipped"; exit 0
fi
db="$work/warehouse.db"
scenario "sqlite:$db" count_sqlite reset_sqlite

if [ -n "${MAPFORGE_TEST_PG:-}" ]; then
  command -v psql >/dev/null || fail "MAPFORGE_TEST_PG is set but psql is missing"
  scenario "$MAPFORGE_TEST_PG" count_pg reset_pg
  reset_pg
else
  [ -z "${CI:-}" ] || fail "MAPFORGE_TEST_PG is not set (CI must not skip PostgreSQL)"
  echo "kill_during_load: PostgreSQL skipped (MAPFORGE_TEST_PG not set)"
fi
