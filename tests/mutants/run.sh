#!/usr/bin/env bash
# run.sh [PATCH...] — mutation testing: each tests/mutants/*.patch is a small deliberate bug where
# integrity matters (its header names the tests that must catch it: "# tests: REGEX", a ctest -R
# pattern).  For each: copy the tracked source to a scratch directory, apply the patch, build, run
# those tests.  A failing test means the mutant is KILLED (good); passing tests mean it SURVIVED.
# Slow (one build per mutant), so the test command does not run it.  Exit 1 when any survived or
# does not apply any more (then rewrite the patch against the current code).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=(tests/mutants/*.patch)
export MAPFORGE_TEST_PG=${MAPFORGE_TEST_PG:-$(scripts/pg.sh 2>/dev/null || true)}
bad=0
printf '%-32s %-10s %s\n' mutant result tests
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  tests=$(sed -n 's/^# tests: //p' "$p")
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-mutant.XXXXXX")
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$scratch"
  if ! (cd "$scratch" && patch -s -p1 < "$root/$p" >/dev/null 2>&1); then
    result="no-apply"; bad=1
  elif ! (cmake -S "$scratch" -B "$scratch/build" -G Ninja >/dev/null 2>&1 && ninja -C "$scratch/build" >/dev/null 2>&1); then
    result="no-build"; bad=1
  elif (cd "$scratch" && ctest --test-dir build -R "$tests" >/dev/null 2>&1); then
    result="SURVIVED"; bad=1
  else
    result="killed"
  fi
  printf '%-32s %-10s %s\n' "$name" "$result" "$tests"
  rm -rf "$scratch"
done
exit $bad
