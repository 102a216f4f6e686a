import { hashApiKey, matchApiKey, newApiKey, parseKeyHashes } from '#domain/api-keys';

describe('API keys', () => {
  const key = newApiKey();
  const other = newApiKey();
  const hashes = parseKeyHashes(` ${hashApiKey(other)}, ${hashApiKey(key).toUpperCase()} ,not-a-hash`);

  it('accepts a bearer key whose hash is configured, naming it by its hash prefix', () => {
    expect(key).toMatch(/^csml_[A-Za-z0-9_-]{32}$/);
    expect(matchApiKey(`Bearer ${key}`, hashes)).toBe(hashApiKey(key).slice(0, 8));
    expect(matchApiKey(`bearer ${other}`, hashes)).toBe(hashApiKey(other).slice(0, 8));
  });

  it('refuses a missing, malformed or unknown key, and everything when no hash is configured', () => {
    for (const header of [undefined, '', key, `Basic ${key}`, `Bearer ${key}x`, 'Bearer ']) expect(matchApiKey(header, hashes)).toBeUndefined();
    expect(parseKeyHashes('')).toEqual([]);
    expect(matchApiKey(`Bearer ${key}`, parseKeyHashes(undefined))).toBeUndefined();
  });
});
