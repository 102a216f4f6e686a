import { rollbackAlias } from '#adapters/registry-use-cases';
import { putRunRecord, setAlias, setAliasRouting } from '#adapters/registry-table';
import { sessionFeatures } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { predict, type TrainedModel } from '#domain/model/training-run';
import { canaryBucket } from '#domain/serving';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { api, apiKeys, functionLogLine, itLocal, outputs } from '../helpers/cloud';
import { registerVersion } from '../helpers/registry';
import { trainedModel } from '../helpers/models';
import { sleep } from '#shared/retry';

const MODEL = `it-predict-${Date.now()}`;
const table = () => outputs().ModelsTableName!;
const register = (model: string, version: string, trained: TrainedModel, recordedSha256?: string) =>
  registerVersion({ model, version, kind: trained.kind, artifact: { name: model, version, model: trained }, ...(recordedSha256 ? { recordedSha256 } : {}) });

// Predict is open on the local stage; a deployed stage may want its key (predictAuth: key).
const post = (body: unknown, contentType = 'application/json') => api('POST', '/predict', { body, contentType, key: apiKeys().predict });
/** The registry's read routes take a read key (docs/serving.md); `key: null` sends none. */
const get = (path: string, key: string | null = apiKeys().read) => api('GET', path, key === null ? {} : { key });

/** Every model summary, following GET /models's `next` tokens page by page. */
async function allModels(limit: number): Promise<{ models: { name: string }[]; pages: number }> {
  const models: { name: string }[] = [];
  let pages = 0;
  for (let next: string | undefined = undefined; pages === 0 || next; pages++) {
    const page: { status: number; body: { models: { name: string }[]; next?: string } } = await get(`/models?limit=${limit}${next ? `&next=${next}` : ''}`);
    expect(page.status).toBe(200);
    models.push(...page.body.models);
    next = page.body.next;
  }
  return { models, pages };
}

/** POST /predict and the registry's read routes, through the local HTTP API (serverless-offline) and the local DynamoDB and S3. */
describe('POST /predict', () => {
  const gbdt = trainedModel('gbdt');
  const shoppers = new ShopperModel(99, new Date('2025-01-01T00:00:00Z'), 86_400_000);

  beforeAll(async () => {
    await register(MODEL, 'v1', gbdt);
    await setAlias(table(), MODEL, 'production', { to: 'v1', expected: null, by: 'test', reason: 'first' });
  });

  it('scores ready features and raw events with the aliased model, as the model itself does', async () => {
    const { events } = shoppers.session();
    const features = sessionFeatures(events);
    const { status, body } = await post({ model: MODEL, sessions: [{ session_id: 'f', features }, { events }] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: MODEL, version: 'v1', alias: 'production', request_id: expect.any(String) });
    const expected = predict(
      gbdt,
      FEATURE_NAMES.map((n) => features[n] ?? Number.NaN),
    );
    expect(body.predictions).toEqual([
      { session_id: 'f', version: 'v1', probability: expect.closeTo(expected, 12) },
      { session_id: events[0]!.session_id, version: 'v1', probability: expect.closeTo(expected, 12) },
    ]);
  });

  it('scores a batch of 1,000 sessions and explains them on request', async () => {
    const sessions = Array.from({ length: 1000 }, (_, i) => ({ session_id: `b${i}`, features: sessionFeatures(shoppers.session().events) }));
    const { status, body } = await post({ model: MODEL, sessions, explain: true });
    expect(status).toBe(200);
    expect(body.predictions).toHaveLength(1000);
    expect(body.predictions[999]).toMatchObject({ session_id: 'b999', explanation: { bias: expect.any(Number), top: expect.any(Array) } });
    expect(body.predictions[0].explanation.top).toHaveLength(5);
  });

  it.each([
    ['not JSON', '{"session":', 'application/json', 400, /not valid JSON/],
    ['another content type', '{}', 'text/plain', 415, /Content-Type must be application\/json/],
    ['1,001 sessions', { sessions: Array(1001).fill({ features: {} }) }, 'application/json', 400, /predict request schema/],
    ['an unknown feature', { session: { features: { clicks: 3 } } }, 'application/json', 400, /unknown feature\(s\) clicks/],
  ])('refuses %s with a clear 4xx', async (_label, body, contentType, status, message) => {
    const response = await post(body, contentType);
    expect(response.status).toBe(status);
    expect(response.body.message).toMatch(message);
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+|node_modules/);
  });

  it('answers columnar JSON and binary rows with the probabilities the sessions format gives, in columns', async () => {
    const sessions = Array.from({ length: 200 }, (_, i) => ({ session_id: `fmt-${i}`, features: sessionFeatures(shoppers.session().events) }));
    const named = await post({ model: MODEL, sessions });
    expect(named.status).toBe(200);
    const expected = named.body.predictions.map((p: { probability: number }) => p.probability);

    const columns = Object.fromEntries(FEATURE_NAMES.map((name) => [name, sessions.map((s) => s.features[name] ?? null)]));
    const columnar = await post({ model: MODEL, columns, session_ids: sessions.map((s) => s.session_id) });
    expect(columnar).toMatchObject({ status: 200, body: { model: MODEL, version: 'v1', alias: 'production', probabilities: expected } });
    expect(columnar.body).not.toHaveProperty('predictions');

    const rows = new Float64Array(sessions.flatMap((s) => FEATURE_NAMES.map((name) => s.features[name] ?? Number.NaN)));
    const binary = await fetch(`${outputs().ApiUrl}/predict?model=${MODEL}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-feature-names': FEATURE_NAMES.join(','), authorization: `Bearer ${apiKeys().predict}` },
      body: Buffer.from(rows.buffer),
    });
    expect(binary.status).toBe(200);
    expect(await binary.json()).toMatchObject({ model: MODEL, version: 'v1', probabilities: expected });

    const partial = await fetch(`${outputs().ApiUrl}/predict?model=${MODEL}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-feature-names': 'n_events,n_product_views', authorization: `Bearer ${apiKeys().predict}` },
      body: Buffer.alloc(24),
    });
    expect(partial.status).toBe(400);
    expect(await partial.json()).toMatchObject({ message: expect.stringMatching(/not a whole number of rows of 2 float64 values/) });
  });

  it('answers 404 for an unknown model or alias, and 503, saying what to do, for a model whose artifact is corrupt', async () => {
    const missing = await post({ model: MODEL, alias: 'shadow', session: { features: {} } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ message: expect.stringContaining('no "shadow" alias') });
    expect((await post({ model: 'no-such-model', session: { features: {} } })).status).toBe(404);

    // The registry recorded another checksum than the artifact's bytes have: corrupt, whichever copy is read.
    const broken = `${MODEL}-broken`;
    await register(broken, 'v1', gbdt, '0'.repeat(64));
    await setAlias(table(), broken, 'production', { to: 'v1', expected: null, by: 'test', reason: 'corrupt' });
    const corrupt = await post({ model: broken, session: { features: {} } });
    expect(corrupt.status).toBe(503);
    expect(corrupt.body.message).toMatch(/cannot be served right now; try again later/);
    // What went wrong (checksums, bucket and key) is in the function's log, never in the answer.
    expect(JSON.stringify(corrupt.body)).not.toMatch(/SHA-256|s3:\/\/|models\//);
  });

  it('routes a canary share of sessions to the canary version, sticky by session id', async () => {
    const canaryModel = `${MODEL}-canary`;
    await register(canaryModel, 'v1', gbdt);
    await register(canaryModel, 'v2', trainedModel('logistic_regression'));
    await setAlias(table(), canaryModel, 'production', { to: 'v1', expected: null, by: 'test', reason: 'first' });
    await setAliasRouting(
      table(),
      canaryModel,
      'production',
      { canary: { version: 'v2', weight: 0.25 }, shadow: { version: 'v2' } },
      { expected: 'v1', by: 'test', reason: 'canary v2 at 25 %' },
    );
    const sessions = Array.from({ length: 200 }, (_, i) => ({ session_id: `c${i}`, features: sessionFeatures(shoppers.session().events) }));
    const { status, body } = await post({ model: canaryModel, sessions });
    expect(status).toBe(200);
    expect(body.version).toBe('v1');
    expect(body.predictions.map((p: { version: string }) => p.version)).toEqual(sessions.map((s) => (canaryBucket(s.session_id) < 0.25 ? 'v2' : 'v1')));
    expect(new Set(body.predictions.map((p: { version: string }) => p.version))).toEqual(new Set(['v1', 'v2']));
  });

  // The local stage caches models for 2 s and its log file is readable here.
  itLocal('picks up a promotion within the cache TTL, without a restart, and logs shadow scores beside the served ones', async () => {
    const swap = `${MODEL}-swap`;
    const logistic = trainedModel('logistic_regression');
    await register(swap, 'v1', gbdt);
    await register(swap, 'v2', logistic);
    await setAlias(table(), swap, 'production', { to: 'v1', expected: null, by: 'test', reason: 'first' });
    const features = sessionFeatures(shoppers.session().events);
    const request = { model: swap, session: { session_id: 'swap-session', features } };
    expect((await post(request)).body.version).toBe('v1');
    await setAlias(table(), swap, 'production', { to: 'v2', expected: 'v1', by: 'test', reason: 'second' });
    await setAliasRouting(table(), swap, 'production', { shadow: { version: 'v1' } }, { expected: 'v2', by: 'test', reason: 'shadow v1' });
    // The local stage's modelCacheTtlSeconds is 2: within that the old version may still answer, after it the new one must.
    await sleep(2_100);
    const after = await post(request);
    expect(after.body).toMatchObject({
      version: 'v2',
      predictions: [
        {
          version: 'v2',
          probability: expect.closeTo(
            predict(
              logistic,
              FEATURE_NAMES.map((n) => features[n] ?? Number.NaN),
            ),
            12,
          ),
        },
      ],
    });

    const logged = await functionLogLine((l) => l.includes('"shadow_version"') && l.includes('swap-session') && l.includes('"v2"'));
    expect(logged).toMatchObject({ model: swap, version: 'v2', shadow_version: 'v1' });
    expect(logged.sessions).toEqual([
      [
        'swap-session',
        'v2',
        after.body.predictions[0].probability,
        expect.closeTo(
          predict(
            gbdt,
            FEATURE_NAMES.map((n) => features[n] ?? Number.NaN),
          ),
          12,
        ),
      ],
    ]);
  });

  it('lists models, shows one, its versions and its alias history; unknown ones are 404', async () => {
    const logistic = trainedModel('logistic_regression');
    await register(MODEL, 'v2', logistic);
    await setAlias(table(), MODEL, 'production', { to: 'v2', expected: 'v1', by: 'test', reason: 'second' });
    await rollbackAlias(table(), MODEL, 'production', 'test', 'v2 misbehaves');

    expect((await allModels(100)).models).toContainEqual({ name: MODEL, aliases: { production: 'v1' }, versions: 2, latest_version: 'v2' });
    const shown = await get(`/models/${MODEL}`);
    expect(shown.body).toMatchObject({ name: MODEL, aliases: { production: 'v1' } });
    expect(shown.body.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1']);
    const version = (await get(`/models/${MODEL}/versions/v2`)).body;
    expect(version).toMatchObject({ version: 'v2', kind: 'logistic_regression', artifact: { sha256: expect.any(String), bytes: expect.any(Number) } });
    expect(version.artifact).not.toHaveProperty('uri');
    expect(
      (await get(`/models/${MODEL}/history`)).body.history.map((h: { from: string | null; to: string; reason: string }) => [h.from, h.to, h.reason]),
    ).toEqual([
      [null, 'v1', 'first'],
      ['v1', 'v2', 'second'],
      ['v2', 'v1', 'rollback: v2 misbehaves'],
    ]);
    expect((await get('/models/nobody')).status).toBe(404);
    expect((await get(`/models/${MODEL}/versions/v9`)).status).toBe(404);
    expect((await get('/models/bad%20name')).status).toBe(400);
  });

  it("keeps the registry's read routes behind a read key (or the admin key)", async () => {
    expect((await get('/models', null)).status).toBe(401);
    expect((await get(`/models/${MODEL}`, 'not-a-key')).status).toBe(403);
    expect((await get(`/models/${MODEL}`, apiKeys().admin)).status).toBe(200);
    expect((await get(`/models/${MODEL}`, apiKeys().predict)).status).toBe(403);
  });

  it('pages GET /models without splitting a model across pages, and refuses a forged page token', async () => {
    const whole = await allModels(500);
    const paged = await allModels(1);
    expect(paged.pages).toBeGreaterThan(1);
    const byName = (models: { name: string }[]) => [...models].sort((x, y) => x.name.localeCompare(y.name));
    expect(byName(paged.models)).toEqual(byName(whole.models));
    expect(new Set(paged.models.map((m) => m.name)).size).toBe(paged.models.length);
    expect((await get(`/models?next=${Buffer.from('{"model_name":{"S":"x"}}').toString('base64url')}`)).status).toBe(400);
    expect((await get('/models?limit=100000')).status).toBe(400);
  });

  it('shows a failed run without ARNs, account ids or stack traces', async () => {
    const cause = JSON.stringify({
      errorMessage: 'AccessDenied: arn:aws:iam::123456789012:role/x cannot read s3://clickstream-ml-dev-lake-123456789012/models/y',
      trace: ['at f (/var/task/index.js:1:1)'],
    });
    await putRunRecord(table(), {
      model_name: MODEL,
      run_id: 'failed-run',
      outcome: 'failed',
      at: new Date().toISOString(),
      error: { Error: 'States.TaskFailed', Cause: cause },
    });
    const run = (await get(`/models/${MODEL}`)).body.runs.find((r: { run_id: string }) => r.run_id === 'failed-run');
    expect(run.error).toEqual({ Error: 'States.TaskFailed', Cause: 'AccessDenied: arn:… cannot read s3://…' });
  });
});
