import { planCollect } from '#domain/collect';
import { ShopperModel } from '#domain/traffic/shopper-model';

/** `n` realistic events (the synthetic shopper's), 5 % made invalid, 2 % repeated. */
export function benchEvents(n: number, seed = 7): unknown[] {
  const model = new ShopperModel(seed, new Date('2026-11-01T00:00:00Z'), 86_400_000);
  const events: unknown[] = [];
  while (events.length < n) events.push(...model.session().events);
  return events.slice(0, n).map((event, i) => {
    if (i % 50 === 1 && i > 0) return events[i - 1];
    if (i % 20 === 3) return { ...(event as object), event_type: 'teleport' };
    return event;
  });
}

export interface BenchRecord {
  data: Uint8Array;
  events: number;
}

/** Stream records as the collector puts them: requests of `perRequest` events, one record per session of a request. */
export function collectorRecords(events: readonly unknown[], perRequest = 10): BenchRecord[] {
  const records: BenchRecord[] = [];
  for (let i = 0; i < events.length; i += perRequest)
    records.push(...planCollect(events.slice(i, i + perRequest), '2026-11-01T00:00:00.000Z').records.map((r) => ({ data: r.data, events: r.events.length })));
  return records;
}

/** The first `n` stream records of generated traffic (requests of 10 events). */
export function benchRecords(n: number): BenchRecord[] {
  const records = collectorRecords(benchEvents(n * 10));
  if (records.length < n) throw new Error(`${n * 10} events made only ${records.length} records`);
  return records.slice(0, n);
}

/** A Kinesis stream event as Lambda delivers it, around the collector's records. */
export function kinesisBatch(records: readonly BenchRecord[]) {
  return {
    Records: records.map((record, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i % 97}`,
        sequenceNumber: String(49_000_000_000_000_000_000_000_000n + BigInt(i)),
        data: Buffer.from(record.data).toString('base64'),
        approximateArrivalTimestamp: 1_795_600_000 + i / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${i}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    })),
  };
}

/** The ingest function as deployed by default (dedup off, the default log level), its Firehose and DynamoDB calls answered by the sink. */
export const ingestBenchEnv = (sinkUrl: string) => ({
  AWS_ENDPOINT_URL_FIREHOSE: sinkUrl,
  AWS_ENDPOINT_URL_DYNAMODB: sinkUrl,
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'us-east-1',
  RAW_DELIVERY_STREAM_NAME: 'raw',
  BAD_DELIVERY_STREAM_NAME: 'bad',
  DEDUP_TABLE_NAME: 'bench-dedup',
  DEDUP_ENABLED: 'false',
  // EMF metrics would print a JSON document per invocation into the bench's output; on Lambda they go to the log.
  POWERTOOLS_METRICS_DISABLED: 'true',
  LOG_LEVEL: 'INFO',
});
