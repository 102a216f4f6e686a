import type { Context } from 'aws-lambda';
import { benchEvents, collectorRecords, ingestBenchEnv, kinesisBatch } from './fixtures';
import { startSink } from './sink';

/** Prints this process's peak RSS (MB) after one run of `ingest` or of the bare decode baseline. */
async function main() {
  const batch = kinesisBatch(collectorRecords(benchEvents(10_000)));
  if (process.argv[2] === 'ingest') {
    const sink = await startSink('process');
    Object.assign(process.env, ingestBenchEnv(sink.url));
    const { handler } = await import('../functions/ingest/handler');
    await handler(batch as never, { awsRequestId: 'm', getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
    await sink.close();
  } else {
    for (const r of batch.Records) JSON.stringify(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')));
  }
  process.stdout.write(`\n${process.resourceUsage().maxRSS / 1024}`);
}

void main();
