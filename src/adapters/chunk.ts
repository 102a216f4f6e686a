import { DEFAULT_BACKOFF, sendWithRetries, type BackoffOptions } from '#shared/retry';

/** Splits items into batches bounded by count and by total bytes (AWS batch APIs limit both). */
export function chunkBySize<T>(items: readonly T[], sizeOf: (item: T) => number, maxCount: number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The shape of Kinesis PutRecords and Firehose PutRecordBatch: send in bounded chunks; the call answers
 * an error (or nothing) per entry; failed entries and throttled calls are re-sent with backoff and jitter.
 * Returns the indexes (into `items`) that still failed.
 */
export async function sendInChunks<T>(
  items: readonly T[],
  limits: { maxCount: number; maxBytes: number; sizeOf: (item: T) => number },
  send: (chunk: readonly T[]) => Promise<(string | undefined)[]>,
  backoff: BackoffOptions = DEFAULT_BACKOFF,
): Promise<{ failed: { index: number; error: string }[] }> {
  const indexed = items.map((item, index) => ({ item, index }));
  const failed: { index: number; error: string }[] = [];
  for (const chunk of chunkBySize(indexed, (p) => limits.sizeOf(p.item), limits.maxCount, limits.maxBytes)) {
    const stillFailed = await sendWithRetries(
      chunk,
      async (batch) => {
        const errors = await send(batch.map((p) => p.item));
        return { failed: batch.flatMap((p, i) => (errors[i] === undefined ? [] : [{ item: p, error: errors[i]! }])) };
      },
      backoff,
    );
    failed.push(...stillFailed.map((f) => ({ index: f.item.index, error: f.error })));
  }
  return { failed };
}
