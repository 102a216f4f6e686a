import type { S3Client } from '@aws-sdk/client-s3';
import { FaultInjector } from '../../../local/faults';
import { LocalFirehose, MAX_ACTIVE_PARTITIONS, renderPrefix, splitJsonObjects } from '../../../local/firehose';
import { routeFor } from '../../../local/edge';
import { compileJq } from '../../../local/jq-subset';

describe('local Firehose prefixes', () => {
  const at = new Date('2026-11-20T07:05:09Z');

  it('evaluates timestamp, partitionKeyFromQuery and error-output-type like AWS', () => {
    expect(
      renderPrefix('raw/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/', { at, partitionKeys: { dt: '2026-11-19', hour: '23' } }),
    ).toBe('raw/dt=2026-11-19/hour=23/');
    expect(renderPrefix("bad/!{timestamp:yyyy/MM/dd}/!{timestamp:'h'HH}/", { at })).toBe('bad/2026/11/20/h07/');
    expect(renderPrefix('errors/!{firehose:error-output-type}/', { at, errorOutputType: 'partitioning-failed' })).toBe('errors/partitioning-failed/');
  });

  it('refuses what it cannot evaluate instead of guessing', () => {
    expect(() => renderPrefix('x/!{partitionKeyFromLambda:dt}/', { at })).toThrow(/not supported/);
    expect(() => renderPrefix('x/!{partitionKeyFromQuery:dt}/', { at, partitionKeys: {} })).toThrow(/missing/);
  });
});

describe('edge routing', () => {
  it('routes by X-Amz-Target, then by SigV4 credential scope', () => {
    expect(routeFor({ 'x-amz-target': 'Kinesis_20131202.PutRecords' }, '/')).toBe('kinesis');
    expect(routeFor({ 'x-amz-target': 'Firehose_20150804.PutRecordBatch' }, '/')).toBe('firehose');
    expect(routeFor({ authorization: 'AWS4-HMAC-SHA256 Credential=AK/20261120/us-east-1/s3/aws4_request, SignedHeaders=host' }, '/bucket')).toBe('s3');
    expect(routeFor({}, '/bucket/key?X-Amz-Credential=AK%2F20261120%2Fus-east-1%2Fs3%2Faws4_request')).toBe('s3');
    expect(routeFor({}, '/_local/health')).toBe('local');
    expect(routeFor({}, '/')).toBeUndefined();
  });
});

describe('metadata-extraction jq subset', () => {
  it('evaluates the query serverless.yml declares, like jq', () => {
    const extract = compileJq('{dt: .partition_time[0:10], hour: .partition_time[11:13]}');
    expect(extract({ partition_time: '2026-11-20T07:05:09.000Z' })).toEqual({ dt: '2026-11-20', hour: '07' });
    expect(extract({})).toEqual({ dt: null, hour: null });
    expect(compileJq('{"customer": .customer.id}')({ customer: { id: 7 } })).toEqual({ customer: 7 });
  });

  it('refuses what it does not implement, at compile time', () => {
    expect(() => compileJq('{dt: .event_time | strptime("%Y")}')).toThrow(/outside it/);
    expect(() => compileJq('.event_time')).toThrow(/outside it/);
  });
});

describe('multi-record deaggregation (SubRecordType JSON)', () => {
  const split = (text: string) => splitJsonObjects(Buffer.from(text)).map((b) => b.toString());

  it('splits consecutive and newline-delimited objects, whatever their strings hold', () => {
    expect(split('{"a":1}{"a":2}')).toEqual(['{"a":1}', '{"a":2}']);
    expect(split('{"a":1}\n{"a":2}\n')).toEqual(['{"a":1}', '{"a":2}']);
    const tricky = [{ s: 'a } { b' }, { s: 'quote " and \\' }, { nested: { list: [{ x: '}' }] } }, { s: 'é ✓' }];
    expect(split(tricky.map((o) => JSON.stringify(o)).join('\n')).map((t) => JSON.parse(t))).toEqual(tricky);
  });

  it('refuses what AWS documents as invalid input: arrays, bytes between objects, truncated objects', () => {
    expect(() => split('[{"a":1},{"a":2}]')).toThrow(/arrays/);
    expect(() => split('{"a":1},{"a":2}')).toThrow(/outside/);
    expect(() => split('{"a":1}{"a":')).toThrow(/truncated/);
  });
});

describe('active partitions (dynamic partitioning quota)', () => {
  it('sends records for a 501st active partition to errors/…/activePartitionExceeded/, as Firehose does', async () => {
    const written: string[] = [];
    // Stands in for the S3 client: records which keys the stand-in writes.
    const s3 = { send: async (command: { input: { Key: string } }) => void written.push(command.input.Key) } as unknown as S3Client;
    const firehose = new LocalFirehose(s3, 'us-east-1', '000000000000', new FaultInjector());
    firehose.operations.CreateDeliveryStream({
      DeliveryStreamName: 'raw',
      ExtendedS3DestinationConfiguration: {
        BucketARN: 'arn:aws:s3:::lake',
        Prefix: 'raw/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/',
        ErrorOutputPrefix: 'errors/raw/!{firehose:error-output-type}/',
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'MetadataExtraction',
              Parameters: [{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{dt: .partition_time[0:10], hour: .partition_time[11:13]}' }],
            },
          ],
        },
      },
    });
    const hour = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
    const records = Array.from({ length: MAX_ACTIVE_PARTITIONS + 1 }, (_, i) => ({
      Data: Buffer.from(JSON.stringify({ partition_time: hour(i) })).toString('base64'),
    }));
    for (let i = 0; i < records.length; i += 500) await firehose.operations.PutRecordBatch({ DeliveryStreamName: 'raw', Records: records.slice(i, i + 500) });
    expect(firehose.metrics.get('raw')).toEqual({ PartitionCountExceeded: 1 });
    await firehose.flush(true);
    expect(written.filter((k) => k.startsWith('raw/'))).toHaveLength(MAX_ACTIVE_PARTITIONS);
    expect(written.filter((k) => k.startsWith('errors/raw/activePartitionExceeded/'))).toHaveLength(1);
  });
});
