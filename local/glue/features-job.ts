import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listObjects, stageObjects, uploadFile } from '#adapters/s3';
import { FEATURE_NAMES } from '#domain/features/spec';
import { CURATED_PREFIX, datesBetween, FEATURES_PREFIX } from '#domain/lake';
import { sqlString } from '#domain/features/sql';
import { dayBefore } from './curated-job';
import { withDuckdbFeatures } from './duckdb-features';

export interface FeaturesJobResult {
  from: string;
  to: string;
  inputObjects: number;
  sessions: number;
  positives: number;
  partitions: { dt: string; key: string }[];
}

/**
 * The Glue ETL job, run locally: glue/features.sql on DuckDB over the curated partitions of [from, to]
 * (plus the day before, so sessions that cross midnight are whole; the compaction job writes them first), as
 * Parquet, one partition per session start date, under features/purchase-propensity/dt=…/ (features as DOUBLE,
 * label as INTEGER). Lake objects are staged through the S3 client (DuckDB has no httpfs here). A re-run replaces
 * its partitions.
 */
export async function runFeaturesJob(bucket: string, from: string, to: string, log: (line: string) => void = () => undefined): Promise<FeaturesJobResult> {
  const first = dayBefore(from);
  const work = mkdtempSync(path.join(os.tmpdir(), 'features-job-'));
  try {
    const keys: string[] = [];
    for (const dt of datesBetween(first, to)) for (const o of await listObjects(bucket, `${CURATED_PREFIX}dt=${dt}/`)) keys.push(o.key);
    log(`reading ${keys.length} curated objects (${first} … ${to})`);
    if (keys.length === 0) return { from, to, inputObjects: 0, sessions: 0, positives: 0, partitions: [] };
    const files = await stageObjects(bucket, keys, work, (_, i) => `curated-${i}.parquet`);
    const out = path.join(work, 'out');
    const counts = await withDuckdbFeatures(files, async (connection) => {
      const select = `SELECT session_id, ${FEATURE_NAMES.map((n) => `CAST(${n} AS DOUBLE) AS ${n}`).join(', ')}, CAST(label AS INTEGER) AS label, dt FROM features WHERE dt BETWEEN ${sqlString(from)} AND ${sqlString(to)}`;
      await connection.run(`COPY (${select} ORDER BY dt, session_id) TO ${sqlString(out)} (FORMAT PARQUET, PARTITION_BY (dt))`);
      const [row] = (await connection.runAndReadAll(`SELECT count(*) AS sessions, coalesce(sum(label), 0) AS positives FROM (${select})`)).getRowObjectsJS();
      return { sessions: Number(row!.sessions), positives: Number(row!.positives) };
    });
    const partitions: FeaturesJobResult['partitions'] = [];
    for (const dir of readdirSync(out).sort()) {
      for (const [i, file] of readdirSync(path.join(out, dir)).sort().entries()) {
        const key = `${FEATURES_PREFIX}${dir}/part-${String(i).padStart(5, '0')}.parquet`;
        await uploadFile(bucket, key, path.join(out, dir, file), 'application/vnd.apache.parquet');
        partitions.push({ dt: dir.replace('dt=', ''), key });
        log(`wrote s3://${bucket}/${key}`);
      }
    }
    return { from, to, inputObjects: keys.length, ...counts, partitions };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
