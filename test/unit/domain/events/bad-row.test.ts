import { createHash } from 'node:crypto';
import { badRow, MAX_WHOLE_PAYLOAD_BYTES, TRUNCATED_PAYLOAD_BYTES } from '#domain/events/bad-row';
import { MAX_EVENT_BYTES } from '#domain/events/schema';

const source = { stream: 's', partition_key: 'p', sequence_number: '1', approximate_arrival: '2026-11-20T00:00:00.000Z' };
const row = (payload: Buffer) => badRow({ type: 'schema_violation', errors: [], payload, failedAt: '2026-11-20T00:00:00.000Z', source });

describe('bad rows', () => {
  it('keeps any payload an event within the size cap can have whole, so it can be recovered', () => {
    const payload = Buffer.alloc(MAX_EVENT_BYTES + 1024, 'a');
    expect(row(payload)).not.toHaveProperty('payload_truncated');
    expect(Buffer.from(row(payload).payload_base64, 'base64')).toEqual(payload);
  });

  it('keeps only the start, the size and the SHA-256 of a larger payload (junk does not become megabyte rows)', () => {
    const payload = Buffer.alloc(900 * 1024, 'b');
    const kept = row(payload);
    expect(kept).toMatchObject({ payload_truncated: true, payload_bytes: payload.length, payload_sha256: createHash('sha256').update(payload).digest('hex') });
    expect(Buffer.from(kept.payload_base64, 'base64')).toHaveLength(TRUNCATED_PAYLOAD_BYTES);
    expect(JSON.stringify(kept).length).toBeLessThan(MAX_WHOLE_PAYLOAD_BYTES);
  });
});
