import { backoffDelay, isRetryable, sendWithRetries } from '#shared/retry';

describe('sendWithRetries', () => {
  const noWait = { attempts: 4, baseMs: 100, capMs: 1_000, sleep: async () => undefined, random: () => 0.999 };

  it('re-sends only the items that failed, until none fail', async () => {
    const calls: number[][] = [];
    const failed = await sendWithRetries(
      [1, 2, 3, 4],
      async (batch) => {
        calls.push([...batch]);
        return { failed: batch.filter((n) => n % 2 === 0 && calls.length < 3).map((item) => ({ item, error: 'Throttled' })) };
      },
      noWait,
    );
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [2, 4],
      [2, 4],
    ]);
    expect(failed).toEqual([]);
  });

  it('returns what still fails after the last attempt', async () => {
    const failed = await sendWithRetries([1, 2], async (batch) => ({ failed: batch.map((item) => ({ item, error: 'Nope' })) }), noWait);
    expect(failed).toEqual([
      { item: 1, error: 'Nope' },
      { item: 2, error: 'Nope' },
    ]);
  });

  it('retries a throttled call as a whole, and rethrows a non-retryable error', async () => {
    let n = 0;
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    await expect(sendWithRetries([1], async () => (n++ === 0 ? Promise.reject(throttled) : { failed: [] }), noWait)).resolves.toEqual([]);
    const invalid = Object.assign(new Error('bad'), { name: 'InvalidArgumentException', $metadata: { httpStatusCode: 400 } });
    await expect(sendWithRetries([1], async () => Promise.reject(invalid), noWait)).rejects.toBe(invalid);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const options = { attempts: 10, baseMs: 50, capMs: 2_000, random: () => 0.999 };
    expect([1, 2, 3, 6].map((a) => backoffDelay(a, options))).toEqual([99, 199, 399, 1998]);
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
  });

  it('knows transient errors', () => {
    expect(isRetryable({ name: 'ProvisionedThroughputExceededException' })).toBe(true);
    expect(isRetryable({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryable({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })).toBe(false);
  });
});
