import { randomUUID } from 'node:crypto';
import { encodeEnvelope, type Observed } from './events/envelope';
import { validateEvent, type ValidationIssue } from './events/schema';

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

export interface CollectPlan {
  /** Every event, valid or not, as stream records: invalid ones travel on so ingest keeps them as bad rows. */
  records: { data: Uint8Array; partitionKey: string; index: number; valid: boolean }[];
  accepted: number;
  rejected: Rejection[];
}

/**
 * Checks the body's shape (one event or an array of up to 500), validates each event and wraps it in an envelope
 * with what the collector saw of the request (`observed`).
 */
export function planCollect(body: unknown, receivedAt: string, observed?: Observed): CollectPlan {
  const events = Array.isArray(body) ? body : [body];
  if (Array.isArray(body) && body.length === 0) throw new BatchShapeError('The array is empty; send at least one event.', false);
  if (events.length > MAX_BATCH_EVENTS) {
    throw new BatchShapeError(`The batch has ${events.length} events; the limit is ${MAX_BATCH_EVENTS} per request.`, true);
  }
  const rejected: Rejection[] = [];
  const records = events.map((event, index) => {
    const data = encodeEnvelope({ v: 1, received_at: receivedAt, ...(observed ? { observed } : {}), event });
    if (data.length > MAX_RECORD_BYTES) {
      throw new BatchShapeError(`Event ${index} is ${data.length} bytes once wrapped for the stream; a record holds at most ${MAX_RECORD_BYTES}.`, true);
    }
    // The envelope is larger than the event, so it bounds the size check without a second serialization.
    const validation = validateEvent(event, data.length);
    const eventId = (event as { event_id?: unknown } | null)?.event_id;
    if (!validation.ok) {
      rejected.push({
        index,
        ...(typeof eventId === 'string' ? { event_id: eventId.slice(0, 128) } : {}),
        errors: rejected.length < MAX_DETAILED_REJECTIONS ? validation.errors : [],
      });
    }
    const sessionId = (event as { session_id?: unknown } | null)?.session_id;
    return {
      data,
      // Same session → same shard → ordered; events without a usable session id spread at random.
      partitionKey: typeof sessionId === 'string' && sessionId.length > 0 ? sessionId.slice(0, 256) : randomUUID(),
      index,
      valid: validation.ok,
    };
  });
  return { records, accepted: events.length - rejected.length, rejected };
}
