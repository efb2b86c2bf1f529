#!/usr/bin/env bash
# venv.sh — the benchmark's peers in .venv/ (git-ignored, shared with scripts/venv.sh's test tools):
# duckdb and polars from PyPI, for bench/run.sh --peers.  Idempotent; prints the venv's python path.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import duckdb, polars" 2>/dev/null; then
  [ -x .venv/bin/python ] || python3 -m venv .venv >&2
  .venv/bin/pip install -q --disable-pip-version-check duckdb polars >&2
fi
echo "$PWD/.venv/bin/python"
