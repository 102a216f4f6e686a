import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { s3Client } from '../shared/aws-clients';
import { ClickstreamError } from '../shared/errors';

/** Model artifacts in S3 (JSON), written with their SHA-256 and verified against it on every load. */

/** Writes a model artifact (JSON) and returns where it is and its SHA-256, which loaders verify. */
export async function putArtifact(bucket: string, key: string, artifact: unknown): Promise<{ uri: string; sha256: string; bytes: number }> {
  const body = Buffer.from(JSON.stringify(artifact));
  const sha256 = createHash('sha256').update(body).digest('hex');
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', Metadata: { sha256 } }));
  return { uri: `s3://${bucket}/${key}`, sha256, bytes: body.length };
}

/** The artifact is missing, or its bytes do not match the checksum the registry recorded. */
export class ArtifactIntegrityError extends ClickstreamError {}

/** Reads a model artifact written by putArtifact, verifying its SHA-256 before anything uses it. */
export async function getArtifact(location: { uri: string; sha256: string }): Promise<unknown> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location.uri);
  if (!match) throw new ArtifactIntegrityError(`Artifact location ${location.uri} is not an s3:// URI.`);
  let body: Buffer;
  try {
    const response = await s3Client().send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    body = Buffer.from(await response.Body!.transformToByteArray());
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') throw new ArtifactIntegrityError(`Artifact ${location.uri} does not exist.`, { cause: error });
    throw error;
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== location.sha256) throw new ArtifactIntegrityError(`Artifact ${location.uri} has SHA-256 ${sha256}, the registry recorded ${location.sha256}; refusing to load it.`);
  return JSON.parse(body.toString('utf8')) as unknown;
}
