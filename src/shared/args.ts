import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Every CLI shares this: strict flags (an unknown flag is an error), --json, --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: T, argv = process.argv.slice(2)) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${usage.trim()}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage.trim()}`);
  }
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min} (got "${value}").`);
  return n;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** --from/--to as inclusive UTC dates (YYYY-MM-DD), --from not after --to. */
export function dateRange(values: { from?: string; to?: string }, usage: string): { from: string; to: string } {
  const { from, to } = values;
  if (!from || !to || !DATE.test(from) || !DATE.test(to)) throw new UsageError(`--from and --to take dates (YYYY-MM-DD).\n${usage.trim()}`);
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}.`);
  return { from, to };
}

/** Runs a CLI main: errors print one clear line (and JSON with --json) and exit non-zero. */
export function runCli(main: () => Promise<void>): void {
  // The CLIs run on this machine's Node 20 on purpose; the SDK's Node 22 reminder is noise for them.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const json = process.argv.includes('--json');
  main().catch((error: Error) => {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: error.name, message: error.message })}\n`);
    else process.stderr.write(`error: ${error.message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
