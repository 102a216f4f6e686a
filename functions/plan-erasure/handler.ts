import { bucketVersioning, zoneKeys } from '#adapters/erasure';
import { putObject } from '#adapters/s3';
import { ERASURE_MANIFEST_PREFIX, ErasureRequestError, newErasureId, type ErasureSubject } from '#domain/erasure';
import { ERASED_ZONES } from '#domain/lake';
import { erasureConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = erasureConfig();

/** The erasure state machine's input (what `npm run erase` starts it with): the subject as digests, never the id. */
export interface ErasureRequest extends ErasureSubject {
  dry_run: boolean;
}

/**
 * The erasure state machine's first step: an id for the erasure, whether the bucket keeps versions, and the
 * manifest of every key of the zones that hold events (raw/, bad/, errors/) for the Distributed Map.
 */
const planErasure = async (request: ErasureRequest) => {
  if (!['user_id', 'anonymous_id'].includes(request.field) || !Array.isArray(request.sha256) || request.sha256.some((d) => !/^[0-9a-f]{64}$/.test(d)))
    throw new ErasureRequestError(
      'The input needs "field" (user_id or anonymous_id) and "sha256" (SHA-256 hex digests of the stored id); npm run erase makes them.',
    );
  const requestedAt = new Date();
  const erasureId = newErasureId(requestedAt);
  const versioning = (await bucketVersioning(config.lakeBucketName)) ?? 'never enabled';
  const versioned = versioning !== 'never enabled';
  const keys: string[] = [];
  for (const prefix of ERASED_ZONES) keys.push(...(await zoneKeys(config.lakeBucketName, prefix, versioned)));
  const manifestKey = `${ERASURE_MANIFEST_PREFIX}${erasureId}.json`;
  await putObject(config.lakeBucketName, manifestKey, JSON.stringify(keys.map((Key) => ({ Key }))));
  logger.info('erasure planned', { erasureId, objects: keys.length, versioned, dryRun: request.dry_run });
  return { erasure_id: erasureId, requested_at: requestedAt.toISOString(), manifest_key: manifestKey, objects: keys.length, versioned, versioning };
};

export const handler = lambdaHandler(planErasure);
