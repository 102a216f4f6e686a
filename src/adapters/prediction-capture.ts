import type { CapturedPrediction } from '#domain/monitoring/capture';
import { putRecordBatch } from './firehose';

/** What became of captured rows: sent, failed after their retries, or dropped because the buffer was full. */
export interface CaptureOutcome {
  sent: number;
  failed: number;
  dropped: number;
}

const MAX_ATTEMPTS = 3;
const ROWS_PER_SEND = 2_000;
const RETRY_MS = 1_000;

/**
 * POST /predict's capture (README, "Monitoring models"): rows wait in a bounded buffer and go to the predictions
 * delivery stream in the background, never awaited by a request, so a slow or failing stream neither slows nor
 * fails a prediction. Rows that fail are sent again (a second later when nothing got through), three times at
 * most; a full buffer drops new rows. Both are reported to `report` (metrics), never thrown. On Lambda the sending goes on while the
 * container is warm (work pending when a response returns resumes with the next invocation): rows still buffered
 * when a container is reclaimed are lost: at most `maxRows` waiting, and one send's rows in flight.
 */
export class PredictionCapture {
  private queue: { row: CapturedPrediction; attempts: number }[] = [];
  private sending: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (rows: readonly CapturedPrediction[]) => Promise<{ failed: { index: number }[] }>,
    private readonly maxRows: number,
    private readonly report: (outcome: CaptureOutcome) => void,
  ) {}

  add(rows: readonly CapturedPrediction[]): void {
    const room = Math.max(0, this.maxRows - this.queue.length);
    for (const row of rows.slice(0, room)) this.queue.push({ row, attempts: 0 });
    if (rows.length > room) this.report({ sent: 0, failed: 0, dropped: rows.length - room });
    this.sendQueued();
  }

  private sendQueued(): void {
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  /** After a round in which nothing got through: the next one a little later, whether or not requests come. */
  private retryLater(): void {
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.sendQueued();
    }, RETRY_MS);
    // Never what keeps a process alive (sls invoke local, a test) once its work is done.
    this.retry.unref();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, ROWS_PER_SEND);
      let failedIndexes: number[];
      try {
        failedIndexes = (await this.send(batch.map((b) => b.row))).failed.map((f) => f.index);
      } catch {
        failedIndexes = batch.map((_, i) => i);
      }
      const failed = new Set(failedIndexes);
      const again = batch.filter((_, i) => failed.has(i)).map((b) => ({ row: b.row, attempts: b.attempts + 1 }));
      const retried = again.filter((b) => b.attempts < MAX_ATTEMPTS);
      // Failed rows go to the back of the queue, as far as there is room; a round in which nothing got through waits before the next.
      const kept = retried.slice(0, Math.max(0, this.maxRows - this.queue.length));
      this.queue.push(...kept);
      this.report({ sent: batch.length - failed.size, failed: again.length - retried.length, dropped: retried.length - kept.length });
      if (retried.length > 0 && retried.length === batch.length) {
        this.retryLater();
        return;
      }
    }
  }
}

/** A capture sending to a Firehose delivery stream (records of many JSON lines, as the bad-row stream takes them). */
export const firehoseCapture = (deliveryStreamName: string, maxRows: number, report: (outcome: CaptureOutcome) => void) =>
  new PredictionCapture((rows) => putRecordBatch(deliveryStreamName, rows, { backoff: { attempts: 2, baseMs: 100, capMs: 1_000 } }), maxRows, report);
