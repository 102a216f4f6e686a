import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { gunzipSync } from 'node:zlib';
import { putRawRows, putRecordBatch } from '#adapters/firehose';
import type { LakeEvent } from '#domain/events/enrich';
import { rawRecordPartition } from '#domain/raw-records';

/** aws-sdk-client-mock injects Firehose faults the local stand-in would need many calls to hit. */
describe('putRecordBatch', () => {
  const firehose = mockClient(FirehoseClient);
  const fast = { attempts: 3, baseMs: 1, capMs: 1 };
  const sentRecords = () => firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString()));
  beforeEach(() => firehose.reset());

  it('packs up to 500 rows (and 1,000 KiB) into one record, one row per line, in order', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const small = Array.from({ length: 1_200 }, (_, i) => ({ i }));
    await putRecordBatch('bad', small, { backoff: fast });
    const records = sentRecords();
    expect(records.map((call) => call.length)).toEqual([3]);
    expect(records[0]!.map((r) => r.split('\n').length - 1)).toEqual([500, 500, 200]);
    expect(records[0]!.join('')).toBe(small.map((row) => `${JSON.stringify(row)}\n`).join(''));

    firehose.reset();
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const big = Array.from({ length: 10 }, (_, i) => ({ i, blob: 'é'.repeat(200 * 1024) }));
    await putRecordBatch('bad', big, { backoff: fast });
    const calls = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.map((r) => r.Data!.length));
    expect(Math.max(...calls.flat())).toBeLessThanOrEqual(1000 * 1024);
    expect(Math.max(...calls.map((sizes) => sizes.reduce((a, b) => a + b, 0)))).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(sentRecords().flat().join('')).toBe(big.map((row) => `${JSON.stringify(row)}\n`).join(''));
  });

  it('sends raw rows as gzip members of one partition each, the partition named in the header, in order within it', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const row = (i: number, hour: string) => ({ i, partition_time: `2026-11-29T${hour}:15:00.000Z` }) as unknown as LakeEvent;
    const rows = [row(0, '10'), row(1, '09'), row(2, '10'), row(3, '10')];
    await putRawRows('raw', rows, fast);
    const records = firehose.commandCalls(PutRecordBatchCommand).flatMap((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!)));
    expect(records.map((r) => rawRecordPartition(r))).toEqual([
      { dt: '2026-11-29', hour: '10' },
      { dt: '2026-11-29', hour: '09' },
    ]);
    expect(
      records.map((r) =>
        gunzipSync(r)
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).i),
      ),
    ).toEqual([[0, 2, 3], [1]]);
    // Firehose writes a partition's records one after another: a concatenation of members is one gzip file.
    expect(gunzipSync(Buffer.concat(records)).toString().trim().split('\n')).toHaveLength(4);
  });

  it('re-sends the rows of a failed record one per record, and reports the rows that never succeed', async () => {
    let call = 0;
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      call += 1;
      // The packed record fails; then {"n":1} fails once more and {"n":2} always fails.
      const RequestResponses = input.Records.map((r) => {
        const rows = Buffer.from(r.Data).toString().trim().split('\n');
        const n = rows.length === 1 ? (JSON.parse(rows[0]!).n as number) : -1;
        return n === -1 || n === 2 || (n === 1 && call === 2) ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'busy' } : { RecordId: `r${n}` };
      });
      return { FailedPutCount: RequestResponses.filter((r) => 'ErrorCode' in r).length, RequestResponses };
    });
    const { failed } = await putRecordBatch('bad', [{ n: 0 }, { n: 1 }, { n: 2 }], { backoff: fast });
    expect(failed).toEqual([{ index: 2, error: 'ServiceUnavailableException: busy' }]);
    expect(sentRecords().map((records) => records.map((r) => r.trim()))).toEqual([
      ['{"n":0}\n{"n":1}\n{"n":2}'],
      ['{"n":0}', '{"n":1}', '{"n":2}'],
      ['{"n":1}', '{"n":2}'],
    ]);
  });

  it('reports every row of a throttled call once the attempts run out', async () => {
    firehose.on(PutRecordBatchCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const { failed } = await putRecordBatch('bad', [{ n: 0 }, { n: 1 }], { backoff: fast });
    expect(failed).toEqual([
      { index: 0, error: 'ThrottlingException' },
      { index: 1, error: 'ThrottlingException' },
    ]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });
});
