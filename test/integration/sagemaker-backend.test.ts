import { setAlias } from '#adapters/registry-table';
import { sessionFeatures } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { predict } from '#domain/model/training-run';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { runTsx } from '../helpers/cli';
import { api, addFaults, clearFaults, faults, outputs } from '../helpers/cloud';
import { registerVersion } from '../helpers/registry';
import { trainedModel } from '../helpers/models';

const MODEL = `sm${Date.now().toString(36)}`;

async function models(...args: string[]) {
  return (await runTsx('cli/models.ts', [...args, '--models-table', outputs().ModelsTableName!, '--json'])).json;
}

const post = (body: unknown) => api('POST', '/predict', { body });

/**
 * The predict function's SageMaker backend against the local SageMaker stand-in, which runs the serving
 * container's program (serving/server.ts) on the version's model.tar.gz: deployed and routed with the models CLI.
 */
describe('SageMaker backend', () => {
  const gbdt = trainedModel('gbdt');
  afterEach(() => clearFaults('sagemaker'));

  it('deploys a version to an endpoint, serves the alias from it, and answers 503 when the endpoint fails', async () => {
    await registerVersion({ model: MODEL, version: 'v1', kind: 'gbdt', artifact: { name: MODEL, version: 'v1', model: gbdt } });
    await setAlias(outputs().ModelsTableName!, MODEL, 'production', { to: 'v1', expected: null, by: 'test', reason: 'first' });

    const deployed = await models(
      'deploy-endpoint',
      MODEL,
      'v1',
      '--lake-bucket',
      outputs().LakeBucketName!,
      '--serving-image',
      `${outputs().ServingRepositoryUri}:test`,
      '--role-arn',
      outputs().SageMakerExecutionRoleArn!,
    );
    expect(deployed).toMatchObject({ ok: true, endpoint: `clickstream-ml-local-${MODEL}-v1`, model_data_url: expect.stringMatching(/model\.tar\.gz$/) });
    expect(await models('endpoint', MODEL, deployed.endpoint)).toMatchObject({ ok: true, version: 'v1', endpoint: deployed.endpoint });

    const shoppers = new ShopperModel(3, new Date('2025-01-01T00:00:00Z'), 86_400_000);
    const sessions = Array.from({ length: 20 }, (_, i) => ({ session_id: `sm-${i}`, features: sessionFeatures(shoppers.session().events) }));

    await addFaults([{ service: 'sagemaker', operation: 'InvokeEndpoint', type: 'throttle', count: 2, errorCode: 'ServiceUnavailable' }]);
    const down = await post({ model: MODEL, sessions });
    expect(down.status).toBe(503);
    expect(down.body.message).toMatch(/endpoint is unavailable right now/);
    expect(JSON.stringify(down.body)).not.toContain(deployed.endpoint);
    expect(await faults('sagemaker')).toEqual([expect.objectContaining({ count: 0 })]);
    await clearFaults('sagemaker');

    const { status, body } = await post({ model: MODEL, sessions, explain: true });
    expect(status).toBe(200);
    body.predictions.forEach((p: { session_id: string; version: string; probability: number; explanation: unknown }, i: number) => {
      expect([p.session_id, p.version]).toEqual([`sm-${i}`, 'v1']);
      expect(p.probability).toBeCloseTo(
        predict(
          gbdt,
          FEATURE_NAMES.map((n) => sessions[i]!.features[n] ?? Number.NaN),
        ),
        12,
      );
      expect(p.explanation).toMatchObject({ top: expect.any(Array) });
    });
  });
});
