/**
 * What the local cloud was asked to do, counted the way AWS bills it: requests per service and operation, Kinesis
 * records and payload (1 KB and 25 KB units), DynamoDB read and write units, Firehose records (5 KB rounding), bytes
 * and the objects it delivered. `npm run cost` turns a measured run of the real functions into usage per event.
 */

const KB = 1024;

export interface UsageSnapshot {
  calls: Record<string, number>;
  kinesis: { records: number; bytes: number; kbUnits: number; payloadUnits: number };
  /** Write units and items written also by table (a usage figure per feature: the dedup table, the real-time table). */
  dynamodb: { readUnits: number; writeUnits: number; writeUnitsByTable: Record<string, number>; itemsWrittenByTable: Record<string, number> };
  firehose: { records: number; bytes: number; billedBytes: number; objects: number; objectBytes: number; deliveredBytes: number };
}

const empty = (): UsageSnapshot => ({
  calls: {},
  kinesis: { records: 0, bytes: 0, kbUnits: 0, payloadUnits: 0 },
  dynamodb: { readUnits: 0, writeUnits: 0, writeUnitsByTable: {}, itemsWrittenByTable: {} },
  firehose: { records: 0, bytes: 0, billedBytes: 0, objects: 0, objectBytes: 0, deliveredBytes: 0 },
});

const base64Bytes = (data: unknown) => (typeof data === 'string' ? Buffer.byteLength(data, 'base64') : 0);

export class UsageMeter {
  private usage = empty();
  /** Off until a measurement starts (`reset`): counting parses request bodies, which the pipeline's own path should not pay for. */
  private on = false;

  /** Starts (or restarts) counting from zero. */
  reset(): void {
    this.usage = empty();
    this.on = true;
  }

  snapshot(): UsageSnapshot {
    return structuredClone(this.usage);
  }

  /** One API request as the edge saw it (service, operation, JSON body). */
  request(service: string, operation: string, body: Buffer): void {
    if (!this.on) return;
    const key = `${service}:${operation || 'request'}`;
    this.usage.calls[key] = (this.usage.calls[key] ?? 0) + 1;
    if (body.length === 0 || (service !== 'kinesis' && service !== 'dynamodb')) return;
    let input: any;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    if (service === 'kinesis' && (operation === 'PutRecords' || operation === 'PutRecord')) {
      for (const r of operation === 'PutRecords' ? (input.Records ?? []) : [input]) {
        // The payload is the data blob plus the partition key.
        const bytes = base64Bytes(r.Data) + Buffer.byteLength(String(r.PartitionKey ?? ''));
        this.usage.kinesis.records += 1;
        this.usage.kinesis.bytes += bytes;
        this.usage.kinesis.kbUnits += Math.max(1, Math.ceil(bytes / KB));
        this.usage.kinesis.payloadUnits += Math.max(1, Math.ceil(bytes / (25 * KB)));
      }
    } else if (service === 'dynamodb') this.dynamodb(operation, input);
  }

  /** Request units as DynamoDB on demand bills them: a write per KB of item, a read per 4 KB (half for eventually consistent). */
  private dynamodb(operation: string, input: any): void {
    const itemKb = (item: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / KB));
    const read = (consistent: boolean) => (consistent ? 1 : 0.5);
    const d = this.usage.dynamodb;
    const write = (table: unknown, units: number) => {
      d.writeUnits += units;
      d.writeUnitsByTable[String(table)] = (d.writeUnitsByTable[String(table)] ?? 0) + units;
      d.itemsWrittenByTable[String(table)] = (d.itemsWrittenByTable[String(table)] ?? 0) + 1;
    };
    if (operation === 'BatchWriteItem') {
      for (const [table, requests] of Object.entries<any[]>(input.RequestItems ?? {}))
        for (const r of requests) write(table, r.PutRequest ? itemKb(r.PutRequest.Item) : 1);
    } else if (operation === 'BatchGetItem') {
      for (const table of Object.values<any>(input.RequestItems ?? {})) d.readUnits += (table.Keys?.length ?? 0) * read(table.ConsistentRead === true);
    } else if (operation === 'PutItem' || operation === 'UpdateItem' || operation === 'DeleteItem') write(input.TableName, itemKb(input.Item ?? input.Key));
    else if (operation === 'GetItem' || operation === 'Query' || operation === 'Scan') d.readUnits += read(input.ConsistentRead === true);
  }

  /** A record Firehose took in (its ingestion is billed per record, rounded up to 5 KB). */
  firehoseRecord(bytes: number): void {
    if (!this.on) return;
    this.usage.firehose.records += 1;
    this.usage.firehose.bytes += bytes;
    this.usage.firehose.billedBytes += Math.max(1, Math.ceil(bytes / (5 * KB))) * 5 * KB;
  }

  /** An object Firehose delivered to S3: `bytes` as stored (compressed), `deliveredBytes` before compression (dynamic partitioning bills these). */
  firehoseObject(bytes: number, deliveredBytes: number): void {
    if (!this.on) return;
    this.usage.firehose.objects += 1;
    this.usage.firehose.objectBytes += bytes;
    this.usage.firehose.deliveredBytes += deliveredBytes;
  }
}

/** Invocations and billed milliseconds per function, from serverless-offline's log ("(λ: name) RequestId: … Billed Duration: N ms"). */
export function lambdaDurations(log: string): Record<string, { invocations: number; billedMs: number }> {
  const out: Record<string, { invocations: number; billedMs: number }> = {};
  for (const m of log.matchAll(/\(λ: ([\w-]+)\) RequestId: \S+\s+Duration: [\d.]+ ms\s+Billed Duration: (\d+) ms/g)) {
    const entry = (out[m[1]!] ??= { invocations: 0, billedMs: 0 });
    entry.invocations += 1;
    entry.billedMs += Number(m[2]);
  }
  return out;
}
