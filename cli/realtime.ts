import { realtimeFigures } from '#adapters/realtime-table';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import { sleep } from '#shared/retry';
import { formatRealtime } from './realtime-view';

const USAGE = `
npm run realtime -- [--minutes N] [--watch [--every S]] [--table NAME [--window-seconds W]] [--json]

The stream's real-time figures (README, "Real-time analytics"): per closed tumbling window — events by type,
bad events, sessions, distinct visitors (HyperLogLog, ±1.6 %), the funnel, orders, revenue, top products and
event lag — and their total over the range (distinct counts as a union).
  --minutes   how far back (default 5, at most 60)
  --watch     redraw as windows close (Ctrl-C stops), every --every seconds (default: the window's length)
  --json      one JSON object (with --watch, one per line)
Locally the table is the running local cloud's; on AWS pass the stack outputs RealtimeTableName and
RealtimeWindowSeconds (the default is 60; reads need dynamodb:Query on the table).
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    minutes: { type: 'string' },
    watch: { type: 'boolean', default: false },
    every: { type: 'string' },
    table: { type: 'string' },
    'window-seconds': { type: 'string' },
  });
  const minutes = intOption(values.minutes, 'minutes', 5, 1);
  if (minutes > 60) throw new UsageError('--minutes is at most 60.');
  const outputs: Record<string, string | undefined> = values.table === undefined ? (await import('./local-env')).useLocalCloud() : {};
  const table = values.table ?? outputs.RealtimeTableName;
  if (!table) throw new UsageError('No real-time table: pass --table (stack output RealtimeTableName), or restart the local cloud (npm run local).');
  const windowSeconds = intOption(values['window-seconds'] ?? outputs.RealtimeWindowSeconds, 'window-seconds', 60, 1);
  const every = intOption(values.every, 'every', windowSeconds, 1);
  for (;;) {
    const figures = await realtimeFigures(table, minutes);
    if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, window_seconds: windowSeconds, minutes, ...figures })}\n`);
    else process.stdout.write(`${values.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${formatRealtime(figures, windowSeconds)}\n`);
    if (!values.watch) return;
    await sleep(every * 1000);
  }
});
