import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { cachedClient } from '#shared/aws-clients';
import { ClickstreamError } from '#shared/errors';

export function cloudFormationClient(): CloudFormationClient {
  return cachedClient('CLOUDFORMATION', (config) => new CloudFormationClient(config));
}

export class StackNotFoundError extends ClickstreamError {}

/** A deployed stack's outputs (what `sls deploy` prints), by key: how tooling finds the stack's resources. */
export async function stackOutputs(stackName: string): Promise<Record<string, string>> {
  let stack;
  try {
    [stack] = (await cloudFormationClient().send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (error) {
    // CloudFormation answers a missing stack with a ValidationError that says so.
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
      throw new StackNotFoundError(`Stack ${stackName} does not exist in this account and region.`, { cause: error });
    throw error;
  }
  if (!stack) throw new StackNotFoundError(`Stack ${stackName} does not exist in this account and region.`);
  return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
}
