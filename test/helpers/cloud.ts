import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StackOutputs } from '../../local/cloud';
import { localAdmin } from '../../local/admin-client';
import type { FaultRule } from '../../local/faults';
import { backfillEvents } from '../../cli/backfill';
import type { ClickstreamEvent } from '../../src/domain/events/schema';
import { listObjects, readJsonLines } from '../../src/adapters/s3';
import { LAKE_PREFIXES, partitionOf, type LakeZone } from '../../src/domain/lake';
import { sleep } from '../../src/shared/retry';

/** The running local cloud (started by global-setup), as seen from a test worker. */
export function outputs(): StackOutputs {
  const raw = process.env.LOCAL_CLOUD_OUTPUTS;
  if (!raw) throw new Error('The local cloud is not running: integration tests run through `jest --selectProjects integration`.');
  return JSON.parse(raw) as StackOutputs;
}

const admin = () => localAdmin(outputs().Endpoint);

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

/**
 * The last JSON log line the local functions wrote that matches, parsed. The API's output reaches its log file
 * through a pipe, a moment after the response, so this waits for it (up to 10 s).
 */
export async function functionLogLine(matches: (line: string) => boolean): Promise<any> {
  const file = path.join(process.env.LOCAL_CLOUD_DATA_DIR!, 'logs', 'offline.log');
  for (let waited = 0; waited < 10_000; waited += 100) {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('{') && matches(l))
      .at(-1);
    if (line) return JSON.parse(line.slice(line.indexOf('{')));
    await sleep(100);
  }
  throw new Error(`No matching log line in ${file} after 10 s.`);
}
