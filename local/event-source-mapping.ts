import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { sleep } from '#shared/retry';
import { waitForActiveStream } from './kinesis-streams';

/** The AWS::Lambda::EventSourceMapping properties the local poller honours (Kinesis sources). */
export interface MappingSpec {
  functionName: string;
  streamArn: string;
  batchSize: number;
  batchWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  bisectBatchOnFunctionError: boolean;
  /** -1 = until the record expires. */
  maximumRetryAttempts: number;
  /** -1 = no limit. */
  maximumRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  /** TumblingWindowInSeconds: 0 = none. */
  tumblingWindowSeconds: number;
}

export interface InvokeResult {
  functionError?: string;
  payload: unknown;
}

/** Runs a function with an event, as Lambda's Invoke does (a function error is a result, not a throw). */
export type Invoke = (functionName: string, event: unknown) => Promise<InvokeResult>;

export interface MappingPorts {
  kinesis: KinesisClient;
  invoke: Invoke;
  onFailure?(record: unknown): Promise<void>;
  checkpoint: { get(shardId: string): string | undefined; set(shardId: string, sequenceNumber: string): void };
  log(message: string, detail?: Record<string, unknown>): void;
  region: string;
}

interface Work {
  records: _Record[];
  attempts: number;
}

/** A shard's open tumbling window: its bounds (epoch ms) and the state the function handed back last. */
interface OpenWindow {
  start: number;
  end: number;
  state: unknown;
  /** The last record handed over in this window (checkpointed once the window's final invocation succeeds). */
  lastSequence?: string;
}

/** Lambda's limit on a window's state per shard: past it the window is ended early and goes on with a fresh state. */
export const WINDOW_STATE_LIMIT_BYTES = 1024 * 1024;

/**
 * How often an idle shard is polled: a quarter second locally, so tests drain fast; once a second — Lambda's own base
 * rate — for a tumbling-window mapping, whose figures wait for the window anyway (the local cloud shares its cores).
 */
const POLL_IDLE_MS = 250;
const POLL_IDLE_WINDOWED_MS = 1_000;

/**
 * Lambda's Kinesis event-source mapping, run locally: one poller per shard, batches by size and window,
 * partial batch responses (resume from the lowest failed sequence number), bisect on function error,
 * bounded retries and record age, and the on-failure destination for what is given up on.
 *
 * With a tumbling window (TumblingWindowInSeconds), as Lambda does: each record belongs to the window of its
 * arrival on the stream (ApproximateArrivalTimestamp, windows aligned to the epoch), a batch never spans two
 * windows, every invocation gets the window's `state` and must return one (no `state` is a failure), and once the
 * window has ended a final invocation (`isFinalInvokeForWindow`, no records) is retried until it succeeds before
 * the shard moves on. A state over 1 MB ends the window early (`isWindowTerminatedEarly`). The shard's position is
 * checkpointed only at the end of a window: a restart re-reads an open window's records into a fresh state.
 */
export class KinesisEventSourceMapping {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private inFlight = 0;
  private readonly buffered = new Map<string, number>();
  private readonly streamName: string;
  readonly functionName: string;
  /** Counters the tests and `npm start` read. */
  readonly stats = { invocations: 0, records: 0, retries: 0, bisections: 0, sentToOnFailure: 0, iteratorAgeMs: 0, windows: 0, windowsTerminatedEarly: 0 };
  /** Where each shard's poller is (the last record handed over or given up on), ahead of the checkpoint in a window. */
  private readonly position = new Map<string, string>();
  private readonly windowMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly spec: MappingSpec,
    private readonly ports: MappingPorts,
  ) {
    this.streamName = spec.streamArn.split('/').pop()!;
    this.functionName = spec.functionName;
    this.windowMs = spec.tumblingWindowSeconds * 1000;
    this.pollMs = this.windowMs > 0 ? POLL_IDLE_WINDOWED_MS : POLL_IDLE_MS;
  }

  /** Whether the mapping has a tumbling window (its records wait for the window's end). */
  get windowed(): boolean {
    return this.windowMs > 0;
  }

  async start(): Promise<void> {
    this.running = true;
    // A stream still CREATING lists no shards: the mapping would poll nothing, silently.
    await waitForActiveStream(this.ports.kinesis, this.streamName);
    const { Shards = [] } = await this.ports.kinesis.send(new ListShardsCommand({ StreamName: this.streamName }));
    for (const shard of Shards) this.loops.push(this.pollShard(shard.ShardId!));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** True when every record on the stream so far has been handled (delivered or given up on). */
  async caughtUp(): Promise<boolean> {
    if (this.inFlight > 0 || [...this.buffered.values()].some((n) => n > 0)) return false;
    const { Shards = [] } = await this.ports.kinesis.send(new ListShardsCommand({ StreamName: this.streamName }));
    for (const shard of Shards) {
      const iterator = await this.iterator(shard.ShardId!);
      const { Records = [] } = await this.ports.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }));
      if (Records.length > 0) return false;
    }
    return true;
  }

  private async iterator(shardId: string): Promise<string | undefined> {
    const after = this.position.get(shardId) ?? this.ports.checkpoint.get(shardId);
    const response = await this.ports.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after } : { ShardIteratorType: this.spec.startingPosition }),
      }),
    );
    return response.ShardIterator;
  }

  private async pollShard(shardId: string): Promise<void> {
    let iterator = await this.iterator(shardId);
    let pending: _Record[] = [];
    let windowStart = 0;
    let open: OpenWindow | undefined;
    while (this.running && iterator) {
      if (pending.length < this.spec.batchSize) {
        try {
          const response = await this.ports.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.spec.batchSize - pending.length }));
          iterator = response.NextShardIterator;
          const records = response.Records ?? [];
          if (records.length > 0 && pending.length === 0) windowStart = Date.now();
          pending.push(...records);
        } catch (error) {
          if (!this.running) return;
          this.ports.log('GetRecords failed; polling again', { shardId, error: (error as Error).message });
          await sleep(this.pollMs);
          // The new iterator starts after the last record handled: the ones read but not yet handled come again.
          const fresh = await this.iterator(shardId).catch(() => undefined);
          if (fresh) {
            iterator = fresh;
            pending = [];
          }
          continue;
        }
      }
      this.buffered.set(shardId, pending.length);
      if (this.windowMs > 0) {
        const first = pending[0];
        if (open && (first ? this.windowOf(first) > open.start : Date.now() >= open.end)) {
          // Every record of the window is handed over (a later one is here, or the window has ended and the shard had no more).
          if (!(await this.finishWindow(shardId, open, false))) return;
          open = undefined;
          continue;
        }
        if (!open && first) {
          const start = this.windowOf(first);
          open = { start, end: start + this.windowMs, state: {} };
        }
      }
      // A batch is the leading records of one window (with no tumbling window, of anything), up to the batch size.
      const cut = open ? pending.findIndex((r) => this.windowOf(r) !== open!.start) : -1;
      const batch = pending.slice(0, Math.min(this.spec.batchSize, cut === -1 ? pending.length : cut));
      const windowElapsed = Date.now() - windowStart >= this.spec.batchWindowSeconds * 1000;
      const windowClosing = open !== undefined && (cut !== -1 || Date.now() >= open.end);
      if (batch.length > 0 && (batch.length >= this.spec.batchSize || windowElapsed || windowClosing)) {
        this.inFlight += 1;
        try {
          await this.handle(shardId, batch, open);
        } finally {
          this.inFlight -= 1;
        }
        pending = pending.slice(batch.length);
        windowStart = Date.now();
        this.buffered.set(shardId, pending.length);
      } else {
        // The shard has nothing more for now: wait (at most until the batch window closes) instead of spinning on GetRecords.
        const windowLeft = batch.length > 0 ? windowStart + this.spec.batchWindowSeconds * 1000 - Date.now() : this.pollMs;
        await sleep(Math.max(10, Math.min(this.pollMs, windowLeft, open ? open.end - Date.now() : this.pollMs)));
      }
    }
  }

  /** The tumbling window a record belongs to: by its arrival on the stream, as Lambda assigns them. */
  private windowOf(record: _Record): number {
    const arrival = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
    return arrival - (arrival % this.windowMs);
  }

  /**
   * The window's final invocation (no records, its state, `isFinalInvokeForWindow`), retried until it succeeds as
   * Lambda does — the shard waits. Then the window's position is checkpointed. False when stopped meanwhile.
   */
  private async finishWindow(shardId: string, window: OpenWindow, early: boolean): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (!this.running) return false;
      this.inFlight += 1;
      let result: InvokeResult | undefined;
      try {
        this.stats.invocations += 1;
        result = await this.ports.invoke(this.spec.functionName, this.event(shardId, [], { window, final: true, early }));
      } catch (error) {
        this.ports.log('invoke failed', { function: this.spec.functionName, error: (error as Error).message });
      } finally {
        this.inFlight -= 1;
      }
      if (result && !result.functionError) break;
      if (result) this.ports.log('final invocation of the window failed; retrying', { function: this.spec.functionName, error: result.functionError, shardId });
      this.stats.retries += 1;
      await sleep(Math.min(1_000, 100 * 2 ** attempt));
    }
    this.stats.windows += 1;
    if (early) this.stats.windowsTerminatedEarly += 1;
    if (window.lastSequence) this.ports.checkpoint.set(shardId, window.lastSequence);
    return true;
  }

  private async handle(shardId: string, records: _Record[], window?: OpenWindow): Promise<void> {
    const queue: Work[] = [{ records, attempts: 0 }];
    while (queue.length > 0) {
      const work = queue.shift()!;
      const fresh = this.dropExpired(shardId, work.records);
      if (fresh.expired.length > 0) await this.giveUp(shardId, fresh.expired, work.attempts, 'RecordAgeExceeded', window);
      if (fresh.records.length === 0) continue;
      work.records = fresh.records;

      const failedFrom = await this.invokeOnce(shardId, work.records, window);
      if (window && Buffer.byteLength(JSON.stringify(window.state ?? {})) > WINDOW_STATE_LIMIT_BYTES) {
        // Lambda ends a window whose state outgrew the limit; the rest of the window starts from a fresh state.
        this.ports.log('window state over 1 MB: ending the window early', { shardId });
        if (!(await this.finishWindow(shardId, window, true))) return;
        window.state = {};
      }
      if (failedFrom === undefined) {
        this.advance(shardId, work.records.at(-1)!.SequenceNumber!, window);
        continue;
      }
      if (failedFrom > 0) this.advance(shardId, work.records[failedFrom - 1]!.SequenceNumber!, window);
      const remaining = work.records.slice(failedFrom);
      if (this.spec.bisectBatchOnFunctionError && remaining.length > 1) {
        // Halving until the failing record is alone isolates a poison record; splitting does not count against the retry quota.
        this.stats.bisections += 1;
        const middle = Math.ceil(remaining.length / 2);
        queue.unshift({ records: remaining.slice(0, middle), attempts: work.attempts }, { records: remaining.slice(middle), attempts: work.attempts });
        continue;
      }
      const exhausted = this.spec.maximumRetryAttempts !== -1 && work.attempts >= this.spec.maximumRetryAttempts;
      if (exhausted) {
        await this.giveUp(shardId, remaining, work.attempts + 1, 'RetryAttemptsExhausted', window);
        continue;
      }
      this.stats.retries += 1;
      await sleep(Math.min(1_000, 100 * 2 ** work.attempts));
      queue.unshift({ records: remaining, attempts: work.attempts + 1 });
    }
  }

  /** Invokes the function once; returns the index of the first record to retry, or undefined when all succeeded. */
  private async invokeOnce(shardId: string, records: _Record[], window?: OpenWindow): Promise<number | undefined> {
    this.stats.invocations += 1;
    // Lambda's IteratorAge metric: how old the batch's last record is when the function gets it.
    this.stats.iteratorAgeMs = Math.max(0, Date.now() - (records.at(-1)?.ApproximateArrivalTimestamp?.getTime() ?? Date.now()));
    this.stats.records += records.length;
    let result: InvokeResult;
    try {
      result = await this.ports.invoke(this.spec.functionName, this.event(shardId, records, window && { window, final: false, early: false }));
    } catch (error) {
      this.ports.log('invoke failed', { function: this.spec.functionName, error: (error as Error).message });
      return 0;
    }
    if (result.functionError) {
      this.ports.log('function error', { function: this.spec.functionName, error: result.functionError, payload: result.payload });
      return 0;
    }
    if (window) {
      const state = (result.payload as { state?: unknown } | null)?.state;
      if (typeof state !== 'object' || state === null) {
        this.ports.log('function returned no state for its tumbling window: a failed invocation, as on AWS', { function: this.spec.functionName });
        return 0;
      }
      // With a partial failure too: the state the function returns covers the records it did not report.
      window.state = state;
    }
    if (!this.spec.reportBatchItemFailures) return undefined;
    const failures = (result.payload as { batchItemFailures?: { itemIdentifier?: string }[] } | null)?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    const indexes = failures.map((f) => records.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
    // As on AWS, an identifier that is not in the batch counts as a failure of the whole batch.
    return indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
  }

  private dropExpired(shardId: string, records: _Record[]): { records: _Record[]; expired: _Record[] } {
    if (this.spec.maximumRecordAgeSeconds === -1) return { records, expired: [] };
    const oldest = Date.now() - this.spec.maximumRecordAgeSeconds * 1000;
    const expired = records.filter((r) => (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) < oldest);
    if (expired.length > 0) this.ports.log('records too old; giving up on them', { shardId, count: expired.length });
    return { records: records.filter((r) => !expired.includes(r)), expired };
  }

  private async giveUp(shardId: string, records: _Record[], invokeCount: number, condition: string, window?: OpenWindow): Promise<void> {
    this.stats.sentToOnFailure += records.length;
    const first = records[0]!;
    const last = records.at(-1)!;
    // The same invocation record Lambda sends to an on-failure destination: metadata to re-read the records.
    await this.ports.onFailure?.({
      requestContext: {
        requestId: crypto.randomUUID(),
        functionArn: `arn:aws:lambda:${this.ports.region}:000000000000:function:${this.spec.functionName}`,
        condition,
        approximateInvokeCount: invokeCount,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: records.length,
        streamArn: this.spec.streamArn,
      },
    });
    this.advance(shardId, last.SequenceNumber!, window);
  }

  /** Moves the shard's position past a record; outside a tumbling window that is the checkpoint, inside one it waits for the window's end. */
  private advance(shardId: string, sequenceNumber: string, window?: OpenWindow): void {
    this.position.set(shardId, sequenceNumber);
    if (window) window.lastSequence = sequenceNumber;
    else this.ports.checkpoint.set(shardId, sequenceNumber);
  }

  private event(shardId: string, records: _Record[], tumbling?: { window: OpenWindow; final: boolean; early: boolean }) {
    return {
      ...(tumbling
        ? {
            window: { start: new Date(tumbling.window.start).toISOString(), end: new Date(tumbling.window.end).toISOString() },
            state: tumbling.window.state,
            shardId,
            eventSourceARN: this.spec.streamArn,
            isFinalInvokeForWindow: tumbling.final,
            isWindowTerminatedEarly: tumbling.early,
          }
        : {}),
      Records: records.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey,
          sequenceNumber: r.SequenceNumber,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::000000000000:role/${this.spec.functionName}`,
        awsRegion: this.ports.region,
        eventSourceARN: this.spec.streamArn,
      })),
    };
  }
}
