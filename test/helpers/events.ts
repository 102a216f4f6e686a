import { randomUUID } from 'node:crypto';
import type { ClickstreamEvent } from '../../src/domain/events/schema';

/** A valid contract event; override what the test cares about. */
export function makeEvent(overrides: Partial<ClickstreamEvent> = {}): ClickstreamEvent {
  return {
    event_id: randomUUID(),
    event_type: 'product_view',
    event_time: '2026-11-20T10:15:00.000Z',
    session_id: `s-${randomUUID()}`,
    anonymous_id: `a-${randomUUID()}`,
    product: { id: 'p-1', category: 'electronics.audio', brand: 'acme', price: 19.99, currency: 'USD' },
    context: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0' },
    ...overrides,
  };
}

/** A Kinesis stream event (as Lambda delivers it) around raw record payloads. */
export function kinesisEvent(payloads: (string | Buffer)[], stream = 'clickstream-ml-local-clickstream') {
  return {
    Records: payloads.map((payload, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i}`,
        sequenceNumber: String(49_000_000_000_000_000_000_000_000n + BigInt(i)),
        data: Buffer.from(payload).toString('base64'),
        approximateArrivalTimestamp: 1_795_600_000 + i / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${i}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/ingest',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    })),
  };
}
