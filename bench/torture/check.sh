#!/usr/bin/env bash
# check.sh REF_MAPFORGE NEW_MAPFORGE [ROWS] — differential check of two engines (bench/torture/).
#
# Generates adversarial data with gen_torture.py, runs every *.plan here with both binaries and
# requires byte-identical OUT.csv and rejects.csv and the same row counts in run.json.  Also runs
# the benchmark plan on the first 20 MB of a generated client file.  Used to prove that a
# performance change keeps behaviour identical; prints "N passed, N failed".
set -uo pipefail
ref=${1:?usage: check.sh REF_MAPFORGE NEW_MAPFORGE [ROWS]}
new=${2:?usage: check.sh REF_MAPFORGE NEW_MAPFORGE [ROWS]}
rows=${3:-200000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-torture.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen_torture.py" "$tmp/torture.csv" "$rows"
pass=0 fail=0
compare() {   # NAME PLAN DATA [ENV...]
    local name=$1 plan=$2 data=$3; shift 3
    rm -rf "$tmp/a" "$tmp/b"
    env "$@" "$ref" run --plan "$plan" --data "$data" --out "$tmp/a" >/dev/null 2>"$tmp/a.err"; local ra=$?
    env "$@" "$new" run --plan "$plan" --data "$data" --out "$tmp/b" >/dev/null 2>"$tmp/b.err"; local rb=$?
    local bad=""
    [ $ra -eq $rb ] || bad="exit $ra vs $rb"
    for f in "$tmp"/a/*.csv; do
        [ -f "$f" ] || continue
        cmp -s "$f" "$tmp/b/$(basename "$f")" || bad="$bad $(basename "$f") differs"
    done
    if [ -f "$tmp/a/run.json" ]; then
        for k in rows_in rows_out rows_rejected rows_filtered sha256; do
            [ "$(grep "\"$k\"" "$tmp/a/run.json")" = "$(grep "\"$k\"" "$tmp/b/run.json")" ] || bad="$bad $k differs"
        done
    fi
    if [ -z "$bad" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $name: $bad"; fi
}
for p in "$here"/*.plan; do
    compare "$(basename "$p")" "$p" "$tmp/torture.csv"
    compare "$(basename "$p") (small reads)" "$p" "$tmp/torture.csv" MAPFORGE_CSV_CHUNK=1000
done
gen=$(dirname "$new")/gen_client_file
if [ -x "$gen" ]; then
    "$gen" "$tmp/client.csv" 20 >/dev/null 2>&1
    compare "acme bench plan" "$here/../acme_plan.txt" "$tmp/client.csv"
fi
echo "torture: $pass passed, $fail failed"
[ $fail -eq 0 ]
