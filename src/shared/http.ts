import type { MiddlewareObj } from '@middy/core';
import { isUtf8 } from 'node:buffer';
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

/**
 * The raw body bytes, decoding API Gateway's base64 form. API Gateway always passes a string; serverless-offline
 * passes a body it parsed as JSON to a falsy value (`false`, `0`) as that value, and `null` (or nothing) as null.
 */
export function bodyBytes(event: HttpEvent): Buffer {
  const body: unknown = event.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return Buffer.from(JSON.stringify(body));
  return Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * Client mistakes (RequestError) become 4xx with a clear message, UnavailableError a 503 saying what is
 * missing; anything else becomes a 500 that names the request id and nothing internal. Always JSON.
 */
export const httpErrors = (): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => ({
  onError: async (request) => {
    const error = request.error;
    const requestId = request.context.awsRequestId;
    if (error instanceof RequestError) {
      request.response = json(error.statusCode, {
        error: error.name,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
        request_id: requestId,
      });
      return;
    }
    if (error instanceof UnavailableError) {
      logger.warn('unavailable', { error: error.message, request_id: requestId });
      request.response = json(
        503,
        { error: error.name, message: `${error.publicMessage} (request id ${requestId})`, request_id: requestId },
        { 'retry-after': '30' },
      );
      return;
    }
    logger.error('unhandled error', { error: error as Error });
    request.response = json(500, {
      error: 'InternalError',
      message: `The request failed on our side; quote request id ${requestId} when reporting it.`,
      request_id: requestId,
    });
  },
});

/** JSON nested deeper than this is refused before it is parsed: serializing it again could overflow the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * How deeply the JSON text nests arrays and objects (strings skipped), in one pass over the bytes; stops
 * counting once past `limit`. Cheaper than parsing, and safe whatever the depth.
 */
export function jsonDepthExceeds(text: Uint8Array | string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  const isString = typeof text === 'string';
  for (let i = 0; i < text.length; i++) {
    // The characters that matter are ASCII: the same code in a UTF-8 byte and a UTF-16 code unit.
    const c = isString ? text.charCodeAt(i) : text[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const JSON_TYPE = /^application\/(.+\+)?json\b/i;
const TEXT_TYPE = /^text\/plain\b/i;

/**
 * Parses a JSON body after checking its content type, size, encoding (UTF-8: invalid bytes would each grow
 * into a 3-byte replacement character downstream) and nesting depth. `textPlain`: also take JSON sent as
 * text/plain — what `navigator.sendBeacon` sends a string as (and a type browsers send cross-origin without a preflight).
 */
export function parseJsonBody(event: HttpEvent, maxBytes: number, options: { textPlain?: boolean } = {}): unknown {
  const contentType = (header(event, 'content-type') ?? '').trim();
  if (!JSON_TYPE.test(contentType) && !(options.textPlain && TEXT_TYPE.test(contentType))) {
    const allowed = options.textPlain ? 'application/json (or text/plain holding JSON, as navigator.sendBeacon sends)' : 'application/json';
    throw new RequestError(415, `Content-Type must be ${allowed} (got "${contentType.slice(0, 100) || 'none'}").`);
  }
  // A text body comes as a string API Gateway decoded already: checked and parsed as it is (no round trip through
  // bytes); a base64 one is decoded and must be UTF-8.
  let text: string;
  if (typeof event.body === 'string' && !event.isBase64Encoded) {
    const size = Buffer.byteLength(event.body);
    if (size > maxBytes) throw new RequestError(413, `Body is ${size} bytes; the limit is ${maxBytes}.`);
    text = event.body;
  } else {
    const bytes = bodyBytes(event);
    if (bytes.length > maxBytes) throw new RequestError(413, `Body is ${bytes.length} bytes; the limit is ${maxBytes}.`);
    if (!isUtf8(bytes)) throw new RequestError(400, 'Body is not valid UTF-8; JSON must be sent as UTF-8.');
    text = bytes.toString('utf8');
  }
  if (text.length === 0) throw new RequestError(400, 'Body is empty; send a JSON event or an array of events.');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new RequestError(400, `Body nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, `Body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

/** A path parameter that must match a rule; otherwise a 400 that says what it must be. */
export function pathParam(event: HttpEvent, name: string, rule: { pattern: RegExp; says: string }): string {
  const value = event.pathParameters?.[name];
  if (!value || !rule.pattern.test(value)) throw new RequestError(400, `Path parameter ${name} must be ${rule.says}.`);
  return value;
}
