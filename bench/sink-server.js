// The sink's server (bench/sink.ts), on a worker thread or in a child process: its parsing must not count as the handler's.
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { parentPort } = require('node:worker_threads');

const DATA = Buffer.from('"Data":');

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const target = String(req.headers['x-amz-target'] ?? '');
    // Counted, not parsed: each record of either call has one "Data" member.
    const body = Buffer.concat(chunks);
    let n = 0;
    for (let at = body.indexOf(DATA); at !== -1; at = body.indexOf(DATA, at + DATA.length)) n++;
    // DynamoDB (the dedup table): no key was seen before, every write is taken.
    // Secrets Manager (the pseudonymization key, read once per container).
    const answer =
      target === 'secretsmanager.GetSecretValue'
        ? { Name: 'bench', SecretString: 'bench-pseudonymization-key-0123456789abcdef0123456789abcdef' }
        : target.startsWith('DynamoDB_20120810.BatchGetItem')
          ? { Responses: {}, UnprocessedKeys: {} }
          : target.startsWith('DynamoDB_20120810.BatchWriteItem')
            ? { UnprocessedItems: {} }
            : target.startsWith('Firehose')
              ? { FailedPutCount: 0, Encrypted: false, RequestResponses: Array.from({ length: n }, (_, i) => ({ RecordId: String(i) })) }
              : { FailedRecordCount: 0, Records: Array.from({ length: n }, (_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-000000000000' })) };
    const payload = JSON.stringify(answer);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (parentPort) parentPort.postMessage(port);
  else process.send(port);
});
