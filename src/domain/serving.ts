import type { ErrorObject } from 'ajv';
import { ClickstreamError, UnavailableError } from '#shared/errors';
import { validateEvent } from './events/schema';
import { sessionFeatures } from './features/session-features';
import { FEATURE_NAMES } from './features/spec';
import { explainGbdt } from './model/gbdt';
import { explainLogistic } from './model/logistic';
import { predict, type TrainedModel } from './model/training-run';
import { PRODUCTION_ALIAS, type AliasRouting } from './registry';
import { schemaIssue } from './schema-issues';
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
}

export interface PredictRequest {
  model: string;
  alias: string;
  explain: boolean;
  sessions: { session_id: string | null; features: Record<string, number | null> }[];
}

// schemas/predict-request.schema.json, compiled at build time (npm run codegen) like the event validator.
const validateBody = validatePredictRequest as ((value: unknown) => value is RequestBody) & { errors?: ErrorObject[] | null };
const KNOWN_FEATURES = new Set<string>(FEATURE_NAMES);
const issue = (e: ErrorObject) =>
  e.keyword === 'oneOf'
    ? { path: e.instancePath || '/', message: e.instancePath ? 'give exactly one of "features" or "events"' : 'give exactly one of "session" or "sessions"' }
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
    return { session_id: sessionId, features: sessionFeatures(events, { previousSessions: input.previous_sessions ?? 0 }) };
  });
  return { model: body.model ?? DEFAULT_MODEL, alias: body.alias ?? PRODUCTION_ALIAS, explain: body.explain === true, sessions };
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
export function scoreSessions(servable: ServableModel, sessions: PredictRequest['sessions'], explain: boolean, topN = 5): Prediction[] {
  const names = servable.model.featureNames;
  const x = new Float64Array(names.length);
  return sessions.map(({ session_id, features }) => {
    names.forEach((name, j) => (x[j] = features[name] ?? Number.NaN));
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
export type RemoteScorer = (
  endpoint: string,
  sessions: PredictRequest['sessions'],
  explain: boolean,
) => Promise<{ version?: string; predictions: Prediction[] }>;

/** A session's place in [0, 1): FNV-1a of its id, so a session stays on one side of a canary split. */
export function canaryBucket(sessionId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) {
    h ^= sessionId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

/**
 * Scores sessions through an alias: each session goes to the canary version if its bucket falls under the
 * canary's weight (sessions without an id never do), else to the alias's version; the shadow version, if any,
 * scores every session too, returned apart (for logging, never to the caller).
 */
export async function predictThroughAlias(
  models: AliasModels,
  sessions: PredictRequest['sessions'],
  explain: boolean,
  remote?: RemoteScorer,
): Promise<{ predictions: Prediction[]; shadow?: { version: string; probabilities: number[] } }> {
  const { canary, primary } = models;
  const toCanary = sessions.map((s) => canary !== undefined && s.session_id !== null && canaryBucket(s.session_id) < canary.weight);
  const share = (which: boolean) => sessions.filter((_, i) => toCanary[i] === which);
  const mainShare = canary ? share(false) : sessions;
  let main: Prediction[];
  let mainVersion = primary.version;
  if ('endpoint' in primary) {
    if (!remote)
      throw new ModelUnavailableError(`Alias ${models.alias} is served by SageMaker endpoint ${primary.endpoint}, and no endpoint client is configured.`, {
        publicMessage: `Alias ${models.alias} cannot be served right now; try again later.`,
      });
    if (mainShare.length === 0) main = [];
    else {
      const answer = await remote(primary.endpoint, mainShare, explain);
      main = answer.predictions;
      mainVersion = answer.version ?? primary.version;
    }
  } else main = scoreSessions(primary, mainShare, explain);
  const side = canary ? scoreSessions(canary.model, share(true), explain) : [];
  // Both shares are in request order: merge them back by walking each once.
  let m = 0;
  let c = 0;
  const predictions = toCanary.map((toC) => (toC ? { ...side[c++]!, version: canary!.model.version } : { ...main[m++]!, version: mainVersion }));
  if (!models.shadow) return { predictions };
  return { predictions, shadow: { version: models.shadow.version, probabilities: scoreSessions(models.shadow, sessions, false).map((p) => p.probability) } };
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
