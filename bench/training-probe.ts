import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { withDuckdbRawFeatures } from '../local/glue/duckdb-features';
import { writeChannelFiles } from '../local/glue/features-job';
import { FEATURE_NAMES } from '#domain/features/spec';
import { sqlString } from '#domain/features/sql';
import { readParquetFeatures } from '#adapters/feature-store';
import { parseLibsvm } from '#domain/model/libsvm';
import { judgeModel, trainPurchasePropensity } from '#domain/model/training-run';
import { parseXgboostModel, xgboostToGbdt } from '#domain/model/xgboost';

/**
 * One training-benchmark step in a fresh process (so its peak RSS is its own), as production splits them — Glue
 * computes the features, the Batch trainer reads their Parquet and fits:
 *   training-probe.ts features FILE OUT.parquet → {features_s, sessions, rss_mb}: glue/curated.sql and glue/features.sql on DuckDB over raw lake rows
 *   training-probe.ts fit OUT.parquet           → {fit_s, sessions, rss_mb}: the trainer's read of the Parquet, then both trainers
 *   training-probe.ts baseline FILE             → {seconds}: DuckDB count(*) GROUP BY session_id over the raw rows
 *   training-probe.ts channels OUT.parquet DIR  → {seconds, rss_mb}: glue/channels.sql over the features, DIR/<channel>.libsvm
 *   training-probe.ts judge MODEL DIR           → {seconds, rss_mb, roc_auc, trees}: the SageMaker path's registration
 *     (XGBoost model → serving trees, judged on DIR's validation and test channels)
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
  if (mode === 'channels') {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const columns = FEATURE_NAMES.map((n) => `CAST(${n} AS DOUBLE) AS ${n}`).join(', ');
    await connection.run(
      `CREATE VIEW run_features AS SELECT session_id, ${columns}, CAST(label AS INTEGER) AS label, dt FROM read_parquet(${sqlString(file)})`,
    );
    await writeChannelFiles(connection, out);
    connection.closeSync();
    instance.closeSync();
    return { seconds: (performance.now() - started) / 1000, rss_mb: rss() };
  }
  if (mode === 'judge') {
    const model = xgboostToGbdt(parseXgboostModel(readFileSync(file)), FEATURE_NAMES);
    const channel = (name: string) => parseLibsvm(readFileSync(path.join(out, `${name}.libsvm`), 'utf8'), FEATURE_NAMES);
    const judged = judgeModel(model, channel('validation'), channel('test'));
    return { seconds: (performance.now() - started) / 1000, rss_mb: rss(), roc_auc: judged.metrics.test.roc_auc, trees: model.trees.length };
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
    roc_auc: result.candidates[result.chosen].test.roc_auc,
  };
}

main(process.argv[2] ?? '', process.argv[3] ?? '', process.argv[4] ?? '').then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
