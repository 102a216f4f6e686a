/** A numeric design matrix, row-major; NaN marks a missing value. */
export interface Dataset {
  featureNames: string[];
  rows: number;
  cols: number;
  x: Float64Array;
  y: Uint8Array;
}

export function subset(data: Dataset, indexes: ArrayLike<number>): Dataset {
  const x = new Float64Array(indexes.length * data.cols);
  const y = new Uint8Array(indexes.length);
  for (let i = 0; i < indexes.length; i++) {
    const r = indexes[i]!;
    x.set(data.x.subarray(r * data.cols, (r + 1) * data.cols), i * data.cols);
    y[i] = data.y[r]!;
  }
  return { featureNames: data.featureNames, rows: indexes.length, cols: data.cols, x, y };
}

/** Seeded shuffle (mulberry32) so folds are reproducible. */
export function shuffled(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Stratified k folds: each fold keeps the positive rate. Returns the test indexes of each fold. */
export function stratifiedFolds(y: Uint8Array, k: number, seed: number): number[][] {
  const folds: number[][] = Array.from({ length: k }, () => []);
  for (const label of [0, 1]) {
    const members = shuffled(y.length, seed + label).filter((i) => y[i] === label);
    members.forEach((row, i) => folds[i % k]!.push(row));
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}
