-- The purchase funnel: of the sessions that viewed a product, how many then added to the cart, began a checkout
-- and purchased (each step counts the sessions that reached it and every step before it), with the conversion
-- from the step before and from the first. Events are deduplicated by event_id (the documented dedup rule).
-- Input: {{EVENTS()}} — locally the raw zone of --from … --to; on Athena the crawled raw table (add a dt filter).
WITH deduped AS (
  SELECT event_type, session_id,
         row_number() OVER (PARTITION BY event_id ORDER BY received_at, ingested_at) AS copy_rank
  FROM {{EVENTS()}}
),
reached AS (
  SELECT session_id,
         max(CASE WHEN event_type = 'product_view' THEN 1 ELSE 0 END) AS viewed,
         max(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
         max(CASE WHEN event_type = 'begin_checkout' THEN 1 ELSE 0 END) AS checked_out,
         max(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchased
  FROM deduped
  WHERE copy_rank = 1
  GROUP BY session_id
),
steps AS (
  SELECT 1 AS step, 'product_view' AS event_type, sum(viewed) AS sessions FROM reached
  UNION ALL
  SELECT 2, 'add_to_cart', sum(viewed * carted) FROM reached
  UNION ALL
  SELECT 3, 'begin_checkout', sum(viewed * carted * checked_out) FROM reached
  UNION ALL
  SELECT 4, 'purchase', sum(viewed * carted * checked_out * purchased) FROM reached
)
SELECT s.step, s.event_type, coalesce(s.sessions, 0) AS sessions,
       round(CAST(s.sessions AS DOUBLE) / nullif(p.sessions, 0), 4) AS from_previous,
       round(CAST(s.sessions AS DOUBLE) / nullif(f.sessions, 0), 4) AS from_first
FROM steps s
LEFT JOIN steps p ON p.step = s.step - 1
CROSS JOIN (SELECT sessions FROM steps WHERE step = 1) f
ORDER BY s.step
