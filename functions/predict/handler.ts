import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { registryReader } from '#adapters/registry-use-cases';
import {
  isMatrixRequest,
  MAX_PREDICT_BODY_BYTES,
  ModelCache,
  parseBinaryPredictRequest,
  parsePredictRequest,
  PredictRequestError,
  predictColumns,
  predictThroughAlias,
  sessionIds,
  UnknownModelError,
  type AliasModels,
  type PredictRequest,
  type RemoteScorer,
} from '#domain/serving';
import { servingConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { bodyBytes, header, httpErrors, json, parseJsonBody, type HttpEvent, type HttpResult } from '#shared/http';
import { logger } from '#shared/logger';

const config = servingConfig();
// Per container: models stay loaded between requests; aliases are re-read every MODEL_CACHE_TTL_SECONDS.
const models = new ModelCache(registryReader(config.modelsTableName), config.modelCacheTtlSeconds * 1000);
// Loaded on first use: only aliases routed to a SageMaker endpoint need its client, which would slow every cold start.
const invokeEndpoint: RemoteScorer = async (endpoint, sessions, explain) =>
  (await import('#adapters/sagemaker-runtime')).invokeModelEndpoint(endpoint, { instances: sessions, explain });

const BINARY_TYPE = /^application\/octet-stream\b/i;
const INFO_LOGGED = new Set(['TRACE', 'DEBUG', 'INFO']);

/** JSON (sessions, or columns), or binary rows (application/octet-stream; model, alias and explain in the query string). */
function readRequest(event: HttpEvent): PredictRequest {
  if (!BINARY_TYPE.test(header(event, 'content-type') ?? '')) return parsePredictRequest(parseJsonBody(event, MAX_PREDICT_BODY_BYTES));
  const body = bodyBytes(event);
  if (body.length > MAX_PREDICT_BODY_BYTES) throw new RequestError(413, `Body is ${body.length} bytes; the limit is ${MAX_PREDICT_BODY_BYTES}.`);
  const query = event.queryStringParameters ?? {};
  return parseBinaryPredictRequest(body, {
    featureNames: header(event, 'x-feature-names'),
    valueType: header(event, 'x-feature-type'),
    ...(query.model === undefined ? {} : { model: query.model }),
    ...(query.alias === undefined ? {} : { alias: query.alias }),
    ...(query.explain === undefined ? {} : { explain: query.explain }),
  });
}

/** POST /predict: sessions (features, or raw events) → purchase probabilities from the aliased model. */
const predict = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
  let request;
  try {
    request = readRequest(event);
  } catch (error) {
    if (error instanceof PredictRequestError) throw new RequestError(400, error.message, error.details);
    throw error;
  }
  const served = await models.get(request.model, request.alias).catch((error: unknown) => {
    throw error instanceof UnknownModelError ? new RequestError(404, error.message) : error;
  });
  const answer = { request_id: context.awsRequestId, model: request.model, version: served.primary.version, alias: served.alias };
  // A matrix (columnar JSON, binary rows) is answered in columns: one probability per session, in order.
  if (isMatrixRequest(request)) {
    const { shadow, ...columns } = await predictColumns(served, request.sessions, request.explain, invokeEndpoint);
    logPredictions(
      request,
      served,
      () => {
        const ids = sessionIds(request.sessions);
        return columns.probabilities.map((p, i) => [ids[i], columns.versions?.[i] ?? served.primary.version, p, ...(shadow ? [shadow.probabilities[i]] : [])]);
      },
      shadow?.version,
    );
    return json(200, { ...answer, ...columns });
  }
  const { predictions, shadow } = await predictThroughAlias(served, request.sessions, request.explain, invokeEndpoint);
  logPredictions(
    request,
    served,
    () => predictions.map((p, i) => [p.session_id, p.version, p.probability, ...(shadow ? [shadow.probabilities[i]] : [])]),
    shadow?.version,
  );
  return json(200, { ...answer, predictions });
};

/**
 * One line per request with every session's version and score (and the shadow's), so versions can be compared;
 * built only when INFO is logged (a batch of 1,000 would otherwise pay for a line nobody writes).
 */
function logPredictions(request: PredictRequest, served: AliasModels, sessions: () => unknown[][], shadowVersion: string | undefined): void {
  if (!INFO_LOGGED.has(logger.getLevelName())) return;
  logger.info('predicted', {
    model: request.model,
    alias: served.alias,
    version: served.primary.version,
    ...('endpoint' in served.primary ? { endpoint: served.primary.endpoint } : {}),
    ...(served.canary ? { canary: { version: served.canary.model.version, weight: served.canary.weight } } : {}),
    ...(shadowVersion ? { shadow_version: shadowVersion } : {}),
    sessions: sessions(),
  });
}

export const handler = middy(predict).use(injectLambdaContext(logger)).use(httpErrors());
