#!/bin/sh
# A validator that fails with two findings, naming the output's data row count.
rows=$(($(wc -l < "$1") - 1))
printf '{"status": "fail", "findings": [{"check": "amount_range", "message": "amounts over limit in %s rows", "rows": [2]}, {"check": "branch", "message": "unknown branch"}]}\n' "$rows"
