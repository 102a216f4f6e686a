import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseCli, runCli, UsageError } from '#shared/args';
import { useLocalCloud } from './local-env';

const USAGE = `
npm run invoke -- <function> <fixture.json>

Re-plays a fixture (events/<source>/<scenario>.json, or any event file) through one function with
\`sls invoke local --stage local\`, against the running local cloud (npm run local): the function reads and
writes the local streams, tables and buckets. Functions: see serverless.yml (collect, ingest, predict, models,
admin, planTraining, evaluateCandidate, promoteCandidate, recordTrainingRun, …).
`;

runCli(async () => {
  const { positionals } = parseCli(USAGE, {});
  const [fn, fixture] = positionals;
  if (!fn || !fixture) throw new UsageError(`Give a function and a fixture.\n${USAGE.trim()}`);
  if (!existsSync(fixture)) throw new UsageError(`No fixture at ${fixture}.`);
  const outputs = useLocalCloud();
  const root = path.resolve(__dirname, '..');
  const child = spawn(path.join(root, 'node_modules', '.bin', 'sls'), ['invoke', 'local', '-f', fn, '-p', path.resolve(fixture), '--stage', 'local'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, AWS_ENDPOINT_URL: outputs.Endpoint, SLS_ESBUILD_WORK_FOLDER: path.join('.local', 'esbuild-invoke') },
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) process.exit(code);
});
