import { encodeEnvelope } from '#domain/events/envelope';
import { classify, ingestBatch, type DedupPort, type DeliveryPort, type StreamRecord } from '#domain/ingest';
import { makeEvent } from '../../helpers/events';

/** In-memory ports stand in for Firehose and DynamoDB here; the integration tests run the real ones. */
function memoryPorts(options: { failRaw?: (row: any) => boolean; markFails?: boolean; lookupFails?: boolean } = {}) {
  const delivered: Record<'raw' | 'bad', any[]> = { raw: [], bad: [] };
  const seen = new Set<string>();
  const to =
    (target: 'raw' | 'bad') =>
    async (rows: readonly unknown[]): Promise<{ failed: { index: number; error: string }[] }> => {
      const failed: { index: number; error: string }[] = [];
      rows.forEach((row, index) =>
        target === 'raw' && options.failRaw?.(row) ? failed.push({ index, error: 'ServiceUnavailableException' }) : delivered[target].push(row),
      );
      return { failed };
    };
  const delivery: DeliveryPort = { raw: to('raw'), bad: to('bad') };
  const dedup: DedupPort = {
    findSeen: async (ids) => {
      if (options.lookupFails) throw new Error('dedup lookup of 1 event ids failed after retries');
      return new Set(ids.filter((id) => seen.has(id)));
    },
    markSeen: async (ids) => {
      if (options.markFails) throw new Error('ProvisionedThroughputExceededException');
      ids.forEach((id) => seen.add(id));
    },
  };
  return { delivered, seen, ports: { delivery, dedup, now: () => '2026-11-20T12:00:00.000Z' } };
}

let sequence = 0;
const record = (payload: unknown): StreamRecord => ({
  recordId: `shardId-000000000000:${sequence + 1}`,
  data: Buffer.from(typeof payload === 'string' ? payload : encodeEnvelope({ v: 1, received_at: '2026-11-20T11:59:59.000Z', event: payload })),
  stream: 'clickstream',
  partitionKey: 'pk',
  sequenceNumber: String(++sequence),
  approximateArrival: 1_795_600_000,
});

describe('ingestBatch', () => {
  it('sends valid events to raw, bad ones to bad, and drops duplicates within the batch', async () => {
    const { delivered, ports } = memoryPorts();
    const a = makeEvent();
    const { outcomes, summary } = await ingestBatch([record(a), record(a), record({ nope: 1 }), record('{not json')], ports);
    expect(outcomes).toEqual(['delivered', 'duplicate', 'bad_row', 'bad_row']);
    expect(summary).toEqual({ delivered: 1, badRows: 2, duplicates: 1, failed: 0 });
    expect(delivered.raw.map((r) => r.event_id)).toEqual([a.event_id]);
    expect(delivered.bad.map((r) => r.type)).toEqual(['schema_violation', 'decode_error']);
    expect(Buffer.from(delivered.bad[1].payload_base64, 'base64').toString()).toBe('{not json');
  });

  it('drops events delivered by an earlier batch, and marks only delivered ones as seen', async () => {
    const { delivered, seen, ports } = memoryPorts({ failRaw: (row) => row.session_id === 'flaky' });
    const first = makeEvent();
    const failing = makeEvent({ session_id: 'flaky' });
    await ingestBatch([record(first)], ports);
    const { outcomes } = await ingestBatch([record(first), record(failing)], ports);
    expect(outcomes[0]).toBe('duplicate');
    expect(outcomes[1]).toBeInstanceOf(Error);
    expect(delivered.raw).toHaveLength(1);
    expect(seen.has(failing.event_id)).toBe(false);
  });

  it('fails the duplicate of a failed event too, so the re-drive cannot lose it', async () => {
    const { ports } = memoryPorts({ failRaw: () => true });
    const event = makeEvent();
    const { outcomes } = await ingestBatch([record(event), record(event)], ports);
    expect(outcomes.every((o) => o instanceof Error)).toBe(true);
  });

  it('keeps delivered events delivered when marking them seen fails', async () => {
    const { delivered, ports } = memoryPorts({ markFails: true });
    const { outcomes, summary } = await ingestBatch([record(makeEvent())], ports);
    expect(outcomes).toEqual(['delivered']);
    expect(summary.dedupMarkError).toContain('ProvisionedThroughputExceeded');
    expect(delivered.raw).toHaveLength(1);
  });

  it('writes a re-driven bad row once', async () => {
    const { delivered, ports } = memoryPorts();
    const bad = record({ nope: 1 });
    expect((await ingestBatch([bad], ports)).outcomes).toEqual(['bad_row']);
    expect((await ingestBatch([bad], ports)).outcomes).toEqual(['duplicate']);
    expect(delivered.bad).toHaveLength(1);
  });

  it('works without a dedup table (stage param off)', async () => {
    const { delivered, ports } = memoryPorts();
    const event = makeEvent();
    await ingestBatch([record(event)], { delivery: ports.delivery, now: ports.now });
    await ingestBatch([record(event)], { delivery: ports.delivery, now: ports.now });
    expect(delivered.raw).toHaveLength(2);
  });

  it('delivers the batch when the dedup store cannot be read (fails open), and says so', async () => {
    const { delivered, ports } = memoryPorts({ lookupFails: true });
    const event = makeEvent();
    const { outcomes, summary } = await ingestBatch([record(event), record(event)], ports);
    expect(outcomes).toEqual(['delivered', 'duplicate']);
    expect(summary.dedupLookupError).toMatch(/dedup lookup/);
    expect(delivered.raw.map((r) => r.event_id)).toEqual([event.event_id]);
  });
});

it('gives up on a dedup store that stops answering, and delivers anyway', async () => {
  const { delivered, ports } = memoryPorts();
  const hung = { findSeen: () => new Promise<Set<string>>(() => undefined), markSeen: () => new Promise<void>(() => undefined) };
  const { outcomes, summary } = await ingestBatch([record(makeEvent())], { ...ports, dedup: hung, dedupDeadlineMs: 50 });
  expect(outcomes).toEqual(['delivered']);
  expect(summary).toMatchObject({ dedupLookupError: expect.stringMatching(/longer than 50 ms/), dedupMarkError: expect.stringMatching(/longer than 50 ms/) });
  expect(delivered.raw).toHaveLength(1);
});

describe('a record of several events (one request, one session)', () => {
  const several = (events: unknown[]): StreamRecord => ({
    ...record(''),
    data: Buffer.from(JSON.stringify({ v: 1, received_at: '2026-11-20T11:59:59.000Z', observed: { ip: '203.0.113.9' }, events })),
  });

  it('delivers each event, keeps each invalid one as a bad row holding its own single-event envelope', async () => {
    const { delivered, ports } = memoryPorts();
    const [a, b] = [makeEvent(), makeEvent()];
    const { outcomes, summary } = await ingestBatch([several([a, { event_id: 'broken' }, b, a])], ports);
    expect(outcomes).toEqual(['delivered']);
    expect(summary).toMatchObject({ delivered: 2, badRows: 1, duplicates: 1, failed: 0 });
    expect(delivered.raw.map((r) => r.event_id)).toEqual([a.event_id, b.event_id]);
    // Another producer's envelope with a full IP: the lake row and the bad row both keep it anonymized.
    expect(delivered.raw[0]).toMatchObject({ observed_ip: '203.0.113.0', received_at: '2026-11-20T11:59:59.000Z' });
    const payload = JSON.parse(Buffer.from(delivered.bad[0].payload_base64, 'base64').toString('utf8'));
    expect(payload).toEqual({ v: 1, received_at: '2026-11-20T11:59:59.000Z', observed: { ip: '203.0.113.0' }, event: { event_id: 'broken' } });
  });

  it('fails the whole record when one of its events could not be delivered, so Lambda re-drives it', async () => {
    const failing = makeEvent();
    const { ports } = memoryPorts({ failRaw: (row) => row.event_id === failing.event_id });
    const { outcomes, summary } = await ingestBatch([several([makeEvent(), failing]), record(makeEvent())], ports);
    expect(outcomes[0]).toBeInstanceOf(Error);
    expect(outcomes[1]).toBe('delivered');
    expect(summary).toMatchObject({ delivered: 2, failed: 1 });
  });

  it('an envelope with an empty events list is not an envelope: its bad row says what it is', () => {
    expect(classify(several([]), '2026-11-20T12:00:00.000Z')).toMatchObject([{ kind: 'bad', row: { type: 'schema_violation' } }]);
  });
});

describe('bad rows keep ids and IPs as the lake does', () => {
  const now = '2026-11-20T12:00:00.000Z';
  const pseudonymize = { fields: ['user_id', 'anonymous_id'] as const, key: Buffer.from('k'.repeat(32)) };
  const payloadOf = (result: ReturnType<typeof classify>) => {
    const bad = result[0]!;
    if (bad.kind !== 'bad') throw new Error('expected a bad row');
    return Buffer.from(bad.row.payload_base64, 'base64');
  };

  it('pseudonymizes and anonymizes an invalid event another producer put on the stream as it was', () => {
    const event = { ...makeEvent({ user_id: 'jane@example.com', anonymous_id: 'visitor-jane', context: { ip: '198.51.100.77' } }), event_type: 'teleport' };
    const payload = payloadOf(classify({ ...record(''), data: Buffer.from(JSON.stringify(event)) }, now, { pseudonymize }));
    const kept = JSON.parse(payload.toString('utf8'));
    expect(kept).toMatchObject({ event_type: 'teleport', context: { ip: '198.51.100.0' }, user_id: expect.stringMatching(/^ps_[0-9a-f]{64}$/) });
    expect(payload.toString('utf8')).not.toMatch(/jane|198\.51\.100\.77/);
  });

  it('keeps the record’s own bytes when the collector already did it', () => {
    const data = Buffer.from(
      encodeEnvelope({
        v: 1,
        received_at: now,
        event: { ...makeEvent({ anonymous_id: `ps_${'0'.repeat(64)}`, context: { ip: '198.51.100.0' } }), event_type: 'teleport' },
      }),
    );
    expect(payloadOf(classify({ ...record(''), data }, now, { pseudonymize }))).toEqual(data);
  });
});

describe('classify: one record never fails its batch', () => {
  const now = '2026-11-20T12:00:00.000Z';

  it('turns a leap second (schema-valid date-time, no instant) into a typed bad row instead of throwing', () => {
    const [result] = classify(record(makeEvent({ event_time: '2026-06-30T23:59:60Z' })), now);
    expect(result).toMatchObject({
      kind: 'bad',
      row: { type: 'schema_violation', errors: [{ path: '/event_time', message: expect.stringMatching(/leap second/) }] },
    });
  });

  it('turns any other per-record failure into an enrichment_error bad row', () => {
    const data = Buffer.from(JSON.stringify({ v: 1, received_at: 'not a time', event: makeEvent() }));
    expect(classify({ ...record(''), data }, now)[0]).toMatchObject({
      kind: 'bad',
      row: { type: 'enrichment_error', errors: [{ message: expect.stringMatching(/received_at/) }] },
    });
  });

  it('accepts a bare contract event put on the stream by another producer, received when Kinesis says it arrived', () => {
    const event = makeEvent({ event_time: '2026-11-20T12:10:00.000Z' });
    const bare = { ...record(''), data: Buffer.from(JSON.stringify(event)), approximateArrival: Date.parse('2026-11-20T12:10:02.000Z') / 1000 };
    expect(classify(bare, now)[0]).toMatchObject({
      kind: 'valid',
      event: { event_id: event.event_id, received_at: '2026-11-20T12:10:02.000Z', received_via: 'stream' },
    });
    expect(classify(record(event), now)[0]).toMatchObject({ kind: 'valid', event: { received_via: 'collector' } });
  });

  it('keeps only what is neither an envelope nor a JSON object as a decode error', () => {
    for (const payload of ['[1,2]', '42', 'null', '"text"']) {
      expect(classify({ ...record(''), data: Buffer.from(payload) }, now)).toMatchObject([{ kind: 'bad', row: { type: 'decode_error' } }]);
    }
    expect(classify({ ...record(''), data: Buffer.from('{"event_type":"page_view"}') }, now)).toMatchObject([
      { kind: 'bad', row: { type: 'schema_violation' } },
    ]);
  });

  it('keeps events whose time is outside the window, flagged, in their arrival partition', () => {
    const at = (event_time: string) => classify(record(makeEvent({ event_time })), now)[0];
    expect(at('2026-11-20T11:00:00.000Z')).toMatchObject({ kind: 'valid', event: { partition_time: '2026-11-20T11:00:00.000Z' } });
    expect(at('2026-11-20T11:00:00.000Z')).not.toHaveProperty('event.event_time_status');
    expect(at('2019-01-01T00:00:00+02:00')).toMatchObject({
      kind: 'valid',
      event: { event_time: '2018-12-31T22:00:00.000Z', event_time_status: 'late', partition_time: '2026-11-20T11:59:59.000Z' },
    });
    expect(at('2027-01-01T00:00:00Z')).toMatchObject({ kind: 'valid', event: { event_time_status: 'future', partition_time: '2026-11-20T11:59:59.000Z' } });
  });
});
