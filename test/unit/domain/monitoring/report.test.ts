import { captured, capturedPrediction, captureRows, type CapturedPrediction } from '#domain/monitoring/capture';
import { driftReference } from '#domain/monitoring/drift';
import { DEFAULT_MONITOR_SETTINGS, monitorReport, outcomeHours, outcomeOf } from '#domain/monitoring/report';
import type { Metrics } from '#domain/model/metrics';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const prediction = (over: Partial<CapturedPrediction>): CapturedPrediction => ({
  request_id: 'r',
  captured_at: '2026-11-29T10:00:00.000Z',
  model: 'm',
  alias: 'production',
  route: 'production',
  version: 'v1',
  session_id: 's1',
  as_of: '2026-11-29T09:00:00.000Z',
  events_seen: 5,
  probability: 0.5,
  features: {},
  ...over,
});
const settings = { ...DEFAULT_MONITOR_SETTINGS, horizonMinutes: 30, labelDelaySeconds: 600 };

describe('labels: what the session did after the prediction', () => {
  const purchases = new Map([['s1', [Date.parse('2026-11-29T09:20:00Z')]]]);

  it('is 1 when the session purchased after the prediction’s time and within the horizon, else 0', () => {
    expect(outcomeOf(prediction({}), purchases, settings, NOW)).toBe(1);
    expect(outcomeOf(prediction({ as_of: '2026-11-29T08:40:00.000Z' }), purchases, settings, NOW)).toBe(0);
    expect(outcomeOf(prediction({ as_of: '2026-11-29T09:20:00.000Z' }), purchases, settings, NOW)).toBe(0);
    expect(outcomeOf(prediction({ session_id: 's2' }), purchases, settings, NOW)).toBe(0);
  });

  it('waits for the horizon and the lake’s delay after both the prediction’s time and its capture', () => {
    expect(outcomeOf(prediction({ as_of: '2026-11-29T11:25:00.000Z', captured_at: '2026-11-29T11:25:00.000Z' }), purchases, settings, NOW)).toBe('pending');
    // A prediction about an old session, made a minute ago: its events may not be in the lake yet.
    expect(outcomeOf(prediction({ captured_at: '2026-11-29T11:59:00.000Z' }), purchases, settings, NOW)).toBe('pending');
    expect(outcomeOf(prediction({ session_id: null }), purchases, settings, NOW)).toBe('unlabellable');
  });

  it('reads the raw hours from each prediction’s time to the end of its horizon', () => {
    expect(
      outcomeHours([prediction({ as_of: '2026-11-29T09:45:00.000Z' }), prediction({ session_id: null, as_of: '2026-11-29T01:00:00.000Z' })], settings),
    ).toEqual(['2026-11-29T09', '2026-11-29T10']);
  });
});

describe('the monitoring report', () => {
  const test: Metrics = { roc_auc: 0.9, pr_auc: 0.5, log_loss: 0.3, brier: 0.1, f1: 0.5, accuracy: 0.9, ece: 0.02, count: 100, positives: 10 };

  it('groups by version and route, counts each session once (its last prediction), and keeps sessions without an id out of quality', () => {
    const rows = [
      prediction({ session_id: 's1', as_of: '2026-11-29T09:00:00.000Z', probability: 0.1 }),
      prediction({ session_id: 's1', as_of: '2026-11-29T09:10:00.000Z', probability: 0.9 }),
      prediction({ session_id: 's2', probability: 0.2 }),
      prediction({ session_id: null, probability: 0.3 }),
      prediction({ session_id: 's3', route: 'canary', version: 'v2', probability: 0.7 }),
      prediction({ model: 'other' }),
    ];
    const report = monitorReport({
      model: 'm',
      window: { from: '2026-11-29T00:00:00Z', to: '2026-11-29T12:00:00Z' },
      predictions: rows,
      purchases: new Map([['s1', [Date.parse('2026-11-29T09:20:00Z')]]]),
      versions: new Map([['v1', { test }]]),
      settings,
      now: NOW,
    });
    expect(report.groups.map((g) => [g.version, g.route, g.predictions, g.sessions, g.unlabellable])).toEqual([
      ['v1', 'production', 4, 3, 1],
      ['v2', 'canary', 1, 1, 0],
    ]);
    const production = report.groups[0]!;
    expect(production.quality).toMatchObject({ labelled: 2, positives: 1, mean_probability: 0.55, roc_auc: { value: 1 } });
    expect(production.offline).toEqual({ roc_auc: 0.9, ece: 0.02 });
    // Two labelled sessions say little: no quality alert below minLabelled, and no drift under 100 sessions.
    expect(production).toMatchObject({ alerts: [], drift: null });
    expect(report.groups[1]!.offline).toBeNull();
  });
});

describe('drift in the monitoring report', () => {
  it('does not judge a calendar feature whose cycle the sessions do not span (a day of sessions says nothing of the day of week)', () => {
    const test: Metrics = { roc_auc: 0.9, pr_auc: 0.5, log_loss: 0.3, brier: 0.1, f1: 0.5, accuracy: 0.9, ece: 0.02, count: 100, positives: 10 };
    const reference = driftReference(
      { start_dow: Float64Array.from({ length: 700 }, (_, i) => i % 7), start_hour: Float64Array.from({ length: 700 }, (_, i) => i % 24) },
      Float64Array.from({ length: 700 }, (_, i) => (i % 100) / 100),
    );
    const served = (hours: number) =>
      Array.from({ length: 240 }, (_, i) => {
        const at = new Date(Date.parse('2026-11-27T00:00:00Z') + (i / 240) * hours * 3_600_000);
        return prediction({
          session_id: `s${i}`,
          as_of: at.toISOString(),
          probability: (i % 100) / 100,
          features: { start_dow: at.getUTCDay(), start_hour: at.getUTCHours() },
        });
      });
    const report = (hours: number) =>
      monitorReport({
        model: 'm',
        window: { from: '', to: '' },
        predictions: served(hours),
        purchases: new Map(),
        versions: new Map([['v1', { test, reference }]]),
        settings,
        now: NOW,
      }).groups[0]!.drift!;
    expect(report(24)).toMatchObject({ not_judged: ['start_dow'], drifted: [] });
    expect(report(2)).toMatchObject({ not_judged: expect.arrayContaining(['start_dow', 'start_hour']), drifted: [] });
    expect(report(2).max_feature_psi).toBe(0);
  });
});

describe('prediction capture', () => {
  it('reads back only what POST /predict wrote: anything else in predictions/ is no prediction', () => {
    const row = prediction({});
    expect(capturedPrediction(JSON.stringify(row))).toEqual(row);
    for (const line of ['not json', 'null', '{"model":"m"}', JSON.stringify({ ...row, route: 'sideways' }), JSON.stringify({ ...row, probability: '0.5' })])
      expect(capturedPrediction(line)).toBeUndefined();
  });

  it('samples by session, so a session is captured by every request or by none', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `session-${i}`);
    const kept = ids.filter((id) => captured(id, 0.25));
    expect(kept.length / ids.length).toBeGreaterThan(0.2);
    expect(kept.length / ids.length).toBeLessThan(0.3);
    expect(ids.filter((id) => captured(id, 0.25))).toEqual(kept);
    expect(ids.every((id) => captured(id, 1))).toBe(true);
    expect(ids.some((id) => captured(id, 0))).toBe(false);
  });

  it('writes one row per session for the version that answered it, and one for the shadow', () => {
    const rows = captureRows({
      requestId: 'req',
      at: new Date('2026-11-29T10:00:00Z'),
      model: 'm',
      alias: 'production',
      ids: ['a', 'b'],
      session: (i) => ({
        session_id: ['a', 'b'][i]!,
        features: { n_events: i },
        ...(i === 0 ? { observed: { as_of: '2026-11-29T09:59:00.000Z', events: 3 } } : {}),
      }),
      answered: { versions: ['v1', 'v2'], probabilities: [0.1, 0.2], canaryVersion: 'v2' },
      shadow: { version: 'v3', probabilities: [0.3, 0.4] },
      rate: 1,
    });
    expect(rows.map((r) => [r.session_id, r.route, r.version, r.probability, r.as_of, r.events_seen])).toEqual([
      ['a', 'production', 'v1', 0.1, '2026-11-29T09:59:00.000Z', 3],
      ['a', 'shadow', 'v3', 0.3, '2026-11-29T09:59:00.000Z', 3],
      ['b', 'canary', 'v2', 0.2, null, null],
      ['b', 'shadow', 'v3', 0.4, null, null],
    ]);
    expect(rows[0]).toMatchObject({ request_id: 'req', captured_at: '2026-11-29T10:00:00.000Z', model: 'm', alias: 'production', features: { n_events: 0 } });
  });
});
