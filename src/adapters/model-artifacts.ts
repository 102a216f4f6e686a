import { createHash } from 'node:crypto';
import { ClickstreamError } from '#shared/errors';

/**
 * Model artifacts (JSON) in S3, written with their SHA-256 and verified against it on every load. Small ones
 * also travel inline in the registry item (a model version is read in one GetItem); DynamoDB items stop at
 * 400 KB, so larger artifacts are loaded from S3 by pointer.
 */
export const INLINE_ARTIFACT_MAX_BYTES = 64 * 1024;

// Loaded on first use: predict reads most artifacts inline, and the S3 client is a quarter of its start-up.
const s3 = () => import('./s3');

export interface ArtifactLocation {
  uri: string;
  sha256: string;
  bytes: number;
  /** The artifact's exact JSON text, when it is at most INLINE_ARTIFACT_MAX_BYTES. */
  inline?: string;
}

/** Writes a model artifact and returns where it is, its SHA-256 (which loaders verify) and, if small, itself. */
export async function putArtifact(bucket: string, key: string, artifact: unknown): Promise<ArtifactLocation> {
  const text = JSON.stringify(artifact);
  const body = Buffer.from(text);
  const sha256 = createHash('sha256').update(body).digest('hex');
  await (await s3()).putObject(bucket, key, body, 'application/json', { sha256 });
  return { uri: `s3://${bucket}/${key}`, sha256, bytes: body.length, ...(body.length <= INLINE_ARTIFACT_MAX_BYTES ? { inline: text } : {}) };
}

/** The artifact is missing, or its bytes do not match the checksum the registry recorded. */
export class ArtifactIntegrityError extends ClickstreamError {}

/** Reads a model artifact written by putArtifact (inline if it is, else from S3), verifying its SHA-256 before anything uses it. */
export async function getArtifact(location: { uri: string; sha256: string; inline?: string }): Promise<unknown> {
  if (location.inline !== undefined) {
    const sha256 = createHash('sha256').update(location.inline, 'utf8').digest('hex');
    if (sha256 !== location.sha256)
      throw new ArtifactIntegrityError(
        `The inline artifact of ${location.uri} has SHA-256 ${sha256}, the registry recorded ${location.sha256}; refusing to load it.`,
      );
    return JSON.parse(location.inline) as unknown;
  }
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location.uri);
  if (!match) throw new ArtifactIntegrityError(`Artifact location ${location.uri} is not an s3:// URI.`);
  let body: Buffer;
  try {
    body = await (await s3()).getObjectBytes(match[1]!, match[2]!);
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') throw new ArtifactIntegrityError(`Artifact ${location.uri} does not exist.`, { cause: error });
    throw error;
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== location.sha256)
    throw new ArtifactIntegrityError(`Artifact ${location.uri} has SHA-256 ${sha256}, the registry recorded ${location.sha256}; refusing to load it.`);
  return JSON.parse(body.toString('utf8')) as unknown;
}
