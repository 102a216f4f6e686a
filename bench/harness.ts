import os from 'node:os';

/** One measured figure: samples (ms per run) summarized; `unit` says what `value` counts. */
export interface Figure {
  name: string;
  unit: string;
  median: number;
  p99: number;
  min: number;
  max: number;
  runs: number;
  baseline?: { name: string; median: number };
  /** value ÷ baseline (rates) or baseline ÷ value (times), so > 1 means "better than baseline" only where noted. */
  ratio?: number;
  target?: string;
  met?: boolean;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Fewer samples than this, and the "p99" is just the slowest run: the table then says max, with n. */
export const P99_MIN_SAMPLES = 1000;

/** The tail column: the p99 from enough samples, else the slowest run (the lowest rate, the longest time) and n. */
export const tail = (f: Pick<Figure, 'p99' | 'min' | 'max' | 'runs' | 'unit'>, fmt: (v: number) => string): string => {
  if (f.runs >= P99_MIN_SAMPLES) return `p99 ${fmt(f.p99)}`;
  if (f.runs === 1) return '— (n = 1)';
  return `slowest ${fmt(f.unit.endsWith('/s') ? f.min : f.max)} (n = ${f.runs})`;
};

export function summarize(samples: number[]): Pick<Figure, 'median' | 'p99' | 'min' | 'max' | 'runs'> {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), min: sorted[0]!, max: sorted.at(-1)!, runs: samples.length };
}

/**
 * Times `a` and `b` alternately (ABAB…, after warming both), so noise on the machine lands on both sides of a
 * ratio alike; returns milliseconds per run of each.
 */
export async function pairedTimes(a: () => unknown, b: () => unknown, warmup: number, repeats: number): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    for (const [fn, into] of [
      [a, as],
      [b, bs],
    ] as const) {
      const started = process.hrtime.bigint();
      await fn();
      into.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return [as, bs];
}

export const machine = () => ({
  cpus: os.cpus().length,
  model: os.cpus()[0]?.model ?? 'unknown',
  memory_gb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
});
