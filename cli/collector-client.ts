import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from '#shared/retry';

/** Where the API is: --api, else the running local cloud's .local/stack-outputs.json. */
export function apiUrl(explicit: string | undefined, root = path.resolve(__dirname, '..')): string {
  if (explicit) return explicit.replace(/\/$/, '');
  try {
    const outputs = JSON.parse(readFileSync(path.join(root, '.local', 'stack-outputs.json'), 'utf8')) as { ApiUrl?: string; HttpApiUrl?: string };
    const url = outputs.ApiUrl ?? outputs.HttpApiUrl;
    if (url) return url;
  } catch {
    // Falls through to the message below.
  }
  throw new Error('No API URL: start the local cloud (`npm run local`) or pass --api <url> (for AWS: the HttpApiUrl stack output).');
}

export interface SendResult {
  accepted: number;
  rejected: number;
  requests: number;
}

/**
 * Posts events to POST /events in batches of up to 500, `concurrency` requests at a time, at most
 * `rate` events/s. A 503 (stream unavailable) re-sends just the events it lists; event ids make that safe.
 */
export async function sendEvents(
  url: string,
  events: readonly unknown[],
  options: { batchSize?: number; concurrency?: number; rate?: number; onProgress?: (sent: number) => void } = {},
): Promise<SendResult> {
  const batchSize = Math.min(options.batchSize ?? 500, 500);
  const batches: unknown[][] = [];
  for (let i = 0; i < events.length; i += batchSize) batches.push(events.slice(i, i + batchSize));
  const result: SendResult = { accepted: 0, rejected: 0, requests: 0 };
  const started = Date.now();
  let sent = 0;
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let batch = batches[next++]!;
      if (options.rate) {
        const due = started + ((sent + batch.length) / options.rate) * 1000;
        sent += batch.length;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      for (let attempt = 0; batch.length > 0; attempt++) {
        result.requests += 1;
        const response = await fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
        const body = (await response.json().catch(() => ({}))) as { accepted?: number; rejected?: unknown[]; failed?: number[]; message?: string };
        result.accepted += body.accepted ?? 0;
        if (response.status === 202) {
          result.rejected += body.rejected?.length ?? 0;
          options.onProgress?.(batch.length);
          break;
        }
        if (response.status !== 503 || attempt >= 8) throw new Error(`POST /events answered ${response.status}: ${body.message ?? JSON.stringify(body)}`);
        result.rejected += body.rejected?.length ?? 0;
        const retry = new Set(body.failed ?? []);
        options.onProgress?.(batch.length - retry.size);
        batch = batch.filter((_, i) => retry.has(i));
        await sleep(200 * 2 ** attempt);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return result;
}
