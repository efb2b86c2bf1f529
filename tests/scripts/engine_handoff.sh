#!/usr/bin/env bash
# engine_handoff.sh MAPFORGE — mapforge's side of `run --engine spark` (src/write/spark.c), without
# a JVM: MAPFORGE_SPARK_SUBMIT points at a stand-in spark-submit that plays one part per test
# (HANDOFF_MODE).  What is checked is mapforge's own work around the job: the arguments it passes,
# the staging directory, moving the outputs into place with run.json rewritten in the native
# engine's form, and the error a user sees for each way a job can fail — with nothing left
# behind.  That the PySpark job computes the right values is script.spark_differential's part.
set -uo pipefail
mapforge=${1:?usage: engine_handoff.sh MAPFORGE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-handoff.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "engine_handoff: FAIL: $*" >&2; status=1; }

printf 'Ref,Amount\nA1,10.00\nA2,20.50\nA3,x\n' >"$tmp/data.csv"
cat >"$tmp/plan.txt" <<'EOF'
plan TEST v1
source "data.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
output PAYMENTS

REF     text(10) required      = [Ref]
AMOUNT  decimal(18,2) required = [Amount] read as number
EOF

# The stand-in: checks its arguments (--master M ... JOB DATA STAGING), then acts out HANDOFF_MODE.
cat >"$tmp/spark-submit" <<'EOF'
#!/usr/bin/env bash
args=("$@")
n=${#args[@]}
job=${args[n-3]} data=${args[n-2]} staging=${args[n-1]}
echo "stand-in spark-submit: $*"
[ "$1" = --master ] || { echo "mapforge job: error: expected --master first, got $1"; exit 9; }
echo "master=$2" >"$HANDOFF_DIR/master"
grep -q "pyspark" "$job" || { echo "mapforge job: error: $job is not a PySpark job"; exit 9; }
[ -f "$data" ] && [ "${data:0:1}" = / ] || { echo "mapforge job: error: data $data is not an absolute path"; exit 9; }
[ -d "$staging" ] || { echo "mapforge job: error: no staging directory $staging"; exit 9; }
outputs() {
    printf 'REF,AMOUNT\nA1,10.00\nA2,20.50\n' >"$staging/PAYMENTS.csv"
    printf 'PAR1 stand-in' >"$staging/PAYMENTS.parquet"
    printf 'line,column,reason,record\n4,AMOUNT,not a number,"A3,x"\n' >"$staging/rejects.csv"
}
case $HANDOFF_MODE in
    ok) outputs; echo '{"rows_in": 3, "rows_out": 2, "rows_rejected": 1, "rows_filtered": 0}' >"$staging/run.json" ;;
    job_error) echo "WARN NativeCodeLoader: Unable to load native-hadoop library"
               echo "Traceback (most recent call last):"
               echo "mapforge job: error: column AMOUNT: cannot cast"; exit 1 ;;
    exception) echo "INFO SparkContext: Running Spark version 3.5.1"
               echo "py4j.protocol.Py4JJavaError: An error occurred while calling o42.csv."
               echo "	at org.apache.spark.sql.errors.QueryExecutionErrors (Exception in thread)"; exit 1 ;;
    silent) exit 3 ;;
    killed) kill -9 $$ ;;
    unbalanced) outputs; echo '{"rows_in": 5, "rows_out": 2, "rows_rejected": 1, "rows_filtered": 0}' >"$staging/run.json" ;;
    no_counts) outputs ;;
    no_parquet) rm -f "$staging/PAYMENTS.parquet"; printf 'REF,AMOUNT\n' >"$staging/PAYMENTS.csv"
                printf 'line,column,reason,record\n' >"$staging/rejects.csv"
                echo '{"rows_in": 0, "rows_out": 0, "rows_rejected": 0, "rows_filtered": 0}' >"$staging/run.json" ;;
esac
EOF
chmod +x "$tmp/spark-submit"
export MAPFORGE_SPARK_SUBMIT=$tmp/spark-submit HANDOFF_DIR=$tmp MAPFORGE_HOME=$tmp/home

# run MODE OUT [extra args]: runs mapforge, leaves stderr in $tmp/err, returns its exit status
run() {
    local mode=$1 out=$2
    shift 2
    HANDOFF_MODE=$mode "$mapforge" run --plan "$tmp/plan.txt" --data "$tmp/data.csv" --out "$out" --engine spark \
        "$@" >"$tmp/stdout" 2>"$tmp/err"
}
# no data file, no staging directory, nothing but what mapforge itself writes before the job
only_job_and_log() {
    local left
    left=$(cd "$1" && ls -A | sort | tr '\n' ' ')
    [ "$left" = "job.py mapforge_runtime.py spark.log " ] \
        || fail "$2: left behind: $left (expected job.py, mapforge_runtime.py and spark.log only)"
}

# 1. a job that succeeds: outputs moved into place, run.json in the native engine's form
run ok "$tmp/ok" --spark-master "local[2]" || { fail "ok: exit $?: $(cat "$tmp/err")"; }
for f in PAYMENTS.csv PAYMENTS.parquet rejects.csv run.json job.py mapforge_runtime.py spark.log; do
    [ -f "$tmp/ok/$f" ] || fail "ok: no $f"
done
ls -A "$tmp/ok" | grep -q '^\.spark-' && fail "ok: the staging directory was left behind"
grep -q '^master=local\[2\]$' "$tmp/master" || fail "ok: --spark-master was not passed on"
grep -q '"rows_in": 3' "$tmp/ok/run.json" && grep -q '"rows_rejected": 1' "$tmp/ok/run.json" \
    || fail "ok: run.json lacks the job's counts: $(cat "$tmp/ok/run.json")"
sha=$(sha256sum "$tmp/data.csv" | cut -c1-64)
grep -q "$sha" "$tmp/ok/run.json" || fail "ok: run.json does not carry the input's sha256"
plansha=$(sha256sum "$tmp/plan.txt" | cut -c1-64)
grep -q "$plansha" "$tmp/ok/run.json" || fail "ok: run.json does not carry the plan's sha256"
grep -q "3 rows in, 2 out, 1 rejected" "$tmp/err" || fail "ok: no summary line: $(cat "$tmp/err")"
grep -q "its log is $tmp/ok/spark.log" "$tmp/err" || fail "ok: the log's place is not said"

# 2. each way a job can fail: exit 1, the reason in one line, no output files
expect_failure() {   # MODE WANTED-TEXT
    local out=$tmp/$1
    run "$1" "$out"
    local rc=$?
    [ "$rc" = 1 ] || fail "$1: exit $rc, expected 1"
    grep -qF -- "$2" "$tmp/err" || fail "$1: stderr lacks '$2': $(cat "$tmp/err")"
    only_job_and_log "$out" "$1"
}
expect_failure job_error "the Spark job failed: column AMOUNT: cannot cast (see $tmp/job_error/spark.log)"
expect_failure exception "the Spark job failed: py4j.protocol.Py4JJavaError: An error occurred while calling o42.csv."
expect_failure silent "the Spark job failed: Spark failed without an error message"
expect_failure killed "the Spark job failed"
expect_failure unbalanced "the Spark job's counts do not balance"
expect_failure no_counts "the Spark job wrote no readable run.json"
# a job that wrote no Parquet file: the CSV must not be published alone
expect_failure no_parquet "cannot move the Spark output into place"

# 3. spark-submit that cannot be started: the job's own error line says so
MAPFORGE_SPARK_SUBMIT=$tmp/no-such-spark-submit run ok "$tmp/missing"
rc=$?
[ "$rc" = 1 ] || fail "missing spark-submit: exit $rc, expected 1"
grep -qF "cannot run $tmp/no-such-spark-submit" "$tmp/err" || fail "missing spark-submit: $(cat "$tmp/err")"

# 4. an output name that cannot be a file name, and an output directory that cannot be made
sed 's/^output PAYMENTS$/output rejects/' "$tmp/plan.txt" >"$tmp/plan_rejects.txt"
HANDOFF_MODE=ok "$mapforge" run --plan "$tmp/plan_rejects.txt" --data "$tmp/data.csv" --out "$tmp/named" \
    --engine spark >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -qF 'output name "rejects" cannot be a file name' "$tmp/err" \
    || fail "output named rejects: exit $rc: $(cat "$tmp/err")"
[ -e "$tmp/named/rejects.csv" ] && fail "output named rejects: a file was written"
printf 'x' >"$tmp/afile"
run ok "$tmp/afile/out"
rc=$?
[ "$rc" = 1 ] || fail "output under a file: exit $rc, expected 1"

exit $status
