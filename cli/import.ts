import { parse } from 'csv-parse';
import { createReadStream, existsSync } from 'node:fs';
import { REES46_COLUMNS, rees46ToEvent, Rees46RowError, type Rees46Row } from '#domain/traffic/rees46';
import type { ClickstreamEvent } from '#domain/events/schema';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import { backfillEvents, waveGapFor } from './backfill';
import { progressBar } from './progress';

const USAGE = `
npm run import -- <file.csv> [--stream S --raw-delivery-stream F] [--rate R] [--dry-run] [--json]

Imports a REES46-style clickstream CSV (event_time,event_type,product_id,category_id,category_code,
brand,price,user_id,user_session) as a backfill: straight onto the Kinesis stream (it needs the IAM right to
put records there), so events keep the hour they happened in however old they are — through POST /events,
history would land in today's partition, flagged late. At most 250 hours are sent at a time, with a pause
for Firehose to write them (its buffering interval, read from the raw delivery stream) between waves.
Event ids are derived from each row, so importing the same file twice adds nothing. Rows that cannot be
mapped are listed and skipped. Locally the streams come from the running local cloud; on AWS pass them.
`;

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {
    stream: { type: 'string' },
    'raw-delivery-stream': { type: 'string' },
    rate: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
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
    process.stdout.write(
      values.json ? `${JSON.stringify(summary)}\n` : `dry run: ${events.length} events in ${sessions} sessions would be sent; ${skipped.length} rows skipped\n`,
    );
    return;
  }
  if ((values.stream === undefined) !== (values['raw-delivery-stream'] === undefined))
    throw new UsageError('Pass both --stream and --raw-delivery-stream (on AWS), or neither (the local cloud).');
  const outputs: Record<string, string | undefined> = values.stream === undefined ? (await import('./local-env')).useLocalCloud() : {};
  const stream = values.stream ?? outputs.ClickstreamStreamName!;
  const gapMs = await waveGapFor(values['raw-delivery-stream'] ?? outputs.RawDeliveryStreamName!);
  const bar = progressBar('import', events.length, !values.json);
  const result = await backfillEvents(stream, events, {
    gapMs,
    ...(rate ? { rate } : {}),
    onProgress: bar.increment,
    say: (l) => (values.json ? undefined : process.stderr.write(`\n${l}\n`)),
  });
  bar.stop();
  if (result.failed.length > 0)
    throw new Error(
      `${result.failed.length} events could not be put on the stream (first: ${result.failed[0]!.error}); import again (event ids make that safe).`,
    );
  const summary = {
    ok: true,
    rows: line - 1,
    events: events.length,
    sessions,
    accepted: result.sent - result.invalid,
    rejected: result.invalid,
    waves: result.waves,
    skipped,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `imported ${file}: ${events.length} events in ${sessions} sessions → accepted ${summary.accepted}, rejected ${summary.rejected}; ${skipped.length} rows skipped\n`,
    );
    for (const s of skipped.slice(0, 20)) process.stdout.write(`  line ${s.line}: ${s.error}\n`);
  }
});
