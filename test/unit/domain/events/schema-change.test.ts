import { readFileSync } from 'node:fs';
import path from 'node:path';
import { schemaChanges, schemaVerStep, versionOfSchema, type JsonSchemaNode } from '#domain/events/schema-change';
import { featureLineage, touches } from '#domain/features/lineage';
import { FEATURE_NAMES } from '#domain/features/spec';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const schema = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as JsonSchemaNode;

describe('contract changes', () => {
  it('names what 1-1-0 added to 1-0-0, field by field', () => {
    expect(schemaChanges(schema('schemas/clickstream-event/1-0-0.json'), schema('schemas/clickstream-event/1-1-0.json'))).toEqual([
      { path: 'consent', change: 'added' },
      { path: 'context.screen', change: 'added' },
      { path: 'context.timezone', change: 'added' },
      { path: 'tracker', change: 'added' },
    ]);
  });

  it('sees tightened constraints, removed fields and fields made required, not reworded descriptions', () => {
    const from: JsonSchemaNode = { properties: { a: { type: 'number', description: 'x' }, b: { type: 'string' }, c: { type: 'string' } } };
    const to: JsonSchemaNode = { required: ['c'], properties: { a: { type: 'number', maximum: 5, description: 'y' }, c: { type: 'string', description: 'z' } } };
    expect(schemaChanges(from, to)).toEqual([
      { path: 'a', change: 'changed' },
      { path: 'b', change: 'removed' },
      { path: 'c', change: 'now required' },
    ]);
  });

  it('reads versions as SchemaVer MODEL-REVISION-ADDITION', () => {
    expect(versionOfSchema(schema('schemas/clickstream-event/1-1-0.json'))).toBe('1-1-0');
    expect([schemaVerStep('1-1-0', '1-2-0'), schemaVerStep('1-1-0', '1-1-1'), schemaVerStep('1-1-0', '2-0-0'), schemaVerStep('1-1-0', '1-0-9')]).toEqual([
      'revision',
      'addition',
      'model',
      'older',
    ]);
  });
});

describe('feature lineage of glue/features.sql', () => {
  const lineage = featureLineage(readFileSync(path.join(root, 'glue/features.sql'), 'utf8'), [...FEATURE_NAMES, 'label']);
  const reads = (column: string) => [...lineage.columns.get(column)!].sort();

  it('follows each column back to the event fields it reads, through the CTEs and the enrichments', () => {
    expect(reads('mean_viewed_price')).toEqual(['event_type', 'product.price']);
    expect(reads('n_distinct_categories')).toEqual(['product.category']);
    expect(reads('device_mobile')).toEqual(['context.user_agent']);
    expect(reads('referrer_search')).toEqual(['page.referrer']);
    expect(reads('previous_sessions')).toEqual(['anonymous_id', 'event_time', 'session_id']);
    expect(reads('label')).toEqual(['event_time', 'event_type']);
    expect([...lineage.rowSelection]).toEqual(expect.arrayContaining(['event_id', 'session_id', 'event_type', 'event_time']));
  });

  it('relates a change to the reads inside and around it', () => {
    expect([touches('product', 'product.price'), touches('product.price', 'product'), touches('product.id', 'product.price')]).toEqual([true, true, false]);
  });
});
