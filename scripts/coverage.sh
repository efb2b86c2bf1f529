#!/usr/bin/env bash
# coverage.sh [--html] [--report-only] [--files STAGE] — line and branch coverage per stage
# (docs/coverage.md).
#
# Builds build-cov/ with clang source-based coverage (-DMAPFORGE_COVERAGE=ON), runs the test
# suite there (unit tests, case folders, examples, script tests; not the Spark tests, which start
# a JVM and take longer than everything else together) with every process writing its own raw
# profile (LLVM_PROFILE_FILE=build-cov/profiles/%p-%m.profraw: one file per process id and binary,
# merged into rather than overwritten when a process id is reused), merges them with llvm-profdata
# and reports the coverage of src/ per stage with llvm-cov.  Prints the table and writes
# build-cov/coverage.json; --html also writes build-cov/html/index.html.
#
#   --report-only   report from the profiles of the last run (no build, no tests)
#   --files STAGE   also list that stage's files, least covered first (e.g. --files plan/rules)
#
# A failing test is reported but the coverage is still measured (exit 1 at the end).  Tests that
# need PostgreSQL use MAPFORGE_TEST_PG as in the ordinary test command.  COVERAGE_EXCLUDE (a ctest
# regex, default "spark|parquet_readers") chooses the tests left out; COVERAGE_JOBS the parallelism
# (default 2).  Not part of the test command: the instrumented suite is slower than the plain one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
html=0 report_only=0 files=
while [ $# -gt 0 ]; do
    case $1 in
        --html) html=1 ;;
        --report-only) report_only=1 ;;
        --files) files=${2:?--files needs a stage, e.g. plan/rules}; shift ;;
        -h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "coverage.sh: unknown option $1 (--html, --report-only, --files STAGE)" >&2; exit 2 ;;
    esac
    shift
done

tool() {   # the unversioned name, else Debian's versioned one
    local t
    for t in "$1" "$1-14" "$1-15" "$1-16" "$1-17" "$1-18"; do
        command -v "$t" >/dev/null && { echo "$t"; return 0; }
    done
    echo "coverage.sh: $1 not found (Debian: apt-get install llvm-14 or clang-14)" >&2
    return 1
}
profdata=$(tool llvm-profdata)
llvmcov=$(tool llvm-cov)
build=$root/build-cov
jobs=${COVERAGE_JOBS:-2}
failed=0

if [ "$report_only" = 0 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        CC=${CC:-clang} cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DMAPFORGE_COVERAGE=ON >/dev/null
    fi
    grep -q '^MAPFORGE_COVERAGE:BOOL=ON' "$build/CMakeCache.txt" \
        || { echo "coverage.sh: $build was configured without MAPFORGE_COVERAGE=ON; remove it" >&2; exit 2; }
    ninja -C "$build" -j"$jobs" >/dev/null
    rm -rf "$build/profiles"
    mkdir -p "$build/profiles"
    start=$(date +%s)
    if ! LLVM_PROFILE_FILE="$build/profiles/%p-%m.profraw" \
        ctest --test-dir "$build" -j"$jobs" -E "${COVERAGE_EXCLUDE:-spark|parquet_readers}" \
              --output-on-failure >"$build/ctest.log" 2>&1; then
        failed=1
        echo "coverage.sh: some tests failed (coverage is still measured):" >&2
        grep -E '^[[:space:]]*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess|Not Run)' "$build/ctest.log" >&2 || true
    fi
    echo "tests: $(grep -E 'tests passed' "$build/ctest.log" | tail -1) in $(( $(date +%s) - start )) s"
    ls "$build"/profiles/*.profraw >"$build/profiles.list" 2>/dev/null \
        || { echo "coverage.sh: no profiles were written" >&2; exit 1; }
    echo "profiles: $(wc -l <"$build/profiles.list") processes"
    "$profdata" merge -sparse -input-files="$build/profiles.list" -o "$build/coverage.profdata"
fi
[ -f "$build/coverage.profdata" ] || { echo "coverage.sh: no $build/coverage.profdata; run without --report-only" >&2; exit 1; }

# Every instrumented binary: the tool and each unit test (the library is linked into all of them).
objects=("$build/mapforge")
for t in "$build"/test_*; do
    [ -x "$t" ] && objects+=(-object "$t")
done
ignore='(^|/)(tests|bench|build[^/]*)/|^/usr/'
"$llvmcov" export -summary-only -instr-profile="$build/coverage.profdata" \
    -ignore-filename-regex="$ignore" "${objects[@]}" >"$build/llvm-cov-summary.json"
if [ "$html" = 1 ]; then
    rm -rf "$build/html"
    "$llvmcov" show -format=html -show-branches=count -show-line-counts-or-regions \
        -instr-profile="$build/coverage.profdata" -ignore-filename-regex="$ignore" \
        -output-dir="$build/html" -project-title=mapforge "${objects[@]}"
    echo "html: $build/html/index.html"
fi

python3 - "$build/llvm-cov-summary.json" "$build/coverage.json" "$root" "$files" <<'PY'
# Sums llvm-cov's per-file summaries by stage (the directory under src/; plan/rules apart from plan).
import datetime, json, os, platform, sys
src, out, root, list_stage = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ORDER = ["read", "mapping", "plan", "plan/rules", "compile", "engine", "write",
         "check", "store", "flow", "cli", "util"]
TARGET = {"read", "mapping", "plan", "plan/rules", "compile", "engine", "write"}
data = json.load(open(src))["data"][0]
stages, per_file = {}, []
def add(acc, s):
    for k in ("lines", "branches", "functions"):
        acc[k][0] += s[k]["covered"]
        acc[k][1] += s[k]["count"]
for f in data["files"]:
    name = os.path.relpath(f["filename"], root)
    if not name.startswith("src/"):
        continue
    stage = os.path.dirname(name)[len("src/"):] or "."
    acc = stages.setdefault(stage, {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]})
    add(acc, f["summary"])
    per_file.append((stage, name, f["summary"]))
total = {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
for acc in stages.values():
    for k in total:
        total[k][0] += acc[k][0]
        total[k][1] += acc[k][1]
pct = lambda c, n: 100.0 * c / n if n else 100.0
order = [s for s in ORDER if s in stages] + sorted(s for s in stages if s not in ORDER)
print("| stage | lines | line % | branches | branch % |")
print("| --- | ---: | ---: | ---: | ---: |")
for s in order + ["total"]:
    a = total if s == "total" else stages[s]
    lp = pct(*a["lines"])
    mark = " (< 85)" if s in TARGET and lp < 85.0 else ""
    label = "**total**" if s == "total" else "src/" + s
    print(f"| {label} | {a['lines'][0]}/{a['lines'][1]} | {lp:.1f}{mark} "
          f"| {a['branches'][0]}/{a['branches'][1]} | {pct(*a['branches']):.1f} |")
if list_stage:
    print(f"\nfiles of src/{list_stage}, most uncovered lines first:")
    rows = [r for r in per_file if r[0] == list_stage]
    rows.sort(key=lambda r: r[2]["lines"]["covered"] - r[2]["lines"]["count"])
    for _, name, s in rows:
        l, b = s["lines"], s["branches"]
        print(f"  {name:40s} lines {l['covered']:5d}/{l['count']:<5d} {pct(l['covered'], l['count']):5.1f}%"
              f"  uncovered {l['count'] - l['covered']:4d}  branches {pct(b['covered'], b['count']):5.1f}%")
def obj(a):
    return {k: {"covered": a[k][0], "count": a[k][1], "percent": round(pct(*a[k]), 2)} for k in a}
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
    "target_line_percent": 85, "target_stages": sorted(TARGET),
    "stages": {s: obj(stages[s]) for s in order}, "total": obj(total),
    "files": {name: {k: {"covered": s[k]["covered"], "count": s[k]["count"]}
                     for k in ("lines", "branches", "functions")} for _, name, s in per_file},
}, open(out, "w"), indent=1)
print(f"\nwritten: {out}")
PY
exit "$failed"
