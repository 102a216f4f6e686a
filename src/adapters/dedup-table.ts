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
      await mapConcurrent(chunks(eventIds, WRITE_BATCH), PARALLEL_CALLS, async (ids) => {
        const unwritten = await sendWithRetries(
          ids,
          async (batch) => {
            const response = await client.send(
              new BatchWriteCommand({
                RequestItems: { [tableName]: batch.map((event_id) => ({ PutRequest: { Item: { event_id, expires_at: expiresAt } } })) },
              }),
            );
            const unprocessed = response.UnprocessedItems?.[tableName] ?? [];
            return { failed: unprocessed.map((r) => ({ item: r.PutRequest?.Item?.event_id as string, error: 'UnprocessedItems' })) };
          },
          backoff,
        );
        if (unwritten.length > 0) throw new DeliveryError(`marking ${unwritten.length} event ids as seen failed after retries`, unwritten.length);
      });
    },
  };
}
