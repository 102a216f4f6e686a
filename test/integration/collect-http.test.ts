import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getObjectBytes, listObjects } from '#adapters/s3';
import { makeEvent } from '../helpers/events';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import { drain, itLocal, lakeRows, outputs, postEvents } from '../helpers/cloud';

/** Client mistakes get a 4xx with a message that says what is wrong; never a 5xx, never a stack trace. */
describe('POST /events input handling (through the local HTTP API)', () => {
  const cases: [string, () => Promise<{ status: number; body: any }>, number, RegExp][] = [
    ['wrong content type', () => postEvents('event_type=page_view', 'application/x-www-form-urlencoded'), 415, /Content-Type must be application\/json/],
    ['malformed JSON', () => postEvents('{"event_id": ', 'application/json'), 400, /not valid JSON/],
    ['an empty array', () => postEvents([]), 400, /empty/],
    ['more than 500 events', () => postEvents(Array.from({ length: 501 }, () => makeEvent())), 413, /limit is 500/],
    ['a body over 1 MB', () => postEvents([makeEvent({ extra: { blob: 'x'.repeat(1_100_000) } })]), 413, /limit is 1000000/],
  ];

  it.each(cases)('%s → %d', async (_name, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ error: 'RequestError', message: expect.stringMatching(message) });
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('accepts a single event object and unicode text', async () => {
    const response = await postEvents(makeEvent({ event_type: 'search', search: { query: 'café 東京 🚲' } }));
    expect(response).toEqual({ status: 202, body: { accepted: 1, rejected: [], without_consent: 0 } });
  });

  it('rejects unknown top-level fields and points at extra', async () => {
    const response = await postEvents([{ ...makeEvent(), campaign: 'x' }]);
    expect(response.status).toBe(202);
    expect(response.body.rejected[0].errors).toEqual([{ path: '/campaign', message: expect.stringContaining('"extra"') }]);
  });

  // Needs the lake in reach (drain): a deployed stage's lake fills on Firehose's schedule, and its source IP is the tester's.
  itLocal('takes JSON sent as text/plain (what sendBeacon sends), and records the source IP from the request, not from X-Forwarded-For', async () => {
    const event = makeEvent();
    const response = await fetch(`${outputs().ApiUrl}/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '198.51.100.66', 'user-agent': 'spoof-test/1.0' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    await drain();
    const row = (await lakeRows<LakeEvent>('raw')).find((r) => r.row.event_id === event.event_id)?.row;
    expect(row).toMatchObject({ observed_user_agent: 'spoof-test/1.0' });
    expect(row?.observed_ip).toMatch(/^(127\.0\.0\.0|::)$/);
  });

  itLocal("anonymizes the client's IPs before anything is stored: no full address in the raw row, nor in an invalid event's bad row", async () => {
    const full = '198.51.100.77';
    const valid = makeEvent({ context: { ip: full, user_agent: 'Mozilla/5.0' } });
    const invalid = { ...makeEvent({ context: { ip: full } }), event_type: 'teleport' };
    expect((await postEvents([valid, invalid])).body).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    await drain();
    const raw = (await lakeRows<LakeEvent>('raw')).find((r) => r.row.event_id === valid.event_id)?.row;
    expect(raw?.context).toEqual({ ip: '198.51.100.0', user_agent: 'Mozilla/5.0' });
    const bad = (await lakeRows<BadRow>('bad')).find((r) => r.row.event_id === invalid.event_id)?.row;
    const payload = Buffer.from(bad!.payload_base64, 'base64').toString('utf8');
    expect(JSON.parse(payload).event.context).toEqual({ ip: '198.51.100.0' });
    expect(JSON.stringify([raw, bad, payload])).not.toContain(full);
  });

  itLocal('pseudonymizes user and visitor ids before anything is stored, with the HMAC-SHA256 of the key in Secrets Manager', async () => {
    const { SecretString: key } = await new SecretsManagerClient({ endpoint: outputs().Endpoint }).send(
      new GetSecretValueCommand({ SecretId: outputs().PseudonymizationSecretName }),
    );
    const hmac = (value: string) => `ps_${createHmac('sha256', key!).update(value).digest('hex')}`;
    const valid = makeEvent({ user_id: 'jane.doe@example.com', anonymous_id: 'visitor-jane' });
    const invalid = { ...makeEvent({ user_id: 'jane.doe@example.com' }), event_type: 'teleport' };
    expect((await postEvents([valid, invalid])).body).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    await drain();
    const raw = (await lakeRows<LakeEvent>('raw')).find((r) => r.row.event_id === valid.event_id)?.row;
    expect(raw).toMatchObject({ user_id: hmac('jane.doe@example.com'), anonymous_id: hmac('visitor-jane') });
    const bad = (await lakeRows<BadRow>('bad')).find((r) => r.row.event_id === invalid.event_id)?.row;
    const payload = Buffer.from(bad!.payload_base64, 'base64').toString('utf8');
    expect(JSON.parse(payload).event.user_id).toBe(hmac('jane.doe@example.com'));
    expect(JSON.stringify([raw, payload])).not.toMatch(/jane\.doe|visitor-jane/);
  });

  // s3rver keeps no object versions: locally the current objects are all there is.
  itLocal('leaves no full client IP and no raw id anywhere: every object of the lake and every function log line', async () => {
    const [ip, userId, visitor] = ['192.0.2.201', `marker-user-${randomUUID()}`, `marker-visitor-${randomUUID()}`];
    const request = (path: string, body: unknown) =>
      fetch(`${outputs().ApiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const events = [
      makeEvent({ user_id: userId, anonymous_id: visitor, context: { ip } }),
      { ...makeEvent({ user_id: userId, anonymous_id: visitor, context: { ip } }), event_type: 'teleport' },
    ];
    expect((await request('/events', events)).status).toBe(202);
    expect((await request('/predict', { session: { events: [events[0]] } })).status).toBeLessThan(500);
    await drain();
    const bucket = outputs().LakeBucketName!;
    const objects = await listObjects(bucket, '');
    expect(objects.length).toBeGreaterThan(0);
    for (const { key } of objects) {
      const bytes = await getObjectBytes(bucket, key);
      const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
      for (const marker of [ip, userId, visitor]) expect([key, text.includes(marker)]).toEqual([key, false]);
    }
    const logs = readFileSync(path.join(process.env.LOCAL_CLOUD_DATA_DIR!, 'logs', 'offline.log'), 'utf8');
    for (const marker of [ip, userId, visitor]) expect(logs.includes(marker)).toBe(false);
  });

  itLocal('drops events without analytics consent, valid or not, before anything is stored; counts them in the answer', async () => {
    const denied = makeEvent({ schema: '1-1-0', consent: { analytics: false } });
    const deniedInvalid = { ...makeEvent({ schema: '1-1-0', consent: { analytics: false } }), event_type: 'teleport' };
    const granted = makeEvent({ schema: '1-1-0', consent: { analytics: true } });
    expect((await postEvents([denied, granted, deniedInvalid])).body).toEqual({ accepted: 1, rejected: [], without_consent: 2 });
    // A request with nothing to keep puts nothing on the stream and is still answered.
    expect(await postEvents(denied)).toEqual({ status: 202, body: { accepted: 0, rejected: [], without_consent: 1 } });
    await drain();
    const stored = JSON.stringify([...(await lakeRows('raw')), ...(await lakeRows('bad'))]);
    expect(stored).toContain(granted.event_id);
    for (const event of [denied, deniedInvalid]) expect(stored).not.toContain(event.event_id);
  });

  itLocal('runs two contract versions at once: each event is validated against, and stored with, the version it names', async () => {
    const v100 = makeEvent();
    const v110 = makeEvent({
      schema: '1-1-0',
      consent: { analytics: true },
      tracker: { name: 'backend', version: '2.0' },
      context: { timezone: 'Asia/Tokyo' },
    });
    // 1-1-0's fields in an event that does not name 1-1-0: a bad row under 1-0-0, recoverable by naming the version.
    const unnamed = { ...makeEvent(), tracker: { name: 'backend', version: '2.0' } };
    const future = { ...makeEvent(), schema: '1-2-0' };
    const answer = (await postEvents([v100, v110, unnamed, future])).body;
    expect(answer).toMatchObject({
      accepted: 2,
      rejected: [
        { index: 2, errors: [{ path: '/tracker' }] },
        { index: 3, errors: [{ path: '/schema' }] },
      ],
    });
    await drain();
    const raw = (await lakeRows<LakeEvent>('raw')).map((r) => r.row);
    expect(raw.find((r) => r.event_id === v100.event_id)).toMatchObject({ schema_version: '1-0-0' });
    expect(raw.find((r) => r.event_id === v110.event_id)).toMatchObject({ schema: '1-1-0', schema_version: '1-1-0', tracker: { name: 'backend' } });
    const bad = (await lakeRows<BadRow>('bad')).map((r) => r.row);
    expect(bad.filter((r) => [unnamed.event_id, future.event_id].includes(r.event_id!)).map((r) => r.type)).toEqual(['schema_violation', 'schema_violation']);
  });

  it('answers unknown routes with 404, not 500', async () => {
    const response = await fetch(`${outputs().ApiUrl}/nope`, { method: 'POST' });
    expect(response.status).toBe(404);
  });
});
