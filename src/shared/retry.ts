import { ClickstreamError } from './errors';

/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export interface BackoffOptions {
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Injected in tests to assert the schedule without waiting. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 6, baseMs: 50, capMs: 2_000 };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a DeadlineError if `work` has not settled within `ms` (the work itself is not cancelled). */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class DeadlineError extends ClickstreamError {}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(options.capMs, options.baseMs * 2 ** attempt));
}

/**
 * Sends `items`, re-sending only the ones `send` reports as failed, until none fail or attempts run out.
 * Returns the items that still failed (with the last error seen for each), so the caller reports them.
 */
export async function sendWithRetries<T>(
  items: readonly T[],
  send: (batch: readonly T[]) => Promise<{ failed: { item: T; error: string }[] }>,
  options: BackoffOptions = DEFAULT_BACKOFF,
): Promise<{ item: T; error: string }[]> {
  let pending: readonly T[] = items;
  let failed: { item: T; error: string }[] = [];
  for (let attempt = 0; attempt < options.attempts && pending.length > 0; attempt++) {
    if (attempt > 0) await (options.sleep ?? sleep)(backoffDelay(attempt, options));
    try {
      failed = (await send(pending)).failed;
    } catch (error) {
      if (!isRetryable(error)) throw error;
      failed = pending.map((item) => ({ item, error: errorName(error) }));
    }
    pending = failed.map((f) => f.item);
  }
  return failed;
}

const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServerError',
  'LimitExceededException',
  'RequestLimitExceeded',
  'TimeoutError',
  'ECONNRESET',
]);

/** Throttling, 5xx and dropped connections are worth another try; a validation error is not. */
export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (RETRYABLE.has(e.name ?? '') || RETRYABLE.has(e.code ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

export const errorName = (error: unknown): string => (error as { name?: string }).name ?? String(error);
