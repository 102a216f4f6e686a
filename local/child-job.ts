import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ChildResult {
  exitCode: number;
  /** The last line the child wrote to stdout (jobs print their result there as JSON). */
  lastLine: string;
  /** The last lines of stderr (or, if it is empty, the last stdout line: a --json error), for a failure's reason. */
  errorTail: string;
}

/**
 * Runs a job in a child process, as Glue and Batch run theirs in their own workers: its own environment,
 * its output in a log file. `node x.js` where only x.ts exists (nothing is bundled locally) runs x.ts with tsx.
 */
export function runChild(root: string, command: readonly string[], env: Record<string, string>, logFile: string): Promise<ChildResult> {
  let [program, ...args] = command;
  if (program === 'node' && args[0] && !existsSync(path.join(root, args[0])) && existsSync(path.join(root, args[0].replace(/\.js$/, '.ts')))) {
    program = path.join(root, 'node_modules', '.bin', 'tsx');
    args = [args[0].replace(/\.js$/, '.ts'), ...args.slice(1)];
  }
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  return new Promise((resolve) => {
    const child = spawn(program!, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString('utf8')).slice(-1_000_000);
      log.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
      log.write(chunk);
    });
    const done = (exitCode: number) => {
      log.end();
      const lines = stdout.trim().split('\n');
      const lastLine = lines.at(-1) ?? '';
      resolve({ exitCode, lastLine, errorTail: stderr.trim() === '' ? lastLine : stderr.trim().split('\n').slice(-3).join(' | ') });
    };
    child.on('error', (error) => {
      stderr += error.message;
      done(127);
    });
    child.on('close', (code) => done(code ?? 1));
  });
}
