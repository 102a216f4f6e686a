import { decodeRecord } from '#domain/events/envelope';
import { BatchShapeError, planCollect } from '#domain/collect';
import { makeEvent } from '../../helpers/events';

describe('planCollect', () => {
  it('wraps every event (valid or not) and lists the invalid ones', () => {
    const good = makeEvent();
    const plan = planCollect([good, { event_id: 'x' }], '2026-11-20T12:00:00.000Z');
    expect(plan.accepted).toBe(1);
    expect(plan.rejected).toEqual([{ index: 1, event_id: 'x', errors: expect.any(Array) }]);
    expect(plan.records).toHaveLength(2);
    expect(plan.records[0]!.partitionKey).toBe(good.session_id);
    expect(decodeRecord(Buffer.from(plan.records[0]!.data), () => '2026-11-20T12:00:05.000Z')).toEqual({
      received_at: '2026-11-20T12:00:00.000Z',
      event: good,
      via: 'collector',
    });
  });

  it('takes a single object as a batch of one', () => {
    expect(planCollect(makeEvent(), 'now').accepted).toBe(1);
  });

  it('refuses empty and oversized batches', () => {
    expect(() => planCollect([], 'now')).toThrow(BatchShapeError);
    expect(() =>
      planCollect(
        Array.from({ length: 501 }, () => makeEvent()),
        'now',
      ),
    ).toThrow(/limit is 500/);
  });

  it('keeps the answer small: every rejected event listed, errors for the first 50, at most 3 each', () => {
    const junk = Array.from({ length: 500 }, (_, i) => ({ event_id: `x${i}`.repeat(100), event_type: 'nope', a: 1, b: 2, c: 3 }));
    const plan = planCollect(junk, '2026-11-20T12:00:00.000Z');
    expect(plan.rejected).toHaveLength(500);
    expect(plan.rejected.filter((r) => r.errors.length > 0)).toHaveLength(50);
    expect(Math.max(...plan.rejected.map((r) => r.errors.length))).toBe(4);
    expect(JSON.stringify(plan.rejected).length).toBeLessThan(200_000);
  });

  it('refuses an event that could not be put on the stream once wrapped (a Kinesis record holds 1 MiB)', () => {
    expect(() => planCollect({ ...makeEvent(), extra: { blob: 'x'.repeat(1_100_000) } }, '2026-11-20T12:00:00.000Z')).toThrow(/once wrapped for the stream/);
  });
});
