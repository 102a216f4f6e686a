import { randomUUID } from 'node:crypto';
import { runTsx } from '../helpers/cli';
import { drain, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

const check = (fixture: string) =>
  runTsx('cli/schema.ts', ['check', `test/fixtures/schemas/${fixture}/1-2-0.json`, '--days', '1', '--lake-bucket', outputs().LakeBucketName!, '--json']);

/** npm run schema -- check: a candidate contract version run over the lake's last days before it is deployed. */
describe('npm run schema -- check', () => {
  const run = randomUUID();
  const experiment = { id: `exp-${run}`, variant: 'b' };

  beforeAll(async () => {
    const events = [
      // Accepted today: a 1-0-0 event with a price of 150 and an http page, and a 1-1-0 event.
      makeEvent({ product: { id: 'p-expensive', price: 150, currency: 'USD' }, page: { url: 'http://shop.example/p' } }),
      makeEvent({ schema: '1-1-0', consent: { analytics: true } }),
      // Bad rows today: a newer tracker naming 1-2-0 (not deployed), and one sending 1-2-0's field without naming it.
      { ...makeEvent({ schema: '1-1-0' }), schema: '1-2-0', experiment },
      { ...makeEvent(), experiment },
    ];
    const answer = (await postEvents(events)).body;
    expect(answer).toMatchObject({ accepted: 2, rejected: [{ index: 2 }, { index: 3 }] });
    await drain();
  });

  it('passes a change that only adds fields: no accepted event would fail, the bad rows that name it are recovered, no feature reads what changed', async () => {
    const { code, json } = await check('addition');
    expect([code, json.ok, json.breaking]).toEqual([0, true, false]);
    expect(json).toMatchObject({ live: '1-1-0', candidate: '1-2-0', step: 'revision', raw: { newly_failing: 0 } });
    expect(json.raw.events).toBeGreaterThanOrEqual(2);
    expect(json.changes).toEqual([
      { path: 'context.viewport', change: 'added' },
      { path: 'experiment', change: 'added' },
    ]);
    expect(json.bad.recovered).toBeGreaterThanOrEqual(1);
    expect(json.bad.recovered_if_named).toBeGreaterThanOrEqual(1);
    expect(json.features).toEqual([]);
    expect(json.advice).toMatch(/safe to deploy/);
  });

  it('fails a breaking change numbered 1-2-0: the events it would reject, the features that read the changed fields, what to call it', async () => {
    const { code, json } = await check('breaking');
    expect([code, json.ok, json.breaking]).toEqual([1, false, true]);
    expect(json.raw.newly_failing).toBeGreaterThanOrEqual(1);
    // The first examples may be other tests' events (the lake is shared): each says which changed field refused it.
    for (const example of json.raw.examples)
      expect(['/product/price', '/page/url']).toEqual(expect.arrayContaining(example.errors.map((i: { path: string }) => i.path)));
    expect(json.changes).toEqual([
      { path: 'page.url', change: 'changed' },
      { path: 'product.price', change: 'changed' },
    ]);
    expect(json.features.map((f: { column: string }) => f.column).sort()).toEqual(['cart_value', 'max_viewed_price', 'mean_viewed_price']);
    expect(json.advice).toMatch(/call it 2-0-0/);
  });

  it('refuses to check a version that is live already (a live version never changes)', async () => {
    const { code, json } = await runTsx('cli/schema.ts', [
      'check',
      'schemas/clickstream-event/1-1-0.json',
      '--lake-bucket',
      outputs().LakeBucketName!,
      '--json',
    ]);
    expect([code, json.message]).toEqual([2, expect.stringMatching(/live already/)]);
  });
});
