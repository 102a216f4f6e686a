/**
 * What travels on the Kinesis stream: the event exactly as the client sent it, wrapped with what the
 * collector (or a replay) knows about it. Invalid events travel too, so ingest can turn them into bad rows.
 */
export interface CollectorEnvelope {
  v: 1;
  received_at: string;
  /** Set when the record is re-driven by `npm run replay`; one id per replay run. */
  replay_id?: string;
  event: unknown;
}

export class EnvelopeDecodeError extends Error {
  override name = 'EnvelopeDecodeError';
}

export function encodeEnvelope(envelope: CollectorEnvelope): Uint8Array {
  return Buffer.from(JSON.stringify(envelope));
}

export function decodeEnvelope(data: Buffer): CollectorEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new EnvelopeDecodeError(`record is not JSON: ${(error as Error).message}`);
  }
  const candidate = parsed as Partial<CollectorEnvelope> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.v !== 1 || typeof candidate.received_at !== 'string' || !('event' in candidate)) {
    throw new EnvelopeDecodeError('record is not a collector envelope ({"v":1,"received_at":…,"event":…})');
  }
  return candidate as CollectorEnvelope;
}
