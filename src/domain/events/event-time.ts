/**
 * The one reading of a contract `event_time` (RFC 3339 date-time, what the schema's "date-time" format admits)
 * as an instant. The schema alone is not enough: it admits leap seconds (`23:59:60`), which no JavaScript Date,
 * Parquet timestamp or Spark timestamp can hold, so the validator rejects what this cannot read.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)$/;

/** What Date#toISOString prints, the form most events arrive in. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Ingest reads each event's time twice in a row (validation, then enrichment): the last answer is kept.
let last: { text: string; instant: number | undefined } = { text: '', instant: undefined };

/** Milliseconds since the epoch, or undefined for a time that has no instant (leap second, out-of-range field). */
export function eventInstant(text: string): number | undefined {
  if (text !== last.text) last = { text, instant: readInstant(text) };
  return last.instant;
}

function readInstant(text: string): number | undefined {
  if (CANONICAL_UTC.test(text)) {
    // Date.parse reads this form exactly, but rolls "04-31" over to May and takes "24:00": the round trip refuses those.
    const ms = Date.parse(text);
    return Number.isFinite(ms) && new Date(ms).toISOString() === text ? ms : undefined;
  }
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  // setUTCFullYear, not Date.UTC: the latter maps years 0–99 to 1900–1999. A rolled-over day (Feb 30) is not the date written.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, ms);
  if (at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return undefined;
  if (!m[8] && (Number(m[10]) > 23 || Number(m[11] ?? 0) > 59)) return undefined;
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  const instant = at.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(instant) ? instant : undefined;
}

/** How an event's own time relates to when it reached us (see `timeWindow`). */
export type EventTimeStatus = 'late' | 'future';

export interface EventTimeWindow {
  /** How far before `received_at` an event time is still trusted for partitioning. */
  maxPastMs: number;
  /** How far after `received_at` (client clocks run fast) an event time is still trusted. */
  maxFutureMs: number;
}

/** Seven days back, five minutes ahead: the defaults of the stage params eventTimeMaxPastHours / eventTimeMaxFutureMinutes. */
export const DEFAULT_EVENT_TIME_WINDOW: EventTimeWindow = { maxPastMs: 7 * 24 * 3_600_000, maxFutureMs: 5 * 60_000 };

/** Undefined when the event time lies within the window around the receive time, else which side it fell off. */
export function timeWindow(eventMs: number, receivedMs: number, window: EventTimeWindow): EventTimeStatus | undefined {
  if (eventMs < receivedMs - window.maxPastMs) return 'late';
  if (eventMs > receivedMs + window.maxFutureMs) return 'future';
  return undefined;
}
