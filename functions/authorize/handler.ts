import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { matchApiKey, parseKeyHashes } from '../../src/domain/api-keys';
import { authorizerConfig } from '../../src/shared/config';
import { logger } from '../../src/shared/logger';

const hashes = parseKeyHashes(authorizerConfig().apiKeyHashes);

/** HTTP API Lambda authorizer (simple responses): allows a request whose bearer key hashes to a configured hash. */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<{ isAuthorized: boolean; context?: Record<string, string> }> => {
  const key = matchApiKey(event.headers?.authorization ?? event.identitySource?.[0], hashes);
  if (!key) {
    logger.warn('request denied: no valid API key', { route: event.routeKey });
    return { isAuthorized: false };
  }
  return { isAuthorized: true, context: { api_key: key } };
};
