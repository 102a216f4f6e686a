import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listObjects } from '#adapters/s3';
import { ENRICHMENT_FIELDS } from '#domain/events/enrich';
import { SCHEMA_VERSIONS } from '#domain/events/schema';
import { LAKE_PREFIXES } from '#domain/lake';

/** A Glue Data Catalog table as the crawler leaves it (the fields of glue:GetTable / GetPartitions that matter). */
export interface CatalogTable {
  DatabaseName: string;
  Name: string;
  StorageDescriptor: { Location: string; Columns: { Name: string; Type: string }[] };
  PartitionKeys: { Name: string; Type: string }[];
  Partitions: { Values: string[]; Location: string; Objects: number; Bytes: number }[];
  UpdateTime: string;
}

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema> };

/** Glue/Hive type of a JSON Schema node (what a JSON classifier infers for such values). */
function glueType(node: JsonSchema): string {
  if (node.type === 'object') {
    const fields = Object.entries(node.properties ?? {}).map(([k, v]) => `${k}:${glueType(v)}`);
    return fields.length > 0 ? `struct<${fields.join(',')}>` : 'string';
  }
  if (node.type === 'number') return 'double';
  if (node.type === 'integer') return 'bigint';
  if (node.type === 'boolean') return 'boolean';
  return 'string';
}

/** Every field of every live contract version (the raw zone holds them all side by side; a newer version's type wins). */
const contractFields = (): Record<string, JsonSchema> =>
  Object.assign(
    {},
    ...SCHEMA_VERSIONS.map(
      (version) => (JSON.parse(readFileSync(path.resolve(__dirname, `../../schemas/clickstream-event/${version}.json`), 'utf8')) as JsonSchema).properties,
    ),
  ) as Record<string, JsonSchema>;

/** The raw zone's columns: the event contract's fields plus what ingest adds (src/domain/events/enrich.ts). */
export const RAW_COLUMNS = [
  ...Object.entries(contractFields()).map(([name, node]) => ({ Name: name, Type: glueType(node) })),
  ...ENRICHMENT_FIELDS.map((name) => ({ Name: name, Type: 'string' })),
];

/**
 * The local Glue crawler over the raw zone (an S3 target such as s3://<lake>/raw/clickstream/): one table named
 * like the AWS crawler names it (table prefix + the target's last folder), partition keys dt and hour, one
 * partition per dt=…/hour=… prefix found (what the AWS crawler records with its Hive-style partition detection).
 */
export async function crawlRaw(target: string, database: string, tablePrefix = '', now = new Date()): Promise<CatalogTable> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(target);
  if (!match || match[2] !== LAKE_PREFIXES.raw) throw new Error(`The local crawler knows the raw zone (s3://<lake>/${LAKE_PREFIXES.raw}) only, not ${target}.`);
  const bucket = match[1]!;
  const partitions = new Map<string, { Values: string[]; Location: string; Objects: number; Bytes: number }>();
  for (const object of await listObjects(bucket, LAKE_PREFIXES.raw)) {
    const match = /dt=([^/]+)\/hour=([^/]+)\//.exec(object.key);
    if (!match) continue;
    const location = `s3://${bucket}/${LAKE_PREFIXES.raw}dt=${match[1]}/hour=${match[2]}/`;
    const partition = partitions.get(location) ?? { Values: [match[1]!, match[2]!], Location: location, Objects: 0, Bytes: 0 };
    partition.Objects += 1;
    partition.Bytes += object.size;
    partitions.set(location, partition);
  }
  return {
    DatabaseName: database,
    Name: `${tablePrefix}${LAKE_PREFIXES.raw.split('/').filter(Boolean).at(-1)}`,
    StorageDescriptor: { Location: `s3://${bucket}/${LAKE_PREFIXES.raw}`, Columns: RAW_COLUMNS },
    PartitionKeys: [
      { Name: 'dt', Type: 'string' },
      { Name: 'hour', Type: 'string' },
    ],
    Partitions: [...partitions.values()].sort((a, b) => a.Location.localeCompare(b.Location)),
    UpdateTime: now.toISOString(),
  };
}
