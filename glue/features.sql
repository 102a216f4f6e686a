-- Purchase-propensity features, one row per session, from the curated events of the lake.
-- One definition: Glue (Spark SQL) and the local Glue job (DuckDB) run this file; double-brace macros mark the
-- few dialect differences, rendered by src/domain/features/sql.ts (see glue/README.md).
-- Input: a view `events` (the curated zone's columns: glue/curated.sql). Output: session_id, dt (UTC date of the
-- session's first event), the features of src/domain/features/spec.ts in that order, and label.
WITH deduped AS (
  -- The curated zone holds one row per event_id already (glue/curated.sql applies the dedup rule).
  SELECT event_id, event_type, event_time, {{EPOCH_S(event_time)}} AS t, session_id, anonymous_id, device_class,
         page_referrer AS referrer, product_id, product_category AS category, product_price AS price
  FROM events
),
bounds AS (
  SELECT session_id, min(CASE WHEN event_type = 'purchase' THEN t END) AS purchase_t
  FROM deduped
  GROUP BY session_id
),
-- Only what happened before the first purchase: a model that sees the purchase has learned nothing.
before_purchase AS (
  SELECT d.*
  FROM deduped d JOIN bounds b ON d.session_id = b.session_id
  WHERE b.purchase_t IS NULL OR d.t < b.purchase_t
),
firsts AS (
  SELECT session_id, anonymous_id, device_class, referrer, event_time, t
  FROM (
    SELECT d.*, row_number() OVER (PARTITION BY session_id ORDER BY t, event_id) AS k
    FROM deduped d
  ) x
  WHERE k = 1
),
visits AS (
  SELECT session_id, row_number() OVER (PARTITION BY anonymous_id ORDER BY t, session_id) - 1 AS previous_sessions
  FROM firsts
),
agg AS (
  SELECT session_id,
         count(*) AS n_events,
         sum(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS n_page_views,
         sum(CASE WHEN event_type = 'product_view' THEN 1 ELSE 0 END) AS n_product_views,
         sum(CASE WHEN event_type = 'search' THEN 1 ELSE 0 END) AS n_searches,
         sum(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS n_add_to_carts,
         sum(CASE WHEN event_type = 'remove_from_cart' THEN 1 ELSE 0 END) AS n_remove_from_carts,
         sum(CASE WHEN event_type = 'begin_checkout' THEN 1 ELSE 0 END) AS n_begin_checkouts,
         count(DISTINCT product_id) AS n_distinct_products,
         count(DISTINCT category) AS n_distinct_categories,
         max(t) - min(t) AS duration_s,
         avg(CASE WHEN event_type = 'product_view' THEN price END) AS mean_viewed_price,
         max(CASE WHEN event_type = 'product_view' THEN price END) AS max_viewed_price,
         sum(CASE WHEN event_type = 'add_to_cart' THEN coalesce(price, 0)
                  WHEN event_type = 'remove_from_cart' THEN -coalesce(price, 0)
                  ELSE 0 END) AS cart_value
  FROM before_purchase
  GROUP BY session_id
)
SELECT f.session_id,
       substr(f.event_time, 1, 10) AS dt,
       coalesce(a.n_events, 0) AS n_events,
       coalesce(a.n_page_views, 0) AS n_page_views,
       coalesce(a.n_product_views, 0) AS n_product_views,
       coalesce(a.n_searches, 0) AS n_searches,
       coalesce(a.n_add_to_carts, 0) AS n_add_to_carts,
       coalesce(a.n_remove_from_carts, 0) AS n_remove_from_carts,
       coalesce(a.n_begin_checkouts, 0) AS n_begin_checkouts,
       coalesce(a.n_distinct_products, 0) AS n_distinct_products,
       coalesce(a.n_distinct_categories, 0) AS n_distinct_categories,
       coalesce(a.duration_s, 0) AS duration_s,
       CASE WHEN a.n_events > 1 THEN a.duration_s / (a.n_events - 1) ELSE 0 END AS mean_gap_s,
       a.mean_viewed_price,
       a.max_viewed_price,
       coalesce(a.cart_value, 0) AS cart_value,
       coalesce(a.n_add_to_carts, 0) - coalesce(a.n_remove_from_carts, 0) AS net_cart_items,
       CAST(floor(f.t / 3600) AS BIGINT) % 24 AS start_hour,
       (CAST(floor(f.t / 86400) AS BIGINT) + 4) % 7 AS start_dow,
       v.previous_sessions,
       CASE WHEN f.device_class = 'mobile' THEN 1 ELSE 0 END AS device_mobile,
       CASE WHEN f.device_class = 'tablet' THEN 1 ELSE 0 END AS device_tablet,
       CASE WHEN f.device_class = 'desktop' THEN 1 ELSE 0 END AS device_desktop,
       CASE WHEN {{REFERRER_CLASS(f.referrer)}} = 'direct' THEN 1 ELSE 0 END AS referrer_direct,
       CASE WHEN {{REFERRER_CLASS(f.referrer)}} = 'search' THEN 1 ELSE 0 END AS referrer_search,
       CASE WHEN {{REFERRER_CLASS(f.referrer)}} = 'social' THEN 1 ELSE 0 END AS referrer_social,
       CASE WHEN {{REFERRER_CLASS(f.referrer)}} = 'email' THEN 1 ELSE 0 END AS referrer_email,
       CASE WHEN {{REFERRER_CLASS(f.referrer)}} = 'ads' THEN 1 ELSE 0 END AS referrer_ads,
       CASE WHEN b.purchase_t IS NULL THEN 0 ELSE 1 END AS label
FROM firsts f
JOIN bounds b ON b.session_id = f.session_id
JOIN visits v ON v.session_id = f.session_id
LEFT JOIN agg a ON a.session_id = f.session_id
ORDER BY f.session_id
