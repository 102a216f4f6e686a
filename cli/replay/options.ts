import { existsSync } from 'node:fs';
import path from 'node:path';
import { deliveryStreamExists } from '#adapters/firehose';
import { streamExists } from '#adapters/kinesis';
import { bucketExists } from '#adapters/s3';
import { parseRange, ReplayRequestError, type FixFunction, type ReplayFilter, type ReplaySource } from '#domain/replay';
import { intOption, parseCli, UsageError } from '#shared/args';

export const USAGE = `
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

const root = path.resolve(__dirname, '../..');

export interface Target {
  kind: 'stream' | 'raw' | 'file';
  name: string;
}

export interface ReplayOptions {
  json: boolean;
  range: { from: number; to: number };
  source: ReplaySource;
  filter: ReplayFilter;
  fix?: FixFunction;
  rate?: number;
  concurrency: number;
  dryRun: boolean;
  resume: boolean;
  cloud: boolean;
  checkpointFile: string;
  bucket: string;
  target: Target;
  rawDeliveryStream: string;
  stateMachineArn?: string;
  /** What a checkpoint records of the request: a resumed run must ask the same. */
  checkpointArgs: Record<string, unknown>;
}

/** The command line read and checked: bad options, and missing bucket or streams, fail before anything is read or sent. */
export async function replayOptions(argv = process.argv.slice(2)): Promise<ReplayOptions> {
  const { values } = parseCli(
    USAGE,
    {
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
    },
    argv,
  );
  let range;
  try {
    range = parseRange(values.from, values.to);
  } catch (error) {
    if (error instanceof ReplayRequestError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (values.source !== 'raw' && values.source !== 'bad') throw new UsageError(`--source must be raw or bad (got "${values.source}").`);
  const source: ReplaySource = values.source;
  if (values.fix && source !== 'bad') throw new UsageError('--fix applies to --source bad only.');
  const rate = values.rate === undefined ? undefined : intOption(values.rate, 'rate', 0, 1);
  const concurrency = intOption(values.concurrency, 'concurrency', 2, 1);
  if (concurrency > 16) throw new UsageError('--concurrency is at most 16.');
  const filter: ReplayFilter = {
    ...range,
    ...(values.type ? { types: new Set(values.type.split(',').map((t) => t.trim())) } : {}),
    ...(values.session ? { session: values.session } : {}),
  };

  const outputs: Record<string, string | undefined> = values['lake-bucket'] === undefined ? (await import('../local-env')).useLocalCloud() : {};
  const rawDeliveryStream = values['raw-delivery-stream'] ?? outputs.RawDeliveryStreamName ?? '';
  const options: ReplayOptions = {
    json: values.json === true,
    range,
    source,
    filter,
    ...(rate === undefined ? {} : { rate }),
    concurrency,
    dryRun: values['dry-run'],
    resume: values.resume,
    cloud: values.cloud,
    checkpointFile: path.resolve(values.checkpoint ?? path.join(root, '.local', 'replay-checkpoint.json')),
    bucket: values['lake-bucket'] ?? outputs.LakeBucketName!,
    target: parseTarget(values.target, values.stream ?? outputs.ClickstreamStreamName ?? '', rawDeliveryStream),
    rawDeliveryStream,
    ...((values['state-machine-arn'] ?? outputs.ReplayStateMachineArn)
      ? { stateMachineArn: values['state-machine-arn'] ?? outputs.ReplayStateMachineArn }
      : {}),
    checkpointArgs: {
      from: range.from,
      to: range.to,
      source,
      type: values.type ?? null,
      session: values.session ?? null,
      target: values.target ?? 'stream',
      fix: values.fix ?? null,
    },
  };
  if (options.cloud) {
    if (source !== 'raw' || options.target.kind !== 'stream' || options.dryRun || options.resume)
      throw new UsageError('--cloud replays raw events onto the stream; --source bad, other targets, --dry-run and --resume run from this machine.');
    if (!options.stateMachineArn) throw new UsageError('--cloud needs --state-machine-arn (stack output ReplayStateMachineArn).');
  }
  await checkResources(options);
  if (values.fix) options.fix = await loadFix(values.fix);
  return options;
}

function parseTarget(value: string | undefined, stream: string, rawDelivery: string): Target {
  if (value === undefined || value === 'stream') return { kind: 'stream', name: stream };
  if (value === 'raw') return { kind: 'raw', name: rawDelivery };
  if (value.startsWith('file:') && value.length > 5) return { kind: 'file', name: path.resolve(value.slice(5)) };
  throw new UsageError(`--target must be stream, raw or file:PATH (got "${value}").`);
}

// Everything that can be checked is checked before anything is sent.
async function checkResources({ bucket, target, dryRun }: ReplayOptions): Promise<void> {
  if (!(await bucketExists(bucket))) throw new Error(`Bucket ${bucket} does not exist (or cannot be read): check --lake-bucket.`);
  if (!dryRun && target.kind === 'stream' && !(target.name && (await streamExists(target.name))))
    throw new Error(`Kinesis stream "${target.name}" does not exist: check --stream.`);
  if (!dryRun && target.kind === 'raw' && !(target.name && (await deliveryStreamExists(target.name))))
    throw new Error(`Delivery stream "${target.name}" does not exist: check --raw-delivery-stream.`);
}

async function loadFix(module: string): Promise<FixFunction> {
  const file = path.resolve(module);
  if (!existsSync(file)) throw new UsageError(`--fix ${module}: no such file.`);
  const loaded = (await import(file)) as { fix?: unknown; default?: { fix?: unknown } };
  const fix = loaded.fix ?? loaded.default?.fix;
  if (typeof fix !== 'function') throw new UsageError(`--fix ${module} must export a function \`fix(event)\`.`);
  return fix as FixFunction;
}
