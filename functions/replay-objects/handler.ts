import { streamTarget } from '#adapters/replay-targets';
import { readJsonLines } from '#adapters/s3';
import type { LakeEvent } from '#domain/events/enrich';
import { RateLimiter, ReplayDeliveryError, selectRawEvents, sendReplay } from '#domain/replay';
import { replayConfig } from '#shared/config';
import { countNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = replayConfig();

/** One Distributed Map batch: lake objects (from the manifest) and the replay's parameters (ItemBatcher's BatchInput). */
interface ReplayBatchEvent {
  Items: { Key: string }[];
  BatchInput: {
    replay_id: string;
    from: number;
    to: number;
    types: string[] | null;
    session: string | null;
    rate_per_worker: number;
    /** The state machine waits this after the batch (HoldPartitions). */ wave_gap_seconds?: number;
  };
}

/**
 * The replay state machine's worker: does for its objects what `npm run replay` does — selects the events of
 * [from, to) (types, session), one per event_id, and puts them on the stream as collector envelopes carrying
 * the replay_id, at most rate_per_worker events/s. One object at a time, so memory is bounded by the largest
 * object (Firehose writes at most its 64 MB buffer), not the batch (20 objects could be over a gigabyte); an
 * event_id in two objects is sent twice, and ingest drops the second copy of the same replay. Anything still
 * failed after retries fails the batch (ReplayDeliveryError), which the state machine retries.
 */
const replayObjects = async (event: ReplayBatchEvent) => {
  const { replay_id, from, to, types, session, rate_per_worker } = event.BatchInput;
  const filter = { from, to, ...(types ? { types: new Set(types) } : {}), ...(session ? { session } : {}) };
  const limiter = new RateLimiter(rate_per_worker);
  const target = streamTarget(config.streamName, replay_id);
  const summary = { objects: event.Items.length, read: 0, selected: 0, skipped_duplicates: 0, sent: 0, failed: 0 };
  for (const { Key } of event.Items) {
    const rows = (await readJsonLines<LakeEvent>(config.lakeBucketName, Key)).map((row) => ({ key: Key, row }));
    const { selected, duplicates } = selectRawEvents(rows, filter);
    summary.read += rows.length;
    summary.selected += selected.length;
    summary.skipped_duplicates += duplicates;
    const { sent, failed } = await sendReplay([selected], target, { limiter });
    summary.sent += sent;
    summary.failed += failed;
  }
  logger.info('replayed objects', { replay_id, ...summary });
  countNow('ReplayEventsSent', summary.sent);
  countNow('ReplayEventsFailed', summary.failed);
  if (summary.failed > 0) throw new ReplayDeliveryError(`${summary.failed} of ${summary.selected} events could not be put on the stream after retries.`);
  return summary;
};

export const handler = lambdaHandler(replayObjects);
