import { deviceClass } from '../enrichments/user-agent';
import type { ClickstreamEvent } from '../events/schema';
import { referrerClass, type FeatureVector } from './spec';

/** A session event as the lake holds it (enriched) or as a live client sends it (contract only). */
export type SessionEvent = ClickstreamEvent & { received_at?: string; ingested_at?: string; device_class?: string };

const seconds = (e: SessionEvent) => Date.parse(e.event_time) / 1000;

const receivedOrder = (a: SessionEvent, b: SessionEvent) =>
  (a.received_at ?? '').localeCompare(b.received_at ?? '') || (a.ingested_at ?? '').localeCompare(b.ingested_at ?? '');

/** Keeps the earliest-received copy of each event_id (as glue/features.sql does). */
function dedup(events: readonly SessionEvent[]): SessionEvent[] {
  const byId = new Map<string, SessionEvent>();
  for (const e of events) {
    const kept = byId.get(e.event_id);
    if (kept === undefined || receivedOrder(e, kept) < 0) byId.set(e.event_id, e);
  }
  return [...byId.values()];
}

const byTimeThenId = (a: SessionEvent, b: SessionEvent) => seconds(a) - seconds(b) || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);

/**
 * The features of one session (glue/features.sql, in TypeScript): only events before the first purchase
 * count, so a model never sees the outcome it predicts. `previousSessions`: how many sessions this visitor
 * started before (the lake knows it; a live caller passes what it knows, 0 by default).
 */
export function sessionFeatures(events: readonly SessionEvent[], options: { previousSessions?: number } = {}): FeatureVector {
  const all = dedup(events).sort(byTimeThenId);
  const first = all[0];
  const purchases = all.filter((e) => e.event_type === 'purchase').map(seconds);
  const cutoff = purchases.length > 0 ? Math.min(...purchases) : Infinity;
  const before = all.filter((e) => seconds(e) < cutoff);

  const count = (type: SessionEvent['event_type']) => before.filter((e) => e.event_type === type).length;
  const viewedPrices = before.filter((e) => e.event_type === 'product_view' && typeof e.product?.price === 'number').map((e) => e.product!.price!);
  const times = before.map(seconds);
  const duration = times.length > 0 ? Math.max(...times) - Math.min(...times) : 0;
  const cartValue = before.reduce(
    (sum, e) => sum + (e.event_type === 'add_to_cart' ? (e.product?.price ?? 0) : e.event_type === 'remove_from_cart' ? -(e.product?.price ?? 0) : 0),
    0,
  );
  const device = first ? (first.device_class ?? deviceClass(first.context?.user_agent)) : 'unknown';
  const referrer = referrerClass(first?.page?.referrer);
  const startSeconds = first ? seconds(first) : 0;
  const distinct = (pick: (e: SessionEvent) => string | undefined) => new Set(before.map(pick).filter((v) => v !== undefined && v !== null)).size;

  return {
    n_events: before.length,
    n_page_views: count('page_view'),
    n_product_views: count('product_view'),
    n_searches: count('search'),
    n_add_to_carts: count('add_to_cart'),
    n_remove_from_carts: count('remove_from_cart'),
    n_begin_checkouts: count('begin_checkout'),
    n_distinct_products: distinct((e) => e.product?.id),
    n_distinct_categories: distinct((e) => e.product?.category),
    duration_s: duration,
    mean_gap_s: before.length > 1 ? duration / (before.length - 1) : 0,
    mean_viewed_price: viewedPrices.length > 0 ? viewedPrices.reduce((a, b) => a + b, 0) / viewedPrices.length : null,
    max_viewed_price: viewedPrices.length > 0 ? Math.max(...viewedPrices) : null,
    cart_value: cartValue,
    net_cart_items: count('add_to_cart') - count('remove_from_cart'),
    start_hour: first ? Math.floor(startSeconds / 3_600) % 24 : 0,
    start_dow: first ? (Math.floor(startSeconds / 86_400) + 4) % 7 : 0,
    previous_sessions: options.previousSessions ?? 0,
    device_mobile: device === 'mobile' ? 1 : 0,
    device_tablet: device === 'tablet' ? 1 : 0,
    device_desktop: device === 'desktop' ? 1 : 0,
    referrer_direct: referrer === 'direct' ? 1 : 0,
    referrer_search: referrer === 'search' ? 1 : 0,
    referrer_social: referrer === 'social' ? 1 : 0,
    referrer_email: referrer === 'email' ? 1 : 0,
    referrer_ads: referrer === 'ads' ? 1 : 0,
  };
}

/** The label: the session contains a purchase. */
export const purchased = (events: readonly SessionEvent[]): 0 | 1 => (events.some((e) => e.event_type === 'purchase') ? 1 : 0);

/**
 * How many sessions each visitor started before each session (sessions ordered by their first event,
 * then session id), as glue/features.sql counts `previous_sessions`.
 */
export function previousSessionCounts(sessions: ReadonlyMap<string, readonly SessionEvent[]>): Map<string, number> {
  const starts = [...sessions].flatMap(([sessionId, events]) => {
    const first = dedup(events).sort(byTimeThenId)[0];
    return first ? [{ sessionId, visitor: first.anonymous_id, first }] : [];
  });
  starts.sort((a, b) => seconds(a.first) - seconds(b.first) || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  const seen = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const { sessionId, visitor } of starts) {
    counts.set(sessionId, seen.get(visitor) ?? 0);
    seen.set(visitor, (seen.get(visitor) ?? 0) + 1);
  }
  return counts;
}
