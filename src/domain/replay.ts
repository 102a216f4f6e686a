import { ClickstreamError } from '#shared/errors';
import { sleep } from '#shared/retry';
import type { BadRow } from './events/bad-row';
import { ENRICHMENT_FIELDS, placeInTime, type LakeEvent } from './events/enrich';
import { observedFrom, type CollectorEnvelope, type Observed } from './events/envelope';
import { validateEvent, type ClickstreamEvent, type ValidationIssue } from './events/schema';
import { LAKE_PREFIXES } from './lake';

/** Event replay: what a run selects from the lake, how a lake row becomes the event again, and the pace. */

export class ReplayRequestError extends ClickstreamError {}

/** Events still failed after every retry; the replay state machine retries the batch (the stream dedups per replay). */
export class ReplayDeliveryError extends ClickstreamError {}

export type ReplaySource = 'raw' | 'bad';

export interface ReplayFilter {
  /** Inclusive start and exclusive end, epoch ms: event time for raw rows, rejection time for bad rows. */
  from: number;
  to: number;
  types?: ReadonlySet<string>;
  session?: string;
}

/** `--from`/`--to`: a date (UTC midnight) or an ISO timestamp; `from` inclusive, `to` exclusive, from < to. */
export function parseRange(from: string | undefined, to: string | undefined): { from: number; to: number } {
  const parse = (value: string | undefined, name: string) => {
    if (!value) throw new ReplayRequestError(`--${name} is required (a date YYYY-MM-DD or an ISO 8601 timestamp).`);
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(ms)) throw new ReplayRequestError(`--${name} "${value}" is not a date (YYYY-MM-DD) or an ISO 8601 timestamp.`);
    return ms;
  };
  const range = { from: parse(from, 'from'), to: parse(to, 'to') };
  if (range.from >= range.to) throw new ReplayRequestError(`--from must be before --to (the range is [from, to): ${from} … ${to} selects nothing).`);
  return range;
}

/** The hourly partition prefixes that can hold rows of [from, to) (both zones are partitioned dt=/hour=). */
export function partitionPrefixes(source: ReplaySource, range: { from: number; to: number }): string[] {
  const prefixes: string[] = [];
  for (let t = Math.floor(range.from / 3_600_000) * 3_600_000; t < range.to; t += 3_600_000) {
    const iso = new Date(t).toISOString();
    prefixes.push(`${LAKE_PREFIXES[source]}dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`);
  }
  return prefixes;
}

/** The event as the client sent it, from its lake row (what ingest added taken off again). */
export function originalEvent(row: LakeEvent): ClickstreamEvent {
  const event: Record<string, unknown> = { ...row };
  for (const field of ENRICHMENT_FIELDS) delete event[field];
  return event as unknown as ClickstreamEvent;
}

export interface SelectedEvent {
  event: ClickstreamEvent;
  received_at: string;
  /**
   * Sent as a backfill (partitioned by its own time, whatever its age): the original row was partitioned so (it is
   * not flagged late or future), or it is a bad row recovered on purpose. Otherwise it lands in its arrival hour again.
   */
  backfill: boolean;
  /** What the collector saw of the original request (kept by a replay: the event did not come from this machine). */
  observed?: Observed;
  /** Where it was read (object key), for the dry run's counts and the error list. */
  key: string;
}

/**
 * Raw rows in the filter, one per event_id (the earliest received: the lake may hold an event more than once,
 * e.g. an earlier replay's copies), in a stable order so a resumed run skips exactly what was acknowledged.
 */
export function selectRawEvents(rows: readonly { key: string; row: LakeEvent }[], filter: ReplayFilter): { selected: SelectedEvent[]; duplicates: number } {
  const byId = new Map<string, SelectedEvent>();
  let duplicates = 0;
  for (const { key, row } of rows) {
    const t = Date.parse(row.event_time);
    if (!(t >= filter.from && t < filter.to)) continue;
    if (filter.types && !filter.types.has(row.event_type)) continue;
    if (filter.session !== undefined && row.session_id !== filter.session) continue;
    const previous = byId.get(row.event_id);
    if (previous) {
      duplicates++;
      if (previous.received_at <= row.received_at) continue;
    }
    const observed = observedFrom(row.observed_ip, row.observed_user_agent);
    byId.set(row.event_id, {
      event: originalEvent(row),
      received_at: row.received_at,
      backfill: row.event_time_status === undefined,
      key,
      ...(observed ? { observed } : {}),
    });
  }
  const selected = [...byId.values()].sort((a, b) => a.event.event_time.localeCompare(b.event.event_time) || a.event.event_id.localeCompare(b.event.event_id));
  return { selected, duplicates };
}

/** A selected event as it goes back on the stream: the collector envelope it came in, with the run's replay_id. */
export function replayEnvelope(selected: SelectedEvent, replayId: string): CollectorEnvelope {
  return {
    v: 1,
    received_at: selected.received_at,
    replay_id: replayId,
    ...(selected.backfill ? { backfill: true as const } : {}),
    ...(selected.observed ? { observed: selected.observed } : {}),
    event: selected.event,
  };
}

export type FixFunction = (event: unknown) => unknown;

export interface BadRowOutcome {
  recovered: SelectedEvent[];
  stillBad: { key: string; event_id?: string; errors: ValidationIssue[] }[];
}

/**
 * Bad rows → events again: the original payload decoded (a collector envelope's event, or the bare value),
 * `fix` applied if given, then validated against the current contract. What passes is replayed; what does not
 * is listed with its errors. Rows rejected outside [from, to) or truncated when stored are left out / listed.
 */
export function recoverBadRows(rows: readonly { key: string; row: BadRow }[], filter: ReplayFilter, fix?: FixFunction): BadRowOutcome {
  const outcome: BadRowOutcome = { recovered: [], stillBad: [] };
  const seen = new Set<string>();
  for (const { key, row } of rows) {
    const failedAt = Date.parse(row.failed_at);
    if (!(failedAt >= filter.from && failedAt < filter.to)) continue;
    if (row.payload_truncated) {
      outcome.stillBad.push({
        key,
        ...(row.event_id ? { event_id: row.event_id } : {}),
        errors: [{ path: '/', message: 'the stored payload was truncated; it cannot be recovered whole' }],
      });
      continue;
    }
    let value: unknown;
    let receivedAt = row.received_at ?? row.failed_at;
    let observed: Observed | undefined;
    try {
      const parsed = JSON.parse(Buffer.from(row.payload_base64, 'base64').toString('utf8')) as Partial<CollectorEnvelope>;
      const isEnvelope = parsed !== null && typeof parsed === 'object' && parsed.v === 1 && 'event' in parsed;
      value = isEnvelope ? parsed.event : parsed;
      if (isEnvelope && typeof parsed.received_at === 'string') receivedAt = parsed.received_at;
      if (isEnvelope && typeof parsed.observed === 'object' && parsed.observed !== null)
        observed = observedFrom(parsed.observed.ip, parsed.observed.user_agent);
    } catch (error) {
      outcome.stillBad.push({ key, errors: [{ path: '/', message: `payload is not JSON: ${(error as Error).message}` }] });
      continue;
    }
    if (fix) {
      try {
        value = fix(value);
      } catch (error) {
        outcome.stillBad.push({
          key,
          ...(row.event_id ? { event_id: row.event_id } : {}),
          errors: [{ path: '/', message: `the fix threw: ${(error as Error).message}` }],
        });
        continue;
      }
    }
    const result = validateEvent(value);
    if (!result.ok) {
      outcome.stillBad.push({ key, ...(row.event_id ? { event_id: row.event_id } : {}), errors: result.errors });
      continue;
    }
    const event = result.event;
    if (filter.types && !filter.types.has(event.event_type)) continue;
    if (filter.session !== undefined && event.session_id !== filter.session) continue;
    if (seen.has(event.event_id)) continue;
    seen.add(event.event_id);
    outcome.recovered.push({ event, received_at: receivedAt, backfill: true, key, ...(observed ? { observed } : {}) });
  }
  return outcome;
}

/**
 * Paces sends to `rate` events per second (token bucket, one second of burst): `wait(n)` says how long to wait
 * before sending n events, and takes them.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = rate;
    this.last = now();
  }

  take(n: number): number {
    const now = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

/** The checkpoint a run leaves (every few seconds, and when interrupted): its id, what it was asked, and how far it got. */
export interface ReplayCheckpoint {
  replay_id: string;
  args: Record<string, unknown>;
  acknowledged: number;
  /** Every event whose send key (`sendKey`) is at or below this was acknowledged: a resumed run skips those. */
  cursor: string | null;
}

/** The hour a selected event is partitioned in when replayed (the same rule ingest applies: `placeInTime`). */
export const replayHour = (s: SelectedEvent): string =>
  placeInTime(s.event.event_time, s.received_at, s.backfill ? 'backfill' : undefined).partition_time.slice(0, 13);

/**
 * The order a replay sends in — by partition hour, then event id — as one sortable key. A resumed run skips what
 * sorts at or below its checkpoint's cursor, so rows that arrived in the lake since, or a changed --fix, cannot
 * shift what counts as done (as skipping by count would).
 */
export const sendKey = (s: SelectedEvent): string => `${replayHour(s)}|${s.event.event_id}`;

/** One call's worth of a replay (a Kinesis PutRecords / Firehose PutRecordBatch call takes 500 records). */
export const REPLAY_BATCH_SIZE = 500;

/** A failed event of a batch, by its position in the batch. */
export interface ReplayFailure {
  index: number;
  error: string;
}

/**
 * Where a replay sends (the port): the Kinesis stream, the raw delivery stream, a file. Sends one batch and
 * answers what still failed after the target's own retries.
 */
export type ReplayTarget = (batch: readonly SelectedEvent[]) => Promise<readonly ReplayFailure[]>;

export interface ReplaySendOptions {
  /** Paces every batch in flight together; none: as fast as the target takes them. */
  limiter?: RateLimiter;
  /** Batches in flight at once (default 1). */
  concurrency?: number;
  /** The pause between two waves (see `partitionWaves`). */
  waveGapMs?: number;
  /** Asked before each batch: true ends the run once the batches in flight are done (Ctrl-C). */
  stopped?: () => boolean;
  /** After each batch, in completion order; `index` counts batches over all waves, in send order. */
  onBatch?: (index: number, batch: readonly SelectedEvent[], failures: readonly ReplayFailure[]) => void;
  /** Before each pause between waves. */
  onPause?: (ms: number) => void;
  wait?: (ms: number) => Promise<void>;
}

/**
 * The replay send loop, shared by `npm run replay` and the replay state machine's worker: the waves one after
 * another (with the pause between them), each cut into batches of 500 sent `concurrency` at a time at the
 * limiter's pace. A batch never spans two waves, so the pause falls between partition hours.
 */
export async function sendReplay(waves: readonly (readonly SelectedEvent[])[], target: ReplayTarget, options: ReplaySendOptions = {}) {
  const wait = options.wait ?? sleep;
  const stopped = options.stopped ?? (() => false);
  let index = 0;
  let sent = 0;
  let failed = 0;
  for (const [w, wave] of waves.entries()) {
    if (w > 0 && options.waveGapMs && !stopped()) {
      options.onPause?.(options.waveGapMs);
      await wait(options.waveGapMs);
    }
    const batches: (readonly SelectedEvent[])[] = [];
    for (let i = 0; i < wave.length; i += REPLAY_BATCH_SIZE) batches.push(wave.slice(i, i + REPLAY_BATCH_SIZE));
    const first = index;
    let next = 0;
    const worker = async () => {
      while (!stopped() && next < batches.length) {
        const offset = next++;
        const batch = batches[offset]!;
        const pause = options.limiter?.take(batch.length) ?? 0;
        if (pause > 0) await wait(pause);
        const failures = await target(batch);
        failed += failures.length;
        sent += batch.length - failures.length;
        options.onBatch?.(first + offset, batch, failures);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, Math.max(1, batches.length)) }, worker));
    index += batches.length;
  }
  return { sent, failed };
}
