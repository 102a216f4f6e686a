import { curves, evaluate, type Curves } from '../model/metrics';
import { Random } from '../traffic/random';

/**
 * Live quality of served predictions once their outcome is known: the same metrics the trainer reports offline
 * (src/domain/model/metrics.ts), each with a confidence interval, so a figure from 200 sessions is read as one.
 */

/** A figure and its confidence interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** z of a two-sided normal interval at this confidence (0.9, 0.95, 0.99, …). */
export function zOf(confidence: number): number {
  // Acklam's rational approximation of the normal quantile, good to ~1e-9: enough for an interval's width.
  const p = 1 - (1 - confidence) / 2;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p > 0.97575) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Index of the first value ≥ x (lower) or > x (upper) in sorted values. */
function bound(sorted: Float64Array, x: number, upper: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x || (upper && sorted[mid] === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sampleVariance = (values: Float64Array) => {
  if (values.length < 2) return 0;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sum = 0;
  for (const v of values) sum += (v - mean) ** 2;
  return sum / (values.length - 1);
};

/**
 * ROC-AUC and its variance by DeLong's method (DeLong, DeLong & Clarke-Pearson 1988): each positive's share of
 * negatives scored below it and each negative's share of positives scored above it (ties half); the AUC is their
 * mean, its variance var(positives' shares)/m + var(negatives' shares)/n. Undefined without both classes.
 */
export function delongAuc(y: ArrayLike<number>, p: ArrayLike<number>): { auc: number; variance: number } | undefined {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] === 1 ? pos : neg).push(p[i]!);
  if (pos.length === 0 || neg.length === 0) return undefined;
  const sortedPos = Float64Array.from(pos).sort();
  const sortedNeg = Float64Array.from(neg).sort();
  const v10 = Float64Array.from(pos, (x) => (bound(sortedNeg, x, false) + bound(sortedNeg, x, true)) / 2 / neg.length);
  const v01 = Float64Array.from(neg, (x) => (pos.length - (bound(sortedPos, x, false) + bound(sortedPos, x, true)) / 2) / pos.length);
  let auc = 0;
  for (const v of v10) auc += v;
  auc /= pos.length;
  return { auc, variance: sampleVariance(v10) / pos.length + sampleVariance(v01) / neg.length };
}

/** A percentile interval of a statistic over `resamples` bootstrap resamples (seeded: the same data gives the same interval). */
function bootstrap(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  statistics: (y: Uint8Array, p: Float64Array) => number[],
  options: { resamples: number; confidence: number; seed: number },
): { low: number; high: number }[] {
  const n = y.length;
  const random = new Random(options.seed);
  const by = new Uint8Array(n);
  const bp = new Float64Array(n);
  const draws: number[][] = [];
  for (let r = 0; r < options.resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random.next() * n);
      by[i] = y[j]!;
      bp[i] = p[j]!;
    }
    draws.push(statistics(by, bp));
  }
  const tail = (1 - options.confidence) / 2;
  return (draws[0] ?? []).map((_, k) => {
    const values = draws
      .map((d) => d[k]!)
      .filter((v) => !Number.isNaN(v))
      .sort((a, b) => a - b);
    if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
    const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]!;
    return { low: at(tail), high: at(1 - tail) };
  });
}

export interface QualityFigures {
  /** Sessions labelled (their outcome is known), and the buyers among them. */
  labelled: number;
  positives: number;
  positive_rate: number;
  mean_probability: number;
  roc_auc: Estimate | null;
  /** DeLong variance of roc_auc (two versions on independent sessions compare by the sum of theirs). */
  roc_auc_variance: number | null;
  pr_auc: Estimate | null;
  log_loss: Estimate;
  ece: Estimate;
  brier: number;
  /** Reliability: the 10 probability bins' mean prediction, observed rate and size (empty bins left out). */
  reliability: Curves['calibration'];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const estimate = (value: number, low: number, high: number): Estimate => ({ value: round4(value), low: round4(low), high: round4(high) });

/**
 * The quality of labelled predictions: ROC-AUC with DeLong's interval, PR-AUC, log loss and calibration error with
 * bootstrap intervals (`seed` fixes the resamples, so a stored figure can be recomputed exactly).
 */
export function qualityFigures(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  options: { confidence: number; resamples: number; seed: number },
): QualityFigures | null {
  const n = y.length;
  if (n === 0) return null;
  const point = evaluate(y, p);
  const z = zOf(options.confidence);
  const delong = delongAuc(y, p);
  const twoClasses = delong !== undefined;
  const [prAuc, logLoss, ece] = bootstrap(
    y,
    p,
    (by, bp) => {
      const m = evaluate(by, bp);
      return [m.pr_auc, m.log_loss, m.ece];
    },
    options,
  ) as [{ low: number; high: number }, { low: number; high: number }, { low: number; high: number }];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i]!;
  const sd = delong ? Math.sqrt(delong.variance) : 0;
  return {
    labelled: n,
    positives: point.positives,
    positive_rate: round4(point.positives / n),
    mean_probability: round4(sum / n),
    roc_auc: delong ? estimate(delong.auc, Math.max(0, delong.auc - z * sd), Math.min(1, delong.auc + z * sd)) : null,
    roc_auc_variance: delong ? delong.variance : null,
    pr_auc: twoClasses ? estimate(point.pr_auc, prAuc.low, prAuc.high) : null,
    log_loss: estimate(point.log_loss, logLoss.low, logLoss.high),
    ece: estimate(point.ece, ece.low, ece.high),
    brier: round4(point.brier),
    reliability: curves(y, p).calibration,
  };
}
