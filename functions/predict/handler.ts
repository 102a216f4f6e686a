import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { firehoseCapture } from '#adapters/prediction-capture';
import { registryReader } from '#adapters/registry-use-cases';
import { captureRows } from '#domain/monitoring/capture';
import {
  isMatrixRequest,
  MAX_PREDICT_BODY_BYTES,
  namedSessions,
  ModelCache,
  parseBinaryPredictRequest,
  parsePredictRequest,
  PredictRequestError,
  predictColumns,
  predictThroughAlias,
  sessionIds,
  UnknownModelError,
  type AliasModels,
  type NamedSession,
  type PredictRequest,
  type RemoteScorer,
} from '#domain/serving';
import { captureConfig, servingConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { bodyBytes, header, httpErrors, json, parseJsonBody, type HttpEvent, type HttpResult } from '#shared/http';
import { countNow, logger, metrics } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = servingConfig();
// Per container: models stay loaded between requests; aliases are re-read every MODEL_CACHE_TTL_SECONDS.
const models = new ModelCache(registryReader(config.modelsTableName), config.modelCacheTtlSeconds * 1000);
// Loaded on first use: only aliases routed to a SageMaker endpoint need its client, which would slow every cold start.
const invokeEndpoint: RemoteScorer = async (endpoint, sessions, explain) =>
  (await import('#adapters/sagemaker-runtime')).invokeModelEndpoint(endpoint, { instances: sessions, explain });

const captureSettings = captureConfig();
// Served predictions to the lake's predictions/ zone, in the background (README, "Monitoring models").
const capture =
  captureSettings.deliveryStreamName === undefined
    ? undefined
    : firehoseCapture(captureSettings.deliveryStreamName, captureSettings.bufferRows, ({ sent, failed, dropped }) => {
        if (sent > 0) countNow('PredictionsCaptured', sent);
        if (failed + dropped > 0) countNow('CaptureFailures', failed + dropped);
      });

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
  const started = performance.now();
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
    const versions = columns.versions ?? columns.probabilities.map(() => served.primary.version);
    recordPredictions(request.model, served, versions, shadow ? columns.probabilities.length : 0, started);
    captureAnswered(context.awsRequestId, request, served, { versions, probabilities: columns.probabilities }, shadow);
    return json(200, { ...answer, ...columns });
  }
  const { predictions, shadow } = await predictThroughAlias(served, request.sessions, request.explain, invokeEndpoint);
  logPredictions(
    request,
    served,
    () => predictions.map((p, i) => [p.session_id, p.version, p.probability, ...(shadow ? [shadow.probabilities[i]] : [])]),
    shadow?.version,
  );
  const versions = predictions.map((p) => p.version ?? served.primary.version);
  recordPredictions(request.model, served, versions, shadow ? predictions.length : 0, started);
  captureAnswered(context.awsRequestId, request, served, { versions, probabilities: predictions.map((p) => p.probability) }, shadow);
  return json(200, { ...answer, predictions });
};

/** Hands the answered sessions to the capture (sampled by session); a failure there is a metric, never the caller's. */
function captureAnswered(
  requestId: string,
  request: PredictRequest,
  served: AliasModels,
  answered: { versions: readonly string[]; probabilities: readonly number[] },
  shadow: { version: string; probabilities: number[] } | undefined,
): void {
  if (!capture) return;
  try {
    const named = Array.isArray(request.sessions) ? (request.sessions as NamedSession[]) : undefined;
    let fromMatrix: NamedSession[] | undefined;
    const rows = captureRows({
      requestId,
      at: new Date(),
      model: request.model,
      alias: served.alias,
      ids: sessionIds(request.sessions),
      session: (i) => named?.[i] ?? (fromMatrix ??= namedSessions(request.sessions))[i]!,
      answered: { ...answered, ...(served.canary ? { canaryVersion: served.canary.model.version } : {}) },
      ...(shadow ? { shadow } : {}),
      rate: captureSettings.rate,
    });
    capture.add(rows);
  } catch (error) {
    countNow('CaptureFailures', sessionIds(request.sessions).length);
    logger.warn('prediction capture failed', { error });
  }
}

/**
 * Metrics (README, "Operating it"): sessions scored per model version and route (production, canary; shadow
 * scores apart), and the time to answer. The version dimension is bounded: one new value per promotion.
 */
function recordPredictions(model: string, served: AliasModels, versions: readonly string[], shadowed: number, started: number): void {
  const counts = new Map<string, number>();
  for (const version of versions) counts.set(version, (counts.get(version) ?? 0) + 1);
  const routes: [string, string, number][] = [...counts].map(([version, n]) => [
    version,
    version === served.canary?.model.version ? 'canary' : 'production',
    n,
  ]);
  if (shadowed > 0 && served.shadow) routes.push([served.shadow.version, 'shadow', shadowed]);
  for (const [version, route, n] of routes) countNow('Predictions', n, { model, alias: served.alias, route, model_version: version });
  metrics.addMetric('PredictLatency', MetricUnit.Milliseconds, performance.now() - started);
}

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

export const handler = lambdaHandler(predict).use(logMetrics(metrics)).use(httpErrors());
