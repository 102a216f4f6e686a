import { describeExecution, startExecution } from '#adapters/stepfunctions';
import { sleep } from '#shared/retry';

/** Runs a state machine to its end (a line every 5 s while it runs); its output, or an error that says where to look and what to do (`next`). */
export async function runToEnd(
  stateMachineArn: string,
  input: unknown,
  what: string,
  say: (line: string) => void,
  next = 'its history says which state failed and why',
): Promise<{ arn: string; output: unknown }> {
  const arn = await startExecution(stateMachineArn, input);
  say(`${what}: execution ${arn}`);
  const started = Date.now();
  let execution = await describeExecution(arn);
  for (let polls = 1; execution.status === 'RUNNING'; polls++) {
    await sleep(500);
    execution = await describeExecution(arn);
    if (polls % 10 === 0) say(`  … running ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (execution.status !== 'SUCCEEDED')
    throw new Error(
      `${what} ended ${execution.status ?? 'in an unknown state'}: ${execution.error ?? ''} ${execution.cause ?? ''} — see the execution ${arn}; ${next}.`,
    );
  return { arn, output: JSON.parse(execution.output ?? 'null') as unknown };
}
