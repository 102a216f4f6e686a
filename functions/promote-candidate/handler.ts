import { promoteRun } from '#adapters/registry-use-cases';
import { PRODUCTION_ALIAS } from '#domain/registry';
import type { GateDecision, TrainingPlan } from '#domain/training';
import { workflowConfig } from '#shared/config';
import { countNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = workflowConfig();

/** Moves `production` to the candidate (optimistic lock on the version the gate compared against); safe to repeat. */
const promote = async (event: { run: TrainingPlan; gate: GateDecision }) => {
  const { run, gate } = event;
  const { moved, previous } = await promoteRun(config.modelsTableName, run, gate);
  logger.info(moved ? 'promoted' : 'promotion already done by this run; recorded it', { model: run.model_name, version: run.version, previous });
  if (moved) countNow('RegistryChanges', 1, { change: 'promoted' });
  return { alias: PRODUCTION_ALIAS, version: run.version, previous };
};

export const handler = lambdaHandler(promote);
