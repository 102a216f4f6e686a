import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { capturedPrediction, type CapturedPrediction } from '#domain/monitoring/capture';
import { outcomeHours, monitorReport, type MonitorReport, type MonitorSettings, type VersionFacts } from '#domain/monitoring/report';
import { datesBetween, PREDICTIONS_PREFIX } from '#domain/lake';
import { ITEM_PREFIX } from '#domain/registry';
import { mapConcurrent } from '#shared/concurrency';
import { dynamoDbDocumentClient } from './dynamodb';
import { getModelVersion } from './registry-table';
import { listObjects, readJsonLines, readLines } from './s3';

/**
 * The monitoring job's reads and writes (README, "Monitoring models"): captured predictions from predictions/,
 * the sessions' purchases from raw/ (the freshest zone: the curated one is built only by training runs), the
 * versions' offline figures from the registry, and the reports back into it as `monitor#` items.
 */

const READS_IN_FLIGHT = 16;
const HOUR = 3_600_000;

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

const HOUR_OF_KEY = /\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//;

/**
 * Every prediction of `model` captured in [from, to), and how many lines of those objects were no prediction. Only the hours that can hold them are read: Firehose files a
 * record under the hour it arrived, seconds after its capture (later when the capture retried); an hour either side.
 */
export async function readCapturedPredictions(
  bucket: string,
  model: string,
  from: Date,
  to: Date,
): Promise<{ predictions: CapturedPrediction[]; unreadable: number }> {
  const first = Math.floor(from.getTime() / HOUR) * HOUR - HOUR;
  const keys = (await Promise.all(datesBetween(day(first), day(to.getTime() + HOUR)).map((dt) => listObjects(bucket, `${PREDICTIONS_PREFIX}dt=${dt}/`))))
    .flat()
    .map((o) => o.key)
    .filter((key) => {
      const [, dt, hour] = HOUR_OF_KEY.exec(key) ?? [];
      const at = Date.parse(`${dt}T${hour}:00:00Z`);
      return Number.isNaN(at) || (at >= first && at <= to.getTime() + HOUR);
    });
  const [lo, hi] = [from.toISOString(), to.toISOString()];
  let unreadable = 0;
  const rows = await mapConcurrent(keys, READS_IN_FLIGHT, async (key) =>
    (await readLines(bucket, key)).flatMap((line) => {
      const p = capturedPrediction(line);
      if (!p) unreadable++;
      return p && p.model === model && p.captured_at >= lo && p.captured_at < hi ? [p] : [];
    }),
  );
  return { predictions: rows.flat(), unreadable };
}

/**
 * The purchase times (ms) of the given sessions in the raw hours given ("YYYY-MM-DDTHH"). Only lines that mention a
 * purchase are parsed: a day of raw events is mostly other types.
 */
export async function readPurchases(bucket: string, hours: readonly string[], sessions: ReadonlySet<string>): Promise<Map<string, number[]>> {
  const keys = (
    await mapConcurrent(hours, READS_IN_FLIGHT, (hour) => listObjects(bucket, `raw/clickstream/dt=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}/`))
  )
    .flat()
    .map((o) => o.key);
  const purchases = new Map<string, number[]>();
  await mapConcurrent(keys, READS_IN_FLIGHT, async (key) => {
    for (const row of await readJsonLines<{ event_type?: string; session_id?: string; event_time?: string }>(bucket, key)) {
      if (row.event_type !== 'purchase' || !row.session_id || !sessions.has(row.session_id) || !row.event_time) continue;
      const times = purchases.get(row.session_id) ?? [];
      times.push(Date.parse(row.event_time));
      purchases.set(row.session_id, times);
    }
  });
  return purchases;
}

/** What the registry knows of each version: offline test figures and the drift reference. */
export async function versionFacts(table: string, model: string, versions: Iterable<string>): Promise<Map<string, VersionFacts>> {
  const facts = new Map<string, VersionFacts>();
  for (const version of new Set(versions)) {
    const entry = await getModelVersion(table, model, version);
    if (entry) facts.set(version, { test: entry.metrics.test, ...(entry.reference ? { reference: entry.reference } : {}) });
  }
  return facts;
}

/** Reads and computes one model's report over [from, to) (nothing is stored). */
export async function computeReport(
  where: { bucket: string; table: string },
  model: string,
  window: { from: Date; to: Date },
  settings: MonitorSettings,
  now = Date.now(),
): Promise<MonitorReport> {
  const { predictions, unreadable } = await readCapturedPredictions(where.bucket, model, window.from, window.to);
  const sessions = new Set(predictions.flatMap((p) => (p.session_id === null ? [] : [p.session_id])));
  const purchases = await readPurchases(where.bucket, outcomeHours(predictions, settings), sessions);
  const versions = await versionFacts(
    where.table,
    model,
    predictions.map((p) => p.version),
  );
  return monitorReport({
    model,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    predictions,
    purchases,
    versions,
    settings,
    now,
    unreadableLines: unreadable,
  });
}

/** A registry item of the monitoring kind: sort key `monitor#<window end>#<version>`, expiring after `retentionDays`. */
export async function putMonitorReport(table: string, report: MonitorReport, retentionDays: number): Promise<number> {
  const expires = Math.floor(Date.now() / 1000) + retentionDays * 86_400;
  const byVersion = new Map<string, MonitorReport['groups']>();
  for (const g of report.groups) byVersion.set(g.version, [...(byVersion.get(g.version) ?? []), g]);
  for (const [version, groups] of byVersion) {
    // NaN (an interval no resample could fill) is stored as null, as JSON has it.
    const item = JSON.parse(JSON.stringify({ ...report, groups })) as Record<string, unknown>;
    await dynamoDbDocumentClient().send(
      new PutCommand({
        TableName: table,
        Item: { ...item, model_name: report.model, sk: `${ITEM_PREFIX.monitor}${report.window.to}#${version}`, version, expires_at: expires },
      }),
    );
  }
  return byVersion.size;
}

/** The latest stored report of each version of a model (newest window first). */
export async function latestMonitorReports(table: string, model: string): Promise<(MonitorReport & { version: string })[]> {
  const latest = new Map<string, MonitorReport & { version: string }>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDbDocumentClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'model_name = :m AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':m': model, ':p': ITEM_PREFIX.monitor },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const report = item as MonitorReport & { version: string };
      if (!latest.has(report.version)) latest.set(report.version, report);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...latest.values()];
}

/** One check of a canary analysis, stored so the decision can be read and decided again (`canary#<run>#<check>`). */
export async function putCanaryCheck(table: string, model: string, run: string, check: number, item: Record<string, unknown>, retentionDays: number) {
  await dynamoDbDocumentClient().send(
    new PutCommand({
      TableName: table,
      Item: {
        ...(JSON.parse(JSON.stringify(item)) as Record<string, unknown>),
        model_name: model,
        sk: `${ITEM_PREFIX.canary}${run}#${String(check).padStart(4, '0')}`,
        expires_at: Math.floor(Date.now() / 1000) + retentionDays * 86_400,
      },
    }),
  );
}

/** Every stored check of a canary run, in order. */
export async function canaryChecks(table: string, model: string, run: string): Promise<Record<string, unknown>[]> {
  const { Items } = await dynamoDbDocumentClient().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'model_name = :m AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':m': model, ':p': `${ITEM_PREFIX.canary}${run}#` },
    }),
  );
  return Items ?? [];
}
