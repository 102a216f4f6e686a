import { encodeEnvelope } from '../../../src/domain/events/envelope';
import { ingestBatch, type DedupPort, type DeliveryPort, type StreamRecord } from '../../../src/domain/ingest';
import { makeEvent } from '../../helpers/events';

/** In-memory ports stand in for Firehose and DynamoDB here; the integration tests run the real ones. */
function memoryPorts(options: { failRaw?: (row: any) => boolean; markFails?: boolean } = {}) {
  const delivered: Record<'raw' | 'bad', any[]> = { raw: [], bad: [] };
  const seen = new Set<string>();
  const delivery: DeliveryPort = {
    deliver: async (target, rows) => {
      const failed: { index: number; error: string }[] = [];
      rows.forEach((row, index) => (target === 'raw' && options.failRaw?.(row) ? failed.push({ index, error: 'ServiceUnavailableException' }) : delivered[target].push(row)));
      return { failed };
    },
  };
  const dedup: DedupPort = {
    findSeen: async (ids) => new Set(ids.filter((id) => seen.has(id))),
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
});
