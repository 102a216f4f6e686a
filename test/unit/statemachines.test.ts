import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import '../../local/stepfunctions';
import { readDefinition } from '../helpers/state-machines';

/** What CloudFormation substitutes, shaped like the real values (ARNs, names), so the ARN checks apply. */
function substitute(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{(\w+)\}/g, (_, name: string) => {
      if (name.endsWith('FunctionArn')) return `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
      if (name.endsWith('JobQueueArn')) return 'arn:aws:batch:us-east-1:123456789012:job-queue/training';
      if (name.endsWith('JobDefinitionArn')) return 'arn:aws:batch:us-east-1:123456789012:job-definition/train:1';
      if (name.endsWith('BucketName')) return 'lake-bucket';
      if (name.endsWith('RoleArn')) return `arn:aws:iam::123456789012:role/${name}`;
      return name;
    });
  }
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  return value;
}

describe.each(['training', 'replay', 'erasure', 'monitoring', 'canary'])('statemachines/%s.asl.yaml', (name) => {
  it('is valid Amazon States Language once its placeholders are filled (asl-validator)', () => {
    const { isValid, errorsText } = aslValidator(substitute(readDefinition(name)) as never);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });
});

describe('statemachines/training.asl.yaml', () => {
  const definition = readDefinition('training');

  it('routes every failure of every task to the failure recorder, and the recorder to a Fail state', () => {
    const states = definition.States as Record<string, any>;
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || name === 'RecordFailure') continue;
      expect([name, state.Catch?.some((c: any) => c.ErrorEquals.includes('States.ALL') && c.Next === 'RecordFailure')]).toEqual([name, true]);
    }
    expect(states.RecordFailure.Next).toBe('TrainingFailed');
    expect(states.TrainingFailed).toMatchObject({ Type: 'Fail', Error: 'TrainingFailed' });
  });

  it('backs off with jitter on every retry', () => {
    for (const state of Object.values(definition.States as Record<string, any>)) {
      for (const retrier of state.Retry ?? []) expect(retrier.JitterStrategy).toBe('FULL');
    }
  });

  it('trains on SageMaker from the stage’s row threshold on, or as the input forces; otherwise on Batch', async () => {
    // The definition's Choice, run by aws-local-stepfunctions, with its two targets marking which was taken.
    const machine = new StateMachine(
      {
        StartAt: 'ChooseTrainer',
        States: {
          ChooseTrainer: definition.States.ChooseTrainer,
          TrainOnSageMaker: { Type: 'Pass', Result: 'sagemaker', End: true },
          TrainModel: { Type: 'Pass', Result: 'batch', End: true },
        },
      },
      { validationOptions: { checkArn: false } },
    );
    const choose = (trainer: string, rows: number, minRows: number) =>
      machine.run({ run: { trainer, sagemaker: { min_rows: minRows } }, channels: { manifest: { rows: { total: rows } } } }).result;
    expect(await choose('auto', 1_999_999, 2_000_000)).toBe('batch');
    expect(await choose('auto', 2_000_000, 2_000_000)).toBe('sagemaker');
    expect(await choose('auto', 150, 100)).toBe('sagemaker');
    expect(await choose('sagemaker', 10, 2_000_000)).toBe('sagemaker');
    expect(await choose('batch', 5_000_000, 2_000_000)).toBe('batch');
  });
});

describe('statemachines/erasure.asl.yaml', () => {
  const definition = readDefinition('erasure');

  it('plans, erases objects in a Distributed Map over the manifest, then finishes; every retry backs off with jitter', () => {
    expect(definition.StartAt).toBe('PlanErasure');
    expect(definition.States.PlanErasure.Next).toBe('EraseObjects');
    expect(definition.States.EraseObjects).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
      Next: 'FinishErasure',
    });
    // The subject travels as digests only: the batches get the field and the digests, never an id.
    expect(Object.keys(definition.States.EraseObjects.ItemBatcher.BatchInput).sort()).toEqual(['dry_run.$', 'field.$', 'sha256.$', 'versioned.$']);
    const retriers = [definition.States.PlanErasure, definition.States.FinishErasure, definition.States.EraseObjects.ItemProcessor.States.EraseBatch].flatMap(
      (s) => s.Retry,
    );
    for (const retrier of retriers) expect(retrier.JitterStrategy).toBe('FULL');
  });
});

describe('statemachines/replay.asl.yaml', () => {
  const definition = readDefinition('replay');

  it('is a Distributed Map over a manifest, whose worker batches are retried with jitter', () => {
    const map = definition.States.ReplayObjects;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } },
    });
    expect(map.ItemProcessor.States.ReplayBatch.Retry[0]).toMatchObject({
      ErrorEquals: expect.arrayContaining(['ReplayDeliveryError']),
      JitterStrategy: 'FULL',
    });
  });
});

describe('statemachines/canary.asl.yaml', () => {
  const definition = readDefinition('canary');
  const states = definition.States as Record<string, any>;

  it('waits, analyses, and then promotes or rolls back (one conclusion step), or waits again', () => {
    expect(definition.StartAt).toBe('WaitForEvidence');
    expect(states.WaitForEvidence).toMatchObject({ Type: 'Wait', SecondsPath: '$.check_seconds', Next: 'AnalyzeCanary' });
    expect(states.AnalyzeCanary.Next).toBe('Decide');
    expect(states.Decide.Choices.map((c: any) => [c.StringEquals, c.Next])).toEqual([
      ['promote', 'Conclude'],
      ['rollback', 'Conclude'],
    ]);
    expect(states.Decide.Default).toBe('WaitForEvidence');
    expect(states.Conclude.End).toBe(true);
  });

  it('stops without changing anything when the alias was changed meanwhile (stable error names)', () => {
    expect(states.AnalyzeCanary.Catch).toEqual([{ ErrorEquals: ['CanaryChangedError'], ResultPath: '$.error', Next: 'AliasChanged' }]);
    expect(states.Conclude.Catch).toEqual([{ ErrorEquals: ['AliasConflictError'], ResultPath: '$.error', Next: 'AliasChanged' }]);
    expect(states.AliasChanged).toMatchObject({ Type: 'Fail', Error: 'CanaryChangedError' });
  });

  it('backs off with jitter on every retry', () => {
    for (const name of ['canary', 'monitoring'])
      for (const state of Object.values(readDefinition(name).States as Record<string, any>))
        for (const r of state.Retry ?? []) expect(r.JitterStrategy).toBe('FULL');
  });
});
