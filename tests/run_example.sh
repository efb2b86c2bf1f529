#!/usr/bin/env bash
# run_example.sh MAPFORGE EXAMPLE_DIR — onboard one bundled example and compare with expected/.
#
# An example folder holds mapping.xlsx (or mapping.csv), exactly one data file (any other file that
# is not mapping.*, make_example.py, client.txt, args.txt, *.json or *.md), client.txt (the client
# id) and optionally args.txt (extra CLI arguments, one line).  expected/ holds the files onboard
# must write, compared byte for byte.  Also checks exit 0 and that run.json balances:
# rows_in = rows_out + rows_rejected + rows_filtered.
set -uo pipefail

mapforge=${1:?usage: run_example.sh MAPFORGE EXAMPLE_DIR}
dir=${2:?usage: run_example.sh MAPFORGE EXAMPLE_DIR}
dir=$(cd "$dir" && pwd) || exit 1
name=$(basename "$dir")
fail() { echo "example $name: FAIL: $*" >&2; exit 1; }

[ -f "$dir/client.txt" ] || fail "no client.txt"
client=$(head -n1 "$dir/client.txt" | tr -d '\r\n')
mapping=""
for m in "$dir/mapping.xlsx" "$dir/mapping.csv"; do [ -f "$m" ] && { mapping=$m; break; }; done
[ -n "$mapping" ] || fail "no mapping.xlsx or mapping.csv"
data=""
for f in "$dir"/*; do
    [ -f "$f" ] || continue
    case $(basename "$f") in
        mapping.*|make_example.py|client.txt|args.txt|*.json|*.md) continue ;;
    esac
    [ -z "$data" ] || fail "more than one data file: $(basename "$data") and $(basename "$f")"
    data=$f
done
[ -n "$data" ] || fail "no data file"
extra=()
[ -f "$dir/args.txt" ] && read -r -a extra < "$dir/args.txt"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-example.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
export MAPFORGE_HOME=$tmp/home   # the state store and warehouse of this run only
unset MAPFORGE_STORE MAPFORGE_VALIDATOR

"$mapforge" onboard --client "$client" --mapping "$mapping" --data "$data" --out "$out" --yes \
    "${extra[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "--- stdout"; cat "$tmp/stdout"; echo "--- stderr"; cat "$tmp/stderr"
    fail "mapforge onboard exited $rc, expected 0"
fi

status=0
for exp in "$dir"/expected/*; do
    [ -f "$exp" ] || continue
    f=$(basename "$exp")
    if [ ! -f "$out/$f" ]; then
        echo "example $name: missing output file $f (have: $(ls "$out" | tr '\n' ' '))" >&2
        status=1
    elif ! cmp -s "$exp" "$out/$f"; then
        echo "example $name: $f differs from expected (--- expected, +++ actual):" >&2
        diff -u "$exp" "$out/$f" | head -n 60 >&2
        status=1
    fi
done

if [ -f "$out/run.json" ]; then
    if ! python3 - "$out/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = r["rows_out"] + r["rows_rejected"] + r["rows_filtered"]
if r["rows_in"] != n:
    sys.exit("run.json: rows_in %d != rows_out %d + rows_rejected %d + rows_filtered %d"
             % (r["rows_in"], r["rows_out"], r["rows_rejected"], r["rows_filtered"]))
PY
    then status=1; fi
else
    echo "example $name: no run.json" >&2
    status=1
fi
[ -f "$out/plan.txt" ] || { echo "example $name: no plan.txt" >&2; status=1; }

if [ "$status" -ne 0 ]; then
    echo "--- plan.txt"; cat "$out/plan.txt" 2>/dev/null
    fail "outputs differ"
fi
echo "example $name: ok"
