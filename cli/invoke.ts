import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseCli, runCli, UsageError } from '#shared/args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run invoke -- <function> <fixture.json> [--json]

Re-plays a fixture (events/<source>/<scenario>.json, or any event file) through one function with
\`sls invoke local --stage local\`, against the running local cloud (npm run local): the function reads and
writes the local streams, tables and buckets. Functions: see serverless.yml (collect, ingest, predict, models,
admin, planTraining, evaluateCandidate, promoteCandidate, recordTrainingRun, …).
--json prints {"ok", "result"} (the handler's return value) instead of what sls prints.
`;

/** The handler's result: `sls invoke local` prints it as an indented JSON object, log lines around it. */
function handlerResult(out: string): unknown {
  const start = out.lastIndexOf('\n{\n') + 1;
  const end = out.indexOf('\n}', start);
  if (end < 0) return undefined;
  try {
    return JSON.parse(out.slice(start, end + 2));
  } catch {
    return undefined;
  }
}

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {});
  const [fn, fixture] = positionals;
  if (!fn || !fixture) throw new UsageError(`Give a function and a fixture.\n${USAGE.trim()}`);
  if (!existsSync(fixture)) throw new UsageError(`No fixture at ${fixture}.`);
  const json = values.json === true;
  const outputs = useLocalCloud();
  const root = path.resolve(__dirname, '..');
  const child = spawn(path.join(root, 'node_modules', '.bin', 'sls'), ['invoke', 'local', '-f', fn, '-p', path.resolve(fixture), '--stage', 'local'], {
    cwd: root,
    stdio: json ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, AWS_ENDPOINT_URL: outputs.Endpoint, SLS_ESBUILD_WORK_FOLDER: path.join('.local', 'esbuild-invoke') },
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (json) {
    const result = handlerResult(out);
    if (code !== 0 || result === undefined) throw new Error(`sls invoke local ${fn} failed (exit ${code}): ${out.trim().split('\n').slice(-3).join(' ')}`);
    process.stdout.write(`${JSON.stringify({ ok: true, function: fn, result })}\n`);
  }
  if (code !== 0) process.exit(code);
});
