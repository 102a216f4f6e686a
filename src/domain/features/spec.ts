/**
 * The purchase-propensity feature spec: names and order of the model's inputs. glue/features.sql computes
 * them in the lake (Glue Spark / local DuckDB) and `sessionFeatures` computes them from a live session;
 * the parity test holds the two to the same values.
 */
export const FEATURE_NAMES = [
  'n_events',
  'n_page_views',
  'n_product_views',
  'n_searches',
  'n_add_to_carts',
  'n_remove_from_carts',
  'n_begin_checkouts',
  'n_distinct_products',
  'n_distinct_categories',
  'duration_s',
  'mean_gap_s',
  'mean_viewed_price',
  'max_viewed_price',
  'cart_value',
  'net_cart_items',
  'start_hour',
  'start_dow',
  'previous_sessions',
  'device_mobile',
  'device_tablet',
  'device_desktop',
  'referrer_direct',
  'referrer_search',
  'referrer_social',
  'referrer_email',
  'referrer_ads',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Features of the calendar and their cycle (ms): served sessions cover a day of week only over a week, so drift in
 * `start_dow` is judged only when the sessions compared span most of a week (src/domain/monitoring/report.ts).
 */
export const CALENDAR_CYCLES: Partial<Record<FeatureName, number>> = { start_hour: 86_400_000, start_dow: 7 * 86_400_000 };

/** null = not observed (no viewed product had a price); the model's preprocessing decides what that means. */
export type FeatureVector = Record<FeatureName, number | null>;

export type ReferrerClass = 'direct' | 'search' | 'social' | 'email' | 'ads' | 'other';

/**
 * Referrer classes by substring of the referrer URL, first match wins; no referrer = direct.
 * The SQL side is generated from this table (`{{REFERRER_CLASS(x)}}`), so there is one list.
 */
export const REFERRER_PATTERNS: readonly (readonly [Exclude<ReferrerClass, 'direct' | 'other'>, readonly string[]])[] = [
  ['ads', ['ads.', 'doubleclick.', 'utm_medium=cpc']],
  ['email', ['mail.', 'utm_medium=email']],
  ['search', ['google.', 'bing.', 'duckduckgo.', 'yahoo.', 'baidu.', 'yandex.']],
  ['social', ['facebook.', 'instagram.', 'twitter.', 't.co/', 'tiktok.', 'pinterest.', 'reddit.', 'linkedin.']],
];

export function referrerClass(referrer: string | null | undefined): ReferrerClass {
  if (!referrer) return 'direct';
  for (const [cls, patterns] of REFERRER_PATTERNS) if (patterns.some((p) => referrer.includes(p))) return cls;
  return 'other';
}
