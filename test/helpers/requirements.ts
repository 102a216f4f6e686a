import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * What some tests need from outside the repository. A missing one fails the test with what to do — a test that
 * skips itself would pass where it never ran.
 */

const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared');

/** A file of the shared data folder beside the checkout (../shared/data, described in ../shared/README.md). */
export function sharedData(file: string): string {
  const full = path.join(SHARED, 'data', file);
  if (!existsSync(full))
    throw new Error(
      `Test data missing: ${full}. These tests read the project's shared data folder, checked out beside this one as ../shared (see ../shared/README.md).`,
    );
  return full;
}

/** Throws, saying how to install it, unless `command` runs (`.ci/run` installs what CI needs). */
export function requireTool(command: string, versionArgs: string[], install: string): void {
  try {
    execFileSync(command, versionArgs, { stdio: 'ignore' });
  } catch {
    throw new Error(`\`${command}\` is not installed; this test drives it. Install it (${install}); .ci/run does so in CI.`);
  }
}
