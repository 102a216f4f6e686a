import { fnv1a32 } from '../hash';

/**
 * Prediction capture: what POST /predict keeps of each scored session (README, "Monitoring models"), one JSON line
 * per session and route in the lake's predictions/ zone. No visitor id is kept: the session id joins a prediction
 * to the session's later events, the features measure drift.
 */

export type Route = 'production' | 'canary' | 'shadow';

export interface CapturedPrediction {
  request_id: string;
  captured_at: string;
  model: string;
  alias: string;
  route: Route;
  version: string;
  /** Null when the request gave none (binary rows): such a prediction counts for drift, never for quality. */
  session_id: string | null;
  /** The time of the last event the prediction saw (null when the request gave features): its outcome is what follows. */
  as_of: string | null;
  events_seen: number | null;
  probability: number;
  /** The features scored, by name (null = missing). */
  features: Record<string, number | null>;
}

/** The session's place in [0, 1): FNV-1a of its id, so a session is captured by every request or by none. */
// One more FNV step than the canary split's hash, so capture sampling does not follow the canary's share.
const sessionBucket = (sessionId: string): number => (Math.imul(fnv1a32(sessionId) ^ 0x9e37, 0x01000193) >>> 0) / 4294967296;

/** Whether a session is captured at this rate (0–1); sessions without an id are drawn at random. */
export const captured = (sessionId: string | null, rate: number, random: () => number = Math.random): boolean =>
  rate >= 1 || (rate > 0 && (sessionId === null ? random() : sessionBucket(sessionId)) < rate);

/**
 * A line of predictions/ read back: the prediction it holds, or undefined when it is not one (not JSON, or without
 * the fields the monitor relies on — a line someone else wrote there, or a truncated one), counted, never fatal.
 */
export function capturedPrediction(line: string): CapturedPrediction | undefined {
  let row: Partial<CapturedPrediction> | null;
  try {
    row = JSON.parse(line) as Partial<CapturedPrediction> | null;
  } catch {
    return undefined;
  }
  const ok =
    typeof row === 'object' &&
    row !== null &&
    typeof row.captured_at === 'string' &&
    typeof row.model === 'string' &&
    typeof row.version === 'string' &&
    (row.route === 'production' || row.route === 'canary' || row.route === 'shadow') &&
    typeof row.probability === 'number' &&
    typeof row.features === 'object' &&
    row.features !== null;
  return ok ? (row as CapturedPrediction) : undefined;
}

/** A scored session as the capture needs it (src/domain/serving.ts's NamedSession). */
export interface ScoredSession {
  session_id: string | null;
  features: Record<string, number | null>;
  observed?: { as_of: string; events: number };
}

/**
 * The lines to capture for one request: one per sampled session for the version that answered it (production or
 * canary), and one more for the shadow version when the alias has one. `session(i)` is asked only for sampled sessions.
 */
export function captureRows(input: {
  requestId: string;
  at: Date;
  model: string;
  alias: string;
  ids: readonly (string | null)[];
  session: (i: number) => ScoredSession;
  answered: { versions: readonly string[]; probabilities: readonly number[]; canaryVersion?: string };
  shadow?: { version: string; probabilities: readonly number[] };
  rate: number;
}): CapturedPrediction[] {
  const rows: CapturedPrediction[] = [];
  const capturedAt = input.at.toISOString();
  // Literal objects of one shape (no spreads): a batch of 1,000 sessions builds 1,000 of them on the request's path.
  const row = (s: ScoredSession, route: Route, version: string, probability: number): CapturedPrediction => ({
    request_id: input.requestId,
    captured_at: capturedAt,
    model: input.model,
    alias: input.alias,
    route,
    version,
    session_id: s.session_id,
    as_of: s.observed?.as_of ?? null,
    events_seen: s.observed?.events ?? null,
    probability,
    features: s.features,
  });
  const { versions, probabilities, canaryVersion } = input.answered;
  for (let i = 0; i < input.ids.length; i++) {
    if (!captured(input.ids[i]!, input.rate)) continue;
    const s = input.session(i);
    rows.push(row(s, versions[i] === canaryVersion ? 'canary' : 'production', versions[i]!, probabilities[i]!));
    if (input.shadow) rows.push(row(s, 'shadow', input.shadow.version, input.shadow.probabilities[i]!));
  }
  return rows;
}
