import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The event type and the precompiled validator are generated from the JSON Schema; this fails when someone edits one without the others. */
it('the generated event type and validators match schemas/ (run `npm run codegen`)', () => {
  const out = execFileSync(path.join(root, 'node_modules/.bin/tsx'), ['cli/codegen.ts', '--check', '--json'], { cwd: root, encoding: 'utf8' });
  expect(JSON.parse(out)).toMatchObject({ ok: true, changed: [] });
});
