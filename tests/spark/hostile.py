"""hostile.py MAPFORGE — plan text (column names, rule texts, provenance, literals) full of quotes,
backslashes, newlines and `"); import os` must stay inert in the generated job: the job is parsed
with Python's ast and every call is checked against what the template may call; the plan part
may only hold assignments, `def evaluate` and the `__main__` guard; the job's only import is the
runtime's fixed names; everything between that import and the plan part must be identical to that
of an ordinary plan, and mapforge_runtime.py must be byte-identical for both plans (no plan text
reaches it).  (That the hostile job still computes the right thing is checked by differential.py
on tests/data/spark/hostile.)"""
import ast
import os
import subprocess
import sys
import tempfile

MARK = "# ==== The approved plan"
IMPORT = "from mapforge_runtime import"
RUNTIME_NAMES = {"Ctx", "LOWER_FIX", "UPPER_FIX", "lit_bool", "lit_dec", "lit_int", "lit_null", "lit_text", "main",
                 "ref", "require"}
EVAL_NAMES = {"Ctx", "ref", "lit_text", "lit_int", "lit_dec", "lit_bool", "lit_null"}
JOB_METHODS = {"src", "trim", "case", "pad", "affix", "chars", "last", "before", "after", "read_date", "read_iso",
               "read_excel", "read_number", "read_integer", "read_boolean", "mapped", "arith", "scaled", "round",
               "negate", "default", "concat", "days", "if_", "cmp", "missing", "is_one_of", "text_test", "not_",
               "and_or", "assign", "before_last", "after_last", "replace", "squish", "title", "digits", "length",
               "date_part", "format_date", "add_days", "end_of_month"}
FORBIDDEN = {"eval", "exec", "__import__", "compile", "getattr", "setattr", "globals", "locals", "system",
             "popen", "Popen", "run", "call", "remove", "unlink", "rmdir"}


def compile_job(mapforge, plan):
    """(job.py, mapforge_runtime.py) as `mapforge compile --to pyspark --out DIR` writes them; the job
    printed on stdout must be the same job.py."""
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([mapforge, "compile", "--plan", plan, "--to", "pyspark", "--out", d], check=True,
                       capture_output=True)
        job, runtime = (open(os.path.join(d, f)).read() for f in ("job.py", "mapforge_runtime.py"))
    printed = subprocess.run([mapforge, "compile", "--plan", plan, "--to", "pyspark"], check=True,
                             capture_output=True, text=True).stdout
    if printed != job:
        raise SystemExit("FAIL: the printed job differs from job.py")
    return job, runtime


def check(job, ordinary):
    problems = []
    tree = ast.parse(job)
    if job[job.index(IMPORT):job.index(MARK)] != ordinary[ordinary.index(IMPORT):ordinary.index(MARK)]:
        problems.append("the job's import and version check differ from an ordinary plan's")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and (
                node.module != "mapforge_runtime" or not {a.name for a in node.names} <= RUNTIME_NAMES)):
            problems.append("unexpected import: %s" % ast.dump(node))
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in FORBIDDEN:
                problems.append("forbidden call %s at line %d" % (name, node.lineno))
    plan_part = ast.parse(job[job.index(MARK):])
    for st in plan_part.body:
        if isinstance(st, ast.Assign):
            for sub in ast.walk(st.value):
                if isinstance(sub, ast.Call):
                    problems.append("a call in a plan constant at line %d" % st.lineno)
        elif isinstance(st, ast.FunctionDef) and st.name == "evaluate":
            for sub in ast.walk(st):
                if isinstance(sub, ast.Call):
                    f = sub.func
                    ok = (isinstance(f, ast.Name) and f.id in EVAL_NAMES) or \
                         (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and
                          ((f.value.id == "job" and f.attr in JOB_METHODS) or
                           (f.value.id == "stages" and f.attr == "append")))
                    if not ok:
                        problems.append("unexpected call in evaluate: %s" % ast.unparse(sub))
        elif isinstance(st, ast.If) and ast.unparse(st) == "if __name__ == '__main__':\n    main(PLAN)":
            pass
        else:
            problems.append("unexpected statement in the plan part: %s" % ast.unparse(st)[:80])
    return problems


def main():
    mapforge = sys.argv[1]
    hostile, rt_hostile = compile_job(mapforge, "tests/data/spark/hostile/plan.txt")
    ordinary, rt_ordinary = compile_job(mapforge, "tests/cases/plan_text_steps/plan.txt")
    again, rt_again = compile_job(mapforge, "tests/data/spark/hostile/plan.txt")
    problems = check(hostile, ordinary) + check(ordinary, ordinary)
    if hostile != again or rt_hostile != rt_again:
        problems.append("the same plan gave two different jobs or runtimes")
    if rt_hostile != rt_ordinary:
        problems.append("the runtime depends on the plan")
    for p in problems:
        print("FAIL:", p)
    print("hostile: %s" % ("ok" if not problems else "%d problems" % len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
