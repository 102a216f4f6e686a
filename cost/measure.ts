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
import type { MeasuredUsage } from './model';

const root = path.resolve(__dirname, '..');

/**
 * Runs the real functions on a local cloud of its own and counts what they ask of each service, per event: the
 * synthetic shoppers' events through POST /events in requests of `eventsPerRequest`, until all are in S3; then
 * POST /predict, one session per request. Warm-up requests first, so the figures are a warm function's.
 */
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
    const usage = cloud.usageReport();

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
    };
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
