#!/usr/bin/env bash
# parquet_readers.sh MAPFORGE — Parquet files written by mapforge's own writer (src/write/parquet.c)
# are read back by three independent readers: pyarrow, DuckDB and Spark (tests/parquet/read_back.py,
# one local SparkSession for all files).  Each must give exactly the CSV's values with the plan's
# types, and the row-group statistics must match the data.
#
#   1. generated data (tests/parquet/all_types.plan): every type, decimals/dates/integers at their
#      extremes, nulls in every column, empty text vs null, Unicode, long strings; small row groups
#      (5 of them), small pages, and a small dictionary limit so UNIQ falls back to PLAIN while CAT
#      keeps its dictionary; zstd.
#   2. the same data uncompressed, without dictionaries, one row group.
#   3. the acme_gl example, onboarded then converted with the default settings; the run's own
#      Parquet copy (built on the run's Parquet thread from the records as they are written) must
#      be byte for byte what the conversion of its CSV gives.
#   4. a value that does not fit its column: a clear error naming file, line and column, and no
#      Parquet file left behind.
#   5. a dictionary given up midway through a chunk: 1 KiB pages (256 ids each) and a 64 KiB
#      dictionary, so UNIQ (distinct 18-byte values) writes about a dozen RLE_DICTIONARY pages
#      before its dictionary is full and the rest of its chunk is PLAIN pages after them.
# Needs the Python tools of scripts/venv.sh (pyspark, pyarrow, duckdb; Java 17).
set -uo pipefail
mapforge=${1:?usage: parquet_readers.sh MAPFORGE}
root=$(cd "$(dirname "$0")/../.." && pwd)
py=$("$root/scripts/venv.sh") || { echo "parquet_readers: scripts/venv.sh failed (pyspark, pyarrow, duckdb needed)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-parquet.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
plan=$root/tests/parquet/all_types.plan
fail() { echo "parquet_readers: FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/small" "$tmp/plain" "$tmp/example" "$tmp/bad" "$tmp/mixed"
"$py" "$root/tests/parquet/read_back.py" gen "$tmp/small" 30000 || fail "cannot generate the data"
cp "$tmp/small/ALL_TYPES.csv" "$tmp/plain/"
cp "$tmp/small/ALL_TYPES.csv" "$tmp/mixed/"
"$mapforge" parquet --plan "$plan" --out "$tmp/small" row-group-rows=7000 page-bytes=4096 dict-bytes=16384 \
    || fail "mapforge parquet (small row groups) failed"
"$mapforge" parquet --plan "$plan" --out "$tmp/plain" codec=none dictionary=off \
    || fail "mapforge parquet (uncompressed) failed"
"$mapforge" parquet --plan "$plan" --out "$tmp/mixed" page-bytes=1024 dict-bytes=65536 \
    || fail "mapforge parquet (dictionary given up midway) failed"

ex=$root/examples/acme_gl
"$mapforge" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$ex/gl_extract.csv" --out "$tmp/example" \
    --yes --no-load --home "$tmp/home" >/dev/null 2>"$tmp/onboard.err" || { cat "$tmp/onboard.err" >&2; fail "onboard acme_gl failed"; }
mv "$tmp/example/GL_ENTRIES.parquet" "$tmp/run_copy.parquet"
"$mapforge" parquet --plan "$tmp/example/plan.txt" --out "$tmp/example" || fail "mapforge parquet (acme_gl) failed"
cmp -s "$tmp/run_copy.parquet" "$tmp/example/GL_ENTRIES.parquet" \
    || fail "the run's Parquet copy differs from the conversion of its CSV"

# 4: line 3, column 5 (INT32) holds a value beyond 32 bits.
{ head -2 "$tmp/small/ALL_TYPES.csv"; printf '9,x,,,2147483648,,,,,,,,\n'; } > "$tmp/bad/ALL_TYPES.csv"
if "$mapforge" parquet --plan "$plan" --out "$tmp/bad" 2>"$tmp/bad.err"; then
    fail "a 33-bit integer in an integer column was accepted"
fi
grep -q 'ALL_TYPES.csv:3:5: column INT32: "2147483648" is not a valid integer' "$tmp/bad.err" \
    || { cat "$tmp/bad.err" >&2; fail "the error does not name the file, line 3, column 5 and the value"; }
ls -A "$tmp/bad" | grep -q parquet && fail "a failed conversion left a Parquet file: $(ls -A "$tmp/bad")"

"$py" "$root/tests/parquet/read_back.py" check "$plan" \
    "$tmp/small/ALL_TYPES.csv" "$tmp/small/ALL_TYPES.parquet" row_groups=5 dict=CAT plain=UNIQ codec=ZSTD \
    "$tmp/plain/ALL_TYPES.csv" "$tmp/plain/ALL_TYPES.parquet" row_groups=1 codec=UNCOMPRESSED \
    "$tmp/mixed/ALL_TYPES.csv" "$tmp/mixed/ALL_TYPES.parquet" row_groups=1 dict=UNIQ codec=ZSTD \
    "$tmp/example/GL_ENTRIES.csv" "$tmp/example/GL_ENTRIES.parquet" codec=ZSTD plan="$tmp/example/plan.txt" \
    2> >(grep -v -e '^\s*$' -e WARN -e 'log level' -e setLogLevel >&2) || fail "the readers disagree (see above)"
echo "parquet_readers: ok"
