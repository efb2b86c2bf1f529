#!/usr/bin/env bash
# corpus.sh [MAPFORGE] — the development corpus's figures for a build (../shared/corpus, beside the
# repository): cases exact, phrasings correct per family and per persona, wrong outputs.  A report,
# not a gate: it prints the judge's tables and always exits 0 (the corpus is absent on some machines).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/mapforge}
judge=../shared/corpus/judge.py
if [ ! -f "$judge" ]; then
  echo "corpus: $judge not found; no figures"
  exit 0
fi
echo "== development corpus (../shared/corpus) on $bin"
python3 "$judge" "$bin" --jobs "$(nproc)" 2>&1 | grep -v '^-- \|^   ' || true
exit 0
