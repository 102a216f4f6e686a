import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The TypeScript event type is generated from the JSON Schema; this fails when someone edits one without the other. */
it('the generated event type matches schemas/clickstream-event.schema.json (run `npm run codegen`)', () => {
  const out = execFileSync(path.join(root, 'node_modules/.bin/tsx'), ['cli/codegen.ts', '--check', '--json'], { cwd: root, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ ok: true, file: 'src/domain/events/clickstream-event.generated.ts', changed: false });
});
