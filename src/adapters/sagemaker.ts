import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { cachedClient } from '#shared/aws-clients';
import { sleep } from '#shared/retry';

export function sageMakerClient(): SageMakerClient {
  return cachedClient('SAGEMAKER', (config) => new SageMakerClient(config));
}

/**
 * Creates a SageMaker model, endpoint config and endpoint for a model artifact (ModelDataUrl: a model.tar.gz)
 * in the serving image, and waits until the endpoint is InService (or failed).
 */
export async function deployEndpoint(
  options: { endpointName: string; image: string; modelDataUrl: string; executionRoleArn: string; instanceType: string },
  onStatus: (status: string) => void = () => undefined,
): Promise<string> {
  const client = sageMakerClient();
  const { endpointName } = options;
  await client.send(
    new CreateModelCommand({
      ModelName: endpointName,
      ExecutionRoleArn: options.executionRoleArn,
      PrimaryContainer: { Image: options.image, ModelDataUrl: options.modelDataUrl },
    }),
  );
  await client.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: endpointName,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: endpointName, InstanceType: options.instanceType as never, InitialInstanceCount: 1 }],
    }),
  );
  await client.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: endpointName }));
  for (;;) {
    const { EndpointStatus, FailureReason } = await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    onStatus(EndpointStatus ?? 'Unknown');
    if (EndpointStatus === 'InService') return endpointName;
    if (EndpointStatus === 'Failed' || EndpointStatus === 'OutOfService')
      throw new Error(`Endpoint ${endpointName} is ${EndpointStatus}: ${FailureReason ?? 'no reason given'}.`);
    await sleep(2_000);
  }
}

/** An endpoint's status, or undefined if there is no such endpoint. */
export async function endpointStatus(endpointName: string): Promise<string | undefined> {
  try {
    return (await sageMakerClient().send(new DescribeEndpointCommand({ EndpointName: endpointName }))).EndpointStatus;
  } catch (error) {
    if ((error as Error).name === 'ValidationException') return undefined;
    throw error;
  }
}
