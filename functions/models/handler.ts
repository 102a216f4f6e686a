import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { getModelVersion, queryModel, scanRegistry } from '../../src/adapters/models-table';
import { aliasHistory, NAME_RULE, summarizeModels, versionSummary, type AliasRecord, type ModelVersion, type RunRecord } from '../../src/domain/registry';
import { servingConfig } from '../../src/shared/config';
import { RequestError } from '../../src/shared/errors';
import { httpErrors, json, pathParam, type HttpEvent, type HttpResult } from '../../src/shared/http';
import { logger } from '../../src/shared/logger';

const config = servingConfig();

async function modelItems(name: string) {
  const items = await queryModel(config.modelsTableName, name, '');
  if (items.length === 0) throw new RequestError(404, `No model named ${name}. GET /models lists them.`);
  const of = <T>(prefix: string) => items.filter((i) => String(i.sk).startsWith(prefix)) as T[];
  return { versions: of<ModelVersion>('version#'), aliases: of<AliasRecord>('alias#'), runs: of<RunRecord>('run#') };
}

/** GET /models, /models/{name}, /models/{name}/versions/{version}, /models/{name}/history: the registry, read-only. */
const models = async (event: HttpEvent): Promise<HttpResult> => {
  switch (event.routeKey) {
    case 'GET /models':
      return json(200, { models: summarizeModels(await scanRegistry(config.modelsTableName)) });
    case 'GET /models/{name}': {
      const name = pathParam(event, 'name', NAME_RULE);
      const { versions, aliases, runs } = await modelItems(name);
      return json(200, {
        name,
        aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
        versions: versions.map(versionSummary).reverse(),
        runs: runs.sort((a, b) => b.at.localeCompare(a.at)).slice(0, 20),
      });
    }
    case 'GET /models/{name}/versions/{version}': {
      const name = pathParam(event, 'name', NAME_RULE);
      const version = await getModelVersion(config.modelsTableName, name, pathParam(event, 'version', NAME_RULE));
      if (!version) throw new RequestError(404, `${name} has no version ${event.pathParameters?.version}. GET /models/${name} lists them.`);
      // The inline artifact is the model itself: GET shows where it is and its checksum, not its parameters.
      const { inline: _inline, ...artifact } = version.artifact;
      return json(200, { ...version, artifact });
    }
    case 'GET /models/{name}/history': {
      const name = pathParam(event, 'name', NAME_RULE);
      return json(200, { name, history: aliasHistory((await modelItems(name)).aliases) });
    }
    default:
      throw new RequestError(404, `No route ${event.routeKey}.`);
  }
};

export const handler = middy(models).use(injectLambdaContext(logger)).use(httpErrors());
