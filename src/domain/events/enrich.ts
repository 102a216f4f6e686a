import { SCHEMA_VERSION, type ClickstreamEvent } from './schema';

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'bot' | 'unknown';

/** What ingest adds to a contract event (a replay strips them again to recover the event as sent). */
export const ENRICHMENT_FIELDS = ['received_at', 'ingested_at', 'device_class', 'schema_version', 'replay_id'] as const;

/** A valid event as stored in the lake's raw zone. */
export interface LakeEvent extends ClickstreamEvent {
  received_at: string;
  ingested_at: string;
  device_class: DeviceClass;
  schema_version: string;
  replay_id?: string;
}

const BOT = /bot|crawl|spider|slurp|headless|lighthouse/i;
const TABLET = /ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))/i;
const MOBILE = /mobi|iphone|ipod|android.*mobile|windows phone|blackberry|opera mini/i;

function classify(userAgent: string): DeviceClass {
  if (BOT.test(userAgent)) return 'bot';
  if (TABLET.test(userAgent)) return 'tablet';
  if (MOBILE.test(userAgent)) return 'mobile';
  return 'desktop';
}

// Traffic repeats a few thousand user agents; remembering their class skips three regexes per event.
const KNOWN_AGENTS = new Map<string, DeviceClass>();
const MAX_KNOWN_AGENTS = 5_000;

export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return 'unknown';
  let cls = KNOWN_AGENTS.get(userAgent);
  if (cls === undefined) {
    cls = classify(userAgent);
    if (KNOWN_AGENTS.size >= MAX_KNOWN_AGENTS) KNOWN_AGENTS.clear();
    KNOWN_AGENTS.set(userAgent, cls);
  }
  return cls;
}

/** Already the canonical form (what Date#toISOString prints): most events are, and re-formatting costs. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Adds what ingest knows. `event_time` is rewritten to the same instant in UTC
 * ("YYYY-MM-DDTHH:mm:ss.sssZ") so that the lake can be partitioned by fixed slices of it.
 */

export function enrich(
  event: ClickstreamEvent,
  meta: { receivedAt: string; ingestedAt: string; replayId?: string },
): LakeEvent {
  return {
    ...event,
    event_time: CANONICAL_UTC.test(event.event_time) ? event.event_time : new Date(event.event_time).toISOString(),
    received_at: meta.receivedAt,
    ingested_at: meta.ingestedAt,
    device_class: deviceClass(event.context?.user_agent),
    schema_version: SCHEMA_VERSION,
    ...(meta.replayId === undefined ? {} : { replay_id: meta.replayId }),
  };
}
