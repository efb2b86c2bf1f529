#!/usr/bin/env bash
# bench/spark/run.sh [SIZE_MB...] — the generated PySpark job against a hand-written one, side by side.
#
# For each size (default 300): generates bench/data/client_<N>mb.csv if absent (gen_client_file),
# compiles bench/acme_plan.txt with `mapforge compile --to pyspark --out` (job.py +
# mapforge_runtime.py), then runs, one after the other under /usr/bin/time -v, on local[2] with
# Spark's default memory:
#   generated:   spark-submit --py-files mapforge_runtime.py job.py INPUT OUT --no-parquet
#   handwritten: spark-submit bench/spark/handwritten_acme.py INPUT OUT
# and prints wall seconds (JVM start included), MB/s, CPU seconds (user + sys; the steadier figure
# on a shared machine), peak RSS of the largest process (the JVM),
# output rows, and the ratio generated / hand-written.  MASTER=local[4] etc. overrides the master.
# ONLY=generated or ONLY=handwritten runs one side alone (no ratio).  Sizes over 1 GB (e.g.
# `bench/spark/run.sh 10240`) need about three times the input free on disk (input, one side's
# output and its part files while they are joined); each side's output is removed once its rows
# are counted unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${BUILD:-$root/build-release}   # BUILD=build: an existing Release build
data_dir=$root/bench/data
master=${MASTER:-local[2]}
sizes=("$@")
only=${ONLY:-}
case "$only" in ""|generated|handwritten) ;; *) echo "bench: ONLY must be generated or handwritten" >&2; exit 2 ;; esac
[ ${#sizes[@]} -gt 0 ] || sizes=(300)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
py=$(scripts/venv.sh)
submit=$(dirname "$py")/spark-submit
export PYSPARK_PYTHON="$py" PYSPARK_DRIVER_PYTHON="$py"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" mapforge gen_client_file >/dev/null
mkdir -p "$data_dir"
work=$data_dir/spark_run
rm -rf "$work"
mkdir -p "$work"
"$build/mapforge" compile --plan bench/acme_plan.txt --to pyspark --out "$work/job" 2>/dev/null

measure() {   # measure NAME INPUT OUTDIR -- COMMAND...: one line of the table
    local name=$1 data=$2 out=$3
    shift 4
    rm -rf "$out"
    cat "$data" >/dev/null
    sync
    /usr/bin/time -v -o "$work/time_$name.txt" "$@" >"$work/$name.log" 2>&1 || {
        echo "bench: $name failed; see $work/$name.log" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
    "$py" - "$name" "$data" "$work/time_$name.txt" "$out" <<'PY'
import os, sys
name, data, timef, out = sys.argv[1:5]
mb = os.path.getsize(data) / (1024 * 1024)
secs = rss = cpu = 0
for line in open(timef):
    k, _, v = line.strip().rpartition(": ")
    if k in ("User time (seconds)", "System time (seconds)"):
        cpu += float(v)
    elif k.startswith("Elapsed (wall clock) time"):
        secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(v.split(":"))))
    elif k == "Maximum resident set size (kbytes)":
        rss = int(v) / 1024
target = os.path.join(out, "GL_ENTRIES.csv")
if os.path.isdir(target):   # Spark's layout: part files, each with a header line
    files = [os.path.join(target, f) for f in os.listdir(target) if f.startswith("part-")]
else:
    files = [target]
rows = 0
for path in files:   # lines less the header line; by blocks (a 10 GB output is read in seconds)
    with open(path, "rb") as f:
        rows += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b"")) - 1
print("%-12s %8.1f %9.2f %8.1f %9.1f %13.0f %12d" % (name, mb, secs, mb / max(secs, 1e-9), cpu, rss, rows))
with open(os.path.join(os.path.dirname(timef), "secs_" + name), "w") as f:
    f.write("%f %f\n" % (secs, cpu))
PY
    if [ "${KEEP:-0}" != 1 ] && [ "$(stat -c %s "$data")" -gt $((1024 * 1024 * 1024)) ]; then rm -rf "$out"; fi
}

printf '%-12s %8s %9s %8s %9s %13s %12s\n' "job" "MB" "seconds" "MB/s" "CPU s" "peak RSS MiB" "rows out"
for size in "${sizes[@]}"; do
    data=$data_dir/client_${size}mb.csv
    [ -f "$data" ] || "$build/gen_client_file" "$data" "$size" >/dev/null
    echo "# ${size} MB input, $master, default memory"
    [ "$only" = handwritten ] || measure generated "$data" "$work/out_generated" -- "$submit" --master "$master" --conf spark.ui.enabled=false \
        --py-files "$work/job/mapforge_runtime.py" "$work/job/job.py" "$data" "$work/out_generated" --no-parquet
    [ "$only" = generated ] || measure handwritten "$data" "$work/out_handwritten" -- "$submit" --master "$master" --conf spark.ui.enabled=false \
        bench/spark/handwritten_acme.py "$data" "$work/out_handwritten"
    [ -n "$only" ] || "$py" -c "import sys; g, h = ([float(x) for x in open(sys.argv[1] + '/secs_' + n).read().split()] for n in ('generated', 'handwritten')); print('ratio generated / hand-written: %.2f wall, %.2f CPU' % (g[0] / h[0], g[1] / h[1]))" "$work"
done
