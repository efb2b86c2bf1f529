#!/usr/bin/env bash
# spark_differential.sh MAPFORGE — every example and every case folder that produces output, plus the
# generated cases (tests/spark/gen_cases.py: fixed seeds, written to a temporary directory), runs on
# the native engine and as the generated PySpark job (one SparkSession for all); output CSV,
# rejects.csv, run.json counts and Parquet contents must be identical.  Also the hostile-text plan
# (tests/spark/hostile.py).
set -euo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
py=$(scripts/venv.sh)
gen=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-gen.XXXXXX")
trap 'rm -rf "$gen"' EXIT
"$py" tests/spark/gen_cases.py "$gen"
"$py" tests/spark/differential.py "$mapforge" tests/cases/* examples/* tests/data/spark/*/ "$gen"/*/
"$py" tests/spark/hostile.py "$mapforge"
