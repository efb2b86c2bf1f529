"""peers.py — bench/acme_plan.txt written by hand for DuckDB and Polars, the peers of bench/run.sh --peers.

    python peers.py ENGINE INPUT.csv OUT_PATH       ENGINE: duckdb-csv | duckdb-parquet | polars-csv | polars-parquet
    python peers.py compare-parquet A.parquet B.parquet

The same transformation as the plan, column by column, the way a data engineer writes it with each
library's own built-ins: every field read as text, ACCOUNT_ID left-padded with "0" to 10,
POSTING_DATE read as MM/DD/YYYY, DESCRIPTION trimmed, AMOUNT without its thousands separators,
parentheses as a minus sign, negated when Dr/Cr is "C", as DECIMAL(18,2), ENTRY_TYPE D/C mapped,
CURRENCY defaulting to "USD", COST_CENTER trimmed and upper-cased, JOURNAL_ID the text before "/",
SOURCE_SYSTEM "GL", VOID rows skipped.  The rows mapforge rejects (an impossible date, a Dr/Cr
that is neither D nor C) are dropped here, not written to a rejects file: the peers' output must
equal mapforge's GL_ENTRIES.csv, which holds neither.  Input order is kept (DuckDB:
preserve_insertion_order, the default; Polars: the streaming engine keeps order).

Invariant: the CSV outputs are byte-for-byte mapforge's for the generated files (run.sh compares
them with cmp and says so); the Parquet outputs are compared cell by cell through DuckDB.
Nothing is printed on success; the timing is run.sh's (/usr/bin/time around this process).
"""
import sys


def duckdb_query(path):
    src = path.replace("'", "''")
    return f"""
        SELECT lpad("Acct No", 10, '0') AS ACCOUNT_ID,
               CAST(try_strptime("Posting Dt", '%m/%d/%Y') AS DATE) AS POSTING_DATE,
               nullif(trim("Description"), '') AS DESCRIPTION,
               CASE WHEN "Dr/Cr" = 'C' THEN -a ELSE a END AS AMOUNT,
               CASE "Dr/Cr" WHEN 'D' THEN 'DEBIT' WHEN 'C' THEN 'CREDIT' END AS ENTRY_TYPE,
               coalesce(nullif("Currency", ''), 'USD') AS CURRENCY,
               nullif(upper(trim("Cost Center")), '') AS COST_CENTER,
               split_part("Journal Ref", '/', 1) AS JOURNAL_ID,
               'GL' AS SOURCE_SYSTEM
        FROM (SELECT *, CAST(CASE WHEN starts_with(amt0, '(') THEN '-' || trim(amt0, '()') ELSE amt0 END
                             AS DECIMAL(18, 2)) AS a
              FROM (SELECT *, replace("Amt", ',', '') AS amt0
                    FROM read_csv('{src}', header = true, all_varchar = true, delim = ',', quote = '"',
                                  escape = '"')))
        WHERE coalesce("Status", '') <> 'VOID'
          AND try_strptime("Posting Dt", '%m/%d/%Y') IS NOT NULL
          AND "Dr/Cr" IN ('D', 'C')"""


def run_duckdb(fmt, src, out):
    import duckdb
    con = duckdb.connect()
    dst = out.replace("'", "''")
    if fmt == "csv":
        con.execute(f"COPY ({duckdb_query(src)}) TO '{dst}' (FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d')")
    else:
        con.execute(f"COPY ({duckdb_query(src)}) TO '{dst}' (FORMAT parquet)")


def run_polars(fmt, src, out):
    import polars as pl
    amt0 = pl.col("Amt").str.replace_all(",", "", literal=True)
    amt = pl.when(amt0.str.starts_with("(")).then(
        pl.lit("-") + amt0.str.strip_chars("()")).otherwise(amt0).cast(pl.Decimal(18, 2))
    date = pl.col("Posting Dt").str.strptime(pl.Date, "%m/%d/%Y", strict=False)
    lf = (pl.scan_csv(src, infer_schema=False, has_header=True)
          .filter((pl.col("Status").fill_null("") != "VOID") & date.is_not_null()
                  & pl.col("Dr/Cr").is_in(["D", "C"]))
          .select(
              pl.col("Acct No").str.pad_start(10, "0").alias("ACCOUNT_ID"),
              date.alias("POSTING_DATE"),
              pl.col("Description").str.strip_chars().replace("", None).alias("DESCRIPTION"),
              pl.when(pl.col("Dr/Cr") == "C").then(-amt).otherwise(amt).alias("AMOUNT"),
              pl.when(pl.col("Dr/Cr") == "D").then(pl.lit("DEBIT")).otherwise(pl.lit("CREDIT")).alias("ENTRY_TYPE"),
              pl.col("Currency").fill_null("USD").alias("CURRENCY"),
              pl.col("Cost Center").str.strip_chars().str.to_uppercase().replace("", None).alias("COST_CENTER"),
              pl.col("Journal Ref").str.split("/").list.first().alias("JOURNAL_ID"),
              pl.lit("GL").alias("SOURCE_SYSTEM"),
          ))
    if fmt == "csv":
        lf.sink_csv(out, engine="streaming")
    else:
        lf.sink_parquet(out, engine="streaming")


def compare_parquet(a, b):
    """Cell by cell, in row order (a positional join): prints the differing rows' count, exits 1 if any."""
    import duckdb
    con = duckdb.connect()
    qa, qb = (p.replace("'", "''") for p in (a, b))
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{qa}')").fetchall()]
    colsb = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{qb}')").fetchall()]
    if cols != colsb:
        print(f"columns differ: {cols} vs {colsb}")
        sys.exit(1)
    na = con.execute(f"SELECT count(*) FROM read_parquet('{qa}')").fetchone()[0]
    nb = con.execute(f"SELECT count(*) FROM read_parquet('{qb}')").fetchone()[0]
    diff = " OR ".join(f'CAST(x."{c}" AS VARCHAR) IS DISTINCT FROM CAST(y."{c}" AS VARCHAR)' for c in cols)
    nd = con.execute(f"SELECT count(*) FROM read_parquet('{qa}') x POSITIONAL JOIN read_parquet('{qb}') y "
                     f"WHERE {diff}").fetchone()[0]
    print(f"{na} vs {nb} rows, {nd} differ")
    sys.exit(0 if na == nb and nd == 0 else 1)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "compare-parquet":
        compare_parquet(sys.argv[2], sys.argv[3])   # exits
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    engine, src, out = sys.argv[1:4]
    lib, _, fmt = engine.partition("-")
    if lib == "duckdb" and fmt in ("csv", "parquet"):
        run_duckdb(fmt, src, out)
    elif lib == "polars" and fmt in ("csv", "parquet"):
        run_polars(fmt, src, out)
    else:
        sys.exit("peers.py: unknown engine " + engine)


if __name__ == "__main__":
    main()
