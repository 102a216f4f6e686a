/**
 * The clickstream-ml browser tracker's core, apart from the browser (index.ts binds it to window, document,
 * localStorage, fetch and sendBeacon), so its logic runs under test with fakes. No runtime dependencies.
 */

/** The tracker's name and version, sent with every event (the contract's `tracker`). */
export const TRACKER = { name: 'clickstream-web', version: '1.1.0' } as const;

/** The contract version the tracker sends (schemas/clickstream-event/1-1-0.json). */
export const SCHEMA = '1-1-0';

/** The contract's event types (schemas/clickstream-event/). */
export type EventType = 'page_view' | 'product_view' | 'search' | 'add_to_cart' | 'remove_from_cart' | 'begin_checkout' | 'purchase';

export interface TrackProps {
  page?: { url?: string; referrer?: string; title?: string };
  product?: { id: string; category?: string; brand?: string; price?: number; currency?: string };
  order?: { id: string; revenue?: number; currency?: string };
  search?: { query: string };
  /** Free-form application data (at most 64 keys, kept as sent). */
  extra?: Record<string, unknown>;
}

export interface TrackedEvent extends TrackProps {
  schema: typeof SCHEMA;
  event_id: string;
  event_type: EventType;
  event_time: string;
  session_id: string;
  anonymous_id: string;
  user_id?: string;
  consent?: { analytics: true };
  tracker: typeof TRACKER;
  context: { user_agent?: string; locale?: string; screen?: { width: number; height: number }; timezone?: string };
}

export interface InitOptions {
  /** The collector: the deployed stack's HttpApiUrl (POST /events is appended) or the full …/events URL. */
  endpoint: string;
  /** Sent as extra.app_id, and keeps this app's queue and ids apart in localStorage. */
  appId?: string;
  /** How often queued events are sent (default 5,000 ms); a full batch goes at once. */
  flushIntervalMs?: number;
  /** Events per request (default 50, at most 500: the collector's limit). */
  maxBatch?: number;
  /** A new session_id after this long without an event (default 30). */
  sessionTimeoutMinutes?: number;
  /** Events kept while they cannot be sent (default 1,000); past it new events are dropped and counted. */
  maxQueue?: number;
  /** Logs what the collector rejected, and why, to the console. */
  debug?: boolean;
  /** Track nothing until `consent(true)` (events before it are dropped and counted). Default: track until `consent(false)`. */
  requireConsent?: boolean;
}

/** What the tracker needs from its host: the browser's, or a test's fakes. */
export interface Host {
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  post(url: string, body: string, keepalive: boolean): Promise<{ status: number; json(): Promise<unknown> }>;
  beacon(url: string, body: string): boolean;
  now(): Date;
  uuid(): string;
  random(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  userAgent?: string;
  locale?: string;
  screen?: { width: number; height: number };
  timezone?: string;
  warn(...args: unknown[]): void;
}

export interface TrackerStats {
  queued: number;
  sent: number;
  dropped: number;
  retries: number;
  /** Events not tracked because the visitor declined (or, with requireConsent, has not yet granted) analytics. */
  withoutConsent: number;
}

// fetch keepalive and sendBeacon bodies are capped at 64 KiB by browsers; one event is at most 32 KiB.
const MAX_REQUEST_BYTES = 60_000;
const MAX_BACKOFF_MS = 60_000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** RFC 3339 in the client's own zone, with its offset ("2026-11-29T09:15:02.120+01:00"). */
export function localTime(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const cut = (value: string | undefined, max: number) => (value === undefined ? undefined : value.slice(0, max));

export function createTracker(host: Host, options: InitOptions) {
  const endpoint = /\/events\/?$/.test(options.endpoint) ? options.endpoint : `${options.endpoint.replace(/\/+$/, '')}/events`;
  const maxBatch = Math.max(1, Math.min(500, options.maxBatch ?? 50));
  const maxQueue = Math.max(1, options.maxQueue ?? 1000);
  const timeoutMs = (options.sessionTimeoutMinutes ?? 30) * 60_000;
  const key = (name: string) => `clickstream:${options.appId ?? 'default'}:${name}`;
  const read = <T>(name: string, fallback: T): T => {
    try {
      const text = host.storage.getItem(key(name));
      return text === null ? fallback : (JSON.parse(text) as T);
    } catch {
      return fallback;
    }
  };
  const write = (name: string, value: unknown) => {
    try {
      host.storage.setItem(key(name), JSON.stringify(value));
    } catch {
      // Storage full or blocked (private mode): the tracker keeps working from memory.
    }
  };

  let anonymousId = read<string | null>('anonymous_id', null);
  let userId = read<string | null>('user_id', null);
  /** The visitor's analytics consent: granted, declined, or not stated yet (null). */
  let consent = read<boolean | null>('consent', null);
  const queue = read<TrackedEvent[]>('queue', []);
  const stats: TrackerStats = { queued: queue.length, sent: 0, dropped: read<number>('dropped', 0), retries: 0, withoutConsent: 0 };
  const inFlight = new Set<string>();
  /** The send loop in progress: an explicit flush waits for it, then sends what is left. */
  let sending: Promise<void> | undefined;
  let failures = 0;
  let retryTimer: unknown;
  /** While a retry waits out its backoff, the periodic flush leaves the queue alone. */
  let backoffUntil = 0;

  // The queue is written to storage once per task, not once per event: a page tracking in a burst would rewrite it each time.
  let saving = false;
  const save = () => {
    stats.queued = queue.length;
    if (saving) return;
    saving = true;
    queueMicrotask(() => {
      saving = false;
      write('queue', queue);
      write('dropped', stats.dropped);
    });
  };

  function sessionId(now: number): string {
    const session = read<{ id: string; last: number } | null>('session', null);
    const id = session && now - session.last <= timeoutMs ? session.id : host.uuid();
    write('session', { id, last: now });
    return id;
  }

  /** Queues one event; undefined when the visitor's consent says not to track (nothing is stored, only counted). */
  function track(eventType: EventType, props: TrackProps = {}): TrackedEvent | undefined {
    if (!(consent ?? !options.requireConsent)) {
      stats.withoutConsent++;
      return undefined;
    }
    const now = host.now();
    if (!anonymousId) write('anonymous_id', (anonymousId = host.uuid()));
    const context = {
      ...(host.userAgent ? { user_agent: cut(host.userAgent, 1024) } : {}),
      ...(host.locale ? { locale: cut(host.locale, 35) } : {}),
      ...(host.screen ? { screen: host.screen } : {}),
      ...(host.timezone ? { timezone: cut(host.timezone, 64) } : {}),
    };
    const event: TrackedEvent = {
      schema: SCHEMA,
      event_id: host.uuid(),
      event_type: eventType,
      event_time: localTime(now),
      session_id: sessionId(now.getTime()),
      anonymous_id: anonymousId!,
      ...(userId ? { user_id: userId } : {}),
      ...props,
      ...(consent ? { consent: { analytics: true } } : {}),
      tracker: TRACKER,
      context,
      ...(options.appId || props.extra ? { extra: { ...props.extra, ...(options.appId ? { app_id: options.appId } : {}) } } : {}),
    };
    if (queue.length >= maxQueue) {
      stats.dropped++;
      save();
      return event;
    }
    queue.push(event);
    save();
    if (queue.length - inFlight.size >= maxBatch) void flush();
    return event;
  }

  /** The next events to send (not already in flight), up to maxBatch and the request size cap. */
  function nextBatch(): { events: TrackedEvent[]; body: string } {
    const events: TrackedEvent[] = [];
    const parts: string[] = [];
    let bytes = 2;
    for (const event of queue) {
      if (events.length >= maxBatch) break;
      if (inFlight.has(event.event_id)) continue;
      // Each event is serialized once: its size decides the cut, its text goes into the body.
      const text = JSON.stringify(event);
      if (events.length > 0 && bytes + text.length + 1 > MAX_REQUEST_BYTES) break;
      events.push(event);
      parts.push(text);
      bytes += text.length + 1;
    }
    return { events, body: `[${parts.join(',')}]` };
  }

  const remove = (ids: ReadonlySet<string>) => {
    for (let i = queue.length - 1; i >= 0; i--) if (ids.has(queue[i]!.event_id)) queue.splice(i, 1);
    save();
  };

  function retryLater() {
    failures++;
    stats.retries++;
    // Exponential backoff with jitter; the same events (same event_ids) go again, so a retry never duplicates in the lake.
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)) * (0.5 + host.random() / 2);
    backoffUntil = host.now().getTime() + delay;
    host.clearTimer(retryTimer);
    retryTimer = host.setTimer(() => void flush(), delay);
  }

  /**
   * Sends what is queued, batch after batch; resolves when the queue is empty or a send must wait for a retry.
   * `periodic`: the timer's flush, which waits while a retry backs off (an explicit flush does not).
   */
  function flush(periodic = false): Promise<void> {
    if (sending) return periodic ? sending : sending.then(() => flush());
    if (periodic && host.now().getTime() < backoffUntil) return Promise.resolve();
    sending = sendAll().finally(() => (sending = undefined));
    return sending;
  }

  async function sendAll(): Promise<void> {
    for (;;) {
      const { events, body } = nextBatch();
      if (events.length === 0) return;
      const ids = new Set(events.map((e) => e.event_id));
      for (const id of ids) inFlight.add(id);
      let response;
      try {
        response = await host.post(endpoint, body, true);
      } catch {
        response = undefined;
      } finally {
        for (const id of ids) inFlight.delete(id);
      }
      const answer = response && ((await response.json().catch(() => ({}))) as { rejected?: unknown[]; failed?: number[] });
      if (response?.status === 202) {
        failures = 0;
        stats.sent += events.length;
        if (options.debug && answer?.rejected?.length) host.warn('[clickstream] the collector rejected', answer.rejected);
        remove(ids);
        continue;
      }
      if (response?.status === 503 && Array.isArray(answer?.failed)) {
        // Queued in part: keep the events the collector could not queue, and send them again later.
        const again = new Set(answer.failed.map((i) => events[i]?.event_id));
        const done = new Set([...ids].filter((id) => !again.has(id)));
        stats.sent += done.size;
        remove(done);
        retryLater();
        return;
      }
      if (!response || response.status === 429 || response.status >= 500) {
        retryLater();
        return;
      }
      // Another 4xx: this batch can never be accepted as it is (debug mode says why); it is dropped, and counted.
      stats.dropped += events.length;
      if (options.debug) host.warn(`[clickstream] the collector refused a batch (${response.status})`, answer);
      remove(ids);
    }
  }

  /** The page is going away: what is queued (and not in flight) goes by sendBeacon; what the browser refuses stays queued for the next page. */
  function beacon(): void {
    for (;;) {
      const { events, body } = nextBatch();
      if (events.length === 0 || !host.beacon(endpoint, body)) return;
      remove(new Set(events.map((e) => e.event_id)));
      stats.sent += events.length;
    }
  }

  let flushTimer: unknown;
  const schedule = () => {
    flushTimer = host.setTimer(() => {
      void flush(true);
      schedule();
    }, options.flushIntervalMs ?? 5000);
  };
  schedule();

  return {
    track,
    page: (props: TrackProps['page'] = {}) => track('page_view', { page: props }),
    identify(id: string | null) {
      userId = id;
      write('user_id', id);
    },
    /**
     * The visitor's analytics consent, remembered across pages. Declining empties the queue (nothing more is sent)
     * and forgets the ids kept on this device; events from then on are not tracked, only counted.
     */
    consent(granted: boolean) {
      consent = granted;
      write('consent', granted);
      if (granted) return;
      queue.length = 0;
      save();
      anonymousId = userId = null;
      for (const name of ['anonymous_id', 'user_id', 'session']) write(name, null);
    },
    flush: () => flush(),
    beacon,
    stats: (): TrackerStats => ({ ...stats, queued: queue.length }),
    stop() {
      host.clearTimer(flushTimer);
      host.clearTimer(retryTimer);
    },
  };
}

export type Tracker = ReturnType<typeof createTracker>;
