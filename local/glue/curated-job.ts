import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { listObjects, s3Client, stageObjects, uploadFile } from '#adapters/s3';
import { sqlString } from '#domain/features/sql';
import { CURATED_PREFIX, datesBetween, LAKE_PREFIXES } from '#domain/lake';
import { withDuckdbCurated } from './duckdb-features';

export interface CuratedJobResult {
  /** The dates compacted: the range asked for and the day before it (the features job reads that day too). */
  from: string;
  to: string;
  inputObjects: number;
  inputRows: number;
  events: number;
  partitions: { dt: string; keys: string[]; events: number }[];
  seconds: number;
}

/** The day before `date` (YYYY-MM-DD). */
export const dayBefore = (date: string): string => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * The Glue compaction job, run locally: glue/curated.sql on DuckDB over the raw partitions of [from − 1 day, to],
 * written as Parquet, one object per date under curated/clickstream/dt=…/ (rows ordered by event_id). A re-run
 * replaces each date's objects — the same rows in the same order — and a date left without events loses its
 * objects. Lake objects are staged through the S3 client (DuckDB has no httpfs here).
 */
export async function runCuratedJob(bucket: string, from: string, to: string, log: (line: string) => void = () => undefined): Promise<CuratedJobResult> {
  const started = performance.now();
  const first = dayBefore(from);
  const dates = datesBetween(first, to);
  const work = mkdtempSync(path.join(os.tmpdir(), 'curated-job-'));
  try {
    const keys: string[] = [];
    for (const dt of dates) for (const o of await listObjects(bucket, `${LAKE_PREFIXES.raw}dt=${dt}/`)) keys.push(o.key);
    log(`compacting ${keys.length} raw objects (${first} … ${to})`);
    const files = await stageObjects(bucket, keys, work, (key, i) => `raw-${i}${key.endsWith('.gz') ? '.json.gz' : '.json'}`);
    const out = path.join(work, 'out');
    const counts = new Map<string, number>();
    let inputRows = 0;
    if (files.length > 0) {
      await withDuckdbCurated(files, async (connection) => {
        inputRows = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]!.n);
        // One thread: the same input gives the same Parquet bytes, row for row.
        await connection.run('SET threads = 1');
        await connection.run(`COPY (SELECT * FROM curated ORDER BY dt, event_id) TO ${sqlString(out)} (FORMAT PARQUET, PARTITION_BY (dt))`);
        for (const row of (await connection.runAndReadAll('SELECT dt, count(*) AS n FROM curated GROUP BY dt')).getRowObjectsJS())
          counts.set(String(row.dt), Number(row.n));
      });
    }
    const partitions: CuratedJobResult['partitions'] = [];
    for (const dt of dates) {
      const prefix = `${CURATED_PREFIX}dt=${dt}/`;
      for (const { key } of await listObjects(bucket, prefix)) await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      if (!counts.has(dt)) continue;
      const dir = path.join(out, `dt=${dt}`);
      const keys: string[] = [];
      for (const [i, file] of readdirSync(dir).sort().entries()) {
        const key = `${prefix}part-${String(i).padStart(5, '0')}.parquet`;
        await uploadFile(bucket, key, path.join(dir, file), 'application/vnd.apache.parquet');
        keys.push(key);
        log(`wrote s3://${bucket}/${key}`);
      }
      partitions.push({ dt, keys, events: counts.get(dt)! });
    }
    const events = [...counts.values()].reduce((a, b) => a + b, 0);
    return { from: first, to, inputObjects: keys.length, inputRows, events, partitions, seconds: (performance.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
