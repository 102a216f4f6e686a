import { deviceClass, enrich } from '#domain/events/enrich';
import { makeEvent } from '../../../helpers/events';

describe('enrich', () => {
  it.each([
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148', 'mobile'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36', 'mobile'],
    ['Mozilla/5.0 (Linux; Android 13; SM-X200) Safari/537.36', 'tablet'],
    ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X)', 'tablet'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0', 'desktop'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
    [undefined, 'unknown'],
  ])('classifies %s as %s', (ua, expected) => {
    expect(deviceClass(ua)).toBe(expected);
  });

  it('normalizes event_time to UTC and stamps what ingest knows', () => {
    const event = makeEvent({ event_time: '2026-11-20T00:30:00+02:00' });
    const enriched = enrich(event, { receivedAt: '2026-11-20T00:00:01.000Z', ingestedAt: '2026-11-20T00:00:02.000Z', replayId: 'r-1' });
    expect(enriched).toEqual({
      ...event,
      event_time: '2026-11-19T22:30:00.000Z',
      received_at: '2026-11-20T00:00:01.000Z',
      ingested_at: '2026-11-20T00:00:02.000Z',
      device_class: 'desktop',
      schema_version: '1-0-0',
      replay_id: 'r-1',
      partition_time: '2026-11-19T22:30:00.000Z',
      received_via: 'collector',
    });
  });
});
