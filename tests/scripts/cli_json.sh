#!/usr/bin/env bash
# cli_json.sh MAPFORGE — every listing command's --json output is JSON (one document, or JSON Lines for
# the audit log) holding what the store holds, and the human audit log fits 100 columns.
set -euo pipefail
mf=$(realpath "${1:?usage: cli_json.sh MAPFORGE}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export MAPFORGE_HOME=$tmp/home; unset MAPFORGE_STORE
ex=examples/acme_gl
"$mf" onboard --client ACME --mapping $ex/mapping.xlsx --data $ex/gl_extract.csv --out "$tmp/out" --yes >/dev/null 2>&1
"$mf" cache list --json > "$tmp/cache.json"
"$mf" history --client ACME --json > "$tmp/history.json"
"$mf" audit log --json > "$tmp/audit.jsonl"
"$mf" audit verify --json > "$tmp/verify.json"
"$mf" profile --data $ex/gl_extract.csv --json > "$tmp/profile.json"
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["key"])' "$tmp/cache.json")
"$mf" cache show "$key" --json > "$tmp/show.json"
"$mf" audit log > "$tmp/audit.txt"
python3 - "$tmp" <<'PY'
import json, sys, os
t = sys.argv[1]
load = lambda n: json.load(open(os.path.join(t, n)))
cache = load("cache.json")
assert len(cache) == 1 and cache[0]["client"] == "ACME" and cache[0]["status"] == "valid", cache
assert isinstance(cache[0]["used_columns"], list) and cache[0]["used_columns"], "used_columns is parsed JSON"
show = load("show.json")
assert show["key"] == cache[0]["key"] and show["plan_text"].startswith("plan ACME"), show.keys()
h = load("history.json")
assert h["client"] == "ACME" and h["versions"][0]["version"] == 1 and h["runs"][0]["rows_in"] > 0, h
assert h["runs"][0]["rows_in"] == h["runs"][0]["rows_out"] + h["runs"][0]["rows_rejected"] + h["runs"][0]["rows_filtered"]
events = [json.loads(l) for l in open(os.path.join(t, "audit.jsonl"))]
assert len(events) >= 4, len(events)
assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
assert all(isinstance(e["details"], dict) for e in events)
assert any(e["event"] == "approval" for e in events)
assert [e["seq"] for e in h["events"]] == [e["seq"] for e in events if e["client"] == "ACME"]
v = load("verify.json")
assert v["intact"] is True and v["events"] == len(events), v
p = load("profile.json")
assert p["delimiter"] == "comma" and p["rows_sampled"] > 0 and len(p["profile"]) == p["columns"], p
lines = open(os.path.join(t, "audit.txt"), encoding="utf-8").read().splitlines()
assert len([l for l in lines if not l.startswith("        ")]) == len(events)
long = [l for l in lines if len(l) > 100]
assert not long, long
print("cli --json: %d cache entries, %d versions, %d runs, %d events, %d profiled columns" %
      (len(cache), len(h["versions"]), len(h["runs"]), len(events), len(p["profile"])))
PY
