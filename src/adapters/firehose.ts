import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DeliveryPort } from '../domain/ingest';
import { firehoseClient } from '../shared/aws-clients';
import { DEFAULT_BACKOFF, sendWithRetries, type BackoffOptions } from '../shared/retry';
import { chunkBySize } from './chunk';

// PutRecordBatch limits: 500 records and 4 MiB per call.
const MAX_RECORDS = 500;
const MAX_BYTES = 4 * 1024 * 1024;

interface Pending {
  index: number;
  data: Uint8Array;
}

/**
 * Sends newline-delimited JSON rows to a delivery stream. Entries reported in FailedPutCount
 * (and throttled calls) are re-sent with backoff and jitter; what still fails is returned.
 */
export async function putRecordBatch(
  deliveryStreamName: string,
  rows: readonly unknown[],
  backoff: BackoffOptions = DEFAULT_BACKOFF,
): Promise<{ failed: { index: number; error: string }[] }> {
  const pending: Pending[] = rows.map((row, index) => ({ index, data: Buffer.from(`${JSON.stringify(row)}\n`) }));
  const failed: { index: number; error: string }[] = [];
  for (const chunk of chunkBySize(pending, (p) => p.data.length, MAX_RECORDS, MAX_BYTES)) {
    const stillFailed = await sendWithRetries(
      chunk,
      async (batch) => {
        const response = await firehoseClient().send(
          new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: batch.map((p) => ({ Data: p.data })) }),
        );
        if (!response.FailedPutCount) return { failed: [] };
        return {
          failed: (response.RequestResponses ?? []).flatMap((r, i) =>
            r.ErrorCode ? [{ item: batch[i]!, error: `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` }] : [],
          ),
        };
      },
      backoff,
    );
    failed.push(...stillFailed.map((f) => ({ index: f.item.index, error: f.error })));
  }
  return { failed };
}

export const firehoseDelivery = (streams: { raw: string; bad: string }, backoff?: BackoffOptions): DeliveryPort => ({
  deliver: (target, rows) => putRecordBatch(streams[target], rows, backoff),
});
