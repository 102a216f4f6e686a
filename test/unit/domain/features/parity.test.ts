import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { duckdbFeatures } from '../../../../local/glue/duckdb-features';
import { enrich } from '#domain/events/enrich';
import { previousSessionCounts, purchased, sessionFeatures, type SessionEvent } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { makeEvent } from '../../../helpers/events';

/** glue/features.sql (run on DuckDB) and the TypeScript features agree on every session, edge cases included. */
describe('feature parity: SQL (DuckDB) = TypeScript', () => {
  const lake = (event: ReturnType<typeof makeEvent>, receivedAt = '2026-11-20T12:00:00.000Z') => enrich(event, { receivedAt, ingestedAt: receivedAt });
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 9, minute, 7, 250)).toISOString();

  const model = new ShopperModel(11, new Date('2026-11-19T00:00:00Z'), 2 * 86_400_000);
  const synthetic = Array.from({ length: 300 }, () => model.session().events.map((e) => lake(e)));

  const single = [lake(makeEvent({ session_id: 'edge-one-event', event_type: 'page_view', event_time: at(1) }))];
  const noPrices = [
    lake(makeEvent({ session_id: 'edge-no-prices', event_time: at(1), product: { id: 'a' } })),
    lake(makeEvent({ session_id: 'edge-no-prices', event_type: 'add_to_cart', event_time: at(2), product: { id: 'a' } })),
  ];
  const outOfOrder = [5, 1, 3, 2, 4].map((m, i) =>
    lake(
      makeEvent({
        session_id: 'edge-out-of-order',
        anonymous_id: 'v-out',
        event_type: i === 0 ? 'add_to_cart' : 'product_view',
        event_time: at(m),
        product: { id: `p${i}`, category: `c${i % 2}`, price: 10 * (i + 1) },
      }),
    ),
  );
  const original = makeEvent({ session_id: 'edge-duplicates', event_time: at(3), product: { id: 'x', price: 5 } });
  const duplicates = [
    lake({ ...original, product: { id: 'x', price: 999 } }, '2026-11-20T12:00:09.000Z'),
    lake(original, '2026-11-20T12:00:01.000Z'),
    lake(makeEvent({ session_id: 'edge-duplicates', event_type: 'page_view', event_time: at(1), page: { referrer: 'https://www.google.com/search?q=x' } })),
  ];
  const purchase = (session: string, minute: number) =>
    lake(makeEvent({ session_id: session, event_type: 'purchase', event_time: at(minute), order: { id: 'o', revenue: 1 } }));
  const afterPurchase = [
    lake(
      makeEvent({
        session_id: 'edge-after-purchase',
        event_time: at(1),
        context: { user_agent: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/604.1' },
        page: { referrer: 'https://mail.example.com/' },
      }),
    ),
    lake(makeEvent({ session_id: 'edge-after-purchase', event_type: 'add_to_cart', event_time: at(2) })),
    purchase('edge-after-purchase', 3),
    lake(makeEvent({ session_id: 'edge-after-purchase', event_type: 'add_to_cart', event_time: at(4) })),
    purchase('edge-after-purchase', 5),
  ];
  const purchaseFirst = [purchase('edge-purchase-first', 1), lake(makeEvent({ session_id: 'edge-purchase-first', event_time: at(2) }))];
  const returning = [1, 2, 3].map((n) =>
    lake(
      makeEvent({
        session_id: `edge-return-${n}`,
        anonymous_id: 'v-returning',
        event_time: at(10 * n),
        page: { referrer: n === 2 ? 'https://t.co/abc' : 'https://ads.example.net/c?utm_medium=cpc' },
      }),
    ),
  );

  const sessions = [...synthetic, single, noPrices, outOfOrder, duplicates, afterPurchase, purchaseFirst, returning];
  const events: SessionEvent[] = sessions.flat();

  let sqlRows: Map<string, Record<string, unknown>>;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parity-'));
    const half = Math.floor(events.length / 2);
    const files = [path.join(dir, 'part-1.json'), path.join(dir, 'part-2.json.gz')];
    writeFileSync(
      files[0]!,
      events
        .slice(0, half)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    writeFileSync(
      files[1]!,
      gzipSync(
        events
          .slice(half)
          .map((e) => JSON.stringify(e))
          .join('\n'),
      ),
    );
    sqlRows = new Map((await duckdbFeatures(files)).map((row) => [row.session_id as string, row]));
  });

  const bySession = new Map<string, SessionEvent[]>();
  for (const e of events) bySession.set(e.session_id, [...(bySession.get(e.session_id) ?? []), e]);
  const history = previousSessionCounts(bySession);

  it('computes one row per session, with the spec columns in order', () => {
    expect(sqlRows.size).toBe(bySession.size);
    expect(Object.keys(sqlRows.values().next().value!)).toEqual(['session_id', 'dt', ...FEATURE_NAMES, 'label']);
  });

  it.each([...bySession.keys()].filter((s) => s.startsWith('edge-')).concat([...bySession.keys()].slice(0, 3)))('session %s', (sessionId) => {
    const ts = sessionFeatures(bySession.get(sessionId)!, { previousSessions: history.get(sessionId)! });
    const sql = sqlRows.get(sessionId)!;
    for (const name of FEATURE_NAMES) {
      const expected = ts[name];
      const actual = sql[name] === null ? null : Number(sql[name]);
      if (expected === null) expect({ name, actual }).toEqual({ name, actual: null });
      else expect({ name, value: actual }).toEqual({ name, value: expect.closeTo(expected, 9) });
    }
    expect(Number(sql.label)).toBe(purchased(bySession.get(sessionId)!));
  });

  it('agrees on every synthetic session', () => {
    const mismatches = [...bySession].flatMap(([sessionId, sessionEvents]) => {
      const ts = sessionFeatures(sessionEvents, { previousSessions: history.get(sessionId)! });
      const sql = sqlRows.get(sessionId)!;
      return FEATURE_NAMES.filter((n) => (ts[n] === null ? sql[n] !== null : Math.abs(Number(sql[n]) - ts[n]!) > 1e-9 * Math.max(1, Math.abs(ts[n]!)))).map(
        (n) => `${sessionId}.${n}: sql=${String(sql[n])} ts=${ts[n]}`,
      );
    });
    expect(mismatches).toEqual([]);
  });

  it('handles the edge cases as documented', () => {
    const f = (s: string) => sessionFeatures(bySession.get(s)!, { previousSessions: history.get(s)! });
    expect(f('edge-one-event')).toMatchObject({ n_events: 1, duration_s: 0, mean_gap_s: 0, referrer_direct: 1 });
    expect(f('edge-no-prices')).toMatchObject({ mean_viewed_price: null, max_viewed_price: null, cart_value: 0, net_cart_items: 1 });
    expect(f('edge-duplicates')).toMatchObject({ n_events: 2, mean_viewed_price: 5, referrer_search: 1 });
    expect(f('edge-after-purchase')).toMatchObject({ n_events: 2, n_add_to_carts: 1, device_tablet: 1, referrer_email: 1 });
    expect(f('edge-purchase-first')).toMatchObject({ n_events: 0 });
    expect([1, 2, 3].map((n) => f(`edge-return-${n}`).previous_sessions)).toEqual([0, 1, 2]);
    expect(f('edge-return-2')).toMatchObject({ referrer_social: 1 });
    expect(f('edge-return-1')).toMatchObject({ referrer_ads: 1 });
  });
});
