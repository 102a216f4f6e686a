import { listObjects, readJsonLines } from '#adapters/s3';
import { LAKE_PREFIXES, partitionOf, type LakeZone } from '#domain/lake';

export type LakeCounts = Record<LakeZone, Map<string, { objects: number; records: number }>>;

/** Objects and records per partition in each zone (reads every object: meant for local-sized lakes). */
export async function lakeCounts(bucket: string): Promise<LakeCounts> {
  const counts = { raw: new Map(), bad: new Map() } as LakeCounts;
  for (const zone of Object.keys(LAKE_PREFIXES) as LakeZone[]) {
    for (const object of await listObjects(bucket, LAKE_PREFIXES[zone])) {
      const partition = partitionOf(object.key) ?? '(none)';
      const entry = counts[zone].get(partition) ?? { objects: 0, records: 0 };
      entry.objects += 1;
      entry.records += (await readJsonLines(bucket, object.key)).length;
      counts[zone].set(partition, entry);
    }
  }
  return counts;
}

export const total = (zone: Map<string, { records: number }>): number => [...zone.values()].reduce((n, e) => n + e.records, 0);

export function formatCounts(counts: LakeCounts): string {
  const lines: string[] = [];
  for (const zone of Object.keys(counts) as LakeZone[]) {
    lines.push(`  ${zone}/ — ${total(counts[zone])} records in ${counts[zone].size} partitions`);
    for (const [partition, e] of [...counts[zone]].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`    ${partition.padEnd(24)} ${String(e.records).padStart(7)} records  ${e.objects} objects`);
    }
  }
  return lines.join('\n');
}
