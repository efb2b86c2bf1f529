"""read_back.py — the Parquet reader cross-check (issue 4): files written by mapforge's own
Parquet writer are read by three independent readers (pyarrow, DuckDB, Spark) and every reader
must give exactly the values of the CSV they were converted from, with the plan's types.

    read_back.py gen DIR ROWS                 write DIR/ALL_TYPES.csv (deterministic, every edge case)
    read_back.py check PLAN [CSV PARQUET [key=value ...]] ...
        for each (CSV, PARQUET) pair: expected values come from the CSV (an unquoted empty field is
        null, a quoted one the empty text) typed by PLAN's columns; pyarrow, DuckDB and one local
        SparkSession read PARQUET; values and types must agree with the CSV and with each other.
        Options after a pair: row_groups=N (exact count), dict=COL (every chunk dictionary-encoded),
        plain=COL (some chunk fell back to PLAIN), codec=ZSTD|UNCOMPRESSED, plan=PATH (this pair's plan).
Also checks the column statistics (null_count, min, max) of every row group against the data.
Exit status 0 when everything agrees; the first disagreement is printed and exits 1.
"""
import datetime as dt
import decimal
import os
import random
import re
import sys

D = decimal.Decimal
EPOCH = dt.datetime(1970, 1, 1)


# ---- the data ---------------------------------------------------------------------------------

COLUMNS = ["ID", "NAME", "CAT", "UNIQ", "INT32", "INT64", "D9_2", "D18_4", "D38_10", "D20_0",
           "DAY", "FLAG", "TS"]

SPECIAL_TEXT = [
    "", "naïve café", "日本語のテキスト", "emoji 😀🎉 and 𝄞", "e\u0301 combining", "עברית RTL",
    "quote \" comma , newline\nhere", "  spaces around  ", "x" * 5000, "é" * 3000, "\u00a0nbsp",
    "back\\slash", "tab\there", "\U0010FFFF max code point", "A", "z", "~",
]
D38_MAX = "9999999999999999999999999999.9999999999"
EXTREMES = {
    "INT32": ["-2147483648", "2147483647", "0", "-1", "1"],
    "INT64": ["-9223372036854775808", "9223372036854775807", "0", "-1", "2147483648"],
    "D9_2": ["9999999.99", "-9999999.99", "0.00", "0.01", "-0.01"],
    "D18_4": ["99999999999999.9999", "-99999999999999.9999", "-0.0001", "-12345.6789", "0.0000"],
    "D38_10": [D38_MAX, "-" + D38_MAX, "0.0000000001", "-0.0000000001", "0.0000000000"],
    "D20_0": ["99999999999999999999", "-99999999999999999999", "0", "-1", "18446744073709551616"],
    "DAY": ["0001-01-01", "9999-12-31", "1970-01-01", "1969-12-31", "2000-02-29", "2024-02-29",
            "1900-02-28", "1582-10-04", "1582-10-15", "2100-12-31"],
    "TS": ["0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1970-01-01 00:00:00",
           "1969-12-31 23:59:59.999999", "2024-02-29", "2000-02-29T12:00:00.5", "1582-10-04 10:30:00"],
    "FLAG": ["true", "false"],
}


def rand_dec(r, p, s):
    v = r.randrange(-(10 ** p) + 1, 10 ** p)
    sign = "-" if v < 0 else ""
    digits = str(abs(v)).rjust(s + 1, "0")
    return sign + (digits[:-s] + "." + digits[-s:] if s else digits)


def rand_date(r):
    return (dt.date(1, 1, 1) + dt.timedelta(days=r.randrange(0, 3652059))).isoformat()


def gen_row(r, i):
    """One row as a list of (text, quoted_empty) cells: None = null, "" = the empty text."""
    def pick(col, gen):
        k = (i * 7 + len(col)) % 23
        if k == 0:
            return None
        if k < 3:
            return EXTREMES[col][(i // 23) % len(EXTREMES[col])]
        return gen()
    row = {
        "ID": None if i % 4999 == 17 else str(i + 1),
        "NAME": SPECIAL_TEXT[i % len(SPECIAL_TEXT)] if i % 5 == 0 else (None if i % 13 == 0 else f"name {i}"),
        "CAT": None if i % 11 == 0 else ["alpha", "beta", "gamma", "delta", "épsilon", "ζ"][r.randrange(6)],
        "UNIQ": None if i % 17 == 0 else f"u{i:08d}-{r.randrange(10 ** 9):09d}",
        "INT32": pick("INT32", lambda: str(r.randrange(-2 ** 31, 2 ** 31))),
        "INT64": pick("INT64", lambda: str(r.randrange(-2 ** 63, 2 ** 63))),
        "D9_2": pick("D9_2", lambda: rand_dec(r, 9, 2)),
        "D18_4": pick("D18_4", lambda: rand_dec(r, 18, 4)),
        "D38_10": pick("D38_10", lambda: rand_dec(r, 38, 10)),
        "D20_0": pick("D20_0", lambda: rand_dec(r, 20, 0)),
        "DAY": pick("DAY", lambda: rand_date(r)),
        "FLAG": pick("FLAG", lambda: r.choice(["true", "false"])),
        "TS": pick("TS", lambda: rand_date(r) + " %02d:%02d:%02d.%06d" % (
            r.randrange(24), r.randrange(60), r.randrange(60), r.randrange(10 ** 6))),
    }
    if i == 3:   # a row that is null everywhere
        row = {c: None for c in COLUMNS}
    return [row[c] for c in COLUMNS]


def csv_field(v):
    if v is None:
        return ""
    if v == "" or any(ch in v for ch in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def gen(out_dir, rows):
    r = random.Random(20250401)
    with open(os.path.join(out_dir, "ALL_TYPES.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(",".join(COLUMNS) + "\n")
        for i in range(rows):
            f.write(",".join(csv_field(v) for v in gen_row(r, i)) + "\n")


# ---- expected values from the CSV ---------------------------------------------------------------

def read_csv(path):
    """RFC 4180 with the writer's null convention: unquoted empty -> None, quoted empty -> ''."""
    text = open(path, encoding="utf-8", newline="").read()
    rows, row, i, n = [], [], 0, len(text)
    field_re = re.compile(r'[^,\n]*')
    while i < n:
        if text[i] == '"':
            j, parts = i + 1, []
            while True:
                k = text.index('"', j)
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            row.append("".join(parts))
        else:
            m = field_re.match(text, i)
            row.append(m.group(0) or None)
            i = m.end()
        if i >= n or text[i] == "\n":
            rows.append(row)
            row = []
        i += 1
    return rows[0], rows[1:]


def plan_types(plan_path):
    """NAME -> (kind, p, s) from the plan's column lines."""
    types = {}
    pat = re.compile(r"^(\S+)\s+(text(?:\(\d+\))?|integer|bigint|decimal\((\d+),(\d+)\)|date|timestamp|boolean)(?=\s|$)")
    for line in open(plan_path, encoding="utf-8"):
        m = pat.match(line)
        if m:
            kind = re.sub(r"\(.*", "", m.group(2))
            types[m.group(1)] = (kind, int(m.group(3) or 0), int(m.group(4) or 0))
    return types


def dt_micros(d):
    delta = d.replace(tzinfo=None) - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def ts_micros(s):
    s = s.rstrip("Z").replace("T", " ")
    return dt_micros(dt.datetime.fromisoformat(s if " " in s else s + " 00:00:00"))


def typed(kind, s):
    if s is None:
        return None
    if kind == "text":
        return s
    if kind in ("integer", "bigint"):
        return int(s)
    if kind == "decimal":
        return D(s)
    if kind == "date":
        return dt.date.fromisoformat(s)
    if kind == "timestamp":
        return ts_micros(s)
    if kind == "boolean":
        return {"true": True, "false": False}[s]
    raise ValueError(kind)


# ---- the readers ---------------------------------------------------------------------------------

def arrow_type(kind, p, s):
    return {"text": "string", "integer": "int32", "bigint": "int64", "date": "date32[day]",
            "timestamp": "timestamp[us, tz=UTC]", "boolean": "bool"}.get(kind, f"decimal128({p}, {s})")


def duck_type(kind, p, s):
    return {"text": "VARCHAR", "integer": "INTEGER", "bigint": "BIGINT", "date": "DATE",
            "timestamp": "TIMESTAMP WITH TIME ZONE", "boolean": "BOOLEAN"}.get(kind, f"DECIMAL({p},{s})")


def spark_type(kind, p, s):
    return {"text": "StringType()", "integer": "IntegerType()", "bigint": "LongType()", "date": "DateType()",
            "timestamp": "TimestampType()", "boolean": "BooleanType()"}.get(kind, f"DecimalType({p},{s})")


def read_pyarrow(path, names, kinds):
    import pyarrow as pa
    import pyarrow.parquet as pq
    t = pq.read_table(path)
    types = [str(f.type) for f in t.schema]
    cols = []
    for name, (kind, _, _) in zip(names, kinds):
        c = t.column(name)
        if kind == "timestamp":
            c = c.cast(pa.int64())
        cols.append(c.to_pylist())
    return list(t.schema.names), types, [list(r) for r in zip(*cols)] if cols else []


def read_duckdb(path, names, kinds):
    import duckdb
    con = duckdb.connect()
    desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    sel = ", ".join(f'epoch_us("{n}")' if k[0] == "timestamp" else f'"{n}"' for n, k in zip(names, kinds))
    rows = con.execute(f"SELECT {sel} FROM read_parquet('{path}')").fetchall()
    return [d[0] for d in desc], [d[1] for d in desc], [list(r) for r in rows]


_spark = None


def spark():
    global _spark
    if _spark is None:
        os.environ.setdefault("TZ", "UTC")
        from pyspark.sql import SparkSession
        _spark = (SparkSession.builder.master("local[1]").appName("mapforge-parquet-readback")
                  .config("spark.ui.enabled", "false")
                  .config("spark.ui.showConsoleProgress", "false")
                  .config("spark.sql.session.timeZone", "UTC")
                  # Files not written by Spark carry no calendar marker: Parquet dates are
                  # proleptic Gregorian by the format, which CORRECTED reads as such.
                  .config("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED")
                  .config("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED")
                  .config("spark.sql.files.maxPartitionBytes", str(1 << 30))
                  .getOrCreate())
        _spark.sparkContext.setLogLevel("ERROR")
    return _spark


def read_spark(path, names, kinds):
    from pyspark.sql import functions as F
    df = spark().read.parquet(path)
    types = [repr(f.dataType) for f in df.schema.fields]
    sel = [F.unix_micros(F.col(f"`{n}`")) if k[0] == "timestamp" else F.col(f"`{n}`") for n, k in zip(names, kinds)]
    rows = df.select(*sel).collect()
    return list(df.columns), types, [list(r) for r in rows]


# ---- checks --------------------------------------------------------------------------------------

def fail(msg):
    print("read_back: FAIL: " + msg)
    sys.exit(1)


def show(v):
    s = repr(v)
    return s if len(s) < 80 else s[:77] + "..."


def compare(reader, names, expected, got):
    if len(got) != len(expected):
        fail(f"{reader}: {len(got)} rows, the CSV has {len(expected)}")
    for i, (e, g) in enumerate(zip(expected, got)):
        for j, (ev, gv) in enumerate(zip(e, g)):
            if ev != gv or type(ev) is not type(gv):
                fail(f"{reader}: row {i + 1} column {names[j]}: got {show(gv)}, the CSV says {show(ev)}")


def check_stats(path, names, kinds, expected, opts):
    import pyarrow.parquet as pq
    md = pq.ParquetFile(path).metadata
    if "row_groups" in opts and md.num_row_groups != int(opts["row_groups"]):
        fail(f"{path}: {md.num_row_groups} row groups, expected {opts['row_groups']}")
    start = 0
    plain_seen = {c: False for c in opts.get("plain", [])}
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        rows = expected[start:start + rg.num_rows]
        start += rg.num_rows
        for j, name in enumerate(names):
            cc = rg.column(j)
            if "codec" in opts and cc.compression != opts["codec"]:
                fail(f"{name} row group {g}: compression {cc.compression}, expected {opts['codec']}")
            if name in opts.get("dict", []) and not cc.has_dictionary_page:
                fail(f"{name} row group {g}: expected a dictionary page")
            if name in plain_seen and not cc.has_dictionary_page:
                plain_seen[name] = True
            st = cc.statistics
            vals = [r[j] for r in rows if r[j] is not None]
            if st is None:
                fail(f"{name} row group {g}: no statistics")
            if st.null_count != len(rows) - len(vals):
                fail(f"{name} row group {g}: null_count {st.null_count}, expected {len(rows) - len(vals)}")
            if not st.has_min_max:
                # left out only when a value is too long for the statistics (> 4096 bytes)
                if not vals or kinds[j][0] == "text" and max(len(v.encode()) for v in vals) > 4096:
                    continue
                fail(f"{name} row group {g}: no min/max")
            lo, hi = st.min, st.max
            if kinds[j][0] == "timestamp":
                lo, hi = dt_micros(lo), dt_micros(hi)
            if kinds[j][0] == "text":
                want_lo = min(vals, key=lambda v: v.encode())
                want_hi = max(vals, key=lambda v: v.encode())
            else:
                want_lo, want_hi = min(vals), max(vals)
            if lo != want_lo or hi != want_hi:
                fail(f"{name} row group {g}: stats min/max {show(lo)}/{show(hi)}, expected {show(want_lo)}/{show(want_hi)}")
    for c, seen in plain_seen.items():
        if not seen:
            fail(f"{c}: expected some row group to fall back to PLAIN (no dictionary page)")
    return md


def check(plan_path, pairs):
    for csv_path, pq_path, opts in pairs:
        types = plan_types(opts.get("plan", plan_path))
        header, data = read_csv(csv_path)
        kinds = [types[h] for h in header]
        expected = [[typed(k[0], v) for k, v in zip(kinds, row)] for row in data]
        want = {"pyarrow": [arrow_type(*k) for k in kinds], "DuckDB": [duck_type(*k) for k in kinds],
                "Spark": [spark_type(*k) for k in kinds]}
        results = {}
        for reader, fn in (("pyarrow", read_pyarrow), ("DuckDB", read_duckdb), ("Spark", read_spark)):
            names, rtypes, rows = fn(pq_path, header, kinds)
            if names != header:
                fail(f"{reader}: columns {names}, expected {header}")
            if rtypes != want[reader]:
                fail(f"{reader}: types {rtypes}, expected {want[reader]}")
            compare(reader, header, expected, rows)
            results[reader] = rows
        if not results["pyarrow"] == results["DuckDB"] == results["Spark"]:
            fail("the readers disagree with each other")
        md = check_stats(pq_path, header, kinds, expected, opts)
        print(f"read_back: {os.path.basename(pq_path)}: {len(expected)} rows x {len(header)} columns, "
              f"{md.num_row_groups} row group(s); pyarrow, DuckDB and Spark agree with the CSV "
              f"(types {', '.join(want['pyarrow'])}); CSV {os.path.getsize(csv_path)} bytes, "
              f"Parquet {os.path.getsize(pq_path)} bytes")


def parse_pairs(args):
    pairs, i = [], 0
    while i < len(args):
        csv_path, pq_path, opts = args[i], args[i + 1], {}
        i += 2
        while i < len(args) and "=" in args[i]:
            k, v = args[i].split("=", 1)
            if k in ("dict", "plain"):
                opts.setdefault(k, []).append(v)
            else:
                opts[k] = v
            i += 1
        pairs.append((csv_path, pq_path, opts))
    return pairs


def main(argv):
    if len(argv) >= 4 and argv[1] == "gen":
        gen(argv[2], int(argv[3]))
    elif len(argv) >= 5 and argv[1] == "check":
        try:
            check(argv[2], parse_pairs(argv[3:]))
        finally:
            if _spark is not None:
                _spark.stop()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
