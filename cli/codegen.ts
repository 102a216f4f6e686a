import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import standaloneCode from 'ajv/dist/standalone';
import { compile } from 'json-schema-to-typescript';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli, runCli } from '#shared/args';

const USAGE = `
npm run codegen -- [--check] [--json]

Regenerates, from the event contract's versions (schemas/clickstream-event/<version>.json), the TypeScript
event types and one precompiled ajv validator per version (src/domain/events/*.generated.*), and from schemas/predict-request.schema.json the predict
request validator (src/domain/validate-predict-request.generated.*), and from schemas/admin-request.schema.json
the registry admin body validators (src/domain/validate-admin-request.generated.*). --check writes nothing and
exits 1 when one is out of date.
`;

const root = path.resolve(__dirname, '..');
const EVENT_SCHEMAS = path.join(root, 'schemas/clickstream-event');
const PREDICT_SCHEMA = path.join(root, 'schemas/predict-request.schema.json');
const BANNER = '/* Generated from schemas/clickstream-event/*.json by "npm run codegen". Do not edit. */';
const PREDICT_BANNER = '/* Generated from schemas/predict-request.schema.json by "npm run codegen". Do not edit. */';
const ADMIN_SCHEMA = path.join(root, 'schemas/admin-request.schema.json');
const ADMIN_BANNER = '/* Generated from schemas/admin-request.schema.json by "npm run codegen". Do not edit. */';

/** Validators are compiled here, at build time, so functions load no schema compiler at cold start. */
function validatorSource(schemaFile: string, banner: string, options: { strictRequired?: boolean } = {}): string {
  const ajv = new Ajv({ allErrors: true, strict: true, ...options, code: { source: true, esm: false } });
  addFormats(ajv, ['uuid', 'date-time']);
  return `${banner}\n${standaloneCode(ajv, ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8'))))}\n`;
}

/** One module exporting a validator per definition of the schema (`exports` maps export names to definitions). */
function definitionValidatorsSource(schemaFile: string, banner: string, exports: Record<string, string>): string {
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: false } });
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { $id: string };
  ajv.addSchema(schema);
  const refs = Object.fromEntries(Object.entries(exports).map(([name, definition]) => [name, `${schema.$id}#/definitions/${definition}`]));
  return `${banner}\n${standaloneCode(ajv, refs)}\n`;
}

const ADMIN_VALIDATOR_TYPES = `${ADMIN_BANNER}
import type { ErrorObject } from 'ajv';

type Validator = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
export declare const aliasMove: Validator;
export declare const rollback: Validator;
`;

// strictRequired off: the predict schema's oneOf branches name properties declared one level up ("session" or "sessions").
const PREDICT_VALIDATOR_TYPES = `${PREDICT_BANNER}
import type { ErrorObject } from 'ajv';

declare const validate: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
export = validate;
`;

/** The contract's versions, oldest first (SchemaVer MODEL-REVISION-ADDITION compares part by part). */
function eventSchemaVersions(): { version: string; file: string; id: string }[] {
  return readdirSync(EVENT_SCHEMAS)
    .filter((name) => /^\d+-\d+-\d+\.json$/.test(name))
    .map((name) => {
      const file = path.join(EVENT_SCHEMAS, name);
      return { version: name.slice(0, -'.json'.length), file, id: (JSON.parse(readFileSync(file, 'utf8')) as { $id: string }).$id };
    })
    .sort((a, b) => compareSchemaVer(a.version, b.version));
}

function compareSchemaVer(a: string, b: string): number {
  const [x, y] = [a.split('-').map(Number), b.split('-').map(Number)];
  return x.reduce((order, part, i) => order || part - (y[i] ?? 0), 0);
}

const exportName = (version: string) => `v${version.replaceAll('-', '_')}`;

/** One interface per version (ClickstreamEvent_1_0_0, …), their union, and the list of versions. */
async function eventTypesSource(versions: ReturnType<typeof eventSchemaVersions>): Promise<string> {
  const interfaces = await Promise.all(
    versions.map(({ version, file }) =>
      compile({ ...JSON.parse(readFileSync(file, 'utf8')), title: `ClickstreamEvent_${version.replaceAll('-', '_')}` }, version, { bannerComment: '' }),
    ),
  );
  return [
    BANNER,
    ...interfaces,
    `/** Every version of the contract, oldest first. */\nexport const SCHEMA_VERSIONS = ${JSON.stringify(versions.map((v) => v.version))} as const;\n`,
    `export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];\n`,
    `/** An event of any version (each says which in \`schema\`; 1-0-0 predates the field). */\nexport type ClickstreamEvent = ${versions.map((v) => `ClickstreamEvent_${v.version.replaceAll('-', '_')}`).join(' | ')};\n`,
  ].join('\n');
}

function eventValidatorsSource(versions: ReturnType<typeof eventSchemaVersions>): string {
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: false } });
  addFormats(ajv, ['uuid', 'date-time']);
  for (const { file } of versions) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')));
  return `${BANNER}\n${standaloneCode(ajv, Object.fromEntries(versions.map((v) => [exportName(v.version), v.id])))}\n`;
}

const eventValidatorTypes = (versions: ReturnType<typeof eventSchemaVersions>) => `${BANNER}
import type { ErrorObject } from 'ajv';
import type * as Events from './clickstream-event.generated';

type Validator<T> = ((value: unknown) => value is T) & { errors?: ErrorObject[] | null };
${versions.map((v) => `export declare const ${exportName(v.version)}: Validator<Events.ClickstreamEvent_${v.version.replaceAll('-', '_')}>;`).join('\n')}
`;

runCli(async () => {
  const { values } = parseCli(USAGE, { check: { type: 'boolean', default: false } });
  const versions = eventSchemaVersions();
  const files: Record<string, string> = {
    'src/domain/events/clickstream-event.generated.ts': await eventTypesSource(versions),
    'src/domain/events/validate-event.generated.js': eventValidatorsSource(versions),
    'src/domain/events/validate-event.generated.d.ts': eventValidatorTypes(versions),
    'src/domain/validate-predict-request.generated.js': validatorSource(PREDICT_SCHEMA, PREDICT_BANNER, { strictRequired: false }),
    'src/domain/validate-predict-request.generated.d.ts': PREDICT_VALIDATOR_TYPES,
    'src/domain/validate-admin-request.generated.js': definitionValidatorsSource(ADMIN_SCHEMA, ADMIN_BANNER, { aliasMove: 'alias_move', rollback: 'rollback' }),
    'src/domain/validate-admin-request.generated.d.ts': ADMIN_VALIDATOR_TYPES,
  };
  const stale = Object.keys(files).filter((file) => {
    try {
      return readFileSync(path.join(root, file), 'utf8') !== files[file];
    } catch {
      return true;
    }
  });
  if (values.check && stale.length > 0) throw new Error(`${stale.join(', ')} out of date with the schema: run \`npm run codegen\`.`);
  if (!values.check) for (const file of stale) writeFileSync(path.join(root, file), files[file]!);
  const result = { ok: true, files: Object.keys(files), changed: values.check ? [] : stale };
  process.stdout.write(
    values.json
      ? `${JSON.stringify(result)}\n`
      : `${stale.length === 0 ? 'generated files are up to date' : `${values.check ? 'out of date' : 'regenerated'}: ${stale.join(', ')}`}\n`,
  );
});
