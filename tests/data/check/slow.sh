#!/bin/sh
# A validator that never answers in time (its child sleep must be stopped too).
sleep 30
echo '{"status": "pass", "findings": []}'
