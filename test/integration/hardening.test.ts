import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomUUID } from 'node:crypto';
import { listObjects } from '#adapters/s3';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import { addFaults, clearFaults, drain, faults, functionLogLine, lakeRows, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

/** What one anonymous request (or one odd producer) could do to the pipeline before, and cannot now. */
describe('hardening: nothing a client sends stalls, mis-routes or bills the pipeline', () => {
  const run = randomUUID();
  const raw = async (prefix: string) => (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.session_id.startsWith(prefix));

  it('keeps a leap-second event as a typed bad row; the rest of its batch lands', async () => {
    const session = `${run}-leap`;
    const good = makeEvent({ session_id: session, event_time: new Date().toISOString() });
    const leap = makeEvent({ session_id: session, event_time: '2016-12-31T23:59:60Z' });
    const response = await postEvents([good, leap]);
    expect(response).toMatchObject({ status: 202, body: { accepted: 1, rejected: [{ index: 1, errors: [{ path: '/event_time' }] }] } });
    await drain();
    expect((await raw(session)).map((r) => r.row.event_id)).toEqual([good.event_id]);
    const bad = (await lakeRows<BadRow>('bad')).filter((r) => r.row.event_id === leap.event_id);
    expect(bad.map((r) => r.row.type)).toEqual(['schema_violation']);
  });

  it('cannot spread valid events over more partitions than Firehose buffers: 600 hours of history land in the arrival hour, flagged', async () => {
    const session = `${run}-spread`;
    const base = Date.parse('2020-01-01T00:00:00Z');
    const events = Array.from({ length: 600 }, (_, i) =>
      makeEvent({ session_id: `${session}-${i % 5}`, event_time: new Date(base + i * 3_600_000).toISOString() }),
    );
    const future = makeEvent({ session_id: `${session}-future`, event_time: '2031-01-01T00:00:00Z' });
    for (const batch of [events.slice(0, 300), events.slice(300), [future]]) expect((await postEvents(batch)).status).toBe(202);
    await drain();
    const rows = await raw(session);
    expect(rows).toHaveLength(601);
    expect(new Set(rows.map((r) => r.partition)).size).toBeLessThanOrEqual(2);
    for (const { row, partition } of rows) {
      expect(partition).toBe(`dt=${row.partition_time.slice(0, 10)}/hour=${row.partition_time.slice(11, 13)}`);
      expect(row.partition_time.slice(0, 13)).toBe(row.received_at.slice(0, 13));
    }
    expect(rows.filter((r) => r.row.event_time_status === 'late')).toHaveLength(600);
    expect(rows.find((r) => r.row.event_id === future.event_id)!.row).toMatchObject({ event_time: '2031-01-01T00:00:00.000Z', event_time_status: 'future' });
    expect(await listObjects(outputs().LakeBucketName!, 'errors/raw/activePartitionExceeded/')).toEqual([]);
  });

  it('accepts a bare contract event another producer puts on the stream, received when Kinesis says it arrived', async () => {
    const kinesis = new KinesisClient({ endpoint: outputs().Endpoint, requestHandler: new NodeHttpHandler() });
    const event = makeEvent({
      session_id: `${run}-bare`,
      event_type: 'purchase',
      order: { id: 'o-1', revenue: 12.5, currency: 'EUR' },
      event_time: new Date().toISOString(),
    });
    const before = Date.now();
    await kinesis.send(
      new PutRecordCommand({ StreamName: outputs().ClickstreamStreamName, PartitionKey: event.session_id, Data: Buffer.from(JSON.stringify(event)) }),
    );
    await drain();
    const [row] = (await raw(`${run}-bare`)).map((r) => r.row);
    expect(row).toMatchObject({ event_id: event.event_id, received_via: 'stream', order: event.order });
    expect(Date.parse(row!.received_at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('delivers anyway while the dedup table is browned out, and counts what skipped the check', async () => {
    const session = `${run}-brownout`;
    const events = Array.from({ length: 30 }, () => makeEvent({ session_id: session, event_time: new Date().toISOString() }));
    await addFaults([
      { service: 'dynamodb', operation: 'BatchGetItem', type: 'throttle', count: 1000, match: events[0]!.event_id, errorCode: 'InternalServerError' },
    ]);
    try {
      expect((await postEvents(events)).status).toBe(202);
      await drain();
      expect(await faults('dynamodb')).toEqual([expect.objectContaining({ count: expect.any(Number) })]);
      expect(((await faults('dynamodb')) as { count: number }[])[0]!.count).toBeLessThan(1000);
    } finally {
      await clearFaults('dynamodb');
    }
    expect((await raw(session)).map((r) => r.row.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    const metrics = await functionLogLine((line) => line.includes('"DedupSkipped"') && !line.includes('"DedupSkipped":0'));
    expect(metrics.DedupSkipped).toBeGreaterThan(0);
  });

  it('answers junk with a small 4xx: deep nesting, invalid UTF-8, and 500 events with every error they can have', async () => {
    const deep = await postEvents('['.repeat(200_000) + ']'.repeat(200_000));
    expect(deep).toMatchObject({ status: 400, body: { message: expect.stringMatching(/deeper than/) } });
    // 400 kB of invalid UTF-8: refused as such when the gateway hands over the bytes (base64), or — where it has
    // already replaced each byte with U+FFFD (serverless-offline does) — refused for the 1.2 MB that became.
    const bytes = Buffer.concat([Buffer.from('[{"event_type":"'), Buffer.alloc(400_000, 0xc3), Buffer.from('"}]')]);
    const response = await fetch(`${outputs().ApiUrl}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
    const refused = { status: response.status, body: (await response.json()) as { message: string } };
    expect([400, 413]).toContain(refused.status);
    expect(refused.body.message).toMatch(/UTF-8|limit is 1000000/);
    const junk = Array.from({ length: 500 }, (_, i) => ({
      event_id: `${run}-${i}`.padEnd(1500, 'x'),
      event_type: 7,
      event_time: 'yesterday',
      session_id: '',
      anonymous_id: [],
      extra: 'no',
      page: 1,
    }));
    const answer = await fetch(`${outputs().ApiUrl}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(junk) });
    expect(answer.status).toBe(202);
    expect((await answer.text()).length).toBeLessThan(200_000);
  });

  it('keeps an oversized invalid event as a bad row of its first bytes, its size and its SHA-256', async () => {
    const big = { ...makeEvent({ session_id: `${run}-big` }), event_type: 'teleport', extra: { blob: 'x'.repeat(600_000) } };
    expect((await postEvents([big])).status).toBe(202);
    await drain();
    const [row] = (await lakeRows<BadRow>('bad')).filter((r) => r.row.event_id === big.event_id).map((r) => r.row);
    expect(row).toMatchObject({ payload_truncated: true, payload_bytes: expect.any(Number), payload_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Buffer.from(row!.payload_base64, 'base64').length).toBe(4096);
  });
});
