import { outputs } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

/**
 * A corpus of bad requests to every route that takes input: each is a 4xx with a clear message (no stack, no
 * internals), none a 5xx. (An invalid *event* sent to POST /events is not one: it is accepted as a bad row.)
 */
const big = 'x'.repeat(7 * 1024 * 1024);
const CORPUS: [string, string, string, Record<string, string>?][] = [
  ['malformed JSON', 'POST /predict', '{"session": {"features": {'],
  ['a JSON string', 'POST /predict', '"hello"'],
  ['a JSON array', 'POST /predict', '[1, 2, 3]'],
  ['null', 'POST /predict', 'null'],
  ['an empty body', 'POST /predict', ''],
  ['missing session', 'POST /predict', '{"explain": true}'],
  ['session and sessions', 'POST /predict', '{"session": {"features": {}}, "sessions": [{"features": {}}]}'],
  ['features as a string', 'POST /predict', '{"session": {"features": "n_events=3"}}'],
  ['a feature as a string', 'POST /predict', '{"session": {"features": {"n_events": "3"}}}'],
  ['an unknown feature in unicode', 'POST /predict', '{"session": {"features": {"nombre_de_vues_🛒": 3}}}'],
  ['explain as a string', 'POST /predict', '{"explain": "yes", "session": {"features": {}}}'],
  ['5,000 sessions', 'POST /predict', JSON.stringify({ sessions: Array(5000).fill({ features: {} }) })],
  ['600 events in a session', 'POST /predict', JSON.stringify({ session: { events: Array(600).fill(makeEvent()) } })],
  ['an event missing fields', 'POST /predict', JSON.stringify({ session: { events: [{ event_type: 'page_view' }] } })],
  ['a unicode session id too long', 'POST /predict', JSON.stringify({ session: { session_id: 'é'.repeat(200), features: {} } })],
  ['an unknown model', 'POST /predict', '{"model": "no-such-model", "session": {"features": {}}}'],
  ['a model name with a slash', 'POST /predict', '{"model": "../etc", "session": {"features": {}}}'],
  ['an unknown alias', 'POST /predict', '{"alias": "nightly-🚀", "session": {"features": {}}}'],
  ['7 MB', 'POST /predict', JSON.stringify({ session: { session_id: big, features: {} } })],
  ['text/plain', 'POST /predict', '{"session": {"features": {}}}', { 'content-type': 'text/plain' }],
  ['an unknown model name', 'GET /models/nobody-here', ''],
  ['a bad model name', 'GET /models/%F0%9F%92%A9', ''],
  ['an unknown version', 'GET /models/purchase-propensity/versions/0000', ''],
  ['malformed JSON to collect', 'POST /events', '[{"event_id": '],
  ['501 events to collect', 'POST /events', JSON.stringify(Array(501).fill(makeEvent()))],
];

describe('bad input corpus', () => {
  // One `it` per case (not it.each: its titles would carry the multi-megabyte bodies).
  for (const [label, route, body, headers] of CORPUS) {
    it(`${label} → 4xx with a clear message`, async () => {
      const [method, path] = route.split(' ') as [string, string];
      const response = await fetch(`${outputs().ApiUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(method === 'POST' ? { body } : {}),
      });
      const text = await response.text();
      expect([route, response.status >= 400 && response.status < 500]).toEqual([route, true]);
      const answer = JSON.parse(text) as { message?: string };
      expect(typeof answer.message).toBe('string');
      expect(answer.message!.length).toBeGreaterThan(10);
      expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|stack/i);
    });
  }
});
