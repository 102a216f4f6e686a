import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FEATURE_NAMES } from '#domain/features/spec';
import { allocateTable, type FeatureTable } from '#domain/model/feature-table';
import { sqlString } from '#domain/features/sql';
import { datesBetween, FEATURES_PREFIX } from '#domain/lake';
import { listObjects, stageObjects } from './s3';

/**
 * Reads the Parquet feature partitions of [from, to] (inclusive dates) from the lake into a feature table: DuckDB's
 * result streamed chunk by chunk (2,048 rows) straight into typed arrays, never a JS object per session.
 */
export async function readFeatureTable(bucket: string, from: string, to: string): Promise<{ table: FeatureTable; partitions: string[] }> {
  const keys: string[] = [];
  for (const dt of datesBetween(from, to)) for (const o of await listObjects(bucket, `${FEATURES_PREFIX}dt=${dt}/`)) keys.push(o.key);
  if (keys.length === 0) return { table: allocateTable(0), partitions: [] };
  const work = mkdtempSync(path.join(os.tmpdir(), 'features-'));
  try {
    // Keep the dt=… folder in the local path so DuckDB's hive partitioning restores the column.
    const files = await stageObjects(bucket, keys, work, (key) => key.slice(FEATURES_PREFIX.length));
    return { table: await readParquetFeatures(files), partitions: [...new Set(keys.map((k) => k.slice(FEATURES_PREFIX.length).split('/')[0]!))] };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Parquet feature files (under dt=… folders, or with a dt column) into a feature table, streamed chunk by chunk. */
export async function readParquetFeatures(files: readonly string[]): Promise<FeatureTable> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const source = `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true)`;
    const count = Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM ${source}`)).getRowObjectsJS()[0]!.n);
    const table = allocateTable(count);
    const features = FEATURE_NAMES.map((name) => table.columns[name]);
    const result = await connection.stream(
      `SELECT session_id, dt::VARCHAR AS dt, CAST(label AS INTEGER) AS label, ${FEATURE_NAMES.map((n) => `CAST(${n} AS DOUBLE) AS ${n}`).join(', ')} FROM ${source} ORDER BY dt, session_id`,
    );
    const dts = new Map<string, string>();
    let row = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const [ids, days, labels, ...values] = chunk.getColumns();
      for (let i = 0; i < chunk.rowCount; i++, row++) {
        table.sessionIds[row] = String(ids![i]);
        const dt = String(days![i]);
        table.dts[row] = dts.get(dt) ?? (dts.set(dt, dt), dt);
        table.labels[row] = labels![i] === 1 ? 1 : 0;
        for (let j = 0; j < features.length; j++) {
          const v = values[j]![i];
          features[j]![row] = typeof v === 'number' ? v : Number.NaN;
        }
      }
    }
    return table;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
