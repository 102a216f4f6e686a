import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rawInputColumns, renderSql } from '#domain/features/sql';

/** Where the Glue job's script and its files live in the lake bucket (the job's ScriptLocation and --extra-files). */
export const GLUE_SCRIPTS_PREFIX = 'glue/scripts/';

/**
 * What deployment uploads for the Glue jobs: the PySpark runners (compaction, features), curated.sql and
 * features.sql rendered for Spark, and the raw zone's input schema as Spark DDL. Rendered here so the dialect
 * differences stay in src/domain/features/sql.ts.
 * Used by the deploy plugin (plugins/glue-scripts.js) and by the local cloud, which uploads the same objects.
 */
export function glueScripts(): { key: string; body: string }[] {
  const read = (file: string) => readFileSync(path.join(__dirname, file), 'utf8');
  return [
    { key: `${GLUE_SCRIPTS_PREFIX}build_features.py`, body: read('build_features.py') },
    { key: `${GLUE_SCRIPTS_PREFIX}features.spark.sql`, body: renderSql(read('features.sql'), 'spark') },
    { key: `${GLUE_SCRIPTS_PREFIX}channels.spark.sql`, body: renderSql(read('channels.sql'), 'spark') },
    { key: `${GLUE_SCRIPTS_PREFIX}build_curated.py`, body: read('build_curated.py') },
    { key: `${GLUE_SCRIPTS_PREFIX}curated.spark.sql`, body: renderSql(read('curated.sql'), 'spark') },
    { key: `${GLUE_SCRIPTS_PREFIX}raw-schema.spark.ddl`, body: `${rawInputColumns('spark')}\n` },
  ];
}
