import { stratifiedFolds, subset, type Dataset } from './dataset';

/**
 * Histogram gradient-boosted trees for binary log loss (the LightGBM / scikit-learn HistGradientBoosting
 * recipe): features binned into ≤ 255 quantile bins with a bin of their own for missing values, trees grown
 * leaf-wise (best gain first) up to `maxLeaves`, Newton leaf values with L2, shrinkage, and early stopping
 * on a held-out validation split.
 */
export interface GbdtOptions {
  learningRate: number;
  maxIterations: number;
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  /** Share of the training rows held out for early stopping (0 = none). */
  validationFraction: number;
  patience: number;
  seed: number;
}

export const GBDT_DEFAULTS: GbdtOptions = {
  learningRate: 0.1,
  maxIterations: 300,
  maxLeaves: 31,
  maxDepth: 12,
  minSamplesLeaf: 20,
  l2: 1,
  maxBins: 255,
  validationFraction: 0.1,
  patience: 10,
  seed: 42,
};

/**
 * One tree in flat arrays; a leaf has feature −1. `value` is each node's Newton value (what the node would
 * predict as a leaf): leaves' values make the prediction, internal ones the tree-path explanations.
 */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  missingLeft: boolean[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GbdtModel {
  kind: 'gbdt';
  featureNames: string[];
  baseScore: number;
  trees: GbdtTree[];
}

interface Binned {
  /** Column-major bin codes; MISSING_BIN for NaN. */
  codes: Uint8Array;
  /** Per feature: the upper raw value of each bin (value ≤ edges[b] → bin ≤ b). */
  edges: Float64Array[];
  rows: number;
}

const MISSING_BIN = 255;

/** The first index in `sorted` whose value is above `value` (sorted.length when none is). */
function upperBound(sorted: Float64Array, value: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function fitBins(data: Dataset, maxBins: number): Float64Array[] {
  const edges: Float64Array[] = [];
  for (let j = 0; j < data.cols; j++) {
    let present = 0;
    for (let i = 0; i < data.rows; i++) if (!Number.isNaN(data.x[i * data.cols + j]!)) present++;
    // A typed array sorts numerically without a comparator call per pair.
    const values = new Float64Array(present);
    for (let i = 0, k = 0; i < data.rows; i++) {
      const v = data.x[i * data.cols + j]!;
      if (!Number.isNaN(v)) values[k++] = v;
    }
    values.sort();
    const distinct: number[] = [];
    for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1]) distinct.push(values[i]!);
    const limit = Math.min(maxBins, MISSING_BIN) - 1;
    let cuts: number[];
    if (distinct.length <= limit + 1) {
      cuts = distinct.slice(0, -1).map((v, i) => (v + distinct[i + 1]!) / 2);
    } else {
      cuts = [];
      for (let b = 1; b <= limit; b++) {
        const at = Math.floor((b * values.length) / (limit + 1));
        const q = values[at]!;
        // The next value above the quantile, by binary search from it (the quantiles rise, so no rescans from the start).
        const above = upperBound(values, q, at);
        const next = above < values.length ? values[above]! : undefined;
        if (next !== undefined && (cuts.length === 0 || (q + next) / 2 > cuts[cuts.length - 1]!)) cuts.push((q + next) / 2);
      }
    }
    edges.push(Float64Array.from(cuts));
  }
  return edges;
}

function binData(data: Dataset, edges: Float64Array[]): Binned {
  const codes = new Uint8Array(data.rows * data.cols);
  for (let j = 0; j < data.cols; j++) {
    const e = edges[j]!;
    for (let i = 0; i < data.rows; i++) {
      const v = data.x[i * data.cols + j]!;
      let code: number;
      if (Number.isNaN(v)) code = MISSING_BIN;
      else {
        let lo = 0;
        let hi = e.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (v <= e[mid]!) hi = mid;
          else lo = mid + 1;
        }
        code = lo;
      }
      codes[j * data.rows + i] = code;
    }
  }
  return { codes, edges, rows: data.rows };
}

/** Per feature × 256 bins: sum of gradients, hessians, counts. */
type Histogram = Float64Array;
const HIST_STRIDE = 256 * 3;

function buildHistogram(binned: Binned, cols: number, samples: Uint32Array, g: Float64Array, h: Float64Array): Histogram {
  const hist = new Float64Array(cols * HIST_STRIDE);
  for (let j = 0; j < cols; j++) {
    const offset = j * binned.rows;
    const base = j * HIST_STRIDE;
    for (let s = 0; s < samples.length; s++) {
      const i = samples[s]!;
      const k = base + binned.codes[offset + i]! * 3;
      hist[k]! += g[i]!;
      hist[k + 1]! += h[i]!;
      hist[k + 2]! += 1;
    }
  }
  return hist;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
}

function bestSplit(hist: Histogram, cols: number, edges: Float64Array[], options: GbdtOptions): Split | undefined {
  let best: Split | undefined;
  for (let j = 0; j < cols; j++) {
    const base = j * HIST_STRIDE;
    let gTotal = 0;
    let hTotal = 0;
    let nTotal = 0;
    for (let b = 0; b < 256; b++) {
      gTotal += hist[base + b * 3]!;
      hTotal += hist[base + b * 3 + 1]!;
      nTotal += hist[base + b * 3 + 2]!;
    }
    const gMissing = hist[base + MISSING_BIN * 3]!;
    const hMissing = hist[base + MISSING_BIN * 3 + 1]!;
    const nMissing = hist[base + MISSING_BIN * 3 + 2]!;
    const parentScore = (gTotal * gTotal) / (hTotal + options.l2);
    let gLeft = 0;
    let hLeft = 0;
    let nLeft = 0;
    const bins = edges[j]!.length;
    for (let b = 0; b < bins; b++) {
      gLeft += hist[base + b * 3]!;
      hLeft += hist[base + b * 3 + 1]!;
      nLeft += hist[base + b * 3 + 2]!;
      for (const missingLeft of nMissing > 0 ? [false, true] : [false]) {
        const gl = gLeft + (missingLeft ? gMissing : 0);
        const hl = hLeft + (missingLeft ? hMissing : 0);
        const nl = nLeft + (missingLeft ? nMissing : 0);
        const nr = nTotal - nl;
        if (nl < options.minSamplesLeaf || nr < options.minSamplesLeaf) continue;
        const gr = gTotal - gl;
        const hr = hTotal - hl;
        const gain = 0.5 * ((gl * gl) / (hl + options.l2) + (gr * gr) / (hr + options.l2) - parentScore);
        if (gain > 1e-12 && (!best || gain > best.gain)) best = { gain, feature: j, bin: b, missingLeft };
      }
    }
  }
  return best;
}

interface Leaf {
  node: number;
  samples: Uint32Array;
  hist: Histogram;
  depth: number;
  split: Split | undefined;
  g: number;
  h: number;
}

function growTree(binned: Binned, cols: number, samples: Uint32Array, g: Float64Array, h: Float64Array, options: GbdtOptions): GbdtTree {
  const tree: GbdtTree = { feature: [], threshold: [], missingLeft: [], left: [], right: [], value: [] };
  const newNode = () => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.missingLeft.push(false);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    return tree.feature.length - 1;
  };
  const makeLeaf = (node: number, s: Uint32Array, hist: Histogram, depth: number): Leaf => {
    let gs = 0;
    let hs = 0;
    for (let k = 0; k < s.length; k++) {
      gs += g[s[k]!]!;
      hs += h[s[k]!]!;
    }
    const split = depth < options.maxDepth && s.length >= 2 * options.minSamplesLeaf ? bestSplit(hist, cols, binned.edges, options) : undefined;
    tree.value[node] = (-gs / (hs + options.l2)) * options.learningRate;
    return { node, samples: s, hist, depth, split, g: gs, h: hs };
  };
  const leaves: Leaf[] = [makeLeaf(newNode(), samples, buildHistogram(binned, cols, samples, g, h), 0)];
  while (leaves.length < options.maxLeaves) {
    let bestIndex = -1;
    for (let k = 0; k < leaves.length; k++) {
      const split = leaves[k]!.split;
      if (split && (bestIndex < 0 || split.gain > leaves[bestIndex]!.split!.gain)) bestIndex = k;
    }
    if (bestIndex < 0) break;
    const leaf = leaves[bestIndex]!;
    const split = leaf.split!;
    const codes = binned.codes.subarray(split.feature * binned.rows, (split.feature + 1) * binned.rows);
    const goesLeft = (i: number) => {
      const code = codes[i]!;
      return code === MISSING_BIN ? split.missingLeft : code <= split.bin;
    };
    let nLeft = 0;
    for (let k = 0; k < leaf.samples.length; k++) if (goesLeft(leaf.samples[k]!)) nLeft++;
    const leftSamples = new Uint32Array(nLeft);
    const rightSamples = new Uint32Array(leaf.samples.length - nLeft);
    let l = 0;
    let r = 0;
    for (let k = 0; k < leaf.samples.length; k++) {
      const i = leaf.samples[k]!;
      if (goesLeft(i)) leftSamples[l++] = i;
      else rightSamples[r++] = i;
    }
    // Histogram subtraction: build the smaller child, derive the other from the parent.
    const smallIsLeft = leftSamples.length <= rightSamples.length;
    const smallHist = buildHistogram(binned, cols, smallIsLeft ? leftSamples : rightSamples, g, h);
    const largeHist = leaf.hist;
    for (let k = 0; k < largeHist.length; k++) largeHist[k]! -= smallHist[k]!;
    const leftNode = newNode();
    const rightNode = newNode();
    tree.feature[leaf.node] = split.feature;
    tree.threshold[leaf.node] = binned.edges[split.feature]![split.bin]!;
    tree.missingLeft[leaf.node] = split.missingLeft;
    tree.left[leaf.node] = leftNode;
    tree.right[leaf.node] = rightNode;
    leaves.splice(
      bestIndex,
      1,
      makeLeaf(leftNode, leftSamples, smallIsLeft ? smallHist : largeHist, leaf.depth + 1),
      makeLeaf(rightNode, rightSamples, smallIsLeft ? largeHist : smallHist, leaf.depth + 1),
    );
  }
  return tree;
}

/** Raw score (log-odds contribution) of one tree for one row. No allocation. */
function treeScore(tree: GbdtTree, features: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    const v = features[tree.feature[node]!]!;
    const left = Number.isNaN(v) ? tree.missingLeft[node]! : v <= tree.threshold[node]!;
    node = left ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/**
 * Tree-path contributions (Saabas): along each tree's path, the change in node value at a split is credited to
 * the split's feature. `bias` + Σ contributions = the model's log-odds for this row, exactly.
 */
export function explainGbdt(model: GbdtModel, features: ArrayLike<number>): { bias: number; contributions: Float64Array } {
  const contributions = new Float64Array(model.featureNames.length);
  let bias = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    bias += tree.value[0]!;
    while (tree.feature[node]! >= 0) {
      const f = tree.feature[node]!;
      const v = features[f]!;
      const next = (Number.isNaN(v) ? tree.missingLeft[node]! : v <= tree.threshold[node]!) ? tree.left[node]! : tree.right[node]!;
      contributions[f]! += tree.value[next]! - tree.value[node]!;
      node = next;
    }
  }
  return { bias, contributions };
}

export function predictGbdt(model: GbdtModel, features: ArrayLike<number>): number {
  let score = model.baseScore;
  for (const tree of model.trees) score += treeScore(tree, features);
  return 1 / (1 + Math.exp(-score));
}

/** `validationSet`: rows to early-stop on (e.g. a later time window); without it, a stratified share of `data` is held out. */
export function trainGbdt(data: Dataset, options: GbdtOptions = GBDT_DEFAULTS, validationSet?: Dataset): GbdtModel {
  let train = data;
  let validation = validationSet;
  if (!validation && options.validationFraction > 0) {
    const k = Math.max(2, Math.round(1 / options.validationFraction));
    const held = stratifiedFolds(data.y, k, options.seed)[0]!;
    const heldSet = new Set(held);
    train = subset(
      data,
      Array.from({ length: data.rows }, (_, i) => i).filter((i) => !heldSet.has(i)),
    );
    validation = subset(data, held);
  }
  const edges = fitBins(train, options.maxBins);
  const binned = binData(train, edges);
  const rows = train.rows;
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += train.y[i]!;
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / rows));
  const baseScore = Math.log(prior / (1 - prior));
  const score = new Float64Array(rows).fill(baseScore);
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  const all = Uint32Array.from({ length: rows }, (_, i) => i);
  const trees: GbdtTree[] = [];
  const validationScore = validation ? new Float64Array(validation.rows).fill(baseScore) : undefined;
  let bestLoss = Infinity;
  let bestTrees = 0;
  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-score[i]!));
      g[i] = p - train.y[i]!;
      h[i] = Math.max(p * (1 - p), 1e-16);
    }
    const tree = growTree(binned, train.cols, all, g, h, options);
    trees.push(tree);
    for (let i = 0; i < rows; i++) score[i]! += treeScore(tree, train.x.subarray(i * train.cols, (i + 1) * train.cols));
    if (validation && validationScore) {
      let loss = 0;
      for (let i = 0; i < validation.rows; i++) {
        validationScore[i]! += treeScore(tree, validation.x.subarray(i * validation.cols, (i + 1) * validation.cols));
        const p = Math.min(1 - 1e-15, Math.max(1e-15, 1 / (1 + Math.exp(-validationScore[i]!))));
        loss -= validation.y[i]! * Math.log(p) + (1 - validation.y[i]!) * Math.log(1 - p);
      }
      if (loss < bestLoss - 1e-7) {
        bestLoss = loss;
        bestTrees = trees.length;
      } else if (trees.length - bestTrees >= options.patience) break;
    }
  }
  return { kind: 'gbdt', featureNames: data.featureNames, baseScore, trees: validation ? trees.slice(0, bestTrees) : trees };
}
