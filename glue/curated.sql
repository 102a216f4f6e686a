-- The curated zone: the raw zone's events, one row per event_id — the earliest received copy (replays, client
-- retries and re-driven batches repeat events): the one place the documented dedup rule is applied — with every
-- field flattened to a column (src/domain/features/sql.ts, CURATED_COLUMNS), partitioned by dt (the UTC date of
-- partition_time, as raw/ is). One definition: Glue (Spark SQL) and the local Glue job (DuckDB) run this file.
-- Input: a view `events` (the raw zone's columns).
WITH ranked AS (
  SELECT e.*, row_number() OVER (PARTITION BY event_id ORDER BY received_at, ingested_at) AS copy_rank
  FROM events e
)
SELECT {{CURATED_COLUMNS()}}, substr(partition_time, 1, 10) AS dt
FROM ranked
WHERE copy_rank = 1
