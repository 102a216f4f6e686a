import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..', '..');

export interface CliRun {
  code: number;
  /** What the command printed on stdout, parsed as JSON (undefined when that is not JSON, e.g. without --json). */
  json: any;
  stdout: string;
  stderr: string;
}

const parsed = (stdout: string): unknown => {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
};

/**
 * Runs a TypeScript entrypoint (a CLI or a job) with tsx from the project root and parses what it printed (pass
 * `--json` for the machine-readable form). A non-zero exit is returned, not thrown, so a test can assert on it.
 */
export async function runTsx(script: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), [script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, json: parsed(stdout), stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, json: parsed(e.stdout ?? ''), stdout: e.stdout, stderr: e.stderr };
  }
}
