import { randomUUID } from 'node:crypto';
import { encodeEnvelopeOfEvents, observedWithIp, type EnvelopeHeader, type Observed } from './events/envelope';
import { validateEvent, type ValidationIssue } from './events/schema';
import {
  anonymizeEventIp,
  anonymizeIp,
  DEFAULT_IP_ANONYMIZATION,
  hasAnalyticsConsent,
  pseudonymizeEvent,
  type IpAnonymization,
  type Pseudonymization,
} from './privacy';

export const MAX_BATCH_EVENTS = 500;
export const MAX_BODY_BYTES = 1_000_000;
/** Kinesis takes records up to 1 MiB (data + partition key); an envelope past this could never be put. */
export const MAX_RECORD_BYTES = 1024 * 1024 - 256;
/** The answer lists every rejected event, with its errors for the first this many (keeps a 500-event answer small). */
export const MAX_DETAILED_REJECTIONS = 50;

export class BatchShapeError extends Error {
  override name = 'BatchShapeError';
  constructor(
    message: string,
    readonly tooLarge: boolean,
  ) {
    super(message);
  }
}

export interface Rejection {
  index: number;
  event_id?: string;
  /** Empty past the first MAX_DETAILED_REJECTIONS rejected events (validate those again once the first are fixed). */
  errors: ValidationIssue[];
}

export interface StreamRecordPlan {
  data: Uint8Array;
  partitionKey: string;
  /** The request's indexes of the events in this record, and of those of them that are valid. */
  events: number[];
  valid: number[];
}

export interface CollectPlan {
  /** Every event, valid or not (ingest keeps invalid ones as bad rows), in one record per session of the request. */
  records: StreamRecordPlan[];
  accepted: number;
  rejected: Rejection[];
  /** Events without analytics consent: dropped here, valid or not, so nothing of them is stored anywhere. */
  withoutConsent: number;
}

export interface CollectPrivacy {
  ip: IpAnonymization;
  pseudonymize?: Pseudonymization;
  /** Drop events that state no consent too (stage param requireConsent), not only those that deny it. */
  requireConsent?: boolean;
}

/** The bytes a record's envelope adds around its events' JSON (`"events":[…]` and commas). */
const EVENTS_OVERHEAD = 12;

/**
 * Checks the body's shape (one event or an array of up to 500), drops the events without analytics consent,
 * anonymizes and pseudonymizes what the stage says, validates each event and wraps the events in
 * envelopes with what the collector saw of the request (`observed`): one record per session in the request (the
 * partition key keeps a session's events in order on one shard), split only where a record would pass 1 MiB.
 */
export function planCollect(body: unknown, receivedAt: string, observed?: Observed, privacy: CollectPrivacy = { ip: DEFAULT_IP_ANONYMIZATION }): CollectPlan {
  const { ip } = privacy;
  const sent: unknown[] = Array.isArray(body) ? body : [body];
  if (sent.length === 0) throw new BatchShapeError('The array is empty; send at least one event.', false);
  if (sent.length > MAX_BATCH_EVENTS) {
    throw new BatchShapeError(`The batch has ${sent.length} events; the limit is ${MAX_BATCH_EVENTS} per request.`, true);
  }
  // Client IPs are anonymized and ids pseudonymized before anything is put anywhere (the stream, and from it the
  // lake and the bad rows); events without consent are not put at all. Indexes stay the request's.
  const events = sent.map((event) =>
    hasAnalyticsConsent(event, privacy.requireConsent ?? false) ? pseudonymizeEvent(anonymizeEventIp(event, ip), privacy.pseudonymize) : undefined,
  );
  const seen = observed?.ip === undefined ? observed : observedWithIp(observed, anonymizeIp(observed.ip, ip));
  const header: EnvelopeHeader = { v: 1, received_at: receivedAt, ...(seen ? { observed: seen } : {}) };
  const headerBytes = Buffer.byteLength(JSON.stringify(header));
  const rejected: Rejection[] = [];
  const sessions = new Map<string, { json: string; bytes: number; index: number; valid: boolean }[]>();
  let withoutConsent = 0;
  events.forEach((event, index) => {
    if (event === undefined) {
      withoutConsent++;
      return;
    }
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    if (headerBytes + bytes + EVENTS_OVERHEAD > MAX_RECORD_BYTES) {
      throw new BatchShapeError(
        `Event ${index} is ${headerBytes + bytes + EVENTS_OVERHEAD} bytes once wrapped for the stream; a record holds at most ${MAX_RECORD_BYTES}.`,
        true,
      );
    }
    const validation = validateEvent(event, bytes);
    const eventId = (event as { event_id?: unknown } | null)?.event_id;
    if (!validation.ok) {
      rejected.push({
        index,
        ...(typeof eventId === 'string' ? { event_id: eventId.slice(0, 128) } : {}),
        errors: rejected.length < MAX_DETAILED_REJECTIONS ? validation.errors : [],
      });
    }
    const sessionId = (event as { session_id?: unknown } | null)?.session_id;
    // Same session → same shard → ordered; events without a usable session id share a random key.
    const key = typeof sessionId === 'string' && sessionId.length > 0 ? sessionId.slice(0, 256) : '';
    const group = sessions.get(key) ?? [];
    group.push({ json, bytes, index, valid: validation.ok });
    sessions.set(key, group);
  });
  const records: StreamRecordPlan[] = [];
  for (const [key, group] of sessions) {
    const partitionKey = key || randomUUID();
    let chunk: typeof group = [];
    let chunkBytes = headerBytes + EVENTS_OVERHEAD;
    const flush = () => {
      if (chunk.length === 0) return;
      const data = encodeEnvelopeOfEvents(
        header,
        chunk.map((e) => e.json),
      );
      records.push({ data, partitionKey, events: chunk.map((e) => e.index), valid: chunk.filter((e) => e.valid).map((e) => e.index) });
      chunk = [];
      chunkBytes = headerBytes + EVENTS_OVERHEAD;
    };
    for (const event of group) {
      if (chunkBytes + event.bytes + 1 > MAX_RECORD_BYTES) flush();
      chunk.push(event);
      chunkBytes += event.bytes + 1;
    }
    flush();
  }
  return { records, accepted: events.length - withoutConsent - rejected.length, rejected, withoutConsent };
}
