#!/usr/bin/env bash
# peers.sh [SIZE_MB...] — mapforge against its peers on generated client files (bench/run.sh --peers).
#
# For each size (default 300 and 1024 MiB; bench/data/client_<N>mb.csv, generated the first time)
# it times, under /usr/bin/time, ROUNDS rounds (default 3) of: mapforge run with CSV out
# (--no-parquet), mapforge run with CSV + Parquet out (the default), DuckDB and Polars
# (bench/peers.py: the same plan by hand) with CSV out and with Parquet out, `wc -l` and `cat` to
# /dev/null.  The contenders take turns within a round, so a burst of load on the shared machine
# hits them alike; each keeps its best wall time.  The table gives MB/s (MiB of input per second),
# rows/s (input records), CPU seconds (user + sys) and peak RSS of that best run, and the ratio of
# its wall time to mapforge CSV out (> 1: slower than mapforge; < 1 for the floors).
#
# Fairness: every peer's output is compared with mapforge's — CSV byte for byte (cmp), Parquet cell
# by cell in row order (peers.py compare-parquet) — and the table says which matched.  After the
# table, bench/load.sh runs when it exists (the load figures).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build-release
data_dir=$root/bench/data
rounds=${ROUNDS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(300 1024)
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
py=$("$root/bench/venv.sh")

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" mapforge gen_client_file >/dev/null
plan=$root/bench/acme_plan.txt
contenders=(native-csv native-csv+parquet duckdb-csv duckdb-parquet polars-csv polars-parquet wc-l cat)

# run_one NAME DATA OUTDIR TIMEFILE: one timed run of a contender (its output under OUTDIR).
run_one() {
    local name=$1 data=$2 out=$3 tf=$4
    rm -rf "$out"
    mkdir -p "$out"
    sync
    case $name in
        native-csv) /usr/bin/time -f "%e %U %S %M" -o "$tf" "$build/mapforge" run --plan "$plan" --data "$data" \
                        --out "$out" --no-parquet >/dev/null 2>&1 ;;
        native-csv+parquet) /usr/bin/time -f "%e %U %S %M" -o "$tf" "$build/mapforge" run --plan "$plan" \
                        --data "$data" --out "$out" >/dev/null 2>&1 ;;
        duckdb-csv|polars-csv) /usr/bin/time -f "%e %U %S %M" -o "$tf" "$py" "$root/bench/peers.py" "$name" "$data" \
                        "$out/GL_ENTRIES.csv" ;;
        duckdb-parquet|polars-parquet) /usr/bin/time -f "%e %U %S %M" -o "$tf" "$py" "$root/bench/peers.py" "$name" \
                        "$data" "$out/GL_ENTRIES.parquet" ;;
        wc-l) /usr/bin/time -f "%e %U %S %M" -o "$tf" wc -l "$data" >/dev/null ;;
        cat) /usr/bin/time -f "%e %U %S %M" -o "$tf" cat "$data" >/dev/null ;;
    esac
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
     "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); best of $rounds rounds"
for size in "${sizes[@]}"; do
    data=$data_dir/client_${size}mb.csv
    mkdir -p "$data_dir"
    [ -f "$data" ] || "$build/gen_client_file" "$data" "$size" >/dev/null
    cat "$data" >/dev/null   # in the page cache: the figures are the engines, not the disk
    work=$data_dir/peers_${size}mb
    rm -rf "$work"
    mkdir -p "$work"
    results=$work/results.tsv
    : >"$results"
    for r in $(seq 1 "$rounds"); do
        for c in "${contenders[@]}"; do
            # every round leaves its output for the comparison below; the last round's is kept
            if run_one "$c" "$data" "$work/$c" "$work/time.txt"; then
                echo "$c $(cat "$work/time.txt")" >>"$results"
            else
                echo "$c failed" >>"$results"
            fi
        done
    done
    # Compare each peer with mapforge's output of the same kind.
    cmpf=$work/compare.txt
    : >"$cmpf"
    native=$work/native-csv/GL_ENTRIES.csv
    for c in duckdb-csv polars-csv; do
        if cmp -s "$native" "$work/$c/GL_ENTRIES.csv"; then echo "$c byte-identical" >>"$cmpf"
        else echo "$c DIFFERS" >>"$cmpf"; fi
    done
    if cmp -s "$native" "$work/native-csv+parquet/GL_ENTRIES.csv"; then echo "native-csv+parquet byte-identical" >>"$cmpf"
    else echo "native-csv+parquet DIFFERS" >>"$cmpf"; fi
    for c in duckdb-parquet polars-parquet; do
        if "$py" "$root/bench/peers.py" compare-parquet "$work/native-csv+parquet/GL_ENTRIES.parquet" \
               "$work/$c/GL_ENTRIES.parquet" >/dev/null; then echo "$c cell-identical" >>"$cmpf"
        else echo "$c DIFFERS" >>"$cmpf"; fi
    done
    python3 - "$data" "$results" "$cmpf" "$work/native-csv/run.json" <<'PY'
import json, os, sys
data, resf, cmpf, runf = sys.argv[1:5]
mb = os.path.getsize(data) / (1024 * 1024)
rows = json.load(open(runf))["rows_in"]
best, order, failed = {}, [], set()
for line in open(resf):
    f = line.split()
    if f[0] not in order:
        order.append(f[0])
    if f[1] == "failed":
        failed.add(f[0])
        continue
    wall, usr, sys_, rss = float(f[1]), float(f[2]), float(f[3]), int(f[4])
    if f[0] not in best or wall < best[f[0]][0]:
        best[f[0]] = (max(wall, 0.005), usr + sys_, rss)
match = dict(l.split(None, 1) for l in open(cmpf).read().splitlines())
match["native-csv"] = "reference"
base = best.get("native-csv", (None,))[0]
print("\n%s: %.1f MiB, %d records" % (os.path.basename(data), mb, rows))
print("%-20s %8s %9s %12s %8s %10s %9s  %s" % ("contender", "wall s", "MB/s", "rows/s", "CPU s", "RSS MiB",
                                              "x native", "output"))
for c in order:
    if c not in best:
        print("%-20s %s" % (c, "failed every round"))
        continue
    w, cpu, rss = best[c]
    ratio = "%.2f" % (w / base) if base else "-"
    print("%-20s %8.2f %9.1f %12.0f %8.2f %10.1f %9s  %s%s" % (c, w, mb / w, rows / w, cpu, rss / 1024, ratio,
          match.get(c, "-"), " (some rounds failed)" if c in failed else ""))
PY
done
if [ -x "$root/bench/load.sh" ]; then
    echo
    echo "load figures (bench/load.sh):"
    "$root/bench/load.sh"
else
    echo
    echo "load figures: bench/load.sh is not there yet"
fi
