import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getAlias, setAlias } from '#adapters/registry-table';
import { describeExecution, historySince, startExecution } from '#adapters/stepfunctions';
import { PRODUCTION_ALIAS } from '#domain/registry';
import { DEFAULT_MODEL } from '#domain/serving';
import type { GeneratedSession } from '#domain/traffic/shopper-model';
import { outputs } from './cloud';
import { trainOnSessions } from './models';
import { registerVersion } from './registry';
import { waitFor } from './wait';

/** The model the training workflow trains and promotes: the stage's one model name. */
export const WORKFLOW_MODEL = DEFAULT_MODEL;

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

/** The pid in a lock's owner file; 0 while the lock is being made or gone. */
const ownerOf = (file: string) => {
  try {
    return Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Holds the training workflow for one test file until the returned release is called. The workflow promotes one
 * model name, and its gate rejects a candidate when production moved during the run, so two test files running it
 * in parallel Jest workers would fail each other. The workers share this machine: a directory made atomically is
 * the lock, and one left by a worker that died is taken over.
 */
export async function holdTrainingWorkflow(timeoutMs = 600_000): Promise<() => void> {
  const lock = path.join(process.env.LOCAL_CLOUD_DATA_DIR ?? os.tmpdir(), 'training-workflow.lock');
  const owner = path.join(lock, 'pid');
  await waitFor(
    'the other test file running the training workflow to finish',
    () => {
      try {
        mkdirSync(lock);
        writeFileSync(owner, String(process.pid));
        return true;
      } catch {
        const pid = ownerOf(owner);
        if (pid && !alive(pid)) rmSync(lock, { recursive: true, force: true });
        return false;
      }
    },
    timeoutMs,
    500,
  );
  return () => rmSync(lock, { recursive: true, force: true });
}

/**
 * Makes production a model that learned nothing (trained on shuffled labels), so a test's candidate is compared
 * with a known, weak production rather than whatever another test file promoted before. Returns its version.
 */
export async function weakProduction(sessions: readonly GeneratedSession[]): Promise<string> {
  const table = outputs().ModelsTableName!;
  const weak = trainOnSessions(sessions, { shuffleLabels: true });
  const version = `weak-${Date.now()}`;
  await registerVersion({ model: WORKFLOW_MODEL, version, kind: 'gbdt', artifact: { model: weak.model } });
  const current = await getAlias(table, WORKFLOW_MODEL, PRODUCTION_ALIAS);
  await setAlias(table, WORKFLOW_MODEL, PRODUCTION_ALIAS, { to: version, expected: current?.version ?? null, by: 'test', reason: 'a weak production' });
  return version;
}
