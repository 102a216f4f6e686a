import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalCloud } from '../local/cloud';
import { realtimeFigures } from '#adapters/realtime-table';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { intOption, parseCli, runCli } from '#shared/args';
import { resetClients } from '#shared/aws-clients';
import { sleep } from '#shared/retry';
import { formatCounts, lakeCounts, total, type LakeCounts } from './lake-summary';
import { scanForPersonalData, type PrivacyScan } from './privacy-check';
import { progressBar } from './progress';
import { formatRealtime } from './realtime-view';
import { CLOUD_FLAGS, startProjectCloud } from './project-cloud';
import { generateTraffic } from './traffic';
import { describeOutcome, runTrainingWorkflow, type WorkflowResult } from './training-workflow';
import { xgboostVersion, XGBOOST_INSTALL } from '../local/sagemaker-training';

const USAGE = `
npm start -- [--sessions 2000] [--seed 1] [--once] [--reset] [--port 4566] [--api-port 3000] [--site-port 8080] [--json]

The whole pipeline locally: starts the local cloud, sends synthetic shoppers through POST /events,
shows the events landing in the lake (per partition) and what the real-time windows counted, then runs the training workflow over them
(crawler → Glue features → Batch training → gate → promotion) and prints the promoted model's metrics.
Then keeps the local cloud and API up until Ctrl-C; with --once it exits when done (1 if training failed).
`;

const root = path.resolve(__dirname, '..');

/** What every step of `npm start` gets. */
interface Run {
  cloud: LocalCloud;
  json: boolean;
  say: (line: string) => void;
  sessions: number;
  seed: number;
}

type Traffic = Awaited<ReturnType<typeof generateTraffic>>;

/** Step 2: synthetic shoppers through POST /events (their true outcomes kept in .local/truth/). */
async function sendTraffic({ cloud, json, say, sessions, seed }: Run): Promise<Traffic> {
  say(`▶ 2/4 sending ${sessions} synthetic sessions to ${cloud.outputs.ApiUrl}/events`);
  let bar = progressBar('  collect', 0, false);
  const traffic = await generateTraffic({
    url: cloud.outputs.ApiUrl,
    sessions,
    seed,
    days: 1,
    end: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000),
    truthFile: path.join(root, '.local', 'truth', `seed-${seed}.jsonl`),
    onPlanned: (events) => (bar = progressBar('  collect', events, !json)),
    onProgress: (n) => bar.increment(n),
  });
  bar.stop();
  say(`  ${traffic.accepted} events accepted in ${traffic.seconds.toFixed(1)}s (${traffic.events_per_second} events/s)`);
  return traffic;
}

/** Step 3: until every event is in S3 (a line every few seconds while it flows), then what the lake holds. */
async function waitForLake({ cloud, json, say }: Run, traffic: Traffic, started: number) {
  say('▶ 3/4 waiting for the lake (Kinesis → ingest → Firehose → S3)');
  const bucket = cloud.outputs.LakeBucketName!;
  let drained = false;
  const watching = setInterval(() => {
    void lakeCounts(bucket).then(
      (c) => drained || say(`  lake so far: raw ${total(c.raw)} events, bad ${total(c.bad)} rows`),
      () => undefined,
    );
  }, 3_000);
  try {
    await cloud.drain();
  } finally {
    drained = true;
    clearInterval(watching);
  }
  const seconds = (Date.now() - started) / 1000;
  const pipeline = { seconds, events_per_second: Math.round(traffic.events / seconds) };
  say(`  all ${traffic.events} events through the pipeline into S3 in ${seconds.toFixed(1)}s (${pipeline.events_per_second} events/s end to end)`);
  const counts = await lakeCounts(bucket);
  if (!json) {
    process.stdout.write(`\nThe lake (s3://${bucket}):\n${formatCounts(counts)}\n\n`);
    process.stdout.write(
      `Look at it yourself: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${cloud.endpoint} --region us-east-1 s3 ls s3://${bucket}/raw/ --recursive\n\n`,
    );
  }
  return { pipeline, counts };
}

/**
 * Then: what the real-time consumer counted while the traffic flowed (its tumbling windows, README "Real-time
 * analytics"), once every accepted event is in a closed window (or a few windows' time has passed). The traffic is a day of history sent at once,
 * so its event lag is hours.
 */
async function showRealtime({ cloud, json, say }: Run, started: number, accepted: number) {
  const windowSeconds = Number(cloud.outputs.RealtimeWindowSeconds ?? 60);
  const minutes = () => Math.min(60, Math.ceil((Date.now() - started) / 60_000) + 1);
  say(`  waiting for the real-time windows to close (${windowSeconds} s each)`);
  // Every accepted event is in a closed window once the last one has closed (its records wait for the window's end).
  const deadline = Date.now() + (3 * windowSeconds + 30) * 1000;
  let figures = await realtimeFigures(cloud.outputs.RealtimeTableName!, minutes());
  while (figures.total.events.total < accepted && Date.now() < deadline) {
    await sleep(1_000);
    figures = await realtimeFigures(cloud.outputs.RealtimeTableName!, minutes());
  }
  if (!json) {
    process.stdout.write(`Real-time figures (npm run realtime -- --watch; GET /realtime):\n${formatRealtime(figures, windowSeconds)}\n\n`);
  }
  return figures.total;
}

/**
 * Then: nothing stored holds what the traffic sent as it was — its visitors' ids or the client IP it came from
 * (this machine's) — in any lake object or function log line (README, "Privacy"). A finding fails the run.
 */
async function checkPrivacy({ cloud, json, say }: Run, traffic: Traffic): Promise<PrivacyScan> {
  const scan = await scanForPersonalData(cloud.outputs.LakeBucketName!, [path.join(root, '.local', 'logs', 'offline.log')], {
    ids: traffic.anonymousIds,
    ips: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
  });
  if (scan.findings.length > 0) {
    throw new Error(
      `Personal data stored as sent: ${scan.findings
        .slice(0, 5)
        .map((f) => `${f.found} in ${f.where}`)
        .join('; ')} — check the stage's ipv4KeepOctets/pseudonymizeFields (README, "Privacy").`,
    );
  }
  if (!json) say(`  privacy: ${scan.objects} lake objects and ${scan.logLines} function log lines hold no visitor id as sent and no full client IP`);
  return scan;
}

/** Step 4: the training workflow over the traffic's days (it covers the day before the current hour). */
async function train({ cloud, json, say }: Run): Promise<WorkflowResult> {
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  say(`▶ 4/4 training workflow over ${from} … ${to} (statemachines/training.asl.yaml)`);
  const training = await runTrainingWorkflow({
    stateMachineArn: cloud.outputs.TrainingStateMachineArn!,
    modelsTableName: cloud.outputs.ModelsTableName!,
    input: { from, to },
    say,
    tty: !json && process.stderr.isTTY,
  });
  if (!json) {
    process.stdout.write(`${describeOutcome(training)}\n`);
    process.stdout.write(`Run it again: npm run train -- --from ${from} --to ${to}\n`);
    // The large-data path (README "Training") needs XGBoost on this machine; the default path above does not.
    const xgboost = xgboostVersion();
    process.stdout.write(
      xgboost
        ? `The large-data path, SageMaker's XGBoost (XGBoost ${xgboost} here): npm run train -- --from ${from} --to ${to} --trainer sagemaker\n`
        : `The large-data path, SageMaker's XGBoost, runs Debian's XGBoost locally and it is not installed: ${XGBOOST_INSTALL}. Then: npm run train -- --from ${from} --to ${to} --trainer sagemaker\n`,
    );
  }
  return training;
}

/** Then: a live session that has not bought yet, scored by the model just promoted, through the HTTP API (and the curl that does it). */
async function predictLiveSession({ cloud, json, seed }: Run): Promise<unknown> {
  const live = new ShopperModel(seed + 1, new Date(Date.now() - 600_000), 600_000).session();
  const events = live.events.filter((e) => e.event_type !== 'purchase');
  const request = { session: { events }, explain: true };
  const requestFile = path.join(root, '.local', 'predict-example.json');
  writeFileSync(requestFile, `${JSON.stringify(request, null, 2)}\n`);
  const response = await fetch(`${cloud.outputs.ApiUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const prediction: unknown = await response.json();
  if (!response.ok) throw new Error(`POST /predict answered ${response.status}: ${JSON.stringify(prediction)}`);
  if (!json) {
    const p = prediction as { version: string; predictions: { probability: number; explanation: { top: { feature: string; contribution: number }[] } }[] };
    const top = p.predictions[0]!.explanation.top.slice(0, 3)
      .map((c) => `${c.feature} ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)}`)
      .join(', ');
    const curl = `curl -s ${cloud.outputs.ApiUrl}/predict -H 'content-type: application/json' -d @${path.relative(process.cwd(), requestFile)}`;
    process.stdout.write(
      `\nA live session (${events.length} events, no purchase yet): P(purchase) = ${p.predictions[0]!.probability.toFixed(3)} from ${p.version} (log-odds: ${top})\n`,
    );
    process.stdout.write(`It came from: ${curl}\n`);
  }
  return prediction;
}

const lakeSummary = (counts: LakeCounts) => ({ raw: total(counts.raw), bad: total(counts.bad), partitions: Object.fromEntries(counts.raw) });

runCli(async () => {
  const { values } = parseCli(USAGE, {
    sessions: { type: 'string' },
    seed: { type: 'string' },
    once: { type: 'boolean', default: false },
    ...CLOUD_FLAGS,
  });
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
  const sessions = intOption(values.sessions, 'sessions', 2000, 1);
  const seed = intOption(values.seed, 'seed', 1);

  say('▶ 1/4 starting the local cloud');
  const cloud = await startProjectCloud(values, (line) => say(`  ${line}`));
  Object.assign(process.env, cloud.env);
  resetClients();
  const stop = async (code: number) => {
    await cloud.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  const run: Run = { cloud, json, say, sessions, seed };
  let training: WorkflowResult;
  try {
    const started = Date.now();
    const traffic = await sendTraffic(run);
    const { pipeline, counts } = await waitForLake(run, traffic, started);
    const realtime = await showRealtime(run, started, traffic.accepted);
    const privacy = await checkPrivacy(run, traffic);
    training = await train(run);
    const prediction = training.ok && training.decision === 'promote' ? await predictLiveSession(run) : undefined;
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: training.ok, traffic: { ...traffic, anonymousIds: undefined }, pipeline, lake: lakeSummary(counts), realtime, privacy, training, prediction, outputs: cloud.outputs })}\n`,
      );
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  if (!json) {
    process.stdout.write(`\nThe demo store — open it, click around, watch your purchase propensity move: ${cloud.outputs.DemoUrl}\n`);
    process.stdout.write(`The web tracker it uses (docs/tracker.md): ${cloud.outputs.TrackerUrl}\n`);
    process.stdout.write(`The operations page — the pipeline, the lake, training runs, the registry, ROC and calibration: ${cloud.outputs.OpsUrl}\n`);
    process.stdout.write(
      'Every prediction is captured: npm run monitor checks them against what the sessions did next; npm run demo:drift shows the loop (drift → retrain → canary → promotion).\n',
    );
  }
  if (values.once) return stop(training.ok ? 0 : 1);
  say(`\nLocal cloud on ${cloud.endpoint}, API on ${cloud.outputs.ApiUrl}. Ctrl-C to stop.`);
});
