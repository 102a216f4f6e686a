import { MAX_EVENT_BYTES, SCHEMA_VERSIONS, validateEvent } from '#domain/events/schema';
import { makeEvent } from '../../../helpers/events';

describe('event contract', () => {
  it('accepts a complete event', () => {
    const event = makeEvent({ user_id: 'u-1', page: { url: 'https://x', referrer: 'https://y', title: 't' }, order: { id: 'o-1', revenue: 10, currency: 'EUR' } });
    expect(validateEvent(event)).toEqual({ ok: true, event, version: '1-0-0' });
  });

  it.each([
    ['a missing required field', { event_id: undefined }, '/', "must have required property 'event_id'"],
    ['a non-uuid event_id', { event_id: 'abc' }, '/event_id', 'must match format "uuid"'],
    ['a time without offset', { event_time: '2026-11-20 10:00:00' }, '/event_time', 'must match format "date-time"'],
    ['an unknown event type', { event_type: 'teleport' }, '/event_type', 'must be one of page_view'],
    ['a negative price', { product: { id: 'p', price: -1 } }, '/product/price', 'must be >= 0'],
    ['a lower-case currency', { product: { id: 'p', currency: 'usd' } }, '/product/currency', 'must match pattern'],
    ['an unknown top-level field', { campaign: 'x' }, '/campaign', 'custom data goes under "extra"'],
  ])('rejects %s', (_name, override, path, message) => {
    const event = JSON.parse(JSON.stringify({ ...makeEvent(), ...override }));
    const result = validateEvent(event);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('keeps custom data under extra', () => {
    expect(validateEvent(makeEvent({ extra: { experiment: 'b', nested: { a: 1 } } })).ok).toBe(true);
  });

  it(`caps an event at ${MAX_EVENT_BYTES} bytes`, () => {
    const result = validateEvent(makeEvent({ extra: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }));
    expect(result).toEqual({ ok: false, errors: [{ path: '/', message: expect.stringContaining(`limit is ${MAX_EVENT_BYTES}`) }] });
  });

  it('reports the first problems at once, and how many more there are (an answer stays small)', () => {
    const result = validateEvent({ event_type: 'nope' });
    expect(!result.ok && result.errors).toEqual([expect.anything(), expect.anything(), expect.anything(), { path: '/', message: 'and 2 more issue(s)' }]);
  });

  it('cuts long paths and messages (an unknown field may be named by a megabyte key)', () => {
    const result = validateEvent({ ...makeEvent(), ['k'.repeat(5000)]: 1 });
    expect(!result.ok && result.errors[0]!.path.length).toBeLessThanOrEqual(200);
  });

  it('rejects a leap second, which the date-time format admits but no store can hold', () => {
    const result = validateEvent(makeEvent({ event_time: '2016-12-31T23:59:60Z' }));
    expect(result).toEqual({ ok: false, errors: [{ path: '/event_time', message: expect.stringMatching(/leap second/) }] });
  });

});

describe('contract versions side by side', () => {
  const v110 = { consent: { analytics: true }, tracker: { name: 'clickstream-web', version: '1.1.0' }, context: { screen: { width: 1280, height: 800 }, timezone: 'Europe/Paris' } };

  it('has every version under schemas/clickstream-event, oldest first', () => {
    expect(SCHEMA_VERSIONS).toEqual(['1-0-0', '1-1-0']);
  });

  it('reads an event without "schema" as 1-0-0, which has none of 1-1-0\'s fields', () => {
    const result = validateEvent(makeEvent(v110));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/consent', '/tracker', '/context/screen']));
  });

  it('validates an event naming 1-1-0 against 1-1-0', () => {
    const event = makeEvent({ schema: '1-1-0', ...v110 });
    expect(validateEvent(event)).toEqual({ ok: true, event, version: '1-1-0' });
    const wrong = validateEvent({ ...makeEvent({ schema: '1-1-0' }), consent: { analytics: 'yes' } });
    expect(!wrong.ok && wrong.errors).toEqual([{ path: '/consent/analytics', message: 'must be boolean' }]);
  });

  it('takes "schema": "1-0-0" (which predates the field) as 1-0-0, checked without it', () => {
    const event = makeEvent();
    expect(validateEvent({ ...event, schema: '1-0-0' })).toEqual({ ok: true, event, version: '1-0-0' });
  });

  it('rejects a version it does not have, saying which it has and what to do', () => {
    const result = validateEvent({ ...makeEvent(), schema: '1-2-0' });
    expect(result).toEqual({ ok: false, errors: [{ path: '/schema', message: expect.stringMatching(/"1-2-0".*it has 1-0-0, 1-1-0.*deploy that version, then replay/) }] });
    expect(validateEvent({ ...makeEvent(), schema: { $ref: 'x' } }).ok).toBe(false);
  });
});
