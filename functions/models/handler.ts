import { getModelVersion, readModel, scanRegistryPage } from '#adapters/registry-table';
import { aliasHistory, NAME_RULE, runSummary, summarizeModels, versionSummary } from '#domain/registry';
import { servingConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { httpErrors, json, pathParam, type HttpEvent, type HttpResult } from '#shared/http';
import { lambdaHandler } from '#shared/lambda';

const config = servingConfig();

async function modelItems(name: string) {
  const items = await readModel(config.modelsTableName, name);
  if (!items) throw new RequestError(404, `No model named ${name}. GET /models lists them.`);
  return items;
}

const PAGE_DEFAULT = 100;
const PAGE_MAX = 500;

/** `?limit=` (1–500) and `?next=` (the token a previous page returned). */
function pageRequest(event: HttpEvent): { limit: number; after?: { model_name: string; sk: string } } {
  const query = event.queryStringParameters ?? {};
  const limit = query.limit === undefined ? PAGE_DEFAULT : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_MAX) throw new RequestError(400, `limit must be a whole number from 1 to ${PAGE_MAX}.`);
  if (query.next === undefined) return { limit };
  let after: unknown;
  try {
    after = JSON.parse(Buffer.from(query.next, 'base64url').toString('utf8'));
  } catch {
    after = undefined;
  }
  const key = after as { model_name?: unknown; sk?: unknown } | undefined;
  if (
    typeof key?.model_name !== 'string' ||
    !NAME_RULE.pattern.test(key.model_name) ||
    typeof key.sk !== 'string' ||
    key.sk.length > 200 ||
    Object.keys(key).length !== 2
  ) {
    throw new RequestError(400, 'next is not a token this API returned; start again without it.');
  }
  return { limit, after: { model_name: key.model_name, sk: key.sk } };
}

/**
 * GET /models, /models/{name}, /models/{name}/versions/{version}, /models/{name}/history: the registry, read-only,
 * behind the read-key authorizer. Artifact locations and run errors are not shown as stored: bucket names carry
 * the account id, and causes can hold ARNs and stack traces.
 */
const models = async (event: HttpEvent): Promise<HttpResult> => {
  switch (event.routeKey) {
    case 'GET /models': {
      const { limit, after } = pageRequest(event);
      const page = await scanRegistryPage(config.modelsTableName, limit, after);
      return json(200, { models: summarizeModels(page.items), ...(page.next ? { next: Buffer.from(JSON.stringify(page.next)).toString('base64url') } : {}) });
    }
    case 'GET /models/{name}': {
      const name = pathParam(event, 'name', NAME_RULE);
      const { versions, aliases, runs } = await modelItems(name);
      return json(200, {
        name,
        aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
        versions: versions.map(versionSummary).reverse(),
        runs: runs
          .sort((a, b) => b.at.localeCompare(a.at))
          .slice(0, 20)
          .map(runSummary),
      });
    }
    case 'GET /models/{name}/versions/{version}': {
      const name = pathParam(event, 'name', NAME_RULE);
      const version = await getModelVersion(config.modelsTableName, name, pathParam(event, 'version', NAME_RULE));
      if (!version) throw new RequestError(404, `${name} has no version ${event.pathParameters?.version}. GET /models/${name} lists them.`);
      // The inline artifact is the model itself, and its URI names the bucket (the account id): only its checksum and size.
      const { sha256, bytes } = version.artifact;
      return json(200, { ...version, artifact: { sha256, bytes } });
    }
    case 'GET /models/{name}/history': {
      const name = pathParam(event, 'name', NAME_RULE);
      return json(200, { name, history: aliasHistory((await modelItems(name)).aliases) });
    }
    default:
      throw new RequestError(404, `No route ${event.routeKey}.`);
  }
};

export const handler = lambdaHandler(models).use(httpErrors());
