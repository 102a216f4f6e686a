import { mapConcurrent } from '#shared/concurrency';
import { sleep } from '#shared/retry';

it('mapConcurrent keeps order and never exceeds the limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const results = await mapConcurrent([5, 1, 4, 2, 3, 0], 3, async (n, i) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await sleep(n);
    inFlight -= 1;
    return n * 10 + i;
  });
  expect(results).toEqual([50, 11, 42, 23, 34, 5]);
  expect(peak).toBe(3);
});
