import { sleep } from '#shared/retry';

/**
 * Polls `check` until it gives a value (anything but undefined or false), and returns it; after `timeoutMs` it
 * fails saying what it waited for (each poll loop has its own deadline, under Jest's per-test timeout).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`Waited ${timeoutMs / 1000} s for ${what}; it did not happen.`);
    await sleep(everyMs);
  }
}
