#!/usr/bin/env python3
"""prom_check.py — parse a Prometheus text exposition with prometheus_client's own parser (so a
format error fails) and compare samples with expected values.

Usage: prom_check.py METRICS.txt EXPECT.json [OTHER.txt]
  EXPECT.json: {"NAME{label=value,...}": number, ...}; a sample named there must exist with exactly
  that value.  "NAME{...}>": number means greater than.  Every family must carry HELP and TYPE,
  histogram buckets must be cumulative and end with +Inf == _count.
  OTHER.txt (optional): a second exposition that must parse to exactly the same samples.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def samples(path):
    text = open(path, encoding="utf-8").read()
    out = {}
    for fam in text_string_to_metric_families(text):
        assert fam.documentation, f"{fam.name}: no HELP"
        assert fam.type in ("counter", "gauge", "histogram"), f"{fam.name}: type {fam.type}"
        buckets = {}
        for s in fam.samples:
            key = s.name + "{" + ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) + "}"
            assert key not in out, f"duplicate sample {key}"
            out[key] = s.value
            if s.name.endswith("_bucket"):
                rest = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
                buckets.setdefault(rest, []).append((float(s.labels["le"]), s.value))
        for rest, bs in buckets.items():
            values = [v for _, v in bs]
            assert values == sorted(values), f"{fam.name}{rest}: buckets not cumulative {bs}"
            assert bs[-1][0] == float("inf"), f"{fam.name}{rest}: no +Inf bucket"
            count = out[fam.name + "_count{" + ",".join(f"{k}={v}" for k, v in rest) + "}"]
            assert bs[-1][1] == count, f"{fam.name}{rest}: +Inf {bs[-1][1]} != _count {count}"
    return out


def main():
    got = samples(sys.argv[1])
    want = json.load(open(sys.argv[2]))
    bad = []
    for key, value in want.items():
        if key.endswith(">"):
            k = key[:-1]
            if k not in got or not got[k] > value:
                bad.append(f"{k}: {got.get(k)} (expected > {value})")
        elif key not in got or got[key] != value:
            bad.append(f"{key}: {got.get(key)} (expected {value})")
    if len(sys.argv) > 3:
        other = samples(sys.argv[3])
        if other != got:
            diff = sorted(set(other.items()) ^ set(got.items()))
            bad.append(f"{sys.argv[3]} differs from {sys.argv[1]}: {diff[:6]}")
    if bad:
        print("\n".join(bad), file=sys.stderr)
        sys.exit(1)


main()
