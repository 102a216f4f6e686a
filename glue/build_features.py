"""Glue Spark job: session features for a date range, from the curated zone to Parquet.

A thin runner. The features are defined once, in glue/features.sql; deployment uploads it rendered for Spark
(features.spark.sql) beside this script, and --extra-files puts it in the working directory. It reads the curated
zone (glue/build_curated.py writes it first, in the same workflow). Arguments: --from/--to (inclusive UTC dates,
session start), --lake_bucket, and --run (a training run's version: also write its channels, glue/channels.sql).
Re-running a range replaces exactly its dt partitions (dynamic partition overwrite), so the job is idempotent.
"""
import json
import sys
from datetime import date, timedelta

import boto3
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
features = features.cache()
(
    features.repartition("dt")
    .sortWithinPartitions("session_id")
    .write.mode("overwrite")
    .partitionBy("dt")
    .parquet(f"s3://{args['lake_bucket']}/features/purchase-propensity/")
)
# With --run (the training workflow's version): the run's time split as SageMaker's training channels
# (glue/channels.sql, libsvm text), and a manifest the workflow reads to choose its trainer.
if "--run" in sys.argv:
    run = getResolvedOptions(sys.argv, ["run"])["run"]
    with open("channels.spark.sql") as f:
        channels_sql = f.read()
    features.createOrReplaceTempView("run_features")
    channels = spark.sql(channels_sql).cache()
    prefix = f"training/purchase-propensity/{run}/channels/"
    counts = {r["channel"]: (r["rows"], r["positives"]) for r in channels.groupBy("channel").agg(F.count("*").alias("rows"), F.sum("label").alias("positives")).collect()}
    uris = {}
    for name in ("train", "validation", "test"):
        uris[name] = f"s3://{args['lake_bucket']}/{prefix}{name}/"
        channels.where(F.col("channel") == name).select("line").write.mode("overwrite").text(uris[name])
    rows = {name: int(counts.get(name, (0, 0))[0]) for name in uris}
    manifest = {
        "run": run,
        "from": args["from"],
        "to": args["to"],
        "format": "text/libsvm",
        "features": [c for c in features.columns if c not in ("session_id", "dt", "label")],
        "partitions": sorted(f"dt={r['dt']}" for r in features.select("dt").distinct().collect()),
        "rows": {**rows, "total": sum(rows.values())},
        "positives": {name: int(counts.get(name, (0, 0))[1] or 0) for name in uris},
        "channels": uris,
    }
    boto3.client("s3").put_object(
        Bucket=args["lake_bucket"], Key=f"{prefix}manifest.json", Body=json.dumps(manifest).encode(), ContentType="application/json"
    )

job.commit()
