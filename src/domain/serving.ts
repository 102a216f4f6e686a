import type { ErrorObject } from 'ajv';
import { ClickstreamError, UnavailableError } from '#shared/errors';
import { validateEvent } from './events/schema';
import { fnv1a32 } from './hash';
import { sessionFeatures } from './features/session-features';
import { FEATURE_NAMES } from './features/spec';
import { explainGbdt } from './model/gbdt';
import { explainLogistic } from './model/logistic';
import { predict, type TrainedModel } from './model/training-run';
import { PRODUCTION_ALIAS, type AliasRouting } from './registry';
import { schemaIssue } from './schema-issues';
import predictSchema from '../../schemas/predict-request.schema.json';
import validatePredictRequest from './validate-predict-request.generated';

/** Serving: what POST /predict accepts, how a session becomes a feature vector, and the scores it returns. */

export const DEFAULT_MODEL = 'purchase-propensity';
export const MAX_PREDICT_BODY_BYTES = 6 * 1024 * 1024;

export class PredictRequestError extends ClickstreamError {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The model or alias asked for does not exist (yet): the caller's mistake or too early, a 404. */
export class UnknownModelError extends ClickstreamError {}

/** A model that should answer cannot (missing version, corrupt artifact, endpoint down): a 503, never a crash. */
export class ModelUnavailableError extends UnavailableError {}

/** One session to score, with its features by name (missing ones count as missing). */
export interface NamedSession {
  session_id: string | null;
  features: Record<string, number | null>;
  /** Given events: the time of the last one the features count (before any purchase) and how many they count. */
  observed?: { as_of: string; events: number };
}

/**
 * Sessions to score, however the request gave them: named features per session, or a matrix — columnar JSON or
 * binary rows, where feature names come once and scoring reads straight from arrays (no object per session).
 */
export interface FeatureMatrix {
  kind: 'matrix';
  size: number;
  id(i: number): string | null;
  /** A reader of session i's values for `names`, in that order, into `x` (NaN where a feature is missing). */
  reader(names: readonly string[]): (i: number, x: Float64Array) => void;
}

export type Sessions = readonly NamedSession[] | FeatureMatrix;

const isMatrix = (sessions: Sessions): sessions is FeatureMatrix => 'kind' in sessions;

/** Whether the request came as a matrix (columnar JSON, binary rows), which is answered in columns. */
export const isMatrixRequest = (request: PredictRequest): boolean => isMatrix(request.sessions);

/** Any sessions as a matrix (named sessions read by name). */
function asMatrix(sessions: Sessions): FeatureMatrix {
  if (isMatrix(sessions)) return sessions;
  return {
    kind: 'matrix',
    size: sessions.length,
    id: (i) => sessions[i]!.session_id,
    reader: (names) => (i, x) => {
      const features = sessions[i]!.features;
      for (let j = 0; j < names.length; j++) x[j] = features[names[j]!] ?? Number.NaN;
    },
  };
}

/** Columnar JSON: each feature's values, one per session (null = missing). */
export function columnMatrix(columns: Record<string, readonly (number | null)[]>, ids?: readonly (string | null)[]): FeatureMatrix {
  const size = Object.values(columns)[0]?.length ?? 0;
  return {
    kind: 'matrix',
    size,
    id: (i) => ids?.[i] ?? null,
    reader: (names) => {
      const picked = names.map((name) => columns[name]);
      return (i, x) => {
        for (let j = 0; j < picked.length; j++) x[j] = picked[j]?.[i] ?? Number.NaN;
      };
    },
  };
}

/** Binary rows: `values` holds one row of `names.length` values per session, row after row (NaN = missing). */
export function rowMatrix(values: Float64Array | Float32Array, names: readonly string[]): FeatureMatrix {
  const stride = names.length;
  const offsets = new Map(names.map((name, j) => [name, j]));
  return {
    kind: 'matrix',
    size: values.length / stride,
    id: () => null,
    reader: (wanted) => {
      const at = wanted.map((name) => offsets.get(name) ?? -1);
      return (i, x) => {
        const row = i * stride;
        for (let j = 0; j < at.length; j++) x[j] = at[j]! < 0 ? Number.NaN : values[row + at[j]!]!;
      };
    },
  };
}

/** The sessions at `indexes`, in that order. */
function pick(matrix: FeatureMatrix, indexes: readonly number[]): FeatureMatrix {
  return {
    kind: 'matrix',
    size: indexes.length,
    id: (i) => matrix.id(indexes[i]!),
    reader: (names) => {
      const read = matrix.reader(names);
      return (i, x) => read(indexes[i]!, x);
    },
  };
}

/** Named sessions from a matrix (what a SageMaker endpoint is sent). */
export function namedSessions(sessions: Sessions): NamedSession[] {
  if (!isMatrix(sessions)) return [...sessions];
  const read = sessions.reader(FEATURE_NAMES);
  const x = new Float64Array(FEATURE_NAMES.length);
  return Array.from({ length: sessions.size }, (_, i) => {
    read(i, x);
    const features: Record<string, number | null> = {};
    FEATURE_NAMES.forEach((name, j) => (features[name] = Number.isNaN(x[j]!) ? null : x[j]!));
    return { session_id: sessions.id(i), features };
  });
}

interface SessionInput {
  session_id?: string;
  features?: Record<string, number | null>;
  events?: unknown[];
  previous_sessions?: number;
}
interface RequestBody {
  model?: string;
  alias?: string;
  explain?: boolean;
  session?: SessionInput;
  sessions?: SessionInput[];
  columns?: Record<string, (number | null)[]>;
  session_ids?: (string | null)[];
}

export interface PredictRequest {
  model: string;
  alias: string;
  explain: boolean;
  /** Named sessions (the `session`/`sessions` format), or a matrix (columnar JSON, binary rows): answered in kind. */
  sessions: Sessions;
}

// schemas/predict-request.schema.json, compiled at build time (npm run codegen) like the event validator.
const validateBody = validatePredictRequest as ((value: unknown) => value is RequestBody) & { errors?: ErrorObject[] | null };
const KNOWN_FEATURES = new Set<string>(FEATURE_NAMES);
const issue = (e: ErrorObject) =>
  e.keyword === 'oneOf'
    ? {
        path: e.instancePath || '/',
        message: e.instancePath ? 'give exactly one of "features" or "events"' : 'give exactly one of "session", "sessions" or "columns"',
      }
    : schemaIssue(e);

/** Validates a decoded body and turns each session into named features (from its events when given). */
export function parsePredictRequest(body: unknown): PredictRequest {
  if (!validateBody(body)) {
    // A failed oneOf also reports each branch's missing property; its own message says it better.
    const errors = validateBody.errors ?? [];
    const oneOf = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
    const details = errors.filter((e) => !(e.keyword === 'required' && oneOf.has(e.instancePath))).map(issue);
    throw new PredictRequestError('The request does not match the predict request schema (schemas/predict-request.schema.json).', details);
  }
  const base = { model: body.model ?? DEFAULT_MODEL, alias: body.alias ?? PRODUCTION_ALIAS, explain: body.explain === true };
  if (body.columns) return { ...base, sessions: parseColumns(body.columns, body.session_ids) };
  const inputs = body.sessions ?? [body.session!];
  const sessions = inputs.map((input, i) => {
    const where = body.sessions ? `/sessions/${i}` : '/session';
    if (input.features) {
      const unknown = Object.keys(input.features).filter((k) => !KNOWN_FEATURES.has(k));
      if (unknown.length > 0) throw new PredictRequestError(`${where}/features: unknown feature(s) ${unknown.join(', ')}; known: ${FEATURE_NAMES.join(', ')}.`);
      return { session_id: input.session_id ?? null, features: input.features };
    }
    const events = input.events!.map((event, j) => {
      const result = validateEvent(event);
      if (!result.ok) throw new PredictRequestError(`${where}/events/${j} is not a valid contract event.`, result.errors);
      return result.event;
    });
    const sessionId = input.session_id ?? events[0]!.session_id;
    if (events.some((e) => e.session_id !== sessionId)) throw new PredictRequestError(`${where}/events: every event must belong to session ${sessionId}.`);
    const features = sessionFeatures(events, { previousSessions: input.previous_sessions ?? 0 });
    return { session_id: sessionId, features, observed: { as_of: lastCountedEvent(events), events: features.n_events ?? 0 } };
  });
  return { ...base, sessions };
}

/** The time of the latest event before the session's first purchase (what the features count; all of them without one). */
function lastCountedEvent(events: readonly { event_type: string; event_time: string }[]): string {
  const times = events.map((e) => Date.parse(e.event_time));
  const purchase = Math.min(...events.flatMap((e, i) => (e.event_type === 'purchase' ? [times[i]!] : [])));
  const counted = times.filter((t) => t < purchase);
  return new Date(counted.length > 0 ? Math.max(...counted) : Math.min(...times)).toISOString();
}

const checkFeatureNames = (names: readonly string[], where: string) => {
  const unknown = names.filter((k) => !KNOWN_FEATURES.has(k));
  if (unknown.length > 0) throw new PredictRequestError(`${where}: unknown feature(s) ${unknown.join(', ')}; known: ${FEATURE_NAMES.join(', ')}.`);
};

function parseColumns(columns: Record<string, (number | null)[]>, ids?: (string | null)[]): FeatureMatrix {
  checkFeatureNames(Object.keys(columns), '/columns');
  const lengths = new Set(Object.values(columns).map((c) => c.length));
  if (lengths.size > 1) throw new PredictRequestError(`/columns: every column must hold one value per session; their lengths are ${[...lengths].join(', ')}.`);
  const size = [...lengths][0]!;
  if (ids && ids.length !== size) throw new PredictRequestError(`/session_ids: ${ids.length} ids for ${size} sessions.`);
  return columnMatrix(columns, ids);
}

/** The largest batch of any format (the JSON formats' limit, schemas/predict-request.schema.json). */
export const MAX_PREDICT_SESSIONS = 1000;
const MODEL_PATTERN = new RegExp(predictSchema.properties.model.pattern);
const ALIAS_PATTERN = new RegExp(predictSchema.properties.alias.pattern);

/**
 * A binary request (application/octet-stream): rows of float64 (or float32) values, little-endian, one row of
 * `featureNames.length` values per session, NaN for a missing value; model, alias and explain beside it
 * (query string, headers). Checked as strictly as the JSON formats.
 */
export function parseBinaryPredictRequest(
  body: Buffer,
  options: { featureNames: string | undefined; valueType: string | undefined; model?: string; alias?: string; explain?: string },
): PredictRequest {
  if (options.model !== undefined && !MODEL_PATTERN.test(options.model)) throw new PredictRequestError(`model must match ${MODEL_PATTERN.source}.`);
  if (options.alias !== undefined && !ALIAS_PATTERN.test(options.alias)) throw new PredictRequestError(`alias must match ${ALIAS_PATTERN.source}.`);
  if (options.explain !== undefined && options.explain !== 'true' && options.explain !== 'false') throw new PredictRequestError('explain is true or false.');
  if (!options.featureNames) throw new PredictRequestError('Binary rows need the X-Feature-Names header: the feature of each value in a row, comma-separated.');
  const names = options.featureNames.split(',').map((n) => n.trim());
  checkFeatureNames(names, 'X-Feature-Names');
  if (new Set(names).size !== names.length) throw new PredictRequestError('X-Feature-Names: a feature is named twice.');
  const type = options.valueType ?? 'float64';
  if (type !== 'float64' && type !== 'float32') throw new PredictRequestError('X-Feature-Type is float64 (the default) or float32.');
  const width = type === 'float64' ? 8 : 4;
  const rowBytes = width * names.length;
  if (body.length === 0 || body.length % rowBytes !== 0)
    throw new PredictRequestError(`The body is ${body.length} bytes: not a whole number of rows of ${names.length} ${type} values (${rowBytes} bytes each).`);
  const rows = body.length / rowBytes;
  if (rows > MAX_PREDICT_SESSIONS) throw new PredictRequestError(`The body holds ${rows} rows; the limit is ${MAX_PREDICT_SESSIONS}.`);
  // A typed array needs its own aligned bytes (the body's may start anywhere in a shared buffer): one copy. Lambda's
  // x86_64 and arm64 are little-endian, as the format is.
  const aligned = new Uint8Array(body).buffer;
  const values = type === 'float64' ? new Float64Array(aligned) : new Float32Array(aligned);
  return {
    model: options.model ?? DEFAULT_MODEL,
    alias: options.alias ?? PRODUCTION_ALIAS,
    explain: options.explain === 'true',
    sessions: rowMatrix(values, names),
  };
}

export interface ServableModel {
  name: string;
  version: string;
  model: TrainedModel;
}

export interface Prediction {
  session_id: string | null;
  probability: number;
  /** The version that answered (the alias's, or its canary's for this session). */
  version?: string;
  explanation?: { bias: number; top: { feature: string; contribution: number }[] };
}

/** Scores the sessions with one model; features it needs and did not get count as missing. */
export function scoreSessions(servable: ServableModel, sessions: Sessions, explain: boolean, topN = 5): Prediction[] {
  const names = servable.model.featureNames;
  const x = new Float64Array(names.length);
  const matrix = asMatrix(sessions);
  const read = matrix.reader(names);
  return Array.from({ length: matrix.size }, (_, i) => {
    read(i, x);
    const session_id = matrix.id(i);
    const probability = predict(servable.model, x);
    if (!explain) return { session_id, probability };
    const { bias, contributions } = servable.model.kind === 'gbdt' ? explainGbdt(servable.model, x) : explainLogistic(servable.model, x);
    const top = names
      .map((feature, j) => ({ feature, contribution: contributions[j]! }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
      .slice(0, topN);
    return { session_id, probability, explanation: { bias, top } };
  });
}

/** One probability per session, in order: the scoring loop alone, no object per session. */
export function scoreProbabilities(servable: ServableModel, sessions: Sessions): number[] {
  const names = servable.model.featureNames;
  const x = new Float64Array(names.length);
  const matrix = asMatrix(sessions);
  const read = matrix.reader(names);
  const probabilities = new Array<number>(matrix.size);
  for (let i = 0; i < matrix.size; i++) {
    read(i, x);
    probabilities[i] = predict(servable.model, x);
  }
  return probabilities;
}

/** Each session's id, in order (null where the request gave none). */
export function sessionIds(sessions: Sessions): (string | null)[] {
  const matrix = asMatrix(sessions);
  return Array.from({ length: matrix.size }, (_, i) => matrix.id(i));
}

export type AliasTarget = { version: string } & AliasRouting;

/**
 * What an alias serves right now: its version — loaded here, or hosted by a SageMaker `endpoint` — and the
 * canary and shadow versions if it has them.
 */
export interface AliasModels {
  alias: string;
  primary: ServableModel | { name: string; version: string; endpoint: string };
  canary?: { model: ServableModel; weight: number };
  shadow?: ServableModel;
}

/** Scores sessions somewhere else (the SageMaker backend). */
/** Scores on a remote endpoint; `version` is the one the endpoint says it serves (what answered, whatever the alias says). */
export type RemoteScorer = (endpoint: string, sessions: NamedSession[], explain: boolean) => Promise<{ version?: string; predictions: Prediction[] }>;

/** A session's place in [0, 1): FNV-1a of its id, so a session stays on one side of a canary split. */
export const canaryBucket = (sessionId: string): number => fnv1a32(sessionId) / 4294967296;

/**
 * Scores sessions through an alias: each session goes to the canary version if its bucket falls under the
 * canary's weight (sessions without an id never do), else to the alias's version; the shadow version, if any,
 * scores every session too, returned apart (for logging, never to the caller).
 */
export async function predictThroughAlias(
  models: AliasModels,
  sessions: Sessions,
  explain: boolean,
  remote?: RemoteScorer,
): Promise<{ predictions: Prediction[]; shadow?: { version: string; probabilities: number[] } }> {
  const { canary, primary } = models;
  const matrix = asMatrix(sessions);
  const toCanary = canary
    ? Array.from({ length: matrix.size }, (_, i) => {
        const id = matrix.id(i);
        return id !== null && canaryBucket(id) < canary.weight;
      })
    : [];
  const share = (which: boolean) =>
    pick(
      matrix,
      toCanary.flatMap((c, i) => (c === which ? [i] : [])),
    );
  const mainShare = canary ? share(false) : matrix;
  let main: Prediction[];
  let mainVersion = primary.version;
  if ('endpoint' in primary) {
    if (!remote)
      throw new ModelUnavailableError(`Alias ${models.alias} is served by SageMaker endpoint ${primary.endpoint}, and no endpoint client is configured.`, {
        publicMessage: `Alias ${models.alias} cannot be served right now; try again later.`,
      });
    if (mainShare.size === 0) main = [];
    else {
      const answer = await remote(primary.endpoint, namedSessions(mainShare), explain);
      main = answer.predictions;
      mainVersion = answer.version ?? primary.version;
    }
  } else main = scoreSessions(primary, mainShare, explain);
  // Each prediction is new (scored here, or parsed from the endpoint's answer): stamped in place with who answered.
  for (const p of main) p.version = mainVersion;
  let predictions = main;
  if (canary) {
    const side = scoreSessions(canary.model, share(true), explain);
    for (const p of side) p.version = canary.model.version;
    // Both shares are in request order: merge them back by walking each once.
    let m = 0;
    let c = 0;
    predictions = toCanary.map((toC) => (toC ? side[c++]! : main[m++]!));
  }
  if (!models.shadow) return { predictions };
  return { predictions, shadow: { version: models.shadow.version, probabilities: scoreSessions(models.shadow, sessions, false).map((p) => p.probability) } };
}

/** The columnar answer: a probability per session; who answered each, when a canary answered some; explanations on request. */
export interface ColumnPredictions {
  probabilities: number[];
  versions?: string[];
  explanations?: Prediction['explanation'][];
  shadow?: { version: string; probabilities: number[] };
}

/**
 * Scores sessions through an alias and answers in columns. The common case — the alias's own version in Lambda, no
 * canary, no explanations — is one scoring loop per model; anything else goes through `predictThroughAlias`.
 */
export async function predictColumns(models: AliasModels, sessions: Sessions, explain: boolean, remote?: RemoteScorer): Promise<ColumnPredictions> {
  const { primary, canary, shadow } = models;
  if (!explain && !canary && !('endpoint' in primary)) {
    const probabilities = scoreProbabilities(primary, sessions);
    return { probabilities, ...(shadow ? { shadow: { version: shadow.version, probabilities: scoreProbabilities(shadow, sessions) } } : {}) };
  }
  const answer = await predictThroughAlias(models, sessions, explain, remote);
  const { predictions } = answer;
  return {
    probabilities: predictions.map((p) => p.probability),
    ...(canary ? { versions: predictions.map((p) => p.version!) } : {}),
    ...(explain ? { explanations: predictions.map((p) => p.explanation) } : {}),
    ...(answer.shadow ? { shadow: answer.shadow } : {}),
  };
}

/**
 * What an alias serves, re-read at most every `ttlMs` (so a promotion, rollback or canary change is live
 * within that bound, without waiting for a cold start); versions are immutable, so a loaded one is kept. If
 * the registry cannot be read but the alias was being served, it keeps serving what it had.
 */
export class ModelCache {
  private readonly aliases = new Map<string, { target: AliasTarget; checkedAt: number }>();
  private readonly versions = new Map<string, Promise<ServableModel>>();

  constructor(
    private readonly registry: {
      aliasTarget(model: string, alias: string): Promise<AliasTarget | undefined>;
      load(model: string, version: string): Promise<ServableModel>;
    },
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(model: string, alias: string): Promise<AliasModels> {
    const key = `${model}\u0000${alias}`;
    let entry = this.aliases.get(key);
    if (!entry || this.now() - entry.checkedAt >= this.ttlMs) {
      try {
        const target = await this.registry.aliasTarget(model, alias);
        if (target === undefined)
          throw new UnknownModelError(
            `Model ${model} has no "${alias}" alias: check the name (GET /models lists models and aliases), or train and promote one (npm run train).`,
          );
        entry = { target, checkedAt: this.now() };
        this.aliases.set(key, entry);
      } catch (error) {
        if (!entry || error instanceof UnknownModelError) throw error;
        entry.checkedAt = this.now();
      }
    }
    const { target } = entry;
    const [primary, canary, shadow] = await Promise.all([
      target.endpoint ? { name: model, version: target.version, endpoint: target.endpoint } : this.version(model, target.version),
      target.canary && this.version(model, target.canary.version),
      target.shadow && this.version(model, target.shadow.version),
    ]);
    return { alias, primary, ...(canary && target.canary ? { canary: { model: canary, weight: target.canary.weight } } : {}), ...(shadow ? { shadow } : {}) };
  }

  private version(model: string, version: string): Promise<ServableModel> {
    const key = `${model}\u0000${version}`;
    let loading = this.versions.get(key);
    if (!loading) {
      loading = this.registry.load(model, version);
      this.versions.set(key, loading);
      // A failed load is not cached: the next request tries again.
      loading.catch(() => this.versions.delete(key));
    }
    return loading;
  }
}
