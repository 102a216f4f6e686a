import { parse } from 'csv-parse';
import { createReadStream, existsSync } from 'node:fs';
import { REES46_COLUMNS, rees46ToEvent, Rees46RowError, type Rees46Row } from '../src/domain/traffic/rees46';
import type { ClickstreamEvent } from '../src/domain/events/schema';
import { intOption, parseCli, runCli, UsageError } from './args';
import { apiUrl, sendEvents } from './collector-client';
import { progressBar } from './progress';

const USAGE = `
npm run import -- <file.csv> [--api URL] [--rate R] [--dry-run] [--json]

Imports a REES46-style clickstream CSV (event_time,event_type,product_id,category_id,category_code,
brand,price,user_id,user_session) through POST /events. Event ids are derived from each row, so
importing the same file twice adds nothing. Rows that cannot be mapped are listed and skipped.
`;

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, { api: { type: 'string' }, rate: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } });
  const file = positionals[0];
  if (!file) throw new UsageError(`Name the CSV file to import.\n${USAGE}`);
  if (!existsSync(file)) throw new UsageError(`${file} does not exist.`);
  const rate = values.rate === undefined ? undefined : intOption(values.rate, 'rate', 0, 1);

  const events: ClickstreamEvent[] = [];
  const skipped: { line: number; error: string }[] = [];
  const checkHeader = (header: string[]) => {
    const missing = REES46_COLUMNS.filter((c) => !header.includes(c));
    if (missing.length > 0) throw new UsageError(`${file} is not a REES46 CSV: missing column(s) ${missing.join(', ')}.`);
    return header;
  };
  const parser = createReadStream(file).pipe(parse({ columns: checkHeader, skip_empty_lines: true, trim: true }));
  let line = 1;
  const records = (async function* () {
    try {
      yield* parser as AsyncIterable<Record<string, string>>;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${file} is not a readable CSV: ${(error as Error).message}`);
    }
  })();
  for await (const record of records) {
    line += 1;
    try {
      events.push(rees46ToEvent(record as unknown as Rees46Row));
    } catch (error) {
      if (!(error instanceof Rees46RowError)) throw error;
      skipped.push({ line, error: error.message });
    }
  }
  const sessions = new Set(events.map((e) => e.session_id)).size;
  if (values['dry-run']) {
    const summary = { ok: true, dry_run: true, rows: line - 1, events: events.length, sessions, skipped };
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `dry run: ${events.length} events in ${sessions} sessions would be sent; ${skipped.length} rows skipped\n`);
    return;
  }
  const url = apiUrl(values.api);
  const bar = progressBar('import', events.length, !values.json);
  const result = await sendEvents(url, events, { ...(rate ? { rate } : {}), onProgress: bar.increment });
  bar.stop();
  const summary = { ok: true, rows: line - 1, events: events.length, sessions, accepted: result.accepted, rejected: result.rejected, skipped };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(`imported ${file}: ${events.length} events in ${sessions} sessions → accepted ${result.accepted}, rejected ${result.rejected}; ${skipped.length} rows skipped\n`);
    for (const s of skipped.slice(0, 20)) process.stdout.write(`  line ${s.line}: ${s.error}\n`);
  }
});
