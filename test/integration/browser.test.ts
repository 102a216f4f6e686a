import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { setAlias } from '#adapters/registry-table';
import type { LakeEvent } from '#domain/events/enrich';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { launchBrowser } from '../helpers/browser';
import { addFaults, clearFaults, drain, lakeRows, outputs, postEvents, pseudonymOf } from '../helpers/cloud';
import { trainedModel } from '../helpers/models';
import { registerVersion } from '../helpers/registry';
import { waitFor } from '../helpers/wait';

const MODEL = `it-browser-${Date.now()}`;
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');
const stamp = Date.now().toString(36);
const anonymousId = `browser-visitor-${stamp}`;
const sessionId = `browser-session-${stamp}`;

interface TrackerStats {
  queued: number;
  sent: number;
  dropped: number;
  retries: number;
  withoutConsent: number;
}
// Functions given to page.evaluate run in the page (its globals, not this process's).
const trackerStats = (page: Page): Promise<TrackerStats> => page.evaluate(() => (globalThis as any).clickstream.stats());
const tracked = (page: Page) =>
  page.evaluate(
    () =>
      JSON.parse((globalThis as any).sessionStorage.getItem('demo:session-events') ?? '[]') as { event_id: string; event_type: string; event_time: string }[],
  );

/**
 * The demo storefront in headless Chromium: served by the local cloud on one origin, the collector (the HTTP API)
 * on another, so every call is a real cross-origin request; events through the whole pipeline into the lake.
 */
describe('the web tracker and the demo store, in a real browser', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    const trained = trainedModel('gbdt');
    await registerVersion({ model: MODEL, version: 'v1', kind: trained.kind, artifact: { name: MODEL, version: 'v1', model: trained } });
    await setAlias(outputs().ModelsTableName!, MODEL, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'browser test' });
  });

  afterAll(async () => {
    await clearFaults('kinesis');
    await browser?.close();
  });

  it('answers CORS preflights for the demo origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${outputs().ApiUrl}/predict`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const demoOrigin = new URL(outputs().DemoUrl!).origin;
    const allowed = await preflight(demoOrigin);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(demoOrigin);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('tracks a purchase funnel, retries a failed delivery without duplicates, beacons the last events on page hide, and shows a live propensity', async () => {
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 800 });
    // This visitor's ids, known before the page loads, so the collector's fault can be aimed at its session alone.
    await page.evaluateOnNewDocument(
      (anonymous: string, session: string) => {
        const storage = (globalThis as any).localStorage;
        storage.setItem('clickstream:demo-store:anonymous_id', JSON.stringify(anonymous));
        storage.setItem('clickstream:demo-store:session', JSON.stringify({ id: session, last: Date.now() }));
      },
      anonymousId,
      sessionId,
    );
    // Every PutRecords call holding this session fails (until cleared below): the collector answers 503, so the tracker must retry.
    await addFaults([
      { service: 'kinesis', operation: 'PutRecords', type: 'throttle', count: 10_000, match: sessionId, errorCode: 'ProvisionedThroughputExceededException' },
    ]);
    // A long flush interval: the test decides when the tracker sends (flush, then the beacon).
    await page.goto(`${outputs().DemoUrl}?model=${MODEL}&flush=600000`, { waitUntil: 'networkidle0' });
    await page.click('[data-testid=consent-accept]');

    await page.click('[data-testid=product-link]');
    await page.waitForSelector('[data-testid=add-to-cart]');
    await page.click('[data-testid=add-to-cart]');
    await page.click('[data-testid=cart-link]');
    await page.waitForSelector('[data-testid=checkout]');
    await page.click('[data-testid=checkout]');
    await page.waitForSelector('[data-testid=place-order]');
    await page.click('[data-testid=place-order]');
    await page.waitForSelector('[data-testid=thanks]');

    // The propensity panel scored the whole funnel (it lags the clicks by a debounce and a request) with the test's model.
    const funnelLength = (await tracked(page)).length;
    const panel = () => page.$eval('[data-testid=propensity]', (e) => ({ ...(e as unknown as { dataset: Record<string, string | undefined> }).dataset }));
    const scored = await waitFor(
      `the propensity panel to score all ${funnelLength} events`,
      async () => {
        const data = await panel();
        return data.events === String(funnelLength) && data;
      },
      15_000,
    );
    const probability = Number(scored.probability);
    expect(probability).toBeGreaterThanOrEqual(0);
    expect(probability).toBeLessThanOrEqual(1);
    expect(await page.$eval('[data-testid=model-version]', (e) => e.textContent)).toBe(`${MODEL} v1`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-funnel.png') });

    // Send what is queued: the request fails (503) and the tracker backs off; once the stream takes records again, its retry of the same events succeeds.
    const funnel = await tracked(page);
    await page.evaluate(() => (globalThis as any).clickstream.flush());
    await waitFor('the tracker to see its first delivery fail', async () => (await trackerStats(page)).retries >= 1, 30_000);
    expect((await trackerStats(page)).sent).toBe(0);
    await clearFaults('kinesis');
    const stats = await waitFor(
      'the tracker to deliver the funnel after its retry',
      async () => {
        const s = await trackerStats(page);
        return s.queued === 0 && s.sent === funnel.length && s;
      },
      20_000,
    );
    expect(stats.retries).toBeGreaterThanOrEqual(1);

    // One more page view, then the page goes away before any flush: the beacon carries it.
    await page.click('a[href="#/"]');
    await waitFor('the last page view to be tracked', async () => (await tracked(page)).length === funnel.length + 1, 5_000, 50);
    const all = await tracked(page);
    expect((await trackerStats(page)).queued).toBe(1);
    await page.goto('about:blank');

    await drain();
    const visitor = (await pseudonymOf())(anonymousId);
    const rows = (await lakeRows<LakeEvent>('raw')).map((r) => r.row).filter((r) => r.anonymous_id === visitor);
    // Every tracked event exactly once (the retry re-sent the same event ids), in the order they happened.
    expect(rows.map((r) => r.event_id).sort()).toEqual(all.map((e) => e.event_id).sort());
    const inTimeOrder = [...rows].sort(
      (a, b) => a.event_time.localeCompare(b.event_time) || all.findIndex((e) => e.event_id === a.event_id) - all.findIndex((e) => e.event_id === b.event_id),
    );
    expect(inTimeOrder.map((r) => r.event_type)).toEqual(all.map((e) => e.event_type));
    expect(all.map((e) => e.event_type)).toEqual(expect.arrayContaining(['page_view', 'product_view', 'add_to_cart', 'begin_checkout', 'purchase']));
    // What the server saw, kept apart from what the client claimed.
    for (const row of rows) {
      expect(row.observed_ip).toMatch(/^(127\.0\.0\.0|::)$/);
      expect(row.observed_user_agent).toContain('HeadlessChrome');
      expect(row.context?.user_agent).toContain('HeadlessChrome');
      expect(row.session_id).toBe(sessionId);
      // The tracker speaks contract 1-1-0: its name and version, the screen, and the consent once given.
      expect(row).toMatchObject({
        schema: '1-1-0',
        schema_version: '1-1-0',
        tracker: { name: 'clickstream-web' },
        context: { screen: { width: expect.any(Number) } },
      });
    }
    expect(rows.filter((r) => 'consent' in r && r.consent?.analytics === true).length).toBe(rows.length - 1);
  });

  it('shows how many people are looking at a product now, from the real-time windows', async () => {
    const catalog = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'clients', 'demo', 'catalog.json'), 'utf8')) as { products: { id: string }[] };
    const product = catalog.products.at(-1)!.id;
    // Three other visitors look at the product (through the collector, as their trackers would).
    const viewers = ['a', 'b', 'c'].map((v) => `looking-${stamp}-${v}`);
    const events = viewers.map((v) => ({
      event_id: randomUUID(),
      event_type: 'product_view',
      event_time: new Date().toISOString(),
      session_id: `${v}-session`,
      anonymous_id: v,
      product: { id: product },
    }));
    expect((await postEvents(events)).body).toMatchObject({ accepted: 3 });
    page = await (await browser.createBrowserContext()).newPage();
    await page.goto(`${outputs().DemoUrl}#/product/${product}`, { waitUntil: 'networkidle0' });
    // The window closes, the API's 10 s cache expires, the page asks again (every 10 s).
    const people = await waitFor(
      'the product page to show the people looking at it',
      async () => {
        const text = await page.$eval('[data-testid=looking]', (e) => (e as unknown as { hidden: boolean }).hidden || e.textContent);
        return typeof text === 'string' && text;
      },
      45_000,
      500,
    );
    expect(Number(/^(\d+) people are looking at this product now$/.exec(people)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('stops tracking when the visitor declines: nothing more is queued, and the ids on the device are forgotten', async () => {
    // A new visitor: storage of its own, so the consent banner shows.
    page = await (await browser.createBrowserContext()).newPage();
    await page.goto(`${outputs().DemoUrl}?model=${MODEL}&flush=600000`, { waitUntil: 'networkidle0' });
    await page.click('[data-testid=consent-decline]');
    await page.click('[data-testid=product-link]');
    await page.waitForSelector('[data-testid=add-to-cart]');
    await page.click('[data-testid=add-to-cart]');
    const stats = await trackerStats(page);
    expect(stats.queued).toBe(0);
    expect(stats.withoutConsent).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('clickstream:demo-store:anonymous_id'))).toBe('null');
  });
});
