#!/usr/bin/env bash
# cli_docs.sh MAPFORGE — docs/cli.md is exactly what `mapforge help --markdown` prints (both come from
# the tables in src/cli/args.c), and every command in it answers --help with its own usage line.
set -euo pipefail
mf=${1:?usage: cli_docs.sh MAPFORGE}
if ! "$mf" help --markdown | diff -u docs/cli.md - ; then
    echo "docs/cli.md is out of date: regenerate it with: build/mapforge help --markdown > docs/cli.md" >&2
    exit 1
fi
for c in $(grep '^## ' docs/cli.md | sed 's/^## //' | grep -v ' '); do
    # the whole output first: under pipefail, `mf | head -1` kills a help longer than a pipe write with SIGPIPE
    out=$("$mf" "$c" --help)
    grep -q "^usage: mapforge $c " <<<"${out%%$'\n'*}" || { echo "mapforge $c --help: no usage line" >&2; exit 1; }
    out=$("$mf" help "$c")
    grep -q "^usage: mapforge $c " <<<"${out%%$'\n'*}" || { echo "mapforge help $c: no usage line" >&2; exit 1; }
done
echo "docs/cli.md matches the command table"
