import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import { putRecordBatch } from '../../../src/adapters/firehose';

/** aws-sdk-client-mock injects Firehose faults the local stand-in would need many calls to hit. */
describe('putRecordBatch', () => {
  const firehose = mockClient(FirehoseClient);
  const fast = { attempts: 3, baseMs: 1, capMs: 1 };
  beforeEach(() => firehose.reset());

  it('splits into calls of at most 500 records and 4 MiB', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const small = Array.from({ length: 1_200 }, (_, i) => ({ i }));
    await putRecordBatch('raw', small, fast);
    expect(firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.length)).toEqual([500, 500, 200]);

    firehose.reset();
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const big = Array.from({ length: 10 }, () => ({ blob: 'x'.repeat(900 * 1024) }));
    await putRecordBatch('raw', big, fast);
    const calls = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.reduce((n, r) => n + r.Data!.length, 0));
    expect(Math.max(...calls)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(calls.length).toBeGreaterThan(2);
  });

  it('re-sends the entries FailedPutCount names and reports those that never succeed', async () => {
    let call = 0;
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: { Data: Uint8Array }[] }) => {
      call += 1;
      // {"n":1} fails once, {"n":2} always fails.
      const RequestResponses = input.Records.map((r) => {
        const n = JSON.parse(Buffer.from(r.Data).toString()).n as number;
        return n === 2 || (n === 1 && call === 1) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : { RecordId: `r${n}` };
      });
      return { FailedPutCount: RequestResponses.filter((r) => 'ErrorCode' in r).length, RequestResponses };
    });
    const { failed } = await putRecordBatch('raw', [{ n: 0 }, { n: 1 }, { n: 2 }], fast);
    expect(failed).toEqual([{ index: 2, error: 'InternalFailure: boom' }]);
    const sent = firehose.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.map((r) => Buffer.from(r.Data!).toString().trim()));
    expect(sent).toEqual([['{"n":0}', '{"n":1}', '{"n":2}'], ['{"n":1}', '{"n":2}'], ['{"n":2}']]);
  });
});
