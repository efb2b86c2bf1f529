#!/usr/bin/env bash
# phrasing_set.sh MAPFORGE — the repository's own held-out-like phrasings (tests/rules/heldout_like.jsonl:
# rules in the issue-7 families, written in styles the development corpus does not use) run through the
# real binary on a tiny sample each (tests/tools/phrasing_set.py).  Fails on any item not read as its
# expected values, or answered where a question is due: a wrong reading is the worst outcome.
set -uo pipefail
mf=$(realpath "${1:?usage: phrasing_set.sh MAPFORGE}")
cd "$(dirname "$0")/../.."
unset MAPFORGE_STORE MAPFORGE_VALIDATOR MAPFORGE_LLM
python3 tests/tools/phrasing_set.py "$mf" tests/rules/heldout_like.jsonl --jobs 2
