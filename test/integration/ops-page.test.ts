import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { setAlias } from '#adapters/registry-table';
import type { LakeEvent } from '#domain/events/lake-event';
import { curves } from '#domain/model/metrics';
import { launchBrowser } from '../helpers/browser';
import { backfill, drain, itLocal, lakeRows, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { registerVersion } from '../helpers/registry';
import { waitFor } from '../helpers/wait';

const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
// A day no other test writes, so its partitions' counts are this test's alone.
const DAY = '2024-03-01';

describe('the local operations page (/ops/), in a real browser', () => {
  let browser: Browser;
  const model = `ops-page-${Date.now()}`;

  beforeAll(async () => {
    browser = await launchBrowser();
    await backfill(
      Array.from({ length: 300 }, (_, i) =>
        makeEvent({ event_time: `${DAY}T${String(10 + (i % 3)).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}.000Z` }),
      ),
    );
    await drain();
    // A production and a candidate version, each with the curves the trainer stores.
    const y = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const score = (noise: number) => y.map((v, i) => Math.min(1, Math.max(0, 0.5 * v + 0.25 + noise * Math.sin(i * 12.9898))));
    for (const [version, noise] of [
      ['v1', 0.3],
      ['v2', 0.15],
    ] as const)
      await registerVersion({ model, version, artifact: {}, curves: { test: curves(y, score(noise)) } });
    await setAlias(outputs().ModelsTableName!, model, 'production', { to: 'v1', expected: null, by: 'test', reason: 'ops page test' });
  }, 120_000);

  afterAll(async () => browser?.close());

  itLocal('shows the lake as it is, the pipeline counters, and draws the production and candidate ROC and calibration curves', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1500, height: 1400 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${outputs().OpsUrl}?model=${model}`, { waitUntil: 'networkidle0' });

    // The page's partitions of DAY hold exactly what the raw zone holds for them.
    const lake = new Map<string, number>();
    for (const { partition, row } of await lakeRows<LakeEvent>('raw'))
      if (row.partition_time.startsWith(DAY)) lake.set(partition!, (lake.get(partition!) ?? 0) + 1);
    expect([...lake.values()].reduce((a, b) => a + b, 0)).toBe(300);
    const shown = await waitFor(
      `the page to list the partitions of ${DAY}`,
      async () => {
        const rows = await page.$$eval('[data-testid=partitions] tr', (trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
        const day = rows.filter((r) => r[0]?.startsWith(`dt=${DAY}/`));
        return day.length === lake.size && day;
      },
      15_000,
    );
    expect(new Map(shown.map((r) => [r[0]!, Number(r[2]!.replace(/,/g, ''))]))).toEqual(lake);
    const count = async (id: string) => Number((await page.$eval(`[data-testid=${id}]`, (e) => e.textContent ?? '')).replace(/,/g, ''));
    expect(await count('raw-rows')).toBeGreaterThanOrEqual(300);
    expect(await count('delivered')).toBeGreaterThan(0);
    expect(await count('stream-read')).toBeGreaterThan(0);
    // The real-time panel: the windows the tumbling-window consumer closed (a backfill is history, not traffic: live events too).
    expect((await postEvents(Array.from({ length: 5 }, () => makeEvent({ event_time: new Date().toISOString() })))).body).toMatchObject({ accepted: 5 });
    await waitFor('the real-time panel to count events', async () => (await count('realtime-events')) > 0, 30_000);
    expect(await page.$$eval('[data-testid=realtime-windows] tr', (trs) => trs.length)).toBeGreaterThan(1);
    expect(await page.$eval('[data-testid=realtime-chart] canvas', () => true)).toBe(true);

    // Both models' curves are drawn (uPlot's canvas), with every point the trainer stored.
    const roc = await page.$eval('[data-testid=roc-chart]', (e) => ({
      points: Number((e as unknown as { dataset: Record<string, string | undefined> }).dataset.points),
      canvas: e.querySelector('canvas') !== null,
      text: e.textContent ?? '',
    }));
    expect(roc.canvas).toBe(true);
    expect(roc.text).toContain('production v1');
    expect(roc.text).toContain('candidate v2');
    expect(roc.points).toBeGreaterThan(10);
    expect(await page.$eval('[data-testid=calibration-chart] canvas', () => true)).toBe(true);
    expect(await page.$eval('[data-testid=registry]', (e) => e.textContent)).toContain('production → v1');
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'ops-page.png'), fullPage: true });
  });
});
