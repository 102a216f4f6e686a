import { DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { cachedClient } from '#shared/aws-clients';
import type { BackoffOptions } from '#shared/retry';
import { sendInChunks } from './chunk';
import { exists } from './exists';

// Kinesis defaults to an HTTP/2 handler; HTTP/1.1 (the factory's handler) works on AWS and on every emulator.
export function kinesisClient(): KinesisClient {
  return cachedClient('KINESIS', (config) => new KinesisClient(config));
}

export interface OutgoingRecord {
  data: Uint8Array;
  partitionKey: string;
}

// PutRecords limits: 500 records and 5 MiB (data + partition keys) per call.
const LIMITS = { maxCount: 500, maxBytes: 5 * 1024 * 1024, sizeOf: (r: OutgoingRecord) => r.data.length + Buffer.byteLength(r.partitionKey) };

/** Puts records on a stream; failed entries and throttled calls are retried with backoff and jitter. Returns what still failed (by index). */
export function putRecords(streamName: string, records: readonly OutgoingRecord[], backoff?: BackoffOptions) {
  return sendInChunks(
    records,
    LIMITS,
    async (chunk) => {
      const response = await kinesisClient().send(
        new PutRecordsCommand({ StreamName: streamName, Records: chunk.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }),
      );
      if (!response.FailedRecordCount) return [];
      return chunk.map((_, i) => {
        const entry = response.Records?.[i];
        return entry?.ErrorCode ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` : undefined;
      });
    },
    backoff,
  );
}

/** Whether the stream exists (a replay checks before it sends anything). */
export function streamExists(streamName: string): Promise<boolean> {
  return exists(
    () => kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: streamName })),
    (e) => e.name === 'ResourceNotFoundException',
  );
}

/** The stream's status, mode and open shards (what the console's summary shows). */
export async function streamSummary(streamName: string): Promise<{ status: string; mode: string; openShards: number; retentionHours: number }> {
  const { StreamDescriptionSummary: s } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  return {
    status: s?.StreamStatus ?? 'UNKNOWN',
    mode: s?.StreamModeDetails?.StreamMode ?? 'PROVISIONED',
    openShards: s?.OpenShardCount ?? 0,
    retentionHours: s?.RetentionPeriodHours ?? 24,
  };
}
