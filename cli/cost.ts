import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import {
  ASSUMPTIONS,
  compare,
  monthlyBill,
  predictionsCost,
  provisionedShards,
  realtimeCost,
  trainingRunCost,
  type Bill,
  type MeasuredUsage,
  type Prices,
  type StackConfig,
} from '../cost/model';

const USAGE = `
npm run cost -- [--rps 10,100,1000] [--events-per-request 10] [--event-bytes B] [--stage dev]
                [--collector http-api|function-url] [--kinesis on-demand|provisioned[:SHARDS]] [--dedup on|off]
                [--platform-logs on|off] [--measure [--events 20000]] [--json]

The monthly AWS bill (us-east-1, on-demand list prices in cost/prices.us-east-1.json, with their sources) of
the stack as serverless.yml configures it for --stage, at each request rate, from usage per event measured by
running the real functions on the local cloud (cost/usage.json; --measure measures again and rewrites it). Then
the same beside the published figures of AWS's Clickstream Analytics on AWS at 10/100/1000 RPS — at the
measured event size and at 1 KB per event — as configured and with the cost options (--collector, --kinesis,
--dedup, --platform-logs override the stage's), what one training run and a million predictions cost, and
the real-time consumer's month (and its cost per million events) at each rate.
`;

const root = path.resolve(__dirname, '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as T;
const usd = (n: number) => `$${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)}`;

/** The stage's settings that move the bill, from `sls print` (serverless.yml with the stage's params resolved). */
function stackConfig(stage: string): StackConfig {
  const printed = JSON.parse(
    execFileSync(path.join(root, 'node_modules', '.bin', 'sls'), ['print', '--stage', stage, '--format', 'json'], {
      cwd: root,
      env: { ...process.env, AWS_ENDPOINT_URL: '' },
    }).toString(),
  ) as {
    params: Record<string, Record<string, unknown>>;
    provider: { memorySize?: number };
    functions: Record<string, { memorySize?: number }>;
  };
  const params = { ...printed.params.default, ...printed.params[stage] };
  const memory = (fn: string) => printed.functions[fn]?.memorySize ?? printed.provider.memorySize ?? 1024;
  return {
    // With the function URL on, the model takes every request to come through it (trackers pointed at it).
    collector: String(params.collectFunctionUrl) === 'true' ? 'function-url' : 'http-api',
    kinesis: params.kinesisStreamMode === 'PROVISIONED' ? { mode: 'provisioned', shards: Number(params.kinesisShardCount) } : { mode: 'on-demand' },
    dedup: String(params.dedupEnabled) === 'true',
    collectMemoryMb: memory('collect'),
    ingestMemoryMb: memory('ingest'),
    partitionMemoryMb: memory('partitionRaw'),
    ingestBatchSize: Number(params.ingestBatchSize),
    ingestBatchWindowSeconds: Number(params.ingestBatchWindowSeconds),
    rawBufferIntervalSeconds: Number(params.rawBufferIntervalSeconds),
    rawBufferSizeMb: Number(params.rawBufferSizeMb),
    platformLogs: params.lambdaSystemLogLevel !== 'WARN',
    accessLogs: true,
    realtime: { windowSeconds: Number(params.realtimeWindowSeconds), memoryMb: memory('realtime') },
  };
}

function options(values: Record<string, string | boolean | undefined>, base: StackConfig): StackConfig {
  const onOff = (name: string, fallback: boolean) => {
    const value = values[name];
    if (value === undefined) return fallback;
    if (value !== 'on' && value !== 'off') throw new UsageError(`--${name} is on or off (got "${String(value)}").`);
    return value === 'on';
  };
  const collector = (values.collector as string | undefined) ?? base.collector;
  if (collector !== 'http-api' && collector !== 'function-url') throw new UsageError(`--collector is http-api or function-url (got "${collector}").`);
  let kinesis = base.kinesis;
  if (typeof values.kinesis === 'string') {
    const [mode, shards] = values.kinesis.split(':');
    if (mode === 'on-demand') kinesis = { mode };
    else if (mode === 'provisioned') kinesis = { mode, ...(shards ? { shards: intOption(shards, 'kinesis shards', 1, 1) } : {}) };
    else throw new UsageError(`--kinesis is on-demand or provisioned[:SHARDS] (got "${values.kinesis}").`);
  }
  return { ...base, collector, kinesis, dedup: onOff('dedup', base.dedup), platformLogs: onOff('platform-logs', base.platformLogs) };
}

/** The options that cut the bill without weakening a guarantee (README, "Cost"). */
const COST_OPTIONS = (base: StackConfig): StackConfig => ({
  ...base,
  collector: 'function-url',
  kinesis: { mode: 'provisioned' },
  dedup: false,
  platformLogs: false,
});

function printBill(title: string, bill: Bill, per = 'a month'): void {
  process.stdout.write(`\n${title}: ${usd(bill.total)} ${per}\n`);
  for (const l of bill.lines.filter((x) => x.usd >= 0.005))
    process.stdout.write(
      `  ${`${l.service} — ${l.item}`.padEnd(72)} ${l.quantity.toLocaleString('en-US', { maximumFractionDigits: 1 }).padStart(16)} ${l.unit.padEnd(11)} ${usd(l.usd).padStart(10)}\n`,
    );
}

runCli(async () => {
  const { values } = parseCli(USAGE, {
    rps: { type: 'string', default: '10,100,1000' },
    'events-per-request': { type: 'string' },
    'event-bytes': { type: 'string' },
    stage: { type: 'string', default: 'dev' },
    collector: { type: 'string' },
    kinesis: { type: 'string' },
    dedup: { type: 'string' },
    'platform-logs': { type: 'string' },
    measure: { type: 'boolean', default: false },
    events: { type: 'string' },
  });
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`cost: ${line}\n`));
  const eventsPerRequest = intOption(values['events-per-request'], 'events-per-request', 10, 1);
  const rates = values.rps.split(',').map((r) => intOption(r.trim(), 'rps', 10, 1));
  if (values.measure) {
    const { measureUsage } = await import('../cost/measure');
    const measured = await measureUsage({ events: intOption(values.events, 'events', 20_000, 1000), eventsPerRequest, predictions: 300, log: say });
    writeFileSync(path.join(root, 'cost', 'usage.json'), `${JSON.stringify(measured, null, 2)}\n`);
    say('measured usage written to cost/usage.json');
  }
  const usage = readJson<MeasuredUsage>('cost/usage.json');
  const prices = readJson<Prices>('cost/prices.us-east-1.json');
  const theirs = readJson<Parameters<typeof compare>[0] & { name: string; source: string; assumptions: string }>('cost/clickstream-analytics-on-aws.json');
  const configured = options(values, stackConfig(values.stage));
  const eventBytes = values['event-bytes'] === undefined ? usage.run.event_bytes : intOption(values['event-bytes'], 'event-bytes', 1, 1);
  const bills = rates.map((rps) => ({ rps, bill: monthlyBill(usage, prices, { rps, eventsPerRequest, eventBytes, config: configured }) }));

  const comparisonRates = [10, 100, 1000];
  const comparisons = [usage.run.event_bytes, 1024].map((bytes) => ({
    event_bytes: Math.round(bytes),
    configured: comparisonRates.map((rps) =>
      compare(theirs, rps, monthlyBill(usage, prices, { rps, eventsPerRequest: 10, eventBytes: bytes, config: configured }).total),
    ),
    with_cost_options: comparisonRates.map((rps) =>
      compare(theirs, rps, monthlyBill(usage, prices, { rps, eventsPerRequest: 10, eventBytes: bytes, config: COST_OPTIONS(configured) }).total),
    ),
  }));
  const training = trainingRunCost(prices, {
    crawlerMinutes: 2,
    crawlerDpus: 2,
    glueWorkers: 2,
    glueMinutes: 5,
    fargateVcpus: 2,
    fargateGb: 4,
    fargateMinutes: 10,
    stateTransitions: 40,
  });
  // The same run on SageMaker's XGBoost, as sized at the stage's sagemakerMinRows (README "Training"): two
  // instances, each billed about 6 minutes (the image's start and the channels' download are billed; 2 M sessions
  // train in well under a minute at the 1 M-event bench's 57,000 sessions per second on 2 cores).
  const sagemakerTraining = trainingRunCost(prices, {
    crawlerMinutes: 2,
    crawlerDpus: 2,
    glueWorkers: 2,
    glueMinutes: 5,
    fargateVcpus: 0,
    fargateGb: 0,
    fargateMinutes: 0,
    stateTransitions: 45,
    sagemaker: { instances: 2, billedMinutes: 6 },
  });
  const predictions = predictionsCost(usage, prices, configured.collectMemoryMb);
  const shardsAt = (rps: number) =>
    configured.kinesis.mode === 'provisioned'
      ? (configured.kinesis.shards ??
        provisionedShards(rps * eventsPerRequest * usage.per_event.kinesis_records, usage.per_event.kinesis_bytes / usage.per_event.kinesis_records))
      : ASSUMPTIONS.onDemandShards;
  const realtime = usage.realtime
    ? rates.map((rps) => {
        const bill = realtimeCost(usage, prices, {
          eventsPerSecond: rps * eventsPerRequest,
          shards: shardsAt(rps),
          windowSeconds: configured.realtime!.windowSeconds,
          memoryMb: configured.realtime!.memoryMb,
          kinesis: configured.kinesis.mode,
          eventBytes,
        });
        return { rps, bill, per_million_events: (bill.total / bill.events) * 1e6 };
      })
    : [];

  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: true, usage: { measured_at: usage.measured_at, commit: usage.commit, event_bytes: usage.run.event_bytes }, prices_checked: prices.checked, config: configured, bills, comparisons, training_run: training, training_run_sagemaker: sagemakerTraining, million_predictions: predictions, realtime })}\n`,
    );
    return;
  }
  process.stdout.write(
    `Usage measured ${usage.measured_at.slice(0, 10)} (commit ${usage.commit}): ${usage.run.events.toLocaleString('en-US')} events, ${Math.round(usage.run.event_bytes)} B each on average; prices checked ${prices.checked} (cost/prices.us-east-1.json).\n` +
      `Stack (${values.stage}): ${configured.collector}, Kinesis ${configured.kinesis.mode}, dedup ${configured.dedup ? 'on' : 'off'}, Lambda platform logs ${configured.platformLogs ? 'on' : 'off'}; ${eventsPerRequest} events per request, ${Math.round(eventBytes)} B per event.\n`,
  );
  for (const { rps, bill } of bills)
    printBill(`${rps} requests/s (${(bill.events / 1e6).toLocaleString('en-US', { maximumFractionDigits: 0 })} M events a month)`, bill);
  process.stdout.write(`\nBeside ${theirs.name} (${theirs.source}; ${theirs.assumptions}):\n`);
  for (const c of comparisons) {
    process.stdout.write(`  ${c.event_bytes} B per event, 10 events per request:\n`);
    process.stdout.write(
      `    ${'RPS'.padStart(5)}  ${'theirs, cheapest'.padStart(17)}  ${'theirs, stream+hourly'.padStart(21)}  ${'ours as configured'.padStart(19)}  ${'ours, cost options'.padStart(19)}  target\n`,
    );
    for (const [i, a] of c.configured.entries()) {
      const b = c.with_cost_options[i]!;
      process.stdout.write(
        `    ${String(a.rps).padStart(5)}  ${usd(a.theirsCheapest).padStart(17)}  ${usd(a.theirsStreamHourly).padStart(21)}  ${`${usd(a.ours)} (${a.ratio.toFixed(2)}×)`.padStart(19)}  ${`${usd(b.ours)} (${b.ratio.toFixed(2)}×)`.padStart(19)}  ≤ ${a.target}× ${b.met ? '✓' : '✗'}\n`,
      );
    }
  }
  process.stdout.write(
    `  Cost options: Kinesis provisioned (shards sized for 2× the rate; stage params kinesisStreamMode, kinesisShardCount), dedup off (dedupEnabled: 'false', the default), Lambda platform logs off (lambdaSystemLogLevel: WARN), and POST /events through the collector's Lambda function URL instead of the HTTP API (collectFunctionUrl: 'true', trackers pointed at the CollectLambdaFunctionUrl output).\n`,
  );
  printBill('One training run (assumed: crawler 2 min, Glue 2 workers 5 min, Fargate 2 vCPU / 4 GB 10 min)', training, 'a run');
  printBill('One training run on SageMaker’s XGBoost (assumed: the same crawler and Glue, 2 × ml.m5.2xlarge billed 6 min each)', sagemakerTraining, 'a run');
  printBill('A million predictions (POST /predict, one session each, in Lambda)', predictions, 'a million');
  for (const { rps, bill, per_million_events } of realtime)
    printBill(
      `Real-time analytics at ${rps} requests/s (${configured.realtime!.windowSeconds} s windows, ${shardsAt(rps)} shards; ${usd(per_million_events)} per million events)`,
      bill,
    );
  if (realtime.length === 0) process.stdout.write('\nReal-time analytics: not in cost/usage.json yet (npm run cost -- --measure).\n');
});
