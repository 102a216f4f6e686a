import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys for the HTTP API's Lambda authorizers. Only SHA-256 hashes are configured (stage params), never
 * keys; a request presents `Authorization: Bearer <key>`. Hashes compare in constant time.
 */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export const newApiKey = (): string => `csml_${randomBytes(24).toString('base64url')}`;

/** The configured hashes (comma-separated hex); anything malformed is ignored, so a typo denies rather than allows. */
export const parseKeyHashes = (value: string | undefined): Buffer[] =>
  (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => /^[0-9a-f]{64}$/.test(h))
    .map((h) => Buffer.from(h, 'hex'));

/** Which configured key (its hash's first 8 hex digits, for logs) the Authorization header carries, if any. */
export function matchApiKey(authorization: string | undefined, hashes: readonly Buffer[]): string | undefined {
  const key = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (!key) return undefined;
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const match = hashes.find((h) => timingSafeEqual(h, presented));
  return match?.toString('hex').slice(0, 8);
}
