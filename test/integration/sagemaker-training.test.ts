import { CreateTrainingJobCommand, DescribeTrainingJobCommand, StopTrainingJobCommand, type CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getArtifact } from '#adapters/model-artifacts';
import { sageMakerClient } from '#adapters/sagemaker';
import { getAlias, getModelVersion } from '#adapters/registry-table';
import { getObjectBytes, listObjects, putObject } from '#adapters/s3';
import { sessionFeatures } from '#domain/features/session-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { channelsPrefix, type ChannelsManifest } from '#domain/lake';
import { parseLibsvm } from '#domain/model/libsvm';
import { evaluate } from '#domain/model/metrics';
import { predict, type TrainedModel } from '#domain/model/training-run';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { untarGz } from '#shared/tar';
import { XGBOOST_INSTALL, XGBOOST_PYTHON } from '../../local/sagemaker-training';
import { api, apiKeys, backfill, drain, outputs } from '../helpers/cloud';
import { requireTool } from '../helpers/requirements';
import { readDefinition } from '../helpers/state-machines';
import { enteredStates, holdTrainingWorkflow, runTraining, weakProduction, WORKFLOW_MODEL } from '../helpers/training';
import { waitFor } from '../helpers/wait';

const MODEL = WORKFLOW_MODEL;
const table = () => outputs().ModelsTableName!;
const bucket = () => outputs().LakeBucketName!;
const s3Key = (uri: string) => uri.replace(`s3://${bucket()}/`, '');

async function channelText(uri: string): Promise<string> {
  const parts = await Promise.all((await listObjects(bucket(), s3Key(uri))).map((o) => getObjectBytes(bucket(), o.key)));
  return parts.map((p) => p.toString('utf8')).join('\n');
}

/**
 * statemachines/training.asl.yaml, unchanged, taking its SageMaker path on the local cloud: the features job writes
 * the time-split channels, the SageMaker stand-in runs the built-in XGBoost algorithm (Debian's XGBoost) on them,
 * this project's code converts and judges the model, the gate promotes it, and POST /predict serves it.
 */
describe('training workflow on SageMaker’s XGBoost', () => {
  const range = { from: '2025-02-10', to: '2025-02-13' };
  const shoppers = new ShopperModel(8642, new Date('2025-02-10T00:00:00Z'), 4 * 86_400_000);
  let work: string;

  let release: () => void;

  beforeAll(async () => {
    release = await holdTrainingWorkflow();
    requireTool(XGBOOST_PYTHON, ['-c', 'import xgboost'], XGBOOST_INSTALL);
    work = mkdtempSync(path.join(os.tmpdir(), 'sagemaker-training-'));
    await backfill(Array.from({ length: 2500 }, () => shoppers.session()).flatMap((s) => s.events));
    await drain();
    // Production is a model that learned nothing: the gate's comparison must not depend on what another test file promoted.
    await weakProduction(Array.from({ length: 600 }, () => shoppers.session()));
  }, 660_000);
  afterAll(() => {
    release?.();
    rmSync(work, { recursive: true, force: true });
  });

  it('crawls, builds features and channels, trains on SageMaker, judges and promotes the XGBoost model, which POST /predict then serves with explanations', async () => {
    const { execution, events } = await runTraining({ ...range, trainer: 'sagemaker' }, 240_000);
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(enteredStates(events)).toEqual([
      'PlanRun',
      'StartCrawler',
      'WaitForCrawler',
      'GetCrawler',
      'CrawlerDone',
      'CompactEvents',
      'BuildFeatures',
      'ReadChannels',
      'ChooseTrainer',
      'TrainOnSageMaker',
      'RegisterXgboost',
      'EvaluateCandidate',
      'GatePassed',
      'PromoteCandidate',
      'Promoted',
    ]);
    const output = JSON.parse(execution.output!);
    const { version } = output.run;

    // The channels: a 70/15/15 time split of the run's sessions, as libsvm, with their manifest.
    const manifest = JSON.parse((await getObjectBytes(bucket(), `${channelsPrefix(version)}manifest.json`)).toString('utf8')) as ChannelsManifest;
    expect(manifest).toMatchObject({ run: version, from: range.from, to: range.to, format: 'text/libsvm', features: [...FEATURE_NAMES] });
    expect(manifest.rows.total).toBeGreaterThan(2000);
    expect(manifest.rows.train).toBe(Math.floor(manifest.rows.total * 0.7));
    expect(manifest.rows.train + manifest.rows.validation).toBe(Math.floor(manifest.rows.total * 0.85));
    expect(manifest.rows.train + manifest.rows.validation + manifest.rows.test).toBe(manifest.rows.total);

    // The training job, as SageMaker describes it: the deployed hyperparameters and resources, its model.tar.gz.
    const job = await sageMakerClient().send(new DescribeTrainingJobCommand({ TrainingJobName: output.sagemaker.TrainingJobName }));
    const state = readDefinition('training').States.TrainOnSageMaker.Parameters;
    expect(job).toMatchObject({
      TrainingJobStatus: 'Completed',
      HyperParameters: state.HyperParameters,
      ResourceConfig: { InstanceType: output.run.sagemaker.instance_type, InstanceCount: output.run.sagemaker.instance_count },
      ModelArtifacts: {
        S3ModelArtifacts: `s3://${bucket()}/training/purchase-propensity/${version}/sagemaker/${output.sagemaker.TrainingJobName}/output/model.tar.gz`,
      },
    });
    expect(job.InputDataConfig!.map((c) => [c.ChannelName, c.DataSource!.S3DataSource!.S3DataDistributionType])).toEqual([
      ['train', 'ShardedByS3Key'],
      ['validation', 'FullyReplicated'],
    ]);
    expect(job.FinalMetricDataList!.map((m) => m.MetricName)).toEqual(['train:logloss', 'validation:logloss']);
    const modelFile = path.join(work, 'xgboost-model');
    writeFileSync(modelFile, untarGz(await getObjectBytes(bucket(), s3Key(job.ModelArtifacts!.S3ModelArtifacts!)))['xgboost-model']!);

    // Registered and promoted: the gate compared it with production on the same test window.
    expect(output.gate).toMatchObject({ decision: 'promote', candidate: { version }, production: { version: expect.stringMatching(/^weak-/) } });
    expect((await getAlias(table(), MODEL, PRODUCTION_ALIAS))!.version).toBe(version);
    const registered = (await getModelVersion(table(), MODEL, version))!;
    expect(registered).toMatchObject({ kind: 'gbdt', job_id: output.sagemaker.TrainingJobName, data: { from: range.from, to: range.to } });
    const artifact = (await getArtifact(registered.artifact)) as { model: TrainedModel; trainer: string; training: { trees: number } };
    expect(artifact).toMatchObject({ trainer: 'sagemaker-xgboost', training: { trees: expect.any(Number) } });

    // Judged by this project's code on the test channel, and scoring as XGBoost scores (to 1e-6).
    const testText = await channelText(manifest.channels.test);
    const test = parseLibsvm(testText, manifest.features);
    expect(test.rows).toBe(manifest.rows.test);
    const ours = Array.from({ length: test.rows }, (_, i) => predict(artifact.model, test.x.subarray(i * test.cols, (i + 1) * test.cols)));
    expect(registered.metrics.test).toEqual(evaluate(test.y, Float64Array.from(ours)));
    const testFile = path.join(work, 'test.libsvm');
    writeFileSync(testFile, testText);
    const helper = path.resolve(__dirname, '..', 'helpers', 'xgboost_predict.py');
    const theirs = (
      JSON.parse(execFileSync(XGBOOST_PYTHON, [helper, modelFile, testFile], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' })) as { p: number[] }
    ).p;
    expect(Math.max(...ours.map((p, i) => Math.abs(p - theirs[i]!)))).toBeLessThanOrEqual(1e-6);

    // Served: POST /predict answers from the promoted XGBoost model, with tree-path explanations.
    const { events: sessionEvents } = shoppers.session();
    const { status, body } = await api('POST', '/predict', {
      body: { model: MODEL, session: { events: sessionEvents }, explain: true },
      key: apiKeys().predict,
    });
    expect(status).toBe(200);
    const features = sessionFeatures(sessionEvents);
    const expected = predict(
      artifact.model,
      FEATURE_NAMES.map((n) => features[n] ?? Number.NaN),
    );
    expect(body).toMatchObject({ model: MODEL, version, alias: PRODUCTION_ALIAS });
    expect(body.predictions[0]).toMatchObject({ version, probability: expect.closeTo(expected, 12), explanation: { bias: expect.any(Number) } });
    expect(body.predictions[0].explanation.top.length).toBeGreaterThan(0);
  }, 300_000);

  it('reports a failing algorithm’s reason, stops a running job when asked, and refuses a name used before, as SageMaker does', async () => {
    const prefix = `training/it-sagemaker-${Date.now()}/`;
    // 20,000 sessions of a learnable label: enough rounds to stop the job while it trains.
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i % 3 === 0 ? 1 : 0} 0:${i % 3} 1:${(i * 7919) % 1000}`).join('\n');
    await putObject(bucket(), `${prefix}train/part-00000.libsvm`, lines, 'text/plain');
    await putObject(bucket(), `${prefix}validation/part-00000.libsvm`, lines, 'text/plain');
    const channel = (name: string, key: string) => ({
      ChannelName: name,
      ContentType: 'text/libsvm',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: `s3://${bucket()}/${prefix}${key}/` } },
    });
    const job = (name: string, hyperParameters: Record<string, string>): CreateTrainingJobCommandInput => ({
      TrainingJobName: name,
      AlgorithmSpecification: { TrainingImage: 'local/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::000000000000:role/local',
      HyperParameters: hyperParameters,
      InputDataConfig: [channel('train', 'train'), channel('validation', 'validation')],
      OutputDataConfig: { S3OutputPath: `s3://${bucket()}/${prefix}output` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 600 },
    });
    const sagemaker = sageMakerClient();
    const ended = (name: string) =>
      waitFor(
        `training job ${name} to end`,
        async () => {
          const described = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
          return !['InProgress', 'Stopping'].includes(described.TrainingJobStatus!) && described;
        },
        60_000,
      );

    const broken = `it-broken-${Date.now()}`;
    await sagemaker.send(new CreateTrainingJobCommand(job(broken, { objective: 'binary:logistic' })));
    expect(await ended(broken)).toMatchObject({
      TrainingJobStatus: 'Failed',
      FailureReason: 'AlgorithmError: Missing required hyperparameter: num_round',
    });
    await expect(sagemaker.send(new CreateTrainingJobCommand(job(broken, { num_round: '1' })))).rejects.toMatchObject({ name: 'ResourceInUse' });

    const long = `it-stopped-${Date.now()}`;
    await sagemaker.send(new CreateTrainingJobCommand(job(long, { objective: 'binary:logistic', num_round: '100000', eta: '0.001', max_depth: '8' })));
    await waitFor(
      `training job ${long} to train`,
      async () => (await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: long }))).SecondaryStatus === 'Training',
      60_000,
    );
    await sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: long }));
    const stopped = await ended(long);
    expect(stopped).toMatchObject({ TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped' });
    expect(stopped.ModelArtifacts).toBeUndefined();
    expect(stopped.SecondaryStatusTransitions!.map((t) => t.Status)).toEqual(['Starting', 'Downloading', 'Training', 'Stopping', 'Stopped']);
  }, 120_000);
});
