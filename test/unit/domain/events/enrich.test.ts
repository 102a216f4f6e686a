import { ENRICHMENTS, enrichmentsNamed, UnknownEnrichmentError } from '#domain/enrichments/pipeline';
import { ENRICHMENT_FIELDS, enrich } from '#domain/events/enrich';
import { originalEvent } from '#domain/replay';
import { deviceClass } from '#domain/enrichments/user-agent';
import { makeEvent } from '../../../helpers/events';

describe('enrich', () => {
  it.each([
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148', 'mobile'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36', 'mobile'],
    ['Mozilla/5.0 (Linux; Android 13; SM-X200) Safari/537.36', 'tablet'],
    ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/604.1', 'tablet'],
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
      ua: { browser: 'Chrome', browser_version: '124.0', os: 'Windows', os_version: '10', bot: false },
    });
  });

  it('parses the user agent, attributes the campaign and classes the referrer; a replay strips it all again', () => {
    const event = makeEvent({
      context: { user_agent: 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' },
      page: {
        url: 'https://shop.example.com/p/1?utm_source=newsletter&utm_medium=email&utm_campaign=black-friday&gclid=abc123',
        referrer: 'https://shop.example.com/',
      },
    });
    const row = enrich(event, { receivedAt: '2026-11-20T10:15:01.000Z', ingestedAt: '2026-11-20T10:15:02.000Z' });
    expect(row).toMatchObject({
      device_class: 'tablet',
      ua: { browser: 'Chrome', os: 'Android', os_version: '14', device_type: 'tablet', device_vendor: 'Samsung', device_model: 'SM-X710', bot: false },
      campaign: { source: 'newsletter', medium: 'email', name: 'black-friday', click_id_type: 'gclid', click_id: 'abc123' },
      referrer_class: 'internal',
    });
    expect(originalEvent(row)).toEqual(event);
    expect(ENRICHMENT_FIELDS).toEqual(expect.arrayContaining(['ua', 'campaign', 'referrer_class']));
  });

  it.each([
    ['https://www.google.com/search?q=shoes', 'search'],
    ['https://mail.google.com/mail/u/0', 'email'],
    ['https://t.co/xyz', 'social'],
    ['https://blog.example.org/post', 'other'],
    ['', 'direct'],
  ])('classes the referrer %s as %s', (referrer, expected) => {
    const row = enrich(makeEvent({ page: { url: 'https://shop.example.com/', referrer } }), { receivedAt: '2026-11-20T10:15:01.000Z', ingestedAt: 'x' });
    expect(row.referrer_class).toBe(expected);
  });

  it('runs only the enrichments a stage lists, and names the known ones for a typo', () => {
    const row = enrich(makeEvent({ page: { url: 'https://s.example/?utm_source=x' } }), {
      receivedAt: '2026-11-20T10:15:01.000Z',
      ingestedAt: 'x',
      enrichments: enrichmentsNamed(['campaign']),
    });
    expect(row).toMatchObject({ campaign: { source: 'x' } });
    expect(row).not.toHaveProperty('ua');
    expect(row).not.toHaveProperty('referrer_class');
    expect(() => enrichmentsNamed(['user-agent', 'geo'])).toThrow(new UnknownEnrichmentError('Unknown enrichment "geo"; known: user-agent, campaign, referrer.'));
    expect(ENRICHMENTS.map((e) => e.name)).toEqual(['user-agent', 'campaign', 'referrer']);
  });
});
