#!/usr/bin/env python3
"""make_corpus.py — (re)write the small committed seed corpus of each fuzz target, tests/fuzz/corpus/<target>/,
from the examples and the case folders.  Files are named by the SHA-1 of their content (as libFuzzer names
them), so rerunning writes the same files.  scripts/fuzz.sh adds its finds to a working copy, never here."""
import csv, glob, hashlib, io, os, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX = 64 * 1024


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def small(paths, limit=12):
    out = [p for p in sorted(set(paths)) if os.path.getsize(p) <= MAX]
    return out[:limit]


def read(p):
    with open(p, "rb") as f:
        return f.read()


for p in small(glob.glob(ROOT + "/tests/cases/*/data.csv") + glob.glob(ROOT + "/examples/*/*.csv")):
    put("fuzz_csv", read(p))
for p in small(glob.glob(ROOT + "/tests/cases/*/*.xlsx") + glob.glob(ROOT + "/examples/*/mapping.xlsx")):
    put("fuzz_mapping_xlsx", read(p))
for p in small(glob.glob(ROOT + "/tests/cases/*/mapping.csv")):
    put("fuzz_mapping_csv", read(p))
plans = [p for p in glob.glob(ROOT + "/tests/cases/*/*.txt") + glob.glob(ROOT + "/examples/*/expected/plan.txt")
         if "deep" not in p and "long" not in p]
for p in small(plans, 16):
    put("fuzz_plan", read(p))

# rule texts: the Rule column of the case mappings (CSV, and the xlsx sheets' inline/shared strings)
rules = set()
for p in glob.glob(ROOT + "/tests/cases/*/mapping.csv"):
    rows = list(csv.reader(io.StringIO(read(p).decode("utf-8", "replace"))))
    for i, row in enumerate(rows):
        if "Rule" in row:
            k = row.index("Rule")
            rules.update(r[k] for r in rows[i + 1:] if len(r) > k and r[k])
            break
rules.update(["CASE WHEN DC_IND = 'C' THEN -1 * AMT ELSE AMT END",
              "=IFERROR(VLOOKUP([@Country],Countries!A:B,2,FALSE),\"Unknown\")",
              "LPAD(EMP_NO, 8, '0')", "=AND([@Amount]<>0,[@Type]<>\"TEST\")",
              "SUBSTR(ACCT, 1, 4) || '-' || TRIM(CC)", "=TEXT([@Date],\"yyyy-mm-dd\")"])
for i, r in enumerate(sorted(rules)[:40]):
    put("fuzz_rules", bytes([i % 48]) + r.encode("utf-8"))
    put("fuzz_formula", bytes([i % 48]) + r.encode("utf-8"))
print("corpus written under", os.path.join(HERE, "corpus"))
