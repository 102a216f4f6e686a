import { stratifiedFolds, subset, type Dataset } from './dataset';
import { predictGbdt, trainGbdt, GBDT_DEFAULTS, type GbdtOptions } from './gbdt';
import { predictLogistic, trainLogistic, LOGISTIC_DEFAULTS, type LogisticOptions } from './logistic';
import { evaluate, type Metrics } from './metrics';

export type ModelKind = 'gbdt' | 'logreg';

const MEAN_KEYS = ['roc_auc', 'pr_auc', 'f1', 'log_loss', 'accuracy', 'brier', 'ece'] as const;
export type CvSummary = Record<(typeof MEAN_KEYS)[number], number> & { folds: Metrics[]; seconds: number };

/** Fits and scores one model kind on train/test rows. */
export function fitAndScore(kind: ModelKind, train: Dataset, test: Dataset, options: { gbdt?: GbdtOptions; logreg?: LogisticOptions } = {}): Float64Array {
  const p = new Float64Array(test.rows);
  if (kind === 'gbdt') {
    const model = trainGbdt(train, options.gbdt ?? GBDT_DEFAULTS);
    for (let i = 0; i < test.rows; i++) p[i] = predictGbdt(model, test.x.subarray(i * test.cols, (i + 1) * test.cols));
  } else {
    const model = trainLogistic(train, options.logreg ?? LOGISTIC_DEFAULTS);
    for (let i = 0; i < test.rows; i++) p[i] = predictLogistic(model, test.x.subarray(i * test.cols, (i + 1) * test.cols));
  }
  return p;
}

/** Stratified k-fold cross-validation (no resampling, threshold 0.5): the mean of each metric over folds. */
export function crossValidate(kind: ModelKind, data: Dataset, k: number, seed = 0, onFold?: (fold: number) => void): CvSummary {
  const started = Date.now();
  const folds = stratifiedFolds(data.y, k, seed);
  const results = folds.map((testRows, fold) => {
    const testSet = new Set(testRows);
    const train = subset(
      data,
      Array.from({ length: data.rows }, (_, i) => i).filter((i) => !testSet.has(i)),
    );
    const test = subset(data, testRows);
    const metrics = evaluate(test.y, fitAndScore(kind, train, test));
    onFold?.(fold);
    return metrics;
  });
  const mean = Object.fromEntries(MEAN_KEYS.map((key) => [key, results.reduce((s, m) => s + m[key], 0) / results.length])) as Record<
    (typeof MEAN_KEYS)[number],
    number
  >;
  return { ...mean, folds: results, seconds: (Date.now() - started) / 1000 };
}
