/**
 * What changed between two versions of the event contract, field by field (JSON Schema `properties`, nested), and
 * what SchemaVer says the change should be called. Whether it breaks events is measured on real events by
 * `npm run schema -- check`; this names the fields.
 */

export interface JsonSchemaNode {
  $id?: string;
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaNode;
  [keyword: string]: unknown;
}

export interface FieldChange {
  path: string;
  change: 'added' | 'removed' | 'changed' | 'now required' | 'now optional';
}

/** The node's own constraints (its fields are compared one by one; descriptions do not change meaning). */
const own = (node: JsonSchemaNode): string => {
  const { properties: _p, required: _r, description: _d, title: _t, $id: _i, $schema: _s, ...rest } = node;
  return JSON.stringify(rest, Object.keys(rest).sort());
};

/**
 * Field-level differences from `from` to `to`. The `schema` field (each version names itself) is left out.
 */
export function schemaChanges(from: JsonSchemaNode, to: JsonSchemaNode, prefix = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  const a = from.properties ?? {};
  const b = to.properties ?? {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const path = `${prefix}${name}`;
    if (path === 'schema') continue;
    const [was, is] = [a[name], b[name]];
    if (!was) changes.push({ path, change: 'added' });
    else if (!is) changes.push({ path, change: 'removed' });
    else {
      if (own(was) !== own(is)) changes.push({ path, change: 'changed' });
      const [req, nowReq] = [from.required?.includes(name) ?? false, to.required?.includes(name) ?? false];
      if (req !== nowReq) changes.push({ path, change: nowReq ? 'now required' : 'now optional' });
      changes.push(...schemaChanges(was, is, `${path}.`));
    }
  }
  return changes;
}

/** "1-2-0" from a schema's $id (…/clickstream-event/1-2-0.json). */
export const versionOfSchema = (schema: JsonSchemaNode): string | undefined => /\/(\d+-\d+-\d+)\.json$/.exec(schema.$id ?? '')?.[1];

/** SchemaVer MODEL-REVISION-ADDITION: which part moved from `from` to `to`. */
export function schemaVerStep(from: string, to: string): 'model' | 'revision' | 'addition' | 'same' | 'older' {
  const [a, b] = [from.split('-').map(Number), to.split('-').map(Number)];
  for (const [i, kind] of (['model', 'revision', 'addition'] as const).entries()) {
    if (b[i]! > a[i]!) return kind;
    if (b[i]! < a[i]!) return 'older';
  }
  return 'same';
}
