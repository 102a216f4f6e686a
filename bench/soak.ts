import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sendEvents } from '../cli/collector-client';
import { localAdmin } from '../local/admin-client';
import { LocalCloud, type StackOutputs } from '../local/cloud';
import type { FaultRule } from '../local/faults';
import { listObjects, readJsonLines } from '#adapters/s3';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import type { ClickstreamEvent } from '#domain/events/schema';
import { LAKE_PREFIXES } from '#domain/lake';
import { selectRawEvents } from '#domain/replay';
import { Random } from '#domain/traffic/random';

/**
 * The chaos soak: N events through the running local cloud (POST /events → Kinesis → ingest → Firehose → S3)
 * while a seeded schedule of faults hits it — Firehose partial failures and throttled calls, DynamoDB failing
 * (reads and writes of the dedup table), and the ingest function crashing mid-batch, before delivery and after
 * delivery but before marking its keys seen. Then the lake is read back: every valid event must be there (after
 * the curated layer's documented dedup, exactly once), every invalid one exactly once as a bad row (by its stream
 * record), and nothing in errors/.
 */
export interface SoakReport {
  seed: number;
  events: number;
  valid: number;
  invalid: number;
  faults: Record<string, number>;
  raw_rows: number;
  /** Extra raw copies (re-deliveries after a crash or a dedup brownout); the curated dedup removes them. */
  raw_copies: number;
  curated: number;
  lost: number;
  duplicated: number;
  bad_rows: number;
  bad_lost: number;
  bad_duplicated: number;
  /** Records of this run in Firehose's errors/ output (nothing reads there). */
  errors_records: number;
  seconds: number;
}

const REQUEST = 500;

/** The events: sessions of ~10 events in the last two hours, 2 % of them invalid (no event_type), all tagged with the run. */
function soakEvents(run: string, count: number, random: Random): { events: unknown[]; valid: Set<string>; invalid: Set<string> } {
  const now = Date.now();
  const events: unknown[] = [];
  const valid = new Set<string>();
  const invalid = new Set<string>();
  for (let i = 0; i < count; i++) {
    const event: ClickstreamEvent = {
      event_id: crypto.randomUUID(),
      event_type: random.pick(['page_view', 'product_view', 'search', 'add_to_cart', 'purchase'] as const),
      event_time: new Date(now - random.int(0, 7_200_000)).toISOString(),
      session_id: `${run}-${Math.floor(i / 10)}`,
      anonymous_id: `${run}-a${Math.floor(i / 30)}`,
    };
    if (random.bernoulli(0.02)) {
      const { event_type: _dropped, ...broken } = event;
      events.push(broken);
      invalid.add(event.event_id);
    } else {
      events.push(event);
      valid.add(event.event_id);
    }
  }
  return { events, valid, invalid };
}

/** One fault, drawn from the seeded generator: what a real day can throw at the pipeline. */
function drawFault(random: Random, run: string): { kind: string; rule: FaultRule } {
  const kind = random.weighted([
    ['firehose-partial', 3],
    ['firehose-throttle', 2],
    ['dynamodb-read', 2],
    ['dynamodb-write', 2],
    ['crash-before-delivery', 2],
    ['crash-after-delivery', 2],
  ] as const);
  switch (kind) {
    case 'firehose-partial':
      return { kind, rule: { service: 'firehose', operation: 'PutRecordBatch', type: 'fail-records', count: random.int(1, 3), match: run } };
    case 'firehose-throttle':
      return { kind, rule: { service: 'firehose', operation: 'PutRecordBatch', type: 'throttle', count: random.int(1, 3), match: run } };
    case 'dynamodb-read':
      return { kind, rule: { service: 'dynamodb', operation: 'BatchGetItem', type: 'throttle', count: random.int(5, 40), errorCode: 'InternalServerError' } };
    case 'dynamodb-write':
      return { kind, rule: { service: 'dynamodb', operation: 'BatchWriteItem', type: 'throttle', count: random.int(5, 40), errorCode: 'InternalServerError' } };
    case 'crash-before-delivery':
      return { kind, rule: { service: 'lambda', operation: 'ingest', type: 'crash', point: 'before-delivery', count: 1 } };
    case 'crash-after-delivery':
      return { kind, rule: { service: 'lambda', operation: 'ingest', type: 'crash', point: 'after-delivery', count: 1 } };
  }
}

async function zoneRows<T>(bucket: string, prefix: string): Promise<T[]> {
  const rows: T[] = [];
  for (const object of await listObjects(bucket, prefix)) rows.push(...(await readJsonLines<T>(bucket, object.key)));
  return rows;
}

/** Runs the soak against a running local cloud (its stack outputs); the process must have its AWS_ENDPOINT_URL. */
export async function runSoak(outputs: StackOutputs, options: { events: number; seed: number; progress?: (line: string) => void }): Promise<SoakReport> {
  const started = Date.now();
  const random = new Random(options.seed);
  const run = `soak-${options.seed}-${crypto.randomUUID().slice(0, 8)}`;
  const admin = localAdmin(outputs.Endpoint);
  const { events, valid, invalid } = soakEvents(run, options.events, random);
  const faults: Record<string, number> = {};
  const requests = Math.ceil(events.length / REQUEST);
  const say = options.progress ?? (() => undefined);

  say(`soak ${run}: ${events.length} events (${invalid.size} invalid) in ${requests} requests, seed ${options.seed}`);
  try {
    // Faults are armed between requests, about one every other request, so they land while batches are in flight.
    for (let r = 0; r < requests; r++) {
      if (random.bernoulli(0.5)) {
        const { kind, rule } = drawFault(random, run);
        faults[kind] = (faults[kind] ?? 0) + 1;
        await admin.addFaults([rule]);
      }
      await sendEvents(outputs.ApiUrl, events.slice(r * REQUEST, (r + 1) * REQUEST), { concurrency: 1 });
      if ((r + 1) % 20 === 0 || r + 1 === requests) say(`  sent ${Math.min((r + 1) * REQUEST, events.length)} / ${events.length}`);
    }
    say('  draining the pipeline (retries, bisections and re-deliveries included)…');
    await admin.drain();
  } finally {
    for (const service of ['firehose', 'dynamodb', 'lambda']) await admin.clearFaults(service);
  }

  const bucket = outputs.LakeBucketName!;
  const raw = (await zoneRows<LakeEvent>(bucket, LAKE_PREFIXES.raw)).filter((row) => row.session_id.startsWith(run));
  const curated = selectRawEvents(
    raw.map((row) => ({ key: '', row })),
    { from: -Infinity, to: Infinity },
  ).selected.map((s) => s.event.event_id);
  const curatedIds = new Set(curated);
  const bad = (await zoneRows<BadRow>(bucket, LAKE_PREFIXES.bad)).filter((row) => row.event_id !== undefined && invalid.has(row.event_id));
  // A bad row's identity is the stream record it came from and its place there: a re-driven batch must not count twice.
  const badByRecord = new Map<string, string>();
  for (const row of bad) badByRecord.set(`${row.source.stream}/${row.source.sequence_number}/${row.source.event_index ?? 0}`, row.event_id!);
  const badIds = [...badByRecord.values()];
  // Firehose's error output (partitioning, deaggregation, active partitions) holding any of this run's records.
  const errors = (await zoneRows<{ rawData?: string }>(bucket, 'errors/')).filter((row) => Buffer.from(row.rawData ?? '', 'base64').includes(run));

  return {
    seed: options.seed,
    events: events.length,
    valid: valid.size,
    invalid: invalid.size,
    faults,
    raw_rows: raw.length,
    raw_copies: raw.length - new Set(raw.map((r) => r.event_id)).size,
    curated: curated.length,
    lost: [...valid].filter((id) => !curatedIds.has(id)).length,
    duplicated: curated.length - curatedIds.size + curated.filter((id) => !valid.has(id)).length,
    bad_rows: bad.length,
    bad_lost: [...invalid].filter((id) => !badIds.includes(id)).length,
    bad_duplicated: badIds.length - new Set(badIds).size,
    errors_records: errors.length,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export const soakPassed = (r: SoakReport) =>
  r.lost === 0 && r.duplicated === 0 && r.bad_lost === 0 && r.bad_duplicated === 0 && r.errors_records === 0 && r.curated === r.valid;

export function formatSoak(r: SoakReport): string {
  return [
    `soak seed ${r.seed}: ${r.events} events (${r.valid} valid, ${r.invalid} invalid) in ${r.seconds}s`,
    `  faults armed: ${
      Object.entries(r.faults)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
    `  raw rows ${r.raw_rows} (${r.raw_copies} re-delivered copies) → curated ${r.curated}: lost ${r.lost}, duplicated ${r.duplicated}`,
    `  bad rows ${r.bad_rows} (by stream record: lost ${r.bad_lost}, duplicated ${r.bad_duplicated}); records in errors/: ${r.errors_records}`,
  ].join('\n');
}

// `npm run soak -- [--events N] [--seed S] [--json]`: its own local cloud in a temporary directory.
if (require.main === module) {
  void (async () => {
    const { values } = parseArgs({
      options: {
        events: { type: 'string', default: '100000' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(
        'npm run soak -- [--events N] [--seed S] [--json]\n\nN events (default 100,000) through a fresh local cloud under seeded faults; exits 1 if any event is lost or duplicated.\n',
      );
      return;
    }
    const events = Number(values.events);
    const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
    if (!Number.isInteger(events) || events < 1 || !Number.isInteger(seed)) {
      process.stderr.write('--events and --seed take whole numbers.\n');
      process.exit(2);
    }
    const say = (line: string) => (values.json ? undefined : process.stderr.write(`${line}\n`));
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'soak-cloud-'));
    say(`starting a local cloud for the soak in ${dataDir}…`);
    mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
    const log = (line: string) => appendFileSync(path.join(dataDir, 'logs', 'cloud.log'), `${new Date().toISOString()} ${line}\n`);
    const cloud = await LocalCloud.start({ root: path.resolve(__dirname, '..'), dataDir, port: 0, apiPort: 0, log, hotReload: false });
    Object.assign(process.env, cloud.env);
    let report: SoakReport;
    try {
      report = await runSoak(cloud.outputs, { events, seed, progress: say });
    } catch (error) {
      // Keep the cloud's data and logs to look at.
      await cloud.stop();
      throw new Error(`${(error as Error).message} (logs: ${path.join(dataDir, 'logs')})`, { cause: error });
    }
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.stdout.write(values.json ? `${JSON.stringify({ ok: soakPassed(report), ...report })}\n` : `${formatSoak(report)}\n`);
    if (!soakPassed(report)) process.exit(1);
  })().catch((error: Error) => {
    process.stderr.write(`soak failed: ${error.message}\n`);
    process.exit(1);
  });
}
