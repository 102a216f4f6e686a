import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { outputs } from '../helpers/cloud';

const hasAwsCli = (() => {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const aws = async (...args: string[]) =>
  JSON.parse((await promisify(execFile)('aws', ['--endpoint-url', outputs().Endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: process.env })).stdout || '{}');

/** The real AWS CLI works against the edge endpoint (skipped where no `aws` is installed). */
(hasAwsCli ? describe : describe.skip)('AWS CLI against the local cloud', () => {
  it('lists the stream, the tables, the delivery streams and the lake objects', async () => {
    expect((await aws('kinesis', 'list-streams')).StreamNames).toContain(outputs().ClickstreamStreamName);
    expect((await aws('dynamodb', 'list-tables')).TableNames).toContain(outputs().DedupTableName);
    expect((await aws('firehose', 'list-delivery-streams')).DeliveryStreamNames).toEqual(
      expect.arrayContaining([outputs().RawDeliveryStreamName, outputs().BadDeliveryStreamName]),
    );
    const listing = await aws('s3api', 'list-objects-v2', '--bucket', outputs().LakeBucketName!);
    expect(listing).toBeDefined();
  });
});
