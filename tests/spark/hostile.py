"""hostile.py MAPFORGE — plan text (column names, rule texts, provenance, literals) full of quotes,
backslashes, newlines and `"); import os` must stay inert in the generated job: the job is parsed
with Python's ast and every call is checked against what the template may call; the plan part
may only hold assignments, `def evaluate` and the `__main__` guard; the prelude (everything
before the plan part) must be identical to that of an ordinary plan.  (That the hostile job still
computes the right thing is checked by differential.py on tests/data/spark/hostile.)"""
import ast
import subprocess
import sys

MARK = "# ==== The approved plan"
EVAL_NAMES = {"Ctx", "ref", "lit_text", "lit_int", "lit_dec", "lit_bool", "lit_null"}
JOB_METHODS = {"src", "trim", "case", "pad", "affix", "chars", "last", "before", "after", "read_date", "read_iso",
               "read_excel", "read_number", "read_integer", "read_boolean", "mapped", "arith", "scaled", "round",
               "negate", "default", "concat", "days", "if_", "cmp", "missing", "is_one_of", "text_test", "not_",
               "and_or", "assign", "before_last", "after_last", "replace", "squish", "title", "digits", "length",
               "date_part", "format_date", "add_days", "end_of_month"}
FORBIDDEN = {"eval", "exec", "__import__", "compile", "getattr", "setattr", "globals", "locals", "system",
             "popen", "Popen", "run", "call", "remove", "unlink", "rmdir"}


def compile_job(mapforge, plan):
    return subprocess.run([mapforge, "compile", "--plan", plan, "--to", "pyspark"], check=True,
                          capture_output=True, text=True).stdout


def check(job, ordinary):
    problems = []
    tree = ast.parse(job)
    if job[:job.index(MARK)].split("\n", 4)[4] != ordinary[:ordinary.index(MARK)].split("\n", 4)[4]:
        problems.append("the prelude differs from an ordinary plan's")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names]
            mod = getattr(node, "module", None)
            if not (set(names) <= {"argparse", "glob", "json", "os", "shutil"} or mod in ("pyspark.sql",
                                                                                           "pyspark.sql.types")):
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
    hostile = compile_job(mapforge, "tests/data/spark/hostile/plan.txt")
    ordinary = compile_job(mapforge, "tests/cases/plan_text_steps/plan.txt")
    again = compile_job(mapforge, "tests/data/spark/hostile/plan.txt")
    problems = check(hostile, ordinary) + check(ordinary, ordinary)
    if hostile != again:
        problems.append("the same plan gave two different jobs")
    for p in problems:
        print("FAIL:", p)
    print("hostile: %s" % ("ok" if not problems else "%d problems" % len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
