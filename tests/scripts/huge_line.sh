#!/usr/bin/env bash
# huge_line.sh MAPFORGE — a record longer than the reader's limit is one clear error, not a crash
# or an out-of-memory: the error names the file and the line, and no output file is left.
#
# The file (about 120 MB, in a temporary directory, removed afterwards) has a normal header and
# row, then line 3 holding one 120 MB field with no line end inside, then a normal row.  The limit
# is lowered to 16 MiB with MAPFORGE_MAX_RECORD (read/csv.c), so the test stays quick while the
# line is still far beyond it; without the hook the default limit is 64 MiB, also exceeded.
set -uo pipefail
mapforge=${1:?usage: huge_line.sh MAPFORGE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-huge.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export MAPFORGE_MAX_RECORD=16777216

data=$tmp/huge.csv
{
    printf 'Ref,Amount\nA1,10.00\nA2,'
    head -c 125829120 /dev/zero | tr '\0' 'x'
    printf '\nA3,1.00\n'
} > "$data" || { echo "huge_line: cannot write $data" >&2; exit 1; }

cat > "$tmp/plan.txt" <<'PLAN'
plan TEST v1
source "huge.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
output PAYMENTS

REF     text(10) required = [Ref]
AMOUNT  text              = [Amount]
PLAN
printf 'Target table: PAYMENTS\nSource Field,Target Field,Type,Rule,Mandatory\nRef,REF,Varchar(10),As is,Y\nAmount,AMOUNT,Text,As is,N\n' \
    > "$tmp/mapping.csv"

status=0
check() {   # NAME EXPECTED-SUBSTRING... ; runs with $rc, $tmp/err, $out set
    local name=$1; shift
    if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
        echo "huge_line: $name: exit $rc, expected an error exit" >&2; status=1
    fi
    for want in "$@"; do
        grep -qF -- "$want" "$tmp/err" || { echo "huge_line: $name: stderr lacks '$want'" >&2; status=1; }
    done
    if [ -d "$out" ] && [ -n "$(find "$out" -type f)" ]; then
        echo "huge_line: $name: output files left: $(find "$out" -type f | tr '\n' ' ')" >&2; status=1
    fi
    [ "$status" -eq 0 ] || { echo "--- stderr"; head -c 2000 "$tmp/err"; }
}

out=$tmp/out_run
"$mapforge" run --plan "$tmp/plan.txt" --data "$data" --out "$out" >/dev/null 2>"$tmp/err"
rc=$?
check "run --plan" "huge.csv:3"

out=$tmp/out_onboard
"$mapforge" onboard --client TEST --mapping "$tmp/mapping.csv" --data "$data" --out "$out" --yes \
    >/dev/null 2>"$tmp/err"
rc=$?
check "onboard" "huge.csv"

[ "$status" -eq 0 ] && echo "huge_line: ok"
exit "$status"
