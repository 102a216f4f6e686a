import type { Dataset } from './dataset';

/** A trained logistic regression, as stored in the model artifact (JSON). */
export interface LogisticModel {
  kind: 'logistic_regression';
  featureNames: string[];
  /** Training means: they replace missing values, then standardize. */
  mean: number[];
  scale: number[];
  weights: number[];
  intercept: number;
}

export interface LogisticOptions {
  /** L2 strength on standardized weights (scikit-learn's 1/C); the intercept is not penalized. */
  l2: number;
  maxIterations: number;
}

export const LOGISTIC_DEFAULTS: LogisticOptions = { l2: 1, maxIterations: 50 };

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Solves A x = b for a symmetric positive definite A (n×n, row-major) by Cholesky; A is overwritten. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! ** 2;
    const l = Math.sqrt(Math.max(d, 1e-12));
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / l;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) x[i]! -= a[i * n + k]! * x[k]!;
    x[i] = x[i]! / a[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) x[i]! -= a[k * n + i]! * x[k]!;
    x[i] = x[i]! / a[i * n + i]!;
  }
  return x;
}

/** L2-regularized logistic regression fitted by Newton's method (IRLS): exact, and fast for tens of features. */
export function trainLogistic(data: Dataset, options: LogisticOptions = LOGISTIC_DEFAULTS): LogisticModel {
  const { rows, cols, x, y } = data;
  const mean = new Array<number>(cols).fill(0);
  const scale = new Array<number>(cols).fill(1);
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const v = x[i * cols + j]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    mean[j] = n > 0 ? sum / n : 0;
    let ss = 0;
    for (let i = 0; i < rows; i++) {
      const v = x[i * cols + j]!;
      ss += ((Number.isNaN(v) ? mean[j]! : v) - mean[j]!) ** 2;
    }
    const sd = Math.sqrt(ss / Math.max(1, rows));
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  // z = [1, standardized features]
  const d = cols + 1;
  const z = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    z[i * d] = 1;
    for (let j = 0; j < cols; j++) {
      const v = x[i * cols + j]!;
      z[i * d + j + 1] = ((Number.isNaN(v) ? mean[j]! : v) - mean[j]!) / scale[j]!;
    }
  }
  const w = new Float64Array(d);
  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    const gradient = new Float64Array(d);
    const hessian = new Float64Array(d * d);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += w[k]! * z[i * d + k]!;
      const p = sigmoid(s);
      const r = p - y[i]!;
      const h = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < d; a++) {
        const za = z[i * d + a]!;
        gradient[a]! += r * za;
        const hz = h * za;
        for (let b = 0; b <= a; b++) hessian[a * d + b]! += hz * z[i * d + b]!;
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) hessian[b * d + a] = hessian[a * d + b]!;
    for (let k = 1; k < d; k++) {
      gradient[k]! += options.l2 * w[k]!;
      hessian[k * d + k]! += options.l2;
    }
    const step = choleskySolve(hessian, gradient, d);
    let norm = 0;
    for (let k = 0; k < d; k++) {
      w[k]! -= step[k]!;
      norm = Math.max(norm, Math.abs(step[k]!));
    }
    if (norm < 1e-8) break;
  }
  return { kind: 'logistic_regression', featureNames: data.featureNames, mean, scale, weights: Array.from(w.subarray(1)), intercept: w[0]! };
}

/** Probability for one feature vector (NaN = missing). No allocation. */
export function predictLogistic(model: LogisticModel, features: ArrayLike<number>): number {
  let s = model.intercept;
  const { mean, scale, weights } = model;
  for (let j = 0; j < weights.length; j++) {
    const v = features[j]!;
    s += (weights[j]! * ((Number.isNaN(v) ? mean[j]! : v) - mean[j]!)) / scale[j]!;
  }
  return sigmoid(s);
}

/** Exact log-odds contributions: weight × standardized value per feature (missing = the mean, contributing 0). */
export function explainLogistic(model: LogisticModel, features: ArrayLike<number>): { bias: number; contributions: Float64Array } {
  const { mean, scale, weights } = model;
  const contributions = new Float64Array(weights.length);
  for (let j = 0; j < weights.length; j++) {
    const v = features[j]!;
    contributions[j] = (weights[j]! * ((Number.isNaN(v) ? mean[j]! : v) - mean[j]!)) / scale[j]!;
  }
  return { bias: model.intercept, contributions };
}
