import { FEATURE_NAMES, type FeatureName } from '../features/spec';
import type { Dataset } from './dataset';
import { predictGbdt, trainGbdt, GBDT_DEFAULTS, type GbdtModel } from './gbdt';
import { predictLogistic, trainLogistic, LOGISTIC_DEFAULTS, type LogisticModel } from './logistic';
import { evaluate, rocAuc, type Metrics } from './metrics';

/** One row of the features table (glue/features.sql). */
export type FeatureRow = { session_id: string; dt: string; label: number } & Record<FeatureName, number | null>;

export type TrainedModel = GbdtModel | LogisticModel;

export interface TrainingResult {
  chosen: 'gbdt' | 'logreg';
  model: TrainedModel;
  candidates: Record<'gbdt' | 'logreg', { validation: Metrics; test: Metrics }>;
  split: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  /** The test window's rows (to score other models, e.g. production, on the same sessions). */
  testRows: FeatureRow[];
  /** The chosen model's probability for each test-window session (to compare with other scorers). */
  testPredictions: { session_id: string; label: number; p: number }[];
}

export interface SplitInfo {
  rows: number;
  positives: number;
  from: string;
  to: string;
}

/**
 * The Bayes gap on generated data: ROC-AUC of the generator's true purchase probabilities next to the
 * model's, over the test-window sessions the truth covers.
 */
export function bayesGap(predictions: TrainingResult['testPredictions'], truth: ReadonlyMap<string, number>) {
  const covered = predictions.filter((x) => truth.has(x.session_id));
  const labels = covered.map((x) => x.label);
  const bayes = rocAuc(
    labels,
    covered.map((x) => truth.get(x.session_id)!),
  );
  const model = rocAuc(
    labels,
    covered.map((x) => x.p),
  );
  return { sessions: covered.length, bayes_roc_auc: bayes, model_roc_auc: model, gap: bayes - model };
}

export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
}

export function toDataset(rows: readonly FeatureRow[]): Dataset {
  const cols = FEATURE_NAMES.length;
  const x = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => FEATURE_NAMES.forEach((name, j) => (x[i * cols + j] = row[name] ?? Number.NaN)));
  return { featureNames: [...FEATURE_NAMES], rows: rows.length, cols, x, y: Uint8Array.from(rows, (r) => (Number(r.label) === 1 ? 1 : 0)) };
}

export const predict = (model: TrainedModel, features: ArrayLike<number>): number =>
  model.kind === 'gbdt' ? predictGbdt(model, features) : predictLogistic(model, features);

function score(model: TrainedModel, data: Dataset): Float64Array {
  const p = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) p[i] = predict(model, data.x.subarray(i * data.cols, (i + 1) * data.cols));
  return p;
}

/** Metrics of any trained model on feature rows (e.g. the production model on a new test window). */
export const scoreRows = (model: TrainedModel, rows: readonly FeatureRow[]): Metrics => {
  const data = toDataset(rows);
  return evaluate(data.y, score(model, data));
};

const info = (rows: readonly FeatureRow[]): SplitInfo => ({
  rows: rows.length,
  positives: rows.filter((r) => Number(r.label) === 1).length,
  from: rows[0]?.dt ?? '',
  to: rows.at(-1)?.dt ?? '',
});

/**
 * Splits by time — oldest 70 % train, next 15 % validation, newest 15 % test — so no model learns from
 * the future; trains both models (the GBDT early-stops on validation), picks the better validation ROC-AUC,
 * and reports test metrics for both.
 */
export function trainPurchasePropensity(rows: readonly FeatureRow[]): TrainingResult {
  const ordered = [...rows].sort((a, b) => a.dt.localeCompare(b.dt) || Number(a.start_hour) - Number(b.start_hour) || a.session_id.localeCompare(b.session_id));
  const a = Math.floor(ordered.length * 0.7);
  const b = Math.floor(ordered.length * 0.85);
  const parts = { train: ordered.slice(0, a), validation: ordered.slice(a, b), test: ordered.slice(b) };
  for (const [name, part] of Object.entries(parts)) {
    const positives = part.filter((r) => Number(r.label) === 1).length;
    if (positives === 0 || positives === part.length) {
      throw new TrainingDataError(
        `The ${name} window (${part.length} sessions) needs both buyers and non-buyers; widen the date range or generate more traffic.`,
      );
    }
  }
  const [train, validation, test] = [toDataset(parts.train), toDataset(parts.validation), toDataset(parts.test)];
  const models = { gbdt: trainGbdt(train, GBDT_DEFAULTS, validation), logreg: trainLogistic(train, LOGISTIC_DEFAULTS) };
  const candidates = {
    gbdt: { validation: evaluate(validation.y, score(models.gbdt, validation)), test: evaluate(test.y, score(models.gbdt, test)) },
    logreg: { validation: evaluate(validation.y, score(models.logreg, validation)), test: evaluate(test.y, score(models.logreg, test)) },
  };
  const chosen = candidates.gbdt.validation.roc_auc >= candidates.logreg.validation.roc_auc ? 'gbdt' : 'logreg';
  const p = score(models[chosen], test);
  return {
    chosen,
    model: models[chosen],
    candidates,
    split: { train: info(parts.train), validation: info(parts.validation), test: info(parts.test) },
    testRows: parts.test,
    testPredictions: parts.test.map((r, i) => ({ session_id: r.session_id, label: test.y[i]!, p: p[i]! })),
  };
}
