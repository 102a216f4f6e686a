import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { parseCli, runCli } from '../cli/args';
import { benchEvents, kinesisBatch } from './fixtures';
import { machine, summarize, time, type Figure } from './harness';
import { startSink } from './sink';
import { startRegistrySink } from './registry-sink';
import { shopperRows, trainedModel } from '../test/helpers/models';
import { createHash } from 'node:crypto';
import { ShopperModel } from '../src/domain/traffic/shopper-model';
import { FEATURE_NAMES } from '../src/domain/features/spec';
import { predict } from '../src/domain/model/training-run';

const USAGE = `
npm run bench -- [name…] [--json]

Benchmarks, each next to a bare baseline measured in the same run: ingest, collect, predict, coldstart, memory.
Prints a table and writes bench/results/latest.json.
`;

const root = path.resolve(__dirname, '..');
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

/** Baseline for event processing: decode base64 + JSON.parse + JSON.stringify of the same records. */
function bareDecode(batch: ReturnType<typeof kinesisBatch>): number {
  let bytes = 0;
  for (const r of batch.Records) bytes += JSON.stringify(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'))).length;
  return bytes;
}

function rateFigure(name: string, events: number, samples: number[], baselineName: string, baselineSamples: number[], target?: [string, (ratio: number) => boolean]): Figure {
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

async function ingestBench(): Promise<Figure[]> {
  const sink = await startSink();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_FIREHOSE: sink.url,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    RAW_DELIVERY_STREAM_NAME: 'raw',
    BAD_DELIVERY_STREAM_NAME: 'bad',
    DEDUP_TABLE_NAME: 'unused',
    DEDUP_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'ERROR',
  });
  const { handler } = await import('../functions/ingest/handler');
  const figures: Figure[] = [];
  for (const n of [500, 10_000]) {
    const batch = kinesisBatch(benchEvents(n));
    const repeats = n === 500 ? 40 : 8;
    const baseline = await time(() => bareDecode(batch), 3, repeats);
    const samples = await time(() => handler(batch as never, context), 3, repeats);
    figures.push(rateFigure(`ingest handler, ${n} records`, n, samples, 'base64 + JSON.parse + JSON.stringify', baseline, ['≥ 0.5 of baseline', (r) => r >= 0.5]));
  }
  await sink.close();
  return figures;
}

async function collectBench(): Promise<Figure[]> {
  const sink = await startSink();
  Object.assign(process.env, { AWS_ENDPOINT_URL_KINESIS: sink.url, CLICKSTREAM_STREAM_NAME: 'bench', LOG_LEVEL: 'ERROR', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' });
  const { handler } = await import('../functions/collect/handler');
  const events = benchEvents(500);
  const body = JSON.stringify(events);
  const request = { version: '2.0', rawPath: '/events', headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false, requestContext: { http: { method: 'POST' } } };
  const baseline = await time(() => JSON.parse(body).map((e: unknown) => JSON.stringify(e)), 5, 40);
  const samples = await time(() => handler(request as never, context), 5, 40);
  await sink.close();
  return [rateFigure('collect handler, 500 events', 500, samples, 'JSON.parse + JSON.stringify', baseline)];
}

/** Per-call times in microseconds: each sample is one call. */
async function microseconds(fn: () => unknown, warmup: number, repeats: number): Promise<number[]> {
  return (await time(fn, warmup, repeats)).map((ms) => ms * 1000);
}

function microFigure(name: string, samples: number[], baselineName: string, baseline: number[], target?: [string, (f: { p99: number; ratio: number }) => boolean]): Figure {
  const t = summarize(samples);
  const b = summarize(baseline);
  const ratio = t.median / b.median;
  return { name, unit: 'µs', ...t, baseline: { name: baselineName, median: b.median }, ratio, ...(target ? { target: target[0], met: target[1]({ p99: t.p99, ratio }) } : {}) };
}

/**
 * The predict handler in-process and warm (its model cached), for both model kinds: one session from features,
 * one from raw events, and a batch of 1,000 — against the bare model function on the same feature vectors.
 */
async function predictBench(): Promise<Figure[]> {
  const models = { gbdt: trainedModel('gbdt', 4000), logistic_regression: trainedModel('logistic_regression', 4000) };
  const items: Record<string, unknown>[] = [];
  for (const [name, model] of Object.entries(models)) {
    const text = JSON.stringify({ model });
    const sha256 = createHash('sha256').update(text).digest('hex');
    items.push({ model_name: name, sk: 'alias#production', alias: 'production', version: 'v1', history: [] });
    items.push({ model_name: name, sk: 'version#v1', version: 'v1', kind: model.kind, artifact: { uri: `s3://bench/${name}`, sha256, bytes: text.length, inline: text } });
  }
  const registry = await startRegistrySink(items);
  Object.assign(process.env, { AWS_ENDPOINT_URL_DYNAMODB: registry.url, MODELS_TABLE_NAME: 'bench', LOG_LEVEL: 'ERROR', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' });
  const { handler } = await import('../functions/predict/handler');
  const request = (body: unknown) => ({ version: '2.0', routeKey: 'POST /predict', rawPath: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), isBase64Encoded: false, requestContext: { http: { method: 'POST' } } });
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
    const bareOne = await microseconds(() => predict(model, vectors[k++ % vectors.length]!), 2000, 5000);
    figures.push(microFigure(`predict handler (${name}), 1 session, features`, await microseconds(() => call(one), 200, 3000), 'bare model, 1 vector', bareOne, ['p99 < 1,000 µs', (f) => f.p99 < 1000]));
    figures.push(microFigure(`predict handler (${name}), 1 session, raw events`, await microseconds(() => call(fromEvents), 200, 3000), 'bare model, 1 vector', bareOne));
    const bareBatch = (await microseconds(() => vectors.forEach((v) => predict(model, v)), 5, 100)).map((us) => us / 1000);
    const handlerBatch = (await microseconds(() => call(batch), 3, 40)).map((us) => us / 1000);
    figures.push(microFigure(`predict handler (${name}), batch of 1,000, per prediction`, handlerBatch, 'bare model, per vector', bareBatch, ['≤ 2× bare model', (f) => f.ratio <= 2]));
  }
  await registry.close();
  return figures;
}

/** Bundle size and import time of each function's esbuild bundle, against an empty module. */
function coldStartBench(): Figure[] {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-package-'));
  execFileSync(path.join(root, 'node_modules/.bin/sls'), ['package', '--stage', 'dev', '--package', out], {
    cwd: root,
    env: { ...process.env, SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(out, 'esbuild')) },
    stdio: 'pipe',
  });
  const empty = path.join(out, 'empty.js');
  writeFileSync(empty, '');
  const importMs = (file: string) =>
    Array.from({ length: 7 }, () =>
      Number(execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`], { env: { ...process.env, CLICKSTREAM_STREAM_NAME: 'x', RAW_DELIVERY_STREAM_NAME: 'x', BAD_DELIVERY_STREAM_NAME: 'x', DEDUP_TABLE_NAME: 'x', MODELS_TABLE_NAME: 'x' } }).toString()),
    );
  const baseline = summarize(importMs(empty));
  const figures: Figure[] = [];
  for (const fn of ['collect', 'ingest', 'predict']) {
    const zip = path.join(out, `${fn}.zip`);
    const dir = path.join(out, fn);
    execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
    const bundle = path.join(dir, 'functions', fn, 'handler.js');
    const kb = statSync(bundle).size / 1024;
    figures.push({ name: `${fn} bundle size`, unit: 'KB', median: kb, p99: kb, min: kb, max: kb, runs: 1, target: '< 300 KB', met: kb < 300 });
    const s = summarize(importMs(bundle));
    const overhead = s.median - baseline.median;
    figures.push({ name: `${fn} import time`, unit: 'ms', ...s, baseline: { name: 'empty module', median: baseline.median }, ratio: s.median / Math.max(baseline.median, 0.001), target: '< 50 ms over empty', met: overhead < 50 });
  }
  return figures;
}

/** Peak RSS of a fresh process running the ingest handler on 10,000 records, against one doing the bare decode. */
function memoryBench(): Figure[] {
  const script = (mode: string) =>
    Number(execFileSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(__dirname, 'memory-probe.ts'), mode], { cwd: root, env: process.env }).toString());
  const bare = summarize([1, 2, 3].map(() => script('baseline')));
  const ingest = summarize([1, 2, 3].map(() => script('ingest')));
  return [{ name: 'ingest peak RSS, 10,000 records', unit: 'MB', ...ingest, baseline: { name: 'bare decode in a fresh process', median: bare.median }, ratio: ingest.median / bare.median }];
}

const BENCHES: Record<string, () => Promise<Figure[]> | Figure[]> = { ingest: ingestBench, collect: collectBench, predict: predictBench, coldstart: coldStartBench, memory: memoryBench };

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {});
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
  for (const n of names) if (!BENCHES[n]) throw new Error(`Unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}.`);
  const figures: Figure[] = [];
  for (const n of names) {
    if (!values.json) process.stderr.write(`bench: ${n}…\n`);
    figures.push(...(await BENCHES[n]!()));
  }
  const result = { date: new Date().toISOString(), machine: machine(), figures };
  mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  writeFileSync(path.join(__dirname, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  process.stdout.write(`| figure | median | p99 | baseline (median) | ratio | target |\n|---|---|---|---|---|---|\n`);
  for (const f of figures) {
    process.stdout.write(`| ${f.name} | ${fmt(f.median)} ${f.unit} | ${fmt(f.p99)} | ${f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.median)}` : '—'} | ${f.ratio === undefined ? '—' : f.ratio.toFixed(2)} | ${f.target ? `${f.target} ${f.met ? '✓' : '✗'}` : '—'} |\n`);
  }
  process.stdout.write(`\n${result.machine.cpus} × ${result.machine.model}, Node ${result.machine.node}, ${result.date}\n`);
});
