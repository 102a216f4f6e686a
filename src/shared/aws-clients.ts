import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MiddlewareStack } from '@smithy/types';
import { awsSettings } from './config';
import { EndpointUnreachableError } from './errors';
import { tracer } from './logger';

/**
 * Where AWS SDK clients are made. Every client honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>;
 * nothing else in the code knows whether it talks to AWS or the local cloud.
 */
interface ClientLike {
  middlewareStack: MiddlewareStack<any, any>;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH']);

/** A refused connection to an overridden endpoint gets a message that says what to do. */
function explainUnreachableEndpoint<T extends ClientLike>(client: T, endpoint: string | undefined): T {
  if (endpoint === undefined) return client;
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== undefined && CONNECTION_ERRORS.has(code)) {
          throw new EndpointUnreachableError(
            `Cannot reach the AWS endpoint ${endpoint} (${code}). If that is the local cloud, start it with \`npm run local\` (or \`npm start\`).`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'explainUnreachableEndpoint', priority: 'low' },
  );
  return client;
}

const cache = new Map<string, unknown>();

function memo<T>(key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

/** Forget cached clients (tests that change the environment between cases). */
export function resetClients(): void {
  cache.clear();
}

// The socket timeout only ends a call that went silent; a function that must answer in time bounds its own calls
// (collect: 20 s of its 29 s, then a 503 listing what to send again; ingest's dedup calls: 10 s; predict's endpoint
// call: 3 s), so no function waits on a socket until its own timeout.
const httpHandler = () => new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 30_000 });

export type ClientConfig = { region: string; endpoint: string | undefined; requestHandler: NodeHttpHandler };

/**
 * The one way a client is made: cached per service, with the region, the service's endpoint
 * (AWS_ENDPOINT_URL[_<SERVICE>]), the unreachable-endpoint message and X-Ray tracing. Each adapter declares its service's
 * client with it (a function declaration), so a bundle holds, and starts, only the clients its function uses.
 */
export function cachedClient<T extends ClientLike>(envSuffix: string, make: (config: ClientConfig) => T): T {
  return memo(envSuffix, () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor(envSuffix);
    // Each call a subsegment of the function's trace (the tracer leaves the client as it is when tracing is off).
    return tracer.captureAWSv3Client(explainUnreachableEndpoint(make({ region, endpoint, requestHandler: httpHandler() }), endpoint));
  });
}

/** A client that has no endpoint of its own (e.g. a DynamoDB document client around the DynamoDB client), cached with the rest. */
export function cachedWrapper<T>(key: string, make: () => T): T {
  return memo(key, make);
}
