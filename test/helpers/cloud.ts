import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StackOutputs } from '../../local/cloud';
import { localAdmin } from '../../local/admin-client';
import type { FaultRule } from '../../local/faults';
import { backfillEvents } from '../../cli/backfill';
import type { ClickstreamEvent } from '#domain/events/schema';
import { listObjects, readJsonLines } from '#adapters/s3';
import { cachedSecret } from '#adapters/secrets';
import { pseudonym } from '#domain/privacy';
import { LAKE_PREFIXES, partitionOf, type LakeZone } from '#domain/lake';
import { waitFor } from './wait';

/**
 * Where the integration tests run: the local cloud global-setup starts (default), or a deployed stack
 * (`npm run test:deployed`: global-setup reads its outputs with CloudFormation DescribeStacks).
 */
export const deployed = process.env.TEST_TARGET === 'deployed';
/** A test that needs the local cloud itself (fault injection, drain, its log files): skipped against a deployed stack. */
export const itLocal = (name: string, fn: jest.ProvidesCallback, timeout?: number): void => (deployed ? it.skip : it)(name, fn, timeout);

/** The stack under test's outputs, as seen from a test worker. */
export function outputs(): StackOutputs {
  const raw = process.env.STACK_OUTPUTS;
  if (!raw) throw new Error('No stack under test: integration tests run through `jest --selectProjects integration` (or `npm run test:deployed`).');
  return JSON.parse(raw) as StackOutputs;
}

/** The API keys the tests use: the documented local ones, or those `npm run test:deployed` was given. */
export function apiKeys(): { admin: string; predict: string; read: string } {
  const local = { admin: 'local-admin-key', predict: 'local-predict-key', read: 'local-read-key' };
  return process.env.TEST_API_KEYS ? { ...local, ...(JSON.parse(process.env.TEST_API_KEYS) as Partial<typeof local>) } : local;
}

const admin = () => {
  if (deployed) throw new Error('This needs the local cloud (its /_local/ admin endpoint); mark the test itLocal.');
  return localAdmin(outputs().Endpoint);
};

/** Waits until every record on the stream is handled and every Firehose buffer is in S3. */
export const drain = () => admin().drain();
export const addFaults = (rules: FaultRule[]) => admin().addFaults(rules);
/** Clears one service's fault rules (test files run side by side; each clears only its own). */
export const clearFaults = (service: string) => admin().clearFaults(service);
/** The armed fault rules, with what is left of their counts (a test checks its faults really fired). */
export const faults = async (service?: string) => (await admin().faults()).filter((f) => service === undefined || f.service === service);

/**
 * One request to the local HTTP API: a body (JSON unless a string), an optional bearer key; the answer's status and
 * body (parsed JSON, or the text when it is not JSON).
 */
export async function api(
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string; key?: string } = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${outputs().ApiUrl}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
    },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

export const postEvents = (body: unknown, contentType = 'application/json') => api('POST', '/events', { body, contentType });

/** What the lake holds instead of an id (user_id, anonymous_id): its pseudonym under the stack's key (docs/security.md). */
export async function pseudonymOf(): Promise<(value: string) => string> {
  const key = Buffer.from(await cachedSecret(outputs().PseudonymizationSecretName!)(), 'utf8');
  return (value) => pseudonym(value, key);
}

/**
 * Loads history the way `npm run import` does: backfill envelopes straight onto the stream, so events keep their
 * own hour however old (through POST /events they would land in today's partition, flagged late).
 */
export async function backfill(events: readonly ClickstreamEvent[]): Promise<void> {
  const result = await backfillEvents(outputs().ClickstreamStreamName!, events);
  if (result.failed.length > 0) throw new Error(`backfill: ${result.failed.length} events not put on the stream (${result.failed[0]!.error})`);
}

export interface LakeRow<T> {
  key: string;
  partition: string | undefined;
  row: T;
}

/** Every record in a lake zone (gunzipped), with the object key it came from. */
export async function lakeRows<T = any>(zone: LakeZone): Promise<LakeRow<T>[]> {
  const bucket = outputs().LakeBucketName!;
  const rows: LakeRow<T>[] = [];
  for (const object of await listObjects(bucket, LAKE_PREFIXES[zone])) {
    for (const row of await readJsonLines<T>(bucket, object.key)) rows.push({ key: object.key, partition: partitionOf(object.key), row });
  }
  return rows;
}

/** The JSON log lines the local functions wrote so far that match, parsed, oldest first (a line cut short is left out). */
export function functionLogLines(matches: (line: string) => boolean): any[] {
  return readFileSync(path.join(process.env.LOCAL_CLOUD_DATA_DIR!, 'logs', 'offline.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('{') && matches(l))
    .flatMap((l) => {
      try {
        return [JSON.parse(l.slice(l.indexOf('{')))];
      } catch {
        return [];
      }
    });
}

/**
 * The last JSON log line the local functions wrote that matches, parsed. The API's output reaches its log file
 * through a pipe, a moment after the response, so this waits for it (up to 10 s).
 */
export async function functionLogLine(matches: (line: string) => boolean): Promise<any> {
  return waitFor(
    `a matching log line in ${path.join(process.env.LOCAL_CLOUD_DATA_DIR!, 'logs', 'offline.log')}`,
    () => functionLogLines(matches).at(-1),
    10_000,
    100,
  );
}
