import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describeExecution, historySince, startExecution } from '#adapters/stepfunctions';
import { outputs } from './cloud';
import { waitFor } from './wait';

/** Starts the training state machine and waits for it (2 minutes unless told): its description, history and output. */
export async function runTraining(input: unknown, timeoutMs = 120_000) {
  const arn = await startExecution(outputs().TrainingStateMachineArn!, input);
  const execution = await waitFor(
    `training execution ${arn} to end`,
    async () => {
      const described = await describeExecution(arn);
      return described.status !== 'RUNNING' && described;
    },
    timeoutMs,
  );
  const events = await historySince(arn, 0);
  const output = execution.output ? JSON.parse(execution.output) : undefined;
  return { execution, events, output, name: arn.split(':').pop()! };
}

/** The states a run entered, each once, in order. */
export const enteredStates = (events: HistoryEvent[]) => [
  ...new Set(events.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails!.name!)),
];
