import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process stand-in that accepts every Firehose PutRecordBatch and Kinesis PutRecords call, so the
 * handler benchmarks measure our code, not a service. It reads the body (the SDK must finish sending).
 */
export async function startSink(): Promise<{ url: string; close: () => Promise<void>; records: () => number }> {
  let records = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Records?: unknown[] };
      const n = body.Records?.length ?? 0;
      records += n;
      const answer = target.startsWith('Firehose')
        ? { FailedPutCount: 0, Encrypted: false, RequestResponses: Array.from({ length: n }, (_, i) => ({ RecordId: String(i) })) }
        : { FailedRecordCount: 0, Records: Array.from({ length: n }, (_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-000000000000' })) };
      const payload = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records: () => records,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
