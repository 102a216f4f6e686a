import { planTraining, type TrainingPlan } from '#domain/training';
import { workflowConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = workflowConfig();

/** Training workflow, first step: the run's date range, version and id from the execution input and context. */
const plan = async (event: {
  input?: { from?: unknown; to?: unknown; trainer?: unknown };
  execution: { Name: string; StartTime: string };
}): Promise<TrainingPlan> => {
  const result = planTraining(event.input ?? {}, { name: event.execution.Name, startTime: event.execution.StartTime }, config);
  logger.info('training run planned', { ...result });
  return result;
};

export const handler = lambdaHandler(plan);
