import { ClickstreamError } from '#shared/errors';
import type { GbdtModel, GbdtTree } from './gbdt';

/**
 * XGBoost models (what SageMaker's built-in XGBoost algorithm writes as `xgboost-model`) converted into this
 * project's GBDT representation, so the serving code scores and explains them like its own trees.
 *
 * Two of XGBoost's formats are read: the binary one ("binf"; the built-in algorithm's 1.3-1 and later save it
 * under a name without extension) and JSON (`save_model('….json')`). Scoring follows XGBoost exactly: a row goes
 * left when float32(value) < split, NaN goes the node's default way, and the margin starts at the objective's
 * base score. Internal nodes get the cover-weighted mean of their leaves, which is what XGBoost's approximate
 * contributions (Saabas) use, so the explanations are XGBoost's own `pred_contribs(approx_contribs=True)`.
 */
export class XgboostModelError extends ClickstreamError {}

/** One tree as XGBoost stores it (node arrays; a leaf has left child −1 and its value in `splitConditions`). */
export interface XgboostTree {
  left: number[];
  right: number[];
  splitIndices: number[];
  splitConditions: number[];
  defaultLeft: boolean[];
  sumHessian: number[];
}

export interface XgboostModel {
  objective: string;
  /** As the user set it (a probability for binary:logistic). */
  baseScore: number;
  numFeature: number;
  trees: XgboostTree[];
  /** Booster attributes (`best_iteration` after early stopping). */
  attributes: Record<string, string>;
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number) {
    if (this.offset + n > this.bytes.byteLength) throw new XgboostModelError('The XGBoost model is truncated.');
  }
  i32() {
    this.need(4);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u32() {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f32() {
    this.need(4);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64() {
    this.need(8);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    if (v > BigInt(this.bytes.byteLength)) throw new XgboostModelError('The XGBoost model has a length beyond its end.');
    return Number(v);
  }
  skip(n: number) {
    this.need(n);
    this.offset += n;
  }
  string() {
    const n = this.u64();
    this.need(n);
    const s = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
  get done() {
    return this.offset >= this.bytes.byteLength;
  }
}

/** XGBoost's binary format (1.x, `binf` header): the learner's parameters, the objective, the trees, the attributes. */
function parseBinary(bytes: Uint8Array): XgboostModel {
  const r = new Reader(bytes);
  r.skip(4);
  // LearnerModelParamLegacy: 136 bytes.
  const baseScore = r.f32();
  const numFeature = r.u32();
  const numClass = r.i32();
  const containExtraAttrs = r.i32();
  r.skip(136 - 16);
  const objective = r.string();
  const booster = r.string();
  if (booster !== 'gbtree') throw new XgboostModelError(`Only tree boosters can be served; this model's booster is ${booster}.`);
  if (numClass > 1) throw new XgboostModelError(`Only binary models can be served; this one has ${numClass} classes.`);
  // GBTreeModelParam: 160 bytes.
  const numTrees = r.i32();
  r.skip(160 - 4);
  const trees: XgboostTree[] = [];
  for (let t = 0; t < numTrees; t++) {
    // TreeParam: 148 bytes.
    r.skip(4);
    const numNodes = r.i32();
    r.skip(148 - 8);
    const tree: XgboostTree = { left: [], right: [], splitIndices: [], splitConditions: [], defaultLeft: [], sumHessian: [] };
    for (let n = 0; n < numNodes; n++) {
      r.skip(4);
      tree.left.push(r.i32());
      tree.right.push(r.i32());
      const sindex = r.u32();
      tree.splitIndices.push(sindex & 0x7fffffff);
      tree.defaultLeft.push(sindex >>> 31 === 1);
      tree.splitConditions.push(r.f32());
    }
    for (let n = 0; n < numNodes; n++) {
      r.skip(4);
      tree.sumHessian.push(r.f32());
      r.skip(8);
    }
    trees.push(tree);
  }
  r.skip(4 * numTrees);
  const attributes: Record<string, string> = {};
  if (containExtraAttrs !== 0 && !r.done) {
    const count = r.u64();
    for (let i = 0; i < count; i++) {
      const key = r.string();
      attributes[key] = r.string();
    }
  }
  return { objective, baseScore, numFeature, trees, attributes };
}

interface JsonModel {
  learner: {
    attributes?: Record<string, string>;
    learner_model_param: { base_score: string; num_feature: string; num_class: string };
    objective: { name: string };
    gradient_booster: {
      name: string;
      model: {
        trees: {
          left_children: number[];
          right_children: number[];
          split_indices: number[];
          split_conditions: number[];
          default_left: (number | boolean)[];
          sum_hessian: number[];
          split_type?: number[];
        }[];
      };
    };
  };
}

function parseJson(text: string): XgboostModel {
  let doc: JsonModel;
  try {
    doc = JSON.parse(text) as JsonModel;
  } catch (error) {
    throw new XgboostModelError(`The XGBoost model is not valid JSON: ${(error as Error).message}`);
  }
  const learner = doc?.learner;
  if (!learner?.gradient_booster?.model?.trees) throw new XgboostModelError('The JSON is not an XGBoost model (no learner.gradient_booster.model.trees).');
  if (learner.gradient_booster.name !== 'gbtree')
    throw new XgboostModelError(`Only tree boosters can be served; this model's booster is ${learner.gradient_booster.name}.`);
  if (Number(learner.learner_model_param.num_class) > 1)
    throw new XgboostModelError(`Only binary models can be served; this one has ${learner.learner_model_param.num_class} classes.`);
  const trees = learner.gradient_booster.model.trees.map((t) => {
    if (t.split_type?.some((s) => s !== 0)) throw new XgboostModelError('Categorical splits are not supported; train with numeric features.');
    // JSON numbers are float32 values printed in decimal: fround brings back the exact float32.
    return {
      left: t.left_children,
      right: t.right_children,
      splitIndices: t.split_indices,
      splitConditions: t.split_conditions.map(Math.fround),
      defaultLeft: t.default_left.map((d) => d === 1 || d === true),
      sumHessian: t.sum_hessian.map(Math.fround),
    };
  });
  return {
    objective: learner.objective.name,
    baseScore: Math.fround(Number(learner.learner_model_param.base_score)),
    numFeature: Number(learner.learner_model_param.num_feature),
    trees,
    attributes: learner.attributes ?? {},
  };
}

/** Reads an XGBoost model file: binary (`binf`) or JSON. */
export function parseXgboostModel(bytes: Uint8Array): XgboostModel {
  if (bytes.byteLength >= 4 && new TextDecoder().decode(bytes.subarray(0, 4)) === 'binf') return parseBinary(bytes);
  const text = new TextDecoder().decode(bytes).trimStart();
  if (text.startsWith('{')) return parseJson(text);
  throw new XgboostModelError(
    'Unknown XGBoost model format: expected the binary format (it starts with "binf") or JSON. UBJSON (XGBoost 2.1+) is not read; save the model as .json.',
  );
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/**
 * The double T such that `v <= T` ⇔ `float32(v) < t`, for a float32 `t` (round to nearest, ties to even): the
 * midpoint between t and the float32 below it, or the double just under that midpoint when a tie would round
 * up to t.
 */
export function thresholdFor(t: number): number {
  f32[0] = t;
  if (t > 0) u32[0]! -= 1;
  else if (t < 0) u32[0]! += 1;
  else u32[0] = 0x80000001;
  const below = f32[0]!;
  const evenBelow = (u32[0]! & 1) === 0;
  const mid = (below + t) / 2;
  if (evenBelow) return mid;
  f64[0] = mid;
  u64[0] = mid > 0 ? u64[0]! - 1n : u64[0]! + 1n;
  return f64[0]!;
}

/** The margin a binary:logistic model starts from: logit of its base score. */
function baseMargin(model: XgboostModel): number {
  if (model.objective !== 'binary:logistic')
    throw new XgboostModelError(`Only binary:logistic models are served as purchase probabilities; this one's objective is ${model.objective}.`);
  const p = model.baseScore;
  if (!(p > 0 && p < 1)) throw new XgboostModelError(`base_score ${p} is not a probability.`);
  return Math.log(p / (1 - p));
}

/**
 * The model as this project's GBDT: the trees up to `best_iteration` (early stopping keeps later ones in the
 * booster; SageMaker's built-in algorithm predicts with the best ones), feature indexes checked against
 * `featureNames` (the channels' column order).
 */
export function xgboostToGbdt(model: XgboostModel, featureNames: readonly string[]): GbdtModel {
  const best = model.attributes.best_iteration;
  const count = best === undefined ? model.trees.length : Math.min(model.trees.length, Number(best) + 1);
  const trees = model.trees.slice(0, count).map((t, index): GbdtTree => {
    const n = t.left.length;
    const tree: GbdtTree = { feature: [], threshold: [], missingLeft: [], left: [], right: [], value: new Array<number>(n).fill(0) };
    for (let i = 0; i < n; i++) {
      const leaf = t.left[i] === -1;
      if (!leaf && t.splitIndices[i]! >= featureNames.length)
        throw new XgboostModelError(`Tree ${index} splits on feature ${t.splitIndices[i]}, beyond the ${featureNames.length} features of the channels.`);
      tree.feature.push(leaf ? -1 : t.splitIndices[i]!);
      tree.threshold.push(leaf ? 0 : thresholdFor(t.splitConditions[i]!));
      tree.missingLeft.push(!leaf && t.defaultLeft[i]!);
      tree.left.push(t.left[i]!);
      tree.right.push(leaf ? -1 : t.right[i]!);
    }
    // Children have higher indexes than their parent: fill node values from the last node back.
    for (let i = n - 1; i >= 0; i--) {
      if (t.left[i] === -1) tree.value[i] = t.splitConditions[i]!;
      else {
        const l = t.left[i]!;
        const r = t.right[i]!;
        const hl = t.sumHessian[l]!;
        const hr = t.sumHessian[r]!;
        tree.value[i] = hl + hr > 0 ? (tree.value[l]! * hl + tree.value[r]! * hr) / (hl + hr) : 0;
      }
    }
    return tree;
  });
  return { kind: 'gbdt', featureNames: [...featureNames], baseScore: baseMargin(model), trees };
}
