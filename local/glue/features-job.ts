import type { DuckDBConnection } from '@duckdb/node-api';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listObjects, putObject, stageObjects, uploadFile } from '#adapters/s3';
import { FEATURE_NAMES } from '#domain/features/spec';
import { CHANNELS, channelsPrefix, CURATED_PREFIX, datesBetween, FEATURES_PREFIX, type ChannelsManifest } from '#domain/lake';
import { sqlString } from '#domain/features/sql';
import { dayBefore } from './curated-job';
import { channelsSql, withDuckdbFeatures } from './duckdb-features';

export interface FeaturesJobResult {
  from: string;
  to: string;
  inputObjects: number;
  sessions: number;
  positives: number;
  partitions: { dt: string; key: string }[];
  /** With a run (the workflow's --run): the run's channels for SageMaker. */
  channels?: ChannelsManifest;
}

/**
 * The Glue ETL job, run locally: glue/features.sql on DuckDB over the curated partitions of [from, to]
 * (plus the day before, so sessions that cross midnight are whole; the compaction job writes them first), as
 * Parquet, one partition per session start date, under features/purchase-propensity/dt=…/ (features as DOUBLE,
 * label as INTEGER). With a run (the workflow passes --run), also the run's time split as SageMaker's training
 * channels (glue/channels.sql, libsvm) and their manifest. Lake objects are staged through the S3 client (DuckDB has no httpfs here). A re-run replaces
 * its partitions.
 */
/** glue/channels.sql over a view `run_features`: one libsvm file per channel (<dir>/<channel>.libsvm). */
export async function writeChannelFiles(connection: DuckDBConnection, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const streams = Object.fromEntries(CHANNELS.map((c) => [c, createWriteStream(path.join(dir, `${c}.libsvm`))]));
  const result = await connection.stream(`SELECT channel, line FROM (${channelsSql()})`);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (const row of chunk.getRowObjects(['channel', 'line'])) streams[String(row.channel)]!.write(`${String(row.line)}\n`);
  }
  await Promise.all(Object.values(streams).map((s) => new Promise((resolve) => s.end(resolve))));
}

function emptyChannels(work: string): string {
  const dir = path.join(work, 'channels');
  mkdirSync(dir, { recursive: true });
  for (const channel of CHANNELS) writeFileSync(path.join(dir, `${channel}.libsvm`), '');
  return dir;
}

async function uploadChannels(
  bucket: string,
  run: string,
  range: { from: string; to: string; partitions: string[] },
  dir: string,
  log: (line: string) => void,
): Promise<ChannelsManifest> {
  const prefix = channelsPrefix(run);
  const manifest: ChannelsManifest = {
    run,
    ...range,
    format: 'text/libsvm',
    features: [...FEATURE_NAMES],
    rows: { train: 0, validation: 0, test: 0, total: 0 },
    positives: { train: 0, validation: 0, test: 0 },
    channels: { train: '', validation: '', test: '' },
  };
  for (const channel of CHANNELS) {
    const file = path.join(dir, `${channel}.libsvm`);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    manifest.rows[channel] = lines.length;
    manifest.positives[channel] = lines.filter((l) => l.startsWith('1')).length;
    manifest.rows.total += lines.length;
    manifest.channels[channel] = `s3://${bucket}/${prefix}${channel}/`;
    await uploadFile(bucket, `${prefix}${channel}/part-00000.libsvm`, file, 'text/plain');
  }
  await putObject(bucket, `${prefix}manifest.json`, JSON.stringify(manifest), 'application/json');
  log(
    `wrote channels train/validation/test (${manifest.rows.train}/${manifest.rows.validation}/${manifest.rows.test} sessions) under s3://${bucket}/${prefix}`,
  );
  return manifest;
}

export async function runFeaturesJob(
  bucket: string,
  from: string,
  to: string,
  log: (line: string) => void = () => undefined,
  run?: string,
): Promise<FeaturesJobResult> {
  const first = dayBefore(from);
  const work = mkdtempSync(path.join(os.tmpdir(), 'features-job-'));
  try {
    const keys: string[] = [];
    for (const dt of datesBetween(first, to)) for (const o of await listObjects(bucket, `${CURATED_PREFIX}dt=${dt}/`)) keys.push(o.key);
    log(`reading ${keys.length} curated objects (${first} … ${to})`);
    if (keys.length === 0) {
      // A run over days without data still gets its (empty) channels' manifest: the workflow reads it, then the
      // trainer says there is nothing to train on.
      const channels = run === undefined ? undefined : await uploadChannels(bucket, run, { from, to, partitions: [] }, emptyChannels(work), log);
      return { from, to, inputObjects: 0, sessions: 0, positives: 0, partitions: [], ...(channels ? { channels } : {}) };
    }
    const files = await stageObjects(bucket, keys, work, (_, i) => `curated-${i}.parquet`);
    const out = path.join(work, 'out');
    const channelsDir = path.join(work, 'channels');
    const counts = await withDuckdbFeatures(files, async (connection) => {
      const select = `SELECT session_id, ${FEATURE_NAMES.map((n) => `CAST(${n} AS DOUBLE) AS ${n}`).join(', ')}, CAST(label AS INTEGER) AS label, dt FROM features WHERE dt BETWEEN ${sqlString(from)} AND ${sqlString(to)}`;
      await connection.run(`COPY (${select} ORDER BY dt, session_id) TO ${sqlString(out)} (FORMAT PARQUET, PARTITION_BY (dt))`);
      const [row] = (await connection.runAndReadAll(`SELECT count(*) AS sessions, coalesce(sum(label), 0) AS positives FROM (${select})`)).getRowObjectsJS();
      if (run !== undefined) {
        await connection.run(`CREATE VIEW run_features AS ${select}`);
        await writeChannelFiles(connection, channelsDir);
      }
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
    const channels =
      run === undefined
        ? undefined
        : await uploadChannels(bucket, run, { from, to, partitions: [...new Set(partitions.map((p) => `dt=${p.dt}`))] }, channelsDir, log);
    return { from, to, inputObjects: keys.length, ...counts, partitions, ...(channels ? { channels } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
