import { REFERRER_PATTERNS } from './spec';

export type SqlDialect = 'duckdb' | 'spark';

/** A SQL string literal (quotes doubled; the same in both dialects). */
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * The dialect differences of glue/features.sql, all of them, in one place. Everything else in the file
 * is the SQL subset Spark SQL (Glue 4 / Spark 3.3) and DuckDB both accept.
 */
const MACROS: Record<string, (arg: string, dialect: SqlDialect) => string> = {
  // Seconds since the epoch (fractional) of an ISO 8601 string with offset.
  EPOCH_S: (x, dialect) => (dialect === 'duckdb' ? `(epoch_us(CAST(${x} AS TIMESTAMPTZ)) / 1e6)` : `(unix_micros(to_timestamp(${x})) / 1e6)`),
  // Generated from REFERRER_PATTERNS so SQL and TypeScript classify alike (instr: plain substring in both; LIKE would treat _ as a wildcard).
  REFERRER_CLASS: (x) => {
    const whens = REFERRER_PATTERNS.map(
      ([cls, patterns]) => `WHEN ${patterns.map((p) => `instr(${x}, ${sqlString(p)}) > 0`).join(' OR ')} THEN ${sqlString(cls)}`,
    );
    return `(CASE WHEN ${x} IS NULL OR ${x} = '' THEN 'direct' ${whens.join(' ')} ELSE 'other' END)`;
  },
};

type ColumnType = 'string' | 'double' | { [field: string]: ColumnType };

/** The raw zone's columns features.sql reads (missing fields read as NULL; others are ignored). */
const RAW_INPUT_COLUMNS: Record<string, ColumnType> = {
  event_id: 'string',
  event_type: 'string',
  event_time: 'string',
  session_id: 'string',
  anonymous_id: 'string',
  received_at: 'string',
  ingested_at: 'string',
  device_class: 'string',
  page: { referrer: 'string' },
  product: { id: 'string', category: 'string', price: 'double' },
};

/** The same, as paths ("product.price"): what features.sql can read of a raw row. */
export const RAW_INPUT_PATHS: readonly string[] = Object.entries(RAW_INPUT_COLUMNS).flatMap(([name, type]) =>
  typeof type === 'string' ? [name] : Object.keys(type).map((field) => `${name}.${field}`),
);

function columnType(type: ColumnType, dialect: SqlDialect): string {
  if (typeof type === 'string') return dialect === 'duckdb' ? { string: 'VARCHAR', double: 'DOUBLE' }[type] : type.toUpperCase();
  const fields = Object.entries(type).map(([name, t]) => (dialect === 'duckdb' ? `${name} ${columnType(t, dialect)}` : `${name}: ${columnType(t, dialect)}`));
  return dialect === 'duckdb' ? `STRUCT(${fields.join(', ')})` : `STRUCT<${fields.join(', ')}>`;
}

/** The input columns with their types: DuckDB's read_json `columns` entries, or a Spark DDL schema string. */
export function rawInputColumns(dialect: 'duckdb'): Record<string, string>;
export function rawInputColumns(dialect: 'spark'): string;
export function rawInputColumns(dialect: SqlDialect): Record<string, string> | string {
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
