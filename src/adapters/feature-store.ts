import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { FeatureRow } from '../domain/model/training-run';
import { sqlString } from '../domain/features/sql';
import { datesBetween, FEATURES_PREFIX } from '../domain/lake';
import { s3Client } from '../shared/aws-clients';
import { ClickstreamError } from '../shared/errors';
import { listObjects, stageObjects } from './s3';

/** Reads the Parquet feature partitions of [from, to] (inclusive dates) from the lake. */
export async function readFeatureRows(bucket: string, from: string, to: string): Promise<{ rows: FeatureRow[]; partitions: string[] }> {
  const keys: string[] = [];
  for (const dt of datesBetween(from, to)) for (const o of await listObjects(bucket, `${FEATURES_PREFIX}dt=${dt}/`)) keys.push(o.key);
  if (keys.length === 0) return { rows: [], partitions: [] };
  const work = mkdtempSync(path.join(os.tmpdir(), 'features-'));
  try {
    // Keep the dt=… folder in the local path so DuckDB's hive partitioning restores the column.
    const files = await stageObjects(bucket, keys, work, (key) => key.slice(FEATURES_PREFIX.length));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const list = files.map(sqlString).join(', ');
      const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet([${list}], hive_partitioning = true) ORDER BY dt, session_id`);
      const rows = reader.getRowObjectsJS().map((r) => ({ ...r, dt: String(r.dt) })) as unknown as FeatureRow[];
      return { rows, partitions: [...new Set(keys.map((k) => k.slice(FEATURES_PREFIX.length).split('/')[0]!))] };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

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
