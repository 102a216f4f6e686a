import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { WINDOW_STATE_LIMIT_BYTES } from '../../../../local/event-source-mapping';
import { HLL_STANDARD_ERROR } from '#domain/realtime/sketches';
import { aggregate, emptyState, mergeItems, stateFrom, TOP_CAPACITY, windowItems, type WindowRecord } from '#domain/realtime/window';
import { burst, exactFigures } from '../../../helpers/realtime';

const at = new Date('2026-12-07T10:00:00.000Z');
const asRecords = (records: ReturnType<typeof burst>): WindowRecord[] =>
  records.map((r, i) => ({ data: r.data, sequenceNumber: String(1000 + i).padStart(12, '0'), arrivalMs: at.getTime() }));
/** A HyperLogLog count: within three standard errors (at small counts, a register collision costs one). */
const expectDistinct = (estimate: number, exact: number) => expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(Math.max(1, 3 * HLL_STANDARD_ERROR * exact));
const key = { start: '2026-12-07T10:00:00.000Z', end: '2026-12-07T10:01:00.000Z', shard: 'clickstream/shardId-000000000000' };

describe('a tumbling window’s state', () => {
  const records = burst({ tag: 'unit', events: 1_000, sessions: 90, visitors: 60, receivedAt: at });

  it('counts what its records hold', () => {
    const figures = mergeItems(windowItems(aggregate(emptyState(), asRecords(records)), key), 100);
    const exact = exactFigures(records);
    expect(figures.events).toEqual({ total: exact.events, by_type: exact.byType });
    expect([figures.bad_events, figures.orders, Math.round(figures.revenue.USD! * 100)]).toEqual([exact.bad, exact.orders, exact.revenueCents]);
    expectDistinct(figures.sessions, exact.sessions);
    expectDistinct(figures.visitors, exact.visitors);
    expect(figures.bad_rate).toBeCloseTo(exact.bad / 1_000, 10);
  });

  it('is the same however the window’s records were split into invocations (state passed through JSON, as Lambda does)', () => {
    const all = asRecords(records);
    const once = windowItems(aggregate(emptyState(), all), key);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 5 }), (cuts) => {
        let state = stateFrom({});
        let from = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), all.length]) {
          state = stateFrom(JSON.parse(JSON.stringify(aggregate(state, all.slice(from, cut)))));
          from = cut;
        }
        expect(windowItems(state, key)).toEqual(once);
      }),
      { numRuns: 20 },
    );
  });

  it('counts records that are no events, events the contract rejects, and leaves replayed history out of the traffic', () => {
    const replayed = Buffer.from(
      JSON.stringify({ v: 1, received_at: at.toISOString(), replay_id: 'r1', event: JSON.parse(records[0]!.data.toString()).events[0] }),
    );
    const state = aggregate(emptyState(), [
      { data: Buffer.from('not json'), sequenceNumber: '1', arrivalMs: at.getTime() },
      { data: Buffer.from('{"event_type":"page_view"}'), sequenceNumber: '2', arrivalMs: at.getTime() },
      { data: replayed, sequenceNumber: '3', arrivalMs: at.getTime() },
    ]);
    expect([state.bad, state.replayed, Object.keys(state.events).length]).toEqual([2, 1, 0]);
  });

  it(`stays far under Lambda's 1 MB state limit whatever producers send (${TOP_CAPACITY} products kept per top-k)`, () => {
    // The worst case: every event a new product with the longest id counted, viewed and carted.
    const events = Array.from({ length: 5_000 }, (_, i) => ({
      event_id: randomUUID(),
      event_type: i % 2 ? 'product_view' : 'add_to_cart',
      event_time: at.toISOString(),
      session_id: `s${i}`,
      anonymous_id: `v${i}`,
      product: { id: `${i}-${'p'.repeat(70)}` },
      order: undefined,
    }));
    const data = Buffer.from(JSON.stringify({ v: 1, received_at: at.toISOString(), events: events.map(({ order: _o, ...e }) => e) }));
    const state = aggregate(emptyState(), [{ data, sequenceNumber: '1', arrivalMs: at.getTime() }]);
    const bytes = Buffer.byteLength(JSON.stringify(state));
    expect(state.viewed.length).toBe(TOP_CAPACITY);
    expect(bytes).toBeLessThan(WINDOW_STATE_LIMIT_BYTES / 4);
    // And every stored item under DynamoDB's 400 KB.
    for (const item of windowItems(state, key)) expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan((400 * 1024) / 2);
  });

  it('names its items by window, shard and first record, so a retried final invocation writes the same items', () => {
    const state = aggregate(emptyState(), asRecords(records));
    const ids = windowItems(state, key).map((i) => `${i.family} ${i.id}`);
    expect(ids).toEqual(['traffic', 'visitors', 'products', 'lag'].map((f) => `${f} ${key.start}#${key.shard}#000000001000`));
    expect(windowItems(structuredClone(state), key)).toEqual(windowItems(state, key));
  });

  it('merges shards: counts add up, distinct counts are a union', () => {
    const a = burst({ tag: 'shard', events: 400, sessions: 40, visitors: 30, receivedAt: at });
    const left = windowItems(aggregate(emptyState(), asRecords(a.slice(0, 20))), { ...key, shard: 's/0' });
    const right = windowItems(aggregate(emptyState(), asRecords(a.slice(20))), { ...key, shard: 's/1' });
    const merged = mergeItems([...left, ...right], 100);
    const exact = exactFigures(a);
    expect([merged.events.total, merged.shards]).toEqual([exact.events, 2]);
    expectDistinct(merged.visitors, exact.visitors);
    expectDistinct(merged.sessions, exact.sessions);
  });
});
