import { createTracker, type EventType, type InitOptions, type Tracker, type TrackedEvent, type TrackProps, type TrackerStats } from './tracker';

/**
 * clickstream-ml's browser tracker: `clickstream.init({ endpoint })`, then `track`, `page`, `identify`, `consent`, `flush`.
 * Built to an ES module and an IIFE script that sets `window.clickstream` (npm run build:tracker). Docs: docs/tracker.md.
 */

export type { EventType, InitOptions, TrackedEvent, TrackProps, TrackerStats };

let tracker: Tracker | undefined;

function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Pages served over plain HTTP (other than localhost) have no randomUUID: a v4 UUID from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const memory = new Map<string, string>();
const storage = (() => {
  try {
    const s = window.localStorage;
    s.getItem('clickstream:probe');
    return s;
  } catch {
    // Storage blocked (some private modes, sandboxed frames): ids and the queue last as long as the page.
    return { getItem: (k: string) => memory.get(k) ?? null, setItem: (k: string, v: string) => void memory.set(k, v) };
  }
})();

const need = (): Tracker => {
  if (!tracker) throw new Error('clickstream: call clickstream.init({ endpoint }) first.');
  return tracker;
};

/** Starts the tracker (once per page; a second call is ignored). Sends what an earlier page left queued. */
export function init(options: InitOptions): void {
  if (tracker) return;
  tracker = createTracker(
    {
      storage,
      // text/plain is a "simple" cross-origin request: no preflight before each batch, and keepalive allowed.
      post: (url, body, keepalive) =>
        fetch(url, { method: 'POST', body, keepalive, credentials: 'omit', headers: { 'content-type': 'text/plain;charset=UTF-8' } }),
      beacon: (url, body) => navigator.sendBeacon(url, new Blob([body], { type: 'text/plain;charset=UTF-8' })),
      now: () => new Date(),
      uuid,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      userAgent: navigator.userAgent,
      locale: navigator.language,
      screen: { width: screen.width, height: screen.height },
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      // eslint-disable-next-line no-console -- debug mode's whole point
      warn: (...args) => console.warn(...args),
    },
    options,
  );
  const leave = () => tracker?.beacon();
  addEventListener('pagehide', leave);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && leave());
  void tracker.flush();
}

/** Queues one event of the contract's types; returns it as it will be sent (undefined: not tracked, for want of consent). */
export const track = (eventType: EventType, props?: TrackProps): TrackedEvent | undefined => need().track(eventType, props);

/** A page_view of this page (url, referrer, title). */
export const page = (props?: TrackProps['page']): TrackedEvent | undefined =>
  need().page({ url: location.href.slice(0, 2048), referrer: document.referrer.slice(0, 2048), title: document.title.slice(0, 512), ...props });

/** Events from now on carry this user_id (null: none again). */
export const identify = (userId: string | null): void => need().identify(userId);

/** The visitor's analytics consent (remembered): false stops tracking, empties the queue and forgets this device's ids. */
export const consent = (granted: boolean): void => need().consent(granted);

/** Sends what is queued now. */
export const flush = (): Promise<void> => need().flush();

/** Queued, sent, dropped (queue full, or refused by the collector) and retried, since the page loaded. */
export const stats = (): TrackerStats => need().stats();
