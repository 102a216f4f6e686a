"""Glue Spark job: session features for a date range, from the curated zone to Parquet.

A thin runner. The features are defined once, in glue/features.sql; deployment uploads it rendered for Spark
(features.spark.sql) beside this script, and --extra-files puts it in the working directory. It reads the curated
zone (glue/build_curated.py writes it first, in the same workflow). Arguments: --from/--to (inclusive UTC dates,
session start), --lake_bucket.
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

with open("features.spark.sql") as f:
    features_sql = f.read()

curated_base = f"s3://{args['lake_bucket']}/curated/clickstream/"
events = spark.read.option("basePath", curated_base).parquet(curated_base).where(F.col("dt").between(read_from, args["to"])).drop("dt")
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
