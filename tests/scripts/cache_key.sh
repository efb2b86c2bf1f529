#!/usr/bin/env bash
# cache_key.sh — the cache key checked from the outside (docs/cache.md).
#   1. The key stored for an approved plan is recomputed here, independently (Python), from the
#      documented encoding and the entry's recorded inputs.
#   2. One input at a time: each change that belongs in the key makes a miss with the right reason
#      (client, mapping content, delimiter, encoding, a used column's name, a used column's kind,
#      quoting when the new file has quoted fields); changes that do not belong still hit (an unused
#      column added, columns reordered, a file with no quoted field at all).
# Usage: cache_key.sh path/to/mapforge
set -euo pipefail
mf=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "cache_key: $*" >&2; exit 1; }
command -v python3 >/dev/null || fail "python3 is needed (it recomputes the key independently)"
export MAPFORGE_HOME=$work/home

cat > "$work/mapping.csv" <<'CSV'
Source Field,Target Field,Type,Rule
Ref,REF,Varchar(10),As is
Amount,AMOUNT,"Decimal(12,2)",As is
Booked,BOOKED,Date,YYYY-MM-DD
CSV
cat > "$work/data.csv" <<'CSV'
Ref,Amount,Booked,Note
"A1",10.50,2023-01-31,x
"A2",20.00,2023-02-28,y
"A3",-3.25,2023-03-31,z
CSV
"$mf" onboard --client ACME --mapping "$work/mapping.csv" --data "$work/data.csv" --out "$work/o0" --yes --no-load \
  >/dev/null 2>"$work/err0" || fail "onboard: $(cat "$work/err0")"

python3 - "$MAPFORGE_HOME/state.db" <<'PY' || fail "independent key computation"
import hashlib, json, sqlite3, sys
def field(v):
    b = (v or "").encode()
    return str(len(b)).encode() + b":" + b + b"\n"
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT key, client, mapping_sha256, used_columns, dialect FROM cache_entries").fetchall()
assert len(rows) == 1, rows
key, client, msha, used, dialect = rows[0]
d, cols = json.loads(dialect), json.loads(used)
h = hashlib.sha256(b"mapforge-cache-v1\n")
for v in (client, msha, d["delimiter"], d["quote"], d["encoding"], str(len(cols))):
    h.update(field(v))
for c in cols:
    h.update(field(c["name"]) + field(c.get("type") or "(missing)"))
assert [c["name"] for c in cols] == ["Ref", "Amount", "Booked"], cols
assert h.hexdigest() == key, (h.hexdigest(), key)
PY

run_client() {   # run_client NAME DATA CLIENT -> prints "hit" or the miss reason
  local out=$work/$1
  set +e
  "$mf" run --client "$3" --data "$2" --out "$out" --no-load >"$out.stdout" 2>"$out.stderr"
  local rc=$?
  set -e
  if grep -q "cache hit" "$out.stdout" "$out.stderr"; then echo hit; else cat "$out.stdout" "$out.stderr"; fi
  return 0
}
expect_hit() { r=$(run_client "$1" "$2" "${3:-ACME}"); [ "$r" = hit ] || fail "$1: expected a cache hit, got: $r"; }
expect_miss() { r=$(run_client "$1" "$2" "${4:-ACME}"); grep -q "$3" <<<"$r" || fail "$1: expected a miss ($3), got: $r"; }
rewrite() {   # rewrite OUT PYTHON-EXPR-ON-ROWS [encoding] [delimiter]
  python3 - "$work/data.csv" "$1" "$2" "${3:-utf-8}" "${4:-,}" <<'PY'
import csv, sys
src, out, expr, enc, delim = sys.argv[1:]
rows = list(csv.reader(open(src, newline="")))
rows = eval(expr)
with open(out, "w", newline="", encoding=enc) as f:
    csv.writer(f, delimiter=delim, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
PY
}

expect_hit same "$work/data.csv"
rewrite "$work/extra.csv" '[r + ["e%d" % i] for i, r in enumerate(rows)]'
expect_hit unused_column_added "$work/extra.csv"
rewrite "$work/reordered.csv" '[[r[3], r[2], r[0], r[1]] for r in rows]'
expect_hit columns_reordered "$work/reordered.csv"
set +e
"$mf" onboard --client OTHER --mapping "$work/mapping.csv" --data "$work/data.csv" --out "$work/o8" --yes --no-load \
  >"$work/o8.out" 2>&1
set -e
grep -q "cache miss: no cached plan for client OTHER" "$work/o8.out" || fail "another client: $(cat "$work/o8.out")"
rewrite "$work/semi.csv" 'rows' utf-8 ';'
expect_miss delimiter "$work/semi.csv" "delimiter ; was ,"
rewrite "$work/bom.csv" 'rows' utf-8-sig
expect_miss encoding "$work/bom.csv" "encoding UTF-8 with BOM was UTF-8"
rewrite "$work/renamed.csv" '[["Reference"] + rows[0][1:]] + rows[1:]'
expect_miss used_column_renamed "$work/renamed.csv" "column Ref missing from the data"
rewrite "$work/kind.csv" '[rows[0]] + [r[:2] + ["soon"] + r[3:] for r in rows[1:]]'
expect_miss used_column_kind "$work/kind.csv" "column Booked is now text, was date"
sed 's/^"A\([0-9]\)"/A\1/' "$work/data.csv" > "$work/noquote.csv"
expect_hit no_quoted_field "$work/noquote.csv"           # a quiet quarter: reads the same under either quoting
# the other way round: a plan drafted on a file without quotes does not fit a quoted file
"$mf" onboard --client PLAIN --mapping "$work/mapping.csv" --data "$work/noquote.csv" --out "$work/o7" --yes --no-load \
  >/dev/null 2>&1 || fail "onboard PLAIN"
expect_miss quoted_after_plain "$work/data.csv" 'quote " was none' PLAIN

# the mapping's content: a changed rule misses ("mapping changed") and drafts again
sed 's/As is$/As is./' "$work/mapping.csv" > "$work/mapping2.csv"
set +e
"$mf" onboard --client ACME --mapping "$work/mapping2.csv" --data "$work/data.csv" --out "$work/o9" --yes --no-load \
  >"$work/o9.out" 2>&1
set -e
grep -q "cache miss: mapping changed" "$work/o9.out" || fail "a changed mapping: $(cat "$work/o9.out")"
echo "cache_key: ok"
