import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { badRow } from '#domain/events/bad-row';
import { encodeEnvelopeOfEvents } from '#domain/events/envelope';
import { eraseFromObject, erasureSubject, modelsTrainedOn, SessionMatcher, sha256, SubjectMatcher } from '#domain/erasure';
import { pseudonym } from '#domain/privacy';
import { rawRecord, rawRecordPartition } from '#domain/raw-records';
import { makeEvent } from '../../helpers/events';
import { fuzzSeed } from '../../helpers/fuzz';

const key = Buffer.from('k'.repeat(32));
const settings = { fields: ['user_id', 'anonymous_id'] as const, key };
const subject = erasureSubject('user_id', 'jane@example.com', settings);
const stored = pseudonym('jane@example.com', key);
const row = (user: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...makeEvent({ user_id: user, event_time: '2026-11-20T10:00:00.000Z' }), partition_time: '2026-11-20T10:00:00.000Z', ...extra });

describe('erasure', () => {
  it('names the subject by the digest of the id as stored: its pseudonym when the stage pseudonymizes the field, else the id', () => {
    expect(subject).toEqual({ field: 'user_id', sha256: [sha256(stored)] });
    expect(erasureSubject('user_id', 'jane@example.com')).toEqual({ field: 'user_id', sha256: [sha256('jane@example.com')] });
    expect(JSON.stringify(subject)).not.toContain(stored);
    expect(() => erasureSubject('user_id', '')).toThrow(/1–128 characters/);
  });

  it('removes the subject’s raw rows and keeps every other line byte for byte, noting their event ids and dates', () => {
    const lines = [row('ps_other'), row(stored, { event_id: '00000000-0000-4000-8000-000000000001' }), row('someone'), ''];
    const matcher = new SubjectMatcher(subject);
    const result = eraseFromObject(gzipSync(lines.join('\n')), matcher);
    expect(result).toMatchObject({ rows: 3, removed: 1 });
    expect(gunzipSync(result.bytes!).toString()).toBe([lines[0], lines[2], ''].join('\n'));
    expect([...matcher.found.eventIds]).toEqual(['00000000-0000-4000-8000-000000000001']);
    expect([...matcher.found.dates]).toEqual(['2026-11-20']);
    expect(eraseFromObject(Buffer.from(`${row('someone')}\n`), new SubjectMatcher(subject))).toEqual({ rows: 1, removed: 0 });
  });

  it('notes the digests of their session ids, and takes the predictions captured for those sessions out of predictions/', () => {
    const matcher = new SubjectMatcher(subject);
    eraseFromObject(Buffer.from(`${row(stored, { session_id: 'their-session' })}\n${row('someone', { session_id: 'other-session' })}\n`), matcher);
    expect([...matcher.found.sessions]).toEqual([sha256('their-session')]);
    const prediction = (session: string | null) =>
      JSON.stringify({ session_id: session, model: 'm', version: 'v1', route: 'production', probability: 0.2, features: {} });
    const lines = [prediction('other-session'), prediction('their-session'), prediction(null), ''];
    const result = eraseFromObject(gzipSync(lines.join('\n')), new SessionMatcher(matcher.found.sessions));
    expect(result).toMatchObject({ rows: 3, removed: 1 });
    expect(gunzipSync(result.bytes!).toString()).toBe([lines[0], lines[2], ''].join('\n'));
  });

  it('finds them in bad rows: in the envelope of a schema violation, and as a quoted string in bytes that are not JSON', () => {
    const envelope = Buffer.from(
      encodeEnvelopeOfEvents({ v: 1, received_at: '2026-11-20T10:00:00.000Z' }, [JSON.stringify({ user_id: stored, event_type: 'x' })]),
    );
    const garbage = Buffer.from(`{"user_id":"${stored}", oops`);
    const rows = [envelope, garbage, Buffer.from('{"user_id":"someone"')].map((payload) =>
      JSON.stringify(
        badRow({
          type: 'decode_error',
          errors: [],
          payload,
          failedAt: '2026-11-20T10:00:00.000Z',
          source: { stream: 's', partition_key: 'p', sequence_number: '1', approximate_arrival: '2026-11-20T10:00:00.000Z' },
        }),
      ),
    );
    const result = eraseFromObject(Buffer.from(rows.join('\n')), new SubjectMatcher(subject));
    expect(result).toMatchObject({ rows: 3, removed: 2 });
    expect(result.bytes!.toString()).toBe(rows[2]);
  });

  it('rewrites a Firehose error record without their rows, its gzip member still naming the partition; drops it when nothing is left', () => {
    const someone = row('someone');
    const member = (...rows: string[]) => rawRecord(Buffer.from(rows.map((r) => `${r}\n`).join('')), { dt: '2026-11-20', hour: '10' });
    const lines = [
      JSON.stringify({ rawData: member(row(stored), someone).toString('base64'), errorCode: 'E' }),
      JSON.stringify({ rawData: member(row(stored)).toString('base64'), errorCode: 'E' }),
    ];
    const result = eraseFromObject(Buffer.from(`${lines.join('\n')}\n`), new SubjectMatcher(subject));
    expect(result).toMatchObject({ rows: 2, removed: 2 });
    const [kept, end] = result.bytes!.toString().split('\n');
    expect(end).toBe('');
    const data = Buffer.from((JSON.parse(kept!) as { rawData: string }).rawData, 'base64');
    expect(rawRecordPartition(data)).toEqual({ dt: '2026-11-20', hour: '10' });
    expect(gunzipSync(data).toString()).toBe(`${someone}\n`);
  });

  it('keeps every line of anyone else exactly, whatever the lines (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constant('target'),
            fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n')),
          ),
          { maxLength: 30 },
        ),
        fc.boolean(),
        (picks, gzip) => {
          const lines = picks.map((p, i) =>
            p === 'target' ? row(stored, { n: i }) : p.length > 0 && !p.includes(stored) ? JSON.stringify({ user_id: 'someone', note: p }) : p,
          );
          const input = lines.join('\n');
          const result = eraseFromObject(gzip ? gzipSync(input) : Buffer.from(input), new SubjectMatcher(subject));
          const expected = lines.filter((l) => !l.includes(stored));
          expect(result.removed).toBe(lines.length - expected.length);
          const out = result.bytes ? (gzip ? gunzipSync(result.bytes) : result.bytes).toString() : input;
          expect(out).toBe(expected.join('\n'));
        },
      ),
      { numRuns: 300, seed: fuzzSeed() },
    );
  });

  it('flags the model versions trained on a partition of the subject’s dates, and no other', () => {
    const versions = [
      { model_name: 'm', version: 'v1', partitions: ['dt=2026-11-19', 'dt=2026-11-20'] },
      { model_name: 'm', version: 'v2', partitions: ['dt=2026-11-21'] },
    ];
    expect(modelsTrainedOn(versions, new Set(['2026-11-20'])).map((v) => v.version)).toEqual(['v1']);
  });
});
