#!/usr/bin/env bash
# example.sh — build mapforge and onboard the bundled example client ACME end to end:
# mapping spreadsheet + GL extract → plan → native run → out/acme/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
ex=examples/acme_gl
build/mapforge onboard --client "$(cat $ex/client.txt)" --mapping $ex/mapping.xlsx --data $ex/gl_extract.csv \
  --out out/acme --yes
echo
echo "outputs in out/acme:"; ls -l out/acme
if diff -q out/acme/GL_ENTRIES.csv $ex/expected/GL_ENTRIES.csv >/dev/null &&
   diff -q out/acme/rejects.csv $ex/expected/rejects.csv >/dev/null; then
  echo "out/acme matches examples/acme_gl/expected/"
else
  echo "out/acme differs from examples/acme_gl/expected/" >&2; exit 1
fi
