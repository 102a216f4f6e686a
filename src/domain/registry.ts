import { ClickstreamError } from '../shared/errors';
import type { Metrics } from './model/metrics';

/**
 * Model registry key design (one DynamoDB table, so one Query reads everything about a model):
 *   model_name (partition key) + sk (sort key)
 *   sk = "version#<version>"  an immutable model version (written once, conditionally)
 *   sk = "alias#<alias>"      where an alias points, plus the append-only history of its changes in the same
 *                             item, so moving an alias and recording why is one conditional write (optimistic lock
 *                             on the version it pointed at)
 *   sk = "run#<run id>"       the outcome of one training workflow run (promoted, rejected, failed)
 */
export const versionKey = (version: string) => `version#${version}`;

/** A version's time part: the UTC instant to the second, compact ("20261125T030007Z"), so versions sort by time. */
export const versionStamp = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
export const aliasKey = (alias: string) => `alias#${alias}`;
export const runKey = (runId: string) => `run#${runId}`;

export const PRODUCTION_ALIAS = 'production';

/** What the registry accepts as a model name or version, and as an alias (the HTTP routes check both). */
export const NAME_RULE = { pattern: /^[A-Za-z0-9._-]{1,64}$/, says: '1–64 letters, digits, ".", "_" or "-"' };
export const ALIAS_RULE = { pattern: /^[a-z0-9_-]{1,32}$/, says: '1–32 lower-case letters, digits, "_" or "-"' };

export interface ModelVersion {
  model_name: string;
  sk: string;
  version: string;
  kind: 'gbdt' | 'logistic_regression';
  created_at: string;
  /** Where the artifact is, its SHA-256, and the artifact itself (`inline`) when it is small. */
  artifact: { uri: string; sha256: string; bytes: number; inline?: string };
  feature_spec: readonly string[];
  metrics: { validation: Metrics; test: Metrics };
  /** The production version of the time, scored on this version's test window (absent when there was none). */
  baseline?: { version: string; test: Metrics };
  data: { from: string; to: string; partitions: string[] };
  job_id: string;
  code_version: string;
}

export interface AliasChange {
  at: string;
  from: string | null;
  to: string;
  by: string;
  reason: string;
}

/**
 * How an alias is served besides its version: a canary version for a share of sessions, a shadow version scored
 * on the side, and a SageMaker endpoint (hosting the alias's version) instead of in-Lambda scoring.
 */
export interface AliasRouting {
  canary?: { version: string; weight: number };
  shadow?: { version: string };
  endpoint?: string;
}

export interface AliasRecord extends AliasRouting {
  model_name: string;
  sk: string;
  alias: string;
  version: string;
  updated_at: string;
  history: AliasChange[];
}

export type RunOutcome = 'promoted' | 'rejected' | 'failed';

export interface RunRecord {
  model_name: string;
  sk: string;
  run_id: string;
  outcome: RunOutcome;
  at: string;
  version?: string;
  from?: string;
  to?: string;
  reasons?: string[];
  error?: { Error: string; Cause: string };
}

export class VersionExistsError extends ClickstreamError {}
export class VersionNotFoundError extends ClickstreamError {}
/** Someone else moved the alias since it was read: re-read and decide again. */
export class AliasConflictError extends ClickstreamError {}

export interface ModelSummary {
  name: string;
  aliases: Record<string, string>;
  versions: number;
  latest_version: string | null;
}

/** One line per model from registry items (any subset of their attributes with model_name, sk, version). */
export function summarizeModels(items: readonly { model_name: string; sk: string; version?: string }[]): ModelSummary[] {
  const models = new Map<string, ModelSummary>();
  for (const item of items) {
    const summary = models.get(item.model_name) ?? { name: item.model_name, aliases: {}, versions: 0, latest_version: null };
    if (item.sk.startsWith('version#')) {
      summary.versions += 1;
      if (item.version && (summary.latest_version === null || item.version > summary.latest_version)) summary.latest_version = item.version;
    } else if (item.sk.startsWith('alias#') && item.version) summary.aliases[item.sk.slice('alias#'.length)] = item.version;
    models.set(item.model_name, summary);
  }
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every alias change of a model, oldest first. */
export const aliasHistory = (aliases: readonly AliasRecord[]) =>
  aliases.flatMap((a) => a.history.map((change) => ({ alias: a.alias, ...change }))).sort((x, y) => x.at.localeCompare(y.at));

/** A version as listed (without its artifact and the full metrics). */
export const versionSummary = (v: ModelVersion) => ({ version: v.version, kind: v.kind, created_at: v.created_at, test_roc_auc: v.metrics.test.roc_auc, test_ece: v.metrics.test.ece, data: { from: v.data.from, to: v.data.to } });
