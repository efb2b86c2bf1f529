#!/usr/bin/env bash
# setup.sh — install what mapforge needs on a fresh Debian machine (idempotent, quiet when done).
# Build: a C17 compiler, CMake, Ninja, pkg-config and the -dev packages below.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config
      libzip-dev libexpat1-dev libjansson-dev libutf8proc-dev libpcre2-dev libssl-dev libsqlite3-dev zlib1g-dev libzstd-dev
      libcurl4-openssl-dev         # the language-model client (src/llm)
      libpq-dev postgresql
      libsodium-dev libmicrohttpd-dev   # the web app (mapforge serve): Argon2id passwords, HTTP(S)
      curl openssl chromium nodejs npm  # its tests: curl (tests/scripts/serve_security.sh), a browser (serve_browser.sh)
      sqlite3 bsdutils python3     # tests: tamper with / inspect SQLite files, drive a pty (script)
      clang libclang-rt-14-dev)    # the clang build of the tests, and the libFuzzer targets (tests/fuzz)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The browser tests' one npm package (playwright-core, pinned in tests/web/package-lock.json).
if [ ! -d "$(dirname "$0")/../tests/web/node_modules/playwright-core" ]; then
  echo "setup: npm ci in tests/web"
  (cd "$(dirname "$0")/../tests/web" && npm ci --no-audit --no-fund >/dev/null)
fi
