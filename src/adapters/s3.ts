import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { cachedClient } from '#shared/aws-clients';
import { exists } from './exists';

const gunzipAsync = promisify(gunzip);

export function s3Client(): S3Client {
  return cachedClient(
    'S3',
    (config) =>
      new S3Client({
        ...config,
        // Custom endpoints seldom have wildcard DNS for virtual-hosted buckets.
        forcePathStyle: config.endpoint !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
  );
}

export interface LakeObject {
  key: string;
  size: number;
}

export async function listObjects(bucket: string, prefix: string): Promise<LakeObject[]> {
  const objects: LakeObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) objects.push({ key: o.Key!, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export async function getObjectBytes(bucket: string, key: string): Promise<Buffer> {
  const response = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/**
 * Reads a Firehose object: newline-delimited JSON, gunzipped when it is gzip (by its first bytes, not its name: the
 * raw stream's FileExtension ".gz" may name error output too, which Firehose writes as plain JSON).
 */
export async function readJsonLines<T = unknown>(bucket: string, key: string): Promise<T[]> {
  return (await readLines(bucket, key)).map((line) => JSON.parse(line) as T);
}

/** A Firehose object's non-empty lines, unparsed (gunzipped when it is gzip, as `readJsonLines`). */
export async function readLines(bucket: string, key: string): Promise<string[]> {
  const bytes = await getObjectBytes(bucket, key);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : bytes).toString('utf8');
  return text.split('\n').filter((line) => line.length > 0);
}

/** Downloads an object to a local file (for engines that read files: DuckDB stands in for Glue locally). */
export async function downloadObject(bucket: string, key: string, file: string): Promise<void> {
  const bytes = await getObjectBytes(bucket, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** Downloads objects into `dir`, each at the path `fileFor` gives it; returns the files in key order. */
export function stageObjects(bucket: string, keys: readonly string[], dir: string, fileFor: (key: string, index: number) => string): Promise<string[]> {
  return Promise.all(
    keys.map(async (key, i) => {
      const file = path.join(dir, fileFor(key, i));
      await downloadObject(bucket, key, file);
      return file;
    }),
  );
}

export async function uploadFile(bucket: string, key: string, file: string, contentType?: string): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file), ...(contentType ? { ContentType: contentType } : {}) }));
}

/** Whether the bucket exists and can be read. */
export function bucketExists(bucket: string): Promise<boolean> {
  return exists(
    () => s3Client().send(new HeadBucketCommand({ Bucket: bucket })),
    (e) => e.$metadata?.httpStatusCode === 404 || e.name === 'NotFound',
  );
}

export async function putObject(
  bucket: string,
  key: string,
  body: string | Uint8Array,
  contentType = 'application/json',
  metadata?: Record<string, string>,
): Promise<void> {
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ...(metadata ? { Metadata: metadata } : {}) }));
}
