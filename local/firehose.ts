import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { AwsJsonError, jsonProtocolService } from './aws-json';
import type { FaultInjector } from './faults';
import { compileJq } from './jq-subset';
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
  processing: Processing;
  buffers: Map<string, Buffered>;
}

const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;
const NEWLINE = Buffer.from('\n');
const SUPPORTED_PROCESSORS = new Set(['RecordDeAggregation', 'MetadataExtraction', 'AppendDelimiterToRecord']);
/** Multi-record deaggregation splits at most this many rows out of one record. */
const MAX_SUB_RECORDS = 500;
/** Firehose's default quota of active partitions (buffers) per delivery stream with dynamic partitioning. */
export const MAX_ACTIVE_PARTITIONS = 500;

/** What the destination's processors do to a record, in Firehose's order: deaggregate → extract keys → append a delimiter. */
interface Processing {
  deaggregate?: (data: Buffer) => Buffer[];
  extractKeys?: (record: unknown) => Record<string, unknown>;
  appendNewline: boolean;
}

/** SubRecordType JSON: consecutive JSON objects, whitespace (e.g. newlines) between them ignored. */
export function splitJsonObjects(data: Buffer): Buffer[] {
  const objects: Buffer[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      if (depth === 0) throw new Error('a string outside any JSON object');
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) {
        if (c !== 0x7b) throw new Error('JSON arrays are not records (send objects, one after another)');
        start = i;
      }
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 0) throw new Error('unbalanced JSON');
      if (depth === 0) objects.push(data.subarray(start, i + 1));
    } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      throw new Error('bytes outside any JSON object');
    }
  }
  if (depth !== 0 || inString) throw new Error('truncated JSON object');
  return objects;
}

function splitDelimited(data: Buffer, delimiter: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = data.indexOf(delimiter, from); at !== -1; at = data.indexOf(delimiter, from)) {
    if (at > from) parts.push(data.subarray(from, at));
    from = at + delimiter.length;
  }
  if (from < data.length) parts.push(data.subarray(from));
  return parts;
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
      case 'partitionKeyFromQuery': {
        const value = ctx.partitionKeys?.[arg];
        if (value === undefined || value === null || value === '') throw new Error(`partition key "${arg}" is missing`);
        return String(value);
      }
      case 'firehose':
        if (arg === 'error-output-type') return ctx.errorOutputType ?? 'processing-failed';
        if (arg === 'random-string') return randomUUID().slice(0, 11);
        throw new Error(`!{firehose:${arg}} is not supported by the local Firehose`);
      default:
        throw new Error(`!{${namespace}:…} is not supported by the local Firehose (supported: timestamp, partitionKeyFromQuery, firehose)`);
    }
  });
}

function checkDestination(name: string, destination: S3Destination): Processing {
  const processors = destination.ProcessingConfiguration?.Enabled === false ? [] : (destination.ProcessingConfiguration?.Processors ?? []);
  for (const processor of processors) {
    if (!SUPPORTED_PROCESSORS.has(processor.Type)) {
      throw new AwsJsonError(
        'InvalidArgumentException',
        `${name}: processor ${processor.Type} is not supported by the local Firehose (supported: ${[...SUPPORTED_PROCESSORS].join(', ')}).`,
      );
    }
  }
  const parameter = (type: string, parameterName: string) =>
    processors.find((p) => p.Type === type)?.Parameters?.find((p) => p.ParameterName === parameterName)?.ParameterValue;
  // Fails fast on prefix namespaces the stand-in cannot evaluate.
  renderPrefix(destination.Prefix ?? '', { at: new Date(), partitionKeys: new Proxy({}, { get: () => 'x' }) });
  renderPrefix(destination.ErrorOutputPrefix ?? '', { at: new Date() });
  const processing: Processing = { appendNewline: processors.some((p) => p.Type === 'AppendDelimiterToRecord') };
  if (processors.some((p) => p.Type === 'RecordDeAggregation')) {
    const subRecordType = parameter('RecordDeAggregation', 'SubRecordType');
    if (subRecordType === 'JSON') processing.deaggregate = splitJsonObjects;
    else if (subRecordType === 'DELIMITED') {
      const delimiter = Buffer.from(parameter('RecordDeAggregation', 'Delimiter') ?? '', 'base64');
      if (delimiter.length === 0) throw new AwsJsonError('InvalidArgumentException', `${name}: RecordDeAggregation DELIMITED needs a base64 Delimiter.`);
      processing.deaggregate = (data) => splitDelimited(data, delimiter);
    } else throw new AwsJsonError('InvalidArgumentException', `${name}: RecordDeAggregation SubRecordType must be JSON or DELIMITED.`);
  }
  const query = parameter('MetadataExtraction', 'MetadataExtractionQuery');
  try {
    if (query !== undefined) processing.extractKeys = compileJq(query);
  } catch (error) {
    throw new AwsJsonError('InvalidArgumentException', `${name}: ${(error as Error).message}`);
  }
  return processing;
}

/**
 * A local Kinesis Data Firehose (DirectPut → S3): buffers by size and interval per prefix, evaluates
 * dynamic partitioning (the jq subset in jq-subset.ts), compresses, and writes objects to the local S3 with AWS's key layout.
 */
export class LocalFirehose {
  private readonly streams = new Map<string, DeliveryStream>();
  /** What AWS reports as CloudWatch metrics of the stream (AWS/Firehose), per delivery stream name. */
  readonly metrics = new Map<string, { PartitionCountExceeded: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** The last object write that failed (it is retried): what a drain that cannot finish reports. */
  lastWriteError: string | undefined;
  private flushing = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    private readonly region: string,
    private readonly account: string,
    private readonly faults: FaultInjector,
    private readonly usage?: UsageMeter,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(false), 200);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
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
      const arn = `arn:aws:firehose:${this.region}:${this.account}:deliverystream/${name}`;
      this.streams.set(name, {
        name,
        arn,
        createdAt: new Date(),
        destination,
        bucket: destination.BucketARN.replace(/^arn:aws:s3:::/, ''),
        processing,
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
    this.faults.throwIfInjected('firehose', operation, decoded);
    const faults = this.faults.recordFaults('firehose', operation, decoded);

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
    this.buffer(stream, accepted, at);
    const failed = responses.filter((r) => 'ErrorCode' in r).length;
    return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses as ({ RecordId: string } | { ErrorCode: string; ErrorMessage: string })[] };
  }

  private buffer(stream: DeliveryStream, records: Buffer[], at: Date): void {
    const { destination, processing } = stream;
    const dynamic = destination.DynamicPartitioningConfiguration?.Enabled === true;
    const failed = (data: Buffer, errorOutputType: string, errorCode: string, message: string) =>
      this.append(
        stream,
        renderPrefix(destination.ErrorOutputPrefix ?? 'errors/', { at, errorOutputType }),
        Buffer.from(`${JSON.stringify({ rawData: data.toString('base64'), errorCode, errorMessage: message })}\n`),
        true,
      );
    for (const data of records) {
      let rows = [data];
      if (processing.deaggregate) {
        try {
          rows = processing.deaggregate(data);
          if (rows.length > MAX_SUB_RECORDS) throw new Error(`${rows.length} sub-records; deaggregation is capped at ${MAX_SUB_RECORDS} per record`);
        } catch (e) {
          // The stand-in's own error code: AWS documents the error output, not a code for this case.
          failed(data, 'processing-failed', 'RecordDeAggregation.Failed', (e as Error).message);
          continue;
        }
      }
      for (const row of rows) {
        let key: string;
        try {
          const partitionKeys = dynamic && processing.extractKeys ? processing.extractKeys(JSON.parse(row.toString('utf8'))) : undefined;
          key = renderPrefix(destination.Prefix ?? '', { at, ...(partitionKeys ? { partitionKeys } : {}) });
        } catch (e) {
          failed(row, 'partitioning-failed', 'DynamicPartitioning.MetadataExtractionFailed', (e as Error).message);
          continue;
        }
        if (dynamic && !stream.buffers.has(key) && this.activePartitions(stream) >= MAX_ACTIVE_PARTITIONS) {
          // As on AWS: once the stream has the maximum of active partitions, records for a new one go to the error prefix.
          const counters = this.metrics.get(stream.name) ?? { PartitionCountExceeded: 0 };
          counters.PartitionCountExceeded += 1;
          this.metrics.set(stream.name, counters);
          failed(
            row,
            'activePartitionExceeded',
            'DynamicPartitioning.ActivePartitionsLimitExceeded',
            `the stream already has ${MAX_ACTIVE_PARTITIONS} active partitions`,
          );
          continue;
        }
        this.append(stream, key, processing.appendNewline ? Buffer.concat([row, NEWLINE]) : row, false);
      }
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

  /** Records still waiting in buffers (tests and `npm start` wait for zero). */
  pendingRecords(): number {
    let n = 0;
    for (const s of this.streams.values()) for (const b of s.buffers.values()) n += b.records.length;
    return n;
  }
}
