import { NothingToRollBackError, rollbackAlias } from '#adapters/registry-use-cases';
import { getAlias, setAlias } from '#adapters/registry-table';
import { ALIAS_RULE, AliasConflictError, NAME_RULE, PRODUCTION_ALIAS, VersionNotFoundError } from '#domain/registry';
import { AdminRequestError, parseAliasMove, parseRollback } from '#domain/registry-requests';
import { servingConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { httpErrors, json, parseJsonBody, pathParam, type HttpEvent, type HttpResult } from '#shared/http';
import { countNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = servingConfig();

// An admin body is small; the limit keeps a hostile one from costing parse time.
const body = (event: HttpEvent): unknown => (event.body ? parseJsonBody(event, 16 * 1024) : undefined);

/**
 * POST /models/{name}/aliases/{alias} {version, expected_version?, reason?} and POST /models/{name}/rollback
 * {alias?, reason?}: the registry's writes, behind the admin API-key authorizer. Both are conditional: a
 * concurrent change makes them 409 and change nothing.
 */
const admin = async (event: HttpEvent): Promise<HttpResult> => {
  const name = pathParam(event, 'name', NAME_RULE);
  const by = `api/${(event.requestContext as { authorizer?: { lambda?: { api_key?: string } } }).authorizer?.lambda?.api_key ?? 'unknown'}`;
  try {
    if (event.routeKey === 'POST /models/{name}/rollback') {
      const input = parseRollback(body(event));
      const alias = input.alias ?? PRODUCTION_ALIAS;
      const { record, from, ended_routing } = await rollbackAlias(config.modelsTableName, name, alias, by, input.reason ?? 'rolled back over the API');
      logger.info('alias rolled back', { name, alias, from, version: record.version, ended_routing, by });
      countNow('RegistryChanges', 1, { change: 'rolled_back' });
      return json(200, { name, alias, version: record.version, previous: from, ended_routing, history: record.history });
    }
    const alias = pathParam(event, 'alias', ALIAS_RULE);
    const input = parseAliasMove(body(event));
    const expected = input.expected_version ?? (await getAlias(config.modelsTableName, name, alias))?.version ?? null;
    const record = await setAlias(config.modelsTableName, name, alias, {
      to: input.version,
      expected,
      by,
      reason: input.reason ?? 'promoted over the API',
    });
    logger.info('alias moved', { name, alias, from: expected, to: input.version, by });
    countNow('RegistryChanges', 1, { change: 'alias_moved' });
    return json(200, { name, alias, version: record.version, previous: expected });
  } catch (error) {
    if (error instanceof AdminRequestError) throw new RequestError(400, error.message, error.details);
    if (error instanceof VersionNotFoundError) throw new RequestError(404, error.message);
    if (error instanceof AliasConflictError || error instanceof NothingToRollBackError) throw new RequestError(409, error.message);
    throw error;
  }
};

export const handler = lambdaHandler(admin).use(httpErrors());
