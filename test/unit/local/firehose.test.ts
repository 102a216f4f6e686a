import type { S3Client } from '@aws-sdk/client-s3';
import { FaultInjector } from '../../../local/faults';
import type { Invoke } from '../../../local/event-source-mapping';
import { LocalFirehose, MAX_ACTIVE_PARTITIONS, renderPrefix } from '../../../local/firehose';
import { routeFor } from '../../../local/edge';

describe('local Firehose prefixes', () => {
  const at = new Date('2026-11-20T07:05:09Z');

  it('evaluates timestamp, partitionKeyFromLambda and error-output-type like AWS', () => {
    expect(
      renderPrefix('raw/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/', { at, partitionKeys: { dt: '2026-11-19', hour: '23' } }),
    ).toBe('raw/dt=2026-11-19/hour=23/');
    expect(renderPrefix("bad/!{timestamp:yyyy/MM/dd}/!{timestamp:'h'HH}/", { at })).toBe('bad/2026/11/20/h07/');
    expect(renderPrefix('errors/!{firehose:error-output-type}/', { at, errorOutputType: 'partitioning-failed' })).toBe('errors/partitioning-failed/');
  });

  it('refuses what it cannot evaluate instead of guessing', () => {
    expect(() => renderPrefix('x/!{partitionKeyFromQuery:dt}/', { at })).toThrow(/not supported/);
    expect(() => renderPrefix('x/!{partitionKeyFromLambda:dt}/', { at, partitionKeys: {} })).toThrow(/missing/);
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

/** A LocalFirehose writing to an S3 stand-in that records keys and bodies, with the transform given. */
function firehoseWith(invoke: Invoke) {
  const written = new Map<string, Buffer>();
  // Stands in for the S3 client: records what the stand-in writes.
  const s3 = {
    send: async (command: { input: { Key: string; Body: Buffer } }) => void written.set(command.input.Key, command.input.Body),
  } as unknown as S3Client;
  const firehose = new LocalFirehose(s3, 'us-east-1', '000000000000', new FaultInjector(), undefined, invoke);
  firehose.operations.CreateDeliveryStream({
    DeliveryStreamName: 'raw',
    ExtendedS3DestinationConfiguration: {
      BucketARN: 'arn:aws:s3:::lake',
      Prefix: 'raw/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
      ErrorOutputPrefix: 'errors/raw/!{firehose:error-output-type}/',
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          { Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:000000000000:function:partition' }] },
        ],
      },
    },
  });
  return { firehose, written };
}

/** The transform as functions/partition-raw answers: every record back with its partition keys (from JSON here). */
const partitionByJson: Invoke = async (_, event) => ({
  payload: {
    records: (event as { records: { recordId: string; data: string }[] }).records.map((r) => {
      const time = JSON.parse(Buffer.from(r.data, 'base64').toString()).partition_time as string;
      return time === 'fail'
        ? { recordId: r.recordId, result: 'ProcessingFailed', data: r.data }
        : { recordId: r.recordId, result: 'Ok', data: r.data, metadata: { partitionKeys: { dt: time.slice(0, 10), hour: time.slice(11, 13) } } };
    }),
  },
});
const put = (firehose: LocalFirehose, rows: unknown[]) =>
  firehose.operations.PutRecordBatch({
    DeliveryStreamName: 'raw',
    Records: rows.map((row) => ({ Data: Buffer.from(JSON.stringify(row)).toString('base64') })),
  });

describe('Lambda transform and dynamic partitioning', () => {
  it("partitions by the keys the transform returns; its ProcessingFailed records and a failing function's go to errors/ whole", async () => {
    const { firehose, written } = firehoseWith(partitionByJson);
    await put(firehose, [{ partition_time: '2026-11-20T07:05:09.000Z' }, { partition_time: 'fail' }]);
    await firehose.stop();
    expect([...written.keys()].map((k) => k.replace(/raw-1-.*$/, ''))).toEqual(['raw/dt=2026-11-20/hour=07/', 'errors/raw/processing-failed/']);
    const error = JSON.parse([...written.entries()].find(([k]) => k.startsWith('errors/'))![1].toString());
    expect(error).toMatchObject({ errorCode: 'Lambda.ProcessingFailed', rawData: Buffer.from('{"partition_time":"fail"}').toString('base64') });

    let calls = 0;
    const broken = firehoseWith(async () => {
      calls += 1;
      return { functionError: 'Unhandled', payload: { errorMessage: 'boom' } };
    });
    await put(broken.firehose, [{ partition_time: '2026-11-20T07:05:09.000Z' }]);
    expect(broken.firehose.pendingRecords()).toBe(1);
    await broken.firehose.stop();
    expect(calls).toBe(4);
    expect([...broken.written.keys()]).toEqual([expect.stringMatching(/^errors\/raw\/processing-failed\//)]);
  });

  it('sends records for a 501st active partition to errors/…/activePartitionExceeded/, as Firehose does', async () => {
    const { firehose, written } = firehoseWith(partitionByJson);
    const hour = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
    const rows = Array.from({ length: MAX_ACTIVE_PARTITIONS + 1 }, (_, i) => ({ partition_time: hour(i) }));
    for (let i = 0; i < rows.length; i += 500) await put(firehose, rows.slice(i, i + 500));
    await firehose.stop();
    expect(firehose.metrics.get('raw')).toEqual({ PartitionCountExceeded: 1 });
    expect([...written.keys()].filter((k) => k.startsWith('raw/'))).toHaveLength(MAX_ACTIVE_PARTITIONS);
    expect([...written.keys()].filter((k) => k.startsWith('errors/raw/activePartitionExceeded/'))).toHaveLength(1);
  });
});
