import { cutAtModelBoundary, movedBy, previousVersion, redactRunError, type AliasChange } from '../../../src/domain/registry';

const change = (from: string | null, to: string, kind?: AliasChange['kind'], by = 'test'): AliasChange => ({
  at: '2026-11-20T00:00:00.000Z',
  from,
  to,
  by,
  reason: 'r',
  ...(kind ? { kind } : {}),
});

describe('registry rules', () => {
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
