import path from 'node:path';
import { BEHAVIOUR, DriftSpecError, parseDrift } from '#domain/traffic/shopper-model';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import { apiUrl } from './collector-client';
import { progressBar } from './progress';
import { generateTraffic } from './traffic';

const USAGE = `
npm run generate -- --sessions N [--seed S] [--rate R] [--days D] [--end ISO] [--api URL] [--truth FILE]
                    [--drift SPEC] [--predict [--model M] [--alias A] [--predict-key K]] [--json]

Synthetic shoppers (docs/data.md, "Synthetic traffic") posted to POST /events.
  --sessions  how many sessions (required)
  --seed      PRNG seed (default 1): the same seed gives the same events and ids
  --shop      the shop's catalogue seed (default: the seed): other shoppers of the same shop (e.g. traffic to
              monitor a model trained on seed 1's) take another --seed and --shop 1
  --rate      at most R events/s (default: as fast as the API takes them)
  --days      sessions start within the D days before --end (default 1)
  --end       end of that window (default: now, to the hour)
  --api       API base URL (default: the local cloud's, from .local/stack-outputs.json)
  --truth     where to write each session's true purchase probability (default .local/truth/seed-<S>.jsonl)
  --drift     sessions from a time on behave differently: "at=<ISO>,<name>=<value>,…" with names
              ${Object.entries(BEHAVIOUR)
                .map(([k, v]) => `${k} (${v})`)
                .join(', ')}
              e.g. "at=2025-06-01T00:00:00Z,intent=-0.6,checkout=-0.5" (no at: every session)
  --predict   then score every session through POST /predict with its events before any purchase, as a
              storefront would (captured for npm run monitor); --model (default purchase-propensity), --alias,
              --predict-key where the stage requires a key
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
    drift: { type: 'string' },
    shop: { type: 'string' },
    predict: { type: 'boolean', default: false },
    model: { type: 'string', default: 'purchase-propensity' },
    alias: { type: 'string' },
    'predict-key': { type: 'string' },
  });
  if (values.sessions === undefined) throw new UsageError(`--sessions is required.\n${USAGE}`);
  const seed = intOption(values.seed, 'seed', 1);
  const end = values.end ? new Date(values.end) : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  if (Number.isNaN(end.getTime())) throw new UsageError(`--end "${values.end}" is not a date.`);
  let drift;
  try {
    drift = values.drift === undefined ? undefined : parseDrift(values.drift);
  } catch (error) {
    if (error instanceof DriftSpecError) throw new UsageError(`--drift: ${error.message}`);
    throw error;
  }
  let bar = progressBar('generate', 0, false);
  const { anonymousIds: _ids, ...summary } = await generateTraffic({
    url: apiUrl(values.api),
    sessions: intOption(values.sessions, 'sessions', 0, 1),
    seed,
    days: intOption(values.days, 'days', 1, 1),
    end,
    truthFile: values.truth ?? path.resolve(__dirname, '..', '.local', 'truth', `seed-${seed}.jsonl`),
    ...(values.rate === undefined ? {} : { rate: intOption(values.rate, 'rate', 0, 1) }),
    ...(drift ? { drift } : {}),
    ...(values.shop === undefined ? {} : { shop: intOption(values.shop, 'shop', seed) }),
    ...(values.predict
      ? {
          predict: {
            model: values.model,
            ...(values.alias ? { alias: values.alias } : {}),
            ...(values['predict-key'] ? { key: values['predict-key'] } : {}),
            onPlanned: (sessions: number) => {
              bar.stop();
              bar = progressBar('predict', sessions, !values.json);
            },
            onProgress: (n: number) => bar.increment(n),
          },
        }
      : {}),
    onPlanned: (events) => (bar = progressBar('generate', events, !values.json)),
    onProgress: (n) => bar.increment(n),
  });
  bar.stop();
  if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...summary })}\n`);
  else {
    process.stdout.write(
      `generated ${summary.sessions} sessions (${summary.purchases} with a purchase), ${summary.events} events → accepted ${summary.accepted}, rejected ${summary.rejected} in ${summary.seconds.toFixed(1)}s (${summary.events_per_second} events/s)${summary.predicted === undefined ? '' : `\nscored ${summary.predicted} sessions through POST /predict (captured for npm run monitor)`}\ntruth: ${summary.truth}\n`,
    );
  }
});
