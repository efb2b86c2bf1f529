#!/usr/bin/env bash
# deep_plans.sh MAPFORGE — plans far past the expression limits (docs/limits.md) are one clear
# error from every command that reads a plan, never a crash (before the limits each of these
# overflowed the stack: 100,000 nested parentheses in the parser, a 100,000-term sum in the
# checker and renderer).  Each must exit 1 (not a signal), name plan.txt:LINE:COL and the limit,
# and leave no output file.  The plans (a few MB) are written to a temporary directory.
set -uo pipefail
mapforge=${1:?usage: deep_plans.sh MAPFORGE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-deep.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export MAPFORGE_HOME=$tmp/home

printf 'Ref,Amount\nA1,10.00\n' > "$tmp/data.csv"
head='plan TEST v1
source "data.csv": csv, delimiter ",", quote "\"", encoding UTF-8, header on line 1
output PAYMENTS

REF     text(10) required      = [Ref]'
rep() { python3 -c 'import sys; sys.stdout.write(sys.argv[1] * int(sys.argv[2]))' "$1" "$2"; }

write_plan() {   # NAME AMOUNT-EXPRESSION-FILE
    { printf '%s\nAMOUNT  decimal(18,2) required = ' "$head"; cat "$2"; printf '\n'; } > "$tmp/$1.txt"
}
{ rep '(' 100000; printf '[Amount] read as number'; rep ')' 100000; } > "$tmp/e1"
write_plan parens "$tmp/e1"
{ printf '[Amount] read as number'; rep ' + 1' 100000; } > "$tmp/e2"
write_plan sum "$tmp/e2"
{ printf 'if '; rep 'not ' 200000; printf '[Ref] is "A" then 1 else 2'; } > "$tmp/e3"
write_plan nots "$tmp/e3"
{ printf '[Amount] read as number'; rep ', negated' 100000; } > "$tmp/e4"
write_plan steps "$tmp/e4"
# shallow but huge: a balanced sum of 32,768 terms (16 levels, 65,535 nodes) passes no depth limit
python3 -c '
def b(n): return "1" if n == 1 else "(" + b(n - 1) + " + " + b(n - 1) + ")"
print(b(16), end="")' > "$tmp/e5"
write_plan wide "$tmp/e5"

status=0
for p in parens sum nots steps wide; do
    for cmd in "check --plan $tmp/$p.txt" \
               "check --plan $tmp/$p.txt --data $tmp/data.csv" \
               "compile --plan $tmp/$p.txt --to pyspark" \
               "run --plan $tmp/$p.txt --data $tmp/data.csv --out $tmp/out"; do
        rm -rf "$tmp/out"
        # shellcheck disable=SC2086
        "$mapforge" $cmd >"$tmp/stdout" 2>"$tmp/err"
        rc=$?
        if [ "$rc" -ne 1 ]; then
            echo "deep_plans: $p: mapforge $cmd: exit $rc, expected 1" >&2; status=1
        fi
        grep -qE "$p\.txt:6:[0-9]+: expression (nested deeper than 256 levels|longer than 20000 terms)" "$tmp/err" ||
            { echo "deep_plans: $p: mapforge $cmd: stderr lacks the limit:" >&2; head -c 300 "$tmp/err" >&2; status=1; }
        [ -s "$tmp/stdout" ] && { echo "deep_plans: $p: $cmd wrote to stdout" >&2; status=1; }
        if [ -d "$tmp/out" ] && [ -n "$(find "$tmp/out" -type f)" ]; then
            echo "deep_plans: $p: $cmd left files in out/" >&2; status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "deep_plans: ok"
exit "$status"
