import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { putRecords } from '../../src/adapters/kinesis';
import { readJsonLines } from '../../src/adapters/s3';
import type { LakeEvent } from '../../src/domain/events/enrich';
import { encodeEnvelope } from '../../src/domain/events/envelope';
import { RateLimiter, replayEnvelope, ReplayDeliveryError, selectRawEvents } from '../../src/domain/replay';
import { replayConfig } from '../../src/shared/config';
import { logger } from '../../src/shared/logger';

const config = replayConfig();

/** One Distributed Map batch: lake objects (from the manifest) and the replay's parameters (ItemBatcher's BatchInput). */
interface ReplayBatchEvent {
  Items: { Key: string }[];
  BatchInput: { replay_id: string; from: number; to: number; types: string[] | null; session: string | null; rate_per_worker: number };
}

/**
 * The replay state machine's worker: does for its objects what `npm run replay` does — selects the events of
 * [from, to) (types, session), one per event_id, and puts them on the stream as collector envelopes carrying
 * the replay_id, at most rate_per_worker events/s. Anything still failed after retries fails the batch
 * (ReplayDeliveryError), which the state machine retries: ingest drops what a replay already delivered.
 */
const replayObjects = async (event: ReplayBatchEvent) => {
  const { replay_id, from, to, types, session, rate_per_worker } = event.BatchInput;
  const rows: { key: string; row: LakeEvent }[] = [];
  for (const { Key } of event.Items) for (const row of await readJsonLines<LakeEvent>(config.lakeBucketName, Key)) rows.push({ key: Key, row });
  const { selected, duplicates } = selectRawEvents(rows, { from, to, ...(types ? { types: new Set(types) } : {}), ...(session ? { session } : {}) });
  const limiter = new RateLimiter(rate_per_worker);
  let failed = 0;
  for (let i = 0; i < selected.length; i += 500) {
    const batch = selected.slice(i, i + 500);
    const wait = limiter.take(batch.length);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const result = await putRecords(config.streamName, batch.map((s) => ({ data: encodeEnvelope(replayEnvelope(s, replay_id)), partitionKey: s.event.session_id })));
    failed += result.failed.length;
  }
  const summary = { objects: event.Items.length, read: rows.length, selected: selected.length, skipped_duplicates: duplicates, sent: selected.length - failed, failed };
  logger.info('replayed objects', { replay_id, ...summary });
  if (failed > 0) throw new ReplayDeliveryError(`${failed} of ${selected.length} events could not be put on the stream after retries.`);
  return summary;
};

export const handler = middy(replayObjects).use(injectLambdaContext(logger));
