#!/usr/bin/env bash
# spark_uri.sh MAPFORGE — storage by URI on the Spark engine, end to end with file: URIs (the same
# code path as hdfs:, abfss:, s3a:: mapforge hands the URI to Spark and never reads it itself):
#   1. `run --plan --engine spark --data file://...`: the output (local) equals the native run's;
#      run.json says input.sha256 null (not hashed: remote) with the URI as the input's path;
#      without --sample the header is said to be checked by the job;
#   2. `onboard --data URI --sample FILE --spark-output URI --no-load --yes`: drafted from the
#      sample (the plan's source line names the URI's file), run on Spark, the output left at the URI in Spark's layout (directories of part
#      files with _SUCCESS, _header.csv, a Parquet directory) and equal, concatenated, to the
#      example's expected files; OUT holds job.py, spark.log and run.json (counts equal a native
#      run's, output paths the URIs) but no output file; the run says which checks were not done,
#      and the audit trail records the validation as not_checked;
#   3. `run --client --data URI --sample FILE --spark-output URI --no-load`: a cache hit from the
#      sample's header, run again on Spark;
#   4. refused before anything runs (or, for onboard, is drafted), with a clear message:
#      --spark-output without --no-load on a run that loads, with a validator, as a local path; a
#      URI with the native engine; a URI without --sample where the cache key or a draft needs it;
#      a --sample beside a local file is said to be ignored.
set -uo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
py=$(scripts/venv.sh) || exit 1
export MAPFORGE_SPARK_SUBMIT="$(dirname "$py")/spark-submit" SPARK_LOCAL_IP=127.0.0.1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-uri.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "spark uri: $*"; status=1; }
ex=examples/acme_gl
mkdir -p "$tmp/lake/in"
cp $ex/gl_extract.csv "$tmp/lake/in/gl.csv"
head -2000 $ex/gl_extract.csv >"$tmp/sample.csv"
data="file://$tmp/lake/in/gl.csv"
home="$tmp/home"
# the parts of a Spark output directory as one file: _header.csv, then the part files in order
joined() { [ -e "$1/_SUCCESS" ] || { echo "(no _SUCCESS in $1)"; return; }
           cat "$1/_header.csv" $(ls "$1"/part-* | sort); }

# 1. a URI input, a local output: the native engine's files
case=tests/cases/plan_number_steps
mkdir -p "$tmp/lake/case" && cp $case/data.csv "$tmp/lake/case/data.csv"
"$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/native1" >/dev/null 2>&1 || { echo "native run failed"; exit 1; }
if "$mapforge" run --plan $case/plan.txt --data "file://$tmp/lake/case/data.csv" --out "$tmp/uri1" --engine spark \
        >/dev/null 2>"$tmp/uri1.err"; then
    for f in OUT.csv rejects.csv; do
        cmp -s "$tmp/native1/$f" "$tmp/uri1/$f" || fail "1: $f differs from the native engine's"
    done
    [ -s "$tmp/uri1/OUT.parquet" ] || fail "1: no Parquet file (its values: spark_differential.sh)"
    "$py" - "$tmp/uri1/run.json" "$tmp/native1/run.json" "file://$tmp/lake/case/data.csv" <<'EOF' || fail "1: run.json"
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
assert got["input"]["sha256"] is None, got["input"]
assert got["input"]["path"] == sys.argv[3], got["input"]
for k in ("rows_in", "rows_out", "rows_rejected", "rows_filtered"):
    assert got[k] == want[k], (k, got[k], want[k])
assert set(got) == set(want), set(got) ^ set(want)
EOF
    grep -q "no --sample was given: its header is checked by the job" "$tmp/uri1.err" || fail "1: the header check is not said"
else
    fail "1: a URI input failed: $(cat "$tmp/uri1.err")"; tail -20 "$tmp/uri1/spark.log"
fi

# 2. onboard: a URI in, a URI out, drafted from the sample
out2="file://$tmp/lake/out2"
if "$mapforge" onboard --client ACME --mapping $ex/mapping.xlsx --data "$data" --sample "$tmp/sample.csv" \
        --out "$tmp/ob" --engine spark --spark-output "$out2" --no-load --yes --home "$home" >/dev/null 2>"$tmp/ob.err"; then
    [ "$(joined "$tmp/lake/out2/GL_ENTRIES.csv")" = "$(cat $ex/expected/GL_ENTRIES.csv)" ] || fail "2: the output at the URI differs from the expected"
    [ "$(joined "$tmp/lake/out2/rejects.csv")" = "$(cat $ex/expected/rejects.csv)" ] || fail "2: the rejects at the URI differ from the expected"
    [ -e "$tmp/lake/out2/GL_ENTRIES.parquet/_SUCCESS" ] && ls "$tmp/lake/out2/GL_ENTRIES.parquet"/part-*.parquet >/dev/null 2>&1 \
        || fail "2: no Parquet directory at the URI"
    for f in job.py mapforge_runtime.py spark.log run.json plan.txt; do [ -s "$tmp/ob/$f" ] || fail "2: OUT has no $f"; done
    grep -q '^source "gl.csv"' "$tmp/ob/plan.txt" || fail "2: the plan's source is not the URI's file: $(grep '^source' "$tmp/ob/plan.txt")"
    for f in GL_ENTRIES.csv rejects.csv GL_ENTRIES.parquet; do [ -e "$tmp/ob/$f" ] && fail "2: $f was copied back into OUT"; done
    "$mapforge" run --plan "$tmp/ob/plan.txt" --data $ex/gl_extract.csv --out "$tmp/native2" >/dev/null 2>&1 || fail "2: native run failed"
    "$py" - "$tmp/ob/run.json" "$tmp/native2/run.json" "$out2" <<'EOF' || fail "2: run.json"
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
assert set(got) == set(want), set(got) ^ set(want)
for k in ("rows_in", "rows_out", "rows_rejected", "rows_filtered", "plan_sha256"):
    assert got[k] == want[k], (k, got[k], want[k])
assert got["input"]["sha256"] is None and got["approval"] is not None, got
assert got["output"]["csv"] == sys.argv[3] + "/GL_ENTRIES.csv", got["output"]
assert got["output"]["rejects"] == sys.argv[3] + "/rejects.csv", got["output"]
EOF
    grep -q "the output was not checked (it stays at $out2)" "$tmp/ob.err" || fail "2: the unchecked output is not said: $(cat "$tmp/ob.err")"
    for c in required control_total key check row_accounting; do
        grep -q "note $c: " "$tmp/ob.err" || fail "2: the check $c is not listed as not done"
    done
    "$mapforge" audit log --home "$home" >"$tmp/audit.txt" 2>&1
    grep -q "not_checked" "$tmp/audit.txt" || fail "2: the audit trail does not record the validation as not_checked"
    grep -q "loaded [0-9]* rows" "$tmp/ob.err" && fail "2: a remote output was loaded"
else
    fail "2: onboard with URIs failed: $(cat "$tmp/ob.err")"; tail -20 "$tmp/ob/spark.log"
fi

# 3. run --client: the cache key from the sample's header
out3="file://$tmp/lake/out3"
if "$mapforge" run --client ACME --data "$data" --sample "$tmp/sample.csv" --out "$tmp/run3" --engine spark \
        --spark-output "$out3" --no-load --home "$home" >/dev/null 2>"$tmp/run3.err"; then
    grep -q "cache hit" "$tmp/run3.err" || fail "3: not a cache hit: $(cat "$tmp/run3.err")"
    [ "$(joined "$tmp/lake/out3/GL_ENTRIES.csv")" = "$(cat $ex/expected/GL_ENTRIES.csv)" ] || fail "3: the output at the URI differs"
else
    fail "3: run --client with URIs failed: $(cat "$tmp/run3.err")"
fi

# 4. refusals: exit 1, a clear message, nothing run (no job.py written)
refused() {   # refused NAME PATTERN mapforge-args...
    local name=$1 pattern=$2; shift 2
    local rc=0
    "$mapforge" "$@" --out "$tmp/$name" --home "$home" >/dev/null 2>"$tmp/$name.err" || rc=$?
    [ $rc -eq 1 ] && grep -q -- "$pattern" "$tmp/$name.err" || fail "4: $name: rc $rc: $(cat "$tmp/$name.err")"
    [ -e "$tmp/$name/job.py" ] && fail "4: $name: something ran"
}
refused load "add --no-load" run --client ACME --data "$data" --sample "$tmp/sample.csv" --engine spark --spark-output "$out3"
refused validator "the validator reads the output as a local file" run --plan $case/plan.txt --data $case/data.csv \
    --engine spark --spark-output "file://$tmp/lake/v" --validator true
refused localout "expected a URI" compile --plan $case/plan.txt --to pyspark --data $case/data.csv --spark-output "$tmp/lake/x"
refused native "only --engine spark reads one" run --plan $case/plan.txt --data "file://$tmp/lake/case/data.csv"
refused nosample "give --sample FILE" run --client ACME --data "$data" --engine spark --no-load
refused obnosample "give --sample FILE" onboard --client ACME2 --mapping $ex/mapping.xlsx --data "$data" --engine spark --yes --no-load
refused obload "add --no-load" onboard --client ACME3 --mapping $ex/mapping.xlsx --data "$data" --sample "$tmp/sample.csv" \
    --engine spark --spark-output "file://$tmp/lake/y" --yes
[ -e "$tmp/obload/plan.txt" ] && fail "4: onboard drafted a plan before refusing the load"
[ -e "$tmp/lake/v" ] || [ -e "$tmp/lake/x" ] || [ -e "$tmp/lake/y" ] && fail "4: a refused run wrote to the lake"
"$mapforge" run --plan $case/plan.txt --data $case/data.csv --sample "$tmp/sample.csv" --out "$tmp/local" >/dev/null 2>"$tmp/local.err" \
    && grep -q "sample.csv ignored: the data is a local file" "$tmp/local.err" || fail "--sample with a local file: $(cat "$tmp/local.err")"
[ $status -eq 0 ] && echo "spark uri: ok"
exit $status
