/**
 * Drift: how far served traffic moved from the data a model was trained on, as the population stability index
 * (PSI) of each feature and of the model's score, over bins fixed at training time (the reference, stored with the
 * model version). PSI = Σ (served − reference) · ln(served / reference) over the bins; < 0.1 is usually read as
 * stable, 0.1–0.25 as a moderate shift, > 0.25 as a major one.
 */

/** One distribution over fixed bins: values ≤ edges[0], (edges[0], edges[1]], …, > edges[k−1], then missing. */
export interface Histogram {
  edges: number[];
  /** edges.length + 2 fractions summing to 1: one per bin, the last for missing values (NaN). */
  fractions: number[];
}

/** What a model version keeps of its training data for drift: each feature's histogram and its score's. */
export interface DriftReference {
  rows: number;
  features: Record<string, Histogram>;
  score: Histogram;
}

const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
// An empty bin on either side would make PSI infinite: both sides are floored at this fraction.
const FLOOR = 1e-4;

/** Bin edges at the deciles of the values present (repeated deciles merge: a 0/1 feature gets two bins). */
export function decileEdges(values: ArrayLike<number>): number[] {
  let n = 0;
  const present = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) present[n++] = values[i]!;
  // A typed array's sort is numeric and needs no object per value (a training window may hold millions).
  present.subarray(0, n).sort();
  if (n === 0) return [];
  const edges = QUANTILES.map((q) => present[Math.min(n - 1, Math.floor(q * n))]!);
  return [...new Set(edges)];
}

/** The bin of a value: the first edge it does not exceed, past the last edge the top bin, NaN the missing bin. */
function binOf(value: number, edges: readonly number[]): number {
  if (Number.isNaN(value)) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The values' fractions over the bins of `edges`. */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): Histogram {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(values[i]!, edges)]! += 1;
  const n = values.length;
  return { edges: [...edges], fractions: counts.map((c) => (n === 0 ? 0 : round6(c / n))) };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The reference of a training window: each feature's deciles and the model's scores' deciles. */
export function driftReference(columns: Record<string, ArrayLike<number>>, scores: ArrayLike<number>): DriftReference {
  const features: Record<string, Histogram> = {};
  let rows = 0;
  for (const [name, values] of Object.entries(columns)) {
    features[name] = histogram(values, decileEdges(values));
    rows = values.length;
  }
  return { rows, features, score: histogram(scores, decileEdges(scores)) };
}

/** PSI of served values against a reference histogram, over the reference's bins. */
export function psi(reference: Histogram, served: ArrayLike<number>): number {
  const now = histogram(served, reference.edges).fractions;
  let total = 0;
  reference.fractions.forEach((r, i) => {
    const e = Math.max(r, FLOOR);
    const a = Math.max(now[i]!, FLOOR);
    if (r === 0 && now[i] === 0) return;
    total += (a - e) * Math.log(a / e);
  });
  return total;
}

export interface DriftFigures {
  /** Served rows compared. */
  rows: number;
  /** PSI per feature, largest first. */
  features: { feature: string; psi: number }[];
  max_feature_psi: number;
  score_psi: number;
  /** Features whose PSI is above the threshold. */
  drifted: string[];
  /** Features not judged (their PSI is shown, never counted): calendar features whose cycle the served sessions do not cover. */
  not_judged: string[];
}

/** Drift of served rows (feature values by name, and the scores given) from a version's reference. */
export function driftFigures(
  reference: DriftReference,
  served: { features: Record<string, number[]>; scores: number[] },
  threshold: number,
  notJudged: readonly string[] = [],
): DriftFigures {
  const features = Object.entries(reference.features)
    .filter(([name]) => served.features[name] !== undefined)
    .map(([feature, h]) => ({ feature, psi: round6(psi(h, served.features[feature]!)) }))
    .sort((a, b) => b.psi - a.psi);
  const judged = features.filter((f) => !notJudged.includes(f.feature));
  return {
    rows: served.scores.length,
    features,
    max_feature_psi: judged[0]?.psi ?? 0,
    score_psi: round6(psi(reference.score, served.scores)),
    drifted: judged.filter((f) => f.psi > threshold).map((f) => f.feature),
    not_judged: features.filter((f) => notJudged.includes(f.feature)).map((f) => f.feature),
  };
}
