import { getArtifact, putArtifact } from './model-artifacts';
import { getAlias, getModelVersion, putModelVersion } from './registry-table';
import { getObjectBytes, listObjects } from './s3';
import { FEATURE_NAMES } from '#domain/features/spec';
import type { ChannelsManifest } from '#domain/lake';
import type { Dataset } from '#domain/model/dataset';
import { parseLibsvm } from '#domain/model/libsvm';
import type { Curves, Metrics } from '#domain/model/metrics';
import { judgeModel, scoreDataset, type TrainedModel } from '#domain/model/training-run';
import { parseXgboostModel, xgboostToGbdt, XgboostModelError } from '#domain/model/xgboost';
import type { TrainingPlan } from '#domain/training';
import { untarGz } from '#shared/tar';
import type { DriftReference } from '#domain/monitoring/drift';
import { PRODUCTION_ALIAS, versionKey, type ModelVersion } from '#domain/registry';

/** What both trainers (the Batch job, SageMaker's XGBoost) register a candidate with. */
export interface Candidate {
  tableName: string;
  bucket: string;
  modelName: string;
  version: string;
  model: TrainedModel;
  metrics: { validation: Metrics; test: Metrics };
  testCurves: Curves;
  reference: DriftReference;
  data: { from: string; to: string; partitions: string[] };
  jobId: string;
  codeVersion: string;
  /** More for the artifact only (the trainer's own record: split, candidates, training job). */
  details: Record<string, unknown>;
}

/** The production version, scored on this run's test window; undefined if there is none or it cannot read these features. */
export async function scoreProduction(
  tableName: string,
  modelName: string,
  testData: Dataset,
  log: (line: string) => void,
): Promise<(NonNullable<ModelVersion['baseline']> & { curves: Curves }) | undefined> {
  const alias = await getAlias(tableName, modelName, PRODUCTION_ALIAS);
  if (!alias) return undefined;
  const production = await getModelVersion(tableName, modelName, alias.version);
  if (!production) throw new Error(`Alias ${PRODUCTION_ALIAS} points at ${alias.version}, which is not in the registry.`);
  if (production.feature_spec.join() !== FEATURE_NAMES.join()) {
    log(`production ${alias.version} uses other features; it cannot be scored on this run's test window`);
    return undefined;
  }
  const artifact = (await getArtifact(production.artifact)) as { model: TrainedModel };
  const scored = scoreDataset(artifact.model, testData);
  return { version: alias.version, test: scored.metrics, curves: scored.curves };
}

/**
 * Writes the candidate's artifact (models/<name>/<version>/model.json) and registers the version with production
 * scored on the same test window beside it, which the workflow's gate compares.
 */
export async function registerCandidate(candidate: Candidate, testData: Dataset, log: (line: string) => void): Promise<ModelVersion> {
  const baseline = await scoreProduction(candidate.tableName, candidate.modelName, testData, log);
  if (baseline) log(`production ${baseline.version} on the same test window: ROC-AUC ${baseline.test.roc_auc.toFixed(3)}`);
  const createdAt = new Date().toISOString();
  const artifact = {
    name: candidate.modelName,
    version: candidate.version,
    created_at: createdAt,
    feature_spec: FEATURE_NAMES,
    model: candidate.model,
    metrics: candidate.metrics,
    ...candidate.details,
    data: { ...candidate.data, ...(candidate.details.data as object | undefined) },
    job_id: candidate.jobId,
    code_version: candidate.codeVersion,
  };
  const stored = await putArtifact(candidate.bucket, `models/${candidate.modelName}/${candidate.version}/model.json`, artifact);
  const version: ModelVersion = {
    model_name: candidate.modelName,
    sk: versionKey(candidate.version),
    version: candidate.version,
    kind: candidate.model.kind,
    created_at: createdAt,
    artifact: stored,
    feature_spec: FEATURE_NAMES,
    metrics: candidate.metrics,
    ...(baseline ? { baseline: { version: baseline.version, test: baseline.test } } : {}),
    curves: { test: candidate.testCurves, ...(baseline ? { baseline: baseline.curves } : {}) },
    reference: candidate.reference,
    data: candidate.data,
    job_id: candidate.jobId,
    code_version: candidate.codeVersion,
  };
  await putModelVersion(candidate.tableName, version);
  return version;
}

/** What the workflow's SageMaker step hands on (its ResultSelector). */
export interface SageMakerTrainingResult {
  TrainingJobName: string;
  ModelArtifacts: string;
  TrainingTimeInSeconds?: number;
  BillableTimeInSeconds?: number;
  FinalMetricDataList?: { MetricName: string; Value: number }[];
}

const s3Location = (uri: string) => {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new XgboostModelError(`${uri} is not an s3:// URI.`);
  return { bucket: match[1]!, key: match[2]! };
};

/** Every object under a channel's S3 prefix, in key order, as one libsvm text. */
async function readChannel(uri: string): Promise<string> {
  const { bucket, key } = s3Location(uri);
  const parts: string[] = [];
  for (const object of (await listObjects(bucket, key)).sort((a, b) => a.key.localeCompare(b.key)))
    parts.push((await getObjectBytes(bucket, object.key)).toString('utf8'));
  return parts.join('\n');
}

/**
 * The SageMaker path's registration: the XGBoost model from the job's model.tar.gz, converted into the serving
 * trees, judged on the run's validation and test channels by this project's code, registered like the Batch
 * trainer's candidates. A retried step finds its version registered and returns it.
 */
export async function registerSageMakerCandidate(
  options: { tableName: string; bucket: string; codeVersion: string },
  run: TrainingPlan,
  manifest: ChannelsManifest,
  training: SageMakerTrainingResult,
  log: (line: string) => void,
): Promise<ModelVersion> {
  const existing = await getModelVersion(options.tableName, run.model_name, run.version);
  if (existing) return existing;
  const { bucket, key } = s3Location(training.ModelArtifacts);
  const archive = await getObjectBytes(bucket, key).catch((error: Error) => {
    if (error.name !== 'NoSuchKey') throw error;
    throw new XgboostModelError(`No model at ${training.ModelArtifacts}: the training job ${training.TrainingJobName} wrote none.`, { cause: error });
  });
  const files = untarGz(archive);
  const file = files['xgboost-model'];
  if (!file) throw new XgboostModelError(`${training.ModelArtifacts} holds ${Object.keys(files).join(', ') || 'nothing'}, not xgboost-model.`);
  const xgboost = parseXgboostModel(file);
  const model = xgboostToGbdt(xgboost, manifest.features);
  const [validation, test] = await Promise.all([readChannel(manifest.channels.validation), readChannel(manifest.channels.test)]);
  const validationData = parseLibsvm(validation, manifest.features);
  const testData = parseLibsvm(test, manifest.features);
  const judged = judgeModel(model, validationData, testData);
  log(`${training.TrainingJobName}: ${model.trees.length} trees; test ROC-AUC ${judged.metrics.test.roc_auc.toFixed(3)} on ${testData.rows} sessions`);
  return registerCandidate(
    {
      tableName: options.tableName,
      bucket: options.bucket,
      modelName: run.model_name,
      version: run.version,
      model,
      metrics: judged.metrics,
      testCurves: judged.testCurves,
      reference: judged.reference,
      data: { from: manifest.from, to: manifest.to, partitions: manifest.partitions },
      jobId: training.TrainingJobName,
      codeVersion: options.codeVersion,
      details: {
        trainer: 'sagemaker-xgboost',
        training: {
          job: training.TrainingJobName,
          model_artifacts: training.ModelArtifacts,
          trees: model.trees.length,
          best_iteration: xgboost.attributes.best_iteration === undefined ? null : Number(xgboost.attributes.best_iteration),
          training_seconds: training.TrainingTimeInSeconds ?? null,
          billable_seconds: training.BillableTimeInSeconds ?? null,
          final_metrics: training.FinalMetricDataList ?? [],
        },
        data: { split: { rows: manifest.rows, positives: manifest.positives } },
      },
    },
    testData,
    log,
  );
}
