import { putArtifact } from '#adapters/model-artifacts';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '#adapters/dynamodb';
import { putModelVersion } from '#adapters/registry-table';
import { FEATURE_NAMES } from '#domain/features/spec';
import type { Metrics } from '#domain/model/metrics';
import { versionKey, type ModelVersion } from '#domain/registry';
import { outputs } from './cloud';

const METRICS: Metrics = { roc_auc: 0.8, pr_auc: 0.5, log_loss: 0.3, brier: 0.1, f1: 0.5, accuracy: 0.9, ece: 0.02, count: 100, positives: 10 };

/**
 * Stores an artifact and registers it as a model version, as the training job would (fixed metrics and data
 * range). `recordedSha256` records another checksum than the artifact's: a corrupt version.
 */
export async function registerVersion(
  spec: {
    model: string;
    version: string;
    artifact: unknown;
    kind?: ModelVersion['kind'];
    recordedSha256?: string;
    data?: ModelVersion['data'];
    curves?: ModelVersion['curves'];
    metrics?: ModelVersion['metrics'];
    reference?: ModelVersion['reference'];
  },
  where: { table: string; bucket: string } = { table: outputs().ModelsTableName!, bucket: outputs().LakeBucketName! },
): Promise<ModelVersion> {
  const stored = await putArtifact(where.bucket, `models/${spec.model}/${spec.version}/model.json`, spec.artifact);
  const entry: ModelVersion = {
    model_name: spec.model,
    sk: versionKey(spec.version),
    version: spec.version,
    kind: spec.kind ?? 'logistic_regression',
    created_at: new Date().toISOString(),
    artifact: spec.recordedSha256 ? { ...stored, sha256: spec.recordedSha256 } : stored,
    feature_spec: FEATURE_NAMES,
    metrics: spec.metrics ?? { validation: METRICS, test: METRICS },
    data: spec.data ?? { from: '2025-01-01', to: '2025-01-02', partitions: [] },
    ...(spec.curves ? { curves: spec.curves } : {}),
    ...(spec.reference ? { reference: spec.reference } : {}),
    job_id: 'test',
    code_version: 'test',
  };
  await putModelVersion(where.table, entry);
  return entry;
}

/**
 * A fresh, empty registry table of its own (the key schema of resources/registry.yml), for a test whose answer must
 * not depend on what other test files put in the stack's table.
 */
export async function registryTable(label: string): Promise<string> {
  const name = `it-registry-${label}-${Date.now()}`;
  await dynamoDbClient().send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'model_name', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'model_name', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  return name;
}
