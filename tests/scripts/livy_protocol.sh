#!/usr/bin/env bash
# livy_protocol.sh MAPFORGE — the Livy client (write/livy.c) against tests/spark/livy_server.py in
# its fake mode (no Spark: a batch "runs" by copying a prepared output in Spark's layout), so that
# the protocol's corners run in the fast suite; tests/scripts/spark_livy.sh runs real batches.
#   - success: the part files (in order) and _header.csv make the native engine's files, the
#     Parquet copy is the native one, the log comes back, MAPFORGE_LIVY_CONF is sent as conf;
#   - --spark-output URI: the job's output argument, nothing copied back, run.json's counts taken
#     from the job's last log line;
#   - Fabric-style GUID batch ids; 503s while polling (retried); a batch that ends `killed`;
#     a batch that never ends (MAPFORGE_LIVY_TIMEOUT: deleted); a log that quotes the token
#     (blotted out of spark.log); a wrong URL (404); nothing listening; a bad MAPFORGE_LIVY_CONF;
#     --livy without --spark-stage; an output directory that is a URI (refused, not created);
#   - tokens that expire (the server's --token-ttl): a fixed MAPFORGE_LIVY_TOKEN fails with a clear
#     401 naming the batch left running; MAPFORGE_LIVY_TOKEN_CMD is run again on a 401 and the
#     request re-sent (the run succeeds, its outputs the native ones); MAPFORGE_LIVY_TOKEN_FILE,
#     rotated by another process, is re-read; a refresh refused (the command fails, the file still
#     holds the expired token) ends the run with a clear error and exit 1; a token file others can
#     read, and two token sources at once, are refused before anything is sent; a token command
#     that hangs is stopped by Ctrl-C (exit 130); no token (old or
#     new) is in any output, log, message or the store's audit trail.
set -uo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-livyp.XXXXXX")
export LIVY_TEST_TOKEN="tok-$RANDOM$RANDOM-livy-secret" MAPFORGE_LIVY_TOKEN MAPFORGE_LIVY_POLL_MAX=0.3
MAPFORGE_LIVY_TOKEN=$LIVY_TEST_TOKEN
server=
stop() { [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }; server=; }
trap 'stop; rm -rf "$tmp"' EXIT
status=0
fail() { echo "livy protocol: $*"; status=1; }
case=tests/cases/plan_number_steps

# the native run, and its output cut into Spark's layout (two part files) as the fake job's output
"$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/native" >/dev/null 2>&1 || { echo "native run failed"; exit 1; }
mkdir -p "$tmp/fake/OUT.csv" "$tmp/fake/rejects.csv"
head -1 "$tmp/native/OUT.csv" >"$tmp/fake/OUT.csv/_header.csv"
sed -n 2p "$tmp/native/OUT.csv" >"$tmp/fake/OUT.csv/part-00000-a.txt"
sed -n '3,$p' "$tmp/native/OUT.csv" >"$tmp/fake/OUT.csv/part-00001-a.txt"
head -1 "$tmp/native/rejects.csv" >"$tmp/fake/rejects.csv/_header.csv"
sed -n '2,$p' "$tmp/native/rejects.csv" >"$tmp/fake/rejects.csv/part-00000-b.txt"
touch "$tmp/fake/OUT.csv/_SUCCESS" "$tmp/fake/rejects.csv/_SUCCESS"
cp "$tmp/native/run.json" "$tmp/fake/run.json"
[ "$(wc -l <"$tmp/native/OUT.csv")" -ge 3 ] || { echo "the case has too few rows to split"; exit 1; }

start() {   # start [SCENARIO|-] [server options...]
    stop
    rm -f "$tmp/port" "$tmp/requests.log"
    local scenario=${1:--}; shift || true
    [ "$scenario" = - ] && scenario=
    python3 tests/spark/livy_server.py --port-file "$tmp/port" --log "$tmp/requests.log" --fake-output "$tmp/fake" \
        ${scenario:+--scenario "$scenario"} "$@" >"$tmp/server.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    [ -s "$tmp/port" ] || { echo "the Livy test server did not start"; cat "$tmp/server.log"; exit 1; }
    url="http://127.0.0.1:$(cat "$tmp/port")"
}
run() {   # run NAME [extra options]: rc in $rc, stderr in $tmp/NAME.err
    local name=$1; shift
    rc=0
    "$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/$name" --engine spark \
        --spark-stage "$tmp/stage" "$@" >/dev/null 2>"$tmp/$name.err" || rc=$?
}

start
MAPFORGE_LIVY_CONF='{"spark.executor.memory": "2g"}' run ok --livy "$url"
if [ $rc -eq 0 ]; then
    for f in OUT.csv rejects.csv OUT.parquet; do
        cmp -s "$tmp/native/$f" "$tmp/ok/$f" || fail "$f differs from the native engine's"
    done
    grep -q "mapforge job: done" "$tmp/ok/spark.log" || fail "the log did not come back"
    grep -q '"conf": {"spark.executor.memory": "2g"}' "$tmp/requests.log" || fail "MAPFORGE_LIVY_CONF was not sent"
    grep -q '"name": "mapforge ' "$tmp/requests.log" || fail "the batch has no name"
    [ -z "$(ls -A "$tmp/stage")" ] || fail "the stage was not cleaned"
else
    fail "a successful batch failed: $(cat "$tmp/ok.err")"
fi

# --spark-output URI: the cluster writes there, nothing comes back but run.json (counts from the log)
run remote --livy "$url" --spark-output "file://$tmp/lake/out" --no-load
if [ $rc -eq 0 ]; then
    [ -e "$tmp/lake/out/OUT.csv/_SUCCESS" ] || fail "--spark-output: nothing at the URI"
    [ -e "$tmp/remote/OUT.csv" ] || [ -e "$tmp/remote/rejects.csv" ] && fail "--spark-output: the output was copied back"
    for k in rows_in rows_out rows_rejected rows_filtered; do
        [ "$(grep "\"$k\"" "$tmp/remote/run.json")" = "$(grep "\"$k\"" "$tmp/native/run.json")" ] || fail "--spark-output: $k differs"
    done
    grep -qF "\"csv\": \"file://$tmp/lake/out/OUT.csv\"" "$tmp/remote/run.json" || fail "--spark-output: run.json does not name the URI"
    grep -F '"POST"' "$tmp/requests.log" | tail -1 | grep -qF "\"args\": [\"$PWD/$case/data.csv\", \"file://$tmp/lake/out\"]" \
        || fail "--spark-output: not the job's output argument (with the Parquet copy): $(grep POST "$tmp/requests.log" | tail -1)"
else
    fail "--spark-output through Livy: $(cat "$tmp/remote.err")"
fi

start guid
run guid --livy "$url/batches/"
[ $rc -eq 0 ] || fail "GUID ids: $(cat "$tmp/guid.err")"
grep -Eq '"/batches/[0-9a-f]{8}-[0-9a-f-]{27}/state"' "$tmp/requests.log" || fail "GUID ids: not polled by its id"

start flaky
run flaky --livy "$url"
[ $rc -eq 0 ] || fail "503 while polling: $(cat "$tmp/flaky.err")"
grep -q '"status": 503' "$tmp/requests.log" || fail "the flaky server never answered 503"

start killed
run killed --livy "$url"
[ $rc -eq 1 ] && grep -q "ended killed" "$tmp/killed.err" || fail "a killed batch: rc $rc: $(cat "$tmp/killed.err")"
[ -e "$tmp/killed/OUT.csv" ] && fail "a killed batch published output"

start hang
MAPFORGE_LIVY_TIMEOUT=3 run hang --livy "$url"
[ $rc -eq 1 ] && grep -q "did not finish within 3 s: deleted" "$tmp/hang.err" || fail "timeout: rc $rc: $(cat "$tmp/hang.err")"
grep -q '"DELETE", "path": "/batches/0", "status": 200' "$tmp/requests.log" || fail "timeout: the batch was not deleted"
[ -z "$(ls -A "$tmp/stage")" ] || fail "the stage was not cleaned after a timeout"

start leaky-log
run leaky --livy "$url"
[ $rc -eq 0 ] || fail "leaky log: $(cat "$tmp/leaky.err")"
grep -q "Authorization: Bearer \*\*\*" "$tmp/leaky/spark.log" || fail "leaky log: the line is not there, blotted"
grep -rqF -- "$LIVY_TEST_TOKEN" "$tmp/leaky" "$tmp/leaky.err" "$tmp/ok" "$tmp/ok.err" && fail "the token was written"

start
run notfound --livy "$url/not-livy"
[ $rc -eq 1 ] && grep -q "HTTP 404.*the part before /batches" "$tmp/notfound.err" || fail "404: rc $rc: $(cat "$tmp/notfound.err")"
stop
run down --livy "$url"
[ $rc -eq 1 ] && grep -q "cannot reach the server" "$tmp/down.err" || fail "nothing listening: rc $rc: $(cat "$tmp/down.err")"
start
MAPFORGE_LIVY_CONF='{"spark.executor.memory": 2}' run badconf --livy "$url"
[ $rc -ne 0 ] && grep -q "MAPFORGE_LIVY_CONF" "$tmp/badconf.err" || fail "bad conf: rc $rc: $(cat "$tmp/badconf.err")"
rc=0
"$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/nostage" --engine spark --livy "$url" \
    >/dev/null 2>"$tmp/nostage.err" || rc=$?
[ $rc -ne 0 ] && grep -q "needs --spark-stage" "$tmp/nostage.err" || fail "no stage: rc $rc: $(cat "$tmp/nostage.err")"
grep -qs '"POST"' "$tmp/requests.log" && fail "a batch was submitted with a bad conf or no stage"
# an output directory that is a URI is refused (not created as a local directory named "hdfs:")
for cmd in "run --engine spark" "compile --to pyspark"; do
    rc=0
    (cd "$tmp" && "$mapforge" $cmd --plan "$OLDPWD/$case/plan.txt" --data "$OLDPWD/$case/data.csv" \
        --out hdfs://namenode/out 2>"$tmp/uri.err" >/dev/null) || rc=$?
    [ $rc -ne 0 ] && grep -q "must be a local path" "$tmp/uri.err" || fail "$cmd --out URI: rc $rc: $(cat "$tmp/uri.err")"
    [ -e "$tmp/hdfs:" ] && fail "$cmd --out URI created a local directory"
done
# tokens that expire while the batch runs: each token lives 1 s, the batch 3 s
cat >"$tmp/token_cmd.sh" <<'EOF'
#!/bin/sh
# prints a new token each time; with FAIL_AFTER=N, exits 3 from the (N+1)th call on
n=$(( $(cat "$COUNT" 2>/dev/null || echo 0) + 1 )); echo $n >"$COUNT"
[ -n "${FAIL_AFTER:-}" ] && [ $n -gt "$FAIL_AFTER" ] && { echo "token service unavailable" >&2; exit 3; }
echo "$LIVY_TEST_TOKEN-cmd$n"
EOF
chmod +x "$tmp/token_cmd.sh"
export COUNT="$tmp/token_count"
start - --token-ttl 1 --run-seconds 3
run fixedexp --livy "$url"
[ $rc -eq 1 ] && grep -q "HTTP 401" "$tmp/fixedexp.err" && grep -q "never refreshed" "$tmp/fixedexp.err" &&
    grep -q "batch 0 was not deleted" "$tmp/fixedexp.err" || fail "an expired fixed token: rc $rc: $(cat "$tmp/fixedexp.err")"
[ -e "$tmp/fixedexp/OUT.csv" ] && fail "an expired token published output"

start - --token-ttl 1 --run-seconds 3
rm -f "$COUNT"
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_CMD="$tmp/token_cmd.sh" run tokcmd --livy "$url" --client TOKCO --home "$tmp/home"
if [ $rc -eq 0 ]; then
    for f in OUT.csv rejects.csv OUT.parquet; do
        cmp -s "$tmp/native/$f" "$tmp/tokcmd/$f" || fail "token command: $f differs from the native engine's"
    done
    [ "$(cat "$COUNT")" -ge 2 ] || fail "token command: run $(cat "$COUNT") time(s), expected a refresh"
    grep -q "a new token from MAPFORGE_LIVY_TOKEN_CMD" "$tmp/tokcmd.err" || fail "token command: the refresh is not said"
    grep -A1 '"status": 401' "$tmp/requests.log" | grep -q '"status": 200' || fail "token command: no request re-sent after a 401"
else
    fail "token command: rc $rc: $(cat "$tmp/tokcmd.err")"
fi

start - --token-ttl 1 --run-seconds 3
( i=0; while :; do i=$((i + 1)); printf '%s-file%d\n' "$LIVY_TEST_TOKEN" $i >"$tmp/token.new"
    chmod 600 "$tmp/token.new"; mv "$tmp/token.new" "$tmp/token.file"; sleep 0.3; done ) &
rotator=$!
for _ in $(seq 50); do [ -s "$tmp/token.file" ] && break; sleep 0.1; done
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_FILE="$tmp/token.file" run tokfile --livy "$url"
kill $rotator; wait $rotator 2>/dev/null
[ $rc -eq 0 ] && grep -q "a new token from MAPFORGE_LIVY_TOKEN_FILE" "$tmp/tokfile.err" &&
    cmp -s "$tmp/native/OUT.csv" "$tmp/tokfile/OUT.csv" || fail "token file: rc $rc: $(cat "$tmp/tokfile.err")"

start - --token-ttl 1 --run-seconds 3
rm -f "$COUNT"
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_CMD="$tmp/token_cmd.sh" FAIL_AFTER=1 run cmdfails --livy "$url"
[ $rc -eq 1 ] && grep -q "HTTP 401.*MAPFORGE_LIVY_TOKEN_CMD exited 3" "$tmp/cmdfails.err" &&
    grep -q "may still be running" "$tmp/cmdfails.err" || fail "a refused refresh (command): rc $rc: $(cat "$tmp/cmdfails.err")"
[ -e "$tmp/cmdfails/OUT.csv" ] && fail "a refused refresh published output"
printf '%s-stale\n' "$LIVY_TEST_TOKEN" >"$tmp/stale.token" && chmod 600 "$tmp/stale.token"
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_FILE="$tmp/stale.token" run stale --livy "$url"
[ $rc -eq 1 ] && grep -q "gives the same token again" "$tmp/stale.err" || fail "a stale token file: rc $rc: $(cat "$tmp/stale.err")"

: >"$tmp/requests.log"
chmod 644 "$tmp/stale.token"
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_FILE="$tmp/stale.token" run openfile --livy "$url"
[ $rc -ne 0 ] && grep -q "readable by its owner only" "$tmp/openfile.err" || fail "a token file others read: rc $rc: $(cat "$tmp/openfile.err")"
MAPFORGE_LIVY_TOKEN_CMD="$tmp/token_cmd.sh" run twosrc --livy "$url"
[ $rc -ne 0 ] && grep -q "more than one of" "$tmp/twosrc.err" || fail "two token sources: rc $rc: $(cat "$tmp/twosrc.err")"
# a token command that hangs: Ctrl-C stops it (and the run: 130) at once, nothing submitted
MAPFORGE_LIVY_TOKEN= MAPFORGE_LIVY_TOKEN_CMD='exec sleep 30' "$mapforge" run --plan $case/plan.txt --data $case/data.csv \
    --out "$tmp/hangcmd" --engine spark --spark-stage "$tmp/stage" --livy "$url" >/dev/null 2>"$tmp/hangcmd.err" &
pid=$!
sleep 1.5
kill -INT $pid
t0=$SECONDS
rc=0
wait $pid || rc=$?
[ $rc -eq 130 ] && [ $((SECONDS - t0)) -le 3 ] && grep -q "interrupted while MAPFORGE_LIVY_TOKEN_CMD ran" "$tmp/hangcmd.err" \
    || fail "a hanging token command: rc $rc after $((SECONDS - t0)) s: $(cat "$tmp/hangcmd.err")"
grep -qs '"POST"' "$tmp/requests.log" && fail "a batch was submitted with a refused token source"
# no token, old or new, anywhere: messages, outputs, logs, the store and its audit trail
"$mapforge" audit log --home "$tmp/home" >"$tmp/audit.txt" 2>&1 || fail "audit log: $(cat "$tmp/audit.txt")"
grep -q "TOKCO" "$tmp/audit.txt" || fail "the audit trail has no run of TOKCO: $(head -5 "$tmp/audit.txt")"
for f in fixedexp tokcmd tokfile cmdfails stale openfile twosrc; do
    grep -rqaF -- "$LIVY_TEST_TOKEN" "$tmp/$f.err" "$tmp/$f" 2>/dev/null && fail "$f: a token was printed or written"
done
grep -rqaF -- "$LIVY_TEST_TOKEN" "$tmp/home" "$tmp/audit.txt" && fail "a token is in the store or the audit trail"
[ $status -eq 0 ] && echo "livy protocol: ok"
exit $status
