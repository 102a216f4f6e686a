import { decodeRecord, type DecodedRecord } from '../events/envelope';
import { eventInstant } from '../events/event-time';
import { MAX_EVENT_BYTES, validateEvent, type ClickstreamEvent } from '../events/schema';
import { HyperLogLog, TopK, histogramAdd, histogramMerge, histogramQuantile, type Histogram, type TopEntry } from './sketches';

/**
 * Real-time analytics over a tumbling window (Lambda's tumbling windows on the stream's event-source mapping):
 * each invocation folds its records into the window's state; the final invocation turns the state into one item
 * per metric family. Everything kept is a count or a sketch, never an id: the state stays far under Lambda's
 * 1 MB per shard and window, and nothing here needs erasing.
 */

export type EventType = ClickstreamEvent['event_type'];
/** The funnel's steps, by the event that marks each (a session counts at a step when it had that event in the window). */
export const FUNNEL = { viewed: 'product_view', carted: 'add_to_cart', checkout: 'begin_checkout', purchased: 'purchase' } as const satisfies Record<
  string,
  EventType
>;
type FunnelStep = keyof typeof FUNNEL;
const FUNNEL_STEPS = Object.keys(FUNNEL) as FunnelStep[];

/** Products kept per top-k in the state (Space-Saving counters), and shown per window. */
export const TOP_CAPACITY = 300;
export const TOP_SHOWN = 100;
/** Longest product id counted as is (longer ones are cut): bounds the state whatever producers send. */
const MAX_KEY_CHARS = 64;
/** Currencies kept apart per window; the rest are summed under OTHER. */
const MAX_CURRENCIES = 10;

/** A window's state, as Lambda passes it between the window's invocations (JSON). */
export interface WindowState {
  v: 1;
  /** The first record of this state (a window cut short by the state limit goes on with a fresh state: another segment). */
  first_sequence?: string;
  records: number;
  events: Partial<Record<EventType, number>>;
  /** Events the contract rejects, and records that are no events at all (counted, not kept). */
  bad: number;
  /** Events re-driven by a replay or loaded by a backfill: history, not traffic now. */
  replayed: number;
  orders: number;
  /** Revenue in cents, by currency: sums of cents stay exact. */
  revenue_cents: Record<string, number>;
  sessions?: string;
  visitors?: string;
  funnel: Partial<Record<FunnelStep, string>>;
  viewed: TopEntry[];
  carted: TopEntry[];
  /** Receive time − event time, in ms; `ahead` counts events stamped later than they were received. */
  lag: Histogram;
  ahead: number;
}

export const emptyState = (): WindowState => ({
  v: 1,
  records: 0,
  events: {},
  bad: 0,
  replayed: 0,
  orders: 0,
  revenue_cents: {},
  funnel: {},
  viewed: [],
  carted: [],
  lag: {},
  ahead: 0,
});

/** What Lambda hands over: the state so far, or {} when the window starts. */
export const stateFrom = (value: unknown): WindowState =>
  typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1 ? (value as WindowState) : emptyState();

export interface WindowRecord {
  data: Buffer;
  sequenceNumber: string;
  /** Epoch ms Kinesis received it (what a stand-alone event was "received" at). */
  arrivalMs: number;
}

/**
 * Folds records into a window's state; never throws (what cannot be read is counted as bad). `visitor` maps an
 * anonymous id to what the sketches hash: its pseudonym where the stage pseudonymizes ids, so what the table keeps
 * cannot be tested against an id without the stage's key (as the lake).
 */
export function aggregate(previous: WindowState, records: readonly WindowRecord[], visitor: (anonymousId: string) => string = (id) => id): WindowState {
  const state: WindowState = structuredClone(previous);
  const sessions = HyperLogLog.from(state.sessions);
  const visitors = HyperLogLog.from(state.visitors);
  const funnel = Object.fromEntries(FUNNEL_STEPS.map((s) => [s, HyperLogLog.from(state.funnel[s])])) as Record<FunnelStep, HyperLogLog>;
  const viewed = new TopK(TOP_CAPACITY, state.viewed);
  const carted = new TopK(TOP_CAPACITY, state.carted);
  for (const record of records) {
    state.first_sequence ??= record.sequenceNumber;
    state.records += 1;
    let decoded: DecodedRecord;
    try {
      decoded = decodeRecord(record.data, () => new Date(record.arrivalMs).toISOString());
    } catch {
      state.bad += 1;
      continue;
    }
    const receivedMs = Date.parse(decoded.received_at);
    // A record no larger than the event cap bounds its events' sizes: none is serialized again to check it (as ingest does).
    const sizeBound = decoded.several && record.data.length > MAX_EVENT_BYTES ? undefined : record.data.length;
    for (const value of decoded.events) {
      if (decoded.replay_id !== undefined || decoded.backfill) {
        state.replayed += 1;
        continue;
      }
      const validation = validateEvent(value, sizeBound);
      if (!validation.ok) {
        state.bad += 1;
        continue;
      }
      const event = validation.event;
      state.events[event.event_type] = (state.events[event.event_type] ?? 0) + 1;
      sessions.add(event.session_id);
      const person = visitor(event.anonymous_id);
      visitors.add(person);
      for (const step of FUNNEL_STEPS) if (FUNNEL[step] === event.event_type) funnel[step].add(event.session_id);
      const product = event.product?.id.slice(0, MAX_KEY_CHARS);
      if (product !== undefined && event.event_type === 'product_view') viewed.add(product, person);
      if (product !== undefined && event.event_type === 'add_to_cart') carted.add(product, person);
      if (event.event_type === 'purchase') {
        state.orders += 1;
        if (event.order?.revenue !== undefined) addRevenue(state.revenue_cents, event.order.currency ?? 'USD', event.order.revenue);
      }
      const lag = Number.isFinite(receivedMs) ? receivedMs - eventInstant(event.event_time)! : NaN;
      if (lag < 0) state.ahead += 1;
      if (Number.isFinite(lag)) histogramAdd(state.lag, Math.max(0, lag));
    }
  }
  state.sessions = sessions.toJSON();
  state.visitors = visitors.toJSON();
  for (const step of FUNNEL_STEPS) state.funnel[step] = funnel[step].toJSON();
  state.viewed = viewed.top();
  state.carted = carted.top();
  return state;
}

function addRevenue(totals: Record<string, number>, currency: string, revenue: number): void {
  const code = currency in totals || Object.keys(totals).length < MAX_CURRENCIES ? currency.slice(0, 8) : 'OTHER';
  totals[code] = (totals[code] ?? 0) + Math.round(revenue * 100);
}

/** The metric families a window is stored as: one item each per shard and window, read apart (the storefront reads only `products`). */
export const FAMILIES = ['traffic', 'visitors', 'products', 'lag'] as const;
export type Family = (typeof FAMILIES)[number];

export interface WindowKey {
  /** ISO times, as Lambda's `window` gives them. */
  start: string;
  end: string;
  /** `<stream>/<shard id>`. */
  shard: string;
}

export interface FamilyItem {
  family: Family;
  /** Unique per window, shard and state segment: a retried final invocation writes the same item again. */
  id: string;
  window_start: string;
  window_end: string;
  shard: string;
  data: Record<string, unknown>;
}

/** The final state as items, one per family. */
export function windowItems(state: WindowState, key: WindowKey): FamilyItem[] {
  const id = `${key.start}#${key.shard}#${state.first_sequence ?? '-'}`;
  const data: Record<Family, Record<string, unknown>> = {
    traffic: {
      records: state.records,
      events: state.events,
      bad: state.bad,
      replayed: state.replayed,
      orders: state.orders,
      revenue_cents: state.revenue_cents,
    },
    visitors: { sessions: state.sessions ?? HyperLogLog.empty().toJSON(), visitors: state.visitors ?? HyperLogLog.empty().toJSON(), funnel: state.funnel },
    products: { viewed: state.viewed.slice(0, TOP_SHOWN), carted: state.carted.slice(0, TOP_SHOWN) },
    lag: { histogram: state.lag, ahead: state.ahead },
  };
  return FAMILIES.map((family) => ({ family, id, window_start: key.start, window_end: key.end, shard: key.shard, data: data[family] }));
}

/** A closed window's own figures (its shard's only), for its metrics and its log line. */
export function stateFigures(state: WindowState) {
  const events = Object.values(state.events).reduce((s, n) => s + n, 0);
  return {
    events,
    bad: state.bad,
    sessions: HyperLogLog.from(state.sessions).estimate(),
    visitors: HyperLogLog.from(state.visitors).estimate(),
    orders: state.orders,
    revenue: Object.values(state.revenue_cents).reduce((s, c) => s + c, 0) / 100,
    lag_p95_ms: histogramQuantile(state.lag, 0.95),
  };
}

/** One product as a window (or several) saw it. */
export interface ProductFigures {
  product_id: string;
  count: number;
  /** How much `count` may overstate (a product that entered the top-k late). */
  overcount: number;
  /** Distinct visitors (anonymous ids), estimated. */
  people: number;
}

export interface WindowFigures {
  start: string;
  end: string;
  shards: number;
  events: { total: number; by_type: Partial<Record<EventType, number>> };
  bad_events: number;
  /** Bad events over everything received (bad + valid), or null with nothing received. */
  bad_rate: number | null;
  replayed: number;
  sessions: number;
  visitors: number;
  funnel: Record<FunnelStep, number>;
  orders: number;
  /** By currency, in units (cents summed, then divided). */
  revenue: Record<string, number>;
  top_viewed: ProductFigures[];
  top_carted: ProductFigures[];
  lag_ms: { p50: number | null; p95: number | null; events: number; ahead: number };
}

/** Items merged into figures: per window (items of one window start), or for a whole range (all the items). */
export function mergeItems(items: readonly FamilyItem[], top = 10): WindowFigures {
  const byType: Partial<Record<EventType, number>> = {};
  let bad = 0;
  let replayed = 0;
  let orders = 0;
  const revenue: Record<string, number> = {};
  const sessions = HyperLogLog.empty();
  const visitors = HyperLogLog.empty();
  const funnel = Object.fromEntries(FUNNEL_STEPS.map((s) => [s, HyperLogLog.empty()])) as Record<FunnelStep, HyperLogLog>;
  const viewed = new TopK(Number.MAX_SAFE_INTEGER);
  const carted = new TopK(Number.MAX_SAFE_INTEGER);
  const lag: Histogram = {};
  let ahead = 0;
  for (const item of items) {
    const d = item.data as Record<string, any>;
    if (item.family === 'traffic') {
      for (const [type, n] of Object.entries(d.events as Record<EventType, number>)) byType[type as EventType] = (byType[type as EventType] ?? 0) + n;
      bad += d.bad;
      replayed += d.replayed;
      orders += d.orders;
      for (const [currency, cents] of Object.entries(d.revenue_cents as Record<string, number>)) revenue[currency] = (revenue[currency] ?? 0) + cents;
    } else if (item.family === 'visitors') {
      sessions.merge(HyperLogLog.from(d.sessions));
      visitors.merge(HyperLogLog.from(d.visitors));
      for (const step of FUNNEL_STEPS) funnel[step].merge(HyperLogLog.from(d.funnel[step]));
    } else if (item.family === 'products') {
      viewed.merge(d.viewed);
      carted.merge(d.carted);
    } else {
      histogramMerge(lag, d.histogram);
      ahead += d.ahead;
    }
  }
  const total = Object.values(byType).reduce((s, n) => s + n, 0);
  // Each person viewed at least once: past 32 people the estimate can say more people than views, never true.
  const products = (k: TopK) =>
    k.top(top).map((e) => ({ product_id: e.key, count: e.count, overcount: e.error, people: Math.min(e.count, k.get(e.key)!.visitors) }));
  const round = (ms: number | null) => (ms === null ? null : Math.round(ms));
  return {
    start: items.reduce((s, i) => (i.window_start < s ? i.window_start : s), items[0]?.window_start ?? ''),
    end: items.reduce((s, i) => (i.window_end > s ? i.window_end : s), ''),
    shards: new Set(items.map((i) => i.shard)).size,
    events: { total, by_type: byType },
    bad_events: bad,
    bad_rate: total + bad === 0 ? null : bad / (total + bad),
    replayed,
    sessions: sessions.estimate(),
    visitors: visitors.estimate(),
    funnel: Object.fromEntries(FUNNEL_STEPS.map((s) => [s, funnel[s].estimate()])) as Record<FunnelStep, number>,
    orders,
    revenue: Object.fromEntries(Object.entries(revenue).map(([c, cents]) => [c, cents / 100])),
    top_viewed: products(viewed),
    top_carted: products(carted),
    lag_ms: { p50: round(histogramQuantile(lag, 0.5)), p95: round(histogramQuantile(lag, 0.95)), events: Object.values(lag).reduce((s, n) => s + n, 0), ahead },
  };
}

/** Items grouped by window start, oldest first. */
export function byWindow(items: readonly FamilyItem[]): FamilyItem[][] {
  const groups = new Map<string, FamilyItem[]>();
  for (const item of items) groups.set(item.window_start, [...(groups.get(item.window_start) ?? []), item]);
  return [...groups.keys()].sort().map((k) => groups.get(k)!);
}

/** One product's people and views over the items (the storefront's "N people are looking at this"). */
export function productViewers(items: readonly FamilyItem[], productId: string): { views: number; people: number; ranked: boolean } {
  const viewed = new TopK(Number.MAX_SAFE_INTEGER);
  for (const item of items) if (item.family === 'products') viewed.merge((item.data as { viewed: TopEntry[] }).viewed);
  const found = viewed.get(productId.slice(0, MAX_KEY_CHARS));
  return { views: found?.count ?? 0, people: Math.min(found?.count ?? 0, found?.visitors ?? 0), ranked: found !== undefined };
}
