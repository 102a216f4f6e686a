import { DuckDBInstance } from '@duckdb/node-api';
import { withDuckdbFeatures } from '../local/glue/duckdb-features';
import { FEATURE_NAMES } from '#domain/features/spec';
import { sqlString } from '#domain/features/sql';
import { trainPurchasePropensity, type FeatureRow } from '#domain/model/training-run';

/**
 * One training-benchmark run in a fresh process (so its peak RSS is its own), over a file of raw lake rows:
 *   training-probe.ts features FILE   → {features_s, fit_s, sessions, rss_mb}: glue/features.sql on DuckDB, then both trainers
 *   training-probe.ts baseline FILE   → {seconds}: DuckDB count(*) GROUP BY session_id over the same file
 */
async function main(mode: string, file: string): Promise<unknown> {
  if (mode === 'baseline') {
    const started = performance.now();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.runAndReadAll(
      `SELECT session_id, count(*) FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {session_id: 'VARCHAR'}) GROUP BY session_id`,
    );
    connection.closeSync();
    instance.closeSync();
    return { seconds: (performance.now() - started) / 1000 };
  }
  const started = performance.now();
  const rows = await withDuckdbFeatures([file], async (connection) => {
    const select = `SELECT session_id, dt::VARCHAR AS dt, ${FEATURE_NAMES.map((n) => `CAST(${n} AS DOUBLE) AS ${n}`).join(', ')}, CAST(label AS INTEGER) AS label FROM features`;
    return (await connection.runAndReadAll(select)).getRowObjectsJS() as unknown as FeatureRow[];
  });
  const featuresSeconds = (performance.now() - started) / 1000;
  const fitStarted = performance.now();
  trainPurchasePropensity(rows);
  return { features_s: featuresSeconds, fit_s: (performance.now() - fitStarted) / 1000, sessions: rows.length, rss_mb: process.resourceUsage().maxRSS / 1024 };
}

main(process.argv[2] ?? '', process.argv[3] ?? '').then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
