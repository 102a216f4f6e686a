import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { gunzipSync, gzipSync } from 'node:zlib';
import { byWindow, FAMILIES, mergeItems, type Family, type FamilyItem } from '#domain/realtime/window';
import { DeliveryError } from '#shared/errors';
import { sendWithRetries } from '#shared/retry';
import { dynamoDbDocumentClient } from './dynamodb';

/**
 * The real-time table: partition key `family` (traffic, visitors, products, lag), sort key `id`
 * (`<window start>#<shard>#<first sequence>`), so the last N minutes of a family are one Query.
 * Items expire through TTL (`expires_at`) counted from the window's end, so a re-written item is the same item.
 * `data` is stored as gzipped JSON (Binary): sketches of a quiet window are mostly zeros, and DynamoDB bills
 * writes by the kilobyte — a visitors item of six HyperLogLogs is 33 KB as JSON, about 1 KB gzipped when few
 * visitors came (3 KB when thousands did).
 */
export async function putWindowItems(table: string, items: readonly FamilyItem[], retentionHours: number): Promise<void> {
  const requests = items.map((item) => ({
    PutRequest: {
      Item: { ...item, data: gzipSync(JSON.stringify(item.data)), expires_at: Math.floor(Date.parse(item.window_end) / 1000) + retentionHours * 3600 },
    },
  }));
  // A window's families in one call (four items, far under BatchWriteItem's 25 and 16 MB); what DynamoDB leaves unprocessed is sent again.
  const unwritten = await sendWithRetries(requests, async (batch) => {
    const response = await dynamoDbDocumentClient().send(new BatchWriteCommand({ RequestItems: { [table]: [...batch] } }));
    const left = new Set((response.UnprocessedItems?.[table] ?? []).map((r) => r.PutRequest?.Item?.family as string));
    return { failed: batch.filter((r) => left.has(r.PutRequest.Item.family)).map((item) => ({ item, error: 'UnprocessedItems' })) };
  });
  if (unwritten.length > 0) throw new DeliveryError(`${unwritten.length} real-time items were not written after retries`, unwritten.length);
}

/** A family's items of the windows that started at `since` (ISO) or later, oldest first. */
export async function windowItemsSince(table: string, family: Family, since: string): Promise<FamilyItem[]> {
  const items: FamilyItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDbDocumentClient().send(
      new QueryCommand({
        TableName: table,
        // FAMILY is a reserved word in DynamoDB expressions.
        KeyConditionExpression: '#family = :family AND #id >= :since',
        ExpressionAttributeNames: { '#family': 'family', '#id': 'id' },
        ExpressionAttributeValues: { ':family': family, ':since': since },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const { expires_at: _expires, data, ...rest } = item;
      items.push({ ...(rest as Omit<FamilyItem, 'data'>), data: JSON.parse(gunzipSync(data as Uint8Array).toString('utf8')) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The figures of the windows that started in the last `minutes` (each merged over its shards), and of all of them together. */
export async function realtimeFigures(table: string, minutes: number, now = new Date()) {
  const since = new Date(now.getTime() - minutes * 60_000).toISOString();
  const items = (await Promise.all(FAMILIES.map((family) => windowItemsSince(table, family, since)))).flat();
  return { from: since, to: now.toISOString(), windows: byWindow(items).map((w) => mergeItems(w)), total: mergeItems(items) };
}
