"""Glue Spark job: session features for a date range, from the raw zone to Parquet.

A thin runner. The features are defined once, in glue/features.sql; deployment uploads it rendered for Spark
(features.spark.sql) with the raw-zone input schema (raw-schema.spark.ddl) beside this script, and --extra-files
puts both in the working directory. Arguments: --from/--to (inclusive UTC dates, session start), --lake_bucket.
Re-running a range replaces exactly its dt partitions (dynamic partition overwrite), so the job is idempotent.
"""
import sys
from datetime import date, timedelta

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

args = getResolvedOptions(sys.argv, ["JOB_NAME", "from", "to", "lake_bucket"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
spark.conf.set("spark.sql.session.timeZone", "UTC")
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

first, last = date.fromisoformat(args["from"]), date.fromisoformat(args["to"])
if first > last:
    raise ValueError(f"--from {first} is after --to {last}")
# The day before the range too, so sessions that cross midnight are whole (as the local job does).
read_from = (first - timedelta(days=1)).isoformat()

with open("raw-schema.spark.ddl") as f:
    raw_schema = f.read().strip()
with open("features.spark.sql") as f:
    features_sql = f.read()

raw_base = f"s3://{args['lake_bucket']}/raw/clickstream/"
events = (
    spark.read.schema(f"{raw_schema}, dt STRING, hour STRING")
    .option("basePath", raw_base)
    .json(raw_base)
    .where(F.col("dt").between(read_from, args["to"]))
)
events.createOrReplaceTempView("events")

features = spark.sql(features_sql).where(F.col("dt").between(args["from"], args["to"]))
# Features as DOUBLE and the label as INT, the Parquet schema the trainer reads (as the local job writes it).
features = features.select(
    "session_id",
    *[F.col(c).cast("double").alias(c) for c in features.columns if c not in ("session_id", "dt", "label")],
    F.col("label").cast("int").alias("label"),
    "dt",
)
(
    features.repartition("dt")
    .sortWithinPartitions("session_id")
    .write.mode("overwrite")
    .partitionBy("dt")
    .parquet(f"s3://{args['lake_bucket']}/features/purchase-propensity/")
)
job.commit()
