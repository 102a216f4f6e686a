import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { LakeEvent } from '#domain/events/enrich';
import type { DeliveryPort } from '#domain/ingest';
import type { RawPartition } from '#domain/lake';
import { rawRecord, rowPartition } from '#domain/raw-records';
import { cachedClient } from '#shared/aws-clients';
import { backoffDelay, DEFAULT_BACKOFF, sleep, type BackoffOptions } from '#shared/retry';
import { chunkBySize, sendInChunks } from './chunk';
import { exists } from './exists';

export function firehoseClient(): FirehoseClient {
  return cachedClient('FIREHOSE', (config) => new FirehoseClient(config));
}

// PutRecordBatch limits: 500 records and 4 MiB per call.
const CALL_LIMITS = { maxCount: 500, maxBytes: 4 * 1024 * 1024, sizeOf: (data: Uint8Array) => data.length };
// One Firehose record carries up to 1,000 KiB. Bad rows: at most 500 rows a record. Raw rows: gzip members of at
// most 990 KiB of rows, so even rows gzip cannot shrink stay inside a record.
const AGGREGATE_ROWS = 500;
const AGGREGATE_BYTES = 1000 * 1024;
const RAW_MEMBER_BYTES = 990 * 1024;

/** One PutRecordBatch call per chunk; the error of each record that failed, by position. */
const sendRecords = (deliveryStreamName: string) => async (chunk: readonly Uint8Array[]) => {
  const response = await firehoseClient().send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: chunk.map((Data) => ({ Data })) }));
  if (!response.FailedPutCount) return [];
  return chunk.map((_, i) => {
    const entry = response.RequestResponses?.[i];
    return entry?.ErrorCode ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` : undefined;
  });
};

interface Line {
  line: string;
  index: number;
  bytes: number;
  partition?: RawPartition;
}

/** Lines in records: of one partition each, gzipped (raw rows, src/domain/raw-records.ts), or plain (bad rows). */
function packLines(lines: readonly Line[]): { groups: Line[][]; encode: (group: readonly Line[]) => Buffer } {
  const text = (group: readonly Line[]) => Buffer.from(group.map((l) => l.line).join(''));
  if (lines[0]?.partition === undefined) return { groups: chunkBySize(lines, (l) => l.bytes, AGGREGATE_ROWS, AGGREGATE_BYTES), encode: text };
  const byPartition = new Map<string, Line[]>();
  for (const l of lines) {
    const name = `${l.partition!.dt}/${l.partition!.hour}`;
    const group = byPartition.get(name) ?? [];
    group.push(l);
    byPartition.set(name, group);
  }
  return {
    groups: [...byPartition.values()].flatMap((group) => chunkBySize(group, (l) => l.bytes, Number.POSITIVE_INFINITY, RAW_MEMBER_BYTES)),
    encode: (group) => rawRecord(text(group), group[0]!.partition!),
  };
}

/**
 * Sends rows as newline-delimited JSON to a delivery stream, many rows per Firehose record: Firehose bills each
 * record in 5 KB steps, and per-record work dominates small events. With `partitionOf` (the raw stream) each
 * record holds one partition's rows, gzipped (src/domain/raw-records.ts). The rows of a record that fails are
 * re-sent one per record, with backoff and jitter, so one row that cannot be delivered holds back no other; the
 * rows that still fail are returned by index.
 */
export async function putRecordBatch<Row>(
  deliveryStreamName: string,
  rows: readonly Row[],
  options: { partitionOf?: (row: Row) => RawPartition; backoff?: BackoffOptions } = {},
) {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const send = sendRecords(deliveryStreamName);
  const lines = rows.map((row, index): Line => {
    const line = `${JSON.stringify(row)}\n`;
    return { line, index, bytes: Buffer.byteLength(line), ...(options.partitionOf ? { partition: options.partitionOf(row) } : {}) };
  });
  const { groups, encode } = packLines(lines);
  const aggregated = await sendInChunks(groups.map(encode), CALL_LIMITS, send, { ...backoff, attempts: 1 });
  if (aggregated.failed.length === 0 || backoff.attempts < 2) {
    return { failed: aggregated.failed.flatMap((f) => groups[f.index]!.map((l) => ({ index: l.index, error: f.error }))) };
  }
  const again = aggregated.failed.flatMap((f) => groups[f.index]!);
  await (backoff.sleep ?? sleep)(backoffDelay(1, backoff));
  const { failed } = await sendInChunks(
    again.map((l) => encode([l])),
    CALL_LIMITS,
    send,
    { ...backoff, attempts: backoff.attempts - 1 },
  );
  return { failed: failed.map((f) => ({ index: again[f.index]!.index, error: f.error })) };
}

/** Raw rows go as gzip members of one partition each (the raw stream's transform reads the partition); bad rows as JSON lines. */
export const putRawRows = (deliveryStreamName: string, rows: readonly LakeEvent[], backoff?: BackoffOptions) =>
  putRecordBatch(deliveryStreamName, rows, { partitionOf: rowPartition, ...(backoff ? { backoff } : {}) });

export const firehoseDelivery = (streams: { raw: string; bad: string }, backoff?: BackoffOptions): DeliveryPort => ({
  raw: (rows) => putRawRows(streams.raw, rows, backoff),
  bad: (rows) => putRecordBatch(streams.bad, rows, backoff ? { backoff } : {}),
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
