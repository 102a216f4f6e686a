import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rawInputColumns, renderSql, sqlString } from '#domain/features/sql';

const FEATURES_SQL = path.resolve(__dirname, '..', '..', 'glue', 'features.sql');

/**
 * Runs glue/features.sql on DuckDB over newline-delimited JSON files (plain or .gz) of raw events,
 * leaving the result in a table `features` for `use`.
 */
export async function withDuckdbFeatures<T>(files: readonly string[], use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const columns = `{${Object.entries(rawInputColumns('duckdb'))
      .map(([k, v]) => `${k}: ${sqlString(v)}`)
      .join(', ')}}`;
    await connection.run(
      `CREATE VIEW events AS SELECT * FROM read_json([${files.map(sqlString).join(', ')}], format = 'newline_delimited', columns = ${columns})`,
    );
    await connection.run(`CREATE TABLE features AS ${renderSql(readFileSync(FEATURES_SQL, 'utf8'), 'duckdb')}`);
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The feature rows themselves (tests, small ranges). */
export const duckdbFeatures = (files: readonly string[]): Promise<Record<string, unknown>[]> =>
  withDuckdbFeatures(
    files,
    async (connection) => (await connection.runAndReadAll('SELECT * FROM features ORDER BY session_id')).getRowObjectsJS() as Record<string, unknown>[],
  );
