#!/usr/bin/env bash
# test.sh — run every test: once on a normal build (gcc), the unit and case tests again on a clang
# build, everything again on an AddressSanitizer + UndefinedBehaviorSanitizer build, then each
# libFuzzer target (tests/fuzz) for a short smoke run.  Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/venv.sh >/dev/null   # pyspark, pyarrow, duckdb for the Spark and Parquet tests
jobs=$(nproc)
# A project-local PostgreSQL (scripts/pg.sh) so that the store and load tests run against it for real.
MAPFORGE_TEST_PG=$(scripts/pg.sh)
export MAPFORGE_TEST_PG
echo "== build (RelWithDebInfo) and test"
scripts/build.sh build
ctest --test-dir build --output-on-failure -j "$jobs"
echo "== build with clang (-Wall -Wextra -Werror; the engine's switch dispatch) and run the unit and case tests"
scripts/build.sh build-clang -DCMAKE_C_COMPILER=clang -DMAPFORGE_SWITCH_DISPATCH=ON
ctest --test-dir build-clang --output-on-failure -j "$jobs" -R '^(unit|case)\.'
echo "== build with ASan+UBSan and test again"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DMAPFORGE_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
echo "== fuzz smoke: each target of tests/fuzz for ${FUZZ_SECONDS:-12} s"
for t in tests/fuzz/fuzz_*.c; do
  scripts/fuzz.sh "$(basename "$t" .c)" "${FUZZ_SECONDS:-12}"
done
scripts/corpus.sh build/mapforge   # the corpus's figures: a report, not a gate
echo "== all tests passed"
