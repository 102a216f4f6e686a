import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MiddlewareStack } from '@smithy/types';
import { awsSettings } from './config';
import { EndpointUnreachableError } from './errors';

/**
 * The one place AWS SDK clients are made. Every client honours AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>; nothing else in the code knows whether it talks to AWS or the local cloud.
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

const httpHandler = () => new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 30_000 });

type ClientConfig = { region: string; endpoint: string | undefined; requestHandler: NodeHttpHandler };

/**
 * The service's cached client: the region, its endpoint (AWS_ENDPOINT_URL[_<SERVICE>]), the unreachable-endpoint
 * message. The exports below are function declarations, so a bundle keeps only the clients its function calls.
 */
function cachedClient<T extends ClientLike>(envSuffix: string, make: (config: ClientConfig) => T): T {
  return memo(envSuffix, () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor(envSuffix);
    return explainUnreachableEndpoint(make({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });
}

// Kinesis defaults to an HTTP/2 handler; HTTP/1.1 (the factory's handler) works on AWS and on every emulator.
export function kinesisClient(): KinesisClient {
  return cachedClient('KINESIS', (config) => new KinesisClient(config));
}

export function firehoseClient(): FirehoseClient {
  return cachedClient('FIREHOSE', (config) => new FirehoseClient(config));
}

export function dynamoDbClient(): DynamoDBClient {
  return cachedClient('DYNAMODB', (config) => new DynamoDBClient(config));
}

export function dynamoDbDocumentClient(): DynamoDBDocumentClient {
  return memo('dynamodb-document', () => DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }));
}

export function s3Client(): S3Client {
  return cachedClient(
    'S3',
    (config) =>
      new S3Client({
        ...config,
        // Custom endpoints seldom have wildcard DNS for virtual-hosted buckets.
        forcePathStyle: config.endpoint !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
  );
}

export function sfnClient(): SFNClient {
  return cachedClient('SFN', (config) => new SFNClient(config));
}

/** Endpoint calls sit inside a web request: a short timeout and one retry, then predict answers 503. */
export function sageMakerRuntimeClient(): SageMakerRuntimeClient {
  return cachedClient(
    'SAGEMAKER_RUNTIME',
    (config) => new SageMakerRuntimeClient({ ...config, maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }) }),
  );
}

export function sageMakerClient(): SageMakerClient {
  return cachedClient('SAGEMAKER', (config) => new SageMakerClient(config));
}
