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

export const kinesisClient = (): KinesisClient =>
  memo('kinesis', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('KINESIS');
    // Kinesis defaults to an HTTP/2 handler; HTTP/1.1 works on AWS and on every emulator.
    return explainUnreachableEndpoint(new KinesisClient({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });

export const firehoseClient = (): FirehoseClient =>
  memo('firehose', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('FIREHOSE');
    return explainUnreachableEndpoint(new FirehoseClient({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });

export const dynamoDbClient = (): DynamoDBClient =>
  memo('dynamodb', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('DYNAMODB');
    return explainUnreachableEndpoint(new DynamoDBClient({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });

export const dynamoDbDocumentClient = (): DynamoDBDocumentClient =>
  memo('dynamodb-document', () =>
    DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }),
  );

export const s3Client = (): S3Client =>
  memo('s3', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('S3');
    return explainUnreachableEndpoint(
      new S3Client({
        region,
        endpoint,
        // Custom endpoints seldom have wildcard DNS for virtual-hosted buckets.
        forcePathStyle: endpoint !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: httpHandler(),
      }),
      endpoint,
    );
  });

export const sfnClient = (): SFNClient =>
  memo('sfn', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('SFN');
    return explainUnreachableEndpoint(new SFNClient({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });

/** Endpoint calls sit inside a web request: a short timeout and one retry, then predict answers 503. */
export const sageMakerRuntimeClient = (): SageMakerRuntimeClient =>
  memo('sagemaker-runtime', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('SAGEMAKER_RUNTIME');
    return explainUnreachableEndpoint(
      new SageMakerRuntimeClient({ region, endpoint, maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }) }),
      endpoint,
    );
  });

export const sageMakerClient = (): SageMakerClient =>
  memo('sagemaker', () => {
    const { region, endpointFor } = awsSettings();
    const endpoint = endpointFor('SAGEMAKER');
    return explainUnreachableEndpoint(new SageMakerClient({ region, endpoint, requestHandler: httpHandler() }), endpoint);
  });
