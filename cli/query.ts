import { queryLake } from '../local/query';
import { VIEW_NAMES, viewSql } from '../queries/views';
import { parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
npm run query -- "<SQL>" [--from YYYY-MM-DD --to YYYY-MM-DD] [--json | --csv] [--lake-bucket B]
npm run query -- --view <${VIEW_NAMES().join('|')}> [--from … --to …] [--json | --csv] [--sql]

SQL over the local lake with DuckDB, as Athena runs it on AWS. Tables: events (the raw zone: every contract field
and what ingest adds), bad_rows (the bad zone), features (the feature partitions), each holding the dates
--from … --to (default: the last 7 days). --view runs one of queries/views/ (the same files Athena's named queries
are rendered from); --sql prints its SQL for DuckDB instead. Locally the lake is the running local cloud's.
`;

const lastWeek = () => ({ from: new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) });
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const cell = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));
const csvCell = (value: unknown) => {
  const text = cell(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function table(columns: string[], rows: Record<string, unknown>[]): string {
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (values: string[]) => values.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {
    view: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    csv: { type: 'boolean', default: false },
    sql: { type: 'boolean', default: false },
    'lake-bucket': { type: 'string' },
  });
  if ((values.view === undefined) === (positionals[0] === undefined)) throw new UsageError(`Give a SQL query or --view NAME.\n${USAGE.trim()}`);
  const sql = values.view ? viewSql(values.view, 'duckdb') : positionals[0]!;
  if (values.sql) {
    process.stdout.write(`${sql}\n`);
    return;
  }
  const range = values.from || values.to ? { from: values.from ?? values.to!, to: values.to ?? values.from! } : lastWeek();
  if (!DATE.test(range.from) || !DATE.test(range.to) || range.from > range.to)
    throw new UsageError(`--from and --to take dates (YYYY-MM-DD), --from not after --to.`);
  const bucket = values['lake-bucket'] ?? (await import('./local-env')).useLocalCloud().LakeBucketName;
  const started = Date.now();
  let result;
  try {
    result = await queryLake(bucket, sql, range);
  } catch (error) {
    // DuckDB's message says what is wrong with the SQL (a column, a table, a syntax error).
    throw new UsageError(`The query failed: ${(error as Error).message}`);
  }
  const seconds = (Date.now() - started) / 1000;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, ...range, ...result, seconds })}\n`);
    return;
  }
  if (values.csv) {
    process.stdout.write(`${[result.columns.join(','), ...result.rows.map((r) => result.columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`);
    return;
  }
  process.stdout.write(`${table(result.columns, result.rows)}\n`);
  process.stderr.write(
    `${result.rows.length} row(s); ${range.from} … ${range.to}: ${result.staged.raw} raw, ${result.staged.bad} bad and ${result.staged.features} feature objects, ${seconds.toFixed(2)} s\n`,
  );
});
