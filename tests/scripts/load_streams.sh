#!/usr/bin/env bash
# load_streams.sh MAPFORGE — PostgreSQL loads with --load-streams N (src/store/load_pg.c), on a fresh
# database (MAPFORGE_TEST_PG; under CI=true its absence fails):
#   - 3 streams load exactly the rows 1 stream loads (every column compared, values with tabs,
#     backslashes, quotes, line ends and non-ASCII text);
#   - a reload with streams replaces the earlier copy (same count, "replaced" said);
#   - a load killed with kill -9 once its staging tables exist leaves the table as it was (same rows,
#     same checksum), and
#     the next parallel load drops the staging tables the killed one left;
#   - a value that does not fit its column fails the whole load: nothing loaded, no staging table left.
set -uo pipefail
mf=$(realpath "${1:?usage: load_streams.sh MAPFORGE}")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_load_streams.XXXXXX")
pgdb=""
fails=0
fail() { echo "load_streams: FAIL: $*" >&2; fails=$((fails + 1)); }
cleanup() {
    [ -n "$pgdb" ] && PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" \
        -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${MAPFORGE_TEST_PG:-}" ]; then
    [ -z "${CI:-}" ] || { echo "load_streams: FAIL: MAPFORGE_TEST_PG is not set (CI must not skip PostgreSQL)" >&2; exit 1; }
    echo "load_streams: skipped (MAPFORGE_TEST_PG not set)"
    exit 0
fi
command -v psql >/dev/null || { echo "load_streams: FAIL: psql is missing" >&2; exit 1; }
export MAPFORGE_HOME=$work/home
pgdb=mf_load_streams_$$
PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" -c "CREATE DATABASE $pgdb" >/dev/null ||
    { echo "load_streams: FAIL: cannot create database $pgdb" >&2; exit 1; }
db=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' \
    "$MAPFORGE_TEST_PG" "$pgdb")
q() { psql -qtAX "$db" -c "$1"; }
rows=${LOAD_STREAMS_ROWS:-300000}

cat >"$work/plan.txt" <<'PLAN'
plan STREAMS v1
source "data.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
output LOADED

ID      text required  = [id]
AMOUNT  decimal(18,2)  = [amt] read as number
D       date           = [d] read as ISO date
N       integer        = [n] read as number
NOTE    text           = [note]
PLAN
python3 - "$rows" >"$work/data.csv" <<'PY'
import sys
n = int(sys.argv[1])
notes = ['tab\there', 'back\\slash', 'say ""hi""', 'line\nend', 'crlf\r\nend', 'Zürich €', '', 'plain']
out = sys.stdout
out.write("id,amt,d,note,n\n")
for i in range(1, n + 1):
    note = notes[i % len(notes)]
    out.write('R%d,%d.%02d,2025-01-%02d,"%s %d",%s\n' % (i, i, i % 100, i % 28 + 1, note, i, "" if i % 13 == 0 else -i))
PY
"$mf" run --plan "$work/plan.txt" --data "$work/data.csv" --out "$work/out" >/dev/null 2>"$work/run.err" ||
    { cat "$work/run.err" >&2; echo "load_streams: FAIL: the run failed" >&2; exit 1; }

load() {   # STREAMS [OUT]: load, the summary line on stdout
    "$mf" load --plan "$work/plan.txt" --out "${2:-$work/out}" --client STREAMS --db "$db" --load-streams "$1"
}
dump() { q "COPY (SELECT \"ID\", \"AMOUNT\", \"D\", \"N\", \"NOTE\", \"_mapforge_client\", \"_mapforge_input_sha256\" FROM \"LOADED\" ORDER BY \"ID\") TO STDOUT"; }
sum() { q "SELECT count(*) || ' ' || md5(string_agg(\"ID\" || '|' || coalesce(\"AMOUNT\"::text, '') || '|' || coalesce(\"NOTE\", ''), ',' ORDER BY \"ID\")) FROM \"LOADED\""; }
stages() { q "SELECT count(*) FROM pg_class WHERE relname LIKE '\\_mapforge\\_stage\\_%'"; }

# 1 stream, then 3 streams into a fresh table: the same rows
load 1 >"$work/l1.txt" || fail "the 1-stream load failed"
grep -q "^loaded $rows rows" "$work/l1.txt" || fail "1 stream: $(cat "$work/l1.txt")"
dump >"$work/one.tsv"
q 'DROP TABLE "LOADED"'
load 3 >"$work/l3.txt" || fail "the 3-stream load failed"
grep -q "^loaded $rows rows" "$work/l3.txt" || fail "3 streams: $(cat "$work/l3.txt")"
dump >"$work/three.tsv"
[ "$(wc -l <"$work/one.tsv")" -ge "$rows" ] || fail "the dump holds fewer than $rows lines"
cmp -s "$work/one.tsv" "$work/three.tsv" || fail "3 streams loaded other rows than 1 stream: $(diff "$work/one.tsv" "$work/three.tsv" | head -5)"
[ "$(stages)" = 0 ] || fail "staging tables left after a good load: $(stages)"

# a reload with streams replaces the earlier copy
load 2 >"$work/l2.txt" || fail "the 2-stream reload failed"
grep -q "($rows rows of the same client and input replaced)" "$work/l2.txt" || fail "reload: $(cat "$work/l2.txt")"
before=$(sum)
[ "${before%% *}" = "$rows" ] || fail "after the reload: ${before%% *} rows, expected $rows"

# kill -9 midway, at a known point: once the staging tables exist, a second session holds a share
# lock on them, so the load's last transaction waits at its DROP TABLE, after the INSERT ... SELECT
# and before COMMIT.  Killed there: the table as it was, the staging tables left; the next parallel
# load drops them.  (No sleeps to hit a window: a faster load cannot slip past the kill.)
"$mf" load --plan "$work/plan.txt" --out "$work/out" --client STREAMS --db "$db" --load-streams 4 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ "$(stages)" -ge 3 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
done
names=$(q "SELECT string_agg(quote_ident(relname), ', ') FROM pg_class WHERE relkind = 'r' AND relname LIKE '\\_mapforge\\_stage\\_%'")
holder=""
if [ -n "$names" ]; then
    PGAPPNAME=mf_lock_holder psql -qtAX "$db" -c "BEGIN; LOCK TABLE $names IN ACCESS SHARE MODE; SELECT pg_sleep(120); COMMIT" \
        >/dev/null 2>&1 &
    holder=$!
fi
waiting=0
for _ in $(seq 1 1500); do   # up to 30 s: the load blocked behind the holder's lock
    kill -0 "$pid" 2>/dev/null || break
    [ "$(q "SELECT count(*) FROM pg_locks WHERE NOT granted")" -ge 1 ] && { waiting=1; break; }
    sleep 0.02
done
release() {   # end the lock holder's session (its psql alone would not be noticed while it sleeps)
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mf_lock_holder'" >/dev/null
    [ -z "$holder" ] || wait "$holder" 2>/dev/null
}
if [ $waiting = 1 ] && kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    release
    # the server notices the dead connections and aborts their transactions
    for _ in $(seq 1 500); do
        [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ] && break
        sleep 0.02
    done
    [ "$(sum)" = "$before" ] || fail "a killed load changed the table: $(sum), was $before"
    [ "$(stages)" -ge 3 ] || fail "the killed load left $(stages) staging tables, expected 3"
    load 2 >/dev/null || fail "the load after the killed one failed"
    [ "$(stages)" = 0 ] || fail "the next load did not drop the killed load's staging tables: $(stages) left"
    [ "$(sum)" = "$before" ] || fail "after the kill and a reload: $(sum), expected $before"
else
    release
    wait "$pid"
    fail "the 4-stream load never waited behind the staging tables' lock (it finished first, or made no staging tables)"
fi

# a bad value late in the file: nothing loaded, no staging table left
mkdir -p "$work/bad"
cp "$work/out/run.json" "$work/bad/"
python3 - "$work/out/LOADED.csv" "$work/bad/LOADED.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8", newline="").read().split("\n")
# the first record whose row holds no quoted line end: its amount becomes text
for i in range(len(lines) - 2, 0, -1):
    if lines[i].startswith("R") and lines[i].count(",") == 4 and '"' not in lines[i]:
        f = lines[i].split(",")
        f[1] = "12x.00"
        lines[i] = ",".join(f)
        break
else:
    sys.exit("no plain record found")
open(sys.argv[2], "w", encoding="utf-8", newline="").write("\n".join(lines))
PY
[ $? -eq 0 ] || fail "cannot make the bad file"
q 'DROP TABLE "LOADED"'
if load 3 "$work/bad" >"$work/lbad.txt" 2>&1; then fail "a load with a bad value succeeded"; fi
grep -q "AMOUNT" "$work/lbad.txt" || fail "the bad value's error does not name the column: $(cat "$work/lbad.txt")"
n=$(q "SELECT count(*) FROM \"LOADED\"" 2>/dev/null || echo absent)
[ "$n" = absent ] || [ "$n" = 0 ] || fail "a failed load left $n rows"
[ "$(stages)" = 0 ] || fail "a failed load left staging tables: $(stages)"

[ $fails -eq 0 ] || { echo "load_streams: $fails failure(s)" >&2; exit 1; }
echo "load_streams: ok"
