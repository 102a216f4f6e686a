-- The training channels for SageMaker's XGBoost: the run's sessions split by time like the TypeScript trainer
-- splits them (oldest 70 % train, next 15 % validation, newest 15 % test, by dt, start_hour, session_id), each row
-- a libsvm line. Glue (Spark SQL) and the local features job (DuckDB) run this file.
-- Input: a view `run_features` (the features job's rows of the run's range). Output: channel, label, line.
-- Rows are numbered within (dt, start_hour) groups after the sizes of the groups before them, so no step sorts
-- every session in one place.
WITH groups AS (
  SELECT dt, start_hour, count(*) AS c
  FROM run_features
  GROUP BY dt, start_hour
),
offsets AS (
  SELECT dt, start_hour,
         sum(c) OVER (ORDER BY dt, start_hour ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c AS before,
         sum(c) OVER () AS n
  FROM groups
),
ranked AS (
  SELECT f.*, o.n,
         o.before + row_number() OVER (PARTITION BY f.dt, f.start_hour ORDER BY f.session_id) AS rn
  FROM run_features f
  JOIN offsets o ON f.dt = o.dt AND f.start_hour = o.start_hour
)
SELECT CASE WHEN rn <= floor(n * 0.7) THEN 'train' WHEN rn <= floor(n * 0.85) THEN 'validation' ELSE 'test' END AS channel,
       label,
       {{LIBSVM_LINE(label)}} AS line
FROM ranked
