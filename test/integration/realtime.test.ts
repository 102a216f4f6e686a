import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { windowItemsSince } from '#adapters/realtime-table';
import { EXACT_UP_TO, HLL_STANDARD_ERROR } from '#domain/realtime/sketches';
import { byWindow, FAMILIES, mergeItems, type FamilyItem, type WindowFigures } from '#domain/realtime/window';
import type { Invoke } from '../../local/event-source-mapping';
import { api, apiKeys, itLocal, outputs, postEvents } from '../helpers/cloud';
import { burst, exactFigures, type BurstRecord } from '../helpers/realtime';
import { arrivals, mappingOn, nextWindow, putAll, testStream } from '../helpers/streams';
import { waitFor } from '../helpers/wait';

const WINDOW_MS = 3_000;
const run = Date.now().toString(36);

/** The stack's realtime function (functions/realtime/handler.ts), invoked through the local Lambda Invoke API as a mapping does. */
function realtimeFunction(): Invoke {
  const lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: outputs().LambdaEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return async (_name, event) => {
    const response = await lambda.send(new InvokeCommand({ FunctionName: 'clickstream-ml-local-realtime', Payload: Buffer.from(JSON.stringify(event)) }));
    const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
    return { ...(response.FunctionError ? { functionError: response.FunctionError } : {}), payload: text ? JSON.parse(text) : null };
  };
}

/** The windows the table holds for one stream's shards, merged per window (what GET /realtime shows for them). */
async function storedWindows(stream: string, since: number): Promise<{ items: FamilyItem[]; windows: WindowFigures[] }> {
  const items = (await Promise.all(FAMILIES.map((f) => windowItemsSince(outputs().RealtimeTableName!, f, new Date(since).toISOString()))))
    .flat()
    .filter((i) => i.shard.startsWith(`${stream}/`));
  return { items, windows: byWindow(items).map((w) => mergeItems(w, 1_000)) };
}

/**
 * The bursts' records grouped by the window of their arrival on the stream (read back from Kinesis), and how many
 * (window, shard) pairs they fill: a window's final invocations, and its items per family, are one per pair.
 */
async function recordsByWindow(stream: string, records: readonly BurstRecord[]): Promise<{ windows: Map<number, BurstRecord[]>; shardWindows: number }> {
  const byData = new Map(records.map((r) => [r.data.toString('base64'), r]));
  const windows = new Map<number, BurstRecord[]>();
  const pairs = new Set<string>();
  for (const arrival of await arrivals(stream)) {
    const start = arrival.arrivalMs - (arrival.arrivalMs % WINDOW_MS);
    windows.set(start, [...(windows.get(start) ?? []), byData.get(arrival.data.toString('base64'))!]);
    pairs.add(`${start} ${arrival.shard}`);
  }
  return { windows, shardWindows: pairs.size };
}

/**
 * Until every window the records arrived in is closed and stored (a loaded machine may put a burst across a boundary);
 * past the wait, the error says what was stored and closed, and what the mapping last logged.
 */
async function allClosed(
  stream: string,
  since: number,
  expected: { windows: Map<number, BurstRecord[]>; shardWindows: number },
  mapping: ReturnType<typeof mappingOn>,
) {
  let last: Awaited<ReturnType<typeof storedWindows>> | undefined;
  try {
    return await waitFor(
      `the ${expected.windows.size} windows to close`,
      async () => {
        const s = (last = await storedWindows(stream, since));
        const done = s.windows.length === expected.windows.size && s.items.length === expected.shardWindows * FAMILIES.length;
        return done && mapping.stats.windows === expected.shardWindows && s;
      },
      60_000,
    );
  } catch (error) {
    const seen = `stored ${last?.windows.length} windows in ${last?.items.length} items (want ${expected.windows.size} in ${expected.shardWindows * FAMILIES.length})`;
    const log = mapping.recentLog.join('\n  ');
    throw new Error(
      `${(error as Error).message} ${seen}; mapping ${JSON.stringify(mapping.stats)} (want ${expected.shardWindows} windows); its log:\n  ${log}`,
      { cause: error },
    );
  }
}

function expectExact(shown: WindowFigures, records: readonly BurstRecord[]) {
  const exact = exactFigures(records);
  expect(shown.events).toEqual({ total: exact.events, by_type: exact.byType });
  expect([shown.bad_events, shown.orders, Math.round((shown.revenue.USD ?? 0) * 100)]).toEqual([exact.bad, exact.orders, exact.revenueCents]);
  // Distinct counts: HyperLogLog (README states 1.6 %, one standard error), within four standard errors and at least 5:
  // a run makes 36 such checks on ids that differ per run, and below a few hundred ids the estimate is linear counting,
  // whose error is the ids sharing a register — a Poisson tail, not a Gaussian one (measured with random ids at 60:
  // 3 short in 0.8 % and 4 short in 0.08 % of 20,000 sketches, none 5 short; the floor of 3 failed full runs).
  for (const [got, want] of [
    [shown.sessions, exact.sessions],
    [shown.visitors, exact.visitors],
    [shown.funnel.viewed, exact.funnel.viewed],
    [shown.funnel.carted, exact.funnel.carted],
    [shown.funnel.checkout, exact.funnel.checkout],
    [shown.funnel.purchased, exact.funnel.purchased],
  ] as const)
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(5, 4 * HLL_STANDARD_ERROR * want));
  // Every product's views exactly (23 products: all within the top-k), and its people.
  for (const [product, { count, people }] of exact.views) {
    const top = shown.top_viewed.find((p) => p.product_id === product)!;
    expect([product, top.count, top.overcount]).toEqual([product, count, 0]);
    // Exact up to EXACT_UP_TO people (here at most 24 per product), a linear counter's estimate past it.
    expect(people.size).toBeLessThanOrEqual(EXACT_UP_TO);
    expect(top.people).toBe(people.size);
  }
  for (const q of [0.5, 0.95]) {
    const want = exact.lag(q);
    const got = q === 0.5 ? shown.lag_ms.p50! : shown.lag_ms.p95!;
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(1, 0.01 * want));
  }
}

/** 5,000 events over three windows: each window's bursts put just after it opens, in one PutRecords call per 500 records. */
async function threeWindows(stream: string, tag: string) {
  const records: BurstRecord[] = [];
  for (const [k, events] of [1_700, 1_650, 1_650].entries()) {
    const start = await nextWindow(WINDOW_MS);
    const windowRecords = burst({ tag: `${tag}-w${k}`, events, sessions: 180, visitors: 120, receivedAt: new Date(start) });
    await putAll(stream, windowRecords);
    records.push(...windowRecords);
  }
  return records;
}

describe('real-time analytics on a tumbling window (functions/realtime, the local event-source mapping)', () => {
  itLocal(
    'counts 5,000 events over 3 windows exactly per window (distinct counts within the stated error), as their records arrived',
    async () => {
      const stream = await testStream(`rt-exact-${run}`);
      const since = Date.now() - WINDOW_MS;
      const fn = realtimeFunction();
      let invocations = 0;
      const mapping = mappingOn(
        stream.arn,
        (name, event) => {
          invocations += 1;
          return fn(name, event);
        },
        { tumblingWindowSeconds: WINDOW_MS / 1000, batchSize: 30 },
      );
      await mapping.start();
      try {
        const records = await threeWindows(stream.name, `exact-${run}`);
        expect(records.reduce((n, r) => n + r.valid.length + r.bad, 0)).toBe(5_000);
        const expected = await recordsByWindow(stream.name, records);
        // Three windows, unless a loaded machine put a burst across a boundary; each on both shards.
        expect(expected.windows.size).toBeGreaterThanOrEqual(3);
        const shown = await allClosed(stream.name, since, expected, mapping);
        for (const window of shown.windows) expectExact(window, expected.windows.get(Date.parse(window.start))!);
        // Batches of 30 records (~85 a shard and window): a window's state went through several invocations before its final one.
        expect(invocations).toBeGreaterThan(mapping.stats.windows * 2);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );

  itLocal(
    'counts a window once when its invocations are delivered again after failures (a final one that wrote its items, a batch mid-window)',
    async () => {
      const stream = await testStream(`rt-again-${run}`);
      const since = Date.now() - WINDOW_MS;
      const fn = realtimeFunction();
      const crashed = { final: 0, batch: 0 };
      // The runtime dies after the function ran (it wrote what it wrote; Lambda sees an error and delivers the invocation again).
      const mapping = mappingOn(
        stream.arn,
        async (name, event) => {
          const result = await fn(name, event);
          const e = event as { isFinalInvokeForWindow: boolean; Records: unknown[] };
          const crash = e.isFinalInvokeForWindow ? crashed.final < 3 && ++crashed.final : e.Records.length > 0 && crashed.batch < 3 && ++crashed.batch;
          return crash ? { functionError: 'Unhandled', payload: { errorType: 'Runtime.ExitError' } } : result;
        },
        { tumblingWindowSeconds: WINDOW_MS / 1000 },
      );
      await mapping.start();
      try {
        const records = await threeWindows(stream.name, `again-${run}`);
        const expected = await recordsByWindow(stream.name, records);
        // One item per window, shard and family (allClosed waits for exactly that): the retried final invocations wrote the same items again.
        const shown = await allClosed(stream.name, since, expected, mapping);
        expect(crashed).toEqual({ final: 3, batch: 3 });
        for (const window of shown.windows) expectExact(window, expected.windows.get(Date.parse(window.start))!);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );

  itLocal(
    'puts late events in the window of their arrival, as Lambda does, and shows their lag',
    async () => {
      const stream = await testStream(`rt-late-${run}`, 1);
      const since = Date.now() - WINDOW_MS;
      const mapping = mappingOn(stream.arn, realtimeFunction(), { tumblingWindowSeconds: WINDOW_MS / 1000 });
      await mapping.start();
      try {
        await nextWindow(WINDOW_MS);
        // Sent now, happened 10 minutes ago (a tracker that was offline): counted now, 10 minutes late.
        const late = burst({ tag: `late-${run}`, events: 200, sessions: 20, visitors: 20, receivedAt: new Date(), badEvery: 0, lagMs: () => 600_000 });
        await putAll(stream.name, late);
        const expected = await recordsByWindow(stream.name, late);
        const shown = await allClosed(stream.name, since, expected, mapping);
        // Each window holds the records that arrived in it, whatever their event time.
        for (const window of shown.windows) expect(window.events.total).toBe(exactFigures(expected.windows.get(Date.parse(window.start))!).events);
        expect(shown.windows.reduce((n, w) => n + w.events.total, 0)).toBe(200);
        for (const w of shown.windows) expect(Math.abs(w.lag_ms.p50! - 600_000) / 600_000).toBeLessThanOrEqual(0.01);
      } finally {
        await mapping.stop();
        await stream.remove();
      }
    },
    120_000,
  );

  it('serves the closed windows on GET /realtime (read key) and one product on GET /realtime/products/{id} (public)', async () => {
    const product = `rt-product-${run}`;
    const events = ['a', 'b', 'c'].flatMap((v) =>
      Array.from({ length: 4 }, () => ({
        event_id: randomUUID(),
        event_type: 'product_view',
        event_time: new Date().toISOString(),
        session_id: `rt-${run}-${v}-session`,
        anonymous_id: `rt-${run}-${v}`,
        product: { id: product },
      })),
    );
    expect((await postEvents(events)).body).toMatchObject({ accepted: 12 });
    const shown = await waitFor(
      'the product to be counted',
      async () => {
        const r = await api('GET', `/realtime/products/${product}?minutes=2`);
        return r.status === 200 && r.body.people > 0 && r;
      },
      60_000,
      1_000,
    );
    expect(shown.body).toEqual({ product_id: product, minutes: 2, views: 12, people: 3, ranked: true });
    expect((await api('GET', '/realtime?minutes=5')).status).toBe(401);
    const all = await api('GET', '/realtime?minutes=5', { key: apiKeys().read });
    expect(all.status).toBe(200);
    expect(all.body.total.top_viewed.length).toBeGreaterThan(0);
    expect(all.body.total.events.total).toBeGreaterThanOrEqual(12);
    expect(all.body.windows.at(-1)).toMatchObject({ start: expect.any(String), events: { total: expect.any(Number) }, lag_ms: { p95: expect.any(Number) } });
    expect((await api('GET', '/realtime?minutes=61', { key: apiKeys().read })).body.message).toBe('minutes must be a whole number from 1 to 60.');
    expect((await api('GET', `/realtime/products/${'x'.repeat(65)}`)).status).toBe(400);
  }, 90_000);
});
