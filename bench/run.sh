#!/usr/bin/env bash
# run.sh [SIZE_MB] | --scaling | --peers [SIZE_MB...] — time mapforge on a generated client file
# (see bench/README.md).
#
# --peers (default sizes 300 and 1024): mapforge CSV out, mapforge CSV + Parquet out, DuckDB and
# Polars (bench/peers.py: the same transformation by hand, from the .venv; bench/venv.sh installs
# them) with CSV and with Parquet out, and `wc -l` and `cat` as the floor, ROUNDS rounds (default
# 3) interleaved, best wall time of each; then the peers' outputs are compared with mapforge's
# (CSV: cmp, byte for byte; Parquet: cell by cell) and bench/load.sh runs when it exists.
#
# Builds a Release mapforge into build-release/, generates bench/data/client_<SIZE>mb.csv with
# gen_client_file if it is not there yet, then times `mapforge run --plan bench/acme_plan.txt
# --data ... --no-parquet` (CSV to CSV) with /usr/bin/time -v and prints input MB (MiB),
# seconds, MB/s, rows/s, CPU seconds (user + sys) and peak RSS.  --scaling runs 256, 512 and
# 1024 MB to show that memory stays flat as the input grows.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build-release
data_dir=$root/bench/data

sizes=(1024)
if [ "${1:-}" = "--peers" ]; then
    shift
    exec "$(dirname "$0")/peers.sh" "$@"
elif [ "${1:-}" = "--scaling" ]; then
    sizes=(256 512 1024)
elif [ -n "${1:-}" ]; then
    sizes=("$1")
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" mapforge gen_client_file >/dev/null
mkdir -p "$data_dir"
# The plan is fixed (the one `mapforge onboard` prints for examples/acme_gl), so the figure measures
# the engine, not whatever the planner drafts today.
plan=$root/bench/acme_plan.txt

printf '%-10s %10s %9s %9s %12s %9s %14s\n' "input" "MB" "seconds" "MB/s" "rows/s" "CPU s" "peak RSS MiB"
for size in "${sizes[@]}"; do
    data=$data_dir/client_${size}mb.csv
    [ -f "$data" ] || "$build/gen_client_file" "$data" "$size"
    run_dir=$data_dir/run_${size}mb
    rm -rf "$run_dir"
    cat "$data" >/dev/null   # the input in the page cache: the figure is the engine, not the disk
    sync   # the previous run's output is on disk, not still being written back during this one
    /usr/bin/time -v -o "$data_dir/time_${size}mb.txt" \
        "$build/mapforge" run --plan "$plan" --data "$data" --out "$run_dir" --no-parquet >/dev/null 2>&1
    python3 - "$data" "$data_dir/time_${size}mb.txt" "$run_dir/run.json" <<'PY'
import json, os, sys
data, timef, runf = sys.argv[1:4]
mb = os.path.getsize(data) / (1024 * 1024)
secs = rss_kb = None
cpu = 0.0
for line in open(timef):
    k, _, v = line.strip().rpartition(": ")
    if k in ("User time (seconds)", "System time (seconds)"):
        cpu += float(v)
    elif k.startswith("Elapsed (wall clock) time"):
        parts = [float(x) for x in v.split(":")]
        secs = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
    elif k == "Maximum resident set size (kbytes)":
        rss_kb = int(v)
rows = json.load(open(runf))["rows_in"]
secs = max(secs, 1e-9)
print("%-10s %10.1f %9.2f %9.1f %12.0f %9.2f %14.1f" % (os.path.basename(data).split("_")[1].split(".")[0],
      mb, secs, mb / secs, rows / secs, cpu, rss_kb / 1024))
PY
done
