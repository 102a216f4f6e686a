import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, tracer } from './logger';

/**
 * Every function's middy chain starts here: an X-Ray segment per invocation (Powertools Tracer; off where tracing
 * is, e.g. locally — responses are never put in traces, they can hold data), then the logger's Lambda context.
 * Functions that emit metrics add `logMetrics(metrics)`, HTTP ones `httpErrors()`.
 */
export function lambdaHandler<E, R>(handler: (event: E, context: Context) => Promise<R>) {
  return middy(handler)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger));
}
