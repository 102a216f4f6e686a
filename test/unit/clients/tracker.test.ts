import { createTracker, localTime, type Host, type InitOptions } from '../../../clients/web/src/tracker';
import { validateEvent } from '#domain/events/schema';

/** A browser stand-in: storage, clock, timers run by hand, and a collector that answers what the test says. */
function fakeHost(answers: ((body: unknown[]) => { status: number; body?: unknown })[] = []) {
  const store = new Map<string, string>();
  let clock = Date.parse('2026-11-29T10:00:00.000Z');
  let ids = 0;
  const timers = new Map<number, () => void>();
  let timerId = 0;
  const requests: unknown[][] = [];
  const beacons: unknown[][] = [];
  const warnings: unknown[][] = [];
  let beaconAccepts = true;
  const host: Host = {
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    post: async (_url, body) => {
      const events = JSON.parse(body) as unknown[];
      requests.push(events);
      const answer = answers.shift()?.(events) ?? { status: 202, body: { accepted: events.length, rejected: [] } };
      if (answer.status === 0) throw new TypeError('Failed to fetch');
      return { status: answer.status, json: async () => answer.body ?? {} };
    },
    beacon: (_url, body) => {
      if (beaconAccepts) beacons.push(JSON.parse(body) as unknown[]);
      return beaconAccepts;
    },
    now: () => new Date(clock),
    uuid: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    random: () => 0.5,
    setTimer: (fn) => {
      timers.set(++timerId, fn);
      return timerId;
    },
    clearTimer: (t) => void timers.delete(t as number),
    userAgent: 'Mozilla/5.0 (test)',
    locale: 'en-GB',
    screen: { width: 1280, height: 800 },
    timezone: 'Europe/London',
    warn: (...args) => void warnings.push(args),
  };
  return {
    host,
    store,
    requests,
    beacons,
    warnings,
    advance: (ms: number) => (clock += ms),
    refuseBeacons: () => (beaconAccepts = false),
    /** Runs every pending timer once (the periodic flush, a retry). */
    runTimers: async () => {
      const due = [...timers.entries()];
      timers.clear();
      for (const [, fn] of due) fn();
      await new Promise((r) => setImmediate(r));
    },
  };
}

const start = (fake: ReturnType<typeof fakeHost>, options: Partial<InitOptions> = {}) =>
  createTracker(fake.host, { endpoint: 'https://api.example.com', appId: 'shop', ...options });

describe('the web tracker', () => {
  it("builds contract events: ids kept across pages, a session that rotates after inactivity, the client's local time with its offset", () => {
    const fake = fakeHost();
    const tracker = start(fake, { sessionTimeoutMinutes: 30 });
    const first = tracker.page({ url: 'https://shop.example/', referrer: '', title: 'Home' })!;
    const second = tracker.track('product_view', { product: { id: 'p1', price: 9.5, currency: 'EUR' } })!;
    fake.advance(31 * 60_000);
    tracker.identify('u-42');
    const later = tracker.track('purchase', { order: { id: 'o1', revenue: 9.5, currency: 'EUR' } })!;
    for (const event of [first, second, later]) expect(validateEvent(JSON.parse(JSON.stringify(event)))).toEqual({ ok: true, event, version: '1-1-0' });
    expect(first).toMatchObject({ schema: '1-1-0', tracker: { name: 'clickstream-web', version: expect.any(String) } });
    expect(second.session_id).toBe(first.session_id);
    expect(later.session_id).not.toBe(first.session_id);
    expect(new Set([first.anonymous_id, later.anonymous_id]).size).toBe(1);
    expect([first.user_id, later.user_id]).toEqual([undefined, 'u-42']);
    expect(first.extra).toEqual({ app_id: 'shop' });
    expect(first.context).toEqual({ user_agent: 'Mozilla/5.0 (test)', locale: 'en-GB', screen: { width: 1280, height: 800 }, timezone: 'Europe/London' });
    // A reload: the same anonymous id and user id from storage.
    const reloaded = start(fake).track('search', { search: { query: 'tv' } })!;
    expect([reloaded.anonymous_id, reloaded.user_id]).toEqual([first.anonymous_id, 'u-42']);
  });

  it.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Los_Angeles'])(
    'writes event_time in the zone %s as the same instant, with its offset',
    (zone) => {
      const saved = process.env.TZ;
      process.env.TZ = zone;
      try {
        for (const at of [Date.UTC(2026, 0, 1, 0, 0, 0, 5), Date.UTC(2026, 6, 15, 23, 59, 59, 999)]) {
          const text = localTime(new Date(at));
          expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
          expect(Date.parse(text)).toBe(at);
        }
      } finally {
        process.env.TZ = saved;
      }
    },
  );

  it('sends batches of at most maxBatch, and a full batch at once', async () => {
    const fake = fakeHost();
    const tracker = start(fake, { maxBatch: 2 });
    for (let i = 0; i < 5; i++) tracker.track('page_view');
    await new Promise((r) => setImmediate(r));
    await tracker.flush();
    expect(fake.requests.map((r) => r.length)).toEqual([2, 2, 1]);
    expect(tracker.stats()).toEqual({ queued: 0, sent: 5, dropped: 0, retries: 0, withoutConsent: 0 });
  });

  it('retries network errors, 429 and 5xx with the same events, backing off, and keeps what a partial 503 did not queue', async () => {
    const fake = fakeHost([() => ({ status: 0 }), () => ({ status: 429 }), () => ({ status: 503, body: { failed: [1] } })]);
    const tracker = start(fake);
    const events = ['page_view', 'search', 'add_to_cart'].map((t) => tracker.track(t as 'page_view', t === 'search' ? { search: { query: 'q' } } : {}));
    await tracker.flush();
    expect(tracker.stats()).toMatchObject({ queued: 3, sent: 0, retries: 1 });
    // While a retry backs off, the periodic flush waits; the retry timer sends.
    await fake.runTimers();
    await fake.runTimers();
    await fake.runTimers();
    const ids = fake.requests.map((r) => (r as { event_id: string }[]).map((e) => e.event_id));
    expect(ids[0]).toEqual(events.map((e) => e!.event_id));
    expect(ids.slice(1, 3)).toEqual([ids[0], ids[0]]);
    expect(ids.at(-1)).toEqual([events[1]!.event_id]);
    expect(tracker.stats()).toEqual({ queued: 0, sent: 3, dropped: 0, retries: 3, withoutConsent: 0 });
  });

  it('drops, counted, a batch the collector refuses (4xx) and what overflows the queue; says why in debug mode', async () => {
    const fake = fakeHost([
      () => ({ status: 400, body: { message: 'bad' } }),
      () => ({ status: 202, body: { accepted: 0, rejected: [{ index: 0, errors: [] }] } }),
    ]);
    const tracker = start(fake, { maxQueue: 2, debug: true });
    tracker.track('page_view');
    tracker.track('page_view');
    tracker.track('page_view');
    expect(tracker.stats()).toMatchObject({ queued: 2, dropped: 1 });
    await tracker.flush();
    expect(tracker.stats()).toMatchObject({ queued: 0, dropped: 3 });
    tracker.track('page_view');
    await tracker.flush();
    expect(fake.warnings.map((w) => w[0])).toEqual(['[clickstream] the collector refused a batch (400)', '[clickstream] the collector rejected']);
  });

  it('keeps the queue across reloads, and hands it to sendBeacon when the page goes away (what the browser refuses stays queued)', async () => {
    const fake = fakeHost();
    const first = start(fake);
    first.track('page_view');
    first.track('begin_checkout');
    first.stop();
    // The queue reaches storage at the end of the task that changed it (a reload always comes later).
    await new Promise((r) => setImmediate(r));
    const second = start(fake);
    expect(second.stats().queued).toBe(2);
    fake.refuseBeacons();
    second.beacon();
    expect(second.stats().queued).toBe(2);
    const third = start(fakeHostSharing(fake));
    third.beacon();
    expect(third.stats()).toMatchObject({ queued: 0, sent: 2 });
  });

  it('tracks without consent stated, marks events once consent is given, and stops (queue emptied, ids forgotten) when declined', async () => {
    const fake = fakeHost();
    const tracker = start(fake);
    expect(tracker.track('page_view')).not.toHaveProperty('consent');
    tracker.consent(true);
    const granted = tracker.track('page_view')!;
    expect(granted.consent).toEqual({ analytics: true });
    tracker.track('search', { search: { query: 'tv' } });
    tracker.consent(false);
    expect(tracker.track('page_view')).toBeUndefined();
    await tracker.flush();
    expect(fake.requests).toEqual([]);
    expect(tracker.stats()).toMatchObject({ queued: 0, sent: 0, withoutConsent: 1 });
    await new Promise((r) => setImmediate(r));
    expect(['anonymous_id', 'user_id', 'session', 'queue'].map((name) => fake.store.get(`clickstream:shop:${name}`))).toEqual(['null', 'null', 'null', '[]']);
    // Remembered across pages; granting again starts a new anonymous id.
    const reloaded = start(fake);
    expect(reloaded.track('page_view')).toBeUndefined();
    reloaded.consent(true);
    expect(reloaded.track('page_view')!.anonymous_id).not.toBe(granted.anonymous_id);
  });

  it('with requireConsent, tracks nothing until consent is given', () => {
    const tracker = start(fakeHost(), { requireConsent: true });
    expect(tracker.track('page_view')).toBeUndefined();
    tracker.consent(true);
    expect(tracker.track('page_view')).toMatchObject({ consent: { analytics: true } });
    expect(tracker.stats()).toMatchObject({ queued: 1, withoutConsent: 1 });
  });
});

/** Another page of the same site (same storage), whose browser takes beacons. */
function fakeHostSharing(previous: ReturnType<typeof fakeHost>) {
  const next = fakeHost();
  for (const [k, v] of previous.store) next.store.set(k, v);
  return next;
}
