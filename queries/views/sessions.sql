-- One row per session: its visitor (pseudonymized), first and last event time, events by type, revenue, and
-- whether it purchased. Events are deduplicated by event_id.
-- Input: {{EVENTS()}} — locally the raw zone of --from … --to; on Athena the crawled raw table (add a dt filter).
WITH deduped AS (
  SELECT e.*, row_number() OVER (PARTITION BY event_id ORDER BY received_at, ingested_at) AS copy_rank
  FROM {{EVENTS()}} e
)
SELECT session_id,
       min(anonymous_id) AS anonymous_id,
       min(event_time) AS first_event_time,
       max(event_time) AS last_event_time,
       count(*) AS events,
       sum(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS page_views,
       sum(CASE WHEN event_type = 'product_view' THEN 1 ELSE 0 END) AS product_views,
       sum(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_carts,
       sum(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases,
       coalesce(sum(CASE WHEN event_type = 'purchase' THEN {{NAME(order)}}.revenue END), 0) AS revenue
FROM deduped
WHERE copy_rank = 1
GROUP BY session_id
ORDER BY first_event_time, session_id
