import { randomUUID } from 'node:crypto';
import { putObject } from '#adapters/s3';
import { describeExecution, startExecution } from '#adapters/stepfunctions';
import { sleep } from '#shared/retry';
import { waveGapFor } from '../backfill';
import type { ReplayOptions } from './options';

/** A worker's result (functions/replay-objects), one per Distributed Map batch. */
type WorkerSummary = Record<'read' | 'selected' | 'sent' | 'failed' | 'skipped_duplicates', number>;

/**
 * `--cloud`: the replay runs in the replay state machine (a Distributed Map over a manifest of the objects, 10
 * workers); this machine writes the manifest, starts the execution, waits for it and sums the workers' results.
 * Returns whether it succeeded.
 */
export async function replayInCloud(options: ReplayOptions, keys: readonly string[], say: (line: string) => void): Promise<boolean> {
  const { bucket, range, filter, rate, json } = options;
  const replayId = randomUUID();
  const manifestKey = `replay/manifests/${replayId}.json`;
  await putObject(bucket, manifestKey, JSON.stringify(keys.map((Key) => ({ Key }))));
  const input = {
    replay_id: replayId,
    manifest_key: manifestKey,
    from: range.from,
    to: range.to,
    types: filter.types ? [...filter.types] : null,
    session: filter.session ?? null,
    // The state machine runs 10 workers (MaxConcurrency); each gets a tenth of the rate.
    rate_per_worker: Math.max(1, Math.ceil((rate ?? 100_000) / 10)),
    wave_gap_seconds: Math.ceil((await waveGapFor(options.rawDeliveryStream)) / 1000),
  };
  const executionArn = await startExecution(options.stateMachineArn!, input);
  say(`replay: ${keys.length} objects in s3://${bucket}/${manifestKey}; execution ${executionArn}`);
  const started = Date.now();
  let execution = await describeExecution(executionArn);
  while (execution.status === 'RUNNING') {
    await sleep(1_000);
    execution = await describeExecution(executionArn);
    if (Math.round((Date.now() - started) / 1000) % 10 === 0) say(`  … running ${Math.round((Date.now() - started) / 1000)}s`);
  }
  const results = execution.output ? (JSON.parse(execution.output) as WorkerSummary[]) : [];
  const sum = (k: keyof WorkerSummary) => results.reduce((a, r) => a + r[k], 0);
  const summary = {
    ok: execution.status === 'SUCCEEDED',
    replay_id: replayId,
    execution_arn: executionArn,
    status: execution.status,
    objects: keys.length,
    read: sum('read'),
    selected: sum('selected'),
    sent: sum('sent'),
    failed: sum('failed'),
    skipped_duplicates: sum('skipped_duplicates'),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `replay ${replayId} (${execution.status}): read ${summary.read} rows, selected ${summary.selected}, sent ${summary.sent}, failed ${summary.failed}${execution.error ? `; ${execution.error}: ${execution.cause}` : ''}\n`,
    );
  return summary.ok;
}
