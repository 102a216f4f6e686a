import adminSchema from '../../schemas/admin-request.schema.json';
import { ClickstreamError } from '#shared/errors';
import type { Curves, Metrics } from './model/metrics';
import type { DriftReference } from './monitoring/drift';

/**
 * Model registry key design (one DynamoDB table, so one Query reads everything about a model):
 *   model_name (partition key) + sk (sort key)
 *   sk = "version#<version>"  an immutable model version (written once, conditionally)
 *   sk = "alias#<alias>"      where an alias points, plus the append-only history of its changes in the same
 *                             item, so moving an alias and recording why is one conditional write (optimistic lock
 *                             on the version it pointed at)
 *   sk = "run#<run id>"       the outcome of one training workflow run (promoted, rejected, failed)
 *   sk = "monitor#<window end>#<version>"  a version's live quality and drift over one window (npm run monitor)
 *   sk = "canary#<run>#<check>"            one check of a canary analysis: its figures and decision
 *   (the last two expire, DynamoDB TTL on expires_at, and are left out of a model's reads)
 */
export const ITEM_PREFIX = { version: 'version#', alias: 'alias#', run: 'run#', monitor: 'monitor#', canary: 'canary#' } as const;
export const versionKey = (version: string) => `${ITEM_PREFIX.version}${version}`;

/** A version's time part: the UTC instant to the second, compact ("20261125T030007Z"), so versions sort by time. */
export const versionStamp = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
export const aliasKey = (alias: string) => `${ITEM_PREFIX.alias}${alias}`;
export const runKey = (runId: string) => `${ITEM_PREFIX.run}${runId}`;

export const PRODUCTION_ALIAS = 'production';

/** What the registry accepts as a model name or version, and as an alias (the HTTP routes check both). */
// Defined once, in the admin request schema the HTTP bodies are checked against.
export const NAME_RULE = { pattern: new RegExp(adminSchema.definitions.name.pattern), says: '1–64 letters, digits, ".", "_" or "-"' };
export const ALIAS_RULE = { pattern: new RegExp(adminSchema.definitions.alias.pattern), says: '1–32 lower-case letters, digits, "_" or "-"' };

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
  /** Its ROC curve and calibration bins on its test window, and production's on the same window (the operations page draws them). */
  curves?: { test: Curves; baseline?: Curves };
  /** Its training data's feature histograms and its test scores' (drift is measured against them: npm run monitor). */
  reference?: DriftReference;
  /** Erasures of people whose data this version was trained on: the next training run must replace it (npm run erase). */
  erasures?: ErasureFlag[];
  job_id: string;
  code_version: string;
}

/** Set on a model version by an erasure whose subject's partitions it was trained on (no id: the receipt's id). */
export interface ErasureFlag {
  erasure_id: string;
  at: string;
  partitions: string[];
}

export interface AliasChange {
  at: string;
  from: string | null;
  to: string;
  by: string;
  reason: string;
  /** "routing": a canary/shadow/endpoint change (from = to); absent on entries written before it existed. */
  kind?: 'version' | 'routing';
}

/**
 * The version an alias pointed at before its last *version* move — routing changes (canary, shadow, endpoint)
 * leave the version where it was, so they are passed over. Undefined when the alias never moved.
 */
export function previousVersion(history: readonly AliasChange[]): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const change = history[i]!;
    if (change.kind === 'routing' || change.from === change.to) continue;
    return change.from ?? undefined;
  }
  return undefined;
}

/** Whether this actor already moved the alias to this version (a retried promotion finds its own change). */
export const movedBy = (history: readonly AliasChange[], to: string, by: string): boolean =>
  history.some((change) => change.kind !== 'routing' && change.to === to && change.by === by && change.from !== change.to);

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

/** "candidate": it passed the gate and was kept for a canary (the run's input asked for it) instead of promoted. */
export type RunOutcome = 'promoted' | 'candidate' | 'rejected' | 'failed';

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

/** A stored item without the shape its sort key promises (edited by hand, or written by other code). */
export class RegistryItemError extends ClickstreamError {}

type Item = Record<string, unknown>;
type FieldType = 'string' | 'number' | 'object' | 'array';
const typeOf = (value: unknown): string => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

/** Checks the fields the code relies on (`within`: a nested object's name); the rest of the item is carried as stored. */
function checked<T>(item: Item, fields: Record<string, FieldType>, optional: Record<string, FieldType> = {}, within?: { key: Item; name: string }): T {
  const key = within?.key ?? item;
  const prefix = within ? `${within.name}.` : '';
  const check = (field: string, type: FieldType) => {
    if (typeOf(item[field]) !== type)
      throw new RegistryItemError(
        `registry item ${String(key.model_name)} / ${String(key.sk)}: "${prefix}${field}" should be ${type === 'array' ? 'an' : 'a'} ${type}, is ${typeOf(item[field])}.`,
      );
  };
  for (const [field, type] of Object.entries(fields)) check(field, type);
  for (const [field, type] of Object.entries(optional)) if (item[field] !== undefined) check(field, type);
  return item as T;
}

const KEY_FIELDS = { model_name: 'string', sk: 'string' } as const;

/** Typed mappers from stored items (DynamoDB gives back untyped records). */
export const toModelVersion = (item: Item): ModelVersion => {
  const version = checked<ModelVersion>(
    item,
    {
      ...KEY_FIELDS,
      version: 'string',
      kind: 'string',
      created_at: 'string',
      artifact: 'object',
      feature_spec: 'array',
      metrics: 'object',
      data: 'object',
    },
    { erasures: 'array' },
  );
  checked(version.artifact as unknown as Item, { uri: 'string', sha256: 'string', bytes: 'number' }, { inline: 'string' }, { key: item, name: 'artifact' });
  return version;
};
export const toAliasRecord = (item: Item): AliasRecord =>
  checked<AliasRecord>(
    item,
    { ...KEY_FIELDS, alias: 'string', version: 'string', updated_at: 'string', history: 'array' },
    { canary: 'object', shadow: 'object', endpoint: 'string' },
  );
export const toRunRecord = (item: Item): RunRecord =>
  checked<RunRecord>(item, { ...KEY_FIELDS, run_id: 'string', outcome: 'string', at: 'string' }, { reasons: 'array', error: 'object' });

/** Everything about one model, by kind (one Query reads it: the sort key's prefix says which is which). */
export interface ModelItems {
  versions: ModelVersion[];
  aliases: AliasRecord[];
  runs: RunRecord[];
}

export function groupModelItems(items: readonly Item[]): ModelItems {
  const grouped: ModelItems = { versions: [], aliases: [], runs: [] };
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith(ITEM_PREFIX.version)) grouped.versions.push(toModelVersion(item));
    else if (sk.startsWith(ITEM_PREFIX.alias)) grouped.aliases.push(toAliasRecord(item));
    else if (sk.startsWith(ITEM_PREFIX.run)) grouped.runs.push(toRunRecord(item));
  }
  return grouped;
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
    if (item.sk.startsWith(ITEM_PREFIX.version)) {
      summary.versions += 1;
      if (item.version && (summary.latest_version === null || item.version > summary.latest_version)) summary.latest_version = item.version;
    } else if (item.sk.startsWith(ITEM_PREFIX.alias) && item.version) summary.aliases[item.sk.slice(ITEM_PREFIX.alias.length)] = item.version;
    models.set(item.model_name, summary);
  }
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every alias change of a model, oldest first. */
export const aliasHistory = (aliases: readonly AliasRecord[]) =>
  aliases.flatMap((a) => a.history.map((change) => ({ alias: a.alias, ...change }))).sort((x, y) => x.at.localeCompare(y.at));

/** A version as listed (without its artifact and the full metrics). */
export const versionSummary = (v: ModelVersion) => ({
  version: v.version,
  kind: v.kind,
  created_at: v.created_at,
  test_roc_auc: v.metrics.test.roc_auc,
  test_ece: v.metrics.test.ece,
  data: { from: v.data.from, to: v.data.to },
  // Trained on the data of someone since erased: the next training run replaces it (npm run erase).
  ...(v.erasures?.length ? { flagged_by_erasures: v.erasures.map((e) => e.erasure_id) } : {}),
});

/**
 * A run's error as the read API shows it: the error name, and the cause cut to one line with ARNs, account ids,
 * S3 URIs and stack frames masked — the full record stays in the table and the workflow's history for operators.
 */
export function redactRunError(error: { Error: string; Cause: string }): { Error: string; Cause: string } {
  let cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; StatusReason?: unknown; message?: unknown };
    const message = parsed.errorMessage ?? parsed.StatusReason ?? parsed.message;
    if (typeof message === 'string') cause = message;
  } catch {
    // Not JSON: the cause as written.
  }
  const firstLine = cause.split(/\r?\n/)[0] ?? '';
  const masked = firstLine
    .replace(/arn:aws[a-z-]*:[^\s"',)]+/g, 'arn:…')
    .replace(/s3:\/\/[^\s"',)]+/g, 's3://…')
    .replace(/\b\d{12}\b/g, '…')
    .replace(/\s+at\s+\S+\s+\(.*$/, '');
  return { Error: String(error.Error ?? 'Error').slice(0, 100), Cause: masked.length > 300 ? `${masked.slice(0, 299)}…` : masked };
}

/** A run record as the read API shows it. */
export const runSummary = (run: RunRecord): Omit<RunRecord, 'model_name' | 'sk'> => {
  const { model_name: _name, sk: _sk, error, ...rest } = run;
  return { ...rest, ...(error ? { error: redactRunError(error) } : {}) };
};

/**
 * A page of registry items in scan order (one model's items are contiguous) cut after its last complete model:
 * the items to show and the last one kept (where the next page starts). Undefined while only one model has been
 * read and the table is not exhausted: read on.
 */
export function cutAtModelBoundary<T extends { model_name: string }>(items: readonly T[], exhausted: boolean): { items: T[]; last?: T } | undefined {
  if (exhausted) return { items: [...items] };
  const lastModel = items.at(-1)?.model_name;
  let end = items.length;
  while (end > 0 && items[end - 1]!.model_name === lastModel) end--;
  if (end === 0) return undefined;
  return { items: items.slice(0, end), last: items[end - 1]! };
}
