"""Glue Spark job: the curated zone for a date range — the raw zone's events, one row per event_id, flattened, as Parquet.

A thin runner. The compaction is defined once, in glue/curated.sql; deployment uploads it rendered for Spark
(curated.spark.sql) with the raw-zone input schema (raw-schema.spark.ddl) beside this script, and --extra-files
puts both in the working directory. Arguments: --from/--to (inclusive UTC dates), --lake_bucket; like the local
job it compacts the day before --from too (the features job reads it). Re-running a range replaces exactly its dt
partitions (dynamic partition overwrite), so the job is idempotent.
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
read_from = (first - timedelta(days=1)).isoformat()

with open("raw-schema.spark.ddl") as f:
    raw_schema = f.read().strip()
with open("curated.spark.sql") as f:
    curated_sql = f.read()

raw_base = f"s3://{args['lake_bucket']}/raw/clickstream/"
events = (
    spark.read.schema(f"{raw_schema}, dt STRING, hour STRING")
    .option("basePath", raw_base)
    .json(raw_base)
    .where(F.col("dt").between(read_from, args["to"]))
    .drop("dt", "hour")
)
events.createOrReplaceTempView("events")

(
    spark.sql(curated_sql)
    .repartition("dt")
    .sortWithinPartitions("event_id")
    .write.mode("overwrite")
    .partitionBy("dt")
    .parquet(f"s3://{args['lake_bucket']}/curated/clickstream/")
)
job.commit()
