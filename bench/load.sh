#!/usr/bin/env bash
# load.sh [--runs K] [--streams N] [SIZE_MB] — how fast a checked output loads into SQL (issue 13,
# "Loading"): SQLite (prepared, batched inserts in one transaction) and PostgreSQL (COPY) with 1
# stream and with N parallel streams (default: the number of cores, at least 2).
#
# Generates bench/data/client_<SIZE>mb.csv (default 300) with gen_client_file when absent, runs
# bench/acme_plan.txt on it once (the output CSV, ~SIZE MB, is what is loaded), then times
# `mapforge load` K times per target (default 3) into a fresh table and prints the best run: MB of
# CSV loaded, seconds, MB/s and rows/s, and that run's CPU seconds: mapforge's (user + sys) and,
# when the PostgreSQL server runs on this machine, its backends' for the load's database (read from
# /proc while the load runs; "-" when none is seen).  The machine is shared: the best of K is the
# figure least disturbed by other work, and the CPU seconds are steadier than wall time; the load
# average at the end is printed with the table.  PostgreSQL: $MAPFORGE_BENCH_PG, else
# $MAPFORGE_TEST_PG; without either, only SQLite runs.  bench/run.sh prints this table after its
# own when this file is present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build-release
data_dir=$root/bench/data
runs=3
streams=$(nproc)
[ "$streams" -ge 2 ] || streams=2
size=300
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=$2; shift 2 ;;
        --streams) streams=$2; shift 2 ;;
        *) size=$1; shift ;;
    esac
done
pg=${MAPFORGE_BENCH_PG:-${MAPFORGE_TEST_PG:-}}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" mapforge gen_client_file >/dev/null
mkdir -p "$data_dir"
data=$data_dir/client_${size}mb.csv
[ -f "$data" ] || "$build/gen_client_file" "$data" "$size" >/dev/null
out=$data_dir/load_${size}mb
plan=$root/bench/acme_plan.txt
if [ ! -f "$out/run.json" ] || [ "$out/run.json" -ot "$data" ]; then
    rm -rf "$out"
    "$build/mapforge" run --plan "$plan" --data "$data" --out "$out" --no-parquet >/dev/null 2>&1 ||
        { echo "load.sh: the run of $plan on $data failed" >&2; exit 1; }
fi
csv=$out/GL_ENTRIES.csv
cat "$csv" >/dev/null   # in the page cache: the figure is the load, not the disk

pg_backend_pattern=""
if [ -n "$pg" ]; then   # the process title of a backend of this database: "postgres: USER DB ..."
    pg_backend_pattern=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print("postgres: %s %s " % (p.username or "", p.path.lstrip("/")))' "$pg")
fi
tck=$(getconf CLK_TCK)

once() {   # TARGET STREAMS: one load; prints "wall client_cpu server_cpu"
    local db=$1 n=$2 tf t0 t1 pid p v total=0
    declare -A seen=()
    tf=$(mktemp)
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$tf" \
        "$build/mapforge" load --plan "$plan" --out "$out" --client BENCH --db "$db" --load-streams "$n" >/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do   # the backends' CPU, last value seen per process
        if [[ $db == postgres* ]]; then
            for p in $(pgrep -f "$pg_backend_pattern"); do
                v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && [ -n "$v" ] && seen[$p]=$v
            done
        fi
        sleep 0.1
    done
    wait "$pid" || { rm -f "$tf"; echo "load.sh: the load into ${db%%:*} failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    for p in "${!seen[@]}"; do total=$((total + seen[$p])); done
    python3 -c 'import sys; u, s = open(sys.argv[1]).read().split()[-2:]; srv = int(sys.argv[4]) / int(sys.argv[5]); print(float(sys.argv[3]) - float(sys.argv[2]), float(u) + float(s), srv if srv else "-")' \
        "$tf" "$t0" "$t1" "$total" "$tck"
    rm -f "$tf"
}

best() {   # TARGET STREAMS RESET_COMMAND: the run with the best wall time of $runs loads
    local db=$1 n=$2 reset=$3 b="" r
    for _ in $(seq "$runs"); do
        eval "$reset"
        r=$(once "$db" "$n")
        if [ -z "$b" ] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "${r%% *}" "${b%% *}"; then
            b=$r
        fi
    done
    echo "$b"
}
rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows_out"])' "$out/run.json")
mb=$(python3 -c 'import os,sys; print(os.path.getsize(sys.argv[1]) / 1048576)' "$csv")
line() {   # TARGET STREAMS "SECONDS CLIENT_CPU SERVER_CPU"
    python3 -c 'import sys; t, n, (s, cc, sc), mb, rows = sys.argv[1], sys.argv[2], sys.argv[3].split(), float(sys.argv[4]), int(sys.argv[5]); s = float(s); sc = sc if sc == "-" else "%.2f" % float(sc); print("%-12s %8s %9.1f %9.2f %9.1f %12.0f %11.2f %11s" % (t, n, mb, s, mb / s, rows / s, float(cc), sc))' \
        "$1" "$2" "$3" "$mb" "$rows"
}

printf '%-12s %8s %9s %9s %9s %12s %11s %11s\n' "load into" "streams" "CSV MB" "best s" "MB/s" "rows/s" "client CPU" "server CPU"
wh=$data_dir/load_warehouse.db
line sqlite 1 "$(best "sqlite:$wh" 1 "rm -f '$wh'")"
if [ -n "$pg" ]; then
    drop="PGOPTIONS='-c client_min_messages=warning' psql -qtAX '$pg' -c 'DROP TABLE IF EXISTS \"GL_ENTRIES\"' >/dev/null"
    line postgresql 1 "$(best "$pg" 1 "$drop")"
    line postgresql "$streams" "$(best "$pg" "$streams" "$drop")"
    eval "$drop"
else
    echo "(PostgreSQL skipped: set MAPFORGE_BENCH_PG or MAPFORGE_TEST_PG)"
fi
rm -f "$wh"
echo "(best of $runs runs each; MB = MiB of the output CSV loaded, $rows rows; CPU in seconds, user + sys, of that run;"
echo " $(nproc) cores; $(uptime | sed 's/.*load average/load average/'))"
