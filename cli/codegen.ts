import { compileFromFile } from 'json-schema-to-typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli, runCli } from './args';

const USAGE = `
npm run codegen -- [--check] [--json]

Regenerates src/domain/events/clickstream-event.generated.ts from schemas/clickstream-event.schema.json.
--check writes nothing and exits 1 when the generated file is out of date.
`;

const root = path.resolve(__dirname, '..');
const SCHEMA = path.join(root, 'schemas/clickstream-event.schema.json');
const TARGET = path.join(root, 'src/domain/events/clickstream-event.generated.ts');

runCli(async () => {
  const { values } = parseCli(USAGE, { check: { type: 'boolean', default: false } });
  const generated = await compileFromFile(SCHEMA, { bannerComment: '/* Generated from schemas/clickstream-event.schema.json by "npm run codegen". Do not edit. */' });
  const current = readFileSync(TARGET, 'utf8');
  const upToDate = current === generated;
  if (values.check) {
    if (!upToDate) throw new Error(`${path.relative(root, TARGET)} is out of date with the schema: run \`npm run codegen\`.`);
  } else if (!upToDate) writeFileSync(TARGET, generated);
  const result = { ok: true, file: path.relative(root, TARGET), changed: !values.check && !upToDate };
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${result.file}: ${upToDate ? 'up to date' : values.check ? 'out of date' : 'regenerated'}\n`);
});
