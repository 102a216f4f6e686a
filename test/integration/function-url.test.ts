import type { LakeEvent } from '#domain/events/enrich';
import { drain, itLocal, lakeRows, outputs } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

/**
 * POST /events on the collector's function URL (stage param collectFunctionUrl; the suite's cloud turns it on): the
 * same function and answers as the HTTP API route, CORS from the same origins, the request's own source IP.
 */
describe('the collector on a Lambda function URL', () => {
  const url = () => `${outputs().CollectLambdaFunctionUrl}events`;
  const demoOrigin = () => new URL(outputs().DemoUrl!).origin;

  itLocal('answers CORS preflights for the allowed origins only', async () => {
    const preflight = (origin: string) => fetch(url(), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight(demoOrigin())).headers.get('access-control-allow-origin')).toBe(demoOrigin());
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  itLocal('takes a beacon (text/plain) and a JSON batch, refuses what the HTTP API route refuses, and lands the events in the lake', async () => {
    const beacon = makeEvent();
    const batch = [makeEvent(), makeEvent()];
    const send = (body: string, contentType: string) => fetch(url(), { method: 'POST', headers: { 'content-type': contentType, origin: demoOrigin() }, body });
    const first = await send(JSON.stringify([beacon]), 'text/plain;charset=UTF-8');
    expect(first.status).toBe(202);
    expect(first.headers.get('access-control-allow-origin')).toBe(demoOrigin());
    expect(await first.json()).toEqual({ accepted: 1, rejected: [], without_consent: 0 });
    expect((await send(JSON.stringify(batch), 'application/json')).status).toBe(202);
    expect((await send('event_type=page_view', 'application/x-www-form-urlencoded')).status).toBe(415);
    await drain();
    const ids = new Set([beacon, ...batch].map((e) => e.event_id));
    const rows = (await lakeRows<LakeEvent>('raw')).map((r) => r.row).filter((r) => ids.has(r.event_id));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.observed_ip).toMatch(/^(127\.0\.0\.0|::)$/);
  });
});
