import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { sleep } from '#shared/retry';

/**
 * Waits until a stream is ACTIVE, as CloudFormation does before a stream resource is complete and Lambda before a
 * mapping reads it: kinesalite, like Kinesis, creates a stream asynchronously and lists no shards while it is CREATING.
 */
export async function waitForActiveStream(kinesis: KinesisClient, streamName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    const status = StreamDescriptionSummary?.StreamStatus;
    if (status === 'ACTIVE') return;
    if (Date.now() >= deadline)
      throw new Error(`Kinesis stream ${streamName} is still ${status} after ${timeoutMs / 1000} s; is the local Kinesis overloaded?`);
    await sleep(50);
  }
}
