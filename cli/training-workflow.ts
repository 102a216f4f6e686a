import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { getAlias, getModelVersion } from '#adapters/registry-table';
import { describeExecution, historySince, startExecution } from '#adapters/stepfunctions';
import { PRODUCTION_ALIAS, type ModelVersion, type RunRecord } from '#domain/registry';
import type { GateDecision, RunIdentity, Trainer, TrainingPlan } from '#domain/training';
import { sleep } from '#shared/retry';

export interface WorkflowResult {
  ok: boolean;
  execution_arn: string;
  status: string;
  seconds: number;
  error?: string;
  cause?: string;
  run?: RunIdentity & Partial<TrainingPlan>;
  /** What the workflow recorded for a failed run (its RecordFailure step's result): the error that ended it. */
  failure?: RunRecord['error'];
  decision?: GateDecision['decision'];
  /** The run asked to keep a passing candidate for a canary: it was recorded, not promoted. */
  kept_as_candidate?: boolean;
  reasons?: string[];
  version?: Pick<ModelVersion, 'version' | 'kind' | 'metrics' | 'baseline' | 'artifact' | 'data'>;
  production?: string | null;
}

const RUNNING_NOTE: Record<string, string> = {
  WaitForCrawler: 'waiting for the crawler',
  CompactEvents: 'Glue job: curated.sql, one row per event_id',
  BuildFeatures: 'Glue job: features.sql over the curated partitions, and the channels',
  TrainModel: 'Batch job: training both models',
  TrainOnSageMaker: 'SageMaker training job: the built-in XGBoost on the channels',
  RegisterXgboost: 'converting the XGBoost model and judging it on the test channel',
};

/**
 * Starts the training state machine and follows it: a line per state as it enters and leaves (with a running
 * clock on long Glue/Batch steps), each failed attempt with its error, then the outcome — the candidate's
 * metrics, the gate's decision and where `production` points — read back from the registry.
 */
export async function runTrainingWorkflow(options: {
  stateMachineArn: string;
  modelsTableName: string;
  input: { from?: string; to?: string; release?: 'candidate'; trainer?: Trainer };
  say: (line: string) => void;
  tty: boolean;
}): Promise<WorkflowResult> {
  const { say } = options;
  const started = Date.now();
  const executionArn = await startExecution(options.stateMachineArn, options.input);
  say(`  execution ${executionArn.split(':').pop()}`);
  const entered = new Map<number, { name: string; at: number }>();
  // Poll loops (GetCrawler) re-enter a state many times; one line for the first entry is enough.
  const shown = new Set<string>();
  let lastId = 0;
  let current: { name: string; at: number } | undefined;
  let ticker = 0;
  let recorded: RunRecord | undefined;
  for (;;) {
    const events = await historySince(executionArn, lastId);
    for (const event of events) {
      lastId = event.id ?? lastId;
      report(event);
    }
    const { status } = await describeExecution(executionArn);
    if (status !== 'RUNNING') break;
    if (options.tty && current && Date.now() - current.at > 2_000 && ++ticker % 2 === 0) {
      process.stderr.write(`\r    … ${current.name} ${RUNNING_NOTE[current.name] ?? 'running'} ${((Date.now() - current.at) / 1000).toFixed(0)}s`);
    }
    await sleep(500);
  }
  for (const event of await historySince(executionArn, lastId)) report(event);

  function report(event: HistoryEvent): void {
    const clear = options.tty ? '\r\x1b[K' : '';
    const at = event.timestamp ? event.timestamp.getTime() : Date.now();
    const quiet = event.type!.startsWith('Choice') || event.type!.startsWith('Wait');
    if (event.stateEnteredEventDetails) {
      current = { name: event.stateEnteredEventDetails.name!, at };
      entered.set(event.id!, current);
      if (!quiet && !shown.has(current.name)) say(`${clear}  ▶ ${current.name}`);
    } else if (event.stateExitedEventDetails) {
      const name = event.stateExitedEventDetails.name!;
      if (name === 'RecordFailure') recorded = (JSON.parse(event.stateExitedEventDetails.output ?? '{}') as { record?: RunRecord }).record;
      if (!quiet && current && !shown.has(name)) {
        shown.add(name);
        say(`${clear}  ✓ ${name} (${((at - current.at) / 1000).toFixed(1)}s)`);
      }
    } else if (event.taskFailedEventDetails) {
      const state = entered.get(event.previousEventId ?? -1)?.name ?? 'task';
      const { error, cause } = event.taskFailedEventDetails;
      say(`${clear}  ✗ ${state} attempt failed: ${error} — ${(cause ?? '').slice(0, 300)}`);
    }
  }

  const execution = await describeExecution(executionArn);
  const output = execution.output ? (JSON.parse(execution.output) as { run?: TrainingPlan; gate?: GateDecision; record?: RunRecord }) : {};
  const result: WorkflowResult = {
    ok: execution.status === 'SUCCEEDED',
    execution_arn: executionArn,
    status: execution.status ?? 'UNKNOWN',
    seconds: (Date.now() - started) / 1000,
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
  if (recorded) {
    const { run_id, model_name, version, from, to, error } = recorded;
    return { ...result, ...(version && from && to ? { run: { run_id, model_name, version, from, to } } : {}), ...(error ? { failure: error } : {}) };
  }
  const run = output.run;
  if (!run) return result;
  const [version, production] = await Promise.all([
    getModelVersion(options.modelsTableName, run.model_name, run.version),
    getAlias(options.modelsTableName, run.model_name, PRODUCTION_ALIAS),
  ]);
  return {
    ...result,
    run,
    ...(output.gate ? { decision: output.gate.decision, reasons: output.gate.reasons } : {}),
    ...(output.record?.outcome === 'candidate' ? { kept_as_candidate: true } : {}),
    ...(version
      ? {
          version: {
            version: version.version,
            kind: version.kind,
            metrics: version.metrics,
            baseline: version.baseline,
            artifact: version.artifact,
            data: version.data,
          },
        }
      : {}),
    production: production?.version ?? null,
  };
}

/** The outcome in a few lines for people. */
export function describeOutcome(result: WorkflowResult): string {
  const lines: string[] = [];
  if (!result.ok) {
    lines.push(`Training run ${result.status}: ${result.error ?? ''}`);
    if (result.failure) lines.push(`  failed with ${result.failure.Error}: ${result.failure.Cause.slice(0, 500)}`);
    else lines.push(`  ${result.cause ?? ''}`);
    lines.push('  The failed run is recorded in the models table (run#<execution name>); job logs are in .local/logs/glue and .local/logs/batch.');
    return lines.join('\n');
  }
  const v = result.version;
  if (v) {
    const t = v.metrics.test;
    lines.push(`Model ${result.run!.model_name} ${v.version} (${v.kind}), trained on ${v.data.from} … ${v.data.to}:`);
    lines.push(
      `  test ROC-AUC ${t.roc_auc.toFixed(3)}  PR-AUC ${t.pr_auc.toFixed(3)}  log loss ${t.log_loss.toFixed(3)}  ECE ${t.ece.toFixed(3)}  (${t.count} sessions, ${t.positives} buyers)`,
    );
    if (v.baseline) lines.push(`  production ${v.baseline.version} on the same test window: ROC-AUC ${v.baseline.test.roc_auc.toFixed(3)}`);
    lines.push(`  artifact ${v.artifact.uri}`);
  }
  lines.push(
    result.kept_as_candidate
      ? `Passed the gate; kept as a candidate (production stays ${result.production ?? 'unset'}): npm run models -- canary ${result.run!.model_name} ${result.run!.version} --weight 0.1 --auto`
      : result.decision === 'promote'
        ? `Promoted: production → ${result.production}`
        : `Rejected (production stays ${result.production ?? 'unset'}): ${(result.reasons ?? []).join('; ')}`,
  );
  return lines.join('\n');
}
