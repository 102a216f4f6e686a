import { createHash } from 'node:crypto';
import { MAX_EVENT_BYTES, type ValidationIssue } from './schema';

/** 1-0-1 added `source.event_index` (an addition: every 1-0-0 row is a valid 1-0-1 row). */
export const BAD_ROW_SCHEMA = 'clickstream-ml/bad-row/1-0-1';

/**
 * A payload up to this size is kept whole (any event within the contract's size cap, in its envelope, fits), so it
 * can be recovered later. A larger one cannot become a valid event: only its first TRUNCATED_PAYLOAD_BYTES, its
 * SHA-256 and its size are kept, so junk does not turn into megabyte rows kept in the lake.
 */
export const MAX_WHOLE_PAYLOAD_BYTES = MAX_EVENT_BYTES + 4 * 1024;
export const TRUNCATED_PAYLOAD_BYTES = 4 * 1024;

/** decode_error: not JSON or not an object; schema_violation: breaks the contract; enrichment_error: anything else that failed on one record. */
export type BadRowType = 'decode_error' | 'schema_violation' | 'enrichment_error';

/** An input we could not accept, kept (original bytes in base64) so it can be recovered later. */
export interface BadRow {
  schema: typeof BAD_ROW_SCHEMA;
  type: BadRowType;
  failed_at: string;
  errors: ValidationIssue[];
  payload_base64: string;
  payload_truncated?: true;
  /** With payload_truncated: the size and SHA-256 (hex) of the whole payload. */
  payload_bytes?: number;
  payload_sha256?: string;
  event_id?: string;
  received_at?: string;
  source: {
    stream: string;
    partition_key: string;
    sequence_number: string;
    approximate_arrival: string;
    /** The event's place in its stream record, when the record held several (one request's events of one session). */
    event_index?: number;
  };
}

export function badRow(input: {
  type: BadRowType;
  errors: ValidationIssue[];
  payload: Buffer;
  failedAt: string;
  source: BadRow['source'];
  eventId?: unknown;
  receivedAt?: string;
}): BadRow {
  const truncated = input.payload.length > MAX_WHOLE_PAYLOAD_BYTES;
  return {
    schema: BAD_ROW_SCHEMA,
    type: input.type,
    failed_at: input.failedAt,
    errors: input.errors,
    payload_base64: (truncated ? input.payload.subarray(0, TRUNCATED_PAYLOAD_BYTES) : input.payload).toString('base64'),
    ...(truncated
      ? { payload_truncated: true as const, payload_bytes: input.payload.length, payload_sha256: createHash('sha256').update(input.payload).digest('hex') }
      : {}),
    ...(typeof input.eventId === 'string' ? { event_id: input.eventId.slice(0, 128) } : {}),
    ...(input.receivedAt === undefined ? {} : { received_at: input.receivedAt }),
    source: input.source,
  };
}
