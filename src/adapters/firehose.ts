import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DeliveryPort } from '#domain/ingest';
import { cachedClient } from '#shared/aws-clients';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffOptions } from '#shared/retry';
import { chunkBySize, sendInChunks } from './chunk';
import { exists } from './exists';

export function firehoseClient(): FirehoseClient {
  return cachedClient('FIREHOSE', (config) => new FirehoseClient(config));
}

// PutRecordBatch limits: 500 records and 4 MiB per call.
const CALL_LIMITS = { maxCount: 500, maxBytes: 4 * 1024 * 1024, sizeOf: (data: Uint8Array) => data.length };
// One Firehose record carries up to 1,000 KiB; multi-record deaggregation splits at most 500 rows out of one.
const AGGREGATE_ROWS = 500;
const AGGREGATE_BYTES = 1000 * 1024;

/** One PutRecordBatch call per chunk; the error of each record that failed, by position. */
const sendRecords = (deliveryStreamName: string) => async (chunk: readonly Uint8Array[]) => {
  const response = await firehoseClient().send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: chunk.map((Data) => ({ Data })) }));
  if (!response.FailedPutCount) return [];
  return chunk.map((_, i) => {
    const entry = response.RequestResponses?.[i];
    return entry?.ErrorCode ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` : undefined;
  });
};

/**
 * Sends rows as newline-delimited JSON to a delivery stream, up to 500 rows per Firehose record: Firehose
 * bills each record in 5 KB steps, and per-record work dominates small events. A destination that
 * partitions by content splits them again (RecordDeAggregation, resources/ingestion.yml). The rows of a
 * record that fails are re-sent one per record, with backoff and jitter, so one row that cannot be
 * delivered holds back no other; the rows that still fail are returned by index.
 */
export async function putRecordBatch(deliveryStreamName: string, rows: readonly unknown[], backoff: BackoffOptions = DEFAULT_BACKOFF) {
  const send = sendRecords(deliveryStreamName);
  const lines = rows.map((row, index) => {
    const line = `${JSON.stringify(row)}\n`;
    return { line, index, bytes: Buffer.byteLength(line) };
  });
  const groups = chunkBySize(lines, (l) => l.bytes, AGGREGATE_ROWS, AGGREGATE_BYTES);
  const aggregated = await sendInChunks(
    groups.map((group) => Buffer.from(group.map((l) => l.line).join(''))),
    CALL_LIMITS,
    send,
    { ...backoff, attempts: 1 },
  );
  if (aggregated.failed.length === 0 || backoff.attempts < 2) {
    return { failed: aggregated.failed.flatMap((f) => groups[f.index]!.map((l) => ({ index: l.index, error: f.error }))) };
  }
  const again = aggregated.failed.flatMap((f) => groups[f.index]!);
  await (backoff.sleep ?? sleep)(backoffDelay(1, backoff));
  const { failed } = await sendInChunks(
    again.map((l) => Buffer.from(l.line)),
    CALL_LIMITS,
    send,
    { ...backoff, attempts: backoff.attempts - 1 },
  );
  return { failed: failed.map((f) => ({ index: again[f.index]!.index, error: f.error })) };
}

export const firehoseDelivery = (streams: { raw: string; bad: string }, backoff?: BackoffOptions): DeliveryPort => ({
  deliver: (target, rows) => putRecordBatch(streams[target], rows, backoff),
});

/** Whether the delivery stream exists (a replay checks before it sends anything). */
export function deliveryStreamExists(name: string): Promise<boolean> {
  return exists(
    () => firehoseClient().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name })),
    (e) => e.name === 'ResourceNotFoundException',
  );
}

/** The delivery stream's buffering interval (seconds): how long a partition's buffer may wait before it is written. */
export async function bufferIntervalSeconds(name: string): Promise<number> {
  const { DeliveryStreamDescription } = await firehoseClient().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
  const destination = DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription;
  return destination?.BufferingHints?.IntervalInSeconds ?? 300;
}
