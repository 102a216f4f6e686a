import { planCollect } from '#domain/collect';
import { decodeRecord, observedFrom } from '#domain/events/envelope';
import { classify } from '#domain/ingest';
import { originalEvent, replayEnvelope, selectRawEvents } from '#domain/replay';
import { makeEvent } from '../../../helpers/events';

const receivedAt = '2026-11-29T10:00:00.000Z';
const observed = { ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/150.0.0.0' };

/** What the collector saw of a request travels beside the event, into its own lake fields, and through a replay. */
describe('server-observed request facts', () => {
  it('are kept apart from what the client claimed, IPs anonymized, from the collector to the lake row and back through a replay', () => {
    const sent = makeEvent({ context: { user_agent: 'claimed-by-client', ip: '10.0.0.1' } });
    const [record] = planCollect(sent, receivedAt, observed).records;
    const envelope = JSON.parse(Buffer.from(record!.data).toString('utf8'));
    // Both IPs lose their last octet before anything is put on the stream; the event is otherwise as sent.
    const event = { ...sent, context: { ...sent.context, ip: '10.0.0.0' } };
    const seen = { ...observed, ip: '203.0.113.0' };
    expect(envelope).toEqual({ v: 1, received_at: receivedAt, observed: seen, event });

    const [outcome] = classify(
      { recordId: 'r', data: Buffer.from(record!.data), stream: 's', partitionKey: 'p', sequenceNumber: '1', approximateArrival: Date.parse(receivedAt) / 1000 },
      '2026-11-29T10:00:01.000Z',
    );
    if (outcome?.kind !== 'valid') throw new Error(`not valid: ${JSON.stringify(outcome)}`);
    const row = outcome.event;
    expect(row).toMatchObject({ observed_ip: seen.ip, observed_user_agent: observed.user_agent, context: { user_agent: 'claimed-by-client', ip: '10.0.0.0' } });
    // The client's own user agent decides the device class; the row's event, stripped, is the event as the collector kept it.
    expect(row.device_class).toBe('desktop');
    expect(originalEvent(row)).toEqual(event);

    const { selected } = selectRawEvents([{ key: 'k', row }], { from: 0, to: Date.parse('2100-01-01') });
    expect(replayEnvelope(selected[0]!, 'replay-1')).toMatchObject({ observed: seen, replay_id: 'replay-1', event });
  });

  it('are cut to what the lake keeps, and junk in an envelope is ignored', () => {
    expect(observedFrom('x'.repeat(100), 'y'.repeat(5000))).toEqual({ ip: 'x'.repeat(45), user_agent: 'y'.repeat(1024) });
    expect(observedFrom(undefined, '')).toBeUndefined();
    const decoded = decodeRecord(Buffer.from(JSON.stringify({ v: 1, received_at: receivedAt, observed: { ip: 42, user_agent: ['no'] }, event: {} })), () => receivedAt);
    expect(decoded.observed).toBeUndefined();
  });
});
