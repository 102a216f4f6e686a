import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { getParameterValues } from '#adapters/ssm';
import { matchApiKey, parseKeyHashes } from '#domain/api-keys';
import { authorizerConfig } from '#shared/config';
import { logger } from '#shared/logger';

const config = authorizerConfig();
let known: { hashes: Buffer[]; readAt: number } | undefined;

/**
 * The accepted key hashes, re-read from SSM at most every KEY_CACHE_SECONDS. If SSM cannot be read, the last
 * hashes read stay in force (a revocation waits for SSM to answer again); with none read yet, nobody gets in.
 */
async function keyHashes(): Promise<Buffer[]> {
  if (known && Date.now() - known.readAt < config.keyCacheSeconds * 1000) return known.hashes;
  try {
    const values = await getParameterValues(config.apiKeyParameters);
    known = { hashes: values.flatMap((v) => parseKeyHashes(v)), readAt: Date.now() };
  } catch (error) {
    logger.error('API key hashes unreadable from SSM; using the last ones read', {
      error: error as Error,
      parameters: config.apiKeyParameters,
      known: known !== undefined,
    });
  }
  return known?.hashes ?? [];
}

/** HTTP API Lambda authorizer (simple responses): allows a request whose bearer key hashes to an accepted hash. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<{ isAuthorized: boolean; context?: Record<string, string> }> => {
  const key = matchApiKey(event.headers?.authorization ?? event.identitySource?.[0], await keyHashes());
  if (!key) {
    logger.warn('request denied: no valid API key', { route: event.routeKey });
    return { isAuthorized: false };
  }
  return { isAuthorized: true, context: { api_key: key } };
};
