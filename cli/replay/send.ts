import { appendFileSync, rmSync } from 'node:fs';
import { rawDeliveryTarget, streamTarget } from '#adapters/replay-targets';
import { ipAnonymizationConfig } from '#shared/config';
import { partitionWaves } from '#domain/lake';
import { RateLimiter, replayEnvelope, replayHour, sendReplay, type ReplayTarget } from '#domain/replay';
import { waveGapFor } from '../backfill';
import { progressBar } from '../progress';
import { Checkpoint } from './checkpoint';
import type { ReplayOptions, Target } from './options';
import type { Selection } from './read';

/** `file:PATH`: the events' collector envelopes, one per line (a new file unless resuming). */
function fileTarget(file: string, replayId: string, append: boolean): ReplayTarget {
  if (!append) rmSync(file, { force: true });
  return async (batch) => {
    appendFileSync(file, batch.map((s) => `${JSON.stringify(replayEnvelope(s, replayId))}\n`).join(''));
    return [];
  };
}

function replayTarget(target: Target, replayId: string, resume: boolean): ReplayTarget {
  if (target.kind === 'stream') return streamTarget(target.name, replayId);
  if (target.kind === 'raw') return rawDeliveryTarget(target.name, replayId, ipAnonymizationConfig());
  return fileTarget(target.name, replayId, resume);
}

export type SendOutcome = 'done' | 'failed' | 'interrupted';

/**
 * Sends what was selected (after the `skip` a resumed run starts with) from this machine, checkpointing as it
 * goes; Ctrl-C finishes the batches in flight and keeps the checkpoint.
 */
export async function replayFromHere(
  options: ReplayOptions,
  selection: Selection,
  run: { replayId: string; skip: number },
  say: (line: string) => void,
): Promise<SendOutcome> {
  const { json, target } = options;
  const { selected, read, duplicates, stillBad } = selection;
  const { replayId, skip } = run;
  const todo = selected.slice(skip);
  // Waves of at most 250 partition hours, a pause between them (a file needs none).
  const waves = target.kind === 'file' ? [todo] : partitionWaves(todo, replayHour);
  const waveGapMs = waves.length > 1 ? await waveGapFor(options.rawDeliveryStream) : 0;
  if (waves.length > 1)
    say(`replay: ${waves.length} waves of partition hours, ${Math.round(waveGapMs / 1000)} s apart (Firehose holds at most 500 active partitions)`);

  const checkpoint = new Checkpoint(options.checkpointFile, replayId, options.checkpointArgs, skip, selected[skip - 1]);
  checkpoint.startSaving();
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    say('\nreplay: interrupted; finishing the batches in flight, then writing the checkpoint…');
  });
  const bar = progressBar('replay', todo.length, !json);
  const sendLog: [number, number][] = [];
  const send = replayTarget(target, replayId, options.resume);
  const started = Date.now();
  const { sent, failed } = await sendReplay(
    waves,
    async (batch) => {
      sendLog.push([Date.now(), batch.length]);
      return send(batch);
    },
    {
      ...(options.rate ? { limiter: new RateLimiter(options.rate) } : {}),
      concurrency: options.concurrency,
      waveGapMs,
      stopped: () => stopping,
      onPause: (ms) => say(`replay: waiting ${Math.round(ms / 1000)} s before the next wave of partitions`),
      onBatch: (index, batch, failures) => {
        for (const f of failures) say(`  failed: ${batch[f.index]!.event.event_id}: ${f.error}`);
        bar.increment(batch.length);
        checkpoint.record(index, batch, failures);
      },
    },
  );
  bar.stop();
  const seconds = (Date.now() - started) / 1000;
  const interrupted = stopping && checkpoint.acknowledged < selected.length;
  checkpoint.finish(!interrupted && failed === 0);
  const summary = {
    ok: failed === 0 && !interrupted,
    replay_id: replayId,
    target: target.kind === 'file' ? `file:${target.name}` : `${target.kind}:${target.name}`,
    read,
    selected: selected.length,
    resumed_from: skip,
    sent,
    failed,
    skipped_duplicates: duplicates,
    still_invalid: stillBad.length,
    seconds,
    events_per_second: Math.round(sent / Math.max(seconds, 0.001)),
    ...(interrupted || failed > 0 ? { checkpoint: options.checkpointFile } : {}),
  };
  if (json) process.stdout.write(`${JSON.stringify({ ...summary, still_invalid_rows: stillBad, sends: sendLog })}\n`);
  else {
    process.stdout.write(
      `replay ${replayId}: read ${read} rows, selected ${selected.length}, sent ${sent}, failed ${failed}, skipped ${duplicates} duplicate copies${options.source === 'bad' ? `, ${stillBad.length} still invalid` : ''} in ${seconds.toFixed(1)}s (${summary.events_per_second} events/s)\n`,
    );
    if (!summary.ok) process.stdout.write(`Checkpoint: ${options.checkpointFile}. Continue with the same options and --resume.\n`);
  }
  return interrupted ? 'interrupted' : failed > 0 ? 'failed' : 'done';
}
