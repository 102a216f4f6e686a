import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { cachedClient } from '#shared/aws-clients';

export function sfnClient(): SFNClient {
  return cachedClient('SFN', (config) => new SFNClient(config));
}

export async function startExecution(stateMachineArn: string, input: unknown): Promise<string> {
  const { executionArn } = await sfnClient().send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  return executionArn!;
}

export async function describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return sfnClient().send(new DescribeExecutionCommand({ executionArn }));
}

/** The execution's history events after `afterId` (all pages). */
export async function historySince(executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfnClient().send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []).filter((e) => (e.id ?? 0) > afterId));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}
