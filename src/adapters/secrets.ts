import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pseudonymizedFields, type Pseudonymization } from '#domain/privacy';
import { cachedClient } from '#shared/aws-clients';
import { UnavailableError } from '#shared/errors';

export function secretsClient(): SecretsManagerClient {
  return cachedClient('SECRETS_MANAGER', (config) => new SecretsManagerClient(config));
}

export class SecretMissingError extends Error {
  override name = 'SecretMissingError';
}

/** How long a container trusts a secret it read: a rotation reaches every warm container within this. */
export const SECRET_CACHE_MS = 5 * 60_000;

/** A secret's current string, read once per `ttlMs` (concurrent callers share one read). */
export function cachedSecret(secretId: string, ttlMs = SECRET_CACHE_MS): () => Promise<string> {
  let cached: { value: Promise<string>; at: number } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > ttlMs) {
      const value = secretsClient()
        .send(new GetSecretValueCommand({ SecretId: secretId }))
        .then(({ SecretString }) => {
          if (!SecretString) throw new SecretMissingError(`Secret ${secretId} has no string value.`);
          return SecretString;
        });
      // A failed read is not kept: the next caller tries again.
      value.catch(() => (cached = undefined));
      cached = { value, at: Date.now() };
    }
    return cached.value;
  };
}

/** The stage's pseudonymization (src/domain/privacy.ts): its fields, and the key from Secrets Manager once one is needed. */
export function pseudonymization(settings: { fields: readonly string[]; secretId: string | undefined }): () => Promise<Pseudonymization | undefined> {
  const fields = pseudonymizedFields(settings.fields);
  if (fields.length === 0) return async () => undefined;
  if (!settings.secretId) throw new SecretMissingError('Pseudonymized fields are set, but PSEUDONYMIZATION_SECRET_ID is not: which secret holds the key?');
  const secret = cachedSecret(settings.secretId);
  return async () => {
    try {
      return { fields, key: Buffer.from(await secret(), 'utf8') };
    } catch (error) {
      // Without the key nothing may be stored: the request is refused as unavailable (a 503 the client sends again).
      throw new KeyUnavailableError(`The pseudonymization key (secret ${settings.secretId}) could not be read: ${(error as Error).message}`, {
        cause: error,
        publicMessage: 'Events cannot be accepted right now; send them again shortly.',
      });
    }
  };
}

export class KeyUnavailableError extends UnavailableError {}
