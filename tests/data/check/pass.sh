#!/bin/sh
# A validator that passes when both paths it is given exist: $1 the output CSV, $2 run.json.
[ -f "$1" ] && [ -f "$2" ] || { echo "missing argument files: '$1' '$2'" >&2; exit 1; }
echo '{"status": "pass", "findings": []}'
