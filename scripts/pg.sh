#!/usr/bin/env bash
# pg.sh — a project-local PostgreSQL for the tests and for trying --store / --db by hand.
#
# Installs PostgreSQL from Debian's packages when absent (postgresql, libpq-dev), initialises a
# cluster in .pg/ (git-ignored), starts it on 127.0.0.1:${MAPFORGE_PG_PORT:-55432} (unix socket
# in /tmp) and prints the connection URL on stdout — nothing else goes to stdout.  Idempotent:
# when the cluster already runs it only prints the URL.  `scripts/pg.sh stop` stops it.
#
# initdb refuses to run as root, so as root (CI) the cluster belongs to the `postgres` OS user
# (created by the Debian package) and every server command runs through runuser.  The cluster's
# superuser is the role "mapforge", trusted on local connections only (a test database).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${MAPFORGE_PG_PORT:-55432}
dir=$root/.pg
url="postgresql://mapforge@127.0.0.1:$port/mapforge"

log() { echo "pg.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ] || [ ! -f /usr/include/postgresql/libpq-fe.h ]; then
  log "installing postgresql and libpq-dev"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql libpq-dev >/dev/null
fi
bin=$(bindir)

# Run a server command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
  [ -f "$dir/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >&2 || true
  exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  log "initialising a cluster in $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_owner "$bin/initdb" -D "$dir" -U mapforge --auth=trust -E UTF8 --no-locale >"$dir.initdb.log" 2>&1 ||
    { cat "$dir.initdb.log" >&2; exit 1; }
  rm -f "$dir.initdb.log"
fi

if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  log "starting PostgreSQL on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >&2 ||
    { tail -20 "$dir/server.log" >&2; exit 1; }
fi

psql_admin() { "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U mapforge -d postgres -tA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'mapforge'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE mapforge" >&2
fi
echo "$url"
