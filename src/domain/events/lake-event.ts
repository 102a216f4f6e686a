import type { CampaignFields } from '../enrichments/campaign';
import type { DeviceClass, UserAgentFields } from '../enrichments/user-agent';
import type { ReferrerClass } from '../features/spec';
import type { ReceivedVia } from './envelope';
import type { EventTimeStatus } from './event-time';
import type { ClickstreamEvent, SchemaVersion } from './schema';

/** A valid event as stored in the lake's raw zone: the event as sent (of its contract version) and what ingest adds. */
export type LakeEvent = ClickstreamEvent & LakeFields;

export interface LakeFields {
  received_at: string;
  ingested_at: string;
  device_class: DeviceClass;
  /** The contract version the event was validated against (its `schema` field; 1-0-0 when it has none). */
  schema_version: SchemaVersion;
  replay_id?: string;
  /**
   * The instant the raw zone is partitioned by (dt/hour): `event_time` when it lies in the accepted window around
   * `received_at`, else `received_at` — so no client clock can spread events over partitions nothing reads.
   */
  partition_time: string;
  /** Set only when `event_time` fell outside the window: the event is kept, in its arrival partition. */
  event_time_status?: EventTimeStatus;
  received_via: ReceivedVia;
  /** The request's source IP as the collector saw it (absent for events that did not come through it). */
  observed_ip?: string;
  /** The request's User-Agent header as the collector saw it; `context.user_agent` is what the client claims. */
  observed_user_agent?: string;
  /** The enrichments' fields (src/domain/enrichments): the parsed user agent, the campaign, the referrer's class. */
  ua?: UserAgentFields;
  campaign?: CampaignFields;
  referrer_class?: ReferrerClass | 'internal';
}
