import {
  aliasKey,
  cutAtModelBoundary,
  groupModelItems,
  ITEM_PREFIX,
  movedBy,
  previousVersion,
  redactRunError,
  RegistryItemError,
  runKey,
  versionKey,
  type AliasChange,
} from '#domain/registry';
import { AdminRequestError, parseAliasMove, parseRollback } from '#domain/registry-requests';

const change = (from: string | null, to: string, kind?: AliasChange['kind'], by = 'test'): AliasChange => ({
  at: '2026-11-20T00:00:00.000Z',
  from,
  to,
  by,
  reason: 'r',
  ...(kind ? { kind } : {}),
});

describe('registry rules', () => {
  it('sorts the monitoring and canary items between aliases and runs, so a model is read around them (queryModel)', () => {
    const prefixes = [ITEM_PREFIX.alias, ITEM_PREFIX.canary, ITEM_PREFIX.monitor, ITEM_PREFIX.run, ITEM_PREFIX.version];
    expect([...prefixes].sort()).toEqual(prefixes);
  });

  it('rolls back to the version before the last version move, passing over canary/shadow/endpoint changes', () => {
    expect(previousVersion([change(null, 'v1'), change('v1', 'v2'), change('v2', 'v2', 'routing')])).toBe('v1');
    // Entries written before `kind` existed: a routing change was recorded as from = to.
    expect(previousVersion([change(null, 'v1'), change('v1', 'v2'), change('v2', 'v2')])).toBe('v1');
    expect(previousVersion([change(null, 'v1'), change('v1', 'v1', 'routing')])).toBeUndefined();
    expect(previousVersion([])).toBeUndefined();
  });

  it('knows whether an actor already moved the alias to a version (a retried promotion)', () => {
    const history = [change(null, 'v1'), change('v1', 'v2', 'version', 'training-workflow/run-2')];
    expect(movedBy(history, 'v2', 'training-workflow/run-2')).toBe(true);
    expect(movedBy(history, 'v2', 'training-workflow/run-3')).toBe(false);
    expect(movedBy([change('v2', 'v2', 'routing', 'training-workflow/run-2')], 'v2', 'training-workflow/run-2')).toBe(false);
  });

  it('shows a run error without ARNs, account ids, S3 URIs or stack frames', () => {
    const cause = JSON.stringify({
      errorMessage: 'AccessDenied on arn:aws:s3:::lake-123456789012-us-east-1/models/x reading s3://lake-123456789012/models/x',
      trace: ['Error: x', '    at f (/var/task/index.js:1:2)'],
    });
    const shown = redactRunError({ Error: 'States.TaskFailed', Cause: cause });
    expect(shown.Error).toBe('States.TaskFailed');
    expect(shown.Cause).toBe('AccessDenied on arn:… reading s3://…');
    expect(redactRunError({ Error: 'Error', Cause: `boom\n    at g (/src/a.ts:3:4)\n${'x'.repeat(1000)}` }).Cause).toBe('boom');
    expect(redactRunError({ Error: 'E', Cause: 'y'.repeat(1000) }).Cause).toHaveLength(300);
  });

  it('cuts a scan page after its last whole model', () => {
    const items = ['a', 'a', 'b', 'b', 'c'].map((model_name, i) => ({ model_name, sk: `k${i}` }));
    expect(cutAtModelBoundary(items, false)).toEqual({ items: items.slice(0, 4), last: items[3] });
    expect(cutAtModelBoundary(items, true)).toEqual({ items });
    expect(cutAtModelBoundary(items.slice(0, 2), false)).toBeUndefined();
  });
});

describe('registry items', () => {
  const version = {
    model_name: 'm',
    sk: versionKey('v1'),
    version: 'v1',
    kind: 'gbdt',
    created_at: '2026-11-20T00:00:00.000Z',
    artifact: { uri: 's3://b/k', sha256: 'ab', bytes: 2 },
    feature_spec: ['a'],
    metrics: {},
    data: { from: '2026-11-01', to: '2026-11-02', partitions: [] },
    job_id: 'j',
    code_version: 'c',
  };
  const alias = { model_name: 'm', sk: aliasKey('production'), alias: 'production', version: 'v1', updated_at: '2026-11-20T00:00:00.000Z', history: [] };
  const run = { model_name: 'm', sk: runKey('r1'), run_id: 'r1', outcome: 'rejected', at: '2026-11-20T00:00:00.000Z', reasons: ['worse'] };

  it("groups one model's items by the sort key's prefix and leaves other kinds out", () => {
    expect(groupModelItems([alias, run, version, { model_name: 'm', sk: 'note#x' }])).toEqual({ versions: [version], aliases: [alias], runs: [run] });
  });

  it('names the item and the field when a stored item lacks the shape its key promises', () => {
    expect(() => groupModelItems([{ ...version, artifact: { ...version.artifact, sha256: 7 } }])).toThrow(
      new RegistryItemError('registry item m / version#v1: "artifact.sha256" should be a string, is number.'),
    );
    expect(() => groupModelItems([{ ...alias, history: 'none' }])).toThrow('"history" should be an array, is string');
    expect(() => groupModelItems([{ ...run, reasons: 'worse' }])).toThrow('"reasons" should be an array, is string');
  });
});

describe('admin request bodies (schemas/admin-request.schema.json)', () => {
  it('takes an alias move with a version, and a rollback with nothing', () => {
    expect(parseAliasMove({ version: 'v2', expected_version: 'v1', reason: 'better' })).toEqual({ version: 'v2', expected_version: 'v1', reason: 'better' });
    expect(parseRollback(undefined)).toEqual({});
    expect(parseRollback({ alias: 'staging' })).toEqual({ alias: 'staging' });
  });

  it('refuses, with each reason, a missing version, unknown fields, bad names and empty reasons', () => {
    const details = (parse: () => unknown) => {
      try {
        parse();
      } catch (error) {
        expect(error).toBeInstanceOf(AdminRequestError);
        return (error as AdminRequestError).details;
      }
      throw new Error('accepted');
    };
    expect(details(() => parseAliasMove(undefined))).toEqual([{ path: '/', message: "must have required property 'version'" }]);
    expect(details(() => parseAliasMove({ version: 'v1', force: true }))).toEqual([{ path: '/force', message: 'is not allowed' }]);
    expect(details(() => parseAliasMove({ version: 'v 1', reason: '' }))).toEqual([
      { path: '/version', message: 'must match pattern "^[A-Za-z0-9._-]{1,64}$"' },
      { path: '/reason', message: 'must NOT have fewer than 1 characters' },
    ]);
    expect(details(() => parseRollback({ alias: 'Production' }))).toEqual([{ path: '/alias', message: 'must match pattern "^[a-z0-9_-]{1,32}$"' }]);
    expect(details(() => parseRollback([]))).toEqual([{ path: '/', message: 'must be object' }]);
  });
});
