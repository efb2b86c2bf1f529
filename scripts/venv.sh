#!/usr/bin/env bash
# venv.sh — the Python test tools in .venv/ (git-ignored): pyspark (Spark in local mode, the
# PySpark back end's oracle), pyarrow and duckdb (independent Parquet readers), prometheus_client
# (the metrics test parses `mapforge metrics` with its text parser).  Java 17 comes
# from Debian (openjdk-17-jre-headless) when absent.  Idempotent; prints the venv's python path.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
want="pyspark==3.5.3 pyarrow duckdb prometheus_client"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import pyspark, pyarrow, duckdb, prometheus_client" 2>/dev/null; then
  python3 -m venv .venv >&2
  .venv/bin/pip install -q --disable-pip-version-check $want >&2
fi
echo "$PWD/.venv/bin/python"
