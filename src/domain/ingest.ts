import { badRow, type BadRow } from './events/bad-row';
import { decodeRecord, EnvelopeDecodeError, observedWithIp, singleEventEnvelope, type DecodedRecord } from './events/envelope';
import { enrich, type LakeEvent } from './events/enrich';
import { DEFAULT_EVENT_TIME_WINDOW, type EventTimeWindow } from './events/event-time';
import { MAX_EVENT_BYTES, validateEvent } from './events/schema';
import type { Enrichment } from './enrichments/pipeline';
import { anonymizeEventIp, anonymizeIp, DEFAULT_IP_ANONYMIZATION, pseudonymizeEvent, type IpAnonymization, type Pseudonymization } from './privacy';
import { withDeadline } from '#shared/retry';

/**
 * How long ingest waits for the dedup store, each way. It is an optimisation, so a store that stops answering
 * (a brownout, a hung connection) must cost a batch this at most — never the function's timeout.
 */
export const DEDUP_DEADLINE_MS = 10_000;

/** One stream record as ingest sees it, whatever the transport (Kinesis today). */
export interface StreamRecord {
  /** Unique id of the stream record (Lambda's eventID: "<shard>:<sequence number>"). */
  recordId: string;
  data: Buffer;
  stream: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Epoch seconds, as Kinesis reports it (formatted only when a bad row needs it). */
  approximateArrival: number;
}

/** Where rows go: valid events to the raw zone, bad rows to the bad zone. Each returns the indexes (into `rows`) that still failed after its own retries. */
export interface DeliveryPort {
  raw(rows: readonly LakeEvent[]): Promise<{ failed: { index: number; error: string }[] }>;
  bad(rows: readonly BadRow[]): Promise<{ failed: { index: number; error: string }[] }>;
}

/** Event ids delivered before (cross-batch dedup). */
export interface DedupPort {
  findSeen(eventIds: readonly string[]): Promise<Set<string>>;
  markSeen(eventIds: readonly string[]): Promise<void>;
}

export type Classified = { kind: 'valid'; event: LakeEvent } | { kind: 'bad'; row: BadRow };

/** How the stage enriches valid events (each has a default: the accepted time window, IPs cut to /24 and /48, every enrichment, no pseudonyms). */
export interface IngestSettings {
  window?: EventTimeWindow;
  ip?: IpAnonymization;
  enrichments?: readonly Enrichment[];
  pseudonymize?: Pseudonymization;
}

/**
 * Decode → validate → enrich one record's events (one, or several when the collector put a request's events of
 * one session in one record), in order. Never throws: whatever cannot be read becomes a bad row, and so does
 * any other failure on one event (`enrichment_error`), so one event can never fail its record or its batch.
 */
export function classify(record: StreamRecord, now: string, settings: IngestSettings = {}): Classified[] {
  const { window = DEFAULT_EVENT_TIME_WINDOW, ip, enrichments, pseudonymize } = settings;
  const source = () => ({
    stream: record.stream,
    partition_key: record.partitionKey,
    sequence_number: record.sequenceNumber,
    approximate_arrival: arrivalTime(record),
  });
  let decoded: DecodedRecord;
  try {
    // Only a bare event (and a bad row) needs the arrival time formatted: not every envelope on the hot path.
    decoded = decodeRecord(record.data, () => arrivalTime(record));
  } catch (error) {
    const message = error instanceof EnvelopeDecodeError ? error.message : `record could not be read: ${String(error)}`;
    return [{ kind: 'bad', row: badRow({ type: 'decode_error', errors: [{ path: '/', message }], payload: record.data, failedAt: now, source: source() }) }];
  }
  // A record no larger than the event cap bounds each of its events' sizes, so none is serialized again to check it.
  const sizeBound = decoded.several && record.data.length > MAX_EVENT_BYTES ? undefined : record.data.length;
  const anonymized = ip ?? DEFAULT_IP_ANONYMIZATION;
  /**
   * What a bad row keeps of an event: its own envelope, as if it had had the record to itself, with ids and IPs as
   * the lake keeps them — the collector did so for its envelopes (then these are the record's bytes); an event
   * another producer put on the stream as it was is pseudonymized and anonymized here. Only bad rows pay for it.
   */
  const badPayload = (event: unknown): Buffer => {
    const kept = pseudonymizeEvent(anonymizeEventIp(event, anonymized), pseudonymize);
    if (decoded.via === 'stream') return kept === event ? record.data : Buffer.from(JSON.stringify(kept));
    const observedIp = decoded.observed?.ip === undefined ? undefined : anonymizeIp(decoded.observed.ip, anonymized);
    const keptDecoded =
      decoded.observed?.ip === undefined || observedIp === decoded.observed.ip
        ? decoded
        : { ...decoded, observed: observedWithIp(decoded.observed, observedIp) };
    return decoded.several || kept !== event || keptDecoded !== decoded ? singleEventEnvelope(keptDecoded, kept) : record.data;
  };
  return decoded.events.map((event, index): Classified => {
    const rejected = (type: 'schema_violation' | 'enrichment_error', errors: { path: string; message: string }[]): Classified => ({
      kind: 'bad',
      row: badRow({
        type,
        errors,
        payload: badPayload(event),
        failedAt: now,
        source: decoded.several ? { ...source(), event_index: index } : source(),
        eventId: (event as { event_id?: unknown } | null)?.event_id,
        receivedAt: decoded.received_at,
      }),
    });
    try {
      const validation = validateEvent(event, sizeBound);
      if (!validation.ok) return rejected('schema_violation', validation.errors);
      return {
        kind: 'valid',
        event: enrich(validation.event, {
          receivedAt: decoded.received_at,
          ingestedAt: now,
          window: decoded.backfill ? 'backfill' : window,
          receivedVia: decoded.via,
          schemaVersion: validation.version,
          ...(decoded.replay_id === undefined ? {} : { replayId: decoded.replay_id }),
          ...(decoded.observed === undefined ? {} : { observed: decoded.observed }),
          ...(ip ? { ip } : {}),
          ...(enrichments ? { enrichments } : {}),
          ...(pseudonymize ? { pseudonymize } : {}),
        }),
      };
    } catch (error) {
      return rejected('enrichment_error', [{ path: '/', message: error instanceof Error ? error.message : String(error) }]);
    }
  });
}

/** Kinesis's arrival time; a record without a usable one (a hand-made test event) counts as arriving now. */
function arrivalTime(record: StreamRecord): string {
  const at = new Date(record.approximateArrival * 1000);
  return Number.isFinite(at.getTime()) ? at.toISOString() : new Date().toISOString();
}

export type RecordOutcome = 'delivered' | 'bad_row' | 'duplicate';

export interface IngestSummary {
  delivered: number;
  badRows: number;
  duplicates: number;
  failed: number;
  /** Set when delivered ids could not be marked seen: they stay delivered, a re-drive may copy them (curated dedup removes those). */
  dedupMarkError?: string;
  /** Set when the dedup store could not be read: the batch was delivered without the cross-batch check (fails open). */
  dedupLookupError?: string;
}

/**
 * What makes an event a repeat: a valid event by its event_id (client retries keep it), within its replay run
 * if it is a replay — so a replayed copy is not mistaken for the original, and a replay re-driven twice lands
 * once (the curated layer keeps the earliest copy of an event_id); a bad row by the stream record it came
 * from and its place in it (a re-driven batch must not write the same bad row twice).
 */
const dedupKey = (c: Classified, record: StreamRecord, position: number): string =>
  c.kind === 'valid'
    ? c.event.replay_id === undefined
      ? c.event.event_id
      : `replay:${c.event.replay_id}:${c.event.event_id}`
    : position === 0
      ? `record:${record.recordId}`
      : `record:${record.recordId}:${position}`;

/** A record's outcome from its events': failed if any failed (the record is re-driven whole), else the most telling. */
function recordOutcome(outcomes: readonly (RecordOutcome | Error)[]): RecordOutcome | Error {
  return outcomes.find((o) => o instanceof Error) ?? (['delivered', 'bad_row', 'duplicate'] as const).find((kind) => outcomes.includes(kind)) ?? 'duplicate';
}

/**
 * Processes a whole batch: duplicates (in the batch, then across batches) are dropped, valid events
 * go to the raw stream and bad rows to the bad stream. Returns one outcome per record, or an Error
 * for a record with an event whose delivery failed for good, so the caller reports it back for a retry
 * (its other events are then delivered again: the curated layer dedups them by event_id).
 * A key is marked seen only after its delivery succeeded, so a crash never loses an event.
 */
export async function ingestBatch(
  records: readonly StreamRecord[],
  ports: { delivery: DeliveryPort; dedup?: DedupPort; now: () => string; settings?: IngestSettings; dedupDeadlineMs?: number },
): Promise<{ outcomes: (RecordOutcome | Error)[]; summary: IngestSummary }> {
  const now = ports.now();
  const recordOf: number[] = [];
  const keys: string[] = [];
  const classified = records.flatMap((record, r) =>
    classify(record, now, ports.settings).map((c, position) => {
      recordOf.push(r);
      keys.push(dedupKey(c, record, position));
      return c;
    }),
  );
  const outcomes: (RecordOutcome | Error)[] = classified.map((c) => (c.kind === 'bad' ? 'bad_row' : 'delivered'));

  const firstIndexByKey = new Map<string, number>();
  keys.forEach((key, i) => {
    if (firstIndexByKey.has(key)) outcomes[i] = 'duplicate';
    else firstIndexByKey.set(key, i);
  });

  // The dedup store is an optimisation (the curated layer dedups by event_id): when it cannot be read, deliver
  // anyway rather than stall the shard, as Powertools idempotency does in its non-critical mode.
  let dedupLookupError: string | undefined;
  if (ports.dedup && firstIndexByKey.size > 0) {
    try {
      const seen = await withDeadline(ports.dedup.findSeen([...firstIndexByKey.keys()]), ports.dedupDeadlineMs ?? DEDUP_DEADLINE_MS, 'the dedup lookup');
      for (const key of seen) {
        outcomes[firstIndexByKey.get(key)!] = 'duplicate';
        firstIndexByKey.delete(key);
      }
    } catch (error) {
      dedupLookupError = (error as Error).message;
    }
  }

  const firsts = [...firstIndexByKey.values()];
  const rawIndexes: number[] = [];
  const rawRows: LakeEvent[] = [];
  const badIndexes: number[] = [];
  const badRows: BadRow[] = [];
  for (const i of firsts) {
    const c = classified[i]!;
    if (c.kind === 'valid') {
      rawIndexes.push(i);
      rawRows.push(c.event);
    } else {
      badIndexes.push(i);
      badRows.push(c.row);
    }
  }
  const [rawResult, badResult] = await Promise.all([
    rawRows.length > 0 ? ports.delivery.raw(rawRows) : { failed: [] },
    badRows.length > 0 ? ports.delivery.bad(badRows) : { failed: [] },
  ]);
  const markFailed = (indexes: number[], failed: { index: number; error: string }[], target: string) => {
    for (const f of failed) outcomes[indexes[f.index]!] = new Error(`delivery to the ${target} stream failed: ${f.error}`);
  };
  markFailed(rawIndexes, rawResult.failed, 'raw');
  markFailed(badIndexes, badResult.failed, 'bad');

  // Duplicates of a record whose first copy failed must be retried too, or it could be lost.
  outcomes.forEach((outcome, i) => {
    const first = firstIndexByKey.get(keys[i]!);
    if (outcome === 'duplicate' && first !== undefined && outcomes[first] instanceof Error) outcomes[i] = outcomes[first];
  });

  let dedupMarkError: string | undefined;
  if (ports.dedup) {
    const delivered = firsts.filter((i) => !(outcomes[i] instanceof Error)).map((i) => keys[i]!);
    try {
      if (delivered.length > 0)
        await withDeadline(ports.dedup.markSeen(delivered), ports.dedupDeadlineMs ?? DEDUP_DEADLINE_MS, 'marking delivered events seen');
    } catch (error) {
      dedupMarkError = (error as Error).message;
    }
  }

  const count = (o: RecordOutcome) => outcomes.filter((x) => x === o).length;
  const byRecord = records.map((): (RecordOutcome | Error)[] => []);
  outcomes.forEach((outcome, i) => byRecord[recordOf[i]!]!.push(outcome));
  return {
    outcomes: byRecord.map(recordOutcome),
    summary: {
      delivered: count('delivered'),
      badRows: count('bad_row'),
      duplicates: count('duplicate'),
      failed: outcomes.filter((o) => o instanceof Error).length,
      ...(dedupMarkError === undefined ? {} : { dedupMarkError }),
      ...(dedupLookupError === undefined ? {} : { dedupLookupError }),
    },
  };
}
