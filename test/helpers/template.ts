import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface PackagedTemplate {
  Resources: Record<string, { Type: string; Condition?: string; Properties: any }>;
  Outputs: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
}

/** `sls package --stage dev` (with `params`, "name=value"), offline and without credentials: the template `sls deploy` would send. */
export function packagedTemplate(params: readonly string[] = []): PackagedTemplate {
  const out = mkdtempSync(path.join(os.tmpdir(), 'sls-package-'));
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'none',
    AWS_ENDPOINT_URL: '',
    SLS_ESBUILD_WORK_FOLDER: path.relative(root, path.join(out, 'esbuild')),
  };
  execFileSync(path.join(root, 'node_modules/.bin/sls'), ['package', '--stage', 'dev', '--package', out, ...params.map((p) => `--param=${p}`)], {
    cwd: root,
    env,
    stdio: 'pipe',
  });
  return JSON.parse(readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as PackagedTemplate;
}
