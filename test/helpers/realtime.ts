import { randomUUID } from 'node:crypto';
import type { ClickstreamEvent } from '#domain/events/schema';
import type { EventType } from '#domain/realtime/window';

/** One stream record of a burst, with what it holds (so a test can compute the figures of any set of records). */
export interface BurstRecord {
  data: Buffer;
  partitionKey: string;
  valid: ClickstreamEvent[];
  bad: number;
  /** Receive time − event time of each valid event, ms. */
  lags: number[];
}

const TYPES: EventType[] = [
  'page_view',
  'product_view',
  'product_view',
  'search',
  'add_to_cart',
  'product_view',
  'begin_checkout',
  'purchase',
  'remove_from_cart',
];

/**
 * A burst of collector envelopes with known contents: `events` events (every `badEvery`-th one breaks the contract)
 * of `sessions` sessions, each of one of `visitors` visitors, up to 10 events of a session per record, received at
 * `receivedAt`, each event `lagMs(i)` older than that. Ids carry `tag`, so bursts never share a session.
 */
export function burst(options: {
  tag: string;
  events: number;
  sessions: number;
  visitors: number;
  receivedAt: Date;
  badEvery?: number;
  lagMs?: (i: number) => number;
}): BurstRecord[] {
  const { tag, events, sessions, visitors, receivedAt, badEvery = 50, lagMs = (i) => (i % 120) * 500 } = options;
  const bySession = new Map<number, { json: unknown; event?: ClickstreamEvent; lag?: number }[]>();
  for (let i = 0; i < events; i++) {
    const s = i % sessions;
    const lag = lagMs(i);
    const type = TYPES[i % TYPES.length]!;
    const event: ClickstreamEvent = {
      event_id: randomUUID(),
      event_type: type,
      event_time: new Date(receivedAt.getTime() - lag).toISOString(),
      session_id: `${tag}-s${s}`,
      anonymous_id: `${tag}-v${s % visitors}`,
      ...(type === 'product_view' || type === 'add_to_cart' || type === 'remove_from_cart'
        ? { product: { id: `${tag}-p${(i * 7) % 23}`, price: 10 + (i % 5), currency: 'USD' } }
        : {}),
      ...(type === 'purchase' ? { order: { id: `${tag}-o${i}`, revenue: 10 + (i % 97) / 100, currency: 'USD' } } : {}),
    };
    const bad = badEvery > 0 && i % badEvery === badEvery - 1;
    const group = bySession.get(s) ?? [];
    group.push(bad ? { json: { ...event, event_type: 'teleport' } } : { json: event, event, lag });
    bySession.set(s, group);
  }
  const records: BurstRecord[] = [];
  for (const [s, group] of bySession) {
    for (let at = 0; at < group.length; at += 10) {
      const chunk = group.slice(at, at + 10);
      records.push({
        data: Buffer.from(JSON.stringify({ v: 1, received_at: receivedAt.toISOString(), events: chunk.map((c) => c.json) })),
        partitionKey: `${tag}-s${s}`,
        valid: chunk.flatMap((c) => c.event ?? []),
        bad: chunk.filter((c) => !c.event).length,
        lags: chunk.flatMap((c) => (c.lag === undefined ? [] : [c.lag])),
      });
    }
  }
  return records;
}

/** The exact figures of a set of burst records: what the real-time window must report for them. */
export function exactFigures(records: readonly BurstRecord[]) {
  const valid = records.flatMap((r) => r.valid);
  const byType: Partial<Record<EventType, number>> = {};
  for (const e of valid) byType[e.event_type] = (byType[e.event_type] ?? 0) + 1;
  const sessionsWith = (type: EventType) => new Set(valid.filter((e) => e.event_type === type).map((e) => e.session_id)).size;
  const views = new Map<string, { count: number; people: Set<string> }>();
  for (const e of valid.filter((x) => x.event_type === 'product_view')) {
    const entry = views.get(e.product!.id) ?? { count: 0, people: new Set<string>() };
    entry.count += 1;
    entry.people.add(e.anonymous_id);
    views.set(e.product!.id, entry);
  }
  const lags = records.flatMap((r) => r.lags).sort((a, b) => a - b);
  const cents = valid.filter((e) => e.event_type === 'purchase').reduce((sum, e) => sum + Math.round(e.order!.revenue! * 100), 0);
  return {
    events: valid.length,
    byType,
    bad: records.reduce((n, r) => n + r.bad, 0),
    sessions: new Set(valid.map((e) => e.session_id)).size,
    visitors: new Set(valid.map((e) => e.anonymous_id)).size,
    funnel: {
      viewed: sessionsWith('product_view'),
      carted: sessionsWith('add_to_cart'),
      checkout: sessionsWith('begin_checkout'),
      purchased: sessionsWith('purchase'),
    },
    orders: valid.filter((e) => e.event_type === 'purchase').length,
    revenueCents: cents,
    views,
    lag: (q: number) => lags[Math.floor(q * (lags.length - 1))]!,
  };
}
