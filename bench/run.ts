import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Context } from 'aws-lambda';
import { parseCli, runCli } from '#shared/args';
import { benchEvents, benchRecords, ingestBenchEnv, kinesisBatch } from './fixtures';
import { machine, pairedTimes, P99_MIN_SAMPLES, summarize, tail, type Figure } from './harness';
import { startSink } from './sink';
import { startRegistrySink } from './registry-sink';
import { runXgboostAlgorithm, xgboostVersion, XGBOOST_INSTALL } from '../local/sagemaker-training';
import { shopperRows, trainedModel } from '../test/helpers/models';
import { createHash } from 'node:crypto';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { FEATURE_NAMES } from '#domain/features/spec';
import { predict, type TrainedModel } from '#domain/model/training-run';
import { enrich } from '#domain/events/enrich';
import { planCollect, type StreamRecordPlan } from '#domain/collect';

const USAGE = `
npm run bench -- [name…] [--json]

Benchmarks, each next to a bare baseline measured in the same run: ingest, realtime, realtime-local, collect, predict, predict-http,
pipeline, coldstart, memory, training, tracker.
Prints a table and writes bench/results/latest.json.
`;

const root = path.resolve(__dirname, '..');
const execFileAsync = promisify(execFile);
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** Baseline for event processing: decode base64 + JSON.parse + JSON.stringify of the same records. */
function bareDecode(batch: ReturnType<typeof kinesisBatch>): number {
  let bytes = 0;
  for (const r of batch.Records) bytes += JSON.stringify(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'))).length;
  return bytes;
}

function rateFigure(
  name: string,
  events: number,
  samples: number[],
  baselineName: string,
  baselineSamples: number[],
  target?: [string, (ratio: number) => boolean],
): Figure {
  // A rate's p99 is the rate of the p99 (slow) run.
  const rate = (ms: number) => events / (ms / 1000);
  const t = summarize(samples);
  const b = summarize(baselineSamples);
  const ratio = rate(t.median) / rate(b.median);
  return {
    name,
    unit: 'events/s',
    median: rate(t.median),
    p99: rate(t.p99),
    min: rate(t.max),
    max: rate(t.min),
    runs: t.runs,
    baseline: { name: baselineName, median: rate(b.median) },
    ratio,
    ...(target ? { target: target[0], met: target[1](ratio) } : {}),
  };
}

/** Lambda's synchronous invocation payload limit (6 MB) over the bench's Kinesis event size: the most records one invocation can carry. */
function largestLegalBatch(): number {
  const perRecord = Buffer.byteLength(JSON.stringify(kinesisBatch(benchRecords(500)))) / 500;
  return Math.floor((6 * 1024 * 1024 * 0.98) / perRecord / 100) * 100;
}

async function ingestBench(): Promise<Figure[]> {
  const sink = await startSink();
  Object.assign(process.env, ingestBenchEnv(sink.url));
  const { handler } = await import('../functions/ingest/handler');
  const figures: Figure[] = [];
  // The deployed batch size, and the largest batch Lambda can be invoked with (its event ≤ 6 MB).
  for (const n of [500, largestLegalBatch()]) {
    // Both sides start from the invocation event as the Lambda runtime gets it: JSON text it parses first.
    const records = benchRecords(n);
    const events = records.reduce((sum, r) => sum + r.events, 0);
    const event = JSON.stringify(kinesisBatch(records));
    const repeats = n === 500 ? 40 : 10;
    const [samples, baseline] = await pairedTimes(
      () => handler(JSON.parse(event) as never, context),
      () => bareDecode(JSON.parse(event) as ReturnType<typeof kinesisBatch>),
      3,
      repeats,
    );
    figures.push(
      rateFigure(
        `ingest handler, ${n.toLocaleString('en-US')} records of ${events.toLocaleString('en-US')} events (paired)`,
        events,
        samples,
        'event JSON.parse + base64 + JSON.parse + JSON.stringify',
        baseline,
        ['≥ 0.5 of baseline', (r) => r >= 0.5],
      ),
    );
  }
  await sink.close();
  return figures;
}

/**
 * The real-time consumer's hot path (functions/realtime): a mid-window invocation of the deployed batch size,
 * its window's state carried in and out as JSON, as Lambda does. The final invocation's table writes are once
 * per window and shard, not per event: not timed here.
 */
async function realtimeBench(): Promise<Figure[]> {
  // Visitors counted by their pseudonyms, the key from "Secrets Manager" (the sink answers it): the bench's records
  // are not pseudonymized yet, so every id is HMAC'd here — the worst case (events of other producers than the collector).
  const sink = await startSink();
  Object.assign(process.env, ingestBenchEnv(sink.url), {
    AWS_ENDPOINT_URL: sink.url,
    REALTIME_TABLE_NAME: 'bench',
    PSEUDONYMIZE_FIELDS: 'user_id,anonymous_id',
    PSEUDONYMIZATION_SECRET_ID: 'bench',
    LOG_LEVEL: 'ERROR',
  });
  const { handler } = await import('../functions/realtime/handler');
  const records = benchRecords(1_000);
  const events = records.reduce((sum, r) => sum + r.events, 0);
  const batch = kinesisBatch(records);
  const window = { window: { start: '2026-12-07T10:00:00Z', end: '2026-12-07T10:01:00Z' }, shardId: 'shardId-000000000000', isWindowTerminatedEarly: false };
  // The state of a window that has seen a batch already: its sketches are full-size.
  const warm = (await handler(
    { ...batch, ...window, eventSourceARN: 'arn:aws:kinesis:us-east-1:0:stream/bench', state: {}, isFinalInvokeForWindow: false } as never,
    context,
  )) as {
    state: unknown;
  };
  const event = JSON.stringify({
    ...batch,
    ...window,
    eventSourceARN: 'arn:aws:kinesis:us-east-1:0:stream/bench',
    state: warm.state,
    isFinalInvokeForWindow: false,
  });
  const [samples, baseline] = await pairedTimes(
    async () => JSON.stringify(await handler(JSON.parse(event) as never, context)),
    () => bareDecode(JSON.parse(event) as ReturnType<typeof kinesisBatch>),
    3,
    40,
  );
  await sink.close();
  return [
    rateFigure(
      `realtime handler, a mid-window batch of 1,000 records (${events.toLocaleString('en-US')} events), state in and out (paired)`,
      events,
      samples,
      'event JSON.parse + base64 + JSON.parse + JSON.stringify',
      baseline,
      ['≥ 0.5 of baseline', (r) => r >= 0.5],
    ),
  ];
}

async function collectBench(): Promise<Figure[]> {
  const sink = await startSink();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KINESIS: sink.url,
    CLICKSTREAM_STREAM_NAME: 'bench',
    LOG_LEVEL: 'ERROR',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
  });
  const { handler } = await import('../functions/collect/handler');
  const events = benchEvents(500);
  const body = JSON.stringify(events);
  const request = {
    version: '2.0',
    rawPath: '/events',
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  };
  const [samples, baseline] = await pairedTimes(
    () => handler(request as never, context),
    () => JSON.parse(body).map((e: unknown) => JSON.stringify(e)),
    5,
    40,
  );
  await sink.close();
  return [rateFigure('collect handler, 500 events (paired)', 500, samples, 'JSON.parse + JSON.stringify', baseline)];
}

function microFigure(
  name: string,
  samples: number[],
  baselineName: string,
  baseline: number[],
  target?: [string, (f: { p99: number; ratio: number }) => boolean],
): Figure {
  const t = summarize(samples);
  const b = summarize(baseline);
  const ratio = t.median / b.median;
  return {
    name,
    unit: 'µs',
    ...t,
    baseline: { name: baselineName, median: b.median },
    ratio,
    ...(target ? { target: target[0], met: target[1]({ p99: t.p99, ratio }) } : {}),
  };
}

/**
 * The predict handler in-process and warm (its model cached), for both model kinds: one session from features,
 * one from raw events, and a batch of 1,000 — against the bare model function on the same feature vectors.
 */
/** A model's production alias and inline version v1, as the registry stores them (src/domain/registry.ts checks every field it reads). */
function registryItems(name: string, model: TrainedModel): Record<string, unknown>[] {
  const text = JSON.stringify({ model });
  const sha256 = createHash('sha256').update(text).digest('hex');
  const at = '2026-11-01T00:00:00.000Z';
  return [
    { model_name: name, sk: 'alias#production', alias: 'production', version: 'v1', updated_at: at, history: [] },
    {
      model_name: name,
      sk: 'version#v1',
      version: 'v1',
      kind: model.kind,
      created_at: at,
      feature_spec: [...FEATURE_NAMES],
      metrics: {},
      data: {},
      artifact: { uri: `s3://bench/${name}`, sha256, bytes: text.length, inline: text },
    },
  ];
}

async function predictBench(): Promise<Figure[]> {
  const models = { gbdt: trainedModel('gbdt', 4000), logistic_regression: trainedModel('logistic_regression', 4000) };
  const registry = await startRegistrySink(Object.entries(models).flatMap(([name, model]) => registryItems(name, model)));
  // As deployed: every scored session captured (predictionCaptureRate 1), sent to a Firehose stand-in in the background.
  const firehose = await startSink();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: registry.url,
    AWS_ENDPOINT_URL_FIREHOSE: firehose.url,
    PREDICTIONS_DELIVERY_STREAM_NAME: 'bench-predictions',
    MODELS_TABLE_NAME: 'bench',
    LOG_LEVEL: 'ERROR',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
  });
  const { handler } = await import('../functions/predict/handler');
  const request = (body: unknown) => ({
    version: '2.0',
    routeKey: 'POST /predict',
    rawPath: '/predict',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  });
  // Binary rows as API Gateway hands them over: base64, model in the query string, feature names in a header.
  const binaryRequest = (model: string, rows: Float64Array) => ({
    version: '2.0',
    routeKey: 'POST /predict',
    rawPath: '/predict',
    queryStringParameters: { model },
    headers: { 'content-type': 'application/octet-stream', 'x-feature-names': FEATURE_NAMES.join(',') },
    body: Buffer.from(rows.buffer).toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method: 'POST' } },
  });
  const rows = shopperRows(1000, 77);
  const vectors = rows.map((r) => FEATURE_NAMES.map((n) => r[n] ?? Number.NaN));
  const features = rows.map((r) => Object.fromEntries(FEATURE_NAMES.map((n) => [n, r[n]])));
  const { events } = new ShopperModel(78, new Date('2025-01-01T00:00:00Z'), 86_400_000).session();
  const figures: Figure[] = [];
  for (const [name, model] of Object.entries(models)) {
    const one = request({ model: name, session: { features: features[0] } });
    const fromEvents = request({ model: name, session: { events } });
    const batch = request({ model: name, sessions: features.map((f, i) => ({ session_id: `s${i}`, features: f })) });
    const call = async (req: unknown) => {
      const res = (await handler(req as never, context)) as { statusCode: number };
      if (res.statusCode !== 200) throw new Error(`predict answered ${res.statusCode} in the benchmark`);
    };
    let k = 0;
    const bareOne = () => predict(model, vectors[k++ % vectors.length]!);
    // Each single-session request paired with one bare model call (ABAB…), 3,000 of each: enough for a p99.
    const micro = (ms: number[]) => ms.map((v) => v * 1000);
    for (const [label, req, target] of [
      ['features', one, true],
      ['raw events', fromEvents, false],
    ] as const) {
      const [handlerTimes, bareTimes] = await pairedTimes(() => call(req), bareOne, 200, 3000);
      figures.push(
        microFigure(
          `predict handler (${name}), 1 session, ${label} (paired)`,
          micro(handlerTimes),
          'bare model, 1 vector',
          micro(bareTimes),
          target ? ['p99 < 1,000 µs', (f) => f.p99 < 1000] : undefined,
        ),
      );
    }
    const columnar = request({ model: name, columns: Object.fromEntries(FEATURE_NAMES.map((n) => [n, rows.map((r) => r[n] ?? null)])) });
    const binary = binaryRequest(name, new Float64Array(vectors.flat()));
    // Each format paired with the bare model on the same 1,000 vectors (ABAB…): ms per batch of 1,000 = µs per prediction.
    for (const [format, req] of [
      ['sessions (JSON)', batch],
      ['columns (JSON)', columnar],
      ['float64 rows (binary)', binary],
    ] as const) {
      const [handlerBatch, bareBatch] = await pairedTimes(
        () => call(req),
        () => vectors.forEach((v) => predict(model, v)),
        5,
        60,
      );
      figures.push(
        microFigure(`predict handler (${name}), batch of 1,000 as ${format}, per prediction (paired)`, handlerBatch, 'bare model, per vector', bareBatch, [
          '≤ 2× bare model',
          (f) => f.ratio <= 2,
        ]),
      );
    }
  }
  await registry.close();
  await firehose.close();
  return figures;
}

/** Bundle size and import time of each function's esbuild bundle, against an empty module. */
/**
 * A cold start as Lambda has it, in a fresh process: import the bundle, then the first invocation on a fixture
 * event (client construction, credentials from the environment, the first call to an endpoint — the sinks). Baseline:
 * a fresh process importing an empty module and making one HTTP request to the same endpoint.
 */
async function firstInvocationFigures(bundles: Map<string, string>, empty: string): Promise<Figure[]> {
  const sink = await startSink();
  const registry = await startRegistrySink(registryItems('purchase-propensity', trainedModel('gbdt', 500)));
  const cases = [
    { fn: 'collect', fixture: 'events/http/collect-batch.json', endpoint: sink.url },
    { fn: 'ingest', fixture: 'events/kinesis/good-batch.json', endpoint: sink.url },
    { fn: 'predict', fixture: 'events/http/predict-features.json', endpoint: registry.url },
  ];
  // Asynchronous: the registry sink answers from this process's event loop.
  const run = async (script: string, endpoint: string) =>
    Number(
      (
        await execFileAsync(process.execPath, ['-e', script], {
          env: {
            ...process.env,
            ...ingestBenchEnv(endpoint),
            AWS_ENDPOINT_URL: endpoint,
            CLICKSTREAM_STREAM_NAME: 'bench',
            MODELS_TABLE_NAME: 'bench',
            PSEUDONYMIZATION_SECRET_ID: 'bench',
            LOG_LEVEL: 'WARN',
            NODE_NO_WARNINGS: '1',
          },
        })
      ).stdout,
    );
  const figures: Figure[] = [];
  try {
    for (const { fn, fixture, endpoint } of cases) {
      const bundle = bundles.get(fn);
      if (!bundle) continue;
      const event = path.join(root, fixture);
      const invoke = `const t=process.hrtime.bigint();const {handler}=require(${JSON.stringify(bundle)});const e=JSON.parse(require('fs').readFileSync(${JSON.stringify(event)},'utf8'));Promise.resolve(handler(e,{awsRequestId:'cold',functionName:'${fn}',getRemainingTimeInMillis:()=>30000})).then((r)=>{if(r&&r.statusCode>=500)process.exit(3);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))})`;
      const bare = `const t=process.hrtime.bigint();require(${JSON.stringify(empty)});fetch(${JSON.stringify(endpoint)},{method:'POST',body:'{}'}).then((r)=>r.text()).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))`;
      const cold: number[] = [];
      const baseline: number[] = [];
      for (let i = 0; i < 9; i++) {
        baseline.push(await run(bare, endpoint));
        cold.push(await run(invoke, endpoint));
      }
      const s = summarize(cold);
      const b = summarize(baseline);
      figures.push({
        name: `${fn} cold start: import + first invocation (${path.basename(fixture, '.json')}), paired`,
        unit: 'ms',
        ...s,
        baseline: { name: 'empty module + one HTTP request', median: b.median },
        ratio: s.median / b.median,
      });
    }
  } finally {
    await sink.close();
    await registry.close();
  }
  return figures;
}

async function coldStartBench(): Promise<Figure[]> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-package-'));
  execFileSync(path.join(root, 'node_modules/.bin/sls'), ['package', '--stage', 'dev', '--package', out], {
    cwd: root,
    env: { ...process.env, SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(out, 'esbuild')) },
    stdio: 'pipe',
  });
  const empty = path.join(out, 'empty.js');
  writeFileSync(empty, '');
  const importMs = (file: string) =>
    Number(
      execFileSync(
        process.execPath,
        ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`],
        {
          env: {
            ...process.env,
            NODE_NO_WARNINGS: '1',
            CLICKSTREAM_STREAM_NAME: 'x',
            RAW_DELIVERY_STREAM_NAME: 'x',
            BAD_DELIVERY_STREAM_NAME: 'x',
            DEDUP_TABLE_NAME: 'x',
            MODELS_TABLE_NAME: 'x',
            LAKE_BUCKET_NAME: 'x',
            API_KEY_PARAMETERS: 'x',
            // Read when the first event arrives, not at import: any name will do here.
            PSEUDONYMIZATION_SECRET_ID: 'x',
          },
        },
      ).toString(),
    );
  // The empty module and the bundle take turns, so a busy moment slows both alike.
  const paired = (file: string) => {
    const bundle: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 9; i++) {
      bare.push(importMs(empty));
      bundle.push(importMs(file));
    }
    return { bundle: summarize(bundle), bare: summarize(bare) };
  };
  const figures: Figure[] = [];
  const bundles = new Map<string, string>();
  // Every function the template packages; the handler's folder is the function name in kebab case.
  const functions = readdirSync(out)
    .filter((f) => f.endsWith('.zip'))
    .map((f) => f.slice(0, -4))
    .sort();
  for (const fn of functions) {
    const zip = path.join(out, `${fn}.zip`);
    const dir = path.join(out, fn);
    execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
    const handlerDir = readdirSync(path.join(dir, 'functions'))[0]!;
    const bundle = path.join(dir, 'functions', handlerDir, 'handler.js');
    const kb = statSync(bundle).size / 1024;
    figures.push({ name: `${fn} bundle size`, unit: 'KB', median: kb, p99: kb, min: kb, max: kb, runs: 1, target: '< 300 KB', met: kb < 300 });
    const { bundle: s, bare } = paired(bundle);
    figures.push({
      name: `${fn} import time`,
      unit: 'ms',
      ...s,
      baseline: { name: 'empty module', median: bare.median },
      ratio: s.median / Math.max(bare.median, 0.001),
      target: '< 50 ms over empty',
      met: s.median - bare.median < 50,
    });
    bundles.set(fn, bundle);
  }
  figures.push(...(await firstInvocationFigures(bundles, empty)));
  return figures;
}

/** A local cloud of its own (free ports, temporary data), and this process pointed at it. */
async function startBenchCloud() {
  // Earlier benchmarks pointed single services at in-process sinks; the cloud and its functions must not inherit that.
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_ENDPOINT_URL_')) delete process.env[key];
  process.env.LOG_LEVEL = 'ERROR';
  const { LocalCloud } = await import('../local/cloud');
  // As deployed by default: dedup off (the local stage turns it on for the tests).
  const cloud = await LocalCloud.start({
    root,
    dataDir: mkdtempSync(path.join(os.tmpdir(), 'bench-cloud-')),
    port: 0,
    apiPort: 0,
    hotReload: false,
    params: { dedupEnabled: 'false' },
  });
  Object.assign(process.env, cloud.env);
  (await import('#shared/aws-clients')).resetClients();
  return cloud;
}

/**
 * POST /predict over HTTP on the local cloud (serverless-offline), in-Lambda and with the SageMaker backend
 * (the local stand-in running the serving container's program): p50/p99 per request and the ratio endpoint ÷
 * in-Lambda. Baseline: a bare Node HTTP round trip on the same machine.
 */
async function predictHttpBench(): Promise<Figure[]> {
  const cloud = await startBenchCloud();
  try {
    const { setAlias, setAliasRouting } = await import('#adapters/registry-table');
    const { registerVersion } = await import('../test/helpers/registry');
    const { deployEndpoint } = await import('#adapters/sagemaker');
    const { putObject } = await import('#adapters/s3');
    const { tarGz } = await import('#shared/tar');
    const table = cloud.outputs.ModelsTableName!;
    const bucket = cloud.outputs.LakeBucketName!;
    const model = trainedModel('gbdt', 2000);
    for (const name of ['bench-lambda', 'bench-sagemaker']) {
      await registerVersion({ model: name, version: 'v1', kind: model.kind, artifact: { name, version: 'v1', model } }, { table, bucket });
      await setAlias(table, name, 'production', { to: 'v1', expected: null, by: 'bench', reason: 'bench' });
    }
    await putObject(
      bucket,
      'models/bench-sagemaker/v1/model.tar.gz',
      tarGz({ 'model.json': Buffer.from(JSON.stringify({ name: 'bench-sagemaker', version: 'v1', model })) }),
      'application/gzip',
    );
    const endpoint = await deployEndpoint({
      endpointName: 'clickstream-ml-local-bench',
      image: 'bench',
      modelDataUrl: `s3://${bucket}/models/bench-sagemaker/v1/model.tar.gz`,
      executionRoleArn: 'bench',
      instanceType: 'ml.m5.large',
    });
    await setAliasRouting(table, 'bench-sagemaker', 'production', { endpoint }, { expected: 'v1', by: 'bench', reason: 'bench' });
    const features = Object.fromEntries(FEATURE_NAMES.map((n) => [n, shopperRows(1, 5)[0]![n]]));
    const post = (name: string) => async () => {
      const response = await fetch(`${cloud.outputs.ApiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: name, session: { session_id: 's', features } }),
      });
      if (response.status !== 200) throw new Error(`POST /predict answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    };
    const echo = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/`;
    const bareTrip = async () => (await fetch(echoUrl, { method: 'POST', body: JSON.stringify({ features }) })).arrayBuffer();
    // Paired (ABAB…): the in-Lambda model with a bare round trip, then the endpoint with the in-Lambda model.
    const [inLambda, bare] = await pairedTimes(post('bench-lambda'), bareTrip, 20, 300);
    const [viaEndpoint, inLambdaAgain] = await pairedTimes(post('bench-sagemaker'), post('bench-lambda'), 20, 300);
    echo.close();
    const b = summarize(bare);
    const l = summarize(inLambda);
    const e = summarize(viaEndpoint);
    return [
      {
        name: 'POST /predict over HTTP (sls offline), in-Lambda model (paired)',
        unit: 'ms',
        ...l,
        baseline: { name: 'bare Node HTTP round trip', median: b.median },
        ratio: l.median / b.median,
      },
      {
        name: 'POST /predict over HTTP, SageMaker backend (local stand-in) (paired)',
        unit: 'ms',
        ...e,
        baseline: { name: 'the same, in-Lambda model', median: summarize(inLambdaAgain).median },
        ratio: e.median / summarize(inLambdaAgain).median,
      },
    ];
  } finally {
    await cloud.stop();
  }
}

/**
 * End to end through the local cloud: 100,000 events posted to POST /events until every one is in S3 (collector
 * → Kinesis → ingest → Firehose → S3). Baseline: PutRecords of the same records onto a stream of the same
 * kinesalite with nothing reading it.
 */
/** A rate measured once (a pipeline run end to end), beside its baseline's, against the pipeline's 5,000 events/s target. */
function oneRunRate(name: string, rate: number, baselineName: string, baselineRate: number): Figure {
  return {
    name,
    unit: 'events/s',
    median: rate,
    p99: rate,
    min: rate,
    max: rate,
    runs: 1,
    baseline: { name: baselineName, median: baselineRate },
    ratio: rate / baselineRate,
    target: '≥ 5,000 events/s',
    met: rate >= 5000,
  };
}

async function pipelineBench(): Promise<Figure[]> {
  const { sendEvents } = await import('../cli/collector-client');
  const cloud = await startBenchCloud();
  try {
    const { putRecords } = await import('#adapters/kinesis');
    const { kinesisClient } = await import('#adapters/kinesis');
    const { CreateStreamCommand } = await import('@aws-sdk/client-kinesis');
    const n = 100_000;
    const shoppers = new ShopperModel(12, new Date('2026-10-20T00:00:00Z'), 86_400_000);
    const events: { session_id: string }[] = [];
    while (events.length < n) events.push(...shoppers.session().events);
    events.length = n;
    await kinesisClient().send(new CreateStreamCommand({ StreamName: 'bench-baseline', ShardCount: 4 }));
    // The records the collector puts for the same requests (500 events each: a record per session of a request).
    const records: StreamRecordPlan[] = [];
    for (let i = 0; i < events.length; i += 500) records.push(...planCollect(events.slice(i, i + 500), '2026-10-20T00:00:00.000Z').records);
    let started = Date.now();
    for (let i = 0; i < records.length; i += 2_000)
      await Promise.all([0, 1, 2, 3].map((k) => putRecords('bench-baseline', records.slice(i + k * 500, i + (k + 1) * 500))));
    const baselineSeconds = (Date.now() - started) / 1000;
    started = Date.now();
    await sendEvents(cloud.outputs.ApiUrl, events, { concurrency: 4 });
    await cloud.drain(600_000);
    const seconds = (Date.now() - started) / 1000;
    return [oneRunRate('pipeline, 100,000 events POST /events → S3', n / seconds, 'kinesalite PutRecords alone', n / baselineSeconds)];
  } finally {
    await cloud.stop();
  }
}

/**
 * The real-time consumer on the local cloud, end to end: 100,000 events already on a stream of their own (4 shards),
 * read by the local tumbling-window mapping and folded by the deployed realtime function (serverless-offline) until
 * every window's final invocation is done. Baseline: the same mapping over the same records with a function that
 * only hands its state back (reading and invoking alone).
 */
async function realtimeLocalBench(): Promise<Figure[]> {
  const cloud = await startBenchCloud();
  try {
    const { putRecords } = await import('#adapters/kinesis');
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    const { mappingOn, testStream } = await import('../test/helpers/streams');
    const n = 100_000;
    const shoppers = new ShopperModel(13, new Date(Date.now() - 3_600_000), 3_600_000);
    const events: { session_id: string }[] = [];
    while (events.length < n) events.push(...shoppers.session().events);
    events.length = n;
    const records: StreamRecordPlan[] = [];
    for (let i = 0; i < events.length; i += 500) records.push(...planCollect(events.slice(i, i + 500), new Date().toISOString()).records);
    const lambda = new LambdaClient({
      region: 'us-east-1',
      endpoint: cloud.outputs.LambdaEndpoint,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const deployed = async (_name: string, event: unknown) => {
      const response = await lambda.send(new InvokeCommand({ FunctionName: 'clickstream-ml-local-realtime', Payload: Buffer.from(JSON.stringify(event)) }));
      return {
        ...(response.FunctionError ? { functionError: response.FunctionError } : {}),
        payload: JSON.parse(Buffer.from(response.Payload!).toString('utf8')),
      };
    };
    const echo = async (_name: string, event: unknown) => ({ payload: { state: (event as { state: unknown }).state, batchItemFailures: [] } });
    const run = async (name: string, invoke: typeof echo) => {
      const stream = await testStream(name, 4);
      for (let i = 0; i < records.length; i += 500) await putRecords(stream.name, records.slice(i, i + 500));
      // One window holds the whole backlog: the figure is the consumer's rate, not the window's wait.
      const mapping = mappingOn(stream.arn, invoke, { batchSize: 1_000, maximumRecordAgeSeconds: -1, tumblingWindowSeconds: 900 });
      const started = Date.now();
      await mapping.start();
      while (mapping.stats.records < records.length) await new Promise((resolve) => setTimeout(resolve, 50));
      const seconds = (Date.now() - started) / 1000;
      await mapping.stop();
      return seconds;
    };
    const baselineSeconds = await run('bench-realtime-echo', echo);
    const seconds = await run('bench-realtime', deployed);
    lambda.destroy();
    return [
      oneRunRate(
        'realtime consumer on the local cloud, 100,000 events (4 shards, batches of 1,000 records, serverless-offline)',
        n / seconds,
        'the same mapping, a function that hands its state back',
        n / baselineSeconds,
      ),
    ];
  } finally {
    await cloud.stop();
  }
}

/** A file of `events` raw lake rows (generated shoppers, enriched as ingest does), for the training benchmark. */
function lakeFile(dir: string, events: number): string {
  const file = path.join(dir, `lake-${events}.jsonl`);
  const shoppers = new ShopperModel(31, new Date('2026-10-01T00:00:00Z'), 14 * 86_400_000);
  const fd = openSync(file, 'w');
  let written = 0;
  while (written < events) {
    const lines = shoppers.session().events.map((e) => JSON.stringify(enrich(e, { receivedAt: e.event_time, ingestedAt: e.event_time })));
    writeSync(fd, `${lines.join('\n')}\n`);
    written += lines.length;
  }
  closeSync(fd);
  return file;
}

/**
 * Features (glue/features.sql on DuckDB) and fit (both trainers) on 100 k and 1 M generated events, each in a
 * fresh process: seconds, the growth exponent between the sizes (1 = linear), the trainer's peak RSS.
 * Baseline: DuckDB counting events per session over the same file.
 */
async function trainingBench(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-training-'));
  let xgboost: Awaited<ReturnType<typeof xgboostPath>> | undefined;
  const probe = (mode: string, ...args: string[]) =>
    JSON.parse(
      execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(__dirname, 'training-probe.ts'), mode, ...args], {
        cwd: root,
        env: process.env,
        maxBuffer: 1024 * 1024,
      }).toString(),
    );
  const runs: Record<
    number,
    {
      features_s: number;
      fit_s: number;
      sessions: number;
      features_rss_mb: number;
      trainer_rss_mb: number;
      baseline_s: number;
      gbdt_s: number;
      trees: number;
      roc_auc: number;
    }
  > = {};
  for (const events of [100_000, 1_000_000]) {
    const file = lakeFile(dir, events);
    const parquet = path.join(dir, `features-${events}.parquet`);
    // Features and fit in processes of their own, as Glue and the Batch trainer run them: each peak RSS is its own.
    const features = probe('features', file, parquet);
    const fit = probe('fit', parquet);
    runs[events] = {
      features_s: features.features_s,
      fit_s: fit.fit_s,
      sessions: fit.sessions,
      features_rss_mb: features.rss_mb,
      trainer_rss_mb: fit.rss_mb,
      baseline_s: probe('baseline', file).seconds,
      gbdt_s: fit.gbdt_s,
      trees: fit.trees,
      roc_auc: fit.roc_auc,
    };
    if (events === 1_000_000) xgboost = await xgboostPath(dir, parquet, probe);
    rmSync(file, { force: true });
    rmSync(parquet, { force: true });
  }
  const figures: Figure[] = [];
  const one = (value: number) => ({ median: value, p99: value, min: value, max: value, runs: 1 });
  for (const events of [100_000, 1_000_000]) {
    const r = runs[events]!;
    const label = events === 100_000 ? '100 k' : '1 M';
    figures.push({
      name: `features (DuckDB), ${label} events, ${r.sessions.toLocaleString('en-US')} sessions`,
      unit: 's',
      ...one(r.features_s),
      baseline: { name: 'DuckDB count per session', median: r.baseline_s },
      ratio: r.features_s / r.baseline_s,
    });
    figures.push({ name: `trainer: read the Parquet features + fit (GBDT + logistic), ${label} events`, unit: 's', ...one(r.fit_s) });
    // Early stopping picks the tree count, so the time per tree is the comparable figure across sizes.
    figures.push({ name: `GBDT time per tree, ${label} events (${r.trees} trees)`, unit: 'ms', ...one((r.gbdt_s * 1000) / r.trees) });
  }
  const exponent = (a: number, b: number) => Math.log(b / a) / Math.log(10);
  const small = runs[100_000]!;
  const large = runs[1_000_000]!;
  figures.push({
    name: 'growth exponent, features 100 k → 1 M',
    unit: '',
    ...one(exponent(small.features_s, large.features_s)),
    target: 'linear (≤ 1.1)',
    met: exponent(small.features_s, large.features_s) <= 1.1,
  });
  figures.push({
    name: 'growth exponent, fit 100 k → 1 M',
    unit: '',
    ...one(exponent(small.fit_s, large.fit_s)),
    target: 'linear (≤ 1.1)',
    met: exponent(small.fit_s, large.fit_s) <= 1.1,
  });
  figures.push({
    name: 'growth exponent, GBDT time per tree 100 k → 1 M',
    unit: '',
    ...one(exponent(small.gbdt_s / small.trees, large.gbdt_s / large.trees)),
    target: 'linear (≤ 1.1)',
    met: exponent(small.gbdt_s / small.trees, large.gbdt_s / large.trees) <= 1.1,
  });
  figures.push({ name: 'features (DuckDB) peak RSS, 1 M events', unit: 'MB', ...one(large.features_rss_mb) });
  figures.push({
    name: 'trainer peak RSS (Parquet read + fit), 1 M events',
    unit: 'MB',
    ...one(large.trainer_rss_mb),
    target: '≤ 300 MB',
    met: large.trainer_rss_mb <= 300,
  });
  if (xgboost) {
    const { channels, run, judge } = xgboost;
    const summary = run.summary!;
    figures.push({ name: 'SageMaker path: channels (glue/channels.sql) from the features, 1 M events', unit: 's', ...one(channels.seconds) });
    figures.push({
      name: `SageMaker path: XGBoost train (one process, ${summary.rows.train!.toLocaleString('en-US')} sessions, ${summary.rounds} rounds, best ${summary.best_iteration}), 1 M events`,
      unit: 's',
      ...one(summary.seconds),
      baseline: { name: 'the TypeScript trainer: read + fit', median: large.fit_s },
      ratio: summary.seconds / large.fit_s,
    });
    figures.push({
      name: 'SageMaker path: XGBoost peak RSS, 1 M events',
      unit: 'MB',
      ...one(summary.peak_memory_mb),
      baseline: { name: 'the TypeScript trainer', median: large.trainer_rss_mb },
      ratio: summary.peak_memory_mb / large.trainer_rss_mb,
    });
    figures.push({
      name: `SageMaker path: model → serving trees, judged on the channels (${judge.trees} trees), 1 M events`,
      unit: 's',
      ...one(judge.seconds),
    });
    figures.push({ name: 'SageMaker path: registration peak RSS, 1 M events', unit: 'MB', ...one(judge.rss_mb) });
    figures.push({
      name: 'test ROC-AUC, 1 M events: XGBoost (SageMaker path) vs the TypeScript trainer, same time split',
      unit: '',
      ...one(judge.roc_auc),
      baseline: { name: 'the TypeScript trainer', median: large.roc_auc },
      ratio: judge.roc_auc / large.roc_auc,
    });
  }
  rmSync(dir, { recursive: true, force: true });
  return figures;
}

/**
 * The SageMaker path on the 1 M-event features: the channels, the built-in XGBoost algorithm's program on this
 * machine's XGBoost (the workflow's hyperparameters), and the registration's conversion and judging. Skipped, with
 * a line saying how to install it, when XGBoost is missing.
 */
async function xgboostPath(dir: string, parquet: string, probe: (mode: string, ...args: string[]) => any) {
  if (!xgboostVersion()) {
    process.stderr.write(`training: XGBoost is not installed; the SageMaker path's rows are left out (${XGBOOST_INSTALL})\n`);
    return undefined;
  }
  const channelsDir = path.join(dir, 'channels');
  const channels = probe('channels', parquet, channelsDir) as { seconds: number; rss_mb: number };
  const job = path.join(dir, 'xgboost-job');
  for (const channel of ['train', 'validation']) {
    mkdirSync(path.join(job, 'input', 'data', channel), { recursive: true });
    renameSync(path.join(channelsDir, `${channel}.libsvm`), path.join(job, 'input', 'data', channel, 'part-00000.libsvm'));
  }
  const hyperparameters = (parseYaml(readFileSync(path.join(root, 'statemachines', 'training.asl.yaml'), 'utf8')) as any).States.TrainOnSageMaker.Parameters
    .HyperParameters as Record<string, string>;
  const run = await runXgboostAlgorithm(
    job,
    { train: { ContentType: 'text/libsvm' }, validation: { ContentType: 'text/libsvm' } },
    hyperparameters,
    path.join(dir, 'xgboost.log'),
  );
  if (run.exitCode !== 0) throw new Error(`the XGBoost algorithm failed: ${run.failure}`);
  renameSync(path.join(job, 'input', 'data', 'validation', 'part-00000.libsvm'), path.join(channelsDir, 'validation.libsvm'));
  const judge = probe('judge', path.join(job, 'model', 'xgboost-model'), channelsDir) as { seconds: number; rss_mb: number; roc_auc: number; trees: number };
  return { channels, run, judge };
}

/** Peak RSS of a fresh process running the ingest handler on 10,000 records, against one doing the bare decode. */
function memoryBench(): Figure[] {
  const script = (mode: string) =>
    // The handler logs a line per batch (INFO, as deployed): the figure is the probe's last line.
    Number(
      execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(__dirname, 'memory-probe.ts'), mode], { cwd: root, env: process.env })
        .toString()
        .trim()
        .split('\n')
        .at(-1),
    );
  const bare = summarize([1, 2, 3].map(() => script('baseline')));
  const ingest = summarize([1, 2, 3].map(() => script('ingest')));
  return [
    {
      name: 'ingest peak RSS, 10,000 records',
      unit: 'MB',
      ...ingest,
      baseline: { name: 'bare decode in a fresh process', median: bare.median },
      ratio: ingest.median / bare.median,
    },
  ];
}

/**
 * The web tracker: its size (the IIFE, minified and gzipped; budget 5 KB), and the events per second a page can
 * send through it to the collector — headless Chromium on the demo's origin, POST /events on the local cloud's
 * HTTP API, cross-origin. Baseline: the same page posting the same events with bare fetch, 50 per request, one
 * request at a time (what the tracker does, without ids, storage, queue or retries).
 */
async function trackerBench(): Promise<Figure[]> {
  const { buildTracker } = await import('../clients/web/build');
  const kb = (await buildTracker()).minGzipBytes / 1024;
  const size: Figure = { name: 'web tracker, min+gzip', unit: 'KB', median: kb, p99: kb, min: kb, max: kb, runs: 1, target: '≤ 5 KB', met: kb <= 5 };
  const { launchBrowser } = await import('../test/helpers/browser');
  const cloud = await startBenchCloud();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${cloud.outputs.DemoUrl}?flush=600000`, { waitUntil: 'networkidle0' });
    const n = 2_000;
    const runs = 3;
    const through = async (bare: boolean) =>
      page.evaluate(
        async (count: number, useFetch: boolean, api: string) => {
          const cs = (globalThis as any).clickstream;
          const started = performance.now();
          if (useFetch) {
            const session = crypto.randomUUID();
            const events = Array.from({ length: count }, () => ({
              event_id: crypto.randomUUID(),
              event_type: 'page_view',
              event_time: new Date().toISOString(),
              session_id: session,
              anonymous_id: 'bench',
            }));
            for (let i = 0; i < count; i += 50)
              await fetch(`${api}/events`, {
                method: 'POST',
                body: JSON.stringify(events.slice(i, i + 50)),
                headers: { 'content-type': 'text/plain;charset=UTF-8' },
              });
          } else {
            const sentBefore = cs.stats().sent;
            for (let i = 0; i < count; i++) {
              cs.track('page_view');
              if (cs.stats().queued >= 900) await cs.flush();
            }
            await cs.flush();
            if (cs.stats().sent - sentBefore < count) throw new Error(`the tracker sent ${cs.stats().sent - sentBefore} of ${count}`);
          }
          return count / ((performance.now() - started) / 1000);
        },
        n,
        bare,
        cloud.outputs.ApiUrl,
      );
    const tracker: number[] = [];
    const bare: number[] = [];
    for (let r = 0; r < runs; r++) {
      tracker.push(await through(false));
      bare.push(await through(true));
    }
    const t = summarize(tracker);
    const b = summarize(bare);
    return [
      size,
      {
        name: `web tracker in Chromium → POST /events, ${n.toLocaleString('en-US')} events`,
        unit: 'events/s',
        ...t,
        runs,
        baseline: { name: 'bare fetch, 50 per request', median: b.median },
        ratio: t.median / b.median,
      },
    ];
  } finally {
    await browser.close();
    await cloud.stop();
  }
}

const BENCHES: Record<string, () => Promise<Figure[]> | Figure[]> = {
  ingest: ingestBench,
  realtime: realtimeBench,
  'realtime-local': realtimeLocalBench,
  collect: collectBench,
  predict: predictBench,
  'predict-http': predictHttpBench,
  pipeline: pipelineBench,
  coldstart: coldStartBench,
  memory: memoryBench,
  training: trainingBench,
  tracker: trackerBench,
};

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {});
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
  for (const n of names) if (!BENCHES[n]) throw new Error(`Unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}.`);
  const figures: Figure[] = [];
  for (const n of names) {
    if (!values.json) process.stderr.write(`bench: ${n}…\n`);
    if (names.length === 1) figures.push(...(await BENCHES[n]!()));
    else {
      // Each benchmark in a process of its own: one's heap and JIT state (the ingest batches' garbage) must not slow the next.
      const out = execFileSync(path.join(root, 'node_modules/.bin/tsx'), [__filename, n, '--json'], {
        cwd: root,
        env: process.env,
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      });
      figures.push(...(JSON.parse(out.toString().trim().split('\n').at(-1)!) as { figures: Figure[] }).figures);
    }
  }
  const result = { date: new Date().toISOString(), machine: machine(), figures };
  mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  writeFileSync(path.join(__dirname, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  process.stdout.write(
    `| figure | median | tail (p99 from ≥ ${P99_MIN_SAMPLES.toLocaleString('en-US')} runs, else the slowest of n) | baseline (median) | ratio | target |\n|---|---|---|---|---|---|\n`,
  );
  for (const f of figures) {
    process.stdout.write(
      `| ${f.name} | ${fmt(f.median)} ${f.unit} | ${tail(f, fmt)} | ${f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.median)}` : '—'} | ${f.ratio === undefined ? '—' : f.ratio.toFixed(2)} | ${f.target ? `${f.target} ${f.met ? '✓' : '✗'}` : '—'} |\n`,
    );
  }
  process.stdout.write(`\n${result.machine.cpus} × ${result.machine.model}, Node ${result.machine.node}, ${result.date}\n`);
});
