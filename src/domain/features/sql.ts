import { FEATURE_NAMES, REFERRER_PATTERNS } from './spec';

/** DuckDB (the local Glue job and `npm run query`), Spark SQL (Glue), Trino (Athena). */
export type SqlDialect = 'duckdb' | 'spark' | 'athena';

/** A SQL string literal (quotes doubled; the same in every dialect). */
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** "x contains p" (DuckDB and Spark: instr; Trino: strpos; LIKE would treat _ as a wildcard). */
const contains = (x: string, p: string, dialect: SqlDialect) => `${dialect === 'athena' ? 'strpos' : 'instr'}(${x}, ${sqlString(p)}) > 0`;

/**
 * The dialect differences of the SQL files (glue/features.sql, queries/views/*.sql), all of them, in one place.
 * Everything else in them is the SQL subset Spark SQL (Glue 4 / Spark 3.3), Trino (Athena v3) and DuckDB accept.
 */
const MACROS: Record<string, (arg: string, dialect: SqlDialect) => string> = {
  // Seconds since the epoch (fractional) of an ISO 8601 string with offset.
  EPOCH_S: (x, dialect) =>
    dialect === 'duckdb'
      ? `(epoch_us(CAST(${x} AS TIMESTAMPTZ)) / 1e6)`
      : dialect === 'athena'
        ? `to_unixtime(from_iso8601_timestamp(${x}))`
        : `(unix_micros(to_timestamp(${x})) / 1e6)`,
  // Generated from REFERRER_PATTERNS so SQL and TypeScript classify alike.
  REFERRER_CLASS: (x, dialect) => {
    const whens = REFERRER_PATTERNS.map(([cls, patterns]) => `WHEN ${patterns.map((p) => contains(x, p, dialect)).join(' OR ')} THEN ${sqlString(cls)}`);
    return `(CASE WHEN ${x} IS NULL OR ${x} = '' THEN 'direct' ${whens.join(' ')} ELSE 'other' END)`;
  },
  // The tables the views read: locally views the query runner creates; on Athena the crawled raw table and the bad-rows table.
  EVENTS: (_, dialect) => (dialect === 'athena' ? 'raw_clickstream' : 'events'),
  BAD_ROWS: (_, dialect) => (dialect === 'athena' ? 'bad_clickstream' : 'bad_rows'),
  // A name quoted as each dialect quotes names (`order` is a reserved word).
  NAME: (x, dialect) => (dialect === 'spark' ? `\`${x}\`` : `"${x}"`),
  // The curated zone's select list: every raw field flattened to its column (CURATED_COLUMNS).
  CURATED_COLUMNS: (_, dialect) =>
    CURATED_COLUMNS.map((c) => {
      const [head, field] = c.from.split('.');
      const quoted = dialect === 'spark' ? `\`${head}\`` : `"${head}"`;
      return field === undefined ? `${quoted} AS ${c.name}` : `${quoted}.${field} AS ${c.name}`;
    }).join(', '),
  // A bad row's first error message (arrays are 1-based in DuckDB and Trino, 0-based in Spark).
  FIRST_ERROR: (_, dialect) => (dialect === 'spark' ? 'errors[0].message' : 'errors[1].message'),
  // A libsvm line (src/domain/model/libsvm.ts): the label, then `index:value` for each present feature in
  // FEATURE_NAMES order (concat_ws skips the NULLs: a missing value is left out).
  LIBSVM_LINE: (label, dialect) => {
    const text = (x: string) => `CAST(${x} AS ${dialect === 'spark' ? 'STRING' : 'VARCHAR'})`;
    const pairs = FEATURE_NAMES.map((name, j) => `CASE WHEN ${name} IS NULL THEN NULL ELSE concat('${j}:', ${text(`CAST(${name} AS DOUBLE)`)}) END`);
    return `concat_ws(' ', ${text(label)}, ${pairs.join(', ')})`;
  },
};

type Scalar = 'string' | 'double' | 'boolean';
type ColumnType = Scalar | { [field: string]: Scalar };

/**
 * The raw zone's columns the curated job reads (missing fields read as NULL; others are ignored): the contract's
 * fields and what ingest adds. Each becomes a column of the curated zone, flattened (`CURATED_COLUMNS`).
 */
const RAW_INPUT_COLUMNS: Record<string, ColumnType> = {
  event_id: 'string',
  event_type: 'string',
  event_time: 'string',
  session_id: 'string',
  anonymous_id: 'string',
  user_id: 'string',
  schema_version: 'string',
  page: { url: 'string', referrer: 'string', title: 'string' },
  product: { id: 'string', category: 'string', brand: 'string', price: 'double', currency: 'string' },
  order: { id: 'string', revenue: 'double', currency: 'string' },
  search: { query: 'string' },
  context: { user_agent: 'string', locale: 'string' },
  consent: { analytics: 'boolean' },
  device_class: 'string',
  ua: { browser: 'string', os: 'string', device_type: 'string', bot: 'boolean' },
  campaign: { source: 'string', medium: 'string', name: 'string', click_id_type: 'string' },
  referrer_class: 'string',
  observed_ip: 'string',
  received_via: 'string',
  replay_id: 'string',
  event_time_status: 'string',
  received_at: 'string',
  ingested_at: 'string',
  partition_time: 'string',
};

/** The curated zone's columns: each raw field flattened ("product.price" → product_price), with its type. */
export const CURATED_COLUMNS: readonly { name: string; from: string; type: Scalar }[] = Object.entries(RAW_INPUT_COLUMNS).flatMap(([name, type]) =>
  typeof type === 'string'
    ? [{ name, from: name, type }]
    : Object.entries(type).map(([field, t]) => ({ name: `${name}_${field}`, from: `${name}.${field}`, type: t })),
);

function columnType(type: ColumnType, dialect: 'duckdb' | 'spark'): string {
  if (typeof type === 'string') return dialect === 'duckdb' ? { string: 'VARCHAR', double: 'DOUBLE', boolean: 'BOOLEAN' }[type] : type.toUpperCase();
  const fields = Object.entries(type).map(([name, t]) => (dialect === 'duckdb' ? `${name} ${columnType(t, dialect)}` : `${name}: ${columnType(t, dialect)}`));
  return dialect === 'duckdb' ? `STRUCT(${fields.join(', ')})` : `STRUCT<${fields.join(', ')}>`;
}

/** The input columns with their types: DuckDB's read_json `columns` entries, or a Spark DDL schema string. */
export function rawInputColumns(dialect: 'duckdb'): Record<string, string>;
export function rawInputColumns(dialect: 'spark'): string;
export function rawInputColumns(dialect: 'duckdb' | 'spark'): Record<string, string> | string {
  const entries = Object.entries(RAW_INPUT_COLUMNS).map(([name, type]) => [name, columnType(type, dialect)] as const);
  return dialect === 'duckdb' ? Object.fromEntries(entries) : entries.map(([name, type]) => `${name} ${type}`).join(', ');
}

export class SqlTemplateError extends Error {
  override name = 'SqlTemplateError';
}

export function renderSql(template: string, dialect: SqlDialect): string {
  return template.replace(/\{\{([A-Z_]+)\(([^)]*)\)\}\}/g, (_, name: string, arg: string) => {
    const macro = MACROS[name];
    if (!macro) throw new SqlTemplateError(`Unknown SQL macro {{${name}(…)}}; known: ${Object.keys(MACROS).join(', ')}.`);
    return macro(arg.trim(), dialect);
  });
}
