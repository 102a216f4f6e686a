import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { renderSql } from '#domain/features/sql';

/** The views of this folder: `npm run query` runs them on DuckDB, Athena's named queries are rendered from them. */
export const VIEW_NAMES = (): string[] =>
  readdirSync(path.join(__dirname, 'views'))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -'.sql'.length))
    .sort();

/** A view's SQL, rendered for a dialect. */
export function viewSql(name: string, dialect: 'duckdb' | 'athena'): string {
  if (!VIEW_NAMES().includes(name)) throw new Error(`No view "${name}"; the views: ${VIEW_NAMES().join(', ')}.`);
  return renderSql(readFileSync(path.join(__dirname, 'views', `${name}.sql`), 'utf8'), dialect);
}
