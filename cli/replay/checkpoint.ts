import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { sendKey, type ReplayCheckpoint, type ReplayFailure, type SelectedEvent } from '#domain/replay';
import { UsageError } from '#shared/args';

/** Where a resumed run starts: the checkpoint's replay_id, and how many of `selected` (in send order) it acknowledged. */
export function resumeFrom(file: string, args: Record<string, unknown>, selected: readonly SelectedEvent[]): { replayId: string; skip: number } {
  if (!existsSync(file)) throw new UsageError(`--resume: no checkpoint at ${file}.`);
  const checkpoint = JSON.parse(readFileSync(file, 'utf8')) as ReplayCheckpoint;
  if (JSON.stringify(checkpoint.args) !== JSON.stringify(args))
    throw new UsageError(`--resume: the checkpoint is for another replay (${JSON.stringify(checkpoint.args)}); run with the same options.`);
  const cursor = checkpoint.cursor;
  return { replayId: checkpoint.replay_id, skip: cursor === null ? 0 : selected.filter((s) => sendKey(s) <= cursor).length };
}

/**
 * The checkpoint of a run in progress: it moves over the unbroken run of fully acknowledged batches only (batches
 * finish out of order), and is written every few seconds while the run lasts, so a killed run (not only Ctrl-C)
 * can be resumed.
 */
export class Checkpoint {
  /** Acknowledged batches past the unbroken run, by index. */
  private readonly done = new Map<number, readonly SelectedEvent[]>();
  private nextToAck = 0;
  private cursor: string | null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly replayId: string,
    private readonly args: Record<string, unknown>,
    /** Events acknowledged so far (those a resumed run skipped, then every batch in the unbroken run). */
    public acknowledged: number,
    lastAcknowledged: SelectedEvent | undefined,
  ) {
    this.cursor = lastAcknowledged ? sendKey(lastAcknowledged) : null;
  }

  /** A batch finished (`index` in send order); it counts once every batch before it is acknowledged too. */
  record(index: number, batch: readonly SelectedEvent[], failures: readonly ReplayFailure[]): void {
    if (failures.length === 0) this.done.set(index, batch);
    for (let acked = this.done.get(this.nextToAck); acked; acked = this.done.get(this.nextToAck)) {
      this.done.delete(this.nextToAck++);
      this.acknowledged += acked.length;
      this.cursor = sendKey(acked.at(-1)!);
    }
  }

  save(): void {
    const checkpoint: ReplayCheckpoint = { replay_id: this.replayId, args: this.args, acknowledged: this.acknowledged, cursor: this.cursor };
    writeFileSync(this.file, `${JSON.stringify(checkpoint)}\n`);
  }

  startSaving(everyMs = 2_000): void {
    this.timer = setInterval(() => this.save(), everyMs);
  }

  /** Kept when the run did not finish (to resume), removed when it did. */
  finish(complete: boolean): void {
    clearInterval(this.timer);
    if (complete) rmSync(this.file, { force: true });
    else this.save();
  }
}
