import { FEATURE_NAMES } from '../features/spec';
import type { Dataset } from './dataset';
import type { FeatureTable } from './feature-table';
import { predictGbdt, trainGbdt, GBDT_DEFAULTS, type GbdtModel } from './gbdt';
import { predictLogistic, trainLogistic, LOGISTIC_DEFAULTS, type LogisticModel } from './logistic';
import { curves, evaluate, rocAuc, type Curves, type Metrics } from './metrics';
import { driftReference, type DriftReference } from '../monitoring/drift';

export type TrainedModel = GbdtModel | LogisticModel;

export interface TrainingResult {
  chosen: 'gbdt' | 'logreg';
  model: TrainedModel;
  candidates: Record<'gbdt' | 'logreg', { validation: Metrics; test: Metrics }>;
  split: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  /** The test window's sessions (to score other models, e.g. production, on the same sessions). */
  testData: Dataset;
  /** The chosen model's probability for each test-window session (to compare with other scorers). */
  testPredictions: { session_id: string; label: number; p: number }[];
  /** The chosen model's ROC curve and calibration bins on the test window. */
  testCurves: Curves;
  /** The data's feature histograms (every session of the window) and the chosen model's test scores': what drift is measured against. */
  reference: DriftReference;
  /** What fitting took: the GBDT's trees (early stopping picks how many) and seconds, the logistic regression's seconds. */
  fit: { gbdt: { seconds: number; trees: number }; logreg: { seconds: number } };
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

/** The design matrix of a table's rows at `indexes` (all rows, in order, without), in FEATURE_NAMES order. */
export function toDataset(table: FeatureTable, indexes?: ArrayLike<number>): Dataset {
  const rows = indexes ? indexes.length : table.rows;
  const cols = FEATURE_NAMES.length;
  const columns = FEATURE_NAMES.map((name) => table.columns[name]);
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = indexes ? indexes[i]! : i;
    for (let j = 0; j < cols; j++) x[i * cols + j] = columns[j]![r]!;
    y[i] = table.labels[r]!;
  }
  return { featureNames: [...FEATURE_NAMES], rows, cols, x, y };
}

export const predict = (model: TrainedModel, features: ArrayLike<number>): number =>
  model.kind === 'gbdt' ? predictGbdt(model, features) : predictLogistic(model, features);

function score(model: TrainedModel, data: Dataset): Float64Array {
  const p = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) p[i] = predict(model, data.x.subarray(i * data.cols, (i + 1) * data.cols));
  return p;
}

/** Metrics and curves of any trained model on a dataset (e.g. the production model on a new test window). */
export function scoreDataset(model: TrainedModel, data: Dataset): { metrics: Metrics; curves: Curves } {
  const p = score(model, data);
  return { metrics: evaluate(data.y, p), curves: curves(data.y, p) };
}

const info = (table: FeatureTable, indexes: Uint32Array): SplitInfo => {
  let positives = 0;
  for (const r of indexes) positives += table.labels[r]!;
  return {
    rows: indexes.length,
    positives,
    from: indexes.length > 0 ? table.dts[indexes[0]!]! : '',
    to: indexes.length > 0 ? table.dts[indexes[indexes.length - 1]!]! : '',
  };
};

/**
 * Splits by time — oldest 70 % train, next 15 % validation, newest 15 % test — so no model learns from
 * the future; trains both models (the GBDT early-stops on validation), picks the better validation ROC-AUC,
 * and reports test metrics for both.
 */
export function trainPurchasePropensity(table: FeatureTable): TrainingResult {
  const { dts, sessionIds } = table;
  const startHour = table.columns.start_hour;
  const ordered = Uint32Array.from({ length: table.rows }, (_, i) => i).sort(
    (a, b) => dts[a]!.localeCompare(dts[b]!) || startHour[a]! - startHour[b]! || sessionIds[a]!.localeCompare(sessionIds[b]!),
  );
  const a = Math.floor(table.rows * 0.7);
  const b = Math.floor(table.rows * 0.85);
  const parts = { train: ordered.subarray(0, a), validation: ordered.subarray(a, b), test: ordered.subarray(b) };
  for (const [name, part] of Object.entries(parts)) {
    const { positives } = info(table, part);
    if (positives === 0 || positives === part.length) {
      throw new TrainingDataError(
        `The ${name} window (${part.length} sessions) needs both buyers and non-buyers; widen the date range or generate more traffic.`,
      );
    }
  }
  const [train, validation, test] = [toDataset(table, parts.train), toDataset(table, parts.validation), toDataset(table, parts.test)];
  const gbdtStarted = performance.now();
  const gbdt = trainGbdt(train, GBDT_DEFAULTS, validation);
  const logregStarted = performance.now();
  const logreg = trainLogistic(train, LOGISTIC_DEFAULTS);
  const fitted = performance.now();
  const models = { gbdt, logreg };
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
    split: { train: info(table, parts.train), validation: info(table, parts.validation), test: info(table, parts.test) },
    testData: test,
    testPredictions: Array.from(parts.test, (r, i) => ({ session_id: sessionIds[r]!, label: test.y[i]!, p: p[i]! })),
    testCurves: curves(test.y, p),
    reference: driftReference(table.columns, p),
    fit: { gbdt: { seconds: (logregStarted - gbdtStarted) / 1000, trees: gbdt.trees.length }, logreg: { seconds: (fitted - logregStarted) / 1000 } },
  };
}

/**
 * A model trained elsewhere (SageMaker's XGBoost), judged as trainPurchasePropensity judges its own: metrics on
 * the validation and test windows, the test curves, and the drift reference (from the test window's sessions:
 * the trainer's whole table is not read on this path).
 */
export function judgeModel(model: TrainedModel, validation: Dataset, test: Dataset) {
  if (test.featureNames.join() !== FEATURE_NAMES.join() || validation.featureNames.join() !== FEATURE_NAMES.join())
    throw new TrainingDataError(`The channels hold features ${test.featureNames.join(', ')}; this code serves ${FEATURE_NAMES.join(', ')}.`);
  for (const [name, part] of Object.entries({ validation, test })) {
    let positives = 0;
    for (let i = 0; i < part.rows; i++) positives += part.y[i]!;
    if (positives === 0 || positives === part.rows)
      throw new TrainingDataError(`The ${name} channel (${part.rows} sessions) needs both buyers and non-buyers; widen the date range.`);
  }
  const p = score(model, test);
  const columns = Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, Float64Array.from({ length: test.rows }, (_, i) => test.x[i * test.cols + j]!)]));
  return {
    metrics: { validation: evaluate(validation.y, score(model, validation)), test: evaluate(test.y, p) },
    testCurves: curves(test.y, p),
    reference: driftReference(columns, p),
  };
}
