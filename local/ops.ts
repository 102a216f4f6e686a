import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { streamSummary } from '#adapters/kinesis';
import { realtimeFigures } from '#adapters/realtime-table';
import { readModel, scanRegistry } from '#adapters/registry-table';
import { listObjects, readJsonLines } from '#adapters/s3';
import { recentExecutions } from '#adapters/stepfunctions';
import type { BadRow } from '#domain/events/bad-row';
import { LAKE_PREFIXES, partitionOf } from '#domain/lake';
import { PRODUCTION_ALIAS, type ModelVersion } from '#domain/registry';

/**
 * The data of the local operations page (/ops/ on the site): what an operator reads on AWS, by the same calls —
 * S3 listings and objects, Kinesis DescribeStreamSummary, Step Functions ListExecutions, the registry table — and,
 * where AWS would use CloudWatch, the metrics the functions log as EMF (read from their log, as CloudWatch reads
 * it) and the stand-ins' own counters (the mapping's iterator age, Firehose's buffers).
 */

export interface OpsSources {
  outputs: () => Record<string, string | undefined>;
  functionLog: string;
  mappings: () => readonly { functionName: string; stats: Record<string, number> }[];
  firehoseBuffers: () => { stream: string; prefix: string; records: number; bytes: number; ageMs: number }[];
}

interface Emf {
  totals: Record<string, number>;
  /** EventsAccepted per minute (epoch ms of the minute → count), the last hour. */
  acceptedPerMinute: Map<number, number>;
  latencies: number[];
  offset: number;
}

/** A local CloudWatch for EMF: each new line of the function log read once, summed by metric name. */
function readEmf(file: string, emf: Emf): void {
  if (!existsSync(file)) return;
  const size = statSync(file).size;
  if (size < emf.offset) Object.assign(emf, { totals: {}, acceptedPerMinute: new Map(), latencies: [], offset: 0 });
  if (size === emf.offset) return;
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(size - emf.offset);
  try {
    readSync(fd, chunk, 0, chunk.length, emf.offset);
  } finally {
    closeSync(fd);
  }
  const text = chunk.toString('utf8');
  const end = text.lastIndexOf('\n') + 1;
  emf.offset += Buffer.byteLength(text.slice(0, end));
  for (const line of text.slice(0, end).split('\n')) {
    if (!line.includes('"_aws"')) continue;
    let record: Record<string, unknown> & { _aws?: { Timestamp: number; CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    for (const { Metrics } of record._aws?.CloudWatchMetrics ?? []) {
      for (const { Name } of Metrics) {
        const value = Number(record[Name]);
        if (!Number.isFinite(value)) continue;
        if (Name === 'PredictLatency') emf.latencies = [...emf.latencies.slice(-999), value];
        else emf.totals[Name] = (emf.totals[Name] ?? 0) + value;
        if (Name === 'EventsAccepted') {
          const minute = Math.floor(record._aws!.Timestamp / 60_000) * 60_000;
          emf.acceptedPerMinute.set(minute, (emf.acceptedPerMinute.get(minute) ?? 0) + value);
        }
      }
    }
  }
}

const percentile = (values: readonly number[], q: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
};

type LastBadRow = { failed_at: string; type: string; event_id?: string; errors: { path: string; message: string }[] };
const LAST_BAD_ROWS = 10;

/**
 * Rows per object (and a bad-row object's last rows), read once per object: an object changes only when an
 * erasure rewrites it, and then its size changes.
 */
const rowCounts = new Map<string, { size: number; rows: number; byType?: Record<string, number>; last?: LastBadRow[] }>();

async function zone(bucket: string, prefix: string, bad: boolean) {
  const objects = await listObjects(bucket, prefix);
  const partitions = new Map<string, { objects: number; rows: number }>();
  const byType: Record<string, number> = {};
  for (const { key, size } of objects) {
    let counted = rowCounts.get(key);
    if (!counted || counted.size !== size) {
      const rows = await readJsonLines<BadRow>(bucket, key);
      const types: Record<string, number> = {};
      if (bad) for (const row of rows) types[row.type] = (types[row.type] ?? 0) + 1;
      const last = rows
        .slice(-LAST_BAD_ROWS)
        .reverse()
        .map((r) => ({ failed_at: r.failed_at, type: r.type, ...(r.event_id ? { event_id: r.event_id } : {}), errors: r.errors }));
      counted = { size, rows: rows.length, ...(bad ? { byType: types, last } : {}) };
      rowCounts.set(key, counted);
    }
    const partition = partitionOf(key) ?? '(none)';
    const entry = partitions.get(partition) ?? { objects: 0, rows: 0 };
    entry.objects += 1;
    entry.rows += counted.rows;
    partitions.set(partition, entry);
    for (const [type, n] of Object.entries(counted.byType ?? {})) byType[type] = (byType[type] ?? 0) + n;
  }
  return {
    objects: objects.length,
    rows: [...partitions.values()].reduce((n, p) => n + p.rows, 0),
    partitions: [...partitions].map(([partition, p]) => ({ partition, ...p })).sort((a, b) => b.partition.localeCompare(a.partition)),
    ...(bad ? { byType } : {}),
    newest: objects.map((o) => o.key).sort((a, b) => b.localeCompare(a)),
  };
}

/** The newest bad rows (the newest objects first), with their errors: what an operator looks at first. */
const lastBadRows = (keys: readonly string[]): LastBadRow[] => keys.flatMap((key) => rowCounts.get(key)?.last ?? []).slice(0, LAST_BAD_ROWS);

const versionView = (v: ModelVersion) => ({
  version: v.version,
  kind: v.kind,
  created_at: v.created_at,
  roc_auc: v.metrics.test.roc_auc,
  ece: v.metrics.test.ece,
  data: v.data,
  ...(v.curves ? { curves: v.curves } : {}),
  ...(v.erasures?.length ? { flagged_by_erasures: v.erasures.map((e) => e.erasure_id) } : {}),
});

async function registry(table: string) {
  const names = [...new Set((await scanRegistry(table)).map((i) => i.model_name))].sort();
  const models = [];
  for (const name of names) {
    const items = await readModel(table, name);
    if (!items) continue;
    const production = items.aliases.find((a) => a.alias === PRODUCTION_ALIAS);
    const versions = [...items.versions].sort((a, b) => b.version.localeCompare(a.version));
    const productionVersion = versions.find((v) => v.version === production?.version);
    const candidate = versions.find((v) => v.version !== production?.version);
    models.push({
      name,
      aliases: items.aliases.map((a) => ({
        alias: a.alias,
        version: a.version,
        ...(a.canary ? { canary: a.canary } : {}),
        ...(a.shadow ? { shadow: a.shadow } : {}),
        history: a.history,
      })),
      versions: versions.slice(0, 10).map(versionView),
      runs: [...items.runs].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 10),
      ...(productionVersion ? { production: versionView(productionVersion) } : {}),
      ...(candidate ? { candidate: versionView(candidate) } : {}),
    });
  }
  return models;
}

/** The real-time panel's look back (the API's GET /realtime?minutes=15). */
const REALTIME_MINUTES = 15;

export function opsData(sources: OpsSources): () => Promise<unknown> {
  const emf: Emf = { totals: {}, acceptedPerMinute: new Map(), latencies: [], offset: 0 };
  return async () => {
    const outputs = sources.outputs();
    readEmf(sources.functionLog, emf);
    const bucket = outputs.LakeBucketName!;
    const [raw, bad, stream, executions, models, realtime] = await Promise.all([
      zone(bucket, LAKE_PREFIXES.raw, false),
      zone(bucket, LAKE_PREFIXES.bad, true),
      streamSummary(outputs.ClickstreamStreamName!),
      recentExecutions(outputs.TrainingStateMachineArn!),
      registry(outputs.ModelsTableName!),
      realtimeFigures(outputs.RealtimeTableName!, REALTIME_MINUTES),
    ]);
    const hourAgo = Date.now() - 3_600_000;
    const ingestMapping = sources.mappings().find((m) => /ingest/i.test(m.functionName));
    return {
      at: new Date().toISOString(),
      collector: {
        accepted: emf.totals.EventsAccepted ?? 0,
        rejected: emf.totals.EventsRejected ?? 0,
        without_consent: emf.totals.EventsWithoutConsent ?? 0,
        per_minute: [...emf.acceptedPerMinute].filter(([t]) => t >= hourAgo).sort(([a], [b]) => a - b),
      },
      stream: { name: outputs.ClickstreamStreamName, ...stream, ingest: ingestMapping?.stats ?? null },
      ingest: {
        delivered: emf.totals.EventsDelivered ?? 0,
        bad_rows: emf.totals.BadRows ?? 0,
        duplicates: emf.totals.Duplicates ?? 0,
        failures: emf.totals.DeliveryFailures ?? 0,
      },
      firehose: { buffers: sources.firehoseBuffers() },
      lake: {
        raw: { objects: raw.objects, rows: raw.rows, partitions: raw.partitions },
        bad: { objects: bad.objects, rows: bad.rows, partitions: bad.partitions, by_type: bad.byType, last: lastBadRows(bad.newest) },
      },
      training: {
        runs: executions.map((e) => ({
          name: e.name,
          status: e.status,
          started: e.startDate?.toISOString(),
          ...(e.stopDate ? { stopped: e.stopDate.toISOString(), seconds: (e.stopDate.getTime() - e.startDate!.getTime()) / 1000 } : {}),
        })),
      },
      models,
      realtime: { window_seconds: Number(outputs.RealtimeWindowSeconds), minutes: REALTIME_MINUTES, windows: realtime.windows, total: realtime.total },
      predict: {
        sessions: emf.totals.Predictions ?? 0,
        latency_ms: { p50: percentile(emf.latencies, 0.5), p99: percentile(emf.latencies, 0.99), samples: emf.latencies.length },
      },
    };
  };
}
