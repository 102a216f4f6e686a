import { decodeRecord } from '#domain/events/envelope';
import { BatchShapeError, MAX_RECORD_BYTES, planCollect } from '#domain/collect';
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
      events: [good],
      several: false,
      via: 'collector',
    });
  });

  it("puts a request's events of one session in one record, in order, invalid ones too", () => {
    const session = makeEvent().session_id;
    const events = [makeEvent({ session_id: session }), makeEvent(), makeEvent({ session_id: session }), { session_id: session, event_id: 'bad' }];
    const plan = planCollect(events, '2026-11-20T12:00:00.000Z', { ip: '203.0.113.9' });
    expect(plan.records.map((r) => ({ key: r.partitionKey, events: r.events, valid: r.valid }))).toEqual([
      { key: session, events: [0, 2, 3], valid: [0, 2] },
      { key: events[1]!.session_id, events: [1], valid: [1] },
    ]);
    const envelope = JSON.parse(Buffer.from(plan.records[0]!.data).toString('utf8'));
    expect(envelope).toEqual({ v: 1, received_at: '2026-11-20T12:00:00.000Z', observed: { ip: '203.0.113.0' }, events: [events[0], events[2], events[3]] });
    expect(decodeRecord(Buffer.from(plan.records[0]!.data), () => 'unused')).toMatchObject({ events: [events[0], events[2], events[3]], several: true });
  });

  it('splits a session only where its record would pass the Kinesis record limit', () => {
    const session = 's-big';
    const events = Array.from({ length: 4 }, () => makeEvent({ session_id: session, extra: { blob: 'x'.repeat(300_000) } }));
    const plan = planCollect(events, '2026-11-20T12:00:00.000Z');
    expect(plan.records.map((r) => r.events)).toEqual([[0, 1, 2], [3]]);
    expect(Math.max(...plan.records.map((r) => r.data.length))).toBeLessThanOrEqual(MAX_RECORD_BYTES);
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

  describe('consent', () => {
    const at = '2026-11-20T12:00:00.000Z';
    const granted = makeEvent({ schema: '1-1-0', consent: { analytics: true } });
    const denied = makeEvent({ schema: '1-1-0', consent: { analytics: false } });
    const deniedAndInvalid = { ...makeEvent({ schema: '1-1-0', consent: { analytics: false } }), event_id: 'not-a-uuid' };
    const malformed = { ...makeEvent({ schema: '1-1-0' }), consent: { analytics: 'yes' } };
    const unstated = makeEvent();
    const recordsHold = (plan: ReturnType<typeof planCollect>) => plan.records.flatMap((r) => r.events).sort();

    it("drops events whose analytics consent is not granted, valid or not, and counts them; indexes stay the request's", () => {
      const plan = planCollect([denied, granted, deniedAndInvalid, malformed, unstated], at);
      expect(plan).toMatchObject({ accepted: 2, rejected: [], withoutConsent: 3 });
      expect(recordsHold(plan)).toEqual([1, 4]);
      const stored = plan.records.map((r) => Buffer.from(r.data).toString()).join('');
      for (const event of [denied, deniedAndInvalid]) expect(stored).not.toContain(event.event_id);
    });

    it('drops events that state no consent too when the stage requires it', () => {
      const plan = planCollect([unstated, granted], at, undefined, { ip: { ipv4KeepOctets: 3, ipv6KeepGroups: 3 }, requireConsent: true });
      expect(plan).toMatchObject({ accepted: 1, withoutConsent: 1 });
      expect(recordsHold(plan)).toEqual([1]);
    });
  });
});
