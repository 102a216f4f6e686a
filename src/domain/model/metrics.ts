/** Evaluation metrics for a binary classifier, as scikit-learn defines them. */
export interface Metrics {
  roc_auc: number;
  pr_auc: number;
  log_loss: number;
  brier: number;
  f1: number;
  accuracy: number;
  /** Expected calibration error over 10 equal-width probability bins. */
  ece: number;
  count: number;
  positives: number;
}

/** ROC-AUC by ranks (Mann–Whitney), ties counted half. */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a]! - p[b]!);
  let rankSumPositive = 0;
  let positives = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]!] === p[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        rankSumPositive += averageRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The true and false positives above each distinct score, highest score first (ties step together, as
 * scikit-learn's curves do), and the positives in all.
 */
function thresholdSteps(y: ArrayLike<number>, p: ArrayLike<number>): { steps: { tp: number; fp: number }[]; positives: number } {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b]! - p[a]!);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i]!;
  const steps: { tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && p[order[j]!] === p[order[i]!]) {
      if (y[order[j]!] === 1) tp++;
      else fp++;
      j++;
    }
    steps.push({ tp, fp });
    i = j;
  }
  return { steps, positives };
}

/** Average precision (scikit-learn's PR-AUC): Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds. */
export function averagePrecision(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const { steps, positives } = thresholdSteps(y, p);
  if (positives === 0) return Number.NaN;
  let previousRecall = 0;
  let ap = 0;
  for (const { tp, fp } of steps) {
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

/** The 10 equal-width probability bins of calibration: per bin, how many scores, their sum, and the positives among them. */
function calibrationBins(y: ArrayLike<number>, p: ArrayLike<number>): { n: number; p: number; y: number }[] {
  const bins = Array.from({ length: 10 }, () => ({ n: 0, p: 0, y: 0 }));
  for (let i = 0; i < y.length; i++) {
    const pi = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    const bin = bins[Math.min(9, Math.floor(pi * 10))]!;
    bin.n++;
    bin.p += pi;
    bin.y += y[i]!;
  }
  return bins;
}

export function evaluate(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): Metrics {
  const n = y.length;
  let logLoss = 0;
  let brier = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const pi = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    positives += yi;
    logLoss -= yi * Math.log(pi) + (1 - yi) * Math.log(1 - pi);
    brier += (pi - yi) ** 2;
    const predicted = pi >= threshold ? 1 : 0;
    if (predicted === yi) correct++;
    if (predicted === 1 && yi === 1) tp++;
    if (predicted === 1 && yi === 0) fp++;
    if (predicted === 0 && yi === 1) fn++;
  }
  const ece = calibrationBins(y, p).reduce((s, b) => (b.n === 0 ? s : s + (b.n / n) * Math.abs(b.p / b.n - b.y / b.n)), 0);
  return {
    roc_auc: rocAuc(y, p),
    pr_auc: averagePrecision(y, p),
    log_loss: logLoss / n,
    brier: brier / n,
    f1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
    accuracy: correct / n,
    ece,
    count: n,
    positives,
  };
}

/** What the operations page draws of a model on a test window: its ROC curve and its reliability (calibration) bins. */
export interface Curves {
  /** [false positive rate, true positive rate], from (0, 0) to (1, 1), at most `points` + 1 of them. */
  roc: [number, number][];
  /** The 10 equal-width probability bins `ece` is computed over (empty ones left out). */
  calibration: { predicted: number; observed: number; count: number }[];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function curves(y: ArrayLike<number>, p: ArrayLike<number>, points = 50): Curves {
  const { steps, positives } = thresholdSteps(y, p);
  const negatives = y.length - positives;
  const full: [number, number][] = [
    [0, 0],
    ...steps.map(({ tp, fp }): [number, number] => [negatives === 0 ? 0 : fp / negatives, positives === 0 ? 0 : tp / positives]),
  ];
  const step = Math.max(1, Math.ceil((full.length - 1) / points));
  const roc = full.filter((_, i) => i % step === 0 || i === full.length - 1).map(([x, t]) => [round4(x), round4(t)] as [number, number]);
  const calibration = calibrationBins(y, p)
    .filter((b) => b.n > 0)
    .map((b) => ({ predicted: round4(b.p / b.n), observed: round4(b.y / b.n), count: b.n }));
  return { roc, calibration };
}
