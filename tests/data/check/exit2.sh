#!/bin/sh
# A validator that prints a passing verdict but exits non-zero: still a failure.
echo '{"status": "pass", "findings": []}'
echo "database unreachable" >&2
exit 2
