import { badRow } from '#domain/events/bad-row';
import { enrich } from '#domain/events/enrich';
import {
  parseRange,
  partitionPrefixes,
  RateLimiter,
  recoverBadRows,
  ReplayRequestError,
  selectRawEvents,
  sendReplay,
  type ReplayFailure,
  type SelectedEvent,
} from '#domain/replay';
import { fix } from '../../../replay/fixes/legacy-view-events';
import { makeEvent } from '../../helpers/events';

const day = parseRange('2025-02-01', '2025-02-02');
const row = (overrides: Parameters<typeof makeEvent>[0], receivedAt = '2025-02-01T10:00:01.000Z', replayId?: string) =>
  enrich(makeEvent(overrides), { receivedAt, ingestedAt: receivedAt, ...(replayId ? { replayId } : {}) });
const source = { stream: 's', partition_key: 'p', sequence_number: '1', approximate_arrival: '2025-02-01T10:00:00.000Z' };

describe('replay selection', () => {
  it('takes dates or timestamps, [from, to), and refuses a reversed or empty range', () => {
    expect(day).toEqual({ from: Date.parse('2025-02-01T00:00:00Z'), to: Date.parse('2025-02-02T00:00:00Z') });
    expect(parseRange('2025-02-01T10:30:00Z', '2025-02-01T12:00:00+01:00')).toEqual({
      from: Date.parse('2025-02-01T10:30:00Z'),
      to: Date.parse('2025-02-01T11:00:00Z'),
    });
    for (const [from, to] of [
      ['2025-02-02', '2025-02-01'],
      ['2025-02-01', '2025-02-01'],
      ['yesterday', '2025-02-01'],
      [undefined, '2025-02-01'],
    ]) {
      expect(() => parseRange(from, to)).toThrow(ReplayRequestError);
    }
  });

  it('lists the hourly partitions the range can touch', () => {
    expect(partitionPrefixes('raw', parseRange('2025-02-01T22:30:00Z', '2025-02-02T01:00:00Z'))).toEqual([
      'raw/clickstream/dt=2025-02-01/hour=22/',
      'raw/clickstream/dt=2025-02-01/hour=23/',
      'raw/clickstream/dt=2025-02-02/hour=00/',
    ]);
  });

  it('selects the range, type and session, keeps the earliest copy of each event and gives back the event as sent', () => {
    const a = row({ event_id: '00000000-0000-4000-8000-00000000000a', event_time: '2025-02-01T10:00:00.000Z', session_id: 's1' });
    const aReplayed = { ...a, received_at: '2025-02-01T10:00:01.000Z', ingested_at: '2025-02-03T00:00:00.000Z', replay_id: 'r1' };
    const b = row({ event_id: '00000000-0000-4000-8000-00000000000b', event_time: '2025-02-01T09:00:00.000Z', session_id: 's2', event_type: 'page_view' });
    const late = row({ event_time: '2025-02-02T00:00:00.000Z' });
    const { selected, duplicates } = selectRawEvents(
      [
        { key: 'k2', row: aReplayed },
        { key: 'k1', row: a },
        { key: 'k1', row: b },
        { key: 'k3', row: late },
      ],
      day,
    );
    expect(duplicates).toBe(1);
    expect(selected.map((s) => s.event.event_id)).toEqual([b.event_id, a.event_id]);
    expect(selected[1]!.event).toEqual(makeEventLike(a));
    expect(
      selectRawEvents(
        [
          { key: 'k', row: a },
          { key: 'k', row: b },
        ],
        { ...day, types: new Set(['page_view']) },
      ).selected,
    ).toHaveLength(1);
    expect(
      selectRawEvents(
        [
          { key: 'k', row: a },
          { key: 'k', row: b },
        ],
        { ...day, session: 's1' },
      ).selected.map((s) => s.event.session_id),
    ).toEqual(['s1']);
  });
});

/** The contract event inside a lake row: ingest's fields removed. */
function makeEventLike(lakeRow: ReturnType<typeof row>) {
  const {
    received_at: _r,
    ingested_at: _i,
    device_class: _d,
    schema_version: _s,
    partition_time: _p,
    received_via: _v,
    ua: _u,
    campaign: _c,
    referrer_class: _rc,
    ...event
  } = lakeRow;
  return event;
}

describe('bad-row recovery', () => {
  const legacy = { ...makeEvent({ event_time: undefined as never }), event_type: 'view', timestamp: Date.parse('2025-02-01T12:00:00Z') } as Record<
    string,
    unknown
  >;
  delete legacy.event_time;
  const envelope = (event: unknown) => Buffer.from(JSON.stringify({ v: 1, received_at: '2025-02-01T12:00:01.000Z', event }));
  const rows = [
    { key: 'bad/1', row: badRow({ type: 'schema_violation', errors: [], payload: envelope(legacy), failedAt: '2025-02-01T12:00:02.000Z', source }) },
    {
      key: 'bad/2',
      row: badRow({ type: 'schema_violation', errors: [], payload: envelope({ event_type: 'teleport' }), failedAt: '2025-02-01T12:00:02.000Z', source }),
    },
    { key: 'bad/3', row: badRow({ type: 'decode_error', errors: [], payload: Buffer.from('not json'), failedAt: '2025-02-01T12:00:02.000Z', source }) },
  ];

  it('recovers with the example fix what the current contract accepts, and lists the rest with why', () => {
    expect(recoverBadRows(rows, day).recovered).toEqual([]);
    const { recovered, stillBad } = recoverBadRows(rows, day, fix);
    expect(recovered).toEqual([
      {
        key: 'bad/1',
        received_at: '2025-02-01T12:00:01.000Z',
        backfill: true,
        event: expect.objectContaining({ event_id: legacy.event_id, event_type: 'product_view', event_time: '2025-02-01T12:00:00.000Z' }),
      },
    ]);
    expect(stillBad.map((b) => [b.key, b.errors[0]!.message])).toEqual([
      ['bad/2', expect.stringMatching(/must have required property|must be one of/)],
      ['bad/3', expect.stringContaining('payload is not JSON')],
    ]);
  });
});

describe('RateLimiter', () => {
  it('allows a second of burst, then paces to the rate', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, () => now);
    expect(limiter.take(500)).toBe(0);
    expect(limiter.take(500)).toBe(0);
    expect(limiter.take(500)).toBe(500);
    now = 500;
    expect(limiter.take(500)).toBe(500);
  });
});

describe('sendReplay (the send loop of the CLI and the replay worker)', () => {
  const events = (n: number, hour: string): SelectedEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      event: makeEvent({ event_time: `${hour}:00:00.000Z`, event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }),
      received_at: `${hour}:00:01.000Z`,
      backfill: false,
      key: 'k',
    }));

  it('sends each wave in batches of 500, pauses between waves only, and numbers batches over all waves', async () => {
    const log: string[] = [];
    const waves = [events(1200, '2025-02-01T10'), events(10, '2025-02-01T11')];
    const result = await sendReplay(
      waves,
      async (batch) => {
        log.push(`send ${batch.length}`);
        return [];
      },
      {
        concurrency: 2,
        waveGapMs: 7_000,
        wait: async (ms) => void log.push(`wait ${ms}`),
        onBatch: (index, batch) => log.push(`done ${index} ${batch.length}`),
      },
    );
    expect(result).toEqual({ sent: 1210, failed: 0 });
    expect(log.filter((l) => l.startsWith('send'))).toEqual(['send 500', 'send 500', 'send 200', 'send 10']);
    expect(log.filter((l) => l.startsWith('wait'))).toEqual(['wait 7000']);
    // The pause comes after every batch of the first wave and before the second wave's batch.
    expect(log.indexOf('wait 7000')).toBeGreaterThan(log.indexOf('done 2 200'));
    expect(log.indexOf('send 10')).toBeGreaterThan(log.indexOf('wait 7000'));
    expect(log).toContain('done 3 10');
  });

  it("counts what the target still failed and hands each batch's failures to the caller", async () => {
    const failures: ReplayFailure[][] = [];
    const result = await sendReplay(
      [events(600, '2025-02-01T10')],
      async (batch) => (batch.length === 500 ? [{ index: 3, error: 'ProvisionedThroughputExceededException' }] : []),
      {
        onBatch: (_, __, f) => failures.push([...f]),
      },
    );
    expect(result).toEqual({ sent: 599, failed: 1 });
    expect(failures).toEqual([[{ index: 3, error: 'ProvisionedThroughputExceededException' }], []]);
  });

  it('paces with the limiter and stops starting batches once asked to stop', async () => {
    const waits: number[] = [];
    let stop = false;
    const sent: number[] = [];
    await sendReplay(
      [events(1500, '2025-02-01T10')],
      async (batch) => {
        sent.push(batch.length);
        if (sent.length === 2) stop = true;
        return [];
      },
      { limiter: new RateLimiter(500, () => 0), stopped: () => stop, wait: async (ms) => void waits.push(ms) },
    );
    expect(sent).toEqual([500, 500]);
    expect(waits).toEqual([1000]);
  });
});
