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
    # the whole text first: `mapforge ... | head -1` under pipefail fails when head exits before
    # mapforge has written the rest (SIGPIPE), which the longer help texts made happen at times
    out=$("$mf" "$c" --help)
    [[ "${out%%$'\n'*}" == "usage: mapforge $c "* ]] || { echo "mapforge $c --help: no usage line" >&2; exit 1; }
    out=$("$mf" help "$c")
    [[ "${out%%$'\n'*}" == "usage: mapforge $c "* ]] || { echo "mapforge help $c: no usage line" >&2; exit 1; }
done
echo "docs/cli.md matches the command table"
