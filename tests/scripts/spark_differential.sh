#!/usr/bin/env bash
# spark_differential.sh MAPFORGE — every example and every case folder that produces output runs on
# the native engine and as the generated PySpark job (one SparkSession for all); output CSV,
# rejects.csv and run.json counts must be identical.  Also the hostile-text plan (tests/spark/hostile.py).
set -euo pipefail
mapforge=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.."
py=$(scripts/venv.sh)
"$py" tests/spark/differential.py "$mapforge" tests/cases/* examples/* tests/data/spark/*/
"$py" tests/spark/hostile.py "$mapforge"
