import type { IncomingMessage, ServerResponse } from 'node:http';
import { InjectedFault } from './faults';

/** An error in the AWS JSON protocol shape: HTTP status and `{__type, message}`. */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': contentType, 'content-length': payload.length, 'x-amzn-requestid': crypto.randomUUID() });
  res.end(payload);
}

/** Serves one AWS JSON-protocol service: X-Amz-Target "<Prefix>.<Operation>" → handler. */
export function jsonProtocolService(
  name: string,
  operations: Record<string, (input: any) => unknown | Promise<unknown>>,
  contentType = 'application/x-amz-json-1.1',
) {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    try {
      const handler = operations[operation];
      if (!handler) throw new AwsJsonError('UnknownOperationException', `${name} (local) does not implement ${operation}.`);
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new AwsJsonError('SerializationException', 'Request body is not JSON.');
      }
      sendJson(res, 200, (await handler(input)) ?? {}, contentType);
    } catch (error) {
      if (error instanceof AwsJsonError || error instanceof InjectedFault)
        sendJson(res, error.status, { __type: error.type, message: error.message }, contentType);
      else sendJson(res, 500, { __type: 'InternalFailure', message: (error as Error).message }, contentType);
    }
  };
}
