import { deleteDerivedPartitions, deleteTrainingChannels, erasePredictions, flagModels, putReceipt } from '#adapters/erasure';
import type { ErasureReceipt, SubjectField } from '#domain/erasure';
import { erasureConfig } from '#shared/config';
import { countNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = erasureConfig();

interface FinishEvent {
  field: SubjectField;
  dry_run: boolean;
  plan: { erasure_id: string; requested_at: string; objects: number; versioned: boolean; versioning: string };
  batches: {
    objects: number;
    rows: number;
    removed: number;
    rewritten: string[];
    versions_deleted: number;
    dedup_event_ids: number;
    dates: string[];
    session_digests: string[];
  }[];
}

/**
 * The erasure state machine's last step: the curated and feature partitions of the subject's dates deleted (rebuilt by the
 * next training run) and the training channels built from them, the predictions captured for their sessions removed, every model version trained on those dates
 * flagged for replacement, and the receipt stored in the audit log (audit/erasures/) — counts, keys and versions, no id.
 */
const finishErasure = async (event: FinishEvent): Promise<ErasureReceipt & { receipt_key?: string }> => {
  const { plan, batches, dry_run: dryRun } = event;
  const dates = [...new Set(batches.flatMap((b) => b.dates))].sort();
  const sum = (k: 'removed' | 'versions_deleted' | 'dedup_event_ids') => batches.reduce((n, b) => n + b[k], 0);
  const derivedObjects = [
    ...(await deleteDerivedPartitions(config.lakeBucketName, dates, { dryRun, versioned: plan.versioned })),
    ...(await deleteTrainingChannels(config.lakeBucketName, dates, { dryRun, versioned: plan.versioned })),
  ];
  const sessions = [...new Set(batches.flatMap((b) => b.session_digests))];
  const predictions = await erasePredictions(config.lakeBucketName, dates, sessions, { dryRun, versioned: plan.versioned });
  const models = await flagModels(config.modelsTableName, dates, { erasure_id: plan.erasure_id, at: plan.requested_at }, dryRun);
  const rewritten = [...batches.flatMap((b) => b.rewritten), ...predictions.rewritten].sort();
  const receipt: ErasureReceipt = {
    erasure_id: plan.erasure_id,
    requested_at: plan.requested_at,
    completed_at: new Date().toISOString(),
    dry_run: dryRun,
    field: event.field,
    objects_scanned: plan.objects,
    objects_rewritten: rewritten.length,
    rows_removed: sum('removed'),
    rewritten,
    versions_deleted: sum('versions_deleted'),
    versioning: plan.versioning,
    dedup_event_ids: sum('dedup_event_ids'),
    derived_objects_deleted: derivedObjects,
    prediction_rows_removed: predictions.removed,
    models_flagged: models,
  };
  logger.info('erasure finished', { erasureId: receipt.erasure_id, rowsRemoved: receipt.rows_removed, models: models.length, dryRun });
  if (!dryRun) {
    countNow('ErasureRowsRemoved', receipt.rows_removed);
    countNow('ModelVersionsFlagged', models.length);
  }
  // A dry run changes nothing, the audit log included.
  return dryRun ? receipt : { ...receipt, receipt_key: await putReceipt(config.lakeBucketName, receipt) };
};

export const handler = lambdaHandler(finishErasure);
