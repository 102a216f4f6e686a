import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr (events/s and ETA), silent under --json or when stderr is not a terminal… unless forced. */
export function progressBar(label: string, total: number, enabled: boolean) {
  if (!enabled) return { increment: (_n: number) => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: 0 });
  return {
    increment: (n: number) => {
      value += n;
      bar.update(value, { rate: Math.round(value / Math.max(0.001, (Date.now() - started) / 1000)) });
    },
    stop: () => bar.stop(),
  };
}
