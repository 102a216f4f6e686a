import { enrich } from '#domain/events/enrich';
import { encodeEnvelope } from '#domain/events/envelope';
import type { IpAnonymization } from '#domain/privacy';
import { replayEnvelope, type ReplayTarget } from '#domain/replay';
import { putRawRows } from './firehose';
import { putRecords } from './kinesis';

/** Replay onto the Kinesis stream: the events' collector envelopes again, with the run's replay_id; the whole path runs again. */
export const streamTarget =
  (streamName: string, replayId: string): ReplayTarget =>
  async (batch) =>
    (
      await putRecords(
        streamName,
        batch.map((s) => ({ data: encodeEnvelope(replayEnvelope(s, replayId)), partitionKey: s.event.session_id })),
      )
    ).failed;

/** Replay straight to the raw delivery stream, enriched as ingest would (skips ingest and its dedup). */
export const rawDeliveryTarget =
  (deliveryStreamName: string, replayId: string, ip: IpAnonymization): ReplayTarget =>
  async (batch) => {
    const ingestedAt = new Date().toISOString();
    const rows = batch.map((s) =>
      enrich(s.event, {
        receivedAt: s.received_at,
        ingestedAt,
        replayId,
        ...(s.backfill ? { window: 'backfill' as const } : {}),
        ...(s.observed ? { observed: s.observed } : {}),
        ip,
      }),
    );
    return (await putRawRows(deliveryStreamName, rows)).failed;
  };
