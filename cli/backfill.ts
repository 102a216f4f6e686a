import { bufferIntervalSeconds } from '#adapters/firehose';
import { putRecords } from '#adapters/kinesis';
import { placeInTime } from '#domain/events/enrich';
import { backfillEnvelope, encodeEnvelope } from '#domain/events/envelope';
import { validateEvent, type ClickstreamEvent } from '#domain/events/schema';
import { partitionWaves, waveGapMs } from '#domain/lake';
import { RateLimiter } from '#domain/replay';
import { sleep } from '#shared/retry';

/** Seconds a record may spend before Firehose (the stream, the ingest batch window) on top of the buffer interval. */
const UPSTREAM_SECONDS = 10;

/** The pause between waves of partitions for this raw delivery stream (its buffering interval, read from Firehose). */
export async function waveGapFor(rawDeliveryStream: string): Promise<number> {
  return waveGapMs(await bufferIntervalSeconds(rawDeliveryStream), UPSTREAM_SECONDS);
}

export interface BackfillResult {
  sent: number;
  /** Events the contract refuses: they travel too, and ingest keeps them as bad rows. */
  invalid: number;
  failed: { event_id: unknown; error: string }[];
  waves: number;
}

const hourOf = (event: ClickstreamEvent, receivedAt: string): string => {
  try {
    return placeInTime(event.event_time, receivedAt, 'backfill').partition_time.slice(0, 13);
  } catch {
    return '';
  }
};

/**
 * Loads history onto the stream as backfill envelopes (partitioned by event time, whatever its age — the
 * collector would keep such events in today's partition, flagged late). Only a producer allowed to write to the
 * stream can do this. Paced so Firehose never holds more active partitions than it can: at most
 * PARTITIONS_PER_WAVE hours at a time, `gapMs` between waves; at most `rate` events/s.
 */
export async function backfillEvents(
  streamName: string,
  events: readonly ClickstreamEvent[],
  options: { gapMs?: number; rate?: number; onProgress?: (sent: number) => void; say?: (line: string) => void } = {},
): Promise<BackfillResult> {
  const receivedAt = new Date().toISOString();
  const waves = partitionWaves(events, (e) => hourOf(e, receivedAt));
  const result: BackfillResult = { sent: 0, invalid: 0, failed: [], waves: waves.length };
  const limiter = options.rate ? new RateLimiter(options.rate) : undefined;
  for (const [w, wave] of waves.entries()) {
    if (w > 0) {
      options.say?.(
        `waiting ${Math.round((options.gapMs ?? 0) / 1000)} s so Firehose writes the partitions sent so far (wave ${w + 1} of ${waves.length} next)`,
      );
      await sleep(options.gapMs ?? 0);
    }
    for (let i = 0; i < wave.length; i += 500) {
      const chunk = wave.slice(i, i + 500);
      const wait = limiter?.take(chunk.length) ?? 0;
      if (wait > 0) await sleep(wait);
      const { failed } = await putRecords(
        streamName,
        chunk.map((event) => ({ data: encodeEnvelope(backfillEnvelope(event, receivedAt)), partitionKey: event.session_id || 'backfill' })),
      );
      const failedIndexes = new Set(failed.map((f) => f.index));
      for (const f of failed) result.failed.push({ event_id: chunk[f.index]!.event_id, error: f.error });
      chunk.forEach((event, j) => {
        if (failedIndexes.has(j)) return;
        result.sent += 1;
        if (!validateEvent(event).ok) result.invalid += 1;
      });
      options.onProgress?.(chunk.length);
    }
  }
  return result;
}
