import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FeatureRow } from '#domain/model/training-run';
import { sqlString } from '#domain/features/sql';
import { datesBetween, FEATURES_PREFIX } from '#domain/lake';
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
