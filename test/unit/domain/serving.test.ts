import { sessionFeatures } from '#domain/features/session-features';
import { predict } from '#domain/model/training-run';
import { FEATURE_NAMES } from '#domain/features/spec';
import {
  canaryBucket,
  ModelCache,
  ModelUnavailableError,
  UnknownModelError,
  namedSessions,
  parseBinaryPredictRequest,
  parsePredictRequest,
  predictColumns,
  PredictRequestError,
  predictThroughAlias,
  scoreSessions,
  type AliasTarget,
  type RemoteScorer,
  type ServableModel,
} from '#domain/serving';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { makeEvent } from '../../helpers/events';
import { trainedModel } from '../../helpers/models';

const shoppers = new ShopperModel(5, new Date('2025-01-01T00:00:00Z'), 86_400_000);
const logit = (p: number) => Math.log(p / (1 - p));

describe('parsePredictRequest', () => {
  it("takes ready features, or computes them from a live session's events with the training feature code", () => {
    const { events } = shoppers.session();
    const request = parsePredictRequest({
      sessions: [
        { session_id: 'a', features: { n_product_views: 3 } },
        { events, previous_sessions: 2 },
      ],
      explain: true,
    });
    expect(request).toMatchObject({ model: 'purchase-propensity', alias: 'production', explain: true });
    const features = sessionFeatures(events, { previousSessions: 2 });
    // What the features counted: the events before the purchase, the last of them the prediction's time (its outcome is what follows).
    const counted = events.filter((e) => e.event_type !== 'purchase');
    expect(namedSessions(request.sessions)).toEqual([
      { session_id: 'a', features: { n_product_views: 3 } },
      { session_id: events[0]!.session_id, features, observed: { as_of: counted.at(-1)!.event_time, events: counted.length } },
    ]);
    expect(features.n_events).toBe(counted.length);
  });

  it.each([
    ['no session', {}, /schema/, [{ path: '/', message: 'give exactly one of "session", "sessions" or "columns"' }]],
    ['columns of different lengths', { columns: { n_events: [1, 2], n_product_views: [1] } }, /lengths are 2, 1/, undefined],
    ['an unknown column', { columns: { n_views: [1] } }, /\/columns: unknown feature\(s\) n_views/, undefined],
    [
      'session ids without columns',
      { session: { features: {} }, session_ids: ['a'] },
      /schema/,
      expect.arrayContaining([{ path: '/', message: expect.stringMatching(/columns/) }]),
    ],
    ['more ids than sessions', { columns: { n_events: [1] }, session_ids: ['a', 'b'] }, /2 ids for 1 sessions/, undefined],
    [
      'features and events',
      { session: { features: {}, events: [makeEvent()] } },
      /schema/,
      [{ path: '/session', message: 'give exactly one of "features" or "events"' }],
    ],
    ['1,001 sessions', { sessions: Array(1001).fill({ features: {} }) }, /schema/, [{ path: '/sessions', message: 'must NOT have more than 1000 items' }]],
    ['an unknown feature', { session: { features: { n_views: 1 } } }, /unknown feature\(s\) n_views/, undefined],
    [
      'an invalid event',
      { session: { events: [makeEvent(), { ...makeEvent(), event_type: 'view' }] } },
      /\/session\/events\/1 is not a valid contract event/,
      expect.arrayContaining([{ path: '/event_type', message: expect.stringContaining('must be one of') }]),
    ],
    [
      'events of two sessions',
      { session: { events: [makeEvent({ session_id: 'x' }), makeEvent({ session_id: 'y' })] } },
      /every event must belong to session x/,
      undefined,
    ],
  ])('refuses %s with a clear message', (_label, body, message, details) => {
    let error: PredictRequestError | undefined;
    try {
      parsePredictRequest(body);
    } catch (e) {
      error = e as PredictRequestError;
    }
    expect(error).toBeInstanceOf(PredictRequestError);
    expect(error!.message).toMatch(message);
    if (details !== undefined) expect(error!.details).toEqual(details);
  });
});

describe('the matrix formats answer as the sessions format does', () => {
  it.each(['gbdt', 'logistic_regression'] as const)('%s: columnar JSON and float64/float32 rows give the same probabilities as named sessions', (kind) => {
    const servable = { name: 'm', version: 'v', model: trainedModel(kind) };
    const named = Array.from({ length: 50 }, (_, i) => ({
      session_id: `s${i}`,
      features: sessionFeatures(shoppers.session().events) as Record<string, number | null>,
    }));
    named[3]!.features.n_events = null;
    // Rows name the features in an order of their own, one left out (missing for every session).
    const order = [...FEATURE_NAMES].reverse().slice(1);
    const expected = scoreSessions(servable, named, false);
    const columns = Object.fromEntries(order.map((name) => [name, named.map((s) => s.features[name] ?? null)]));
    const left = FEATURE_NAMES[FEATURE_NAMES.length - 1]!;
    const withoutLeft = scoreSessions(
      servable,
      named.map((s) => ({ ...s, features: { ...s.features, [left]: null } })),
      false,
    );
    const columnar = parsePredictRequest({ columns, session_ids: named.map((s) => s.session_id) });
    expect(scoreSessions(servable, columnar.sessions, false)).toEqual(withoutLeft);
    const rows = new Float64Array(named.flatMap((s) => order.map((name) => s.features[name] ?? Number.NaN)));
    const binary = parseBinaryPredictRequest(Buffer.from(rows.buffer), { featureNames: order.join(','), valueType: undefined });
    expect(scoreSessions(servable, binary.sessions, false).map((p) => p.probability)).toEqual(withoutLeft.map((p) => p.probability));
    const all = new Float32Array(named.flatMap((s) => FEATURE_NAMES.map((name) => s.features[name] ?? Number.NaN)));
    const single = parseBinaryPredictRequest(Buffer.from(all.buffer), {
      featureNames: FEATURE_NAMES.join(','),
      valueType: 'float32',
      model: 'm',
      alias: 'canary',
    });
    expect(single).toMatchObject({ model: 'm', alias: 'canary', explain: false });
    // float32 rounds the values: the same probabilities to float32's precision.
    scoreSessions(servable, single.sessions, false).forEach((p, i) => expect(p.probability).toBeCloseTo(expected[i]!.probability, 5));
  });

  it.each([
    ['no feature names', {}, /X-Feature-Names header/],
    ['an unknown feature', { featureNames: 'n_events,n_views' }, /unknown feature\(s\) n_views/],
    ['a feature twice', { featureNames: 'n_events,n_events' }, /named twice/],
    ['another value type', { featureNames: 'n_events', valueType: 'int8' }, /float64 \(the default\) or float32/],
    ['a partial row', { featureNames: 'n_events,n_product_views', body: Buffer.alloc(24) }, /not a whole number of rows of 2 float64 values/],
    ['1,001 rows', { featureNames: 'n_events', body: Buffer.alloc(8 * 1001) }, /limit is 1000/],
    ['a bad model name', { featureNames: 'n_events', model: '../x' }, /model must match/],
  ])('refuses binary rows with %s', (_label, { body, ...options }: { body?: Buffer; featureNames?: string; valueType?: string; model?: string }, message) => {
    expect(() => parseBinaryPredictRequest(body ?? Buffer.alloc(8), { featureNames: undefined, valueType: undefined, ...options })).toThrow(message);
  });
});

describe('scoreSessions', () => {
  it.each(['gbdt', 'logistic_regression'] as const)("%s: probabilities are the model's, and explanations add up to its log-odds exactly", (kind) => {
    const model = trainedModel(kind);
    const sessions = Array.from({ length: 20 }, () => ({ session_id: 's', features: sessionFeatures(shoppers.session().events) }));
    const scored = scoreSessions({ name: 'm', version: 'v', model }, sessions, true, FEATURE_NAMES.length);
    scored.forEach((s, i) => {
      const p = predict(
        model,
        FEATURE_NAMES.map((n) => sessions[i]!.features[n] ?? Number.NaN),
      );
      expect(s.probability).toBeCloseTo(p, 12);
      const sum = s.explanation!.bias + s.explanation!.top.reduce((a, c) => a + c.contribution, 0);
      expect(sum).toBeCloseTo(logit(p), 9);
    });
    expect(scoreSessions({ name: 'm', version: 'v', model }, sessions, true)[0]!.explanation!.top).toHaveLength(5);
  });

  it('treats features a request leaves out as missing', () => {
    const model = trainedModel('logistic_regression');
    const [scored] = scoreSessions({ name: 'm', version: 'v', model }, [{ session_id: null, features: {} }], false);
    expect(scored!.probability).toBeCloseTo(
      predict(
        model,
        FEATURE_NAMES.map(() => Number.NaN),
      ),
      12,
    );
  });
});

describe('ModelCache', () => {
  const servable = (version: string): ServableModel => ({
    name: 'm',
    version,
    model: { kind: 'logistic_regression', featureNames: [], mean: [], scale: [], weights: [], intercept: 0 },
  });

  function registry() {
    const state = { target: { version: 'v1' } as AliasTarget | undefined, aliasReads: 0, loads: [] as string[], failing: false };
    return {
      state,
      port: {
        aliasTarget: async () => {
          state.aliasReads++;
          if (state.failing) throw new Error('registry down');
          return state.target;
        },
        load: async (_: string, version: string) => {
          state.loads.push(version);
          return servable(version);
        },
      },
    };
  }

  it('re-reads the alias only after the TTL, picks up a promotion then, and loads each version once', async () => {
    const { state, port } = registry();
    let now = 0;
    const cache = new ModelCache(port, 30_000, () => now);
    expect((await cache.get('m', 'production')).primary.version).toBe('v1');
    state.target = { version: 'v2', canary: { version: 'v3', weight: 0.1 } };
    now = 29_999;
    expect((await cache.get('m', 'production')).primary.version).toBe('v1');
    now = 30_000;
    const served = await cache.get('m', 'production');
    expect([served.alias, served.primary.version, served.canary?.model.version, served.canary?.weight]).toEqual(['production', 'v2', 'v3', 0.1]);
    state.target = { version: 'v1' };
    now = 60_000;
    expect(await cache.get('m', 'production')).toEqual({ alias: 'production', primary: servable('v1') });
    expect(state).toMatchObject({ aliasReads: 3, loads: ['v1', 'v2', 'v3'] });
  });

  it('keeps serving what it has when the registry cannot be read, and says what is unknown when there is nothing', async () => {
    const { state, port } = registry();
    let now = 0;
    const cache = new ModelCache(port, 1_000, () => now);
    await cache.get('m', 'production');
    state.failing = true;
    now = 5_000;
    expect((await cache.get('m', 'production')).primary.version).toBe('v1');
    state.failing = false;
    state.target = undefined;
    await expect(cache.get('m', 'shadow')).rejects.toThrow(UnknownModelError);
    await expect(cache.get('m', 'shadow')).rejects.toThrow(/has no "shadow" alias/);
  });
});

describe('predictThroughAlias', () => {
  const primary: ServableModel = { name: 'm', version: 'v1', model: trainedModel('logistic_regression', 600) };
  const other: ServableModel = { name: 'm', version: 'v2', model: trainedModel('gbdt', 600) };
  const sessions = Array.from({ length: 2000 }, (_, i) => ({ session_id: `session-${i}`, features: sessionFeatures(shoppers.session().events) }));

  it('answers in columns what it answers per session: with and without a canary, shadow and explanations', async () => {
    const some = sessions.slice(0, 300);
    for (const models of [
      { alias: 'production', primary },
      { alias: 'production', primary, shadow: other },
      { alias: 'production', primary, canary: { model: other, weight: 0.3 } },
    ]) {
      for (const explain of [false, true]) {
        const { predictions, shadow } = await predictThroughAlias(models, some, explain);
        const columns = await predictColumns(models, some, explain);
        expect(columns.probabilities).toEqual(predictions.map((p) => p.probability));
        expect(columns.versions).toEqual('canary' in models ? predictions.map((p) => p.version) : undefined);
        expect(columns.explanations).toEqual(explain ? predictions.map((p) => p.explanation) : undefined);
        expect(columns.shadow).toEqual(shadow);
      }
    }
  });

  it('sends the canary its share of sessions, the same sessions every time, and scores them with its version', async () => {
    const first = (await predictThroughAlias({ alias: 'production', primary, canary: { model: other, weight: 0.1 } }, sessions, false)).predictions;
    const share = first.filter((p) => p.version === 'v2').length / sessions.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    first.forEach((p, i) => {
      expect(p.version).toBe(canaryBucket(sessions[i]!.session_id) < 0.1 ? 'v2' : 'v1');
      expect(p.probability).toBeCloseTo(scoreSessions(p.version === 'v2' ? other : primary, [sessions[i]!], false)[0]!.probability, 12);
    });
    const again = (
      await predictThroughAlias({ alias: 'production', primary, canary: { model: other, weight: 0.1 } }, [...sessions].reverse(), false)
    ).predictions.reverse();
    expect(again.map((p) => p.version)).toEqual(first.map((p) => p.version));
  });

  it('scores every session with the shadow too, without returning it', async () => {
    const { predictions, shadow } = await predictThroughAlias({ alias: 'production', primary, shadow: other }, sessions.slice(0, 10), false);
    expect(predictions.every((p) => p.version === 'v1')).toBe(true);
    expect(shadow).toEqual({ version: 'v2', probabilities: scoreSessions(other, sessions.slice(0, 10), false).map((p) => p.probability) });
  });

  it("sends the alias's share to its SageMaker endpoint when it has one, and keeps the canary in-process", async () => {
    const calls: { endpoint: string; ids: (string | null)[] }[] = [];
    const remote: RemoteScorer = async (endpoint, share) => {
      calls.push({ endpoint, ids: share.map((s) => s.session_id) });
      return { predictions: share.map((s) => ({ session_id: s.session_id, probability: 0.5 })) };
    };
    const some = sessions.slice(0, 100);
    const { predictions } = await predictThroughAlias(
      { alias: 'production', primary: { name: 'm', version: 'v1', endpoint: 'ep-1' }, canary: { model: other, weight: 0.2 } },
      some,
      false,
      remote,
    );
    const toCanary = some.map((s) => canaryBucket(s.session_id) < 0.2);
    expect(calls).toEqual([{ endpoint: 'ep-1', ids: some.filter((_, i) => !toCanary[i]).map((s) => s.session_id) }]);
    predictions.forEach((p, i) => expect([p.session_id, p.version]).toEqual([some[i]!.session_id, toCanary[i] ? 'v2' : 'v1']));
    await expect(predictThroughAlias({ alias: 'production', primary: { name: 'm', version: 'v1', endpoint: 'ep-1' } }, some, false)).rejects.toThrow(
      ModelUnavailableError,
    );
  });

  it("labels the endpoint's answers with the version the endpoint says it serves, not the one the alias names", async () => {
    const remote: RemoteScorer = async (_endpoint, share) => ({
      version: 'v7',
      predictions: share.map((s) => ({ session_id: s.session_id, probability: 0.5 })),
    });
    const { predictions } = await predictThroughAlias(
      { alias: 'production', primary: { name: 'm', version: 'v1', endpoint: 'ep-1' } },
      sessions.slice(0, 5),
      false,
      remote,
    );
    expect(predictions.map((p) => p.version)).toEqual(Array(5).fill('v7'));
  });
});
