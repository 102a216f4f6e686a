import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stackOutputs, StackNotFoundError } from '#adapters/cloudformation';
import { parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
npm run test:deployed -- --stage S [--stack NAME] [--admin-key K --predict-key K --read-key K] [--json] [-- JEST ARGS]

Runs the integration tests that make sense on AWS against a deployed stage: the stack's outputs come from
CloudFormation DescribeStacks (stack clickstream-ml-<stage> unless --stack), the AWS credentials and region
from the usual places (AWS_PROFILE, AWS_REGION…). Tests that need the local cloud itself (fault injection,
drain, its log files, the training stand-ins) are left out or skipped.
  keys      the stage's API keys (npm run api-key -- new, then allow each --for admin|predict|read), or
            CLICKSTREAM_ADMIN_KEY / CLICKSTREAM_PREDICT_KEY / CLICKSTREAM_READ_KEY; --stage local uses the
            documented local keys
  --json    one summary line (suites, tests passed/failed/skipped) instead of Jest's report
The tests write to the stage (models named it-*, a few events, an API key allowed then revoked): use a dev
stage, never production. --stage local runs them against the local cloud (npm run local) through the same
DescribeStacks call.
`;

/** The integration test files that run against a deployed stage (HTTP API, registry, authorizers). */
const DEPLOYED_SUITES = ['collect-http', 'admin-http', 'predict-http', 'registry', 'promotion'].map((name) => `test/integration/${name}.test.ts`);

const root = path.resolve(__dirname, '..');

interface JestReport {
  success: boolean;
  numTotalTestSuites: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { name: string; status: string; message: string }[];
}

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, {
    stage: { type: 'string' },
    stack: { type: 'string' },
    'admin-key': { type: 'string' },
    'predict-key': { type: 'string' },
    'read-key': { type: 'string' },
  });
  const stage = values.stage;
  if (!stage) throw new UsageError(`Give the stage to test (--stage dev).\n${USAGE.trim()}`);
  const stack = values.stack ?? `clickstream-ml-${stage}`;
  // The local stage's endpoint: the suite's own local cloud when it set one, else the one `npm run local` runs.
  if (stage === 'local' && !process.env.AWS_ENDPOINT_URL) (await import('./local-env')).useLocalCloud();
  const keys = {
    admin: values['admin-key'] ?? process.env.CLICKSTREAM_ADMIN_KEY ?? (stage === 'local' ? 'local-admin-key' : undefined),
    predict: values['predict-key'] ?? process.env.CLICKSTREAM_PREDICT_KEY ?? (stage === 'local' ? 'local-predict-key' : undefined),
    read: values['read-key'] ?? process.env.CLICKSTREAM_READ_KEY ?? (stage === 'local' ? 'local-read-key' : undefined),
  };
  const missing = Object.entries(keys).flatMap(([kind, key]) => (key ? [] : [kind]));
  if (missing.length > 0)
    throw new UsageError(
      `Missing API key(s) for ${missing.join(', ')}: make each (npm run api-key -- new), allow it (npm run api-key -- allow <key> --for <kind> --parameter <the stack output <Kind>KeyHashesParameter>) and pass --<kind>-key (docs/testing.md).`,
    );
  // Found before Jest starts, so a wrong stage or region fails in a second with a message, not in every test.
  try {
    await stackOutputs(stack);
  } catch (error) {
    if (error instanceof StackNotFoundError)
      throw new Error(`${error.message} Deploy it (npx sls deploy --stage ${stage}), or check --stage, --stack and AWS_REGION.`, { cause: error });
    throw error;
  }

  const json = values.json === true;
  const reportDir = mkdtempSync(path.join(os.tmpdir(), 'test-deployed-'));
  const report = path.join(reportDir, 'report.json');
  const args = [...DEPLOYED_SUITES, '--runInBand', ...(json ? ['--json', `--outputFile=${report}`] : []), ...positionals];
  const code = await new Promise<number>((resolve, reject) => {
    const jest = spawn(path.join(root, 'node_modules', '.bin', 'jest'), args, {
      cwd: root,
      env: { ...process.env, TEST_TARGET: 'deployed', TEST_STACK: stack, TEST_API_KEYS: JSON.stringify(keys) },
      stdio: ['ignore', json ? 'ignore' : 'inherit', json ? 'pipe' : 'inherit'],
    });
    let stderr = '';
    jest.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
    jest.on('error', reject);
    jest.on('exit', (exitCode) => {
      if (json && exitCode !== 0) process.stderr.write(stderr);
      resolve(exitCode ?? 1);
    });
  });
  if (json) {
    let result: JestReport | undefined;
    try {
      result = JSON.parse(readFileSync(report, 'utf8')) as JestReport;
    } catch {
      result = undefined;
    }
    rmSync(reportDir, { recursive: true, force: true });
    process.stdout.write(
      `${JSON.stringify({
        ok: code === 0,
        stack,
        suites: result?.testResults.map((r) => ({ file: path.relative(root, r.name), status: r.status })) ?? [],
        passed: result?.numPassedTests ?? 0,
        failed: result?.numFailedTests ?? 0,
        skipped: result?.numPendingTests ?? 0,
      })}\n`,
    );
  }
  if (code !== 0) process.exit(code);
});
