#!/usr/bin/env bash
# build.sh [DIR] [extra cmake args] — configure and build mapforge into DIR (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}; shift || true
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" >/dev/null
