import { getAlias, setAlias } from '#adapters/registry-table';
import { canaryChecks } from '#adapters/monitoring';
import { putObject } from '#adapters/s3';
import { decideCanary, type CanaryFigures, type CanarySettings } from '#domain/monitoring/canary';
import { delongAuc } from '#domain/monitoring/quality';
import type { GroupReport, MonitorReport } from '#domain/monitoring/report';
import type { TrainingResult } from '#domain/model/training-run';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { parseDrift, ShopperModel, type GeneratedSession } from '#domain/traffic/shopper-model';
import { sendEvents } from '../../cli/collector-client';
import { predictSessions } from '../../cli/traffic';
import { runTsx } from '../helpers/cli';
import { addFaults, api, drain, functionLogLine, functionLogLines, itLocal, outputs } from '../helpers/cloud';
import { trainOnSessions } from '../helpers/models';
import { registerVersion } from '../helpers/registry';
import { waitFor } from '../helpers/wait';

/**
 * Closed-loop monitoring (README, "Monitoring models") on the local cloud: shoppers' events go through POST /events,
 * their sessions are scored through POST /predict (captured to predictions/), and the monitoring and canary state
 * machines label the predictions with what the sessions did next. The models are trained here, in-process, on
 * generated sessions (the trainer's own code: both kinds, the better on validation, its drift reference).
 */
const RUN = Date.now();
const SHOP = 41;
// Sessions end an hour before the current hour: their outcome horizon (30 min) is over when they are scored.
const END = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
// Mobile shoppers become most of the traffic and now buy more; checkout and returning mean less: features and
// what they mean both move (a model trained before loses ~0.05 of ROC-AUC, one trained after does not).
const DRIFT = parseDrift('mobile=85,mobile_effect=1.5,checkout=-1,cart=1.2,returning=-1.5');

const shoppers = (seed: number, sessions: number, drifted = false): GeneratedSession[] => {
  const model = new ShopperModel(seed, new Date(END.getTime() - 86_400_000), 86_400_000, drifted ? DRIFT : undefined, SHOP);
  return Array.from({ length: sessions }, () => model.session());
};

/** Registers a trained model as a version with its own test figures and drift reference. */
async function register(model: string, version: string, trained: TrainingResult) {
  await registerVersion({
    model,
    version,
    kind: trained.model.kind,
    artifact: { model: trained.model },
    metrics: trained.candidates[trained.chosen === 'gbdt' ? 'gbdt' : 'logreg'],
    reference: trained.reference,
  });
}

const table = () => outputs().ModelsTableName!;

async function serve(model: string, sessions: readonly GeneratedSession[]) {
  await sendEvents(
    outputs().ApiUrl,
    sessions.flatMap((s) => s.events),
  );
  // The outcomes are in the lake before the predictions are scored: each check then sees every label it counts.
  await drain();
  await predictSessions(outputs().ApiUrl, sessions, { model });
  await drain();
}

/** Runs the monitoring state machine through `npm run monitor` until every prediction of the model is labelled. */
async function monitor(model: string): Promise<MonitorReport> {
  return waitFor(
    `${model}'s predictions labelled`,
    async () => {
      const run = await runTsx('cli/monitor.ts', ['--model', model, '--hours', '1', '--state-machine-arn', outputs().MonitoringStateMachineArn!, '--json']);
      expect([run.code, run.stderr]).toEqual([0, '']);
      const report = (run.json.reports as MonitorReport[])[0]!;
      return report.groups.length > 0 && report.groups.every((g) => g.pending === 0) && report;
    },
    60_000,
    2_000,
  );
}

const productionOf = (report: MonitorReport): GroupReport => report.groups.find((g) => g.route === 'production')!;

describe('model monitoring: captured predictions labelled by what the sessions did next', () => {
  let stationary: TrainingResult;
  beforeAll(() => {
    stationary = trainOnSessions(shoppers(1, 4000));
  });

  itLocal('on stationary traffic, production’s live ROC-AUC agrees with its offline test figure and no feature drifts', async () => {
    const model = `it-monitor-${RUN}`;
    await register(model, 'v1', stationary);
    await setAlias(table(), model, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'test' });
    const traffic = shoppers(2, 3000);
    await serve(model, traffic);
    // A line that is no prediction (written there by something else) is skipped and counted, never fatal.
    const hour = new Date().toISOString().slice(0, 13);
    await putObject(outputs().LakeBucketName!, `predictions/dt=${hour.slice(0, 10)}/hour=${hour.slice(11)}/not-a-capture-${RUN}`, 'not json\n');
    const report = await monitor(model);
    expect(report.unreadable_lines).toBeGreaterThanOrEqual(1);
    const production = productionOf(report);
    const buyers = traffic.filter((s) => s.truth.purchased).length;
    expect(production).toMatchObject({ version: 'v1', sessions: 3000, pending: 0, unlabellable: 0, alerts: [] });
    // Every purchase was found: the labels are the generator's own outcomes.
    expect(production.quality).toMatchObject({ labelled: 3000, positives: buyers });
    // Two independent estimates of one AUC: their difference within its 95 % interval (DeLong variances of both).
    const offline = delongAuc(
      stationary.testPredictions.map((p) => p.label),
      stationary.testPredictions.map((p) => p.p),
    )!;
    const live = production.quality!.roc_auc!;
    const z = 1.96 * Math.sqrt(offline.variance + production.quality!.roc_auc_variance!);
    expect(Math.abs(live.value - offline.auc)).toBeLessThan(z);
    expect(production.offline!.roc_auc).toBeCloseTo(offline.auc, 6);
    expect(production.drift!.max_feature_psi).toBeLessThan(report.settings.psiThreshold);
    expect(production.drift!.score_psi).toBeLessThan(report.settings.psiThreshold);
    // The figures are kept in the registry and `npm run models -- monitor` prints them.
    const shown = await runTsx('cli/models.ts', ['monitor', model, '--models-table', table()]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`ROC-AUC ${live.value.toFixed(3)} [${live.low.toFixed(3)}, ${live.high.toFixed(3)}]`);
  });

  itLocal('after a drift, PSI crosses its threshold, quality falls and the alarm metric is published', async () => {
    const model = `it-drift-${RUN}`;
    await register(model, 'v1', stationary);
    await setAlias(table(), model, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'test' });
    await serve(model, shoppers(3, 3000, true));
    const production = productionOf(await monitor(model));
    expect(production.alerts).toEqual(expect.arrayContaining(['feature_drift']));
    expect(production.drift!.drifted).toEqual(expect.arrayContaining(['device_mobile']));
    // Quality fell, by more than the interval can explain.
    expect(production.auc_drop_at_least!).toBeGreaterThan(0);
    // What ModelDriftAlarm reads (resources/model-monitoring.yml): MaxFeaturePsi by model, alias and route.
    const emf = await functionLogLine((line) => line.includes('"MaxFeaturePsi"') && line.includes(model));
    expect(emf).toMatchObject({ model, alias: 'production', route: 'production', service: 'clickstream-ml' });
    expect(emf.MaxFeaturePsi).toBeCloseTo(production.drift!.max_feature_psi, 4);
  });

  /** Starts a canary with --auto --wait, serves the traffic while it runs, and returns its decision and the alias after. */
  async function canary(model: string, candidate: TrainingResult, traffic: readonly GeneratedSession[]) {
    await register(model, 'v1', stationary);
    await register(model, 'v2', candidate);
    await setAlias(table(), model, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'test' });
    const analysis = runTsx('cli/models.ts', [
      'canary',
      model,
      '--version',
      'v2',
      '--weight',
      '0.5',
      '--auto',
      '--wait',
      '--models-table',
      table(),
      '--canary-state-machine-arn',
      outputs().CanaryStateMachineArn!,
      '--json',
    ]);
    await waitFor('the canary routed', async () => (await getAlias(table(), model, PRODUCTION_ALIAS))?.canary, 30_000);
    await serve(model, traffic);
    const run = await analysis;
    expect([run.code, run.stderr]).toEqual([0, '']);
    return { analysis: run.json.analysis, alias: (await getAlias(table(), model, PRODUCTION_ALIAS))! };
  }

  /** Every stored check decides again, from its own figures and settings, as it decided then. */
  async function expectReproducible(model: string, run: string) {
    const checks = await canaryChecks(table(), model, run);
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      const again = decideCanary(check.figures as CanaryFigures, check.settings as CanarySettings, check.check as number);
      expect(again).toEqual({ decision: check.decision, reason: check.reason });
    }
    return checks.at(-1)!;
  }

  itLocal('promotes a canary that is truly better (trained on the drifted traffic), with its figures in the history', async () => {
    const model = `it-canary-better-${RUN}`;
    const { analysis, alias } = await canary(model, trainOnSessions(shoppers(4, 4000, true)), shoppers(5, 3000, true));
    expect(analysis.decision).toBe('promote');
    expect(alias).toMatchObject({ version: 'v2' });
    expect(alias.canary).toBeUndefined();
    const change = alias.history.at(-1)!;
    expect(change).toMatchObject({ from: 'v1', to: 'v2', kind: 'version', by: `canary-analysis/${analysis.run}` });
    expect(change.reason).toMatch(/^canary promoted after \d+ check\(s\): .*ROC-AUC canary 0\.\d{3} vs production 0\.\d{3}/);
    const last = await expectReproducible(model, analysis.run);
    const figures = last.figures as CanaryFigures;
    expect(figures.auc_difference!.low).toBeGreaterThan(-0.02);
    expect(figures.canary.labelled).toBeGreaterThanOrEqual(150);
  });

  itLocal('rolls back a canary that is truly worse (trained on shuffled labels), with its figures in the history', async () => {
    const model = `it-canary-worse-${RUN}`;
    const { analysis, alias } = await canary(model, trainOnSessions(shoppers(6, 4000), { shuffleLabels: true }), shoppers(7, 3000));
    expect(analysis.decision).toBe('rollback');
    expect(alias).toMatchObject({ version: 'v1' });
    expect(alias.canary).toBeUndefined();
    expect(alias.history.at(-1)).toMatchObject({ kind: 'routing', by: `canary-analysis/${analysis.run}` });
    expect(alias.history.at(-1)!.reason).toMatch(/^canary rolled back after \d+ check\(s\): canary worse: ROC-AUC/);
    const figures = (await expectReproducible(model, analysis.run)).figures as CanaryFigures;
    expect(figures.auc_difference!.high).toBeLessThan(0);
  });

  itLocal('never fails a prediction because its capture fails: the failure is a metric', async () => {
    const model = `it-capture-${RUN}`;
    await register(model, 'v1', stationary);
    await setAlias(table(), model, PRODUCTION_ALIAS, { to: 'v1', expected: null, by: 'test', reason: 'test' });
    const session = `capture-fails-${RUN}`;
    // Only calls holding this session's rows fail (other tests' captures are not touched); the rule stays armed.
    await addFaults([{ service: 'firehose', operation: 'PutRecordBatch', type: 'throttle', count: 1_000, match: session }]);
    const [events] = shoppers(8, 1).map((s) => s.events.filter((e) => e.event_type !== 'purchase').map((e) => ({ ...e, session_id: session })));
    // Each request adds the session again; a container's rows give up after their third failed send. Requests go on
    // until that shows as a metric: which container serves a request depends on the other test files' traffic.
    const isFailureMetric = (line: string) => line.includes('"CaptureFailures"');
    const earlier = functionLogLines(isFailureMetric).length;
    const failures = await waitFor(
      'a CaptureFailures metric from the predict function',
      async () => {
        const answer = await api('POST', '/predict', { body: { model, sessions: [{ session_id: session, events }] } });
        expect(answer.status).toBe(200);
        expect(answer.body.predictions[0].probability).toBeGreaterThan(0);
        return functionLogLines(isFailureMetric)[earlier];
      },
      90_000,
      500,
    );
    expect(failures.CaptureFailures).toBeGreaterThan(0);
  });
});
