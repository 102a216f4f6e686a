import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setAlias } from '#adapters/registry-table';
import type { BadRow } from '#domain/events/bad-row';
import type { LakeEvent } from '#domain/events/enrich';
import { sessionFeatures } from '#domain/features/session-features';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { drain, lakeRows, outputs, pseudonymOf } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { fuzzSeed } from '../helpers/fuzz';
import { trainedModel } from '../helpers/models';
import { registerVersion } from '../helpers/registry';

/**
 * Property-based fuzzing of every route that takes input, through the local HTTP API: at least 1,000 generated
 * requests per route per run (seeded: FUZZ_SEED reproduces a run, and fast-check prints the seed and the shrunk
 * request on failure), after the committed corpus of requests that once broke a route (test/fuzz-corpus/http.json).
 * Never a 5xx; every 4xx says what is wrong; every event POST /events accepts lands exactly once, in raw or bad.
 */
const RUNS = 1000;
const RUN = `fuzz-${randomUUID().slice(0, 8)}`;
const MODEL = `it-fuzz-${Date.now()}`;
const seed = fuzzSeed();

interface FuzzRequest {
  contentType: string | null;
  body: string | Uint8Array;
}

interface CorpusEntry {
  why: string;
  content_type: string | null;
  parts: { text?: string; hex?: string; times?: number }[];
}

const corpus = JSON.parse(readFileSync(path.join(__dirname, '..', 'fuzz-corpus', 'http.json'), 'utf8')) as Record<string, CorpusEntry[]>;
const partBytes = (part: CorpusEntry['parts'][number]): Buffer => {
  const one = part.text !== undefined ? Buffer.from(part.text, 'utf8') : Buffer.from(part.hex ?? '', 'hex');
  return Buffer.concat(Array<Buffer>(part.times ?? 1).fill(one));
};
const fromCorpus = (route: string): FuzzRequest[] =>
  (corpus[route] ?? []).map((entry) => ({ contentType: entry.content_type, body: Buffer.concat(entry.parts.map(partBytes)) }));

async function send(method: string, route: string, request: FuzzRequest, key?: string) {
  const response = await fetch(`${outputs().ApiUrl}${route}`, {
    method,
    headers: { ...(request.contentType === null ? {} : { 'content-type': request.contentType }), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    ...(method === 'GET' ? {} : { body: request.body }),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** What every answer must be, whatever was sent. */
function expectSane(answer: { status: number; body: any }) {
  expect(answer.status).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.body).toMatchObject({ message: expect.any(String) });
    expect(answer.body.message.length).toBeGreaterThan(0);
    expect(answer.body.message.length).toBeLessThan(1000);
    expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|arn:aws/);
  }
}

const contentTypes = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/vnd.api+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Any path segment a client can send to a route: "." and ".." are not one (URLs resolve them away before any gateway sees them). */
const pathSegment = fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s !== '.' && s !== '..');

/** Bodies that are not what a route wants: any JSON, any text, any bytes, deep nesting. */
const junkBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 30, max: 5000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.constant(''),
);

/** A contract event, valid or broken in one of the ways clients break them; tagged with the run so the lake can be checked. */
const clientEvent = fc
  .record({
    event_id: fc.uuid(),
    tag: fc.uuid(),
    event_type: fc.constantFrom('page_view', 'product_view', 'search', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase'),
    // Valid times outside the years other test files backfill (2000–2039): a fuzzed event never lands in a day another
    // test replays or trains on, while far past and far future are still sent.
    event_time: fc.oneof(
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('1999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.date({ min: new Date('2040-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2016-12-31T23:59:60Z', '2026-13-01T00:00:00Z', 'yesterday', '2026-11-20 10:00:00+0100', '0000-01-01T00:00:00z'),
    ),
    extra: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), { nil: undefined }),
    breakage: fc.constantFrom('none', 'none', 'none', 'drop-type', 'unknown-field', 'bad-id', 'long-session', 'wrong-type'),
  })
  .map(({ event_id, tag, event_type, event_time, extra, breakage }) => {
    const event: Record<string, unknown> = {
      ...makeEvent({ event_id, event_type, event_time, session_id: `${RUN}-s`, anonymous_id: `${RUN}-${tag}` }),
      ...(extra ? { extra } : {}),
    };
    if (breakage === 'drop-type') delete event.event_type;
    if (breakage === 'unknown-field') event.campaign = 'x';
    if (breakage === 'bad-id') event.event_id = 'not-a-uuid';
    if (breakage === 'long-session') event.session_id = 's'.repeat(200);
    if (breakage === 'wrong-type') event.product = 'p-1';
    return event;
  });

describe('fuzzing the HTTP routes (property-based)', () => {
  /** Per run tag: how often a POST /events answer accepted it as valid, and how often it was sent and rejected. */
  const accepted = new Map<string, string>();
  const rejectedSends = new Map<string, number>();

  beforeAll(async () => {
    const model = trainedModel('gbdt', 800);
    await registerVersion({ model: MODEL, version: 'v1', kind: model.kind, artifact: { name: MODEL, version: 'v1', model } });
    await setAlias(outputs().ModelsTableName!, MODEL, 'production', { to: 'v1', expected: null, by: 'fuzz', reason: 'fuzz target' });
  });

  it(`POST /events: ${RUNS} generated requests, never a 5xx, every accepted event tracked`, async () => {
    const bodies = fc.oneof(
      { weight: 6, arbitrary: fc.array(clientEvent, { minLength: 1, maxLength: 12 }).map((events) => ({ events, text: JSON.stringify(events) })) },
      { weight: 2, arbitrary: clientEvent.map((event) => ({ events: [event], text: JSON.stringify(event) })) },
      { weight: 2, arbitrary: junkBody.map((body) => ({ events: [] as Record<string, unknown>[], text: body })) },
    );
    const requests = fc.record({ contentType: contentTypes, body: bodies });
    const check = async (contentType: string | null, events: Record<string, unknown>[], body: string | Uint8Array) => {
      const answer = await send('POST', '/events', { contentType, body });
      expectSane(answer);
      if (answer.status !== 202 || events.length === 0) return;
      const rejectedIndexes = new Set((answer.body.rejected as { index: number }[]).map((r) => r.index));
      expect(answer.body.accepted + rejectedIndexes.size).toBe(events.length);
      events.forEach((event, i) => {
        const tag = String(event.anonymous_id);
        if (rejectedIndexes.has(i)) rejectedSends.set(tag, (rejectedSends.get(tag) ?? 0) + 1);
        else accepted.set(tag, String(event.event_id));
      });
    };
    for (const request of fromCorpus('POST /events')) await check(request.contentType, [], request.body);
    await fc.assert(
      fc.asyncProperty(requests, ({ contentType, body }) => check(contentType, body.events, body.text)),
      { numRuns: RUNS, seed },
    );
  });

  it('every accepted event landed exactly once in raw/, every rejected one once per send in bad/', async () => {
    await drain();
    // The lake holds each tag (an anonymous_id) as its pseudonym.
    const of = await pseudonymOf();
    const tagOf = new Map([...accepted.keys(), ...rejectedSends.keys()].map((tag) => [of(tag), tag]));
    const raw = (await lakeRows<LakeEvent>('raw')).filter((r) => tagOf.has(r.row.anonymous_id));
    const rawByTag = new Map<string, number>();
    for (const { row } of raw) {
      const tag = tagOf.get(row.anonymous_id)!;
      rawByTag.set(tag, (rawByTag.get(tag) ?? 0) + 1);
    }
    for (const tag of accepted.keys()) expect([tag, rawByTag.get(tag) ?? 0]).toEqual([tag, 1]);
    expect(raw.length).toBe(accepted.size);

    const badByTag = new Map<string, number>();
    for (const { row } of await lakeRows<BadRow>('bad')) {
      const payload = Buffer.from(row.payload_base64, 'base64').toString('utf8');
      const tag = tagOf.get(/"anonymous_id":"(ps_[0-9a-f]{64})"/.exec(payload)?.[1] ?? '');
      if (tag) badByTag.set(tag, (badByTag.get(tag) ?? 0) + 1);
    }
    for (const [tag, sends] of rejectedSends) expect([tag, badByTag.get(tag) ?? 0]).toEqual([tag, sends]);
    expect(accepted.size + rejectedSends.size).toBeGreaterThan(RUNS / 2);
  });

  it(`POST /predict: ${RUNS} generated requests, never a 5xx`, async () => {
    const shoppers = new ShopperModel(5, new Date('2026-01-01T00:00:00Z'), 86_400_000);
    const sessions = Array.from({ length: 20 }, () => shoppers.session().events);
    const featureValue = fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.string({ maxLength: 5 }));
    const predictBody = fc.oneof(
      fc
        .record({ pick: fc.integer({ min: 0, max: 19 }), explain: fc.boolean() })
        .map(({ pick, explain }) => JSON.stringify({ model: MODEL, explain, session: { events: sessions[pick] } })),
      fc
        .record({ pick: fc.integer({ min: 0, max: 19 }), noise: fc.dictionary(fc.string({ maxLength: 12 }), featureValue, { maxKeys: 3 }) })
        .map(({ pick, noise }) =>
          JSON.stringify({ model: MODEL, sessions: [{ session_id: `f${pick}`, features: { ...sessionFeatures(sessions[pick]!), ...noise } }] }),
        ),
      fc
        .record({
          model: fc.oneof(fc.constant(MODEL), fc.string({ maxLength: 70 })),
          alias: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          session: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((b) => JSON.stringify(b)),
      clientEvent.map((event) => JSON.stringify({ model: MODEL, session: { events: [event] } })),
      junkBody,
    );
    const requests = fc.record({ contentType: contentTypes, body: predictBody });
    for (const request of fromCorpus('POST /predict')) expectSane(await send('POST', '/predict', request));
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const answer = await send('POST', '/predict', request);
        expectSane(answer);
        if (answer.status === 200) expect(answer.body.predictions.every((p: { probability: number }) => p.probability >= 0 && p.probability <= 1)).toBe(true);
      }),
      { numRuns: RUNS, seed },
    );
  });

  it(`POST /models/{name}/aliases/{alias} and /rollback: ${RUNS} generated requests each, never a 5xx`, async () => {
    const segment = fc.oneof(fc.constant(MODEL), fc.constant('production'), pathSegment);
    const adminBody = fc.oneof(
      fc
        .record({
          version: fc.oneof(fc.constantFrom('v1', 'v9'), fc.jsonValue()),
          expected_version: fc.option(fc.oneof(fc.constant('v1'), fc.jsonValue()), { nil: undefined }),
          reason: fc.option(fc.string({ maxLength: 600 }), { nil: undefined }),
        })
        .map((b) => JSON.stringify(b)),
      fc
        .record({
          alias: fc.option(fc.oneof(fc.constant('production'), fc.string({ maxLength: 40 })), { nil: undefined }),
          reason: fc.option(fc.jsonValue(), { nil: undefined }),
        })
        .map((b) => JSON.stringify(b)),
      fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((b) => JSON.stringify(b)),
      junkBody,
    );
    const requests = fc.record({ name: segment, alias: segment, contentType: contentTypes, body: adminBody, route: fc.constantFrom('alias', 'rollback') });
    for (const route of ['POST /models/{name}/aliases/{alias}', 'POST /models/{name}/rollback']) {
      for (const request of fromCorpus(route)) {
        expectSane(
          await send(
            'POST',
            route === 'POST /models/{name}/rollback' ? `/models/${MODEL}/rollback` : `/models/${MODEL}/aliases/production`,
            request,
            'local-admin-key',
          ),
        );
      }
    }
    await fc.assert(
      fc.asyncProperty(requests, async ({ name, alias, contentType, body, route }) => {
        const url =
          route === 'alias' ? `/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}` : `/models/${encodeURIComponent(name)}/rollback`;
        expectSane(await send('POST', url, { contentType, body }, 'local-admin-key'));
      }),
      { numRuns: 2 * RUNS, seed },
    );
  });

  it(`GET /models…: ${RUNS} generated queries and paths, never a 5xx`, async () => {
    const query = fc.record({
      limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 1000 }).map(String), fc.string({ maxLength: 8 })), { nil: undefined }),
      next: fc.option(
        fc.oneof(
          fc.base64String({ maxLength: 60 }),
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
        ),
        { nil: undefined },
      ),
    });
    const paths = fc.oneof(
      query.map((q) => `/models?${new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined)).toString()}`),
      pathSegment.map((name) => `/models/${encodeURIComponent(name)}`),
      fc.tuple(fc.constantFrom(MODEL, 'nobody'), pathSegment).map(([name, version]) => `/models/${name}/versions/${encodeURIComponent(version)}`),
    );
    await fc.assert(
      fc.asyncProperty(paths, async (route) => expectSane(await send('GET', route, { contentType: null, body: '' }, 'local-read-key'))),
      { numRuns: RUNS, seed },
    );
  });
});
