"""differential.py MAPFORGE CASE_OR_EXAMPLE_DIR... — run the native engine and the generated
PySpark job on the same plan and data; require identical output CSV, rejects.csv, run.json
counts and key set (the same schema) and Parquet contents (schema and values, read with pyarrow).
All jobs run in one SparkSession (the runtime exposes run_job(spark, input, out, PLAN)).

The job is compiled with `mapforge compile --to pyspark --out DIR` (job.py + mapforge_runtime.py):
every plan's runtime must be byte-identical to the first one (it is shipped once, addPyFile).
The input is split into small partitions (spark.sql.files.maxPartitionBytes, 2 KiB unless
MAPFORGE_DIFF_PARTITION_BYTES says otherwise), so that line numbers from partition offsets, records
spanning partitions and the order of part files are exercised on every folder.  Examples run a
second time with default partitions and a file: URI as the output: Spark's layout (directories of
part files with _SUCCESS and _header.csv), whose concatenation must equal the native file.

A directory with plan.txt and data.* is a case: `mapforge run` on it.  A directory with
mapping.xlsx/mapping.csv and client.txt is an example: `mapforge onboard --yes`, then its plan.
Error cases (a case folder whose expected_exit is not 0) are skipped: there is nothing to compare;
any other folder whose native run fails is a failure.
A case's spark_conf.json (Spark SQL settings) is set for its job only, e.g. tiny input partitions.
Prints one line per directory and the time each engine took; exits 1 on any difference."""
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

from pyspark.sql import SparkSession

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = [None]   # the runtime's bytes, from the first compile: every plan must give the same


def spark_session():
    return (SparkSession.builder.master("local[2]").appName("mapforge differential")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.codegen.wholeStage", "false").config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


def load_job(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def data_file(d):
    skip = {"plan.txt", "cmd", "make_example.py", "client.txt", "args.txt"}
    for f in sorted(os.listdir(d)):
        p = os.path.join(d, f)
        if os.path.isfile(p) and f not in skip and not f.startswith(("mapping.", "expected")) \
                and not f.endswith((".json", ".md")):
            return p
    return None


def native(mapforge, d, work):
    """(plan path, data path, native out dir, seconds) or None when nothing runs natively."""
    out = os.path.join(work, "native")
    env = dict(os.environ, MAPFORGE_HOME=os.path.join(work, "home"))   # a fresh store: no cache hits
    data = data_file(d)
    if data is None:
        return None
    t0 = time.time()
    if os.path.exists(os.path.join(d, "cmd")):   # a case folder: its own command line
        text = " ".join(l for l in open(os.path.join(d, "cmd")).read().splitlines() if not l.strip().startswith("#"))
        args = shlex.split(text.replace("$CASE", d).replace("$OUT", out))
        if args[0] not in ("run", "onboard") or "--data" not in args:
            return None
        data = args[args.index("--data") + 1]
        if args[0] == "onboard" and "--no-load" not in args:
            args.append("--no-load")   # loading is not what is compared here
        r = subprocess.run([mapforge] + args, capture_output=True, text=True, env=env)
        plan = args[args.index("--plan") + 1] if args[0] == "run" else os.path.join(out, "plan.txt")
    elif os.path.exists(os.path.join(d, "plan.txt")):
        plan = os.path.join(d, "plan.txt")
        r = subprocess.run([mapforge, "run", "--plan", plan, "--data", data, "--out", out],
                           capture_output=True, text=True)
    elif os.path.exists(os.path.join(d, "client.txt")):
        client = open(os.path.join(d, "client.txt")).readline().strip()
        mapping = [os.path.join(d, m) for m in ("mapping.xlsx", "mapping.csv") if os.path.exists(os.path.join(d, m))]
        if not mapping:
            return None
        extra = open(os.path.join(d, "args.txt")).read().split() if os.path.exists(os.path.join(d, "args.txt")) else []
        r = subprocess.run([mapforge, "onboard", "--client", client, "--mapping", mapping[0], "--data", data,
                            "--out", out, "--yes", "--no-load"] + extra, capture_output=True, text=True, env=env)
        plan = os.path.join(out, "plan.txt")
    else:
        return None
    if r.returncode != 0:
        # an error case (a case folder expecting a non-zero exit) has nothing to compare; anything
        # else that fails natively is a failure, never a skip
        want = open(os.path.join(d, "expected_exit")).read().strip() if os.path.exists(os.path.join(d, "expected_exit")) else "0"
        if want != "0":
            return None
        return "FAIL: the native run exited %d: %s" % (r.returncode, (r.stderr or "").strip()[-400:])
    return plan, data, out, time.time() - t0


def output_name(out):
    for f in os.listdir(out):
        if f.endswith(".csv") and f != "rejects.csv":
            return f
    return None


def keys(o, prefix=""):
    """The key paths of a JSON object (its schema, without the values).  "approval" is one value:
    null for a job run on its own (as for an unapproved native run), the approval object when
    mapforge ran an approved plan (write/run.c run_report_json writes both engines' run.json)."""
    out = set()
    for k, v in o.items():
        out.add(prefix + k)
        if isinstance(v, dict) and prefix + k != "approval":
            out |= keys(v, prefix + k + ".")
    return out


def compare(native_out, spark_out):
    problems = []
    name = output_name(native_out)
    for f in (name, "rejects.csv"):
        a = open(os.path.join(native_out, f), "rb").read()
        try:
            b = open(os.path.join(spark_out, f), "rb").read()
        except OSError:
            problems.append("%s: missing from the Spark output" % f)
            continue
        if a != b:
            al, bl = a.split(b"\n"), b.split(b"\n")
            for i, (x, y) in enumerate(zip(al, bl)):
                if x != y:
                    problems.append("%s line %d:\n      native: %r\n      spark:  %r" % (f, i + 1, x, y))
                    break
            else:
                problems.append("%s: %d lines native, %d lines spark" % (f, len(al), len(bl)))
    rn = json.load(open(os.path.join(native_out, "run.json")))
    rs = json.load(open(os.path.join(spark_out, "run.json")))
    for k in ("rows_in", "rows_out", "rows_rejected", "rows_filtered", "plan_sha256"):
        if rn.get(k) != rs.get(k):
            problems.append("run.json %s: native %r, spark %r" % (k, rn.get(k), rs.get(k)))
    if keys(rn) != keys(rs):
        problems.append("run.json keys: native only %s, spark only %s" % (sorted(keys(rn) - keys(rs)),
                                                                            sorted(keys(rs) - keys(rn))))
    return problems


def concat_parts(directory, suffix):
    """A Spark output directory (URI target) as one file: _header.csv, then the part files in order."""
    if not os.path.exists(os.path.join(directory, "_SUCCESS")):
        return None
    parts = sorted(f for f in os.listdir(directory) if f.startswith("part-") and f.endswith(suffix))
    data = open(os.path.join(directory, "_header.csv"), "rb").read()
    for f in parts:
        data += open(os.path.join(directory, f), "rb").read()
    return data


def compare_uri(native_out, uri_out):
    """The URI target's directories, concatenated, against the native engine's files."""
    problems = []
    name = output_name(native_out)
    for f in (name, "rejects.csv"):
        got = concat_parts(os.path.join(uri_out, f), ".txt")
        if got is None:
            problems.append("%s: no directory with _SUCCESS at the URI target" % f)
        elif got != open(os.path.join(native_out, f), "rb").read():
            problems.append("%s: the part files at the URI target differ from the native file" % f)
    pq_dir = os.path.join(uri_out, name[:-len(".csv")] + ".parquet")
    if not os.path.exists(os.path.join(pq_dir, "_SUCCESS")):
        problems.append("parquet: no directory with _SUCCESS at the URI target")
    return problems


def native_parquet(mapforge, plan, native_out, name):
    """The native engine's Parquet file: written by the run, else by `mapforge parquet`."""
    path = os.path.join(native_out, name[:-len(".csv")] + ".parquet")
    if not os.path.exists(path):
        r = subprocess.run([mapforge, "parquet", "--plan", plan, "--out", native_out], capture_output=True, text=True)
        if r.returncode != 0:
            return None, "mapforge parquet failed: " + r.stderr.strip()
    return path, None


def compare_parquet(mapforge, plan, native_out, spark_out):
    """Schema (names, types) and every value of the two Parquet files, read with pyarrow."""
    import pyarrow.parquet as pq
    name = output_name(native_out)
    path, err = native_parquet(mapforge, plan, native_out, name)
    if err:
        return [err]
    other = os.path.join(spark_out, name[:-len(".csv")] + ".parquet")
    if not os.path.exists(other):
        return ["%s: missing from the Spark output" % os.path.basename(other)]
    a, b = pq.read_table(path), pq.read_table(other)
    problems = []
    for fa, fb in zip(a.schema, b.schema):
        if fa.name != fb.name or fa.type != fb.type:
            problems.append("parquet column %r %s: spark has %r %s" % (fa.name, fa.type, fb.name, fb.type))
    if len(a.schema) != len(b.schema):
        problems.append("parquet: %d columns native, %d spark" % (len(a.schema), len(b.schema)))
    if a.num_rows != b.num_rows:
        problems.append("parquet: %d rows native, %d spark" % (a.num_rows, b.num_rows))
    if problems:
        return problems
    for col in a.column_names:
        xa, xb = a.column(col).to_pylist(), b.column(col).to_pylist()
        for i, (x, y) in enumerate(zip(xa, xb)):
            if x != y or type(x) is not type(y):
                problems.append("parquet %s row %d: native %r, spark %r" % (col, i + 1, x, y))
                break
    return problems


def run_dir(spark, mapforge, d, work, totals):
    nat = native(mapforge, d, work)
    if nat is None:
        return "skip"
    if isinstance(nat, str):
        return nat
    plan, data, nat_out, t_nat = nat
    jobdir = os.path.join(work, "job")
    r = subprocess.run([mapforge, "compile", "--plan", plan, "--to", "pyspark", "--out", jobdir],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "FAIL: compile: " + r.stderr
    if open(os.path.join(jobdir, "mapforge_runtime.py"), "rb").read() != RUNTIME[0]:
        return "FAIL: mapforge_runtime.py differs from the first plan's"
    mod = load_job(os.path.join(jobdir, "job.py"), "job_%d" % abs(hash(d)))
    import mapforge_runtime as runtime
    spark_out = os.path.join(work, "spark")
    # tiny input partitions (see the docstring); a case's spark_conf.json: settings for its job only
    conf = {"spark.sql.files.maxPartitionBytes": os.environ.get("MAPFORGE_DIFF_PARTITION_BYTES", "2048")}
    conf_path = os.path.join(d, "spark_conf.json")
    conf.update(json.load(open(conf_path)) if os.path.exists(conf_path) else {})
    saved = {k: spark.conf.get(k, None) for k in conf}
    uri_out = os.path.join(work, "uri")
    example = os.path.exists(os.path.join(d, "client.txt"))
    t0 = time.time()
    try:
        for k, v in conf.items():
            spark.conf.set(k, v)
        runtime.run_job(spark, data, spark_out, mod.PLAN)
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
        saved = {}
        if example:
            runtime.run_job(spark, "file://" + os.path.abspath(data), "file://" + uri_out, mod.PLAN)
    except Exception as err:   # a job that fails is a difference
        return "FAIL: the Spark job failed: %s" % str(err).splitlines()[0]
    finally:
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    t_spark = time.time() - t0
    totals[0] += t_nat
    totals[1] += t_spark
    problems = compare(nat_out, spark_out) + compare_parquet(mapforge, plan, nat_out, spark_out)
    if example:
        problems += compare_uri(nat_out, uri_out)
    if problems:
        return "FAIL:\n    " + "\n    ".join(problems)
    return "ok (native %.2f s, spark %.2f s)" % (t_nat, t_spark)


def main():
    mapforge = os.path.abspath(sys.argv[1])
    dirs = [d for d in sys.argv[2:] if os.path.isdir(d)]
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    # the runtime, shipped once for the whole session (as spark-submit --py-files does for a job)
    rt_dir = tempfile.mkdtemp(prefix="mapforge-runtime.")
    plan = os.path.join(os.path.dirname(HERE), "cases", "plan_text_steps", "plan.txt")
    subprocess.run([mapforge, "compile", "--plan", plan, "--to", "pyspark", "--out", rt_dir], check=True,
                   capture_output=True)
    RUNTIME[0] = open(os.path.join(rt_dir, "mapforge_runtime.py"), "rb").read()
    sys.path.insert(0, rt_dir)
    spark.sparkContext.addPyFile(os.path.join(rt_dir, "mapforge_runtime.py"))
    failed, totals = 0, [0.0, 0.0]
    for d in dirs:
        with tempfile.TemporaryDirectory(prefix="mapforge-diff.") as work:
            status = run_dir(spark, mapforge, d, work, totals)
        print("%-50s %s" % (os.path.basename(d.rstrip("/")), status), flush=True)
        failed += status.startswith("FAIL")
    print("total: native %.2f s, spark %.2f s; %d failed" % (totals[0], totals[1], failed))
    spark.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
