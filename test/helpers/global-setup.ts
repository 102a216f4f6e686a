import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCloud } from '../../local/cloud';

/** One local cloud for all integration tests, on free ports and a fresh data directory. */
export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'clickstream-ml-it-'));
  // Functions log at INFO in tests, so a test can read what predict logged (shadow scores) from the API's log.
  process.env.LOG_LEVEL = 'INFO';
  // The cloud's own log (pollers, stand-ins), beside the functions' offline.log, for a failed drain to point at.
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const log = (line: string) => appendFileSync(path.join(dataDir, 'logs', 'cloud.log'), `${new Date().toISOString()} ${line}\n`);
  const cloud = await LocalCloud.start({ root: path.resolve(__dirname, '..', '..'), dataDir, port: 0, apiPort: 0, log, hotReload: false });
  (globalThis as { __cloud?: LocalCloud }).__cloud = cloud;
  Object.assign(process.env, cloud.env, { LOCAL_CLOUD_OUTPUTS: JSON.stringify(cloud.outputs), LOCAL_CLOUD_DATA_DIR: dataDir });
}
