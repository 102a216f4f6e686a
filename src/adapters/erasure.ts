import { DeleteObjectCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ERASURE_AUDIT_PREFIX,
  eraseFromObject,
  modelsTrainedOn,
  SessionMatcher,
  type ErasureReceipt,
  type LineMatcher,
  type ObjectVersion,
} from '#domain/erasure';
import { CURATED_PREFIX, FEATURES_PREFIX, PREDICTIONS_PREFIX, TRAINING_PREFIX, type ChannelsManifest } from '#domain/lake';
import { forgetEventIds } from './dedup-table';
import { flagVersionForErasure, scanTrainedOn } from './registry-table';
import { getObjectBytes, listObjects, s3Client } from './s3';

/**
 * Erasure's reads and writes: lake objects rewritten without a person's rows, and — on a versioned bucket — every
 * older version that still holds them deleted; their dedup items deleted; the model versions trained on their
 * partitions flagged; the receipt stored. What is whose is decided in src/domain/erasure.ts.
 */

/** "Enabled" or "Suspended"; undefined for a bucket never versioned (it keeps no older versions). */
export async function bucketVersioning(bucket: string): Promise<'Enabled' | 'Suspended' | undefined> {
  const { Status } = await s3Client().send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return Status === 'Enabled' || Status === 'Suspended' ? Status : undefined;
}

/** Every version and delete marker under a prefix, newest first per key (as S3 lists them). */
export async function listVersions(bucket: string, prefix: string): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3Client().send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionIdMarker } : {}) }),
    );
    for (const v of page.Versions ?? []) versions.push({ key: v.Key!, versionId: v.VersionId ?? 'null', isLatest: v.IsLatest === true, deleteMarker: false });
    for (const m of page.DeleteMarkers ?? [])
      versions.push({ key: m.Key!, versionId: m.VersionId ?? 'null', isLatest: m.IsLatest === true, deleteMarker: true });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.NextVersionIdMarker;
  } while (keyMarker);
  return versions;
}

/** The keys of a zone an erasure must look at: every object, and on a versioned bucket every key with any version. */
export async function zoneKeys(bucket: string, prefix: string, versioned: boolean): Promise<string[]> {
  const keys = versioned ? (await listVersions(bucket, prefix)).map((v) => v.key) : (await listObjects(bucket, prefix)).map((o) => o.key);
  return [...new Set(keys)].sort();
}

const getVersion = async (bucket: string, key: string, versionId?: string) => {
  const response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  return { bytes: Buffer.from(await response.Body!.transformToByteArray()), contentType: response.ContentType };
};

export interface KeyErasure {
  key: string;
  rows: number;
  removed: number;
  rewritten: boolean;
  versionsDeleted: number;
}

/**
 * One key: its current object rewritten without the subject's rows (same key, same content type); then, on a
 * versioned bucket, each older version that holds any of the subject's rows (the one just replaced among them)
 * deleted by version id. With `dryRun`, counts only.
 */
export async function eraseKey(bucket: string, key: string, matcher: LineMatcher, options: { dryRun: boolean; versioned: boolean }): Promise<KeyErasure> {
  const versions = options.versioned ? (await listVersions(bucket, key)).filter((v) => v.key === key) : [];
  const current = options.versioned ? versions.find((v) => v.isLatest) : { key, versionId: 'null', isLatest: true, deleteMarker: false };
  const result: KeyErasure = { key, rows: 0, removed: 0, rewritten: false, versionsDeleted: 0 };
  let written: string | undefined;
  if (current && !current.deleteMarker) {
    const { bytes, contentType } = await getVersion(bucket, key);
    const erased = eraseFromObject(bytes, matcher);
    Object.assign(result, { rows: erased.rows, removed: erased.removed });
    if (erased.bytes && !options.dryRun) {
      const put = await s3Client().send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: erased.bytes, ...(contentType ? { ContentType: contentType } : {}) }),
      );
      written = put.VersionId;
      result.rewritten = true;
    } else if (erased.bytes) result.rewritten = true;
  }
  for (const version of versions) {
    if (version.deleteMarker || version.versionId === written || (version.isLatest && !result.rewritten)) continue;
    // The version that was current until the rewrite holds the rows just removed; older ones are read to know.
    const holds = version.isLatest || eraseFromObject((await getVersion(bucket, key, version.versionId)).bytes, matcher).removed > 0;
    if (!holds) continue;
    if (!options.dryRun) await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version.versionId }));
    result.versionsDeleted++;
  }
  return result;
}

/**
 * The curated and feature partitions of the subject's dates deleted, every version: both zones are derived (glue/
 * curated.sql and glue/features.sql over raw/), so they are not edited but rebuilt — by the next training run,
 * which compacts and computes them again from the erased raw zone, and replaces the flagged models.
 */
export async function deleteDerivedPartitions(bucket: string, dates: readonly string[], options: { dryRun: boolean; versioned: boolean }): Promise<string[]> {
  const deleted: string[] = [];
  for (const zone of [CURATED_PREFIX, FEATURES_PREFIX]) {
    for (const date of [...dates].sort()) {
      const prefix = `${zone}dt=${date}/`;
      const targets = options.versioned
        ? (await listVersions(bucket, prefix)).map((v) => ({ key: v.key, versionId: v.versionId }))
        : (await listObjects(bucket, prefix)).map((o) => ({ key: o.key, versionId: undefined }));
      for (const { key, versionId } of targets) {
        if (!options.dryRun) await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
        if (!deleted.includes(key)) deleted.push(key);
      }
    }
  }
  return deleted;
}

/**
 * The training channels (SageMaker's input: a run's features as libsvm, no ids) of every run whose sessions came
 * from the subject's dates, deleted with their manifest, every version: the run is over and its model flagged.
 */
export async function deleteTrainingChannels(bucket: string, dates: readonly string[], options: { dryRun: boolean; versioned: boolean }): Promise<string[]> {
  const erased = new Set(dates.map((d) => `dt=${d}`));
  const deleted: string[] = [];
  const manifests = (await listObjects(bucket, TRAINING_PREFIX)).filter((o) => o.key.endsWith('/channels/manifest.json'));
  for (const { key } of manifests) {
    const manifest = JSON.parse((await getObjectBytes(bucket, key)).toString('utf8')) as ChannelsManifest;
    if (!manifest.partitions.some((p) => erased.has(p))) continue;
    const prefix = key.slice(0, -'manifest.json'.length);
    const targets = options.versioned
      ? (await listVersions(bucket, prefix)).map((v) => ({ key: v.key, versionId: v.versionId }))
      : (await listObjects(bucket, prefix)).map((o) => ({ key: o.key, versionId: undefined }));
    for (const target of targets) {
      if (!options.dryRun)
        await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: target.key, ...(target.versionId ? { VersionId: target.versionId } : {}) }));
      if (!deleted.includes(target.key)) deleted.push(target.key);
    }
  }
  return deleted;
}

/**
 * The captured predictions of the subject's sessions (`sessions`: their ids' SHA-256 digests) out of predictions/:
 * the objects of the subject's dates and the day after each (a session is scored while it is live), each rewritten
 * without those rows like any erased object (older versions holding them deleted).
 */
export async function erasePredictions(
  bucket: string,
  dates: readonly string[],
  sessions: readonly string[],
  options: { dryRun: boolean; versioned: boolean },
): Promise<{ removed: number; rewritten: string[] }> {
  const result = { removed: 0, rewritten: [] as string[] };
  if (sessions.length === 0) return result;
  const matcher = new SessionMatcher(new Set(sessions));
  const days = new Set(dates.flatMap((date) => [date, new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)]));
  for (const day of [...days].sort()) {
    for (const key of await zoneKeys(bucket, `${PREDICTIONS_PREFIX}dt=${day}/`, options.versioned)) {
      const erased = await eraseKey(bucket, key, matcher, options);
      result.removed += erased.removed;
      if (erased.rewritten) result.rewritten.push(key);
    }
  }
  return result;
}

/** The subject's event ids out of the dedup table (keyed by event_id); returns how many were asked for. */
export async function deleteDedupItems(tableName: string, eventIds: readonly string[], dryRun: boolean): Promise<number> {
  if (!dryRun) await forgetEventIds(tableName, eventIds);
  return eventIds.length;
}

/** Flags every model version trained on a partition of the subject's dates; returns them. */
export async function flagModels(
  tableName: string,
  dates: readonly string[],
  flag: { erasure_id: string; at: string },
  dryRun: boolean,
): Promise<{ model_name: string; version: string }[]> {
  const hit = modelsTrainedOn(await scanTrainedOn(tableName), new Set(dates));
  for (const v of hit) {
    const partitions = v.partitions.filter((p) => dates.includes(p.replace(/^dt=/, '')));
    if (!dryRun) await flagVersionForErasure(tableName, v.model_name, v.version, { ...flag, partitions });
  }
  return hit.map(({ model_name, version }) => ({ model_name, version }));
}

export async function putReceipt(bucket: string, receipt: ErasureReceipt): Promise<string> {
  const key = `${ERASURE_AUDIT_PREFIX}${receipt.erasure_id}.json`;
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(receipt, null, 2), ContentType: 'application/json' }));
  return key;
}
