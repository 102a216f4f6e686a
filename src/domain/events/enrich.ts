import { DEFAULT_EVENT_TIME_WINDOW, eventInstant, timeWindow, type EventTimeStatus, type EventTimeWindow } from './event-time';
import { anonymizeEventIp, anonymizeIp, DEFAULT_IP_ANONYMIZATION, pseudonymizeEvent, type IpAnonymization, type Pseudonymization } from '../privacy';
import { ENRICHMENT_OUTPUT_FIELDS, ENRICHMENTS, type Enrichment } from '../enrichments/pipeline';
import { deviceClass, type DeviceClass } from '../enrichments/user-agent';
import type { Observed, ReceivedVia } from './envelope';
import type { LakeEvent } from './lake-event';
import { DEFAULT_SCHEMA_VERSION, type ClickstreamEvent, type SchemaVersion } from './schema';

export type { DeviceClass };

/** What ingest adds to a contract event (a replay strips them again to recover the event as sent). */
export const ENRICHMENT_FIELDS = [
  'received_at',
  'ingested_at',
  'device_class',
  'schema_version',
  'replay_id',
  'partition_time',
  'event_time_status',
  'received_via',
  'observed_ip',
  'observed_user_agent',
  ...ENRICHMENT_OUTPUT_FIELDS,
] as const;

export type { LakeEvent };

/** An event time that `eventInstant` cannot read: the validator rejects those, so reaching enrich with one is a bug upstream. */
export class EnrichmentError extends Error {
  override name = 'EnrichmentError';
}

/** Already the canonical form (what Date#toISOString prints): most events are, and re-formatting costs. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Where an event sits in time: its `event_time` in canonical UTC, and the instant the raw zone partitions it by —
 * its own time when that lies in the window around when it was received (or it is a backfill), else the receive
 * time, flagged. One rule for ingest and for every sender that paces itself by partition (replay, import).
 */
export function placeInTime(eventTime: string, receivedAt: string, window: EventTimeWindow | 'backfill' = DEFAULT_EVENT_TIME_WINDOW): { event_time: string; partition_time: string; status?: EventTimeStatus } {
  const eventMs = eventInstant(eventTime);
  const receivedMs = Date.parse(receivedAt);
  if (eventMs === undefined) throw new EnrichmentError(`event_time "${eventTime}" has no instant`);
  if (!Number.isFinite(receivedMs)) throw new EnrichmentError(`received_at "${receivedAt}" is not a time`);
  const canonical = CANONICAL_UTC.test(eventTime) ? eventTime : new Date(eventMs).toISOString();
  // A backfill is history loaded on purpose (and paced by its sender): its events keep their own hour.
  const status = window === 'backfill' ? undefined : timeWindow(eventMs, receivedMs, window);
  return status === undefined ? { event_time: canonical, partition_time: canonical } : { event_time: canonical, partition_time: new Date(receivedMs).toISOString(), status };
}

/** Adds what ingest knows; `event_time` becomes the same instant in UTC ("YYYY-MM-DDTHH:mm:ss.sssZ"). */
export function enrich(
  event: ClickstreamEvent,
  meta: {
    receivedAt: string;
    ingestedAt: string;
    window?: EventTimeWindow | 'backfill';
    receivedVia?: ReceivedVia;
    /** The contract version the event was validated against (validateEvent says which). */
    schemaVersion?: SchemaVersion;
    replayId?: string;
    observed?: Observed;
    /** How much of an IP the lake keeps (the collector anonymized already; other producers' and older events too). */
    ip?: IpAnonymization;
    /** The stage's enrichments, in order (all of them by default). */
    enrichments?: readonly Enrichment[];
    /** Ids to pseudonymize (the collector did already; other producers' events too: pseudonyms are never hashed twice). */
    pseudonymize?: Pseudonymization;
  },
): LakeEvent {
  const time = placeInTime(event.event_time, meta.receivedAt, meta.window);
  const ip = meta.ip ?? DEFAULT_IP_ANONYMIZATION;
  const observedIp = meta.observed?.ip === undefined ? undefined : anonymizeIp(meta.observed.ip, ip);
  const row: LakeEvent = {
    ...pseudonymizeEvent(anonymizeEventIp(event, ip), meta.pseudonymize),
    event_time: time.event_time,
    received_at: meta.receivedAt,
    ingested_at: meta.ingestedAt,
    // The client's own user agent first: a server-side sender (a backend, the generator) speaks for a browser.
    device_class: deviceClass(event.context?.user_agent ?? meta.observed?.user_agent),
    schema_version: meta.schemaVersion ?? DEFAULT_SCHEMA_VERSION,
    ...(meta.replayId === undefined ? {} : { replay_id: meta.replayId }),
    partition_time: time.partition_time,
    ...(time.status === undefined ? {} : { event_time_status: time.status }),
    received_via: meta.receivedVia ?? 'collector',
    ...(observedIp === undefined ? {} : { observed_ip: observedIp }),
    ...(meta.observed?.user_agent === undefined ? {} : { observed_user_agent: meta.observed.user_agent }),
  };
  for (const enrichment of meta.enrichments ?? ENRICHMENTS) Object.assign(row, enrichment.enrich(row, meta.observed ? { observed: meta.observed } : {}));
  return row;
}
