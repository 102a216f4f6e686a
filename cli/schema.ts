import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listObjects, readJsonLines } from '#adapters/s3';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/lake-event';
import { schemaChanges, schemaVerStep, versionOfSchema, type FieldChange, type JsonSchemaNode } from '#domain/events/schema-change';
import { SCHEMA_VERSIONS } from '#domain/events/schema';
import { featureLineage, touches } from '#domain/features/lineage';
import { FEATURE_NAMES } from '#domain/features/spec';
import { datesBetween, LAKE_PREFIXES } from '#domain/lake';
import { originalEvent } from '#domain/replay';
import { schemaIssue, type ValidationIssue } from '#domain/schema-issues';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';

const USAGE = `
npm run schema -- check <schemas/clickstream-event/NEW.json> [--days N] [--lake-bucket B] [--json]

Previews a new version of the event contract against the lake before it is deployed: the last N days (default 7)
of raw events and of bad rows are validated against it. Reports
  - the raw events that would newly fail (the live contract accepted them): the change breaks trackers;
  - the bad rows it would recover (replay them with \`npm run replay -- --source bad\` once it is deployed): those
    that name the new version, and those that would pass if their tracker named it;
  - the fields that changed, and the feature columns of glue/features.sql that read them.
Exits 1 when the new version would reject events the live contract accepts, 0 otherwise.
Locally the lake is the running local cloud's; on AWS pass --lake-bucket.
`;

const root = path.resolve(__dirname, '..');
const EXAMPLES = 5;

type Validator = ((value: unknown) => boolean) & { errors?: Parameters<typeof schemaIssue>[0][] | null };

/** The event as it would be sent naming `version` (a version without the `schema` field gets none). */
const naming = (event: Record<string, unknown>, version: string, declaresSchema: boolean): Record<string, unknown> => {
  const { schema: _named, ...body } = event;
  return declaresSchema ? { ...body, schema: version } : body;
};

/** The event of a bad row's payload (a collector envelope's event, or the bare value); undefined when it is not JSON. */
function badRowEvent(row: BadRow): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(row.payload_base64, 'base64').toString('utf8')) as Record<string, unknown> | null;
    const event = value && typeof value === 'object' && value.v === 1 && 'event' in value ? value.event : value;
    return event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

runCli(async () => {
  const { values, positionals } = parseCli(USAGE, { days: { type: 'string' }, 'lake-bucket': { type: 'string' } });
  const [command, file] = positionals;
  if (command !== 'check' || !file) throw new UsageError(USAGE.trim());
  const days = intOption(values.days, 'days', 7, 1);
  const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

  let candidate: JsonSchemaNode;
  try {
    candidate = JSON.parse(readFileSync(path.resolve(file), 'utf8')) as JsonSchemaNode;
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
  const version = versionOfSchema(candidate) ?? /(\d+-\d+-\d+)\.json$/.exec(file)?.[1];
  if (!version) throw new UsageError(`${file}: its $id must end in /<MODEL>-<REVISION>-<ADDITION>.json (e.g. …/clickstream-event/1-2-0.json).`);
  if ((SCHEMA_VERSIONS as readonly string[]).includes(version))
    throw new UsageError(`${version} is live already, and a live version never changes (SchemaVer): give the change the next version number.`);
  const live = SCHEMA_VERSIONS.filter((v) => schemaVerStep(v, version) !== 'older').at(-1) ?? SCHEMA_VERSIONS[0]!;
  const baseline = JSON.parse(readFileSync(path.join(root, 'schemas/clickstream-event', `${live}.json`), 'utf8')) as JsonSchemaNode;
  let validate: Validator;
  try {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv, ['uuid', 'date-time']);
    validate = ajv.compile(candidate) as Validator;
  } catch (error) {
    throw new UsageError(`${file} is not a schema this project can compile: ${(error as Error).message}`);
  }
  const declaresSchema = candidate.properties?.schema !== undefined;
  const issues = (): ValidationIssue[] => (validate.errors ?? []).slice(0, 3).map((e) => schemaIssue(e));

  const bucket = values['lake-bucket'] ?? (await import('./local-env')).useLocalCloud().LakeBucketName;
  const today = new Date().toISOString().slice(0, 10);
  // replay's --to is exclusive.
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const dates = datesBetween(new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10), today);
  const raw = { events: 0, newly_failing: 0, examples: [] as { event_id: unknown; errors: ValidationIssue[] }[] };
  const bad = { rows: 0, schema_violations: 0, recovered: 0, recovered_if_named: 0, examples: [] as { event_id: unknown; names_it: boolean }[] };
  for (const dt of dates) {
    const rawKeys = await listObjects(bucket, `${LAKE_PREFIXES.raw}dt=${dt}/`);
    const badKeys = await listObjects(bucket, `${LAKE_PREFIXES.bad}dt=${dt}/`);
    say(`schema check: dt=${dt} — ${rawKeys.length} raw and ${badKeys.length} bad objects`);
    for (const { key } of rawKeys) {
      for (const row of await readJsonLines<LakeEvent>(bucket, key)) {
        raw.events++;
        const event = originalEvent(row) as unknown as Record<string, unknown>;
        if (validate(naming(event, version, declaresSchema))) continue;
        raw.newly_failing++;
        if (raw.examples.length < EXAMPLES) raw.examples.push({ event_id: event.event_id, errors: issues() });
      }
    }
    for (const { key } of badKeys) {
      for (const row of await readJsonLines<BadRow>(bucket, key)) {
        bad.rows++;
        if (row.type !== 'schema_violation' || row.payload_truncated) continue;
        bad.schema_violations++;
        const event = badRowEvent(row);
        if (!event) continue;
        const namesIt = event.schema === version;
        if (!validate(namesIt ? event : naming(event, version, declaresSchema))) continue;
        if (namesIt) bad.recovered++;
        else bad.recovered_if_named++;
        if (bad.examples.length < EXAMPLES) bad.examples.push({ event_id: event.event_id, names_it: namesIt });
      }
    }
  }

  const changes: FieldChange[] = schemaChanges(baseline, candidate);
  const lineage = featureLineage(readFileSync(path.join(root, 'glue/features.sql'), 'utf8'), [...FEATURE_NAMES, 'label']);
  const changedPaths = changes.map((c) => c.path);
  const hit = (reads: Iterable<string>) => [...reads].filter((read) => changedPaths.some((c) => touches(c, read)));
  const rowsHit = hit(lineage.rowSelection);
  const features = [...lineage.columns]
    .map(([column, reads]) => ({ column, fields: [...new Set([...hit(reads), ...rowsHit])] }))
    .filter((f) => f.fields.length > 0);
  const step = schemaVerStep(live, version);
  const breaking = raw.newly_failing > 0;
  const advice = breaking
    ? step === 'model'
      ? `${version} is a new MODEL, as a change that rejects accepted events must be: it needs its own raw table/prefix and trackers moved to it.`
      : `${version} would reject ${raw.newly_failing} event(s) that ${live} accepts: that is a breaking change — call it ${Number(version.split('-')[0]) + 1}-0-0 (SchemaVer MODEL), or relax it.`
    : raw.events === 0
      ? `No raw events in the last ${days} day(s): nothing was measured; try --days with a longer window.`
      : `${version} accepts every event ${live} accepted in the last ${days} day(s): safe to deploy (npm run codegen, then sls deploy).`;
  const report = { ok: !breaking, live, candidate: version, step, days, breaking, changes, raw, bad, features, advice };

  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const lines = [
      `${version} against the live ${live} (${step}), last ${days} day(s):`,
      `  fields changed      ${changes.map((c) => `${c.path} (${c.change})`).join(', ') || 'none'}`,
      `  raw events          ${raw.events} read, ${raw.newly_failing} would newly fail`,
      ...raw.examples.map((e) => `    ${String(e.event_id)}: ${e.errors.map((i) => `${i.path} ${i.message}`).join('; ')}`),
      `  bad rows            ${bad.rows} read, ${bad.schema_violations} schema violations: ${bad.recovered} recovered (they name ${version}), ${bad.recovered_if_named} more if their tracker named it`,
      ...(bad.recovered > 0 ? [`    once deployed: npm run replay -- --source bad --from ${dates[0]} --to ${tomorrow}`] : []),
      `  feature columns     ${features.map((f) => `${f.column} (${f.fields.join(', ')})`).join(', ') || 'none read a changed field'}`,
      `  ${advice}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (breaking) process.exitCode = 1;
});
