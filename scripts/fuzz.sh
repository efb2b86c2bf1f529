#!/usr/bin/env bash
# fuzz.sh TARGET SECONDS — run one libFuzzer target of tests/fuzz/ for SECONDS (tests/fuzz/README.md).
#
# Builds build-fuzz/ with clang (-fsanitize=fuzzer,address,undefined) when needed.  The working
# corpus is build-fuzz/corpus/TARGET, seeded from the committed tests/fuzz/corpus/TARGET; what
# the run finds stays there (the committed corpus changes only by tests/fuzz/make_corpus.py or by
# hand).  A crash is written to build-fuzz/crashes/ and fails the run: turn it into a regression
# case (tests/cases/ or a unit test) before fixing it.  Prints "fuzz TARGET: N runs in S s".
# Set FUZZ_JOBS to run several workers (-fork).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz.sh TARGET SECONDS (targets: tests/fuzz/fuzz_*.c)}
seconds=${2:?usage: fuzz.sh TARGET SECONDS}
[ -f "tests/fuzz/$target.c" ] || { echo "fuzz.sh: no target tests/fuzz/$target.c" >&2; exit 2; }
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMAPFORGE_FUZZ=ON >/dev/null
fi
ninja -C build-fuzz "$target" >/dev/null
work=build-fuzz/corpus/$target
mkdir -p "$work" build-fuzz/crashes
cp -n tests/fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
dict=()
[ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
log=build-fuzz/$target.log
extra=()   # past crashes: replayed first, never written to (libFuzzer adds finds to the first directory only)
[ -d "tests/fuzz/regressions/$target" ] && extra=("tests/fuzz/regressions/$target")
fork=()
[ -n "${FUZZ_JOBS:-}" ] && fork=(-fork="$FUZZ_JOBS")
set +e
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "build-fuzz/$target" "${dict[@]}" "${fork[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$target-" "$work" "${extra[@]}" >"$log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
echo "fuzz $target: ${runs:-?} runs in ${seconds} s, corpus $(ls "$work" | wc -l) inputs"
if [ "$rc" -ne 0 ]; then
  echo "fuzz $target: FAILED (exit $rc); the input is in build-fuzz/crashes/, the log in $log:" >&2
  grep -E "ERROR|SUMMARY|==[0-9]+==|deadly|abort" "$log" | head -20 >&2
  exit 1
fi
