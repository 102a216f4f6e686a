import { evaluateGate, InvalidTrainingRequestError, planTraining } from '#domain/training';
import type { Metrics } from '#domain/model/metrics';

const sagemaker = { min_rows: 2_000_000, instance_type: 'ml.m5.2xlarge', instance_count: 2, volume_gb: 30, max_runtime_seconds: 7200 };
const options = { modelName: 'purchase-propensity', lookbackDays: 14, sagemaker };
const execution = { name: '5f0c1d2e-aaaa-bbbb-cccc-0123456789ab', startTime: '2026-11-25T03:00:07.123Z' };

describe('planTraining', () => {
  it('takes the given inclusive range and derives a time-ordered, unique version from the execution', () => {
    expect(planTraining({ from: '2026-11-01', to: '2026-11-10' }, execution, options)).toEqual({
      run_id: execution.name,
      model_name: 'purchase-propensity',
      version: '20261125T030007Z-6789ab',
      from: '2026-11-01',
      to: '2026-11-10',
      trainer: 'auto',
      sagemaker,
    });
  });

  it('carries the trainer the input forces, and the SageMaker settings the workflow’s Choice and job read', () => {
    expect(planTraining({ trainer: 'sagemaker' }, execution, options)).toMatchObject({ trainer: 'sagemaker', sagemaker });
    expect(planTraining({ trainer: 'batch' }, execution, options)).toMatchObject({ trainer: 'batch' });
  });

  it('covers the lookback days before the run when the input has no range (the schedule)', () => {
    expect(planTraining({}, execution, options)).toMatchObject({ from: '2026-11-11', to: '2026-11-24' });
  });

  it.each([
    [{ from: '2026-11-10', to: '2026-11-01' }, /after/],
    [{ from: '2026-11-01' }, /both/],
    [{ from: '2026-13-01', to: '2026-11-01' }, /YYYY-MM-DD/],
    [{ from: 20261101, to: '2026-11-02' }, /YYYY-MM-DD/],
    [{ from: '2024-01-01', to: '2026-11-01' }, /longer than 366 days/],
    [{ trainer: 'spark' }, /"trainer" must be one of auto, batch, sagemaker/],
  ])('rejects %j with a named error', (input, message) => {
    expect(() => planTraining(input, execution, options)).toThrow(InvalidTrainingRequestError);
    expect(() => planTraining(input, execution, options)).toThrow(message);
  });
});

const metrics = (roc_auc: number, ece: number): Metrics => ({
  roc_auc,
  ece,
  pr_auc: 0.5,
  log_loss: 0.3,
  brier: 0.1,
  f1: 0.5,
  accuracy: 0.9,
  count: 300,
  positives: 40,
});
const thresholds = { minRocAuc: 0.7, maxEce: 0.1, maxRocAucDrop: 0.01 };

describe('evaluateGate', () => {
  it('promotes a good first model', () => {
    expect(evaluateGate({ version: 'v2', test: metrics(0.85, 0.03) }, undefined, thresholds)).toEqual({
      decision: 'promote',
      reasons: [],
      candidate: { version: 'v2', roc_auc: 0.85, ece: 0.03 },
      production: null,
    });
  });

  it('promotes a candidate within the allowed drop of production on the same window', () => {
    expect(evaluateGate({ version: 'v2', test: metrics(0.845, 0.03) }, { version: 'v1', test: metrics(0.85, 0.02) }, thresholds).decision).toBe('promote');
  });

  it('rejects, saying why, a candidate below the bars or worse than production', () => {
    const gate = evaluateGate({ version: 'v2', test: metrics(0.65, 0.2) }, { version: 'v1', test: metrics(0.8, 0.02) }, thresholds);
    expect(gate.decision).toBe('reject');
    expect(gate.reasons).toEqual([
      expect.stringMatching(/ROC-AUC 0.650 is below the minimum 0.7/),
      expect.stringMatching(/ECE\) 0.200 is above the maximum 0.1/),
      expect.stringMatching(/below production v1's 0.800/),
    ]);
  });

  it('replaces a production version flagged by an erasure with any candidate that clears the fixed bars', () => {
    const production = { version: 'v1', test: metrics(0.9, 0.02), mustReplace: true };
    const gate = evaluateGate({ version: 'v2', test: metrics(0.8, 0.03) }, production, thresholds);
    expect(gate).toMatchObject({ decision: 'promote', production: { version: 'v1', roc_auc: 0.9, must_replace: true } });
    expect(evaluateGate({ version: 'v2', test: metrics(0.65, 0.03) }, production, thresholds).decision).toBe('reject');
  });

  it('rejects a candidate whose metrics are not numbers (e.g. a window with one class)', () => {
    expect(evaluateGate({ version: 'v2', test: metrics(Number.NaN, Number.NaN) }, undefined, thresholds).decision).toBe('reject');
  });
});
