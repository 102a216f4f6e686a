import { promoteRun } from '#adapters/registry-use-cases';
import { getAlias, putRunRecord, getRunRecord } from '#adapters/registry-table';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { outputs } from '../helpers/cloud';
import { trainedModel } from '../helpers/models';
import { registerVersion } from '../helpers/registry';

const MODEL = `it-promote-${Date.now()}`;

/** The promote step of the training workflow (what promoteCandidate runs), twice as a Step Functions retry would, against the local DynamoDB. */
describe('promoteCandidate is safe to repeat', () => {
  const promote = (event: ReturnType<typeof eventFor>) => promoteRun(outputs().ModelsTableName!, event.run, event.gate);

  beforeAll(async () => {
    const model = trainedModel('logistic_regression', 600);
    for (const version of ['v1', 'v2']) await registerVersion({ model: MODEL, version, kind: model.kind, artifact: { model } });
  });

  const eventFor = (runId: string, version: string, production: string | null) => ({
    run: { run_id: runId, model_name: MODEL, version, from: '2026-11-01', to: '2026-11-14' },
    gate: {
      decision: 'promote' as const,
      reasons: [],
      candidate: { version, roc_auc: 0.9, ece: 0.02 },
      production: production === null ? null : { version: production, roc_auc: 0.85, ece: 0.03 },
    },
  });

  it('counts a retry that finds the alias already moved by its own run as done, and records the run once as promoted', async () => {
    expect(await promote(eventFor('run-1', 'v1', null))).toEqual({ moved: true, previous: null });
    // The retry: same input, the alias already points at v1 because of this very run.
    expect(await promote(eventFor('run-1', 'v1', null))).toEqual({ moved: false, previous: null });
    const alias = (await getAlias(outputs().ModelsTableName!, MODEL, PRODUCTION_ALIAS))!;
    expect(alias.history.map((h) => [h.from, h.to, h.by])).toEqual([[null, 'v1', 'training-workflow/run-1']]);
    expect(await getRunRecord(outputs().ModelsTableName!, MODEL, 'run-1')).toEqual(expect.objectContaining({ outcome: 'promoted', version: 'v1' }));
  });

  it('still refuses when another run moved the alias (a real conflict)', async () => {
    await expect(promote(eventFor('run-2', 'v2', null))).rejects.toMatchObject({ name: 'AliasConflictError' });
    expect((await getAlias(outputs().ModelsTableName!, MODEL, PRODUCTION_ALIAS))!.version).toBe('v1');
  });

  it('never overwrites a promoted run with a late failure record', async () => {
    await putRunRecord(outputs().ModelsTableName!, {
      model_name: MODEL,
      run_id: 'run-1',
      outcome: 'failed',
      at: new Date().toISOString(),
      error: { Error: 'Lambda.Unknown', Cause: 'timeout' },
    });
    expect(await getRunRecord(outputs().ModelsTableName!, MODEL, 'run-1')).toEqual(expect.objectContaining({ outcome: 'promoted' }));
  });
});
