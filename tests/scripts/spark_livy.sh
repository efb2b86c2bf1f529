#!/usr/bin/env bash
# spark_livy.sh MAPFORGE — managed Spark through Apache Livy's batch protocol, end to end against
# tests/spark/livy_server.py (Livy's REST API, each batch run by spark-submit in local mode):
#   1. `run --engine spark --livy URL --spark-stage DIR`: the outputs (CSV, rejects, Parquet) and
#      run.json equal the native engine's; the job's own log came back through GET /batches/{id}/log;
#      the stage is left empty;
#   2. a job that fails (its input does not exist) ends `dead`: a clear error naming the batch and
#      the job's error, the log's tail shown, exit 1, no output file;
#   3. a wrong token: 401, a clear error, exit 1 — and the token (which the server quotes back) is
#      printed nowhere, written nowhere; the right token is in no file either;
#   4. Ctrl-C while the batch runs: the batch is deleted (DELETE /batches/{id}), exit 130, nothing
#      published.
set -uo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
py=$(scripts/venv.sh) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-livy.XXXXXX")
export LIVY_TEST_TOKEN="tok-$RANDOM$RANDOM-livy-secret"
"$py" tests/spark/livy_server.py --port-file "$tmp/port" --log "$tmp/requests.log" \
    --spark-submit "$(dirname "$py")/spark-submit" >"$tmp/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { echo "the Livy test server did not start"; cat "$tmp/server.log"; exit 1; }
url="http://127.0.0.1:$(cat "$tmp/port")"
status=0
fail() { echo "livy: $*"; status=1; }
case=tests/cases/plan_number_steps
export MAPFORGE_LIVY_POLL_MAX=1

# 1. a run through Livy equals the native run; the data file sits in the stage, so the job gets it
#    by the stage's URI (--spark-stage-uri), as on a lake mounted on the machine that runs mapforge
mkdir -p "$tmp/stage/in" && cp $case/data.csv "$tmp/stage/in/data.csv"
data="$tmp/stage/in/data.csv"
"$mapforge" run --plan $case/plan.txt --data "$data" --out "$tmp/native" >/dev/null 2>&1 || { echo "native run failed"; exit 1; }
if MAPFORGE_LIVY_TOKEN="$LIVY_TEST_TOKEN" "$mapforge" run --plan $case/plan.txt --data "$data" --out "$tmp/livy" \
        --engine spark --livy "$url" --spark-stage "$tmp/stage" --spark-stage-uri "file://$tmp/stage/" >"$tmp/ok.out" 2>"$tmp/ok.err"; then
    for f in OUT.csv rejects.csv OUT.parquet; do
        cmp -s "$tmp/native/$f" "$tmp/livy/$f" || fail "$f differs from the native engine's"
    done
    strip() { grep -v "_seconds\|mb_per_s" "$1" | sed "s#$tmp/native#OUT#; s#$tmp/livy#OUT#"; }
    [ "$(strip "$tmp/native/run.json")" = "$(strip "$tmp/livy/run.json")" ] || fail "run.json differs from the native engine's"
    grep -q "^mapforge job: plan .* on local" "$tmp/livy/spark.log" || fail "the job's log did not come back through the batch log"
    grep -q '"POST", "path": "/batches", "status": 201' "$tmp/requests.log" || fail "no POST /batches"
    grep -q '"path": "/batches/0/log?from=0' "$tmp/requests.log" || fail "the log was not fetched"
    grep -q '"DELETE"' "$tmp/requests.log" && fail "a successful batch was deleted"
    grep -qF "\"file\": \"file://$tmp/stage/mapforge-" "$tmp/requests.log" || fail "job.py was not given by the stage's URI"
    grep -qF "\"args\": [\"file://$tmp/stage/in/data.csv\", \"file://$tmp/stage/mapforge-" "$tmp/requests.log" \
        || fail "the data file was not given by the stage's URI: $(grep POST "$tmp/requests.log")"
    [ "$(ls -A "$tmp/stage")" = in ] || fail "the stage was not cleaned (or lost the data): $(ls "$tmp/stage")"
    rm -rf "$tmp/stage/in"
else
    fail "run through Livy failed:"; cat "$tmp/ok.err"; tail -20 "$tmp/livy/spark.log" 2>/dev/null
fi

# 2. a job that fails: dead
rc=0
MAPFORGE_LIVY_TOKEN="$LIVY_TEST_TOKEN" "$mapforge" compile --plan $case/plan.txt --to pyspark --data "file:$tmp/no-such.csv" \
    --out "$tmp/dead" --livy "$url" --spark-stage "$tmp/stage" >/dev/null 2>"$tmp/dead.err" || rc=$?
[ $rc -eq 1 ] || fail "a dead batch exited $rc, expected 1"
grep -q "Livy batch 1 ended dead" "$tmp/dead.err" || fail "the error does not say the batch is dead: $(cat "$tmp/dead.err")"
grep -q "no-such.csv" "$tmp/dead.err" || fail "the error does not carry the job's own error: $(cat "$tmp/dead.err")"
grep -q "the end of the batch's log" "$tmp/dead.err" || fail "the log's tail is not shown"
[ -e "$tmp/dead/OUT.csv" ] && fail "a dead batch left an output file"

# 3. a wrong token: 401, never printed
bad="wrong-$RANDOM-token-value"
rc=0
MAPFORGE_LIVY_TOKEN="$bad" "$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/bad" \
    --engine spark --livy "$url" --spark-stage "$tmp/stage" >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
[ $rc -eq 1 ] || fail "a refused token exited $rc, expected 1"
grep -q "HTTP 401" "$tmp/bad.err" && grep -q "MAPFORGE_LIVY_TOKEN" "$tmp/bad.err" || fail "unclear 401 error: $(cat "$tmp/bad.err")"
grep -q "401" "$tmp/requests.log" || fail "the server did not refuse the token"
grep -rqF -- "$bad" "$tmp/bad.err" "$tmp/bad.out" "$tmp/bad" && fail "the wrong token was printed or written"
grep -rqF -- "$LIVY_TEST_TOKEN" "$tmp/ok.err" "$tmp/ok.out" "$tmp/livy" "$tmp/dead.err" "$tmp/dead" && fail "the token was printed or written"
[ -e "$tmp/bad/OUT.csv" ] && fail "a refused batch left an output file"

# 4. Ctrl-C while the batch runs: DELETE, exit 130
MAPFORGE_LIVY_TOKEN="$LIVY_TEST_TOKEN" "$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/intr" \
    --engine spark --livy "$url" --spark-stage "$tmp/stage" >/dev/null 2>"$tmp/intr.err" &
pid=$!
for _ in $(seq 300); do grep -q '"/batches/2/state"' "$tmp/requests.log" && break; sleep 0.1; done
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
[ $rc -eq 130 ] || fail "Ctrl-C exited $rc, expected 130: $(cat "$tmp/intr.err")"
grep -q '"DELETE", "path": "/batches/2", "status": 200' "$tmp/requests.log" || fail "Ctrl-C did not delete the batch"
grep -q "deleted" "$tmp/intr.err" || fail "Ctrl-C: the message does not say the batch was deleted"
[ -e "$tmp/intr/OUT.csv" ] && fail "an interrupted run published an output file"
[ -z "$(ls -A "$tmp/stage")" ] || fail "the stage was not cleaned after Ctrl-C"
[ $status -eq 0 ] && echo "livy: ok"
exit $status
