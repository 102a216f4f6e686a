import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { NothingToRollBackError, rollbackAlias } from '../../src/adapters/model-registry';
import { getAlias, setAlias } from '../../src/adapters/models-table';
import { ALIAS_RULE, AliasConflictError, NAME_RULE, PRODUCTION_ALIAS, VersionNotFoundError } from '../../src/domain/registry';
import { servingConfig } from '../../src/shared/config';
import { RequestError } from '../../src/shared/errors';
import { httpErrors, json, parseJsonBody, pathParam, type HttpEvent, type HttpResult } from '../../src/shared/http';
import { logger } from '../../src/shared/logger';

const config = servingConfig();

function body(event: HttpEvent): Record<string, unknown> {
  if (!event.body) return {};
  const value = parseJsonBody(event, 16 * 1024);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RequestError(400, 'Body must be a JSON object.');
  const unknown = Object.keys(value).filter((k) => !['version', 'expected_version', 'reason', 'alias'].includes(k));
  if (unknown.length > 0) throw new RequestError(400, `Unknown field(s) ${unknown.join(', ')}.`);
  return value as Record<string, unknown>;
}

const text = (value: unknown, name: string, pattern?: RegExp): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 500 || (pattern && !pattern.test(value)))
    throw new RequestError(400, `"${name}" must be a non-empty string${pattern ? ` matching ${pattern.source}` : ''}.`);
  return value;
};

/**
 * POST /models/{name}/aliases/{alias} {version, expected_version?, reason?} and POST /models/{name}/rollback
 * {alias?, reason?}: the registry's writes, behind the admin API-key authorizer. Both are conditional: a
 * concurrent change makes them 409 and change nothing.
 */
const admin = async (event: HttpEvent): Promise<HttpResult> => {
  const name = pathParam(event, 'name', NAME_RULE);
  const input = body(event);
  const by = `api/${(event.requestContext as { authorizer?: { lambda?: { api_key?: string } } }).authorizer?.lambda?.api_key ?? 'unknown'}`;
  try {
    if (event.routeKey === 'POST /models/{name}/rollback') {
      const alias = text(input.alias, 'alias', ALIAS_RULE.pattern) ?? PRODUCTION_ALIAS;
      const { record, from, ended_routing } = await rollbackAlias(
        config.modelsTableName,
        name,
        alias,
        by,
        text(input.reason, 'reason') ?? 'rolled back over the API',
      );
      logger.info('alias rolled back', { name, alias, from, version: record.version, ended_routing, by });
      return json(200, { name, alias, version: record.version, previous: from, ended_routing, history: record.history });
    }
    const alias = pathParam(event, 'alias', ALIAS_RULE);
    const version = text(input.version, 'version', NAME_RULE.pattern);
    if (!version) throw new RequestError(400, 'Give the "version" to point the alias at.');
    const expected =
      input.expected_version === undefined
        ? ((await getAlias(config.modelsTableName, name, alias))?.version ?? null)
        : (text(input.expected_version, 'expected_version', NAME_RULE.pattern) ?? null);
    const record = await setAlias(config.modelsTableName, name, alias, {
      to: version,
      expected,
      by,
      reason: text(input.reason, 'reason') ?? 'promoted over the API',
    });
    logger.info('alias moved', { name, alias, from: expected, to: version, by });
    return json(200, { name, alias, version: record.version, previous: expected });
  } catch (error) {
    if (error instanceof VersionNotFoundError) throw new RequestError(404, error.message);
    if (error instanceof AliasConflictError || error instanceof NothingToRollBackError) throw new RequestError(409, error.message);
    throw error;
  }
};

export const handler = middy(admin).use(injectLambdaContext(logger)).use(httpErrors());
