import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deliveryStreamExists, putRecordBatch } from '../src/adapters/firehose';
import { waveGapFor } from './backfill';
import { putRecords, streamExists } from '../src/adapters/kinesis';
import { bucketExists, listObjects, putObject, readJsonLines } from '../src/adapters/s3';
import { describeExecution, startExecution } from '../src/adapters/stepfunctions';
import type { BadRow } from '../src/domain/events/bad-row';
import { enrich, type LakeEvent } from '../src/domain/events/enrich';
import { encodeEnvelope } from '../src/domain/events/envelope';
import { partitionOf, partitionWaves } from '../src/domain/lake';
import {
  parseRange,
  partitionPrefixes,
  RateLimiter,
  recoverBadRows,
  replayEnvelope,
  replayHour,
  ReplayRequestError,
  selectRawEvents,
  sendKey,
  type FixFunction,
  type ReplayCheckpoint,
  type ReplaySource,
  type SelectedEvent,
} from '../src/domain/replay';
import { intOption, parseCli, runCli, UsageError } from '../src/shared/args';
import { progressBar } from './progress';
import { sleep } from '../src/shared/retry';

const USAGE = `
npm run replay -- --from T1 --to T2 [--source raw|bad] [--type T[,T…]] [--session ID] [--fix MODULE]
                  [--target stream|raw|file:PATH] [--dry-run] [--rate N] [--concurrency C] [--resume]
                  [--cloud [--state-machine-arn ARN]] [--lake-bucket B --stream S --raw-delivery-stream F]
                  [--checkpoint FILE] [--json]

Re-drives archived events. --from (inclusive) and --to (exclusive): dates (UTC midnight) or ISO timestamps,
on event time for --source raw (default), on rejection time for --source bad.
  --source bad   re-validates the original payload of bad rows against the current contract (after --fix,
                 a module exporting \`fix(event) => event\`), replays what now passes and lists what does not
  --type, --session   only these event types (comma-separated) / this session
  --target       stream (default: the Kinesis stream, the whole path runs again), raw (straight to the raw
                 delivery stream, skipping ingest), or file:PATH (newline-delimited collector envelopes)
  --dry-run      counts per partition and type, and bytes; sends nothing
  --rate N       at most N events/s; --concurrency C batches of ≤ 500 in flight (default 2)
  --resume       continue an interrupted or failed run without re-sending what was acknowledged (the checkpoint is
                 written every few seconds and on Ctrl-C; it holds a cursor, so rows added to the lake since do not
                 shift it)
  --cloud        run it in the replay state machine (statemachines/replay.asl.yaml: a Distributed Map over the
                 objects, 10 workers at --rate/10 events/s each) instead of from this machine; raw → stream only
Every replayed event keeps its event_id and event_time and carries one replay_id per run; ingest deduplicates
per replay, the curated layer keeps the earliest copy of an event_id, so replaying twice changes no features.
Events go out in hour order, at most 250 hours at a time, with a pause between waves for Firehose to write
them (1.5 × the raw delivery stream's buffering interval, + 10 s): it holds at most 500 active partitions.
Locally the bucket and streams come from the running local cloud; on AWS pass them.
`;

const root = path.resolve(__dirname, '..');

interface Target {
  kind: 'stream' | 'raw' | 'file';
  name: string;
}

function parseTarget(value: string | undefined, stream: string, rawDelivery: string): Target {
  if (value === undefined || value === 'stream') return { kind: 'stream', name: stream };
  if (value === 'raw') return { kind: 'raw', name: rawDelivery };
  if (value.startsWith('file:') && value.length > 5) return { kind: 'file', name: path.resolve(value.slice(5)) };
  throw new UsageError(`--target must be stream, raw or file:PATH (got "${value}").`);
}

async function loadFix(module: string): Promise<FixFunction> {
  const file = path.resolve(module);
  if (!existsSync(file)) throw new UsageError(`--fix ${module}: no such file.`);
  const loaded = (await import(file)) as { fix?: unknown; default?: { fix?: unknown } };
  const fix = loaded.fix ?? loaded.default?.fix;
  if (typeof fix !== 'function') throw new UsageError(`--fix ${module} must export a function \`fix(event)\`.`);
  return fix as FixFunction;
}

runCli(async () => {
  const { values } = parseCli(USAGE, {
    from: { type: 'string' },
    to: { type: 'string' },
    source: { type: 'string', default: 'raw' },
    type: { type: 'string' },
    session: { type: 'string' },
    fix: { type: 'string' },
    target: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    resume: { type: 'boolean', default: false },
    checkpoint: { type: 'string' },
    'lake-bucket': { type: 'string' },
    stream: { type: 'string' },
    'raw-delivery-stream': { type: 'string' },
    cloud: { type: 'boolean', default: false },
    'state-machine-arn': { type: 'string' },
  });
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
  let range;
  try {
    range = parseRange(values.from, values.to);
  } catch (error) {
    if (error instanceof ReplayRequestError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (values.source !== 'raw' && values.source !== 'bad') throw new UsageError(`--source must be raw or bad (got "${values.source}").`);
  const source = values.source as ReplaySource;
  if (values.fix && source !== 'bad') throw new UsageError('--fix applies to --source bad only.');
  const rate = values.rate === undefined ? undefined : intOption(values.rate, 'rate', 0, 1);
  const concurrency = intOption(values.concurrency, 'concurrency', 2, 1);
  if (concurrency > 16) throw new UsageError('--concurrency is at most 16.');
  const filter = {
    ...range,
    ...(values.type ? { types: new Set(values.type.split(',').map((t) => t.trim())) } : {}),
    ...(values.session ? { session: values.session } : {}),
  };

  const local = values['lake-bucket'] === undefined;
  const outputs: Record<string, string | undefined> = local ? (await import('./local-env')).useLocalCloud() : {};
  const bucket = values['lake-bucket'] ?? outputs.LakeBucketName!;
  const target = parseTarget(
    values.target,
    values.stream ?? outputs.ClickstreamStreamName ?? '',
    values['raw-delivery-stream'] ?? outputs.RawDeliveryStreamName ?? '',
  );

  // Everything that can be checked is checked before anything is sent.
  if (!(await bucketExists(bucket))) throw new Error(`Bucket ${bucket} does not exist (or cannot be read): check --lake-bucket.`);
  if (!values['dry-run'] && target.kind === 'stream' && !(target.name && (await streamExists(target.name))))
    throw new Error(`Kinesis stream "${target.name}" does not exist: check --stream.`);
  if (!values['dry-run'] && target.kind === 'raw' && !(target.name && (await deliveryStreamExists(target.name))))
    throw new Error(`Delivery stream "${target.name}" does not exist: check --raw-delivery-stream.`);
  const fix = values.fix ? await loadFix(values.fix) : undefined;

  const keys: string[] = [];
  for (const prefix of partitionPrefixes(source, range)) for (const o of await listObjects(bucket, prefix)) keys.push(o.key);
  if (values.cloud) {
    if (source !== 'raw' || target.kind !== 'stream' || values['dry-run'] || values.resume)
      throw new UsageError('--cloud replays raw events onto the stream; --source bad, other targets, --dry-run and --resume run from this machine.');
    const stateMachineArn = values['state-machine-arn'] ?? outputs.ReplayStateMachineArn;
    if (!stateMachineArn) throw new UsageError('--cloud needs --state-machine-arn (stack output ReplayStateMachineArn).');
    const replayId = randomUUID();
    const manifestKey = `replay/manifests/${replayId}.json`;
    await putObject(bucket, manifestKey, JSON.stringify(keys.map((Key) => ({ Key }))));
    // The state machine runs 10 workers (MaxConcurrency); each gets a tenth of the rate.
    const waveGapSeconds = Math.ceil((await waveGapFor(values['raw-delivery-stream'] ?? outputs.RawDeliveryStreamName ?? '')) / 1000);
    const input = {
      replay_id: replayId,
      manifest_key: manifestKey,
      from: range.from,
      to: range.to,
      types: values.type ? [...filter.types!] : null,
      session: values.session ?? null,
      rate_per_worker: Math.max(1, Math.ceil((rate ?? 100_000) / 10)),
      wave_gap_seconds: waveGapSeconds,
    };
    const executionArn = await startExecution(stateMachineArn, input);
    say(`replay: ${keys.length} objects in s3://${bucket}/${manifestKey}; execution ${executionArn}`);
    const started = Date.now();
    let execution = await describeExecution(executionArn);
    while (execution.status === 'RUNNING') {
      await sleep(1_000);
      execution = await describeExecution(executionArn);
      if (!json && Math.round((Date.now() - started) / 1000) % 10 === 0) say(`  … running ${Math.round((Date.now() - started) / 1000)}s`);
    }
    const results = execution.output
      ? (JSON.parse(execution.output) as { read: number; selected: number; sent: number; failed: number; skipped_duplicates: number }[])
      : [];
    const sum = (k: 'read' | 'selected' | 'sent' | 'failed' | 'skipped_duplicates') => results.reduce((a, r) => a + r[k], 0);
    const summary = {
      ok: execution.status === 'SUCCEEDED',
      replay_id: replayId,
      execution_arn: executionArn,
      status: execution.status,
      objects: keys.length,
      read: sum('read'),
      selected: sum('selected'),
      sent: sum('sent'),
      failed: sum('failed'),
      skipped_duplicates: sum('skipped_duplicates'),
      ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
    };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        `replay ${replayId} (${execution.status}): read ${summary.read} rows, selected ${summary.selected}, sent ${summary.sent}, failed ${summary.failed}${execution.error ? `; ${execution.error}: ${execution.cause}` : ''}\n`,
      );
    if (!summary.ok) process.exit(1);
    return;
  }
  say(`replay: reading ${keys.length} objects of ${source}/ (${new Date(range.from).toISOString()} … ${new Date(range.to).toISOString()})`);
  const rows: { key: string; row: unknown }[] = [];
  for (const key of keys) {
    let lines: unknown[];
    try {
      lines = await readJsonLines(bucket, key);
    } catch (error) {
      if ((error as Error).name === 'InvalidObjectState') {
        throw new Error(
          `s3://${bucket}/${key} is archived (GLACIER); nothing was sent. Restore the range first (aws s3api restore-object --bucket ${bucket} --key <key> --restore-request Days=7, for each object), wait for the restore, then replay again.`,
          { cause: error },
        );
      }
      throw new Error(`Cannot read s3://${bucket}/${key} (${(error as Error).message}); nothing was sent.`, { cause: error });
    }
    for (const row of lines) rows.push({ key, row });
  }
  let selected: SelectedEvent[];
  let duplicates = 0;
  let stillBad: ReturnType<typeof recoverBadRows>['stillBad'] = [];
  if (source === 'raw') ({ selected, duplicates } = selectRawEvents(rows as { key: string; row: LakeEvent }[], filter));
  else ({ recovered: selected, stillBad } = recoverBadRows(rows as { key: string; row: BadRow }[], filter, fix));
  for (const bad of stillBad.slice(0, 20))
    say(`  still invalid: ${bad.event_id ?? '(no event_id)'} in ${bad.key}: ${bad.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  if (stillBad.length > 20) say(`  … and ${stillBad.length - 20} more (--json lists them all)`);

  const checkpointFile = path.resolve(values.checkpoint ?? path.join(root, '.local', 'replay-checkpoint.json'));
  const args = {
    from: range.from,
    to: range.to,
    source,
    type: values.type ?? null,
    session: values.session ?? null,
    target: values.target ?? 'stream',
    fix: values.fix ?? null,
  };
  let replayId: string = randomUUID();
  // The send order: by partition hour, then event id (sendKey); a checkpoint's cursor is a position in it.
  selected = selected
    .map((s) => ({ s, key: sendKey(s) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ s }) => s);
  let skip = 0;
  if (values.resume) {
    if (!existsSync(checkpointFile)) throw new UsageError(`--resume: no checkpoint at ${checkpointFile}.`);
    const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as ReplayCheckpoint;
    if (JSON.stringify(checkpoint.args) !== JSON.stringify(args))
      throw new UsageError(`--resume: the checkpoint is for another replay (${JSON.stringify(checkpoint.args)}); run with the same options.`);
    replayId = checkpoint.replay_id;
    const cursor = checkpoint.cursor;
    skip = cursor === null ? 0 : selected.filter((s) => sendKey(s) <= cursor).length;
    say(`replay: resuming ${replayId}: ${skip} of ${selected.length} events were acknowledged before`);
  }

  const envelope = (s: SelectedEvent) => replayEnvelope(s, replayId);
  if (values['dry-run']) {
    const partitions: Record<string, number> = {};
    const types: Record<string, number> = {};
    let bytes = 0;
    for (const s of selected) {
      const hour = replayHour(s);
      const partition = source === 'raw' ? `dt=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}` : (partitionOf(s.key) ?? 'unknown');
      partitions[partition] = (partitions[partition] ?? 0) + 1;
      types[s.event.event_type] = (types[s.event.event_type] ?? 0) + 1;
      bytes += encodeEnvelope(envelope(s)).length;
    }
    const summary = {
      ok: true,
      dry_run: true,
      read: rows.length,
      selected: selected.length,
      skipped_duplicates: duplicates,
      still_invalid: stillBad.length,
      bytes,
      partitions,
      types,
      ...(json ? { still_invalid_rows: stillBad } : {}),
    };
    if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        `Would send ${selected.length} events (${bytes.toLocaleString('en-US')} bytes) to ${target.kind === 'file' ? target.name : `${target.kind} ${target.name}`}; read ${rows.length} rows, ${duplicates} duplicate copies skipped${source === 'bad' ? `, ${stillBad.length} still invalid` : ''}.\n`,
      );
      for (const [p, n] of Object.entries(partitions).sort()) process.stdout.write(`  ${p}  ${n}\n`);
      process.stdout.write(
        `  by type: ${Object.entries(types)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}\n`,
      );
    }
    return;
  }

  const todo = selected.slice(skip);
  // Waves of at most 250 partition hours; a batch never spans two waves, so a pause can fall between them.
  const waves = target.kind === 'file' ? [todo] : partitionWaves(todo, replayHour);
  const batches: SelectedEvent[][] = [];
  const waveStarts: number[] = [];
  for (const wave of waves) {
    waveStarts.push(batches.length);
    for (let i = 0; i < wave.length; i += 500) batches.push(wave.slice(i, i + 500));
  }
  const gapMs = waves.length > 1 ? await waveGapFor(values['raw-delivery-stream'] ?? outputs.RawDeliveryStreamName ?? '') : 0;
  if (waves.length > 1)
    say(`replay: ${waves.length} waves of partition hours, ${Math.round(gapMs / 1000)} s apart (Firehose holds at most 500 active partitions)`);
  const limiter = rate ? new RateLimiter(rate) : undefined;
  const sendLog: [number, number][] = [];
  const done = new Set<number>();
  let acknowledged = skip;
  let cursor: string | null = skip > 0 ? sendKey(selected[skip - 1]!) : null;
  let nextToAck = 0;
  let sent = 0;
  let failed = 0;
  let stopping = false;
  const saveCheckpoint = () =>
    writeFileSync(checkpointFile, `${JSON.stringify({ replay_id: replayId, args, acknowledged, cursor } satisfies ReplayCheckpoint)}\n`);
  // Written every few seconds while it runs, so a killed run (not only Ctrl-C) can be resumed.
  const checkpointTimer = setInterval(saveCheckpoint, 2_000);
  process.once('SIGINT', () => {
    stopping = true;
    say('\nreplay: interrupted; finishing the batches in flight, then writing the checkpoint…');
  });
  const bar = progressBar('replay', todo.length, !json);
  const sendBatch = async (index: number) => {
    const batch = batches[index]!;
    let failures: { index: number; error: string }[];
    if (target.kind === 'stream') {
      ({ failed: failures } = await putRecords(
        target.name,
        batch.map((s) => ({ data: encodeEnvelope(envelope(s)), partitionKey: s.event.session_id })),
      ));
    } else if (target.kind === 'raw') {
      const now = new Date().toISOString();
      ({ failed: failures } = await putRecordBatch(
        target.name,
        batch.map((s) => enrich(s.event, { receivedAt: s.received_at, ingestedAt: now, replayId, ...(s.backfill ? { window: 'backfill' as const } : {}) })),
      ));
    } else {
      appendFileSync(target.name, batch.map((s) => `${JSON.stringify(envelope(s))}\n`).join(''));
      failures = [];
    }
    for (const f of failures) say(`  failed: ${batch[f.index]!.event.event_id}: ${f.error}`);
    failed += failures.length;
    sent += batch.length - failures.length;
    bar.increment(batch.length);
    if (failures.length === 0) done.add(index);
    // The checkpoint moves over the unbroken run of fully acknowledged batches only.
    while (done.has(nextToAck)) {
      const acked = batches[nextToAck++]!;
      acknowledged += acked.length;
      cursor = sendKey(acked.at(-1)!);
    }
  };
  if (target.kind === 'file' && !values.resume) rmSync(target.name, { force: true });
  const started = Date.now();
  // Waves one after another (with the pause between them), the batches of a wave `concurrency` at a time.
  const waveEnds = [...waveStarts].slice(1).concat(batches.length);
  let next = 0;
  const worker = (end: number) => async () => {
    while (!stopping && next < end) {
      const index = next++;
      const wait = limiter?.take(batches[index]!.length) ?? 0;
      if (wait > 0) await sleep(wait);
      sendLog.push([Date.now(), batches[index]!.length]);
      await sendBatch(index);
    }
  };
  for (const [w, end] of waveEnds.entries()) {
    if (w > 0 && !stopping && gapMs > 0) {
      say(`replay: waiting ${Math.round(gapMs / 1000)} s before the next wave of partitions`);
      await sleep(gapMs);
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, end - next)) }, worker(end)));
  }
  bar.stop();
  clearInterval(checkpointTimer);
  const seconds = (Date.now() - started) / 1000;
  const interrupted = stopping && acknowledged < selected.length;
  if (interrupted || failed > 0) saveCheckpoint();
  else rmSync(checkpointFile, { force: true });
  const summary = {
    ok: failed === 0 && !interrupted,
    replay_id: replayId,
    target: target.kind === 'file' ? `file:${target.name}` : `${target.kind}:${target.name}`,
    read: rows.length,
    selected: selected.length,
    resumed_from: skip,
    sent,
    failed,
    skipped_duplicates: duplicates,
    still_invalid: stillBad.length,
    seconds,
    events_per_second: Math.round(sent / Math.max(seconds, 0.001)),
    ...(interrupted || failed > 0 ? { checkpoint: checkpointFile } : {}),
    ...(json ? { still_invalid_rows: stillBad, sends: sendLog } : {}),
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `replay ${replayId}: read ${rows.length} rows, selected ${selected.length}, sent ${sent}, failed ${failed}, skipped ${duplicates} duplicate copies${source === 'bad' ? `, ${stillBad.length} still invalid` : ''} in ${seconds.toFixed(1)}s (${summary.events_per_second} events/s)\n`,
    );
    if (interrupted || failed > 0) process.stdout.write(`Checkpoint: ${checkpointFile}. Continue with the same options and --resume.\n`);
  }
  if (interrupted) process.exit(130);
  if (failed > 0) process.exit(1);
});
