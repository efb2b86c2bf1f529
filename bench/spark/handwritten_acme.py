"""handwritten_acme.py INPUT OUTPUT_DIR — bench/acme_plan.txt written by hand, the way a data engineer
writes a PySpark job: Spark's CSV reader, one column expression per output column, Spark's CSV
writer.  The yardstick for the generated job (bench/spark/run.sh): same input, same output rows.

It keeps to what the plan says for this file's data (the generator's values), not to every edge of
the plan language: Spark's trim() trims spaces only, to_date() is not strict about the day's range,
and rows that fail a conversion are dropped instead of written to rejects.csv."""
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

src, out = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("acme hand-written").getOrCreate()
spark.sparkContext.setLogLevel("WARN")

df = spark.read.csv(src, header=True, quote='"', escape='"')   # every column a string

amt = F.regexp_replace(F.col("Amt"), ",", "")
amount = F.regexp_replace(amt, "[()]", "").cast("decimal(18,2)")
amount = F.when(amt.startswith("("), -amount).otherwise(amount)
amount = F.when(F.col("Dr/Cr") == "C", -amount).otherwise(amount)

result = df.where(F.col("Status").isNull() | (F.col("Status") != "VOID")).select(
    F.lpad(F.col("Acct No"), 10, "0").alias("ACCOUNT_ID"),
    F.to_date(F.col("Posting Dt"), "MM/dd/yyyy").alias("POSTING_DATE"),
    F.trim(F.col("Description")).alias("DESCRIPTION"),
    amount.alias("AMOUNT"),
    F.when(F.col("Dr/Cr") == "D", "DEBIT").when(F.col("Dr/Cr") == "C", "CREDIT").alias("ENTRY_TYPE"),
    F.coalesce(F.col("Currency"), F.lit("USD")).alias("CURRENCY"),
    F.upper(F.trim(F.col("Cost Center"))).alias("COST_CENTER"),
    F.substring_index(F.col("Journal Ref"), "/", 1).alias("JOURNAL_ID"),
    F.lit("GL").alias("SOURCE_SYSTEM"))
valid = F.col("ACCOUNT_ID").isNotNull() & F.col("POSTING_DATE").isNotNull() & F.col("AMOUNT").isNotNull() \
    & F.col("ENTRY_TYPE").isNotNull()
result.where(valid).write.mode("overwrite").option("header", True).option("escape", '"') \
    .csv(out.rstrip("/") + "/GL_ENTRIES.csv")
spark.stop()
