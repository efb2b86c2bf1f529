#!/usr/bin/env bash
# serve_upload.sh MAPFORGE — starting a review by upload (GET /new, POST /review/new), the cases a
# second read found (no language model needed):
#   - an upload the workflow refuses (a mapping that does not read) leaves nothing under
#     HOME/web-uploads;
#   - a mapping and a data file sent under the same name are both kept (the review opens);
#   - a viewer's large upload is refused at 64 KiB (413) before it is held in memory, not after 32 MiB;
#   - only MAX_UPLOADS_AT_ONCE (4) large uploads are held at once: a fifth is answered 503; a body
#     announced over 32 MiB does not keep a slot while it is read and thrown away;
#   - a review started by upload is audited (review_uploaded: who, from where, sizes, digests);
#   - the names sent never leave the upload directory, and hostile names are not echoed as markup.
set -uo pipefail
mf=$(realpath "${1:?usage: serve_upload.sh MAPFORGE}")
work=$(mktemp -d "${TMPDIR:-/tmp}/mf_serve_up.XXXXXX")
spid=""
cleanup() {
    [ -z "$spid" ] || { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
export MAPFORGE_HOME=$work/home MAPFORGE_USER=admin-cli
unset MAPFORGE_STORE MAPFORGE_VALIDATOR MAPFORGE_WEBHOOK MAPFORGE_LLM OPENAI_API_KEY ANTHROPIC_API_KEY
fails=0
fail() { echo "serve_upload: FAIL: $*" >&2; fails=$((fails + 1)); }
command -v curl >/dev/null || { echo "serve_upload: curl is needed" >&2; exit 1; }
case_dir=$(cd "$(dirname "$0")/../llm/case" && pwd)

pw='correct horse battery'
echo "$pw" | "$mf" user add bob --role reviewer >/dev/null || { echo "user add bob" >&2; exit 1; }
echo "$pw" | "$mf" user add vic --role viewer >/dev/null || { echo "user add vic" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$mf" serve --port "$port" >"$work/serve.log" 2>&1 &
spid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done

signin() {   # USER JAR
    local pre code
    pre=$(curl -s -c "$2" -b "$2" "$base/login" | grep -o 'name="pre" value="[0-9a-f]*' | cut -d'"' -f4)
    code=$(curl -s -c "$2" -b "$2" -o /dev/null -w '%{http_code}' --data-urlencode "pre=$pre" \
        --data-urlencode "user=$1" --data-urlencode "password=$pw" "$base/login")
    [ "$code" = 303 ] || fail "sign-in $1: $code"
}
signin bob "$work/bob"
signin vic "$work/vic"
tok=$(curl -s -b "$work/bob" "$base/new" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
[ -n "$tok" ] || fail "no upload form for a reviewer"
uploads=$MAPFORGE_HOME/web-uploads

# 1. a refused upload leaves nothing behind
printf 'not a mapping at all\n\x01\x02\n' >"$work/bad.csv"
code=$(curl -s -b "$work/bob" -o "$work/bad.html" -w '%{http_code}' -H "Origin: $base" -F "csrf=$tok" -F "client=UP" \
    -F "mapping=@$work/bad.csv" -F "data=@$case_dir/data.csv" "$base/review/new")
[ "$code" = 400 ] || fail "a mapping that does not read: $code"
left=$(find "$uploads" -mindepth 1 2>/dev/null)
[ -z "$left" ] || fail "a refused upload left files behind: $left"

# 2. the same name for both files: both kept, the review opens
code=$(curl -s -b "$work/bob" -o "$work/same.html" -w '%{http_code}' -H "Origin: $base" -F "csrf=$tok" -F "client=UP" \
    -F "mapping=@$case_dir/mapping.csv;filename=data.csv" -F "data=@$case_dir/data.csv;filename=data.csv" \
    "$base/review/new")
[ "$code" = 303 ] || fail "mapping and data both named data.csv: $code: $(grep -o '<p class="error">[^<]*' "$work/same.html")"
n=$(find "$uploads" -mindepth 2 -type f | wc -l)
[ "$n" = 2 ] || fail "expected the two files kept, found $n: $(find "$uploads")"

# 3. the upload is audited, with digests
sha=$(sha256sum "$case_dir/data.csv" | cut -d' ' -f1)
"$mf" audit log --client UP --json | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin if l.strip()]
up = [e for e in ev if e["event"] == "review_uploaded"]
assert len(up) == 1, [e["event"] for e in ev]
d = up[0]["details"]
assert up[0]["actor"] == "bob", up[0]
assert d["data_sha256"] == sys.argv[1] and d["address"] == "127.0.0.1" and int(d["data_bytes"]) > 0, d
' "$sha" || fail "no review_uploaded audit event with its digests"

# 4. a viewer's large upload is cut at 64 KiB (413), not buffered up to 32 MiB and then refused (403)
head -c 200000 /dev/zero | tr '\0' 'x' >"$work/big.csv"
vtok=$(curl -s -b "$work/vic" "$base/" | grep -o 'name="csrf" value="[0-9a-f]*' | head -1 | cut -d'"' -f4)
code=$(curl -s -b "$work/vic" -o /dev/null -w '%{http_code}' -H "Origin: $base" -F "csrf=$vtok" -F "client=UP" \
    -F "mapping=@$case_dir/mapping.csv" -F "data=@$work/big.csv" "$base/review/new")
[ "$code" = 413 ] || fail "a viewer's large upload: $code (want 413)"

# 4b. a viewer's small upload is refused (403, audited) and a cross-origin one too; neither leaves a file
before=$(find "$uploads" -type f | wc -l)
code=$(curl -s -b "$work/vic" -o /dev/null -w '%{http_code}' -H "Origin: $base" -F "csrf=$vtok" -F "client=UP" \
    -F "mapping=@$case_dir/mapping.csv" -F "data=@$case_dir/data.csv" "$base/review/new")
[ "$code" = 403 ] || fail "a viewer's upload: $code (want 403)"
code=$(curl -s -b "$work/bob" -o /dev/null -w '%{http_code}' -H "Origin: http://evil.example" -F "csrf=$tok" \
    -F "client=UP" -F "mapping=@$case_dir/mapping.csv" -F "data=@$case_dir/data.csv" "$base/review/new")
[ "$code" = 403 ] || fail "a cross-origin upload: $code (want 403)"
# a body with LF-only line ends does not follow the boundary: an empty form, refused by the CSRF check
printf -- '--B\ncontent-disposition: form-data; name="csrf"\n\n%s\n--B--\n' "$tok" >"$work/lf.txt"
code=$(curl -s -b "$work/bob" -o /dev/null -w '%{http_code}' -H "Origin: $base" \
    -H 'Content-Type: multipart/form-data; boundary=B' --data-binary "@$work/lf.txt" "$base/review/new")
[ "$code" = 403 ] || fail "an LF-only multipart body: $code (want 403)"
[ "$(find "$uploads" -type f | wc -l)" = "$before" ] || fail "a refused upload wrote files"
"$mf" audit log --json | grep -q '"role viewer cannot start a review' || fail "the viewer's refusal is not audited"

# 5. a fifth large upload at once is answered 503; the four held ones complete afterwards
python3 - "$port" "$(grep -o 'mf_session[[:space:]]*[0-9a-f]*' "$work/bob" | awk '{print $2}')" <<'EOF' || fail "the upload slots are not bounded"
import socket, sys, time
port, sess = int(sys.argv[1]), sys.argv[2]
def start():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("POST /review/new HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: mf_session=%s\r\n"
               "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 1000000\r\n\r\n" % sess).encode())
    s.sendall(b"--XyZ\r\n" + b"x" * 70000)
    return s
held = [start() for _ in range(4)]
time.sleep(0.5)
s = start()
s.sendall(b"y" * (1000000 - 7 - 70000))
got = s.recv(200).decode("latin-1")
assert " 503 " in got.split("\r\n")[0], got
for h in held:   # the held ones finish (their body is not a form: refused by the CSRF check, not busy)
    h.sendall(b"y" * (1000000 - 7 - 70000))
    line = h.recv(200).decode("latin-1").split("\r\n")[0]
    assert " 503 " not in line, line
    h.close()
# the slots are given back: one more is taken
time.sleep(0.5)
s = start(); s.sendall(b"y" * (1000000 - 7 - 70000))
line = s.recv(200).decode("latin-1").split("\r\n")[0]
assert " 503 " not in line, line
# bodies announced over 32 MiB give their slot back at once (they are only read and thrown away)
over = []
for _ in range(4):
    o = socket.create_connection(("127.0.0.1", port))
    o.sendall(("POST /review/new HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: mf_session=%s\r\n"
               "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 40000000\r\n\r\n" % sess).encode())
    o.sendall(b"--XyZ\r\n" + b"x" * 70000)
    over.append(o)
time.sleep(0.5)
s = start(); s.sendall(b"y" * (1000000 - 7 - 70000))
line = s.recv(200).decode("latin-1").split("\r\n")[0]
assert " 503 " not in line, "an over-limit body kept its slot: " + line
for o in over:
    o.close()
EOF

# 6. hostile names stay in the directory and off the page as markup
code=$(curl -s -b "$work/bob" -o "$work/h.html" -w '%{http_code}' -H "Origin: $base" -F "csrf=$tok" \
    --form-string "client=<b>X</b>" -F "mapping=@$case_dir/mapping.csv;filename=../../<i>..csv" \
    -F "data=@$case_dir/data.csv;filename=/etc/..." "$base/review/new")
[ "$code" = 303 ] || fail "hostile names: $code"
[ -z "$(find "$work" -name '*<i>*')" ] || fail "a hostile name reached the file system"
[ "$(find "$uploads" -mindepth 1 -maxdepth 1 -type f | wc -l)" = 0 ] || fail "a file outside a random folder"
for d in "$uploads"/*/; do
    [ "$(stat -c %a "$d")" = 700 ] || fail "upload folder $d is not owner-only"
    case "$(basename "$d")" in *[!0-9a-f]*) fail "upload folder name $(basename "$d") is not hex" ;; esac
    [ "$(basename "$d" | wc -c)" = 33 ] || fail "upload folder name is not 128 random bits"
done
curl -s -b "$work/bob" "$base/" | grep -q '<b>X</b>' && fail "a client name reached the dashboard as markup"

[ "$fails" = 0 ] || { echo "serve_upload: $fails failure(s)" >&2; exit 1; }
echo "serve_upload: ok"
