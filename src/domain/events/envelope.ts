/** How the event reached the stream: through POST /events (the collector's envelope), or put on it by another producer. */
export type ReceivedVia = 'collector' | 'stream';

/**
 * What travels on the Kinesis stream: the event exactly as the client sent it, wrapped with what the
 * collector (or a replay) knows about it. Invalid events travel too, so ingest can turn them into bad rows.
 * The collector puts one request's events of one session in one record (`events`): Kinesis bills each record
 * by the kilobyte (on-demand) or 25 KB unit (provisioned) and its shards take 1,000 records a second, so ten
 * 500-byte events in one record cost a tenth of ten records. Replays and backfills put one event per record (`event`).
 */
export type CollectorEnvelope = EnvelopeHeader & ({ event: unknown } | { events: unknown[] });

/** Everything an envelope says about its events, apart from the events. */
export interface EnvelopeHeader {
  v: 1;
  received_at: string;
  /** Set when the record is re-driven by `npm run replay`; one id per replay run. */
  replay_id?: string;
  /**
   * Set by a backfill (`npm run import`, history loaded on purpose): partition by event time whatever its age.
   * Only a producer allowed to write to the stream (IAM) can set it: the collector wraps every client event itself.
   */
  backfill?: true;
  /** What the collector saw of the request itself (never what the client claims): see `Observed`. */
  observed?: Observed;
}

/**
 * What only the server can see of a request, captured by the collector from the request context (not from any
 * header a client sets): the source IP as API Gateway saw it and the User-Agent header as sent. Kept apart from
 * the event's own `context`, which is whatever the client claimed.
 */
export interface Observed {
  ip?: string;
  user_agent?: string;
}

/** The longest IP (an IPv6 address with a zone) and User-Agent the lake keeps, as the contract's `context` does. */
const MAX_OBSERVED = { ip: 45, user_agent: 1024 };

/** `Observed` from a request's source IP and User-Agent, each cut to what the lake keeps; undefined when neither is known. */
export function observedFrom(ip: unknown, userAgent: unknown): Observed | undefined {
  const observed: Observed = {
    ...(typeof ip === 'string' && ip.length > 0 ? { ip: ip.slice(0, MAX_OBSERVED.ip) } : {}),
    ...(typeof userAgent === 'string' && userAgent.length > 0 ? { user_agent: userAgent.slice(0, MAX_OBSERVED.user_agent) } : {}),
  };
  return observed.ip === undefined && observed.user_agent === undefined ? undefined : observed;
}

/** `observed` with its IP replaced (or left out, when undefined); undefined when nothing is left. */
export const observedWithIp = (observed: Observed, ip: string | undefined): Observed | undefined => observedFrom(ip, observed.user_agent);

/** A stream record as ingest reads it: the collector's envelope, or a bare contract event another producer put on the stream. */
export interface DecodedRecord {
  received_at: string;
  replay_id?: string;
  backfill?: true;
  observed?: Observed;
  /** One or more: an envelope of several events (one request's, one session's) yields them all, in order. */
  events: unknown[];
  /** Whether the record held an `events` list (each event's bad row then carries its own single-event envelope). */
  several: boolean;
  via: ReceivedVia;
}

export class EnvelopeDecodeError extends Error {
  override name = 'EnvelopeDecodeError';
}

export function encodeEnvelope(envelope: CollectorEnvelope): Uint8Array {
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * An envelope from its events' JSON texts, serialized once by the caller (which needed their sizes): the same
 * bytes as `encodeEnvelope({ ...header, event })` for one event, `encodeEnvelope({ ...header, events })` for several.
 */
export function encodeEnvelopeOfEvents(header: EnvelopeHeader, eventJsons: readonly string[]): Buffer {
  const head = JSON.stringify(header).slice(0, -1);
  return Buffer.from(eventJsons.length === 1 ? `${head},"event":${eventJsons[0]}}` : `${head},"events":[${eventJsons.join(',')}]}`);
}

/** The envelope one event of a several-event record would have had on its own (what its bad row keeps). */
export function singleEventEnvelope(decoded: DecodedRecord, event: unknown): Buffer {
  return Buffer.from(
    encodeEnvelope({
      v: 1,
      received_at: decoded.received_at,
      ...(decoded.replay_id === undefined ? {} : { replay_id: decoded.replay_id }),
      ...(decoded.backfill ? { backfill: true as const } : {}),
      ...(decoded.observed ? { observed: decoded.observed } : {}),
      event,
    }),
  );
}

const isEnvelope = (value: Record<string, unknown>): value is Record<string, unknown> & EnvelopeHeader =>
  value.v === 1 && typeof value.received_at === 'string' && ('event' in value || (Array.isArray(value.events) && value.events.length > 0));

/**
 * Reads one stream record. Any JSON object that is not an envelope is taken as a bare event from another producer
 * (a backend's PutRecord, the AWS CLI, Kinesis Agent): it was received when Kinesis says it arrived, and the
 * contract decides whether it is valid. Only what is not a JSON object at all fails to decode.
 */
export function decodeRecord(data: Buffer, arrivedAt: () => string): DecodedRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new EnvelopeDecodeError(`record is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EnvelopeDecodeError('record is neither a collector envelope ({"v":1,"received_at":…,"event":…}) nor an event (a JSON object)');
  }
  const record = parsed as Record<string, unknown>;
  if (!isEnvelope(record)) return { received_at: arrivedAt(), events: [record], several: false, via: 'stream' };
  const seen = record.observed as Record<string, unknown> | undefined;
  const observed = typeof seen === 'object' && seen !== null ? observedFrom(seen.ip, seen.user_agent) : undefined;
  return {
    received_at: record.received_at,
    ...(typeof record.replay_id === 'string' ? { replay_id: record.replay_id } : {}),
    ...(record.backfill === true ? { backfill: true as const } : {}),
    ...(observed ? { observed } : {}),
    ...('event' in record ? { events: [record.event], several: false } : { events: record.events as unknown[], several: true }),
    via: 'collector',
  };
}

/** A historical event as a backfill puts it on the stream: received now, partitioned by its own time. */
export const backfillEnvelope = (event: unknown, receivedAt: string): CollectorEnvelope => ({ v: 1, received_at: receivedAt, backfill: true, event });
