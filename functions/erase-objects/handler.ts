import { deleteDedupItems, eraseKey } from '#adapters/erasure';
import { SubjectMatcher, type ErasureSubject } from '#domain/erasure';
import { erasureConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = erasureConfig();

/** One Distributed Map batch: lake keys (from the manifest) and the subject (ItemBatcher's BatchInput). */
interface EraseBatchEvent {
  Items: { Key: string }[];
  BatchInput: ErasureSubject & { dry_run: boolean; versioned: boolean };
}

/**
 * The erasure state machine's worker: each key rewritten without the subject's rows (and their older versions
 * deleted), then the dedup items of the event ids removed. One object at a time, so memory is bounded by the
 * largest object. Returns counts, the subject's dates (for the feature partitions and the models) and the digests of
 * their session ids (for their captured predictions) — no id.
 */
const eraseObjects = async (event: EraseBatchEvent) => {
  const { field, sha256, dry_run: dryRun, versioned } = event.BatchInput;
  const matcher = new SubjectMatcher({ field, sha256 });
  const summary = {
    objects: event.Items.length,
    rows: 0,
    removed: 0,
    rewritten: [] as string[],
    versions_deleted: 0,
    dedup_event_ids: 0,
    dates: [] as string[],
    session_digests: [] as string[],
  };
  for (const { Key } of event.Items) {
    const result = await eraseKey(config.lakeBucketName, Key, matcher, { dryRun, versioned });
    summary.rows += result.rows;
    summary.removed += result.removed;
    summary.versions_deleted += result.versionsDeleted;
    if (result.rewritten) summary.rewritten.push(Key);
  }
  summary.dedup_event_ids = await deleteDedupItems(config.dedupTableName, [...matcher.found.eventIds], dryRun);
  summary.dates = [...matcher.found.dates].sort();
  summary.session_digests = [...matcher.found.sessions].sort();
  logger.info('erased objects', { objects: summary.objects, removed: summary.removed, rewritten: summary.rewritten.length, dryRun });
  return summary;
};

export const handler = lambdaHandler(eraseObjects);
