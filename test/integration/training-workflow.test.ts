import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { getAlias, getModelVersion, getRunRecord } from '#adapters/registry-table';
import { listObjects } from '#adapters/s3';
import { FEATURES_PREFIX } from '#domain/lake';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { addFaults, backfill, clearFaults, drain, faults, outputs } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { readDefinition } from '../helpers/state-machines';
import { enteredStates, holdTrainingWorkflow, runTraining, weakProduction, WORKFLOW_MODEL } from '../helpers/training';

const MODEL = WORKFLOW_MODEL;
const definition = readDefinition('training');
const table = () => outputs().ModelsTableName!;

const run = (input: unknown) => runTraining(input);

const entered = (events: HistoryEvent[]) => events.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name!);
/** The failed attempts of one state (TaskFailed events point back at the state's entered event). */
function failedAttempts(events: HistoryEvent[], state: string): string[] {
  const ids = new Set(events.filter((e) => e.stateEnteredEventDetails?.name === state).map((e) => e.id));
  return events.filter((e) => e.taskFailedEventDetails && ids.has(e.previousEventId)).map((e) => e.taskFailedEventDetails!.error!);
}
const retrier = (state: string, error: string) => definition.States[state].Retry.find((r: { ErrorEquals: string[] }) => r.ErrorEquals.includes(error));

/**
 * statemachines/training.asl.yaml, unchanged, on the local cloud: crawler → Glue job → Batch job → gate →
 * registry, and what its Retry and Catch do when the crawler is busy, the Glue job fails once, or the Batch
 * job fails for good.
 */
describe('training workflow', () => {
  const range = { from: '2025-01-05', to: '2025-01-08' };

  let release: () => void;

  beforeAll(async () => {
    release = await holdTrainingWorkflow();
    const shoppers = new ShopperModel(4321, new Date('2025-01-05T00:00:00Z'), 4 * 86_400_000);
    await backfill(Array.from({ length: 1500 }, () => shoppers.session()).flatMap((s) => s.events));
    await drain();
    // The first run must pass the gate against a known, weak production, not whatever another test file promoted.
    await weakProduction(Array.from({ length: 600 }, () => shoppers.session()));
  }, 660_000);
  afterAll(() => release?.());
  afterEach(async () => {
    await clearFaults('glue');
    await clearFaults('batch');
  });

  it('crawls, builds features, trains, passes the gate and promotes the version to production', async () => {
    const { execution, events, output, name } = await run(range);
    expect(execution.status).toBe('SUCCEEDED');
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
      'TrainModel',
      'EvaluateCandidate',
      'GatePassed',
      'PromoteCandidate',
      'Promoted',
    ]);
    const { version } = output.run;
    expect(output.gate).toMatchObject({ decision: 'promote', candidate: { version } });
    expect((await getAlias(table(), MODEL, PRODUCTION_ALIAS))!.version).toBe(version);
    const registered = (await getModelVersion(table(), MODEL, version))!;
    expect(registered).toMatchObject({ data: { from: range.from, to: range.to }, job_id: output.training.JobId });
    expect(registered.metrics.test.roc_auc).toBeGreaterThan(0.7);
    expect(await getRunRecord(table(), MODEL, name)).toEqual(expect.objectContaining({ outcome: 'promoted', version }));
    const partitions = (await listObjects(outputs().LakeBucketName!, FEATURES_PREFIX)).map((o) => o.key);
    for (const dt of ['2025-01-05', '2025-01-06', '2025-01-07', '2025-01-08']) expect(partitions).toContainEqual(expect.stringContaining(`dt=${dt}/`));
  });

  it('waits out a busy crawler (Retry on Glue.CrawlerRunningException)', async () => {
    await addFaults([{ service: 'glue', operation: 'StartCrawler', type: 'throttle', count: 1, errorCode: 'CrawlerRunningException' }]);
    const { execution, events } = await run(range);
    expect(execution.status).toBe('SUCCEEDED');
    expect(failedAttempts(events, 'StartCrawler')).toEqual(['Glue.CrawlerRunningException']);
    expect(await faults('glue')).toEqual([expect.objectContaining({ count: 0 })]);
  });

  it('runs a failed Glue job once more (Retry on States.TaskFailed)', async () => {
    await addFaults([{ service: 'glue', operation: 'JobRun', type: 'fail', count: 1 }]);
    const { execution, events } = await run(range);
    expect(execution.status).toBe('SUCCEEDED');
    // The first job run of the workflow is the compaction's.
    expect(failedAttempts(events, 'CompactEvents')).toEqual(['States.TaskFailed']);
  });

  it('records a Batch job that fails for good, leaves production alone and ends in TrainingFailed', async () => {
    const before = (await getAlias(table(), MODEL, PRODUCTION_ALIAS))?.version;
    await addFaults([{ service: 'batch', operation: 'Job', type: 'fail', count: 100 }]);
    const { execution, events, name } = await run(range);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'TrainingFailed' });
    expect(failedAttempts(events, 'TrainModel')).toEqual(Array(1 + retrier('TrainModel', 'States.TaskFailed').MaxAttempts).fill('States.TaskFailed'));
    expect(entered(events).slice(-2)).toEqual(['RecordFailure', 'TrainingFailed']);
    const record = await getRunRecord(table(), MODEL, name);
    expect(record).toMatchObject({ outcome: 'failed', error: { Error: 'States.TaskFailed', Cause: expect.stringContaining('Injected fault') } });
    expect((await getAlias(table(), MODEL, PRODUCTION_ALIAS))?.version).toBe(before);
  });

  it('rejects a candidate that learned nothing, says why, and keeps production', async () => {
    // Sessions whose purchases do not depend on anything a feature sees: no model can rank them.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const events = Array.from({ length: 900 }, (_, i) => {
      const start = Date.parse('2025-01-15T00:00:00Z') + Math.floor((i / 900) * 3 * 86_400_000);
      const session = { session_id: `noise-${i}`, anonymous_id: `noise-visitor-${i}` };
      const views = [0, 1].map((k) => makeEvent({ ...session, event_time: new Date(start + k * 60_000).toISOString() }));
      return random() < 0.2 ? [...views, makeEvent({ ...session, event_type: 'purchase', event_time: new Date(start + 120_000).toISOString() })] : views;
    }).flat();
    await backfill(events);
    await drain();
    const before = (await getAlias(table(), MODEL, PRODUCTION_ALIAS))?.version;
    const { execution, output, name } = await run({ from: '2025-01-15', to: '2025-01-17' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(output.gate.decision).toBe('reject');
    expect(output.gate.reasons.join()).toMatch(/ROC-AUC .* below/);
    expect((await getAlias(table(), MODEL, PRODUCTION_ALIAS))?.version).toBe(before);
    expect(await getRunRecord(table(), MODEL, name)).toEqual(expect.objectContaining({ outcome: 'rejected', reasons: output.gate.reasons }));
  });

  it('fails a run with a bad range at planning, and records why', async () => {
    const { execution, name } = await run({ from: '2025-01-08', to: '2025-01-05' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'TrainingFailed' });
    const record = await getRunRecord(table(), MODEL, name);
    expect(record).toMatchObject({ outcome: 'failed', error: { Error: 'InvalidTrainingRequestError', Cause: expect.stringContaining('is after') } });
  });
});
