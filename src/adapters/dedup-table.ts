import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DedupPort } from '#domain/ingest';
import { dynamoDbDocumentClient } from './dynamodb';
import { DeliveryError } from '#shared/errors';
import { mapConcurrent } from '#shared/concurrency';
import { DEFAULT_BACKOFF, sendWithRetries, type BackoffOptions } from '#shared/retry';

// BatchGetItem reads 100 keys a call, BatchWriteItem writes 25 items a call; a few calls run at once.
const GET_BATCH = 100;
const WRITE_BATCH = 25;
const PARALLEL_CALLS = 8;

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** DynamoDB table keyed by event_id, items expire (TTL) after `ttlHours`. UnprocessedKeys/Items are retried. */
export function dedupTable(tableName: string, ttlHours: number, backoff: BackoffOptions = DEFAULT_BACKOFF): DedupPort {
  const client = dynamoDbDocumentClient();
  return {
    async findSeen(eventIds) {
      const seen = new Set<string>();
      await mapConcurrent(chunks(eventIds, GET_BATCH), PARALLEL_CALLS, async (ids) => {
        const unread = await sendWithRetries(
          ids,
          async (batch) => {
            const response = await client.send(
              new BatchGetCommand({
                RequestItems: { [tableName]: { Keys: batch.map((event_id) => ({ event_id })), ProjectionExpression: 'event_id' } },
              }),
            );
            for (const item of response.Responses?.[tableName] ?? []) seen.add(item.event_id as string);
            const unprocessed = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
            return { failed: unprocessed.map((k) => ({ item: k.event_id as string, error: 'UnprocessedKeys' })) };
          },
          backoff,
        );
        if (unread.length > 0) throw new DeliveryError(`dedup lookup of ${unread.length} event ids failed after retries`, unread.length);
      });
      return seen;
    },
    async markSeen(eventIds) {
      const expiresAt = Math.floor(Date.now() / 1000) + Math.round(ttlHours * 3600);
      await writeAll(tableName, eventIds, (event_id) => ({ PutRequest: { Item: { event_id, expires_at: expiresAt } } }), 'marking', backoff);
    },
  };
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Every event id's write (25 a call, a few calls at once), UnprocessedItems retried with backoff; what is left after that throws. */
async function writeAll(
  tableName: string,
  eventIds: readonly string[],
  request: (eventId: string) => WriteRequest,
  doing: string,
  backoff: BackoffOptions,
): Promise<void> {
  const client = dynamoDbDocumentClient();
  await mapConcurrent(chunks(eventIds, WRITE_BATCH), PARALLEL_CALLS, async (ids) => {
    const unwritten = await sendWithRetries(
      ids,
      async (batch) => {
        const response = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch.map(request) } }));
        const unprocessed = (response.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
        return {
          failed: unprocessed.map((r) => ({
            item: String('PutRequest' in r ? r.PutRequest.Item.event_id : r.DeleteRequest.Key.event_id),
            error: 'UnprocessedItems',
          })),
        };
      },
      backoff,
    );
    if (unwritten.length > 0) throw new DeliveryError(`${doing} ${unwritten.length} event ids failed after retries`, unwritten.length);
  });
}

/** Deletes the items of these event ids (an erasure: the person's event ids leave the table too). */
export function forgetEventIds(tableName: string, eventIds: readonly string[], backoff: BackoffOptions = DEFAULT_BACKOFF): Promise<void> {
  return writeAll(tableName, eventIds, (event_id) => ({ DeleteRequest: { Key: { event_id } } }), 'forgetting', backoff);
}
