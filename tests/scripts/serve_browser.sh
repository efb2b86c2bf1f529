#!/usr/bin/env bash
# serve_browser.sh MAPFORGE — the review web app in a real browser: starts `mapforge serve
# --four-eyes` on a free port with a temporary store holding one open review of examples/acme_gl
# and three users, then runs tests/web/review.mjs (playwright-core driving Debian's Chromium):
# sign in, open the plan, feedback and its diff, a reviewer cannot approve, a forged POST without
# the CSRF token is refused, the review resumed after the browser closed shows the last version,
# the author cannot approve under four-eyes, another approver approves, runs, watches the progress
# to the end and reads the row accounting; the finished run reaches the webhook (a local receiver).
# Screenshots go to BUILD/web-test-output/.
#
# Needs node, tests/web/node_modules (npm ci in tests/web; scripts/setup.sh does it) and Chromium;
# under CI=true a missing one fails the test, elsewhere it is skipped with a message.
set -uo pipefail
mf=$(realpath "${1:?usage: serve_browser.sh MAPFORGE}")
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(dirname "$mf")/web-test-output
chromium=${CHROMIUM:-/usr/bin/chromium}
missing=""
command -v node >/dev/null || missing="node"
[ -x "$chromium" ] || missing="$missing chromium($chromium)"
if [ -z "$missing" ] && [ ! -d "$root/tests/web/node_modules/playwright-core" ] && command -v npm >/dev/null; then
    (cd "$root/tests/web" && npm ci --no-audit --no-fund >/dev/null 2>&1)
fi
[ -d "$root/tests/web/node_modules/playwright-core" ] || missing="$missing playwright-core(npm ci in tests/web)"
if [ -n "$missing" ]; then
    if [ "${CI:-}" = true ]; then
        echo "serve_browser: FAIL: missing$missing (CI must not skip; scripts/setup.sh installs them)" >&2
        exit 1
    fi
    echo "serve_browser: skipped: missing$missing"
    exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mf_serve_web.XXXXXX")
pid=""
hpid=""
cleanup() {
    [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    [ -z "$hpid" ] || { kill "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null; }
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
echo "work: $work" >&2
export MAPFORGE_HOME=$work/home MAPFORGE_USER=analyst
unset MAPFORGE_STORE MAPFORGE_VALIDATOR MAPFORGE_WEBHOOK
rm -rf "$out" && mkdir -p "$out"

pw='browser test password'
for u in rita:reviewer alice:approver bob:approver; do
    echo "$pw" | "$mf" user add "${u%%:*}" --role "${u#*:}" >/dev/null || { echo "serve_browser: user add $u failed" >&2; exit 1; }
done
# An open review of the example: the terminal review leaves it open when its input ends (quit).
ex=$root/examples/acme_gl
cp "$ex/gl_extract.csv" "$work/gl_extract.csv"
"$mf" onboard --client ACME --mapping "$ex/mapping.xlsx" --data "$work/gl_extract.csv" --out "$work/out" \
    </dev/null >"$work/onboard.log" 2>&1
"$mf" audit log --json | grep -q '"event":"plan_drafted"' ||
    { echo "serve_browser: no review was opened: $(cat "$work/onboard.log")" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A webhook receiver: each POST body becomes a line of $work/hooks.
hport=$(free_port)
python3 - "$hport" "$work/hooks" <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as f:
            f.write(self.headers.get("Content-Type", "").encode() + b" " + body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
hpid=$!
port=$(free_port)
"$mf" serve --port "$port" --four-eyes --webhook "http://127.0.0.1:$hport/hook" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.1; done

BASE="http://127.0.0.1:$port" OUT="$out" CHROMIUM="$chromium" PASSWORD="$pw" \
    timeout 300 node "$root/tests/web/review.mjs"
rc=$?
# The finished run was posted to the webhook as a small JSON document.
if [ $rc -eq 0 ] && ! grep -q '^application/json {.*"client":"ACME".*"event":"run_finished".*"state":"loaded"' "$work/hooks" 2>/dev/null; then
    echo "serve_browser: FAIL: the webhook did not get the finished run: $(cat "$work/hooks" 2>/dev/null)" >&2
    rc=1
fi
[ $rc -eq 0 ] || { echo "--- server log" >&2; cat "$work/serve.log" >&2; }
echo "screenshots: $out"
exit $rc
