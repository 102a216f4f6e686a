import { getAlias, setAlias, setAliasRouting } from '#adapters/registry-table';
import { hashApiKey } from '#domain/api-keys';
import { runTsx } from '../helpers/cli';
import { api, apiKeys, outputs } from '../helpers/cloud';
import { registerVersion } from '../helpers/registry';
import { trainedModel } from '../helpers/models';
import { waitFor } from '../helpers/wait';

const MODEL = `it-admin-${Date.now()}`;
const ADMIN_KEY = apiKeys().admin;

const call = (path: string, body?: unknown, key?: string) => api('POST', path, { ...(body === undefined ? {} : { body }), ...(key ? { key } : {}) });

/** The registry's write routes behind the admin API-key authorizer, on the local HTTP API. */
describe('admin routes', () => {
  beforeAll(async () => {
    const model = trainedModel('logistic_regression', 600);
    for (const version of ['v1', 'v2']) await registerVersion({ model: MODEL, version, kind: model.kind, artifact: { model } });
  });

  it('refuses a request without a key (401) or with a wrong one (403), and changes nothing', async () => {
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v1' })).status).toBe(401);
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v1' }, 'not-the-key')).status).toBe(403);
    expect(await getAlias(outputs().ModelsTableName!, MODEL, 'production')).toBeUndefined();
  });

  it('promotes, refuses a stale or unknown promotion, and rolls back, recording who did what', async () => {
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v1', reason: 'first' }, ADMIN_KEY)).toMatchObject({
      status: 200,
      body: { version: 'v1', previous: null },
    });
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v2', expected_version: 'v1' }, ADMIN_KEY)).toMatchObject({
      status: 200,
      body: { version: 'v2', previous: 'v1' },
    });
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v1', expected_version: 'v1' }, ADMIN_KEY)).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining('another change won') },
    });
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v9' }, ADMIN_KEY)).status).toBe(404);
    expect((await call(`/models/${MODEL}/aliases/Bad Alias`, { version: 'v1' }, ADMIN_KEY)).status).toBe(400);
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v1', force: true }, ADMIN_KEY)).status).toBe(400);
    expect(await call(`/models/${MODEL}/rollback`, { reason: 'v2 misbehaves' }, ADMIN_KEY)).toMatchObject({ status: 200, body: { version: 'v1' } });
    const alias = (await getAlias(outputs().ModelsTableName!, MODEL, 'production'))!;
    expect(alias.history.map((h) => [h.from, h.to, h.by, h.reason])).toEqual([
      [null, 'v1', 'api/4ab7b7cd', 'first'],
      ['v1', 'v2', 'api/4ab7b7cd', 'promoted over the API'],
      ['v2', 'v1', 'api/4ab7b7cd', 'rollback: v2 misbehaves'],
    ]);
    expect((await call(`/models/${MODEL}/rollback`, { alias: 'shadow' }, ADMIN_KEY)).status).toBe(409);
  });

  it('rolls back to the previous version after a canary or shadow change, and says what it ended', async () => {
    const model = `${MODEL}-canary`;
    const trained = trainedModel('logistic_regression', 600);
    for (const version of ['v1', 'v2', 'v3']) await registerVersion({ model, version, kind: trained.kind, artifact: { model: trained } });
    const table = outputs().ModelsTableName!;
    await setAlias(table, model, 'production', { to: 'v1', expected: null, by: 'test', reason: 'first' });
    await setAlias(table, model, 'production', { to: 'v2', expected: 'v1', by: 'test', reason: 'second' });
    await setAliasRouting(
      table,
      model,
      'production',
      { canary: { version: 'v3', weight: 0.1 }, shadow: { version: 'v1' } },
      { expected: 'v2', by: 'test', reason: 'canary v3' },
    );
    const rolled = await call(`/models/${model}/rollback`, { reason: 'v2 misbehaves' }, ADMIN_KEY);
    expect(rolled).toMatchObject({
      status: 200,
      body: { version: 'v1', previous: 'v2', ended_routing: { canary: { version: 'v3', weight: 0.1 }, shadow: { version: 'v1' } } },
    });
    const alias = (await getAlias(table, model, 'production'))!;
    expect([alias.version, alias.canary, alias.shadow]).toEqual(['v1', undefined, undefined]);
  });

  it('revokes a key without a redeploy: npm run api-key -- allow / revoke change the SSM parameter the authorizer reads', async () => {
    const apiKey = async (...args: string[]) => (await runTsx('cli/api-key.ts', [...args, '--json'])).json;
    const { key } = await apiKey('new');
    const parameter = ['--for', 'read', '--parameter', outputs().ReadKeyHashesParameter!];
    const status = async () => (await api('GET', `/models/${MODEL}`, { key })).status;
    /** The authorizer re-reads the hashes every KEY_CACHE_SECONDS (1 s locally): wait, with a deadline, until it answers `wanted`. */
    const until = async (wanted: number) => {
      await waitFor(`GET /models/${MODEL} with the new key to answer ${wanted}`, async () => (await status()) === wanted, 10_000);
    };
    expect(await status()).toBe(403);
    expect(await apiKey('allow', key, ...parameter)).toMatchObject({ ok: true, hashes: expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]) });
    await until(200);
    expect((await apiKey('revoke', key, ...parameter)).hashes).not.toContain(hashApiKey(key));
    await until(403);
    // The read key the tests were given was never touched.
    expect((await api('GET', `/models/${MODEL}`, { key: apiKeys().read })).status).toBe(200);
  });
});
