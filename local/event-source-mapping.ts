import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { sleep } from '#shared/retry';

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

const POLL_IDLE_MS = 250;

/**
 * Lambda's Kinesis event-source mapping, run locally: one poller per shard, batches by size and window,
 * partial batch responses (resume from the lowest failed sequence number), bisect on function error,
 * bounded retries and record age, and the on-failure destination for what is given up on.
 */
export class KinesisEventSourceMapping {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private inFlight = 0;
  private readonly buffered = new Map<string, number>();
  private readonly streamName: string;
  readonly functionName: string;
  /** Counters the tests and `npm start` read. */
  readonly stats = { invocations: 0, records: 0, retries: 0, bisections: 0, sentToOnFailure: 0, iteratorAgeMs: 0 };

  constructor(
    private readonly spec: MappingSpec,
    private readonly ports: MappingPorts,
  ) {
    this.streamName = spec.streamArn.split('/').pop()!;
    this.functionName = spec.functionName;
  }

  async start(): Promise<void> {
    this.running = true;
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
    const after = this.ports.checkpoint.get(shardId);
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
    let batch: _Record[] = [];
    let windowStart = 0;
    while (this.running && iterator) {
      let records: _Record[];
      try {
        const response = await this.ports.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.spec.batchSize - batch.length }));
        records = response.Records ?? [];
        iterator = response.NextShardIterator;
      } catch (error) {
        if (!this.running) return;
        this.ports.log('GetRecords failed; polling again', { shardId, error: (error as Error).message });
        await sleep(POLL_IDLE_MS);
        iterator = await this.iterator(shardId).catch(() => iterator);
        continue;
      }
      if (records.length > 0 && batch.length === 0) windowStart = Date.now();
      batch.push(...records);
      this.buffered.set(shardId, batch.length);
      const windowElapsed = Date.now() - windowStart >= this.spec.batchWindowSeconds * 1000;
      if (batch.length >= this.spec.batchSize || (batch.length > 0 && windowElapsed)) {
        this.inFlight += 1;
        try {
          await this.handle(shardId, batch);
        } finally {
          this.inFlight -= 1;
        }
        batch = [];
        this.buffered.set(shardId, 0);
      } else {
        // The shard has nothing more for now: wait (at most until the batch window closes) instead of spinning on GetRecords.
        const windowLeft = batch.length > 0 ? windowStart + this.spec.batchWindowSeconds * 1000 - Date.now() : POLL_IDLE_MS;
        await sleep(Math.max(10, Math.min(POLL_IDLE_MS, windowLeft)));
      }
    }
  }

  private async handle(shardId: string, records: _Record[]): Promise<void> {
    const queue: Work[] = [{ records, attempts: 0 }];
    while (queue.length > 0) {
      const work = queue.shift()!;
      const fresh = this.dropExpired(shardId, work.records);
      if (fresh.expired.length > 0) await this.giveUp(shardId, fresh.expired, work.attempts, 'RecordAgeExceeded');
      if (fresh.records.length === 0) continue;
      work.records = fresh.records;

      const failedFrom = await this.invokeOnce(shardId, work.records);
      if (failedFrom === undefined) {
        this.ports.checkpoint.set(shardId, work.records.at(-1)!.SequenceNumber!);
        continue;
      }
      if (failedFrom > 0) this.ports.checkpoint.set(shardId, work.records[failedFrom - 1]!.SequenceNumber!);
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
        await this.giveUp(shardId, remaining, work.attempts + 1, 'RetryAttemptsExhausted');
        continue;
      }
      this.stats.retries += 1;
      await sleep(Math.min(1_000, 100 * 2 ** work.attempts));
      queue.unshift({ records: remaining, attempts: work.attempts + 1 });
    }
  }

  /** Invokes the function once; returns the index of the first record to retry, or undefined when all succeeded. */
  private async invokeOnce(shardId: string, records: _Record[]): Promise<number | undefined> {
    this.stats.invocations += 1;
    // Lambda's IteratorAge metric: how old the batch's last record is when the function gets it.
    this.stats.iteratorAgeMs = Math.max(0, Date.now() - (records.at(-1)?.ApproximateArrivalTimestamp?.getTime() ?? Date.now()));
    this.stats.records += records.length;
    let result: InvokeResult;
    try {
      result = await this.ports.invoke(this.spec.functionName, this.event(shardId, records));
    } catch (error) {
      this.ports.log('invoke failed', { function: this.spec.functionName, error: (error as Error).message });
      return 0;
    }
    if (result.functionError) {
      this.ports.log('function error', { function: this.spec.functionName, error: result.functionError, payload: result.payload });
      return 0;
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

  private async giveUp(shardId: string, records: _Record[], invokeCount: number, condition: string): Promise<void> {
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
    this.ports.checkpoint.set(shardId, last.SequenceNumber!);
  }

  private event(shardId: string, records: _Record[]) {
    return {
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
