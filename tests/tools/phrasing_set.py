#!/usr/bin/env python3
"""phrasing_set.py — run a set of single-rule phrasings through the real mapforge binary.

Usage: python3 tests/tools/phrasing_set.py MAPFORGE SET.jsonl [-v] [--only ID ...] [--jobs N]

Each line of SET.jsonl is one item: {"id", "family", "persona", "rule", "target", "type",
"sources": {column: [values...]}, "expected": [values... | "!reject" | "!filter"] or "ask",
optional "comments": text for a Comments column, optional "source": the row's source cell
(default the first column; "" for none), optional "plan": a text the plan's line must contain, optional "known_question": true for a phrasing a
careful engineer reads but the planner still asks about (docs/rule-vocabulary.md, Known gaps)}.
A one-row mapping (csv) and a data csv are written, `mapforge onboard --yes` runs, and the item is
correct when it asks (exit 2) exactly where "ask" is expected, or when the output column equals the
expected values (an empty cell is null) with the right counts of rejected and filtered rows.
An answer where a question was expected, or another output, is WRONG (the worst outcome).

Exit status: 0 when every item is correct or a known question still asked; 1 otherwise — any wrong output,
error, a question on an item not marked known, or a known question now answered wrongly (the items and a family
table are printed; a known question now read correctly is reported so its mark can be removed).
Invariants: nothing outside a temporary folder is written; items run independently.
"""
import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal, InvalidOperation


def cell_equal(want, got):
    if want == got:
        return True
    if want in ("true", "false"):
        return got.strip().lower() == want
    try:
        return Decimal(want) == Decimal(got)
    except (InvalidOperation, ValueError):
        return False


def write_inputs(item, folder):
    cols = list(item["sources"])
    src = item.get("source", cols[0])
    header = ["Source Field", "Target Field", "Type", "Rule"]
    row = [src, item["target"], item["type"], item["rule"]]
    if "comments" in item:
        header.append("Comments")
        row.append(item["comments"])
    mapping = os.path.join(folder, "mapping.csv")
    with open(mapping, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerow(row)
    data = os.path.join(folder, "data.csv")
    n = len(item["sources"][cols[0]])
    with open(data, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for i in range(n):
            w.writerow([item["sources"][c][i] for c in cols])
    return mapping, data


def plan_line(out, target):
    try:
        with open(os.path.join(out, "plan.txt"), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return ""
    lines, keep = text.split("\n"), []
    for i, ln in enumerate(lines):
        if ln.startswith(target + " ") or ln.startswith("skip ") or ln.startswith("reject "):
            keep.append(ln.split("  #")[0].strip())
    return " | ".join(keep)


def judge(binary, item):
    work = tempfile.mkdtemp(prefix="mf_phr_")
    try:
        mapping, data = write_inputs(item, work)
        out = os.path.join(work, "out")
        env = dict(os.environ, MAPFORGE_HOME=os.path.join(work, "home"))
        for k in ("MAPFORGE_STORE", "MAPFORGE_LLM", "MAPFORGE_VALIDATOR"):
            env.pop(k, None)
        os.makedirs(env["MAPFORGE_HOME"])
        p = subprocess.run([binary, "onboard", "--client", "set_" + item["id"], "--mapping", mapping,
                            "--data", data, "--out", out, "--yes"], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        text = p.stdout.decode("utf-8", "replace")
        plan = plan_line(out, item["target"])
        exp = item["expected"]
        if exp == "ask":
            if p.returncode == 2:
                return "correct", "", plan
            return ("wrong", f"answered (exit {p.returncode}) where a question is due", plan)
        if p.returncode == 2:
            q = [ln for ln in text.split("\n") if ln.strip().startswith("question about")]
            return "asked", (q[0].strip() if q else "exit 2"), plan
        if p.returncode != 0:
            return "error", f"exit {p.returncode}: {text[-400:]}", plan
        found = [f for f in os.listdir(out) if f.endswith(".csv") and f != "rejects.csv"]
        if len(found) != 1:
            return "error", f"output files {found}", plan
        with open(os.path.join(out, found[0]), encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        got = [r[0] if r else "" for r in rows[1:]]
        want = [e for e in exp if e not in ("!reject", "!filter")]
        problems = []
        if len(got) != len(want) or not all(cell_equal(w, g) for w, g in zip(want, got)):
            problems.append(f"values {got}, expected {want}")
        try:
            with open(os.path.join(out, "run.json"), encoding="utf-8") as f:
                rj = json.load(f)
            for key, tag in (("rows_rejected", "!reject"), ("rows_filtered", "!filter")):
                if rj.get(key, 0) != exp.count(tag):
                    problems.append(f"{key} {rj.get(key)}, expected {exp.count(tag)}")
        except (OSError, ValueError):
            problems.append("no run.json")
        if "plan" in item and item["plan"] not in plan:
            problems.append(f"plan lacks {item['plan']!r}")
        if problems:
            return "wrong", "; ".join(problems), plan
        return "correct", "", plan
    except subprocess.TimeoutExpired:
        return "error", "timed out", ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    only, jobs, pos = set(), 2, []
    i = 0
    while i < len(args):
        if args[i] == "--only":
            only.add(args[i + 1]); i += 2; continue
        if args[i] == "--jobs":
            jobs = int(args[i + 1]); i += 2; continue
        if args[i] != "-v":
            pos.append(args[i])
        i += 1
    if len(pos) != 2:
        print(__doc__)
        return 2
    binary, path = os.path.abspath(pos[0]), pos[1]
    with open(path, encoding="utf-8") as f:
        items = [json.loads(ln) for ln in f if ln.strip() and not ln.startswith("//")]
    ids = [it["id"] for it in items]
    if len(set(ids)) != len(ids):
        print("duplicate ids")
        return 2
    if only:
        items = [it for it in items if it["id"] in only]
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(lambda it: (it, judge(binary, it)), items))
    by_fam = collections.OrderedDict()
    for it, (verdict, why, plan) in results:
        by_fam.setdefault(it["family"], collections.Counter())[verdict] += 1
        if verdict != "correct" or verbose:
            print(f"-- {it['id']} [{it['family']}] {verdict.upper()}: {it['rule']}")
            if why:
                print(f"   {why}")
            print(f"   plan: {plan}")
    print(f"\n{'family':<14} {'n':>4} {'correct':>8} {'wrong':>6} {'asked':>6} {'error':>6}")
    tot = collections.Counter()
    for fam, c in by_fam.items():
        tot.update(c)
        print(f"{fam:<14} {sum(c.values()):>4} {c['correct']:>8} {c['wrong']:>6} {c['asked']:>6} {c['error']:>6}")
    n = sum(tot.values())
    print(f"SET: {tot['correct']}/{n} correct, {tot['wrong']} wrong, {tot['asked']} asked, {tot['error']} error")
    bad = [it["id"] for it, (verdict, _, _) in results
           if verdict != "correct" and not (verdict == "asked" and it.get("known_question"))]
    fixed = [it["id"] for it, (verdict, _, _) in results if verdict == "correct" and it.get("known_question")]
    if fixed:
        print("known questions now read correctly (remove their mark):", " ".join(fixed))
    if bad:
        print("FAIL:", " ".join(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
