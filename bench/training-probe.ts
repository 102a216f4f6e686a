import { DuckDBInstance } from '@duckdb/node-api';
import { withDuckdbRawFeatures } from '../local/glue/duckdb-features';
import { sqlString } from '#domain/features/sql';
import { readParquetFeatures } from '#adapters/feature-store';
import { trainPurchasePropensity } from '#domain/model/training-run';

/**
 * One training-benchmark step in a fresh process (so its peak RSS is its own), as production splits them — Glue
 * computes the features, the Batch trainer reads their Parquet and fits:
 *   training-probe.ts features FILE OUT.parquet → {features_s, sessions, rss_mb}: glue/curated.sql and glue/features.sql on DuckDB over raw lake rows
 *   training-probe.ts fit OUT.parquet           → {fit_s, sessions, rss_mb}: the trainer's read of the Parquet, then both trainers
 *   training-probe.ts baseline FILE             → {seconds}: DuckDB count(*) GROUP BY session_id over the raw rows
 */
async function main(mode: string, file: string, out: string): Promise<unknown> {
  const started = performance.now();
  const rss = () => process.resourceUsage().maxRSS / 1024;
  if (mode === 'baseline') {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.runAndReadAll(
      `SELECT session_id, count(*) FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {session_id: 'VARCHAR'}) GROUP BY session_id`,
    );
    connection.closeSync();
    instance.closeSync();
    return { seconds: (performance.now() - started) / 1000 };
  }
  if (mode === 'features') {
    const sessions = await withDuckdbRawFeatures([file], async (connection) => {
      await connection.run(`COPY features TO ${sqlString(out)} (FORMAT PARQUET)`);
      return Number((await connection.runAndReadAll('SELECT count(*) AS n FROM features')).getRowObjectsJS()[0]!.n);
    });
    return { features_s: (performance.now() - started) / 1000, sessions, rss_mb: rss() };
  }
  // The trainer's read and fit, as batch/train.ts does them (src/adapters/feature-store.ts reads the lake's copy).
  const table = await readParquetFeatures([file]);
  const result = trainPurchasePropensity(table);
  return {
    fit_s: (performance.now() - started) / 1000,
    sessions: table.rows,
    rss_mb: rss(),
    gbdt_s: result.fit.gbdt.seconds,
    trees: result.fit.gbdt.trees,
    logreg_s: result.fit.logreg.seconds,
  };
}

main(process.argv[2] ?? '', process.argv[3] ?? '', process.argv[4] ?? '').then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
