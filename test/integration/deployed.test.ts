import { stackOutputs } from '#adapters/cloudformation';
import { runTsx } from '../helpers/cli';
import { outputs } from '../helpers/cloud';

/**
 * `npm run test:deployed` cannot reach AWS here; it runs against this suite's local cloud through the same path
 * it takes on AWS: the stack's outputs from CloudFormation DescribeStacks, the tests with TEST_TARGET=deployed.
 */
describe('npm run test:deployed', () => {
  it('finds the stack with DescribeStacks: the outputs the local cloud wrote', async () => {
    expect(await stackOutputs('clickstream-ml-local')).toEqual(outputs());
  });

  it('runs the deployed-stage suites against the stack DescribeStacks names, skipping what needs the local cloud itself', async () => {
    const run = await runTsx('cli/test-deployed.ts', ['--stage', 'local', '--json']);
    expect(run.json).toMatchObject({ ok: true, stack: 'clickstream-ml-local', failed: 0 });
    expect(run.json.suites.map((s: { file: string }) => s.file).sort()).toEqual(
      ['admin-http', 'collect-http', 'predict-http', 'promotion', 'registry'].map((n) => `test/integration/${n}.test.ts`),
    );
    expect(run.json.suites.filter((s: { status: string }) => s.status === 'failed')).toEqual([]);
    expect(run.json.passed).toBeGreaterThan(20);
    expect(run.json.skipped).toBeGreaterThan(0);
  });

  it('says what to do when the stage is not deployed, or a key is missing', async () => {
    const keys = ['--admin-key', 'a', '--predict-key', 'p', '--read-key', 'r'];
    const absent = await runTsx('cli/test-deployed.ts', ['--stage', 'nope', ...keys, '--json']);
    expect(absent.code).toBe(1);
    expect(absent.json).toMatchObject({ ok: false, message: expect.stringContaining('Stack clickstream-ml-nope does not exist') });
    expect(absent.json.message).toContain('npx sls deploy --stage nope');
    const keyless = await runTsx('cli/test-deployed.ts', ['--stage', 'dev', '--json']);
    expect(keyless.code).toBe(2);
    expect(keyless.json).toMatchObject({ ok: false, error: 'UsageError', message: expect.stringContaining('Missing API key(s) for admin, predict, read') });
  });
});
