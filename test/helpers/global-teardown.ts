import { rmSync } from 'node:fs';
import type { LocalCloud } from '../../local/cloud';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __cloud?: LocalCloud }).__cloud?.stop();
  if (process.env.LOCAL_CLOUD_DATA_DIR) rmSync(process.env.LOCAL_CLOUD_DATA_DIR, { recursive: true, force: true });
}
