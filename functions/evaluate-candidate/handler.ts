import { getAlias, getModelVersion } from '#adapters/registry-table';
import { PRODUCTION_ALIAS, VersionNotFoundError } from '#domain/registry';
import { evaluateGate, type GateDecision, type TrainingPlan } from '#domain/training';
import { workflowConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = workflowConfig();

/**
 * The evaluation gate: the candidate the training job registered against the production version the job scored
 * on the same test window. If production moved since, the comparison is stale and the candidate is rejected.
 * If production was flagged by an erasure, the candidate replaces it when it clears the fixed bars.
 */
const evaluate = async (event: { run: TrainingPlan }): Promise<GateDecision> => {
  const { model_name, version } = event.run;
  const candidate = await getModelVersion(config.modelsTableName, model_name, version);
  if (!candidate) throw new VersionNotFoundError(`The training job registered no version ${version} of ${model_name}; see the Batch job's log.`);
  const production = await getAlias(config.modelsTableName, model_name, PRODUCTION_ALIAS);
  // A production version flagged by an erasure (trained on an erased person's data) is replaced by any candidate that clears the bars.
  const baseline = candidate.baseline && (await getModelVersion(config.modelsTableName, model_name, candidate.baseline.version));
  const mustReplace = (baseline?.erasures?.length ?? 0) > 0;
  const decision = evaluateGate({ version, test: candidate.metrics.test }, candidate.baseline && { ...candidate.baseline, mustReplace }, config.gate);
  if (production && production.version !== candidate.baseline?.version) {
    decision.decision = 'reject';
    decision.reasons.push(
      `production is ${production.version}, but the job compared against ${candidate.baseline?.version ?? 'no production model'}; train again`,
    );
  }
  logger.info('evaluation gate', { ...decision });
  return decision;
};

export const handler = lambdaHandler(evaluate);
