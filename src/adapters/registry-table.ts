import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  AliasConflictError,
  cutAtModelBoundary,
  aliasKey,
  groupModelItems,
  runKey,
  toAliasRecord,
  toModelVersion,
  toRunRecord,
  VersionExistsError,
  versionKey,
  ITEM_PREFIX,
  VersionNotFoundError,
  type AliasChange,
  type AliasRecord,
  type AliasRouting,
  type ErasureFlag,
  type ModelItems,
  type ModelVersion,
  type RunRecord,
} from '#domain/registry';
import { dynamoDbDocumentClient } from './dynamodb';

/**
 * The registry's DynamoDB table (key design in src/domain/registry.ts): items in and out, each read through a
 * typed mapper. What the registry does with them (promotion, rollback, serving reads) is registry-use-cases.ts.
 */

/** Writes a model version once: versions are immutable, so an existing one is never overwritten. */
export async function putModelVersion(tableName: string, version: ModelVersion): Promise<void> {
  try {
    await dynamoDbDocumentClient().send(new PutCommand({ TableName: tableName, Item: version, ConditionExpression: 'attribute_not_exists(sk)' }));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new VersionExistsError(`${version.model_name} ${version.version} already exists; versions never change.`, { cause: error });
    throw error;
  }
}

export async function getModelVersion(tableName: string, modelName: string, version: string): Promise<ModelVersion | undefined> {
  const { Item } = await dynamoDbDocumentClient().send(
    new GetCommand({ TableName: tableName, Key: { model_name: modelName, sk: versionKey(version) }, ConsistentRead: true }),
  );
  return Item && toModelVersion(Item);
}

export async function getAlias(tableName: string, modelName: string, alias: string): Promise<AliasRecord | undefined> {
  const { Item } = await dynamoDbDocumentClient().send(
    new GetCommand({ TableName: tableName, Key: { model_name: modelName, sk: aliasKey(alias) }, ConsistentRead: true }),
  );
  return Item && toAliasRecord(Item);
}

export async function getRunRecord(tableName: string, modelName: string, runId: string): Promise<RunRecord | undefined> {
  const { Item } = await dynamoDbDocumentClient().send(
    new GetCommand({ TableName: tableName, Key: { model_name: modelName, sk: runKey(runId) }, ConsistentRead: true }),
  );
  return Item && toRunRecord(Item);
}

/**
 * Points an alias at a version, if it still points where the caller last saw it (`expected`, null = unset):
 * one conditional UpdateItem moves the alias and appends the change to its history, so two concurrent
 * promotions cannot both win and no change goes unrecorded.
 */
export async function setAlias(
  tableName: string,
  modelName: string,
  alias: string,
  change: { to: string; expected: string | null; by: string; reason: string },
  now = new Date(),
): Promise<AliasRecord> {
  if (!(await getModelVersion(tableName, modelName, change.to))) throw new VersionNotFoundError(`${modelName} has no version ${change.to}.`);
  const entry: AliasChange = { at: now.toISOString(), from: change.expected, to: change.to, by: change.by, reason: change.reason, kind: 'version' };
  try {
    const { Attributes } = await dynamoDbDocumentClient().send(
      new UpdateCommand({
        TableName: tableName,
        Key: { model_name: modelName, sk: aliasKey(alias) },
        // A promotion ends any canary or shadow experiment on the alias, and its endpoint hosts the old version.
        UpdateExpression:
          'SET #alias = :alias, #version = :to, updated_at = :at, #history = list_append(if_not_exists(#history, :empty), :entry) REMOVE canary, shadow, endpoint',
        ConditionExpression: change.expected === null ? 'attribute_not_exists(sk)' : '#version = :expected',
        ExpressionAttributeNames: { '#alias': 'alias', '#version': 'version', '#history': 'history' },
        ExpressionAttributeValues: {
          ':alias': alias,
          ':to': change.to,
          ':at': entry.at,
          ':empty': [],
          ':entry': [entry],
          ...(change.expected === null ? {} : { ':expected': change.expected }),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toAliasRecord(Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new AliasConflictError(
        `${modelName} alias "${alias}" no longer points at ${change.expected ?? '(nothing)'}; another change won. Re-read it and decide again.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Sets or clears an alias's canary (a version for `weight` of sessions), shadow (a version scored but not
 * returned) and SageMaker endpoint, if the alias still points at `expected`; recorded in its history.
 */
export async function setAliasRouting(
  tableName: string,
  modelName: string,
  alias: string,
  routing: { canary?: AliasRouting['canary'] | null; shadow?: AliasRouting['shadow'] | null; endpoint?: string | null },
  change: { expected: string; by: string; reason: string },
  now = new Date(),
): Promise<AliasRecord> {
  for (const target of [routing.canary ?? undefined, routing.shadow ?? undefined]) {
    if (target && !(await getModelVersion(tableName, modelName, target.version)))
      throw new VersionNotFoundError(`${modelName} has no version ${target.version}.`);
  }
  const entry: AliasChange = { at: now.toISOString(), from: change.expected, to: change.expected, by: change.by, reason: change.reason, kind: 'routing' };
  const set = ['updated_at = :at', '#history = list_append(if_not_exists(#history, :empty), :entry)'];
  const remove: string[] = [];
  const values: Record<string, unknown> = { ':at': entry.at, ':empty': [], ':entry': [entry], ':expected': change.expected };
  for (const key of ['canary', 'shadow', 'endpoint'] as const) {
    if (routing[key] === null) remove.push(key);
    else if (routing[key] !== undefined) {
      set.push(`${key} = :${key}`);
      values[`:${key}`] = routing[key];
    }
  }
  try {
    const { Attributes } = await dynamoDbDocumentClient().send(
      new UpdateCommand({
        TableName: tableName,
        Key: { model_name: modelName, sk: aliasKey(alias) },
        UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version', '#history': 'history' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toAliasRecord(Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new AliasConflictError(`${modelName} alias "${alias}" does not point at ${change.expected} (or does not exist); re-read it and decide again.`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Writes the outcome of a training run. Safe to repeat; and a run recorded as promoted stays so — a late failure
 * record (a retried step failing after the alias moved) cannot hide that production changed.
 */
export async function putRunRecord(tableName: string, record: Omit<RunRecord, 'sk'>): Promise<void> {
  try {
    await dynamoDbDocumentClient().send(
      new PutCommand({
        TableName: tableName,
        Item: { ...record, sk: runKey(record.run_id) },
        ...(record.outcome === 'promoted'
          ? {}
          : {
              ConditionExpression: 'attribute_not_exists(sk) OR #outcome <> :promoted',
              ExpressionAttributeNames: { '#outcome': 'outcome' },
              ExpressionAttributeValues: { ':promoted': 'promoted' },
            }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Everything about one model (its versions, aliases and runs, each in sort-key order); undefined when there is no such model. */
export async function readModel(tableName: string, modelName: string): Promise<ModelItems | undefined> {
  const items = await queryModel(tableName, modelName);
  return items.length === 0 ? undefined : groupModelItems(items);
}

/**
 * A model's versions, aliases and runs. Its monitoring and canary items are many and read by their own queries
 * (src/adapters/monitoring.ts): DynamoDB filters no key attribute in a Query, so the sort key's ranges around them
 * are read instead — "alias#…" sorts before "canary#…" and "monitor#…", "run#…" and "version#…" after.
 */
async function queryModel(tableName: string, modelName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const ranges = [
    ['sk < :bound', ITEM_PREFIX.canary],
    ['sk >= :bound', ITEM_PREFIX.run],
  ] as const;
  for (const [range, bound] of ranges) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamoDbDocumentClient().send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: `model_name = :name AND ${range}`,
          ExpressionAttributeValues: { ':name': modelName, ':bound': bound },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return items;
}

type RegistryKeyItem = { model_name: string; sk: string; version?: string };

/**
 * One page of the registry's key, kind and alias target items (GET /models, `npm run models -- list`): at least
 * `limit` items unless the table ends, cut after the last whole model, so a model is never split across pages.
 * `after` is the previous page's `next`.
 */
export async function scanRegistryPage(
  tableName: string,
  limit: number,
  after?: { model_name: string; sk: string },
): Promise<{ items: RegistryKeyItem[]; next?: { model_name: string; sk: string } }> {
  const items: RegistryKeyItem[] = [];
  let start: Record<string, unknown> | undefined = after;
  for (;;) {
    const page = await dynamoDbDocumentClient().send(
      new ScanCommand({
        TableName: tableName,
        Limit: limit,
        ProjectionExpression: 'model_name, sk, #version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...((page.Items ?? []) as RegistryKeyItem[]));
    start = page.LastEvaluatedKey;
    if (!start) return { items };
    if (items.length < limit) continue;
    const cut = cutAtModelBoundary(items, false);
    if (cut) return { items: cut.items, next: { model_name: cut.last!.model_name, sk: cut.last!.sk } };
  }
}

/** Every key item of the registry (the CLI's list), page after page. */
export async function scanRegistry(tableName: string): Promise<RegistryKeyItem[]> {
  const items: RegistryKeyItem[] = [];
  let after: { model_name: string; sk: string } | undefined;
  do {
    const page = await scanRegistryPage(tableName, 500, after);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

/** Every model version's training partitions (erasure: which versions were trained on whose data). */
export async function scanTrainedOn(tableName: string): Promise<{ model_name: string; version: string; partitions: string[] }[]> {
  const found: { model_name: string; version: string; partitions: string[] }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDbDocumentClient().send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(sk, :version)',
        ProjectionExpression: 'model_name, #version, #data.#partitions',
        ExpressionAttributeNames: { '#version': 'version', '#data': 'data', '#partitions': 'partitions' },
        ExpressionAttributeValues: { ':version': ITEM_PREFIX.version },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const partitions = (item.data as { partitions?: unknown } | undefined)?.partitions;
      found.push({ model_name: String(item.model_name), version: String(item.version), partitions: Array.isArray(partitions) ? partitions.map(String) : [] });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

/** Flags a version for replacement after an erasure (appended: a version may be flagged by several). */
export async function flagVersionForErasure(tableName: string, modelName: string, version: string, flag: ErasureFlag): Promise<void> {
  await dynamoDbDocumentClient().send(
    new UpdateCommand({
      TableName: tableName,
      Key: { model_name: modelName, sk: versionKey(version) },
      UpdateExpression: 'SET erasures = list_append(if_not_exists(erasures, :none), :flag)',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeValues: { ':none': [], ':flag': [flag] },
    }),
  );
}
