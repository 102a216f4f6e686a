import type { FaultRule } from './faults';

/** The local cloud's own endpoints (`/_local/*` on the edge): drain and fault injection, for tests and the soak. */
async function call(endpoint: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${endpoint}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${await response.text()}`);
  return response.json();
}

export const localAdmin = (endpoint: string) => ({
  /** Waits until every record on the stream is handled and every Firehose buffer is in S3. */
  drain: () => call(endpoint, 'POST', '/_local/drain'),
  addFaults: (rules: FaultRule[]) => call(endpoint, 'POST', '/_local/faults', rules),
  /** Clears one service's fault rules (test files run side by side; each clears only its own). */
  clearFaults: (service: string) => call(endpoint, 'DELETE', `/_local/faults?service=${service}`),
  /** The armed fault rules, with what is left of their counts. */
  faults: async () => ((await call(endpoint, 'GET', '/_local/faults')) as { faults: FaultRule[] }).faults,
});
