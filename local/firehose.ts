import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { AwsJsonError, jsonProtocolService } from './aws-json';
import type { FaultInjector } from './faults';
import type { Invoke } from './event-source-mapping';
import type { UsageMeter } from './usage';

const gzipAsync = promisify(gzip);

/** The part of ExtendedS3DestinationConfiguration the stand-in honours; anything else is rejected at creation. */
interface S3Destination {
  BucketARN: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  CompressionFormat?: 'UNCOMPRESSED' | 'GZIP';
  FileExtension?: string;
  BufferingHints?: { SizeInMBs?: number; IntervalInSeconds?: number };
  DynamicPartitioningConfiguration?: { Enabled?: boolean };
  ProcessingConfiguration?: {
    Enabled?: boolean;
    Processors?: { Type: string; Parameters?: { ParameterName: string; ParameterValue: string }[] }[];
  };
}

/** A record after the transform: where it goes (its partition keys), or why it goes to the error prefix. */
interface Processed {
  data: Buffer;
  partitionKeys?: Record<string, unknown>;
  failure?: string;
  dropped?: boolean;
}

/** One record of a Lambda transform's answer. */
interface TransformedRecord {
  recordId: string;
  result: string;
  data?: string;
  metadata?: { partitionKeys?: Record<string, unknown> };
}

interface Buffered {
  key: string;
  /** An error-output buffer: it does not count toward the active partitions. */
  error: boolean;
  records: Buffer[];
  bytes: number;
  firstAt: number;
}

interface DeliveryStream {
  name: string;
  arn: string;
  createdAt: Date;
  destination: S3Destination;
  bucket: string;
  processing?: Processing;
  buffers: Map<string, Buffered>;
}

const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;
/** Firehose's default quota of active partitions (buffers) per delivery stream with dynamic partitioning. */
export const MAX_ACTIVE_PARTITIONS = 500;
/** A Lambda transform's response is capped at 6 MB, like any synchronous invocation's. */
const MAX_TRANSFORM_RESPONSE_BYTES = 6 * 1024 * 1024;

/** The destination's data transformation: a Lambda function (Processors: [{ Type: Lambda }]). */
interface Processing {
  functionName: string;
  retries: number;
}

/** Firehose's `!{timestamp:<Java DateTimeFormatter>}`: the patterns real prefixes use. */
function formatTimestamp(pattern: string, at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const fields: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
    mm: pad(at.getUTCMinutes()),
    ss: pad(at.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss|'([^']*)'/g, (token, literal?: string) => (literal !== undefined ? literal : fields[token]!));
}

/** Evaluates a Firehose prefix expression; unsupported namespaces are an error at creation, not at delivery. */
export function renderPrefix(prefix: string, ctx: { at: Date; partitionKeys?: Record<string, unknown>; errorOutputType?: string }): string {
  return prefix.replace(/!\{([a-zA-Z]+):([^}]+)\}/g, (_, namespace: string, arg: string) => {
    switch (namespace) {
      case 'timestamp':
        return formatTimestamp(arg, ctx.at);
      case 'partitionKeyFromLambda': {
        const value = ctx.partitionKeys?.[arg];
        if (value === undefined || value === null || value === '') throw new Error(`partition key "${arg}" is missing`);
        return String(value);
      }
      case 'firehose':
        if (arg === 'error-output-type') return ctx.errorOutputType ?? 'processing-failed';
        if (arg === 'random-string') return randomUUID().slice(0, 11);
        throw new Error(`!{firehose:${arg}} is not supported by the local Firehose`);
      default:
        throw new Error(`!{${namespace}:…} is not supported by the local Firehose (supported: timestamp, partitionKeyFromLambda, firehose)`);
    }
  });
}

function checkDestination(name: string, destination: S3Destination): Processing | undefined {
  const processors = destination.ProcessingConfiguration?.Enabled === false ? [] : (destination.ProcessingConfiguration?.Processors ?? []);
  const unsupported = processors.find((p) => p.Type !== 'Lambda');
  if (unsupported || processors.length > 1) {
    throw new AwsJsonError(
      'InvalidArgumentException',
      `${name}: the local Firehose supports one processor, of type Lambda (got ${processors.map((p) => p.Type).join(', ')}).`,
    );
  }
  // Fails fast on prefix namespaces the stand-in cannot evaluate.
  renderPrefix(destination.Prefix ?? '', { at: new Date(), partitionKeys: new Proxy({}, { get: () => 'x' }) });
  renderPrefix(destination.ErrorOutputPrefix ?? '', { at: new Date() });
  const processor = processors[0];
  if (!processor) return undefined;
  const parameter = (parameterName: string) => processor.Parameters?.find((p) => p.ParameterName === parameterName)?.ParameterValue;
  const functionName = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)/.exec(parameter('LambdaArn') ?? '')?.[1];
  if (!functionName) throw new AwsJsonError('InvalidArgumentException', `${name}: the Lambda processor needs a LambdaArn (arn:aws:lambda:…:function:NAME).`);
  return { functionName, retries: Number(parameter('NumberOfRetries') ?? 3) };
}

/**
 * A local Kinesis Data Firehose (DirectPut → S3): runs the destination's Lambda transform (invoked per
 * PutRecordBatch call, where Firehose gathers 0.2–3 MB first), evaluates dynamic partitioning from the keys it
 * returns, buffers by size and interval per prefix, compresses, and writes objects to the local S3 with AWS's key layout.
 */
export class LocalFirehose {
  private readonly streams = new Map<string, DeliveryStream>();
  /** What AWS reports as CloudWatch metrics of the stream (AWS/Firehose), per delivery stream name. */
  readonly metrics = new Map<string, { PartitionCountExceeded: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** The last object write that failed (it is retried): what a drain that cannot finish reports. */
  lastWriteError: string | undefined;
  private flushing = Promise.resolve();
  /** Transformations under way, and how many records they hold (pending until they are buffered). */
  private readonly transforming = new Set<Promise<void>>();
  private transformingRecords = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly region: string,
    private readonly account: string,
    private readonly faults: FaultInjector,
    private readonly usage?: UsageMeter,
    private readonly invoke?: Invoke,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(false), 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.transforming);
    await this.flush(true);
  }

  /** The API operations, callable in-process too (provisioning uses CreateDeliveryStream). */
  readonly operations = {
    CreateDeliveryStream: (input: { DeliveryStreamName: string; ExtendedS3DestinationConfiguration?: S3Destination; DeliveryStreamType?: string }) => {
      const name = input.DeliveryStreamName;
      if (this.streams.has(name)) throw new AwsJsonError('ResourceInUseException', `Delivery stream ${name} already exists.`);
      if ((input.DeliveryStreamType ?? 'DirectPut') !== 'DirectPut' || !input.ExtendedS3DestinationConfiguration) {
        throw new AwsJsonError(
          'InvalidArgumentException',
          `${name}: the local Firehose supports DirectPut streams with an ExtendedS3DestinationConfiguration.`,
        );
      }
      const destination = input.ExtendedS3DestinationConfiguration;
      const processing = checkDestination(name, destination);
      if (processing && !this.invoke) throw new AwsJsonError('InvalidArgumentException', `${name}: this local Firehose cannot invoke Lambda transforms.`);
      const arn = `arn:aws:firehose:${this.region}:${this.account}:deliverystream/${name}`;
      this.streams.set(name, {
        name,
        arn,
        createdAt: new Date(),
        destination,
        bucket: destination.BucketARN.replace(/^arn:aws:s3:::/, ''),
        ...(processing ? { processing } : {}),
        buffers: new Map(),
      });
      return { DeliveryStreamARN: arn };
    },
    DeleteDeliveryStream: ({ DeliveryStreamName }: { DeliveryStreamName: string }) => {
      this.stream(DeliveryStreamName);
      this.streams.delete(DeliveryStreamName);
      return {};
    },
    ListDeliveryStreams: () => ({ DeliveryStreamNames: [...this.streams.keys()], HasMoreDeliveryStreams: false }),
    DescribeDeliveryStream: ({ DeliveryStreamName }: { DeliveryStreamName: string }) => {
      const s = this.stream(DeliveryStreamName);
      return {
        DeliveryStreamDescription: {
          DeliveryStreamName: s.name,
          DeliveryStreamARN: s.arn,
          DeliveryStreamStatus: 'ACTIVE',
          DeliveryStreamType: 'DirectPut',
          VersionId: '1',
          CreateTimestamp: s.createdAt.getTime() / 1000,
          Destinations: [{ DestinationId: 'destinationId-000000000001', ExtendedS3DestinationDescription: s.destination }],
          HasMoreDestinations: false,
        },
      };
    },
    PutRecord: async ({ DeliveryStreamName, Record }: { DeliveryStreamName: string; Record: { Data: string } }) => {
      const result = await this.put(DeliveryStreamName, [Record], 'PutRecord');
      const response = result.RequestResponses[0]!;
      if ('ErrorCode' in response) throw new AwsJsonError(response.ErrorCode, response.ErrorMessage);
      return { RecordId: response.RecordId, Encrypted: false };
    },
    PutRecordBatch: ({ DeliveryStreamName, Records }: { DeliveryStreamName: string; Records: { Data: string }[] }) =>
      this.put(DeliveryStreamName, Records, 'PutRecordBatch'),
  };

  readonly handle = jsonProtocolService('Firehose', this.operations);

  private stream(name: string): DeliveryStream {
    const stream = this.streams.get(name);
    if (!stream) throw new AwsJsonError('ResourceNotFoundException', `Firehose ${name} under account ${this.account} not found.`);
    return stream;
  }

  private async put(name: string, records: { Data: string }[], operation: string) {
    const stream = this.stream(name);
    if (!Array.isArray(records) || records.length === 0 || records.length > MAX_BATCH_RECORDS) {
      throw new AwsJsonError('InvalidArgumentException', `Records must hold 1 to ${MAX_BATCH_RECORDS} records.`);
    }
    const decoded = records.map((r) => Buffer.from(r.Data ?? '', 'base64'));
    const total = decoded.reduce((n, d) => n + d.length, 0);
    if (total > MAX_BATCH_BYTES) throw new AwsJsonError('InvalidArgumentException', `The batch is ${total} bytes; the limit is ${MAX_BATCH_BYTES}.`);
    // Faults match what a record says; a raw record is a gzip member, so they look inside it (only while some are armed).
    const visible = this.faults.armedFor('firehose') ? decoded.map((d) => (d[0] === 0x1f && d[1] === 0x8b ? gunzipSync(d) : d)) : decoded;
    this.faults.throwIfInjected('firehose', operation, visible);
    const faults = this.faults.recordFaults('firehose', operation, visible);

    const at = new Date();
    const accepted: Buffer[] = [];
    const responses = decoded.map((data, i) => {
      const fault = faults[i];
      if (fault) return { ErrorCode: fault, ErrorMessage: 'Injected fault (local cloud).' };
      if (data.length > MAX_RECORD_BYTES)
        return { ErrorCode: 'InvalidArgumentException', ErrorMessage: `Record size ${data.length} exceeds ${MAX_RECORD_BYTES}.` };
      accepted.push(data);
      this.usage?.firehoseRecord(data.length);
      return { RecordId: randomUUID() };
    });
    if (stream.processing) this.track(this.transform(stream, stream.processing, accepted, at), accepted.length);
    else
      this.buffer(
        stream,
        accepted.map((data) => ({ data })),
        at,
      );
    const failed = responses.filter((r) => 'ErrorCode' in r).length;
    return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses as ({ RecordId: string } | { ErrorCode: string; ErrorMessage: string })[] };
  }

  private track(work: Promise<void>, records: number): void {
    this.transformingRecords += records;
    const done: Promise<void> = work.finally(() => {
      this.transformingRecords -= records;
      this.transforming.delete(done);
    });
    this.transforming.add(done);
  }

  /**
   * Invokes the transform with the records, as Firehose's data transformation does (retried NumberOfRetries times),
   * and buffers what it returns: Ok records by their partition keys, ProcessingFailed ones (and all of them, when
   * the function keeps failing) under the error prefix; Dropped ones nowhere.
   */
  private async transform(stream: DeliveryStream, processing: Processing, records: Buffer[], at: Date): Promise<void> {
    const ids = records.map((_, i) => `${at.getTime()}-${i}-${randomUUID().slice(0, 8)}`);
    const event = {
      invocationId: randomUUID(),
      deliveryStreamArn: stream.arn,
      region: this.region,
      records: records.map((data, i) => ({ recordId: ids[i]!, approximateArrivalTimestamp: at.getTime(), data: data.toString('base64') })),
    };
    let failure = '';
    for (let attempt = 0; attempt <= processing.retries; attempt++) {
      try {
        const result = await this.invoke!(processing.functionName, event);
        const text = JSON.stringify(result.payload ?? null);
        if (result.functionError) failure = `Lambda.FunctionError: ${text.slice(0, 300)}`;
        else if (Buffer.byteLength(text) > MAX_TRANSFORM_RESPONSE_BYTES) failure = 'Lambda.ResponseTooLarge';
        else {
          const byId = new Map(((result.payload as { records?: TransformedRecord[] } | null)?.records ?? []).map((r) => [r.recordId, r]));
          this.buffer(
            stream,
            records.map((data, i) => {
              const out = byId.get(ids[i]!);
              if (!out) return { data, failure: 'Lambda.MissingRecordId' };
              if (out.result === 'Dropped') return { data, dropped: true };
              if (out.result !== 'Ok') return { data, failure: 'Lambda.ProcessingFailed' };
              return { data: Buffer.from(out.data ?? '', 'base64'), partitionKeys: out.metadata?.partitionKeys ?? {} };
            }),
            at,
          );
          return;
        }
      } catch (error) {
        failure = `Lambda.InvokeFailed: ${(error as Error).message}`;
      }
    }
    this.buffer(
      stream,
      records.map((data) => ({ data, failure })),
      at,
    );
  }

  private buffer(stream: DeliveryStream, records: Processed[], at: Date): void {
    const { destination } = stream;
    const dynamic = destination.DynamicPartitioningConfiguration?.Enabled === true;
    const failed = (data: Buffer, errorOutputType: string, errorCode: string, message: string) =>
      this.append(
        stream,
        renderPrefix(destination.ErrorOutputPrefix ?? 'errors/', { at, errorOutputType }),
        Buffer.from(`${JSON.stringify({ rawData: data.toString('base64'), errorCode, errorMessage: message })}\n`),
        true,
      );
    for (const record of records) {
      if (record.dropped) continue;
      if (record.failure !== undefined) {
        failed(record.data, 'processing-failed', record.failure.split(':')[0]!, record.failure);
        continue;
      }
      let key: string;
      try {
        key = renderPrefix(destination.Prefix ?? '', { at, ...(record.partitionKeys ? { partitionKeys: record.partitionKeys } : {}) });
      } catch (e) {
        failed(record.data, 'partitioning-failed', 'DynamicPartitioning.PartitionKeyMissing', (e as Error).message);
        continue;
      }
      if (dynamic && !stream.buffers.has(key) && this.activePartitions(stream) >= MAX_ACTIVE_PARTITIONS) {
        // As on AWS: once the stream has the maximum of active partitions, records for a new one go to the error prefix.
        const counters = this.metrics.get(stream.name) ?? { PartitionCountExceeded: 0 };
        counters.PartitionCountExceeded += 1;
        this.metrics.set(stream.name, counters);
        failed(
          record.data,
          'activePartitionExceeded',
          'DynamicPartitioning.ActivePartitionsLimitExceeded',
          `the stream already has ${MAX_ACTIVE_PARTITIONS} active partitions`,
        );
        continue;
      }
      this.append(stream, key, record.data, false);
    }
  }

  private activePartitions(stream: DeliveryStream): number {
    let n = 0;
    for (const b of stream.buffers.values()) if (!b.error) n++;
    return n;
  }

  private append(stream: DeliveryStream, key: string, payload: Buffer, error: boolean): void {
    let buffered = stream.buffers.get(key);
    if (!buffered) {
      buffered = { key, error, records: [], bytes: 0, firstAt: Date.now() };
      stream.buffers.set(key, buffered);
    }
    buffered.records.push(payload);
    buffered.bytes += payload.length;
  }

  /** What each delivery stream holds, per prefix (partition), not yet written: AWS shows no such thing; the operations page does. */
  buffers(): { stream: string; prefix: string; records: number; bytes: number; ageMs: number }[] {
    const now = Date.now();
    return [...this.streams.values()].flatMap((stream) =>
      [...stream.buffers.values()].map((b) => ({ stream: stream.name, prefix: b.key, records: b.records.length, bytes: b.bytes, ageMs: now - b.firstAt })),
    );
  }

  /** Writes every buffer that is full or old enough (or all of them on `force`). Serialized, so an object is never written twice. */
  flush(force: boolean): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow(force));
    return this.flushing;
  }

  private async flushNow(force: boolean): Promise<void> {
    const now = Date.now();
    for (const stream of this.streams.values()) {
      const hints = stream.destination.BufferingHints ?? {};
      const maxBytes = (hints.SizeInMBs ?? 5) * 1024 * 1024;
      const maxAgeMs = (hints.IntervalInSeconds ?? 300) * 1000;
      for (const [key, buffered] of stream.buffers) {
        if (!force && buffered.bytes < maxBytes && now - buffered.firstAt < maxAgeMs) continue;
        stream.buffers.delete(key);
        try {
          await this.writeObject(stream, buffered);
        } catch (error) {
          // Firehose keeps retrying delivery; so does the stand-in, on the next tick.
          this.lastWriteError = `${key}: ${(error as Error).message}`;
          const again = stream.buffers.get(key);
          if (again) {
            again.records.unshift(...buffered.records);
            again.bytes += buffered.bytes;
            again.firstAt = Math.min(again.firstAt, buffered.firstAt);
          } else stream.buffers.set(key, buffered);
          if (force) throw error;
        }
      }
    }
  }

  private async writeObject(stream: DeliveryStream, buffered: Buffered): Promise<void> {
    const gzipped = stream.destination.CompressionFormat === 'GZIP';
    const body = Buffer.concat(buffered.records);
    const stored = gzipped ? await gzipAsync(body) : body;
    this.usage?.firehoseObject(stored.length, body.length);
    const stamp = formatTimestamp('yyyy-MM-dd-HH-mm-ss', new Date(buffered.firstAt));
    const extension = stream.destination.FileExtension ?? (gzipped ? '.gz' : '');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: stream.bucket,
        Key: `${buffered.key}${stream.name}-1-${stamp}-${randomUUID()}${extension}`,
        Body: stored,
      }),
    );
  }

  /** Records still being transformed or waiting in buffers (tests and `npm start` wait for zero). */
  pendingRecords(): number {
    let n = this.transformingRecords;
    for (const s of this.streams.values()) for (const b of s.buffers.values()) n += b.records.length;
    return n;
  }
}
