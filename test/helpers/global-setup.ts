import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCloud } from '../../local/cloud';
import { stackOutputs } from '#adapters/cloudformation';

/**
 * One local cloud for all integration tests, on free ports and a fresh data directory; or, under
 * `npm run test:deployed` (TEST_TARGET=deployed), no local cloud: the deployed stack's outputs, read with
 * CloudFormation DescribeStacks.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_TARGET === 'deployed') {
    const stack = process.env.TEST_STACK;
    if (!stack) throw new Error('TEST_TARGET=deployed needs TEST_STACK (npm run test:deployed -- --stage S sets both).');
    const outputs = await stackOutputs(stack);
    if (!outputs.HttpApiUrl) throw new Error(`Stack ${stack} has no HttpApiUrl output: is it this project's stack?`);
    process.env.STACK_OUTPUTS = JSON.stringify({ ...outputs, ApiUrl: outputs.HttpApiUrl, Endpoint: process.env.AWS_ENDPOINT_URL ?? '' });
    return;
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'clickstream-ml-it-'));
  // Functions log at INFO in tests, so a test can read what predict logged (shadow scores) from the API's log.
  process.env.LOG_LEVEL = 'INFO';
  // The cloud's own log (pollers, stand-ins), beside the functions' offline.log, for a failed drain to point at.
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const log = (line: string) => appendFileSync(path.join(dataDir, 'logs', 'cloud.log'), `${new Date().toISOString()} ${line}\n`);
  const cloud = await LocalCloud.start({
    root: path.resolve(__dirname, '..', '..'),
    dataDir,
    port: 0,
    apiPort: 0,
    log,
    hotReload: false,
    // POST /events also on a function URL (a stage option, off by default), so the tests cover both fronts.
    params: { collectFunctionUrl: 'true' },
  });
  (globalThis as { __cloud?: { cloud: LocalCloud; dataDir: string } }).__cloud = { cloud, dataDir };
  Object.assign(process.env, cloud.env, { STACK_OUTPUTS: JSON.stringify(cloud.outputs), LOCAL_CLOUD_DATA_DIR: dataDir });
}
