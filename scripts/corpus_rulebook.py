#!/usr/bin/env python3
"""corpus_rulebook.py — the development corpus's phrasings run twice in ONE store, to measure what
the rulebook reads (issue 8; docs/rulebook.md, "The corpus twice").

    scripts/corpus_rulebook.py [MAPFORGE] [--corpus DIR] [--answers FILE] [--store URL] [--jobs N] [-v]

Run 1: every phrasing is onboarded with --yes, as the judge runs it (judge.py's build_phrasing and
classify are imported, so a phrasing is built and judged exactly as there), but all in one
MAPFORGE_HOME (or one --store) and as client r1_<id>, and with --no-load (every phrasing's output
table is called MAPPING: in one warehouse they would collide; the load is no part of reading).

Answers: every phrasing that asked in run 1 (exit 2) and has an expected result is answered in the
terminal review with the expected reading — the person's answer, written in the plan language, comes
from FILE (scripts/corpus_answers.json: {"<id>": ["/answer 1 <expression>", ...]}) — and approved.
Phrasings marked "ask" in the corpus are not answered: asking is their expected reading.  A phrasing
with no answer on file is reported, not guessed.

Run 2: every phrasing again, with --yes, as client r2_<id> (another client: no cache hit).  A phrasing
"read by the rulebook" is one whose plan says "learned from" (its reading came from an entry).

The store and the judge's normal run are separate things: the judge (and scripts/corpus.sh, and CI)
still use a fresh store per phrasing.  This script prints the figures and exits 0 unless the tool
could not be run at all.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def onboard(binary, env, client, mapping, data, out, yes, stdin_text=None, timeout=180):
    cmd = [binary, "onboard", "--client", client, "--mapping", mapping, "--data", data, "--out", out]
    cmd += ["--no-load"] + (["--yes"] if yes else [])   # one store, one warehouse: the output tables would collide
    try:
        p = subprocess.run(cmd, env=env, input=stdin_text if stdin_text is not None else "", text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        return 124, (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")


def learned(out):
    """Did the plan written to out take a reading from the rulebook?"""
    try:
        with open(os.path.join(out, "plan.txt"), encoding="utf-8") as f:
            return "learned from" in " ".join(line.strip().lstrip("#").strip() for line in f)
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary", nargs="?", default=os.path.join(HERE, "..", "build", "mapforge"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "shared", "corpus"))
    ap.add_argument("--answers", default=os.path.join(HERE, "corpus_answers.json"))
    ap.add_argument("--store", help="a PostgreSQL URL for the one store (default: SQLite in a fresh home)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    corpus = os.path.abspath(a.corpus)
    if not os.path.isfile(os.path.join(corpus, "judge.py")):
        print(f"corpus_rulebook: {corpus}/judge.py not found; no figures")
        return 0
    sys.path.insert(0, corpus)
    import judge  # noqa: E402  (the judge's own phrasing builder and classifier)

    with open(os.path.join(corpus, "phrasings.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    with open(a.answers, encoding="utf-8") as f:
        answers = json.load(f)

    work = tempfile.mkdtemp(prefix="mf_corpus_rb_")
    env = dict(os.environ, MAPFORGE_HOME=os.path.join(work, "home"), MAPFORGE_USER="corpus-reviewer")
    env.pop("MAPFORGE_VALIDATOR", None)
    env.pop("MAPFORGE_STORE", None)
    if a.store:
        env["MAPFORGE_STORE"] = a.store
    inputs = {}
    for it in items:
        d = os.path.join(work, "in", it["id"])
        os.makedirs(d)
        inputs[it["id"]] = judge.build_phrasing(it, d)

    def run(tag, it):
        mapping, data = inputs[it["id"]]
        out = os.path.join(work, tag, it["id"])
        rc, text = onboard(binary, env, f"{tag}_{it['id']}", mapping, data, out, yes=True)
        res = judge.classify(it, rc, text, out)
        res["rc"], res["learned"], res["out"] = rc, learned(out), out
        return res

    def run_all(tag):
        # SQLite takes one writer at a time: the store serialises, so a few jobs are enough
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
            return list(ex.map(lambda it: run(tag, it), items))

    try:
        first = run_all("r1")
        asked = [r for r, it in zip(first, items) if r["rc"] == 2 and it["expected"] != "ask"]
        answered, taught, unanswered = [], 0, []
        for r in asked:
            lines = answers.get(r["id"])
            if not lines:
                unanswered.append(r["id"])
                continue
            mapping, data = inputs[r["id"]]
            out = os.path.join(work, "answer", r["id"])
            rc, text = onboard(binary, env, f"r1_{r['id']}", mapping, data, out, yes=False,
                               stdin_text="\n".join(lines + ["/approve", "/quit"]) + "\n")
            ok = rc == 0 and "approved plan v" in text
            n = text.count("rulebook: learned entry")
            taught += n
            answered.append((r["id"], ok, n))
            if a.verbose or not ok:
                print(f"-- answered {r['id']}: exit {rc}, approved {ok}, {n} entr{'y' if n == 1 else 'ies'} learned")
                if not ok or a.verbose:
                    print("   " + "\n   ".join(text.strip().splitlines()[-8:]))
        second = run_all("r2")
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work: {work}")

    def count(rs, verdict):
        return sum(1 for r in rs if r["verdict"] == verdict)

    n_ask = sum(1 for it in items if it["expected"] == "ask")
    by_rb = [r for r in second if r["learned"]]
    asked_ids = {r["id"] for r in asked}
    print(f"== the corpus twice in one store ({'PostgreSQL' if a.store else 'SQLite'}), {len(items)} phrasings")
    print(f"run 1: {count(first, 'correct')}/{len(items)} correct, {count(first, 'wrong-output')} wrong-output, "
          f"{len(asked)} asked where an answer was expected, {count(first, 'error')} error")
    print(f"answers: {sum(1 for _, ok, _ in answered if ok)}/{len(asked)} of those answered with the expected reading "
          f"and approved ({len(unanswered)} without an answer on file{': ' + ' '.join(unanswered) if unanswered else ''}); "
          f"{taught} rulebook entr{'y' if taught == 1 else 'ies'} learned; the {n_ask} \"ask\" phrasings left asking")
    print(f"run 2: {count(second, 'correct')}/{len(items)} correct, {count(second, 'wrong-output')} wrong-output, "
          f"{count(second, 'asked-when-an-answer-was-expected')} asked where an answer was expected, "
          f"{count(second, 'error')} error")
    print(f"read by the rulebook in run 2: {len(by_rb)} phrasing{'' if len(by_rb) == 1 else 's'} "
          f"({sum(1 for r in by_rb if r['verdict'] == 'correct')} correct; "
          f"{sum(1 for r in by_rb if r['id'] in asked_ids)} of the {len(asked)} asked in run 1, "
          f"{sum(1 for r in by_rb if r['id'] not in asked_ids)} others)")
    for r in second:
        if r["id"] in asked_ids or r["learned"] or (a.verbose and r["verdict"] != "correct"):
            print(f"   {r['id']} [{r['family']}/{r['persona']}] run 2: {r['verdict']}"
                  f"{' (rulebook)' if r['learned'] else ''}{': ' + r['why'] if r['why'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
