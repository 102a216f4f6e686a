import { rmSync } from 'node:fs';
import type { LocalCloud } from '../../local/cloud';

/** Stops the local cloud global-setup started, and removes its data directory (nothing, against a deployed stack). */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __cloud?: { cloud: LocalCloud; dataDir: string } }).__cloud;
  if (!started) return;
  await started.cloud.stop();
  rmSync(started.dataDir, { recursive: true, force: true });
}
