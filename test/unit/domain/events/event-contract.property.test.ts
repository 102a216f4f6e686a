import fc from 'fast-check';
import { eventInstant } from '#domain/events/event-time';
import { encodeEnvelope } from '#domain/events/envelope';
import { validateEvent } from '#domain/events/schema';
import { classify, type StreamRecord } from '#domain/ingest';
import { originalEvent } from '#domain/replay';
import { makeEvent } from '../../../helpers/events';
import { fuzzSeed } from '../../../helpers/fuzz';

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 3339-ish date-times, valid and not: every separator, case, offset form and out-of-range field the format admits or nearly admits. */
const dateTime = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
    sep: fc.constantFrom('T', 't', ' '),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z'),
      fc.record({ sign: fc.constantFrom('+', '-'), h: fc.integer({ min: 0, max: 25 }), m: fc.integer({ min: 0, max: 60 }), colon: fc.boolean(), minutes: fc.boolean() }).map(
        ({ sign, h, m, colon, minutes }) => `${sign}${two(h)}${minutes ? `${colon ? ':' : ''}${two(m)}` : ''}`,
      ),
    ),
  })
  .map((t) => `${String(t.year).padStart(4, '0')}-${two(t.month)}-${two(t.day)}${t.sep}${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction ? `.${t.fraction}` : ''}${t.zone}`);

const anyTime = fc.oneof(dateTime, fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => d.toISOString()));

/** Contract events with generated times and free-form fields (and sometimes a field the contract refuses). */
const events = fc
  .record({
    event_time: anyTime,
    event_id: fc.oneof(fc.uuid(), fc.string()),
    session_id: fc.string({ maxLength: 140 }),
    extra: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), { nil: undefined }),
    title: fc.option(fc.string({ unit: 'grapheme', maxLength: 600 }), { nil: undefined }),
    version: fc.constantFrom(undefined, '1-1-0'),
    consent: fc.option(fc.record({ analytics: fc.boolean() }), { nil: undefined }),
  })
  .map(({ event_time, event_id, session_id, extra, title, version, consent }) => ({
    ...makeEvent({ event_time, event_id, session_id }),
    ...(version === undefined ? {} : { schema: version }),
    ...(consent === undefined ? {} : { consent }),
    ...(extra === undefined ? {} : { extra }),
    ...(title === undefined ? {} : { page: { title } }),
  }));

const recordOf = (event: unknown): StreamRecord => ({
  recordId: 'shardId-000000000000:1',
  data: Buffer.from(encodeEnvelope({ v: 1, received_at: '2026-11-20T11:59:59.000Z', event })),
  stream: 'clickstream',
  partitionKey: 'pk',
  sequenceNumber: '1',
  approximateArrival: 1_795_600_000,
});

/** The same instant as Date.parse reads it, once the string is in the one form Date.parse is specified for. */
function oracle(text: string): number {
  const normal = text
    .replace(/^(.{10})[t ]/, '$1T')
    .replace(/z$/, 'Z')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2')
    .replace(/([+-]\d{2})$/, '$1:00');
  return Date.parse(normal);
}

describe('event contract (property-based)', () => {
  const seed = fuzzSeed();

  it('every event the validator accepts is enriched and round-trips through its lake row', () => {
    fc.assert(
      fc.property(events, (generated) => {
        // The event as the collector receives it: through JSON (which, e.g., has no -0).
        const event = JSON.parse(JSON.stringify(generated)) as typeof generated;
        if (!validateEvent(event).ok) return;
        const [result] = classify(recordOf(event), '2026-11-20T12:00:00.000Z');
        expect(result?.kind).toBe('valid');
        if (result?.kind !== 'valid') return;
        const row = result.event;
        expect(JSON.parse(JSON.stringify(row))).toEqual(row);
        expect(row.event_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(row.partition_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Date.parse(row.event_time)).toBe(oracle(event.event_time));
        // What replay sends again is the event as sent (time canonical), and it passes the contract again.
        expect(originalEvent(row)).toEqual({ ...event, event_time: row.event_time });
        expect(validateEvent(originalEvent(row)).ok).toBe(true);
      }),
      { numRuns: 1000, seed },
    );
  });

  it('accepts every 1-0-0 event as 1-1-0 once it names it (1-1-0 is an addition)', () => {
    fc.assert(
      fc.property(events, (generated) => {
        const { schema: _version, ...event } = JSON.parse(JSON.stringify(generated)) as typeof generated & { schema?: string };
        const v100 = validateEvent(event);
        if (!v100.ok) return;
        expect(validateEvent({ ...event, schema: '1-1-0' })).toMatchObject({ ok: true, version: '1-1-0' });
      }),
      { numRuns: 1000, seed },
    );
  });

  it('reads an instant from exactly the times it can store, agreeing with Date.parse', () => {
    fc.assert(
      fc.property(dateTime, (text) => {
        const instant = eventInstant(text);
        const expected = oracle(text);
        if (/:60(\.|[Zz+-])/.test(text)) expect(instant).toBeUndefined();
        else if (instant !== undefined) expect(instant).toBe(expected);
        if (validateEvent(makeEvent({ event_time: text })).ok) expect(instant).toBeDefined();
      }),
      { numRuns: 2000, seed },
    );
  });

  it('never throws for any record, whatever its bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')), events.map((e) => Buffer.from(JSON.stringify(e)))), (data) => {
        const results = classify({ ...recordOf(null), data }, '2026-11-20T12:00:00.000Z');
        expect(results.length).toBeGreaterThan(0);
        for (const result of results) expect(['valid', 'bad']).toContain(result.kind);
      }),
      { numRuns: 1000, seed },
    );
  });
});
