import { decodeEnvelope } from '../../../src/domain/events/envelope';
import { BatchShapeError, planCollect } from '../../../src/domain/collect';
import { makeEvent } from '../../helpers/events';

describe('planCollect', () => {
  it('wraps every event (valid or not) and lists the invalid ones', () => {
    const good = makeEvent();
    const plan = planCollect([good, { event_id: 'x' }], '2026-11-20T12:00:00.000Z');
    expect(plan.accepted).toBe(1);
    expect(plan.rejected).toEqual([{ index: 1, event_id: 'x', errors: expect.any(Array) }]);
    expect(plan.records).toHaveLength(2);
    expect(plan.records[0]!.partitionKey).toBe(good.session_id);
    expect(decodeEnvelope(Buffer.from(plan.records[0]!.data))).toEqual({ v: 1, received_at: '2026-11-20T12:00:00.000Z', event: good });
  });

  it('takes a single object as a batch of one', () => {
    expect(planCollect(makeEvent(), 'now').accepted).toBe(1);
  });

  it('refuses empty and oversized batches', () => {
    expect(() => planCollect([], 'now')).toThrow(BatchShapeError);
    expect(() => planCollect(Array.from({ length: 501 }, () => makeEvent()), 'now')).toThrow(/limit is 500/);
  });
});
