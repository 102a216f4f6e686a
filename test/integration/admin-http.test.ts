import { putArtifact } from '../../src/adapters/model-artifacts';
import { getAlias, putModelVersion } from '../../src/adapters/models-table';
import { FEATURE_NAMES } from '../../src/domain/features/spec';
import { versionKey } from '../../src/domain/registry';
import { outputs } from '../helpers/cloud';
import { trainedModel } from '../helpers/models';

const MODEL = `it-admin-${Date.now()}`;
const ADMIN_KEY = 'local-admin-key';
const metrics = { roc_auc: 0.8, pr_auc: 0.5, log_loss: 0.3, brier: 0.1, f1: 0.5, accuracy: 0.9, ece: 0.02, count: 100, positives: 10 };

async function call(path: string, body?: unknown, key?: string) {
  const response = await fetch(`${outputs().ApiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** The registry's write routes behind the admin API-key authorizer, on the local HTTP API. */
describe('admin routes', () => {
  beforeAll(async () => {
    const model = trainedModel('logistic_regression', 600);
    for (const version of ['v1', 'v2']) {
      const artifact = await putArtifact(outputs().LakeBucketName!, `models/${MODEL}/${version}/model.json`, { model });
      await putModelVersion(outputs().ModelsTableName!, {
        model_name: MODEL, sk: versionKey(version), version, kind: model.kind, created_at: new Date().toISOString(), artifact, feature_spec: FEATURE_NAMES,
        metrics: { validation: metrics, test: metrics }, data: { from: '2025-01-01', to: '2025-01-02', partitions: [] }, job_id: 'test', code_version: 'test',
      });
    }
  });

  it('refuses a request without a key (401) or with a wrong one (403), and changes nothing', async () => {
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v1' })).status).toBe(401);
    expect((await call(`/models/${MODEL}/aliases/production`, { version: 'v1' }, 'not-the-key')).status).toBe(403);
    expect(await getAlias(outputs().ModelsTableName!, MODEL, 'production')).toBeUndefined();
  });

  it('promotes, refuses a stale or unknown promotion, and rolls back, recording who did what', async () => {
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v1', reason: 'first' }, ADMIN_KEY)).toMatchObject({ status: 200, body: { version: 'v1', previous: null } });
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v2', expected_version: 'v1' }, ADMIN_KEY)).toMatchObject({ status: 200, body: { version: 'v2', previous: 'v1' } });
    expect(await call(`/models/${MODEL}/aliases/production`, { version: 'v1', expected_version: 'v1' }, ADMIN_KEY)).toMatchObject({ status: 409, body: { message: expect.stringContaining('another change won') } });
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
});
