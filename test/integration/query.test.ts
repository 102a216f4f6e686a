import { randomUUID } from 'node:crypto';
import type { ClickstreamEvent } from '#domain/events/schema';
import type { LakeEvent } from '#domain/events/lake-event';
import { runTsx } from '../helpers/cli';
import { backfill, drain, itLocal, lakeRows, outputs } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

// A day no other test writes: the funnel is computed over exactly the events this test put there.
const DAY = '2024-02-29';
const query = (args: string[]) => runTsx('cli/query.ts', [...args, '--from', DAY, '--to', DAY, '--lake-bucket', outputs().LakeBucketName!, '--json']);

/** 13 sessions walking the funnel to a known depth; some page views sent twice (a client retry), which the views count once. */
function sessions(): ClickstreamEvent[] {
  const steps = ['page_view', 'product_view', 'add_to_cart', 'begin_checkout', 'purchase'] as const;
  const depths = [1, 2, 2, 2, 3, 3, 4, 5, 5, 5, 5, 2, 3];
  return depths.flatMap((depth, s) => {
    const session = `query-${randomUUID()}`;
    const events = steps.slice(0, depth).map((type, i) =>
      makeEvent({
        session_id: session,
        event_type: type,
        event_time: `${DAY}T1${s % 10}:0${i}:00.000Z`,
        ...(type === 'purchase' ? { order: { id: `o-${s}`, revenue: 10 + s, currency: 'EUR' } } : {}),
      }),
    );
    return s % 4 === 0 ? [...events, events[0]!] : events;
  });
}

describe('npm run query (DuckDB over the local lake, the views Athena runs)', () => {
  beforeAll(async () => {
    await backfill(sessions());
    await drain();
  });

  itLocal('counts the purchase funnel exactly as the raw zone holds it (computed apart, deduplicated by event_id)', async () => {
    const { code, json } = await query(['--view', 'funnel']);
    expect([code, json?.message]).toEqual([0, undefined]);
    // Independently: the raw rows of the day, one per event_id, a set of event types per session.
    const rows = (await lakeRows<LakeEvent>('raw')).map((r) => r.row).filter((r) => r.event_time.startsWith(DAY));
    const types = new Map<string, Set<string>>();
    for (const row of new Map(rows.map((r) => [r.event_id, r])).values())
      types.set(row.session_id, (types.get(row.session_id) ?? new Set()).add(row.event_type));
    const funnel = ['product_view', 'add_to_cart', 'begin_checkout', 'purchase'];
    const reached = funnel.map((_, step) => [...types.values()].filter((t) => funnel.slice(0, step + 1).every((e) => t.has(e))).length);
    expect(reached).toEqual([12, 8, 5, 4]);
    expect(json.rows.map((r: { event_type: string; sessions: number }) => [r.event_type, r.sessions])).toEqual(funnel.map((e, i) => [e, reached[i]]));
    expect(json.rows[1].from_previous).toBeCloseTo(8 / 12, 4);
    expect(json.rows[3].from_first).toBeCloseTo(4 / 12, 4);
  });

  itLocal('runs the sessions view and any SQL over events, bad_rows and features; a bad query is a clear error', async () => {
    const sessionsView = await query(['--view', 'sessions']);
    expect(sessionsView.code).toBe(0);
    expect(sessionsView.json.rows).toHaveLength(13);
    expect(
      sessionsView.json.rows
        .filter((r: { purchases: number }) => r.purchases > 0)
        .map((r: { revenue: number }) => r.revenue)
        .sort(),
    ).toEqual([17, 18, 19, 20]);
    const adhoc = await query(["SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events WHERE event_type = 'page_view'"]);
    // Ingest's own dedup (on locally) may have dropped the re-sent copies already; the view counts each event_id once either way.
    expect(adhoc.json.rows[0].ids).toBe(13);
    expect(adhoc.json.rows[0].n).toBeGreaterThanOrEqual(13);
    const broken = await query(['SELECT nope FROM events']);
    expect([broken.code, broken.json.message]).toEqual([2, expect.stringMatching(/The query failed: .*nope/)]);
  });
});
