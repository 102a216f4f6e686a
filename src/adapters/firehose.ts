import { DescribeDeliveryStreamCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DeliveryPort } from '../domain/ingest';
import { firehoseClient } from '../shared/aws-clients';
import type { BackoffOptions } from '../shared/retry';
import { sendInChunks } from './chunk';

// PutRecordBatch limits: 500 records and 4 MiB per call.
const LIMITS = { maxCount: 500, maxBytes: 4 * 1024 * 1024, sizeOf: (data: Uint8Array) => data.length };

/**
 * Sends rows as newline-delimited JSON to a delivery stream. Entries reported in FailedPutCount
 * (and throttled calls) are re-sent with backoff and jitter; what still fails is returned by index.
 */
export function putRecordBatch(deliveryStreamName: string, rows: readonly unknown[], backoff?: BackoffOptions) {
  const records = rows.map((row) => Buffer.from(`${JSON.stringify(row)}\n`));
  return sendInChunks(
    records,
    LIMITS,
    async (chunk) => {
      const response = await firehoseClient().send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: chunk.map((Data) => ({ Data })) }));
      if (!response.FailedPutCount) return [];
      return chunk.map((_, i) => {
        const entry = response.RequestResponses?.[i];
        return entry?.ErrorCode ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` : undefined;
      });
    },
    backoff,
  );
}

export const firehoseDelivery = (streams: { raw: string; bad: string }, backoff?: BackoffOptions): DeliveryPort => ({
  deliver: (target, rows) => putRecordBatch(streams[target], rows, backoff),
});

/** Whether the delivery stream exists (a replay checks before it sends anything). */
export async function deliveryStreamExists(name: string): Promise<boolean> {
  try {
    await firehoseClient().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
