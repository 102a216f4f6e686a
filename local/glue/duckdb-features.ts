import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rawInputColumns, renderSql, sqlString } from '#domain/features/sql';

const GLUE_DIR = path.resolve(__dirname, '..', '..', 'glue');
const sql = (file: string) => renderSql(readFileSync(path.join(GLUE_DIR, file), 'utf8'), 'duckdb');
const list = (files: readonly string[]) => `[${files.map(sqlString).join(', ')}]`;

/** glue/channels.sql for DuckDB (reads a view `run_features`). */
export const channelsSql = () => sql('channels.sql');

async function withDuckdb<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** glue/curated.sql over raw files (newline-delimited JSON, plain or .gz), into a table `curated`. */
async function curate(connection: DuckDBConnection, rawFiles: readonly string[]): Promise<void> {
  const columns = `{${Object.entries(rawInputColumns('duckdb'))
    .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
    .join(', ')}}`;
  await connection.run(`CREATE VIEW events AS SELECT * FROM read_json(${list(rawFiles)}, format = 'newline_delimited', columns = ${columns})`);
  await connection.run(`CREATE TABLE curated AS ${sql('curated.sql')}`);
}

/** The curated job's DuckDB: raw files → a table `curated`, for `use`. */
export const withDuckdbCurated = <T>(rawFiles: readonly string[], use: (connection: DuckDBConnection) => Promise<T>): Promise<T> =>
  withDuckdb(async (connection) => {
    await curate(connection, rawFiles);
    return use(connection);
  });

/** The features job's DuckDB: glue/features.sql over curated Parquet files, into a table `features`, for `use`. */
export const withDuckdbFeatures = <T>(curatedFiles: readonly string[], use: (connection: DuckDBConnection) => Promise<T>): Promise<T> =>
  withDuckdb(async (connection) => {
    await connection.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${list(curatedFiles)}, hive_partitioning = false)`);
    await connection.run(`CREATE TABLE features AS ${sql('features.sql')}`);
    return use(connection);
  });

/** Raw files → curated → a table `features`, in memory, for `use`: both SQL files as the two jobs run them (tests, benchmarks). */
export const withDuckdbRawFeatures = <T>(rawFiles: readonly string[], use: (connection: DuckDBConnection) => Promise<T>): Promise<T> =>
  withDuckdb(async (connection) => {
    await curate(connection, rawFiles);
    // features.sql reads `events`: now the curated rows, not the raw ones.
    await connection.run('DROP VIEW events');
    await connection.run('CREATE VIEW events AS SELECT * FROM curated');
    await connection.run(`CREATE TABLE features AS ${sql('features.sql')}`);
    return use(connection);
  });

/** The feature rows of raw files (tests, small ranges). */
export const duckdbFeatures = (rawFiles: readonly string[]): Promise<Record<string, unknown>[]> =>
  withDuckdbRawFeatures(
    rawFiles,
    async (connection) => (await connection.runAndReadAll('SELECT * FROM features ORDER BY session_id')).getRowObjectsJS() as Record<string, unknown>[],
  );
