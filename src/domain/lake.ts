/** The lake layout (resources/ingestion.yml writes it; readers use these). */
export const LAKE_PREFIXES = { raw: 'raw/clickstream/', bad: 'bad/clickstream/' } as const;

/** Session features (Parquet), one partition per UTC date of the session's first event. */
export const FEATURES_PREFIX = 'features/purchase-propensity/';

/** The UTC dates from `from` to `to` inclusive (YYYY-MM-DD). */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}

export type LakeZone = keyof typeof LAKE_PREFIXES;

/** "dt=2026-11-25/hour=13" from an object key, or undefined for keys outside a partition. */
export function partitionOf(key: string): string | undefined {
  return /(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//.exec(key)?.[1];
}
