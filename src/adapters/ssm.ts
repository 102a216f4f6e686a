import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { cachedClient } from '#shared/aws-clients';

export function ssmClient(): SSMClient {
  return cachedClient('SSM', (config) => new SSMClient(config));
}

export class ParameterMissingError extends Error {
  override name = 'ParameterMissingError';
}

/** The values of String parameters, in the order asked (GetParameters takes up to 10 names a call). */
export async function getParameterValues(names: readonly string[]): Promise<string[]> {
  const { Parameters = [], InvalidParameters = [] } = await ssmClient().send(new GetParametersCommand({ Names: [...names] }));
  if (InvalidParameters.length > 0) throw new ParameterMissingError(`No SSM parameter ${InvalidParameters.join(', ')}.`);
  const byName = new Map(Parameters.map((p) => [p.Name, p.Value ?? '']));
  return names.map((n) => byName.get(n) ?? '');
}

export async function putParameterValue(name: string, value: string): Promise<void> {
  await ssmClient().send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
}
