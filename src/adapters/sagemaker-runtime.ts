import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { InvocationRequest } from '#domain/invocations';
import { ModelUnavailableError, type Prediction } from '#domain/serving';
import { cachedClient } from '#shared/aws-clients';

const ENDPOINT_UNAVAILABLE = 'The model endpoint is unavailable right now; try again later.';

/** Endpoint calls sit inside a web request: a short timeout and one retry, then predict answers 503. */
export function sageMakerRuntimeClient(): SageMakerRuntimeClient {
  return cachedClient(
    'SAGEMAKER_RUNTIME',
    (config) =>
      new SageMakerRuntimeClient({ ...config, maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }) }),
  );
}

/** Scores sessions on a SageMaker endpoint (the serving/ container); any failure is a 503 naming the endpoint. */
export async function invokeModelEndpoint(endpointName: string, request: InvocationRequest): Promise<{ version?: string; predictions: Prediction[] }> {
  let body: { version?: unknown; predictions?: Prediction[]; message?: string };
  try {
    const response = await sageMakerRuntimeClient().send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: Buffer.from(JSON.stringify(request)),
      }),
    );
    body = JSON.parse(Buffer.from(response.Body ?? new Uint8Array()).toString('utf8'));
  } catch (error) {
    throw new ModelUnavailableError(
      `SageMaker endpoint ${endpointName} did not answer (${(error as Error).name}: ${(error as Error).message}); check it is InService, or route the alias back to in-Lambda serving.`,
      { cause: error, publicMessage: ENDPOINT_UNAVAILABLE },
    );
  }
  if (!Array.isArray(body.predictions) || body.predictions.length !== request.instances.length) {
    throw new ModelUnavailableError(`SageMaker endpoint ${endpointName} answered without one prediction per session.`, { publicMessage: ENDPOINT_UNAVAILABLE });
  }
  return { ...(typeof body.version === 'string' ? { version: body.version } : {}), predictions: body.predictions };
}
