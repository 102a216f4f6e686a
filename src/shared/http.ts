import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { RequestError, UnavailableError } from './errors';
import { logger } from './logger';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Header lookup that ignores case (API Gateway lower-cases, other callers may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The raw body bytes, decoding API Gateway's base64 form. */
export const bodyBytes = (event: HttpEvent): Buffer =>
  event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

/**
 * Client mistakes (RequestError) become 4xx with a clear message, UnavailableError a 503 saying what is
 * missing; anything else becomes a 500 that names the request id and nothing internal. Always JSON.
 */
export const httpErrors = (): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => ({
  onError: async (request) => {
    const error = request.error;
    const requestId = request.context.awsRequestId;
    if (error instanceof RequestError) {
      request.response = json(error.statusCode, { error: error.name, message: error.message, ...(error.details === undefined ? {} : { details: error.details }), request_id: requestId });
      return;
    }
    if (error instanceof UnavailableError) {
      logger.warn('unavailable', { error: error.message });
      request.response = json(503, { error: error.name, message: error.message, request_id: requestId }, { 'retry-after': '30' });
      return;
    }
    logger.error('unhandled error', { error: error as Error });
    request.response = json(500, { error: 'InternalError', message: `The request failed on our side; quote request id ${requestId} when reporting it.`, request_id: requestId });
  },
});

/** Parses a JSON body after checking its content type and size. */
export function parseJsonBody(event: HttpEvent, maxBytes: number): unknown {
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType.trim())) {
    throw new RequestError(415, `Content-Type must be application/json (got "${contentType || 'none'}").`);
  }
  const bytes = bodyBytes(event);
  if (bytes.length > maxBytes) throw new RequestError(413, `Body is ${bytes.length} bytes; the limit is ${maxBytes}.`);
  if (bytes.length === 0) throw new RequestError(400, 'Body is empty; send a JSON event or an array of events.');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RequestError(400, `Body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A path parameter that must match a rule; otherwise a 400 that says what it must be. */
export function pathParam(event: HttpEvent, name: string, rule: { pattern: RegExp; says: string }): string {
  const value = event.pathParameters?.[name];
  if (!value || !rule.pattern.test(value)) throw new RequestError(400, `Path parameter ${name} must be ${rule.says}.`);
  return value;
}
