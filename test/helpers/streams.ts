import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { kinesisClient } from '#adapters/kinesis';
import { KinesisEventSourceMapping, type Invoke, type MappingSpec } from '../../local/event-source-mapping';
import { waitForActiveStream } from '../../local/kinesis-streams';

/** A stream of the test's own on the local cloud's Kinesis (ACTIVE when returned), so no other test's records mix in. */
export async function testStream(name: string, shards = 2): Promise<{ name: string; arn: string; remove: () => Promise<void> }> {
  await kinesisClient().send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForActiveStream(kinesisClient(), name);
  return {
    name,
    arn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
    remove: async () => void (await kinesisClient().send(new DeleteStreamCommand({ StreamName: name }))),
  };
}

export async function putAll(stream: string, records: readonly { data: Buffer; partitionKey: string }[]): Promise<void> {
  for (let at = 0; at < records.length; at += 500) {
    const chunk = records.slice(at, at + 500);
    const response = await kinesisClient().send(
      new PutRecordsCommand({ StreamName: stream, Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }),
    );
    if (response.FailedRecordCount) throw new Error(`${response.FailedRecordCount} records were not put`);
  }
}

/** Every record on the stream with its arrival time (what assigns it to a tumbling window). */
export async function arrivals(stream: string): Promise<{ data: Buffer; arrivalMs: number; shard: string }[]> {
  const client = kinesisClient();
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const all: { data: Buffer; arrivalMs: number; shard: string }[] = [];
  for (const shard of Shards) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    for (;;) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator!, Limit: 10_000 }));
      for (const r of page.Records ?? []) all.push({ data: Buffer.from(r.Data!), arrivalMs: r.ApproximateArrivalTimestamp!.getTime(), shard: shard.ShardId! });
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return all;
}

/**
 * The local cloud's event-source mapping over a test stream, invoking `invoke` (the spec as serverless.yml would set
 * it), with its last log lines kept for a failed test to show.
 */
export function mappingOn(arn: string, invoke: Invoke, spec: Partial<MappingSpec> = {}): KinesisEventSourceMapping & { recentLog: string[] } {
  const checkpoints = new Map<string, string>();
  const recentLog: string[] = [];
  const mapping = new KinesisEventSourceMapping(
    {
      functionName: 'realtime',
      streamArn: arn,
      batchSize: 100,
      batchWindowSeconds: 0,
      startingPosition: 'TRIM_HORIZON',
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: 3600,
      reportBatchItemFailures: true,
      tumblingWindowSeconds: 3,
      ...spec,
    },
    {
      kinesis: kinesisClient(),
      invoke,
      checkpoint: { get: (shard) => checkpoints.get(shard), set: (shard, sequence) => void checkpoints.set(shard, sequence) },
      log: (message, detail) => {
        recentLog.push(`${new Date().toISOString()} ${message} ${JSON.stringify(detail ?? {})}`);
        recentLog.splice(0, recentLog.length - 20);
      },
      region: 'us-east-1',
    },
  );
  return Object.assign(mapping, { recentLog });
}

/** Sleeps until `offsetMs` into the next window of `windowMs` (aligned to the epoch, as Lambda aligns tumbling windows). */
export async function nextWindow(windowMs: number, offsetMs = 200): Promise<number> {
  const start = Math.ceil(Date.now() / windowMs) * windowMs;
  await new Promise((resolve) => setTimeout(resolve, start + offsetMs - Date.now()));
  return start;
}
