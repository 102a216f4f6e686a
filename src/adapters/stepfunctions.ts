import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
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

/** A state machine's most recent executions, newest first. */
export async function recentExecutions(stateMachineArn: string, maxResults = 20): Promise<ExecutionListItem[]> {
  const { executions = [] } = await sfnClient().send(new ListExecutionsCommand({ stateMachineArn, maxResults }));
  return executions;
}
