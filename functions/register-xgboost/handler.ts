import { registerSageMakerCandidate, type SageMakerTrainingResult } from '#adapters/candidates';
import type { ChannelsManifest } from '#domain/lake';
import type { TrainingPlan } from '#domain/training';
import { registerXgboostConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = registerXgboostConfig();

/**
 * Training workflow, after SageMaker's XGBoost: the model converted into the serving trees, judged on the run's
 * channels by this project's code and registered as the candidate the gate then compares with production.
 */
const register = async (event: { run: TrainingPlan; manifest: ChannelsManifest; training: SageMakerTrainingResult }) => {
  const version = await registerSageMakerCandidate(config, event.run, event.manifest, event.training, (line) => logger.info(line));
  logger.info('candidate registered', { version: version.version, test: version.metrics.test, baseline: version.baseline?.version ?? null });
  return { trainer: 'sagemaker-xgboost', training_job: event.training.TrainingJobName, version: version.version, roc_auc: version.metrics.test.roc_auc };
};

export const handler = lambdaHandler(register);
