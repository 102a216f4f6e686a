import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sendEvents } from '../cli/collector-client';
import { LocalCloud } from '../local/cloud';
import { setAlias } from '#adapters/registry-table';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { resetClients } from '#shared/aws-clients';
import { trainedModel } from '../test/helpers/models';
import { registerVersion } from '../test/helpers/registry';
import { sleep } from '#shared/retry';
import type { MeasuredUsage } from './model';

const root = path.resolve(__dirname, '..');

/**
 * Runs the real functions on a local cloud of its own and counts what they ask of each service, per event: the
 * synthetic shoppers' events through POST /events in requests of `eventsPerRequest`, until all are in S3; then
 * POST /predict, one session per request. Warm-up requests first, so the figures are a warm function's.
 */
/**
 * The realtime function's final invocation alone (once per window and shard: its cost does not follow the events),
 * with a window state as the run left it, a few times through the local Lambda Invoke API. `itemsWritten`: the run's
 * items written to the real-time table, four per window and shard.
 */
async function measureRealtimeFinal(cloud: LocalCloud, itemsWritten: number): Promise<{ windows: number; finalBilledMs: number }> {
  const lambda = new LambdaClient({
    region: 'us-east-1',
    endpoint: cloud.outputs.LambdaEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const window = { start: new Date(Date.now() - 120_000).toISOString(), end: new Date(Date.now() - 60_000).toISOString() };
  const base = {
    window,
    shardId: 'shardId-000000000000',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/cost',
    isWindowTerminatedEarly: false,
  };
  const invoke = async (event: unknown) => {
    const response = await lambda.send(new InvokeCommand({ FunctionName: 'clickstream-ml-local-realtime', Payload: Buffer.from(JSON.stringify(event)) }));
    if (response.FunctionError) throw new Error(`realtime answered ${response.FunctionError}`);
    return JSON.parse(Buffer.from(response.Payload!).toString('utf8')) as { state: unknown };
  };
  const shoppers = new ShopperModel(11, new Date(Date.now() - 60_000), 60_000);
  const events = Array.from({ length: 100 }, () => shoppers.session().events).flat();
  const data = Buffer.from(JSON.stringify({ v: 1, received_at: new Date().toISOString(), events })).toString('base64');
  const records = [{ kinesis: { data, sequenceNumber: '1', partitionKey: 'cost', approximateArrivalTimestamp: Date.now() / 1000 } }];
  const { state } = await invoke({ ...base, Records: records, state: {}, isFinalInvokeForWindow: false });
  const runs = 20;
  cloud.resetUsage();
  for (let i = 0; i < runs; i++) await invoke({ ...base, Records: [], state, isFinalInvokeForWindow: true });
  lambda.destroy();
  return { windows: itemsWritten / 4, finalBilledMs: (cloud.usageReport().lambda.realtime?.billedMs ?? 0) / runs };
}

export async function measureUsage(options: {
  events: number;
  eventsPerRequest: number;
  predictions: number;
  log: (line: string) => void;
}): Promise<MeasuredUsage> {
  const { log } = options;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cost-cloud-'));
  log('starting a local cloud of its own');
  const cloud = await LocalCloud.start({ root, dataDir, port: 0, apiPort: 0, hotReload: false });
  Object.assign(process.env, cloud.env);
  resetClients();
  try {
    const shoppers = new ShopperModel(7, new Date(Date.now() - 3_600_000), 3_600_000);
    const take = (n: number) => {
      const events: { session_id: string }[] = [];
      while (events.length < n) events.push(...shoppers.session().events);
      return events.slice(0, n);
    };
    const send = (events: { session_id: string }[]) => sendEvents(cloud.outputs.ApiUrl, events, { batchSize: options.eventsPerRequest, concurrency: 4 });
    log('warming up the functions');
    await send(take(options.eventsPerRequest * 20));
    await cloud.drain();

    cloud.resetUsage();
    const events = take(options.events);
    log(`sending ${events.length.toLocaleString('en-US')} events in requests of ${options.eventsPerRequest}`);
    const sent = await send(events);
    if (sent.accepted + sent.rejected !== events.length)
      throw new Error(`${events.length - sent.accepted - sent.rejected} events were not taken; the measurement needs them all.`);
    await cloud.drain(600_000);
    // The real-time consumer's last records wait for their window's end (drain does not wait for them), then its final invocation.
    await sleep((2 * Number(cloud.outputs.RealtimeWindowSeconds) + 2) * 1000);
    const usage = cloud.usageReport();
    const realtime = await measureRealtimeFinal(cloud, usage.dynamodb.itemsWrittenByTable[cloud.outputs.RealtimeTableName!] ?? 0);

    log(`scoring ${options.predictions} sessions with POST /predict`);
    const model = trainedModel('gbdt');
    await registerVersion(
      { model: 'cost-model', version: 'v1', kind: model.kind, artifact: { name: 'cost-model', version: 'v1', model } },
      { table: cloud.outputs.ModelsTableName!, bucket: cloud.outputs.LakeBucketName! },
    );
    await setAlias(cloud.outputs.ModelsTableName!, 'cost-model', PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'cost', reason: 'measure' });
    const session = { session: { events: take(12).map((e) => ({ ...e, session_id: 'cost-session' })) }, model: 'cost-model' };
    const post = () =>
      fetch(`${cloud.outputs.ApiUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(session) });
    for (let i = 0; i < 20; i++) await post();
    cloud.resetUsage();
    for (let i = 0; i < options.predictions; i++) {
      const response = await post();
      if (!response.ok) throw new Error(`POST /predict answered ${response.status}`);
    }
    const predict = cloud.usageReport().lambda.predict;
    // The capture sends in the background: what it put on the predictions stream, once Firehose has written it.
    await cloud.drain();
    const captured = cloud.usageReport().firehose;

    const n = events.length;
    const collect = usage.lambda.collect;
    if (!usage.lambda.realtime) throw new Error('The realtime function did not run; is its mapping in serverless.yml?');
    const ingest = usage.lambda.ingest;
    const partition = usage.lambda.partitionRaw;
    if (!collect || !ingest || !partition || !predict) throw new Error('No function durations in the local log; is serverless-offline logging to .local/logs?');
    const per = (value: number) => value / n;
    return {
      measured_at: new Date().toISOString(),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(),
      run: {
        events: n,
        requests: collect.invocations,
        events_per_request: options.eventsPerRequest,
        event_bytes: events.reduce((s, e) => s + Buffer.byteLength(JSON.stringify(e)), 0) / n,
        note: "local stage: dedup on, ingest batch window 1 s, Firehose buffers 1 s; durations are serverless-offline's billed ms on this machine",
      },
      per_event: {
        kinesis_records: per(usage.kinesis.records),
        kinesis_bytes: per(usage.kinesis.bytes),
        kinesis_kb_units: per(usage.kinesis.kbUnits),
        kinesis_payload_units: per(usage.kinesis.payloadUnits),
        firehose_bytes: per(usage.firehose.bytes),
        firehose_billed_bytes: per(usage.firehose.billedBytes),
        firehose_delivered_bytes: per(usage.firehose.deliveredBytes),
        s3_stored_bytes: per(usage.firehose.objectBytes),
        dynamodb_read_units: per(usage.dynamodb.readUnits),
        dynamodb_write_units: per(usage.dynamodb.writeUnits),
        ingest_billed_ms: per(ingest.billedMs),
      },
      per_request: { collect_billed_ms: collect.billedMs / collect.invocations },
      predict_billed_ms: predict.billedMs / predict.invocations,
      prediction_capture: { billed_bytes: captured.billedBytes / options.predictions, stored_bytes: captured.objectBytes / options.predictions },
      partition_billed_ms_per_mb: partition.billedMs / (usage.firehose.bytes / 1024 ** 2),
      realtime: {
        window_seconds: Number(cloud.outputs.RealtimeWindowSeconds),
        windows: realtime.windows,
        billed_ms_per_event: Math.max(0, usage.lambda.realtime.billedMs - realtime.windows * realtime.finalBilledMs) / n,
        billed_ms_per_final: realtime.finalBilledMs,
        write_units_per_window: (usage.dynamodb.writeUnitsByTable[cloud.outputs.RealtimeTableName!] ?? 0) / Math.max(1, realtime.windows),
      },
    };
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
