import path from 'node:path';
import { setAliasRouting } from '#adapters/registry-table';
import type { MonitorReport } from '#domain/monitoring/report';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { parseDrift, type Drift } from '#domain/traffic/shopper-model';
import { parseCli, runCli } from '#shared/args';
import { resetClients } from '#shared/aws-clients';
import { sleep } from '#shared/retry';
import type { LocalCloud } from '../local/cloud';
import { runToEnd } from './executions';
import { formatReport, startCanaryAnalysis } from './monitoring';
import { CLOUD_FLAGS, startProjectCloud } from './project-cloud';
import { generateTraffic } from './traffic';
import { describeOutcome, runTrainingWorkflow } from './training-workflow';

const DEFAULT_DRIFT = 'mobile=85,mobile_effect=1.5,checkout=-1,cart=1.2,returning=-1.5';

const USAGE = `
npm run demo:drift -- [--drift SPEC] [--reset] [--port 4566] [--api-port 3000] [--site-port 8080] [--json]

The closed loop of README "Monitoring models", on the local cloud, in six steps:
  1. a model is trained on a shop's traffic and promoted;
  2. more of the same traffic is served through POST /predict and monitored: live ROC-AUC agrees with offline, no drift;
  3. the shoppers change (--drift, default "${DEFAULT_DRIFT}"):
     the monitor shows PSI over its threshold and quality falling;
  4. a model is trained on the changed traffic and kept as a candidate (npm run train -- --candidate);
  5. it serves half the sessions as a canary while the canary analysis compares it with production;
  6. the analysis promotes it by itself, the figures in the alias's history.
Sessions are dated in the days before today (a day each), so every outcome is known when it is monitored.
`;

const SHOP = 101;
const MODEL = 'purchase-propensity';
const DAY = 86_400_000;
const root = path.resolve(__dirname, '..');

interface Demo {
  cloud: LocalCloud;
  say: (line: string) => void;
  json: boolean;
}

const day = (at: Date) => at.toISOString().slice(0, 10);

/** Synthetic shoppers of the demo's shop on one day (ending at `end`), optionally drifted and scored through POST /predict. */
async function traffic(demo: Demo, what: string, options: { seed: number; sessions: number; end: Date; drift?: Drift; predict?: boolean }) {
  const result = await generateTraffic({
    url: demo.cloud.outputs.ApiUrl,
    sessions: options.sessions,
    seed: options.seed,
    shop: SHOP,
    days: 1,
    end: options.end,
    truthFile: path.join(root, '.local', 'truth', `demo-drift-${options.seed}.jsonl`),
    ...(options.drift ? { drift: options.drift } : {}),
    ...(options.predict ? { predict: { model: MODEL } } : {}),
  });
  await demo.cloud.drain();
  demo.say(
    `  ${what}: ${result.sessions} sessions (${result.purchases} bought) on ${day(new Date(options.end.getTime() - DAY))}${options.predict ? ', each scored through POST /predict' : ''}`,
  );
  return result;
}

async function train(demo: Demo, date: string, release?: 'candidate') {
  const result = await runTrainingWorkflow({
    stateMachineArn: demo.cloud.outputs.TrainingStateMachineArn!,
    modelsTableName: demo.cloud.outputs.ModelsTableName!,
    input: { from: date, to: date, ...(release ? { release } : {}) },
    say: () => undefined,
    tty: false,
  });
  if (!result.ok || (release ? !result.kept_as_candidate : result.decision !== 'promote'))
    throw new Error(`The training run did not go as planned:\n${describeOutcome(result)}`);
  demo.say(describeOutcome(result).replace(/^/gm, '  '));
  return result;
}

/** The monitoring state machine over the predictions captured since `from`, once every outcome is known. */
async function monitor(demo: Demo, from: Date): Promise<MonitorReport> {
  for (let attempt = 0; ; attempt++) {
    const { output } = await runToEnd(demo.cloud.outputs.MonitoringStateMachineArn!, { model: MODEL, from: from.toISOString() }, 'monitor', () => undefined);
    const report = (output as { reports: MonitorReport[] }).reports[0]!;
    // Outcomes count a few seconds after the prediction (the stage's monitorLabelDelaySeconds): until then, wait.
    if (report.groups.every((g) => g.pending === 0) || attempt >= 30) {
      demo.say(formatReport(report).replace(/^/gm, '  '));
      return report;
    }
    await sleep(2_000);
  }
}

runCli(async () => {
  const { values } = parseCli(USAGE, { drift: { type: 'string' }, ...CLOUD_FLAGS });
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
  const drift = parseDrift(values.drift ?? DEFAULT_DRIFT);
  say('▶ starting the local cloud');
  const cloud = await startProjectCloud(values, (line) => say(`  ${line}`));
  Object.assign(process.env, cloud.env);
  resetClients();
  const demo: Demo = { cloud, say, json };
  const today = new Date(Math.floor(Date.now() / DAY) * DAY);
  const dayEnding = (daysAgo: number) => new Date(today.getTime() - daysAgo * DAY);
  try {
    say(`▶ 1/6 the shop's traffic, and a model trained on it`);
    await traffic(demo, 'traffic', { seed: 201, sessions: 5000, end: dayEnding(3) });
    const first = await train(demo, day(dayEnding(4)));

    say('▶ 2/6 more of the same shoppers, served and monitored');
    const stationaryFrom = new Date();
    await traffic(demo, 'served', { seed: 202, sessions: 3000, end: dayEnding(2), predict: true });
    const stationary = await monitor(demo, stationaryFrom);

    say(`▶ 3/6 the shoppers change (${values.drift ?? DEFAULT_DRIFT})`);
    const driftFrom = new Date();
    await traffic(demo, 'served', { seed: 203, sessions: 3000, end: dayEnding(1), drift, predict: true });
    const drifted = await monitor(demo, driftFrom);

    say('▶ 4/6 a model trained on the changed traffic, kept as a candidate');
    await traffic(demo, 'traffic', { seed: 204, sessions: 5000, end: dayEnding(1), drift });
    const candidate = await train(demo, day(dayEnding(2)), 'candidate');

    say('▶ 5/6 the candidate as a canary for half the sessions, analysed as they are served');
    const production = first.run!.version;
    const version = candidate.run!.version;
    const routed = await setAliasRouting(
      cloud.outputs.ModelsTableName!,
      MODEL,
      PRODUCTION_ALIAS,
      { canary: { version, weight: 0.5 } },
      { expected: production, by: 'demo:drift', reason: `canary ${version} at 50 %` },
    );
    const analysis = startCanaryAnalysis(
      cloud.outputs.CanaryStateMachineArn!,
      {
        model: MODEL,
        alias: PRODUCTION_ALIAS,
        production_version: production,
        canary_version: version,
        weight: 0.5,
        started_at: routed.updated_at,
        check_seconds: 900,
      },
      { wait: true, say: () => undefined },
    );
    await traffic(demo, 'served', { seed: 205, sessions: 3000, end: today, drift, predict: true });
    const decision = await analysis;

    say('▶ 6/6 the canary analysis decided');
    say(`  ${decision.decision}: ${decision.reason}`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: decision.decision === 'promote', stationary, drifted, candidate: version, canary: decision })}\n`);
    else process.stdout.write(`\nThe history of the alias: npm run models -- history ${MODEL}\nThe live figures: npm run models -- monitor ${MODEL}\n`);
  } finally {
    await cloud.stop();
  }
});
