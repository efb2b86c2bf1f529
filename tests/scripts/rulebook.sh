#!/usr/bin/env bash
# rulebook.sh MAPFORGE — the rulebook end to end (issue 8, docs/rulebook.md), on SQLite and, when
# MAPFORGE_TEST_PG is set, on a fresh PostgreSQL database too:
#   client A's mapping has rules the vocabulary cannot read → the plan asks → a reviewer answers in
#   the terminal review and approves → two entries learned (a --yes approval of a pure draft and an
#   unapproved answer teach nothing) → client B (same sentences, other column names and values)
#   onboards with --yes and no question, its provenance naming A's entry, its output right → a
#   learned reading the sample rejects becomes a question naming the entry → a reviewer refuses an
#   entry for one plan (/unlearn): that column asks again naming the entry, audited, the entry still
#   read for others → two readings of one shape ask, showing both → retiring is an admin action
#   (a reviewer or an unknown user is refused and a denied event recorded) → a retired entry is not
#   used → export / import between stores gives the same entries, says what is already present,
#   and a changed export file is refused.
set -uo pipefail
mf=$(realpath "${1:?usage: rulebook.sh MAPFORGE}")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_rulebook.XXXXXX")
pgdb=""
cleanup() {
    [ -n "$pgdb" ] && PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" \
        -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
echo "work: $work" >&2
unset MAPFORGE_STORE MAPFORGE_VALIDATOR
fails=0
fail() { echo "rulebook: FAIL: $*" >&2; fails=$((fails + 1)); }
has() {   # FILE TEXT...: each text appears in FILE (comments unwrapped onto one line)
    local f=$1; shift
    local flat
    flat=$(sed -z 's/\n *# / /g' "$f")
    for t in "$@"; do grep -qF -- "$t" <<<"$flat" || fail "$(basename "$f") lacks: $t"; done
}
lacks() {
    local f=$1; shift
    for t in "$@"; do grep -qF -- "$t" "$f" && fail "$(basename "$f") has: $t"; done
}
count() { "$mf" rulebook list --json "$@" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

mapping() {   # FILE SRC1 SRC2 DIVISOR SUFFIX
    cat >"$1" <<EOF
Target table: PAYMENTS
Source Field,Target Field,Type,Rule,Mandatory
$2,REF,Varchar(10),As is,Y
$3,AMOUNT,"Decimal(18,2)",As is,Y
$3,FEE,"Decimal(18,2)",Gloop $3 by $4,N
$2,TAG,Varchar(20),Frobnicate with '$5',N
EOF
}
mapping "$work/a_map.csv" Ref Amount 100 EU
printf 'Ref,Amount\nA1,1000.00\nA2,2050.00\nA3,700.00\n' >"$work/a.csv"
mapping "$work/b_map.csv" Code Value 1000 US
printf 'Code,Value\nB1,1000.00\nB2,2500.00\n' >"$work/b.csv"
# D: the same FEE sentence, but dividing by 7 leaves more than 2 decimals on most rows
mapping "$work/d_map.csv" Code Value 7 US
printf 'Code,Value\nD1,10.00\nD2,20.00\nD3,30.00\nD4,40.00\n' >"$work/d.csv"
# a mapping the vocabulary reads completely
cat >"$work/c_map.csv" <<'EOF'
Target table: PAYMENTS
Source Field,Target Field,Type,Rule,Mandatory
Ref,REF,Varchar(10),As is,Y
EOF

draft() {   # CLIENT MAPPING DATA OUT: a fresh draft shown in the review, left open (OUT.txt)
    printf '/quit\n' | "$mf" onboard --client "$1" --mapping "$2" --data "$3" --out "$4" >"$4.txt" 2>&1
}
entry_id() {   # CLIENT WORD: the id of the client's entry whose shape holds WORD
    "$mf" rulebook list --json --client "$1" | python3 -c \
        'import json,sys; print([e["id"] for e in json.load(sys.stdin) if sys.argv[1] in e["shape"]][0])' "$2"; }
tag_id() { entry_id "$1" frobnicate; }
status_of() { "$mf" rulebook show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }

suite() {   # NAME: the store is MAPFORGE_HOME / MAPFORGE_STORE as exported by the caller
    local n=$1 o=$work/$1
    mkdir -p "$o"
    export MAPFORGE_USER=carol
    # E's review is opened before anything is learned (it stays open, to be answered later)
    mapping "$work/e_map.csv" Ref Amount 100 XX
    printf '/quit\n' | "$mf" onboard --client E --mapping "$work/e_map.csv" --data "$work/a.csv" --out "$o/e0" \
        >"$o/e0.txt" 2>&1
    export MAPFORGE_USER=alice
    # an unapproved answer teaches nothing
    printf '/answer 1 [Amount] read as number divided by 100\n/quit\n' |
        "$mf" onboard --client A --mapping "$work/a_map.csv" --data "$work/a.csv" --out "$o/quit" >"$o/quit.txt" 2>&1
    [ "$(count)" = 0 ] || fail "$n: an unapproved answer was learned"
    # A: the plan asks; the reviewer answers both questions and approves
    "$mf" plan --client A --mapping "$work/a_map.csv" --data "$work/a.csv" --out "$o/plana" >"$o/plana.txt" 2>&1
    [ $? -eq 2 ] || fail "$n: A's plan should ask (exit 2)"
    has "$o/plana.txt" "FEE" "= ?" "Gloop Amount by 100"
    printf '/answer 1 [Ref] & "EU"\n/approve\n' |
        "$mf" onboard --client A --mapping "$work/a_map.csv" --data "$work/a.csv" --out "$o/a" --no-load \
            >"$o/a.txt" 2>&1 || fail "$n: A's review exited $?"
    has "$o/a.txt" "approved plan v" "learned entry" "from {c0}: gloop {c1} by {n0}" "from {c0}: frobnicate with {s0}"
    [ "$(count --client A)" = 2 ] || fail "$n: A should have taught 2 entries, has $(count --client A)"
    # the approved plan file is the record: each answered column says who answered, when and what
    python3 - "$o/a/plan.txt" <<'PY' || fail "$n: A's plan.txt does not record who answered"
import re, sys
t = re.sub(r"\n +# ", " ", open(sys.argv[1]).read())   # wrapped provenance joined back
assert re.search(r"Frobnicate with 'EU' \u2014 answered by alice on \d{4}-\d\d-\d\d: \[Ref\] & \"EU\"", t), t
assert re.search(r"Gloop Amount by 100 \u2014 answered by alice on \d{4}-\d\d-\d\d: ", t), t
PY
    # --yes on a plan the vocabulary read: nothing learned
    "$mf" onboard --client C --mapping "$work/c_map.csv" --data "$work/a.csv" --out "$o/c" --no-load --yes \
        >"$o/c.txt" 2>&1 || fail "$n: C exited $?"
    [ "$(count)" = 2 ] || fail "$n: a --yes approval of a draft was learned"
    # B: no question, provenance names A's entry, the output is right
    export MAPFORGE_USER=bob
    "$mf" onboard --client B --mapping "$work/b_map.csv" --data "$work/b.csv" --out "$o/b" --no-load --yes \
        >"$o/b.txt" 2>&1 || fail "$n: B exited $? (it should need no answer)"
    has "$o/b/plan.txt" "[Value] read as number, divided by 1000" '[Code] & "US"' \
        "Gloop Value by 1000 — learned from A plan v" "approved by alice on" "(rulebook entry"
    lacks "$o/b/plan.txt" "question about"
    printf 'REF,AMOUNT,FEE,TAG\nB1,1000.00,1.00,B1US\nB2,2500.00,2.50,B2US\n' >"$o/b_expected.csv"
    cmp -s "$o/b/PAYMENTS.csv" "$o/b_expected.csv" || fail "$n: B's output: $(cat "$o/b/PAYMENTS.csv")"
    [ "$(count)" = 2 ] || fail "$n: B's --yes approval of learned readings was learned again"
    # D: the learned reading rejects most sampled rows → a question naming the entry
    draft D "$work/d_map.csv" "$work/d.csv" "$o/d"
    has "$o/d.txt" "question about FEE" "learned from A plan v" "rulebook entry"
    # B2: the reviewer refuses A's FEE entry for this plan only; FEE asks again naming the entry,
    # the refusal is audited, and the entry stays valid (and is still read for F below)
    export MAPFORGE_USER=bob
    local fee
    fee=$(entry_id A gloop)
    printf '/unlearn REF\n/unlearn FEE\n/approve\n/quit\n' |
        "$mf" onboard --client B2 --mapping "$work/b_map.csv" --data "$work/b.csv" --out "$o/b2" >"$o/b2.txt" 2>&1
    has "$o/b2.txt" "the reading of REF did not come from the rulebook" \
        "rulebook entry $fee refused for FEE in this plan; FEE is an open question again" \
        "question about FEE (row 5)" "(rulebook entry $fee, learned from A plan v" "was refused for this plan by bob" \
        "cannot approve plan v"
    has "$o/b2/plan.txt" "Gloop Value by 1000 — changed by bob on" '[Code] & "US"'
    grep -qE '^FEE +decimal\(18,2\) += \?' "$o/b2/plan.txt" || fail "$n: B2's FEE is not an open question again"
    [ "$(status_of "$fee")" = valid ] || fail "$n: refusing entry $fee for one plan retired it"
    "$mf" audit log >"$o/log_b2.txt" 2>&1
    has "$o/log_b2.txt" "rulebook_rejected" '"scope":"this plan only"'
    # E answers FEE as A did and the TAG sentence otherwise: a second reading of that shape
    export MAPFORGE_USER=carol
    printf '/answer 1 [Amount] read as number divided by 100\n/answer 1 "XX" & [Ref]\n/approve\n' |
        "$mf" onboard --client E --mapping "$work/e_map.csv" --data "$work/a.csv" --out "$o/e" --no-load \
            >"$o/e.txt" 2>&1 || fail "$n: E's review exited $?"
    [ "$(count)" = 4 ] || fail "$n: E's readings should be entries 3 and 4, not $(count)"
    "$mf" rulebook export "$o/rules_both.jsonl" >/dev/null 2>&1 || fail "$n: export exited $?"
    draft F1 "$work/b_map.csv" "$work/b.csv" "$o/f"
    has "$o/f.txt" "2 different readings" '[Code] & "US"' '"US" & [Code]' "from A plan v" "from E plan v" \
        "Gloop Value by 1000 — learned from A plan v"
    # retire A's TAG entry (everyone): an admin action once the store has users
    local tag etag
    tag=$(tag_id A)
    etag=$(tag_id E)
    "$mf" rulebook retire "$tag" >"$o/retire0.txt" 2>&1 && fail "$n: retire without --comment was accepted"
    printf 'admin-pass-1\n' | "$mf" user add root --role admin >/dev/null 2>&1 || fail "$n: user add root"
    printf 'review-pass-1\n' | "$mf" user add rita --role reviewer >/dev/null 2>&1 || fail "$n: user add rita"
    "$mf" rulebook retire "$tag" --as rita --comment "not mine to retire" >"$o/retire_rita.txt" 2>&1 &&
        fail "$n: a reviewer retired an entry"
    has "$o/retire_rita.txt" "refused" "role reviewer cannot retire a rulebook entry (needs admin)"
    MAPFORGE_USER=mallory "$mf" rulebook retire "$tag" --comment "who am I" >"$o/retire_mallory.txt" 2>&1 &&
        fail "$n: an unknown user retired an entry"
    has "$o/retire_mallory.txt" "refused" "mallory is not a user of this store"
    [ "$(status_of "$tag")" = valid ] || fail "$n: a refused retire changed entry $tag"
    "$mf" audit log >"$o/log_denied.txt" 2>&1
    has "$o/log_denied.txt" "rita  denied" "mallory  denied" "retire a rulebook entry"
    web_unlearn "$n"
    "$mf" rulebook retire "$tag" --as root --comment "suffix, not prefix, only for A" >"$o/retire.txt" 2>&1 ||
        fail "$n: retire exited $?"
    "$mf" rulebook show "$tag" >"$o/show.txt" 2>&1
    has "$o/show.txt" "retired" "by root: suffix, not prefix, only for A"
    draft F2 "$work/b_map.csv" "$work/b.csv" "$o/f2"
    has "$o/f2.txt" '"US" & [Code]' "learned from E plan v"
    lacks "$o/f2.txt" '[Code] & "US"'
    # retire E's too: the TAG question comes back
    "$mf" rulebook retire "$etag" --as root --comment "no reading for everyone" >/dev/null 2>&1 || fail "$n: retire 2"
    draft F3 "$work/b_map.csv" "$work/b.csv" "$o/f3"
    has "$o/f3.txt" "question about TAG"
    # every addition, use, conflict and retirement is in the audit trail, which verifies
    "$mf" audit log >"$o/log.txt" 2>&1
    has "$o/log.txt" rulebook_added rulebook_used rulebook_conflict rulebook_retired rulebook_rejected
    "$mf" audit verify >/dev/null 2>&1 || fail "$n: audit verify failed"
    "$mf" rulebook export "$o/rules.jsonl" >"$o/export.txt" 2>&1 || fail "$n: export exited $?"
    dates "$n"
}

# The web review: the Provenance table offers "Reject entry N for this plan" beside a column read
# from the rulebook; a reviewer's POST makes the column a question again (audited as hers); a viewer
# is refused (403, a denied event).
web_unlearn() {
    local n=$1 o=$work/$1
    command -v curl >/dev/null || { fail "$n: curl is needed for the web review"; return; }
    draft W "$work/b_map.csv" "$work/b.csv" "$o/w"
    local rid fee port base jar=$o/jar vjar=$o/vjar pw='web-pass-123' pid tok code page
    rid=$("$mf" reviews --client W --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reviews"][0]["id"])')
    fee=$(entry_id A gloop)
    printf '%s\n' "$pw" | "$mf" user add vera --role viewer >/dev/null 2>&1 || fail "$n: user add vera"
    printf '%s\n' "$pw" | "$mf" user passwd rita >/dev/null 2>&1 || fail "$n: user passwd rita"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$mf" serve --port "$port" >"$o/serve.log" 2>&1 &
    pid=$!
    base="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
    signin() {   # JAR USER
        local pre
        pre=$(curl -s -c "$1" -b "$1" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
        curl -s -c "$1" -b "$1" -o /dev/null -w '%{http_code}' --data-urlencode "pre=$pre" \
            --data-urlencode "user=$2" --data-urlencode "password=$pw" "$base/login"
    }
    [ "$(signin "$jar" rita)" = 303 ] || fail "$n: rita's sign-in"
    [ "$(signin "$vjar" vera)" = 303 ] || fail "$n: vera's sign-in"
    curl -s -b "$jar" "$base/review?id=$rid" >"$o/w_page.html"
    has "$o/w_page.html" 'action="/review/unlearn"' "name=\"column\" value=\"FEE\"" "Reject entry $fee for this plan"
    tok=$(grep -o 'name="csrf" value="[0-9a-f]*' "$o/w_page.html" | head -1 | cut -d'"' -f4)
    code=$(curl -s -b "$vjar" -o /dev/null -w '%{http_code}' -H "Origin: $base" \
        -d "id=$rid&column=FEE&csrf=$(curl -s -b "$vjar" "$base/review?id=$rid" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)" \
        "$base/review/unlearn")
    [ "$code" = 403 ] || fail "$n: a viewer's refusal of an entry: $code, expected 403"
    code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $base" -d "id=$rid&column=FEE&csrf=$tok" \
        "$base/review/unlearn")
    [ "$code" = 303 ] || fail "$n: rita's refusal of entry $fee: $code"
    curl -s -b "$jar" "$base/review?id=$rid" >"$o/w_page2.html"
    has "$o/w_page2.html" "(rulebook entry $fee, learned from A plan v" "was refused for this plan by rita"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$mf" audit log --json >"$o/w_log.json" 2>&1
    python3 - "$o/w_log.json" "$fee" <<'PY' || fail "$n: the web refusal is not audited as rita's, or the viewer's try not denied"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert any(e["event"] == "rulebook_rejected" and e["actor"] == "rita" and e["subject"] == sys.argv[2] for e in ev), ev[-5:]
assert any(e["event"] == "denied" and e["actor"] == "vera" for e in ev), ev[-5:]
PY
    [ "$(status_of "$fee")" = valid ] || fail "$n: the web refusal retired entry $fee"
}

# Dates are slots: a reading learned from "… 31/12/2023" reads another client's "… 30/06/2024"
# (written in the reading's own pattern), and a date the entry's day-first order cannot read
# (06/30/2024) is asked about, naming the entry, never read with day and month swapped.
dates() {
    local n=$1 o=$work/$1
    date_map() {   # FILE SRC DATE
        printf 'Target table: AGES\nSource Field,Target Field,Type,Rule,Mandatory\n%s,DAYS_LEFT,Integer,Zlorp %s till %s,N\n' \
            "$2" "$2" "$3" >"$1"
    }
    date_map "$work/da_map.csv" "Pay Dt" 31/12/2023
    printf 'Ref,Pay Dt\nA1,01/12/2023\nA2,15/12/2023\n' >"$work/da.csv"
    date_map "$work/db_map.csv" "Due Dt" 30/06/2024
    date_map "$work/dc_map.csv" "Due Dt" 06/30/2024
    printf 'Code,Due Dt\nB1,01/06/2024\nB2,20/06/2024\n' >"$work/db.csv"
    export MAPFORGE_USER=alice
    printf '/answer 1 days from [Pay Dt] read as DD/MM/YYYY to "31/12/2023" read as DD/MM/YYYY\n/approve\n' |
        "$mf" onboard --client DA --mapping "$work/da_map.csv" --data "$work/da.csv" --out "$o/da" --no-load \
            >"$o/da.txt" 2>&1 || fail "$n: DA's review exited $?"
    has "$o/da.txt" "learned entry" "from {c0}: zlorp {c1} till {d0}"
    "$mf" rulebook show "$(entry_id DA zlorp)" >"$o/da_show.txt" 2>&1
    has "$o/da_show.txt" "{c0} read as DD/MM/YYYY to {s:d0:dmy} read as DD/MM/YYYY"
    "$mf" onboard --client DB --mapping "$work/db_map.csv" --data "$work/db.csv" --out "$o/db" --no-load --yes \
        >"$o/db.txt" 2>&1 || fail "$n: DB exited $? (the date slot should read it)"
    has "$o/db/plan.txt" '"30/06/2024" read as DD/MM/YYYY' "Zlorp Due Dt till 30/06/2024 — learned from DA plan v"
    printf 'DAYS_LEFT\n29\n10\n' >"$o/db_expected.csv"
    cmp -s "$o/db/AGES.csv" "$o/db_expected.csv" || fail "$n: DB's output: $(cat "$o/db/AGES.csv")"
    "$mf" onboard --client DC --mapping "$work/dc_map.csv" --data "$work/db.csv" --out "$o/dc" --no-load --yes \
        >"$o/dc.txt" 2>&1
    [ $? -eq 2 ] || fail "$n: DC should ask (exit 2): its date is no day-first date"
    has "$o/dc.txt" "question about DAYS_LEFT" "learned from DA plan v" \
        "the rule's date 06/30/2024 is no date read day first, as the learned rule's date was"
    lacks "$o/dc/plan.txt" '"2024-06-30"' '"30/06/2024"'
}

strip_ids() { "$mf" rulebook list --json | python3 -c \
    'import json,sys; print(json.dumps([{k: v for k, v in e.items() if k != "id"} for e in json.load(sys.stdin)], sort_keys=True))'; }
file_entries() { python3 -c '
import json,sys
lines = open(sys.argv[1]).read().splitlines()[1:-1]
print(json.dumps([{k: v for k, v in json.loads(l).items() if k != "id"} for l in lines], sort_keys=True))' "$1"; }

export MAPFORGE_HOME=$work/home_sqlite
suite sqlite

if [ -n "${MAPFORGE_TEST_PG:-}" ]; then
    command -v psql >/dev/null || fail "MAPFORGE_TEST_PG is set but psql is missing"
    pgdb=mf_rulebook_$$
    PGOPTIONS="-c client_min_messages=warning" psql -qtAX "$MAPFORGE_TEST_PG" -c "CREATE DATABASE $pgdb" >/dev/null ||
        fail "cannot create database $pgdb"
    pgurl=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' \
        "$MAPFORGE_TEST_PG" "$pgdb")
    export MAPFORGE_HOME=$work/home_pg MAPFORGE_STORE=$pgurl
    suite pg
    # SQLite → PostgreSQL: every entry is already present (same readings, same plans), nothing new
    "$mf" rulebook import "$work/sqlite/rules.jsonl" >"$work/imp_pg.txt" 2>&1 || fail "import into pg exited $?"
    has "$work/imp_pg.txt" "0 new, 4 already present"
    unset MAPFORGE_STORE
elif [ -n "${CI:-}" ]; then
    fail "MAPFORGE_TEST_PG is not set, and CI must not skip the PostgreSQL store"
fi

# export → import into an empty store gives the same entries; again: already present
export MAPFORGE_HOME=$work/home_fresh
src=$work/sqlite/rules.jsonl
[ -n "$pgdb" ] && src=$work/pg/rules.jsonl   # PostgreSQL → SQLite when both ran
"$mf" rulebook import "$src" >"$work/imp1.txt" 2>&1 || fail "import exited $?"
has "$work/imp1.txt" "4 new, 0 already present"
[ "$(strip_ids)" = "$(file_entries "$src")" ] || fail "the imported entries differ from the exported ones"
"$mf" rulebook import "$src" >"$work/imp2.txt" 2>&1 || fail "second import exited $?"
has "$work/imp2.txt" "0 new, 4 already present"
"$mf" audit log >"$work/log_fresh.txt" 2>&1
has "$work/log_fresh.txt" rulebook_imported rulebook_added
# an entry whose shape a valid entry reads otherwise is imported as conflicting (the planner asks)
export MAPFORGE_HOME=$work/home_conflict
"$mf" rulebook import "$work/sqlite/rules_both.jsonl" >"$work/imp4.txt" 2>&1 || fail "import 4 exited $?"
has "$work/imp4.txt" "3 new, 0 already present, 1 conflicting" "conflicting     #4 E v3 row 6"
# a changed export is refused, nothing imported
sed 's/divided by/multiplied by/' "$src" >"$work/tampered.jsonl"
export MAPFORGE_HOME=$work/home_tampered
"$mf" rulebook import "$work/tampered.jsonl" >"$work/imp3.txt" 2>&1 && fail "a tampered export was imported"
has "$work/imp3.txt" "refused"
[ "$(count)" = 0 ] || fail "a refused import left entries"

# a hand-edited plan file: the column that was an open question in the client's last version and is
# read now is learned when a person approves the file (approve --plan)
export MAPFORGE_HOME=$work/home_hand MAPFORGE_USER=dave
cat >"$work/g_map.csv" <<'EOF'
Target table: PAYMENTS
Source Field,Target Field,Type,Rule,Mandatory
Ref,REF,Varchar(10),As is,Y
Ref,TAG,Varchar(20),Zorp Ref into 'Q',N
EOF
draft G "$work/g_map.csv" "$work/a.csv" "$work/g"
sed -i 's/= ?  /= [Ref] \& "Q"/; /^question about/d' "$work/g/plan.txt"
"$mf" approve --plan "$work/g/plan.txt" --client G --data "$work/a.csv" >"$work/g_approve.txt" 2>&1 ||
    fail "approve --plan exited $?"
has "$work/g_approve.txt" "learned entry" "from {c0}: zorp {c1} into {s0}"
[ "$(count --client G)" = 1 ] || fail "the hand-edited column was not learned"

if [ $fails -ne 0 ]; then
    for f in "$work"/sqlite/*.txt; do echo "--- $f"; cat "$f"; done
    exit 1
fi
echo "rulebook: ok"
