import { ClickstreamError } from '#shared/errors';
import { datesBetween } from './lake';
import type { Metrics } from './model/metrics';
import { versionStamp } from './registry';

/** The training workflow's own logic: what a run covers, and whether its candidate may replace production. */

export class InvalidTrainingRequestError extends ClickstreamError {}

/** What identifies a run (records and the promote step need no more). */
export type RunIdentity = Pick<TrainingPlan, 'run_id' | 'model_name' | 'version' | 'from' | 'to'>;

/** Which trainer a run uses: the TypeScript trainer on AWS Batch, SageMaker's XGBoost, or by the sessions' count. */
export const TRAINERS = ['auto', 'batch', 'sagemaker'] as const;
export type Trainer = (typeof TRAINERS)[number];

/** The SageMaker path's settings (stage params), carried in the run for the workflow's Choice and training job. */
export interface SageMakerTraining {
  /** From this many sessions on, `auto` trains on SageMaker. */
  min_rows: number;
  instance_type: string;
  instance_count: number;
  volume_gb: number;
  max_runtime_seconds: number;
}

export interface TrainingPlan {
  run_id: string;
  model_name: string;
  version: string;
  from: string;
  to: string;
  trainer: Trainer;
  sagemaker: SageMakerTraining;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;

function checkDate(value: unknown, name: string): string {
  if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidTrainingRequestError(`"${name}" must be a date YYYY-MM-DD, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * A run's plan from the execution input (`from`/`to` inclusive UTC dates; both absent on a schedule, then the
 * `lookbackDays` whole days before the start; `trainer`, default auto) and the execution: run id = execution name, version = start time
 * plus the name's tail, so versions sort by time and two runs never share one.
 */
export function planTraining(
  input: { from?: unknown; to?: unknown; trainer?: unknown },
  execution: { name: string; startTime: string },
  options: { modelName: string; lookbackDays: number; sagemaker: SageMakerTraining },
): TrainingPlan {
  const trainer = input.trainer ?? 'auto';
  if (!TRAINERS.includes(trainer as Trainer))
    throw new InvalidTrainingRequestError(`"trainer" must be one of ${TRAINERS.join(', ')}, got ${JSON.stringify(input.trainer)}.`);
  const start = new Date(execution.startTime);
  if (Number.isNaN(start.getTime())) throw new InvalidTrainingRequestError(`Execution start time ${execution.startTime} is not a timestamp.`);
  if ((input.from === undefined) !== (input.to === undefined))
    throw new InvalidTrainingRequestError('Give both "from" and "to", or neither (then the last days before the run are used).');
  const day = (offset: number) => new Date(start.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
  const from = input.from === undefined ? day(options.lookbackDays) : checkDate(input.from, 'from');
  const to = input.to === undefined ? day(1) : checkDate(input.to, 'to');
  if (from > to) throw new InvalidTrainingRequestError(`"from" (${from}) is after "to" (${to}).`);
  if (datesBetween(from, to).length > MAX_DAYS) throw new InvalidTrainingRequestError(`The range ${from} … ${to} is longer than ${MAX_DAYS} days.`);
  const stamp = versionStamp(start);
  const tail = execution.name
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(-6)
    .toLowerCase();
  return {
    run_id: execution.name,
    model_name: options.modelName,
    version: tail ? `${stamp}-${tail}` : stamp,
    from,
    to,
    trainer: trainer as Trainer,
    sagemaker: options.sagemaker,
  };
}

export interface GateThresholds {
  minRocAuc: number;
  maxEce: number;
  /** How much lower than production's ROC-AUC (on the candidate's test window) the candidate may score. */
  maxRocAucDrop: number;
}

export interface GateDecision {
  decision: 'promote' | 'reject';
  reasons: string[];
  candidate: { version: string; roc_auc: number; ece: number };
  production: { version: string; roc_auc: number; must_replace?: true } | null;
}

/**
 * The evaluation gate: a candidate is promoted only if its test ROC-AUC and calibration clear fixed bars and it
 * is no worse than the current production model scored on the same test window — unless production must be
 * replaced (it was trained on the data of someone since erased): then the fixed bars alone decide.
 */
export function evaluateGate(
  candidate: { version: string; test: Metrics },
  production: { version: string; test: Metrics; mustReplace?: boolean } | undefined,
  thresholds: GateThresholds,
): GateDecision {
  const reasons: string[] = [];
  const { roc_auc, ece } = candidate.test;
  if (!(roc_auc >= thresholds.minRocAuc)) reasons.push(`test ROC-AUC ${roc_auc.toFixed(3)} is below the minimum ${thresholds.minRocAuc}`);
  if (!(ece <= thresholds.maxEce)) reasons.push(`calibration error (ECE) ${ece.toFixed(3)} is above the maximum ${thresholds.maxEce}`);
  if (production && !production.mustReplace && roc_auc < production.test.roc_auc - thresholds.maxRocAucDrop) {
    reasons.push(`test ROC-AUC ${roc_auc.toFixed(3)} is below production ${production.version}'s ${production.test.roc_auc.toFixed(3)} on the same window`);
  }
  return {
    decision: reasons.length === 0 ? 'promote' : 'reject',
    reasons,
    candidate: { version: candidate.version, roc_auc, ece },
    production: production
      ? { version: production.version, roc_auc: production.test.roc_auc, ...(production.mustReplace ? { must_replace: true as const } : {}) }
      : null,
  };
}
