import path from 'node:path';
import { resetClients } from '../src/shared/aws-clients';
import { intOption, parseCli, runCli } from '../src/shared/args';
import { formatCounts, lakeCounts, total } from './lake-summary';
import { progressBar } from './progress';
import { CLOUD_FLAGS, startProjectCloud } from './project-cloud';
import { generateTraffic } from './traffic';
import { describeOutcome, runTrainingWorkflow } from './training-workflow';
import { writeFileSync } from 'node:fs';
import { ShopperModel } from '../src/domain/traffic/shopper-model';

const USAGE = `
npm start -- [--sessions 2000] [--seed 1] [--once] [--reset] [--port 4566] [--api-port 3000] [--json]

The whole pipeline locally: starts the local cloud, sends synthetic shoppers through POST /events,
shows the events landing in the lake (per partition), then runs the training workflow over them
(crawler → Glue features → Batch training → gate → promotion) and prints the promoted model's metrics.
Then keeps the local cloud and API up until Ctrl-C; with --once it exits when done (1 if training failed).
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    sessions: { type: 'string' },
    seed: { type: 'string' },
    once: { type: 'boolean', default: false },
    ...CLOUD_FLAGS,
  });
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
  const root = path.resolve(__dirname, '..');
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
  let trainingOk: boolean | undefined;
  try {
    const bucket = cloud.outputs.LakeBucketName!;
    say(`▶ 2/4 sending ${sessions} synthetic sessions to ${cloud.outputs.ApiUrl}/events`);
    let bar = progressBar('  collect', 0, false);
    const started = Date.now();
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

    say('▶ 3/4 waiting for the lake (Kinesis → ingest → Firehose → S3)');
    let drained = false;
    const watching = setInterval(() => {
      void lakeCounts(bucket).then(
        (c) => drained || say(`  lake so far: raw ${total(c.raw)} events, bad ${total(c.bad)} rows`),
        () => undefined,
      );
    }, 3_000);
    await cloud.drain();
    drained = true;
    clearInterval(watching);
    const pipelineSeconds = (Date.now() - started) / 1000;
    const pipeline = { seconds: pipelineSeconds, events_per_second: Math.round(traffic.events / pipelineSeconds) };
    say(`  all ${traffic.events} events through the pipeline into S3 in ${pipelineSeconds.toFixed(1)}s (${pipeline.events_per_second} events/s end to end)`);
    const counts = await lakeCounts(bucket);
    if (!json) {
      process.stdout.write(`\nThe lake (s3://${bucket}):\n${formatCounts(counts)}\n\n`);
      process.stdout.write(
        `Look at it yourself: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${cloud.endpoint} --region us-east-1 s3 ls s3://${bucket}/raw/ --recursive\n\n`,
      );
    }

    // The traffic covers the day before the current hour: train on its session-start dates.
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    say(`▶ 4/4 training workflow over ${from} … ${to} (statemachines/training.asl.yaml)`);
    const training = await runTrainingWorkflow({
      stateMachineArn: cloud.outputs.TrainingStateMachineArn!,
      modelsTableName: cloud.outputs.ModelsTableName!,
      input: { from, to },
      say: (line) => say(line),
      tty: !json && process.stderr.isTTY,
    });
    trainingOk = training.ok;
    if (!json) {
      process.stdout.write(`${describeOutcome(training)}\n`);
      process.stdout.write(`Run it again: npm run train -- --from ${from} --to ${to}\n`);
    }
    // A live session that has not bought yet, scored by the model just promoted, through the HTTP API.
    let prediction: unknown;
    if (training.ok && training.decision === 'promote') {
      const live = new ShopperModel(seed + 1, new Date(Date.now() - 600_000), 600_000).session();
      const events = live.events.filter((e) => e.event_type !== 'purchase');
      const requestFile = path.join(root, '.local', 'predict-example.json');
      writeFileSync(requestFile, `${JSON.stringify({ session: { events }, explain: true }, null, 2)}\n`);
      const curl = `curl -s ${cloud.outputs.ApiUrl}/predict -H 'content-type: application/json' -d @${path.relative(process.cwd(), requestFile)}`;
      const response = await fetch(`${cloud.outputs.ApiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session: { events }, explain: true }),
      });
      prediction = await response.json();
      if (!response.ok) throw new Error(`POST /predict answered ${response.status}: ${JSON.stringify(prediction)}`);
      if (!json) {
        const p = prediction as { version: string; predictions: { probability: number; explanation: { top: { feature: string; contribution: number }[] } }[] };
        const top = p.predictions[0]!.explanation.top.slice(0, 3)
          .map((c) => `${c.feature} ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)}`)
          .join(', ');
        process.stdout.write(
          `\nA live session (${events.length} events, no purchase yet): P(purchase) = ${p.predictions[0]!.probability.toFixed(3)} from ${p.version} (log-odds: ${top})\n`,
        );
        process.stdout.write(`It came from: ${curl}\n`);
      }
    }
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: training.ok, traffic, pipeline, lake: { raw: total(counts.raw), bad: total(counts.bad), partitions: Object.fromEntries(counts.raw) }, training, prediction, outputs: cloud.outputs })}\n`,
      );
    }
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  if (values.once) return stop(trainingOk === false ? 1 : 0);
  say(`\nLocal cloud on ${cloud.endpoint}, API on ${cloud.outputs.ApiUrl}. Ctrl-C to stop.`);
});
