#!/usr/bin/env bash
# spark_cluster.sh MAPFORGE — start a Spark standalone master and one worker on 127.0.0.1 from the
# pyspark package, run a plan there (mapforge compile --data --out --spark-master), compare with the
# native engine, stop both.
set -uo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
py=$(scripts/venv.sh) || exit 1
bin=$(dirname "$py")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-cluster.XXXXXX")
port=$(( 20000 + RANDOM % 20000 ))
export PATH="$bin:$PATH" SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$py"
"$bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 \
    >"$tmp/master.log" 2>&1 &
master=$!
"$bin/spark-class" org.apache.spark.deploy.worker.Worker "spark://127.0.0.1:$port" --host 127.0.0.1 \
    --webui-port 0 --cores 2 --memory 1g --work-dir "$tmp/work" >"$tmp/worker.log" 2>&1 &
worker=$!
cleanup() { kill "$worker" "$master" 2>/dev/null; wait "$worker" "$master" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 60); do grep -q "Registered worker\|Successfully registered with master" "$tmp/worker.log" && break; sleep 1; done
case=tests/cases/plan_number_steps
"$mapforge" run --plan $case/plan.txt --data $case/data.csv --out "$tmp/native" 2>/dev/null || { echo "native run failed"; exit 1; }
if ! "$mapforge" compile --plan $case/plan.txt --to pyspark --data $case/data.csv --out "$tmp/spark" \
        --spark-master "spark://127.0.0.1:$port"; then
    tail -20 "$tmp/spark/spark.log" 2>/dev/null; tail -5 "$tmp/worker.log"; exit 1
fi
# the job says where it runs (Spark logs at WARN)
grep -q "spark://127.0.0.1:$port" "$tmp/spark/spark.log" || { echo "the job did not run on the cluster"; exit 1; }
status=0
for f in OUT.csv rejects.csv; do
    cmp -s "$tmp/native/$f" "$tmp/spark/$f" || { echo "cluster: $f differs"; diff "$tmp/native/$f" "$tmp/spark/$f" | head; status=1; }
done
strip() { grep -v "_seconds\|mb_per_s" "$1" | sed "s#$tmp/native#OUT#; s#$tmp/spark#OUT#"; }
[ "$(strip "$tmp/native/run.json")" = "$(strip "$tmp/spark/run.json")" ] || { echo "cluster: run.json differs"; status=1; }
# The user's path: onboard an example unattended with --engine spark on the cluster; the outputs are
# the example's expected ones (the same the native engine produces).
ex=examples/acme_gl
if MAPFORGE_HOME="$tmp/home" "$mapforge" onboard --client ACME --mapping $ex/mapping.xlsx --data $ex/gl_extract.csv \
        --out "$tmp/onboard" --yes --no-load --engine spark --spark-master "spark://127.0.0.1:$port" >/dev/null 2>"$tmp/onboard.err"; then
    for f in GL_ENTRIES.csv rejects.csv; do
        cmp -s "$ex/expected/$f" "$tmp/onboard/$f" || { echo "onboard --engine spark: $f differs from expected"; status=1; }
    done
    grep -q "spark://127.0.0.1:$port" "$tmp/onboard/spark.log" || { echo "onboard --engine spark did not use the cluster"; status=1; }
else
    echo "onboard --engine spark failed:"; cat "$tmp/onboard.err"; status=1
fi
[ $status -eq 0 ] && echo "cluster: ok"
exit $status
