import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listObjects, stageObjects } from '#adapters/s3';
import { sqlString } from '#domain/features/sql';
import { datesBetween, FEATURES_PREFIX, LAKE_PREFIXES } from '#domain/lake';
import { RAW_COLUMNS } from './glue/crawler';

/**
 * Athena's stand-in for `npm run query`: DuckDB over the lake's objects of a date range, staged through the S3
 * client (DuckDB has no httpfs here). Tables: `events` (the raw zone, every column of every contract version and
 * what ingest adds), `bad_rows` (the bad zone) and `features` (the feature partitions). The views of
 * queries/views/ (queries/views.ts) run on them as Athena runs them, rendered for DuckDB.
 */

/** Glue/Hive types (what the crawler records) as DuckDB types. */
function duckdbType(glue: string): string {
  const struct = /^struct<(.*)>$/.exec(glue);
  if (!struct) return { double: 'DOUBLE', bigint: 'BIGINT', boolean: 'BOOLEAN' }[glue] ?? 'VARCHAR';
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  const body = struct[1]!;
  for (let i = 0; i <= body.length; i++) {
    const c = body[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if ((c === ',' && depth === 0) || i === body.length) {
      const field = body.slice(start, i);
      const colon = field.indexOf(':');
      fields.push(`"${field.slice(0, colon)}" ${duckdbType(field.slice(colon + 1))}`);
      start = i + 1;
    }
  }
  return `STRUCT(${fields.join(', ')})`;
}

const EVENT_COLUMNS = Object.fromEntries(RAW_COLUMNS.map((c) => [c.Name, duckdbType(c.Type)]));
const BAD_ROW_COLUMNS: Record<string, string> = {
  schema: 'VARCHAR',
  type: 'VARCHAR',
  failed_at: 'VARCHAR',
  errors: 'STRUCT(path VARCHAR, message VARCHAR)[]',
  payload_base64: 'VARCHAR',
  payload_truncated: 'BOOLEAN',
  event_id: 'VARCHAR',
  received_at: 'VARCHAR',
  source: 'STRUCT(stream VARCHAR, partition_key VARCHAR, sequence_number VARCHAR, approximate_arrival VARCHAR, event_index BIGINT)',
};

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  staged: { raw: number; bad: number; features: number };
}

async function createTable(connection: DuckDBConnection, name: string, columns: Record<string, string>, files: readonly string[]) {
  const spec = Object.entries(columns);
  await connection.run(`CREATE TABLE ${name} (${spec.map(([c, t]) => `"${c}" ${t}`).join(', ')})`);
  if (files.length === 0) return;
  const columnsArg = `{${spec.map(([c, t]) => `${sqlString(c)}: ${sqlString(t)}`).join(', ')}}`;
  await connection.run(
    `INSERT INTO ${name} SELECT * FROM read_json([${files.map(sqlString).join(', ')}], format = 'newline_delimited', columns = ${columnsArg})`,
  );
}

/** BIGINTs (counts) as numbers, so results print and serialize as JSON. */
const plain = (value: unknown): unknown => (typeof value === 'bigint' ? Number(value) : value);

/** Runs `sql` (DuckDB dialect) over the lake's objects of [from, to] (inclusive UTC dates). */
export async function queryLake(bucket: string, sql: string, range: { from: string; to: string }): Promise<QueryResult> {
  const dates = datesBetween(range.from, range.to);
  const keys = async (prefix: string) => (await Promise.all(dates.map((dt) => listObjects(bucket, `${prefix}dt=${dt}/`)))).flat().map((o) => o.key);
  const [raw, bad, features] = await Promise.all([keys(LAKE_PREFIXES.raw), keys(LAKE_PREFIXES.bad), keys(FEATURES_PREFIX)]);
  const work = mkdtempSync(path.join(os.tmpdir(), 'query-'));
  const jsonName = (zone: string) => (key: string, i: number) => `${zone}-${i}${key.endsWith('.gz') ? '.json.gz' : '.json'}`;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const [rawFiles, badFiles, featureFiles] = await Promise.all([
      stageObjects(bucket, raw, work, jsonName('raw')),
      stageObjects(bucket, bad, work, jsonName('bad')),
      // The dt=… folder kept, so hive partitioning restores the column.
      stageObjects(bucket, features, work, (key) => path.join('features', key.slice(FEATURES_PREFIX.length))),
    ]);
    await createTable(connection, 'events', EVENT_COLUMNS, rawFiles);
    await createTable(connection, 'bad_rows', BAD_ROW_COLUMNS, badFiles);
    if (featureFiles.length > 0)
      await connection.run(`CREATE VIEW features AS SELECT * FROM read_parquet([${featureFiles.map(sqlString).join(', ')}], hive_partitioning = true)`);
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    return { columns, rows, staged: { raw: raw.length, bad: bad.length, features: features.length } };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}
