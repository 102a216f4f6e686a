import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { readBody } from './aws-json';
import type { Invoke } from './event-source-mapping';

/** A function URL's CORS settings, as CloudFormation's AWS::Lambda::Url takes them. */
export interface UrlCors {
  AllowOrigins?: string[];
  AllowMethods?: string[];
  AllowHeaders?: string[];
  MaxAge?: number;
}

const TEXT = /^(text\/|application\/(.+\+)?json|application\/x-www-form-urlencoded)/i;

/**
 * Lambda function URLs, locally: one HTTP server, a path per URL (`/<logical id>/…` stands for the URL's host). A
 * request becomes the payload-2.0 event a function URL sends (source IP and user agent from the connection), the
 * function runs through the same Invoke the event-source mappings use, and its answer (or a 502 when it fails) goes
 * back, with CORS answered as the URL's settings say.
 */
export class LocalFunctionUrls {
  private readonly targets = new Map<string, { functionName: string; cors?: UrlCors }>();
  base = '';

  constructor(private readonly invoke: Invoke) {}

  /** The URL CloudFormation's Fn::GetAtt FunctionUrl gives for this resource. */
  urlOf(logicalId: string): string {
    return `${this.base}/${logicalId}/`;
  }

  register(logicalId: string, functionName: string, cors?: UrlCors): void {
    this.targets.set(logicalId, { functionName, ...(cors ? { cors } : {}) });
  }

  readonly server = http.createServer((req, res) => {
    void this.handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: error.message }));
    });
  });

  private corsHeaders(cors: UrlCors | undefined, origin: string | undefined): Record<string, string> {
    if (!cors || !origin) return {};
    const origins = cors.AllowOrigins ?? [];
    if (!origins.includes('*') && !origins.includes(origin)) return {};
    return { 'access-control-allow-origin': origins.includes('*') ? '*' : origin, vary: 'Origin' };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, logicalId = '', ...rest] = url.pathname.split('/');
    const target = this.targets.get(logicalId);
    if (!target) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: `No function URL at /${logicalId}/.` }));
      return;
    }
    const origin = req.headers.origin;
    const cors = this.corsHeaders(target.cors, origin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      const allowed =
        Object.keys(cors).length > 0 && (target.cors?.AllowMethods ?? []).some((m) => m === '*' || m === req.headers['access-control-request-method']);
      res
        .writeHead(
          200,
          allowed
            ? {
                ...cors,
                'access-control-allow-methods': (target.cors?.AllowMethods ?? []).join(','),
                'access-control-allow-headers': (target.cors?.AllowHeaders ?? []).join(','),
                'access-control-max-age': String(target.cors?.MaxAge ?? 0),
              }
            : {},
        )
        .end();
      return;
    }
    const body = await readBody(req);
    const text = TEXT.test(String(req.headers['content-type'] ?? ''));
    const now = new Date();
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: `/${rest.join('/')}`,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      requestContext: {
        accountId: 'anonymous',
        apiId: logicalId.toLowerCase(),
        domainName: `${logicalId.toLowerCase()}.lambda-url.local`,
        domainPrefix: logicalId.toLowerCase(),
        http: {
          method: req.method ?? 'GET',
          path: `/${rest.join('/')}`,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress ?? '',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text } : { isBase64Encoded: false }),
    };
    const { functionError, payload } = await this.invoke(target.functionName, event);
    if (functionError) {
      res.writeHead(502, { 'content-type': 'application/json', ...cors }).end(JSON.stringify({ Message: 'Internal Server Error' }));
      return;
    }
    // A function URL takes a response object ({statusCode, headers, body, isBase64Encoded}), or any value as a 200 JSON body.
    const answer = payload as { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } | null;
    if (answer && typeof answer === 'object' && typeof answer.statusCode === 'number') {
      const out = answer.body === undefined ? '' : answer.isBase64Encoded ? Buffer.from(answer.body, 'base64') : answer.body;
      res.writeHead(answer.statusCode, { ...answer.headers, ...cors }).end(out);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...cors }).end(JSON.stringify(payload));
  }
}
