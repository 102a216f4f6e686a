import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { drain, outputs, postEvents } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';
import { requireTool } from '../helpers/requirements';

const aws = async (...args: string[]) =>
  JSON.parse(
    (await promisify(execFile)('aws', ['--endpoint-url', outputs().Endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: process.env }))
      .stdout || '{}',
  );

/** The real AWS CLI works against the edge endpoint. */
describe('AWS CLI against the local cloud', () => {
  beforeAll(() => requireTool('aws', ['--version'], 'apt-get install -y awscli'));

  it('lists the stream, the tables, the delivery streams and the lake objects', async () => {
    expect((await postEvents([makeEvent()])).status).toBe(202);
    await drain();
    expect((await aws('kinesis', 'list-streams')).StreamNames).toContain(outputs().ClickstreamStreamName);
    expect((await aws('dynamodb', 'list-tables')).TableNames).toContain(outputs().DedupTableName);
    expect((await aws('firehose', 'list-delivery-streams')).DeliveryStreamNames).toEqual(
      expect.arrayContaining([outputs().RawDeliveryStreamName, outputs().BadDeliveryStreamName]),
    );
    const top = await aws('s3api', 'list-objects-v2', '--bucket', outputs().LakeBucketName!, '--delimiter', '/');
    expect(top.CommonPrefixes).toEqual(expect.arrayContaining([{ Prefix: 'raw/' }]));
    const raw = await aws('s3api', 'list-objects-v2', '--bucket', outputs().LakeBucketName!, '--prefix', 'raw/clickstream/', '--max-items', '3');
    expect(raw.Contents[0].Key).toMatch(/^raw\/clickstream\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/.+\.gz$/);
  });
});
