#!/usr/bin/env bash
# run_case.sh MAPFORGE CASE_DIR — run one case folder (tests as data, see tests/cases/README.md).
#
# cmd                       the command line after "mapforge"; $CASE is the case folder, $OUT a fresh
#                           output directory that does not exist yet (shell quoting allowed)
# env                       optional: VAR=value lines set for the command
# expected_exit             the exit status (a number), or "nonzero"
# expected/                 files compared byte for byte with the same names in $OUT
# expected_stdout_contains  each non-empty line must appear in stdout (fixed string)
# expected_stderr_contains  each non-empty line must appear in stderr
# expected_output_contains  each non-empty line must appear in stdout or stderr
# expect_no_files_in_out    marker: $OUT must hold no files afterwards (failure cases)
set -uo pipefail

mapforge=${1:?usage: run_case.sh MAPFORGE CASE_DIR}
CASE=${2:?usage: run_case.sh MAPFORGE CASE_DIR}
CASE=$(cd "$CASE" && pwd) || exit 1
name=$(basename "$CASE")
[ -f "$CASE/cmd" ] || { echo "case $name: no cmd file" >&2; exit 1; }
[ -f "$CASE/expected_exit" ] || { echo "case $name: no expected_exit file" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mapforge-case.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
OUT=$tmp/out
export CASE OUT
export MAPFORGE_HOME=$tmp/home   # the state store and warehouse of this case only (env may override)
unset MAPFORGE_STORE MAPFORGE_VALIDATOR

cmdline=$(grep -v '^[[:space:]]*#' "$CASE/cmd" | tr '\n' ' ')
if ! eval "args=($cmdline)"; then
    echo "case $name: cannot parse cmd: $cmdline" >&2; exit 1
fi
envs=()
if [ -f "$CASE/env" ]; then
    while IFS= read -r line; do
        [ -n "$line" ] && envs+=("$line")
    done < "$CASE/env"
fi

env "${envs[@]}" "$mapforge" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
rc=$?

problems=()
want=$(tr -d ' \r\n' < "$CASE/expected_exit")
if [ "$want" = nonzero ]; then
    [ "$rc" -ne 0 ] || problems+=("exit status 0, expected non-zero")
elif [ "$rc" -ne "$want" ]; then
    problems+=("exit status $rc, expected $want")
fi
[ "$rc" -lt 128 ] || problems+=("killed by signal $((rc - 128)) (a crash)")

check_contains() {   # FILE-OF-LINES STREAM-FILE LABEL
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        [ -n "$line" ] || continue
        grep -qF -- "$line" "$2" || problems+=("$3 does not contain: $line")
    done < "$1"
}
[ -f "$CASE/expected_stdout_contains" ] && check_contains "$CASE/expected_stdout_contains" "$tmp/stdout" stdout
[ -f "$CASE/expected_stderr_contains" ] && check_contains "$CASE/expected_stderr_contains" "$tmp/stderr" stderr
if [ -f "$CASE/expected_output_contains" ]; then
    cat "$tmp/stdout" "$tmp/stderr" > "$tmp/both"
    check_contains "$CASE/expected_output_contains" "$tmp/both" "stdout+stderr"
fi

if [ -d "$CASE/expected" ]; then
    for exp in "$CASE"/expected/*; do
        [ -f "$exp" ] || continue
        f=$(basename "$exp")
        if [ ! -f "$OUT/$f" ]; then
            problems+=("missing output file $f")
        elif ! cmp -s "$exp" "$OUT/$f"; then
            problems+=("$f differs from expected:
$(diff -u "$exp" "$OUT/$f" | head -n 40)")
        fi
    done
fi
if [ -f "$CASE/expect_no_files_in_out" ] && [ -d "$OUT" ]; then
    left=$(find "$OUT" -type f | sed "s|^$OUT/||" | tr '\n' ' ')
    [ -z "$left" ] || problems+=("output directory should hold no files, has: $left")
fi

if [ ${#problems[@]} -gt 0 ]; then
    echo "case $name: FAIL"
    echo "  command: mapforge ${args[*]}"
    for p in "${problems[@]}"; do echo "  - $p"; done
    echo "--- stdout"; head -c 4000 "$tmp/stdout"
    echo "--- stderr"; head -c 4000 "$tmp/stderr"
    exit 1
fi
echo "case $name: ok"
