import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { putObject, s3Client } from '#adapters/s3';
import { scanForPersonalData } from '../../cli/privacy-check';
import { itLocal } from '../helpers/cloud';

// The check npm start runs after its traffic: it must find what it looks for wherever it is stored.
describe("npm start's privacy check", () => {
  itLocal('finds an id as sent in a gzipped row and inside a bad row’s base64 payload, and a full IP in a log line; passes clean data', async () => {
    const bucket = `privacy-check-${Date.now()}`;
    await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
    const logs = path.join(mkdtempSync(path.join(os.tmpdir(), 'privacy-')), 'offline.log');
    const what = { ids: new Set(['visitor-1', 'visitor-2']), ips: ['127.0.0.1'] };
    await putObject(bucket, 'raw/a.gz', gzipSync(`${JSON.stringify({ anonymous_id: 'ps_0', observed_ip: '127.0.0.0' })}\n`));
    writeFileSync(logs, '{"level":"INFO","message":"ok"}\n');
    expect((await scanForPersonalData(bucket, [logs], what)).findings).toEqual([]);

    await putObject(bucket, 'raw/b.gz', gzipSync(`${JSON.stringify({ anonymous_id: 'visitor-1' })}\n`));
    await putObject(
      bucket,
      'bad/c',
      `${JSON.stringify({ payload_base64: Buffer.from(JSON.stringify({ event: { anonymous_id: 'visitor-2' } })).toString('base64') })}\n`,
    );
    writeFileSync(logs, '{"level":"INFO","message":"ok"}\n{"message":"from 127.0.0.1"}\n');
    const scan = await scanForPersonalData(bucket, [logs], what);
    expect(scan).toMatchObject({ objects: 3, logLines: 2 });
    expect(scan.findings).toEqual([
      { where: `s3://${bucket}/bad/c`, found: 'an id as sent' },
      { where: `s3://${bucket}/raw/b.gz`, found: 'an id as sent' },
      { where: `${logs}:2`, found: 'client IP 127.0.0.1' },
    ]);
  });
});
