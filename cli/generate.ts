import path from 'node:path';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import { apiUrl } from './collector-client';
import { progressBar } from './progress';
import { generateTraffic } from './traffic';

const USAGE = `
npm run generate -- --sessions N [--seed S] [--rate R] [--days D] [--end ISO] [--api URL] [--truth FILE] [--json]

Synthetic shoppers (docs/data.md, "Synthetic traffic") posted to POST /events.
  --sessions  how many sessions (required)
  --seed      PRNG seed (default 1): the same seed gives the same events and ids
  --rate      at most R events/s (default: as fast as the API takes them)
  --days      sessions start within the D days before --end (default 1)
  --end       end of that window (default: now, to the hour)
  --api       API base URL (default: the local cloud's, from .local/stack-outputs.json)
  --truth     where to write each session's true purchase probability (default .local/truth/seed-<S>.jsonl)
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    sessions: { type: 'string' },
    seed: { type: 'string' },
    rate: { type: 'string' },
    days: { type: 'string' },
    end: { type: 'string' },
    api: { type: 'string' },
    truth: { type: 'string' },
  });
  if (values.sessions === undefined) throw new UsageError(`--sessions is required.\n${USAGE}`);
  const seed = intOption(values.seed, 'seed', 1);
  const end = values.end ? new Date(values.end) : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  if (Number.isNaN(end.getTime())) throw new UsageError(`--end "${values.end}" is not a date.`);
  let bar = progressBar('generate', 0, false);
  const { anonymousIds: _ids, ...summary } = await generateTraffic({
    url: apiUrl(values.api),
    sessions: intOption(values.sessions, 'sessions', 0, 1),
    seed,
    days: intOption(values.days, 'days', 1, 1),
    end,
    truthFile: values.truth ?? path.resolve(__dirname, '..', '.local', 'truth', `seed-${seed}.jsonl`),
    ...(values.rate === undefined ? {} : { rate: intOption(values.rate, 'rate', 0, 1) }),
    onPlanned: (events) => (bar = progressBar('generate', events, !values.json)),
    onProgress: (n) => bar.increment(n),
  });
  bar.stop();
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
  else {
    process.stdout.write(
      `generated ${summary.sessions} sessions (${summary.purchases} with a purchase), ${summary.events} events → accepted ${summary.accepted}, rejected ${summary.rejected} in ${summary.seconds.toFixed(1)}s (${summary.events_per_second} events/s)\ntruth: ${summary.truth}\n`,
    );
  }
});
