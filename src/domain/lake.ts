/** The lake layout (resources/ingestion.yml writes it; readers use these). */
export const LAKE_PREFIXES = { raw: 'raw/clickstream/', bad: 'bad/clickstream/' } as const;

export type LakeZone = keyof typeof LAKE_PREFIXES;

/** "dt=2026-11-25/hour=13" from an object key, or undefined for keys outside a partition. */
export function partitionOf(key: string): string | undefined {
  return /(dt=\d{4}-\d{2}-\d{2}\/hour=\d{2})\//.exec(key)?.[1];
}
