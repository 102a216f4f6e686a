/** The lake layout (resources/ingestion.yml writes it; readers use these). */
export const LAKE_PREFIXES = { raw: 'raw/clickstream/', bad: 'bad/clickstream/' } as const;

/** Firehose's error output (records it could not transform or deliver), beside the zones. */
export const ERRORS_PREFIX = 'errors/';

/** Every zone that stores events as they came (an erasure rewrites their objects; features are rebuilt from them). */
export const ERASED_ZONES = [LAKE_PREFIXES.raw, LAKE_PREFIXES.bad, ERRORS_PREFIX] as const;

/** The curated zone (Parquet, glue/curated.sql): one row per event_id, fields flattened, by the date of its raw partition. */
export const CURATED_PREFIX = 'curated/clickstream/';

/** Predictions POST /predict served (README, "Monitoring models"), by the hour they were captured. */
export const PREDICTIONS_PREFIX = 'predictions/';

/** Session features (Parquet), one partition per UTC date of the session's first event. */
export const FEATURES_PREFIX = 'features/purchase-propensity/';

/** A training run's working objects: the channels (below), and SageMaker's output. */
export const TRAINING_PREFIX = 'training/purchase-propensity/';

/** The time split of a run's sessions as SageMaker channels (libsvm) and their manifest (glue/channels.sql). */
export const channelsPrefix = (version: string) => `${TRAINING_PREFIX}${version}/channels/`;
export const CHANNELS = ['train', 'validation', 'test'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** What the features job writes beside the channels; the training workflow chooses its trainer by `rows.total`. */
export interface ChannelsManifest {
  run: string;
  from: string;
  to: string;
  format: 'text/libsvm';
  features: string[];
  /** The feature partitions (dt=…) the sessions came from (an erasure finds the versions trained on them). */
  partitions: string[];
  rows: Record<ChannelName | 'total', number>;
  positives: Record<ChannelName, number>;
  channels: Record<ChannelName, string>;
}

/** The UTC dates from `from` to `to` inclusive (YYYY-MM-DD). */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

export type LakeZone = keyof typeof LAKE_PREFIXES;

/** A raw partition: the UTC date and hour of a row's `partition_time` ("YYYY-MM-DDTHH:…"). */
export interface RawPartition {
  dt: string;
  hour: string;
}

export const rawPartitionOf = (partitionTime: string): RawPartition => ({ dt: partitionTime.slice(0, 10), hour: partitionTime.slice(11, 13) });

/** "dt=2026-11-25/hour=13" from an object key, or undefined for keys outside a partition. */
export function partitionOf(key: string): string | undefined {
  return /(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//.exec(key)?.[1];
}

/**
 * Firehose holds at most 500 active partitions per delivery stream (more go to errors/…/activePartitionExceeded/);
 * a sender of history (replay, import) sends at most this many hours at a time, leaving room for live traffic.
 */
export const PARTITIONS_PER_WAVE = 250;

/** Items in waves of at most `maxPartitions` distinct hours each, in hour order (a sender pauses between waves). */
export function partitionWaves<T>(items: readonly T[], hourOf: (item: T) => string, maxPartitions = PARTITIONS_PER_WAVE): T[][] {
  const keyed = items.map((item) => ({ item, hour: hourOf(item) })).sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  const waves: T[][] = [];
  let hours = 0;
  let previous: string | undefined;
  for (const { item, hour } of keyed) {
    if (hour !== previous) {
      if (waves.length === 0 || hours === maxPartitions) {
        waves.push([]);
        hours = 0;
      }
      hours += 1;
      previous = hour;
    }
    waves.at(-1)!.push(item);
  }
  return waves;
}

/** How long a sender waits between waves: Firehose writes a partition's buffer within 1.5 × its interval (AWS docs), plus what sits before it. */
export const waveGapMs = (bufferIntervalSeconds: number, upstreamSeconds: number) => Math.ceil((bufferIntervalSeconds * 1.5 + upstreamSeconds) * 1000);
