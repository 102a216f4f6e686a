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
    const whens = REFERRER_PATTERNS.map(([cls, patterns]) => `WHEN ${patterns.map((p) => `instr(${x}, ${sqlString(p)}) > 0`).join(' OR ')} THEN ${sqlString(cls)}`);
    return `(CASE WHEN ${x} IS NULL OR ${x} = '' THEN 'direct' ${whens.join(' ')} ELSE 'other' END)`;
  },
};

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
