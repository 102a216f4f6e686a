import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { randomUUID } from 'node:crypto';
import type { LakeEvent } from '#domain/events/enrich';
import { addFaults, drain, faults, lakeRows, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

/** Faults are injected into the running local Firehose; the real ingest function and event-source mapping must cope. */
describe('delivery faults: retried or reported, never lost, never doubled', () => {
  const run = randomUUID();
  const rawFor = async (prefix: string) => (await lakeRows<LakeEvent>('raw')).filter((r) => r.row.session_id.startsWith(prefix));

  it('retries records that Firehose reports in FailedPutCount', async () => {
    const prefix = `${run}-partial`;
    await addFaults([{ service: 'firehose', operation: 'PutRecordBatch', type: 'fail-records', count: 3, match: prefix }]);
    const events = Array.from({ length: 200 }, (_, i) => makeEvent({ session_id: `${prefix}-${i % 7}` }));
    expect((await postEvents(events)).status).toBe(202);
    await drain();
    const rows = await rawFor(prefix);
    expect(rows.map((r) => r.row.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect((await faults()).find((f) => f.type === 'fail-records' && f.match === prefix)).toMatchObject({ count: 0 });
  });

  it('retries whole calls that Firehose throttles', async () => {
    const prefix = `${run}-throttle`;
    await addFaults([{ service: 'firehose', operation: 'PutRecordBatch', type: 'throttle', count: 4, match: prefix }]);
    const events = Array.from({ length: 120 }, (_, i) => makeEvent({ session_id: `${prefix}-${i % 5}` }));
    expect((await postEvents(events)).status).toBe(202);
    await drain();
    const rows = await rawFor(prefix);
    expect(rows.map((r) => r.row.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect((await faults()).find((f) => f.type === 'throttle' && f.match === prefix)).toMatchObject({ count: 0 });
  });

  it('isolates a poison event: the rest land once, its stream record goes to the on-failure queue and can be re-read', async () => {
    const prefix = `${run}-poison`;
    const session = `${prefix}-one-shard`;
    const events = Array.from({ length: 40 }, () => makeEvent({ session_id: session }));
    const poison = events[17]!;
    await addFaults([{ service: 'firehose', operation: 'PutRecordBatch', type: 'poison', match: poison.event_id }]);
    expect((await postEvents(events)).status).toBe(202);
    await drain();

    const rows = await rawFor(prefix);
    const delivered = rows.map((r) => r.row.event_id);
    expect(delivered).toHaveLength(39);
    expect(new Set(delivered).size).toBe(39);
    expect(delivered).not.toContain(poison.event_id);

    // The on-failure record points at the poison record on the stream: it is recoverable, not lost.
    const sqs = new SQSClient({ endpoint: outputs().Endpoint });
    const kinesis = new KinesisClient({ endpoint: outputs().Endpoint, requestHandler: new NodeHttpHandler() });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs().IngestFailureQueueUrl, MaxNumberOfMessages: 10 }));
    const recovered: string[] = [];
    for (const message of Messages) {
      const info = JSON.parse(message.Body!).KinesisBatchInfo;
      expect(info).toMatchObject({ batchSize: 1, streamArn: expect.stringContaining(outputs().ClickstreamStreamName!) });
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: outputs().ClickstreamStreamName,
          ShardId: info.shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: info.startSequenceNumber,
        }),
      );
      const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
      // The collector put the request's events of this session in one record: the poison is one of them.
      const envelope = JSON.parse(Buffer.from(Records[0]!.Data!).toString('utf8')) as { event?: { event_id: string }; events?: { event_id: string }[] };
      recovered.push(...(envelope.events ?? [envelope.event!]).map((e) => e.event_id));
    }
    expect(recovered).toContain(poison.event_id);
  });
});
