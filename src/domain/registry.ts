import type { Metrics } from './model/metrics';

/**
 * Model registry key design (one DynamoDB table):
 *   model_name (partition key) + sk (sort key)
 *   sk = "version#<version>"  an immutable model version (written once, conditionally)
 * Aliases and their history (issue: registry and inference API) add "alias#…" and "history#…" items
 * under the same partition, so one Query reads everything about a model.
 */
export const versionKey = (version: string) => `version#${version}`;

export type VersionStatus = 'candidate';

export interface ModelVersion {
  model_name: string;
  sk: string;
  version: string;
  status: VersionStatus;
  kind: 'gbdt' | 'logistic_regression';
  created_at: string;
  artifact: { uri: string; sha256: string; bytes: number };
  feature_spec: readonly string[];
  metrics: { validation: Metrics; test: Metrics };
  data: { from: string; to: string; partitions: string[] };
  job_id: string;
  code_version: string;
}

export class VersionExistsError extends Error {
  override name = 'VersionExistsError';
}
