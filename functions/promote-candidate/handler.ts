import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { putRunRecord, setAlias } from '../../src/adapters/models-table';
import { PRODUCTION_ALIAS } from '../../src/domain/registry';
import type { GateDecision, TrainingPlan } from '../../src/domain/training';
import { workflowConfig } from '../../src/shared/config';
import { logger } from '../../src/shared/logger';

const config = workflowConfig();

/** Moves `production` to the candidate, only if it still points at the version the gate compared against. */
const promote = async (event: { run: TrainingPlan; gate: GateDecision }) => {
  const { run, gate } = event;
  const alias = await setAlias(config.modelsTableName, run.model_name, PRODUCTION_ALIAS, {
    to: run.version,
    expected: gate.production?.version ?? null,
    by: `training-workflow/${run.run_id}`,
    reason: `evaluation gate passed: test ROC-AUC ${gate.candidate.roc_auc.toFixed(3)}, ECE ${gate.candidate.ece.toFixed(3)}${gate.production ? ` (production ${gate.production.roc_auc.toFixed(3)})` : ''}`,
  });
  await putRunRecord(config.modelsTableName, { model_name: run.model_name, run_id: run.run_id, outcome: 'promoted', at: alias.updated_at, version: run.version, from: run.from, to: run.to });
  logger.info('promoted', { model: run.model_name, version: run.version, previous: gate.production?.version ?? null });
  return { alias: PRODUCTION_ALIAS, version: run.version, previous: gate.production?.version ?? null };
};

export const handler = middy(promote).use(injectLambdaContext(logger));
