import { putRunRecord } from '#adapters/registry-table';
import { runKey, type RunRecord } from '#domain/registry';
import type { GateDecision, TrainingPlan } from '#domain/training';
import { workflowConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = workflowConfig();

interface RecordEvent {
  outcome: 'candidate' | 'rejected' | 'failed';
  execution: string;
  /** The workflow state at the point of rejection or failure (run is absent if planning itself failed). */
  state: { run?: TrainingPlan; gate?: GateDecision; error?: { Error: string; Cause: string } };
}

/** Records a candidate kept for a canary, a rejected candidate or a failed run in the models table, so every run leaves a trace. */
const record = async (event: RecordEvent): Promise<RunRecord> => {
  const { run, gate, error } = event.state;
  const item = {
    model_name: run?.model_name ?? config.modelName,
    run_id: run?.run_id ?? event.execution,
    outcome: event.outcome,
    at: new Date().toISOString(),
    ...(run ? { version: run.version, from: run.from, to: run.to } : {}),
    ...(gate ? { reasons: gate.reasons } : {}),
    ...(error ? { error } : {}),
  };
  await putRunRecord(config.modelsTableName, item);
  (event.outcome === 'failed' ? logger.error : logger.info).call(logger, `training run ${event.outcome}`, { ...item });
  return { ...item, sk: runKey(item.run_id) };
};

export const handler = lambdaHandler(record);
