import { DEFAULT_CANARY_SETTINGS } from '#domain/monitoring/canary';
import { DEFAULT_MONITOR_SETTINGS } from '#domain/monitoring/report';
import { ConfigurationError } from './errors';

/** Every environment read in the project goes through here, so a missing setting fails loudly and early. */
type Env = Record<string, string | undefined>;

export function requireString(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(
      `Environment variable ${name} is not set (it comes from serverless.yml; for scripts, start the local cloud with \`npm run local\`).`,
    );
  }
  return value;
}

export function optionalString(name: string, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function requireBoolean(name: string, fallback: boolean, env: Env = process.env): boolean {
  const value = optionalString(name, env);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigurationError(`Environment variable ${name} must be "true" or "false", got "${value}".`);
}

export function requireNumber(name: string, fallback: number, env: Env = process.env): number {
  const value = optionalString(name, env);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) {
    throw new ConfigurationError(`Environment variable ${name} must be a number, got "${value}".`);
  }
  return parsed;
}

export interface AwsSettings {
  region: string;
  /** AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, as the AWS SDKs and CLI define them. */
  endpointFor(serviceEnvSuffix: string): string | undefined;
}

export function awsSettings(env: Env = process.env): AwsSettings {
  return {
    region: optionalString('AWS_REGION', env) ?? optionalString('AWS_DEFAULT_REGION', env) ?? 'us-east-1',
    endpointFor: (suffix) => optionalString(`AWS_ENDPOINT_URL_${suffix}`, env) ?? optionalString('AWS_ENDPOINT_URL', env),
  };
}

/** How much of a client IP is kept (stage params ipv4KeepOctets, ipv6KeepGroups; src/domain/privacy.ts). */
export function ipAnonymizationConfig(env: Env = process.env) {
  const ipv4KeepOctets = requireNumber('IPV4_KEEP_OCTETS', 3, env);
  const ipv6KeepGroups = requireNumber('IPV6_KEEP_GROUPS', 3, env);
  if (!Number.isInteger(ipv4KeepOctets) || ipv4KeepOctets < 0 || ipv4KeepOctets > 4)
    throw new ConfigurationError(`IPV4_KEEP_OCTETS must be a whole number from 0 to 4 (4 keeps whole addresses), got ${ipv4KeepOctets}.`);
  if (!Number.isInteger(ipv6KeepGroups) || ipv6KeepGroups < 0 || ipv6KeepGroups > 8)
    throw new ConfigurationError(`IPV6_KEEP_GROUPS must be a whole number from 0 to 8 (8 keeps whole addresses), got ${ipv6KeepGroups}.`);
  return { ipv4KeepOctets, ipv6KeepGroups };
}

/** Which ids are pseudonymized (stage param pseudonymizeFields; src/domain/privacy.ts) and the secret holding the key. */
export const pseudonymizationConfig = (env: Env = process.env) => ({
  fields: (optionalString('PSEUDONYMIZE_FIELDS', env) ?? 'user_id,anonymous_id')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0 && name !== 'none'),
  secretId: optionalString('PSEUDONYMIZATION_SECRET_ID', env),
});

export const collectConfig = (env: Env = process.env) => ({
  streamName: requireString('CLICKSTREAM_STREAM_NAME', env),
  /** Drop events that state no consent, not only those that deny it (stage param requireConsent). */
  requireConsent: requireBoolean('REQUIRE_CONSENT', false, env),
  ipAnonymization: ipAnonymizationConfig(env),
  pseudonymization: pseudonymizationConfig(env),
});

export const ingestConfig = (env: Env = process.env) => ({
  rawDeliveryStreamName: requireString('RAW_DELIVERY_STREAM_NAME', env),
  badDeliveryStreamName: requireString('BAD_DELIVERY_STREAM_NAME', env),
  dedupTableName: requireString('DEDUP_TABLE_NAME', env),
  dedupEnabled: requireBoolean('DEDUP_ENABLED', false, env),
  dedupTtlHours: requireNumber('DEDUP_TTL_HOURS', 24, env),
  ipAnonymization: ipAnonymizationConfig(env),
  pseudonymization: pseudonymizationConfig(env),
  /** The enrichments to run, in order (stage param `enrichments`; src/domain/enrichments/pipeline.ts checks the names). */
  enrichments: (optionalString('ENRICHMENTS', env) ?? 'user-agent,campaign,referrer')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0),
  /** Event times outside [received_at − past, received_at + future] are kept, flagged, in their arrival partition. */
  eventTimeWindow: {
    maxPastMs: requireNumber('EVENT_TIME_MAX_PAST_HOURS', 168, env) * 3_600_000,
    maxFutureMs: requireNumber('EVENT_TIME_MAX_FUTURE_MINUTES', 5, env) * 60_000,
  },
});

export const trainConfig = (env: Env = process.env) => ({
  lakeBucketName: requireString('LAKE_BUCKET_NAME', env),
  modelsTableName: requireString('MODELS_TABLE_NAME', env),
  modelName: optionalString('MODEL_NAME', env) ?? 'purchase-propensity',
  /** Set by AWS Batch; recorded with the model so a version can be traced to its job. */
  jobId: optionalString('AWS_BATCH_JOB_ID', env) ?? 'local',
  codeVersion: optionalString('CODE_VERSION', env) ?? 'unknown',
});

/** The training workflow's Lambda functions (plan, gate, promote, record). */
export const workflowConfig = (env: Env = process.env) => ({
  modelsTableName: requireString('MODELS_TABLE_NAME', env),
  modelName: optionalString('MODEL_NAME', env) ?? 'purchase-propensity',
  lookbackDays: requireNumber('TRAINING_LOOKBACK_DAYS', 14, env),
  sagemaker: {
    min_rows: requireNumber('SAGEMAKER_MIN_ROWS', 2_000_000, env),
    instance_type: optionalString('SAGEMAKER_INSTANCE_TYPE', env) ?? 'ml.m5.2xlarge',
    instance_count: requireNumber('SAGEMAKER_INSTANCE_COUNT', 1, env),
    volume_gb: requireNumber('SAGEMAKER_VOLUME_GB', 30, env),
    max_runtime_seconds: requireNumber('SAGEMAKER_MAX_RUNTIME_SECONDS', 7200, env),
  },
  gate: {
    minRocAuc: requireNumber('GATE_MIN_ROC_AUC', 0.7, env),
    maxEce: requireNumber('GATE_MAX_ECE', 0.1, env),
    maxRocAucDrop: requireNumber('GATE_MAX_ROC_AUC_DROP', 0.01, env),
  },
});

/** The training workflow's registration of SageMaker's XGBoost models. */
export const registerXgboostConfig = (env: Env = process.env) => ({
  tableName: requireString('MODELS_TABLE_NAME', env),
  bucket: requireString('LAKE_BUCKET_NAME', env),
  codeVersion: optionalString('CODE_VERSION', env) ?? 'unknown',
});

export const servingConfig = (env: Env = process.env) => ({
  modelsTableName: requireString('MODELS_TABLE_NAME', env),
  /** How long an alias lookup is trusted: a promotion or rollback reaches every warm container within this. */
  modelCacheTtlSeconds: requireNumber('MODEL_CACHE_TTL_SECONDS', 30, env),
});

/** POST /predict's capture (README, "Monitoring models"): the delivery stream to predictions/ (none: nothing captured) and the share of sessions. */
export const captureConfig = (env: Env = process.env) => ({
  deliveryStreamName: optionalString('PREDICTIONS_DELIVERY_STREAM_NAME', env),
  rate: requireNumber('PREDICTION_CAPTURE_RATE', 1, env),
  /** Rows waiting to be sent, at most: past it new rows are dropped (and counted), so a stalled stream costs no memory. */
  bufferRows: requireNumber('PREDICTION_CAPTURE_BUFFER_ROWS', 20_000, env),
});

/** The monitoring job and the canary analysis (src/domain/monitoring/): where to read, and every threshold. */
export const monitorConfig = (env: Env = process.env) => ({
  modelsTableName: requireString('MODELS_TABLE_NAME', env),
  lakeBucketName: requireString('LAKE_BUCKET_NAME', env),
  /** Monitoring items in the registry expire after this many days (DynamoDB TTL). */
  retentionDays: requireNumber('MONITOR_RETENTION_DAYS', 30, env),
  windowHours: requireNumber('MONITOR_WINDOW_HOURS', 24, env),
  settings: {
    ...DEFAULT_MONITOR_SETTINGS,
    horizonMinutes: requireNumber('MONITOR_HORIZON_MINUTES', DEFAULT_MONITOR_SETTINGS.horizonMinutes, env),
    labelDelaySeconds: requireNumber('MONITOR_LABEL_DELAY_SECONDS', DEFAULT_MONITOR_SETTINGS.labelDelaySeconds, env),
    minLabelled: requireNumber('MONITOR_MIN_LABELLED', DEFAULT_MONITOR_SETTINGS.minLabelled, env),
    psiThreshold: requireNumber('MONITOR_PSI_THRESHOLD', DEFAULT_MONITOR_SETTINGS.psiThreshold, env),
    maxAucDrop: requireNumber('MONITOR_MAX_AUC_DROP', DEFAULT_MONITOR_SETTINGS.maxAucDrop, env),
    maxEce: requireNumber('MONITOR_MAX_ECE', DEFAULT_MONITOR_SETTINGS.maxEce, env),
  },
  canary: {
    minLabelled: requireNumber('CANARY_MIN_LABELLED', DEFAULT_CANARY_SETTINGS.minLabelled, env),
    minPositives: requireNumber('CANARY_MIN_POSITIVES', DEFAULT_CANARY_SETTINGS.minPositives, env),
    margin: requireNumber('CANARY_AUC_MARGIN', DEFAULT_CANARY_SETTINGS.margin, env),
    maxEce: requireNumber('MONITOR_MAX_ECE', DEFAULT_CANARY_SETTINGS.maxEce, env),
    confidence: requireNumber('CANARY_CONFIDENCE', DEFAULT_CANARY_SETTINGS.confidence, env),
    maxChecks: requireNumber('CANARY_MAX_CHECKS', DEFAULT_CANARY_SETTINGS.maxChecks, env),
  },
});

export const authorizerConfig = (env: Env = process.env) => ({
  /**
   * The SSM parameters holding the SHA-256 hashes of the keys this authorizer accepts (comma-separated names;
   * each value comma-separated hex): a key is revoked by taking its hash out (`npm run api-key -- revoke`).
   */
  apiKeyParameters: requireString('API_KEY_PARAMETERS', env)
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0),
  /** How long a container trusts the hashes it read: a revocation is in force within this (plus API Gateway's cache). */
  keyCacheSeconds: requireNumber('KEY_CACHE_SECONDS', 30, env),
});

export const erasureConfig = (env: Env = process.env) => ({
  lakeBucketName: requireString('LAKE_BUCKET_NAME', env),
  dedupTableName: requireString('DEDUP_TABLE_NAME', env),
  modelsTableName: requireString('MODELS_TABLE_NAME', env),
});

export const replayConfig = (env: Env = process.env) => ({
  lakeBucketName: requireString('LAKE_BUCKET_NAME', env),
  streamName: requireString('CLICKSTREAM_STREAM_NAME', env),
});

/** Real-time analytics (README, "Real-time analytics"): the table of window items, how long they live, the window's length. */
export const realtimeConfig = (env: Env = process.env) => ({
  tableName: requireString('REALTIME_TABLE_NAME', env),
  retentionHours: requireNumber('REALTIME_RETENTION_HOURS', 48, env),
  windowSeconds: requireNumber('REALTIME_WINDOW_SECONDS', 60, env),
  pseudonymization: pseudonymizationConfig(env),
});
