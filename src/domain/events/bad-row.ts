import type { ValidationIssue } from './schema';

export const BAD_ROW_SCHEMA = 'clickstream-ml/bad-row/1-0-0';

/** Firehose takes records up to 1,000 KiB; the original payload is cut (and flagged) beyond this. */
const MAX_PAYLOAD_BYTES = 700 * 1024;

export type BadRowType = 'decode_error' | 'schema_violation';

/** An input we could not accept, kept whole (original bytes in base64) so it can be recovered later. */
export interface BadRow {
  schema: typeof BAD_ROW_SCHEMA;
  type: BadRowType;
  failed_at: string;
  errors: ValidationIssue[];
  payload_base64: string;
  payload_truncated?: true;
  event_id?: string;
  received_at?: string;
  source: {
    stream: string;
    partition_key: string;
    sequence_number: string;
    approximate_arrival: string;
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
  const truncated = input.payload.length > MAX_PAYLOAD_BYTES;
  return {
    schema: BAD_ROW_SCHEMA,
    type: input.type,
    failed_at: input.failedAt,
    errors: input.errors,
    payload_base64: (truncated ? input.payload.subarray(0, MAX_PAYLOAD_BYTES) : input.payload).toString('base64'),
    ...(truncated ? { payload_truncated: true as const } : {}),
    ...(typeof input.eventId === 'string' ? { event_id: input.eventId } : {}),
    ...(input.receivedAt === undefined ? {} : { received_at: input.receivedAt }),
    source: input.source,
  };
}
