import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../shared/aws-clients';
import { DEFAULT_BACKOFF, sendWithRetries, type BackoffOptions } from '../shared/retry';
import { chunkBySize } from './chunk';

// PutRecords limits: 500 records and 5 MiB (data + partition keys) per call.
const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;

export interface OutgoingRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** Puts records on a stream; failed entries and throttled calls are retried with backoff and jitter. Returns what still failed (by index). */
export async function putRecords(
  streamName: string,
  records: readonly OutgoingRecord[],
  backoff: BackoffOptions = DEFAULT_BACKOFF,
): Promise<{ failed: { index: number; error: string }[] }> {
  const indexed = records.map((record, index) => ({ record, index }));
  const failed: { index: number; error: string }[] = [];
  const size = (p: (typeof indexed)[number]) => p.record.data.length + Buffer.byteLength(p.record.partitionKey);
  for (const chunk of chunkBySize(indexed, size, MAX_RECORDS, MAX_BYTES)) {
    const stillFailed = await sendWithRetries(
      chunk,
      async (batch) => {
        const response = await kinesisClient().send(
          new PutRecordsCommand({
            StreamName: streamName,
            Records: batch.map((p) => ({ Data: p.record.data, PartitionKey: p.record.partitionKey })),
          }),
        );
        if (!response.FailedRecordCount) return { failed: [] };
        return {
          failed: (response.Records ?? []).flatMap((r, i) => (r.ErrorCode ? [{ item: batch[i]!, error: `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` }] : [])),
        };
      },
      backoff,
    );
    failed.push(...stillFailed.map((f) => ({ index: f.item.index, error: f.error })));
  }
  return { failed };
}
